"""The bundled digits data set."""
import numpy as np

from neuwidgets import datasets


def test_digits_are_scaled_float32_with_labels():
    x, y = datasets.digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == -1.0 and x.max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))
    assert y[:10].tolist() == list(range(10))
    x2, _ = datasets.digits()
    np.testing.assert_array_equal(x, x2)

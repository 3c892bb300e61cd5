"""Small data sets that need no download, for signal statistics, LSUV and short
training runs on real inputs."""
import numpy as np

__all__ = ["digits"]


def digits():
    """scikit-learn's bundled 8×8 handwritten digits (UCI ML hand-written digits;
    Alpaydin & Kaynak 1998): ``(x, y)``.

    ``x``: float32 ``(1797, 64)``, the 64 pixel intensities (0..16) scaled to
    [−1, 1] as ``pixel / 8 − 1``; ``y``: int64 ``(1797,)``, the digit 0..9.
    Always the same arrays in the same order (no shuffling, no randomness).
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (data.data / 8.0 - 1.0).astype(np.float32)
    return x, data.target.astype(np.int64)

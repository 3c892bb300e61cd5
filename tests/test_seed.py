"""The seed document's code examples (seed/000_17faed391c44fc20.txt), run verbatim with
``neupy`` replaced by ``neuwidgets``, and every output the document prints.

The examples are copied here as text (``import *`` needs module level, and the shell
session is run by ``doctest`` so its printed outputs are compared exactly); when the
seed document is reachable, a test checks the copies still match it.
"""
import doctest
import pathlib
import re
import textwrap

import numpy as np
import pytest
import tensorflow as tf

EXAMPLE_NORMAL = '''\
from neuwidgets.layers import *
from neuwidgets import init

network = join(
    Input(10),
    Sigmoid(30, weight=init.Normal()),
    Sigmoid(15, weight=init.Normal()),
)
'''

EXAMPLE_ARRAYS = '''\
import numpy as np

network = join(
    Input(10),
    Sigmoid(30, weight=np.random.randn(10, 30)),
    Sigmoid(15, weight=np.random.randn(30, 15)),
)
'''

EXAMPLE_GAMMA = '''\
import tensorflow as tf
from neuwidgets.layers import *
from neuwidgets import init

class Gamma(init.Initializer):
    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def sample(self, shape):
        return tf.random.gamma(shape, self.alpha)

network = join(
    Input(10),
    Sigmoid(30, weight=Gamma(alpha=0.02)),
    Sigmoid(15, weight=Gamma(alpha=0.05)),
)
'''

SESSION_SHARED = '''\
>>> import tensorflow as tf
>>> from neuwidgets.layers import *
>>>
>>> shared_weight = tf.Variable(tf.ones((10, 10)), name='shared-weight')
>>>
>>> hid1 = Relu(10, weight=shared_weight)
>>> hid2 = Relu(10, weight=shared_weight)
>>>
>>> network = Input(10) >> hid1 >> hid2
>>> network
(?, 10) -> [... 3 layers ...] -> (?, 10)
'''

SESSION_VARIABLES = '''\
>>> [v.name for v in network.variables.values()]
['shared-weight:0', 'layer/relu-1/bias:0', 'layer/relu-2/bias:0']
'''


def run(code, namespace=None):
    namespace = {} if namespace is None else namespace
    exec(compile(code, "<seed example>", "exec"), namespace)
    return namespace


def run_session(text, namespace):
    """Run a ``>>>`` session with doctest; fail on any output that differs."""
    test = doctest.DocTestParser().get_doctest(text, namespace, "seed", "<seed>", 0)
    runner = doctest.DocTestRunner()
    report = []
    runner.run(test, out=report.append, clear_globs=False)
    assert runner.failures == 0, "".join(report)
    assert runner.tries >= 1
    return test.globs


def test_example_initializers_by_class():
    network = run(EXAMPLE_NORMAL)["network"]
    assert repr(network) == "(?, 10) -> [... 3 layers ...] -> (?, 15)"
    assert [tuple(v.shape) for v in network.variables.values()] == [(10, 30), (30,), (30, 15), (15,)]
    weights = [network.layer(name).variable("weight").numpy() for name in ("sigmoid-1", "sigmoid-2")]
    for weight in weights:
        assert weight.dtype == np.float32
        assert abs(weight.mean()) < 0.003 and 0.007 < weight.std() < 0.013  # N(0, 0.01²)
    assert not np.array_equal(weights[0][:, :15], weights[1][:10])
    assert network.predict(np.ones((2, 10))).shape == (2, 15)


def test_example_manual_weights():
    namespace = run(EXAMPLE_NORMAL)  # the document runs this after the imports above
    network = run(EXAMPLE_ARRAYS, namespace)["network"]
    assert repr(network) == "(?, 10) -> [... 3 layers ...] -> (?, 15)"
    first = network.layers[1]
    given = first.parameters["weight"]
    assert isinstance(given, np.ndarray) and given.shape == (10, 30) and given.dtype == np.float64
    variable = first.variable("weight")
    assert variable.dtype == tf.float32
    np.testing.assert_array_equal(variable.numpy(), given.astype(np.float32))
    assert network.n_parameters == 10 * 30 + 30 + 30 * 15 + 15


def test_example_custom_gamma_initializer():
    namespace = run(EXAMPLE_GAMMA)
    network = namespace["network"]
    assert repr(network) == "(?, 10) -> [... 3 layers ...] -> (?, 15)"
    assert repr(network.layers[1].parameters["weight"]) == "Gamma(alpha=0.02)"
    assert isinstance(network.layers[1].parameters["weight"], namespace["init"].Initializer)
    first = network.layers[1].variable("weight").numpy()
    second = network.layers[2].variable("weight").numpy()
    assert first.shape == (10, 30) and second.shape == (30, 15)
    assert first.dtype == np.float32 and second.dtype == np.float32
    # Gamma(alpha) samples are finite, >= 0, with a small mean (alpha).
    assert np.isfinite(first).all() and np.isfinite(second).all()
    assert (first >= 0).all() and (second >= 0).all()
    assert first.mean() < 0.5 and second.mean() < 0.5
    assert np.isfinite(network.predict(np.ones((2, 10)))).all()


def test_example_shared_parameters():
    namespace = run_session(SESSION_SHARED, {})
    namespace = run_session(SESSION_VARIABLES, namespace)
    network, shared_weight = namespace["network"], namespace["shared_weight"]
    hid1, hid2 = namespace["hid1"], namespace["hid2"]
    assert hid1.variable("weight") is shared_weight and hid2.variable("weight") is shared_weight
    assert network.n_parameters == 100 + 10 + 10
    # One weight: both layers see every change.
    shared_weight.assign(tf.eye(10))
    x = np.random.RandomState(0).randn(3, 10).astype(np.float32)
    np.testing.assert_allclose(network.predict(x), np.maximum(x, 0), rtol=1e-6)


def test_doctest_really_compares_output():
    with pytest.raises(AssertionError, match="Expected"):
        run_session(">>> 1 + 1\n3\n", {})


SEED = next((path for path in (root / "shared" / "seed" / "000_17faed391c44fc20.txt"
                               for root in pathlib.Path(__file__).resolve().parents[1:3])
             if path.exists()), pathlib.Path("missing"))


@pytest.mark.skipif(not SEED.exists(), reason="seed document not reachable from this checkout")
def test_copies_match_the_seed_document():
    text = SEED.read_text(encoding="utf-8").replace("neupy", "neuwidgets")
    blocks = [textwrap.dedent(block) for block in re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)]
    blocks = [block.strip("\n") + "\n" for block in blocks]
    assert blocks == [EXAMPLE_NORMAL, EXAMPLE_ARRAYS, EXAMPLE_GAMMA, SESSION_SHARED, SESSION_VARIABLES]

"""Layers: reprs, names, parameter values, activations and the errors a person can cause
(REFERENCES.md §1 and §4)."""
import keras
import numpy as np
import pytest
import tensorflow as tf

import neuwidgets
from neuwidgets import init
from neuwidgets.layers import (Dropout, Elu, HardSigmoid, Input, LeakyRelu, Linear, Relu, Sigmoid,
                               Softmax, Softplus, Tanh, join)


def built(layer, n_inputs=4):
    """Join ``layer`` after an ``Input(n_inputs)`` so its variables can be created."""
    join(Input(n_inputs), layer)
    return layer


# -- reprs and names --------------------------------------------------------------------------

def test_reprs():
    assert repr(Relu(10)) == "Relu(10, alpha=0, weight=HeNormal(gain=2), bias=Constant(0), name='relu-1')"
    assert repr(Sigmoid(13)) == "Sigmoid(13, weight=HeNormal(gain=1.0), bias=Constant(0), name='sigmoid-1')"
    assert repr(Input(10)) == "Input(10, name='input-1')"
    assert repr(Input((28, 28))) == "Input((28, 28), name='input-2')"
    assert repr(Linear(3, bias=None)) == "Linear(3, weight=HeNormal(gain=1.0), bias=None, name='linear-1')"
    assert repr(LeakyRelu(2)).startswith("LeakyRelu(2, alpha=0.01, weight=HeNormal(gain=1.0)")
    assert repr(Dropout(0.3)) == "Dropout(0.3, name='dropout-1')"
    assert repr(Relu()) == "Relu(alpha=0, name='relu-2')"  # no units: only the activation, no parameters


def test_automatic_names():
    assert [Relu(1).name, Relu(1).name] == ["relu-1", "relu-2"]
    assert LeakyRelu(1).name == "leaky-relu-1"
    assert HardSigmoid(1).name == "hard-sigmoid-1"
    assert Softplus(1).name == "softplus-1"
    assert Relu(1, name="mine").name == "mine"
    assert Relu(1).name == "relu-3"


def test_failed_construction_burns_no_name():
    with pytest.raises(neuwidgets.NeuwidgetsError):
        Relu(0)
    assert Relu(1).name == "relu-1"


def test_default_and_given_parameters():
    assert repr(Tanh(3).parameters["weight"]) == "HeNormal(gain=1.0)"
    layer = Sigmoid(3, weight=0.5, bias=-1)
    assert repr(layer.parameters["weight"]) == "Constant(0.5)"
    assert repr(layer.parameters["bias"]) == "Constant(-1)"
    built(layer, 2)
    np.testing.assert_array_equal(layer.variable("weight").numpy(), np.full((2, 3), 0.5, np.float32))
    np.testing.assert_array_equal(layer.variable("bias").numpy(), [-1, -1, -1])


def test_bias_none_means_no_bias_variable():
    layer = built(Relu(5, bias=None), 3)
    assert list(layer.variables) == ["weight"]
    assert layer.parameter_shapes() == {"weight": (3, 5)}
    x = np.random.RandomState(0).randn(4, 3).astype(np.float32)
    np.testing.assert_allclose(layer.output(x).numpy(), np.maximum(x @ layer.variable("weight").numpy(), 0),
                               rtol=1e-6, atol=1e-6)


def test_variable_names_shapes_and_dtype():
    layer = built(Relu(5), 3)
    weight, bias = layer.variable("weight"), layer.variable("bias")
    assert weight.name == "layer/relu-1/weight:0" and bias.name == "layer/relu-1/bias:0"
    assert tuple(weight.shape) == (3, 5) and tuple(bias.shape) == (5,)
    assert weight.dtype == tf.float32 and bias.dtype == tf.float32
    assert layer.variable("weight") is weight  # created once


def test_variables_need_a_known_input_shape():
    with pytest.raises(neuwidgets.ShapeError, match="relu-1.*input shape unknown"):
        Relu(3).variable("weight")


# -- activations ------------------------------------------------------------------------------

X = np.linspace(-6, 6, 25, dtype=np.float32).reshape(5, 5)


def identity_layer(cls, **options):
    """A layer with identity weight and zero bias, so output == activation(x)."""
    return built(cls(5, weight=np.eye(5), bias=0, **options), 5)


@pytest.mark.parametrize("cls, expected", [
    (Linear, lambda z: z),
    (Sigmoid, lambda z: 1 / (1 + np.exp(-z))),
    (Tanh, np.tanh),
    (Relu, lambda z: np.maximum(z, 0)),
    (LeakyRelu, lambda z: np.where(z > 0, z, 0.01 * z)),
    (Elu, lambda z: np.where(z > 0, z, np.exp(z) - 1)),
    (Softplus, lambda z: np.log1p(np.exp(z))),
    (Softmax, lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)),
    (HardSigmoid, lambda z: np.clip(0.2 * z + 0.5, 0, 1)),
])
def test_activations(cls, expected):
    layer = identity_layer(cls)
    np.testing.assert_allclose(layer.output(X).numpy(), expected(X.astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_activation_details():
    assert LeakyRelu(1).alpha == 0.01
    np.testing.assert_allclose(identity_layer(Relu, alpha=0.1).output(X).numpy(), np.where(X > 0, X, 0.1 * X),
                               rtol=1e-6)
    hard = identity_layer(HardSigmoid).output(X).numpy()
    assert hard.min() == 0 and hard.max() == 1  # clipped at |x| >= 2.5
    rows = identity_layer(Softmax).output(np.random.RandomState(1).randn(8, 5).astype(np.float32) * 10)
    np.testing.assert_allclose(rows.numpy().sum(axis=1), np.ones(8), rtol=1e-6)


def test_output_with_bias():
    layer = built(Linear(2, weight=np.array([[1.0, 2.0], [3.0, 4.0]]), bias=np.array([0.5, -0.5])), 2)
    np.testing.assert_allclose(layer.output(np.array([[1.0, 1.0]], np.float32)).numpy(), [[4.5, 5.5]])


def test_dropout():
    layer = Dropout(0.25)
    x = tf.ones((400, 500))
    np.testing.assert_array_equal(layer.output(x).numpy(), x.numpy())
    np.testing.assert_array_equal(layer.output(x, training=False).numpy(), x.numpy())
    dropped = layer.output(x, training=True).numpy()
    assert np.mean(dropped == 0) == pytest.approx(0.25, abs=0.01)
    np.testing.assert_allclose(dropped[dropped != 0], 1 / 0.75, rtol=1e-6)
    np.testing.assert_array_equal(Dropout(0).output(x, training=True).numpy(), x.numpy())


@pytest.mark.parametrize("proba", [1, -0.1, 1.5])
def test_dropout_invalid_proba(proba):
    with pytest.raises(neuwidgets.InvalidValueError, match=rf"dropout-1.*proba.*{proba}"):
        Dropout(proba)


def test_dropout_proba_type():
    with pytest.raises(neuwidgets.InvalidTypeError, match="proba.*'half'"):
        Dropout("half")


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("n_units, kind", [(0, ValueError), (-3, ValueError), (2.5, TypeError),
                                           ("10", TypeError), (True, TypeError)])
def test_bad_n_units(n_units, kind):
    with pytest.raises(neuwidgets.NeuwidgetsError) as info:
        Sigmoid(n_units)
    assert isinstance(info.value, kind)
    message = str(info.value)
    assert "sigmoid-1" in message and "n_units" in message
    assert repr(n_units) in message and "positive integer" in message


@pytest.mark.parametrize("shape, kind", [(0, ValueError), (-1, ValueError), ((28, 0), ValueError),
                                         ("10", TypeError), (2.5, TypeError), ((), ValueError)])
def test_bad_input_shape(shape, kind):
    with pytest.raises(neuwidgets.NeuwidgetsError) as info:
        Input(shape)
    assert isinstance(info.value, kind)
    message = str(info.value)
    assert "input-1" in message and "shape" in message and repr(shape) in message
    assert "positive integer" in message or "at least one dimension" in message


@pytest.mark.parametrize("value, given", [([[1, 2]], "list"), ("normal", "'normal'"), ({"std": 1}, "dict"),
                                          (np.array([["a"]]), "<U1"), (None, "None"), (True, "True"),
                                          (init.Normal, "type")])
def test_bad_parameter_type(value, given):
    with pytest.raises(neuwidgets.InvalidTypeError) as info:
        Relu(3, weight=value)
    assert isinstance(info.value, TypeError)
    message = str(info.value)
    assert "relu-1" in message and "'weight'" in message and given in message
    if not isinstance(value, np.ndarray):
        assert "Initializer" in message and "NumPy array" in message and "tf.Variable" in message


def test_bad_bias_type():
    with pytest.raises(neuwidgets.InvalidTypeError, match=r"sigmoid-1.*'bias'.*str"):
        Sigmoid(3, bias="zero")


def test_unknown_option():
    with pytest.raises(neuwidgets.InvalidTypeError, match="relu-1.*'beta'"):
        Relu(3, beta=1)
    with pytest.raises(neuwidgets.InvalidTypeError, match="leaky-relu-1.*alpha.*'x'"):
        LeakyRelu(3, alpha="x")


@pytest.mark.parametrize("make_value, label", [
    (lambda: np.ones((3, 5)), "array"),
    (lambda: tf.ones((3, 5)), "array"),
    (lambda: tf.Variable(tf.ones((3, 5)), name="wrong-shape"), "variable 'wrong-shape:0'"),
])
def test_parameter_of_wrong_shape(make_value, label):
    layer = Relu(5, weight=make_value())
    with pytest.raises(neuwidgets.ShapeError) as info:
        Input(10) >> layer
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    for part in ("relu-1", "weight", label, "(3, 5)", "expected (10, 5)", "input-1"):
        assert part in message
    assert layer.input_shape is None  # a failed join changes nothing


def test_bias_of_wrong_shape():
    with pytest.raises(neuwidgets.ShapeError, match=r"relu-1.*bias array has shape \(4,\), expected \(5,\)"):
        Input(10) >> Relu(5, bias=np.zeros(4))


def test_shared_variable_of_another_dtype_is_rejected():
    with pytest.raises(neuwidgets.InvalidTypeError, match=r"relu-1.*'weight'.*float32.*'w64:0' of float64"):
        Relu(2, weight=tf.Variable(tf.ones((3, 2), tf.float64), name="w64"))


class Returns(init.Initializer):
    """A custom initializer whose sample returns ``value`` (or raises it)."""

    def __init__(self, value):
        self.value = value

    def sample(self, shape):
        if isinstance(self.value, Exception):
            raise self.value
        return self.value

    def __repr__(self):
        return "Returns()"


@pytest.mark.parametrize("value, words", [
    (np.ones((3,)), ["expected shape (4, 2)", "got shape (3,)"]),
    (np.ones((2, 4)), ["expected shape (4, 2)", "got shape (2, 4)"]),
    (np.full((4, 2), np.nan), ["finite", "NaN"]),
    (np.full((4, 2), np.inf), ["finite", "infinity"]),
    (tf.fill((4, 2), "a"), ["numbers", "string"]),
    (np.full((4, 2), "a").tolist(), ["numbers", "list"]),
    (None, ["numbers", "NoneType"]),
])
def test_custom_initializer_returning_garbage(value, words):
    layer = built(Sigmoid(2, weight=Returns(value)))
    with pytest.raises(neuwidgets.InitializerError) as info:
        layer.variable("weight")
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    for word in ["sigmoid-1", "'weight'", "Returns()", *words]:
        assert word in message
    assert "weight" not in layer._variables


def test_custom_initializer_that_raises_is_chained():
    error = ZeroDivisionError("no luck")
    layer = built(Sigmoid(2, weight=Returns(error)))
    with pytest.raises(neuwidgets.InitializerError, match=r"sigmoid-1.*'weight'.*ZeroDivisionError: no luck") as info:
        layer.variable("weight")
    assert info.value.__cause__ is error


def test_custom_initializer_missing_sample():
    class NoSample(init.Initializer):
        pass

    layer = built(Sigmoid(2, weight=NoSample()))
    with pytest.raises(neuwidgets.InitializerError, match=r"sigmoid-1.*NotImplementedError.*NoSample") as info:
        layer.variable("weight")
    assert isinstance(info.value.__cause__, NotImplementedError)


@pytest.mark.parametrize("value", [np.arange(8, dtype=np.float64).reshape(4, 2),
                                   tf.reshape(tf.range(8), (4, 2)),
                                   np.arange(8, dtype=np.int64).reshape(4, 2)])
def test_custom_sample_of_other_dtypes_becomes_float32(value):
    layer = built(Sigmoid(2, weight=Returns(value)))
    weight = layer.variable("weight")
    assert weight.dtype == tf.float32
    np.testing.assert_array_equal(weight.numpy(), np.arange(8).reshape(4, 2))


def test_arrays_and_tensors_as_values():
    weight = np.random.RandomState(0).randn(4, 2)  # float64
    layer = built(Sigmoid(2, weight=weight, bias=tf.constant([1, 2])))
    assert layer.variable("weight").dtype == tf.float32
    np.testing.assert_allclose(layer.variable("weight").numpy(), weight.astype(np.float32))
    np.testing.assert_array_equal(layer.variable("bias").numpy(), [1.0, 2.0])
    assert repr(layer).startswith("Sigmoid(2, weight=<array shape=(4, 2)>, bias=<array shape=(2,)>")


def test_keras_initializer_as_weight():
    glorot = keras.initializers.GlorotUniform(seed=1)
    layer = built(Relu(300, weight=glorot), 200)
    weight = layer.variable("weight").numpy()
    assert weight.shape == (200, 300) and weight.dtype == np.float32
    limit = np.sqrt(6 / 500)
    assert np.abs(weight).max() <= limit * (1 + 1e-6)
    assert weight.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)


def test_one_initializer_object_gives_independent_variables():
    normal = init.Normal(std=1.0)
    first, second = Relu(6, weight=normal), Relu(6, weight=normal)
    network = Input(6) >> first >> second
    a, b = first.variable("weight"), second.variable("weight")
    assert a is not b
    assert not np.array_equal(a.numpy(), b.numpy())
    assert len(network.variables) == 4
    a.assign(tf.zeros((6, 6)))
    assert np.abs(b.numpy()).sum() > 0  # not tied


def test_shared_variable_is_used_as_is():
    shared = tf.Variable(tf.ones((4, 4)), name="tied")
    first, second = Relu(4, weight=shared), Relu(4, weight=shared)
    Input(4) >> first >> second
    assert first.variable("weight") is shared and second.variable("weight") is shared
    assert "weight=<tf.Variable 'tied:0' shape=(4, 4)>" in repr(first)


def test_numpy_scalars_as_values_and_options():
    layer = Relu(3, weight=np.float32(2), alpha=np.float64(0.5))
    assert repr(layer) == "Relu(3, alpha=0.5, weight=Constant(2.0), bias=Constant(0), name='relu-1')"


def test_plain_callables_as_weight():
    seen = []

    def shape_only(shape):
        seen.append(shape)
        return np.ones(shape)

    def keras_style(shape, dtype=None):
        seen.append(dtype)
        return tf.zeros(shape, dtype)

    first, second = Relu(2, weight=shape_only), Relu(2, weight=keras_style)
    Input(3) >> first >> second
    np.testing.assert_array_equal(first.variable("weight").numpy(), np.ones((3, 2)))
    np.testing.assert_array_equal(second.variable("weight").numpy(), np.zeros((2, 2)))
    assert seen == [(3, 2), "float32"]
    broken = built(Relu(2, weight=lambda: 1))
    with pytest.raises(neuwidgets.InitializerError, match=r"relu-3.*'weight'.*TypeError") as info:
        broken.variable("weight")
    assert isinstance(info.value.__cause__, TypeError)

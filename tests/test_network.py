"""Networks: join / >>, shapes, layers, variables, parameter counts, output and predict
(REFERENCES.md §1)."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

import neuwidgets
from neuwidgets.layers import Dropout, Input, Network, Relu, Sigmoid, Softmax, Tanh, join


def test_repr_shapes_and_layers():
    network = Input(10) >> Relu(5) >> Sigmoid(15)
    assert isinstance(network, Network)
    assert repr(network) == "(?, 10) -> [... 3 layers ...] -> (?, 15)"
    assert network.input_shape == (None, 10) and network.output_shape == (None, 15)
    assert [layer.name for layer in network.layers] == ["input-1", "relu-1", "sigmoid-1"]
    assert [layer.input_shape for layer in network.layers] == [(None, 10), (None, 10), (None, 5)]
    assert repr(join(Input(3))) == "(?, 3) -> [... 1 layer ...] -> (?, 3)"


def test_join_and_rshift_agree():
    a, b, c = Input(4), Tanh(3), Softmax(2)
    assert [l.name for l in join(a, b, c).layers] == [l.name for l in (a >> b >> c).layers]
    assert (a >> (b >> c)).layers == [a, b, c]
    assert join(a >> b, c).layers == [a, b, c]


def test_layer_by_name():
    hidden = Relu(5, name="hidden")
    network = Input(10) >> hidden >> Relu(2)
    assert network.layer("hidden") is hidden
    assert network.layer("relu-1") is network.layers[2]
    with pytest.raises(neuwidgets.InvalidValueError, match=r"'nope'.*input-1, hidden, relu-1") as info:
        network.layer("nope")
    assert isinstance(info.value, ValueError)


def test_n_parameters():
    assert (Input(10) >> Relu(5) >> Relu(2)).n_parameters == 67
    assert (Input(10) >> Relu(5, bias=None) >> Dropout() >> Relu(2)).n_parameters == 50 + 12


def test_variables_ordered_and_shared_once():
    shared = tf.Variable(tf.ones((6, 6)), name="shared-weight")
    first, second, third = Relu(6, weight=shared), Relu(6, weight=shared), Sigmoid(2)
    network = Input(6) >> first >> second >> third
    variables = network.variables
    assert list(variables) == [(first, "weight"), (first, "bias"), (second, "bias"),
                               (third, "weight"), (third, "bias")]
    assert [v.name for v in variables.values()] == [
        "shared-weight:0", "layer/relu-1/bias:0", "layer/relu-2/bias:0",
        "layer/sigmoid-1/weight:0", "layer/sigmoid-1/bias:0"]
    assert network.n_parameters == 36 + 6 + 6 + 12 + 2


def test_variables_created_lazily_and_once():
    hidden = Relu(4)
    network = Input(3) >> hidden
    assert hidden._variables == {}  # nothing sampled at join time
    first = network.variables
    second = network.variables
    assert [id(v) for v in first.values()] == [id(v) for v in second.values()]
    assert hidden.variable("weight") is first[(hidden, "weight")]
    assert (Input(3) >> hidden).variables[(hidden, "weight")] is first[(hidden, "weight")]


def test_output_and_predict():
    network = Input(7) >> Relu(16) >> Tanh(5) >> Softmax(3)
    x = np.random.RandomState(0).randn(50, 7).astype(np.float32)
    out = network.output(tf.constant(x))
    assert isinstance(out, tf.Tensor) and out.dtype == tf.float32 and tuple(out.shape) == (50, 3)
    # The same function by hand.
    expected = x
    for layer in network.layers[1:]:
        expected = np.asarray(layer.activation(expected @ layer.variable("weight").numpy()
                                               + layer.variable("bias").numpy()))
    np.testing.assert_allclose(out.numpy(), np.asarray(expected), rtol=1e-5, atol=1e-6)
    predicted = network.predict(x)
    assert isinstance(predicted, np.ndarray) and predicted.shape == (50, 3)
    np.testing.assert_allclose(predicted, out.numpy(), rtol=1e-6)
    np.testing.assert_allclose(network.predict(x.astype(np.float64), batch_size=8), predicted, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(network.predict(x.tolist(), batch_size=64), predicted, rtol=1e-6, atol=1e-7)


def test_predict_edge_cases():
    network = Input(3) >> Relu(2)
    assert network.predict(np.zeros((0, 3)), batch_size=4).shape == (0, 2)
    for batch_size in (0, -1, 2.5):
        with pytest.raises(neuwidgets.NeuwidgetsError, match=rf"batch_size.*{batch_size}"):
            network.predict(np.zeros((4, 3)), batch_size=batch_size)


def test_output_training_flag_reaches_dropout():
    network = Input(200) >> Dropout(0.5)
    x = np.ones((100, 200), np.float32)
    np.testing.assert_array_equal(network.output(x, training=False).numpy(), x)
    trained = network.output(x, training=True).numpy()
    assert np.mean(trained == 0) == pytest.approx(0.5, abs=0.02)


# -- join errors -------------------------------------------------------------------------------

def test_join_shapes_that_do_not_fit():
    first = Input(10) >> Relu(5)
    second = Input(3) >> Relu(2)
    with pytest.raises(neuwidgets.ShapeError) as info:
        join(first, second)
    message = str(info.value)
    for part in ("relu-1", "(?, 5)", "input-2", "(?, 3)"):
        assert part in message
    assert isinstance(info.value, ValueError)


def test_join_layer_already_built_for_other_shape():
    hidden = Relu(4)
    Input(10) >> hidden
    with pytest.raises(neuwidgets.ShapeError) as info:
        Input(6) >> hidden
    for part in ("input-2", "(?, 6)", "relu-1", "(?, 10)"):
        assert part in str(info.value)
    assert hidden.input_shape == (None, 10)  # unchanged


def test_join_dense_after_multidimensional_input():
    with pytest.raises(neuwidgets.ShapeError) as info:
        Input((28, 28)) >> Relu(3)
    for part in ("input-1", "(?, 28, 28)", "relu-1", "(?, n_inputs)"):
        assert part in str(info.value)


def test_join_error_in_the_middle_changes_nothing():
    hidden = Relu(5)
    bad = Relu(2, weight=np.ones((4, 2)))
    with pytest.raises(neuwidgets.ShapeError, match=r"relu-1.*\(\?, 5\).*relu-2.*\(4, 2\).*\(5, 2\)"):
        join(Input(10), hidden, bad)
    assert hidden.input_shape is None and bad.input_shape is None


def test_join_layer_to_itself():
    layer = Relu(3)
    with pytest.raises(neuwidgets.InvalidValueError, match="relu-1.*itself") as info:
        layer >> layer
    assert isinstance(info.value, ValueError)
    network = Input(3) >> layer
    with pytest.raises(neuwidgets.InvalidValueError, match="relu-1.*itself"):
        network >> layer


def test_join_duplicate_names_and_bad_items():
    with pytest.raises(neuwidgets.InvalidValueError, match="'h'"):
        Input(2) >> Relu(2, name="h") >> Relu(2, name="h")
    with pytest.raises(neuwidgets.InvalidTypeError, match="join.*int"):
        join(Input(2), 3)
    with pytest.raises(neuwidgets.InvalidValueError):
        join()


def test_an_input_layer_only_starts_a_network():
    inputs = Input(10)
    for layers in ((Relu(5), inputs), (Input(10), inputs)):
        with pytest.raises(neuwidgets.InvalidValueError, match="input-1.*an Input layer can only start a network"):
            join(*layers)
    assert inputs.input_shape == (None, 10)  # a refused join changes nothing
    assert repr(Input(4) >> Relu(3)) == "(?, 4) -> [... 2 layers ...] -> (?, 3)"
    assert repr(Relu(3) >> Relu(2)) == "? -> [... 2 layers ...] -> ?"


def test_output_without_known_input_shape():
    with pytest.raises(neuwidgets.ShapeError, match="relu-1.*input shape unknown"):
        (Relu(3) >> Relu(2)).output(np.ones((1, 3), np.float32))


def test_variables_in_a_mirrored_strategy():
    """Variables are created inside the current tf.distribute strategy (two logical CPUs;
    logical devices must be set up before TensorFlow starts, hence a subprocess)."""
    script = textwrap.dedent("""
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from neuwidgets.layers import Input, Relu
        import numpy as np
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        shared = None
        with strategy.scope():
            shared = tf.Variable(tf.ones((4, 4)), name="shared")
            network = Input(4) >> Relu(4, weight=shared) >> Relu(4, weight=shared) >> Relu(2)
            variables = network.variables
        assert len(variables) == 5, len(variables)
        for v in variables.values():
            assert isinstance(v, tf.distribute.DistributedValues), type(v)
            assert strategy.extended.variable_created_in_scope(v), v.name
            assert len(v.values) == 2, v.values
        assert network.n_parameters == 16 + 4 + 4 + 8 + 2
        print("OK", sorted({type(v).__name__ for v in variables.values()}))
    """)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OK ['MirroredVariable']" in result.stdout


def test_output_of_wrong_input_shape():
    network = Input(10) >> Relu(2)
    for x in (np.ones((4, 5)), np.ones(10), np.ones((4, 10, 1))):
        with pytest.raises(neuwidgets.ShapeError, match=r"input-1.*\(\?, 10\), got \(") as info:
            network.predict(x)
        assert isinstance(info.value, ValueError)

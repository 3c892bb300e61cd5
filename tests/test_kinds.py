"""The layer kinds of the issue "Convolutional and normalization networks": Convolution,
MaxPooling, AveragePooling, GlobalPooling, Reshape, BatchNorm, LayerNorm, the
DeltaOrthogonal initializer and activation-only dense layers, through every view of a
network (Python, design, code, Keras, statistics); the layering of the package; and
the proof that a new kind is one module (here: one class) plus its registration.

Reference figures: REFERENCES §1 (NeuPy names, fans) and §5 (kernels, BatchNorm,
delta-orthogonal); NeuPy 0.8.2's ``neupy/layers/{convolutions,pooling,reshape,
normalization}.py`` for names and defaults; Keras 3 for output shapes.
"""
import ast
import inspect
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from neuwidgets import init, layers, stats
from neuwidgets.errors import InitializerError, InvalidTypeError, InvalidValueError, ShapeError
from neuwidgets.layers import (AveragePooling, BatchNorm, Convolution, Elu, GlobalPooling, Input, Layer, LayerNorm,
                               Linear, MaxPooling, Relu, Reshape, Softmax, Tanh, join)
from neuwidgets.layers.fields import Number, Parameter
from neuwidgets.spec import NetworkSpec
from neuwidgets.spec.schema import current_schema

ROOT = Path(__file__).resolve().parent.parent


def images(shape, n=4, seed=0):
    return np.random.default_rng(seed).standard_normal((n, *shape)).astype(np.float32)


def small_cnn(head="global"):
    """Convolution → Relu → MaxPooling → Convolution(same, stride 2) → BatchNorm → Tanh →
    GlobalPooling or Reshape → Softmax, every value seeded or fixed; BatchNorm's
    statistics, gamma and beta are not their defaults so that inference really uses them."""
    rng = np.random.default_rng(1)
    return (Input((12, 12, 3), name="image")
            >> Convolution((3, 3, 8), weight=init.HeNormal(gain=2, seed=1), bias=init.Normal(std=0.1, seed=2))
            >> Relu()
            >> MaxPooling(2)
            >> Convolution((3, 3, 16), padding="same", stride=2, weight=init.HeNormal(gain=2, seed=3))
            >> BatchNorm(gamma=rng.uniform(0.5, 1.5, 16), beta=rng.normal(0, 0.1, 16),
                         moving_mean=rng.normal(0, 0.5, 16), moving_variance=rng.uniform(0.5, 2.0, 16))
            >> Tanh()
            >> (GlobalPooling() if head == "global" else Reshape())
            >> Softmax(5, weight=init.XavierNormal(gain=2, seed=4), bias=init.Normal(std=0.1, seed=5)))


def norm_cnn():
    """LayerNorm, AveragePooling, a dilated convolution and activation-only layers."""
    return (Input((10, 10, 2))
            >> Convolution((3, 3, 6), dilation=2, padding="same", weight=init.HeNormal(gain=2, seed=6))
            >> LayerNorm(gamma=np.linspace(0.5, 1.5, 6), beta=np.linspace(-0.2, 0.2, 6))
            >> Elu(alpha=0.5)
            >> AveragePooling(3, stride=2, padding="same")
            >> Convolution((2, 2, 4), dilation=(1, 2), weight=init.Orthogonal(seed=7))
            >> Relu(alpha=0.1)
            >> Reshape()
            >> Linear(3, weight=init.HeNormal(seed=8)))


def frozen(network):
    """The design of ``network`` with every parameter's current values (no initializer):
    exports of it compute what ``network`` computes."""
    data = NetworkSpec.from_network(network).to_dict()
    for entry, layer in zip(data["layers"], network.layers):
        for parameter, value in (entry.get("parameters") or {}).items():
            if value is not None and "link" not in value:
                entry["parameters"][parameter] = {"values": layer.variable(parameter).numpy().tolist()}
    return NetworkSpec(data)


def run_script(code, name):
    """Execute exported code in a fresh namespace; return what it defines as ``name``."""
    namespace = {"__name__": "exported"}
    exec(compile(code, "<exported>", "exec"), namespace)
    return namespace[name]


def keras_counts(model):
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    return trainable, sum(math.prod(w.shape) for w in model.non_trainable_weights)


# -- NeuPy names, defaults, reprs ------------------------------------------------------------

def test_names_defaults_and_reprs_follow_neupy():
    # NeuPy 0.8.2: Convolution(size, padding='valid', stride=1, dilation=1, weight=HeNormal(gain=2), bias=0)
    assert list(inspect.signature(Convolution).parameters) == ["size", "padding", "stride", "dilation", "weight",
                                                               "bias", "name"]
    assert repr(Convolution((3, 3, 32))) == (
        "Convolution((3, 3, 32), padding='valid', stride=(1, 1), dilation=(1, 1), weight=HeNormal(gain=2), "
        "bias=Constant(0), name='convolution-1')")
    assert Convolution((5, 5, 6), stride=2, dilation=1).stride == (2, 2)
    assert Convolution((3, 3, 4), stride=(2, 1), name="c").stride == (2, 1)
    # NeuPy: MaxPooling(size, stride=None, padding='valid'); the stride defaults to the size
    assert list(inspect.signature(MaxPooling).parameters) == ["size", "stride", "padding", "name"]
    assert repr(MaxPooling((2, 2))) == "MaxPooling((2, 2), stride=None, padding='valid', name='max-pooling-1')"
    assert repr(MaxPooling(3, stride=1)) == "MaxPooling((3, 3), stride=(1, 1), padding='valid', name='max-pooling-2')"
    assert AveragePooling(2).steps == (2, 2) and AveragePooling(2).name == "average-pooling-2"
    assert repr(GlobalPooling("max")) == "GlobalPooling('max', name='global-pooling-1')"
    assert GlobalPooling().function == "avg"
    # NeuPy: Reshape(shape=-1): flatten
    assert repr(Reshape()) == "Reshape(-1, name='reshape-1')"
    assert repr(Reshape((4, -1))) == "Reshape((4, -1), name='reshape-2')"
    # NeuPy: BatchNorm(axes=None, alpha=0.1, beta=0, gamma=1, epsilon=1e-5, ...)
    batch = BatchNorm()
    assert (batch.name, batch.alpha, batch.epsilon) == ("batch-norm-1", 0.1, 1e-5)
    assert repr(batch) == ("BatchNorm(0.1, epsilon=1e-05, gamma=Constant(1), beta=Constant(0), "
                           "moving_mean=Constant(0), moving_variance=Constant(1), name='batch-norm-1')")
    assert repr(LayerNorm()) == "LayerNorm(1e-05, gamma=Constant(1), beta=Constant(0), name='layer-norm-1')"
    assert Convolution((1, 1, 1)).name == "convolution-3"  # a given name takes no number


def test_activation_only_dense_layers():
    hidden, relu = Linear(20, weight=init.Normal(std=1.0, seed=1)), Relu()
    network = Input(10) >> hidden >> relu
    assert repr(relu) == "Relu(alpha=0, name='relu-1')"
    assert relu.parameters == {} and relu.output_shape == (None, 20)
    assert network.n_parameters == 220 and [p for _, p in network.variables] == ["weight", "bias"]
    x = images((10,), n=6)
    np.testing.assert_allclose(network.predict(x), np.maximum(x @ hidden.variable("weight").numpy(), 0), atol=1e-5)
    # on an image it keeps the shape, and Keras computes the same
    conv = Input((5, 5, 2)) >> Convolution((3, 3, 4), weight=init.Normal(std=1.0, seed=2)) >> Tanh()
    assert conv.output_shape == (None, 3, 3, 4) and conv.n_parameters == 3 * 3 * 2 * 4 + 4
    x = images((5, 5, 2))
    np.testing.assert_allclose(conv.to_keras().predict(x, verbose=0), conv.predict(x), atol=1e-5)


# -- shapes --------------------------------------------------------------------------------

@pytest.mark.parametrize("image, size, padding, stride, dilation", [
    ((28, 28, 1), (5, 5, 6), "valid", 1, 1),
    ((28, 28, 1), (3, 3, 8), "same", 2, 1),
    ((9, 7, 3), (3, 2, 4), "valid", (2, 3), 1),
    ((9, 7, 3), (3, 3, 4), "same", (2, 3), 1),
    ((10, 10, 2), (3, 3, 4), "valid", 1, 2),
    ((10, 11, 2), (3, 2, 5), "same", 1, (2, 3)),
    ((5, 5, 1), (5, 5, 2), "valid", 1, 1),
])
def test_convolution_output_shapes_match_keras(image, size, padding, stride, dilation):
    layer = Convolution(size, padding=padding, stride=stride, dilation=dilation)
    network = Input(image) >> layer
    keras_layer = keras.layers.Conv2D(size[2], size[:2], strides=stride, padding=padding, dilation_rate=dilation)
    expected = tuple(keras_layer.compute_output_shape((None, *image)))
    assert network.output_shape == expected
    assert network.predict(images(image, n=2)).shape == (2, *expected[1:])
    assert layer.parameter_shapes() == {"weight": (*size[:2], image[2], size[2]), "bias": (size[2],)}


@pytest.mark.parametrize("kind, keras_class", [(MaxPooling, keras.layers.MaxPooling2D),
                                               (AveragePooling, keras.layers.AveragePooling2D)])
@pytest.mark.parametrize("size, stride, padding", [(2, None, "valid"), (2, None, "same"), (3, 2, "valid"),
                                                   ((3, 2), (1, 2), "same")])
def test_pooling_output_shapes_match_keras(kind, keras_class, size, stride, padding):
    network = Input((7, 9, 3)) >> kind(size, stride=stride, padding=padding)
    expected = tuple(keras_class(size, strides=stride, padding=padding).compute_output_shape((None, 7, 9, 3)))
    assert network.output_shape == expected
    assert network.predict(images((7, 9, 3), n=2)).shape == (2, *expected[1:])


def test_shapes_of_global_pooling_reshape_and_normalization():
    assert (Input((4, 4, 16)) >> GlobalPooling()).output_shape == (None, 16)
    assert (Input((6, 5)) >> GlobalPooling("max")).output_shape == (None, 5)
    assert (Input((7, 7, 32)) >> Reshape()).output_shape == (None, 1568)
    assert (Input((7, 7, 32)) >> Reshape((49, -1))).output_shape == (None, 49, 32)
    assert (Input(12) >> Reshape((2, 2, 3))).output_shape == (None, 2, 2, 3)
    batch, norm = BatchNorm(), LayerNorm()
    network = Input((5, 5, 3)) >> batch >> norm
    assert network.output_shape == (None, 5, 5, 3)
    assert batch.parameter_shapes() == {"gamma": (3,), "beta": (3,), "moving_mean": (3,), "moving_variance": (3,)}
    assert norm.parameter_shapes() == {"gamma": (3,), "beta": (3,)}
    assert (network.n_parameters, network.n_non_trainable) == (12, 6)
    x = images((5, 5, 3), n=3)
    np.testing.assert_allclose(GlobalPooling("max").output(tf.constant(x)).numpy(), x.max(axis=(1, 2)))
    # LayerNorm (gamma 1, beta 0): every position's channels have mean 0 and variance v / (v + epsilon)
    a, variance = norm.output(tf.constant(x)).numpy(), x.var(axis=-1)
    np.testing.assert_allclose(a.mean(axis=-1), 0, atol=1e-5)
    np.testing.assert_allclose(a.var(axis=-1), variance / (variance + 1e-5), rtol=1e-3)


def test_fans_and_he_std_of_a_kernel():
    """REFERENCES §5: (3, 3, 1, 32) → fan_in 9, fan_out 288; HeNormal(gain=2) std √(2/9) = 0.471."""
    assert init.fans((3, 3, 1, 32)) == (9, 288)
    layer = Convolution((3, 3, 32), weight=init.HeNormal(gain=2, seed=11))
    Input((28, 28, 1)) >> layer
    kernel = layer.variable("weight").numpy()
    assert kernel.shape == (3, 3, 1, 32)
    assert init.HeNormal(gain=2).expected_std(kernel.shape) == pytest.approx(math.sqrt(2 / 9)) == \
        pytest.approx(0.4714, abs=1e-4)
    assert kernel.std() == pytest.approx(0.471, rel=0.08)
    assert stats.weight_stats(Input((28, 28, 1)) >> Convolution((3, 3, 32)))[0].expected_std == \
        pytest.approx(0.4714, abs=1e-4)


def test_orthogonal_kernel_flattens_to_orthonormal_columns():
    """REFERENCES §5: (rows·cols·in, filters) with orthonormal columns when rows·cols·in ≥ filters."""
    layer = Convolution((3, 3, 16), weight=init.Orthogonal(seed=3))
    Input((8, 8, 2)) >> layer
    flat = layer.variable("weight").numpy().reshape(18, 16)
    np.testing.assert_allclose(flat.T @ flat, np.eye(16), atol=1e-5)


# -- networks: join, variables, predict, output -------------------------------------------------

def test_join_variables_predict_and_output():
    network = small_cnn()
    conv1, _, _, conv2, batch, _, _, softmax = network.layers[1:]
    assert repr(network) == "(?, 12, 12, 3) -> [... 9 layers ...] -> (?, 5)"
    assert [layer.output_shape for layer in network.layers[1:]] == [
        (None, 10, 10, 8), (None, 10, 10, 8), (None, 5, 5, 8), (None, 3, 3, 16), (None, 3, 3, 16),
        (None, 3, 3, 16), (None, 16), (None, 5)]
    assert [(layer.name, parameter) for layer, parameter in network.variables] == [
        ("convolution-1", "weight"), ("convolution-1", "bias"), ("convolution-2", "weight"),
        ("convolution-2", "bias"), ("batch-norm-1", "gamma"), ("batch-norm-1", "beta"),
        ("batch-norm-1", "moving_mean"), ("batch-norm-1", "moving_variance"), ("softmax-1", "weight"),
        ("softmax-1", "bias")]
    assert conv2.variable("weight").name == "layer/convolution-2/weight:0"
    assert network.n_parameters == (27 * 8 + 8) + (72 * 16 + 16) + 2 * 16 + (16 * 5 + 5)
    assert network.n_non_trainable == 32
    assert not batch.variable("moving_mean").trainable and batch.variable("gamma").trainable
    x = images((12, 12, 3), n=7)
    predictions = network.predict(x, batch_size=3)
    assert predictions.shape == (7, 5)
    np.testing.assert_allclose(predictions.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(network.output(x).numpy(), predictions, atol=1e-6)
    # the convolution by hand: one output value is the sum over its 3×3×3 window
    kernel, bias = conv1.variable("weight").numpy(), conv1.variable("bias").numpy()
    by_hand = (x[0, 2:5, 4:7, :, None] * kernel).sum(axis=(0, 1, 2)) + bias
    np.testing.assert_allclose(conv1.output(x[:1])[0, 2, 4].numpy(), by_hand, atol=1e-5)
    # inference mode uses BatchNorm's moving statistics
    z = tf.constant(images((3, 3, 16), n=2))
    gamma, beta = batch.variable("gamma").numpy(), batch.variable("beta").numpy()
    mean, variance = batch.variable("moving_mean").numpy(), batch.variable("moving_variance").numpy()
    np.testing.assert_allclose(batch.output(z).numpy(), gamma * (z.numpy() - mean) / np.sqrt(variance + 1e-5) + beta,
                               atol=1e-5)


def test_join_errors_name_both_layers_and_shapes():
    with pytest.raises(ShapeError) as error:
        Input(10) >> Convolution((3, 3, 4))
    assert str(error.value) == (
        "cannot join Input layer 'input-1' with output shape (?, 10) to Convolution layer 'convolution-1': "
        "expects input of shape (?, height, width, channels), got (?, 10); an image input is "
        "Input((height, width, channels))")
    with pytest.raises(ShapeError) as error:
        Input((6, 6, 1)) >> Convolution((3, 3, 4)) >> Relu(10)
    assert str(error.value) == ("cannot join Convolution layer 'convolution-2' with output shape (?, 4, 4, 4) to "
                                "Relu layer 'relu-1': expects input of shape (?, n_inputs), got (?, 4, 4, 4); "
                                "flatten it first with Reshape()")


# -- Keras --------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [small_cnn, lambda: small_cnn("reshape"), norm_cnn],
                         ids=["global-pooling", "reshape", "layernorm-avgpool-dilated"])
def test_to_keras_same_counts_and_predictions(make):
    network = make()
    model = network.to_keras()
    assert keras_counts(model) == (network.n_parameters, network.n_non_trainable)
    assert [layer.name for layer in model.layers] == [layer.name for layer in network.layers]
    x = images(network.input_shape[1:], n=16, seed=3)
    expected = network.predict(x)
    assert np.abs(model.predict(x, verbose=0) - expected).max() < 1e-5
    assert expected.std() > 0.01  # a real signal, not a constant


def test_shared_kernel_is_one_keras_variable_and_stays_tied_in_fit():
    kernel = tf.Variable(init.HeNormal(gain=2, seed=1).sample((3, 3, 4, 4)), name="shared-kernel")
    first, second = Convolution((3, 3, 4), padding="same", weight=kernel), \
        Convolution((3, 3, 4), padding="same", weight=kernel)
    network = Input((6, 6, 4)) >> first >> Relu() >> second >> GlobalPooling() >> Linear(2)
    assert first.variable("weight") is second.variable("weight") is kernel
    assert [(layer.name, p) for layer, p in network.variables][:3] == [
        ("convolution-1", "weight"), ("convolution-1", "bias"), ("convolution-2", "bias")]
    assert network.n_parameters == 144 + 4 + 4 + 10 == 162
    model = network.to_keras()
    assert model.count_params() == 162
    keras_first, keras_second = model.get_layer("convolution-1"), model.get_layer("convolution-2")
    assert keras_first.kernel is keras_second.kernel
    x = images((6, 6, 4), n=8)
    assert np.abs(model.predict(x, verbose=0) - network.predict(x)).max() < 1e-5
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, np.ones((8, 2), np.float32), epochs=1, batch_size=8, verbose=0)
    trained = keras_first.kernel.numpy()
    np.testing.assert_array_equal(trained, keras_second.kernel.numpy())
    assert np.abs(trained - kernel.numpy()).max() > 1e-4  # it did train


# -- designs and code export ------------------------------------------------------------------

def test_design_json_and_code_round_trips():
    network = small_cnn()
    spec = NetworkSpec.from_network(network)
    entry = spec.entry("convolution-2")
    assert {key: entry[key] for key in ("size", "padding", "stride", "dilation")} == {
        "size": [3, 3, 16], "padding": "same", "stride": [2, 2], "dilation": [1, 1]}
    assert entry["parameters"]["weight"] == {"initializer": {"name": "HeNormal", "params": {"gain": 2, "seed": 3}}}
    assert spec.entry("max-pooling-1")["stride"] is None
    again = NetworkSpec.from_json(spec.to_json())
    assert again == spec
    x = images((12, 12, 3), n=5)
    expected = network.predict(x)
    np.testing.assert_allclose(again.build().predict(x), expected, atol=1e-6)
    assert NetworkSpec.from_network(again.build()) == spec
    # neuwidgets code: the same design, the same predictions
    code = spec.to_code()
    assert "MaxPooling((2, 2), stride=None, padding='valid', name='max-pooling-1')," in code
    exported = run_script(code, "network")
    assert NetworkSpec.from_network(exported) == spec
    np.testing.assert_allclose(exported.predict(x), expected, atol=1e-6)
    # Keras code: the same counts; with the values in the design, the same predictions
    model = run_script(spec.to_code("keras"), "model")
    assert keras_counts(model) == (network.n_parameters, network.n_non_trainable) == (1509, 32)
    model = run_script(frozen(network).to_code("keras"), "model")
    assert np.abs(model.predict(x, verbose=0) - expected).max() < 1e-5


def test_code_export_of_layernorm_pooling_and_dilation():
    network = norm_cnn()
    spec = frozen(network)
    x = images((10, 10, 2), n=5)
    expected = network.predict(x)
    np.testing.assert_allclose(run_script(spec.to_code(), "network").predict(x), expected, atol=1e-6)
    model = run_script(spec.to_code("keras"), "model")
    assert keras_counts(model) == (network.n_parameters, 0)
    assert np.abs(model.predict(x, verbose=0) - expected).max() < 1e-5


def _linked_design(filters):
    return {"format": 2, "layers": [
        {"kind": "Input", "name": "in", "shape": [8, 8, 4]},
        {"kind": "Convolution", "name": "conv-a", "size": [3, 3, 4], "padding": "same"},
        {"kind": "Relu", "name": "relu"},
        {"kind": "Convolution", "name": "conv-b", "size": [3, 3, filters], "padding": "same",
         "parameters": {"weight": {"link": "conv-a"}, "bias": None}},
        {"kind": "GlobalPooling", "name": "pool"}]}


def test_linked_kernels_in_a_design():
    spec = NetworkSpec(_linked_design(4))
    result = spec.build_report()
    assert result.errors == []
    network = result.network
    assert network.layer("conv-b").variable("weight") is network.layer("conv-a").variable("weight")
    assert network.n_parameters == 144 + 4
    assert network.to_keras().count_params() == 148
    model = run_script(spec.to_code("keras"), "model")
    assert model.get_layer("conv-b").kernel is model.get_layer("conv-a").kernel and model.count_params() == 148
    code = spec.to_code()
    assert "weight=network.layer('conv-a').variable('weight')" in code
    assert run_script(code, "network").n_parameters == 148


def test_linking_kernels_of_other_shapes_is_a_soft_error_in_designs_and_refused_by_the_builder():
    from neuwidgets.widgets import NetworkBuilder
    result = NetworkSpec(_linked_design(8)).build_report()
    assert result.errors == [{"layer": "conv-b", "parameter": "weight", "kind": "link", "message":
                              "link to 'conv-a' does not fit: weight shape here is (3, 3, 4, 8), in 'conv-a' it is "
                              "(3, 3, 4, 4)"}]
    # the network is still built: conv-b keeps a kernel of its own
    assert result.network.layer("conv-b").variable("weight").shape == (3, 3, 4, 8)
    design = _linked_design(8)
    del design["layers"][3]["parameters"]
    builder = NetworkBuilder(design, plots=False)
    with pytest.raises(InvalidValueError, match=r"conv-b.*weight.*\(3, 3, 4, 8\).*'conv-a'.*\(3, 3, 4, 4\)"):
        builder.link("conv-b", "weight", "conv-a")
    assert builder.errors == [] and "link" not in builder.spec.entry("conv-b")["parameters"]["weight"]


# -- statistics ---------------------------------------------------------------------------------

def test_activation_stats_of_a_cnn_match_numpy():
    network = small_cnn()
    x = images((12, 12, 3), n=20, seed=5)
    records = stats.activation_stats(network, inputs=x, bins=20)
    assert [record.layer for record in records] == [layer.name for layer in network.layers[1:]]
    outputs, a = [], tf.constant(x)
    for layer in network.layers[1:]:
        a = layer.output(a, training=layer.batch_statistics)  # BatchNorm: batch statistics
        outputs.append(a.numpy().astype(np.float64))
    for record, values in zip(records, outputs):
        assert record.std == pytest.approx(values.std(), rel=1e-5)  # over batch, positions and channels
        assert record.mean == pytest.approx(values.mean(), rel=1e-4, abs=1e-6)
        assert record.counts.sum() == values.size
    conv, relu, batch = records[0], records[1], records[4]
    assert conv.pre_std == conv.std and relu.dead == np.mean(outputs[1] == 0)
    assert 0.3 < relu.dead < 0.7  # He-initialized ReLU: about half exactly zero
    assert batch.batch_statistics and not conv.batch_statistics
    # with batch statistics each channel's output has std gamma, whatever the moving statistics
    gamma = network.layers[5].variable("gamma").numpy()
    np.testing.assert_allclose(outputs[4].std(axis=(0, 1, 2)), gamma, rtol=1e-2)


@pytest.mark.parametrize("std", [0.01, 10.0])
def test_batchnorm_makes_tanh_see_a_unit_gaussian_whatever_the_weight_scale(std):
    """REFERENCES §5: with batch statistics, tanh after BN has std 0.627 for any weight scale;
    without BN the same kernels vanish (0.01) or saturate (10)."""
    def network(normalize):
        middle = [BatchNorm()] if normalize else []
        return join(Input((8, 8, 3)), Convolution((3, 3, 32), weight=init.Normal(std=std, seed=1)), *middle, Tanh())
    with_bn = stats.activation_stats(network(True), n_samples=100, seed=2)
    without = stats.activation_stats(network(False), n_samples=100, seed=2)
    assert with_bn[1].kind == "BatchNorm" and with_bn[1].std == pytest.approx(1.0, abs=0.01)
    assert with_bn[2].std == pytest.approx(0.627, abs=0.01)
    if std == 0.01:
        assert without[1].std < 0.06  # ≈ 0.01·√27: the signal vanishes
    else:
        assert without[1].std > 0.95 and without[1].saturated > 0.9


def test_weight_stats_of_a_kernel():
    network = Input((8, 8, 1)) >> Convolution((3, 3, 8), weight=init.HeNormal(gain=2, seed=4)) >> BatchNorm()
    records = stats.weight_stats(network, bins=10)
    assert [(r.layers, r.parameter) for r in records] == [
        (("convolution-1",), "weight"), (("convolution-1",), "bias"), (("batch-norm-1",), "gamma"),
        (("batch-norm-1",), "beta"), (("batch-norm-1",), "moving_mean"), (("batch-norm-1",), "moving_variance")]
    kernel = records[0]
    values = network.layers[1].variable("weight").numpy()
    assert kernel.shape == (3, 3, 1, 8) and kernel.counts.sum() == 72 and len(kernel.edges) == 11
    assert kernel.expected_std == pytest.approx(math.sqrt(2 / 9))
    assert kernel.std == pytest.approx(values.std(), rel=1e-5) and kernel.max == pytest.approx(values.max())
    assert kernel.label == "HeNormal(gain=2, seed=4)" and kernel.variable == "layer/convolution-1/weight:0"
    assert records[5].expected_std == 0 and records[5].mean == 1


# -- DeltaOrthogonal -------------------------------------------------------------------------

def test_delta_orthogonal_kernel_and_isometry():
    """Xiao et al. 2018 (REFERENCES §5): centre tap orthogonal × gain, other taps 0; a stride-1
    'same' convolution keeps every position's channel norm × gain."""
    gain = 1.5
    layer = Convolution((3, 3, 8), padding="same", weight=init.DeltaOrthogonal(gain=gain, seed=3), bias=None)
    network = Input((6, 6, 4)) >> layer
    kernel = layer.variable("weight").numpy()
    centre = kernel[1, 1]
    np.testing.assert_allclose(centre @ centre.T, gain ** 2 * np.eye(4), atol=1e-5)
    kernel[1, 1] = 0
    assert not kernel.any()
    x = images((6, 6, 4), n=5)
    ratio = np.linalg.norm(network.predict(x), axis=-1) / np.linalg.norm(x, axis=-1)
    np.testing.assert_allclose(ratio, gain, rtol=1e-5)
    assert init.DeltaOrthogonal(gain=gain).expected_std((3, 3, 4, 8)) == pytest.approx(gain / math.sqrt(72))
    # expected_std is the root mean square: gain·√in of √(3·3·in·filters) values
    assert np.sqrt(np.mean(layer.variable("weight").numpy() ** 2)) == pytest.approx(gain / math.sqrt(72), rel=1e-5)


def test_delta_orthogonal_needs_as_many_filters_as_input_channels():
    layer = Convolution((3, 3, 4), weight=init.DeltaOrthogonal())
    network = Input((6, 6, 8)) >> layer
    with pytest.raises(InitializerError) as error:
        network.variables
    message = str(error.value)
    assert message.startswith("Convolution layer 'convolution-1': parameter 'weight' (DeltaOrthogonal(gain=1.0))")
    assert "needs in_channels <= filters, got kernel (3, 3, 8, 4) with 8 input channels and 4 filters" in message


# -- bad input: one clear error each -------------------------------------------------------------

@pytest.mark.parametrize("join_them, layer, window, size", [
    (lambda: Input((4, 4, 1)) >> Convolution((5, 5, 4)), "Convolution layer 'convolution-1'", "5×5", 4),
    (lambda: Input((3, 3, 1)) >> MaxPooling(4), "MaxPooling layer 'max-pooling-1'", "4×4", 3),
])
def test_a_window_larger_than_the_input_leaves_no_output(join_them, layer, window, size):
    with pytest.raises(ShapeError) as error:
        join_them()
    assert str(error.value) == (
        f"cannot join Input layer 'input-1' with output shape (?, {size}, {size}, 1) to {layer}: its window "
        f"{window} is larger than the input {size}×{size} with padding 'valid', which leaves no output; expected a "
        f"window of at most {size}×{size}, or padding 'same'")


def test_kernel_larger_than_the_input():
    with pytest.raises(ShapeError, match=r"convolution-1': its window 3×3 \(dilated: 7 wide\) is larger than the "
                                         r"input 5×5"):
        Input((5, 5, 2)) >> Convolution((3, 3, 4), dilation=3)
    assert (Input((4, 4, 1)) >> Convolution((5, 5, 4), padding="same")).output_shape == (None, 4, 4, 4)


@pytest.mark.parametrize("value, error, shown", [(0, InvalidValueError, "0"), (-2, InvalidValueError, "-2"),
                                                 (1.5, InvalidTypeError, "1.5"), ((2, 0), InvalidValueError, "(2, 0)"),
                                                 ((1, 2, 3), InvalidValueError, "(1, 2, 3)"),
                                                 ("2", InvalidTypeError, "'2'")])
def test_bad_strides(value, error, shown):
    with pytest.raises(error) as raised:
        Convolution((3, 3, 4), stride=value)
    assert str(raised.value) == (f"Convolution layer 'convolution-1': stride must be 2 positive integers up to "
                                 f"1,000,000,000, or one number for all, got {shown}")


@pytest.mark.parametrize("make, message", [
    (lambda: Convolution((3, 0, 4)), "Convolution layer 'convolution-1': size must be 3 positive integers up to "
                                     "1,000,000,000, got (3, 0, 4)"),
    (lambda: Convolution((3, 3)), "Convolution layer 'convolution-1': size must be 3 positive integers up to "
                                  "1,000,000,000, got (3, 3)"),
    (lambda: Convolution((3, 3, 2.5)), "Convolution layer 'convolution-1': size must be 3 positive integers up to "
                                       "1,000,000,000, got (3, 3, 2.5)"),
    (lambda: MaxPooling(-1), "MaxPooling layer 'max-pooling-1': size must be 2 positive integers up to "
                             "1,000,000,000, or one number for all, got -1"),
    (lambda: AveragePooling(2, stride=0), "AveragePooling layer 'average-pooling-1': stride must be 2 positive "
                                          "integers up to 1,000,000,000, or one number for all, got 0"),
    (lambda: Convolution((3, 3, 4), dilation=0.5), "Convolution layer 'convolution-1': dilation must be 2 "
                                                   "positive integers up to 1,000,000,000, or one number for all, "
                                                   "got 0.5"),
    (lambda: Convolution((3, 3, 4), padding="full"), "Convolution layer 'convolution-1': padding must be one of "
                                                     "'valid', 'same', got 'full'"),
    (lambda: Convolution((3, 3, 4), stride=2, dilation=2), "Convolution layer 'convolution-1': stride (2, 2) and "
                                                           "dilation (2, 2) cannot both be above 1 (TensorFlow and "
                                                           "Keras do not support it); expected one of them (1, 1)"),
    (lambda: GlobalPooling("sum"), "GlobalPooling layer 'global-pooling-1': function must be one of 'avg', 'max', "
                                   "got 'sum'"),
    (lambda: BatchNorm(alpha=1.5), "BatchNorm layer 'batch-norm-1': alpha must be a finite number in (0, 1), "
                                   "got 1.5"),
    (lambda: Reshape((2, -1, -1)), "Reshape layer 'reshape-1': shape must be 1 to 8 positive integers up to "
                                   "1,000,000,000; one of them may be -1 (the rest), got (2, -1, -1)"),
])
def test_bad_settings(make, message):
    with pytest.raises((InvalidValueError, InvalidTypeError)) as error:
        make()
    assert str(error.value) == message


def test_pooling_that_leaves_no_output():
    with pytest.raises(ShapeError, match=r"to GlobalPooling layer 'global-pooling-1': expects input of shape "
                                         r"\(\?, positions\.\.\., channels\) .* got \(\?, 10\)"):
        Input(10) >> GlobalPooling()


def test_reshape_to_an_impossible_shape():
    with pytest.raises(ShapeError) as error:
        Input(10) >> Reshape((3, -1))
    assert str(error.value) == ("cannot join Input layer 'input-1' with output shape (?, 10) to Reshape layer "
                                "'reshape-1': cannot reshape (?, 10) (10 values a sample) to (?, 3, -1): 10 is not "
                                "a multiple of 3")
    with pytest.raises(ShapeError, match=r"'reshape-2': cannot reshape \(\?, 4, 4, 2\) \(32 values a sample\) to "
                                         r"\(\?, 5, 6\) \(30 values\)"):
        Input((4, 4, 2)) >> Reshape((5, 6))


def test_kernel_of_another_shape_given_directly():
    with pytest.raises(ShapeError, match=r"Convolution layer 'convolution-1': its weight variable 'kernel:0' has "
                                         r"shape \(3, 3, 2, 4\), expected \(3, 3, 1, 4\)"):
        Input((5, 5, 1)) >> Convolution((3, 3, 4), weight=tf.Variable(tf.zeros((3, 3, 2, 4)), name="kernel"))
    with pytest.raises(ShapeError, match=r"its weight array has shape \(3, 3, 4\), expected \(3, 3, 1, 4\)"):
        Input((5, 5, 1)) >> Convolution((3, 3, 4), weight=np.zeros((3, 3, 4)))


def test_batchnorm_on_an_unsupported_rank():
    with pytest.raises(ShapeError) as error:
        Input((2, 3, 4, 5)) >> BatchNorm()
    assert str(error.value) == (
        "cannot join Input layer 'input-1' with output shape (?, 2, 3, 4, 5) to BatchNorm layer 'batch-norm-1': "
        "normalizes inputs of shape (?, n), (?, length, n) or (?, height, width, n), got (?, 2, 3, 4, 5)")


def test_bad_settings_in_a_design_name_the_place():
    design = _linked_design(4)
    del design["layers"][3]["parameters"]
    design["layers"][1]["stride"] = [0, 1]
    with pytest.raises(InvalidValueError, match=r"design.layers\[1\] \(Convolution layer 'conv-a'\): stride must be "
                                                r"2 positive integers .* got \[0, 1\]"):
        NetworkSpec(design)
    design["layers"][1].update(stride=1, size=[9, 9, 4], padding="valid")
    with pytest.raises(ShapeError, match="window 9×9 is larger than the input 8×8"):
        NetworkSpec(design).build()


# -- layering of the package ------------------------------------------------------------------

#: Who may import whom: a module imports only modules of its rank or below (module level).
RANKS = ["errors", "shapes datasets limits files _tensorflow", "init", "network", "layers.fields", "layers.base", "layers.*", "layers",
         "spec spec.*", "theory", "stats", "training", "plotting", "lesson", "widgets widgets.*", "neuwidgets __main__"]
#: Modules of one rank that may import each other (a family).
FAMILIES = {"layers.*", "spec spec.*", "widgets widgets.*"}
CORE = ("errors", "shapes", "datasets", "limits", "files", "_tensorflow", "init", "network", "layers", "spec", "theory", "stats", "training")
UI = {"ipywidgets", "anywidget", "traitlets", "IPython", "matplotlib"}


def _modules():
    package = ROOT / "neuwidgets"
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _module_level(body):
    """Import statements run when the module is imported (not those inside functions)."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                yield from _module_level(getattr(node, field, None) or [])


def _imports(name, path, modules):
    """Absolute names of what module ``name`` imports at module level."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _module_level(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            parts = package.split(".")
            base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
        submodules = {f"{base}.{alias.name}" for alias in node.names} & set(modules)
        found |= submodules if len(submodules) == len(node.names) else {base}
    return found


def _rank(name):
    short = name.removeprefix("neuwidgets.")
    for index, group in enumerate(RANKS):
        for pattern in group.split():
            if short == pattern or (pattern.endswith(".*") and short.startswith(pattern[:-1])
                                    and short.count(".") == pattern.count(".")):
                return index, group
    raise AssertionError(f"module {name} has no place in RANKS")


def test_core_imports_no_user_interface_library():
    modules = _modules()
    core = [name for name in modules if name.removeprefix("neuwidgets.").split(".")[0] in CORE]
    assert len(core) >= 20 and "neuwidgets.layers.convolution" in core and "neuwidgets.spec.build" in core
    offending = {name: sorted(i for i in _imports(name, modules[name], modules) if i.split(".")[0] in UI)
                 for name in core}
    assert {name: found for name, found in offending.items() if found} == {}


def test_no_module_imports_a_module_above_it():
    modules = _modules()
    wrong = []
    for name, path in modules.items():
        rank, group = _rank(name)
        for imported in _imports(name, path, modules):
            if not imported.startswith("neuwidgets") or imported == name:
                continue
            if imported == "neuwidgets.layers.keras_support":
                wrong.append(f"{name} imports keras_support at module level (it imports Keras: import it lazily)")
                continue
            other, other_group = _rank(imported)
            if other > rank or (other == rank and group not in FAMILIES and imported != name):
                wrong.append(f"{name} ({group}) imports {imported} ({other_group})")
    assert wrong == []
    # the checker sees what it should: kinds import the base, the package imports the kinds
    assert "neuwidgets.layers.base" in _imports("neuwidgets.layers.convolution",
                                                modules["neuwidgets.layers.convolution"], modules)
    # the registry names every module of kinds (it imports them by name, in palette order)
    from neuwidgets.layers import FAMILIES as registry
    kinds = {name for name in modules if name.startswith("neuwidgets.layers.")
             and name.rsplit(".", 1)[1] not in ("base", "fields", "keras_support")}
    assert {f"neuwidgets.layers.{family}" for family in registry} == kinds


def test_importing_init_loads_no_plotting_or_widgets():
    code = ("from neuwidgets import init; import sys; "
            "print('matplotlib' in sys.modules, 'anywidget' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "False False"


# -- a new kind is one module plus its registration --------------------------------------------

class ScaledNorm(Layer):
    """Layer normalization without a shift: ``gamma · (x − mean) / √(variance + epsilon)``
    over the last axis (PyTorch's ``LayerNorm(bias=False)``; Keras' ``LayerNormalization(
    center=False)``). What a kind module holds: fields, parameters, shapes, forward, Keras."""

    fields = (Number("epsilon", default=1e-3, doc="added to the variance", minimum=0, maximum=1,
                     open=("minimum",)),)
    parameter_specs = (Parameter("gamma", init.Constant(1)),)
    keras_weights = {"gamma": "gamma"}

    def compute_parameter_shapes(self, input_shape):
        return {"gamma": (input_shape[-1],)}

    def forward(self, x, training=False):
        mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
        z = (x - mean) * tf.math.rsqrt(variance + self.epsilon) * self.parameter_tensor("gamma")
        return z, z

    def keras_spec(self):
        return "LayerNormalization", {"epsilon": self.epsilon, "center": False}


def kinds_in_schema():
    return current_schema()["properties"]["layers"]["items"]["properties"]["kind"]["enum"]


@pytest.fixture
def scaled_norm():
    """ScaledNorm registered for one test, as a kind module is (and then forgotten)."""
    kinds, names = dict(layers.KINDS), list(layers.__all__)
    assert layers.register(ScaledNorm) is ScaledNorm
    yield ScaledNorm
    layers.KINDS.clear()
    layers.KINDS.update(kinds)
    layers.__all__[:] = names
    delattr(layers, "ScaledNorm")


def test_a_registered_kind_works_everywhere_with_no_other_change(scaled_norm):
    from neuwidgets.widgets import NetworkBuilder
    assert layers.KINDS["ScaledNorm"] is scaled_norm and list(layers.KINDS)[-1] == "ScaledNorm"
    assert kinds_in_schema()[-1] == "ScaledNorm"
    norm = scaled_norm(epsilon=1e-4, gamma=np.array([0.5, 1.0, 1.5, 2.0]))
    assert repr(norm) == "ScaledNorm(0.0001, gamma=<array shape=(4,)>, name='scaled-norm-1')"
    network = (Input((6, 6, 3)) >> Convolution((3, 3, 4), weight=init.HeNormal(gain=2, seed=1)) >> norm >> Relu()
               >> GlobalPooling() >> Linear(2, weight=init.HeNormal(seed=2)))
    assert network.n_parameters == 112 + 4 + 10
    x = images((6, 6, 3), n=6)
    expected = network.predict(x)
    # designs: schema, validation, JSON, build
    spec = NetworkSpec.from_network(network)
    assert spec.entry("scaled-norm-1")["epsilon"] == 1e-4
    np.testing.assert_allclose(NetworkSpec.from_json(spec.to_json()).build().predict(x), expected, atol=1e-6)
    bad = spec.to_dict()
    bad["layers"][2]["epsilon"] = 2
    with pytest.raises(InvalidValueError, match=r"design.layers\[2\] \(ScaledNorm layer 'scaled-norm-1'\): "
                                                r"epsilon must be a finite number in \(0, 1\], got 2"):
        NetworkSpec(bad)
    # code export, both targets
    np.testing.assert_allclose(run_script(spec.to_code(), "network").predict(x), expected, atol=1e-6)
    model = run_script(frozen(network).to_code("keras"), "model")
    assert model.count_params() == network.n_parameters
    assert np.abs(model.predict(x, verbose=0) - expected).max() < 1e-5
    # Keras
    model = network.to_keras()
    assert model.count_params() == network.n_parameters
    assert np.abs(model.predict(x, verbose=0) - expected).max() < 1e-5
    # statistics
    records = stats.activation_stats(network, inputs=x)
    assert records[1].kind == "ScaledNorm" and records[1].std == pytest.approx(
        norm.output(network.layers[1].output(x)).numpy().std(), rel=1e-5)
    assert [(r.layers, r.parameter) for r in stats.weight_stats(network)][2] == (("scaled-norm-1",), "gamma")
    # the builder: palette, cards, adding one
    builder = NetworkBuilder(network, plots=False)
    kind = [k for k in builder.state["kinds"] if k["kind"] == "ScaledNorm"]
    assert kind == [{"kind": "ScaledNorm", "doc": "Layer normalization without a shift: ``gamma · (x − mean) / "
                     "√(variance + epsilon)``", "fields": [scaled_norm.fields[0].describe()], "starts_network": False}]
    name = builder.add_layer("ScaledNorm", index=4)
    card = builder.state["layers"][4]
    assert (name, card["kind"], card["n_parameters"], card["fields"][0]["value"]) == ("scaled-norm-2", "ScaledNorm", 4,
                                                                                      0.001)
    assert builder.network.n_parameters == network.n_parameters + 4


def test_register_refuses_what_is_not_a_new_kind():
    with pytest.raises(InvalidTypeError, match="register: expected a Layer subclass, got <class 'int'>"):
        layers.register(int)
    impostor = type("Tanh", (Layer,), {})
    with pytest.raises(InvalidValueError, match=r"register: the name 'Tanh' is taken by <class "
                                                r"'neuwidgets.layers.dense.Tanh'>; rename the class"):
        layers.register(impostor)
    with pytest.raises(InvalidValueError, match="register: the name 'Network' is taken"):
        layers.register(type("Network", (Layer,), {}))
    with pytest.raises(InvalidValueError, match="a class name starting with a letter A-Z, got 'np'"):
        layers.register(type("np", (Layer,), {}))
    assert layers.register(Tanh) is Tanh and list(layers.KINDS).count("Tanh") == 1  # again: nothing changes
    assert "ScaledNorm" not in layers.KINDS and kinds_in_schema() == list(layers.KINDS)  # the fixture's undone


def test_tensorflow_is_imported_once_and_quietly_when_neuwidgets_imports_it_first():
    """TensorFlow's C++ start-up lines (absl, oneDNN, CPU features) never reach stderr, and
    oneDNN stays on (its optimizations are TensorFlow's default)."""
    code = ("import os, sys\nfrom neuwidgets.layers import Input, Tanh\nnet = Input(4) >> Tanh(3)\n"
            "print(net.predict([[1, 2, 3, 4]]).shape, os.environ.get('TF_ENABLE_ONEDNN_OPTS'))")
    env = {key: value for key, value in os.environ.items() if not key.startswith("TF_")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**env, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0 and run.stdout.strip() == "(1, 3) None", run.stderr
    assert run.stderr == ""
    sources = [path.relative_to(ROOT).as_posix() for path in (ROOT / "neuwidgets").rglob("*.py")
               if path.name != "_tensorflow.py" and re.search(r"^\s*import tensorflow", path.read_text(), re.M)]
    assert sources == []  # one place imports TensorFlow: neuwidgets/_tensorflow.py

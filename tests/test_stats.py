"""neuwidgets.stats: parameter records and activation/gradient statistics, on real values."""
import random

import numpy as np
import pytest
import tensorflow as tf

from neuwidgets import (Dropout, Input, InvalidTypeError, InvalidValueError, Linear, Relu, Sigmoid,
                        Tanh, init, join, stats)
from neuwidgets.errors import NeuwidgetsError, ShapeError


@pytest.fixture
def shared_network():
    shared = tf.Variable(tf.ones((10, 10)), name="shared-weight")
    first, second = Relu(10, weight=shared), Relu(10, weight=shared)
    return Input(10) >> first >> second, first, second


# -- weight_stats / parameter_stats -------------------------------------------------------

def test_shared_variable_is_one_record_listing_both_layers(shared_network):
    network, first, second = shared_network
    records = stats.weight_stats(network)
    assert len(records) == 3  # 1 shared weight + 2 biases
    weight, bias_1, bias_2 = records
    assert weight.layers == (first.name, second.name)
    assert weight.shared and weight["parameter"] == "weight"
    assert weight.shape == (10, 10) and weight.variable == "shared-weight:0"
    assert weight.expected_std is None  # a tf.Variable has no theory
    assert weight.label == "<tf.Variable 'shared-weight:0'>"
    assert weight.counts.sum() == 100
    assert (weight.mean, weight.std, weight.min, weight.max) == (1.0, 0.0, 1.0, 1.0)
    assert bias_1.layers == (first.name,) and bias_2.layers == (second.name,)
    assert not bias_1.shared
    assert bias_1.expected_std == 0.0 and bias_1.label == "Constant(0)"
    assert isinstance(bias_1.initializer, init.Constant)


def test_parameter_stats_of_the_second_sharer_names_the_owner_first(shared_network):
    network, first, second = shared_network
    record = stats.parameter_stats(network, second, "weight")
    assert record.layers == (first.name, second.name)
    by_name = stats.parameter_stats(network, second.name, "weight", bins=7)
    assert by_name.layers == record.layers and len(by_name.counts) == 7 and len(by_name.edges) == 8
    alone = stats.parameter_stats(None, second, "weight")
    assert alone.layers == (second.name,)


def test_moments_and_histogram_match_numpy():
    layer = Tanh(40, weight=init.HeNormal(gain=2, seed=3), bias=init.Uniform(-0.5, 0.5, seed=4))
    network = Input(30) >> layer
    records = stats.weight_stats(network, bins=20)
    assert [r.parameter for r in records] == ["weight", "bias"]
    for record, name in zip(records, ["weight", "bias"]):
        values = layer.variables[name].numpy().astype(np.float64)
        assert record.shape == values.shape
        # computed in float32 by TensorFlow on the variable itself
        assert record.mean == pytest.approx(values.mean(), abs=1e-6)
        assert record.std == pytest.approx(values.std(), rel=1e-5)
        assert record.min == pytest.approx(values.min()) and record.max == pytest.approx(values.max())
        counts, edges = np.histogram(values, bins=20)
        assert np.abs(record.counts - counts).max() <= 1  # a value on a bin edge may round either way
        np.testing.assert_allclose(record.edges, edges)
        assert record.counts.sum() == values.size == record.size
    weight, bias = records
    assert weight.expected_std == pytest.approx(np.sqrt(2 / 30))
    assert weight.std == pytest.approx(weight.expected_std, rel=0.05)
    assert bias.expected_std == pytest.approx(1 / np.sqrt(12))
    assert weight.label == "HeNormal(gain=2, seed=3)"


def test_arrays_tensors_and_callables_have_no_expected_std():
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    network = Input(3) >> Linear(4, weight=array, bias=tf.constant([1.0, 2.0, 3.0, 4.0]))
    weight, bias = stats.weight_stats(network)
    assert weight.expected_std is None and weight.initializer is None and weight.label == "array"
    assert weight.mean == pytest.approx(5.5) and weight.counts.sum() == 12
    assert bias.expected_std is None and bias.label == "tensor"
    keras_like = Input(3) >> Linear(4, weight=lambda shape, dtype=None: np.ones(shape))
    assert stats.weight_stats(keras_like)[0].expected_std is None


def test_weight_stats_is_built_from_parameter_stats(monkeypatch, shared_network):
    network, _, _ = shared_network
    calls = []
    original = stats.parameter_stats

    def spy(*args, **kwargs):
        calls.append(args[1:])
        return original(*args, **kwargs)

    monkeypatch.setattr(stats, "parameter_stats", spy)
    records = stats.weight_stats(network)
    assert len(calls) == len(records) == 3


def test_records_read_like_dicts():
    record = stats.weight_stats(Input(2) >> Linear(3))[0]
    as_dict = record.asdict()
    assert set(as_dict) >= {"layers", "parameter", "shape", "mean", "std", "min", "max",
                            "expected_std", "counts", "edges"}
    assert record["std"] == as_dict["std"] == record.std
    assert record.get("nope", 5) == 5
    with pytest.raises(KeyError):
        record["nope"]


def test_parameter_stats_errors(shared_network):
    network, first, _ = shared_network
    with pytest.raises(InvalidValueError, match="no parameter 'gamma'"):
        stats.parameter_stats(network, first, "gamma")
    with pytest.raises(InvalidValueError, match="no layer named 'ghost'"):
        stats.parameter_stats(network, "ghost", "weight")
    with pytest.raises(InvalidValueError, match="not in this network"):
        stats.parameter_stats(network, Relu(3), "weight")
    with pytest.raises(InvalidValueError, match="bins"):
        stats.weight_stats(network, bins=0)
    with pytest.raises(InvalidTypeError):
        stats.parameter_stats(network, 3, "weight")


def test_a_failing_layer_elsewhere_is_named():
    class Broken(init.Initializer):
        def sample(self, shape):
            raise RuntimeError("boom")

    good = Relu(4)
    network = Input(3) >> good >> Relu(2, weight=Broken())
    for measure in (lambda: stats.parameter_stats(network, good, "weight"), lambda: stats.weight_stats(network)):
        with pytest.raises(NeuwidgetsError, match=r"Relu layer 'relu-2': parameter 'weight'.*RuntimeError: boom"):
            measure()


# -- activation_stats -----------------------------------------------------------------------

def test_one_record_per_layer_after_the_input_dropout_as_identity():
    hidden, drop, out = Relu(20, weight=init.HeNormal(gain=2, seed=1)), Dropout(0.5), Sigmoid(5)
    network = Input(8) >> hidden >> drop >> out
    records = stats.activation_stats(network, n_samples=300)
    assert [r.layer for r in records] == [hidden.name, drop.name, out.name]
    assert [r.kind for r in records] == ["Relu", "Dropout", "Sigmoid"]
    assert [r.index for r in records] == [1, 2, 3]
    assert records[1].std == records[0].std and records[1].dead == records[0].dead  # identity
    assert records[0].saturation is None and records[2].saturation == "logistic"
    assert records[0].counts.sum() == 300 * 20


def test_activation_values_match_the_network_output():
    rng = np.random.default_rng(5)
    inputs = rng.normal(size=(200, 6)).astype(np.float32)
    first = Relu(30, weight=init.HeNormal(gain=2, seed=2), bias=init.Normal(std=0.1, seed=3))
    last = Tanh(4, weight=init.Normal(std=1.0, seed=4))
    network = Input(6) >> first >> last
    records = stats.activation_stats(network, inputs=inputs, bins=10)
    hidden = np.maximum(inputs @ first.variables["weight"].numpy() + first.variables["bias"].numpy(), 0)
    output = network.predict(inputs)
    assert records[0].std == pytest.approx(hidden.std(), rel=1e-4)
    assert records[0].mean == pytest.approx(hidden.mean(), rel=1e-4)
    assert records[0].dead == pytest.approx(np.mean(hidden == 0))
    assert 0.3 < records[0].dead < 0.7
    assert records[1].std == pytest.approx(output.std(), rel=1e-4)
    assert records[1].saturated == pytest.approx(np.mean(np.abs(output) > 0.99))
    z = hidden @ last.variables["weight"].numpy() + last.variables["bias"].numpy()
    assert records[1].pre_std == pytest.approx(z.std(), rel=1e-4)
    assert len(records[1].counts) == 10


def test_gradient_std_matches_a_hand_computed_backward_pass():
    first = Linear(7, weight=init.Normal(std=0.5, seed=1), bias=None)
    second = Linear(3, weight=init.Normal(std=2.0, seed=2), bias=None)
    network = Input(5) >> first >> second
    inputs = np.random.default_rng(1).normal(size=(400, 5)).astype(np.float32)
    records = stats.activation_stats(network, inputs=inputs, seed=11)
    g = np.random.default_rng(11).standard_normal((400, 3))  # the documented upstream gradient
    assert records[1].grad_std == pytest.approx(g.std(), rel=1e-5)
    assert records[0].grad_std == pytest.approx((g @ second.variables["weight"].numpy().T).std(), rel=1e-4)


def test_saturation_rules():
    tanh = Tanh(50, weight=init.Normal(std=3.0, seed=1))
    sigmoid = Sigmoid(50, weight=init.Normal(std=3.0, seed=2))
    records = stats.activation_stats(Input(50) >> tanh >> sigmoid, n_samples=200)
    assert records[0].saturated > 0.8
    assert records[1].saturated > 0.5
    relu = stats.activation_stats(Input(50) >> Relu(50), n_samples=50)[0]
    assert relu.saturated == 0.0


def test_seeded_and_leaves_global_random_state_alone():
    network = Input(10) >> Tanh(10, weight=init.Normal(std=0.5, seed=0))
    numpy_state, python_state = np.random.get_state(), random.getstate()
    a = stats.activation_stats(network, n_samples=50, seed=3)
    b = stats.activation_stats(network, n_samples=50, seed=3)
    c = stats.activation_stats(network, n_samples=50, seed=4)
    assert a[0].std == b[0].std and a[0].grad_std == b[0].grad_std
    assert a[0].std != c[0].std
    after = np.random.get_state()
    assert after[0] == numpy_state[0] and np.array_equal(after[1], numpy_state[1])
    assert random.getstate() == python_state


def test_wrong_input_shape_names_expected_and_given():
    network = Input(10) >> Relu(3)
    with pytest.raises(InvalidValueError, match=r"\(\?, 10\).*\(5, 3\)"):
        stats.activation_stats(network, inputs=np.zeros((5, 3)))
    with pytest.raises(InvalidValueError, match=r"\(\?, 10\).*\(10,\)"):
        stats.activation_stats(network, inputs=np.zeros(10))
    with pytest.raises(InvalidValueError, match="finite"):
        stats.activation_stats(network, inputs=np.full((2, 10), np.nan))
    with pytest.raises(InvalidValueError, match="n_samples"):
        stats.activation_stats(network, n_samples=0)
    with pytest.raises(InvalidTypeError):
        stats.activation_stats(network, inputs=[["a"] * 10])


def test_network_without_input_layer_shape_is_an_error():
    with pytest.raises(ShapeError, match="input shape"):
        stats.activation_stats(join(Relu(3), Relu(2)))


def test_a_histogram_of_values_that_differ_in_their_last_digits_has_every_bin():
    from neuwidgets.stats import _histogram
    values = np.float32(3.0) + np.float32(2.4e-7) * np.arange(8, dtype=np.float32)  # float32 steps of 3.0
    counts, edges = _histogram(values, 50)
    assert counts.sum() == 8 and len(edges) == 51 and np.all(np.diff(edges) > 0)

"""Weights shared transposed (a tied autoencoder's decoder): core, design, code, Keras, CLI."""
import json

import numpy as np
import pytest
import tensorflow as tf

from neuwidgets import NetworkBuilder
from neuwidgets import __main__ as cli
from neuwidgets.errors import NeuwidgetsError
from neuwidgets.layers import Input, Linear, Transposed
from neuwidgets.spec import NetworkSpec

from _designs import dense, initializer


def square(*parameters):
    """Input(10) then a Tanh(10) layer per weight entry, named a, b, c, ..."""
    return {"format": 2, "layers": [{"kind": "Input", "name": "in", "shape": [10]}] + [
        dense("Tanh", chr(ord("a") + i), 10, weight, None) for i, weight in enumerate(parameters)]}


def test_transposed_takes_float32_variables_of_rank_2_only():
    for bad in (tf.Variable(np.zeros((5, 3))), tf.Variable(tf.zeros(3)), np.zeros((3, 5), "float32")):
        with pytest.raises(NeuwidgetsError, match="Transposed: expected a float32 tf.Variable of rank 2"):
            Transposed(bad)


def test_a_network_may_use_a_variable_transposed_before_it_is_used_as_it_is():
    shared = tf.Variable(tf.reshape(tf.range(12, dtype=tf.float32), (4, 3)), name="shared")
    network = Input(3) >> Linear(4, weight=Transposed(shared), bias=None) >> Linear(3, weight=shared, bias=None)
    assert network.n_parameters == 12
    x = np.ones((2, 3), "float32")
    expected = x @ shared.numpy().T @ shared.numpy()
    np.testing.assert_allclose(network.predict(x), expected)
    np.testing.assert_allclose(network.to_keras().predict(x, verbose=0), expected)


def test_a_link_to_the_layer_itself_is_refused_when_read():
    with pytest.raises(NeuwidgetsError, match=r"\(Tanh layer 'a'\): parameter 'weight': a layer cannot link to "
                                              r"itself, got link 'a'"):
        NetworkSpec.from_json(json.dumps(square({"link": "a"})))


def test_a_transposed_bias_is_refused_when_read():
    data = square(initializer("HeNormal"), initializer("HeNormal"))
    data["layers"][1]["parameters"]["bias"] = initializer("Constant")
    data["layers"][2]["parameters"]["bias"] = {"link": "a", "transpose": True}
    with pytest.raises(NeuwidgetsError, match=r"\(Tanh layer 'b'\): parameter 'bias': only a weight can be used "
                                              r"transposed"):
        NetworkSpec.from_json(json.dumps(data))


def test_transpose_false_is_accepted_and_not_stored():
    spec = NetworkSpec(square(initializer("HeNormal"), {"link": "a", "transpose": False}))
    assert spec.entry("b")["parameters"]["weight"] == {"link": "a"}


def test_a_transposed_link_to_a_later_layer_is_broken_and_the_builder_refuses_it():
    spec = NetworkSpec(square({"link": "b", "transpose": True}, initializer("HeNormal")))
    assert spec.build_report().errors[0]["message"].startswith(
        "a weight used transposed must belong to an earlier layer, got the later layer 'b'")
    builder = NetworkBuilder(square(initializer("HeNormal"), initializer("HeNormal")), plots=False)
    with pytest.raises(NeuwidgetsError, match="must belong to an earlier layer"):
        builder.link("a", "weight", "b", transpose=True)
    builder.link("b", "weight", "a", transpose=True)
    assert builder.network.layer("b").parameters["weight"].variable is builder.network.layer("a").variable("weight")


def test_code_export_keeps_every_users_orientation_when_the_owner_moves_first():
    # a uses c's weight as it is, d uses it transposed; code makes a the owner
    spec = NetworkSpec(square({"link": "c"}, initializer("HeNormal"), initializer("HeNormal", seed=3),
                              {"link": "c", "transpose": True}))
    namespace = {}
    exec(spec.to_code(), namespace)
    network = namespace["network"]
    assert NetworkSpec.from_network(network).entry("d")["parameters"]["weight"] == {"link": "a", "transpose": True}
    assert isinstance(network.layer("d").parameters["weight"], Transposed)
    exec(spec.to_code("keras"), namespace)
    model = namespace["model"]
    assert type(model.get_layer("d")).__name__ == "SharedTiedDense"  # x @ kernelᵀ
    assert model.get_layer("d").kernel is model.get_layer("a").kernel
    assert model.count_params() == network.n_parameters == 2 * 100


def test_the_command_line_refuses_a_broken_link(tmp_path, capsys):
    design = tmp_path / "design.json"
    design.write_text(json.dumps(square(initializer("HeNormal"), {"link": "nowhere"})))
    status = cli.main(["render", str(design), "-o", str(tmp_path / "w.png")])
    assert status == 2
    assert "Tanh layer 'b': parameter 'weight': link to a missing layer 'nowhere'" in capsys.readouterr().err
    assert not (tmp_path / "w.png").exists()


def test_a_network_holding_an_untrusted_placeholder_cannot_pass_for_a_design():
    code = "class Gamma(init.Initializer):\n    def sample(self, shape):\n        return tf.ones(shape)\n"
    data = square({"initializer": {"name": "Gamma", "params": {}}})
    data["custom"] = {"Gamma": code}
    network = NetworkSpec(data).build_report().network
    assert repr(network.layer("a").parameters["weight"]) == "<untrusted custom initializer 'Gamma'>"
    with pytest.raises(NeuwidgetsError, match="stands for the untrusted custom initializer 'Gamma'"):
        NetworkSpec.from_network(network)


def test_weight_stats_take_the_owner_not_the_transposed_user():
    from neuwidgets import stats
    builder = NetworkBuilder(square(initializer("HeNormal", gain=2), initializer("Normal")), plots=False)
    builder.link("b", "weight", "a", transpose=True)
    records = stats.weight_stats(builder.network)
    assert len(records) == 1 and records[0].layers == ("a", "b")
    assert records[0].label == "HeNormal(gain=2)" and records[0].expected_std == pytest.approx(np.sqrt(2 / 10))
    assert builder.state["layers"][2]["parameters"][0]["shape"] == [10, 10]

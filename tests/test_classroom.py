"""The classroom loop: whole-network edits, live sliders (previews), the design's seed,
pinned comparisons, a held chart range, and panels sent as binary messages."""
import json
import random

import numpy as np
import pytest

from neuwidgets import NetworkBuilder, NetworkSpec, NeuwidgetsError, init, stats
from neuwidgets.spec.schema import MAX_PINS


def tanh_design(depth=4, width=6, seed=5):
    layers = [{"kind": "Input", "name": "in", "shape": [width]}]
    weight = {"initializer": {"name": "Normal", "params": {"std": 1.0}}}
    layers += [{"kind": "Tanh", "name": f"t{i}", "n_units": width, "parameters": {"weight": weight}}
               for i in range(1, depth + 1)]
    return {"format": 2, "seed": seed, "layers": layers}


@pytest.fixture
def builder():
    return NetworkBuilder(tanh_design(), plots=False)


def send(builder, op, seq=1, **args):
    builder._on_message(builder, {"type": "edit", "seq": seq, "op": op, "args": args}, [])
    return builder.notice


def weights(builder):
    return {layer.name: layer.variable("weight").numpy().copy() for layer in builder.network.layers[1:]}


def weight_config(builder, name):
    return builder.spec.entry(name)["parameters"]["weight"]["initializer"]


# -- whole-network edits -----------------------------------------------------------------------

def test_a_list_of_layers_is_one_edit_and_one_undo(builder):
    before = builder.spec
    builder.set_initializer(["t1", "t3", "t4"], "weight", init.Normal(std=0.5))
    assert [weight_config(builder, n)["params"]["std"] for n in ("t1", "t2", "t3", "t4")] == [0.5, 1.0, 0.5, 0.5]
    builder.undo()
    assert builder.spec == before and not builder.state["can_undo"]


@pytest.mark.parametrize("names, message", [
    (["t1", "nope"], "set_initializer: no layer named 'nope'; layers: in, t1, t2, t3, t4"),
    (["t1", "t2", "t1"], "set_initializer: layer 't1' is named twice; name each layer once"),
    ([], "expected a layer name or a non-empty list of layer names"),
    (["t1", "in"], "Input layer 'in' has no parameter 'weight'"),
])
def test_a_refused_list_changes_none_of_them(builder, names, message):
    spec, network = builder.spec, builder.network
    with pytest.raises(NeuwidgetsError) as caught:
        builder.set_initializer(names, "weight", init.Normal(std=0.5))
    assert message in str(caught.value)
    assert builder.spec is spec and builder.network is network and not builder.state["can_undo"]


def test_scope_kind_and_all_are_expanded_in_python_and_leave_links_to_their_owner(builder):
    builder.add_layer("Relu", 6, name="r")
    builder.add_layer("Tanh", 6, name="tied")
    builder.link("tied", "weight", "t2")
    config = {"name": "Normal", "params": {"std": 0.2}}
    assert send(builder, "set_initializer", name="t1", parameter="weight", initializer=config, scope="kind")["ok"]
    stds = {entry["name"]: (entry.get("parameters") or {}).get("weight") for entry in builder.spec.layers[1:]}
    assert [stds[n]["initializer"]["params"]["std"] for n in ("t1", "t2", "t3", "t4")] == [0.2] * 4
    assert stds["r"]["initializer"]["name"] == "HeNormal" and stds["tied"] == {"link": "t2"}
    config = {"name": "Normal", "params": {"std": 0.3}}
    assert send(builder, "set_initializer", name="r", parameter="bias", initializer=config, scope="all")["ok"]
    assert {entry["name"] for entry in builder.spec.layers[1:]
            if entry["parameters"]["bias"]["initializer"]["name"] == "Normal"} == {"t1", "t2", "t3", "t4", "r", "tied"}
    builder.undo()
    builder.undo()
    assert weight_config(builder, "t1")["params"]["std"] == 1.0  # each message one undo step
    notice = send(builder, "set_initializer", name="t1", parameter="weight", initializer=config, scope="some")
    assert notice["ok"] is False and "scope must be one of 'layer', 'kind', 'all', got 'some'" in notice["message"]


def test_a_recipe_sets_every_kernel_parameter_in_one_undoable_step(builder):
    builder.add_layer("Relu", 6, name="r")
    before = builder.spec
    assert send(builder, "apply_recipe", label="He")["ok"]
    assert {weight_config(builder, n)["name"] for n in ("t1", "t2", "t3", "t4", "r")} == {"HeNormal"}
    assert builder.network.layer("t3").parameters["weight"].gain == 2
    assert builder.spec.entry("r")["parameters"]["bias"]["initializer"]["name"] == "Constant"  # biases stay
    assert builder.state["recipes"][3] == {"label": "He", "initializer": {"name": "HeNormal",
                                                                        "params": {"gain": 2, "seed": None}}}
    assert [recipe["label"] for recipe in builder.state["recipes"]] == list(init.RECIPES) == [
        "std 0.01", "N(0, 1)", "Xavier", "He", "LeCun", "Orthogonal"]
    builder.undo()
    assert builder.spec == before
    notice = send(builder, "apply_recipe", label="Kaiming")
    assert notice["ok"] is False and "unknown recipe 'Kaiming'; expected one of 'std 0.01'" in notice["message"]
    empty = NetworkBuilder({"format": 2, "layers": [{"kind": "Input", "name": "in", "shape": [3]}]}, plots=False)
    with pytest.raises(NeuwidgetsError, match="no layer has a weight of its own"):
        empty.apply_recipe("He")


# -- live sliders ------------------------------------------------------------------------------

def test_twenty_previews_and_the_release_are_exactly_one_undo_step(builder):
    before = builder.spec
    builder.set_initializer("t1", "weight", init.Normal(std=0.3))
    dragged = builder.spec
    for step, std in enumerate(np.geomspace(0.01, 2.0, 20)):
        notice = send(builder, "set_initializer", seq=step, name="t2", parameter="weight", preview=True,
                      initializer={"name": "Normal", "params": {"std": float(std)}}, scope="kind")
        assert notice["ok"] and notice["seq"] == step
        assert builder.network.layer("t4").parameters["weight"].std == pytest.approx(std)
        assert builder.state["can_undo"]
    assert send(builder, "set_initializer", name="t2", parameter="weight", scope="kind",
                initializer={"name": "Normal", "params": {"std": 1.75}})["ok"]
    assert builder.network.layer("t2").parameters["weight"].std == 1.75  # the kernel's value is the slider's
    assert np.std(builder.network.layer("t2").variable("weight").numpy()) > 0.5
    builder.undo()
    assert builder.spec == dragged  # one step back: before the drag
    builder.undo()
    assert builder.spec == before
    builder.redo()
    builder.redo()
    assert weight_config(builder, "t3")["params"]["std"] == 1.75


@pytest.mark.parametrize("std, message", [
    (25.0, "Normal std from the slider must be a number from 0.0001 to 10, got 25.0"),
    (float("nan"), "Normal: std must be finite, got nan"),
    ("0.1", "Normal: std must be a number, got '0.1'"),
])
def test_a_refused_preview_changes_nothing(builder, std, message):
    send(builder, "set_initializer", name="t1", parameter="weight", preview=True,
         initializer={"name": "Normal", "params": {"std": 0.5}})
    spec, network = builder.spec, builder.network
    notice = send(builder, "set_initializer", seq=4, name="t1", parameter="weight", preview=True,
                  initializer={"name": "Normal", "params": {"std": std}})
    assert notice["ok"] is False and notice["seq"] == 4 and message in notice["message"]
    assert builder.spec is spec and builder.network is network
    builder.undo()  # the drag so far is still one step
    assert weight_config(builder, "t1")["params"]["std"] == 1.0


def test_a_drag_interrupted_by_another_edit_is_one_step_of_its_own(builder):
    before = builder.spec
    for std in (0.1, 0.2, 0.3):
        builder.set_initializer("t1", "weight", init.Normal(std=std), preview=True)
    builder.set_units("t4", 3)
    builder.undo()
    assert weight_config(builder, "t1")["params"]["std"] == 0.3
    builder.undo()
    assert builder.spec == before


def test_slider_ranges_are_stated_once_on_the_classes_and_published(builder):
    catalog = {entry["name"]: {p["name"]: p["range"] for p in entry["params"]} for entry in builder.state["initializers"]}
    assert catalog["Normal"] == {"mean": {"min": -1.0, "max": 1.0, "log": False},
                                 "std": {"min": 1e-4, "max": 10.0, "log": True}, "seed": None}
    assert catalog["HeNormal"]["gain"] == {"min": 0.01, "max": 100.0, "log": True}
    assert catalog["Uniform"]["minval"]["log"] is False and catalog["Orthogonal"]["scale"]["log"] is True
    for name, cls in init.BUILTINS.items():  # every numeric parameter of a built-in has a slider
        for parameter, (low, high, log) in cls.ranges.items():
            assert catalog[name][parameter] == {"min": low, "max": high, "log": log} and low < high
            assert not log or low > 0


# -- the design's seed ---------------------------------------------------------------------------

def test_a_saved_design_builds_to_the_same_values_without_touching_global_random_state(tmp_path):
    builder = NetworkBuilder(tanh_design(seed=123), plots=False)
    builder.set_initializer("t2", "weight", init.Normal(std=0.5, seed=9))  # its own seed wins
    path = tmp_path / "design.json"
    builder.save(path)
    state = (random.getstate(), np.random.get_state()[1].copy())
    first, second = (NetworkSpec.from_json(path.read_text()).build() for _ in range(2))
    assert random.getstate() == state[0] and np.array_equal(np.random.get_state()[1], state[1])
    for layer in ("t1", "t2", "t4"):
        np.testing.assert_array_equal(first.layer(layer).variable("weight").numpy(),
                                      second.layer(layer).variable("weight").numpy())
        np.testing.assert_array_equal(first.layer(layer).variable("weight").numpy(),
                                      builder.network.layer(layer).variable("weight").numpy())
    np.testing.assert_array_equal(second.layer("t2").variable("weight").numpy(),
                                  init.Normal(std=0.5, seed=9).sample((6, 6)).numpy())
    # each parameter its own stream: (design seed, layer, parameter)
    assert not np.array_equal(first.layer("t1").variable("weight").numpy(), first.layer("t3").variable("weight").numpy())
    expected = init.Normal(std=1.0)
    expected.design_seed = init.derive_seed(123, "t3", "weight")
    np.testing.assert_array_equal(first.layer("t3").variable("weight").numpy(), expected.sample((6, 6)).numpy())
    assert init.derive_seed(123, "t3", "weight") == init.derive_seed(123, "t3", "weight") != init.derive_seed(
        124, "t3", "weight")


def test_a_custom_initializer_follows_the_design_seed_through_seed_tensor():
    code = ("class Noisy(init.Initializer):\n    def sample(self, shape):\n"
            "        return tf.random.stateless_normal(shape, self.seed_tensor())\n")
    design = tanh_design(depth=1)
    design["custom"] = {"Noisy": code}
    design["layers"][1]["parameters"] = {"weight": {"initializer": {"name": "Noisy", "params": {}}}}
    a, b = (NetworkSpec(design, trust=True).build().layer("t1").variable("weight").numpy() for _ in range(2))
    np.testing.assert_array_equal(a, b)


def test_resample_draws_with_a_new_seed_as_one_undoable_edit(builder):
    before, seed = weights(builder), builder.seed
    assert builder.state["seed"] == seed == 5
    assert send(builder, "resample")["ok"]
    assert builder.seed != seed and builder.state["seed"] == builder.seed
    after = weights(builder)
    assert all(not np.array_equal(before[name], after[name]) for name in before)
    assert builder.resample(seed=77) == 77 and builder.seed == 77
    builder.undo()
    builder.undo()
    assert builder.seed == 5
    np.testing.assert_array_equal(weights(builder)["t1"], before["t1"])  # the same seed, the same values
    with pytest.raises(NeuwidgetsError, match=r"design.seed: .*maximum"):
        builder.resample(seed=2 ** 40)


def test_resample_says_so_when_every_parameter_has_its_own_seed(builder):
    for index, name in enumerate(["t1", "t2", "t3", "t4"]):
        builder.set_initializer(name, "weight", init.Normal(std=0.1, seed=index))
    spec = builder.spec
    notice = send(builder, "resample")
    assert notice["ok"] is False and notice["message"].startswith(
        "resample: no parameter draws from the design's seed: every initializer has a seed of its own")
    assert builder.spec is spec


def test_a_builder_gives_a_design_without_a_seed_one():
    builder = NetworkBuilder(plots=False, seed=42)
    assert builder.seed == 42 and json.loads(builder.spec.to_json())["seed"] == 42
    assert isinstance(NetworkBuilder(plots=False).seed, int)


# -- pinned comparisons -------------------------------------------------------------------------

def test_pins_keep_the_profile_per_named_layer_and_are_saved(builder, tmp_path):
    builder.apply_recipe("std 0.01")
    records = stats.activation_stats(builder.network, n_samples=256, bins=None)
    assert send(builder, "pin")["ok"] and builder.pins[0]["label"] == "std 0.01"
    builder.apply_recipe("He")
    assert builder.pin() == "He" and builder.pin("my run") == "my run"
    first = builder.pins[0]
    assert first["layers"] == ["t1", "t2", "t3", "t4"]
    np.testing.assert_allclose(first["std"], [r.std for r in records], rtol=1e-3)
    np.testing.assert_allclose(first["grad_std"], [r.grad_std for r in records], rtol=1e-3)
    assert first["saturated"] == [0.0] * 4 and set(first) == {"label", "layers", "std", "grad_std", "saturated", "dead"}
    assert builder.state["pins"] == ["std 0.01", "He", "my run"]
    path = tmp_path / "pinned.json"
    builder.save(path)
    assert NetworkBuilder(plots=False).load(path) is None
    reopened = NetworkBuilder(NetworkSpec.from_json(path.read_text()), plots=False)
    assert reopened.pins == builder.pins
    assert send(builder, "unpin", label="He")["ok"] and builder.state["pins"] == ["std 0.01", "my run"]
    builder.undo()
    assert builder.state["pins"] == ["std 0.01", "He", "my run"]
    notice = send(builder, "unpin", label="Nope")
    assert notice["ok"] is False and "no pin labelled 'Nope'; pins: 'std 0.01', 'He', 'my run'" in notice["message"]
    assert builder.pin() == "He (2)"  # labels stay unique


def test_pinning_refuses_an_empty_network_a_taken_or_odd_label_and_a_ninth_pin(builder):
    empty = NetworkBuilder({"format": 2, "layers": [{"kind": "Input", "name": "in", "shape": [3]}]}, plots=False)
    with pytest.raises(NeuwidgetsError, match="pin: the network has no layers after the input"):
        empty.pin()
    assert empty.pins == []
    builder.pin("a")
    for label, message in (("a", "a pin labelled 'a' exists already"), ("x" * 41, "1 to 40 printable characters"),
                           ("<b>\n", "1 to 40 printable characters"), (7, "1 to 40 printable")):
        with pytest.raises(NeuwidgetsError, match=message):
            builder.pin(label)
    for index in range(MAX_PINS - 1):
        builder.pin()
    spec = builder.spec
    with pytest.raises(NeuwidgetsError, match=r"pin: at most 8 pins are kept; unpin one of 'a', 'N\(0, 1\)', 'N\(0, 1\) \(2\)'"):
        builder.pin()
    assert builder.spec is spec


@pytest.mark.parametrize("change, message", [
    (lambda pin: pin.update(label="x" * 41), "design.pins[0].label: maxLength is 40, got 41"),
    (lambda pin: pin.update(std=[float("nan")] * 4), "design.pins[0].std: numbers must be finite"),
    (lambda pin: pin.update(std=[1e999] * 4), "inf does not fit (maximum 3.4"),
    (lambda pin: pin.update(dead=[0.5]), "design.pins[0].dead: expected one number per layer (4), got 1"),
    (lambda pin: pin.update(layers=["<script>"] * 4), "design.pins[0].layers: a layer name is 1 to 64 letters"),
    (lambda pin: pin.update(extra=1), "design.pins[0]: unexpected field 'extra'"),
])
def test_pins_in_a_design_are_validated_strictly(builder, change, message):
    builder.pin("p")
    data = builder.spec.to_dict()
    change(data["pins"][0])
    with pytest.raises(NeuwidgetsError) as caught:
        NetworkSpec.from_json(json.dumps(data))
    assert message in str(caught.value)
    data = builder.spec.to_dict()
    data["pins"] = data["pins"] * (MAX_PINS + 1)
    with pytest.raises(NeuwidgetsError, match=r"design.pins: maxItems is 8, got 9"):
        NetworkSpec(data)


def test_the_chart_range_can_be_held_so_that_charts_compare():
    builder = NetworkBuilder(tanh_design(), seed=3)
    assert builder.state["y_range"] is None and builder.held_range is None
    chart = builder.depth_chart
    assert chart.startswith(b"\x89PNG")
    assert send(builder, "hold_range", hold=True)["ok"]
    assert builder.state["y_range"] == [0.01, 10.0] == list(builder.held_range)
    builder.set_initializer("t1", "weight", init.Normal(std=0.001))
    assert builder.held_range == (0.01, 10.0) and builder.depth_chart != chart
    assert send(builder, "hold_range", hold=False)["ok"] and builder.state["y_range"] is None
    assert send(builder, "hold_range", hold="yes")["message"] == "hold_range: hold must be true or false, got 'yes'"


# -- what is sent to the browser -----------------------------------------------------------------

def test_only_changed_panels_are_sent_as_binary_buffers_and_a_view_can_ask_for_all():
    builder = NetworkBuilder(tanh_design(depth=3), seed=1)
    sent = []
    builder.send = lambda content, buffers=None: sent.append((content, buffers))
    assert set(builder.panels) == {f"t{i}/{p}" for i in (1, 2, 3) for p in ("weight", "bias")}
    builder.set_initializer("t2", "weight", init.Normal(std=0.1))
    (content, buffers), = sent
    assert content == {"type": "panels", "full": False, "removed": [], "panels": {"t2/weight": 0}}
    assert buffers == [builder.panels["t2/weight"]] and buffers[0].startswith(b"\x89PNG")
    sent.clear()
    builder._on_message(builder, {"type": "request_panels"}, [])
    (content, buffers), = sent
    assert content["full"] is True and set(content["panels"]) == set(builder.panels)
    # the three zero biases are one picture, sent once
    assert len(buffers) == 4 and len({content["panels"][f"t{i}/bias"] for i in (1, 2, 3)}) == 1
    sent.clear()
    builder.remove_layer("t3")
    (content, _), = sent
    assert sorted(content["removed"]) == ["t3/bias", "t3/weight"]


def test_the_card_shows_the_measured_std(builder):
    builder.set_initializer("t1", "weight", init.Normal(std=0.01))
    weight = builder.state["layers"][1]["parameters"][0]
    measured = float(np.std(builder.network.layer("t1").variable("weight").numpy()))
    assert weight["measured_std"] == pytest.approx(measured, rel=1e-3) and weight["measured_std"] < 0.02
    assert builder.state["layers"][1]["parameters"][1]["measured_std"] == 0.0  # the zero bias

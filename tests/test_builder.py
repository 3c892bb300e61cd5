"""State-level tests of NetworkBuilder: every Python method and every front-end message."""
import sys

import numpy as np
import pytest
import tensorflow as tf

from neuwidgets import NetworkBuilder, NeuwidgetsError, init
from neuwidgets.layers import Input, Relu, Sigmoid, join


def names(network):
    return [v.name for v in network.variables.values()]


@pytest.fixture
def builder():
    return NetworkBuilder(plots=False)


def send(builder, op, seq=1, **args):
    builder._on_message(builder, {"type": "edit", "seq": seq, "op": op, "args": args}, [])
    return builder.notice


def test_starts_with_the_seed_network(builder):
    assert repr(builder.network) == "(?, 10) -> [... 3 layers ...] -> (?, 15)"
    assert builder.network.n_parameters == 10 * 30 + 30 + 30 * 15 + 15
    assert [layer["name"] for layer in builder.state["layers"]] == ["input-1", "sigmoid-1", "sigmoid-2"]
    card = builder.state["layers"][1]
    assert card["output_shape"] == "(?, 30)" and card["n_parameters"] == 330
    weight = card["parameters"][0]
    assert weight["label"] == "Normal(mean=0, std=0.01)"
    assert weight["formula"] == "N(mean, std²)" and weight["expected_std"] == pytest.approx(0.01)
    assert builder.errors == [] and builder.state["can_undo"] is False


def test_add_remove_move_and_units(builder):
    assert builder.add_layer("Relu", 20) == "relu-1"
    assert builder.add_layer("Tanh", 5, index=1) == "tanh-1"
    assert [layer.name for layer in builder.network.layers] == ["input-1", "tanh-1", "sigmoid-1", "sigmoid-2", "relu-1"]
    assert builder.network.layer("sigmoid-1").parameter_shapes()["weight"] == (5, 30)
    builder.move_layer("relu-1", 1)
    assert [layer.name for layer in builder.network.layers][1] == "relu-1"
    assert builder.network.layer("relu-1").parameter_shapes()["weight"] == (10, 20)
    builder.set_units("relu-1", 7)
    assert builder.network.layer("tanh-1").parameter_shapes()["weight"] == (7, 5)
    builder.remove_layer("tanh-1")
    assert repr(builder.network) == "(?, 10) -> [... 4 layers ...] -> (?, 15)"
    builder.set_input_shape("4")
    assert builder.network.input_shape == (None, 4)
    assert builder.network.layer("relu-1").parameter_shapes()["weight"] == (4, 7)
    # default units: the width before the new layer
    builder.add_layer("Sigmoid")
    assert builder.network.output_shape == (None, 15)


def test_only_changed_parameters_are_resampled(builder):
    before = {v.name: v for v in builder.network.variables.values()}
    builder.set_initializer("sigmoid-2", "weight", init.Normal(std=0.1))
    after = {v.name: v for v in builder.network.variables.values()}
    assert after["layer/sigmoid-1/weight:0"] is before["layer/sigmoid-1/weight:0"]
    assert after["layer/sigmoid-2/bias:0"] is before["layer/sigmoid-2/bias:0"]
    assert after["layer/sigmoid-2/weight:0"] is not before["layer/sigmoid-2/weight:0"]
    assert np.std(after["layer/sigmoid-2/weight:0"].numpy()) == pytest.approx(0.1, rel=0.25)
    # changing units rebuilds the layers whose shapes changed, and only those
    builder.set_units("sigmoid-2", 8)
    again = {v.name: v for v in builder.network.variables.values()}
    assert again["layer/sigmoid-1/weight:0"] is before["layer/sigmoid-1/weight:0"]
    assert tuple(again["layer/sigmoid-2/weight:0"].shape) == (30, 8)


def test_link_shares_one_variable_and_unlink_separates(builder):
    builder.add_layer("Relu", 15, name="a")
    builder.add_layer("Relu", 15, name="b")
    builder.link("b", "weight", "a")
    network = builder.network
    assert network.layer("b").variable("weight") is network.layer("a").variable("weight")
    assert "layer/b/weight:0" not in names(network) and names(network).count("layer/a/weight:0") == 1
    assert network.n_parameters == 795 + (15 * 15 + 15) + 15
    card_b = builder.state["layers"][4]["parameters"][0]
    assert card_b["link"] == "a" and card_b["shared_with"] == ["a"] and card_b["link_error"] is None
    builder.unlink("b", "weight")
    assert builder.network.layer("b").variable("weight") is not builder.network.layer("a").variable("weight")
    assert "layer/b/weight:0" in names(builder.network)


def test_link_of_different_shapes_is_refused(builder):
    builder.add_layer("Relu", 15, name="a")
    with pytest.raises(NeuwidgetsError, match=r"Relu layer 'a': parameter 'weight': link to 'sigmoid-2' does not fit: weight shape here is \(15, 15\), in 'sigmoid-2' it is \(30, 15\)"):
        builder.link("a", "weight", "sigmoid-2")
    assert builder.spec.entry("a")["parameters"]["weight"] == {"initializer": {"name": "HeNormal", "params": {"gain": 2, "seed": None}}}


def test_edits_that_break_a_link_show_it_broken_never_drop_it(builder):
    builder.add_layer("Relu", 15, name="a")
    builder.add_layer("Relu", 15, name="b")
    builder.link("b", "weight", "a")
    builder.set_units("a", 9)
    assert builder.errors == [{"layer": "b", "parameter": "weight", "kind": "link",
                               "message": "link to 'a' does not fit: weight shape here is (9, 15), in 'a' it is (15, 9); "
                                          "used transposed it would fit"}]
    card_b = builder.state["layers"][4]["parameters"][0]
    assert card_b["link"] == "a" and "does not fit" in card_b["link_error"]
    assert builder.spec.entry("b")["parameters"]["weight"] == {"link": "a"}
    builder.set_units("a", 15)
    assert builder.errors == []
    assert builder.network.layer("b").variable("weight") is builder.network.layer("a").variable("weight")
    builder.remove_layer("a")
    assert builder.errors[0]["message"].startswith("link to a missing layer 'a'")


def test_custom_code_error_names_the_line_and_keeps_the_network(builder):
    before = builder.network
    code = "class Bad(init.Initializer):\n    def sample(self, shape):\n        return 1 / 0\n"
    with pytest.raises(NeuwidgetsError, match=r"sigmoid-1.*ZeroDivisionError.*line 3"):
        builder.set_initializer("sigmoid-1", "weight", code)
    assert builder.network is before
    with pytest.raises(NeuwidgetsError, match="line 2"):
        builder.set_initializer("sigmoid-1", "weight", "class Bad(init.Initializer):\n    def sample(self, shape)\n")
    with pytest.raises(NeuwidgetsError, match=r"expected shape \(10, 30\), got shape \(3,\)"):
        builder.set_initializer("sigmoid-1", "weight",
                                "class Bad(init.Initializer):\n    def sample(self, shape):\n        return np.ones(3)\n")
    builder.set_initializer("sigmoid-1", "weight",
                            "class Good(init.Initializer):\n    def sample(self, shape):\n        return np.full(shape, 0.5)\n")
    weight = builder.network.layer("sigmoid-1").variable("weight")
    assert weight.dtype == tf.float32 and float(weight.numpy().mean()) == 0.5
    assert builder.state["layers"][1]["parameters"][0]["code"].startswith("class Good")
    assert any(entry["name"] == "Good" and entry["custom"] for entry in builder.state["initializers"])


def test_cell_defined_initializers_appear_in_the_chooser(builder):
    class Halves(init.Initializer):
        def sample(self, shape):
            return np.full(shape, 0.5)

    builder._publish()
    assert "Halves" in [entry["name"] for entry in builder.state["initializers"]]
    builder.set_initializer("sigmoid-2", "weight", Halves())
    assert float(builder.network.layer("sigmoid-2").variable("weight").numpy().max()) == 0.5
    assert "class Halves" in builder.to_code()


def test_bad_edits_are_refused_and_nothing_changes(builder):
    spec, network = builder.spec, builder.network
    bad = [
        (lambda: builder.set_units("sigmoid-1", "abc"),
         "Sigmoid layer 'sigmoid-1': n_units must be a positive integer up to 1,000,000,000 (or None), got 'abc'"),
        (lambda: builder.set_units("sigmoid-1", 1e12), "got 1000000000000.0"),
        (lambda: builder.set_units("sigmoid-1", 0), "got 0"),
        (lambda: builder.set_units("nope", 3), "no layer named 'nope'"),
        (lambda: builder.add_layer("Conv", 3), "kind must be one of"),
        (lambda: builder.add_layer("Relu", 3, index=0), "index must be a whole number from 1"),
        (lambda: builder.remove_layer("input-1"), "starts the network and stays"),
        (lambda: builder.set_initializer("sigmoid-1", "gamma", init.Normal()), "has no parameter 'gamma'"),
        (lambda: builder.set_initializer("sigmoid-1", "weight", [1, 2]), "expected an Initializer"),
        (lambda: builder.add_layer("Relu", 100_000, name="huge") and builder.add_layer("Relu", 100_000),
         "more than the budget of 500,000,000"),
        (lambda: builder.undo() or builder.undo() or builder.undo(), "nothing to undo"),
    ]
    for edit, message in bad:
        with pytest.raises(NeuwidgetsError, match=message.replace("(", r"\(").replace(")", r"\)")):
            edit()
    # The budget edit added one huge layer before being refused; it was undone above.
    assert builder.spec == spec
    assert repr(builder.network) == repr(network)


def test_budget_is_checked_before_allocation():
    builder = NetworkBuilder(plots=False, max_parameters=1000)
    with pytest.raises(NeuwidgetsError, match="has 1,035 parameters, more than the budget of 1,000"):
        builder.add_layer("Relu", 15)
    assert builder.network.n_parameters == 795


def test_undo_redo(builder):
    builder.add_layer("Relu", 4)
    builder.set_units("relu-1", 6)
    assert builder.state["can_undo"] and not builder.state["can_redo"]
    builder.undo()
    assert builder.network.output_shape == (None, 4)
    builder.undo()
    assert builder.network.output_shape == (None, 15)
    assert builder.state["can_redo"] and not builder.state["can_undo"]
    builder.redo()
    builder.redo()
    assert builder.network.output_shape == (None, 6)
    with pytest.raises(NeuwidgetsError, match="nothing to redo"):
        builder.redo()


def test_existing_network_with_shared_variable_shows_its_link():
    shared = tf.Variable(tf.ones((10, 10)), name="shared-weight")
    network = Input(10) >> Relu(10, weight=shared) >> Relu(10, weight=shared)
    builder = NetworkBuilder(network, plots=False)
    assert builder.spec.entry("relu-2")["parameters"]["weight"] == {"link": "relu-1"}
    assert builder.network.n_parameters == network.n_parameters == 120
    rebuilt = builder.network
    assert rebuilt.layer("relu-2").variable("weight") is rebuilt.layer("relu-1").variable("weight")
    np.testing.assert_array_equal(rebuilt.layer("relu-1").variable("weight").numpy(), np.ones((10, 10)))


def test_names_that_are_not_plain_labels_are_refused_before_they_reach_the_widget(builder):
    with pytest.raises(NeuwidgetsError, match="a layer name is 1 to 64 letters, digits.*got '<img src=x onerror"):
        Sigmoid(2, name="<img src=x onerror=alert(1)>")
    with pytest.raises(NeuwidgetsError, match="got '<img"):
        builder.add_layer("Relu", 3, name="<img src=x onerror=alert(1)>")
    assert [layer["name"] for layer in builder.state["layers"]] == ["input-1", "sigmoid-1", "sigmoid-2"]


# -- front-end messages --------------------------------------------------------------------

def test_every_message_type(builder):
    assert send(builder, "add_layer", kind="Relu", n_units="12")["ok"]
    assert builder.network.output_shape == (None, 12)
    assert send(builder, "add_layer", kind="Relu", n_units=12, index=1)["ok"]
    assert send(builder, "set_field", name="relu-2", field="n_units", value="3")["ok"]
    assert send(builder, "move_layer", name="relu-2", index=3)["ok"]
    assert [layer.name for layer in builder.network.layers][3] == "relu-2"
    assert send(builder, "remove_layer", name="relu-2")["ok"]
    assert send(builder, "set_field", name="input-1", field="shape", value="5")["ok"]
    assert builder.network.input_shape == (None, 5)
    notice = send(builder, "set_initializer", name="sigmoid-1", parameter="weight",
                  initializer={"name": "HeUniform", "params": {"gain": 2}})
    assert notice["ok"] and repr(builder.network.layer("sigmoid-1").parameters["weight"]) == "HeUniform(gain=2)"
    notice = send(builder, "set_initializer", name="sigmoid-1", parameter="bias",
                  code="class Ones(init.Initializer):\n    def sample(self, shape):\n        return tf.ones(shape)\n")
    assert notice["ok"] and float(builder.network.layer("sigmoid-1").variable("bias").numpy().sum()) == 30
    assert send(builder, "add_layer", kind="Relu", n_units=12)["ok"]
    assert send(builder, "add_layer", kind="Relu", n_units=12)["ok"]
    assert send(builder, "link", name="relu-3", parameter="weight", to_name="relu-2")["ok"]
    assert builder.network.layer("relu-3").variable("weight") is builder.network.layer("relu-2").variable("weight")
    assert send(builder, "unlink", name="relu-3", parameter="weight")["ok"]
    assert send(builder, "undo")["ok"]
    assert builder.network.layer("relu-3").variable("weight") is builder.network.layer("relu-2").variable("weight")
    assert send(builder, "redo")["ok"]
    assert builder.spec.entry("relu-3")["parameters"]["weight"]["initializer"]["name"] == "HeNormal"
    assert send(builder, "trust")["ok"] and builder.spec.trusted and builder.errors == []


@pytest.mark.parametrize("op, args, message", [
    ("set_field", {"name": "sigmoid-1", "field": "n_units", "value": "abc"}, "got 'abc'"),
    ("set_field", {"name": "sigmoid-1", "field": "n_units", "value": "1e12"}, "got '1e12'"),
    ("set_field", {"name": "sigmoid-1", "field": "n_units", "value": [3]}, "got [3]"),
    ("set_field", {"name": 5, "field": "n_units", "value": 3}, "no layer named 5"),
    ("set_field", {"name": "sigmoid-1", "field": "size", "value": 3}, "unexpected setting 'size'; Sigmoid takes 'n_units'"),
    ("set_field", {"name": "sigmoid-1", "field": ["n_units"], "value": 3}, "unexpected setting ['n_units']"),
    ("set_field", {"name": "sigmoid-1", "field": "n_units"}, "missing a required argument: 'value'"),
    ("set_field", {"name": "sigmoid-1", "field": "n_units", "value": 3, "evil": 1}, "unexpected keyword argument 'evil'"),
    ("move_layer", {"name": "sigmoid-1", "index": "2"}, "index must be a whole number"),
    ("set_initializer", {"name": "sigmoid-1", "parameter": "weight", "initializer": {"name": "Normal", "params": {"std": "x"}}},
     "Normal: std must be a number, got 'x'"),
    ("set_initializer", {"name": "sigmoid-1", "parameter": "weight", "initializer": {"name": "Nope", "params": {}}},
     "unknown initializer 'Nope'"),
    ("set_initializer", {"name": "sigmoid-1", "parameter": "weight", "initializer": "Normal"}, "expected an initializer config"),
    ("link", {"name": "sigmoid-1", "parameter": "weight", "to_name": "sigmoid-1"}, "cannot be linked to itself"),
    ("unlink", {"name": "sigmoid-1", "parameter": "weight"}, "is not linked"),
    ("drop_tables", {}, "unknown edit 'drop_tables'"),
])
def test_malformed_messages_are_refused_with_a_notice(builder, op, args, message):
    spec = builder.spec
    notice = send(builder, op, seq=9, **args)
    assert notice["seq"] == 9 and notice["ok"] is False and message in notice["message"]
    assert builder.spec is spec


def test_messages_of_the_wrong_shape_are_ignored(builder):
    spec = builder.spec
    builder._on_message(builder, ["not", "a", "dict"], [])
    builder._on_message(builder, {"type": "edit", "seq": 3, "op": "set_field", "args": "nope"}, [])
    assert builder.notice["ok"] is False and "arguments must be an object" in builder.notice["message"]
    assert builder.spec is spec


# -- review findings: each a behaviour --------------------------------------------------

SCALE = 0.25  # a module global a notebook class may use


class Quartered(init.Initializer):
    def sample(self, shape):
        return SCALE * np.ones(shape)


def test_a_design_with_a_broken_link_is_autosaved_and_opens_again(tmp_path):
    path = tmp_path / "design.json"
    builder = NetworkBuilder(plots=False, autosave=path)
    builder.add_layer("Sigmoid", 15, name="s3")
    builder.link("s3", "bias", "sigmoid-2")
    builder.remove_layer("sigmoid-2")
    assert builder.errors[0]["message"].startswith("link to a missing layer 'sigmoid-2'")
    reopened = NetworkBuilder(plots=False, autosave=path)
    assert reopened.spec.entry("s3")["parameters"]["bias"] == {"link": "sigmoid-2"}
    assert reopened.errors == builder.errors


def test_builder_of_a_network_keeps_its_values_and_its_notebook_classes():
    network = Input(4) >> Relu(3, weight=Quartered()) >> Sigmoid(2)
    builder = NetworkBuilder(network, plots=False)
    assert builder.network.layer("relu-1").variable("weight") is network.layer("relu-1").variable("weight")
    np.testing.assert_array_equal(builder.network.layer("sigmoid-1").variable("weight").numpy(),
                                  network.layer("sigmoid-1").variable("weight").numpy())
    builder.set_units("sigmoid-1", 3)  # Quartered runs again in its own module: SCALE is found
    assert float(builder.network.layer("relu-1").variable("weight").numpy().max()) == 0.25
    assert "class Quartered(init.Initializer):" in builder.spec.to_json()


def test_a_failed_autosave_keeps_the_edit_and_says_so(tmp_path):
    with pytest.raises(NeuwidgetsError, match="NetworkBuilder: autosave: cannot write .* the folder .* does not exist"):
        NetworkBuilder(plots=False, autosave=tmp_path / "missing-folder" / "design.json")
    (tmp_path / "folder").mkdir()
    builder = NetworkBuilder(plots=False, autosave=tmp_path / "folder" / "design.json")
    (tmp_path / "folder" / "design.json").unlink()
    (tmp_path / "folder").rmdir()  # gone after the builder started
    notice = send(builder, "set_field", name="sigmoid-2", field="n_units", value=4)
    assert builder.network.output_shape == (None, 4)
    assert notice["ok"] is False and notice["message"].startswith("autosave: save: cannot write")


def test_a_failed_plot_keeps_the_edit_and_says_so(builder, monkeypatch):
    from neuwidgets import plotting
    builder.plots = True
    monkeypatch.setattr(plotting, "depth_chart_png", lambda *args, **kwargs: 1 / 0)
    notice = send(builder, "set_field", name="sigmoid-2", field="n_units", value=4)
    assert builder.network.output_shape == (None, 4)
    assert notice["ok"] is False
    assert notice["message"] == "could not draw the plots: ZeroDivisionError: division by zero"


def test_refused_custom_code_adds_nothing_to_the_chooser(builder):
    code = "class Needy(init.Initializer):\n    def __init__(self, scale):\n        self.scale = scale\n"
    with pytest.raises(NeuwidgetsError, match=r"Sigmoid layer 'sigmoid-1': parameter 'weight': custom initializer "
                                              r"Needy must work without arguments .*missing 1 required"):
        builder.set_initializer("sigmoid-1", "weight", code)
    code = "class Broken(init.Initializer):\n    def sample(self, shape):\n        return 1 / 0\n"
    with pytest.raises(NeuwidgetsError):
        builder.set_initializer("sigmoid-1", "weight", code)
    assert not {"Needy", "Broken"} & {entry["name"] for entry in builder.state["initializers"]}


def test_initializer_parameters_must_be_json_and_numpy_scalars_become_numbers(builder):
    class Halved(init.Initializer):
        def __init__(self, scale=np.float32(0.5)):
            self.scale = scale

        def sample(self, shape):
            return self.scale * np.ones(shape)

    builder.set_initializer("sigmoid-1", "weight", Halved())
    config = builder.spec.entry("sigmoid-1")["parameters"]["weight"]["initializer"]
    assert config == {"name": "Halved", "params": {"scale": 0.5}} and type(config["params"]["scale"]) is float
    spec = builder.spec
    with pytest.raises(NeuwidgetsError, match=r"design.layers\[1\] \(Sigmoid layer 'sigmoid-1'\).parameters.weight"
                                              r".initializer.params.scale: a design holds only JSON data .*got "
                                              r"ndarray array\(\[1., 2.\]"):
        builder.set_initializer("sigmoid-1", "weight", Halved(np.array([1.0, 2.0])))
    assert builder.spec is spec


def test_a_parameter_linked_to_untrusted_code_is_shown_untrusted():
    code = "class Gamma(init.Initializer):\n    def sample(self, shape):\n        return tf.ones(shape)\n"
    design = {"format": 2, "custom": {"Gamma": code}, "layers": [
        {"kind": "Input", "name": "in", "shape": [10]},
        {"kind": "Tanh", "name": "a", "n_units": 10,
         "parameters": {"weight": {"initializer": {"name": "Gamma", "params": {}}}, "bias": None}},
        {"kind": "Tanh", "name": "tied", "n_units": 10, "parameters": {"weight": {"link": "a"}, "bias": None}}]}
    builder = NetworkBuilder(design, plots=False)
    owner, tied = (builder.state["layers"][i]["parameters"][0] for i in (1, 2))
    for shown in (owner, tied):
        assert shown["trusted"] is False and shown["label"] == "untrusted custom initializer Gamma"
        assert shown["code"] == code and shown["expected_std"] is None and shown["formula"] is None
    assert [e["layer"] for e in builder.errors] == ["a"]


def test_custom_code_cannot_take_a_built_in_name():
    design = NetworkBuilder(plots=False).spec.to_dict()
    design["custom"] = {"HeNormal": "class HeNormal(init.Initializer):\n    pass\n"}
    with pytest.raises(NeuwidgetsError, match="class 'HeNormal' has the name of something exported code uses"):
        NetworkBuilder(design, plots=False)


def test_adding_after_a_dropout_takes_the_width_that_flows_in(builder):
    builder.add_layer("Dropout")
    builder.add_layer("Relu")
    assert builder.network.layer("relu-1").n_units == 15


@pytest.mark.parametrize("units, given", [("²", "'²'"), ("٣", "'٣'"), ("-3", "'-3'"), ("1e3", "'1e3'")])
def test_units_that_look_numeric_are_refused_clearly(builder, units, given):
    notice = send(builder, "set_field", name="sigmoid-1", field="n_units", value=units)
    assert notice["ok"] is False and notice["message"].endswith(f"up to 1,000,000,000 (or None), got {given}")


def test_clearing_the_units_leaves_only_the_activation_and_typing_them_brings_default_parameters(builder):
    assert send(builder, "set_field", name="sigmoid-2", field="n_units", value=" ")["ok"]
    entry = builder.spec.entry("sigmoid-2")
    assert entry["n_units"] is None and "parameters" not in entry
    assert builder.network.output_shape == (None, 30) and builder.network.n_parameters == 330
    assert repr(builder.network.layer("sigmoid-2")) == "Sigmoid(name='sigmoid-2')"
    assert send(builder, "set_field", name="sigmoid-2", field="n_units", value="4")["ok"]
    assert builder.spec.entry("sigmoid-2")["parameters"]["weight"]["initializer"]["name"] == "HeNormal"
    assert builder.network.n_parameters == 330 + 124


def test_non_finite_alpha_is_refused(builder):
    with pytest.raises(NeuwidgetsError, match=r"Relu layer 'relu-1': alpha must be a finite number in \[0, 1\], got nan"):
        builder.add_layer("Relu", 3, alpha=float("nan"))


def test_a_tied_autoencoder_shares_the_transposed_weight():
    # REFERENCES §4: 784 -> 64 -> 784, the decoder weight the encoder's transposed, its own bias:
    # 784·64 + 64 + 784 = 51,024 parameters (the sum REFERENCES writes; it prints 50,992).
    builder = NetworkBuilder({"format": 2, "layers": [
        {"kind": "Input", "name": "pixels", "shape": [784]},
        {"kind": "Sigmoid", "name": "encoder", "n_units": 64,
         "parameters": {"weight": {"initializer": {"name": "XavierNormal", "params": {"gain": 2}}},
                        "bias": {"initializer": {"name": "Constant", "params": {"value": 0}}}}},
        {"kind": "Sigmoid", "name": "decoder", "n_units": 784,
         "parameters": {"weight": {"initializer": {"name": "XavierNormal", "params": {"gain": 2}}},
                        "bias": {"initializer": {"name": "Constant", "params": {"value": 0}}}}}]}, plots=False)
    with pytest.raises(NeuwidgetsError, match=r"weight shape here is \(64, 784\), in 'encoder' it is \(784, 64\); used "
                                              r"transposed it would fit$"):
        builder.link("decoder", "weight", "encoder")
    assert send(builder, "link", name="decoder", parameter="weight", to_name="encoder", transpose=True)["ok"]
    network = builder.network
    assert network.n_parameters == 784 * 64 + 64 + 784 == 51_024
    encoder = network.layer("encoder").variable("weight")
    assert network.layer("decoder").variable("weight") is encoder
    x = np.random.default_rng(0).random((3, 784)).astype("float32")
    hidden = 1 / (1 + np.exp(-(x @ encoder.numpy())))
    np.testing.assert_allclose(network.predict(x), 1 / (1 + np.exp(-(hidden @ encoder.numpy().T))), atol=1e-6)
    decoder = builder.state["layers"][2]["parameters"][0]
    assert decoder["link"] == "encoder" and decoder["transpose"] is True and decoder["shared_with"] == ["encoder"]
    # the design, its code and its Keras model keep the tie
    assert builder.spec.entry("decoder")["parameters"]["weight"] == {"link": "encoder", "transpose": True}
    assert "weight=Transposed(network.layer('encoder').variable('weight'))" in builder.to_code()
    namespace = {}
    exec(builder.to_code(), namespace)
    assert namespace["network"].n_parameters == 51_024
    model = network.to_keras()
    assert model.count_params() == 51_024
    np.testing.assert_allclose(model.predict(x, verbose=0), network.predict(x), atol=1e-6)
    exec(builder.to_code("keras"), namespace)
    assert namespace["model"].count_params() == 51_024
    assert namespace["model"].get_layer("decoder").kernel is namespace["model"].get_layer("encoder").kernel
    from neuwidgets import NetworkSpec
    # the same design; a network does not know the design's seed its values were drawn from
    assert NetworkSpec.from_network(network).data == {k: v for k, v in builder.spec.data.items() if k != "seed"}
    builder.set_units("encoder", 32)  # the tie follows the new shape
    assert builder.errors == [] and builder.network.n_parameters == 784 * 32 + 32 + 784


def test_a_class_redefined_in_a_cell_replaces_the_old_one_in_the_chooser(builder):
    import types
    cell = types.ModuleType("cell_module")
    sys.modules["cell_module"] = cell
    try:
        for value in (1.0, 2.0):  # the same cell run twice
            exec(f"from neuwidgets import init\nimport numpy as np\nclass Twice(init.Initializer):\n"
                 f"    def sample(self, shape):\n        return np.full(shape, {value})\n", cell.__dict__)
        first_run = [c for c in init.Initializer.__subclasses__() if c.__name__ == "Twice"]
        assert len(first_run) == 2
        send(builder, "set_initializer", name="sigmoid-1", parameter="weight",
             initializer={"name": "Twice", "params": {}})
        assert float(builder.network.layer("sigmoid-1").variable("weight").numpy().max()) == 2.0
    finally:
        del sys.modules["cell_module"]


def test_cards_count_what_they_own_and_what_they_share(builder):
    builder.add_layer("Relu", 15, name="a")
    builder.add_layer("Relu", 15, name="b")
    builder.link("b", "weight", "a")
    cards = {card["name"]: card for card in builder.state["layers"]}
    assert (cards["a"]["n_parameters"], cards["a"]["n_shared"]) == (240, 0)
    assert (cards["b"]["n_parameters"], cards["b"]["n_shared"]) == (15, 225)
    assert sum(card["n_parameters"] for card in cards.values()) == builder.state["n_parameters"]


def test_an_input_shape_refusal_is_shown_on_the_input_card(builder):
    notice = send(builder, "set_field", name="input-1", field="shape", value="28, x")
    assert notice["layer"] == "input-1"
    assert notice["message"] == ("Input layer 'input-1': shape must be 1 to 8 positive integers up to 1,000,000,000, "
                                 "got '28, x'")

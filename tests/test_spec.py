"""NetworkSpec: JSON in and out, the shipped schema, validation messages, trust,
build / from_network round trips (issue #5)."""
import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import neuwidgets
from neuwidgets import init
from neuwidgets.errors import InitializerError, InvalidValueError, NeuwidgetsError
from neuwidgets.layers import Input, Relu, Sigmoid, Tanh, join
from neuwidgets.spec import FORMAT, SCHEMA, UNTRUSTED, NetworkSpec, clean_code

from _designs import EXAMPLES, GAMMA, dense, initializer, marker_code, mutate, ran, rich, small, text, with_custom


# -- JSON and the schema ---------------------------------------------------------------------
def test_json_round_trip_is_exact_and_versioned():
    spec = NetworkSpec(rich())
    data = json.loads(spec.to_json())
    assert data["format"] == FORMAT == 2
    assert NetworkSpec.from_json(spec.to_json()) == spec
    assert NetworkSpec.from_json(spec.to_json()).to_json() == spec.to_json()


def test_the_schema_is_made_from_the_kinds_and_accepts_saved_designs():
    validator = jsonschema.Draft202012Validator(SCHEMA)
    assert SCHEMA["properties"]["layers"]["items"]["properties"]["kind"]["enum"] == list(neuwidgets.layers.KINDS)
    for design in list(EXAMPLES.glob("*.json")) + [None]:
        data = NetworkSpec.from_json(design.read_text()).data if design else NetworkSpec(rich()).data
        assert list(validator.iter_errors(data)) == []
    assert not validator.is_valid(mutate(small(), lambda d: d["layers"][1].update(n_units="3")))


def test_designs_are_stored_in_canonical_form():
    spec = NetworkSpec(small())
    tanh, relu = spec.layers[1], spec.layers[2]
    assert tanh["parameters"]["weight"] == initializer("Normal", mean=0, std=0.1, seed=None)
    assert relu["alpha"] == 0 and set(tanh) == {"kind", "name", "n_units", "parameters"}
    dropout = NetworkSpec(mutate(small(), lambda d: d["layers"].append({"kind": "Dropout", "name": "d"})))
    assert dropout.layers[-1] == {"kind": "Dropout", "name": "d", "proba": 0.5}
    values = NetworkSpec(mutate(small(), lambda d: d["layers"][2]["parameters"].update(bias={"values": [0.1, 2, -3]})))
    assert values.layers[2]["parameters"]["bias"]["values"] == [float(np.float32(0.1)), 2.0, -3.0]
    uses_a = mutate(small(), lambda d: d["layers"][1]["parameters"].update(weight=initializer("A")))
    assert NetworkSpec(mutate(uses_a, lambda d: d.update(custom={"A": "\n\n    class A:\n        pass\n\n\n"}))
                       ).data["custom"] == {"A": "class A:\n    pass\n"}
    # code that no parameter uses is dropped: nobody is asked to trust it
    assert NetworkSpec(mutate(small(), lambda d: d.update(custom={"A": "class A:\n    pass\n"}))).data["custom"] == {}


# -- bad input: a clear error, nothing executed ---------------------------------------------------
def _layer(index, **changes):
    return lambda d: d["layers"][index].update(changes)


def _parameter(index, parameter, value):
    return lambda d: d["layers"][index]["parameters"].update({parameter: value})


BAD = {
    "not JSON": ("{'format': 1,", ["must be JSON text", "line 1 column 2"]),
    "a list": ("[1, 2]", ["a design is a JSON object", "got list"]),
    "missing format": (lambda d: d.pop("format"), ["design.format is missing", "expected 2"]),
    "future format": (lambda d: d.update(format=7), ["design.format is 7", "newer than", "(2)", "upgrade"]),
    "format zero": (lambda d: d.update(format=0), ["design.format must be 1 or 2, got 0"]),
    "format as text": (lambda d: d.update(format="1"), ["design.format must be 1 or 2, got '1'"]),
    "missing layers": (lambda d: d.pop("layers"), ["design", "'layers' is a required property"]),
    "no layers": (lambda d: d.update(layers=[]), ["design.layers: minItems is 1, got 0"]),
    "extra top-level field": (lambda d: d.update(author="me"),
                              ["design: unexpected field 'author'", "expected only 'format', 'layers', 'custom'"]),
    "unknown layer kind": (_layer(1, kind="Conv2D"),
                           ["design.layers[1] (Conv2D layer 'a').kind", "unknown layer kind 'Conv2D'", "Tanh"]),
    "unknown initializer": (_parameter(1, "weight", initializer("Glorot")),
                            ["design.layers[1] (Tanh layer 'a'): parameter 'weight'", "unknown initializer 'Glorot'",
                             "HeNormal"]),
    "unknown initializer parameter": (_parameter(1, "weight", initializer("Normal", sd=1)),
                                      ["Tanh layer 'a'): parameter 'weight'", "'sd'", "params {'sd': 1}"]),
    "invalid initializer value": (_parameter(2, "bias", initializer("Uniform", minval=1, maxval=0)),
                                  ["Relu layer 'b'): parameter 'bias'", "minval must be less than maxval",
                                   "minval=1, maxval=0"]),
    "negative units": (_layer(1, n_units=-3), ["design.layers[1] (Tanh layer 'a'): n_units must be a positive "
                                               "integer up to 1,000,000,000 (or None), got -3"]),
    "huge units": (_layer(2, n_units=10 ** 12), ["design.layers[2] (Relu layer 'b'): n_units", "got 1000000000000"]),
    "fractional units": (_layer(1, n_units=2.5), ["(Tanh layer 'a').n_units", "expected integer or null, got float 2.5"]),
    "units as text": (_layer(1, n_units="3"), ["(Tanh layer 'a').n_units", "expected integer or null, got str '3'"]),
    "missing units": (lambda d: d["layers"][1].pop("n_units"),
                      ["design.layers[1] (Tanh layer 'a'): has no parameter 'bias', 'weight' with these settings "
                       "(n_units=None)"]),
    "extra layer field": (_layer(1, colour="red"), ["(Tanh layer 'a'): unexpected field 'colour'",
                                                    "expected only 'kind', 'name', 'n_units', 'parameters'"]),
    "settings of format 1 in format 2": (_layer(1, options={"alpha": 0.1}),
                                         ["(Tanh layer 'a'): unexpected field 'options'"]),
    "parameter with two values": (_parameter(1, "weight", {"link": "b", **initializer("Normal")}),
                                  ["parameters.weight", "exactly one of", "got fields 'link', 'initializer'"]),
    "negative input shape": (_layer(0, shape=[-4]), ["design.layers[0] (Input layer 'in'): shape must be 1 to 8 "
                                                     "positive integers up to 1,000,000,000, got [-4]"]),
    "two input layers": (lambda d: d["layers"].insert(1, {"kind": "Input", "name": "in2", "shape": [4]}),
                         ["exactly one Input layer", "Input, Input, Tanh, Relu"]),
    "duplicate names": (_layer(2, name="a"), ["layer names must be unique", "'a'"]),
    "option of another kind": (_layer(1, alpha=0.1), ["design.layers[1] (Tanh layer 'a'): unexpected field 'alpha'"]),
    "dropout proba": (lambda d: d["layers"].append({"kind": "Dropout", "name": "d", "proba": 1.5}),
                      ["design.layers[3] (Dropout layer 'd'): proba must be a finite number in [0, 1), got 1.5"]),
    "units given to Dropout": (lambda d: d["layers"].append({"kind": "Dropout", "name": "d", "n_units": 3}),
                               ["(Dropout layer 'd'): unexpected field 'n_units'; expected only 'kind', 'name', "
                                "'proba'"]),
    "boolean values": (_parameter(2, "bias", {"values": [True, False, True]}),
                       ["Relu layer 'b'): parameter 'bias'", "rectangular nested list of numbers"]),
    "numeric text values": (_parameter(2, "bias", {"values": ["1", "2", "3"]}),
                            ["Relu layer 'b'): parameter 'bias'", "rectangular nested list of numbers"]),
    "empty name": (_layer(2, name=""), ["design.layers[2].name: a layer name is 1 to 64 letters", "got ''"]),
    "values not numbers": (_parameter(1, "weight", {"values": [["x"] * 3] * 4}),
                           ["Tanh layer 'a'): parameter 'weight'", "rectangular nested list of numbers", "'x'"]),
    "ragged values": (_parameter(2, "bias", {"values": [[1, 2], [3]]}),
                      ["Relu layer 'b'): parameter 'bias'", "rectangular", "[[1, 2], [3]]"]),
    "values of the wrong shape": (_parameter(2, "bias", {"values": [1, 2]}),
                                  ["Relu layer 'b'", "bias array has shape (2,)", "expected (3,)"]),
    "NaN values": ('{"format": 2, "layers": [{"kind": "Input", "name": "in", "shape": [1]}, {"kind": "Linear", '
                   '"name": "l", "n_units": 1, "parameters": {"weight": {"values": [[NaN]]}, "bias": null}}]}',
                   ["(Linear layer 'l'): parameter 'weight'", "finite"]),
    "link to a missing layer": (_parameter(2, "weight", {"link": "zz"}),
                                ["Relu layer 'b': parameter 'weight'", "link to a missing layer 'zz'",
                                 "expected one of 'a'"]),
    "link of mismatched shapes": (lambda d: d["layers"][2].update(n_units=5, parameters={
        "weight": initializer("HeNormal"), "bias": {"link": "a"}}) or d["layers"][1]["parameters"].update(
        bias=initializer("Constant")), ["Relu layer 'b': parameter 'bias'", "link to 'a' does not fit",
                                        "shape here is (5,)", "in 'a' it is (3,)"]),
    "link to a layer without that parameter": (_parameter(2, "bias", {"link": "a"}),
                                               ["Relu layer 'b': parameter 'bias'", "Tanh layer 'a'", "no bias"]),
}


# Shapes and links are checked when a design is built (a saved design with a broken link
# opens again and shows it): these cases are refused by build(), not by from_json().
AT_BUILD = {"values of the wrong shape", "link to a missing layer", "link of mismatched shapes",
            "link to a layer without that parameter"}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_gets_a_clear_error_and_runs_nothing(case, tmp_path):
    change, expected = BAD[case]
    source = change if isinstance(change, str) else text(mutate(with_custom(tmp_path), change))
    with pytest.raises(NeuwidgetsError) as caught:
        if case in AT_BUILD:
            NetworkSpec.from_json(source).build()
        else:
            NetworkSpec.from_json(source, trust=True)
    for part in expected:
        assert part in str(caught.value)
    assert ran(tmp_path) == []


def test_custom_code_with_a_syntax_error_is_refused_at_load_without_running(tmp_path):
    data = with_custom(tmp_path)
    data["custom"]["Boom"] = data["custom"]["Boom"].replace("def sample(self, shape):", "def sample(self, shape)")
    with pytest.raises(InvalidValueError, match=r"design.custom\['Boom'\], line 9: expected ':'"):
        NetworkSpec.from_json(text(data))
    data["custom"]["Boom"] = "import os\nclass Other(init.Initializer):\n    pass\n"
    with pytest.raises(InvalidValueError, match=r"design.custom\['Boom'\]: the code must define class Boom at its "
                                                r"top level; it defines Other"):
        NetworkSpec.from_json(text(data), trust=True)
    assert ran(tmp_path) == []


def test_custom_code_that_raises_names_the_layer_and_the_line(tmp_path):
    data = with_custom(tmp_path)
    data["custom"]["Boom"] = data["custom"]["Boom"].replace("return self.scale", "return 1 / 0 * self.scale")
    with pytest.raises(InitializerError) as caught:
        NetworkSpec.from_json(text(data), trust=True).build()
    message = str(caught.value)
    assert "Tanh layer 'a'" in message and "weight" in message and "ZeroDivisionError" in message
    assert "line 11 of the custom code" in message


def test_custom_code_returning_the_wrong_shape_names_the_layer(tmp_path):
    data = with_custom(tmp_path)
    data["custom"]["Boom"] = data["custom"]["Boom"].replace("tf.ones(shape)", "tf.ones((2, 2))")
    with pytest.raises(InitializerError, match=r"Tanh layer 'a'.*expected shape \(4, 3\), got shape \(2, 2\)"):
        NetworkSpec.from_json(text(data), trust=True).build()


def test_orthogonal_bias_fails_at_build_naming_the_layer():
    spec = NetworkSpec(mutate(small(), _parameter(2, "bias", initializer("Orthogonal"))))
    with pytest.raises(InitializerError, match=r"Relu layer 'b': parameter 'bias'.*rank 2"):
        spec.build()


def test_build_refuses_a_design_over_the_budget_before_allocating():
    spec = NetworkSpec(mutate(small(), _layer(2, n_units=10 ** 9)))
    with pytest.raises(InvalidValueError, match=r"4,000,000,012 parameters, more than the budget of 1,000,000"):
        spec.build(max_parameters=1_000_000)


# -- trust -------------------------------------------------------------------------------------
def test_untrusted_custom_code_never_runs(tmp_path):
    source = text(with_custom(tmp_path))
    spec = NetworkSpec.from_json(source)
    assert not spec.trusted
    result = spec.build_report()
    assert result.errors == [{"layer": "a", "parameter": "weight", "kind": "untrusted",
                              "message": f"{UNTRUSTED} 'Boom': trust the design to run its code"}]
    # the placeholder is zeros of the right shape, the rest is built
    assert np.all(result.network.layer("a").variable("weight").numpy() == 0)
    assert result.network.layer("a").variable("weight").shape == (4, 3)
    with pytest.raises(InvalidValueError, match=r"Tanh layer 'a': parameter 'weight': untrusted custom initializer"):
        spec.build()
    code = spec.to_code()
    assert "class Boom" in code and spec.to_code("keras")
    NetworkSpec(json.loads(source)).build_report()
    assert NetworkSpec.from_json(spec.to_json()) == spec
    assert ran(tmp_path) == []


def test_trusted_custom_code_runs(tmp_path):
    network = NetworkSpec.from_json(text(with_custom(tmp_path)), trust=True).build()
    assert ran(tmp_path) == ["defined", "sampled"]
    assert np.all(network.layer("a").variable("weight").numpy() == 0.5)


# -- build and from_network ---------------------------------------------------------------------
def test_build_shares_linked_variables_and_nothing_else():
    network = NetworkSpec.from_json(text(rich()), trust=True).build()
    layer = network.layer
    assert layer("e").variable("weight") is layer("r").variable("weight")
    assert layer("e").variable("bias") is layer("r").variable("bias")
    assert layer("lr").variable("weight") is layer("h").variable("weight")
    assert layer("out").variable("bias") is layer("s").variable("bias")
    assert layer("lr").variable("bias") is not layer("h").variable("weight")
    owned = 6 * 4 + 4 + 4 * 4 + 4 + 4 * 4 + 4 + 4 * 6 + 6 + 6 * 6 + 6 + 6 * 6 + 6 + 6 * 6
    assert network.n_parameters == owned
    np.testing.assert_allclose(layer("s").variable("bias").numpy(), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], rtol=1e-7)


def test_from_network_of_code_written_with_the_api():
    first = join(Input(5), Relu(5, weight=init.Orthogonal(scale=2.0), name="r1"),
                 Tanh(3, bias=None, weight=np.full((5, 3), 0.25, dtype="float32"), name="t"))
    network = first >> Sigmoid(5, weight=0.5, bias=lambda shape, dtype: np.zeros(shape), name="s")
    spec = NetworkSpec.from_network(network)
    assert spec.layers[1]["parameters"]["weight"] == initializer("Orthogonal", scale=2.0, seed=None)
    assert spec.layers[2]["parameters"]["weight"] == {"values": [[0.25] * 3] * 5}
    assert spec.layers[3]["parameters"]["weight"] == initializer("Constant", value=0.5)
    assert spec.layers[3]["parameters"]["bias"] == {"values": [0.0] * 5}  # a callable: its values
    tied = join(Input(4), Relu(4, name="r1"))
    tied = tied >> Relu(4, weight=tied.layer("r1").variable("weight"), name="r2")
    assert NetworkSpec.from_network(tied).layers[2]["parameters"] == {
        "weight": {"link": "r1"}, "bias": initializer("Constant", value=0)}


def test_round_trip_of_the_rich_design_is_exact():
    spec = NetworkSpec.from_json(text(rich()), trust=True)
    assert NetworkSpec.from_network(spec.build()) == spec


# -- property: random designs survive JSON -> spec -> network -> spec --------------------------------
FLOATS = st.floats(-3, 3, allow_nan=False, width=32)
POSITIVE = st.floats(0.0625, 3, allow_nan=False, width=32)
SEEDS = st.none() | st.integers(0, 2 ** 31 - 1)


@st.composite
def builtin_initializers(draw, bias=False):
    name = draw(st.sampled_from([n for n in init.BUILTINS if n != "DeltaOrthogonal" and not (bias and n == "Orthogonal")]))
    params = {"Constant": lambda: {"value": draw(FLOATS)},
              "Normal": lambda: {"mean": draw(FLOATS), "std": draw(POSITIVE), "seed": draw(SEEDS)},
              "TruncatedNormal": lambda: {"mean": draw(FLOATS), "std": draw(POSITIVE), "seed": draw(SEEDS)},
              "Orthogonal": lambda: {"scale": draw(FLOATS), "seed": draw(SEEDS)},
              "VarianceScaling": lambda: {"scale": draw(POSITIVE), "mode": draw(st.sampled_from(["fan_in", "fan_out", "fan_avg"])),
                                          "distribution": draw(st.sampled_from(["truncated_normal", "untruncated_normal", "uniform"])),
                                          "seed": draw(SEEDS)}}
    if name == "Uniform":
        low = draw(FLOATS)
        chosen = {"minval": low, "maxval": low + draw(POSITIVE), "seed": draw(SEEDS)}
    else:
        chosen = params.get(name, lambda: {"gain": draw(POSITIVE), "seed": draw(SEEDS)})()
    # leave some parameters out: the canonical form fills in the defaults
    chosen = {k: v for k, v in chosen.items() if draw(st.booleans()) or k in ("minval", "maxval")}
    return initializer(name, **chosen)


@st.composite
def designs(draw):
    width = draw(st.integers(1, 16))
    layers, custom = [{"kind": "Input", "name": "input", "shape": [width]}], {}
    use_custom = draw(st.booleans())
    if use_custom:
        custom["Gamma"] = GAMMA
    weight_owners, bias_owners = [], []  # layers whose own weight / bias others may link to
    for index in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["Linear", "Sigmoid", "Tanh", "Relu", "LeakyRelu", "Elu", "Softplus",
                                     "Softmax", "HardSigmoid"]))
        units = draw(st.just(width) | st.integers(1, 16))  # square layers make links possible
        options = {"alpha": draw(st.sampled_from([0, 0.01, 0.3, 1.0]))} if kind in ("Relu", "LeakyRelu", "Elu") else {}
        weight = draw(builtin_initializers())
        if use_custom and draw(st.booleans()):
            weight = initializer("Gamma", alpha=draw(POSITIVE), scale=draw(POSITIVE), seed=draw(SEEDS))
        bias = draw(st.none() | builtin_initializers(bias=True))
        name = f"layer-{index}"
        same_weight = [owner for owner, shape in weight_owners if shape == (width, units)]
        transposed = [owner for owner, shape in weight_owners if shape == (units, width)]
        share = draw(st.sampled_from(["own", "link", "transposed"]))
        if same_weight and share == "link":
            weight = {"link": draw(st.sampled_from(same_weight))}
        elif transposed and share == "transposed":  # a tied autoencoder's decoder
            weight = {"link": draw(st.sampled_from(transposed)), "transpose": True}
        else:
            weight_owners.append((name, (width, units)))
        same_bias = [owner for owner, size in bias_owners if size == units]
        if bias is not None and same_bias and draw(st.booleans()):
            bias = {"link": draw(st.sampled_from(same_bias))}
        elif bias is not None:
            bias_owners.append((name, units))
        layers.append(dense(kind, name, units, weight, bias, **options))
        if draw(st.integers(0, 4)) == 0:
            layers.append({"kind": "Dropout", "name": f"dropout-{index}", "proba": 0.25})
        width = units
    used = {v["initializer"]["name"] for e in layers for v in (e.get("parameters") or {}).values()
            if v and "initializer" in v}
    return {"format": 2, "layers": layers, "custom": {k: v for k, v in custom.items() if k in used}}


@settings(max_examples=30, deadline=None)
@given(designs())
@example(rich())
@example(json.loads((EXAMPLES / "tied_relu.json").read_text()))
@example(json.loads((EXAMPLES / "custom_gamma.json").read_text()))
def test_random_designs_round_trip_exactly(data):
    spec = NetworkSpec.from_json(json.dumps(data), trust=True)
    assert json.loads(spec.to_json()) == spec.data
    network = spec.build()
    assert NetworkSpec.from_network(network).data == spec.data
    links = sum(1 for e in spec.layers for v in (e.get("parameters") or {}).values() if v and "link" in v)
    owned = sum(1 for e in spec.layers for v in (e.get("parameters") or {}).values() if v and "link" not in v)
    assert len(network.variables) == owned
    assert sum(len(layer.variables) for layer in network.layers) == owned + links


def test_clean_code_is_stable():
    code = "\n\n  class A(init.Initializer):\n      pass   \n\n"
    assert clean_code(code) == "class A(init.Initializer):\n    pass\n"
    assert clean_code(clean_code(code)) == clean_code(code)
    assert clean_code(marker_code("/tmp")) == marker_code("/tmp")

"""Code export: ``to_code()`` (neuwidgets API) and ``to_code(target="keras")`` give
scripts that run in a fresh interpreter and rebuild the design (issue #5)."""
import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from neuwidgets import init
from neuwidgets.errors import InvalidValueError
from neuwidgets.spec import NetworkSpec

from _designs import EXAMPLES, dense, initializer, rich, small, text

# Runs every exported script of a case in one fresh interpreter (TensorFlow and Keras
# load once) and reports what the scripts built.
RUNNER = textwrap.dedent('''
    import json, runpy, sys
    import numpy as np
    from neuwidgets.spec import NetworkSpec
    report = {}
    for case in json.loads(sys.argv[1]):
        network = runpy.run_path(case["neuwidgets"])["network"]
        model = runpy.run_path(case["keras"])["model"]
        layers = {layer.name: layer for layer in model.layers}
        result = {
            "spec": json.loads(NetworkSpec.from_network(network).to_json()),  # with the classes' source
            "n_parameters": network.n_parameters,
            "output_shape": list(network.output_shape),
            "count_params": model.count_params(),
            "keras_output_shape": list(model.output_shape),
            "keras_names": [layer.name for layer in model.layers],
            "std": {name: [float(np.std(w.numpy() if hasattr(w, "numpy") else w)) for w in layer.get_weights()]
                    for name, layer in layers.items()},
            "shared": [[a, b] for a in layers for b in layers if a < b
                       and {id(w) for w in layers[a].weights} & {id(w) for w in layers[b].weights}],
        }
        if case.get("inputs") is not None:
            x = np.asarray(case["inputs"], dtype="float32")
            result["neuwidgets_out"] = network.predict(x).tolist()
            result["keras_out"] = np.asarray(model.predict(x, verbose=0)).tolist()
        report[case["name"]] = result
    print("REPORT" + json.dumps(report))
''')


def constants():
    """Fixed values only: the exported Keras model must compute exactly what the network does."""
    rng = np.random.default_rng(0)

    def values(*shape):
        return {"values": rng.normal(0, 0.7, shape).round(3).tolist()}
    kinds = [("Sigmoid", {}), ("Tanh", {}), ("Relu", {"alpha": 0}), ("Relu", {"alpha": 0.2}),
             ("LeakyRelu", {"alpha": 0.05}), ("Elu", {"alpha": 0.5}), ("Elu", {"alpha": 1.0}), ("Softplus", {}),
             ("HardSigmoid", {}), ("Linear", {}), ("Softmax", {})]
    layers = [{"kind": "Input", "name": "x", "shape": [5]}]
    for index, (kind, options) in enumerate(kinds):
        layers.append(dense(kind, f"{kind.lower()}-{index}", 5, values(5, 5),
                            initializer("Constant", value=0.1 * index) if index % 3 else values(5), **options))
    layers.insert(3, {"kind": "Dropout", "name": "drop", "proba": 0.5})
    layers[5]["parameters"]["weight"] = {"link": "sigmoid-0"}
    return {"format": 2, "layers": layers}


WIDE = [("Normal", {"mean": 0.5, "std": 0.2}), ("Uniform", {"minval": -0.3, "maxval": 0.1}),
        ("TruncatedNormal", {"std": 0.3}), ("Orthogonal", {"scale": 2.0}), ("HeNormal", {"gain": 2}),
        ("HeUniform", {"gain": 2}), ("XavierNormal", {"gain": 2}), ("XavierUniform", {"gain": 1}),
        ("VarianceScaling", {"scale": 2.0, "mode": "fan_avg", "distribution": "truncated_normal"}),
        ("VarianceScaling", {"scale": 1.0, "mode": "fan_out", "distribution": "uniform"})]
BIASES = [("XavierNormal", {"gain": 2}), ("XavierUniform", {"gain": 2}), ("HeNormal", {"gain": 2}),
          ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "untruncated_normal"}),
          ("VarianceScaling", {"scale": 2.0, "mode": "fan_avg", "distribution": "truncated_normal"}),
          ("Constant", {"value": 0.3}), ("Normal", {"std": 0.01}), ("Uniform", {"minval": 0, "maxval": 1}),
          ("TruncatedNormal", {"std": 0.02}), ("HeUniform", {"gain": 1})]


def wide():
    """One wide layer per built-in initializer (weights and biases), to measure what Keras samples."""
    layers = [{"kind": "Input", "name": "x", "shape": [400]}]
    for index, ((name, params), (bias, bias_params)) in enumerate(zip(WIDE, BIASES)):
        layers.append(dense("Linear", f"w{index}", 300 if index % 2 else 400, initializer(name, **params),
                            initializer(bias, **bias_params)))
    return {"format": 2, "layers": layers}


def forward_links():
    """A link to a later layer (the builder can make one): code makes the earlier layer the owner."""
    return {"format": 2, "layers": [
        {"kind": "Input", "name": "x", "shape": [3]},
        dense("Tanh", "t1", 3, {"link": "t3"}, initializer("Constant", value=0)),
        dense("Tanh", "t2", 3, {"link": "t3"}, {"link": "t1"}),
        dense("Tanh", "t3", 3, initializer("Orthogonal", scale=1.1, seed=5), initializer("Constant", value=0.5))]}


CASES = {
    "rich": lambda: NetworkSpec.from_json(text(rich()), trust=True),
    "constants": lambda: NetworkSpec(constants()),
    "wide": lambda: NetworkSpec(wide()),
    "forward links": lambda: NetworkSpec.from_json(text(forward_links())),
    "example tied_relu": lambda: NetworkSpec.from_json((EXAMPLES / "tied_relu.json").read_text()),
    "example custom_gamma": lambda: NetworkSpec.from_json((EXAMPLES / "custom_gamma.json").read_text(), trust=True),
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """{case: (spec, report)} from one fresh interpreter running all exported scripts."""
    folder = tmp_path_factory.mktemp("exported")
    specs, cases = {}, []
    for name, make in CASES.items():
        spec = specs[name] = make()
        paths = {}
        for target in ("neuwidgets", "keras"):
            paths[target] = str(folder / f"{name.replace(' ', '_')}_{target}.py")
            with open(paths[target], "w") as file:
                file.write(spec.to_code(target=target))
        inputs = np.random.default_rng(1).normal(size=(4, 5)).tolist() if name == "constants" else None
        cases.append({"name": name, **paths, "inputs": inputs})
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(cases)], capture_output=True, text=True,
                         env=env, timeout=300, cwd=folder)
    assert run.returncode == 0, run.stderr[-4000:]
    report = json.loads(run.stdout.split("REPORT", 1)[1])
    return {name: (specs[name], report[name]) for name in CASES}


@pytest.mark.parametrize("case", [c for c in CASES if c != "forward links"])
def test_neuwidgets_code_rebuilds_an_identical_design(exported, case):
    spec, report = exported[case]
    assert report["spec"] == spec.data
    assert report["n_parameters"] == spec.build().n_parameters


def test_code_for_links_to_later_layers_makes_the_earliest_layer_the_owner(exported):
    spec, report = exported["forward links"]
    layers = {entry["name"]: entry["parameters"] for entry in report["spec"]["layers"][1:]}
    assert layers["t1"]["weight"] == initializer("Orthogonal", scale=1.1, seed=5)
    assert layers["t2"]["weight"] == layers["t3"]["weight"] == {"link": "t1"}
    assert layers["t2"]["bias"] == {"link": "t1"} and layers["t3"]["bias"] == initializer("Constant", value=0.5)
    assert report["n_parameters"] == spec.build().n_parameters == 9 + 3 + 3
    assert ["t1", "t2"] in report["shared"] and ["t1", "t3"] in report["shared"]


@pytest.mark.parametrize("case", list(CASES))
def test_keras_code_counts_the_same_parameters_and_keeps_names_and_shapes(exported, case):
    spec, report = exported[case]
    assert report["count_params"] == report["n_parameters"]
    assert report["keras_output_shape"] == report["output_shape"]
    assert report["keras_names"] == [entry["name"] for entry in spec.layers]


def test_keras_shares_exactly_the_linked_variables(exported):
    _, report = exported["rich"]
    assert sorted(map(tuple, report["shared"])) == [("e", "r"), ("h", "lr"), ("out", "s")]
    _, report = exported["example tied_relu"]
    assert sorted(map(tuple, report["shared"])) == [("relu-1", "relu-2"), ("relu-1", "relu-3"), ("relu-2", "relu-3")]


def test_keras_model_computes_what_the_network_computes(exported):
    _, report = exported["constants"]
    np.testing.assert_allclose(report["keras_out"], report["neuwidgets_out"], rtol=1e-5, atol=1e-6)
    assert np.ptp(report["neuwidgets_out"]) > 0.01  # not a constant output that would hide differences


def test_keras_initializers_sample_the_same_std(exported):
    spec, report = exported["wide"]
    network = spec.build()
    for entry in spec.layers[1:]:
        layer = network.layer(entry["name"])
        for parameter, measured in zip(("weight", "bias"), report["std"][entry["name"]]):
            config = entry["parameters"][parameter]["initializer"]
            shape = layer.parameter_shapes()[parameter]
            expected = init.from_config(config).expected_std(shape)
            tolerance = 0.08 if len(shape) == 2 else 0.3  # a bias has 300-400 values
            assert measured == pytest.approx(expected, rel=tolerance, abs=1e-6), (entry["name"], parameter, config)


def test_keras_code_maps_initializers_and_activations_directly():
    code = NetworkSpec(wide()).to_code(target="keras")
    for expected in ["keras.initializers.RandomNormal(mean=0.5, stddev=0.2)",
                     "keras.initializers.RandomUniform(minval=-0.3, maxval=0.1)",
                     "keras.initializers.TruncatedNormal(mean=0, stddev=0.3)",
                     "keras.initializers.Orthogonal(gain=2.0)",
                     "keras.initializers.VarianceScaling(scale=2, mode='fan_in', distribution='untruncated_normal')",
                     "keras.initializers.VarianceScaling(scale=2, mode='fan_in', distribution='uniform')",
                     "keras.initializers.VarianceScaling(scale=1.0, mode='fan_avg', distribution='untruncated_normal')",
                     "keras.initializers.VarianceScaling(scale=0.5, mode='fan_avg', distribution='uniform')",
                     "keras.initializers.VarianceScaling(scale=2.0, mode='fan_avg', distribution='truncated_normal')",
                     "keras.initializers.Constant(value=0.3)"]:
        assert expected in code
    # a bias's fan_out is 1 in neuwidgets but n in Keras: the numbers are spelled out
    std = math.sqrt(2 / (400 + 1))
    assert f"keras.initializers.RandomNormal(mean=0.0, stddev={std!r})" in code
    code = NetworkSpec(constants()).to_code(target="keras")
    for expected in ["activation='sigmoid'", "activation='tanh'", "activation='relu'", "activation=leaky_relu(0.2)",
                     "activation=leaky_relu(0.05)", "activation=elu(0.5)", "activation='elu'",
                     "activation='softplus'", "activation=hard_sigmoid()", "activation=None", "activation='softmax'",
                     "keras.layers.Dropout(rate=0.5, name='drop')", "sharing(keras.layers.Dense)(",
                     "shared={'kernel': layers['sigmoid-0'].kernel}",
                     "keras.ops.clip(0.2 * z + 0.5, 0.0, 1.0)"]:
        assert expected in code
    assert "import neuwidgets" not in code and "from neuwidgets" not in code  # self-contained without custom code


def test_to_code_refuses_an_unknown_target_and_a_broken_link():
    with pytest.raises(InvalidValueError, match="target must be 'neuwidgets' or 'keras', got 'torch'"):
        NetworkSpec(small()).to_code(target="torch")
    broken = NetworkSpec(small())
    broken.data["layers"][2]["parameters"]["weight"] = {"link": "nowhere"}
    with pytest.raises(InvalidValueError, match=r"to_code: Relu layer 'b': parameter 'weight': link to a missing layer"):
        broken.to_code()

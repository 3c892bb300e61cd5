"""Designs shared by the spec, file, code-export and command-line tests."""
import copy
import json
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "designs"


def initializer(name, **params):
    return {"initializer": {"name": name, "params": params}}


def dense(kind, name, n_units, weight, bias, **options):
    return {"kind": kind, "name": name, "n_units": n_units, **options,
            "parameters": {"weight": weight, "bias": bias}}


def small():
    """Input(4) -> Tanh(3, no bias) -> Relu(3), seeded."""
    return {"format": 2, "seed": 7, "layers": [
        {"kind": "Input", "name": "in", "shape": [4]},
        dense("Tanh", "a", 3, initializer("Normal", std=0.1), None),
        dense("Relu", "b", 3, initializer("HeNormal", gain=2), initializer("Constant", value=0))]}


def marker_code(folder, name="Boom"):
    """Custom initializer code that leaves files in ``folder`` when it runs: ``defined``
    when the code is executed, ``sampled`` when the initializer samples."""
    return f'''import pathlib
pathlib.Path({str(folder)!r}, "defined").write_text("the custom code ran")


class {name}(init.Initializer):
    def __init__(self, scale=0.5):
        self.scale = scale

    def sample(self, shape):
        pathlib.Path({str(folder)!r}, "sampled").write_text("sampled")
        return self.scale * tf.ones(shape)
'''


def with_custom(folder):
    """``small()`` whose Tanh weight uses a custom initializer with side effects."""
    data = small()
    data["custom"] = {"Boom": marker_code(folder)}
    data["layers"][1]["parameters"]["weight"] = initializer("Boom", scale=0.5)
    return data


def ran(folder):
    """Names of the marker files the custom code left."""
    return sorted(p.name for p in Path(folder).iterdir() if p.name in ("defined", "sampled"))


def rich(custom_folder=None):
    """Every layer kind and activation option, every kind of parameter value, links to
    earlier layers (weight and bias), a custom initializer."""
    data = {"format": 2, "layers": [
        {"kind": "Input", "name": "x", "shape": [6]},
        dense("Tanh", "enc", 4, initializer("XavierNormal", gain=2), initializer("XavierUniform")),
        dense("Relu", "r", 4, initializer("HeNormal", gain=2),
              initializer("VarianceScaling", mode="fan_out", distribution="truncated_normal"), alpha=0.1),
        dense("Elu", "e", 4, {"link": "r"}, {"link": "r"}, alpha=0.5),
        {"kind": "Dropout", "name": "drop", "proba": 0.25},
        dense("HardSigmoid", "h", 4, initializer("Gamma", alpha=3.0, scale=0.1, seed=None), None),
        dense("LeakyRelu", "lr", 4, {"link": "h"}, initializer("Normal", std=0.5, seed=3)),
        dense("Sigmoid", "s", 6, initializer("Orthogonal", scale=1.5), {"values": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}),
        dense("Softplus", "sp", 6, initializer("HeUniform"), initializer("TruncatedNormal", std=0.2)),
        dense("Linear", "lin", 6, initializer("Uniform", minval=-0.5, maxval=0.5), initializer("Constant", value=0.1)),
        dense("Softmax", "out", 6, initializer("XavierNormal"), {"link": "s"}),
    ], "custom": {"Gamma": GAMMA}}
    return data


GAMMA = '''class Gamma(init.Initializer):
    """Gamma(alpha) samples times scale."""

    def __init__(self, alpha=2.0, scale=0.1, seed=None):
        self.alpha, self.scale, self.seed = alpha, scale, seed

    def sample(self, shape):
        return self.scale * tf.random.gamma(shape, self.alpha, seed=self.seed)
'''


def mutate(data, change):
    data = copy.deepcopy(data)
    change(data)
    return data


def text(data):
    return json.dumps(data)

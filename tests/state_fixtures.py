"""States a real NetworkBuilder publishes, for the front-end tests (js/fixtures/states.json).

Run in a fresh interpreter (the initializer chooser lists the Initializer classes of the
session): ``python tests/state_fixtures.py --write`` rewrites the file;
tests/test_state_fixtures.py checks that it is current.
"""
import json
import sys
from pathlib import Path

from neuwidgets import NetworkBuilder, NetworkSpec, init
from neuwidgets.layers import Input, Relu, Sigmoid, Softmax, Tanh, join

FIXTURES = Path(__file__).resolve().parent.parent / "js" / "fixtures" / "states.json"


class MyInit(init.Initializer):
    """A class defined in a notebook cell: the chooser lists it as custom."""

    def sample(self, shape):
        return init.Normal(std=0.05, seed=1).sample(shape)


UNTRUSTED = "class Boom(init.Initializer):\n    def sample(self, shape):\n        return tf.ones(shape)\n"


def sample():
    """input-1 (10) -> sigmoid-1 (30) -> sigmoid-2 (20) -> relu-1 (15), seeded: the same
    values (and measured std) every run."""
    network = join(Input(10, name="input-1"), Sigmoid(30, name="sigmoid-1"), Sigmoid(20, name="sigmoid-2"),
                   Relu(15, name="relu-1"))
    return NetworkBuilder(NetworkSpec.from_network(network), plots=False, seed=1)


def published():
    """``{case: {"state": ..., "notice": ...}}`` of the builders the front-end tests use."""
    cases = {}
    builder = sample()
    cases["sample"] = builder
    linked = sample()
    linked.add_layer("Sigmoid", 20, name="tied")
    linked.link("tied", "weight", "relu-1", transpose=True)  # tied (15, 20) uses relu-1's (20, 15) transposed
    linked.add_layer("Relu", 20, name="twin")
    linked.link("twin", "bias", "tied")                      # twin's bias is tied's
    cases["linked"] = linked
    broken = sample()
    broken.add_layer("Relu", 15, name="tied")
    broken.link("tied", "bias", "relu-1")  # (15,) as relu-1's
    broken.set_units("relu-1", 12)          # the tie no longer fits: shown, not dropped
    cases["broken link"] = broken
    untrusted = NetworkBuilder({"format": 2, "custom": {"Boom": UNTRUSTED}, "layers": [
        {"kind": "Input", "name": "input-1", "shape": [10]},
        {"kind": "Tanh", "name": "tanh-1", "n_units": 5,
         "parameters": {"weight": {"initializer": {"name": "Boom", "params": {}}}}}]}, plots=False, seed=1)
    cases["untrusted"] = untrusted
    typed = sample()
    typed._on_message(typed, {"type": "edit", "seq": 1, "op": "set_initializer", "args": {
        "name": "sigmoid-1", "parameter": "weight",
        "code": "class Mine(init.Initializer):\n    def sample(self, shape):\n        return 1 / 0\n"}}, [])
    cases["refused code"] = typed
    cnn = NetworkBuilder(plots=False, seed=1)
    for name in [layer["name"] for layer in cnn.spec.layers[1:]]:
        cnn.remove_layer(name)
    cnn.set_input_shape("8, 8, 1")
    cnn.add_layer("Convolution", "3, 3, 8", padding="same")
    cnn.add_layer("Relu")
    cnn.add_layer("MaxPooling", "2")
    cnn.add_layer("BatchNorm")
    cnn.add_layer("Reshape")
    cnn.add_layer("Softmax", 10)
    cases["cnn"] = cnn
    refusal = sample()
    refusal._on_message(refusal, {"type": "edit", "seq": 1, "op": "set_field",
                                  "args": {"name": "sigmoid-1", "field": "n_units", "value": "abc"}}, [])
    cases["refused units"] = refusal
    classroom = sample()
    classroom.apply_recipe("std 0.01")
    classroom.pin()
    classroom.apply_recipe("He")
    classroom.hold_range(True)
    classroom._on_message(classroom, {"type": "edit", "seq": 2, "op": "set_initializer", "args": {
        "name": "sigmoid-1", "parameter": "weight", "scope": "kind", "preview": True,
        "initializer": {"name": "Normal", "params": {"std": 0.5}}}}, [])
    cases["slider drag with a pin and a held range"] = classroom
    digits = NetworkBuilder(NetworkSpec.from_network(join(
        Input(64, name="input-1"), Tanh(32, name="tanh-1"), Softmax(10, name="softmax-1"))), plots=False, seed=1)
    digits.set_inputs("digits")
    digits.show_theory(True)
    digits._on_message(digits, {"type": "edit", "seq": 3, "op": "lsuv", "args": {}}, [])
    cases["digits after LSUV with the theory shown"] = digits
    return {case: {"state": b.state, "notice": b.notice} for case, b in cases.items()}


if __name__ == "__main__":
    text = json.dumps(published(), indent=1, sort_keys=True) + "\n"
    if "--write" in sys.argv:
        FIXTURES.parent.mkdir(exist_ok=True)
        FIXTURES.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)

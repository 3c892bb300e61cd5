"""The builder's inputs switch, theory panels, LSUV edit and Train panel (Python side)."""
import io

import numpy as np
import pytest
from PIL import Image

from neuwidgets import NetworkBuilder, init, plotting
from neuwidgets.errors import NeuwidgetsError
from neuwidgets.layers import Input, Relu, Sigmoid, Softmax, Tanh, join

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def digits_builder():
    return NetworkBuilder(join(Input(64, name="in"), Tanh(32, name="a"), Tanh(32, name="b"), Softmax(10, name="out")),
                          plots=False, seed=7)


def test_the_statistics_switch_to_the_digits_when_the_network_takes_64_values(digits_builder):
    b = digits_builder
    assert b.state["inputs"] == {"source": "gaussian", "choices": ["gaussian", "digits"]}
    gaussian = [record.std for record in b._profile()]
    b.set_inputs("digits")
    assert b.inputs == "digits" and b.state["inputs"]["source"] == "digits"
    digits = [record.std for record in b._profile()]
    assert gaussian != digits and all(0 < std < 1 for std in digits)
    with pytest.raises(NeuwidgetsError, match="set_inputs: source must be one of 'gaussian', 'digits', got 'mnist'"):
        b.set_inputs("mnist")
    narrow = NetworkBuilder(plots=False)
    assert narrow.state["inputs"]["choices"] == ["gaussian"]
    with pytest.raises(NeuwidgetsError, match=r"the digits have 64 values a sample; this network takes \(10,\)"):
        narrow.set_inputs("digits")


def test_the_theory_panels_are_drawn_when_shown_and_follow_edits(digits_builder):
    b = digits_builder
    b.plots = True
    b.show_theory(True)
    assert b.state["theory"] is True and b.phase_diagram.startswith(PNG) and b.spectrum.startswith(PNG)
    before = b.spectrum
    b.set_initializer(["a", "b"], "weight", init.Normal(std=1.0))
    assert b.spectrum.startswith(PNG) and b.spectrum != before
    b.show_theory(False)
    assert b.phase_diagram == b"" and b.spectrum == b"" and b.state["theory"] is False


def test_the_phase_diagram_stacks_one_readable_panel_per_activation():
    sizes = []
    for hidden in ([Tanh(20)], [Sigmoid(30), Tanh(20), Relu(20)]):
        b = NetworkBuilder(join(Input(10), *hidden, Softmax(10)), plots=True)
        b.show_theory(True)
        sizes.append(Image.open(io.BytesIO(b.phase_diagram)).size)
    (one_width, one_height), (three_width, three_height) = sizes
    assert one_width == three_width == 460 and 2.7 * one_height < three_height < 3.2 * one_height
    with pytest.raises(NeuwidgetsError, match="ncols must be None or a positive integer, got 0"):
        plotting.plot_phase_diagram("tanh", ncols=0)


def test_lsuv_is_one_undoable_edit_whose_design_holds_its_scales_to_6_digits(digits_builder):
    b = digits_builder
    b.set_inputs("digits")
    before = b.spec
    log = b.lsuv()
    assert [record.layer for record in log] == ["a", "b", "out"] and all(record.converged for record in log)
    config = b.spec.entry("a")["parameters"]["weight"]["initializer"]
    assert config["name"] == "Orthogonal" and config["params"]["scale"] == float(f"{log[0].scale:.6g}")
    weight = b.network.layer("a").variable("weight").numpy()
    np.testing.assert_allclose(weight, log[0].initializer().sample((64, 32)).numpy(), rtol=5e-6, atol=0)
    assert [entry["layer"] for entry in b.state["lsuv_log"]] == ["a", "b", "out"]
    assert [entry["variance"] for entry in b.state["lsuv_log"]] == [float(f"{r.variances[-1]:.4g}") for r in log]
    b.undo()
    assert b.spec == before


def test_lsuv_on_a_network_without_weights_is_refused_and_changes_nothing():
    b = NetworkBuilder({"format": 2, "layers": [{"kind": "Input", "name": "in", "shape": [4]},
                                                {"kind": "Dropout", "name": "d"}]}, plots=False)
    before = b.spec
    with pytest.raises(NeuwidgetsError, match="lsuv: the network .* has no layer with a weight to scale"):
        b.lsuv()
    assert b.spec is before


def test_a_training_run_compares_with_pins_in_the_background_and_changes_nothing(digits_builder):
    b = digits_builder
    b.set_initializer(["a", "b"], "weight", init.XavierNormal(gain=2))
    label = b.pin("Xavier")
    b.set_initializer(["a", "b"], "weight", init.Normal(std=0.01))
    spec, weight = b.spec, b.network.layer("a").variable("weight").numpy().copy()
    b.train(steps=120, compare=[label], wait=True)
    assert b.training == {"running": False, "label": "Xavier", "step": 120, "steps": 120,
                          "labels": ["current", "Xavier"], "message": "done"}
    runs = b.training_runs
    assert len(runs["current"]["loss"]) == len(runs["Xavier"]["loss"]) == 120
    assert runs["Xavier"]["loss"][-1] < runs["current"]["loss"][-1] - 0.5  # who learns
    assert b.training_chart.startswith(PNG)
    assert b.spec is spec and np.array_equal(b.network.layer("a").variable("weight").numpy(), weight)


def test_stop_ends_a_run_between_steps_keeping_its_curves(digits_builder):
    b = digits_builder
    b.train(steps=5000)
    assert b.training["running"] is True
    import time
    deadline = time.monotonic() + 60
    while b.training["step"] < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    b.stop_training()
    b._training_thread.join(timeout=60)
    assert b.training["running"] is False and b.training["message"] == "stopped: the curves show the steps done"
    assert 20 <= len(b.training_runs["current"]["loss"]) < 5000


def test_bad_training_requests_are_refused_before_anything_runs(digits_builder):
    b = digits_builder
    with pytest.raises(NeuwidgetsError, match="train: pin 'nope' has no design in this session"):
        b.train(compare=["nope"])
    with pytest.raises(NeuwidgetsError, match="steps must be a positive integer, got 0"):
        b.train(steps=0)
    narrow = NetworkBuilder(join(Input(10), Relu(5)), plots=False)
    with pytest.raises(NeuwidgetsError, match=r"the digits have 64 inputs and 10 classes; this network takes \(10,\) "
                       r"and gives \(5,\): to train on them, set the Input's shape to 64 and end with a layer of 10 "
                       r"units \(e\.g\. Softmax\); for other data call train\(x=\.\.\., y=\.\.\.\) from Python"):
        narrow.train()
    assert b.training["running"] is False


def test_train_and_theory_messages_get_their_notices(digits_builder):
    b = digits_builder
    from test_builder import send
    assert send(b, "set_inputs", source="digits")["ok"]
    assert send(b, "show_theory", show=False)["ok"]
    notice = send(b, "train", steps=-3)
    assert notice["ok"] is False and "steps must be a positive integer" in notice["message"]
    assert send(b, "lsuv")["ok"] and b.state["can_undo"]

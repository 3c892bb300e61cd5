"""End to end: the NetworkBuilder in a real JupyterLab, driven in headless Chromium.

Opens examples/quickstart.ipynb in JupyterLab, runs all cells, then edits the design
by clicking and typing only, and after every step checks both what the page shows and
the kernel's ``builder.network`` (read by running Python in the notebook's kernel).
Fails on any browser console error, any traceback printed by a widget callback, and any
error output in the notebook. Screenshots go to tests/artifacts/browser-<step>.png.

Run: ``python -m pytest tests/test_browser.py -q -s`` (about a minute; needs
/usr/bin/chromium and the built front end, ``npm run build``).
"""
import json
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from browser_utils import (CHROMIUM, JS_CELL_OUTPUTS, JS_EXECUTE, JS_IOPUB, JS_THEME_IS, ConsoleErrors, LabServer,
                           assert_bundle_built, open_and_run_all, screenshot_of)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
NOTEBOOK = "quickstart.ipynb"
STEP_TIMEOUT = 30_000   # ms, one edit and its re-render
KERNEL_TIMEOUT = 60_000  # ms, kernel start and the first run of all cells (TensorFlow import)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"browser test needs Chromium at {CHROMIUM} "
                       "(Debian: apt-get install chromium)"),
]

# Defined once in the kernel; prints what the assertions need about builder.network.
PROBE = '''
def _nw_probe():
    net = builder.network
    layers = {}
    for layer in net.layers:
        entry = {"output_shape": list(layer.output_shape), "n_units": getattr(layer, "n_units", None)}
        for parameter, value in layer.parameters.items():
            variable = layer.variable(parameter)
            shown = f"variable {value.name}" if hasattr(value, "numpy") else repr(value)
            entry[parameter] = {"repr": shown, "variable": variable.name,
                                "mean": float(variable.numpy().mean()), "id": id(variable)}
        layers[layer.name] = entry
    tied = (builder.network.layer("tied-b").variable("weight")
            is builder.network.layer("tied-a").variable("weight"))
    return {"names": [layer.name for layer in net.layers], "output_shape": list(net.output_shape),
            "n_parameters": int(net.n_parameters), "layers": layers, "tied": tied,
            "errors": list(builder.errors)}
'''


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    assert_bundle_built()
    root = tmp_path_factory.mktemp("lab-root")
    shutil.copy(ROOT / "examples" / NOTEBOOK, root / NOTEBOOK)
    ARTIFACTS.mkdir(exist_ok=True)
    server = LabServer(root, tmp_path_factory.mktemp("lab-home"), ARTIFACTS / "jupyter-server.log")
    server.start(timeout=60)
    try:
        yield server
    finally:
        server.stop()


class Lab:
    """The notebook page plus the ways to look into it and into its kernel."""

    def __init__(self, page):
        self.page = page
        self.console_errors = ConsoleErrors(page)

    def kernel(self, code):
        """Run ``code`` in the notebook's kernel; return its stdout (fails on an error)."""
        result = self.page.evaluate(JS_EXECUTE, [NOTEBOOK, code])
        assert result["error"] is None, f"kernel error running {code!r}:\n{result['error']}"
        return result["stdout"]

    def probe(self):
        out = self.kernel("print(__import__('json').dumps(_nw_probe()))")
        return json.loads(out.strip().splitlines()[-1])

    def testid(self, name, within=None):
        return (within or self.page).locator(f'[data-testid="{name}"]')

    def card(self, layer):
        return self.page.locator(f'[data-testid="nw-card"][data-layer="{layer}"]')

    def builder(self):
        return self.testid("nw-builder").first

    def screenshot(self, step):
        """The widget alone."""
        screenshot_of(self.builder(), ARTIFACTS / f"browser-{step}.png")

    def wait_until(self, check, what, timeout=STEP_TIMEOUT / 1000):
        """Poll ``check()`` (e.g. a kernel probe) until it is truthy."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.2)


@pytest.fixture(scope="session")
def lab(lab_server, browser):
    from playwright.sync_api import expect
    expect.set_options(timeout=STEP_TIMEOUT)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT)
    lab = Lab(page)
    try:
        open_and_run_all(page, f"{lab_server.url}lab/tree/{NOTEBOOK}?reset", NOTEBOOK, KERNEL_TIMEOUT)
        lab.kernel(PROBE)
        page.evaluate("() => { window.__nwPhase = 'steps'; }")
    except BaseException:
        page.screenshot(path=str(ARTIFACTS / "browser-FAILED-setup.png"), full_page=True)
        context.close()
        raise
    try:
        yield lab
    finally:
        context.close()


@contextmanager
def step(lab, name):
    """A named step: on failure a screenshot of the whole page is kept for the post mortem."""
    try:
        yield
    except BaseException:
        try:
            lab.page.screenshot(path=str(ARTIFACTS / f"browser-FAILED-{name}.png"), full_page=True)
        except Exception:  # the page may be gone; the assertion matters more
            pass
        raise
    # The screenshot shows the step finished: plots drawn, nothing computing.
    from playwright.sync_api import expect
    expect(lab.testid("nw-progress")).to_be_hidden()
    lab.screenshot(name)
    assert_no_errors_logged(lab, f"step {name}")


def assert_no_errors_logged(lab, when):
    """No browser console error, and no stderr/error output from widget callbacks
    (what JupyterLab would only show in its log console)."""
    assert not lab.console_errors, f"browser console errors by {when}: {lab.console_errors}"
    callback_output = [m for m in kernel_noise_filtered(lab.page.evaluate(JS_IOPUB))
                       if m["parent"] != "execute_request" and (m["type"] == "error" or m["name"] == "stderr")]
    assert not callback_output, f"widget callbacks wrote errors by {when}: {callback_output}"


def type_into(locator, text):
    """Click a text field, select what is there and type ``text`` key by key."""
    locator.click()
    locator.press("ControlOrMeta+a")
    locator.press_sequentially(text)


def rebuild(lab, shape, layers):
    """By clicking and typing: remove every layer after the input (the last first, so that
    what stays fits), give the input ``shape`` and add ``layers`` from the palette:
    ``[(kind, first setting or "", output shape after it)]``."""
    from playwright.sync_api import expect
    for name in [card.get_attribute("data-layer") for card in lab.testid("nw-card").all()][:0:-1]:
        lab.testid("nw-remove", lab.card(name)).click()
        expect(lab.card(name)).to_have_count(0)
    field = lab.card("input").locator('[data-testid="nw-field"][data-field="shape"]')
    type_into(field, shape)
    field.press("Enter")
    expect(lab.testid("nw-output-summary")).to_have_text(f"(?, {shape})")
    for count, (kind, value, output) in enumerate(layers, start=2):
        lab.testid("nw-palette-kind").select_option(kind)
        type_into(lab.testid("nw-palette-value"), value) if value else lab.testid("nw-palette-value").fill("")
        lab.testid("nw-add").click()
        expect(lab.testid("nw-card")).to_have_count(count)
        expect(lab.testid("nw-output-summary")).to_have_text(output)


def kernel_noise_filtered(messages):
    """Kernel output minus ipywidgets' harmless start-up noise: its manager opens a
    "jupyter.widget.control" comm as soon as it connects, and a kernel that has not
    imported ipywidgets yet answers on stderr ("No such comm target registered: ..."
    and "No such comm: <id>"). Only answers that come before any cell ran (no widget
    can exist then) are dropped, with later messages of the same text."""
    startup = set()
    for message in messages:
        if message["parent"] == "execute_request":
            break
        match = re.fullmatch(r"No such comm(?: target registered: jupyter\.widget\.control|: (\S+))",
                             message["text"].strip())
        if match:  # the control comm's id is in the text: later messages about it match too
            startup.add(message["text"].strip())
    return [m for m in messages if m["text"].strip() not in startup]


def test_builder_end_to_end(lab):
    from playwright.sync_api import expect
    page = lab.page
    builder = lab.builder()

    # -- 0. the quickstart ran: the widget shows the five layers, the kernel agrees ------
    with step(lab, "0-loaded"):
        expect(builder).to_be_visible()
        for name in ("input", "hidden", "output", "tied-a", "tied-b"):
            expect(lab.card(name)).to_be_visible()
        expect(lab.testid("nw-link", lab.card("tied-b"))).to_contain_text("weight: uses tied-a's")
        expect(lab.testid("nw-depth-chart")).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
        expect(lab.testid("nw-thumb", lab.card("hidden")).first).to_have_attribute(
            "src", re.compile(r"^data:image/png;base64,"))
        state = lab.probe()
        assert state["names"] == ["input", "hidden", "output", "tied-a", "tied-b"]
        assert state["tied"] is True
        expect(lab.testid("nw-total-params")).to_have_text(f"{state['n_parameters']:,} parameters")

    # -- 1. add a layer from the palette -------------------------------------------------
    with step(lab, "1-add-layer"):
        lab.testid("nw-palette-kind").select_option("Relu")
        type_into(lab.testid("nw-palette-value"), "7")
        lab.testid("nw-add").click()
        card = lab.card("relu-1")
        expect(card).to_be_visible()
        expect(lab.testid("nw-output-shape", card)).to_have_text("(?, 7)")
        expect(lab.testid("nw-count", card)).to_have_text("112 params")  # 15 * 7 + 7
        expect(lab.testid("nw-output-summary")).to_have_text("(?, 7)")
        state = lab.probe()
        assert state["names"] == ["input", "hidden", "output", "tied-a", "tied-b", "relu-1"]
        assert state["output_shape"] == [None, 7]
        assert state["layers"]["relu-1"]["n_units"] == 7

    # -- 2. change units on a card; a refused value changes nothing ----------------------
    with step(lab, "2-units"):
        card = lab.card("relu-1")
        type_into(card.locator('[data-testid="nw-field"][data-field="n_units"]'), "12")
        card.locator('[data-testid="nw-field"][data-field="n_units"]').press("Enter")
        expect(lab.testid("nw-output-shape", card)).to_have_text("(?, 12)")
        state = lab.wait_until(lambda: (s := lab.probe())["output_shape"] == [None, 12] and s, "units 12 in the kernel")
        assert state["layers"]["relu-1"]["n_units"] == 12

        type_into(card.locator('[data-testid="nw-field"][data-field="n_units"]'), "abc")
        card.locator('[data-testid="nw-field"][data-field="n_units"]').press("Enter")
        expect(lab.testid("nw-card-error", card)).to_contain_text("got 'abc'")
        expect(card.locator('[data-testid="nw-field"][data-field="n_units"]')).to_have_value("12")
        expect(lab.testid("nw-output-shape", card)).to_have_text("(?, 12)")
        after = lab.probe()
        assert after["output_shape"] == [None, 12] and after["layers"]["relu-1"]["n_units"] == 12
        assert after["names"] == state["names"]

    # -- 3. choose an initializer with parameters -----------------------------------------
    with step(lab, "3-initializer"):
        lab.card("hidden").locator(".nw-name").click()
        details = lab.testid("nw-details")
        expect(details).to_be_visible()
        weight = details.locator('[data-testid="nw-param"][data-parameter="weight"]')
        panel = lab.testid("nw-panel", weight)
        expect(panel).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
        # shown at its natural size (300 x 170 pixels), not blown up
        natural, shown = panel.evaluate("img => [img.naturalWidth, img.getBoundingClientRect().width]")
        assert natural == 300 and shown <= 302, (natural, shown)  # + its 1 px border
        old_src = panel.get_attribute("src")
        # letter keys on the widget's controls never reach JupyterLab's notebook shortcuts ("x" cuts a cell)
        cells = "() => window.jupyterapp.shell.currentWidget.content.widgets.length"
        before = lab.page.evaluate(cells)
        lab.testid("nw-init-select", weight).focus()
        lab.page.keyboard.press("x")
        lab.card("hidden").focus()
        lab.page.keyboard.press("d")
        lab.page.keyboard.press("d")
        assert lab.page.evaluate(cells) == before
        lab.testid("nw-init-select", weight).select_option("Uniform")
        type_into(weight.locator('[data-testid="nw-init-param"][data-name="minval"]'), "-0.5")
        type_into(weight.locator('[data-testid="nw-init-param"][data-name="maxval"]'), "0.5")
        lab.testid("nw-init-apply", weight).click()
        expect(lab.testid("nw-label", weight)).to_have_text("Uniform(-0.5, 0.5)")
        expect(panel).not_to_have_attribute("src", old_src)
        expect(panel).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
        expect(lab.testid("nw-std", weight)).to_contain_text("0.28")  # 1 / sqrt(12)
        state = lab.probe()
        hidden = state["layers"]["hidden"]["weight"]
        assert hidden["repr"] == "Uniform(-0.5, 0.5)"
        assert -0.1 < hidden["mean"] < 0.1

    # -- 4. unlink, then link two weights again --------------------------------------------
    with step(lab, "4-link"):
        card = lab.card("tied-b")
        card.locator(".nw-name").click()
        details = lab.testid("nw-details")
        expect(details.locator(".nw-details-title .nw-name")).to_have_text("tied-b")
        weight = details.locator('[data-testid="nw-param"][data-parameter="weight"]')
        lab.testid("nw-unlink", weight).click()
        expect(lab.testid("nw-link", card)).to_have_count(0)
        state = lab.probe()
        assert state["tied"] is False
        a, b = state["layers"]["tied-a"]["weight"], state["layers"]["tied-b"]["weight"]
        assert a["id"] != b["id"] and a["variable"] != b["variable"]
        params_unlinked = state["n_parameters"]

        lab.testid("nw-link-select", weight).select_option("tied-a")
        lab.testid("nw-link-apply", weight).click()
        expect(lab.testid("nw-link", card)).to_contain_text("weight: uses tied-a's")
        expect(lab.testid("nw-shared", lab.card("tied-a"))).to_contain_text("tied-b")
        state = lab.probe()
        assert state["tied"] is True
        assert state["n_parameters"] == params_unlinked - 15 * 15
        expect(lab.testid("nw-total-params")).to_have_text(f"{state['n_parameters']:,} parameters")

    # -- 5. a custom initializer: first failing at line 3, then fixed -----------------------
    with step(lab, "5a-custom-error"):
        card = lab.card("hidden")
        card.locator(".nw-name").click()
        details = lab.testid("nw-details")
        expect(details.locator(".nw-details-title .nw-name")).to_have_text("hidden")
        weight = details.locator('[data-testid="nw-param"][data-parameter="weight"]')
        lab.testid("nw-init-select", weight).select_option(label="Custom…")
        editor = lab.testid("nw-code-editor", weight).locator(".cm-content")
        bad = "class Broken(init.Initializer):\n    def sample(self, shape):\n        return 1 / 0\n"
        editor.click()
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.insert_text(bad)
        expect(editor).to_contain_text("return 1 / 0")
        lab.testid("nw-code-apply", weight).click()
        error = lab.testid("nw-card-error", card)
        expect(error).to_contain_text("ZeroDivisionError")
        expect(error).to_contain_text("line 3")
        expect(lab.testid("nw-param-notice", weight)).to_contain_text("ZeroDivisionError")
        expect(lab.testid("nw-label", weight)).to_have_text("Uniform(-0.5, 0.5)")
        state = lab.probe()
        assert state["layers"]["hidden"]["weight"]["repr"] == "Uniform(-0.5, 0.5)"
        assert state["names"] == ["input", "hidden", "output", "tied-a", "tied-b", "relu-1"]

    with step(lab, "5b-custom-fixed"):
        good = "class Half(init.Initializer):\n    def sample(self, shape):\n        return tf.ones(shape) * 0.5\n"
        editor.click()
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.insert_text(good)
        expect(editor).to_contain_text("return tf.ones(shape) * 0.5")
        expect(editor).not_to_contain_text("1 / 0")
        lab.testid("nw-code-apply", weight).click()
        expect(lab.testid("nw-label", weight)).to_have_text("Half()")
        expect(lab.testid("nw-card-error", card)).to_have_count(0)
        expect(lab.testid("nw-param-notice", weight)).to_have_count(0)
        expect(lab.testid("nw-param-error", weight)).to_have_count(0)
        state = lab.probe()
        assert state["layers"]["hidden"]["weight"]["repr"] == "Half()"
        assert state["layers"]["hidden"]["weight"]["mean"] == pytest.approx(0.5)

    # -- 6. undo with the button, then redo -------------------------------------------------
    with step(lab, "6-undo"):
        expect(lab.testid("nw-redo")).to_be_disabled()
        lab.testid("nw-undo").click()
        expect(lab.testid("nw-label", weight)).to_have_text("Uniform(-0.5, 0.5)")
        expect(lab.testid("nw-redo")).to_be_enabled()
        state = lab.probe()
        assert state["layers"]["hidden"]["weight"]["repr"] == "Uniform(-0.5, 0.5)"
        assert -0.1 < state["layers"]["hidden"]["weight"]["mean"] < 0.1
        assert state["names"] == ["input", "hidden", "output", "tied-a", "tied-b", "relu-1"]
        assert state["tied"] is True
        lab.testid("nw-redo").click()
        expect(lab.testid("nw-label", weight)).to_have_text("Half()")
        expect(lab.testid("nw-redo")).to_be_disabled()
        assert lab.probe()["layers"]["hidden"]["weight"]["mean"] == pytest.approx(0.5)

    # -- 7. the dark theme ------------------------------------------------------------------
    with step(lab, "7-dark"):
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
        page.wait_for_function(JS_THEME_IS, arg=False)
        page.wait_for_timeout(500)  # let the theme's CSS apply before the screenshot

    # -- nothing went wrong anywhere ----------------------------------------------------------
    outputs = page.evaluate(JS_CELL_OUTPUTS, NOTEBOOK)
    bad_outputs = [o for o in outputs if o["output_type"] == "error"
                   or (o["output_type"] == "stream" and o["name"] == "stderr" and "Traceback" in o["text"])]
    assert not bad_outputs, f"error output in the notebook: {bad_outputs}"
    assert_no_errors_logged(lab, "the end")


CNN_PROBE = '''
def _nw_cnn():
    import json
    import numpy as np
    from neuwidgets import datasets
    net = builder.network
    model = net.to_keras()
    x, y = datasets.digits()
    x = x.reshape(-1, 8, 8, 1)[:512]
    y = y[:512]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = float(model.evaluate(x, y, verbose=0))
    model.fit(x, y, epochs=3, batch_size=64, verbose=0)
    after = float(model.evaluate(x, y, verbose=0))
    namespace = {}
    exec(builder.to_code("keras"), namespace)
    return {"names": [layer.name for layer in net.layers], "output_shape": list(net.output_shape),
            "n_parameters": int(net.n_parameters), "n_non_trainable": int(net.n_non_trainable),
            "keras_trainable": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
            "keras_non_trainable": int(sum(np.prod(w.shape) for w in model.non_trainable_weights)),
            "exported_params": int(namespace["model"].count_params()),
            "loss_before": before, "loss_after": after, "errors": list(builder.errors)}
'''


def test_a_cnn_assembled_by_clicking_builds_exports_to_keras_and_trains(lab):
    """Issue: a convolutional network put together in the widget with the mouse and keys only."""
    from playwright.sync_api import expect
    page = lab.page
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
    page.wait_for_function(JS_THEME_IS, arg=True)

    with step(lab, "8-cnn"):
        rebuild(lab, "8, 8, 1", [("Convolution", "3, 3, 8", "(?, 6, 6, 8)"), ("Relu", "", "(?, 6, 6, 8)"),
                                 ("MaxPooling", "2", "(?, 3, 3, 8)"), ("BatchNorm", "", "(?, 3, 3, 8)"),
                                 ("Reshape", "", "(?, 72)"), ("Softmax", "10", "(?, 10)")])
        names = ["input", "convolution-1", "relu-1", "max-pooling-1", "batch-norm-1", "reshape-1", "softmax-1"]
        expect(lab.testid("nw-card")).to_have_count(len(names))
        conv = lab.card("convolution-1")
        expect(lab.testid("nw-count", conv)).to_have_text("80 params")  # 3·3·1·8 + 8
        expect(lab.testid("nw-thumb", conv).first).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
        conv.locator(".nw-name").click()
        kernel = lab.testid("nw-details").locator('[data-testid="nw-param"][data-parameter="weight"]')
        expect(lab.testid("nw-label", kernel)).to_have_text("HeNormal(gain=2)")
        expect(lab.testid("nw-panel", kernel)).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
        expect(lab.testid("nw-depth-chart")).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))

    lab.kernel(CNN_PROBE)
    result = json.loads(lab.kernel("print(__import__('json').dumps(_nw_cnn()))").strip().splitlines()[-1])
    assert result["names"] == names and result["output_shape"] == [None, 10] and result["errors"] == []
    assert result["n_parameters"] == 80 + 16 + 730 == result["keras_trainable"]  # BatchNorm: gamma, beta
    assert result["n_non_trainable"] == 16 == result["keras_non_trainable"]  # moving mean and variance
    assert result["exported_params"] == 80 + 32 + 730
    assert result["loss_after"] < result["loss_before"] - 0.2, result
    assert_no_errors_logged(lab, "the CNN")


CLASSROOM_PROBE = '''
def _nw_classroom():
    net = builder.network
    kernels = {}
    for layer in net.layers[1:]:
        value = layer.parameters["weight"]
        weight = layer.variable("weight").numpy()
        kernels[layer.name] = {"repr": repr(value), "config": value.get_config(), "first": float(weight.ravel()[0])}
    return {"names": [layer.name for layer in net.layers], "input_shape": list(net.input_shape),
            "output_shape": list(net.output_shape), "kernels": kernels, "seed": builder.seed,
            "pins": [pin["label"] for pin in builder.pins], "inputs": builder.inputs, "held": builder.held_range,
            "training": builder.training, "runs": sorted(builder.training_runs), "design": builder.spec.to_json(),
            "lsuv": [record.layer for record in builder.lsuv_log], "errors": list(builder.errors),
            "dragging": builder._drag_origin is not None}
'''


def test_the_classroom_loop_by_clicking_and_dragging(lab):
    """Issues 10-12: whole-network recipes, a slider drag as one undoable edit, pins, the seed,
    the theory panels, LSUV and a training run, on a small network for the digits put
    together by clicking."""
    from playwright.sync_api import expect
    page = lab.page
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
    page.wait_for_function(JS_THEME_IS, arg=True)
    lab.kernel(CLASSROOM_PROBE)

    def probe():
        return json.loads(lab.kernel("print(__import__('json').dumps(_nw_classroom()))").strip().splitlines()[-1])

    with step(lab, "9-mlp"):
        rebuild(lab, "64", [("Tanh", "32", "(?, 32)"), ("Tanh", "32", "(?, 32)"), ("Softmax", "10", "(?, 10)")])
        state = probe()
        names = state["names"]
        assert state["input_shape"] == [None, 64] and state["output_shape"] == [None, 10] and len(names) == 4
        first = names[1]
        expect(lab.testid("nw-measured", lab.card(first)).first).to_have_text(re.compile(r"^weight std 0\.\d+$"))

    with step(lab, "10-recipe"):
        before = probe()["kernels"]
        lab.page.locator('[data-testid="nw-recipe"][data-recipe="Xavier"]').click()
        def xavier_everywhere():
            state = probe()
            return all(k["repr"] == "XavierNormal(gain=2)" for k in state["kernels"].values()) and state

        state = lab.wait_until(xavier_everywhere, "Xavier on every layer")
        assert set(state["kernels"]) == set(names[1:])
        lab.testid("nw-undo").click()  # one action, one undo step: every layer back at once
        lab.wait_until(lambda: {n: k["repr"] for n, k in probe()["kernels"].items()} == {n: k["repr"] for n, k in
                                                                                          before.items()}, "undone")
        lab.testid("nw-redo").click()
        lab.wait_until(xavier_everywhere, "redone")
        lab.card(first).locator(".nw-name").click()
        weight = lab.testid("nw-details").locator('[data-testid="nw-param"][data-parameter="weight"]')
        expect(lab.testid("nw-label", weight)).to_have_text("XavierNormal(gain=2)")

    with step(lab, "11-pin"):
        lab.testid("nw-pin").click()
        expect(lab.testid("nw-pin-chip")).to_have_text(["Xavier✕"])
        assert probe()["pins"] == ["Xavier"]

    with step(lab, "12-slider"):
        lab.testid("nw-init-select", weight).select_option("Normal")
        lab.testid("nw-init-apply", weight).click()
        expect(lab.testid("nw-label", weight)).to_have_text("Normal(mean=0, std=0.01)")
        assert probe()["kernels"][first]["config"]["params"]["std"] == 0.01  # its plots were sent before this answer
        page.wait_for_timeout(300)
        slider = weight.locator('[data-testid="nw-init-slider"][data-key$=":std"]')
        slider.scroll_into_view_if_needed()
        depth = lab.testid("nw-depth-chart")
        panel = lab.testid("nw-panel", weight)
        depth_before, panel_before = depth.get_attribute("src"), panel.get_attribute("src")
        box = slider.bounding_box()
        y = box["y"] + box["height"] / 2

        def x_at(position):  # the std slider spans log10 from -4 to 1
            return box["x"] + 8 + (box["width"] - 16) * (position + 4) / 5

        page.mouse.move(x_at(-2), y)
        page.mouse.down()
        for position in (-1.8, -1.6, -1.4, -1.2, -1.0):
            page.mouse.move(x_at(position), y, steps=3)
            page.wait_for_timeout(40)
        # while the button is held, the kernel applies previews, and the panel and the depth chart follow
        lab.wait_until(lambda: probe()["kernels"][first]["config"]["params"]["std"] > 0.01, "a preview")
        expect(depth).not_to_have_attribute("src", depth_before)
        expect(panel).not_to_have_attribute("src", panel_before)
        for position in (-0.9, -0.8, -0.7, -0.6, -0.5):
            page.mouse.move(x_at(position), y, steps=3)
            page.wait_for_timeout(40)
        shown = float(weight.locator('[data-testid="nw-init-param"][data-name="std"]').input_value())  # the slider's
        page.mouse.up()
        assert 0.1 < shown < 0.6, shown
        state = lab.wait_until(lambda: (s := probe())["kernels"][first]["config"]["params"]["std"] == shown
                               and not s["dragging"] and s, f"the release: the kernel's std at the slider's {shown}")
        expect(lab.testid("nw-label", weight)).to_have_text(f"Normal(mean=0, std={shown})")
        expect(slider).to_have_attribute("aria-valuetext", str(shown))
        lab.testid("nw-undo").click()  # one undo: back to before the drag, not through the previews
        lab.wait_until(lambda: probe()["kernels"][first]["config"]["params"]["std"] == 0.01, "std 0.01 again")
        expect(lab.testid("nw-label", weight)).to_have_text("Normal(mean=0, std=0.01)")
        lab.testid("nw-redo").click()
        lab.wait_until(lambda: probe()["kernels"][first]["config"]["params"]["std"] == shown, "the drag redone")
        expect(lab.testid("nw-label", weight)).to_have_text(f"Normal(mean=0, std={shown})")

    with step(lab, "13-resample"):
        before = probe()
        seed = lab.testid("nw-seed")
        expect(seed).to_have_text(str(before["seed"]))
        lab.testid("nw-resample").click()
        expect(seed).not_to_have_text(str(before["seed"]))
        after = probe()
        assert after["seed"] != before["seed"] and seed.text_content() == str(after["seed"])
        assert all(after["kernels"][n]["first"] != before["kernels"][n]["first"] for n in names[1:])
        assert after["kernels"][first]["repr"] == before["kernels"][first]["repr"]

    with step(lab, "14-theory"):
        lab.testid("nw-theory").click()
        for chart in ("nw-phase-diagram", "nw-spectrum"):
            expect(lab.testid(chart)).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
            expect(lab.testid(chart)).to_be_visible()
        lab.testid("nw-inputs").select_option("digits")
        lab.wait_until(lambda: probe()["inputs"] == "digits", "the digits as inputs")
        expect(lab.testid("nw-inputs")).to_have_value("digits")
        lab.testid("nw-hold-range").click()
        expect(lab.testid("nw-hold-range")).to_be_checked()
        lab.wait_until(lambda: probe()["held"] is not None, "the std axis held")

    with step(lab, "15-lsuv"):
        before = probe()["design"]
        lab.testid("nw-lsuv").click()
        log = lab.testid("nw-lsuv-log")
        expect(log.locator("tbody tr")).to_have_count(3)
        state = probe()
        assert state["lsuv"] == names[1:]
        assert all(k["repr"].startswith("Orthogonal(scale=") for k in state["kernels"].values())
        lab.testid("nw-undo").click()  # LSUV is one undo step
        lab.wait_until(lambda: probe()["design"] == before, "the design before LSUV")
        lab.testid("nw-redo").click()
        lab.wait_until(lambda: all(k["repr"].startswith("Orthogonal(") for k in probe()["kernels"].values()),
                       "LSUV redone")
        expect(lab.testid("nw-label", weight)).to_contain_text("Orthogonal(scale=")

    with step(lab, "16-train"):
        train = lab.testid("nw-train")
        type_into(lab.testid("nw-train-steps", train), "20000")  # stopped long before its end
        lab.page.locator('[data-testid="nw-train-compare"][data-key="train-compare:Xavier"]').check()
        lab.testid("nw-train-start", train).click()
        status = lab.testid("nw-train-status", train)
        expect(status).to_have_text(re.compile(r"step \d+ of 20000"))
        expect(lab.testid("nw-train-progress", train)).to_be_visible()
        assert probe()["training"]["running"] is True
        # the widget answers while the run goes on (Python trains in a background thread)
        lab.testid("nw-hold-range").click()
        expect(lab.testid("nw-hold-range")).not_to_be_checked()
        lab.wait_until(lambda: probe()["held"] is None, "the range let go during the run")
        assert probe()["training"]["running"] is True
        lab.testid("nw-train-stop", train).click()
        expect(status).to_have_text(re.compile(r"stopped"))
        expect(lab.testid("nw-train-start", train)).to_be_enabled()
        expect(lab.testid("nw-training-chart")).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
        state = probe()
        assert state["training"]["running"] is False and state["runs"] == ["Xavier", "current"]
        assert state["errors"] == []

    with step(lab, "17-classroom"):  # a short run to its end: the whole widget, as docs/builder.png shows it
        type_into(lab.testid("nw-train-steps", train), "150")
        lab.testid("nw-train-start", train).click()
        expect(status).to_have_text("done")
        state = probe()
        assert state["training"] == {"running": False, "label": "Xavier", "step": 150, "steps": 150,
                                     "labels": ["current", "Xavier"], "message": "done"}

    with step(lab, "18-classroom-dark"):
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
        page.wait_for_function(JS_THEME_IS, arg=False)
        page.wait_for_timeout(500)
    assert_no_errors_logged(lab, "the classroom loop")


def test_server_log_has_no_traceback(lab_server, lab):
    """Exceptions swallowed by ipywidgets/ipykernel in comm handlers end up in the
    kernel's log, which is the server's output."""
    log = lab_server.log()
    assert "Traceback" not in log, f"traceback in the JupyterLab server log:\n{log[-4000:]}"

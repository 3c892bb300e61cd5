"""The NetworkBuilder in the other hosts, driven in headless Chromium: Jupyter Notebook 7
(and JupyterLab for the same keys), marimo and Voilà.

- Notebook 7 binds Ctrl+Z / Ctrl+Shift+Z at the document level, before the widget sees
  them: pressed inside the widget they must undo/redo the design (the kernel's
  ``builder.network`` follows) and leave the notebook alone.
- marimo renders the widget inside a shadow root: the custom-initializer editor must have
  CodeMirror's styles there, and text typed into it must arrive intact in the kernel
  (read from the builder's autosave file, which every valid edit writes).
- Voilà renders the quickstart notebook: the builder shows its cards and panels.

Each test fails on browser console errors and tracebacks in its server's log.
Screenshots go to tests/artifacts/host-<name>.png.

Run: ``python -m pytest tests/test_hosts.py -q`` (needs /usr/bin/chromium, the built front
end ``npm run build``, and the ``notebook``, ``marimo`` and ``voila`` packages of the test extra).
"""
import json
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from browser_utils import (CHROMIUM, JS_CELL_OUTPUTS, JS_EXECUTE, NOTEBOOK7_KNOWN, ConsoleErrors, LabServer,
                           MarimoServer, NotebookServer, VoilaServer, assert_bundle_built, open_and_run_all,
                           screenshot_of)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
NOTEBOOK = "quickstart.ipynb"
STEP_TIMEOUT = 30_000   # ms, one edit and its re-render
KERNEL_TIMEOUT = 60_000  # ms, a kernel's start and first run (TensorFlow import)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"browser test needs Chromium at {CHROMIUM} "
                       "(Debian: apt-get install chromium)"),
]

LAYERS = ["input", "hidden", "output", "tied-a", "tied-b"]  # the quickstart's network


@contextmanager
def served(server_class, tmp_path, name, *args):
    """A started server of ``server_class`` serving ``tmp_path/root`` (where the test puts its
    files first); its log is ARTIFACTS/host-<name>-server.log, checked for tracebacks at the end."""
    assert_bundle_built()
    ARTIFACTS.mkdir(exist_ok=True)
    server = server_class(tmp_path / "root", tmp_path / "home", ARTIFACTS / f"host-{name}-server.log", *args)
    server.start(timeout=60)
    try:
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log(), f"traceback in the {server.name} log:\n{server.log()[-4000:]}"


@contextmanager
def browser_page(browser, name, known=None):
    """A page whose console errors (but the host's ``known`` ones, see ConsoleErrors) fail the
    test; ARTIFACTS/host-<name>.png shows the builder at the end (host-<name>-FAILED.png the
    page when something failed)."""
    from playwright.sync_api import expect
    expect.set_options(timeout=STEP_TIMEOUT)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT)
    errors = ConsoleErrors(page, known)
    try:
        yield page
        assert not errors, f"browser console errors in {name}: {errors}"
        screenshot_of(page.locator('[data-testid="nw-builder"]').first, ARTIFACTS / f"host-{name}.png")
    except BaseException:
        page.screenshot(path=str(ARTIFACTS / f"host-{name}-FAILED.png"), full_page=True)
        raise
    finally:
        context.close()


def by_testid(root, name):
    return root.locator(f'[data-testid="{name}"]')


def card(page, layer):
    return page.locator(f'[data-testid="nw-card"][data-layer="{layer}"]')


def wait_until(check, what, timeout=STEP_TIMEOUT / 1000):
    """Poll ``check()`` until it is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return value


# ---------------------------------------------------------------- Notebook 7 (and JupyterLab)

# Records the host's commands that the keys would run if they reached it (Notebook 7 binds
# Ctrl+Z / Ctrl+Shift+Z to these).
JS_WATCH_COMMANDS = """() => {
  window.__nwCommands = [];
  window.jupyterapp.commands.commandExecuted.connect((_, args) => {
    if (/undo|redo/.test(args.id)) window.__nwCommands.push(args.id);
  });
}"""

@pytest.mark.parametrize("host", ["notebook", "lab"])
def test_undo_and_redo_keys_pressed_in_the_widget_reach_it(host, browser, tmp_path):
    """Ctrl+Z / Ctrl+Shift+Z on a card undo/redo the design in the kernel, and do not touch the
    notebook (Notebook 7's own Ctrl+Z handler runs at the document level, before the widget)."""
    from playwright.sync_api import expect
    (tmp_path / "root").mkdir()
    shutil.copy(ROOT / "examples" / NOTEBOOK, tmp_path / "root" / NOTEBOOK)
    server_class, url, known = {"notebook": (NotebookServer, f"notebooks/{NOTEBOOK}", NOTEBOOK7_KNOWN),
                                "lab": (LabServer, f"lab/tree/{NOTEBOOK}?reset", None)}[host]
    with served(server_class, tmp_path, host) as server, browser_page(browser, host, known) as page:
        open_and_run_all(page, server.url + url, NOTEBOOK, KERNEL_TIMEOUT)

        def layer_names():
            result = page.evaluate(JS_EXECUTE, [NOTEBOOK, "print([layer.name for layer in builder.network.layers])"])
            assert result["error"] is None, result["error"]
            return result["stdout"].strip()

        for name in LAYERS:
            expect(card(page, name)).to_be_visible()
        assert layer_names() == repr(LAYERS)
        errors = [o for o in page.evaluate(JS_CELL_OUTPUTS, NOTEBOOK) if o["output_type"] == "error"]
        assert not errors, errors
        page.evaluate(JS_WATCH_COMMANDS)

        by_testid(page, "nw-palette-kind").select_option("Relu")
        by_testid(page, "nw-palette-value").fill("7")
        by_testid(page, "nw-add").click()
        expect(card(page, "relu-1")).to_be_visible()
        wait_until(lambda: layer_names() == repr(LAYERS + ["relu-1"]), "relu-1 in the kernel")

        card(page, "hidden").focus()
        page.keyboard.press("Control+z")
        expect(card(page, "relu-1")).to_have_count(0)
        wait_until(lambda: layer_names() == repr(LAYERS), "the undo in the kernel")
        expect(card(page, "hidden")).to_be_focused()
        page.keyboard.press("Control+Shift+z")
        expect(card(page, "relu-1")).to_be_visible()
        wait_until(lambda: layer_names() == repr(LAYERS + ["relu-1"]), "the redo in the kernel")
        expect(by_testid(page, "nw-redo")).to_be_disabled()
        assert page.evaluate("() => window.__nwCommands") == []  # the notebook's undo/redo did not run


# ---------------------------------------------------------------- marimo

MARIMO_APP = '''
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo
    from neuwidgets import NetworkBuilder
    from neuwidgets.layers import Input, Sigmoid, join

    builder = NetworkBuilder(join(Input(10, name="input"), Sigmoid(30, name="hidden")), autosave={autosave!r})
    mo.ui.anywidget(builder)
    return


if __name__ == "__main__":
    app.run()
'''

# Typed key by key: Enter indents the next line by itself (4 spaces a level).
TYPED = "class Half(init.Initializer):\ndef sample(self, shape):\nreturn tf.ones(shape) * 0.5"
CODE = "class Half(init.Initializer):\n    def sample(self, shape):\n        return tf.ones(shape) * 0.5"


def test_marimo_custom_initializer_typed_in_the_editor_arrives_intact(browser, tmp_path):
    from playwright.sync_api import expect
    root, autosave = tmp_path / "root", tmp_path / "design.json"
    root.mkdir()
    (root / "app.py").write_text(MARIMO_APP.format(autosave=str(autosave)), encoding="utf-8")

    def design():
        return json.loads(autosave.read_text(encoding="utf-8")) if autosave.exists() else None

    with served(MarimoServer, tmp_path, "marimo", "app.py") as server, browser_page(browser, "marimo") as page:
        page.goto(server.url)
        builder = by_testid(page, "nw-builder")  # in marimo's shadow root: playwright's locators pierce it
        expect(builder).to_be_visible(timeout=KERNEL_TIMEOUT)
        assert builder.evaluate("el => el.getRootNode() instanceof ShadowRoot")
        card(page, "hidden").locator(".nw-name").click()
        weight = by_testid(page, "nw-details").locator('[data-testid="nw-param"][data-parameter="weight"]')
        by_testid(weight, "nw-init-select").select_option(label="Custom…")
        editor = weight.locator(".cm-editor")
        styles = editor.evaluate("""el => {
            const style = (selector) => getComputedStyle(el.querySelector(selector));
            return {editor: getComputedStyle(el).display, gutters: style(".cm-gutters").display,
                    scroller: style(".cm-scroller").display, cursors: style(".cm-cursorLayer").position};
        }""")
        assert styles == {"editor": "flex", "gutters": "flex", "scroller": "flex", "cursors": "absolute"}, styles

        editor.locator(".cm-content").click()
        page.keyboard.press("Control+a")
        page.keyboard.type(TYPED)
        expect(editor.locator(".cm-content")).to_have_text(CODE.replace("\n", ""))
        by_testid(weight, "nw-code-apply").click()
        expect(by_testid(weight, "nw-label")).to_have_text("Half()")
        saved = wait_until(lambda: (d := design()) and d["custom"] and d, "the custom code in the autosave file")
        assert saved["custom"] == {"Half": CODE + "\n"}
        assert saved["layers"][1]["parameters"]["weight"]["initializer"] == {"name": "Half", "params": {}}

        card(page, "hidden").focus()  # undo keys reach the widget in its shadow root too
        page.keyboard.press("Control+z")
        expect(by_testid(weight, "nw-label")).not_to_have_text("Half()")
        wait_until(lambda: design()["custom"] == {}, "the undo in the autosave file")
        expect(card(page, "hidden")).to_be_focused()


# ---------------------------------------------------------------- Voilà

def test_voila_renders_the_quickstart_builder(browser, tmp_path):
    from playwright.sync_api import expect
    (tmp_path / "root").mkdir()
    shutil.copy(ROOT / "examples" / NOTEBOOK, tmp_path / "root" / NOTEBOOK)
    with served(VoilaServer, tmp_path, "voila", NOTEBOOK) as server, browser_page(browser, "voila") as page:
        page.goto(server.url, timeout=KERNEL_TIMEOUT)  # Voilà answers once the notebook ran
        expect(by_testid(page, "nw-builder")).to_be_visible(timeout=KERNEL_TIMEOUT)
        for name in LAYERS:
            expect(card(page, name)).to_be_visible()
        expect(by_testid(card(page, "tied-b"), "nw-link")).to_contain_text("weight: uses tied-a's")
        png = re.compile(r"^data:image/png;base64,")
        expect(by_testid(page, "nw-depth-chart")).to_have_attribute("src", png)
        for name in LAYERS[1:]:
            expect(by_testid(card(page, name), "nw-thumb").first).to_have_attribute("src", png)
        card(page, "output").locator(".nw-name").click()
        weight = by_testid(page, "nw-details").locator('[data-testid="nw-param"][data-parameter="weight"]')
        expect(by_testid(weight, "nw-label")).to_have_text("Gamma(alpha=0.05)")
        expect(by_testid(weight, "nw-panel")).to_have_attribute("src", png)

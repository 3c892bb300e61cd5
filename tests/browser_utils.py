"""Helpers for the browser end-to-end tests (tests/test_browser.py, tests/test_hosts.py):
throw-away servers (JupyterLab, Notebook 7, Voilà, marimo), and small wrappers that drive
a notebook through ``window.jupyterapp`` (exposed by ``--LabApp.expose_app_in_browser=True``).

Only the standard library and playwright are used; nothing here imports neuwidgets.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent  # the checkout whose neuwidgets the servers' kernels import
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# Settings written into the fresh JUPYTER_CONFIG_DIR: no news toast, and every cell
# kept in the DOM (JupyterLab 4 otherwise may virtualize cells scrolled out of view).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_bundle_built():
    """The servers' kernels import this checkout's neuwidgets: its front end must be built."""
    bundle = SOURCE / "neuwidgets" / "static" / "builder.js"
    assert bundle.exists(), f"the front-end bundle {bundle} is missing: run `npm ci && npm run build` in {SOURCE}"


class Server:
    """A server for a browser test on 127.0.0.1 with no token: ``command()`` run in ``root``
    in a process group of its own, with fresh Jupyter config/runtime dirs under ``home``
    and this checkout first on PYTHONPATH (its kernels import this neuwidgets). Ready once
    ``ready_path`` answers. Its output goes to ``log_path`` (scanned for tracebacks).
    ``file``: the one file it serves, relative to ``root`` (Voilà, marimo)."""

    name = "server"
    ready_path = ""

    def __init__(self, root, home, log_path, file=None):
        self.root, self.home, self.log_path, self.file = Path(root), Path(home), Path(log_path), file
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc = None
        self._log = None

    def command(self):
        raise NotImplementedError

    def start(self, timeout=60):
        config, runtime = self.home / "config", self.home / "runtime"
        for path, value in LAB_SETTINGS.items():
            target = config / "lab" / "user-settings" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(value), encoding="utf-8")
        runtime.mkdir(parents=True, exist_ok=True)
        python_path = os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")]))
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(runtime),
                   TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1", PYTHONPATH=python_path)
        # JUPYTER_DATA_DIR stays as it is: the lab extensions pip installed (anywidget, ipywidgets) live there.
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(self.command(), cwd=self.root, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + self.ready_path, timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /{self.ready_path} within {timeout} s:\n{self.log()[-3000:]}")

    def log(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            # SIGTERM: the server shuts its kernels down, then exits.
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                try:  # the group started with start_new_session: the server and its kernels
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(5)
        self.proc = None
        if self._log:
            self._log.close()


class LabServer(Server):
    """``python -m jupyterlab`` serving ``root``, with ``window.jupyterapp`` exposed."""

    name = "JupyterLab"
    ready_path = "api/status"
    module, app = "jupyterlab", "LabApp"

    def command(self):
        return [sys.executable, "-m", self.module, "--no-browser", "--allow-root", "--ip=127.0.0.1",
                f"--port={self.port}", "--ServerApp.token=", "--ServerApp.password=",
                f"--{self.app}.expose_app_in_browser=True", f"--ServerApp.root_dir={self.root}",
                "--ServerApp.port_retries=0"]


class NotebookServer(LabServer):
    """Jupyter Notebook 7 (``python -m notebook``), otherwise as LabServer."""

    name = "Jupyter Notebook"
    module, app = "notebook", "JupyterNotebookApp"


class VoilaServer(Server):
    """``python -m voila`` showing the notebook ``file`` at the server's root URL."""

    name = "Voila"
    ready_path = "voila/static/voila.js"

    def command(self):
        # Voila 0.5 bundles JupyterLab 4.2: Notebook 7.6's lab extension (which Voila has no
        # use for) fails to load there with a console error.
        return [sys.executable, "-m", "voila", "--no-browser", "--Voila.ip=127.0.0.1", f"--port={self.port}",
                "--Voila.port_retries=0", "--token=", "--show_tracebacks=True",
                "--VoilaConfiguration.extension_denylist=@jupyter-notebook/lab-extension", self.file]


class MarimoServer(Server):
    """``marimo run <file>`` (the app view: every cell runs when the page opens), no token."""

    name = "marimo"
    ready_path = "health"

    def command(self):
        return [sys.executable, "-m", "marimo", "run", self.file, "--headless", "--no-token",
                "--host=127.0.0.1", f"--port={self.port}"]


# Console noise that is not the widget's: missing favicons/resources of the server.
CONSOLE_NOISE = re.compile(r"favicon|404|Failed to load resource", re.I)


class ConsoleErrors(list):
    """The browser console errors (minus CONSOLE_NOISE) and uncaught exceptions of ``page``,
    minus the host's own known errors: ``known`` (a regex) searched in an uncaught
    exception's message and stack."""

    def __init__(self, page, known=None):
        super().__init__()
        self.known = known
        page.on("console", self._on_console)
        page.on("pageerror", self._on_uncaught)

    def _on_console(self, message):
        if message.type == "error" and not CONSOLE_NOISE.search(message.text):
            self.append(message.text)

    def _on_uncaught(self, exc):
        if self.known is None or not self.known.search(f"{exc}\n{exc.stack}"):
            self.append(f"uncaught: {exc}")


# Notebook 7.6's shortcuts plugin reads the settings schema of JupyterLab's shortcuts
# extension, which Notebook 7 does not load, when another plugin's settings arrive: an
# uncaught TypeError while the page loads, with or without any widget.
NOTEBOOK7_KNOWN = re.compile(r"reading 'schema'\)\s+at \S+/static/notebook/notebook_core\.")


# --- JavaScript run in the page -----------------------------------------------------------

# Finds the notebook panel of `path` among the main-area widgets.
_PANEL = """
const findPanel = (path) => {
  for (const w of window.jupyterapp.shell.widgets("main")) {
    if (w.context && w.context.path === path) return w;
  }
  throw new Error("no open notebook " + path);
};
"""

JS_APP_READY = "() => !!(window.jupyterapp && window.jupyterapp.shell && window.jupyterapp.started !== undefined)"

JS_KERNEL_READY = _PANEL + """
async (path) => {
  const panel = findPanel(path);
  await panel.context.ready;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.connectionStatus === "connected";
}
"""

JS_RUN_ALL = _PANEL + """
async (path) => {
  const panel = findPanel(path);
  window.jupyterapp.shell.activateById(panel.id);
  window.__nwPhase = "run-all";
  await window.jupyterapp.commands.execute("notebook:run-all-cells");
  return true;
}
"""

# True once every code cell has an execution count and the kernel is idle.
JS_ALL_RUN = _PANEL + """
(path) => {
  const panel = findPanel(path);
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== "idle") return false;
  for (const cell of panel.content.widgets) {
    if (cell.model.type === "code" && (cell.model.executionCount === null || cell.model.executionCount === undefined)) return false;
  }
  return true;
}
"""

# The outputs of the notebook's code cells: [{index, output_type, name, text}].
JS_CELL_OUTPUTS = _PANEL + """
(path) => {
  const panel = findPanel(path);
  const out = [];
  panel.content.widgets.forEach((cell, index) => {
    if (cell.model.type !== "code") return;
    for (const o of cell.model.outputs.toJSON()) {
      let text = "";
      if (o.output_type === "stream") text = Array.isArray(o.text) ? o.text.join("") : String(o.text);
      else if (o.output_type === "error") text = o.ename + ": " + o.evalue + "\\n" + (o.traceback || []).join("\\n");
      out.push({index, output_type: o.output_type, name: o.name || null, text});
    }
  });
  return out;
}
"""

# Record every iopub message of the kernel that is not an answer to our own probes:
# output from widget callbacks (comm messages) lands there, and JupyterLab would only
# show it in its log console.
JS_WATCH_IOPUB = _PANEL + """
(path) => {
  const panel = findPanel(path);
  const kernel = panel.sessionContext.session.kernel;
  window.__nwIopub = window.__nwIopub || [];
  if (window.__nwWatched === kernel.id) return true;
  window.__nwWatched = kernel.id;
  kernel.iopubMessage.connect((_, msg) => {
    const type = msg.header.msg_type;
    if (type !== "stream" && type !== "error") return;
    const parent = (msg.parent_header && msg.parent_header.msg_type) || "";
    const c = msg.content;
    const text = type === "error" ? c.ename + ": " + c.evalue + "\\n" + (c.traceback || []).join("\\n") : c.text;
    window.__nwIopub.push({type, name: c.name || null, parent, text, phase: window.__nwPhase || "start"});
  });
  return true;
}
"""

JS_IOPUB = "() => window.__nwIopub || []"

# Run `code` in the notebook's kernel (not as a cell) and return its stdout and error.
JS_EXECUTE = _PANEL + """
async ([path, code]) => {
  const panel = findPanel(path);
  const kernel = panel.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, silent: false, store_history: false});
  let stdout = "", error = null;
  future.onIOPub = (msg) => {
    const type = msg.header.msg_type;
    if (type === "stream" && msg.content.name === "stdout") stdout += msg.content.text;
    else if (type === "error") error = msg.content.ename + ": " + msg.content.evalue + "\\n" + msg.content.traceback.join("\\n");
  };
  const reply = await future.done;
  return {stdout, error, status: reply.content.status};
}
"""

JS_THEME_IS = "(light) => document.body.dataset.jpThemeLight === String(light)"


def dismiss_dialogs(page):
    """Close the kernel-selection dialog and the news toast when they show up."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        for label in ("Select", "Select Kernel", "OK"):
            button = dialog.get_by_role("button", name=label, exact=True)
            if button.count():
                button.first.click()
                break
    toast = page.locator(".Toastify__toast", has_text="official Jupyter news")
    if toast.count():
        toast.get_by_role("button", name="No", exact=True).click()


def open_and_run_all(page, url, path, timeout):
    """Open notebook ``path`` at ``url`` (JupyterLab or Notebook 7 with ``window.jupyterapp``),
    wait for its kernel, watch its iopub (JS_IOPUB) and run all cells; ``timeout`` in ms."""
    page.goto(url, wait_until="domcontentloaded", timeout=timeout)
    page.wait_for_function(JS_APP_READY, timeout=timeout)
    page.locator(".jp-NotebookPanel").first.wait_for(timeout=timeout)
    dismiss_dialogs(page)
    page.wait_for_function(JS_KERNEL_READY, arg=path, timeout=timeout, polling=250)
    page.evaluate(JS_WATCH_IOPUB, path)
    page.evaluate(JS_RUN_ALL, path)
    page.wait_for_function(JS_ALL_RUN, arg=path, timeout=timeout * 2, polling=250)
    dismiss_dialogs(page)


def screenshot_of(locator, path):
    """A screenshot of the element alone. A host that scrolls its page inside itself
    (JupyterLab) would clip an element taller than the window: the window grows to fit it."""
    page = locator.page
    size = page.viewport_size
    box = locator.bounding_box()
    if box and box["height"] + 300 > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": int(box["height"]) + 300})
    try:
        locator.scroll_into_view_if_needed()
        locator.screenshot(path=str(path), animations="disabled")
    finally:
        page.set_viewport_size(size)

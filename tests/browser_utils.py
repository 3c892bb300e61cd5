"""Helpers for the browser end-to-end test (tests/test_browser.py): a throw-away
JupyterLab server, and small wrappers that drive a notebook through
``window.jupyterapp`` (exposed by ``--LabApp.expose_app_in_browser=True``).

Only the standard library and playwright are used; nothing here imports neuwidgets.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

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


class LabServer:
    """``python -m jupyterlab`` on 127.0.0.1 with no token, fresh config/runtime dirs,
    serving ``root``. Its output goes to ``log_path`` (scanned for tracebacks).
    ``source``: a folder put first on the kernels' ``PYTHONPATH`` (the checkout under
    test, whatever neuwidgets pip installed elsewhere)."""

    def __init__(self, root, home, log_path, source=None):
        self.root, self.home, self.log_path = Path(root), Path(home), Path(log_path)
        self.source = source
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc = None
        self._log = None

    def start(self, timeout=60):
        config, runtime = self.home / "config", self.home / "runtime"
        for path, value in LAB_SETTINGS.items():
            target = config / "lab" / "user-settings" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(value), encoding="utf-8")
        runtime.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(runtime),
                   TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
        if self.source is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.source), env.get("PYTHONPATH")]))
        # JUPYTER_DATA_DIR stays as it is: the lab extensions pip installed (anywidget, ipywidgets) live there.
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
             f"--port={self.port}", "--ServerApp.token=", "--ServerApp.password=",
             "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={self.root}",
             "--ServerApp.port_retries=0"],
            cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "api/status", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer /api/status within {timeout} s:\n{self.log()[-3000:]}")

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

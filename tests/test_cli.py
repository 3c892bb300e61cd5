"""Command line: ``python -m neuwidgets render`` and ``demo`` (issue #5)."""
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from neuwidgets import __main__ as cli

from _designs import EXAMPLES, ran, small, text, with_custom


def png_size(path):
    """(width, height) of a PNG file; fails for anything that is not a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def own_lines(err):
    """stderr without TensorFlow's start-up lines (a --trust render relays its child's stderr,
    where TensorFlow starts)."""
    return [line for line in err.splitlines() if not line.startswith(("WARNING: All log messages", "I0000 ",
                                                                      "W0000 ", "To enable the following"))]


@pytest.mark.parametrize("example, trust, panels", [("tanh_deep", False, 18), ("tied_relu", False, 5),
                                                    ("custom_gamma", True, 6)])
def test_render_draws_every_example(example, trust, panels, tmp_path, capsys, monkeypatch):
    from neuwidgets import plotting
    from neuwidgets.spec import NetworkSpec
    drawn = {}
    original = plotting.plot_weight_distributions

    def spy(network, **kwargs):
        fig = original(network, **kwargs)
        drawn["axes"], drawn["network"] = len(fig.axes), network
        return fig
    monkeypatch.setattr(plotting, "plot_weight_distributions", spy)
    weights, depth = tmp_path / "weights.png", tmp_path / "depth.png"
    args = ["render", EXAMPLES / f"{example}.json", "-o", weights, "--activations", depth, "--dpi", "50"]
    status, out, err = run(capsys, *args, *(["--trust"] if trust else []))
    assert (status, own_lines(err)) == (0, [])
    assert out.splitlines() == [f"wrote {weights}", f"wrote {depth}"]
    spec = json.loads((EXAMPLES / f"{example}.json").read_text())
    if trust:  # drawn in a child process: the spy sees the same network drawn here
        spy(NetworkSpec.from_json((EXAMPLES / f"{example}.json").read_text(), trust=True).build())
    assert [layer.name for layer in drawn["network"].layers] == [entry["name"] for entry in spec["layers"]]
    assert drawn["axes"] == panels  # one panel per distinct variable: shared ones once
    width, height = png_size(weights)
    assert width > 200 and height > 100
    assert png_size(depth)[0] >= 400  # 8 inches at 50 dpi


def test_render_defaults_the_output_next_to_the_design(tmp_path, capsys):
    design = tmp_path / "small.json"
    design.write_text(text(small()))
    status, out, _ = run(capsys, "render", design, "--dpi", "40")
    assert status == 0 and out.strip() == f"wrote {tmp_path / 'small-weights.png'}"
    assert png_size(tmp_path / "small-weights.png")[0] > 100


def test_untrusted_custom_code_is_refused_and_not_run(tmp_path, capsys):
    folder = tmp_path / "markers"
    folder.mkdir()
    design = tmp_path / "d.json"
    design.write_text(text(with_custom(folder)))
    status, out, err = run(capsys, "render", design, "-o", tmp_path / "w.png")
    assert status == 2 and out == ""
    assert err.count("\n") == 1
    assert "custom initializer code (Boom)" in err and "pass --trust" in err and str(design) in err
    assert ran(folder) == [] and not (tmp_path / "w.png").exists()
    status, _, _ = run(capsys, "render", design, "-o", tmp_path / "w.png", "--trust", "--dpi", "40")
    assert status == 0 and ran(folder) == ["defined", "sampled"]


def _bad_files(tmp_path):
    bad = {"not-json.json": "{'format': 1", "shape.json": json.dumps([1, 2]),
           "units.json": text({**small(), "layers": small()["layers"][:1] + [
               {**small()["layers"][1], "n_units": -2}]}),
           "future.json": text({**small(), "format": 9})}
    for name, content in bad.items():
        (tmp_path / name).write_text(content)
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    return {
        "not JSON": (["render", tmp_path / "not-json.json"], "a design must be JSON text"),
        "not a design": (["render", tmp_path / "shape.json"], "a design is a JSON object, got list"),
        "bad units": (["render", tmp_path / "units.json"], "design.layers[1] (Tanh layer 'a'): n_units must be a positive integer up to 1,000,000,000 (or None), got -2"),
        "future format": (["render", tmp_path / "future.json"], "design.format is 9: newer than"),
        "not text": (["render", tmp_path / "binary.json"], "cannot read"),
        "missing file": (["render", tmp_path / "missing.json"], "cannot read '"),
        "output folder missing": (["render", EXAMPLES / "tied_relu.json", "-o", tmp_path / "nope" / "w.png"],
                                  "the folder"),
        "output is a folder": (["render", EXAMPLES / "tied_relu.json", "-o", tmp_path], "it is a folder"),
        "activations folder missing": (["render", EXAMPLES / "tied_relu.json", "-o", tmp_path / "w.png",
                                        "--activations", tmp_path / "nope" / "a.png"], "does not exist"),
        "bad dpi": (["render", EXAMPLES / "tied_relu.json", "-o", tmp_path / "w.png", "--dpi", "0"], "--dpi"),
    }


def test_bad_input_gets_one_line_on_stderr_and_status_2(tmp_path, capsys):
    for case, (argv, expected) in _bad_files(tmp_path).items():
        status, out, err = run(capsys, *argv)
        assert status == 2, case
        assert err.startswith("neuwidgets render: ") and err.count("\n") == 1, (case, err)
        assert expected in err, (case, err)
    assert not (tmp_path / "w.png").exists()


def test_help_for_each_command(capsys):
    for argv, expected in [([], ["render", "demo"]), (["render"], ["--trust", "--activations", "-o OUTPUT"]),
                           (["demo"], ["JupyterLab", ".[lab]"])]:
        with pytest.raises(SystemExit) as exit_:
            cli.main([*argv, "--help"])
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        for part in expected:
            assert part in out


def test_demo_opens_the_quickstart_on_a_copy_of_the_examples(monkeypatch, capsys, tmp_path):
    calls = []
    examples = tmp_path / "examples"
    (examples / "designs").mkdir(parents=True)
    notebook = examples / "quickstart.ipynb"
    notebook.write_text("{}")
    (examples / "designs" / "d.json").write_text("{}")
    monkeypatch.setattr(cli, "QUICKSTART", notebook)
    monkeypatch.setattr(cli.os, "execv", lambda path, command: calls.append((command, Path.cwd())))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(cli.os, "geteuid", lambda: 1000)
    status, out, _ = run(capsys, "demo")
    (command, folder), = calls
    assert status == 0 and out == f"neuwidgets demo: working on a copy of the examples in {folder}\n"
    assert folder != examples and (folder / "quickstart.ipynb").read_text() == "{}"
    assert (folder / "designs" / "d.json").exists()
    assert command == [sys.executable, "-m", "jupyterlab", "quickstart.ipynb", f"--ServerApp.root_dir={folder}",
                       "--LabApp.default_url=/lab/tree/quickstart.ipynb"]
    monkeypatch.setattr(cli.os, "geteuid", lambda: 0)  # root: JupyterLab needs --allow-root
    assert run(capsys, "demo", "--port", "8899")[0] == 0
    assert calls[-1][0][-3:] == ["--port", "8899", "--allow-root"]


def test_render_html_writes_one_self_contained_escaped_lesson(tmp_path, capsys):
    from neuwidgets import NetworkBuilder, init
    builder = NetworkBuilder({"format": 2, "seed": 4, "layers": [
        {"kind": "Input", "name": "in", "shape": [8]},
        {"kind": "Tanh", "name": "a", "n_units": 8},
        {"kind": "Tanh", "name": "b", "n_units": 8}]}, plots=False)
    builder.set_initializer(["a", "b"], "weight", init.Normal(std=0.01))
    builder.pin("<script>alert(1)</script>")
    design = tmp_path / "design.json"
    builder.save(design)
    lesson = tmp_path / "lesson.html"
    status, out, err = run(capsys, "render", design, "--html", lesson)
    assert (status, err, out) == (0, "", f"wrote {lesson}\n")
    assert not (tmp_path / "design-weights.png").exists()  # only what was asked for
    page = lesson.read_text()
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("data:image/png;base64,") == 4 + 1  # 2 weights + 2 biases + the depth chart
    assert "src=\"http" not in page and "Content-Security-Policy" in page
    assert "Normal(mean=0, std=0.01, seed=None)" in page and "network = join(" in page
    assert "seed 4" in page and "<td>a</td><td>Tanh</td>" in page and "<td>(?, 8)</td>" in page and "None, " not in page
    # an unwritable path: a clear error, and nothing else written
    status, _, err = run(capsys, "render", design, "--html", tmp_path / "missing" / "lesson.html")
    assert status == 2 and err.startswith("neuwidgets render: --html: cannot write") and "does not exist" in err
    status, _, err = run(capsys, "render", design, "--html", tmp_path)
    assert status == 2 and "it is a folder" in err


def test_the_url_the_demo_prints_opens_the_quickstart_and_terminating_the_demo_stops_it(tmp_path):
    """The real JupyterLab, started by the demo: the URL it prints to open by hand, and a
    SIGTERM to the demo stops it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo = subprocess.Popen([sys.executable, "-m", "neuwidgets", "demo", "--no-browser", "--ip", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        deadline, urls = time.monotonic() + 120, []
        while not urls and time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            urls = re.findall(rf"http://127\.0\.0\.1:{port}/\S*", line)
        assert urls and urls[0].startswith(f"http://127.0.0.1:{port}/lab/tree/quickstart.ipynb?token="), urls
        demo.terminate()  # SIGTERM to the demo's own process stops the server (no JupyterLab left behind)
        assert demo.wait(30) is not None
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait(30)
        demo.stdout.close()


def test_demo_without_jupyterlab_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: None)
    status, _, err = run(capsys, "demo")
    assert status == 2 and err == 'neuwidgets demo: the demo needs JupyterLab: pip install -e ".[lab]" ' \
                                  "(or pip install jupyterlab)\n"


def test_demo_without_the_notebook_says_so(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(cli, "QUICKSTART", tmp_path / "missing.ipynb")
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: object())
    status, _, err = run(capsys, "demo")
    assert status == 2 and "quickstart notebook is missing" in err


def test_python_dash_m_renders_in_a_fresh_interpreter(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-m", "neuwidgets", "render", str(EXAMPLES / "custom_gamma.json"),
               "-o", str(tmp_path / "w.png"), "--dpi", "40"]
    refused = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith("neuwidgets render: ")
    assert "pass --trust" in refused.stderr and not (tmp_path / "w.png").exists()


# -- hostile input (the hardening issue) ---------------------------------------------------------------
def custom_design(tmp_path, name, body):
    """``small()`` whose Tanh weight uses custom code ``Bad`` with the given sample body."""
    data = json.loads(text(small()))
    data["custom"] = {"Bad": f"class Bad(init.Initializer):\n    def sample(self, shape):\n        {body}\n"}
    data["layers"][1]["parameters"]["weight"] = {"initializer": {"name": "Bad", "params": {}}}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def test_render_refuses_files_it_cannot_or_should_not_read_or_write(tmp_path, capsys):
    design, odd = tmp_path / "d.json", tmp_path / "design.svg"
    for path in (design, odd):
        path.write_text(text(small()))
    os.mkfifo(tmp_path / "pipe")
    cases = [
        (["render", tmp_path / "pipe"], f"cannot read {str(tmp_path / 'pipe')!r}: it is a named pipe (FIFO); "
                                        "expected a design file (JSON text)"),
        (["render", "/dev/zero"], "cannot read '/dev/zero': it is a character device; expected a design file "
                                  "(JSON text)"),
        (["render", design, "-o", tmp_path / "weights"],
         f"-o {str(tmp_path / 'weights')!r}: expected an image file name ending in .png, .svg, .svgz, .pdf, .jpg, "
         ".jpeg, .webp, .gif, .tif, .tiff, .eps, .ps (the format follows the extension)"),
        (["render", design, "-o", tmp_path / "w.png", "--activations", tmp_path / "w.png"],
         f"-o and --activations name the same file {str(tmp_path / 'w.png')!r}; expected two different files"),
        (["render", odd, "-o", odd],
         f"the design and -o name the same file {str(odd)!r}; expected an image file other than the design"),
        (["render", design, "-o", "/dev/full"],
         "-o: '/dev/full' is not a regular file (it is a character device); expected a file path"),
        (["render", design, "--activations", "/dev/null"],
         "--activations: '/dev/null' is not a regular file (it is a character device); expected a file path"),
        (["render", design, "--samples", "0"], "--samples must be a positive whole number, got 0"),
        (["render", design, "--time-limit", "-1"],
         "--time-limit must be a number of seconds, 0 or more (0: no limit), got -1.0"),
    ]
    read_only = tmp_path / "kept.png"
    read_only.write_bytes(b"old")
    read_only.chmod(0o444)
    cases.append((["render", design, "-o", read_only], f"-o: cannot write {str(read_only)!r}: the file is read-only"))
    for argv, expected in cases:
        status, out, err = run(capsys, *argv)
        assert (status, out) == (2, ""), argv
        assert err.startswith(f"neuwidgets render: {expected}") and err.count("\n") == 1, (argv, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.json", "design.svg", "kept.png", "pipe"]
    assert read_only.read_bytes() == b"old"


def test_render_of_a_large_design_is_bounded_and_reports_progress(tmp_path, capsys, monkeypatch):
    from neuwidgets import plotting
    layers = [{"kind": "Input", "name": "in", "shape": [2]}] + [
        {"kind": "Tanh", "name": f"t{i}", "n_units": 2, "options": {}, "parameters": {
            "weight": {"initializer": {"name": "Normal", "params": {"std": 0.5}}},
            "bias": {"initializer": {"name": "Constant", "params": {"value": 1e7}}}}} for i in range(60)]
    design = tmp_path / "deep.json"
    design.write_text(json.dumps({"format": 1, "layers": layers}))
    axes = []
    original = plotting.plot_weight_distributions
    monkeypatch.setattr(plotting, "plot_weight_distributions",
                        lambda network, **kw: axes.append(len(original(network, **kw).axes)) or original(network))
    status, out, err = run(capsys, "render", design, "--activations", tmp_path / "depth.svg", "--dpi", "30")
    assert status == 0 and axes == [25]  # 24 panels of evenly spaced layers and the std of all 120
    assert cli.MAX_PANELS == plotting.MAX_PANELS  # the help text names the same number
    assert out.splitlines() == [f"wrote {tmp_path / 'deep-weights.png'}", f"wrote {tmp_path / 'depth.svg'}"]
    assert err.splitlines() == ["neuwidgets render: building 61 layers",
                                "neuwidgets render: drawing the weight distributions",
                                "neuwidgets render: drawing the activation statistics"]
    assert png_size(tmp_path / "deep-weights.png") == (504, 663)  # 16.8 × 22.1 inches at 30 dpi
    assert (tmp_path / "depth.svg").read_text().lstrip().startswith("<?xml")


def test_render_refuses_activation_statistics_that_do_not_fit_in_memory(tmp_path, capsys, monkeypatch):
    from neuwidgets import stats
    monkeypatch.setattr(stats, "ACTIVATION_MEMORY_LIMIT", 100_000)
    status, _, err = run(capsys, "render", EXAMPLES / "tied_relu.json", "-o", tmp_path / "w.png",
                         "--activations", tmp_path / "a.png")
    assert status == 2 and "activation statistics of 1,000 samples" in err and \
        "(168 values each, across the layers) need about 1.9 MiB, more than the limit of 97.7 KiB; use fewer samples (at most 49 fit)" in err
    status, _, _ = run(capsys, "render", EXAMPLES / "tied_relu.json", "-o", tmp_path / "w.png",
                       "--activations", tmp_path / "a.png", "--samples", "30", "--dpi", "30")
    assert status == 0 and png_size(tmp_path / "a.png")[0] == 240


def test_trusted_code_that_never_returns_is_stopped(tmp_path, capsys):
    design = custom_design(tmp_path, "hang", "while True:\n            pass")
    report = tmp_path / "report.json"
    # the child process of render --trust, run here: it holds the time limit
    status, out, err = run(capsys, "render", design, "-o", tmp_path / "w.png", "--trust", "--time-limit", "0.5",
                           "--child-report", report)
    assert (status, out) == (2, "")
    assert err == (f"neuwidgets render: {design}: building the network of hang.json (which runs its custom "
                   "initializer code) ran longer than the time limit of 0.5 s and was stopped; expected it to finish "
                   "within 0.5 s: make it faster or pass --time-limit SECONDS (0: no limit)\n")
    assert json.loads(report.read_text()) == {"status": 2} and not (tmp_path / "w.png").exists()


def test_trusted_code_that_ends_the_process_does_not_end_in_success(tmp_path, capsys):
    design = custom_design(tmp_path, "exit", "import os\n        os._exit(0)")
    status, out, err = run(capsys, "render", design, "-o", tmp_path / "w.png", "--trust")
    assert (status, out) == (2, "")
    assert own_lines(err) == [f"neuwidgets render: {design}: rendering stopped before it finished: the process "
                              "running the design's custom code ended with exit status 0 (os._exit, a crash or a "
                              "kill in that code?); no image was written"]
    assert not (tmp_path / "w.png").exists()


def test_trust_without_custom_code_renders_in_this_process(tmp_path, capsys, monkeypatch):
    from neuwidgets import plotting
    drawn = []
    original = plotting.plot_weight_distributions
    monkeypatch.setattr(plotting, "plot_weight_distributions", lambda network, **kw: drawn.append(network) or
                        original(network, **kw))
    monkeypatch.setattr(cli.subprocess, "Popen", None)  # no child process
    status, out, _ = run(capsys, "render", EXAMPLES / "tied_relu.json", "-o", tmp_path / "w.png", "--trust",
                         "--dpi", "30")
    assert (status, out) == (0, f"wrote {tmp_path / 'w.png'}\n") and len(drawn) == 1

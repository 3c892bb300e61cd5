"""Command line: ``python -m neuwidgets render design.json -o weights.png`` draws a saved
design's initial weight distributions (and, with ``--activations``, the signal through
depth) without a browser; ``python -m neuwidgets demo`` opens the quickstart notebook
in JupyterLab; ``python -m neuwidgets train a.json b.json -o curves.png`` trains saved
designs side by side on the digits and draws their curves. A bad file gives one line on
stderr and exit status 2."""
import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

EXIT_BAD_INPUT = 2
#: Designs larger than this are refused before anything is allocated.
MAX_PARAMETERS = 50_000_000
#: Default of ``render --time-limit``: seconds to build a trusted design's network.
TRUSTED_BUILD_SECONDS = 60.0
#: Designs of more layers report their progress on stderr.
PROGRESS_LAYERS = 50
MAX_PANELS = 24  # plotting.MAX_PANELS, without importing matplotlib for --help
#: Extensions of the image files render writes (matplotlib's formats that need nothing more).
IMAGE_FORMATS = ("png", "svg", "svgz", "pdf", "jpg", "jpeg", "webp", "gif", "tif", "tiff", "eps", "ps")
QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart.ipynb"


class CommandError(Exception):
    """A problem the person can fix; printed as one line."""


def _parser():
    parser = argparse.ArgumentParser(prog="neuwidgets", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="{render,demo,train}")
    render = commands.add_parser(
        "render", help="draw a saved design's initial distributions to image files",
        description="Build the network of a saved design (JSON) and draw its initial weight "
                    "distributions (and the signal through depth) to image files. A design with more than "
                    f"{MAX_PANELS} parameters gets {MAX_PANELS} panels of evenly spaced layers under a chart "
                    f"of every parameter's std; one of more than {PROGRESS_LAYERS} layers reports its "
                    "progress on stderr.")
    render.add_argument("design", help="design file written by NetworkBuilder.save or NetworkSpec.to_json")
    render.add_argument("-o", "--output", help="image file for the weight distributions; its extension picks "
                        "the format (.png, .svg, .pdf, ...; default: the design's name with -weights.png)")
    render.add_argument("--activations", metavar="PATH", help="also draw activation and gradient std "
                        "through depth to this image file")
    render.add_argument("--dpi", type=int, default=120, help="resolution of the images (default 120)")
    render.add_argument("--samples", type=int, default=1000, help="random inputs for --activations "
                        "(default 1000; fewer for very wide networks)")
    render.add_argument("--html", metavar="PATH", help="write a lesson to hand out: one self-contained HTML file "
                        "(the design as a table, every panel, the depth chart with its pins, the code) that opens "
                        "offline; without -o no image file is written")
    render.add_argument("--trust", action="store_true", help="run the design's custom initializer code; "
                        "read that code first: it runs with your permissions, in a separate process")
    render.add_argument("--time-limit", type=float, default=TRUSTED_BUILD_SECONDS, metavar="SECONDS",
                        help="with --trust, stop building the network (where the custom code runs) after this "
                        f"many seconds (default {TRUSTED_BUILD_SECONDS:g}; 0: no limit)")
    render.add_argument("--child-report", help=argparse.SUPPRESS)  # set by --trust for its child process
    commands.add_parser("demo", help="open the quickstart notebook in JupyterLab",
                        usage="python -m neuwidgets demo [JupyterLab options, e.g. --port 8899 --no-browser]",
                        description="Open examples/quickstart.ipynb in JupyterLab (needs "
                        "`pip install -e \".[lab]\"`); other options go to JupyterLab; run as root, "
                        "it passes --allow-root.")
    train = commands.add_parser(
        "train", help="train saved designs side by side on the digits and draw their curves",
        description="Train each saved design (JSON) from its initial values on scikit-learn's digits "
                    "(1797 samples of 64 inputs in [-1, 1], labels 0..9) with the same batches, print the "
                    "loss and accuracy and draw the curves (neuwidgets.training.compare).")
    train.add_argument("designs", nargs="+", metavar="design", help="design files (the input layer takes 64 "
                       "values; a Softmax output layer of 10 units learns the labels)")
    train.add_argument("-o", "--output", help="image file for the curves (default: the first design's name "
                       "with -training.png)")
    train.add_argument("--steps", type=int, default=300, help="training steps per design (default 300)")
    train.add_argument("--batch-size", type=int, default=64, help="samples per step (default 64)")
    train.add_argument("--optimizer", default="sgd", help="sgd, adam, adamw, rmsprop, adagrad or nadam "
                       "(default sgd)")
    train.add_argument("--learning-rate", type=float, default=0.1, help="(default 0.1)")
    train.add_argument("--seed", type=int, default=0, help="seed of the batch order (default 0)")
    train.add_argument("--dpi", type=int, default=120, help="resolution of the image (default 120)")
    train.add_argument("--trust", action="store_true", help="run the designs' custom initializer code; "
                       "read that code first: it runs with your permissions")
    return parser


def _output(path, flag, formats=None):
    """The file ``path`` given to ``flag``, refused before any work when it cannot be
    written (see files.check_writable) or its extension is not one of ``formats`` (default
    IMAGE_FORMATS)."""
    from .errors import NeuwidgetsError, shown
    from .files import check_writable
    try:
        check_writable(path)
    except NeuwidgetsError as exc:
        raise CommandError(f"{flag}: {exc}") from None
    formats = formats or IMAGE_FORMATS
    if Path(path).suffix.lower().lstrip(".") not in formats:
        kind = "an image file" if formats is IMAGE_FORMATS else "a file"
        raise CommandError(f"{flag} {shown(str(path))}: expected {kind} name ending in "
                           f"{', '.join('.' + name for name in formats)} (the format follows the extension)")
    return Path(path)


def _check_distinct(design, outputs):
    """Refuse two of the design, -o and --activations naming one file (through links too)."""
    from .errors import shown
    real = {}
    for flag, path in [("the design", design), *outputs]:
        other = real.setdefault(os.path.realpath(path), flag)
        if other != flag:
            expected = "an image file other than the design" if other == "the design" else "two different files"
            raise CommandError(f"{other} and {flag} name the same file {shown(str(path))}; expected {expected}")


def render(args):
    from .errors import NeuwidgetsError
    from .files import read_design
    if args.dpi < 10 or args.dpi > 1200:
        raise CommandError(f"--dpi must be from 10 to 1200, got {args.dpi}")
    if args.samples < 1:
        raise CommandError(f"--samples must be a positive whole number, got {args.samples}")
    if not args.time_limit >= 0 or args.time_limit == float("inf"):
        raise CommandError(f"--time-limit must be a number of seconds, 0 or more (0: no limit), got {args.time_limit}")
    design = Path(args.design)
    try:
        text = read_design(design)
    except NeuwidgetsError as exc:
        raise CommandError(str(exc)) from None
    outputs = []
    if args.output or not args.html:
        outputs.append(("-o", _output(args.output or design.with_name(design.stem + "-weights.png"), "-o")))
    if args.activations:
        outputs.append(("--activations", _output(args.activations, "--activations")))
    if args.html:
        outputs.append(("--html", _output(args.html, "--html", formats=("html", "htm"))))
    _check_distinct(design, outputs)
    if args.trust and not args.child_report and _holds_custom_code(text):
        return _render_in_child(args, design, outputs)
    try:
        for path in _render(args, design, text, dict(outputs)):
            print(f"wrote {path}", flush=True)
    except NeuwidgetsError as exc:
        raise CommandError(f"{design}: {exc}") from None


def _holds_custom_code(text):
    """Whether the design text has custom code to run (text that is not a design has none:
    reading it in this process reports what is wrong)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return isinstance(data, dict) and bool(data.get("custom"))


def _render(args, design, text, outputs):
    """Build and draw ``design``; ``outputs``: ``{flag: path}`` (-o, --activations, --html);
    yields each file once written."""
    import io
    from . import limits, plotting
    from .files import write_atomic
    from .spec import NetworkSpec
    spec = NetworkSpec.from_json(text, trust=args.trust)
    large = len(spec.layers) > PROGRESS_LAYERS
    progress = (lambda message: print(f"neuwidgets render: {message}", file=sys.stderr, flush=True)) if large \
        else (lambda message: None)
    progress(f"building {len(spec.layers):,} layers")
    with limits.time_limit(args.time_limit if args.trust and spec.data["custom"] and args.time_limit else None,
                           f"building the network of {design.name} (which runs its custom initializer code)",
                           how="pass --time-limit SECONDS (0: no limit)"):
        result = spec.build_report(max_parameters=MAX_PARAMETERS)
    untrusted = sorted({spec.entry(e["layer"])["parameters"][e["parameter"]]["initializer"]["name"]
                        for e in result.errors if e["kind"] == "untrusted"})
    if untrusted:
        raise CommandError(f"{design}: the design holds custom initializer code ({', '.join(untrusted)}); "
                           "read it in the file, then pass --trust to run it")
    if result.errors:
        raise CommandError(f"{design}: {spec.describe(result.errors[0])}")
    drawings = {"-o": ("weight distributions", lambda: plotting.plot_weight_distributions(result.network)),
                "--activations": ("activation statistics", lambda: plotting.plot_activation_stats(
                    result.network, n_samples=args.samples, title=f"{design.name}: {result.network}"))}
    for flag, path in outputs.items():
        if flag == "--html":
            from .lesson import lesson_html
            progress("writing the lesson")
            write_atomic(path, lesson_html(spec, result.network, title=f"{design.stem}: {result.network!r}"),
                         where=None)
            yield path
            continue
        what, draw = drawings[flag]
        progress(f"drawing the {what}")
        buffer = io.BytesIO()
        draw().savefig(buffer, format=path.suffix.lower().lstrip("."), dpi=args.dpi)
        write_atomic(path, buffer.getvalue(), where=None)
        yield path


def _render_in_child(args, design, outputs):
    """``render --trust``: the design's custom code runs in a child process (``python -m
    neuwidgets render ... --child-report FILE``), whose output is passed on. The child
    writes a report when it ends normally; without one (custom code called ``os._exit``,
    crashed the interpreter, was killed) or with an image missing, this says so and
    returns 2, never 0."""
    import json
    import signal
    import tempfile
    import threading
    flags, outputs = outputs, [path for _, path in outputs]
    before = {path: _identity(path) for path in outputs}
    with tempfile.TemporaryDirectory(prefix="neuwidgets-render-") as folder:
        report_file = Path(folder) / "report.json"
        command = [sys.executable, "-m", "neuwidgets", "render", str(design),
                   *(part for flag, path in flags for part in (flag, str(path))), "--dpi", str(args.dpi),
                   "--samples", str(args.samples), "--time-limit", repr(args.time_limit), "--trust",
                   "--child-report", str(report_file)]
        package_root = str(Path(__file__).resolve().parent.parent)  # the child imports this same neuwidgets
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root,
                                                                          os.environ.get("PYTHONPATH")]))}
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        relays = [threading.Thread(target=_relay, args=(stream, target), daemon=True)
                  for stream, target in ((child.stdout, sys.stdout), (child.stderr, sys.stderr))]
        for relay in relays:
            relay.start()
        status = child.wait()
        for relay in relays:
            relay.join()
        report = json.loads(report_file.read_text()) if report_file.exists() else None
    written = [path for path in outputs if _identity(path) not in (None, before[path])]
    if report is None:
        how = (f"signal {signal.Signals(-status).name}" if status < 0 and -status in signal.valid_signals()
               else f"exit status {status}")
        done = f"only {', '.join(repr(str(p)) for p in written)} was written" if written else "no image was written"
        raise CommandError(f"{design}: rendering stopped before it finished: the process running the design's "
                           f"custom code ended with {how} (os._exit, a crash or a kill in that code?); {done}")
    missing = [path for path in outputs if path not in written]
    if report["status"] == 0 and missing:
        raise CommandError(f"{design}: rendering ended without writing {', '.join(repr(str(p)) for p in missing)}")
    return report["status"]


def _identity(path):
    """What tells a rewritten file from the old one (write_atomic makes a new file)."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns, status.st_size


def _relay(stream, target):
    for line in iter(stream.readline, b""):
        target.write(line.decode("utf-8", "replace"))
        target.flush()



def demo(args):
    if importlib.util.find_spec("jupyterlab") is None:
        raise CommandError('the demo needs JupyterLab: pip install -e ".[lab]" (or pip install jupyterlab)')
    if not QUICKSTART.exists():
        raise CommandError(f"the quickstart notebook is missing ({QUICKSTART}); the demo runs from a "
                           "source checkout of neuwidgets")
    # A copy of examples/: the demo's edits and autosaves never change the repository's files.
    folder = Path(tempfile.mkdtemp(prefix="neuwidgets-demo-"))
    shutil.copytree(QUICKSTART.parent, folder, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    print(f"neuwidgets demo: working on a copy of the examples in {folder}", flush=True)
    options = list(args.lab_options)  # the options this parser does not know go to JupyterLab
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in options:
        options.append("--allow-root")  # JupyterLab refuses root otherwise (containers, CI machines)
    # The URL JupyterLab prints (to open by hand, e.g. with --no-browser) is its default_url: the notebook.
    # (LabApp's own: it overrides ServerApp.default_url.) The demo becomes JupyterLab (exec): a signal
    # sent to it stops the server, where a child process would have run on.
    os.chdir(folder)
    os.execv(sys.executable, [sys.executable, "-m", "jupyterlab", QUICKSTART.name, f"--ServerApp.root_dir={folder}",
                              f"--LabApp.default_url=/lab/tree/{QUICKSTART.name}", *options])


class _ProgressBar:
    """``label [#######.......] 120/300`` on ``stream``, redrawn in place (a progress
    callback for :func:`neuwidgets.training.compare`); about 100 redraws per run."""

    def __init__(self, stream, width=30):
        self.stream, self.width, self.open = stream, width, False

    def __call__(self, label, step, steps):
        if step % max(1, steps // 100) and step != steps:
            return
        filled = self.width * step // steps
        self.stream.write(f"\r{label} [{'#' * filled}{'.' * (self.width - filled)}] {step}/{steps}")
        self.open = step != steps
        self.stream.write("" if self.open else "\n")
        self.stream.flush()

    def close(self):
        """End a line left open by a run that stopped early."""
        if self.open:
            self.stream.write("\n")
            self.open = False


def train(args):
    from . import datasets, plotting, training
    from .errors import NeuwidgetsError
    from .files import read_design
    from .spec import NetworkSpec
    first = Path(args.designs[0])
    output = _output(args.output or first.with_name(first.stem + "-training.png"), "-o")
    if args.dpi < 10 or args.dpi > 1200:
        raise CommandError(f"--dpi must be from 10 to 1200, got {args.dpi}")
    stems = [Path(path).stem for path in args.designs]
    specs = {}
    for path, stem in zip(args.designs, stems):
        try:
            spec = NetworkSpec.from_json(read_design(path), trust=args.trust)
        except NeuwidgetsError as exc:
            raise CommandError(f"{path}: {exc}") from None
        if spec.data["custom"] and not spec.trusted:
            raise CommandError(f"{path}: the design holds custom initializer code ({', '.join(spec.data['custom'])}); "
                               "read it in the file, then pass --trust to run it")
        specs[stem if stems.count(stem) == 1 else path] = spec
    x, y = datasets.digits()
    bar = _ProgressBar(sys.stderr)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a diverged run is reported below, in one line
            runs = training.compare(specs, x, y, steps=args.steps, batch_size=args.batch_size,
                                    optimizer=args.optimizer, learning_rate=args.learning_rate, seed=args.seed,
                                    progress=bar)
    except NeuwidgetsError as exc:
        raise CommandError(f"{exc} (train uses the digits: 1797 samples of 64 inputs, labels 0..9)") from None
    finally:
        bar.close()
    width = max(len("design"), *map(len, runs))
    print(f"{'design':<{width}} {'loss at step 0':>14} {'loss, last 10 steps':>19} {'accuracy, last 10':>17}")
    for label, run in runs.items():
        last = run["loss"][-10:]
        accuracy = run["accuracy"][-10:] if run["accuracy"] else []
        print(f"{label:<{width}} {run['loss'][0] if run['loss'] else float('nan'):>14.3f} "
              f"{sum(last) / len(last) if last else float('nan'):>19.3f} "
              f"{sum(accuracy) / len(accuracy) if accuracy else float('nan'):>17.3f}")
        if run["stopped"]:
            print(f"neuwidgets train: {label}: {run['stopped']}", file=sys.stderr)
    figure = plotting.plot_training(runs, title=f"{len(runs)} design{'s' if len(runs) > 1 else ''} on the digits, "
                                    f"{args.optimizer} {args.learning_rate:g}, batch {args.batch_size}")
    try:
        figure.savefig(output, dpi=args.dpi)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot write {str(output)!r}: {getattr(exc, 'strerror', None) or exc}") from None
    print(f"wrote {output}")


def main(argv=None):
    """Run the command line; returns the exit status (2 for a bad file or argument)."""
    parser = _parser()
    args, args.lab_options = parser.parse_known_args(argv)
    if args.lab_options and args.command != "demo":
        parser.error(f"unrecognized arguments: {' '.join(args.lab_options)}")
    try:
        status = {"render": render, "demo": demo, "train": train}[args.command](args) or 0
    except CommandError as exc:
        print(f"neuwidgets {args.command}: {exc}", file=sys.stderr)
        status = EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    if getattr(args, "child_report", None):  # render --trust's child: it ended normally
        Path(args.child_report).write_text(json.dumps({"status": status}))
    return status


if __name__ == "__main__":
    sys.exit(main())

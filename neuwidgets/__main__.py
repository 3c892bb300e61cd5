"""Command line: ``python -m neuwidgets render design.json -o weights.png`` draws a saved
design's initial weight distributions (and, with ``--activations``, the signal through
depth) without a browser; ``python -m neuwidgets demo`` opens the quickstart notebook
in JupyterLab; ``python -m neuwidgets train a.json b.json -o curves.png`` trains saved
designs side by side on the digits and draws their curves. A bad file gives one line on
stderr and exit status 2."""
import argparse
import importlib.util
import os
import subprocess
import sys
import warnings
from pathlib import Path

EXIT_BAD_INPUT = 2
#: Designs larger than this are refused before anything is allocated.
MAX_PARAMETERS = 50_000_000
QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart.ipynb"


class CommandError(Exception):
    """A problem the person can fix; printed as one line."""


def _parser():
    parser = argparse.ArgumentParser(prog="neuwidgets", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="{render,demo,train}")
    render = commands.add_parser(
        "render", help="draw a saved design's initial distributions to image files",
        description="Build the network of a saved design (JSON) and draw its initial weight "
                    "distributions (and the signal through depth) to image files.")
    render.add_argument("design", help="design file written by NetworkBuilder.save or NetworkSpec.to_json")
    render.add_argument("-o", "--output", help="image file for the weight distributions "
                        "(default: the design's name with -weights.png)")
    render.add_argument("--activations", metavar="PATH", help="also draw activation and gradient std "
                        "through depth to this image file")
    render.add_argument("--dpi", type=int, default=120, help="resolution of the images (default 120)")
    render.add_argument("--trust", action="store_true", help="run the design's custom initializer code; "
                        "read that code first: it runs with your permissions")
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


def _writable(path):
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise CommandError(f"cannot write {str(path)!r}: it is a folder; expected an image file name")
    if not folder.is_dir():
        raise CommandError(f"cannot write {str(path)!r}: the folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CommandError(f"cannot write {str(path)!r}: permission denied")
    return path


def render(args):
    from .errors import NeuwidgetsError
    from .spec import NetworkSpec
    design = Path(args.design)
    try:
        text = design.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {str(design)!r}: {getattr(exc, 'strerror', None) or exc}") from None
    outputs = [_writable(args.output or design.with_name(design.stem + "-weights.png"))]
    if args.activations:
        outputs.append(_writable(args.activations))
    if args.dpi < 10 or args.dpi > 1200:
        raise CommandError(f"--dpi must be from 10 to 1200, got {args.dpi}")
    try:
        spec = NetworkSpec.from_json(text, trust=args.trust)
        result = spec.build_report(max_parameters=MAX_PARAMETERS)
    except NeuwidgetsError as exc:
        raise CommandError(f"{design}: {exc}") from None
    untrusted = sorted({spec.entry(e["layer"])["parameters"][e["parameter"]]["initializer"]["name"]
                        for e in result.errors if e["kind"] == "untrusted"})
    if untrusted:
        raise CommandError(f"{design}: the design holds custom initializer code ({', '.join(untrusted)}); "
                           "read it in the file, then pass --trust to run it")
    if result.errors:
        raise CommandError(f"{design}: {spec.describe(result.errors[0])}")
    from . import plotting
    figures = [plotting.plot_weight_distributions(result.network)]
    if args.activations:
        figures.append(plotting.plot_activation_stats(result.network, title=f"{design.name}: {result.network}"))
    for figure, path in zip(figures, outputs):
        try:
            figure.savefig(path, dpi=args.dpi)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot write {str(path)!r}: {getattr(exc, 'strerror', None) or exc}") from None
        print(f"wrote {path}")


def demo(args):
    if importlib.util.find_spec("jupyterlab") is None:
        raise CommandError('the demo needs JupyterLab: pip install -e ".[lab]" (or pip install jupyterlab)')
    if not QUICKSTART.exists():
        raise CommandError(f"the quickstart notebook is missing ({QUICKSTART}); the demo runs from a "
                           "source checkout of neuwidgets")
    options = list(args.lab_options)  # the options this parser does not know go to JupyterLab
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in options:
        options.append("--allow-root")  # JupyterLab refuses root otherwise (containers, CI machines)
    return subprocess.run([sys.executable, "-m", "jupyterlab", str(QUICKSTART), *options]).returncode


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
    from .spec import NetworkSpec
    first = Path(args.designs[0])
    output = _writable(args.output or first.with_name(first.stem + "-training.png"))
    if args.dpi < 10 or args.dpi > 1200:
        raise CommandError(f"--dpi must be from 10 to 1200, got {args.dpi}")
    stems = [Path(path).stem for path in args.designs]
    specs = {}
    for path, stem in zip(args.designs, stems):
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path!r}: {getattr(exc, 'strerror', None) or exc}") from None
        try:
            spec = NetworkSpec.from_json(text, trust=args.trust)
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
        return {"render": render, "demo": demo, "train": train}[args.command](args) or 0
    except CommandError as exc:
        print(f"neuwidgets {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

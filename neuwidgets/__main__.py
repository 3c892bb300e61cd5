"""Command line: ``python -m neuwidgets render design.json -o weights.png`` draws a saved
design's initial weight distributions (and, with ``--activations``, the signal through
depth) without a browser; ``python -m neuwidgets demo`` opens the quickstart notebook
in JupyterLab. A bad file gives one line on stderr and exit status 2."""
import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

EXIT_BAD_INPUT = 2
#: Designs larger than this are refused before anything is allocated.
MAX_PARAMETERS = 50_000_000
QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart.ipynb"


class CommandError(Exception):
    """A problem the person can fix; printed as one line."""


def _parser():
    parser = argparse.ArgumentParser(prog="neuwidgets", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="{render,demo}")
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
    render.add_argument("--html", metavar="PATH", help="write a lesson to hand out: one self-contained HTML file "
                        "(the design as a table, every panel, the depth chart with its pins, the code) that opens "
                        "offline; without -o no image file is written")
    render.add_argument("--trust", action="store_true", help="run the design's custom initializer code; "
                        "read that code first: it runs with your permissions")
    commands.add_parser("demo", help="open the quickstart notebook in JupyterLab",
                        usage="python -m neuwidgets demo [JupyterLab options, e.g. --port 8899 --no-browser]",
                        description="Open examples/quickstart.ipynb in JupyterLab (needs "
                        "`pip install -e \".[lab]\"`); other options go to JupyterLab; run as root, "
                        "it passes --allow-root.")
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
    html = _writable(args.html) if args.html else None
    outputs = [_writable(args.output or design.with_name(design.stem + "-weights.png"))] \
        if args.output or not html else []
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
    if html is not None:
        _write_lesson(spec, result.network, design, html)
    figures = [plotting.plot_weight_distributions(result.network)] if args.output or not html else []
    if args.activations:
        figures.append(plotting.plot_activation_stats(result.network, title=f"{design.name}: {result.network}"))
    for figure, path in zip(figures, outputs):
        try:
            figure.savefig(path, dpi=args.dpi)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot write {str(path)!r}: {getattr(exc, 'strerror', None) or exc}") from None
        print(f"wrote {path}")


def _write_lesson(spec, network, design, path):
    from .lesson import lesson_html
    text = lesson_html(spec, network, title=f"{design.stem}: {network!r}")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    print(f"wrote {path}")


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
    return subprocess.run([sys.executable, "-m", "jupyterlab", QUICKSTART.name, f"--ServerApp.root_dir={folder}",
                           f"--ServerApp.default_url=/lab/tree/{QUICKSTART.name}", *options], cwd=folder).returncode


def main(argv=None):
    """Run the command line; returns the exit status (2 for a bad file or argument)."""
    parser = _parser()
    args, args.lab_options = parser.parse_known_args(argv)
    if args.lab_options and args.command != "demo":
        parser.error(f"unrecognized arguments: {' '.join(args.lab_options)}")
    try:
        return {"render": render, "demo": demo}[args.command](args) or 0
    except CommandError as exc:
        print(f"neuwidgets {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""matplotlib figures of a network's initialization.

Everything is drawn on :class:`matplotlib.figure.Figure` objects with the Agg canvas;
pyplot is never imported, so no figure is left open in pyplot's state and the code
works in widget callbacks and without a display. Backgrounds are transparent and
text, axes and data use mid-luminance colours readable on light and dark themes.

- :func:`plot_weight_distributions`, :func:`plot_activation_stats` and
  :func:`plot_activation_comparison` return a :class:`NotebookFigure`, a ``Figure``
  that Jupyter shows as a PNG when it ends a cell (no pyplot needed); save one with
  ``fig.savefig(path)`` or :func:`figure_to_png`.
- :func:`panel_png` (one parameter) and :func:`depth_chart_png` (signal through depth)
  return small PNG images as bytes for the builder widget.
- :func:`plot_parameter` and :func:`plot_depth` draw into given axes.
"""
import io
import math
import numbers

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator

from . import init
from .errors import InvalidTypeError, InvalidValueError, shown
from .stats import activation_stats, weight_stats

__all__ = ["plot_weight_distributions", "plot_activation_stats", "plot_activation_comparison",
           "plot_parameter", "plot_depth", "plot_std_by_layer", "MAX_PANELS", "figure_to_png", "panel_png", "depth_chart_png",
           "theoretical_density", "NotebookFigure", "PALETTE"]

#: Okabe-Ito colours of mid luminance: distinguishable (also for colour-blind readers)
#: and readable on white and on dark backgrounds.
PALETTE = {
    "measured": "#3D9AD1",   # blue: histograms, activation std (text on white and dark)
    "theory": "#E69F00",     # orange: theoretical density, expected std
    "gradient": "#CC79A7",   # reddish purple: gradient std
    "saturated": "#D55E00",  # vermillion
    "dead": "#009E73",       # bluish green
    "text": "#8C8C8C",       # neutral grey: text, ticks and spines on any background
    "grid": "#8C8C8C",
}
_CYCLE = ["#56B4E9", "#E69F00", "#CC79A7", "#009E73", "#D55E00", "#F0E442", "#0072B2"]

_STYLE = {
    "figure.facecolor": "none", "axes.facecolor": "none", "savefig.facecolor": "none",
    "savefig.edgecolor": "none", "savefig.transparent": True,
    "text.color": PALETTE["text"], "axes.labelcolor": PALETTE["text"],
    "axes.edgecolor": PALETTE["text"], "axes.titlecolor": PALETTE["text"],
    "xtick.color": PALETTE["text"], "ytick.color": PALETTE["text"],
    "legend.frameon": False, "legend.labelcolor": PALETTE["text"],
    "axes.spines.top": False, "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=_CYCLE),
    "grid.color": PALETTE["grid"], "grid.alpha": 0.25, "grid.linewidth": 0.6,
    "axes.titlesize": "medium", "axes.titleweight": "normal",
}
_SMALL = {**_STYLE, "font.size": 6.5, "axes.titlesize": 7, "axes.labelsize": 6.5,
          "xtick.labelsize": 6, "ytick.labelsize": 6, "legend.fontsize": 5.8,
          "axes.linewidth": 0.6, "xtick.major.width": 0.6, "ytick.major.width": 0.6,
          "xtick.major.size": 2.5, "ytick.major.size": 2.5, "xtick.major.pad": 1.5,
          "ytick.major.pad": 1.5, "axes.titlepad": 3, "axes.labelpad": 1.5,
          "legend.handlelength": 1.2, "legend.borderaxespad": 0.2, "legend.labelspacing": 0.2,
          "legend.handletextpad": 0.4}
# The builder's images are shown at their natural size: text a little larger.
_WIDGET = {**_SMALL, "font.size": 8, "axes.labelsize": 8, "xtick.labelsize": 7.5, "ytick.labelsize": 7.5,
           "legend.fontsize": 7.5}

_MAX_TICKS = 40  # layers in a depth chart labelled one by one
_TRUNCATED_MASS = math.erf(2 / math.sqrt(2))  # P(|N(0, 1)| < 2) = 0.9545


class NotebookFigure(Figure):
    """A matplotlib ``Figure`` that shows itself as a PNG in Jupyter (``_repr_png_``),
    without pyplot or an inline backend. Everything else is a plain ``Figure``."""

    def _repr_png_(self):
        return figure_to_png(self)


def _new_figure(width_in, height_in, dpi=100, layout=None):
    fig = NotebookFigure(figsize=(width_in, height_in), dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _fmt(value):
    if value is None:
        return "n/a"
    if value == 0:
        return "0"
    return f"{value:.3g}"


def _title(record):
    layers = ", ".join(record["layers"])
    shared = " (shared)" if len(record["layers"]) > 1 else ""
    return f"{record['parameter']} of {layers}{shared}"


def std_text(record):
    """``"std 0.0312 measured · 0.0316 expected"`` (or ``"· no expected std"``): the line
    under every parameter plot that compares the sample with the initializer's theory."""
    expected = record.get("expected_std")
    expected = "no expected std" if expected is None else f"{_fmt(expected)} expected"
    return f"std {_fmt(record['std'])} measured · {expected}"


def _shape_text(shape):
    return "×".join(str(dim) for dim in shape)


def _normal_pdf(x, mean, std):
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def theoretical_density(initializer, shape, x):
    """The density an initializer samples from, evaluated at ``x`` (array of values).

    Returns ``("curve", y)`` with ``y`` shaped like ``x`` (per unit of parameter
    value), ``("constant", value)`` for :class:`~neuwidgets.init.Constant`, or None
    when there is no theory (not a built-in initializer — a custom one's distribution is
    unknown — or ``expected_std`` is None or 0).

    Picks by class and ``distribution``: a flat line for uniform initializers
    (``Uniform``, ``HeUniform``, ``XavierUniform``, ``VarianceScaling`` "uniform"), a
    normal truncated at ±2σ for ``TruncatedNormal`` and ``VarianceScaling``
    "truncated_normal", and otherwise a normal pdf with the initializer's ``mean``
    (0 if it has none) and ``expected_std(shape)``.
    """
    if isinstance(initializer, init.Constant):
        return ("constant", float(initializer.value))
    if type(initializer) not in init.BUILTINS.values():
        return None  # a custom initializer: its histogram is drawn without a guessed curve
    std = init.expected_std_of(initializer, shape)
    x = np.asarray(x, dtype=np.float64)
    if isinstance(initializer, init.Uniform):
        low, high = initializer.minval, initializer.maxval
        return ("curve", np.where((x >= low) & (x <= high), 1.0 / (high - low), 0.0))
    if not std:
        return None
    mean = float(getattr(initializer, "mean", 0.0) or 0.0)
    distribution = getattr(initializer, "distribution", "normal")
    if distribution == "uniform":
        limit = math.sqrt(3.0) * std
        return ("curve", np.where(np.abs(x - mean) <= limit, 1.0 / (2 * limit), 0.0))
    if isinstance(initializer, init.TruncatedNormal) or distribution == "truncated_normal":
        sigma = initializer.std if isinstance(initializer, init.TruncatedNormal) else std / init.TRUNCATED_STD
        inside = np.abs(x - mean) <= 2 * sigma
        return ("curve", np.where(inside, _normal_pdf(x, mean, sigma) / _TRUNCATED_MASS, 0.0))
    return ("curve", _normal_pdf(x, mean, std))


def _shorten(text, max_chars):
    return text if len(text) <= max_chars else text[:max(1, max_chars - 1)] + "…"


def _header(ax, title, lines):
    """Title plus coloured lines of text between it and the axes (a legend that never
    covers data). ``lines``: ``[(text, colour)]``, the last one nearest the axes."""
    size = matplotlib.rcParams["font.size"]
    step = 1.3 * size
    position = ax.get_position()
    figure_px = ax.figure.bbox.width
    width_px = min(figure_px * (1 - position.x0), 1.3 * position.width * figure_px)
    max_chars = max(12, int(width_px / (0.55 * size * ax.figure.dpi / 72)))
    for row, (text, colour) in enumerate(reversed(lines)):
        ax.annotate(_shorten(text, max_chars) if row else text, xy=(0, 1), xycoords="axes fraction",
                    xytext=(0, 3 + row * step), textcoords="offset points",
                    ha="left", va="bottom", color=colour, fontsize=size, annotation_clip=False)
    # An explicit y skips matplotlib's title placement, which lays out all tick labels.
    ax.set_title(_shorten(title, max_chars), loc="left", pad=3 + len(lines) * step, y=1.0)


def plot_parameter(record, ax, legend=True):
    """Draw one parameter's histogram (as a density) into ``ax``, overlaid with the
    initializer's theoretical density (see :func:`theoretical_density`).

    ``record``: a :class:`~neuwidgets.stats.ParameterStats` (or a dict with the same
    keys). The x axis is "<parameter> value", the y axis "density" (per unit of
    parameter value). The title names the parameter and every layer using it
    (``"weight of relu-1, relu-2 (shared)"``). With ``legend`` two lines under the
    title act as the legend: the initializer's repr and the shape (in the colour of
    its theoretical curve) and :func:`std_text` (in
    the colour of the histogram). Returns ``ax``.
    """
    counts = np.asarray(record["counts"], dtype=np.float64)
    edges = np.asarray(record["edges"], dtype=np.float64)
    total = counts.sum()
    initializer = record.get("initializer")
    label = record.get("label") or (repr(initializer) if initializer is not None else "values given")
    has_theory = False
    if record["std"] == 0 or record["min"] == record["max"]:
        # Every value identical: a spike, drawn as a line at that value.
        value = record["min"]
        ax.axvline(value, color=PALETTE["measured"], linewidth=3, alpha=0.9)
        theory = theoretical_density(initializer, record["shape"], np.array([value]))
        if theory is not None and theory[0] == "constant":
            ax.axvline(theory[1], color=PALETTE["theory"], linestyle="--", linewidth=1.2)
            has_theory = True
        span = max(abs(value) * 0.5, 1.0)
        ax.set_xlim(value - span, value + span)
        ax.set_xticks([value - span, value, value + span])
        ax.set_yticks([])
    else:
        widths = np.diff(edges)
        density = counts / (total * widths) if total else counts
        ax.stairs(density, edges, fill=True, color=PALETTE["measured"], alpha=0.45, linewidth=0)
        ax.stairs(density, edges, color=PALETTE["measured"], linewidth=0.8)
        low, high = edges[0], edges[-1]
        pad = 0.08 * (high - low)
        xs = np.linspace(low - pad, high + pad, 241)
        theory = theoretical_density(initializer, record["shape"], xs)
        if theory is not None and theory[0] == "curve":
            ax.plot(xs, theory[1], color=PALETTE["theory"], linewidth=1.3)
            has_theory = True
        elif theory is not None and theory[0] == "constant":
            ax.axvline(theory[1], color=PALETTE["theory"], linestyle="--", linewidth=1.2)
            has_theory = True
        ax.set_xlim(low - pad, high + pad)
        ax.set_ylim(bottom=0)
        ax.xaxis.get_major_locator().set_params(nbins=5)
        ax.yaxis.get_major_locator().set_params(nbins=4)
    ax.set_xlabel(f"{record['parameter']} value")
    ax.set_ylabel("density")
    if legend:
        lines = [(f"{label} · {_shape_text(record['shape'])}", PALETTE["theory"] if has_theory else PALETTE["text"]),
                 (std_text(record), PALETTE["measured"])]
        _header(ax, _title(record), lines)
    else:
        ax.set_title(_title(record), loc="left")
    return ax


#: Panels :func:`plot_weight_distributions` draws at most by default; a larger network
#: gets that many, evenly spaced through it, under a chart of every parameter's std.
MAX_PANELS = 24


def _check_count(value, name, allow_none=True):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidValueError(f"{name} must be {'None or ' if allow_none else ''}a positive integer, "
                                f"got {shown(value)}")
    return int(value)


def plot_weight_distributions(network, bins=50, ncols=None, max_panels=MAX_PANELS):
    """A ``Figure`` with one panel (:func:`plot_parameter`) per distinct parameter
    variable of ``network`` (:func:`~neuwidgets.stats.weight_stats`): a shared
    variable is drawn once, titled with every layer that uses it.

    ``ncols`` panels per row (default: 2 when every layer has a weight and a bias,
    else up to 3). ``max_panels`` (None: no limit) bounds the figure: a network with
    more variables gets ``max_panels`` panels, evenly spaced through it (the first and
    the last included), under a chart of every variable's std by layer
    (:func:`plot_std_by_layer`), so the figure's size and drawing time stay bounded. A
    network without parameters gives a figure with a note and no axes. Raises
    :class:`InvalidValueError` for a bad ``ncols`` or ``max_panels`` and what
    :func:`~neuwidgets.stats.weight_stats` raises.
    """
    ncols = _check_count(ncols, "ncols")
    max_panels = _check_count(max_panels, "max_panels")
    records = weight_stats(network, bins=bins)
    with matplotlib.rc_context(_STYLE):
        if not records:
            fig = _new_figure(5, 1.2)
            fig.text(0.5, 0.5, "this network has no parameters", ha="center", va="center")
            return fig
        shown_records = records
        if max_panels is not None and len(records) > max_panels:
            shown_records = _evenly_spaced_layers(records, max_panels)
        summary = shown_records is not records
        if ncols is None:
            ncols = 4 if summary else 2 if len(records) % 2 == 0 else 3
        ncols = min(ncols, len(shown_records))
        nrows = math.ceil(len(shown_records) / ncols)
        fig = _new_figure(max(4.2 * ncols, 8.0 * summary), 3.1 * (nrows + summary), layout="constrained")
        grid = fig.add_gridspec(nrows + summary, ncols)
        if summary:
            plot_std_by_layer(records, fig.add_subplot(grid[0, :]), network)
        for index, record in enumerate(shown_records):
            plot_parameter(record, fig.add_subplot(grid[summary + index // ncols, index % ncols]))
        fig.suptitle("initial parameter distributions" + (
            f" of {len(shown_records)} of {len(records):,} parameters (evenly spaced layers)" if summary else ""),
            color=PALETTE["text"])
    return fig


def _evenly_spaced_layers(records, max_panels):
    """The records of evenly spaced owner layers (the first and the last included), at
    most ``max_panels`` of them: a layer's weight and bias stay together."""
    layers = {}
    for record in records:
        layers.setdefault(record["layers"][0], []).append(record)
    groups = list(layers.values())
    count = max(1, max_panels // max(len(group) for group in groups))
    picks = np.unique(np.linspace(0, len(groups) - 1, count).round().astype(int))
    return [record for index in picks for record in groups[index]][:max_panels]


def plot_std_by_layer(records, ax, network):
    """Draw the std of every parameter variable (measured: dots; expected: the
    initializer's :meth:`~neuwidgets.init.Initializer.expected_std`, a line) against the
    position of its owner layer in ``network.layers``, one series per parameter name
    (weight, bias), on a log y axis into ``ax``. A std of 0 (a constant) is a gap.
    ``records``: :class:`~neuwidgets.stats.ParameterStats`. Returns ``ax``.
    """
    position = {layer.name: index for index, layer in enumerate(network.layers)}
    for parameter, colour in zip(dict.fromkeys(record["parameter"] for record in records), _CYCLE):
        mine = [record for record in records if record["parameter"] == parameter]
        x = [position[record["layers"][0]] for record in mine]
        ax.plot(x, _positive([record["std"] for record in mine]), "o", markersize=2.5, color=colour,
                label=f"{parameter} std measured")
        expected = [record.get("expected_std") for record in mine]
        ax.plot(x, _positive([np.nan if value is None else value for value in expected]), color=colour,
                linewidth=1.0, alpha=0.7, label=f"{parameter} std expected")
    ax.set_yscale("log")
    ax.set_xlabel("layer")
    ax.set_ylabel("std (log scale)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, axis="y")
    ax.set_title(f"std of every parameter ({len(records):,}) by layer; zeros (constants) left out", loc="left")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    return ax


def _positive(values):
    """Values for a log axis: zeros and non-finite values become NaN (gaps)."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def plot_depth(records, ax_std, ax_fraction=None, compact=False):
    """Draw the signal-through-depth chart from :func:`~neuwidgets.stats.activation_stats`
    records: activation std and gradient std (dL/dz) per layer on a log y axis in
    ``ax_std``; saturated and dead fractions (0..1) as bars in ``ax_fraction`` (a
    second panel), or on a twin axis of ``ax_std`` when ``ax_fraction`` is None.

    x: layer position 1..L, labelled with layer names (indices when ``compact``).
    Returns ``(ax_std, ax_fraction)``.
    """
    records = list(records)
    positions = np.arange(1, len(records) + 1)
    names = [record["layer"] for record in records]
    if ax_fraction is None:
        ax_fraction = ax_std.twinx()
        ax_fraction.spines["right"].set_visible(True)
        ax_fraction.set_zorder(ax_std.get_zorder() - 1)
        twin = True
    else:
        twin = False
    width = 0.38
    saturated = np.array([record["saturated"] for record in records], dtype=np.float64)
    dead = np.array([record["dead"] for record in records], dtype=np.float64)
    for offset, values, colour, label in ((-width / 2, saturated, PALETTE["saturated"], "saturated fraction"),
                                          (width / 2, dead, PALETTE["dead"], "dead fraction (= 0)")):
        ax_fraction.bar(positions + offset, values, width, color=colour, alpha=0.55 if twin else 0.8,
                        edgecolor=colour, linewidth=0.8, label=label)
    ax_fraction.set_ylim(0, 1.0 if twin else 1.05)
    ax_fraction.set_ylabel("fraction of outputs")
    std = _positive([record["std"] for record in records])
    grad = _positive([record["grad_std"] for record in records])
    marker = dict(marker="o", markersize=3 if compact else 4) if len(records) <= _MAX_TICKS else {}
    ax_std.plot(positions, std, color=PALETTE["measured"], linewidth=1.6, label="activation std", **marker)
    ax_std.plot(positions, grad, color=PALETTE["gradient"], linewidth=1.6, linestyle="--",
                label="gradient std (dL/dz)", **marker)
    ax_std.set_yscale("log")
    if compact:  # minor ticks of a log axis cost a third of the drawing time
        ax_std.yaxis.set_minor_locator(NullLocator())
    finite = np.concatenate([std[np.isfinite(std)], grad[np.isfinite(grad)]])
    if finite.size:
        low, high = finite.min(), finite.max()
        ax_std.set_ylim(min(low / 2, 0.05), max(high * 2, 2.0))
    ax_std.set_ylabel("std (log scale)")
    ax_std.grid(True, axis="y", which="major")
    by_index = compact or len(records) > 12
    labels = [str(p) for p in positions] if by_index else names
    for ax in ((ax_std,) if twin else (ax_std, ax_fraction)):
        ax.set_xlim(0.4, len(records) + 0.6)
        if len(records) > _MAX_TICKS:  # a tick per layer would be unreadable and slow to lay out
            ax.xaxis.set_major_locator(MaxNLocator(nbins=10, integer=True))
        else:
            ax.set_xticks(positions)
            ax.set_xticklabels(labels, **({} if by_index else {"rotation": 30, "ha": "right"}))
        if by_index:
            ax.set_xlabel("layer")
    return ax_std, ax_fraction


def plot_activation_stats(network, n_samples=1000, seed=0, inputs=None, title=None):
    """A ``Figure`` of what the network does to a signal at initialization, from
    :func:`~neuwidgets.stats.activation_stats` (same arguments).

    Left panel: activation std and gradient std (dL/dz for a unit-variance gradient
    at the output) per layer, log y axis. Right panel: fraction of saturated outputs
    and of dead outputs (exactly 0) per layer. ``title``: the figure's title (default
    the network's repr). Raises what :func:`~neuwidgets.stats.activation_stats` raises.
    """
    records = activation_stats(network, n_samples=n_samples, seed=seed, inputs=inputs)
    with matplotlib.rc_context(_STYLE):
        if not records:
            fig = _new_figure(5, 1.2)
            fig.text(0.5, 0.5, "no layers after the input", ha="center", va="center")
            return fig
        width = max(8.0, min(14.0, 4.0 + 0.55 * len(records)))
        fig = _new_figure(width, 3.6, layout="constrained")
        ax_std, ax_fraction = fig.subplots(1, 2)
        plot_depth(records, ax_std, ax_fraction)
        ax_std.set_title("signal through depth", loc="left")
        ax_fraction.set_title("saturated and dead outputs", loc="left")
        ax_std.legend(loc="best")
        ax_fraction.legend(loc="upper right")
        fig.suptitle(title if title is not None else repr(network), color=PALETTE["text"])
    return fig


def plot_activation_comparison(records_by_label, quantity="std", title=None):
    """A ``Figure`` comparing networks: one line per ``{label: activation_stats
    records}`` entry, ``quantity`` (``"std"``, ``"grad_std"``, ``"pre_std"``) per layer
    on a log y axis (left) and the saturated fraction (right).

    Raises :class:`InvalidValueError` for an unknown ``quantity`` or no entries.
    """
    if quantity not in ("std", "grad_std", "pre_std"):
        raise InvalidValueError(f"quantity must be 'std', 'grad_std' or 'pre_std', got {quantity!r}")
    if not records_by_label:
        raise InvalidValueError("records_by_label must name at least one network's records")
    names = {"std": "activation std", "grad_std": "gradient std (dL/dz)", "pre_std": "pre-activation std"}
    with matplotlib.rc_context(_STYLE):
        fig = _new_figure(10, 3.6, layout="constrained")
        ax_std, ax_saturated = fig.subplots(1, 2)
        for label, records in records_by_label.items():
            positions = np.arange(1, len(records) + 1)
            ax_std.plot(positions, _positive([r[quantity] for r in records]), marker="o", markersize=4,
                        linewidth=1.6, label=str(label))
            ax_saturated.plot(positions, [r["saturated"] for r in records], marker="o", markersize=4,
                              linewidth=1.6, label=str(label))
        ax_std.set_yscale("log")
        ax_std.set_ylabel(f"{names[quantity]} (log scale)")
        ax_saturated.set_ylabel("saturated fraction")
        ax_saturated.set_ylim(-0.03, 1.03)
        for ax in (ax_std, ax_saturated):
            ax.set_xlabel("layer")
            ax.grid(True, axis="y")
            ax.xaxis.get_major_locator().set_params(integer=True)
        ax_std.set_title(f"{names[quantity]} by depth", loc="left")
        ax_saturated.set_title("saturated outputs by depth", loc="left")
        ax_std.legend(loc="best")
        if title:
            fig.suptitle(title, color=PALETTE["text"])
    return fig


def figure_to_png(fig, dpi=None):
    """PNG bytes of ``fig`` (``fig.savefig`` into a ``BytesIO``), at ``dpi`` dots per
    inch (default the figure's own). The image is ``figsize × dpi`` pixels; the
    background stays transparent for figures made here. Raises
    :class:`InvalidTypeError` for anything that is not a matplotlib Figure.
    """
    if not isinstance(fig, Figure):
        raise InvalidTypeError(f"figure_to_png expects a matplotlib Figure, got {type(fig).__name__}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi if dpi is not None else fig.dpi)
    return buffer.getvalue()


def _check_pixels(width_px, height_px, dpi):
    for name, value in (("width_px", width_px), ("height_px", height_px), ("dpi", dpi)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise InvalidValueError(f"{name} must be a positive number, got {value!r}")
    if width_px < 60 or height_px < 40:
        raise InvalidValueError(f"a panel needs at least 60×40 pixels, got {width_px}×{height_px}")


def _render(fig):
    buffer = io.BytesIO()
    fig.canvas.print_png(buffer)
    return buffer.getvalue()


class _Panel:
    """One reusable small figure for :func:`panel_png`: its artists are created once and
    only their data, limits and texts change per record (a fresh figure per panel costs
    several times more, mostly in creating axes, ticks and text)."""

    def __init__(self, width_px, height_px, dpi):
        with matplotlib.rc_context(_WIDGET):
            self.figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
            FigureCanvasAgg(self.figure)
            ax = self.ax = self.figure.add_axes(_panel_rect(width_px, height_px, left_px=8, bottom_px=31,
                                                            right_px=8, top_px=16))
            self.fill = ax.stairs([0.0], [0.0, 1.0], fill=True, color=PALETTE["measured"], alpha=0.45, linewidth=0)
            self.edge = ax.stairs([0.0], [0.0, 1.0], color=PALETTE["measured"], linewidth=0.8)
            self.curve, = ax.plot([], [], color=PALETTE["theory"], linewidth=1.3)
            self.spike = ax.axvline(0, color=PALETTE["measured"], linewidth=3, alpha=0.9)
            self.constant = ax.axvline(0, color=PALETTE["theory"], linestyle="--", linewidth=1.2)
            self.text = ax.text(0, 1, "", transform=ax.transAxes, ha="left", va="bottom",
                                color=PALETTE["measured"], clip_on=False)
            ax.yaxis.set_major_locator(NullLocator())
            self.locator = MaxNLocator(nbins=4)
            ax.spines["left"].set_visible(False)
            self.figure.patch.set_alpha(0)
        self.drawn = {}

    def render(self, record):
        """PNG bytes of ``record``; an identical picture (the zero biases of many layers)
        is drawn once."""
        key = (record["parameter"], record["std"], record["min"], record["max"], record.get("expected_std"),
               repr(record.get("initializer")), np.asarray(record["counts"]).tobytes(),
               np.asarray(record["edges"]).tobytes())
        if key not in self.drawn:
            if len(self.drawn) > 256:
                self.drawn.clear()
            self.drawn[key] = self._draw(record)
        return self.drawn[key]

    def _draw(self, record):
        counts = np.asarray(record["counts"], dtype=np.float64)
        edges = np.asarray(record["edges"], dtype=np.float64)
        initializer = record.get("initializer")
        spike = record["std"] == 0 or record["min"] == record["max"]
        if spike:
            low, high = record["min"] - max(abs(record["min"]) * 0.5, 1.0), record["min"] + max(abs(record["min"]) * 0.5, 1.0)
            xs, top = np.array([record["min"]]), 1.0
        else:
            density = counts / (counts.sum() * np.diff(edges))
            pad = 0.08 * (edges[-1] - edges[0])
            low, high, top = edges[0] - pad, edges[-1] + pad, density.max()
            xs = np.linspace(low, high, 121)
            self.fill.set_data(density, edges)
            self.edge.set_data(density, edges)
        theory = theoretical_density(initializer, record["shape"], xs)
        curve = theory is not None and theory[0] == "curve" and not spike
        self.curve.set_data(xs if curve else [], theory[1] if curve else [])
        if curve:
            top = max(top, float(np.max(theory[1])))
        self.constant.set_visible(theory is not None and theory[0] == "constant")
        if self.constant.get_visible():
            self.constant.set_xdata([theory[1]] * 2)
        self.spike.set_visible(spike)
        self.spike.set_xdata([record["min"]] * 2)
        self.fill.set_visible(not spike)
        self.edge.set_visible(not spike)
        self.ax.set_xlim(low, high)
        self.ax.set_ylim(0, top * 1.08)
        ticks = [tick for tick in self.locator.tick_values(low, high) if low <= tick <= high]
        self.ax.set_xticks(ticks, [_fmt(float(f"{tick:.3g}")) for tick in ticks])
        self.ax.set_xlabel(f"{record['parameter']} value")
        self.text.set_text(std_text(record))
        buffer = io.BytesIO()
        self.figure.canvas.print_png(buffer, pil_kwargs={"compress_level": 1})
        return buffer.getvalue()


_PANELS = {}


def panel_png(record, width_px=300, height_px=170, dpi=100):
    """PNG bytes (``width_px`` × ``height_px`` pixels, transparent) of ONE parameter's
    distribution for the builder widget, which shows the title and the initializer
    beside it: the histogram as a density, the initializer's theoretical density
    (:func:`theoretical_density`), the x axis in parameter value, and "std <measured>
    measured · <expected> expected". A few milliseconds: the figure is reused.

    ``record``: a :class:`~neuwidgets.stats.ParameterStats`. Raises
    :class:`InvalidValueError` for sizes under 60×40 pixels or a non-positive dpi.
    """
    _check_pixels(width_px, height_px, dpi)
    key = (width_px, height_px, dpi)
    if key not in _PANELS:
        _PANELS[key] = _Panel(width_px, height_px, dpi)
    return _PANELS[key].render(record)


def _panel_rect(width_px, height_px, left_px=34, bottom_px=26, right_px=6, top_px=16):
    return [left_px / width_px, bottom_px / height_px,
            1 - (left_px + right_px) / width_px, 1 - (bottom_px + top_px) / height_px]


def depth_chart_png(records, width_px=600, height_px=240, dpi=100):
    """PNG bytes (``width_px`` × ``height_px`` pixels, transparent) of the builder's
    "signal through depth" chart (:func:`plot_depth` with the fractions on a twin
    axis) from :func:`~neuwidgets.stats.activation_stats` records.

    No records gives a chart with a note. Raises :class:`InvalidValueError` for sizes
    under 60×40 pixels or a non-positive dpi.
    """
    _check_pixels(width_px, height_px, dpi)
    records = list(records)
    with matplotlib.rc_context(_WIDGET):
        fig = _new_figure(width_px / dpi, height_px / dpi, dpi=dpi)
        if not records:
            fig.text(0.5, 0.5, "add a layer after the input to see the signal through depth",
                     ha="center", va="center")
            return _render(fig)
        ax = fig.add_axes(_panel_rect(width_px, height_px, left_px=48, bottom_px=36,
                                      right_px=44, top_px=34))
        ax_std, ax_fraction = plot_depth(records, ax, compact=True)
        handles, labels = [], []
        for axis in (ax_std, ax_fraction):
            h, l = axis.get_legend_handles_labels()
            handles += h
            labels += l
        fig.legend(handles, labels, loc="upper center", ncol=4, bbox_to_anchor=(0.5, 1.0),
                   columnspacing=1.0)
        return _render(fig)

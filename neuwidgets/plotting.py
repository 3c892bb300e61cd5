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
- :func:`plot_training` draws :func:`neuwidgets.training.compare` results.
"""
import io
import json
import math
import numbers
import textwrap

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator
from PIL import Image

from . import init
from .errors import InvalidTypeError, InvalidValueError, shown
from .stats import activation_stats, weight_stats

__all__ = ["plot_weight_distributions", "plot_activation_stats", "plot_activation_comparison",
           "plot_parameter", "plot_depth", "plot_std_by_layer", "MAX_PANELS", "figure_to_png", "panel_png",
           "depth_chart_png", "depth_range", "theoretical_density", "NotebookFigure", "PALETTE",
           "plot_phase_diagram", "plot_jacobian_spectrum", "plot_signal_propagation", "plot_training"]

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
# The depth chart is read from the back of a classroom: projector-sized text, thicker lines.
_CHART = {**_WIDGET, "font.size": 10, "axes.labelsize": 10, "xtick.labelsize": 9.5, "ytick.labelsize": 9.5,
          "legend.fontsize": 9.5, "axes.linewidth": 0.8, "xtick.major.width": 0.8, "ytick.major.width": 0.8,
          "xtick.major.size": 3.5, "ytick.major.size": 3.5, "xtick.major.pad": 2.5, "ytick.major.pad": 2.5,
          "legend.handlelength": 2.0, "legend.columnspacing": 1.2}

_MAX_TICKS = 40  # layers in a depth chart labelled one by one


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


def theoretical_density(initializer, shape, x):
    """The density an initializer samples from, evaluated at ``x`` (array of values):
    :meth:`~neuwidgets.init.Initializer.density`. Returns ``("curve", y)`` with ``y``
    shaped like ``x`` (per unit of parameter value), ``("constant", value)``, or None
    where there is no theory: not an initializer, no closed form, or a subclass that
    changes ``sample`` without stating its ``density`` (its histogram is drawn without
    a guessed curve)."""
    if not isinstance(initializer, init.Initializer):
        return None
    cls = type(initializer)
    owner = {name: next(klass for klass in cls.__mro__ if name in vars(klass)) for name in ("sample", "density")}
    if not issubclass(owner["density"], owner["sample"]):
        return None
    return initializer.density(tuple(shape), np.asarray(x, dtype=np.float64))


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
            ncols = 4 if summary else 2 if len(records) % 2 == 0 else min(3, len(records))
        ncols = max(1, min(int(ncols), len(shown_records)))
        nrows = math.ceil(len(shown_records) / ncols)
        rows = nrows + summary
        width, height = max(4.2 * ncols, 8.0 * summary), 3.1 * rows + 0.4
        # Fixed margins in inches (a header of three lines above each panel, tick labels and
        # the x label below): a layout engine would measure every text first, doubling the cost.
        fig = _new_figure(width, height)
        grid = fig.add_gridspec(rows, ncols, left=0.3 / width, right=1 - 0.25 / width,
                                top=1 - 1.15 / height, bottom=0.5 / height, wspace=0.55 / 3.65, hspace=1.4 / 1.7)
        if summary:
            plot_std_by_layer(records, fig.add_subplot(grid[0, :]), network)
        for index, record in enumerate(shown_records):
            ax = fig.add_subplot(grid[summary + index // ncols, index % ncols])
            plot_parameter(record, ax)
            ax.yaxis.set_major_locator(NullLocator())  # a density's numbers say nothing the shape does not
        fig.suptitle("initial parameter distributions" + (
            f" of {len(shown_records)} of {len(records):,} parameters (evenly spaced layers)" if summary else ""),
            color=PALETTE["text"], y=1 - 0.12 / height, va="top")
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


def plot_depth(records, ax_std, ax_fraction=None, compact=False, max_labels=30):
    """Draw the signal-through-depth chart from :func:`~neuwidgets.stats.activation_stats`
    records: activation std and gradient std (dL/dz) per layer on a log y axis in
    ``ax_std``; saturated and dead fractions (0..1) as bars in ``ax_fraction`` (a
    second panel), or on a twin axis of ``ax_std`` when ``ax_fraction`` is None.

    x: layer position 1..L, labelled with layer names (every k-th when they would not
    fit: at most ``max_labels``, fewer when ``compact``). y: decades written as plain
    numbers, over :func:`depth_range`. Returns ``(ax_std, ax_fraction)``.
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
    _log_ticks(ax_std, *depth_range(records))
    ax_std.set_ylabel("std (log scale)")
    ax_std.grid(True, axis="y", which="major")
    ticks, labels = _layer_ticks(names, max_labels // 2 if compact else max_labels)
    for ax in ((ax_std,) if twin else (ax_std, ax_fraction)):
        ax.set_xlim(0.4, len(records) + 0.6)
        ax.set_xticks(ticks, labels, rotation=40, ha="right", rotation_mode="anchor")
    return ax_std, ax_fraction


def depth_range(records, pins=(), previous=None):
    """``(low, high)``: the std axis of a depth chart, whole decades around the activation
    and gradient std of ``records`` and the activation std of ``pins`` (dicts with a
    ``"std"`` list, None for none), with half a decade to spare and at least 0.05 to 2.
    ``previous``: the range shown before, kept while it holds the values with at most two
    decades to spare (a chart redrawn while a slider moves keeps its axis)."""
    values = _positive([r["std"] for r in records] + [r["grad_std"] for r in records] +
                       [v for pin in pins for v in pin["std"] if v is not None])
    finite = values[np.isfinite(values)]
    low, high = (finite.min(), finite.max()) if finite.size else (1.0, 1.0)
    needed = (float(10.0 ** math.floor(math.log10(min(low / 2, 0.05)))),
              float(10.0 ** math.ceil(math.log10(max(high * 2, 2.0)))))
    if previous is not None and previous[0] <= needed[0] and needed[1] <= previous[1] \
            and math.log10(previous[1] / previous[0]) <= math.log10(needed[1] / needed[0]) + 2:
        return tuple(previous)
    return needed


def _decade(value):
    """``0.01``, ``1``, ``100``; ``1e-5`` and ``1e4`` beyond 1e-3..1e3 (plain text: no
    mathtext, whose layout costs a third of a chart's drawing)."""
    exponent = round(math.log10(value))
    return f"{value:g}" if -3 <= exponent <= 3 else f"1e{exponent}"


def _log_ticks(ax, low, high):
    """Major ticks at decades from ``low`` to ``high`` (at most 7: every n-th decade), no minor ticks."""
    decades = list(range(round(math.log10(low)), round(math.log10(high)) + 1))
    ticks = [10.0 ** k for k in decades[::max(1, math.ceil(len(decades) / 7))]]
    ax.set_ylim(low, high)
    ax.set_yticks(ticks, [_decade(tick) for tick in ticks])
    ax.yaxis.set_minor_locator(NullLocator())


def _layer_ticks(names, max_labels):
    """``(positions, labels)`` naming the layers at positions 1..len(names): all of them,
    or every k-th (from the first) when more than ``max_labels``; long names shortened."""
    step = max(1, math.ceil(len(names) / max(1, max_labels)))
    positions = list(range(1, len(names) + 1, step))
    return positions, [_shorten(names[p - 1], 14) for p in positions]


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
        ax_std.set_title("signal through depth", loc="left", pad=22)
        ax_fraction.set_title("saturated and dead outputs", loc="left", pad=22)
        for ax in (ax_std, ax_fraction):  # legends above the axes: they never cover a bar or a line
            ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, borderaxespad=0.2)
        fig.suptitle(title if title is not None else repr(network), color=PALETTE["text"])
    return fig


def plot_activation_comparison(records_by_label, quantity="std", title=None):
    """A ``Figure`` comparing networks: one line per ``{label: activation_stats
    records}`` entry, ``quantity`` (``"std"``, ``"grad_std"``, ``"pre_std"``) per layer
    on a log y axis (left) and the saturated fraction (right).

    Raises :class:`InvalidValueError` for an unknown ``quantity`` or no entries.
    """
    if quantity not in ("std", "grad_std", "pre_std"):
        raise InvalidValueError(f"quantity must be 'std', 'grad_std' or 'pre_std', got {shown(quantity)}")
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
            raise InvalidValueError(f"{name} must be a positive number, got {shown(value)}")
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

    #: The std scale under every panel (log, decades 1e-4 to 100): the same on every card.
    GAUGE = (10 ** -4.4, 10 ** 2.4)

    def __init__(self, width_px, height_px, dpi):
        with matplotlib.rc_context(_WIDGET):
            self.figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
            FigureCanvasAgg(self.figure)
            ax = self.ax = self.figure.add_axes(_panel_rect(width_px, height_px, left_px=8, bottom_px=54,
                                                            right_px=8, top_px=16))
            # Every card's std on one log scale: N(0, 0.01), He and N(0, 1) sit decades apart.
            gauge = self.gauge = self.figure.add_axes(_panel_rect(width_px, height_px, left_px=8, bottom_px=13,
                                                                  right_px=8, top_px=height_px - 22))
            gauge.set_xscale("log")
            gauge.set_xlim(*self.GAUGE)
            gauge.set_ylim(0, 1)
            decades = [10.0 ** k for k in range(-4, 3)]
            gauge.set_xticks(decades, [_decade(tick) for tick in decades])
            gauge.xaxis.set_minor_locator(NullLocator())
            gauge.yaxis.set_major_locator(NullLocator())
            gauge.tick_params(axis="x", labelsize=6.5, length=2, pad=1)
            gauge.patch.set_visible(False)
            for side in ("left", "top", "right"):
                gauge.spines[side].set_visible(False)
            self.gauge_measured, = gauge.plot([], [], marker="v", markersize=7, linestyle="none",
                                              color=PALETTE["measured"], clip_on=False)
            self.gauge_expected, = gauge.plot([], [], marker="|", markersize=10, markeredgewidth=2,
                                              linestyle="none", color=PALETTE["theory"], clip_on=False)
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
        for marker, value in ((self.gauge_measured, record["std"]), (self.gauge_expected, record.get("expected_std"))):
            shown = value is not None and value > 0
            marker.set_visible(shown)
            marker.set_data([min(max(value, self.GAUGE[0]), self.GAUGE[1])] if shown else [], [0.45] if shown else [])
        buffer = io.BytesIO()
        self.figure.canvas.print_png(buffer, pil_kwargs={"compress_level": 1})
        return buffer.getvalue()


_PANELS = {}


def panel_png(record, width_px=300, height_px=170, dpi=100):
    """PNG bytes (``width_px`` × ``height_px`` pixels, transparent) of ONE parameter's
    distribution for the builder widget, which shows the title and the initializer
    beside it: the histogram as a density, the initializer's theoretical density
    (:func:`theoretical_density`), the x axis in parameter value, "std <measured>
    measured · <expected> expected", and under it a log scale of std from 1e-4 to 100
    shared by every panel, marking the measured std (▼) and the expected one (|), so that
    cards of N(0, 0.01), He and N(0, 1) tell their scales apart at a glance. A few
    milliseconds: the figure is reused.

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


def _bar_verts(positions, heights, width):
    """Rectangles ``[x, x + width] × [0, height]`` as polygon vertices (one PolyCollection
    for all bars: updating it is far cheaper than a Rectangle per bar)."""
    heights = np.nan_to_num(np.asarray(heights, dtype=np.float64))
    x0, x1 = positions, positions + width
    zeros = np.zeros_like(heights)
    return np.stack([np.stack([x0, zeros], 1), np.stack([x0, heights], 1),
                     np.stack([x1, heights], 1), np.stack([x1, zeros], 1)], 1)


class _DepthChart:
    """One reusable figure for :func:`depth_chart_png`, as :class:`_Panel`: its axes,
    lines, bars, pin lines and legend are made once. The axes, names, grid, legend and
    pins (all but the measured lines and bars) are drawn once per look and kept as a
    background; a render whose look is unchanged (a slider dragged) restores it and
    draws only the lines and bars (Agg blitting)."""

    width = 0.38  # of each bar, in layers

    def __init__(self, width_px, height_px, dpi):
        with matplotlib.rc_context(_CHART):
            figure = self.figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
            FigureCanvasAgg(figure)
            figure.patch.set_alpha(0)
            ax = self.ax = figure.add_axes(_panel_rect(width_px, height_px, left_px=66, bottom_px=76,
                                                       right_px=50, top_px=30))
            self.axes_px = ax.get_position().width * width_px
            fraction = self.fraction = ax.twinx()
            fraction.spines["right"].set_visible(True)
            fraction.set_zorder(ax.get_zorder() - 1)
            ax.patch.set_visible(False)
            self.bars = []
            for colour, label in ((PALETTE["saturated"], "saturated fraction"), (PALETTE["dead"], "dead fraction (= 0)")):
                bars = PolyCollection([], facecolor=colour, edgecolor=colour, alpha=0.55, linewidth=0.8, label=label,
                                      animated=True)
                fraction.add_collection(bars)
                self.bars.append(bars)
            fraction.set_ylim(0, 1)
            fraction.set_yticks([0, 0.5, 1], ["0", "0.5", "1"])
            fraction.set_ylabel("fraction of outputs")
            self.pins = []
            for colour in (_CYCLE[6], *_CYCLE[1:6], _CYCLE[0], PALETTE["text"]):
                line, = ax.plot([], [], color=colour, linewidth=1.4, linestyle=":", marker=".", markersize=4)
                label = ax.text(0, 0, "", color=colour, ha="right", va="bottom", fontsize=9, clip_on=False)
                self.pins.append((line, label))
            self.std, = ax.plot([], [], color=PALETTE["measured"], linewidth=2.2, marker="o", markersize=4,
                                label="activation std", animated=True)
            self.grad, = ax.plot([], [], color=PALETTE["gradient"], linewidth=2.2, linestyle="--", marker="o",
                                 markersize=4, label="gradient std (dL/dz)", animated=True)
            ax.set_yscale("log")
            ax.grid(True, axis="y", which="major")
            figure.legend(handles=[self.std, self.grad, *self.bars], loc="upper center", ncol=4,
                          bbox_to_anchor=(0.5, 1.0), borderaxespad=0.2)
        self.look, self.background = None, None

    def _set_look(self, names, pins, y_range, longest):
        """Axes limits, ticks, names and pins: everything that is not measured."""
        for index, (line, label) in enumerate(self.pins):
            pin = pins[index] if index < len(pins) else None
            line.set_visible(pin is not None)
            label.set_visible(pin is not None)
            if pin is None:
                continue
            values = _positive([np.nan if v is None else v for v in pin["std"]])
            xs = np.arange(1, len(values) + 1)
            line.set_data(xs, values)
            shown = np.flatnonzero(np.isfinite(values))
            label.set_text(_shorten(pin["label"], 24))
            if shown.size:
                label.set_position((xs[shown[-1]], values[shown[-1]]))
        _log_ticks(self.ax, *y_range[0])
        self.ax.set_ylabel("std (log scale, held)" if y_range[1] else "std (log scale)")
        self.ax.set_xlim(0.4, longest + 0.6)
        names = names + [str(p) for p in range(len(names) + 1, longest + 1)]  # a deeper pin's layers by number
        ticks, labels = _layer_ticks(names, int(self.axes_px // 28))
        self.ax.set_xticks(ticks, labels, rotation=45, ha="right", rotation_mode="anchor")

    def render(self, records, pins, y_range, held):
        names = [r["layer"] for r in records]
        longest = max([len(names)] + [len(pin["std"]) for pin in pins])
        look = (names, json.dumps(pins), tuple(y_range or depth_range(records, pins)), held, longest)
        canvas = self.figure.canvas
        if look != self.look:
            self._set_look(names, pins, look[2:4], longest)
            canvas.draw()  # everything but the animated lines and bars
            self.look, self.background = look, canvas.copy_from_bbox(self.figure.bbox)
        else:
            canvas.restore_region(self.background)
        positions = np.arange(1, len(records) + 1, dtype=np.float64)
        self.std.set_data(positions, _positive([r["std"] for r in records]))
        self.grad.set_data(positions, _positive([r["grad_std"] for r in records]))
        for bars, offset, key in zip(self.bars, (-self.width, 0.0), ("saturated", "dead")):
            bars.set_verts(_bar_verts(positions + offset, [r[key] for r in records], self.width))
            self.fraction.draw_artist(bars)
        self.ax.draw_artist(self.std)
        self.ax.draw_artist(self.grad)
        buffer = io.BytesIO()
        Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
            buffer, format="png", compress_level=1)
        return buffer.getvalue()


_CHARTS = {}


def depth_chart_png(records, width_px=720, height_px=300, dpi=100, pins=(), y_range=None, held=False):
    """PNG bytes (``width_px`` × ``height_px`` pixels, transparent) of the builder's
    "signal through depth" chart from :func:`~neuwidgets.stats.activation_stats` records:
    activation std and gradient std (dL/dz) per layer on a log axis, saturated and dead
    fractions as bars on a 0..1 axis at the right, the x axis naming the layers (every
    k-th when they would not fit). Text is sized for a projector.

    ``pins``: kept profiles (``{"label", "std": [per layer, None for none]}``, as
    :attr:`NetworkBuilder.pins <neuwidgets.widgets.NetworkBuilder.pins>`), drawn as dotted
    reference lines labelled at their end. ``y_range``: ``(low, high)`` of the std axis,
    (default :func:`depth_range` of the records and pins); ``held``: the range is held so
    that charts compare (the axis says so).
    The figure is reused: a chart costs tens of milliseconds at any depth.

    No records gives a chart with a note. Raises :class:`InvalidValueError` for sizes
    under 60×40 pixels, a non-positive dpi or a ``y_range`` that is not two numbers
    0 < low < high.
    """
    _check_pixels(width_px, height_px, dpi)
    if y_range is not None:
        low, high = y_range
        if not 0 < low < high < math.inf:
            raise InvalidValueError(f"y_range must be (low, high) with 0 < low < high, got {y_range!r}")
    records = list(records)
    if not records:
        with matplotlib.rc_context(_CHART):
            fig = _new_figure(width_px / dpi, height_px / dpi, dpi=dpi)
            fig.text(0.5, 0.5, "add a layer after the input to see the signal through depth",
                     ha="center", va="center")
            return _render(fig)
    key = (width_px, height_px, dpi)
    if key not in _CHARTS:
        _CHARTS[key] = _DepthChart(width_px, height_px, dpi)
    with matplotlib.rc_context(_CHART):
        return _CHARTS[key].render(records, list(pins), y_range, held)


# -- signal propagation theory (neuwidgets.theory) ---------------------------------------------------

def _labelled(subject, accepts, what):
    """``{label: item}`` from a dict of items, or ``{"": subject}`` for one item; raises
    :class:`InvalidTypeError` naming ``what`` was expected."""
    items = subject if isinstance(subject, dict) else {"": subject}
    if not items:
        raise InvalidValueError(f"expected at least one {what}, got an empty dict")
    for label, item in items.items():
        if not accepts(item):
            raise InvalidTypeError(f"expected {what}, got {type(item).__name__} for {label!r}"[:300])
    return {str(label): item for label, item in items.items()}


def _is_network(item):
    from .network import Network
    return isinstance(item, Network)


def _index_ranges(indices):
    """``[1, 2, 3, 5]`` -> ``"1–3, 5"``."""
    parts, start = [], None
    for position, index in enumerate(indices):
        if start is None:
            start = index
        if position + 1 == len(indices) or indices[position + 1] != index + 1:
            parts.append(str(start) if start == index else f"{start}–{index}")
            start = None
    return ", ".join(parts)


def _group_points(points):
    """Layers whose (σ_w², σ_b²) agree share one marker: σ_w² within 5%, σ_b² within 25% +
    0.002 (a bias of n units has a sampled second moment scattered by √(2/n): 8% for 300)."""
    groups = []
    for point in points:
        for group in groups:
            first = group[0]
            if (abs(point.weight_variance - first.weight_variance) <= 0.05 * first.weight_variance
                    and abs(point.bias_variance - first.bias_variance) <= 0.25 * first.bias_variance + 0.002):
                group.append(point)
                break
        else:
            groups.append([point])
    return groups


def _phase_panel(ax, activation, marked, weight_range, bias_range):
    """One (σ_w², σ_b²) plane: phases, critical line, ξ_c contours and ``marked`` points
    (``{network label: [LayerPoint]}``)."""
    from matplotlib.patches import Patch
    from .theory import critical_weight_variance, mean_field

    points = [point for group in marked.values() for point in group]
    b_max = bias_range[1] if bias_range else max(0.25, 1.25 * max((p.bias_variance for p in points), default=0))
    b_min = bias_range[0] if bias_range else 0.0
    biases = np.linspace(b_min, b_max, 40)
    critical = critical_weight_variance(activation, biases)
    if weight_range:
        w_min, w_max = weight_range
    else:
        w_min = 0.0
        w_max = max(1.6 * np.nanmax(critical) if np.isfinite(critical).any() else 4.0,
                    1.25 * max((p.weight_variance for p in points), default=0))
    grid_w, grid_b = np.meshgrid(np.linspace(w_min + (w_max - w_min) / 80, w_max, 40), np.linspace(b_min, b_max, 28))
    record = mean_field(activation, grid_w, grid_b)
    code = np.select([record.phase == "ordered", record.phase == "chaotic", record.phase == "unbounded"], [0, 1, 2], 0)
    colours = {0: PALETTE["measured"], 1: PALETTE["saturated"], 2: PALETTE["text"]}
    for value, colour in colours.items():
        if (code == value).any():
            ax.contourf(grid_w, grid_b, (code == value).astype(float), levels=[0.5, 1.5], colors=[colour],
                        alpha=0.16, hatches=["//" if value == 2 else None])
    # contours of log ξ (smoother near the critical line, where ξ diverges)
    with np.errstate(divide="ignore"):
        depth = np.ma.masked_invalid(np.log(np.minimum(record.depth_scale, 1e6)))
    levels = [level for level in (1, 2, 5, 10, 20, 50) if depth.min() < math.log(level) < depth.max()]
    if levels:
        lines = ax.contour(grid_w, grid_b, depth, levels=np.log(levels), colors=[PALETTE["text"]], linewidths=0.7)
        ax.clabel(lines, fmt=lambda level: f"ξ={math.exp(level):.0f}", fontsize="x-small")
    finite = np.isfinite(critical)
    ax.plot(critical[finite], biases[finite], color=PALETTE["theory"], linewidth=2.2, solid_capstyle="round")
    if finite.sum() == 1:
        ax.plot(critical[finite], biases[finite], "o", color=PALETTE["theory"], markersize=7)
    labels = {0: "ordered (χ₁ < 1)", 1: "chaotic (χ₁ > 1)", 2: "unbounded (no finite q*)"}
    handles = [Patch(facecolor=colours[value], alpha=0.3, hatch="//" if value == 2 else None, label=labels[value])
               for value in labels if (code == value).any()]
    handles.append(matplotlib.lines.Line2D([], [], color=PALETTE["theory"], linewidth=2.2,
                                           label="critical (χ₁ = 1)"))
    if levels:
        handles.append(matplotlib.lines.Line2D([], [], color=PALETTE["text"], linewidth=0.7,
                                               label="depth scale ξ_c (layers)"))
    markers = []  # one legend entry per marker: which layers sit there
    for colour, (label, group) in zip(_CYCLE[3:] + _CYCLE, marked.items()):
        for cluster in _group_points(group):
            indices = _index_ranges([p.index for p in cluster])
            text = f"{label + ': ' if label else ''}layer{'s' if len(cluster) > 1 else ''} {indices}"
            centre = (np.mean([p.weight_variance for p in cluster]), np.mean([p.bias_variance for p in cluster]))
            markers += ax.plot(*centre, marker="o", markersize=8, markeredgecolor="white", markeredgewidth=1.0,
                               color=colour, linestyle="none", zorder=5, label=_shorten(text, 45))
    if len(markers) > 12:
        markers = markers[:11] + [matplotlib.lines.Line2D([], [], linestyle="none",
                                                          label=f"+ {len(markers) - 11} more points")]
    handles += markers
    ax.set_xlim(w_min, w_max)
    ax.set_ylim(b_min, b_max)
    ax.set_xlabel("σ_w² = fan_in · Var(W)")
    ax.set_ylabel("σ_b² = Var(b)")
    ax.set_title(f"{record.activation}: mean-field phase diagram", loc="left")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="x-small")
    return ax


def plot_phase_diagram(subject, weight_range=None, bias_range=None, title=None, ncols=None):
    """A ``Figure`` of the mean-field phase diagram (Poole et al. 2016; Schoenholz et al.
    2017): the (σ_w², σ_b²) plane shaded by phase (ordered, chaotic, unbounded), the
    critical line χ₁ = 1 (:func:`~neuwidgets.theory.critical_weight_variance`) and
    contours of the depth scale ξ_c in layers (:func:`~neuwidgets.theory.mean_field`).

    ``subject``: an activation (a name such as ``"tanh"``, a dense layer class or a layer):
    one panel; a :class:`~neuwidgets.network.Network` or ``{label: Network}``: one panel
    per activation among their layers, each marking the layers' own effective σ_w² =
    fan_in · Var(W) and σ_b² (:func:`~neuwidgets.theory.effective_variances`); layers at
    the same point share a marker labelled with their positions, layers that differ get
    their own. Layers the theory does not cover (softmax, a layer kind that is not dense)
    are listed under the panels with the reason. ``weight_range`` / ``bias_range``:
    ``(low, high)`` axis limits (default: from 0 to past the critical line and the points).
    ``ncols``: panels per row (default up to 3); each panel is 7 × 4 inches.

    Raises what :func:`~neuwidgets.theory.mean_field` raises for an activation it does not
    cover, :class:`InvalidTypeError` for anything else, :class:`InvalidValueError` for a
    bad ``ncols``.
    """
    ncols = _check_count(ncols, "ncols")
    from .theory import _activation, effective_variances

    panels, notes = {}, []  # {activation label: (layer for mean_field, {network label: [points]})}
    if _is_network(subject) or isinstance(subject, dict):
        for label, network in _labelled(subject, _is_network, "a Network").items():
            for point in effective_variances(network):
                if not point.covered:
                    notes.append(f"{label + ': ' if label else ''}{point.layer} not covered: {point.note}")
                    continue
                entry = panels.setdefault(point.activation, (network.layer(point.layer), {}))
                entry[1].setdefault(label, []).append(point)
    else:
        panels[_activation(subject).label] = (subject, {})
    with matplotlib.rc_context(_STYLE):
        ncols = max(1, min(ncols or 3, len(panels)))
        nrows = max(1, math.ceil(len(panels) / ncols))
        width = 7.0 * ncols  # notes wrapped to the figure's width (about 11 characters an inch)
        notes = [textwrap.fill(_shorten(note, 240), int(11 * width)) for note in notes]
        fig = _new_figure(width, 4.0 * nrows + 0.22 * sum(note.count("\n") + 1 for note in notes),
                          layout="constrained")
        for index, (activation, marked) in enumerate(panels.values()):
            _phase_panel(fig.add_subplot(nrows, ncols, index + 1), activation, marked, weight_range, bias_range)
        if not panels:
            fig.text(0.5, 0.6, "no layer here is covered by the mean-field theory", ha="center", va="center")
        if notes:
            fig.supxlabel("\n".join(notes), fontsize="small",
                          color=PALETTE["saturated"], ha="left", x=0.02)
        if title:
            fig.suptitle(title, color=PALETTE["text"])
    return fig


def plot_jacobian_spectrum(subject, x=None, n_samples=4, seed=0, bins=60, title=None):
    """A ``Figure``: histogram of the singular values s of the input–output Jacobian on a
    log axis, one line per entry, with s = 1 (dynamical isometry) marked (Saxe et al. 2014;
    Pennington et al. 2017).

    ``subject``: a :class:`~neuwidgets.network.Network`, an array of singular values, or
    ``{label: Network or array}``. Networks go through
    :func:`~neuwidgets.theory.jacobian_singular_values` with ``x`` (inputs; default
    ``n_samples`` seeded N(0, 1) draws). The y axis is the fraction of singular values per
    bin (``bins`` log-spaced bins over all entries); each legend entry gives mean s² and
    max s², and the fraction of s that are numerically 0 (below 10⁻⁶ of the largest s drawn:
    float32 Jacobians resolve no more), which a log axis cannot show.

    Raises :class:`InvalidTypeError` for other subjects, :class:`InvalidValueError` for
    empty or negative values, and what :func:`~neuwidgets.theory.jacobian_singular_values`
    raises.
    """
    from .theory import jacobian_singular_values

    def accepts(item):
        return _is_network(item) or isinstance(item, (np.ndarray, list, tuple))

    spectra = {}
    for label, item in _labelled(subject, accepts, "a Network or an array of singular values").items():
        values = (jacobian_singular_values(item, x=x, n_samples=n_samples, seed=seed) if _is_network(item)
                  else np.asarray(item, dtype=np.float64)).ravel()
        if values.size == 0 or not np.all(np.isfinite(values)) or (values < 0).any():
            raise InvalidValueError(f"singular values for {label!r} must be finite, >= 0 and at least one")
        spectra[label or "network"] = values
    # float32 Jacobians resolve about 7 digits: smaller singular values are numerically 0
    floor = 1e-6 * max(float(values.max()) for values in spectra.values())
    resolved = np.concatenate([values[values > floor] for values in spectra.values()])
    low, high = (resolved.min(), resolved.max()) if resolved.size else (0.1, 10.0)
    edges = np.geomspace(min(low, 0.5) / 1.05, max(high, 2.0) * 1.05, bins + 1)
    with matplotlib.rc_context(_STYLE):
        fig = _new_figure(7.5, 3.8, layout="constrained")
        ax = fig.add_subplot(1, 1, 1)
        tallest = 0.0
        for colour, (label, values) in zip(_CYCLE, spectra.items()):
            counts = np.histogram(values[values > floor], bins=edges)[0] / values.size
            tallest = max(tallest, float(counts.max(initial=0.0)))
            zeros = int((values <= floor).sum())
            text = f"{label}: mean s² {_fmt(float(np.mean(values ** 2)))}, max s² {_fmt(float(np.max(values ** 2)))}"
            ax.stairs(counts, edges, color=colour, linewidth=1.6,
                      label=_shorten(text + (f", {zeros / values.size:.0%} ≈ 0" if zeros else ""), 90))
        ax.axvline(1.0, color=PALETTE["theory"], linestyle="--", linewidth=1.2, label="s = 1 (isometry)")
        ax.set_xscale("log")
        ax.set_xlabel("singular value s of the input–output Jacobian (log scale)")
        ax.set_ylabel("fraction of singular values")
        # headroom for the legend, one line per entry, so that it never covers a bar
        ax.set_ylim(0, (tallest or 1.0) * (1.12 + 0.1 * (len(spectra) + 1)))
        ax.grid(True, axis="x", which="major")
        ax.legend(loc="upper left", fontsize="small")
        ax.set_title(title or "Jacobian singular values", loc="left")
    return fig


def plot_signal_propagation(subject, x=None, n_pairs=64, correlation=0.5, seed=0, title=None):
    """A ``Figure`` of the mean-field map against the network, layer by layer, from
    :func:`~neuwidgets.theory.signal_propagation` (same arguments): left, the
    pre-activation second moment q (log scale); right, the correlation c of input pairs.
    Markers are measured, lines the theory; one colour per entry.

    ``subject``: a :class:`~neuwidgets.network.Network` or ``{label: Network}``. Raises
    :class:`InvalidTypeError` for anything else and what
    :func:`~neuwidgets.theory.signal_propagation` raises.
    """
    from .theory import signal_propagation

    runs = {label: signal_propagation(network, x=x, n_pairs=n_pairs, correlation=correlation, seed=seed)
            for label, network in _labelled(subject, _is_network, "a Network").items()}
    with matplotlib.rc_context(_STYLE):
        fig = _new_figure(10, 3.8, layout="constrained")
        ax_q, ax_c = fig.subplots(1, 2)
        for colour, (label, records) in zip(_CYCLE, runs.items()):
            positions = np.arange(1, len(records) + 1)
            for ax, key in ((ax_q, "q"), (ax_c, "c")):
                ax.plot(positions, [getattr(r, f"{key}_theory") for r in records], color=colour, linewidth=1.5,
                        label=_shorten(label, 50) or None)
                ax.plot(positions, [getattr(r, f"{key}_measured") for r in records], "o", color=colour,
                        markersize=3.5, alpha=0.8)
        ax_q.set_yscale("log")
        ax_q.set_ylabel("q = mean z² (log scale)")
        ax_c.set_ylabel("correlation c of input pairs")
        ax_c.set_ylim(min(-0.05, ax_c.get_ylim()[0]), 1.05)
        for ax in (ax_q, ax_c):
            ax.set_xlabel("layer with a weight")
            ax.grid(True, axis="y")
            ax.xaxis.get_major_locator().set_params(integer=True)
        ax_q.set_title("pre-activation variance: ● measured, — mean field", loc="left")
        ax_c.set_title("correlation: ● measured, — mean field", loc="left")
        if any(runs):
            ax_c.legend(loc="lower right", fontsize="small")
        if title:
            fig.suptitle(title, color=PALETTE["text"])
    return fig


# -- training runs (neuwidgets.training) ------------------------------------------------------------

def plot_training(runs, first_steps=100, title=None):
    """A ``Figure`` of training runs from :func:`neuwidgets.training.compare`
    (``{label: {"loss", "accuracy", "weight_std", ...}}``), one colour per label.

    Top: the loss per step (log y axis) and the accuracy per step (0..1; a note
    instead when no run has an accuracy, as with mean squared error); a run that
    diverged ends with a cross and says at which step in the legend. Bottom, one panel
    per label: each layer's weight std over the first ``first_steps`` steps divided by
    its value at step 0 (the initial std), one line per layer from the first layer
    (blue) to the last (orange), on a y axis shared by the panels, so that how far the
    distributions move is comparable between initializations; the legend names every
    layer up to 6 of them, else the first and the last. ``title``: the
    figure's title (none by default).

    Raises :class:`InvalidTypeError` / :class:`InvalidValueError` for ``runs`` that is
    not a non-empty dict of such results, or ``first_steps`` that is not a positive
    integer.
    """
    if not isinstance(runs, dict) or not runs or not all(
            isinstance(run, dict) and {"loss", "accuracy", "weight_std"} <= set(run) for run in runs.values()):
        raise InvalidTypeError("runs must be a non-empty dict {label: result of training.compare}, got "
                               f"{type(runs).__name__}"[:200])
    if isinstance(first_steps, bool) or not isinstance(first_steps, int) or first_steps < 1:
        raise InvalidValueError(f"first_steps must be a positive integer, got {first_steps!r}"[:200])
    with matplotlib.rc_context(_STYLE):
        fig = _new_figure(max(9.0, 3.0 * len(runs)), 6.4, layout="constrained")
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.1, 1])
        ax_loss, ax_accuracy = top.subplots(1, 2)
        panels = np.atleast_1d(bottom.subplots(1, len(runs), sharey=True))
        first, last = matplotlib.colors.to_rgb(PALETTE["measured"]), matplotlib.colors.to_rgb(PALETTE["theory"])
        for index, ((label, run), ax_weights) in enumerate(zip(runs.items(), panels)):
            colour = _CYCLE[index % len(_CYCLE)]
            steps = np.arange(len(run["loss"]))
            stopped = run.get("stopped")
            name = f"{label} (diverged at step {len(steps)})" if stopped else str(label)
            ax_loss.plot(steps, _positive(run["loss"]), color=colour, linewidth=1.2, label=name)
            if run["accuracy"] is not None:
                ax_accuracy.plot(steps, run["accuracy"], color=colour, linewidth=1.2, label=name)
            if stopped and len(steps):
                ax_loss.plot(steps[-1], run["loss"][-1], marker="x", markersize=7, color=colour)
            layers = list(run["weight_std"].items())
            for depth, (layer, values) in enumerate(layers):
                values = np.asarray(values[:first_steps + 1], dtype=np.float64)
                ratio = values / values[0] if len(values) and values[0] else np.full(len(values), np.nan)
                mix = depth / max(1, len(layers) - 1)
                ax_weights.plot(np.arange(len(values)), ratio, linewidth=1.1,
                                color=tuple((1 - mix) * a + mix * b for a, b in zip(first, last)),
                                label=layer if len(layers) <= 6 or depth in (0, len(layers) - 1) else None)
            ax_weights.set_title(str(label), loc="left")
            ax_weights.set_xlabel("step")
            ax_weights.grid(True, axis="y")
            if layers:
                ax_weights.legend(loc="best")
        ax_loss.set_yscale("log")
        ax_loss.set_ylabel("loss (log scale)")
        ax_loss.set_title("loss per step (one batch)", loc="left")
        ax_accuracy.set_ylabel("accuracy")
        ax_accuracy.set_ylim(-0.03, 1.03)
        ax_accuracy.set_title("accuracy per step (one batch)", loc="left")
        if not any(run["accuracy"] is not None for run in runs.values()):
            ax_accuracy.text(0.5, 0.5, "no accuracy: the loss is mean squared error", ha="center", va="center",
                             transform=ax_accuracy.transAxes)
        for ax in (ax_loss, ax_accuracy):
            ax.set_xlabel("step")
            ax.grid(True, axis="y")
        ax_loss.legend(loc="best")
        panels[0].set_ylabel("weight std / step 0")
        bottom.suptitle(f"how each layer's weight std moves in the first {first_steps} steps",
                        color=PALETTE["text"], fontsize="medium")
        if title:
            fig.suptitle(title, color=PALETTE["text"])
    return fig

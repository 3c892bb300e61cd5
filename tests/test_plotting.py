"""neuwidgets.plotting: figures, their labels, PNG bytes and sizes, and no pyplot state."""
import io
import math
import time

import matplotlib.image
import matplotlib.pyplot  # only to check that neuwidgets leaves no figure in pyplot
import numpy as np
import pytest
import tensorflow as tf
from matplotlib.figure import Figure
from PIL import Image

from neuwidgets import Input, InvalidTypeError, InvalidValueError, Relu, Sigmoid, Tanh, init, join, plotting, stats

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def no_pyplot_figures_left():
    yield
    assert matplotlib.pyplot.get_fignums() == []


def png_size(data):
    assert data.startswith(PNG_SIGNATURE)
    image = matplotlib.image.imread(io.BytesIO(data), format="png")
    return image.shape[1], image.shape[0]


def header_texts(ax):
    return [text.get_text() for text in ax.texts]


@pytest.fixture
def shared_network():
    shared = tf.Variable(tf.ones((10, 10)), name="shared-weight")
    first, second = Relu(10, weight=shared), Relu(10, weight=shared)
    return Input(10) >> first >> second, first, second


def test_weight_distributions_draw_a_shared_parameter_once(shared_network):
    network, first, second = shared_network
    fig = plotting.plot_weight_distributions(network)
    assert isinstance(fig, Figure)
    axes = fig.axes
    assert len(axes) == 3  # shared weight + 2 biases
    titles = [ax.get_title(loc="left") for ax in axes]
    assert titles[0] == f"weight of {first.name}, {second.name} (shared)"
    assert titles[1] == f"bias of {first.name}" and titles[2] == f"bias of {second.name}"
    assert [ax.get_xlabel() for ax in axes] == ["weight value", "bias value", "bias value"]
    assert all(ax.get_ylabel() == "density" for ax in axes)
    assert "<tf.Variable 'shared-weight:0'> · 10×10" in header_texts(axes[0])
    assert "std 0 measured · no expected std" in header_texts(axes[0])
    assert "Constant(0) · 10" in header_texts(axes[1])


def test_parameter_panel_shows_the_initializer_and_its_theoretical_density():
    network = Input(400) >> Tanh(300, weight=init.HeNormal(gain=2, seed=1))
    record = stats.weight_stats(network)[0]
    fig = Figure()
    ax = fig.add_subplot()
    plotting.plot_parameter(record, ax)
    texts = header_texts(ax)
    assert "HeNormal(gain=2, seed=1) · 400×300" in texts
    assert f"std {record.std:.3g} measured · {math.sqrt(2 / 400):.3g} expected" in texts
    curve = ax.lines[-1].get_ydata()
    peak = 1 / (math.sqrt(2 * math.pi) * math.sqrt(2 / 400))
    assert curve.max() == pytest.approx(peak, rel=1e-3)
    # The histogram is a density: it integrates to 1, like the curve.
    histogram = ax.patches[0].get_data()
    assert np.sum(histogram.values * np.diff(histogram.edges)) == pytest.approx(1.0)


@pytest.mark.parametrize("initializer, shape, height", [
    (init.Uniform(-0.5, 1.5), (20, 30), 0.5),
    (init.HeUniform(gain=2), (50, 30), 1 / (2 * math.sqrt(6 / 50))),
    (init.XavierUniform(gain=2), (50, 30), 1 / (2 * math.sqrt(6 / 80))),
    (init.VarianceScaling(2.0, "fan_in", "uniform"), (50, 30), 1 / (2 * math.sqrt(6 / 50))),
])
def test_uniform_initializers_give_a_flat_density(initializer, shape, height):
    kind, y = plotting.theoretical_density(initializer, shape, np.linspace(-3, 3, 2001))
    assert kind == "curve"
    assert y.max() == pytest.approx(height)
    assert np.all((y == 0) | np.isclose(y, height))


@pytest.mark.parametrize("initializer", [
    init.Normal(mean=0.3, std=0.2), init.TruncatedNormal(std=0.2), init.HeNormal(),
    init.VarianceScaling(1.0, "fan_avg", "truncated_normal"), init.Orthogonal(),
])
def test_density_integrates_to_one(initializer):
    x = np.linspace(-3, 3, 60001)
    kind, y = plotting.theoretical_density(initializer, (30, 20), x)
    assert kind == "curve"
    assert np.sum(y) * (x[1] - x[0]) == pytest.approx(1.0, abs=2e-3)


def test_constant_and_no_theory():
    assert plotting.theoretical_density(init.Constant(0.5), (3,), np.zeros(2)) == ("constant", 0.5)
    assert plotting.theoretical_density(None, (3,), np.zeros(2)) is None
    assert plotting.theoretical_density(lambda shape, dtype: None, (3,), np.zeros(2)) is None


def test_panel_png_size_signature_transparency_and_speed(shared_network):
    network, _, _ = shared_network
    records = stats.weight_stats(Input(200) >> Relu(100)) + stats.weight_stats(network)
    for record in records:
        data = plotting.panel_png(record)
        assert png_size(data) == (300, 170)
    image = Image.open(io.BytesIO(plotting.panel_png(records[0], width_px=300, height_px=180)))
    assert image.size == (300, 180) and image.mode == "RGBA"
    assert image.getpixel((image.width - 1, image.height - 1))[3] == 0  # transparent background
    timings = []
    for _ in range(3):
        for record in records:
            start = time.perf_counter()
            plotting.panel_png(record)
            timings.append(time.perf_counter() - start)
    assert np.median(timings) < 0.25  # ~30 ms on an idle 2-core machine; generous for loaded CI


def test_panel_png_rejects_tiny_sizes():
    record = stats.weight_stats(Input(2) >> Relu(2))[0]
    with pytest.raises(InvalidValueError, match="60×40"):
        plotting.panel_png(record, width_px=30, height_px=20)
    with pytest.raises(InvalidValueError, match="dpi"):
        plotting.panel_png(record, dpi=0)


def test_figure_to_png_has_the_figure_pixel_size():
    fig = plotting.plot_weight_distributions(Input(5) >> Sigmoid(4))
    width, height = fig.get_size_inches() * fig.dpi
    assert png_size(plotting.figure_to_png(fig)) == (round(width), round(height))
    assert png_size(plotting.figure_to_png(fig, dpi=2 * fig.dpi)) == (round(2 * width), round(2 * height))
    assert fig._repr_png_().startswith(PNG_SIGNATURE)  # shows itself in Jupyter without pyplot
    with pytest.raises(InvalidTypeError):
        plotting.figure_to_png("figure")


def test_activation_stats_figure():
    layers = [Tanh(50, weight=init.Normal(std=1.0, seed=i)) for i in range(3)] + [Relu(20)]
    network = join(Input(50), *layers)
    fig = plotting.plot_activation_stats(network, n_samples=200, title="test network")
    ax_std, ax_fraction = fig.axes
    assert ax_std.get_yscale() == "log"
    assert [t.get_text() for t in ax_std.get_xticklabels()] == [layer.name for layer in layers]
    assert ax_std.get_ylabel() == "std (log scale)" and ax_fraction.get_ylabel() == "fraction of outputs"
    records = stats.activation_stats(network, n_samples=200)
    activation_line, gradient_line = ax_std.lines[:2]
    np.testing.assert_allclose(activation_line.get_ydata(), [r.std for r in records])
    np.testing.assert_allclose(gradient_line.get_ydata(), [r.grad_std for r in records])
    heights = [patch.get_height() for patch in ax_fraction.patches]
    np.testing.assert_allclose(heights, [r.saturated for r in records] + [r.dead for r in records])
    assert heights[0] > 0.5  # N(0, 1) tanh saturates
    assert fig._suptitle.get_text() == "test network"


def test_zero_std_is_a_gap_on_the_log_axis():
    network = Input(4) >> Relu(3, weight=0.0) >> Relu(2)
    fig = plotting.plot_activation_stats(network, n_samples=20)
    assert np.isnan(fig.axes[0].lines[0].get_ydata()).all()


def test_depth_chart_png():
    network = join(Input(30), *[Tanh(30, weight=init.XavierNormal(gain=2, seed=i)) for i in range(4)])
    records = stats.activation_stats(network, n_samples=100)
    assert png_size(plotting.depth_chart_png(records)) == (720, 300)
    assert png_size(plotting.depth_chart_png(records, width_px=320, height_px=160)) == (320, 160)
    assert png_size(plotting.depth_chart_png([])) == (720, 300)


def test_depth_chart_names_the_layers_draws_pins_and_holds_its_range():
    network = join(Input(30), *[Tanh(30, weight=init.Normal(std=0.5, seed=i), name=f"t{i}") for i in range(4)])
    records = stats.activation_stats(network, n_samples=100, bins=None)
    pins = [{"label": "std 0.01", "std": [0.05, 0.01, None, 1e-4]}]
    first = plotting.depth_chart_png(records, pins=pins)
    chart = plotting._CHARTS[(720, 300, 100)]
    assert [t.get_text() for t in chart.ax.get_xticklabels()] == ["t0", "t1", "t2", "t3"]
    line, label = chart.pins[0]
    assert label.get_text() == "std 0.01" and line.get_visible() and not chart.pins[1][0].get_visible()
    np.testing.assert_allclose(line.get_ydata(), [0.05, 0.01, np.nan, 1e-4])
    assert chart.ax.get_ylim() == pytest.approx((1e-5, 10)) == plotting.depth_range(records, pins)
    assert [t.get_text() for t in chart.ax.get_yticklabels()] == ["1e-5", "1e-4", "0.001", "0.01", "0.1", "1", "10"]
    held = plotting.depth_chart_png(records, y_range=(1e-3, 100), held=True)
    assert held != first and chart.ax.get_ylim() == pytest.approx((1e-3, 100))
    assert chart.ax.get_ylabel() == "std (log scale, held)"
    # a range shown before is kept while the values fit with at most two decades to spare
    assert plotting.depth_range(records, pins, previous=(1e-6, 100)) == (1e-6, 100)
    assert plotting.depth_range(records, pins, previous=(1e-7, 100)) == (1e-5, 10)
    assert plotting.depth_range(records, pins, previous=(1e-4, 100)) == (1e-5, 10)
    with pytest.raises(InvalidValueError, match="0 < low < high"):
        plotting.depth_chart_png(records, y_range=(1, 0.1))
    # a hundred layers: every k-th is named, so that the names stay readable
    deep = [dict(record.asdict(), layer=f"layer-{i}") for i, record in enumerate(records * 25)]
    plotting.depth_chart_png(deep)
    names = [t.get_text() for t in chart.ax.get_xticklabels()]
    assert 10 <= len(names) <= 25 and names[0] == "layer-0" and names[1] == f"layer-{100 // len(names) + (100 % len(names) > 0)}"


def test_comparison_figure():
    records = {label: stats.activation_stats(
        join(Input(20), *[Tanh(20, weight=init.Normal(std=std, seed=i)) for i in range(3)]), n_samples=50)
        for label, std in (("small", 0.01), ("large", 1.0))}
    fig = plotting.plot_activation_comparison(records, title="compare")
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["small", "large"]
    with pytest.raises(InvalidValueError, match="quantity"):
        plotting.plot_activation_comparison(records, quantity="mean")


def test_plotting_and_stats_never_import_pyplot():
    # TensorFlow itself may import pyplot, so check the modules' own imports.
    import ast
    for module in (plotting, stats):
        tree = ast.parse(open(module.__file__, encoding="utf-8").read())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        assert not any("pyplot" in name for name in imported), (module.__name__, imported)


def test_panel_png_shows_the_measured_and_expected_std_and_redraws_only_what_differs():
    network = Input(400) >> Relu(300, weight=init.HeNormal(gain=2, seed=1)) >> Relu(300, weight=init.Normal(std=0.1, seed=2))
    first, second = (stats.parameter_stats(network, layer, "weight") for layer in network.layers[1:])
    assert plotting.std_text(first) == f"std {first.std:.3g} measured · {math.sqrt(2 / 400):.3g} expected"
    a, b = plotting.panel_png(first), plotting.panel_png(second)
    assert a != b and plotting.panel_png(first) == a
    panel = plotting._PANELS[(300, 170, 100)]
    plotting.panel_png(second)
    assert panel.text.get_text() == plotting.std_text(second) == "std 0.1 measured · 0.1 expected"
    assert panel.ax.get_xlabel() == "weight value"
    assert panel.curve.get_xydata().shape[0] > 100  # the theoretical density is drawn
    # one std scale on every card: the measured (▼) and expected (|) std on a log axis
    assert panel.gauge_measured.get_xdata()[0] == second.std and panel.gauge_expected.get_xdata()[0] == 0.1
    panel._draw(first)
    assert panel.gauge_measured.get_xdata()[0] == first.std and panel.gauge.get_xscale() == "log"
    assert [t.get_text() for t in panel.gauge.get_xticklabels()] == ["1e-4", "0.001", "0.01", "0.1", "1", "10", "100"]

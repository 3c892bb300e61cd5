"""neuwidgets.theory: mean-field signal propagation (Poole et al. 2016; Schoenholz et al.
2017), Jacobian spectra (Saxe et al. 2014; Pennington et al. 2017) and LSUV (Mishkin & Matas
2016), against the reference values of REFERENCES.md §6, an independent integration, exact
results, and finite networks."""
import math
import re
import warnings

import numpy as np
import pytest

from neuwidgets import (Dropout, Input, InvalidTypeError, InvalidValueError, LeakyRelu, Linear, Relu,
                        Softmax, Tanh, init, join, lsuv, plotting, stats, theory)
from neuwidgets.datasets import digits
from neuwidgets.layers import Transposed

BIAS = 0.05  # σ_b² of the finite networks


def tanh_network(weight_variance, bias_variance=BIAS, width=500, depth=20, seed=0):
    """Weights N(0, σ_w²/fan_in) and biases N(0, σ_b²), one seed per layer."""
    return join(Input(width), *[
        Tanh(width, weight=init.HeNormal(gain=weight_variance, seed=seed + i),
             bias=init.Normal(std=math.sqrt(bias_variance), seed=1000 + seed + i)) for i in range(depth)])


def column(records, key):
    return np.array([getattr(record, key) for record in records])


# -- mean field: reference values -------------------------------------------------------------------

def test_tanh_critical_line_matches_the_reference_values():
    biases = np.array([0.0, 0.01, 0.05, 0.1, 0.2])
    critical = theory.critical_weight_variance("tanh", biases)
    assert critical.shape == (5,)
    assert critical == pytest.approx([1.0, 1.424, 1.761, 1.986, 2.285], abs=6e-4)
    assert isinstance(theory.critical_weight_variance("tanh", 0.05), float)


def test_on_the_critical_line_q_star_is_0_570_and_the_depth_scale_diverges():
    record = theory.mean_field("tanh", theory.critical_weight_variance("tanh", 0.05), 0.05)
    assert record.q_star == pytest.approx(0.570, abs=5e-4)
    assert record.chi1 == pytest.approx(1.0, abs=1e-6)
    assert (record.phase, record.c_star, record.depth_scale) == ("critical", 1.0, math.inf)
    assert record.activation == "Tanh"


def _independent_tanh(weight_variance, bias_variance):
    """q*, χ₁, c*, ξ_c by trapezoid sums on a fine grid and scipy's brentq (no Gauss–Hermite)."""
    from scipy.optimize import brentq
    z = np.linspace(-10, 10, 2001)
    density = np.exp(-z ** 2 / 2) / math.sqrt(2 * math.pi) * (z[1] - z[0])
    q = brentq(lambda q: weight_variance * density @ np.tanh(math.sqrt(q) * z) ** 2 + bias_variance - q, 1e-9, 50)
    chi1 = weight_variance * density @ np.cosh(math.sqrt(q) * z) ** -4
    z1, z2 = np.meshgrid(z[::4], z[::4], indexing="ij")
    weights = np.outer(density[::4], density[::4]) * 16

    def pair(c, f):
        return np.sum(weights * f(math.sqrt(q) * z1) * f(math.sqrt(q) * (c * z1 + math.sqrt(1 - c * c) * z2)))

    c_star = brentq(lambda c: (weight_variance * pair(c, np.tanh) + bias_variance) / q - c, -1, 1 - 1e-6)
    chi_c = weight_variance * pair(c_star, lambda u: np.cosh(u) ** -2)
    return q, chi1, c_star, -1 / math.log(chi_c)


@pytest.mark.parametrize("weight_variance", [3.0, 4.0])
def test_chaotic_tanh_agrees_with_an_independent_integration(weight_variance):
    record = theory.mean_field("tanh", weight_variance, BIAS)
    q, chi1, c_star, depth = _independent_tanh(weight_variance, BIAS)
    assert record.phase == "chaotic" and record.chi1 > 1
    assert record.q_star == pytest.approx(q, rel=1e-5)
    assert record.chi1 == pytest.approx(chi1, rel=1e-5)
    assert record.c_star == pytest.approx(c_star, abs=2e-3)
    assert record.depth_scale == pytest.approx(depth, rel=0.01)


def test_tanh_phases_and_depth_scales():
    ordered = theory.mean_field("tanh", 1.2, BIAS)
    assert ordered.phase == "ordered" and ordered.c_star == 1.0
    assert (ordered.q_star, ordered.chi1, ordered.depth_scale) == pytest.approx((0.2699, 0.8452, 5.945), abs=1e-3)
    chaotic = theory.mean_field("tanh", 3.0, BIAS)
    assert (chaotic.q_star, chaotic.chi1, chaotic.c_star, chaotic.depth_scale) == pytest.approx(
        (1.4280, 1.2089, 0.2993, 9.051), abs=2e-3)
    vanishing = theory.mean_field("tanh", 0.9, 0.0)  # no bias: the signal dies out, q* = 0
    assert (vanishing.q_star, vanishing.chi1, vanishing.phase) == (0.0, pytest.approx(0.9), "ordered")
    assert vanishing.depth_scale == pytest.approx(-1 / math.log(0.9))
    chaos = theory.mean_field("tanh", 2.5, 0.0)  # odd φ, no bias: two inputs end uncorrelated
    assert chaos.phase == "chaotic" and chaos.c_star == pytest.approx(0.0, abs=1e-9)


def test_relu_linear_and_leaky_relu_have_exact_values():
    relu = theory.mean_field("relu", 1.0, BIAS)  # V(q) = σ_w² q / 2 + σ_b²: q* = σ_b² / (1 − σ_w²/2)
    assert (relu.q_star, relu.chi1, relu.phase) == (pytest.approx(0.1), pytest.approx(0.5), "ordered")
    he = theory.mean_field(Relu, 2.0, 0.0)  # He et al. 2015: ReLU's critical point
    assert (he.phase, he.q_star, he.chi1) == ("critical", 1.0, pytest.approx(1.0))
    assert theory.critical_weight_variance("relu", 0.0) == pytest.approx(2.0)
    assert math.isnan(theory.critical_weight_variance("relu", 0.1))  # the variance diverges at σ_w² = 2
    exploding = theory.mean_field("relu", 3.0, 0.0)
    assert (exploding.phase, exploding.q_star, exploding.chi1) == ("unbounded", math.inf, pytest.approx(1.5))
    assert math.isnan(exploding.c_star) and math.isnan(exploding.depth_scale)
    linear = theory.mean_field("linear", 0.5, BIAS)
    assert (linear.q_star, linear.chi1) == (pytest.approx(0.1), pytest.approx(0.5))
    assert theory.mean_field("linear", 1.5, BIAS).phase == "unbounded"
    leaky = theory.mean_field(LeakyRelu(3, alpha=0.2), 1.0, 0.0)  # the instance's alpha counts
    assert leaky.chi1 == pytest.approx((1 + 0.2 ** 2) / 2)
    assert leaky.activation == "LeakyRelu(alpha=0.2)"


def test_activation_may_be_a_name_a_class_or_a_layer_and_variances_broadcast():
    records = [theory.mean_field(activation, 1.5, BIAS) for activation in ("tanh", "Tanh", Tanh, Tanh(4))]
    assert len({(r.q_star, r.chi1) for r in records}) == 1
    grid = theory.mean_field("tanh", np.array([[1.0], [1.761], [3.0]]), np.array([0.0, 0.05]))
    assert grid.q_star.shape == grid.phase.shape == (3, 2)
    assert grid.phase.tolist() == [["critical", "ordered"], ["chaotic", "critical"], ["chaotic", "chaotic"]]
    assert grid.q_star[2, 1] == pytest.approx(theory.mean_field("tanh", 3.0, 0.05).q_star)
    assert stats.mean_field is theory.mean_field and stats.critical_weight_variance is theory.critical_weight_variance


@pytest.mark.parametrize("weight_variance, bias_variance, message", [
    (-1.0, 0.05, "weight_variance must be finite and >= 0, got -1.0"),
    (float("nan"), 0.05, "weight_variance must be finite and >= 0, got nan"),
    (1.0, float("inf"), "bias_variance must be finite and >= 0, got inf"),
    (1.0, np.array([0.1, -0.2]), "bias_variance must be finite and >= 0, got -0.2 (among 2 values)"),
])
def test_bad_variances_are_refused(weight_variance, bias_variance, message):
    with pytest.raises(InvalidValueError, match=re.escape(message)):
        theory.mean_field("tanh", weight_variance, bias_variance)


def test_bad_variances_and_activations_are_refused():
    with pytest.raises(InvalidValueError, match="critical_weight_variance: bias_variance must be finite"):
        theory.critical_weight_variance("tanh", -0.1)
    with pytest.raises(InvalidTypeError, match="weight_variance must be a number >= 0"):
        theory.mean_field("tanh", "large", 0.0)
    for softmax in ("softmax", Softmax, Softmax(3)):
        with pytest.raises(InvalidValueError, match="Softmax: the mean-field theory does not cover this activation: "
                                                    "it is not elementwise"):
            theory.mean_field(softmax, 1.0, 0.0)
    with pytest.raises(InvalidValueError, match="Dropout: the mean-field theory does not cover this layer kind"):
        theory.critical_weight_variance(Dropout, 0.0)
    with pytest.raises(InvalidValueError, match="unknown activation 'swish'; expected one of Linear, Sigmoid, Tanh"):
        theory.mean_field("swish", 1.0, 0.0)
    with pytest.raises(InvalidTypeError, match="activation must be a name such as 'tanh'"):
        theory.mean_field(3.0, 1.0, 0.0)


# -- against finite networks ---------------------------------------------------------------------------

@pytest.mark.parametrize("weight_variance, phase", [(1.2, "ordered"), (1.761, "critical"), (3.0, "chaotic")])
def test_a_deep_wide_tanh_network_follows_the_map_layer_by_layer(weight_variance, phase):
    records = theory.signal_propagation(tanh_network(weight_variance), n_pairs=32, correlation=0.5)
    assert len(records) == 20 and theory.mean_field("tanh", weight_variance, BIAS).phase == phase
    assert column(records, "weight_variance") == pytest.approx(weight_variance, rel=0.02)
    # measured: the second moment of z over 500 units, 64 inputs; the correlation of 32 pairs
    assert column(records, "q_measured") == pytest.approx(column(records, "q_theory"), rel=0.10)
    assert column(records, "c_measured") == pytest.approx(column(records, "c_theory"), abs=0.035)
    assert records[0].c_theory == pytest.approx(0.5, abs=0.02)  # the pairs' own correlation, then the map


def test_the_ordered_network_forgets_its_inputs_at_the_depth_scale():
    records = theory.signal_propagation(tanh_network(1.2), n_pairs=32)
    layers = np.arange(1, 21)[7:]
    slope = np.polyfit(layers, np.log(1 - column(records, "c_measured")[7:]), 1)[0]
    assert -1 / slope == pytest.approx(theory.mean_field("tanh", 1.2, BIAS).depth_scale, rel=0.1)  # 5.93 vs 5.94


@pytest.mark.parametrize("weight_variance", [1.2, 3.0])
def test_the_map_iterated_layer_by_layer_reaches_the_fixed_points(weight_variance):
    # Orthogonal weights and a constant bias: every layer's σ_w², σ_b² are exact.
    network = join(Input(300), *[Tanh(300, weight=init.Orthogonal(scale=math.sqrt(weight_variance), seed=i),
                                      bias=math.sqrt(BIAS)) for i in range(30)])
    records = theory.signal_propagation(network, n_pairs=16)
    record = theory.mean_field("tanh", weight_variance, BIAS)
    assert records[-1].q_theory == pytest.approx(record.q_star, rel=1e-5)
    distance = np.abs(column(records, "c_theory") - record.c_star)
    assert -5 / math.log(distance[-1] / distance[-6]) == pytest.approx(record.depth_scale, rel=0.02)
    assert column(records, "q_measured") == pytest.approx(column(records, "q_theory"), rel=0.10)
    assert column(records, "c_measured") == pytest.approx(column(records, "c_theory"), abs=0.05)


def test_real_inputs_follow_the_map_from_their_own_moments():
    x, _ = digits()
    network = join(Input(64), *[Tanh(1000, weight=init.HeNormal(gain=1.761, seed=i),
                                     bias=init.Normal(std=math.sqrt(BIAS), seed=50 + i)) for i in range(10)])
    records = theory.signal_propagation(network, x=x[:128])
    assert records[0].c_theory == pytest.approx(0.62, abs=0.02)  # consecutive digits are alike
    assert column(records, "q_measured") == pytest.approx(column(records, "q_theory"), rel=0.06)
    assert column(records, "c_measured") == pytest.approx(column(records, "c_theory"), abs=0.03)


def test_effective_variances_place_each_layer_and_name_what_is_not_covered():
    encoder = Tanh(30, weight=init.HeNormal(gain=2.0, seed=1), bias=init.Normal(std=0.3, seed=2))
    network = Input(64) >> encoder
    decoder = Relu(64, weight=Transposed(encoder.variable("weight")), bias=None)
    network = join(network, Dropout(0.5), decoder, Softmax(10))
    points = theory.effective_variances(network)
    assert [(p.layer, p.index, p.activation) for p in points] == [
        (encoder.name, 1, "Tanh"), (decoder.name, 3, "Relu(alpha=0)"), ("softmax-1", 4, None)]
    weight = encoder.variable("weight").numpy().astype(np.float64)
    assert points[0].weight_variance == pytest.approx(64 * np.mean(weight ** 2), rel=1e-6)  # 2.10 (gain 2)
    bias = encoder.variable("bias").numpy().astype(np.float64)
    assert points[0].bias_variance == pytest.approx(np.mean(bias ** 2), rel=1e-6) and points[1].bias_variance == 0.0
    assert points[1].weight_variance == pytest.approx(30 / 64 * points[0].weight_variance)  # fan-in 30, same W
    assert not points[2].covered and "not elementwise" in points[2].note
    records = theory.signal_propagation(network, n_pairs=4)
    assert [r.note for r in records][:2] == ["", ""] and "not elementwise" in records[2].note
    assert math.isnan(records[2].q_theory) and not math.isnan(records[2].q_measured)


def test_signal_propagation_refuses_bad_inputs():
    network = tanh_network(1.0, width=8, depth=2)
    with pytest.raises(InvalidValueError, match=re.escape("inputs must have shape (?, 8)")):
        theory.signal_propagation(network, x=np.zeros((4, 3)))
    with pytest.raises(InvalidValueError, match="x must have at least 2 rows"):
        theory.signal_propagation(network, x=np.zeros((1, 8)))
    with pytest.raises(InvalidValueError, match=re.escape("correlation must be a number in [-1, 1], got 1.5")):
        theory.signal_propagation(network, correlation=1.5)


# -- Jacobian ---------------------------------------------------------------------------------------------------

def linear_network(depth, width, make_weight):
    return join(Input(width), *[Linear(width, weight=make_weight(i), bias=None) for i in range(depth)])


def test_a_linear_orthogonal_network_is_an_isometry():
    values = theory.jacobian_singular_values(linear_network(6, 100, lambda i: init.Orthogonal(seed=i)), n_samples=2)
    assert values.shape == (2, 100) and values.dtype == np.float64
    assert values == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("depth, largest", [(2, 6.75), (8, 23.09)])
def test_a_linear_gaussian_network_spreads_like_its_product_law(depth, largest):
    # max s² -> (L+1)^(L+1)/L^L; finite width 500 scatters about ±12% at L = 8
    network = linear_network(depth, 500, lambda i: init.Normal(std=1 / math.sqrt(500), seed=100 + i))
    squares = theory.jacobian_singular_values(network, n_samples=1) ** 2
    assert squares.mean() == pytest.approx(1.0, rel=0.03)
    assert squares.max() == pytest.approx(largest, rel=0.12)  # 6.62 and 22.7 measured


def test_orthogonal_tanh_near_criticality_stays_near_isometry_but_relu_cannot():
    depth, width, bias = 32, 200, 1e-4
    weight = theory.critical_weight_variance("tanh", bias)  # 1.086; q* = 0.046
    q_star = theory.mean_field("tanh", weight, bias).q_star
    x = np.random.default_rng(0).standard_normal((4, width)) * math.sqrt((q_star - bias) / weight)  # q¹ = q*
    tanh = join(Input(width), *[Tanh(width, weight=init.Orthogonal(scale=math.sqrt(weight), seed=i),
                                     bias=init.Normal(std=math.sqrt(bias), seed=99 + i)) for i in range(depth)])
    relu = join(Input(width), *[Relu(width, weight=init.Orthogonal(scale=math.sqrt(2), seed=i), bias=None)
                                for i in range(depth)])
    tanh_squares = theory.jacobian_singular_values(tanh, x) ** 2
    relu_squares = theory.jacobian_singular_values(relu, n_samples=4) ** 2
    assert tanh_squares.mean() == pytest.approx(1.0, rel=0.1)
    assert np.percentile(tanh_squares, [10, 90]) == pytest.approx([0.29, 1.91], rel=0.25)
    assert tanh_squares.max() < 4
    assert relu_squares.max() > 50 and np.mean(relu_squares < 1e-6) > 0.3  # wide spread, many directions lost


def test_jacobian_refuses_inputs_of_the_wrong_width_or_rank():
    network = linear_network(2, 5, lambda i: init.Orthogonal(seed=i))
    with pytest.raises(InvalidValueError, match=re.escape("inputs must have shape (?, 5) (at least one sample), "
                                                          "got shape (3, 4)")):
        theory.jacobian_singular_values(network, np.zeros((3, 4)))
    with pytest.raises(InvalidValueError, match=re.escape("got shape (5,)")):
        theory.jacobian_singular_values(network, np.zeros(5))
    with pytest.raises(InvalidValueError, match="n_samples must be a positive integer, got 0"):
        theory.jacobian_singular_values(network, n_samples=0)
    assert stats.jacobian_singular_values is theory.jacobian_singular_values


# -- LSUV -------------------------------------------------------------------------------------------------------

def pre_activation_variance(network, x, layer):
    import tensorflow as tf
    a = tf.constant(x)
    for item in network.layers[1:]:
        if item is layer:
            return float(np.var(item.pre_activation(a).numpy()))
        a = item.output(a)


def test_lsuv_brings_every_layer_to_unit_variance_on_data_in_place():
    x = digits()[0][:200]
    network = join(Input(64), *[Tanh(100, weight=init.Normal(std=1.0, seed=i)) for i in range(6)], Softmax(10))
    log = lsuv(network, x)
    assert [record.layer for record in log] == [layer.name for layer in network.layers[1:]]
    assert all(record.converged and record.iterations == 1 and record.shared_with is None for record in log)
    assert all(abs(record.variances[-1] - 1) < 0.1 and len(record.variances) == 2 for record in log)
    assert log[0].note == "Var(z) = 1 after 1 rescaling"
    for record, layer in zip(log, network.layers[1:]):  # the variables themselves changed
        assert pre_activation_variance(network, x, layer) == pytest.approx(1.0, abs=1e-4)
        weight = layer.variable("weight").numpy()  # orthonormal rows or columns, times the scale
        gram = weight.T @ weight if weight.shape[0] >= weight.shape[1] else weight @ weight.T
        assert gram == pytest.approx(record.scale ** 2 * np.eye(min(weight.shape)), abs=1e-4)


def test_lsuv_scales_a_shared_weight_once_and_says_so():
    x = digits()[0][:100]
    encoder = Tanh(32)
    network = Input(64) >> encoder
    decoder = Tanh(64, weight=Transposed(encoder.variable("weight")))
    first, second = lsuv(network >> decoder, x)
    assert first.converged and first.iterations == 1
    assert (second.shared_with, second.iterations, second.scale) == (encoder.name, 0, 1.0)
    assert second.note.startswith(f"shared weight: scaled once at its first user {encoder.name}")
    assert second.variable == first.variable and len(second.variances) == 1
    weight = encoder.variable("weight").numpy()  # orthonormal columns times the encoder's scale only
    assert weight.T @ weight == pytest.approx(first.scale ** 2 * np.eye(32), abs=1e-4)


def test_lsuv_that_does_not_converge_warns_naming_the_layer():
    layer = Tanh(50, bias=init.Normal(std=3.0, seed=1))  # Var(z) >= Var(b) ≈ 9: cannot reach 1
    with pytest.warns(theory.LSUVWarning, match=f"lsuv: Tanh layer '{layer.name}': did not converge: "
                                                "Var\\(z\\) = 10.46 after 4 rescalings"):
        (record,) = lsuv(join(Input(64), layer), digits()[0][:100], max_iter=4)
    assert not record.converged and record.iterations == 4 and len(record.variances) == 5
    assert record.note == "did not converge: Var(z) = 10.46 after 4 rescalings (tol 0.1)"
    assert issubclass(theory.LSUVWarning, UserWarning)


def test_lsuv_refuses_bad_input():
    x = digits()[0][:10]
    with pytest.raises(InvalidValueError, match="lsuv: the network .* has no layer with a weight to scale"):
        lsuv(join(Input(64), Dropout(0.5)), x)
    network = join(Input(64), Tanh(8))
    with pytest.raises(InvalidValueError, match="x must hold a batch of at least 2 samples"):
        lsuv(network, x[:1])
    with pytest.raises(InvalidValueError, match=re.escape("inputs must have shape (?, 64)")):
        lsuv(network, x[:, :10])
    with pytest.raises(InvalidValueError, match="tol must be a number in \\(0, 1\\), got 0"):
        lsuv(network, x, tol=0)
    with pytest.raises(InvalidValueError, match="max_iter must be an integer >= 1, got 0"):
        lsuv(network, x, max_iter=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a batch that converges warns about nothing
        assert lsuv(network, x)[0].converged


# -- plots -------------------------------------------------------------------------------------------------------

def test_phase_diagram_of_an_activation_draws_the_critical_line():
    fig = plotting.plot_phase_diagram("tanh", bias_range=(0.0, 0.2))
    (ax,) = fig.axes
    line = max(ax.lines, key=lambda line: len(line.get_xdata()))
    assert np.interp(0.05, line.get_ydata(), line.get_xdata()) == pytest.approx(1.761, abs=0.01)
    assert ax.get_title(loc="left") == "Tanh: mean-field phase diagram"
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[:3] == ["ordered (χ₁ < 1)", "chaotic (χ₁ > 1)", "critical (χ₁ = 1)"]
    assert plotting.figure_to_png(fig).startswith(b"\x89PNG")


def test_phase_diagram_marks_each_network_and_says_what_is_not_covered():
    mixed = join(Input(64), Tanh(100, weight=init.HeNormal(gain=1.0, seed=1), bias=None),
                 *[Tanh(100, weight=init.HeNormal(gain=2.0, seed=2 + i), bias=0.3) for i in range(3)],
                 Relu(50), Softmax(10))
    fig = plotting.plot_phase_diagram({"mixed": mixed, "critical": tanh_network(1.761, width=50, depth=3)})
    tanh_ax, relu_ax = fig.axes[:2]
    assert tanh_ax.get_title(loc="left").startswith("Tanh") and relu_ax.get_title(loc="left").startswith("Relu")
    labels = [text.get_text() for text in tanh_ax.get_legend().get_texts()]
    assert {"mixed: layer 1", "mixed: layers 2–4", "critical: layers 1–3"} <= set(labels)
    assert "mixed: layer 5" in [text.get_text() for text in relu_ax.get_legend().get_texts()]
    assert "mixed: softmax-1 not covered: Softmax: the mean-field theory does not cover this activation" in \
        fig._supxlabel.get_text()
    narrow = plotting.plot_phase_diagram(join(Input(64), Tanh(32), Softmax(10)))
    narrow.canvas.draw()  # a long note is wrapped to the figure's width, not cut at its edge
    assert narrow._supxlabel.get_text().count("\n") >= 1
    assert narrow._supxlabel.get_window_extent().x1 <= narrow.bbox.x1
    with pytest.raises(InvalidValueError, match="not elementwise"):
        plotting.plot_phase_diagram("softmax")
    with pytest.raises(InvalidTypeError):
        plotting.plot_phase_diagram(3)


def test_jacobian_spectrum_and_signal_propagation_figures():
    fig = plotting.plot_jacobian_spectrum({
        "orthogonal": linear_network(3, 50, lambda i: init.Orthogonal(seed=i)),
        "given": np.array([0.0, 0.5, 2.0])})
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["orthogonal: mean s² 1, max s² 1", "given: mean s² 1.42, max s² 4, 33% ≈ 0", "s = 1 (isometry)"]
    fig.canvas.draw()  # the legend sits in headroom above the tallest bar
    legend_bottom = ax.transData.inverted().transform(ax.get_legend().get_window_extent())[0, 1]
    tallest = max(float(np.max(patch.get_data().values)) for patch in ax.patches)
    assert legend_bottom > tallest
    with pytest.raises(InvalidValueError, match="must be finite, >= 0"):
        plotting.plot_jacobian_spectrum(np.array([-1.0]))
    with pytest.raises(InvalidTypeError, match="expected a Network or an array of singular values"):
        plotting.plot_jacobian_spectrum("network")
    fig = plotting.plot_signal_propagation({"a": tanh_network(1.2, width=40, depth=4),
                                            "b": tanh_network(3.0, width=40, depth=4)}, n_pairs=4)
    ax_q, ax_c = fig.axes
    assert ax_q.get_yscale() == "log" and len(ax_c.lines) == 4  # theory and measured per network
    assert [text.get_text() for text in ax_c.get_legend().get_texts()] == ["a", "b"]

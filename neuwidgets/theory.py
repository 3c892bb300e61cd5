"""Why an initialization works: signal propagation theory of wide random networks.

- Mean field (Poole et al. 2016, arXiv 1606.05340; Schoenholz et al. 2017,
  arXiv 1611.01232): for weights N(0, σ_w²/fan_in) and biases N(0, σ_b²), a wide dense
  network maps the variance q of a pre-activation and the correlation c of two inputs'
  pre-activations layer by layer; (σ_w², σ_b²) alone decide whether signals die out
  (ordered phase), become chaos (chaotic phase) or survive deep (the critical line).
  :func:`mean_field`, :func:`critical_weight_variance`; measured against a finite
  network by :func:`signal_propagation`.
- Dynamical isometry (Saxe et al. 2014, arXiv 1312.6120; Pennington et al. 2017,
  arXiv 1711.04735): the singular values of the input–output Jacobian,
  :func:`jacobian_singular_values`.
- LSUV (Mishkin & Matas 2016, arXiv 1511.06422): data-dependent scaling of each layer,
  :func:`lsuv`.

Expectations over Gaussians use Gauss–Hermite quadrature (probabilists' nodes; a product
grid in two dimensions), never Monte Carlo. The activation φ of a dense layer kind is
that layer's own ``activation`` (evaluated in float64); φ' comes from
``tf.GradientTape``. Nothing here reads or changes a global random state.
"""
import dataclasses
import math
import numbers
import warnings
from typing import Any, Optional, Tuple

import numpy as np
from scipy.special import roots_hermitenorm
from ._tensorflow import tf

from . import init
from .errors import InvalidTypeError, InvalidValueError, ShapeError, shown
from .layers import KINDS
from .layers.base import Layer
from .layers.dense import Linear

__all__ = ["MeanField", "mean_field", "critical_weight_variance", "LayerPoint", "effective_variances",
           "PropagationStats", "signal_propagation", "jacobian_singular_values", "LSUVRecord", "LSUVWarning",
           "lsuv", "CRITICAL_TOLERANCE", "MAX_VARIANCE"]

#: A point is "critical" when |χ₁ − 1| < CRITICAL_TOLERANCE (its depth scale exceeds ~1000 layers).
CRITICAL_TOLERANCE = 1e-3
#: The largest fixed point searched for: a pre-activation variance beyond it is "unbounded" (q* = inf).
MAX_VARIANCE = 4.0 ** 20

# Gauss–Hermite nodes and weights for E[f(z)], z ~ N(0, 1) (probabilists' Hermite): 300
# points in one dimension, a 64 × 64 product grid in two. Tanh's reference values come out
# to 7 digits; activations with narrow features at large q* need the many points (sigmoid's
# critical σ_w² ≈ 103, q* ≈ 26: 0.04% off with 300 points, 11% with 100). Even counts: no node
# at 0, where ReLU-like activations have a kink (E[1{z > 0}] is then exactly 1/2).
_NODES, _WEIGHTS = roots_hermitenorm(300)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()
_NODES2, _WEIGHTS2 = roots_hermitenorm(64)
_WEIGHTS2 = _WEIGHTS2 / _WEIGHTS2.sum()
# q* is searched on a ladder of variances 4^-30 .. 4^20 (1e-18 .. MAX_VARIANCE) from q = 1.
_LADDER = 4.0 ** np.arange(-30, 21)
_START = 30


# -- the per-layer pieces the theory needs (one place to adapt to new layer kinds) ------------

def _forward(layer, x):
    """``(z, a)`` of ``layer`` for the input tensor ``x`` (:meth:`~neuwidgets.layers.Layer.forward`,
    as the statistics run it: inference mode, BatchNorm with batch statistics)."""
    return layer.forward(x, training=layer.batch_statistics)


def _weight_and_bias(layer):
    """``(kernel variable, bias variable or None, fan_in)`` of a layer with a kernel (a dense
    weight, a convolution kernel), else None."""
    kernel = next((spec.name for spec in layer.active_parameters() if spec.kernel), None)
    if kernel is None or kernel not in layer.parameters:
        return None
    bias = layer.variable("bias") if "bias" in layer.parameters else None
    return layer.variable(kernel), bias, init.fans(layer.parameter_shapes()[kernel])[0]


# -- activations ---------------------------------------------------------------------------------

class _Activation:
    """φ of a dense layer, elementwise, evaluated in float64: ``phi(u)`` and ``phi(u, slope=True)``
    (φ and φ' as NumPy arrays shaped like ``u``)."""

    def __init__(self, layer, label):
        self.layer, self.label = layer, label
        points = np.linspace(-3.0, 3.0, 7)
        try:
            column, row = self(points[:, None]).ravel(), self(points[None, :]).ravel()
        except Exception as exc:
            raise InvalidValueError(f"{label}: its activation failed on float64 inputs "
                                    f"({type(exc).__name__}: {exc})"[:300]) from exc
        if column.shape != points.shape or not np.allclose(column, row, rtol=1e-12, atol=1e-12):
            raise InvalidValueError(f"{label}: the mean-field theory does not cover this activation: it is not "
                                    "elementwise (it mixes units, like softmax)")

    def __call__(self, u, slope=False):
        u = tf.constant(np.asarray(u, dtype=np.float64))
        if not slope:
            return self.layer.activation(u).numpy()
        with tf.GradientTape() as tape:
            tape.watch(u)
            a = self.layer.activation(u)
        return a.numpy(), tape.gradient(a, u).numpy()


_ACTIVATIONS = {}


def _label(layer):
    options = ", ".join(f"{field.name}={getattr(layer, field.name)!r}" for field in _options(layer))
    return f"{type(layer).__name__}({options})" if options else type(layer).__name__


def _options(layer):
    """The settings of a dense layer's activation (``alpha``): every field but the units."""
    return [field for field in layer.fields if field.name != "n_units"]


def _activation(activation):
    """The :class:`_Activation` of a name (``"tanh"``, ``"leaky-relu"``), a dense layer class
    or a layer instance. Raises :class:`InvalidValueError` / :class:`InvalidTypeError` for
    anything the theory does not cover."""
    if isinstance(activation, str):
        names = {name.lower(): cls for name, cls in KINDS.items()}
        key = activation.replace("-", "").replace("_", "").replace(" ", "").lower()
        if key not in names:
            raise InvalidValueError(f"unknown activation {shown(activation)}; expected one of "
                                    f"{', '.join(name for name, cls in KINDS.items() if issubclass(cls, Linear))}")
        activation = names[key]
    if isinstance(activation, type) and issubclass(activation, Layer):
        if not issubclass(activation, Linear):
            raise InvalidValueError(f"{activation.__name__}: the mean-field theory does not cover this layer "
                                    "kind: it covers dense layers (Linear and its activations)")
        try:
            layer = activation(1, name="mean-field")
        except Exception as exc:
            raise InvalidValueError(f"{activation.__name__}: cannot make a layer of this kind to read its "
                                    f"activation ({type(exc).__name__}: {exc})"[:300]) from exc
    elif isinstance(activation, Layer):
        layer = activation
        if not isinstance(layer, Linear):
            raise InvalidValueError(f"{layer}: the mean-field theory does not cover this layer kind: it covers "
                                    "dense layers (Linear and its activations)")
    else:
        raise InvalidTypeError(f"activation must be a name such as 'tanh', a dense layer class or a layer, got "
                               f"{type(activation).__name__} {activation!r}"[:300])
    key = (type(layer), tuple(getattr(layer, field.name) for field in _options(layer)))
    if key not in _ACTIVATIONS:
        _ACTIVATIONS[key] = _Activation(layer, _label(layer))
    return _ACTIVATIONS[key]


# -- Gaussian expectations (Gauss–Hermite) ------------------------------------------------------

def _expect(phi, q, slope=False):
    """E[φ(√q z)²] (or E[φ'(√q z)²] with ``slope``) for an array of variances ``q``."""
    u = np.sqrt(q)[..., None] * _NODES
    values = phi(u, slope=True)[1] if slope else phi(u)
    return values ** 2 @ _WEIGHTS


def _cross(phi, q1, q2, c, slope=False):
    """E[φ(u₁)φ(u₂)] (or E[φ'(u₁)φ'(u₂)]) for u₁ = √q₁ z₁, u₂ = √q₂ (c z₁ + √(1 − c²) z₂):
    two Gaussians of variances q₁, q₂ and correlation c (arrays of one shape)."""
    z1, z2 = _NODES2[:, None], _NODES2[None, :]
    u1 = np.sqrt(q1)[..., None] * _NODES2
    u2 = np.sqrt(q2)[..., None, None] * (c[..., None, None] * z1 + np.sqrt(1 - c ** 2)[..., None, None] * z2)
    first, second = (phi(u1, slope=True)[1], phi(u2, slope=True)[1]) if slope else (phi(u1), phi(u2))
    return (first * (second @ _WEIGHTS2)) @ _WEIGHTS2


def _bisect(function, low, high, steps):
    """``(low, high)`` narrowed around where ``function`` (vectorized) changes sign from
    >= 0 at ``low`` to < 0 at ``high``."""
    for _ in range(steps):
        middle = (low + high) / 2
        above = function(middle) >= 0
        low, high = np.where(above, middle, low), np.where(above, high, middle)
    return low, high


def _variance_fixed_point(phi, weight_variance, bias_variance):
    """``(q*, χ₁)`` for 1-D arrays of σ_w², σ_b² (see :func:`mean_field`)."""
    wv, bv = weight_variance[:, None], bias_variance[:, None]
    gap = wv * _expect(phi, _LADDER[None, :]) + bv - _LADDER  # V(q) - q on the ladder
    tolerance = 1e-12
    up, down = gap[:, _START] > tolerance, gap[:, _START] < -tolerance
    crossed_up = gap[:, _START + 1:] <= 0
    crossed_down = gap[:, :_START] >= tolerance * _LADDER[:_START]  # relative: V(q) - q = O(q²) at 0
    first_up = _START + 1 + np.argmax(crossed_up, axis=1)
    last_down = _START - 1 - np.argmax(crossed_down[:, ::-1], axis=1)
    found_up, found_down = crossed_up.any(axis=1), crossed_down.any(axis=1)
    at_zero = weight_variance * phi(np.zeros(1))[0] ** 2 + bias_variance  # V(0)
    # brackets with V(q) - q >= 0 at low and < 0 at high (argmax is 0 where nothing crossed:
    # those entries are replaced below)
    low = np.where(up, _LADDER[first_up - 1], np.where(found_down, _LADDER[last_down], 0.0))
    high = np.where(up, _LADDER[first_up], np.where(found_down, _LADDER[last_down + 1], _LADDER[0]))
    q_star = np.mean(_bisect(lambda q: weight_variance * _expect(phi, q) + bias_variance - q, low, high, 56), axis=0)
    q_star = np.where(up & ~found_up, np.inf, q_star)
    q_star = np.where(down & ~found_down & (at_zero <= 0), 0.0, q_star)
    q_star = np.where(~up & ~down, 1.0, q_star)
    # χ₁ at q* (its limits at q* = 0 and inf: just inside the searched range)
    chi1 = weight_variance * _expect(phi, np.clip(q_star, _LADDER[0], _LADDER[-1]), slope=True)
    return q_star, chi1


def _check_variance(where, name, value):
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidTypeError(f"{where}: {name} must be a number >= 0 (or an array of them), got "
                               f"{type(value).__name__} {value!r}"[:300]) from None
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        raise InvalidValueError(f"{where}: {name} must be finite and >= 0, got {float(array[bad].flat[0])!r}"
                                + (f" (among {array.size} values)" if array.ndim else ""))
    return array


# -- mean field -----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class MeanField:
    """The mean-field fixed points of a wide dense network (see :func:`mean_field`).

    Fields are floats, or NumPy arrays of the broadcast shape when arrays were given
    (``phase`` then an array of strings):

    - ``activation``: the activation's label (``"Tanh"``, ``"LeakyRelu(alpha=0.01)"``).
    - ``weight_variance`` σ_w² (= fan_in · Var(W)) and ``bias_variance`` σ_b².
    - ``q_star``: fixed point q* of the pre-activation variance map
      q ↦ σ_w² E[φ(√q z)²] + σ_b², the one reached from q = 1; 0 when the signal dies
      out; ``inf`` when the variance grows without limit (above :data:`MAX_VARIANCE`).
    - ``chi1``: χ₁ = σ_w² E[φ'(√q* z)²], the slope of the correlation map at c = 1, and
      the factor by which a gradient's variance grows per layer (for q* = 0 or inf: at the
      ends of the search, 1e-18 and :data:`MAX_VARIANCE`; NaN where φ' is not finite there,
      as Elu's gradient at 10⁶).
    - ``c_star``: stable fixed point of the correlation map
      c ↦ (σ_w² E[φ(u₁)φ(u₂)] + σ_b²) / q*; 1 in the ordered and critical phases; NaN
      when unbounded.
    - ``chi_c``: χ_c = σ_w² E[φ'(u₁)φ'(u₂)] at c* (χ₁ when c* = 1); NaN when unbounded.
    - ``depth_scale``: ξ_c = −1/ln χ_c in layers (Schoenholz et al. 2017): how deep the
      correlation of two inputs is still seen; ``inf`` on the critical line; NaN when unbounded.
    - ``phase``: ``"ordered"`` (χ₁ < 1: inputs become alike, c* = 1), ``"chaotic"``
      (χ₁ > 1: near inputs decorrelate, c* < 1), ``"critical"`` (|χ₁ − 1| <
      :data:`CRITICAL_TOLERANCE`) or ``"unbounded"`` (q* = inf, e.g. ReLU with σ_w² > 2:
      there is no fixed point, the theory of q* and c* does not apply).
    """

    activation: str
    weight_variance: Any
    bias_variance: Any
    q_star: Any
    chi1: Any
    c_star: Any
    chi_c: Any
    depth_scale: Any
    phase: Any


def mean_field(activation, weight_variance, bias_variance):
    """Mean-field signal propagation of a wide dense network (Poole et al. 2016,
    Schoenholz et al. 2017): a :class:`MeanField` record from (σ_w², σ_b²) alone.

    ``activation``: a name (``"tanh"``, ``"Relu"``, ``"leaky-relu"``), a dense layer
    class from :data:`neuwidgets.layers.KINDS` or a layer (its options, e.g. ``alpha``,
    count); φ is the layer's own activation. ``weight_variance``: σ_w², the variance of a
    weight times the fan-in (weights N(0, σ_w²/fan_in)); ``bias_variance``: σ_b². Numbers,
    or arrays that broadcast together (the record's fields then are arrays).

    With u₁ = √q* z₁, u₂ = √q*(c z₁ + √(1 − c²) z₂), z ~ N(0, 1), the fixed point q*
    of q ↦ σ_w² E[φ(√q z)²] + σ_b², χ₁ = σ_w² E[φ'(√q* z)²], the stable fixed point
    c* of c ↦ (σ_w² E[φ(u₁)φ(u₂)] + σ_b²)/q*, χ_c = σ_w² E[φ'(u₁)φ'(u₂)] at c* and the
    depth scale ξ_c = −1/ln χ_c. Expectations by Gauss–Hermite quadrature (300 nodes,
    64 × 64 in two dimensions), fixed points by bisection. Tanh: q* = 0.570 and χ₁ = 1
    at σ_w² = 1.761, σ_b² = 0.05. Accuracy: tanh, sigmoid, softplus to ~1e-12
    (relative) for q* of order 1; ReLU, LeakyRelu and Linear exact (their kink sits between the
    symmetric nodes); Elu to ~0.1% (a jump in φ''); HardSigmoid, whose φ' jumps at
    ±2.5, to ~1% for q* ≲ 10 and worse beyond (its critical σ_w² ≈ 74 comes out near 60).

    Raises :class:`InvalidValueError` for negative, NaN or infinite variances and for an
    activation the theory does not cover (softmax: not elementwise; a layer kind that
    is not dense), :class:`InvalidTypeError` for values of another type.
    """
    phi = _activation(activation)
    weight_variance = _check_variance("mean_field", "weight_variance", weight_variance)
    bias_variance = _check_variance("mean_field", "bias_variance", bias_variance)
    shape = np.broadcast_shapes(weight_variance.shape, bias_variance.shape)
    wv, bv = (np.broadcast_to(value, shape).ravel() for value in (weight_variance, bias_variance))
    q_star, chi1 = _variance_fixed_point(phi, wv, bv)
    unbounded = np.isinf(q_star)
    critical = ~unbounded & (np.abs(chi1 - 1) < CRITICAL_TOLERANCE)
    chaotic = ~unbounded & ~critical & (chi1 > 1)
    c_star, chi_c = np.ones_like(q_star), chi1.copy()
    if chaotic.any():
        q, w, b = q_star[chaotic], wv[chaotic], bv[chaotic]
        # normalized by the same quadrature at c = 1, so that the map is exactly 1 there
        norm = w * _cross(phi, q, q, np.ones_like(q)) + b

        def gap(c):
            return (w * _cross(phi, q, q, c) + b) / norm - c  # >= 0 at c = -1, < 0 just below 1

        c_star[chaotic] = np.mean(_bisect(gap, np.full_like(q, -1.0), np.full_like(q, 1 - 1e-8), 36), axis=0)
        chi_c[chaotic] = w * _cross(phi, q, q, c_star[chaotic], slope=True)
    c_star[unbounded] = chi_c[unbounded] = np.nan
    with np.errstate(divide="ignore"):
        depth_scale = np.where(chi_c < 1, -1 / np.log(np.clip(chi_c, 0, 1)), np.inf)
    depth_scale[critical] = np.inf
    depth_scale[unbounded] = np.nan
    phase = np.select([unbounded, critical, chaotic], ["unbounded", "critical", "chaotic"], "ordered")

    def shaped(values):
        values = values.reshape(shape)
        return values.item() if not shape else values

    return MeanField(activation=phi.label, weight_variance=shaped(wv), bias_variance=shaped(bv),
                     q_star=shaped(q_star), chi1=shaped(chi1), c_star=shaped(c_star), chi_c=shaped(chi_c),
                     depth_scale=shaped(depth_scale), phase=shaped(phase))


def critical_weight_variance(activation, bias_variance):
    """The σ_w² at which χ₁ = 1 (the edge of chaos) for ``bias_variance`` σ_b²: a float,
    or an array for an array of σ_b².

    Found by bisection on σ_w² between the ordered phase (σ_w² = 0) and the first power of
    two that is not ordered, with :func:`mean_field`'s q* and χ₁. Tanh: 1.0 at σ_b² = 0;
    1.424, 1.761, 1.986, 2.285 at σ_b² = 0.01, 0.05, 0.1, 0.2 (Schoenholz et al. 2017,
    fig. 1). NaN where no finite fixed point has χ₁ = 1: ReLU with σ_b² > 0, whose
    variance diverges at σ_w² = 2 (its critical point is σ_w² = 2, σ_b² = 0).

    Raises :class:`InvalidValueError` for a negative, NaN or infinite variance or an
    activation the theory does not cover; :class:`InvalidTypeError` for another type.
    """
    phi = _activation(activation)
    bias_variance = _check_variance("critical_weight_variance", "bias_variance", bias_variance)
    bv = bias_variance.ravel()

    def not_ordered(wv):
        q_star, chi1 = _variance_fixed_point(phi, wv, bv)
        return np.isinf(q_star) | (chi1 >= 1)

    high = np.ones_like(bv)
    for _ in range(20):  # up to σ_w² = 2^20
        ordered = ~not_ordered(high)
        if not ordered.any():
            break
        high = np.where(ordered, 2 * high, high)
    low, high = _bisect(lambda wv: np.where(not_ordered(wv), -1.0, 1.0), np.zeros_like(bv), high, steps=36)
    # On the ordered side of the line q* must stay bounded: where it diverges (ReLU with
    # σ_b² > 0) the line is the edge of the unbounded phase, not a critical line.
    q_star, chi1 = _variance_fixed_point(phi, low, bv)
    result = np.where((q_star < 2.0 ** 20) & (np.abs(chi1 - 1) < CRITICAL_TOLERANCE), (low + high) / 2, np.nan)
    return result.reshape(bias_variance.shape) if bias_variance.ndim else result.item()


# -- a network's own point ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class LayerPoint:
    """One layer with a weight, placed in the (σ_w², σ_b²) plane (see :func:`effective_variances`).

    - ``layer`` (name), ``kind`` (class name), ``index`` (position in ``network.layers``).
    - ``weight_variance``: σ_w² = fan_in · mean(W²); ``bias_variance``: σ_b² = mean(b²)
      (0 without a bias). Second moments: the variances for zero-mean initializers, and
      what enters the variance map otherwise.
    - ``activation``: the activation's label (``"Tanh"``) when the theory covers the
      layer, else None; ``note``: why it is not covered ("" when it is).
    """

    layer: str
    kind: str
    index: int
    weight_variance: float
    bias_variance: float
    activation: Optional[str]
    note: str = ""

    @property
    def covered(self):
        return self.activation is not None


def _covered(layer):
    """``(activation or None, note)``."""
    try:
        return _activation(layer), ""
    except InvalidValueError as exc:
        return None, str(exc)


def effective_variances(network):
    """One :class:`LayerPoint` per layer with a weight, in layer order: the layer's
    effective σ_w² = fan_in · mean(W²) and σ_b² = mean(b²), measured on its variables
    (created on first use), and whether the mean-field theory covers its activation.

    A shared weight gives each of its users a point. Raises the layers' own errors when
    a variable cannot be created.
    """
    points = []
    for index, layer in enumerate(network.layers):
        parameters = _weight_and_bias(layer)
        if parameters is None:
            continue
        weight, bias, fan_in = parameters
        phi, note = _covered(layer)
        points.append(LayerPoint(
            layer=layer.name, kind=type(layer).__name__, index=index,
            weight_variance=fan_in * float(tf.reduce_mean(tf.square(weight))),
            bias_variance=0.0 if bias is None else float(tf.reduce_mean(tf.square(bias))),
            activation=None if phi is None else phi.label, note=note))
    return points


# -- theory against a finite network --------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PropagationStats:
    """Measured and predicted signal at one layer with a weight (see :func:`signal_propagation`).

    - ``layer``, ``kind``, ``index`` (position in ``network.layers``), ``weight_variance``,
      ``bias_variance`` (as in :class:`LayerPoint`).
    - ``q_measured``: mean over units and inputs of z² (z the pre-activation);
      ``q_theory``: the mean-field prediction of the same.
    - ``c_measured``: mean over input pairs of the correlation z_a·z_b / (|z_a| |z_b|);
      ``c_theory``: its mean-field prediction.
    - ``note``: why the theory stops at this layer ("" when it does not; the predictions
      are then NaN here and after).
    """

    layer: str
    kind: str
    index: int
    weight_variance: float
    bias_variance: float
    q_measured: float
    q_theory: float
    c_measured: float
    c_theory: float
    note: str = ""


def _check_count(where, name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InvalidValueError(f"{where}: {name} must be an integer >= {minimum}, got {shown(value)}")
    return int(value)


def _inputs(network, x, n_samples, seed):
    """Checked float32 inputs (``x``, or ``n_samples`` seeded N(0, 1) draws)."""
    from .stats import _check_inputs  # stats re-exports this module: import it when called
    return _check_inputs(network, x, n_samples, seed)[0]


def signal_propagation(network, x=None, n_pairs=64, correlation=0.5, seed=0):
    """The mean-field map layer by layer against the network itself: one
    :class:`PropagationStats` per layer with a weight.

    Inputs come in pairs: rows ``(x[0], x[1])``, ``(x[2], x[3])``, ... of ``x``
    (``(samples, n_inputs)``, at least 2 rows; an odd last row is left out), or by default
    ``n_pairs`` seeded pairs x_a ~ N(0, I), x_b = ``correlation``·x_a + √(1 − correlation²)·ξ.
    The theory starts from each pair's own second moments (mean over units of x_a², x_b²,
    x_a·x_b) and, at each dense layer, applies q = σ_w² m + σ_b² with the layer's own
    effective σ_w², σ_b² (:func:`effective_variances`), then m ↦ E[φ(u₁)φ(u₂)] with the
    layer's activation (Gauss–Hermite, 64 × 64); a ``Dropout`` (identity at inference)
    keeps the moments; any other layer stops the theory (a note says why). The
    predictions are averaged like the measurements.

    Raises :class:`InvalidValueError` for ``x`` of the wrong shape or with fewer than two
    rows, a bad ``n_pairs`` or a ``correlation`` outside [−1, 1]; :class:`ShapeError` when the
    network's input shape is unknown.
    """
    if x is None:
        n_pairs = _check_count("signal_propagation", "n_pairs", n_pairs)
        if isinstance(correlation, bool) or not isinstance(correlation, numbers.Real) or not -1 <= correlation <= 1:
            raise InvalidValueError(f"signal_propagation: correlation must be a number in [-1, 1], "
                                    f"got {correlation!r}")
        first = _inputs(network, None, 2 * n_pairs, seed)
        second = correlation * first[:n_pairs] + math.sqrt(1 - correlation ** 2) * first[n_pairs:]
        x = np.stack([first[:n_pairs], second], axis=1).reshape(2 * n_pairs, -1)
    else:
        x = _inputs(network, x, None, seed)
        if len(x) < 2:
            raise InvalidValueError(f"signal_propagation: x must have at least 2 rows (one pair), got shape {x.shape}")
        x = x[:len(x) // 2 * 2]
    points = {point.index: point for point in effective_variances(network)}
    flat = x.reshape(len(x), -1).astype(np.float64)
    moments = [np.mean(flat[0::2] ** 2, axis=1), np.mean(flat[1::2] ** 2, axis=1),
               np.mean(flat[0::2] * flat[1::2], axis=1)]  # m_a, m_b, m_ab per pair
    note, records, a = "", [], tf.constant(x)
    for index, layer in enumerate(network.layers):
        if layer.starts_network:
            continue
        previous = a
        z, a = _forward(layer, a)
        if index not in points:
            if a is not previous and not note:  # a layer the identity in inference (Dropout) changes nothing
                note = f"{layer}: the theory does not follow this layer kind"
            continue
        point = points[index]
        note = note or point.note
        q_theory = c_theory = np.nan
        if not note:
            wv, bv = point.weight_variance, point.bias_variance
            qa, qb, qab = (wv * m + bv for m in moments)
            c = np.clip(qab / np.sqrt(qa * qb), -1, 1)
            q_theory, c_theory = float(np.mean([qa, qb])), float(np.mean(c))
            phi = _activation(layer)
            moments = [_cross(phi, qa, qa, np.ones_like(c)), _cross(phi, qb, qb, np.ones_like(c)),
                       _cross(phi, qa, qb, c)]
        values = z.numpy().reshape(len(x), -1).astype(np.float64)
        za, zb = values[0::2], values[1::2]
        with np.errstate(invalid="ignore", divide="ignore"):
            c_measured = np.sum(za * zb, axis=1) / np.sqrt(np.sum(za ** 2, axis=1) * np.sum(zb ** 2, axis=1))
        records.append(PropagationStats(
            layer=layer.name, kind=point.kind, index=index, weight_variance=point.weight_variance,
            bias_variance=point.bias_variance, q_measured=float(np.mean(values ** 2)), q_theory=q_theory,
            c_measured=float(np.mean(c_measured)), c_theory=c_theory, note=note))
    return records


# -- dynamical isometry ----------------------------------------------------------------------------------

def jacobian_singular_values(network, x=None, n_samples=4, seed=0):
    """Singular values of the input–output Jacobian ∂y/∂x of ``network`` (inference mode)
    at each input: a float64 array ``(samples, min(n_inputs, n_outputs))``, each row in
    descending order (Saxe et al. 2014; Pennington et al. 2017).

    ``x``: inputs ``(samples, *input_shape[1:])`` (e.g. data), or by default ``n_samples``
    seeded draws of N(0, 1) (``numpy.random.default_rng(seed)``). Computed with
    ``tf.GradientTape.batch_jacobian`` and ``tf.linalg.svd``. References: a linear network
    with orthogonal weights has every singular value 1; with N(0, 1/n) weights the mean
    of s² is about 1 and the largest s² about (L+1)^(L+1)/L^L for depth L (6.75 at L = 2).

    Raises :class:`InvalidValueError` for ``x`` of the wrong width or rank, non-finite
    ``x`` or a bad ``n_samples``; :class:`ShapeError` when the input shape is unknown.
    """
    x = _inputs(network, x, n_samples, seed)
    samples, shape = x.shape[0], x.shape[1:]
    n_inputs = int(np.prod(shape))
    # Forward mode: each sample repeated once per input unit, with the unit vectors as
    # tangents, gives J·e_k for every k in one pass (no per-output loop or retracing).
    repeated = tf.constant(np.repeat(x, n_inputs, axis=0))
    unit_vectors = np.eye(n_inputs, dtype=np.float32).reshape(n_inputs, *shape)
    tangents = tf.constant(np.tile(unit_vectors, (samples,) + (1,) * len(shape)))
    with tf.autodiff.ForwardAccumulator(repeated, tangents) as accumulator:
        y = network.output(repeated)
    columns = tf.reshape(accumulator.jvp(y), (samples, n_inputs, -1))  # J transposed, per sample
    return tf.linalg.svd(tf.cast(columns, tf.float64), compute_uv=False).numpy()


# -- LSUV ----------------------------------------------------------------------------------------------------

class LSUVWarning(UserWarning):
    """:func:`lsuv` did not bring a layer's pre-activation variance within ``tol`` of 1."""


@dataclasses.dataclass(frozen=True)
class LSUVRecord:
    """What :func:`lsuv` did to one layer with a weight.

    - ``layer``: the layer's name; ``variable``: its weight variable's name.
    - ``variances``: Var(z) of the pre-activation on the batch before each rescaling and
      after the last one (``iterations + 1`` values; one when the layer was not scaled).
    - ``iterations``: how many times the weight was divided by √Var(z).
    - ``scale``: the factor the weight was multiplied by after its orthonormal start.
    - ``converged``: |Var(z) − 1| < ``tol`` at the end.
    - ``shared_with``: for a weight another layer uses first, that layer's name (the
      weight was scaled there, once, and is left alone here); else None.
    - ``note``: what happened, in words.
    - ``seed``: the seed of the weight's orthonormal start (None where ``shared_with``):
      the weight is now exactly ``init.Orthogonal(scale=scale, seed=seed)``'s sample.
    """

    layer: str
    variable: str
    variances: Tuple[float, ...]
    iterations: int
    scale: float
    converged: bool
    shared_with: Optional[str]
    note: str
    seed: Optional[int] = None

    def initializer(self):
        """The initializer that samples this weight as LSUV left it (None for a follower of
        a shared weight): ``Orthogonal(scale=scale, seed=seed)``."""
        return None if self.seed is None else init.Orthogonal(scale=self.scale, seed=self.seed)


def lsuv(network, x, tol=0.1, max_iter=10, seed=0):
    """Layer-sequential unit-variance initialization (Mishkin & Matas 2016,
    arXiv 1511.06422), in place: a list of :class:`LSUVRecord`, one per layer with a
    weight, in layer order.

    Every distinct weight variable first gets orthonormal values
    (:class:`~neuwidgets.init.Orthogonal`, seeds ``seed``, ``seed + 1``, ...). Then, layer
    by layer, the batch ``x`` (``(samples, *input_shape[1:])``, at least 2 samples) goes
    through the network; while |Var(z) − 1| >= ``tol`` for the layer's pre-activation z
    (variance over samples and units), the weight is divided by √Var(z), at most
    ``max_iter`` times. Biases are left as they are. Variables change with
    ``tf.Variable.assign``. A weight shared by several layers is scaled once, at its
    first user; the others' records say so.

    A layer that does not converge (or whose Var(z) is 0) gets a :class:`LSUVWarning`
    naming it, and its record says so. Raises :class:`InvalidValueError` for a network
    without weights, ``x`` of the wrong width or rank, fewer than 2 samples, ``tol`` not
    in (0, 1) or ``max_iter`` not a positive integer; :class:`ShapeError` when the input
    shape is unknown.
    """
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 < tol < 1:
        raise InvalidValueError(f"lsuv: tol must be a number in (0, 1), got {shown(tol)}")
    max_iter = _check_count("lsuv", "max_iter", max_iter)
    if network.input_shape is None:
        raise ShapeError(f"{network.layers[0]}: the network's input shape is unknown; start it with an Input layer")
    users = [(layer, _weight_and_bias(layer)) for layer in network.layers]
    users = [(layer, parameters[0]) for layer, parameters in users if parameters is not None]
    if not users:
        raise InvalidValueError(f"lsuv: the network {network!r} has no layer with a weight to scale")
    x = _inputs(network, x, None, seed)
    if len(x) < 2:
        raise InvalidValueError(f"lsuv: x must hold a batch of at least 2 samples (Var(z) over one sample "
                                f"measures nothing), got shape {x.shape}")
    owners, seeds = {}, {}
    for layer, weight in users:
        if weight.ref() not in owners:
            owners[weight.ref()], seeds[weight.ref()] = layer, seed + len(owners)
            weight.assign(init.Orthogonal(seed=seeds[weight.ref()]).sample(tuple(weight.shape)))
    records, a = [], tf.constant(x)
    for layer in network.layers:
        if layer.starts_network:
            continue
        parameters = _weight_and_bias(layer)
        if parameters is None:
            a = _forward(layer, a)[1]
            continue
        weight, inputs = parameters[0], a
        z, a = _forward(layer, inputs)
        variances = [float(np.var(z.numpy().astype(np.float64)))]
        owner = owners[weight.ref()]
        if owner is not layer:
            records.append(LSUVRecord(layer.name, weight.name, tuple(variances), 0, 1.0,
                                      abs(variances[-1] - 1) < tol, owner.name,
                                      f"shared weight: scaled once at its first user {owner.name}; "
                                      f"Var(z) = {variances[-1]:.4g} here", None))
            continue
        scale = 1.0
        while abs(variances[-1] - 1) >= tol and len(variances) <= max_iter and variances[-1] > 0:
            factor = 1 / math.sqrt(variances[-1])
            weight.assign(weight * factor)
            scale *= factor
            z, a = _forward(layer, inputs)
            variances.append(float(np.var(z.numpy().astype(np.float64))))
        iterations = len(variances) - 1
        converged = abs(variances[-1] - 1) < tol
        if converged:
            note = f"Var(z) = {variances[-1]:.4g} after {iterations} rescaling{'s' if iterations != 1 else ''}"
        elif variances[-1] == 0:
            note = "Var(z) = 0 (constant pre-activations): cannot be rescaled"
        else:
            note = f"did not converge: Var(z) = {variances[-1]:.4g} after {iterations} rescalings (tol {tol})"
        if not converged:
            warnings.warn(f"lsuv: {layer}: {note}", LSUVWarning, stacklevel=2)
        records.append(LSUVRecord(layer.name, weight.name, tuple(variances), iterations, scale, converged,
                                  None, note, seeds[weight.ref()]))
    return records

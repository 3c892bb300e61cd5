"""Statistics of a network at initialization: parameter histograms and moments, and
what happens to a signal going forward (activations) and backward (gradients).

NumPy and TensorFlow only; :mod:`neuwidgets.plotting` draws these records. Sampling
never reads or changes NumPy's, Python's or TensorFlow's global random state.

Two kinds of records, each a small dataclass that also reads like a dict
(``record["std"]``) and converts with ``record.asdict()``:

- :class:`ParameterStats`, one per distinct ``tf.Variable`` (:func:`weight_stats`,
  :func:`parameter_stats`);
- :class:`ActivationStats`, one per layer after the input (:func:`activation_stats`).
"""
import dataclasses
import math
import numbers
from typing import Any, Optional, Tuple

import numpy as np
from ._tensorflow import tf

from . import init
from .errors import InvalidTypeError, InvalidValueError, ShapeError, shown
from .layers.base import Layer, Transposed
from .shapes import format_shape

__all__ = ["ParameterStats", "ActivationStats", "parameter_stats", "weight_stats",
           "activation_stats", "activation_memory", "SATURATION_THRESHOLD", "ACTIVATION_MEMORY_LIMIT"]

#: Most memory, in bytes, :func:`activation_stats` may need (see
#: :func:`activation_memory`): 2 GiB. None: no limit. Wider networks or more samples are
#: refused before anything is allocated.
ACTIVATION_MEMORY_LIMIT = 2 * 1024 ** 3
#: A tanh unit is saturated when |a| > 0.99; a logistic one when a < 0.01 or a > 0.99.
SATURATION_THRESHOLD = 0.99


class _Record:
    """Dict-like read access for the record dataclasses."""

    def __getitem__(self, key):
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    def keys(self):
        return [field.name for field in dataclasses.fields(self)]

    def get(self, key, default=None):
        return getattr(self, key) if key in self.keys() else default

    def asdict(self):
        """``{field: value}``; ``counts`` and ``edges`` stay NumPy arrays."""
        return {key: getattr(self, key) for key in self.keys()}


@dataclasses.dataclass(eq=False)
class ParameterStats(_Record):
    """Statistics of one parameter variable (a weight or a bias).

    - ``layers``: names of every layer using this variable, the owner (the first in
      the network) first; more than one for a shared parameter.
    - ``parameter``: the owner's parameter name (``"weight"``, ``"bias"``).
    - ``shape``: the variable's shape, e.g. ``(n_inputs, n_units)`` for a weight.
    - ``mean``, ``std``, ``min``, ``max``: of the variable's values (float).
    - ``expected_std``: the initializer's :meth:`~neuwidgets.init.Initializer.expected_std`
      for ``shape`` when the owner's value is an :class:`~neuwidgets.init.Initializer`;
      None for arrays, tensors, ``tf.Variable`` values and callables.
    - ``counts`` (int array, ``(bins,)``) and ``edges`` (float array, ``(bins + 1,)``):
      ``numpy.histogram`` of the values; ``counts.sum()`` is the variable's size.
    - ``initializer``: the owner's Initializer, or None; ``label``: a short text for
      the value (the initializer's repr, ``<tf.Variable 'name'>``, ``array``, ...).
    - ``variable``: the variable's name (``layer/relu-1/weight:0``).
    """

    layers: Tuple[str, ...]
    parameter: str
    shape: Tuple[int, ...]
    mean: float
    std: float
    min: float
    max: float
    expected_std: Optional[float]
    counts: np.ndarray
    edges: np.ndarray
    initializer: Optional[Any] = None
    label: str = ""
    variable: str = ""

    @property
    def shared(self):
        """True when more than one layer uses this variable."""
        return len(self.layers) > 1

    @property
    def size(self):
        return int(np.prod(self.shape))


@dataclasses.dataclass(eq=False)
class ActivationStats(_Record):
    """What one layer does to a random signal (see :func:`activation_stats`).

    - ``layer``, ``kind`` (class name), ``index`` (position in ``network.layers``).
    - ``saturation``: the layer's ``saturation`` (``"symmetric"``, ``"logistic"``, None).
    - ``mean``, ``std``, ``min``, ``max``: of the layer's outputs (activations ``a``).
    - ``pre_std``: std of the pre-activation ``z = x @ weight + bias`` (equal to ``std``
      for layers without parameters).
    - ``saturated``: fraction of outputs in the flat part of the activation
      (|a| > 0.99 for "symmetric", a < 0.01 or a > 0.99 for "logistic", else 0).
    - ``dead``: fraction of outputs exactly 0.
    - ``grad_std``: std of dL/dz over samples and units for the backward pass of a
      unit-variance Gaussian gradient at the network output.
    - ``counts`` / ``edges``: ``numpy.histogram`` of the outputs (None with ``bins=None``).
    - ``batch_statistics``: the layer normalized with the batch's own statistics, as at
      the first training step (BatchNorm), not with its moving averages.
    """

    layer: str
    kind: str
    index: int
    saturation: Optional[str]
    mean: float
    std: float
    min: float
    max: float
    pre_std: float
    saturated: float
    dead: float
    grad_std: float
    counts: Optional[np.ndarray]
    edges: Optional[np.ndarray]
    batch_statistics: bool = False


def _label(value):
    if isinstance(value, init.Initializer):
        return repr(value)
    if isinstance(value, tf.Variable):
        return f"<tf.Variable '{value.name}'>"
    if isinstance(value, np.ndarray):
        return "array"
    if isinstance(value, tf.Tensor):
        return "tensor"
    return getattr(value, "__name__", None) or type(value).__name__


def _histogram(values, bins):
    """``numpy.histogram`` of the finite values (an overflowing layer has inf), over a range
    wide enough for ``bins`` distinct edges (values that differ in their last digits only,
    as a dying signal's, would leave numpy none)."""
    finite = values[np.isfinite(values)].astype(np.float64)  # float64 edges: float32 ones run out sooner
    if finite.size == 0:
        return np.zeros(bins, dtype=np.int64), np.linspace(0.0, 1.0, bins + 1)
    low, high = float(finite.min()), float(finite.max())
    spare = max(abs(low), abs(high)) * 1e-9 * bins
    if high - low <= spare:
        low, high = _histogram_range(low, low) if low == high else (low - spare, high + spare)
    return np.histogram(finite, bins=bins, range=(low, high))


def _histogram_range(minimum, maximum):
    """The histogram's range: the values' own, or for all-equal values ``v`` (a constant)
    ``v ± max(0.5, |v|·1e-3)`` (numpy's ±0.5, widened where float32 cannot tell
    ``v ± 0.5`` from ``v``: 1e7 and above), kept inside float32."""
    if minimum != maximum:
        return minimum, maximum
    pad = max(0.5, abs(minimum) * 1e-3)
    if abs(minimum) + pad > init.FLOAT32_MAX:
        return (minimum - 2 * pad, minimum) if minimum > 0 else (minimum, minimum + 2 * pad)
    return minimum - pad, minimum + pad


def _moments(values, scale):
    """Mean and std of a float32 tensor; computed on ``values / scale`` when the sums
    overflow float32 (values of 1e20 have a variance of 1e40)."""
    mean, std = float(tf.reduce_mean(values)), float(tf.math.reduce_std(values))
    if not (np.isfinite(mean) and np.isfinite(std)) and scale > 0:
        scaled = values / scale
        mean, std = scale * float(tf.reduce_mean(scaled)), scale * float(tf.math.reduce_std(scaled))
    return mean, std


def _check_bins(bins):
    if isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins < 1:
        raise InvalidValueError(f"bins must be a positive integer, got {shown(bins)}")
    return int(bins)


def _resolve_layer(network, layer):
    if isinstance(layer, Layer):
        if network is not None and not any(item is layer for item in network.layers):
            raise InvalidValueError(f"{layer} is not in this network; layers: "
                                    f"{', '.join(item.name for item in network.layers)}")
        return layer
    if isinstance(layer, str):
        if network is None:
            raise InvalidTypeError(f"a layer name ({layer!r}) needs a network; pass the layer itself")
        return network.layer(layer)
    raise InvalidTypeError(f"layer must be a Layer or a layer name, got {type(layer).__name__} {layer!r}")


def parameter_stats(network, layer, parameter, bins=50, sharing=None):
    """Statistics of ONE parameter variable: a :class:`ParameterStats` record.

    ``network``: the :class:`~neuwidgets.network.Network` the layer belongs to (used
    to find every layer sharing the variable; the owner, the first of them in layer
    order, gives ``parameter``, ``initializer`` and ``expected_std``), or None for a
    standalone layer. ``layer``: a layer or a layer name; ``parameter``: ``"weight"``
    or ``"bias"``; ``bins``: number of histogram bins; ``sharing``: ``network.sharing()``
    when the caller has it (:func:`weight_stats` computes it once, not once per variable).

    Creates the variable if it does not exist yet. Raises :class:`InvalidValueError`
    for an unknown layer or parameter or bad ``bins``, :class:`InvalidTypeError` for a
    layer that is neither a Layer nor a name, and the layer's own
    :class:`~neuwidgets.errors.InitializerError` when sampling fails.
    """
    bins = _check_bins(bins)
    layer = _resolve_layer(network, layer)
    if parameter not in layer.parameters:
        raise InvalidValueError(f"{layer} has no parameter {shown(parameter)}; "
                                f"parameters: {', '.join(layer.parameters) or 'none'}")
    variable = layer.variable(parameter)
    if network is None:
        users = [(layer, parameter)]
    else:
        users = (sharing or network.sharing())[variable.ref()]
    # the owner: the first layer using the variable as it is (not through Transposed)
    owner, owner_parameter = next(((user, name) for user, name in users
                                   if not isinstance(user.parameters[name], Transposed)), users[0])
    value = owner.parameters[owner_parameter]
    shape = tuple(int(dim) for dim in variable.shape)
    # Moments and histogram in TensorFlow, on the variable itself: no copy of a large
    # weight to NumPy (variables are finite: layers check what initializers return).
    values = tf.reshape(variable, [-1])
    minimum, maximum = float(tf.reduce_min(values)), float(tf.reduce_max(values))
    low, high = _histogram_range(minimum, maximum)
    counts = tf.histogram_fixed_width(values, tf.constant([low, high]), nbins=bins).numpy().astype(np.int64)
    mean, std = _moments(values, max(abs(minimum), abs(maximum)))
    return ParameterStats(
        layers=tuple(dict.fromkeys(user.name for user, _ in users)), parameter=owner_parameter, shape=shape,
        mean=mean, std=std, min=minimum, max=maximum,
        expected_std=init.expected_std_of(value, shape),
        counts=counts, edges=np.linspace(low, high, bins + 1),
        initializer=value if isinstance(value, init.Initializer) else None,
        label=_label(value), variable=variable.name)


def weight_stats(network, bins=50):
    """One :class:`ParameterStats` per distinct variable of ``network``, in the order
    of ``network.variables`` (layer order; a shared variable once, listing every layer
    that uses it, the owner first). Built from :func:`parameter_stats`.

    Raises what :func:`parameter_stats` raises.
    """
    sharing = network.sharing()
    return [parameter_stats(network, layer, parameter, bins=bins, sharing=sharing)
            for (layer, parameter) in network.variables]


def activation_memory(network, n_samples):
    """Estimated bytes :func:`activation_stats` needs for ``n_samples``: float32 (4 bytes)
    values, pre-activations and gradients (3) of every sample at the input and at every
    layer after it: ``4 · 3 · n_samples · (input size + Σ output sizes)``, sizes without
    the batch axis. Compared with :data:`ACTIVATION_MEMORY_LIMIT` before anything is made."""
    sizes = [math.prod(layer.output_shape[1:]) for layer in network.layers[1:]]
    return 4 * 3 * int(n_samples) * (math.prod(network.input_shape[1:]) + sum(sizes))


def _check_memory(network, n_samples):
    needed = activation_memory(network, n_samples)
    if ACTIVATION_MEMORY_LIMIT is not None and needed > ACTIVATION_MEMORY_LIMIT:
        fits = ACTIVATION_MEMORY_LIMIT // activation_memory(network, 1)
        advice = (f"use fewer samples (at most {fits:,} fit)" if fits else
                  "not even one sample fits: use a narrower network")
        raise InvalidValueError(
            f"activation statistics of {n_samples:,} samples ({needed // (12 * n_samples):,} values each, across the "
            f"layers) need about {_bytes(needed)}, more than the limit of "
            f"{_bytes(ACTIVATION_MEMORY_LIMIT)}; {advice}, or raise neuwidgets.stats.ACTIVATION_MEMORY_LIMIT")


def _bytes(count):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if count < 1024 or unit == "PiB":
            return f"{count:,.0f} {unit}" if unit == "bytes" else f"{count:,.1f} {unit}"
        count /= 1024


def _check_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise InvalidValueError(f"seed must be None or a non-negative integer, got {shown(seed)}")
    return None if seed is None else int(seed)


def _check_inputs(network, inputs, n_samples, seed):
    seed = _check_seed(seed)
    input_shape = network.input_shape
    if input_shape is None:
        raise ShapeError(f"{network.layers[0]}: the network's input shape is unknown; "
                         "start it with an Input layer")
    expected = tuple(input_shape[1:])
    if inputs is None:
        if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise InvalidValueError(f"n_samples must be a positive integer, got {shown(n_samples)}")
        _check_memory(network, n_samples)
        rng = np.random.default_rng(seed)
        return rng.standard_normal((int(n_samples), *expected)).astype(np.float32), rng
    try:
        array = np.asarray(inputs, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(f"inputs must be numbers of shape {format_shape(input_shape)}, "
                               f"got {type(inputs).__name__} ({exc})") from None
    if array.ndim != len(input_shape) or tuple(array.shape[1:]) != expected or array.shape[0] < 1:
        raise InvalidValueError(f"inputs must have shape {format_shape(input_shape)} (at least one "
                                f"sample), got shape {tuple(array.shape)}")
    if not np.all(np.isfinite(array)):
        raise InvalidValueError("inputs must be finite, got NaN or infinity")
    _check_memory(network, len(array))
    return array, np.random.default_rng(seed)


def activation_stats(network, n_samples=1000, seed=0, inputs=None, bins=50):
    """Forward and backward statistics of every layer after the input.

    Forward: ``inputs`` (shape ``(samples, *input_shape[1:])``; by default
    ``n_samples`` draws of N(0, 1), seeded by ``seed``) go through the network in
    inference mode, except that layers with ``batch_statistics`` (BatchNorm) normalize
    with the batch's own statistics, as at the first training step (the record says
    so). Each layer gives ``(z, a)`` (:meth:`~neuwidgets.layers.Layer.forward`): for a
    dense layer ``z = x @ weight + bias`` and ``a = activation(z)``; for a convolution
    ``z = a`` = its output; a layer without parameters (``Dropout``, the identity at
    inference) has ``z = a``. Records line up with ``network.layers[1:]``; statistics
    of a convolution's outputs are over batch, positions and channels.

    Backward: ``L = sum(output * g)`` with ``g ~ N(0, 1)`` of the output's shape: a
    unit-variance gradient arrives at the output and ``grad_std`` is the std of dL/dz
    at each layer (Glorot & Bengio 2010, fig. 7). Both draws come from one
    ``numpy.random.default_rng(seed)``: the default inputs first, then ``g`` (``g``
    is its first draw when ``inputs`` are given). ``bins``: histogram bins, or None for
    no histograms (``counts`` and ``edges`` None: what the builder's depth chart needs).

    With N(0, 1) inputs (the default, 1000 samples) this reproduces the reference
    figures of Glorot & Bengio and He et al. (see tests/test_science.py).

    Returns a list of :class:`ActivationStats`. Uses ``numpy.random.default_rng(seed)``
    and leaves every global random state alone. Raises :class:`InvalidValueError` for
    inputs of the wrong shape (naming the expected and the given shape), non-finite
    inputs, a bad ``n_samples``, ``seed`` (None or an integer >= 0) or ``bins``, and
    when the estimated memory (:func:`activation_memory`) is above
    :data:`ACTIVATION_MEMORY_LIMIT`, before anything is allocated; :class:`ShapeError`
    when the network's input shape is unknown.
    """
    bins = None if bins is None else _check_bins(bins)
    x, rng = _check_inputs(network, inputs, n_samples, seed)
    entries = []  # (layer, z, a)
    with tf.GradientTape(watch_accessed_variables=False) as tape:  # dL/dz only, not dL/dweight
        a = tf.constant(x)
        tape.watch(a)
        for index, layer in enumerate(network.layers):
            if layer.starts_network:
                continue
            z, a = layer.forward(a, training=layer.batch_statistics)
            entries.append((index, layer, z, a))
        upstream = tf.constant(rng.standard_normal(tuple(a.shape)).astype(np.float32))
        loss = tf.reduce_sum(a * upstream)
    gradients = tape.gradient(loss, [z for _, _, z, _ in entries],
                              unconnected_gradients=tf.UnconnectedGradients.ZERO)
    records = []
    for (index, layer, z, a), grad in zip(entries, gradients):
        values = a.numpy().ravel()  # moments accumulate in float64 below
        saturation = getattr(layer, "saturation", None)
        if saturation == "symmetric":
            saturated = float(np.mean(np.abs(values) > SATURATION_THRESHOLD))
        elif saturation == "logistic":
            saturated = float(np.mean((values < 1 - SATURATION_THRESHOLD) | (values > SATURATION_THRESHOLD)))
        else:
            saturated = 0.0
        counts, edges = (None, None) if bins is None else _histogram(values, bins)
        records.append(ActivationStats(
            layer=layer.name, kind=type(layer).__name__, index=index, saturation=saturation,
            mean=float(values.mean(dtype=np.float64)), std=float(values.std(dtype=np.float64)),
            min=float(values.min()), max=float(values.max()),
            pre_std=float(z.numpy().std(dtype=np.float64)),
            saturated=saturated, dead=float(np.mean(values == 0)), batch_statistics=layer.batch_statistics,
            grad_std=float(grad.numpy().std(dtype=np.float64)),
            counts=counts, edges=edges))
    return records


# Signal propagation theory (neuwidgets.theory imports _check_inputs from here when called).
from .theory import MeanField, critical_weight_variance, jacobian_singular_values, mean_field, signal_propagation  # noqa: E402,F401

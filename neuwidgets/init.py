"""Initializers: how the initial value of a parameter (weight, bias) is sampled.

The classes and their parameters follow NeuPy 0.8.2 (``neupy.init``), including its
``gain`` convention: with the default ``gain=1.0`` :class:`HeNormal` has LeCun's
variance ``1/fan_in`` and :class:`XavierNormal` half of Glorot's; ``gain=2`` gives the
textbook He (2015) and Glorot (2010) variances. :class:`TruncatedNormal` and
:class:`VarianceScaling` follow Keras' definitions.

Every initializer samples a float32 tensor of the requested shape with
:meth:`Initializer.sample`, states the standard deviation it samples with
:meth:`Initializer.expected_std`, and serializes with :meth:`Initializer.get_config` /
:func:`from_config`. A custom initializer subclasses :class:`Initializer` and defines
``sample(self, shape)``, returning a TensorFlow tensor or a NumPy array.
"""
import hashlib
import inspect
import math
import numbers
import random
import weakref

import numpy as np

from .errors import InitializerError, InvalidTypeError, InvalidValueError, shown

__all__ = [
    "Initializer", "Constant", "Normal", "Uniform", "TruncatedNormal", "Orthogonal",
    "HeNormal", "HeUniform", "XavierNormal", "XavierUniform", "VarianceScaling", "DeltaOrthogonal",
    "fans", "from_config", "derive_seed", "BUILTINS", "RECIPES",
]

# Seeds for initializers created without ``seed=``. A private generator: sampling
# never reads or changes NumPy's, Python's or TensorFlow's global random state.
_fresh_seeds = random.Random()

# std of a standard normal truncated at ±2 (Keras' correction for truncated normals).
TRUNCATED_STD = 0.87962566103423978


def fans(shape):
    """Fan-in and fan-out of a parameter of ``shape`` (NeuPy and Keras convention).

    ``(n,)`` gives ``(n, 1)``; ``(a, b)`` gives ``(a, b)``; for rank >= 3 (convolution
    kernels, channels last) the receptive field ``rf = prod(shape[:-2])`` multiplies
    both: ``(shape[-2] * rf, shape[-1] * rf)``.

    Raises :class:`InvalidValueError` for an empty shape or a non-positive dimension.
    """
    shape = _check_shape(shape)
    if len(shape) == 1:
        return shape[0], 1
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


#: Largest float32 magnitude (a larger value, bound or scale is infinity in float32) and
#: the smallest normal one (a smaller std, gain or scale samples zeros).
FLOAT32_MAX = 3.4028234663852886e38
FLOAT32_TINY = 1.1754943508222875e-38
#: Most values one sample may hold (2**31 - 1, 8 GiB of float32): a sanity limit.
MAX_SIZE = 2 ** 31 - 1


def _check_shape(shape):
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        dims = None
    # Integers only: int(2.5) would silently truncate a dimension.
    if dims is None or isinstance(shape, str) or any(
            isinstance(dim, bool) or not isinstance(dim, numbers.Integral) for dim in dims):
        raise InvalidTypeError(f"shape must be a tuple of positive integers, got {shown(shape)}")
    shape = tuple(int(dim) for dim in dims)
    if not shape or any(dim < 1 for dim in shape):
        raise InvalidValueError(f"shape must be a non-empty tuple of positive integers, got {shown(shape)}")
    if math.prod(shape) > MAX_SIZE:
        raise InvalidValueError(f"shape {shown(shape)} holds {shown(math.prod(shape))} values, more than "
                                f"{MAX_SIZE:,} (neuwidgets.init.MAX_SIZE); expected a smaller shape")
    return shape


def _check_number(owner, name, value, positive=False):
    """``value`` as a plain ``int`` or ``float`` (NumPy scalars too: ``np.float32(0.1)``
    becomes ``0.1``, its shortest text, not ``0.10000000149011612``), or a clear error:
    not a number (a bool is not), not finite, beyond float32 (|value| > FLOAT32_MAX), or,
    when ``positive`` (a std, gain or scale), not at least FLOAT32_TINY."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidTypeError(f"{owner}: {name} must be a number, got {shown(value)}")
    # A plain Python number: configs stay JSON-ready and reprs read Normal(std=0.1), not np.float32(...).
    if isinstance(value, numbers.Integral):
        value = int(value)
    elif isinstance(value, np.floating):
        value = float(str(value))  # the shortest text that is this number in its own precision
    else:
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValueError(f"{owner}: {name} must be finite, got {shown(value)}")
    if abs(value) > FLOAT32_MAX:
        raise InvalidValueError(f"{owner}: {name} must fit in float32 (|{name}| at most {FLOAT32_MAX:.4g}), "
                                f"got {shown(value)}")
    if positive and value <= 0:
        raise InvalidValueError(f"{owner}: {name} must be greater than 0, got {shown(value)}")
    if positive and value < FLOAT32_TINY:
        raise InvalidValueError(f"{owner}: {name} is too small for float32, got {shown(value)}; expected at "
                                f"least {FLOAT32_TINY:.4g} (a subnormal {name} samples zeros)")
    return value


#: How many std from the mean a normal sample may reach (a 2**31-value sample reaches 6.3).
NORMAL_REACH = 7


def _check_spread(owner, mean, std, reach):
    """``mean ± reach·std`` (where the samples go) must stay inside float32."""
    if abs(mean) + reach * std > FLOAT32_MAX:
        raise InvalidValueError(f"{owner}: mean ± {reach:g}·std must fit in float32 (at most {FLOAT32_MAX:.4g}), "
                                f"got mean={shown(mean)}, std={shown(std)}")


def derive_seed(seed, layer, parameter):
    """The seed of ``parameter`` of layer ``layer`` in a design whose seed is ``seed``:
    an integer in [0, 2**63), the first 8 bytes of the BLAKE2b hash of the three (the
    same three always give the same seed; changing any one gives an unrelated one)."""
    digest = hashlib.blake2b(f"{seed}\0{layer}\0{parameter}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def _check_seed(owner, seed):
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2 ** 63:
        raise InvalidValueError(f"{owner}: seed must be None or an integer from 0 to 2**63 - 1, got {shown(seed)}")
    return int(seed)


class Initializer:
    """Base class of every initializer.

    Subclasses define ``sample(self, shape)`` returning a tensor or array of exactly
    ``shape``; the layer converts the result to a float32 ``tf.Variable``. Parameters
    are the ``__init__`` arguments, stored as attributes of the same name: that is
    all :meth:`get_config`, ``repr`` and saved designs need.
    """

    #: Human-readable formula of what is sampled (shown in the builder).
    formula = None
    #: Parameters printed positionally in the repr (NeuPy: ``Constant(3)``).
    _positional = ()
    #: The builder's slider of each numeric parameter: ``{parameter: (low, high, log)}``,
    #: spanning ``low``..``high`` (in the parameter's units), on a log scale where ``log``.
    ranges = {}
    #: The seed a design gives this parameter when the initializer has no ``seed`` of its
    #: own (:func:`derive_seed` of the design's seed, the layer and the parameter; set
    #: when a design with a seed is built). None: a fresh seed every time it samples.
    design_seed = None

    def sample(self, shape):
        """Return initial values of ``shape`` (a tuple of positive ints): a ``tf.Tensor`` or a
        NumPy array of numbers of exactly that shape (any numeric dtype: the layer makes
        it a float32 variable and raises :class:`InitializerError` for anything else)."""
        raise NotImplementedError(f"{type(self).__name__} must define sample(self, shape)")

    def expected_std(self, shape):
        """Theoretical standard deviation of the values sampled for ``shape``, or None."""
        return None

    def density(self, shape, x):
        """The density sampled for ``shape`` at the values ``x`` (an array):
        ``("curve", y)`` with ``y`` shaped like ``x`` (per unit of parameter value),
        ``("constant", value)`` for a single value, or None where there is no closed
        form (the default: a custom initializer's histogram is drawn without a guessed
        curve; one that knows its density defines this)."""
        return None

    def keras_code(self, shape):
        """Python code of the Keras initializer sampling what this one samples for
        ``shape`` (``"keras.initializers.HeNormal(seed=1)"``), or None where Keras has
        none (the export then calls this initializer through ``FromNeuwidgets``)."""
        return None

    def get_config(self):
        """``{"name": class name, "params": {parameter: value}}``, JSON-ready."""
        params = {}
        for name in signature(type(self)).parameters:
            if hasattr(self, name):
                value = getattr(self, name)
                params[name] = value.item() if isinstance(value, np.generic) else value  # plain numbers
        return {"name": type(self).__name__, "params": params}

    def __repr__(self):
        params = self.get_config()["params"]
        parts = [repr(params.pop(name)) for name in self._positional if name in params]
        parts += [f"{key}={value!r}" for key, value in params.items()
                  if not (key == "seed" and value is None)]
        return f"{type(self).__name__}({', '.join(parts)})"

    def seed_tensor(self):
        """The stateless seed to sample with, an int64 tensor ``[seed, 0]``: the
        initializer's own ``seed``, else its :attr:`design_seed`, else a fresh one from
        a private generator (global random state is never read or changed). A custom
        initializer samples reproducibly from its design's seed with, e.g.,
        ``tf.random.stateless_normal(shape, self.seed_tensor())``."""
        from ._tensorflow import tf
        seed = getattr(self, "seed", None)
        if seed is None:
            seed = self.design_seed
        if seed is None:
            seed = _fresh_seeds.getrandbits(31)
        return tf.constant([seed, 0], dtype=tf.int64)

    @classmethod
    def check_ranges(cls, params, where):
        """Raise :class:`InvalidValueError` naming ``where``, the parameter, the value and
        the slider's span unless every parameter of ``params`` that has a slider
        (:attr:`ranges`) is a finite number within it (the values a slider can send)."""
        for name, (low, high, _) in cls.ranges.items():
            if name not in params:
                continue
            value = params[name]
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
                    or not low <= value <= high:
                raise InvalidValueError(f"{where}: {cls.__name__} {name} from the slider must be a number from "
                                        f"{low:g} to {high:g}, got {value!r}"[:300])


def _normal_pdf(x, mean, std):
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


#: P(|N(0, 1)| < 2): the mass a normal truncated at ±2σ keeps.
_TRUNCATED_MASS = math.erf(2 / math.sqrt(2))


def _density(distribution, x, mean, std, sigma=None):
    """``("curve", y)`` of a ``"normal"``, ``"uniform"`` (mean ± √3·std) or
    ``"truncated_normal"`` (N(mean, sigma²) cut at ±2·sigma) distribution at ``x``."""
    x = np.asarray(x, dtype=np.float64)
    if distribution == "uniform":
        limit = math.sqrt(3.0) * std
        return "curve", np.where(np.abs(x - mean) <= limit, 1.0 / (2 * limit), 0.0)
    if distribution == "truncated_normal":
        return "curve", np.where(np.abs(x - mean) <= 2 * sigma, _normal_pdf(x, mean, sigma) / _TRUNCATED_MASS, 0.0)
    return "curve", _normal_pdf(x, mean, std)


def _keras(name, **arguments):
    """``keras.initializers.<name>(argument=value, ...)`` (seed left out when None)."""
    parts = [f"{key}={value!r}" for key, value in arguments.items() if not (key == "seed" and value is None)]
    return f"keras.initializers.{name}({', '.join(parts)})"


class Constant(Initializer):
    """Every value equals ``value``. std 0."""

    formula = "every entry = value"
    _positional = ("value",)
    ranges = {"value": (-1.0, 1.0, False)}

    def __init__(self, value=0):
        self.value = _check_number("Constant", "value", value)

    def sample(self, shape):
        from ._tensorflow import tf
        return tf.fill(_check_shape(shape), tf.constant(self.value, tf.float32))

    def expected_std(self, shape):
        return 0.0

    def density(self, shape, x):
        return "constant", float(self.value)

    def keras_code(self, shape):
        return _keras("Constant", value=self.value)


class Normal(Initializer):
    """Normal distribution N(mean, std²) (NeuPy ``init.Normal``), in the parameter's units.

    ``mean``: any finite number; ``std`` > 0; ``seed``: None or an integer (the same seed
    and shape give the same values). Raises :class:`InvalidValueError` /
    :class:`InvalidTypeError` for anything else.
    """

    formula = "N(mean, std²)"
    ranges = {"mean": (-1.0, 1.0, False), "std": (1e-4, 10.0, True)}

    def __init__(self, mean=0, std=0.01, seed=None):
        self.mean = _check_number("Normal", "mean", mean)
        self.std = _check_number("Normal", "std", std, positive=True)
        _check_spread("Normal", self.mean, self.std, NORMAL_REACH)
        self.seed = _check_seed("Normal", seed)

    def sample(self, shape):
        from ._tensorflow import tf
        return tf.random.stateless_normal(_check_shape(shape), self.seed_tensor(), self.mean, self.std)

    def expected_std(self, shape):
        return float(self.std)

    def density(self, shape, x):
        return _density("normal", x, self.mean, self.std)

    def keras_code(self, shape):
        return _keras("RandomNormal", mean=self.mean, stddev=self.std, seed=self.seed)


class Uniform(Initializer):
    """Uniform distribution U[minval, maxval) (NeuPy ``init.Uniform``); std (maxval - minval)/√12."""

    formula = "U[minval, maxval)"
    _positional = ("minval", "maxval")
    ranges = {"minval": (-2.0, 2.0, False), "maxval": (-2.0, 2.0, False)}

    def __init__(self, minval=0, maxval=1, seed=None):
        self.minval = _check_number("Uniform", "minval", minval)
        self.maxval = _check_number("Uniform", "maxval", maxval)
        if not self.minval < self.maxval:
            raise InvalidValueError(f"Uniform: minval must be less than maxval, got minval={shown(minval)}, "
                                    f"maxval={shown(maxval)}")
        # sampled in float32 as minval + (maxval - minval) * u
        if not np.float32(self.minval) < np.float32(self.maxval):
            raise InvalidValueError(f"Uniform: minval and maxval must differ in float32, got minval={shown(minval)}, "
                                    f"maxval={shown(maxval)}; expected bounds further apart")
        if self.maxval - self.minval > FLOAT32_MAX:
            raise InvalidValueError(f"Uniform: maxval - minval must fit in float32 (at most {FLOAT32_MAX:.4g}), got "
                                    f"minval={shown(minval)}, maxval={shown(maxval)}")
        self.seed = _check_seed("Uniform", seed)

    def sample(self, shape):
        from ._tensorflow import tf
        return tf.random.stateless_uniform(_check_shape(shape), self.seed_tensor(), self.minval, self.maxval)

    def expected_std(self, shape):
        return (self.maxval - self.minval) / math.sqrt(12)

    def density(self, shape, x):
        return _density("uniform", x, (self.minval + self.maxval) / 2, self.expected_std(shape))

    def keras_code(self, shape):
        return _keras("RandomUniform", minval=self.minval, maxval=self.maxval, seed=self.seed)


class TruncatedNormal(Initializer):
    """N(mean, std²) with values beyond two std redrawn (Keras ``TruncatedNormal``).

    As in Keras, ``std`` is that of the normal before truncation; the sampled std is
    ``0.8796 · std``.
    """

    formula = "N(mean, std²) truncated at ±2·std"
    ranges = Normal.ranges

    def __init__(self, mean=0, std=0.05, seed=None):
        self.mean = _check_number("TruncatedNormal", "mean", mean)
        self.std = _check_number("TruncatedNormal", "std", std, positive=True)
        _check_spread("TruncatedNormal", self.mean, self.std, 2)
        self.seed = _check_seed("TruncatedNormal", seed)

    def sample(self, shape):
        from ._tensorflow import tf
        return tf.random.stateless_truncated_normal(_check_shape(shape), self.seed_tensor(), self.mean, self.std)

    def expected_std(self, shape):
        return self.std * TRUNCATED_STD

    def density(self, shape, x):
        return _density("truncated_normal", x, self.mean, None, sigma=self.std)

    def keras_code(self, shape):
        return _keras("TruncatedNormal", mean=self.mean, stddev=self.std, seed=self.seed)


def _flat_matrix_shape(shape):
    shape = _check_shape(shape)
    if len(shape) < 2:
        raise InvalidValueError(f"Orthogonal: needs a shape of rank 2 or more, got {shape!r}")
    return math.prod(shape[:-1]), shape[-1]


def _orthogonal(shape, scale, seed):
    """``scale`` × a random matrix with orthonormal rows or columns, reshaped to ``shape``."""
    from ._tensorflow import tf
    rows, cols = _flat_matrix_shape(shape)
    gaussian = tf.random.stateless_normal((max(rows, cols), min(rows, cols)), seed)
    q, r = tf.linalg.qr(gaussian)
    q *= tf.sign(tf.linalg.diag_part(r))  # unique, uniformly distributed Q
    if rows < cols:
        q = tf.transpose(q)
    return tf.reshape(scale * q, _check_shape(shape))


class Orthogonal(Initializer):
    """Orthogonal matrix times ``scale`` (Saxe et al. 2014, arXiv 1312.6120).

    For a ``(rows, cols)`` shape the QR decomposition of a Gaussian matrix gives
    orthonormal columns (rows >= cols, ``W.T @ W = I``) or rows (``W @ W.T = I``).
    Rank > 2 is flattened to ``(prod(shape[:-1]), shape[-1])``. Rank < 2 raises
    :class:`InvalidValueError`. std ``scale / √max(rows, cols)``.
    """

    formula = "scale · orthonormal (QR of a Gaussian)"
    ranges = {"scale": (0.01, 10.0, True)}

    def __init__(self, scale=1.0, seed=None):
        self.scale = _check_number("Orthogonal", "scale", scale)
        self.seed = _check_seed("Orthogonal", seed)

    def sample(self, shape):
        return _orthogonal(shape, self.scale, self.seed_tensor())

    def expected_std(self, shape):
        rows, cols = _flat_matrix_shape(shape)
        return abs(self.scale) / math.sqrt(max(rows, cols))

    def density(self, shape, x):
        # the entries of a large random orthogonal matrix are close to N(0, 1/n) (Jiang 2006)
        return _density("normal", x, 0.0, self.expected_std(shape))

    def keras_code(self, shape):
        return _keras("Orthogonal", gain=self.scale, seed=self.seed)


class _FanScaled(Initializer):
    """Zero-mean distribution whose variance is ``gain / n`` for a fan ``n``."""

    distribution = None  # "normal" or "uniform"
    ranges = {"gain": (0.01, 100.0, True)}

    def __init__(self, gain=1.0, seed=None):
        self.gain = _check_number(type(self).__name__, "gain", gain, positive=True)
        self.seed = _check_seed(type(self).__name__, seed)

    def _fan(self, shape):
        raise NotImplementedError

    def expected_std(self, shape):
        return math.sqrt(self.gain / self._fan(shape))

    def sample(self, shape):
        from ._tensorflow import tf
        shape = _check_shape(shape)
        std = self.expected_std(shape)
        if self.distribution == "normal":
            return tf.random.stateless_normal(shape, self.seed_tensor(), 0.0, std)
        limit = math.sqrt(3.0) * std
        return tf.random.stateless_uniform(shape, self.seed_tensor(), -limit, limit)

    def density(self, shape, x):
        return _density(self.distribution, x, 0.0, self.expected_std(shape))

    def keras_code(self, shape):
        distribution = "untruncated_normal" if self.distribution == "normal" else "uniform"
        return VarianceScaling(self._keras_scale(), self._keras_mode, distribution, self.seed).keras_code(shape)


class HeNormal(_FanScaled):
    """N(0, gain / fan_in) (He et al. 2015, arXiv 1502.01852; NeuPy's gain convention:
    ``gain=2`` is He's ReLU initialization, ``gain=1`` LeCun's)."""

    formula = "N(0, gain / fan_in)"
    distribution = "normal"
    _keras_mode = "fan_in"

    def _fan(self, shape):
        return fans(shape)[0]

    def _keras_scale(self):
        return self.gain


class HeUniform(HeNormal):
    """U(±√(3·gain / fan_in)) (He et al. 2015); std √(gain / fan_in)."""

    formula = "U(±√(3·gain / fan_in))"
    distribution = "uniform"


class XavierNormal(_FanScaled):
    """N(0, gain / (fan_in + fan_out)) (Glorot & Bengio 2010, AISTATS; NeuPy's
    convention: ``gain=2`` is Glorot's 2 / (fan_in + fan_out))."""

    formula = "N(0, gain / (fan_in + fan_out))"
    distribution = "normal"
    _keras_mode = "fan_avg"

    def _fan(self, shape):
        return sum(fans(shape))

    def _keras_scale(self):
        return self.gain / 2  # Keras' fan_avg is (fan_in + fan_out) / 2


class XavierUniform(XavierNormal):
    """U(±√(3·gain / (fan_in + fan_out))) (Glorot & Bengio 2010); ``gain=2`` is Glorot
    uniform, limit √(6 / (fan_in + fan_out))."""

    formula = "U(±√(3·gain / (fan_in + fan_out)))"
    distribution = "uniform"


class VarianceScaling(Initializer):
    """Keras' ``VarianceScaling``: std √(scale / n) with ``n`` the fan-in, the fan-out or
    their mean (``mode`` ``"fan_in"``, ``"fan_out"``, ``"fan_avg"``).

    ``distribution``: ``"truncated_normal"`` (cut at ±2σ, σ divided by 0.8796 so the
    sampled std is √(scale / n)), ``"untruncated_normal"`` or ``"uniform"`` (limit
    √(3·scale / n)). Glorot is (1, fan_avg), He (2, fan_in), LeCun (1, fan_in).
    """

    formula = "std √(scale / n), n = fan_in, fan_out or (fan_in + fan_out) / 2"
    ranges = {"scale": (0.01, 100.0, True)}
    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        self.scale = _check_number("VarianceScaling", "scale", scale, positive=True)
        if mode not in self.MODES:
            raise InvalidValueError(f"VarianceScaling: mode must be one of {', '.join(self.MODES)}, got {shown(mode)}")
        if distribution not in self.DISTRIBUTIONS:
            raise InvalidValueError(
                f"VarianceScaling: distribution must be one of {', '.join(self.DISTRIBUTIONS)}, got {shown(distribution)}")
        self.mode = mode
        self.distribution = distribution
        self.seed = _check_seed("VarianceScaling", seed)

    def expected_std(self, shape):
        fan_in, fan_out = fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        return math.sqrt(self.scale / n)

    def sample(self, shape):
        from ._tensorflow import tf
        shape = _check_shape(shape)
        std = self.expected_std(shape)
        if self.distribution == "truncated_normal":
            return tf.random.stateless_truncated_normal(shape, self.seed_tensor(), 0.0, std / TRUNCATED_STD)
        if self.distribution == "untruncated_normal":
            return tf.random.stateless_normal(shape, self.seed_tensor(), 0.0, std)
        limit = math.sqrt(3.0) * std
        return tf.random.stateless_uniform(shape, self.seed_tensor(), -limit, limit)

    def density(self, shape, x):
        std = self.expected_std(shape)
        return _density(self.distribution.replace("untruncated_", ""), x, 0.0, std, sigma=std / TRUNCATED_STD)

    def keras_code(self, shape):
        if len(shape) == 1 and self.mode != "fan_in":
            # Keras counts fan_out = n for a (n,) bias, neuwidgets (NeuPy) 1: spell out the numbers.
            std = self.expected_std(shape)
            if self.distribution == "uniform":
                limit = math.sqrt(3.0) * std
                return _keras("RandomUniform", minval=-limit, maxval=limit, seed=self.seed)
            if self.distribution == "untruncated_normal":
                return _keras("RandomNormal", mean=0.0, stddev=std, seed=self.seed)
            return _keras("TruncatedNormal", mean=0.0, stddev=std / TRUNCATED_STD, seed=self.seed)
        return _keras("VarianceScaling", scale=self.scale, mode=self.mode, distribution=self.distribution,
                      seed=self.seed)


class DeltaOrthogonal(Initializer):
    """Delta-orthogonal convolution kernel (Xiao et al. 2018, arXiv 1806.05393): every tap
    zero but the centre one, an orthogonal ``(in_channels, filters)`` matrix × ``gain``
    (QR of a Gaussian, as :class:`Orthogonal`). A stride-1 "same" convolution with it
    maps each position's channel vector isometrically, times ``gain``.

    For a kernel ``(rows, cols, in_channels, filters)`` (any number of spatial axes);
    needs ``in_channels <= filters`` (rows of the centre matrix orthonormal). std
    ``gain / √(rows·cols·filters)``. Raises :class:`InvalidValueError` for another
    rank or more input channels than filters.
    """

    formula = "centre tap = gain · orthogonal, other taps 0"
    ranges = {"gain": (0.01, 10.0, True)}

    def __init__(self, gain=1.0, seed=None):
        self.gain = _check_number("DeltaOrthogonal", "gain", gain, positive=True)
        self.seed = _check_seed("DeltaOrthogonal", seed)

    @staticmethod
    def _check_kernel(shape):
        shape = _check_shape(shape)
        if len(shape) < 3:
            raise InvalidValueError(f"DeltaOrthogonal: needs a convolution kernel (rows, cols, in_channels, filters), "
                                    f"got shape {shape!r}")
        if shape[-2] > shape[-1]:
            raise InvalidValueError(f"DeltaOrthogonal: needs in_channels <= filters, got kernel {shape!r} with "
                                    f"{shape[-2]} input channels and {shape[-1]} filters; use at least "
                                    f"{shape[-2]} filters")
        return shape

    def sample(self, shape):
        from ._tensorflow import tf
        shape = self._check_kernel(shape)
        centre = _orthogonal(shape[-2:], self.gain, self.seed_tensor())  # (in, out): rows orthonormal
        return tf.scatter_nd([[dim // 2 for dim in shape[:-2]]], centre[None], shape)

    def expected_std(self, shape):
        shape = self._check_kernel(shape)
        return self.gain / math.sqrt(math.prod(shape[:-2]) * shape[-1])


def expected_std_of(value, shape):
    """``value.expected_std(shape)`` as a float when ``value`` is an :class:`Initializer`;
    None for anything else, where no theory applies, or when a custom initializer's own
    ``expected_std`` raises (what it samples is then shown without a theory)."""
    if not isinstance(value, Initializer):
        return None
    try:
        std = value.expected_std(tuple(shape))
        return None if std is None else float(std)
    except Exception:
        return None


#: The built-in initializers by name, in the order the builder lists them.
BUILTINS = {cls.__name__: cls for cls in (
    Constant, Normal, Uniform, TruncatedNormal, Orthogonal,
    HeNormal, HeUniform, XavierNormal, XavierUniform, VarianceScaling, DeltaOrthogonal)}


#: The standard recipes the builder applies to every layer's kernel parameter in one step
#: (NeuPy's gain convention: ``gain=2`` is the textbook He and Glorot; ``HeNormal(gain=1)`` is LeCun's).
RECIPES = {
    "std 0.01": Normal(std=0.01),
    "N(0, 1)": Normal(std=1.0),
    "Xavier": XavierNormal(gain=2),
    "He": HeNormal(gain=2),
    "LeCun": HeNormal(gain=1.0),
    "Orthogonal": Orthogonal(scale=1.0),
}


_SIGNATURES = weakref.WeakKeyDictionary()  # a class forgotten (custom code redefined) leaves nothing here


def signature(cls):
    """``inspect.signature(cls)``: the parameters of an initializer class's ``__init__``
    without ``self``; computed once per class (configs are read per parameter per edit)."""
    if cls not in _SIGNATURES:
        _SIGNATURES[cls] = inspect.signature(cls)
    return _SIGNATURES[cls]


def from_config(config, custom=None):
    """Rebuild an initializer from :meth:`Initializer.get_config`'s output.

    ``custom`` maps names to user-defined :class:`Initializer` subclasses.
    Raises :class:`NeuwidgetsError` for an unknown name or parameters the class does
    not accept (and the class's own errors for invalid values).
    """
    if not isinstance(config, dict) or not isinstance(config.get("name"), str):
        raise InvalidTypeError(f"an initializer config is a dict with a 'name', got {shown(config)}")
    classes = {**BUILTINS, **(custom or {})}
    name, params = config["name"], config.get("params") or {}
    if name not in classes:
        raise InvalidValueError(f"unknown initializer {shown(name, 40)}; expected one of {', '.join(classes)}"[:300])
    if not isinstance(params, dict) or not all(isinstance(key, str) for key in params):
        raise InvalidTypeError(f"{name}: params must be a dict of parameter names, got {shown(params)}")
    try:
        signature(classes[name]).bind(**params)
    except TypeError as exc:
        raise InvalidTypeError(f"{name}: {shown(str(exc), 100)[1:-1]}; got params {shown(params)}") from None
    return classes[name](**params)


def as_float32(value, shape, where):
    """Check a sampled ``value`` and return it as a float32 tensor of ``shape``.

    ``where`` names the layer and parameter for messages. Raises
    :class:`NeuwidgetsError` for non-numbers, a wrong shape, NaN or infinity.
    """
    from ._tensorflow import tf
    try:
        tensor = tf.convert_to_tensor(value)
    except (TypeError, ValueError) as exc:
        raise InitializerError(f"{where}: expected numbers of shape {tuple(shape)}, got {type(value).__name__} ({exc})") from exc
    if not (tensor.dtype.is_floating or tensor.dtype.is_integer or tensor.dtype.is_bool):
        raise InitializerError(f"{where}: expected numbers of shape {tuple(shape)}, got {type(value).__name__} of {tensor.dtype.name}")
    if tuple(tensor.shape) != tuple(shape):
        raise InitializerError(f"{where}: expected shape {tuple(shape)}, got shape {tuple(tensor.shape)}")
    tensor = tf.cast(tensor, tf.float32)
    if not bool(tf.reduce_all(tf.math.is_finite(tensor))):
        raise InitializerError(f"{where}: values must be finite, got NaN or infinity")
    return tensor


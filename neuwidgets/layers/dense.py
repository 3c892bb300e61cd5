"""Dense layers: ``output = activation(x @ weight + bias)``, weight ``(n_inputs, n_units)``,
bias ``(n_units,)`` (NeuPy's ``Linear`` family), and ``Dropout``."""
import math
import numbers

import tensorflow as tf

from .. import init
from ..errors import InvalidTypeError, InvalidValueError, ShapeError
from .base import Layer, Transposed, format_shape

class _Default:
    """The ``weight`` default: the class's :attr:`Linear.default_weight`."""

    def __repr__(self):
        return "<default_weight>"


_DEFAULT = _Default()


class Linear(Layer):
    """Fully connected layer without activation: ``x @ weight + bias``.

    ``n_units``: positive integer, the number of outputs. ``weight``: an
    :class:`~neuwidgets.init.Initializer` (default ``HeNormal()``, ``HeNormal(gain=2)``
    for :class:`Relu`), a number (``Constant``), a NumPy array or ``tf.Tensor`` of shape
    ``(n_inputs, n_units)``, a ``tf.Variable`` (used as is: this shares it), or a callable
    ``(shape, dtype)``. ``bias``: the same with shape ``(n_units,)``, default ``0``;
    ``None`` for no bias. Input shape ``(None, n_inputs)``, output ``(None, n_units)``.

    Raises :class:`InvalidTypeError` / :class:`InvalidValueError` for bad ``n_units`` or
    parameter values, naming the layer and what was expected.
    """

    parameter_names = ("weight", "bias")
    #: How outputs saturate: "symmetric" (|a| near 1), "logistic" (a near 0 or 1) or None.
    saturation = None
    default_weight = init.HeNormal()
    #: Extra keyword options of the activation, with their defaults (``alpha``).
    options = {}

    def __init__(self, n_units=None, weight=_DEFAULT, bias=0, name=None, **options):
        super().__init__(name)
        if n_units is not None:
            if isinstance(n_units, bool) or not isinstance(n_units, numbers.Integral):
                raise InvalidTypeError(f"{self}: n_units must be a positive integer, got {n_units!r}")
            if n_units < 1:
                raise InvalidValueError(f"{self}: n_units must be a positive integer, got {n_units!r}")
            n_units = int(n_units)
        self.n_units = n_units
        for key, value in options.items():
            if key not in self.options:
                raise InvalidTypeError(f"{self}: unexpected argument {key!r}")
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise InvalidTypeError(f"{self}: {key} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise InvalidValueError(f"{self}: {key} must be a finite number, got {value!r}")
            options[key] = int(value) if isinstance(value, numbers.Integral) else float(value)
        self.__dict__.update({**self.options, **options})
        self._set_parameter("weight", self.default_weight if weight is _DEFAULT else weight)
        if bias is not None:
            self._set_parameter("bias", bias)
        self._named()

    def get_output_shape(self, input_shape):
        if self.n_units is None:
            raise ShapeError(f"{self}: n_units is not set; expected a positive integer")
        if len(input_shape) != 2:
            raise ShapeError(f"{self} expects input of shape (?, n_inputs), got {format_shape(input_shape)}")
        expected = {"weight": (input_shape[-1], self.n_units), "bias": (self.n_units,)}
        for parameter, value in self.parameters.items():
            if hasattr(value, "shape") and not callable(value) and tuple(value.shape) != expected[parameter]:
                label = (f"variable '{value.name}'" if isinstance(value, tf.Variable) else
                         f"transposed variable '{value.variable.name}'" if isinstance(value, Transposed) else "array")
                raise ShapeError(f"{self}: its {parameter} {label} has shape {tuple(value.shape)}, "
                                 f"expected {expected[parameter]}")
        return (None, self.n_units)

    def parameter_shapes(self):
        shapes = {"weight": (self.input_shape[-1], self.n_units)}
        if "bias" in self.parameters:
            shapes["bias"] = (self.n_units,)
        return shapes

    def activation(self, z):
        """The activation function applied to ``z = x @ weight + bias``."""
        return z

    def pre_activation(self, x):
        """``z = x @ weight + bias`` for ``x`` of shape ``(batch, n_inputs)``: ``(batch, n_units)``."""
        z = tf.matmul(x, self.parameter_tensor("weight"))
        return z + self.parameter_tensor("bias") if "bias" in self.parameters else z

    def output(self, x, training=False):
        return self.activation(self.pre_activation(x))

    def __repr__(self):
        options = [f"{key}={getattr(self, key)!r}" for key in self.options]
        parts = [repr(self.n_units), *options, *self._repr_parameters(), f"name={self.name!r}"]
        return f"{type(self).__name__}({', '.join(parts)})"


class Sigmoid(Linear):
    """Dense layer with the logistic sigmoid 1 / (1 + exp(-z))."""
    saturation = "logistic"

    def activation(self, z):
        return tf.sigmoid(z)


class Tanh(Linear):
    """Dense layer with tanh(z)."""
    saturation = "symmetric"

    def activation(self, z):
        return tf.tanh(z)


class Relu(Linear):
    """Dense layer with max(z, alpha·z) (alpha 0: ReLU). Default weight ``HeNormal(gain=2)``."""
    default_weight = init.HeNormal(gain=2)
    options = {"alpha": 0}

    def activation(self, z):
        return tf.nn.leaky_relu(z, alpha=self.alpha) if self.alpha else tf.nn.relu(z)


class LeakyRelu(Linear):
    """Dense layer with max(z, alpha·z), alpha 0.01."""
    options = {"alpha": 0.01}

    def activation(self, z):
        return tf.nn.leaky_relu(z, alpha=self.alpha)


class Elu(Linear):
    """Dense layer with z for z > 0, alpha·(exp(z) − 1) otherwise (Clevert et al. 2015)."""
    options = {"alpha": 1.0}

    def activation(self, z):
        return tf.where(z > 0, z, self.alpha * tf.math.expm1(z))


class Softplus(Linear):
    """Dense layer with log(1 + exp(z))."""

    def activation(self, z):
        return tf.math.softplus(z)


class Softmax(Linear):
    """Dense layer with softmax over units: exp(z_i) / Σ_j exp(z_j)."""
    saturation = "logistic"

    def activation(self, z):
        return tf.nn.softmax(z, axis=-1)


class HardSigmoid(Linear):
    """Dense layer with clip(0.2·z + 0.5, 0, 1)."""
    saturation = "logistic"

    def activation(self, z):
        return tf.clip_by_value(0.2 * z + 0.5, 0.0, 1.0)


class Dropout(Layer):
    """Sets a fraction ``proba`` (0 <= proba < 1) of inputs to zero and scales the rest by
    1 / (1 − proba) when ``training=True``; the identity otherwise (Srivastava et al. 2014).
    """

    def __init__(self, proba=0.5, name=None):
        super().__init__(name)
        if isinstance(proba, bool) or not isinstance(proba, numbers.Real):
            raise InvalidTypeError(f"{self}: proba must be a number in [0, 1), got {proba!r}")
        if not 0 <= proba < 1:
            raise InvalidValueError(f"{self}: proba must be in [0, 1), got {proba!r}")
        self.proba = proba
        self._named()

    def output(self, x, training=False):
        if training and self.proba:
            return tf.nn.dropout(x, rate=self.proba)
        return x

    def __repr__(self):
        return f"Dropout(proba={self.proba!r}, name={self.name!r})"

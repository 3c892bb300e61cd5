"""Dense layers (NeuPy's ``Linear`` family): ``a = activation(x @ weight + bias)``, weight
``(n_inputs, n_units)``, bias ``(n_units,)``. Without ``n_units`` a layer only applies
its activation, to inputs of any shape (``Linear(20) >> Relu()``)."""
from .._tensorflow import tf

from .. import init
from ..errors import ShapeError
from ..shapes import format_shape
from .base import KerasHelper, Layer, Transposed
from .fields import Integer, Number, Parameter

__all__ = ["Linear", "Sigmoid", "Tanh", "Relu", "LeakyRelu", "Elu", "Softplus", "Softmax", "HardSigmoid"]

UNITS = Integer("n_units", default=None, doc="number of units (outputs); empty: only the activation")
BIAS = Parameter("bias", init.Constant(0), optional=True)


def _weight(default):
    return Parameter("weight", default, kernel=True)


class Linear(Layer):
    """Fully connected layer without activation: ``x @ weight + bias``.

    ``n_units``: positive integer, the number of outputs, or None (no parameters: the
    layer only applies its activation, shapes unchanged). ``weight``: an
    :class:`~neuwidgets.init.Initializer` (default ``HeNormal()``, ``HeNormal(gain=2)``
    for :class:`Relu`), a number (``Constant``), a NumPy array or ``tf.Tensor`` of shape
    ``(n_inputs, n_units)``, a ``tf.Variable`` (used as is: this shares it),
    :class:`~neuwidgets.layers.Transposed` (an earlier weight used transposed), or a
    callable ``(shape, dtype)``. ``bias``: the same with shape ``(n_units,)``, default
    ``0``; ``None`` for no bias. Input shape ``(None, n_inputs)``, output ``(None,
    n_units)``.

    Raises :class:`InvalidTypeError` / :class:`InvalidValueError` for bad ``n_units`` or
    parameter values, naming the layer and what was expected.
    """

    fields = (UNITS,)
    parameter_specs = (_weight(init.HeNormal()), BIAS)
    keras_weights = {"weight": "kernel", "bias": "bias"}
    #: The activation as a Keras argument: a name, or a method returning a name or a KerasHelper.
    keras_activation = None

    def active_parameters(self):
        return () if self.n_units is None else self.parameter_specs

    def compute_output_shape(self, input_shape):
        if self.n_units is None:
            return input_shape
        if len(input_shape) != 2:
            raise ShapeError(f"{self} expects input of shape (?, n_inputs), got {format_shape(input_shape)}; "
                             "flatten it first with Reshape()")
        return (None, self.n_units)

    def compute_parameter_shapes(self, input_shape):
        if self.n_units is None:
            return {}
        shapes = {"weight": (input_shape[-1], self.n_units)}
        if "bias" in self.parameters:
            shapes["bias"] = (self.n_units,)
        return shapes

    @classmethod
    def suggest(cls, input_shape):
        return {"n_units": input_shape[-1]} if len(input_shape) == 2 else {}

    def activation(self, z):
        """The activation function applied to ``z = x @ weight + bias`` (elementwise,
        except :class:`Softmax`)."""
        return z

    def pre_activation(self, x):
        """``z = x @ weight + bias`` for ``x`` of shape ``(batch, n_inputs)``; ``x`` itself
        without ``n_units``."""
        if self.n_units is None:
            return x
        z = tf.matmul(x, self.parameter_tensor("weight"))
        return z + self.parameter_tensor("bias") if "bias" in self.parameters else z

    def forward(self, x, training=False):
        z = self.pre_activation(x)
        return z, self.activation(z)

    def keras_spec(self):
        activation = self.keras_activation() if callable(self.keras_activation) else self.keras_activation
        if self.n_units is None:
            return "Activation", {"activation": activation or "linear"}
        arguments = {"units": self.n_units, "activation": activation, "use_bias": "bias" in self.parameters}
        if isinstance(self.parameters.get("weight"), Transposed):
            return "TiedDense", arguments
        return "Dense", arguments


class Sigmoid(Linear):
    """Dense layer with the logistic sigmoid 1 / (1 + exp(-z))."""
    saturation = "logistic"
    keras_activation = "sigmoid"

    def activation(self, z):
        return tf.sigmoid(z)


class Tanh(Linear):
    """Dense layer with tanh(z)."""
    saturation = "symmetric"
    keras_activation = "tanh"

    def activation(self, z):
        return tf.tanh(z)


class Relu(Linear):
    """Dense layer with max(z, alpha·z) (alpha 0: ReLU). Default weight ``HeNormal(gain=2)``
    (He et al. 2015)."""
    fields = (UNITS, Number("alpha", default=0, doc="slope for z < 0", minimum=0, maximum=1))
    parameter_specs = (_weight(init.HeNormal(gain=2)), BIAS)

    def keras_activation(self):
        return KerasHelper("leaky_relu", self.alpha) if self.alpha else "relu"

    def activation(self, z):
        return tf.nn.leaky_relu(z, alpha=self.alpha) if self.alpha else tf.nn.relu(z)


class LeakyRelu(Linear):
    """Dense layer with max(z, alpha·z), alpha 0.01 (Maas et al. 2013)."""
    fields = (UNITS, Number("alpha", default=0.01, doc="slope for z < 0", minimum=0, maximum=1))

    def keras_activation(self):
        return KerasHelper("leaky_relu", self.alpha)

    def activation(self, z):
        return tf.nn.leaky_relu(z, alpha=self.alpha)


class Elu(Linear):
    """Dense layer with z for z > 0, alpha·(exp(z) − 1) otherwise (Clevert et al. 2015)."""
    fields = (UNITS, Number("alpha", default=1.0, doc="value approached for z → −∞ is −alpha",
                            minimum=0, maximum=1e3))

    def keras_activation(self):
        return "elu" if self.alpha == 1 else KerasHelper("elu", self.alpha)

    def activation(self, z):
        return tf.where(z > 0, z, self.alpha * tf.math.expm1(z))


class Softplus(Linear):
    """Dense layer with log(1 + exp(z))."""
    keras_activation = "softplus"

    def activation(self, z):
        return tf.math.softplus(z)


class Softmax(Linear):
    """Dense layer with softmax over units: exp(z_i) / Σ_j exp(z_j)."""
    saturation = "logistic"
    keras_activation = "softmax"

    def activation(self, z):
        return tf.nn.softmax(z, axis=-1)


class HardSigmoid(Linear):
    """Dense layer with clip(0.2·z + 0.5, 0, 1) (NeuPy's; Keras' hard_sigmoid differs)."""
    saturation = "logistic"

    def keras_activation(self):
        return KerasHelper("hard_sigmoid")

    def activation(self, z):
        return tf.clip_by_value(0.2 * z + 0.5, 0.0, 1.0)

"""Normalization layers: BatchNorm (Ioffe & Szegedy 2015, arXiv 1502.03167) and
LayerNorm (Ba, Kiros & Hinton 2016, arXiv 1607.06450), over the last axis (features or
channels)."""
from .._tensorflow import tf

from .. import init
from ..errors import ShapeError
from ..shapes import format_shape
from .base import Layer
from .fields import Number, Parameter

__all__ = ["BatchNorm", "LayerNorm"]

EPSILON = Number("epsilon", default=1e-5, doc="added to the variance", minimum=0, maximum=1, open=("minimum",))
GAMMA = Parameter("gamma", init.Constant(1))
BETA = Parameter("beta", init.Constant(0))


class _Normalization(Layer):
    keras_weights = {"gamma": "gamma", "beta": "beta"}

    def compute_parameter_shapes(self, input_shape):
        return {spec.name: (input_shape[-1],) for spec in self.parameter_specs}

    def normalize(self, x, mean, variance):
        """``gamma · (x − mean) / √(variance + epsilon) + beta``."""
        scale = self.parameter_tensor("gamma") * tf.math.rsqrt(variance + self.epsilon)
        return (x - mean) * scale + self.parameter_tensor("beta")


class BatchNorm(_Normalization):
    """Batch normalization: each channel (the last axis) of ``(?, n)``, ``(?, length,
    n)`` or ``(?, height, width, n)`` normalized over the batch and positions, then
    scaled by ``gamma`` and shifted by ``beta`` (trainable, shape ``(n,)``, defaults 1
    and 0). ``moving_mean`` and ``moving_variance`` (not trainable, defaults 0 and 1)
    are what inference uses; training updates them with ``alpha`` (NeuPy's; Keras'
    momentum is 1 − alpha). ``epsilon`` is added to the variance.

    The statistics (:func:`neuwidgets.stats.activation_stats`) use batch statistics, as
    at the first training step: in training mode BN(a·Wx) = BN(Wx) for a > 0, so its
    output does not depend on the weight scale (REFERENCES §5).

    Raises :class:`ShapeError` naming the layer for inputs of rank other than 2 to 4.
    """

    fields = (Number("alpha", default=0.1, doc="update rate of the moving statistics", minimum=0, maximum=1,
                     open=("minimum", "maximum")), EPSILON)
    parameter_specs = (GAMMA, BETA, Parameter("moving_mean", init.Constant(0), trainable=False),
                       Parameter("moving_variance", init.Constant(1), trainable=False))
    keras_weights = {**_Normalization.keras_weights, "moving_mean": "moving_mean", "moving_variance": "moving_variance"}
    batch_statistics = True

    def compute_output_shape(self, input_shape):
        if not 2 <= len(input_shape) <= 4:
            raise ShapeError(f"{self} normalizes inputs of shape (?, n), (?, length, n) or (?, height, width, n), "
                             f"got {format_shape(input_shape)}")
        return input_shape

    def forward(self, x, training=False):
        if training:
            mean, variance = tf.nn.moments(x, axes=list(range(len(x.shape) - 1)))
        else:
            mean, variance = self.variable("moving_mean"), self.variable("moving_variance")
        z = self.normalize(x, mean, variance)
        return z, z

    def keras_spec(self):
        return "BatchNormalization", {"momentum": 1 - self.alpha, "epsilon": self.epsilon}


class LayerNorm(_Normalization):
    """Layer normalization: each sample normalized over its last axis (features or
    channels), then scaled by ``gamma`` and shifted by ``beta`` (shape ``(n,)``,
    defaults 1 and 0); ``epsilon`` is added to the variance. The same in training
    and inference. Any input of rank 2 or more."""

    fields = (EPSILON,)
    parameter_specs = (GAMMA, BETA)

    def forward(self, x, training=False):
        mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
        z = self.normalize(x, mean, variance)
        return z, z

    def keras_spec(self):
        return "LayerNormalization", {"axis": -1, "epsilon": self.epsilon}

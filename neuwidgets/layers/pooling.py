"""Pooling, channels last: a window's maximum or average, or one value per channel."""
from .._tensorflow import tf

from ..errors import ShapeError
from ..shapes import format_shape
from .base import Layer
from .convolution import PADDING, spatial_output
from .fields import Choice, Integers

__all__ = ["MaxPooling", "AveragePooling", "GlobalPooling"]


class _Pooling(Layer):
    """A ``size`` window (rows, cols; one number for both) moved by ``stride`` (default:
    ``size``, windows side by side) over ``(?, height, width, channels)``, with
    ``padding`` ``"valid"`` or ``"same"`` (NeuPy's ``MaxPooling`` / ``AveragePooling``).
    Output ``(?, height', width', channels)``.

    Raises :class:`ShapeError` naming the layer when the input is not an image or the
    pooling leaves no output (a window larger than the input, valid padding).
    """

    fields = (
        Integers("size", length=2, broadcast=True, doc="window: rows, cols"),
        Integers("stride", length=2, default=None, broadcast=True, doc="step of the window; empty: the size"),
        Choice("padding", PADDING, default="valid", doc="valid: no padding; same: output ⌈input / stride⌉"),
    )
    keras_class = None

    @property
    def steps(self):
        return self.stride or self.size

    def compute_output_shape(self, input_shape):
        height, width = spatial_output(self, input_shape, self.size, self.steps)
        return (None, height, width, input_shape[-1])

    @classmethod
    def suggest(cls, input_shape):
        return {"size": (2, 2)}

    def forward(self, x, training=False):
        a = self.pool(x, ksize=self.size, strides=self.steps, padding=self.padding.upper())
        return a, a

    def keras_spec(self):
        return self.keras_class, {"pool_size": self.size, "strides": self.steps, "padding": self.padding}


class MaxPooling(_Pooling):
    __doc__ = "The maximum of each window. " + _Pooling.__doc__
    keras_class = "MaxPooling2D"
    pool = staticmethod(tf.nn.max_pool2d)


class AveragePooling(_Pooling):
    __doc__ = "The average of each window (padding not counted). " + _Pooling.__doc__
    keras_class = "AveragePooling2D"
    pool = staticmethod(tf.nn.avg_pool2d)


class GlobalPooling(Layer):
    """One value per channel: the average (``"avg"``) or maximum (``"max"``) over every
    position of ``(?, ..., channels)`` (1 to 3 position axes), giving ``(?, channels)``
    (NeuPy's ``GlobalPooling``).

    Raises :class:`ShapeError` naming the layer for an input without positions (``(?, n)``).
    """

    fields = (Choice("function", ("avg", "max"), default="avg", doc="average or maximum over positions"),)

    def compute_output_shape(self, input_shape):
        if not 3 <= len(input_shape) <= 5:
            raise ShapeError(f"{self} expects input of shape (?, positions..., channels) with 1 to 3 position axes, "
                             f"got {format_shape(input_shape)}")
        return (None, input_shape[-1])

    def forward(self, x, training=False):
        reduce = tf.reduce_mean if self.function == "avg" else tf.reduce_max
        a = reduce(x, axis=list(range(1, len(x.shape) - 1)))
        return a, a

    def keras_spec(self):
        kind = "Average" if self.function == "avg" else "Max"
        return f"Global{kind}Pooling{len(self.input_shape) - 2}D", {}

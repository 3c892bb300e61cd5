"""Reshape: the same values in another shape (flatten an image for dense layers)."""
import math

from .._tensorflow import tf

from ..errors import ShapeError
from ..shapes import format_shape
from .base import Layer
from .fields import Integers

__all__ = ["Reshape"]


class Reshape(Layer):
    """Gives each sample the shape ``shape`` (without the batch dimension); one entry may
    be −1, the rest of the values: ``Reshape()`` (``shape=-1``) flattens ``(?, 7, 7,
    32)`` to ``(?, 1568)`` (NeuPy's default).

    Raises :class:`ShapeError` naming the layer when the sample's size cannot take the
    shape (``(?, 10)`` to ``(3, -1)``).
    """

    fields = (Integers("shape", length=(1, 8), default=(-1,), wildcard=True,
                       doc="new shape of one sample; -1: the rest (flatten)"),)

    def compute_output_shape(self, input_shape):
        size = math.prod(input_shape[1:])
        known = math.prod(dim for dim in self.shape if dim != -1)
        if -1 in self.shape:
            if size % known:
                raise ShapeError(f"{self} cannot reshape {format_shape(input_shape)} ({size:,} values a sample) to "
                                 f"{format_shape((None, *self.shape))}: {size:,} is not a multiple of {known:,}")
            return (None, *(size // known if dim == -1 else dim for dim in self.shape))
        if known != size:
            raise ShapeError(f"{self} cannot reshape {format_shape(input_shape)} ({size:,} values a sample) to "
                             f"{format_shape((None, *self.shape))} ({known:,} values)")
        return (None, *self.shape)

    def forward(self, x, training=False):
        a = tf.reshape(x, (-1, *self.output_shape[1:]))
        return a, a

    def keras_spec(self):
        return "Reshape", {"target_shape": self.output_shape[1:]}

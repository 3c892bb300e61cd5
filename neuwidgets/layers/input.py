"""The Input layer: the shape of what enters the network."""
from ..errors import ShapeError
from ..shapes import format_shape
from .base import Layer
from .fields import Integers

__all__ = ["Input"]


class Input(Layer):
    """The network's input: ``Input(10)`` (a vector) or ``Input((28, 28, 1))`` (an image,
    channels last).

    ``shape``: 1 to 8 positive integers, without the batch dimension. Output shape
    ``(None, *shape)``. Raises :class:`InvalidValueError` / :class:`InvalidTypeError`
    unless every dimension is a positive integer.
    """

    fields = (Integers("shape", length=(1, 8), doc="shape of one sample, without the batch dimension"),)
    starts_network = True

    def __init__(self, shape, name=None):
        super().__init__(shape, name=name)
        self.input_shape = (None, *self.shape)

    def compute_output_shape(self, input_shape):
        if tuple(input_shape) != self.input_shape:
            raise ShapeError(f"{self} expects input shape {format_shape(self.input_shape)}")
        return self.input_shape

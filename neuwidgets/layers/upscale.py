"""Upscale: each position of an image repeated (nearest-neighbour upsampling)."""
from .._tensorflow import tf
from .base import Layer
from .convolution import spatial_output
from .fields import Integers

__all__ = ["Upscale"]


class Upscale(Layer):
    """Repeats every position of ``(?, height, width, channels)`` ``scale`` times along the
    rows and the columns (NeuPy's ``Upscale``; Keras' ``UpSampling2D``): output ``(?,
    height·s_rows, width·s_cols, channels)``. ``scale``: a positive integer or ``(rows,
    cols)``. No parameters: the signal's std is unchanged.

    Raises :class:`ShapeError` naming the layer for an input that is not an image.
    """

    fields = (Integers("scale", length=2, broadcast=True, doc="how many times each row and column is repeated"),)
    padding = "same"  # for spatial_output's shape check: nothing is cut

    def compute_output_shape(self, input_shape):
        spatial_output(self, input_shape, (1, 1), (1, 1))  # an image, or a clear error
        return (None, input_shape[1] * self.scale[0], input_shape[2] * self.scale[1], input_shape[3])

    @classmethod
    def suggest(cls, input_shape):
        return {"scale": (2, 2)}

    def forward(self, x, training=False):
        a = tf.repeat(tf.repeat(x, self.scale[0], axis=1), self.scale[1], axis=2)
        return a, a

    def keras_spec(self):
        return "UpSampling2D", {"size": self.scale, "interpolation": "nearest"}

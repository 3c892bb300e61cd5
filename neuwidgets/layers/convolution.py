"""2-D convolution, channels last: input ``(?, height, width, channels)``, kernel
``(rows, cols, channels, filters)``, output ``(?, height', width', filters)``."""
import math

from .._tensorflow import tf

from .. import init
from ..errors import InvalidValueError, ShapeError
from ..shapes import format_shape
from .base import Layer
from .fields import Choice, Integers, Parameter

__all__ = ["Convolution"]

PADDING = ("valid", "same")


def spatial_output(layer, input_shape, kernel, stride, dilation=(1, 1)):
    """``(height', width')`` of a window of ``kernel`` rows × cols sliding with ``stride``
    (and ``dilation``) over an image ``input_shape`` = ``(None, height, width,
    channels)`` with ``layer.padding``: "valid" ⌈(n − k_eff + 1) / s⌉, "same" ⌈n / s⌉,
    k_eff = k + (k − 1)(d − 1) (TensorFlow's convention). Raises :class:`ShapeError`
    naming ``layer`` for another rank or a window larger than the input."""
    if len(input_shape) != 4:
        raise ShapeError(f"{layer} expects input of shape (?, height, width, channels), got "
                         f"{format_shape(input_shape)}; an image input is Input((height, width, channels))")
    sizes = []
    for n, k, s, d in zip(input_shape[1:3], kernel, stride, dilation):
        effective = k + (k - 1) * (d - 1)
        if layer.padding == "valid" and effective > n:
            dilated = f" (dilated: {effective} wide)" if effective != k else ""
            raise ShapeError(f"{layer}: its window {kernel[0]}×{kernel[1]}{dilated} is larger than the input "
                             f"{input_shape[1]}×{input_shape[2]} with padding 'valid', which leaves no output; "
                             f"expected a window of at most {input_shape[1]}×{input_shape[2]}, or padding 'same'")
        sizes.append(math.ceil((n - effective + 1) / s) if layer.padding == "valid" else math.ceil(n / s))
    return tuple(sizes)


class Convolution(Layer):
    """2-D convolution (NeuPy's ``Convolution``): ``z = conv(x, weight) + bias``, no
    activation (follow it with ``Relu()``).

    ``size``: ``(rows, cols, filters)``; ``padding``: ``"valid"`` (no padding) or
    ``"same"`` (output ⌈input / stride⌉); ``stride`` and ``dilation``: a positive
    integer or ``(rows, cols)``; they cannot both be above 1 (TensorFlow's limit).
    ``weight``: default ``HeNormal(gain=2)`` (He et al. 2015), shape ``(rows, cols,
    channels, filters)``, fans as REFERENCES §1: fan_in = rows·cols·channels, fan_out =
    rows·cols·filters. ``bias``: ``(filters,)``, default 0, None for none.

    Raises :class:`ShapeError` naming the layer for an input that is not an image or
    a window larger than it (valid padding), :class:`InvalidValueError` /
    :class:`InvalidTypeError` for bad settings.
    """

    fields = (
        Integers("size", length=3, doc="rows, cols, filters"),
        Choice("padding", PADDING, default="valid", doc="valid: no padding; same: output ⌈input / stride⌉"),
        Integers("stride", length=2, default=(1, 1), broadcast=True, doc="step of the window: rows, cols"),
        Integers("dilation", length=2, default=(1, 1), broadcast=True, doc="spacing of the kernel taps"),
    )
    parameter_specs = (Parameter("weight", init.HeNormal(gain=2), kernel=True),
                       Parameter("bias", init.Constant(0), optional=True))
    keras_weights = {"weight": "kernel", "bias": "bias"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if max(self.stride) > 1 and max(self.dilation) > 1:
            raise InvalidValueError(f"{self}: stride {self.stride} and dilation {self.dilation} cannot both be "
                                    "above 1 (TensorFlow and Keras do not support it); expected one of them (1, 1)")

    def compute_output_shape(self, input_shape):
        height, width = spatial_output(self, input_shape, self.size[:2], self.stride, self.dilation)
        return (None, height, width, self.size[2])

    def compute_parameter_shapes(self, input_shape):
        rows, cols, filters = self.size
        shapes = {"weight": (rows, cols, input_shape[-1], filters)}
        if "bias" in self.parameters:
            shapes["bias"] = (filters,)
        return shapes

    @classmethod
    def suggest(cls, input_shape):
        return {"size": (3, 3, input_shape[-1] if len(input_shape) == 4 else 16)}

    def forward(self, x, training=False):
        z = tf.nn.conv2d(x, self.parameter_tensor("weight"), strides=self.stride, padding=self.padding.upper(),
                         dilations=self.dilation)
        if "bias" in self.parameters:
            z = z + self.parameter_tensor("bias")
        return z, z

    def keras_spec(self):
        return "Conv2D", {"filters": self.size[2], "kernel_size": self.size[:2], "strides": self.stride,
                          "padding": self.padding, "dilation_rate": self.dilation,
                          "use_bias": "bias" in self.parameters}

"""Dropout (Srivastava et al. 2014, JMLR 15)."""
from .._tensorflow import tf

from .base import Layer
from .fields import Number

__all__ = ["Dropout"]


class Dropout(Layer):
    """Sets a fraction ``proba`` (0 <= proba < 1) of inputs to zero and scales the rest by
    1 / (1 − proba) when ``training=True``; the identity otherwise (and in the
    statistics, which show the network as it predicts). Any input shape."""

    fields = (Number("proba", default=0.5, doc="fraction of inputs set to zero in training",
                     minimum=0, maximum=1, open=("maximum",)),)

    def forward(self, x, training=False):
        a = tf.nn.dropout(x, rate=self.proba) if training and self.proba else x
        return a, a

    def keras_spec(self):
        return "Dropout", {"rate": self.proba}

"""Export a :class:`~neuwidgets.network.Network` to a ``keras.Model``.

Each dense layer becomes a Keras layer holding a copy of the network's current
values; a variable shared by several layers stays one Keras variable, so training the
model with ``fit`` keeps the layers tied and ``count_params`` counts it once.
"""
import keras

from .errors import InvalidValueError
from .layers import Dropout, Input, Linear


class SharedDense(keras.layers.Layer):
    """``activation(x @ kernel + bias)`` whose kernel and/or bias may be another layer's
    Keras variable. Kernel ``(n_inputs, n_units)``, bias ``(n_units,)``."""

    def __init__(self, kernel, bias, activation, **kwargs):
        super().__init__(**kwargs)
        self._given = (kernel, bias)
        self.activation = activation

    def build(self, input_shape):
        # A given keras.Variable is used as is (shared); a NumPy array becomes our own.
        self.kernel, self.bias = (
            value if isinstance(value, keras.Variable) or value is None
            else self.add_weight(shape=value.shape, initializer=keras.initializers.Constant(value), name=name)
            for value, name in zip(self._given, ("kernel", "bias")))

    def call(self, x):
        z = keras.ops.matmul(x, self.kernel)
        if self.bias is not None:
            z = z + self.bias
        return self.activation(z)


def to_keras(network):
    """Return a ``keras.Model`` computing the same function with the same initial values.

    Raises :class:`InvalidValueError` when the network does not start with an
    ``Input`` layer or holds a layer type Keras export does not know.
    """
    if not isinstance(network.layers[0], Input):
        raise InvalidValueError(f"to_keras: the network must start with an Input layer, got {network.layers[0]}")
    inputs = keras.Input(shape=network.layers[0].shape, name=network.layers[0].name)
    keras_variables = {}  # id(tf.Variable) -> keras variable already made
    x = inputs
    for layer in network.layers[1:]:
        if isinstance(layer, Dropout):
            x = keras.layers.Dropout(layer.proba, name=layer.name)(x)
            continue
        if not isinstance(layer, Linear):
            raise InvalidValueError(f"to_keras: cannot export {layer}")
        variables = layer.variables
        given = [keras_variables.get(id(variables[p]), variables[p].numpy()) if p in variables else None
                 for p in ("weight", "bias")]
        keras_layer = SharedDense(*given, activation=layer.activation, name=layer.name)
        x = keras_layer(x)
        for parameter, attribute in (("weight", "kernel"), ("bias", "bias")):
            if parameter in variables:
                keras_variables.setdefault(id(variables[parameter]), getattr(keras_layer, attribute))
    return keras.Model(inputs, x, name="neuwidgets")

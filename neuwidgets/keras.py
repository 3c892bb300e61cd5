"""Export a :class:`~neuwidgets.network.Network` to a ``keras.Model``.

Each dense layer becomes a Keras layer holding a copy of the network's current
values; a variable shared by several layers stays one Keras variable, so training the
model with ``fit`` keeps the layers tied and ``count_params`` counts it once.
"""
import keras

from .errors import InvalidValueError
from .layers import Dropout, Input, Linear, Transposed


class SharedDense(keras.layers.Layer):
    """Dense layer, activation(x @ kernel + bias), whose ``kernel`` and/or ``bias`` is
    the variable of an earlier layer (a shared parameter: one variable, trained once);
    ``transpose_kernel``: that kernel is used transposed (a tied autoencoder)."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel=None, bias=None, transpose_kernel=False, **kwargs):
        super().__init__(**kwargs)
        self.units, self.use_bias, self.transpose_kernel = units, use_bias, transpose_kernel
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self._shared = (kernel, bias)

    def build(self, input_shape):
        kernel, bias = self._shared
        shape = (self.units, input_shape[-1]) if self.transpose_kernel else (input_shape[-1], self.units)
        self.kernel = kernel if kernel is not None else self.add_weight(
            shape=shape, initializer=self.kernel_initializer, name="kernel")
        self.bias = None
        if self.use_bias:
            self.bias = bias if bias is not None else self.add_weight(
                shape=(self.units,), initializer=self.bias_initializer, name="bias")

    def call(self, x):
        z = keras.ops.matmul(x, keras.ops.transpose(self.kernel) if self.transpose_kernel else self.kernel)
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
        shared = {p: keras_variables.get(id(variable)) for p, variable in variables.items()}
        values = {p: keras.initializers.Constant(variable.numpy()) for p, variable in variables.items()}
        keras_layer = SharedDense(layer.n_units, activation=layer.activation, use_bias="bias" in variables,
                                  kernel_initializer=values["weight"], bias_initializer=values.get("bias", "zeros"),
                                  kernel=shared["weight"], bias=shared.get("bias"), name=layer.name,
                                  transpose_kernel=isinstance(layer.parameters["weight"], Transposed))
        x = keras_layer(x)
        for parameter, attribute in (("weight", "kernel"), ("bias", "bias")):
            if parameter in variables:
                keras_variables.setdefault(id(variables[parameter]), getattr(keras_layer, attribute))
    return keras.Model(inputs, x, name="neuwidgets")

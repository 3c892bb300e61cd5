"""What Keras lacks for neuwidgets' layers, used by ``Network.to_keras`` and copied as
source into exported Keras scripts (:meth:`NetworkSpec.to_code`), so that both build
the same model.

- :func:`sharing`: any Keras layer class, made to use given variables instead of
  creating its own (a shared parameter stays one variable);
- :class:`TiedDense`: a dense layer whose kernel is an earlier layer's, used
  transposed (a tied autoencoder);
- :func:`leaky_relu`, :func:`elu`, :func:`hard_sigmoid`: neuwidgets' activations
  where Keras' differ or take no option;
- :class:`FixedValues`, :class:`FromNeuwidgets`: initializers for saved values and
  custom neuwidgets initializers.

Keras is imported here only: the rest of the core imports this module lazily.
"""
import inspect

import keras
import numpy as np

#: The helpers an exported script may need, by name, in the order they are written.
HELPERS = ("sharing", "TiedDense", "leaky_relu", "elu", "hard_sigmoid", "FixedValues", "FromNeuwidgets")


def make_layer(class_name, arguments, name, shared):
    """A Keras layer of ``class_name`` (``keras.layers`` or a helper class) with
    ``arguments`` (each :class:`~neuwidgets.layers.base.KerasHelper` called), named
    ``name``, using the ``shared`` variables (``{Keras weight name: variable}``)."""
    cls = globals()[class_name] if class_name in HELPERS else getattr(keras.layers, class_name)
    arguments = {key: globals()[value.name](*value.args) if hasattr(value, "code") else value
                 for key, value in arguments.items()}
    if shared:
        return sharing(cls)(**arguments, shared=shared, name=name)
    return cls(**arguments, name=name)


def sharing(cls):
    """A subclass of the Keras layer class ``cls`` taking ``shared={weight name:
    variable}``: when it builds, those weights are the given variables (one variable,
    trained once, counted once) and the others are made as usual."""

    class Shared(cls):
        def __init__(self, *args, shared=None, **kwargs):
            self._shared_weights = dict(shared or {})
            super().__init__(*args, **kwargs)

        def add_weight(self, *args, name=None, **kwargs):
            if name in self._shared_weights:
                return self._shared_weights[name]
            return super().add_weight(*args, name=name, **kwargs)

    Shared.__name__ = Shared.__qualname__ = f"Shared{cls.__name__}"
    return Shared


class TiedDense(keras.layers.Layer):
    """activation(x @ kernelᵀ + bias): a dense layer whose ``kernel``, of shape
    ``(units, n_inputs)``, is an earlier layer's weight used transposed (a tied
    autoencoder's decoder; Vincent et al. 2010). Build it with :func:`sharing`."""

    def __init__(self, units, activation=None, use_bias=True, bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.units, self.use_bias = units, use_bias
        self.activation = keras.activations.get(activation)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(self.units, input_shape[-1]), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                    name="bias") if self.use_bias else None

    def call(self, x):
        z = keras.ops.matmul(x, keras.ops.transpose(self.kernel))
        return self.activation(z + self.bias if self.bias is not None else z)


def leaky_relu(alpha):
    """max(z, alpha·z) (neuwidgets' Relu(alpha=...) and LeakyRelu)."""
    return lambda z: keras.ops.leaky_relu(z, negative_slope=alpha)


def elu(alpha):
    """z for z > 0, alpha·(exp(z) − 1) otherwise."""
    return lambda z: keras.activations.elu(z, alpha=alpha)


def hard_sigmoid():
    """clip(0.2·z + 0.5, 0, 1): neuwidgets' (NeuPy's) HardSigmoid; Keras' own differs."""
    return lambda z: keras.ops.clip(0.2 * z + 0.5, 0.0, 1.0)


class FixedValues(keras.initializers.Initializer):
    """The fixed values of a parameter saved in the design."""

    def __init__(self, values):
        self.values = np.asarray(values, dtype="float32")

    def __call__(self, shape, dtype=None):
        if tuple(shape) != self.values.shape:
            raise ValueError(f"fixed values have shape {self.values.shape}, expected {tuple(shape)}")
        return keras.ops.convert_to_tensor(self.values, dtype=dtype)


class FromNeuwidgets(keras.initializers.Initializer):
    """A neuwidgets initializer (``sample(shape)``) called as a Keras initializer."""

    def __init__(self, initializer):
        self.initializer = initializer

    def __call__(self, shape, dtype=None):
        from neuwidgets import init
        values = init.as_float32(self.initializer.sample(tuple(shape)), tuple(shape), repr(self.initializer))
        return keras.ops.convert_to_tensor(np.asarray(values), dtype=dtype)


def source(names):
    """The source code of the helpers ``names``, in :data:`HELPERS` order, for a script."""
    return [inspect.getsource(globals()[name]).strip("\n") for name in HELPERS if name in names]

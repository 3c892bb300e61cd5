"""Networks: a chain of layers joined with ``join(a, b, ...)`` or ``a >> b``.

This module sits below the layers: it knows a layer only by the interface every
:class:`~neuwidgets.layers.Layer` has (``name``, ``input_shape``,
``get_output_shape``, ``variables``, ``forward``, ``keras_layer``), so layer kinds
import it and never the other way round.
"""
import math
import numbers
import sys

import numpy as np
from ._tensorflow import tf

from .errors import InvalidTypeError, InvalidValueError, ShapeError, shown
from .shapes import format_shape


def _is_layer(item):
    return callable(getattr(item, "get_output_shape", None)) and hasattr(item, "parameter_specs")


def join(*items):
    """Join layers and networks, in order, into one :class:`Network`.

    Shapes are checked now: raises :class:`ShapeError` naming both layers and both
    shapes when a layer's output cannot feed the next, :class:`InvalidValueError` when
    a layer appears twice (a cycle), :class:`InvalidTypeError` for anything that is
    not a layer or a network.
    """
    layers = []
    for item in items:
        if isinstance(item, Network):
            layers.extend(item.layers)
        elif _is_layer(item):
            layers.append(item)
        else:
            raise InvalidTypeError(f"join: expected layers or networks, got {type(item).__name__} {item!r}"[:300])
    return Network(layers)


class Network:
    """A chain of layers with known shapes and lazily created ``tf.Variable``s.

    Prints as ``(?, 10) -> [... 3 layers ...] -> (?, 15)``. Create it with
    :func:`join` or ``>>``.
    """

    def __init__(self, layers):
        layers = list(layers)
        if not layers:
            raise InvalidValueError("a network needs at least one layer, got none")
        seen = {}
        for layer in layers:
            if id(layer) in seen:
                raise InvalidValueError(f"cannot join {layer} to itself: a layer can appear once in a network (cycle)")
            if layer.name in seen.values():
                raise InvalidValueError(f"two layers are named '{layer.name}'; layer names must be unique")
            seen[id(layer)] = layer.name
        # Infer every shape before changing any layer: a failed join changes nothing.
        input_shapes = [layers[0].input_shape]
        for previous, layer in zip(layers, layers[1:] + [None]):
            shape = input_shapes[-1]
            if shape is not None:
                try:
                    shape = previous.get_output_shape(shape)
                except ShapeError as exc:
                    if len(input_shapes) == 1:
                        raise
                    detail = str(exc).removeprefix(str(previous)).lstrip(": ")
                    raise ShapeError(f"cannot join {layers[len(input_shapes) - 2]} with output shape "
                                     f"{format_shape(input_shapes[-1])} to {previous}: {detail}") from None
            if layer is None:
                break
            if shape is None:
                # Nothing known flows in: keep what the layer knows (an Input its own shape).
                shape = layer.input_shape
            if shape is not None and layer.input_shape is not None and tuple(shape) != tuple(layer.input_shape):
                raise ShapeError(f"cannot join {previous} with output shape {format_shape(shape)} "
                                 f"to {layer}, which already has input shape "
                                 f"{format_shape(layer.input_shape)}")
            input_shapes.append(shape)
        late_inputs = [layer for layer in layers[1:] if layer.starts_network]
        if late_inputs:
            raise InvalidValueError(f"cannot join {late_inputs[0]} after {layers[0]}: an Input layer can only "
                                    "start a network")
        for layer, shape in zip(layers, input_shapes):
            layer.input_shape = shape
        self.layers = layers

    def __rshift__(self, other):
        return join(self, other)

    @property
    def input_shape(self):
        """Input shape with None batch, e.g. ``(None, 10)``; None when unknown."""
        return self.layers[0].input_shape

    @property
    def output_shape(self):
        return self.layers[-1].output_shape

    def layer(self, name):
        """The layer called ``name``; :class:`InvalidValueError` if there is none."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = ", ".join(layer.name for layer in self.layers)
        raise InvalidValueError(f"no layer named {name!r}; layers: {names}"[:300])

    def sharing(self):
        """Ordered ``{variable.ref(): [(layer, parameter name), ...]}``: every distinct
        variable, in layer order, with each layer parameter that uses it (the first owns
        it). Creates variables on first use."""
        users = {}
        for layer in self.layers:
            for parameter, variable in layer.variables.items():
                users.setdefault(variable.ref(), []).append((layer, parameter))
        return users

    @property
    def variables(self):
        """Ordered ``{(layer, parameter name): tf.Variable}`` in layer order; a variable
        shared by several layers appears once, under the first. Creates variables on
        first use (inside the current ``tf.distribute`` strategy scope, if any)."""
        return {users[0]: ref.deref() for ref, users in self.sharing().items()}

    @property
    def n_parameters(self):
        """Number of trainable values, a shared variable counted once (Keras'
        ``count_params`` of the trainable weights)."""
        return self._count(trainable=True)

    @property
    def n_non_trainable(self):
        """Number of values that are not trained (BatchNorm's moving statistics): Keras'
        non-trainable count."""
        return self._count(trainable=False)

    def _count(self, trainable):
        return int(sum(math.prod(variable.shape) for (layer, parameter), variable in self.variables.items()
                       if layer.parameter_spec(parameter).trainable == trainable))

    def output(self, x, training=False):
        """Tensor of shape ``(batch, *output_shape[1:])`` for a tensor ``x`` of shape
        ``(batch, *input_shape[1:])``; :class:`ShapeError` naming the first layer otherwise."""
        x = tf.convert_to_tensor(x, tf.float32)
        expected = self.input_shape
        if expected is not None and tuple(x.shape[1:]) != tuple(expected[1:]):
            raise ShapeError(f"{self.layers[0]} expects input of shape {format_shape(expected)}, "
                             f"got {format_shape(tuple(x.shape))}")
        for layer in self.layers:
            x = layer.output(x, training=training)
        return x

    def predict(self, x, batch_size=None):
        """Outputs of shape ``(samples, *output_shape[1:])`` for inputs ``x`` of shape
        ``(samples, *input_shape[1:])`` (NumPy in, NumPy out); ``batch_size`` rows at a
        time (all at once if None). Raises :class:`ShapeError` for inputs of another shape.

        Raises :class:`InvalidValueError` unless ``batch_size`` is None or a positive integer,
        and :class:`InvalidTypeError` for inputs that are not numbers (text, objects).
        """
        try:
            x = np.asarray(x, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise InvalidTypeError(f"predict: x must be numbers of shape {format_shape(self.input_shape)}, got "
                                   f"{type(x).__name__} {shown(x)}: {str(exc)[:100]}") from None
        if x.ndim == 0:
            raise ShapeError(f"predict: x must have shape {format_shape(self.input_shape)} (samples first), "
                             f"got a single number {shown(x.item())}")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                                       or batch_size < 1):
            raise InvalidValueError(f"predict: batch_size must be None or a positive integer, got {shown(batch_size)}")
        if batch_size is None or len(x) <= batch_size:
            return self.output(x).numpy()
        return np.concatenate([self.output(x[i:i + batch_size]).numpy()
                               for i in range(0, len(x), batch_size)])

    def to_keras(self):
        """A ``keras.Model`` (functional) computing the same function with the same
        current values: each layer becomes its Keras counterpart, named as the layer
        (``Dense``, ``Conv2D``, ``BatchNormalization``, ...); a variable shared by
        several layers stays one Keras variable, so ``fit`` keeps them tied and
        ``count_params`` counts it once. Deep networks build too (the recursion limit
        is raised while Keras builds the graph).

        Raises :class:`InvalidValueError` when the network does not start with an
        ``Input`` layer.
        """
        import keras
        first = self.layers[0]
        if not first.starts_network:
            raise InvalidValueError(f"to_keras: the network must start with an Input layer, got {first}")
        made = {}  # variable.ref() -> the Keras variable holding it
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 50 * len(self.layers) + 1000))  # Keras recurses through the graph
        try:
            inputs = x = keras.Input(shape=first.input_shape[1:], name=first.name)
            for layer in self.layers[1:]:
                variables = layer.variables
                shared = {p: made[v.ref()] for p, v in variables.items() if v.ref() in made}
                keras_layer = layer.keras_layer(shared)
                x = keras_layer(x)
                for parameter, variable in variables.items():
                    if parameter not in shared:
                        keras_variable = getattr(keras_layer, layer.keras_weights[parameter])
                        keras_variable.assign(variable)
                        made[variable.ref()] = keras_variable
            return keras.Model(inputs, x, name="neuwidgets")
        finally:
            sys.setrecursionlimit(limit)

    def __repr__(self):
        count = len(self.layers)
        return (f"{format_shape(self.input_shape)} -> [... {count} layer{'s' if count != 1 else ''} ...]"
                f" -> {format_shape(self.output_shape)}")

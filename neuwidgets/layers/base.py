"""Layer base class, automatic names, parameter values, and the Input layer."""
import collections
import inspect
import numbers
import re

import numpy as np
import tensorflow as tf

from .. import init
from ..errors import InitializerError, InvalidTypeError, InvalidValueError, ShapeError

# Per-class counters for automatic names (``relu-1``, ``relu-2``, ...), as in NeuPy.
_name_counters = collections.Counter()


def class_to_name(cls_name):
    """``LeakyRelu`` -> ``leaky-relu`` (NeuPy's layer-name prefix)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", cls_name).lower()


#: A layer name is a plain label: 1 to 64 letters, digits, "_", "-", "." or inner spaces
#: (so it is safe as a variable name part, in messages and in exported code).
NAME = re.compile(r"\w(?:[\w.\- ]{0,62}[\w.\-])?")


def check_name(name, where):
    """``name`` if it is a plain label (:data:`NAME`); :class:`InvalidValueError` otherwise."""
    if not isinstance(name, str):
        raise InvalidTypeError(f"{where}: a layer name must be text, got {type(name).__name__}")
    if not NAME.fullmatch(name):
        shown = repr(name) if len(name) <= 40 else repr(name[:37]) + "..."
        raise InvalidValueError(f"{where}: a layer name is 1 to 64 letters, digits, '_', '-', '.' or inner "
                                f"spaces, got {shown}")
    return name


def format_shape(shape):
    """``(None, 10)`` -> ``'(?, 10)'``; None (unknown) -> ``'?'``."""
    if shape is None:
        return "?"
    return "(" + ", ".join("?" if dim is None else str(dim) for dim in shape) + ")"


ACCEPTED_VALUES = ("an Initializer, a NumPy array, a number, a tf.Variable, Transposed(tf.Variable), "
                   "a tf.Tensor or a callable (shape, dtype) such as a Keras initializer")


class Transposed:
    """A weight that is another layer's ``tf.Variable`` used transposed: one variable, so
    the layers stay tied and it is counted once (a tied autoencoder: the decoder's weight
    ``(64, 784)`` is the encoder's ``(784, 64)`` transposed; Vincent et al. 2010).

    ``variable``: a float32 ``tf.Variable`` of rank 2; ``shape`` is its shape reversed.
    Raises :class:`InvalidTypeError` for anything else.
    """

    def __init__(self, variable):
        if not isinstance(variable, tf.Variable) or len(variable.shape) != 2 or variable.dtype != tf.float32:
            raise InvalidTypeError(f"Transposed: expected a float32 tf.Variable of rank 2, got {variable!r}"[:300])
        self.variable = variable

    @property
    def shape(self):
        return tuple(reversed(tuple(self.variable.shape)))

    def __repr__(self):
        return f"Transposed(<tf.Variable '{self.variable.name}' shape={tuple(self.variable.shape)}>)"


class Layer:
    """Base class of every layer.

    A layer has a ``name`` (automatic: the hyphenated class name and a per-class
    counter, ``relu-1``), an ``input_shape`` and ``output_shape`` known once it is
    joined into a network (tuples whose first, batch, dimension is None), and
    ``parameters``: an ordered dict of parameter name (``"weight"``, ``"bias"``) to
    its value (an :class:`~neuwidgets.init.Initializer`, an array, a tensor, a
    ``tf.Variable`` or a Keras-style callable). Variables are created lazily, once.
    """

    #: Names of the parameters a layer of this class has, in order.
    parameter_names = ()

    def __init__(self, name=None):
        self.input_shape = None
        self.parameters = {}
        self._variables = {}
        if name is None:
            prefix = class_to_name(type(self).__name__)
            name = f"{prefix}-{_name_counters[prefix] + 1}"
            self._claim_name = prefix
        else:
            check_name(name, type(self).__name__)
            self._claim_name = None
        self.name = name

    def _named(self):
        """Commit the automatic name once construction succeeded (errors burn no number)."""
        if self._claim_name is not None:
            _name_counters[self._claim_name] += 1
        del self._claim_name

    def __str__(self):
        return f"{type(self).__name__} layer '{self.name}'"

    # -- shapes ---------------------------------------------------------------------
    def get_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (batch dimension None).

        Raises :class:`ShapeError` saying why when the input does not fit this layer.
        """
        return input_shape

    @property
    def output_shape(self):
        return None if self.input_shape is None else self.get_output_shape(self.input_shape)

    def parameter_shapes(self):
        """``{parameter name: shape}`` for the current input shape."""
        return {}

    # -- parameters and variables -------------------------------------------------------
    def _set_parameter(self, parameter, value):
        """Validate a parameter value (REFERENCES §1) and store it."""
        where = f"{self}: parameter '{parameter}'"
        if isinstance(value, tf.Variable) and value.dtype != tf.float32:
            # Used as is, so it cannot be cast: a float64 variable would fail in matmul later.
            raise InvalidTypeError(f"{where}: a shared tf.Variable must be float32, got variable "
                                   f"'{value.name}' of {value.dtype.name}")
        if isinstance(value, (init.Initializer, tf.Variable, tf.Tensor, Transposed)):
            pass
        elif isinstance(value, np.ndarray):
            if not (np.issubdtype(value.dtype, np.number) or value.dtype == bool):
                raise InvalidTypeError(f"{where} must hold numbers, got an array of {value.dtype}")
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            value = init.Constant(value)
        elif callable(value) and not isinstance(value, type):
            pass
        else:
            raise InvalidTypeError(f"{where} must be {ACCEPTED_VALUES}; got {type(value).__name__} {value!r}"[:400])
        self.parameters[parameter] = value
        self._variables.pop(parameter, None)

    def variable(self, parameter):
        """The ``tf.Variable`` of ``parameter``, created on first use.

        Raises :class:`InitializerError` (naming this layer, the parameter and the
        initializer) when the initializer raises or returns something other than
        finite numbers of the parameter's shape; the original exception is chained.
        """
        if parameter in self._variables:
            return self._variables[parameter]
        if self.input_shape is None:
            raise ShapeError(f"{self}: input shape unknown; join it after an Input layer first")
        shape = self.parameter_shapes()[parameter]
        value = self.parameters[parameter]
        if isinstance(value, (tf.Variable, Transposed)):
            variable = getattr(value, "variable", value)
        else:
            where = f"{self}: parameter '{parameter}' ({value!r}"[:200] + ")"
            if isinstance(value, init.Initializer):
                value = _call_initializer(where, lambda: value.sample(shape))
            elif callable(value):
                value = _call_initializer(where, lambda: _call_function(value, shape))
            variable = tf.Variable(init.as_float32(value, shape, where), name=f"layer/{self.name}/{parameter}")
        self._variables[parameter] = variable
        return variable

    def parameter_tensor(self, parameter):
        """What the layer computes with: the variable, transposed for a :class:`Transposed`
        parameter (shape ``parameter_shapes()[parameter]``)."""
        variable = self.variable(parameter)
        return tf.transpose(variable) if isinstance(self.parameters[parameter], Transposed) else variable

    @property
    def variables(self):
        """Ordered ``{parameter name: tf.Variable}``, created on first use (a
        :class:`Transposed` parameter gives the variable itself, untransposed)."""
        return {parameter: self.variable(parameter) for parameter in self.parameters}

    def output(self, x, training=False):
        """Apply the layer to a tensor ``x`` of shape ``input_shape``."""
        return x

    def __rshift__(self, other):
        from ..network import join
        return join(self, other)

    def _repr_parameters(self):
        parts = []
        for parameter in self.parameter_names:
            value = self.parameters.get(parameter)
            if isinstance(value, tf.Variable):
                text = f"<tf.Variable '{value.name}' shape={tuple(value.shape)}>"
            elif isinstance(value, Transposed):
                text = repr(value)
            elif isinstance(value, (np.ndarray, tf.Tensor)):
                text = f"<array shape={tuple(value.shape)}>"
            else:
                text = repr(value)
            parts.append(f"{parameter}={text}")
        return parts


def _call_function(function, shape):
    """Call a Keras-style initializer ``function(shape, dtype)``, or ``function(shape)``
    when it takes no dtype."""
    try:
        inspect.signature(function).bind(shape, dtype="float32")
    except TypeError:
        return function(shape)
    except ValueError:  # no signature to inspect (a builtin): try the Keras form
        pass
    return function(shape, dtype="float32")


def _call_initializer(where, sample):
    try:
        return sample()
    except InitializerError:
        raise
    except (Exception, SystemExit) as exc:  # custom code calling sys.exit() must not end the kernel
        raise InitializerError(f"{where}: sampling raised {type(exc).__name__}: {exc}") from exc


class Input(Layer):
    """The network's input: ``Input(10)`` or ``Input((28, 28))``.

    Output shape ``(None, *shape)``. Raises :class:`InvalidValueError` /
    :class:`InvalidTypeError` unless every dimension is a positive integer.
    """

    def __init__(self, shape, name=None):
        super().__init__(name)
        dims = (shape,) if not isinstance(shape, (tuple, list)) else tuple(shape)
        for dim in dims:
            if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
                raise InvalidTypeError(f"{self}: shape must be positive integers, got {shape!r}")
            if dim < 1:
                raise InvalidValueError(f"{self}: shape must be positive integers, got {shape!r}")
        if not dims:
            raise InvalidValueError(f"{self}: shape must have at least one dimension, got {shape!r}")
        self.shape = tuple(int(dim) for dim in dims)
        self.input_shape = (None, *self.shape)
        self._named()

    def get_output_shape(self, input_shape):
        if tuple(input_shape) != self.input_shape:
            raise ShapeError(f"{self} expects input shape {format_shape(self.input_shape)}")
        return self.input_shape

    def __repr__(self):
        shape = self.shape[0] if len(self.shape) == 1 else self.shape
        return f"Input({shape!r}, name={self.name!r})"

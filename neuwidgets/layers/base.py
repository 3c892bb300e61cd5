"""The layer base class: what every layer kind shares.

A kind is a :class:`Layer` subclass that declares its :attr:`~Layer.fields` (settings:
units, kernel size, ...) and :attr:`~Layer.parameter_specs` (variables: weight, bias,
...) and defines its shapes (:meth:`~Layer.compute_output_shape`,
:meth:`~Layer.compute_parameter_shapes`), its forward pass (:meth:`~Layer.forward`,
returning the pre-activation and the output) and its Keras counterpart
(:meth:`~Layer.keras_spec`). Everything else — the constructor, names, parameter
values and variables, the repr, shape checks of given arrays — is here, once.
"""
import collections
import inspect
import numbers
import re

import numpy as np
from .._tensorflow import tf

from .. import init
from ..errors import InitializerError, InvalidTypeError, InvalidValueError, ShapeError
from ..limits import code_time_limit
from ..network import join
from ..errors import shown
from .fields import REQUIRED

# Per-class counters for automatic names (``relu-1``, ``relu-2``, ...), as in NeuPy.
_name_counters = collections.Counter()

#: A layer name is a plain label: 1 to 64 letters, digits, "_", "-", "." or inner spaces
#: (so it is safe as a variable name part, in messages and in exported code).
NAME = re.compile(r"\w(?:[\w.\- ]{0,62}[\w.\-])?")

ACCEPTED_VALUES = ("an Initializer, a NumPy array, a number, a tf.Variable, Transposed(tf.Variable), "
                   "a tf.Tensor or a callable (shape, dtype) such as a Keras initializer")


def class_to_name(cls_name):
    """``LeakyRelu`` -> ``leaky-relu`` (NeuPy's layer-name prefix)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", cls_name).lower()


def check_name(name, where):
    """``name`` if it is a plain label (:data:`NAME`); :class:`InvalidValueError` otherwise."""
    if not isinstance(name, str):
        raise InvalidTypeError(f"{where}: a layer name must be text, got {type(name).__name__}")
    if not NAME.fullmatch(name):
        raise InvalidValueError(f"{where}: a layer name is 1 to 64 letters, digits, '_', '-', '.' or inner "
                                f"spaces, got {shown(name, 40)}")
    return name


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


class KerasHelper:
    """A call of a helper of :mod:`neuwidgets.layers.keras_support` with plain arguments,
    as a layer's Keras argument: ``KerasHelper("leaky_relu", 0.1)`` is the code
    ``leaky_relu(0.1)`` in an exported script and that very call in ``to_keras``."""

    def __init__(self, name, *args):
        self.name, self.args = name, args

    def code(self):
        return f"{self.name}({', '.join(map(repr, self.args))})"


class _Unset:
    def __repr__(self):
        return "<default>"


_UNSET = _Unset()


class Layer:
    """Base class of every layer kind.

    A layer has a ``name`` (automatic: the hyphenated class name and a per-class
    counter, ``relu-1``), one attribute per field (``n_units``, ``size``, ...), an
    ``input_shape`` and ``output_shape`` known once it is joined into a network
    (tuples whose first, batch, dimension is None), and ``parameters``: an ordered
    dict of parameter name (``"weight"``, ``"bias"``) to its value (an
    :class:`~neuwidgets.init.Initializer`, an array, a tensor, a ``tf.Variable``, a
    :class:`Transposed` variable or a Keras-style callable). Variables are created
    lazily, once.

    The constructor takes the fields, then the parameters, in the order the kind
    declares them, then ``name``. Raises :class:`InvalidTypeError` /
    :class:`InvalidValueError` naming the layer, the field, the value given and what
    is expected.
    """

    #: The kind's settings, in constructor order (:mod:`neuwidgets.layers.fields`).
    fields = ()
    #: The kind's parameters (:class:`~neuwidgets.layers.fields.Parameter`), in order.
    parameter_specs = ()
    #: True for the Input layer only: it starts a network and has no input of its own.
    starts_network = False
    #: How outputs saturate: "symmetric" (|a| near 1), "logistic" (a near 0 or 1) or None.
    saturation = None
    #: The statistics run this layer as at the first training step (BatchNorm: batch statistics).
    batch_statistics = False
    #: Keras weight attribute of each parameter (``{"weight": "kernel"}``).
    keras_weights = {}

    def __init__(self, *args, name=None, **kwargs):
        self.input_shape = None
        self.parameters = {}
        self._variables = {}
        self.name = self._claim(name)
        try:
            bound = self.signature().bind(*args, **kwargs)
        except TypeError as exc:
            raise InvalidTypeError(f"{self}: {exc}") from None
        given = bound.arguments
        for field in self.fields:
            value = given.get(field.name, field.default)
            if value is REQUIRED:
                raise InvalidTypeError(f"{self}: {field.name} is required; expected {field.expected()}")
            setattr(self, field.name, field.check(value, str(self)))
        active = {spec.name for spec in self.active_parameters()}
        for spec in self.parameter_specs:
            value = given.get(spec.name, _UNSET)
            if spec.name not in active:
                if value is not _UNSET:
                    raise InvalidValueError(f"{self}: has no {spec.name} with these settings "
                                            f"({self._settings()}); got {spec.name}={shown(value)}")
                continue
            if value is _UNSET:
                value = spec.default
            if value is None and spec.optional:
                continue
            self._set_parameter(spec.name, value)
        self._named()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.__signature__ = cls.signature()  # what help(), inspect and notebooks show for the constructor

    @classmethod
    def signature(cls):
        """The constructor's signature: the fields, then the parameters, then ``name``."""
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        parameters = [inspect.Parameter(field.name, kind, default=inspect.Parameter.empty
                                        if field.required else field.default) for field in cls.fields]
        parameters += [inspect.Parameter(spec.name, kind, default=spec.default) for spec in cls.parameter_specs]
        parameters.append(inspect.Parameter("name", inspect.Parameter.KEYWORD_ONLY, default=None))
        return inspect.Signature(parameters)

    def _claim(self, name):
        if name is None:
            prefix = class_to_name(type(self).__name__)
            self._claim_name = prefix
            return f"{prefix}-{_name_counters[prefix] + 1}"
        self._claim_name = None
        return check_name(name, type(self).__name__)

    def _named(self):
        """Commit the automatic name once construction succeeded (errors burn no number)."""
        if self._claim_name is not None:
            _name_counters[self._claim_name] += 1
        del self._claim_name

    def _settings(self):
        return ", ".join(f"{field.name}={getattr(self, field.name)!r}" for field in self.fields)

    def __str__(self):
        return f"{type(self).__name__} layer '{self.name}'"

    # -- what a kind defines ---------------------------------------------------------
    def active_parameters(self):
        """The parameter specs this layer has with its settings (all by default; a dense
        kind without ``n_units`` has none)."""
        return self.parameter_specs

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (batch dimension None); raises
        :class:`ShapeError` naming this layer and saying why the input does not fit."""
        return input_shape

    def compute_parameter_shapes(self, input_shape):
        """``{parameter name: shape}`` of the parameters this layer has, for ``input_shape``."""
        return {}

    def forward(self, x, training=False):
        """``(z, a)`` for a tensor ``x`` of shape ``input_shape``: the pre-activation
        ``z`` (what the layer computes before its activation; ``a`` itself for layers
        without one) and the output ``a``. Pure: it changes no variable."""
        return x, x

    @classmethod
    def suggest(cls, input_shape):
        """Field values that fit after a layer with output ``input_shape`` (the builder
        adds a layer with them): ``{}`` by default."""
        return {}

    def keras_spec(self):
        """``(class name, {argument: plain value or KerasHelper})``: this layer's Keras
        counterpart without its initial values; the class is one of ``keras.layers`` or
        a helper of :mod:`neuwidgets.layers.keras_support`."""
        raise NotImplementedError(f"{self}: no Keras counterpart")

    def keras_layer(self, shared=None):
        """A new Keras layer computing what this layer computes (its weights still to be
        assigned), named as this layer; ``shared``: ``{parameter: Keras variable}`` that
        it uses instead of making its own (shared parameters)."""
        from . import keras_support
        class_name, arguments = self.keras_spec()
        shared = {self.keras_weights[parameter]: variable for parameter, variable in (shared or {}).items()}
        return keras_support.make_layer(class_name, arguments, self.name, shared)

    # -- generic -------------------------------------------------------------------------
    @classmethod
    def parameter_spec(cls, name):
        for spec in cls.parameter_specs:
            if spec.name == name:
                return spec
        raise InvalidValueError(f"{cls.__name__} has no parameter {name!r}; expected one of "
                                f"{', '.join(spec.name for spec in cls.parameter_specs) or 'none'}")

    def get_output_shape(self, input_shape):
        """Output shape for ``input_shape``; raises :class:`ShapeError` naming this layer
        when the input does not fit it or a given array or variable has another shape."""
        output_shape = self.compute_output_shape(tuple(input_shape))
        expected = self.compute_parameter_shapes(tuple(input_shape))
        for parameter, value in self.parameters.items():
            if hasattr(value, "shape") and not callable(value) and tuple(value.shape) != expected[parameter]:
                label = (f"variable '{value.name}'" if isinstance(value, tf.Variable) else
                         f"transposed variable '{value.variable.name}'" if isinstance(value, Transposed) else "array")
                raise ShapeError(f"{self}: its {parameter} {label} has shape {tuple(value.shape)}, "
                                 f"expected {expected[parameter]}")
        return output_shape

    @property
    def output_shape(self):
        return None if self.input_shape is None else self.get_output_shape(self.input_shape)

    def parameter_shapes(self):
        """``{parameter name: shape}`` for the current input shape."""
        return self.compute_parameter_shapes(self.input_shape)

    def output(self, x, training=False):
        """Apply the layer to a tensor ``x`` of shape ``input_shape``."""
        return self.forward(x, training=training)[1]

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
            raise InvalidTypeError(f"{where} must be {ACCEPTED_VALUES}; got {type(value).__name__} {shown(value)}")
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
            where = f"{self}: parameter '{parameter}' ({shown(value, 100)})"
            if isinstance(value, init.Initializer) and type(value) in init.BUILTINS.values():
                value = _call_initializer(where, lambda: value.sample(shape))
            elif isinstance(value, init.Initializer):
                with code_time_limit(where):  # custom code
                    value = _call_initializer(where, lambda: value.sample(shape))
            elif callable(value):
                with code_time_limit(where):
                    value = _call_initializer(where, lambda: _call_function(value, shape))
            variable = tf.Variable(init.as_float32(value, shape, where), name=f"layer/{self.name}/{parameter}",
                                   trainable=self.parameter_spec(parameter).trainable)
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

    def __rshift__(self, other):
        return join(self, other)

    def __repr__(self):
        parts = []
        for index, field in enumerate(self.fields):
            value = getattr(self, field.name)
            if index == 0 and value is not None:
                parts.append(repr(field.python(value)))
            elif index > 0:
                parts.append(f"{field.name}={field.python(value)!r}")
        active = {spec.name for spec in self.active_parameters()}
        for spec in self.parameter_specs:
            if spec.name in active:
                parts.append(f"{spec.name}={_value_repr(self.parameters.get(spec.name))}")
        parts.append(f"name={self.name!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _value_repr(value):
    if isinstance(value, tf.Variable):
        return f"<tf.Variable '{value.name}' shape={tuple(value.shape)}>"
    if isinstance(value, (np.ndarray, tf.Tensor)):
        return f"<array shape={tuple(value.shape)}>"
    return repr(value)


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


def layer_kinds(*modules):
    """``{class name: class}`` of the layer kinds each module lists in ``__all__``, in
    order: the registry of kinds (see :mod:`neuwidgets.layers`)."""
    kinds = {}
    for module in modules:
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, Layer):
                kinds[name] = value
    return kinds

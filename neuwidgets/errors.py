"""Errors a person can cause. Every one says what was given, what was expected and,
where there is one, which layer."""


class NeuwidgetsError(Exception):
    """Base class of every error caused by input to neuwidgets."""


class InvalidValueError(NeuwidgetsError, ValueError):
    """A value of the right type but outside what is allowed (units, std, gain, ...)."""


class InvalidTypeError(NeuwidgetsError, TypeError):
    """A value of a type that is not accepted (a list as a weight, a string as units)."""


class ShapeError(NeuwidgetsError, ValueError):
    """Shapes that do not fit: layers that cannot be joined, a weight of the wrong shape."""


class InitializerError(NeuwidgetsError, ValueError):
    """An initializer failed or returned something unusable for a layer's parameter."""

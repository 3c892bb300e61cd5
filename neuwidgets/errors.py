"""Errors a person can cause. Every one says what was given, what was expected and,
where there is one, which layer."""


def shown(value, limit=60):
    """``repr(value)`` cut to ``limit`` characters: how messages quote what was given
    (a 5 MB value is never echoed whole)."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001  a value whose repr fails is still named
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 4] + " ..."


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

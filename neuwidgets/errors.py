"""Errors a person can cause. Every one says what was given, what was expected and,
where there is one, which layer."""
import math
import reprlib


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


class CodeTimeoutError(NeuwidgetsError, TimeoutError):
    """Custom code ran longer than its time limit and was stopped (see
    :func:`neuwidgets.limits.time_limit`)."""


# Long strings keep their start and end: shown() cuts the middle to its own limit.
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 400


def shown(value, limit=80):
    """``repr(value)`` for an error message, at most ``limit`` characters: a longer one
    keeps its start and its end (a file name, a closing bracket) around an ellipsis.
    Never builds a huge text (a list of a million items, an integer of 5,000 digits)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 3 * limit:
        return f"an integer of {math.floor(value.bit_length() * math.log10(2)) + 1:,} digits"
    try:
        text = _REPR.repr(value)
    except Exception:  # a broken __repr__ of some object a person passed
        text = f"<{type(value).__name__}>"
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head):]

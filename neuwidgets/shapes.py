"""Shapes as people read them: ``(None, 28, 28, 1)`` is printed ``(?, 28, 28, 1)``."""


def format_shape(shape):
    """``(None, 10)`` -> ``'(?, 10)'``; None (unknown) -> ``'?'``."""
    if shape is None:
        return "?"
    return "(" + ", ".join("?" if dim is None else str(dim) for dim in shape) + ")"

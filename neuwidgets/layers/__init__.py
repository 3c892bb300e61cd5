"""Layers (NeuPy-style) and the registry of layer kinds.

Each module defines one family of kinds and lists them in its ``__all__``; the
registry below is the one place that names the modules. Everything generic over kinds
(designs, code and Keras export, statistics, the builder's palette and cards) reads
:data:`KINDS`. Adding a kind: a module (or a class in a family's module) and, for a
new module, its line here; or, from outside the package, :func:`register`.
"""
import importlib

from ..errors import InvalidTypeError, InvalidValueError
from ..network import Network, join
from .base import Layer, Transposed, layer_kinds

#: The registry: the modules of the layer kinds (each lists its kinds in ``__all__``), in
#: the order the builder's palette lists them. A new family of kinds is a module and its
#: name here.
FAMILIES = ("input", "dense", "convolution", "pooling", "upscale", "reshape", "normalization", "dropout")
#: Layer classes by name, in palette order.
KINDS = layer_kinds(*(importlib.import_module(f".{family}", __name__) for family in FAMILIES))

globals().update(KINDS)
__all__ = ["Layer", "Network", "join", "Transposed", "register", *KINDS]


def register(cls):
    """Add the layer kind ``cls`` to :data:`KINDS` (last in the palette) and to this
    package's names, as a kind module listed above is: designs (their schema follows
    the registry), code and Keras export, the statistics and the builder handle it from
    now on, and ``from neuwidgets.layers import *`` (an exported script) gives it.
    Registering a kind again does nothing. Returns ``cls`` (so it works as a decorator).

    Raises :class:`InvalidTypeError` unless ``cls`` is a :class:`Layer` subclass, and
    :class:`InvalidValueError` when its name is not a class name (a letter A-Z first) or
    is taken by something else here (another kind, ``join``, ``Network``, ...).
    """
    if not (isinstance(cls, type) and issubclass(cls, Layer)) or cls is Layer:
        raise InvalidTypeError(f"register: expected a Layer subclass, got {cls!r}"[:200])
    name = cls.__name__
    if not (name.isidentifier() and name[0].isascii() and name[0].isupper()):
        raise InvalidValueError(f"register: a layer kind's name is a class name starting with a letter A-Z, "
                                f"got {name!r}"[:200])
    if globals().get(name, cls) is not cls:
        raise InvalidValueError(f"register: the name {name!r} is taken by {globals()[name]!r}; rename the "
                                "class"[:300])
    KINDS[name] = cls
    globals()[name] = cls
    if name not in __all__:
        __all__.append(name)
    return cls

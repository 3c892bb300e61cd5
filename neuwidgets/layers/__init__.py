"""Layers (NeuPy-style) and the registry of layer kinds.

Each module defines one family of kinds and lists them in its ``__all__``; the
registry below is the one place that names the modules. Everything generic over kinds
(designs, code and Keras export, statistics, the builder's palette and cards) reads
:data:`KINDS`. Adding a kind: a module (or a class in a family's module) and, for a
new module, its line here.
"""
from ..network import Network, join
from . import convolution, dense, dropout, input, normalization, pooling, reshape
from .base import Layer, Transposed, layer_kinds

#: Layer classes by name, in the order the builder's palette lists them.
KINDS = layer_kinds(input, dense, convolution, pooling, reshape, normalization, dropout)

globals().update(KINDS)
__all__ = ["Layer", "Network", "join", "Transposed", *KINDS]

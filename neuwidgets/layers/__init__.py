"""Layers (NeuPy-style): ``Input`` and the dense family, plus ``Dropout``."""
from .base import Input, Layer, Transposed
from .dense import (Dropout, Elu, HardSigmoid, LeakyRelu, Linear, Relu, Sigmoid, Softmax,
                    Softplus, Tanh)
from ..network import Network, join

#: Layer classes the builder and saved designs know, by name.
KINDS = {cls.__name__: cls for cls in (Input, Linear, Sigmoid, Tanh, Relu, LeakyRelu, Elu,
                                       Softplus, Softmax, HardSigmoid, Dropout)}

__all__ = ["Layer", "Network", "join", "Transposed", *KINDS]

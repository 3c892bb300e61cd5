"""neuwidgets: assemble neural networks visually and see what their initialization does.

The core (``init``, ``layers``, ``network``) follows NeuPy's API on TensorFlow::

    from neuwidgets import init
    from neuwidgets.layers import *

    network = join(Input(10), Sigmoid(30, weight=init.Normal()), Sigmoid(15))
"""
from . import init, layers
from .errors import InitializerError, InvalidTypeError, InvalidValueError, NeuwidgetsError, ShapeError
from .layers import (Dropout, Elu, HardSigmoid, Input, Layer, LeakyRelu, Linear, Relu, Sigmoid,
                     Softmax, Softplus, Tanh)
from .network import Network, join
from .plotting import plot_activation_stats, plot_weight_distributions
from .spec import NetworkSpec
from .theory import lsuv
from .widgets import NetworkBuilder

__version__ = "0.1.0"

__all__ = [
    "init", "layers", "join", "lsuv", "Network", "NetworkSpec", "NetworkBuilder",
    "plot_weight_distributions", "plot_activation_stats", "Layer", "Input", "Linear", "Sigmoid", "Tanh", "Relu",
    "LeakyRelu", "Elu", "Softplus", "Softmax", "HardSigmoid", "Dropout",
    "NeuwidgetsError", "InvalidValueError", "InvalidTypeError", "ShapeError", "InitializerError",
]

"""neuwidgets: assemble neural networks visually and see what their initialization does.

The core (``init``, ``layers``, ``network``) follows NeuPy's API on TensorFlow::

    from neuwidgets import init
    from neuwidgets.layers import *

    network = join(Input(10), Sigmoid(30, weight=init.Normal()), Sigmoid(15))

``plotting`` (matplotlib) and the ``NetworkBuilder`` widget (anywidget) load on first
use: ``from neuwidgets import init`` loads neither.
"""
import importlib
import os
import sys

if "tensorflow" not in sys.modules:
    # neuwidgets imports TensorFlow first: keep its C++ start-up lines (the oneDNN notice, the CPU
    # feature note, absl's "log messages before InitializeLog") out of the notebook. Measured in a
    # fresh interpreter, TensorFlow 2.21: TF_CPP_MIN_LOG_LEVEL alone leaves the oneDNN notice, which
    # is printed unless TF_ENABLE_ONEDNN_OPTS is 0; both together print nothing. A person's own
    # settings win; oneDNN's optimizations are off by default then (no measurable cost here).
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from . import init, layers
from .errors import InitializerError, InvalidTypeError, InvalidValueError, NeuwidgetsError, ShapeError
from .layers import *  # noqa: F401,F403  the layer kinds, join, Network, Transposed
from .spec import NetworkSpec

__version__ = "0.1.0"

#: Names loaded on first use: ``{name: (module, attribute or None for the module)}``.
_LAZY = {"NetworkBuilder": ("widgets", "NetworkBuilder"), "plotting": ("plotting", None),
         "plot_weight_distributions": ("plotting", "plot_weight_distributions"),
         "plot_activation_stats": ("plotting", "plot_activation_stats"), "stats": ("stats", None),
         "widgets": ("widgets", None), "datasets": ("datasets", None), "theory": ("theory", None),
         "lsuv": ("theory", "lsuv")}

__all__ = ["init", "layers", "NetworkSpec", *layers.__all__, *_LAZY,
           "NeuwidgetsError", "InvalidValueError", "InvalidTypeError", "ShapeError", "InitializerError"]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'neuwidgets' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(f".{module_name}", __name__)
    return module if attribute is None else getattr(module, attribute)


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

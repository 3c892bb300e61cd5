"""neuwidgets: assemble neural networks visually and see what their initialization does.

The core (``init``, ``layers``, ``network``) follows NeuPy's API on TensorFlow::

    from neuwidgets import init
    from neuwidgets.layers import *

    network = join(Input(10), Sigmoid(30, weight=init.Normal()), Sigmoid(15))

Everything but ``init`` and the errors loads on first use: the layers and designs
(TensorFlow, which loads Keras, which loads matplotlib), ``plotting`` (matplotlib) and
the ``NetworkBuilder`` widget (anywidget). ``from neuwidgets import init`` loads none
of them.
"""
import importlib

from . import init  # noqa: F401  (public names; __all__ is computed on first use)
from .errors import InitializerError, InvalidTypeError, InvalidValueError, NeuwidgetsError, ShapeError  # noqa: F401

__version__ = "0.1.0"

#: Names loaded on first use: ``{name: (module, attribute or None for the module)}``. The
#: names of :mod:`neuwidgets.layers` (the layer kinds, ``join``, ...) load with it.
_LAZY = {"layers": ("layers", None), "NetworkSpec": ("spec", "NetworkSpec"),
         "NetworkBuilder": ("widgets", "NetworkBuilder"), "plotting": ("plotting", None),
         "plot_weight_distributions": ("plotting", "plot_weight_distributions"),
         "plot_activation_stats": ("plotting", "plot_activation_stats"), "stats": ("stats", None),
         "widgets": ("widgets", None), "datasets": ("datasets", None), "theory": ("theory", None),
         "lsuv": ("theory", "lsuv"), "training": ("training", None),
         "plot_training": ("plotting", "plot_training")}
_ERRORS = ["NeuwidgetsError", "InvalidValueError", "InvalidTypeError", "ShapeError", "InitializerError"]


def _layers():
    return importlib.import_module(".layers", __name__)


def __getattr__(name):
    if name == "__all__":  # `from neuwidgets import *`: the layer kinds are known once the layers load
        return ["init", *_LAZY, *_layers().__all__, *_ERRORS]
    if name in _LAZY:
        module_name, attribute = _LAZY[name]
        module = importlib.import_module(f".{module_name}", __name__)
        return module if attribute is None else getattr(module, attribute)
    if not name.startswith("__") and name in _layers().__all__:
        return getattr(_layers(), name)
    raise AttributeError(f"module 'neuwidgets' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__getattr__("__all__")))

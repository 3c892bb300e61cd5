"""Jupyter widgets (anywidget). No model logic lives here."""
from .builder import NetworkBuilder

__all__ = ["NetworkBuilder"]

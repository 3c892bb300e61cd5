"""TensorFlow, imported once for the whole package, without its start-up lines.

TensorFlow 2.21 prints C++ start-up lines on stderr when it is imported (absl's "log
messages before InitializeLog", the oneDNN notice, the CPU feature note), whatever
``TF_CPP_MIN_LOG_LEVEL`` says; in a notebook they land in a pink block above the widget.
Measured in fresh interpreters: every one of them is printed during ``import
tensorflow``, so when neuwidgets is the first to import it, file descriptor 2 points at
the null device for that import only (Python's own errors are exceptions and still
surface). Where TensorFlow was imported before, its lines were printed already and
nothing can take them back (the README says so). ``TF_CPP_MIN_LOG_LEVEL`` defaults to
2 (a person's setting wins) for TensorFlow's later C++ info and warning lines.
"""
import contextlib
import os
import sys


@contextlib.contextmanager
def _stderr_to_null():
    try:
        saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    except OSError:  # no file descriptor 2 to redirect
        yield
        return
    try:
        sys.stderr.flush()
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


if "tensorflow" not in sys.modules:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _stderr_to_null():
        import tensorflow as tf  # noqa: E402
else:
    import tensorflow as tf  # noqa: E402

__all__ = ["tf"]

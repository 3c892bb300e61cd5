"""Custom initializer code and trust.

A design may hold the source of custom :class:`~neuwidgets.init.Initializer`
subclasses. It is checked without running it (syntax, the class it must define) and
runs only when the design is trusted; until then its parameters are
:class:`UntrustedPlaceholder` zeros. Running code has a time limit
(:data:`neuwidgets.limits.CODE_TIME_LIMIT`).
"""
import ast
import builtins
import inspect
import keyword
import linecache
import textwrap

import numpy as np

from .. import init
from ..errors import CodeTimeoutError, InvalidTypeError, InvalidValueError
from ..limits import code_time_limit
from ..layers import KINDS
from ..errors import shown

CODE_FILENAME = "<custom initializer>"
UNTRUSTED = "untrusted custom initializer"


#: Names the exported scripts (:meth:`NetworkSpec.to_code`) import or define. A custom
#: initializer class is emitted into those scripts under its own name, so it may not take
#: one of these, a layer kind, a built-in initializer, a Python keyword or builtin
#: (tests/test_injection.py checks that every name a script uses is listed here).
SCRIPT_NAMES = frozenset({
    "np", "tf", "keras", "init", "Initializer", "join", "Transposed", "network", "model", "inputs",
    "layers", "x", "sharing", "TiedDense", "FixedValues", "FromNeuwidgets", "leaky_relu", "elu", "hard_sigmoid"})


def check_class_name(name, where):
    """Refuse a custom initializer class name that exported code could not hold as it is:
    not an identifier, or a name the scripts use (:data:`SCRIPT_NAMES`, layer kinds,
    built-in initializers, Python keywords and builtins). Raises :class:`InvalidValueError`."""
    if not isinstance(name, str) or not name.isidentifier() or len(name) > 64:
        raise InvalidValueError(f"{where}: a custom initializer name must be a Python identifier of at most 64 "
                                f"characters, got {shown(name, 60)}")
    if (name in SCRIPT_NAMES or name in KINDS or name in init.BUILTINS or keyword.iskeyword(name)
            or hasattr(builtins, name)):
        raise InvalidValueError(f"{where}: custom initializer class {name!r} has the name of something exported code "
                                "uses (a layer, a built-in initializer, a Python name); rename the class")
    return name


def check_trust(trust, where):
    """``trust`` as a real bool: anything else (``"false"``, ``1``, None) is an
    :class:`InvalidTypeError`, never read as true or false."""
    if not isinstance(trust, bool):
        raise InvalidTypeError(f"{where}: trust must be True or False, got {shown(trust, 60)}")
    return trust


def code_namespace():
    """What custom initializer code sees: ``tf``, ``np``, ``init`` and ``Initializer``."""
    from .._tensorflow import tf
    return {"__name__": "neuwidgets.custom", "tf": tf, "np": np, "init": init,
            "Initializer": init.Initializer}


def code_line(exc):
    """Line number of custom code where ``exc`` happened, or None."""
    if isinstance(exc, SyntaxError) and exc.filename == CODE_FILENAME:
        return exc.lineno
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == CODE_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line if line is not None or exc.__cause__ is None else code_line(exc.__cause__)


def describe_code_error(exc):
    """``"line 3: ZeroDivisionError: division by zero"`` for an error raised by custom code."""
    line = code_line(exc)
    text = exc.msg if isinstance(exc, SyntaxError) else f"{type(exc).__name__}: {exc}"
    return f"line {line}: {text}" if line else text


def compile_initializer(code, name=None):
    """Run custom initializer ``code`` and return the :class:`~neuwidgets.init.Initializer`
    subclass it defines (``name``, or the last one defined).

    Raises :class:`InvalidValueError` with the line number for a syntax error, an
    exception while running the code, no subclass, or a name taken by a built-in.
    """
    if not isinstance(code, str) or not code.strip():
        raise InvalidValueError(f"custom initializer code must be Python source text, got {code!r}"[:200])
    namespace = code_namespace()
    if name is not None:
        check_class_name(name, "custom initializer code")
    try:
        with code_time_limit(f"custom initializer code{f' {name!r}' if name else ''}"):
            exec(compile(code, CODE_FILENAME, "exec"), namespace)
    except CodeTimeoutError:
        raise
    except (Exception, SystemExit) as exc:  # sys.exit() in custom code must not end the kernel
        raise InvalidValueError(f"custom initializer code, {describe_code_error(exc)}") from exc
    classes = [value for value in namespace.values()
               if isinstance(value, type) and issubclass(value, init.Initializer)
               and value.__module__ == "neuwidgets.custom"]
    if name is not None:
        classes = [cls for cls in classes if cls.__name__ == name]
    if not classes:
        wanted = f"a class named {name!r}" if name else "a class"
        raise InvalidValueError(f"custom initializer code must define {wanted} that subclasses init.Initializer")
    cls = classes[-1]
    check_class_name(cls.__name__, "custom initializer code")
    cls._neuwidgets_code = code
    return cls


class UntrustedPlaceholder(init.Constant):
    """Zeros standing for untrusted custom initializer ``name``, whose code has not run."""

    def __init__(self, name):
        super().__init__(0)
        self.name = name

    def __repr__(self):
        return f"<{UNTRUSTED} {self.name!r}>"


def check_code_shape(name, code):
    """Refuse, without running it, custom code that cannot be the class ``name``: a syntax
    error (with its line) or no top-level ``class name``. What it does is only known by
    running it, which takes trust."""
    try:
        tree = ast.parse(code, CODE_FILENAME)
    except SyntaxError as exc:
        raise InvalidValueError(f"design.custom[{name!r}], line {exc.lineno}: {shown(exc.msg, 100)[1:-1]}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise InvalidValueError(f"design.custom[{name!r}]: not Python source ({type(exc).__name__})") from None
    defined = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    if name not in defined:
        raise InvalidValueError(f"design.custom[{name!r}]: the code must define class {name} at its top level; "
                                f"it defines {', '.join(defined) or 'no class'}")


def class_source(cls):
    """Source code of an initializer class, also for classes defined in notebook cells."""
    code = getattr(cls, "_neuwidgets_code", None)
    if code:
        return clean_code(code)
    try:
        return clean_code(inspect.getsource(cls))
    except (OSError, TypeError):
        pass
    for member in vars(cls).values():
        filename = getattr(getattr(member, "__code__", None), "co_filename", None)
        if filename:
            text = "".join(linecache.getlines(filename))
            try:
                tree = ast.parse(text)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
                    return clean_code(ast.get_source_segment(text, node))
    raise InvalidValueError(f"the source code of custom initializer {cls.__name__!r} is not available; "
                            "define it in a notebook cell or a file")


def clean_code(code):
    """Custom initializer source as stored in a design: dedented, no blank lines
    around it, one final newline (so code survives save, load and export unchanged)."""
    return textwrap.dedent(code).strip("\n").rstrip() + "\n"

"""NetworkSpec: a whole design as plain, versioned, JSON-ready data.

A design is a dict checked against ``spec.schema.json`` (shipped in the package)::

    {"format": 1,
     "layers": [{"kind": "Input", "name": "input-1", "shape": [10]},
                {"kind": "Sigmoid", "name": "sigmoid-1", "n_units": 30, "options": {},
                 "parameters": {"weight": {"initializer": {"name": "Normal", "params": {"std": 0.01}}},
                                "bias": {"initializer": {"name": "Constant", "params": {"value": 0}}}}},
                {"kind": "Sigmoid", "name": "sigmoid-2", "n_units": 30, "options": {},
                 "parameters": {"weight": {"link": "sigmoid-1"}, "bias": null}}],
     "custom": {"Gamma": "class Gamma(init.Initializer): ..."}}

A parameter is an initializer config, fixed ``values`` (nested lists), a ``link`` (it
uses the variable of the same parameter of another layer: a shared parameter; with
``"transpose": true`` a weight uses an earlier layer's weight transposed, as a tied
autoencoder's decoder) or ``null`` (no bias). ``custom`` holds the source of custom initializer classes; it runs
only when the design is trusted (``trust=True``) and the design is built: until then
those parameters are "untrusted custom initializer" (zeros as placeholders) and none of
that code runs, not when loading, validating, exporting code or showing the design.

A validated design is stored in canonical form (every option and every parameter of a
built-in initializer spelled out, ``values`` as float32 numbers, custom code without
surrounding blank lines), so ``NetworkSpec.from_network(spec.build()) == spec`` for
designs whose links point to earlier layers. :meth:`NetworkSpec.to_code` exports a
script for the neuwidgets API or for Keras.
"""
import ast
import builtins
import copy
import inspect
import json
import keyword
import linecache
import math
import textwrap
from pathlib import Path

import jsonschema
import numpy as np

from . import init
from .errors import InitializerError, InvalidTypeError, InvalidValueError, NeuwidgetsError
from .layers import KINDS, Dropout, Input, Linear, Transposed
from .layers.base import check_name
from .network import Network

FORMAT = 1
SCHEMA = json.loads((Path(__file__).parent / "spec.schema.json").read_text(encoding="utf-8"))
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
CODE_FILENAME = "<custom initializer>"
UNTRUSTED = "untrusted custom initializer"


#: Names the exported scripts (:meth:`NetworkSpec.to_code`) import or define. A custom
#: initializer class is emitted into those scripts under its own name, so it may not take
#: one of these, a layer kind, a built-in initializer, a Python keyword or builtin
#: (tests/test_code_export.py checks that every name a script uses is listed here).
SCRIPT_NAMES = frozenset({
    "np", "tf", "keras", "init", "Initializer", "join", "Transposed", "network", "model", "inputs",
    "layers", "x", "SharedDense", "FixedValues", "FromNeuwidgets", "leaky_relu", "elu", "hard_sigmoid"})


def check_class_name(name, where):
    """Refuse a custom initializer class name that exported code could not hold as it is:
    not an identifier, or a name the scripts use (:data:`SCRIPT_NAMES`, layer kinds,
    built-in initializers, Python keywords and builtins). Raises :class:`InvalidValueError`."""
    if not isinstance(name, str) or not name.isidentifier():
        raise InvalidValueError(f"{where}: a custom initializer name must be a Python identifier, got {_short(name, 60)}")
    if (name in SCRIPT_NAMES or name in KINDS or name in init.BUILTINS or keyword.iskeyword(name)
            or hasattr(builtins, name)):
        raise InvalidValueError(f"{where}: custom initializer class {name!r} has the name of something exported code "
                                "uses (a layer, a built-in initializer, a Python name); rename the class")
    return name


def check_trust(trust, where):
    """``trust`` as a real bool: anything else (``"false"``, ``1``, None) is an
    :class:`InvalidTypeError`, never read as true or false."""
    if not isinstance(trust, bool):
        raise InvalidTypeError(f"{where}: trust must be True or False, got {_short(trust, 60)}")
    return trust


def code_namespace():
    """What custom initializer code sees: ``tf``, ``np``, ``init`` and ``Initializer``."""
    import tensorflow as tf
    return {"__name__": "neuwidgets.custom", "tf": tf, "np": np, "init": init,
            "Initializer": init.Initializer}


def _code_line(exc):
    """Line number of custom code where ``exc`` happened, or None."""
    if isinstance(exc, SyntaxError) and exc.filename == CODE_FILENAME:
        return exc.lineno
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == CODE_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line if line is not None or exc.__cause__ is None else _code_line(exc.__cause__)


def describe_code_error(exc):
    """``"line 3: ZeroDivisionError: division by zero"`` for an error raised by custom code."""
    line = _code_line(exc)
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
        exec(compile(code, CODE_FILENAME, "exec"), namespace)
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


def link_entry(target, transpose=False):
    """A parameter's design entry that shares ``target``'s variable (used transposed when
    ``transpose``): ``{"link": target}`` or ``{"link": target, "transpose": true}``."""
    return {"link": target, "transpose": True} if transpose else {"link": target}


class UntrustedPlaceholder(init.Constant):
    """Zeros standing for untrusted custom initializer ``name``, whose code has not run."""

    def __init__(self, name):
        super().__init__(0)
        self.name = name

    def __repr__(self):
        return f"<{UNTRUSTED} {self.name!r}>"


def _check_code_shape(name, code):
    """Refuse, without running it, custom code that cannot be the class ``name``: a syntax
    error (with its line) or no top-level ``class name``. What it does is only known by
    running it, which takes trust."""
    try:
        tree = ast.parse(code, CODE_FILENAME)
    except SyntaxError as exc:
        raise InvalidValueError(f"design.custom[{name!r}], line {exc.lineno}: {exc.msg}") from None
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


def _short(value, limit=120):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 5] + " ...]"


def _json_path(path, data=None):
    """``design.layers[1] (Tanh layer 'a').n_units`` for a jsonschema path."""
    path, text = list(path), "design"
    for index, part in enumerate(path):
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
        if index == 1 and path[0] == "layers" and isinstance(part, int) and isinstance(data, dict):
            try:
                entry = data["layers"][part]
                text += f" ({entry['kind']} layer {entry['name']!r})"
            except (LookupError, TypeError):
                pass
    return text


def _schema_message(error, data):
    """One line naming the place, what was given and what was expected."""
    where = _json_path(error.absolute_path, data)
    instance, schema = error.instance, error.schema
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = list(schema.get("properties", {}))
        extra = [key for key in instance if key not in allowed]
        return (f"{where}: unexpected field{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))}; "
                f"expected only {', '.join(map(repr, allowed))}")
    if error.validator in ("minProperties", "maxProperties", "not", "dependentRequired") \
            and "initializer" in schema.get("properties", {}):
        return (f"{where}: a parameter is null or exactly one of {{\"initializer\": ...}}, {{\"values\": ...}}, "
                f"{{\"link\": \"layer name\"}} (with \"transpose\": true to use it transposed); "
                f"got fields {', '.join(map(repr, instance)) or 'none'}")
    if error.validator == "enum" and error.path and error.path[-1] == "kind":
        return f"{where}: unknown layer kind {instance!r}; expected one of {', '.join(error.validator_value)}"
    if error.validator == "required":
        return f"{where}: {error.message}; the entry has {', '.join(map(repr, instance)) or 'no fields'}"
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{where}: expected {expected}, got {type(instance).__name__} {_short(instance)}"
    return f"{where}: {error.message}"[:500]


class BuildResult:
    """What :meth:`NetworkSpec.build_report` made: the ``network`` and its soft ``errors``
    (``{"layer", "parameter", "kind", "message"}``; ``kind`` is ``"link"`` for a broken
    link, ``"untrusted"`` for custom code that has not run)."""

    def __init__(self, network, errors):
        self.network, self.errors = network, errors


class NetworkSpec:
    """A validated design. ``data`` is the plain dict (see the module docstring).

    ``trust``: run the design's custom initializer code. ``classes``: live
    :class:`~neuwidgets.init.Initializer` subclasses (from notebook cells) by name.
    Raises :class:`InvalidValueError` / :class:`InvalidTypeError` naming the place in
    the design for anything malformed: wrong shape of JSON, unknown or future format,
    unknown layer kind or initializer, bad units, duplicate names, a link to the layer
    itself or a transposed bias. Links that depend on shapes or on other layers are
    checked when built (:meth:`link_problems`).
    """

    def __init__(self, data, trust=False, classes=None):
        self.trusted = check_trust(trust, "NetworkSpec")
        self.classes = dict(classes or {})
        self.data = copy.deepcopy(data)
        self._validate()

    # -- JSON ---------------------------------------------------------------------------
    @classmethod
    def from_json(cls, text, trust=False, classes=None):
        """Parse and validate a design; custom code stays unrun unless ``trust=True``.

        A link that cannot hold (a missing layer, other shapes) is not refused here, so
        that a design saved with a broken link opens again and shows it:
        :meth:`build` refuses it, :meth:`build_report` reports it.
        """
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(f"a design must be JSON text: {exc}") from None
        except RecursionError:
            raise InvalidValueError("a design must be JSON text of reasonable depth: this one is nested "
                                    "too deeply to read") from None
        return cls(data, trust=trust, classes=classes)

    def _describe(self, problem):
        """``Relu layer 'b': parameter 'weight': <message>`` for a soft error."""
        entry = self.entry(problem["layer"])
        return f"{entry['kind']} layer {problem['layer']!r}: parameter '{problem['parameter']}': {problem['message']}"

    def to_json(self, indent=2):
        """The design as JSON text, with the source of every custom class it uses."""
        return json.dumps(self._portable_data(), indent=indent)

    def _portable_data(self):
        """A copy of the design holding the source of the live classes it uses (classes
        from notebook cells live only in this kernel): what leaves the kernel."""
        data = copy.deepcopy(self.data)
        for entry in data["layers"]:
            for value in (entry.get("parameters") or {}).values():
                name = ((value or {}).get("initializer") or {}).get("name")
                if name in self.classes and name not in data["custom"]:
                    data["custom"][name] = class_source(self.classes[name])
        return data

    def to_dict(self):
        return copy.deepcopy(self.data)

    def __eq__(self, other):
        return isinstance(other, NetworkSpec) and self.data == other.data

    def __repr__(self):
        kinds = ", ".join(f"{entry['kind']}({entry['name']})" for entry in self.data["layers"])
        return f"NetworkSpec([{kinds}])"

    # -- validation ---------------------------------------------------------------------
    def _validate(self):
        """Check the design against the schema and the rules the schema cannot state,
        and bring it to its canonical form: every option and every parameter of a
        built-in initializer spelled out, ``values`` as float32 numbers, custom code
        cleaned (:func:`clean_code`). Runs no custom code."""
        data = self.data
        if not isinstance(data, dict):
            raise InvalidTypeError(f"a design is a JSON object, got {type(data).__name__} {_short(data, 60)}")
        fmt = data.get("format")
        if "format" not in data:
            raise InvalidValueError(f"design.format is missing; expected {FORMAT} (the version of the design format)")
        if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > FORMAT:
            raise InvalidValueError(f"design.format is {fmt}: newer than this neuwidgets reads ({FORMAT}); "
                                    "upgrade neuwidgets")
        if fmt != FORMAT or isinstance(fmt, bool):
            raise InvalidValueError(f"design.format must be {FORMAT}, got {fmt!r}")
        error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(data))
        if error is not None:
            raise InvalidValueError(_schema_message(error, data))
        data.setdefault("custom", {})
        data["custom"] = {name: clean_code(code) for name, code in data["custom"].items()}
        for name, code in data["custom"].items():
            check_class_name(name, "design.custom")
            _check_code_shape(name, code)
        names = [entry["name"] for entry in data["layers"]]
        for index, entry in enumerate(data["layers"]):
            check_name(entry["name"], f"design.layers[{index}].name")
            for parameter, value in (entry.get("parameters") or {}).items():
                if value and "link" in value:
                    check_name(value["link"], f"design.layers[{index}].parameters.{parameter}.link")
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise InvalidValueError(f"layer names must be unique, got {', '.join(map(repr, duplicates))} twice")
        if data["layers"][0]["kind"] != "Input" or any(e["kind"] == "Input" for e in data["layers"][1:]):
            raise InvalidValueError("a design starts with exactly one Input layer, "
                                    f"got {', '.join(e['kind'] for e in data['layers'])}")
        custom = {**self.classes, **dict.fromkeys(data["custom"])}
        known, used = {**init.BUILTINS, **custom}, set()
        for index, entry in enumerate(data["layers"]):
            kind = KINDS[entry["kind"]]
            if kind is Dropout:
                entry["options"] = {"proba": 0.5, **entry.get("options", {})}
            elif issubclass(kind, Linear):
                extra = sorted(set(entry.get("options", {})) - set(kind.options))
                if extra:
                    raise InvalidValueError(
                        f"design.layers[{index}] ({entry['kind']} layer {entry['name']!r}).options: unexpected "
                        f"{', '.join(map(repr, extra))}; {entry['kind']} takes {', '.join(map(repr, kind.options)) or 'none'}")
                entry["options"] = {**kind.options, **entry.get("options", {})}
            for parameter, value in entry.get("parameters", {}).items():
                where = f"design.layers[{index}] ({entry['kind']} layer {entry['name']!r}): parameter '{parameter}'"
                if value is None:
                    continue
                if "values" in value:
                    value["values"] = self._check_values(value["values"], where)
                if "link" in value:
                    self._check_link(entry, parameter, value, where)
                if "initializer" not in value:
                    continue
                config = value["initializer"]
                if config["name"] not in known:
                    raise InvalidValueError(f"{where}: unknown initializer {config['name']!r}; "
                                            f"expected one of {', '.join(known)}")
                used.add(config["name"])
                if config["name"] not in init.BUILTINS:
                    check_class_name(config["name"], where)
                    bad = [key for key in config["params"] if not key.isidentifier() or keyword.iskeyword(key)]
                    if bad:
                        raise InvalidValueError(f"{where}: {config['name']} parameter names must be Python "
                                                f"identifiers, got {_short(bad[0], 60)}")
                if config["name"] not in custom:  # a built-in: safe to construct, no custom code runs
                    try:
                        config["params"] = init.from_config(config).get_config()["params"]
                    except NeuwidgetsError as exc:
                        raise type(exc)(f"{where}: {exc}") from None
                try:
                    json.dumps(config["params"], allow_nan=False)
                except (TypeError, ValueError):
                    raise InvalidTypeError(f"{where}: {config['name']} parameters must be JSON numbers, strings, "
                                           f"lists or null, got {_short(config['params'])}") from None
        # Code no parameter uses is dropped: nobody is asked to trust code that does nothing here.
        data["custom"] = {name: code for name, code in data["custom"].items() if name in used}

    @staticmethod
    def _check_link(entry, parameter, value, where):
        """What a link can get wrong whatever the shapes; stores ``transpose`` only when true."""
        if value["link"] == entry["name"]:
            raise InvalidValueError(f"{where}: a layer cannot link to itself, got link {value['link']!r}")
        if value.get("transpose") and parameter != "weight":
            raise InvalidValueError(f"{where}: only a weight can be used transposed, got \"transpose\": true")
        if not value.get("transpose", True):
            del value["transpose"]

    @staticmethod
    def _check_values(values, where):
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidValueError(f"{where}: values must be a rectangular nested list of numbers, "
                                    f"got {_short(values)}") from None
        if not np.all(np.isfinite(array)) or np.any(np.abs(array) > np.finfo(np.float32).max):
            raise InvalidValueError(f"{where}: values must be finite float32 numbers, got NaN, infinity "
                                    "or a number beyond ±3.4e38")
        return array.astype(np.float32).tolist()

    # -- access -------------------------------------------------------------------------
    @property
    def layers(self):
        return self.data["layers"]

    def entry(self, name):
        """The layer entry called ``name``; :class:`InvalidValueError` if none."""
        for entry in self.data["layers"]:
            if entry["name"] == name:
                return entry
        raise InvalidValueError(f"no layer named {name!r}; layers: {', '.join(e['name'] for e in self.layers)}")

    # -- building -----------------------------------------------------------------------
    def _initializer(self, config, compiled, layer_entry, parameter, errors):
        where = f"{layer_entry['kind']} layer '{layer_entry['name']}': parameter '{parameter}'"
        name = config["name"]
        live = self.classes.get(name)
        # A live class stands for the design's code only when it was compiled from that very
        # code (typed in this session's widget); otherwise the code is the design's own.
        typed = live is not None and name in self.data["custom"] and \
            clean_code(getattr(live, "_neuwidgets_code", None) or "\n") == self.data["custom"][name]
        if name in self.data["custom"] and name not in compiled and not typed:
            errors.append({"layer": layer_entry["name"], "parameter": parameter, "kind": "untrusted",
                           "message": f"{UNTRUSTED} {name!r}: trust the design to run its code"})
            return UntrustedPlaceholder(name)
        try:
            return init.from_config(config, custom={**self.classes, **compiled})
        except NeuwidgetsError as exc:
            raise type(exc)(f"{where}: {exc}") from None
        except Exception as exc:
            raise InitializerError(f"{where}: {name}({config.get('params')}) raised "
                                   f"{describe_code_error(exc)}") from exc

    def _make_network(self, make_initializer):
        """Layers joined into a Network (no variables yet); linked parameters get their
        kind's default until linked. ``make_initializer(config, entry, parameter)``."""
        layers = []
        for entry in self.data["layers"]:
            kind, options = KINDS[entry["kind"]], entry.get("options", {})
            if kind is Input:
                layers.append(Input(tuple(entry["shape"]), name=entry["name"]))
            elif kind is Dropout:
                layers.append(Dropout(name=entry["name"], **options))
            else:
                values = {}
                for parameter, value in entry["parameters"].items():
                    if value is None or "link" in value:
                        values[parameter] = value and (kind.default_weight if parameter == "weight" else 0)
                    elif "values" in value:
                        values[parameter] = np.asarray(value["values"], dtype=np.float32)
                    else:
                        values[parameter] = make_initializer(value["initializer"], entry, parameter)
                layers.append(kind(entry["n_units"], name=entry["name"], **values, **options))
        return Network(layers)

    def link_problems(self, network):
        """``[{"layer", "parameter", "message"}]`` for every link that cannot hold in
        ``network``: a missing layer, a layer without that parameter, a link to a
        parameter that is itself linked, or different shapes."""
        problems = []
        for entry in self.data["layers"]:
            for parameter, value in (entry.get("parameters") or {}).items():
                if value is None or "link" not in value:
                    continue
                target = value["link"]
                others = [e for e in self.data["layers"] if e["name"] == target and e is not entry]
                other = (others[0].get("parameters") or {}).get(parameter) if others else None
                if not others:
                    names = ", ".join(repr(e["name"]) for e in self.data["layers"] if e is not entry)
                    message = f"link to a missing layer {target!r}; expected one of {names}"
                elif other is None:
                    message = f"link to {others[0]['kind']} layer {target!r}, which has no {parameter}"
                elif "link" in other:
                    message = f"link to {target!r}, whose {parameter} is itself linked to {other['link']!r}"
                elif value.get("transpose") and self.data["layers"].index(others[0]) > self.data["layers"].index(entry):
                    message = (f"a weight used transposed must belong to an earlier layer, got the later layer "
                               f"{target!r}; link {target!r} to this layer (transposed) instead")
                else:
                    here = network.layer(entry["name"]).parameter_shapes()[parameter]
                    there = network.layer(target).parameter_shapes()[parameter]
                    transposed = tuple(reversed(there)) if value.get("transpose") else there
                    message = None if here == transposed else (
                        f"link to {target!r} is broken: {parameter} shape here is {here}, in {target!r} it is {there}"
                        + (f" (transposed {transposed})" if value.get("transpose") else
                           "; used transposed it would fit" if here == tuple(reversed(there)) else ""))
                if message:
                    problems.append({"layer": entry["name"], "parameter": parameter, "kind": "link",
                                     "message": message})
        return problems

    def build_report(self, reuse=None, max_parameters=None):
        """Build the :class:`~neuwidgets.network.Network` with all its variables.

        ``reuse``: ``{key: tf.Variable}`` from :meth:`reusable_from` of the previous network;
        a parameter whose layer, initializer and shape are unchanged keeps its variable
        (only what changed is re-sampled). ``max_parameters``: refuse, before anything is
        allocated, a design with more parameters. Returns a :class:`BuildResult`; broken
        links and untrusted code are soft errors in it, everything else raises.
        """
        compiled = {}
        if self.trusted:
            for name, code in self.data["custom"].items():
                try:
                    compiled[name] = compile_initializer(code, name)
                except InvalidValueError as exc:
                    raise InvalidValueError(f"custom initializer {name!r}: {exc}") from exc.__cause__
        errors = []
        network = self._make_network(
            lambda config, entry, parameter: self._initializer(config, compiled, entry, parameter, errors))
        self._check_budget(network, max_parameters)
        broken = self.link_problems(network)
        errors += broken
        broken = {(e["layer"], e["parameter"]) for e in broken}

        links = []
        for entry, layer in zip(self.data["layers"], network.layers):
            for parameter, value in (entry.get("parameters") or {}).items():
                if value is None:
                    continue
                if "link" in value and (entry["name"], parameter) not in broken:
                    links.append((layer, parameter, value))
                elif reuse:
                    variable = reuse.get(self._variable_key(entry, parameter, layer))
                    if variable is not None:
                        layer._variables[parameter] = variable
        for layer, parameter, link in links:
            variable = network.layer(link["link"]).variable(parameter)
            layer._set_parameter(parameter, Transposed(variable) if link.get("transpose") else variable)
        try:
            network.variables  # create every variable now: errors surface here, not later
        except InitializerError as exc:
            line = _code_line(exc)
            if line is None:
                raise
            raise InitializerError(f"{exc} (line {line} of the custom code)") from exc.__cause__
        return BuildResult(network, errors)

    def _variable_key(self, entry, parameter, layer):
        """What decides a parameter's sampled variable: layer name, parameter, its value
        in the design, the custom code or class behind it, and its shape."""
        value = entry["parameters"][parameter]
        initializer = value.get("initializer", {}).get("name")
        return (entry["name"], parameter, json.dumps(value, sort_keys=True), self.data["custom"].get(initializer),
                id(self.classes.get(initializer)), layer.parameter_shapes()[parameter])

    def reusable_from(self, network):
        """``{key: tf.Variable}`` (for :meth:`build_report`'s ``reuse``) of the variables of
        ``network`` — whose design this is — that its layers sampled or were given: the next
        build keeps those whose layer, value in the design and shape are unchanged. Shared
        ones come with their owner; a placeholder for untrusted code is never reused
        (trusting must sample for real)."""
        import tensorflow as tf
        reuse = {}
        for entry, layer in zip(self.data["layers"], network.layers):
            for parameter, value in (entry.get("parameters") or {}).items():
                held = layer.parameters.get(parameter)
                if value is None or isinstance(held, UntrustedPlaceholder) or (
                        "link" in value and isinstance(held, (tf.Variable, Transposed))):
                    continue
                reuse[self._variable_key(entry, parameter, layer)] = layer.variable(parameter)
        return reuse

    @staticmethod
    def _check_budget(network, max_parameters):
        if max_parameters is None:
            return
        total = sum(math.prod(shape) for layer in network.layers for shape in layer.parameter_shapes().values())
        if total > max_parameters:
            raise InvalidValueError(f"the design has {total:,} parameters, more than the budget of "
                                    f"{max_parameters:,}; use fewer units")

    def build(self, max_parameters=None):
        """The :class:`~neuwidgets.network.Network` of this design, every variable made.

        Raises :class:`NeuwidgetsError` for a broken link or untrusted custom code (and
        everything :meth:`build_report` raises).
        """
        result = self.build_report(max_parameters=max_parameters)
        if result.errors:
            raise InvalidValueError("; ".join(self._describe(e) for e in result.errors))
        return result.network

    @classmethod
    def from_network(cls, network):
        """The design of an existing network: initializers as configs, arrays and
        variables as ``values``, a variable used by several layers as links to the
        first. A custom initializer class of this kernel (a notebook cell) stays a live
        class (:attr:`classes`; its source goes into what leaves the kernel: :meth:`to_json`,
        :meth:`to_code`); one compiled from a design's code keeps that code. Raises
        :class:`InvalidValueError` for what a design cannot hold."""
        import tensorflow as tf
        owners, custom, live, entries = {}, {}, {}, []
        for layer in network.layers:
            entry = {"kind": type(layer).__name__, "name": layer.name}
            if type(layer).__name__ not in KINDS:
                raise InvalidValueError(f"{layer}: a design cannot hold layers of type {type(layer).__name__}")
            if isinstance(layer, Input):
                entry["shape"] = list(layer.shape)
            elif isinstance(layer, Dropout):
                entry["options"] = {"proba": layer.proba}
            elif isinstance(layer, Linear):
                entry.update(n_units=layer.n_units, options={k: getattr(layer, k) for k in layer.options},
                             parameters={"weight": None, "bias": None})
                for parameter, value in layer.parameters.items():
                    if isinstance(value, tf.Variable) and id(value) in owners:
                        entry["parameters"][parameter] = link_entry(owners[id(value)])
                        continue
                    if isinstance(value, Transposed):
                        if id(value.variable) not in owners:
                            raise InvalidValueError(f"{layer}: its {parameter} is a transposed variable no earlier "
                                                    "layer uses; a design links it to the earlier layer that owns it")
                        entry["parameters"][parameter] = link_entry(owners[id(value.variable)], transpose=True)
                        continue
                    if isinstance(value, UntrustedPlaceholder):
                        raise InvalidValueError(f"{layer}: its {parameter} stands for the untrusted custom initializer "
                                                f"{value.name!r}; save the design itself, or trust it first")
                    if isinstance(value, init.Initializer):
                        config = value.get_config()
                        klass = type(value)
                        if config["name"] not in init.BUILTINS and getattr(klass, "_neuwidgets_code", None):
                            custom[config["name"]] = clean_code(klass._neuwidgets_code)  # a design's own code
                        elif config["name"] not in init.BUILTINS:
                            live[config["name"]] = klass  # a class of this kernel (a notebook cell)
                        entry["parameters"][parameter] = {"initializer": config}
                    else:
                        entry["parameters"][parameter] = {"values": layer.variable(parameter).numpy().tolist()}
                    if parameter in layer._variables:
                        owners[id(layer._variables[parameter])] = layer.name
            entries.append(entry)
        return cls({"format": FORMAT, "layers": entries, "custom": custom}, trust=True, classes=live)

    # -- code export ----------------------------------------------------------------------
    def to_code(self, target="neuwidgets"):
        """Python source that rebuilds this design; it runs in a fresh interpreter.

        ``target="neuwidgets"``: the neuwidgets API; the script defines ``network``, and
        ``NetworkSpec.from_network(network)`` equals this design (with parameters shared
        through links to later layers, the earliest layer becomes the owner: the same
        network, the same sharing). ``target="keras"``: a ``keras.Model`` named
        ``model`` (functional API, one ``Dense`` per layer, initializers mapped to Keras
        initializers, shared parameters as one variable, layer names kept); custom
        initializers run through a small adapter and need neuwidgets installed.

        Custom initializer code is copied into the script as text: nothing runs here.
        Raises :class:`InvalidValueError` for an unknown ``target`` or a broken link.
        """
        if target not in ("neuwidgets", "keras"):
            raise InvalidValueError(f"to_code: target must be 'neuwidgets' or 'keras', got {target!r}")
        data = self._owners_first()
        return self._api_code(data) if target == "neuwidgets" else self._keras_code(data)

    def _owners_first(self):
        """The design with every shared parameter owned by the earliest layer using it
        (links point backwards only), as code needs the owner's variable first."""
        problems = self.link_problems(self._make_network(lambda *args: init.Constant(0)))
        if problems:
            raise InvalidValueError(f"to_code: {self._describe(problems[0])}")
        data = self._portable_data()
        entries = {entry["name"]: entry for entry in data["layers"]}
        for index, entry in enumerate(data["layers"]):
            for parameter, value in (entry.get("parameters") or {}).items():
                if not value or "link" not in value:
                    continue
                owner = entries[value["link"]]
                if data["layers"].index(owner) < index:
                    continue
                # The owner is later (a plain link: link_problems refuses transposed ones):
                # this layer takes its value; the owner and every other user now link here,
                # each as it saw the variable (transposed or not).
                entry["parameters"][parameter] = owner["parameters"][parameter]
                for other in data["layers"]:
                    seen = (other.get("parameters") or {}).get(parameter) or {}
                    if other is not entry and seen.get("link") == owner["name"]:
                        other["parameters"][parameter] = link_entry(entry["name"], seen.get("transpose", False))
                owner["parameters"][parameter] = link_entry(entry["name"])
        return data

    @staticmethod
    def _custom_lines(data):
        if not data["custom"]:
            return []
        lines = ["# Custom initializer code from the design (it runs when this script runs).",
                 "from neuwidgets.init import Initializer", ""]
        for code in data["custom"].values():
            lines += [code.rstrip(), "", ""]
        return lines

    def _api_code(self, data):
        lines = ['"""neuwidgets design as code: defines `network`."""',
                 "import numpy as np", "import tensorflow as tf", "", "from neuwidgets import init",
                 "from neuwidgets.layers import *", ""]
        lines += self._custom_lines(data)
        groups, current = [], []
        for entry in data["layers"]:
            linked = [v for v in (entry.get("parameters") or {}).values() if v and "link" in v]
            if linked and current:
                groups.append(current)
                current = []
            current.append(self._layer_code(entry, data))
        groups.append(current)
        lines.append("network = join(\n" + "".join(f"    {c},\n" for c in groups[0]) + ")")
        for group in groups[1:]:
            lines.append("network = network >> join(\n" + "".join(f"    {c},\n" for c in group) + ")")
        return "\n".join(lines) + "\n"

    def _is_custom(self, name, data):
        return name in data["custom"] or name in self.classes or name not in init.BUILTINS

    def _layer_code(self, entry, data):
        if entry["kind"] == "Input":
            shape = entry["shape"][0] if len(entry["shape"]) == 1 else tuple(entry["shape"])
            return f"Input({shape!r}, name={entry['name']!r})"
        args = [] if entry["kind"] == "Dropout" else [repr(entry["n_units"])]
        args += [f"{key}={value!r}" for key, value in entry.get("options", {}).items()]
        for parameter, value in (entry.get("parameters") or {}).items():
            if value is None:
                args.append(f"{parameter}=None")
            elif "link" in value:
                shared = f"network.layer({value['link']!r}).variable({parameter!r})"
                args.append(f"{parameter}=Transposed({shared})" if value.get("transpose") else f"{parameter}={shared}")
            elif "values" in value:
                args.append(f"{parameter}=np.array({value['values']!r}, dtype='float32')")
            else:
                config = value["initializer"]
                prefix = "" if self._is_custom(config["name"], data) else "init."
                params = ", ".join(f"{k}={v!r}" for k, v in config["params"].items() if not (k == "seed" and v is None))
                args.append(f"{parameter}={prefix}{config['name']}({params})")
        args.append(f"name={entry['name']!r}")
        return f"{entry['kind']}({', '.join(args)})"

    # Keras export ---------------------------------------------------------------------
    _KERAS_ACTIVATIONS = {"Linear": "None", "Sigmoid": "'sigmoid'", "Tanh": "'tanh'", "Softplus": "'softplus'",
                          "Softmax": "'softmax'", "HardSigmoid": "hard_sigmoid"}

    def _keras_code(self, data):
        shapes = {layer.name: layer.parameter_shapes()
                  for layer in self._make_network(lambda *args: init.Constant(0)).layers}
        body, helpers = [], set()
        entry = data["layers"][0]
        body += [f"inputs = keras.Input(shape={tuple(entry['shape'])!r}, name={entry['name']!r})",
                 "layers = {}", "x = inputs"]
        for entry in data["layers"][1:]:
            name = entry["name"]
            if entry["kind"] == "Dropout":
                body.append(f"layers[{name!r}] = keras.layers.Dropout({entry['options']['proba']!r}, name={name!r})")
            else:
                params = entry["parameters"]
                args = [repr(entry["n_units"]), f"activation={self._keras_activation(entry, helpers)}"]
                if params["bias"] is None:
                    args.append("use_bias=False")
                linked = {p: v["link"] for p, v in params.items() if v and "link" in v}
                if (params["weight"] or {}).get("transpose"):
                    args.append("transpose_kernel=True")
                for parameter, attribute in (("weight", "kernel"), ("bias", "bias")):
                    value = params[parameter]
                    if value is None or parameter in linked:
                        continue
                    code = self._keras_initializer(value, shapes[name][parameter], data, helpers)
                    args.append(f"{attribute}_initializer={code}")
                for parameter, target in linked.items():
                    attribute = "kernel" if parameter == "weight" else "bias"
                    args.append(f"{attribute}=layers[{target!r}].{attribute}")
                layer_class = "SharedDense" if linked else "keras.layers.Dense"
                if linked:
                    helpers.add("SharedDense")
                args.append(f"name={name!r}")
                body.append(f"layers[{name!r}] = {layer_class}({', '.join(args)})")
            body.append(f"x = layers[{name!r}](x)")
        body.append("model = keras.Model(inputs, x, name='neuwidgets')")

        lines = ['"""neuwidgets design as a Keras model: defines `model`."""', "import numpy as np", "import keras", ""]
        if data["custom"]:
            lines += ["import tensorflow as tf", "", "from neuwidgets import init", ""]
            lines += self._custom_lines(data)
        for helper in ("leaky_relu", "elu", "hard_sigmoid", "FixedValues", "FromNeuwidgets"):
            if helper in helpers:
                lines += [_KERAS_HELPERS[helper].strip("\n"), "", ""]
        if "SharedDense" in helpers:  # the very class Network.to_keras uses
            from .keras import SharedDense
            lines += [inspect.getsource(SharedDense).strip("\n"), "", ""]
        return "\n".join(lines + body) + "\n"

    def _keras_activation(self, entry, helpers):
        kind, alpha = entry["kind"], entry.get("options", {}).get("alpha")
        if kind == "Relu" and not alpha:
            return "'relu'"
        if kind in ("Relu", "LeakyRelu"):
            helpers.add("leaky_relu")
            return f"leaky_relu({alpha!r})"
        if kind == "Elu":
            if alpha == 1:
                return "'elu'"
            helpers.add("elu")
            return f"elu({alpha!r})"
        if kind == "HardSigmoid":
            helpers.add("hard_sigmoid")
        return self._KERAS_ACTIVATIONS[kind]

    def _keras_initializer(self, value, shape, data, helpers):
        """Keras initializer code sampling what ``value`` samples for ``shape``."""
        if "values" in value:
            helpers.add("FixedValues")
            return f"FixedValues({value['values']!r})"
        config = value["initializer"]
        name, params = config["name"], dict(config["params"])
        if self._is_custom(name, data):
            if name not in data["custom"]:
                raise InvalidValueError(f"to_code: the source of custom initializer {name!r} is not in the design")
            helpers.add("FromNeuwidgets")
            arguments = ", ".join(f"{k}={v!r}" for k, v in params.items())
            return f"FromNeuwidgets({name}({arguments}))"
        seed = params.pop("seed", None)
        seed = "" if seed is None else f", seed={seed!r}"
        if name == "Constant":
            return f"keras.initializers.Constant({params['value']!r})"
        if name == "Normal":
            return f"keras.initializers.RandomNormal(mean={params['mean']!r}, stddev={params['std']!r}{seed})"
        if name == "Uniform":
            return f"keras.initializers.RandomUniform(minval={params['minval']!r}, maxval={params['maxval']!r}{seed})"
        if name == "TruncatedNormal":
            return f"keras.initializers.TruncatedNormal(mean={params['mean']!r}, stddev={params['std']!r}{seed})"
        if name == "Orthogonal":
            return f"keras.initializers.Orthogonal(gain={params['scale']!r}{seed})"
        if name in ("HeNormal", "HeUniform", "XavierNormal", "XavierUniform"):
            mode = "fan_in" if name.startswith("He") else "fan_avg"
            scale = params["gain"] if name.startswith("He") else params["gain"] / 2
            distribution = "uniform" if name.endswith("Uniform") else "untruncated_normal"
        else:
            mode, scale, distribution = params["mode"], params["scale"], params["distribution"]
        if len(shape) == 1 and mode != "fan_in":
            # Keras counts fan_out = n for a (n,) bias, neuwidgets (NeuPy) 1: spell out the numbers.
            std = init.from_config(config).expected_std(shape)
            if distribution == "uniform":
                limit = math.sqrt(3.0) * std
                return f"keras.initializers.RandomUniform(minval={-limit!r}, maxval={limit!r}{seed})"
            if distribution == "untruncated_normal":
                return f"keras.initializers.RandomNormal(mean=0.0, stddev={std!r}{seed})"
            return f"keras.initializers.TruncatedNormal(mean=0.0, stddev={std / init.TRUNCATED_STD!r}{seed})"
        return (f"keras.initializers.VarianceScaling(scale={scale!r}, mode={mode!r}, "
                f"distribution={distribution!r}{seed})")


#: Small definitions the Keras export adds to a script when the design needs them.
_KERAS_HELPERS = {
    "leaky_relu": '''
def leaky_relu(alpha):
    """max(z, alpha·z) (neuwidgets Relu(alpha=...) and LeakyRelu)."""
    return lambda z: keras.ops.leaky_relu(z, negative_slope=alpha)''',
    "elu": '''
def elu(alpha):
    """z for z > 0, alpha·(exp(z) − 1) otherwise."""
    return lambda z: keras.activations.elu(z, alpha=alpha)''',
    "hard_sigmoid": '''
def hard_sigmoid(z):
    """clip(0.2·z + 0.5, 0, 1): neuwidgets' HardSigmoid (Keras' own hard_sigmoid differs)."""
    return keras.ops.clip(0.2 * z + 0.5, 0.0, 1.0)''',
    "FixedValues": '''
class FixedValues(keras.initializers.Initializer):
    """The fixed values of a parameter saved in the design."""

    def __init__(self, values):
        self.values = np.asarray(values, dtype="float32")

    def __call__(self, shape, dtype=None):
        if tuple(shape) != self.values.shape:
            raise ValueError(f"fixed values have shape {self.values.shape}, expected {tuple(shape)}")
        return keras.ops.convert_to_tensor(self.values, dtype=dtype)''',
    "FromNeuwidgets": '''
class FromNeuwidgets(keras.initializers.Initializer):
    """A neuwidgets initializer (``sample(shape)``) called as a Keras initializer."""

    def __init__(self, initializer):
        self.initializer = initializer

    def __call__(self, shape, dtype=None):
        values = init.as_float32(self.initializer.sample(tuple(shape)), tuple(shape), repr(self.initializer))
        return keras.ops.convert_to_tensor(np.asarray(values), dtype=dtype)''',
}

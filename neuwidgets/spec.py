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
uses the variable of the same parameter of another layer: a shared parameter) or
``null`` (no bias). ``custom`` holds the source of custom initializer classes; it runs
only when the design is trusted (``trust=True``): until then those parameters are
"untrusted custom initializer" and none of that code runs.
"""
import ast
import copy
import inspect
import json
import linecache
import math
from pathlib import Path

import jsonschema
import numpy as np

from . import init
from .errors import InitializerError, InvalidTypeError, InvalidValueError, NeuwidgetsError
from .layers import KINDS, Dropout, Input, Linear
from .network import Network

FORMAT = 1
SCHEMA = json.loads((Path(__file__).parent / "spec.schema.json").read_text(encoding="utf-8"))
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
CODE_FILENAME = "<custom initializer>"
UNTRUSTED = "untrusted custom initializer"


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
    try:
        exec(compile(code, CODE_FILENAME, "exec"), namespace)
    except Exception as exc:
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
    if cls.__name__ in init.BUILTINS:
        raise InvalidValueError(f"custom initializer class {cls.__name__!r} has the name of a built-in; rename it")
    cls._neuwidgets_code = code
    return cls


def class_source(cls):
    """Source code of an initializer class, also for classes defined in notebook cells."""
    code = getattr(cls, "_neuwidgets_code", None)
    if code:
        return code
    try:
        return inspect.getsource(cls)
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
                    return ast.get_source_segment(text, node)
    raise InvalidValueError(f"the source code of custom initializer {cls.__name__!r} is not available; "
                            "define it in a notebook cell or a file")


def _json_path(path):
    return "design" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


class BuildResult:
    """What :meth:`NetworkSpec.build_report` made: the ``network``, soft ``errors``
    (``{"layer", "parameter", "message"}``: broken links, untrusted code) and ``keys``
    ``{(layer name, parameter): key}`` identifying how each own variable was sampled."""

    def __init__(self, network, errors, keys):
        self.network, self.errors, self.keys = network, errors, keys

    def reusable(self):
        """``{key: tf.Variable}`` that an identical parameter of the next build may reuse."""
        return {key: self.network.layer(name).variable(parameter)
                for (name, parameter), key in self.keys.items()}


class NetworkSpec:
    """A validated design. ``data`` is the plain dict (see the module docstring).

    ``trust``: run the design's custom initializer code. ``classes``: live
    :class:`~neuwidgets.init.Initializer` subclasses (from notebook cells) by name.
    Raises :class:`InvalidValueError` / :class:`InvalidTypeError` naming the place in
    the design for anything malformed: wrong shape of JSON, unknown or future format,
    unknown layer kind or initializer, bad units, duplicate names, bad links.
    """

    def __init__(self, data, trust=False, classes=None):
        self.trusted = bool(trust)
        self.classes = dict(classes or {})
        self.data = copy.deepcopy(data)
        self._validate()

    # -- JSON ---------------------------------------------------------------------------
    @classmethod
    def from_json(cls, text, trust=False, classes=None):
        """Parse and validate a design; custom code stays unrun unless ``trust=True``."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(f"a design must be JSON text: {exc}") from None
        spec = cls(data, trust=trust, classes=classes)
        problems = spec.link_problems(spec._make_network(lambda *args: init.Constant(0)))
        if problems:
            raise InvalidValueError(f"{problems[0]['layer']}.{problems[0]['parameter']}: {problems[0]['message']}")
        return spec

    def to_json(self, indent=2):
        return json.dumps(self.data, indent=indent)

    def to_dict(self):
        return copy.deepcopy(self.data)

    def __eq__(self, other):
        return isinstance(other, NetworkSpec) and self.data == other.data

    def __repr__(self):
        kinds = ", ".join(f"{entry['kind']}({entry['name']})" for entry in self.data["layers"])
        return f"NetworkSpec([{kinds}])"

    # -- validation ---------------------------------------------------------------------
    def _validate(self):
        data = self.data
        if not isinstance(data, dict):
            raise InvalidTypeError(f"a design is a JSON object, got {type(data).__name__}")
        fmt = data.get("format")
        if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > FORMAT:
            raise InvalidValueError(f"design format {fmt} is newer than this neuwidgets reads ({FORMAT}); "
                                    "upgrade neuwidgets")
        if fmt != FORMAT:
            raise InvalidValueError(f"design.format must be {FORMAT}, got {fmt!r}")
        error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(data))
        if error is not None:
            raise InvalidValueError(f"{_json_path(error.absolute_path)}: {error.message}"[:500])
        data.setdefault("custom", {})
        names = [entry["name"] for entry in data["layers"]]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise InvalidValueError(f"layer names must be unique, got {', '.join(map(repr, duplicates))} twice")
        if data["layers"][0]["kind"] != "Input" or any(e["kind"] == "Input" for e in data["layers"][1:]):
            raise InvalidValueError("a design starts with exactly one Input layer, "
                                    f"got {', '.join(e['kind'] for e in data['layers'])}")
        known = {**init.BUILTINS, **self.classes, **dict.fromkeys(data["custom"])}
        for entry in data["layers"]:
            for parameter, value in entry.get("parameters", {}).items():
                where = f"{entry['kind']} layer '{entry['name']}': parameter '{parameter}'"
                if value is None:
                    continue
                if "initializer" in value and value["initializer"]["name"] not in known:
                    raise InvalidValueError(f"{where}: unknown initializer {value['initializer']['name']!r}; "
                                            f"expected one of {', '.join(known)}")

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
        if name in self.data["custom"] and name not in compiled and name not in self.classes:
            errors.append({"layer": layer_entry["name"], "parameter": parameter,
                           "message": f"{UNTRUSTED} {name!r}: trust the design to run its code"})
            return init.Constant(0)
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
                    message = f"link to a missing layer {target!r}"
                elif other is None:
                    message = f"link to {others[0]['kind']} layer {target!r}, which has no {parameter}"
                elif "link" in other:
                    message = f"link to {target!r}, whose {parameter} is itself linked to {other['link']!r}"
                else:
                    here = network.layer(entry["name"]).parameter_shapes()[parameter]
                    there = network.layer(target).parameter_shapes()[parameter]
                    message = None if here == there else (
                        f"link to {target!r} is broken: {parameter} shape here is {here}, in {target!r} it is {there}")
                if message:
                    problems.append({"layer": entry["name"], "parameter": parameter, "message": message})
        return problems

    def build_report(self, reuse=None, max_parameters=None):
        """Build the :class:`~neuwidgets.network.Network` with all its variables.

        ``reuse``: ``{key: tf.Variable}`` from a previous :meth:`BuildResult.reusable`;
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

        keys, links = {}, []
        for entry, layer in zip(self.data["layers"], network.layers):
            for parameter, value in (entry.get("parameters") or {}).items():
                if value is None:
                    continue
                if "link" in value and (entry["name"], parameter) not in broken:
                    links.append((layer, parameter, value["link"]))
                    continue
                initializer = value.get("initializer", {}).get("name")
                key = (entry["name"], parameter, json.dumps(value, sort_keys=True),
                       self.data["custom"].get(initializer), id(self.classes.get(initializer)),
                       layer.parameter_shapes()[parameter])
                keys[(entry["name"], parameter)] = key
                if reuse and key in reuse:
                    layer._variables[parameter] = reuse[key]
        for layer, parameter, target in links:
            layer._set_parameter(parameter, network.layer(target).variable(parameter))
        try:
            network.variables  # create every variable now: errors surface here, not later
        except InitializerError as exc:
            line = _code_line(exc)
            if line is None:
                raise
            raise InitializerError(f"{exc} (line {line} of the custom code)") from exc.__cause__
        return BuildResult(network, errors, keys)

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
            raise InvalidValueError("; ".join(f"{e['layer']}.{e['parameter']}: {e['message']}" for e in result.errors))
        return result.network

    @classmethod
    def from_network(cls, network):
        """The design of an existing network: initializers as configs, arrays and
        variables as ``values``, a variable used by several layers as links to the
        first. Raises :class:`InvalidValueError` for what a design cannot hold."""
        import tensorflow as tf
        owners, custom, entries = {}, {}, []
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
                        entry["parameters"][parameter] = {"link": owners[id(value)]}
                        continue
                    if isinstance(value, init.Initializer):
                        config = value.get_config()
                        if config["name"] not in init.BUILTINS:
                            custom[config["name"]] = class_source(type(value))
                        entry["parameters"][parameter] = {"initializer": config}
                    else:
                        entry["parameters"][parameter] = {"values": layer.variable(parameter).numpy().tolist()}
                    if parameter in layer._variables:
                        owners[id(layer._variables[parameter])] = layer.name
            entries.append(entry)
        return cls({"format": FORMAT, "layers": entries, "custom": custom}, trust=True)

    # -- code export ----------------------------------------------------------------------
    def to_code(self):
        """Python source that rebuilds this design with the neuwidgets API (``network``)."""
        lines = ["import numpy as np", "import tensorflow as tf", "", "from neuwidgets import init",
                 "from neuwidgets.layers import *", ""]
        for code in self.data["custom"].values():
            lines += [code.strip(), "", ""]
        groups, current, seen = [], [], set()
        for entry in self.data["layers"]:
            linked = [(p, v["link"]) for p, v in (entry.get("parameters") or {}).items() if v and "link" in v]
            for parameter, target in linked:
                if target not in seen:
                    raise InvalidValueError(f"to_code: {entry['name']}.{parameter} is linked to {target!r}, "
                                            "which is not an earlier layer; code can only share earlier variables")
            seen.add(entry["name"])
            if linked and current:
                groups.append(current)
                current = []
            current.append(self._layer_code(entry))
        groups.append(current)
        lines.append("network = join(\n" + "".join(f"    {c},\n" for c in groups[0]) + ")")
        for group in groups[1:]:
            lines.append("network = network >> join(\n" + "".join(f"    {c},\n" for c in group) + ")")
        return "\n".join(lines) + "\n"

    def _layer_code(self, entry):
        if entry["kind"] == "Input":
            shape = entry["shape"][0] if len(entry["shape"]) == 1 else tuple(entry["shape"])
            return f"Input({shape!r}, name={entry['name']!r})"
        args = [] if entry["kind"] == "Dropout" else [repr(entry["n_units"])]
        args += [f"{key}={value!r}" for key, value in entry.get("options", {}).items()]
        for parameter, value in (entry.get("parameters") or {}).items():
            if value is None:
                args.append(f"{parameter}=None")
            elif "link" in value:
                args.append(f"{parameter}=network.layer({value['link']!r}).variable({parameter!r})")
            elif "values" in value:
                args.append(f"{parameter}=np.array({value['values']!r}, dtype='float32')")
            else:
                config = value["initializer"]
                prefix = "init." if config["name"] in init.BUILTINS else ""
                params = ", ".join(f"{k}={v!r}" for k, v in config["params"].items() if not (k == "seed" and v is None))
                args.append(f"{parameter}={prefix}{config['name']}({params})")
        args.append(f"name={entry['name']!r}")
        return f"{entry['kind']}({', '.join(args)})"


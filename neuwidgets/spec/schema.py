"""The design format: its JSON schema (made from the registry of layer kinds), the
validation of a design and its canonical form.

A design (format 2)::

    {"format": 2,
     "layers": [{"kind": "Input", "name": "input-1", "shape": [28, 28, 1]},
                {"kind": "Convolution", "name": "convolution-1", "size": [3, 3, 16], "padding": "same",
                 "stride": [1, 1], "dilation": [1, 1],
                 "parameters": {"weight": {"initializer": {"name": "HeNormal", "params": {"gain": 2}}},
                                "bias": null}},
                {"kind": "Relu", "name": "relu-1", "n_units": null, "alpha": 0}, ...],
     "custom": {"Gamma": "class Gamma(init.Initializer): ..."},
     "seed": 1234,
     "pins": [{"label": "He", "layers": ["relu-1", ...], "std": [0.81, ...], "grad_std": [0.95, ...],
               "saturated": [0.0, ...], "dead": [0.5, ...]}]}

Every field of a kind is a key of its entry (see :mod:`neuwidgets.layers.fields`);
``parameters`` holds the parameters the layer has with those settings, each an
initializer config, fixed ``values`` (nested lists), a ``link`` to the layer whose
variable it shares (``"transpose": true``: an earlier weight used transposed) or
``null`` (an optional parameter left out). Format 1 designs (``n_units`` and
``shape`` as now, other settings under ``options``) are read and brought to format 2.

Optional: ``seed`` (an integer from 0 to :data:`MAX_SEED`): every parameter whose
initializer has no seed of its own samples with
:func:`~neuwidgets.init.derive_seed` of (this seed, its layer, its parameter), so the
design builds to the same values every time (built-in initializers; a custom one does
when it samples with ``self.seed_tensor()``). ``pins``: at most :data:`MAX_PINS` kept
signal-through-depth profiles, each a ``label`` (plain text, 1 to :data:`MAX_LABEL`
characters), the ``layers`` it was measured on and, per layer, the activation ``std``,
``grad_std`` (dL/dz), ``saturated`` and ``dead`` fractions (finite numbers >= 0, or
null where the signal overflowed).
"""
import json
import keyword

import jsonschema
import numpy as np

from .. import init
from ..errors import InvalidTypeError, InvalidValueError, NeuwidgetsError
from ..layers import KINDS
from ..layers.base import check_name
from ..errors import shown
from ..layers.fields import FLOAT32_MAX
from .code import check_class_name, check_code_shape, clean_code

FORMAT = 2
#: Most layers a design may have.
MAX_LAYERS = 1000
#: Largest design seed (exact as a JavaScript number, short enough to read).
MAX_SEED = 2 ** 32 - 1
#: Most pinned profiles a design keeps, and the longest label of one.
MAX_PINS, MAX_LABEL = 8, 40
#: The per-layer numbers of a pinned profile.
PIN_SERIES = ("std", "grad_std", "saturated", "dead")


def _parameter_schema():
    return {
        "description": "exactly one of: an initializer config, fixed values (nested lists of numbers), a link to "
                       "the layer whose variable is shared (with \"transpose\": true, used transposed)",
        "type": ["object", "null"], "additionalProperties": False, "minProperties": 1, "maxProperties": 2,
        "properties": {
            "initializer": {"type": "object", "additionalProperties": False, "required": ["name", "params"],
                            "properties": {"name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                                           "params": {"type": "object"}}},
            "values": {"type": "array", "minItems": 1},
            "link": {"type": "string"},
            "transpose": {"type": "boolean"}},
        "dependentRequired": {"transpose": ["link"]},
        "not": {"type": "object", "anyOf": [{"required": ["initializer", "values"]},
                                            {"required": ["initializer", "link"]},
                                            {"required": ["values", "link"]}]}}


def _kind_schema(name, kind):
    properties = {"kind": {"const": name}, "name": {"type": "string"}}
    properties.update((field.name, field.json_schema()) for field in kind.fields)
    if kind.parameter_specs:
        properties["parameters"] = {"type": "object", "additionalProperties": False, "properties": {
            spec.name: {"$ref": "#/$defs/parameter"} for spec in kind.parameter_specs}}
    return {"if": {"required": ["kind"], "properties": {"kind": {"const": name}}},
            "then": {"type": "object", "additionalProperties": False, "properties": properties,
                     "required": ["kind", "name", *(field.name for field in kind.fields if field.required)]}}


def make_schema():
    """The JSON schema of a design (format 2), one branch per registered layer kind."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "neuwidgets network design", "type": "object", "required": ["format", "layers"],
        "additionalProperties": False,
        "properties": {
            "format": {"type": "integer"},
            "layers": {"type": "array", "minItems": 1, "maxItems": MAX_LAYERS, "items": {
                "type": "object", "required": ["kind", "name"], "properties": {"kind": {"enum": list(KINDS)}},
                "allOf": [_kind_schema(name, kind) for name, kind in KINDS.items()]}},
            "custom": {"type": "object", "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                       "additionalProperties": {"type": "string", "maxLength": 100_000}},
            "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED},
            "pins": {"type": "array", "maxItems": MAX_PINS, "items": _pin_schema()}},
        "$defs": {"parameter": _parameter_schema()}}


def _pin_schema():
    numbers = {"type": "array", "maxItems": MAX_LAYERS,
               "items": {"type": ["number", "null"], "minimum": 0, "maximum": FLOAT32_MAX}}
    return {"type": "object", "additionalProperties": False, "required": ["label", "layers", *PIN_SERIES],
            "properties": {"label": {"type": "string", "minLength": 1, "maxLength": MAX_LABEL},
                           "layers": {"type": "array", "maxItems": MAX_LAYERS, "items": {"type": "string"}},
                           **{series: numbers for series in PIN_SERIES}}}


#: The JSON schema of a design, as :func:`current_schema` last made it.
SCHEMA = {}
_made_for = None  # the registry SCHEMA was made for
_validator = None


def current_schema():
    """:data:`SCHEMA` for the layer kinds registered now: made again (in place), with its
    validator, when the registry changed (:func:`neuwidgets.layers.register`)."""
    global _made_for, _validator
    registry = tuple(KINDS.items())
    if registry != _made_for:
        SCHEMA.clear()
        SCHEMA.update(make_schema())
        _validator, _made_for = jsonschema.Draft202012Validator(SCHEMA), registry
    return SCHEMA


current_schema()
#: Layer entries (as JSON text) validated before, and their canonical forms: an edit of one
#: layer of a deep design checks that layer, not every layer again. Bounded.
_CHECKED, _CANONICAL = set(), {}
_CACHE_SIZE = 20_000


def where(index, entry):
    """``design.layers[1] (Tanh layer 'a')``: the place of a layer in messages."""
    return f"design.layers[{index}] ({entry['kind']} layer {entry['name']!r})"


def _json_path(path, data):
    """``design.layers[1] (Tanh layer 'a').n_units`` for a jsonschema path."""
    path, text = list(path), "design"
    for index, part in enumerate(path):
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
        if index == 1 and path[0] == "layers" and isinstance(part, int):
            entry = data["layers"][part]
            if isinstance(entry, dict) and isinstance(entry.get("kind"), str) and len(entry["kind"]) <= 40 \
                    and isinstance(entry.get("name"), str):
                text += f" ({entry['kind']} layer {shown(entry['name'], 40)})"
    return text


def _schema_message(error, data):
    """One line naming the place, what was given and what was expected."""
    place = _json_path(error.absolute_path, data)
    instance, schema = error.instance, error.schema
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = list(schema.get("properties", {}))
        extra = [key for key in instance if key not in allowed]
        return (f"{place}: unexpected field{'s' if len(extra) > 1 else ''} {', '.join(shown(key, 40) for key in extra[:3])}; "
                f"expected only {', '.join(map(repr, allowed))}")
    if error.validator in ("minProperties", "maxProperties", "not", "dependentRequired") \
            and "initializer" in schema.get("properties", {}):
        return (f"{place}: a parameter is null or exactly one of {{\"initializer\": ...}}, {{\"values\": ...}}, "
                f"{{\"link\": \"layer name\"}} (with \"transpose\": true to use it transposed); "
                f"got fields {', '.join(shown(key, 40) for key in list(instance)[:4]) or 'none'}")
    if error.validator == "enum" and error.path and error.path[-1] == "kind":
        return f"{place}: unknown layer kind {shown(instance, 40)}; expected one of {', '.join(error.validator_value)}"
    if error.validator == "required":
        fields = ", ".join(shown(key, 40) for key in list(instance)[:8]) or "no fields"
        return f"{place}: {error.message}; the entry has {fields}"
    if error.validator in ("type", "anyOf"):
        expected = error.validator_value
        if error.validator == "anyOf":  # e.g. [{"type": "integer"}, {"type": "null"}]
            expected = [option.get("type", "a value") for option in expected]
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{place}: expected {expected}, got {type(instance).__name__} {shown(instance)}"
    if error.validator in ("maxItems", "minItems", "maxLength"):
        return f"{place}: {error.validator} is {error.validator_value}, got {len(instance):,}"
    return f"{place}: {shown(instance)} does not fit ({error.validator} {shown(error.validator_value)})"


def _non_json(value, path=()):
    """``(path, value)`` of the first value in ``value`` that is not JSON data."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return list(path), key
            found = _non_json(item, (*path, key))
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _non_json(item, (*path, index))
            if found:
                return found
        return None
    if value is None or isinstance(value, (str, bool, int)) or (isinstance(value, float)):
        return None
    return list(path), value


def migrate(data):
    """A format 1 design as format 2: every setting under ``options`` becomes a key of
    its layer entry (the rest is unchanged)."""
    if not isinstance(data.get("layers"), list):
        return {**data, "format": FORMAT}  # the schema says what is wrong with it
    data = {**data, "format": FORMAT, "layers": list(data["layers"])}
    for index, entry in enumerate(data["layers"]):
        if isinstance(entry, dict) and isinstance(entry.get("options"), dict):
            entry = dict(entry)
            options = entry.pop("options")
            clash = sorted(set(options) & set(entry))
            if clash:
                raise InvalidValueError(f"design.layers[{index}].options: {', '.join(map(repr, clash))} given twice")
            entry.update(options)
            data["layers"][index] = entry
    return data


def _check_format(data):
    if not isinstance(data, dict):
        raise InvalidTypeError(f"a design is a JSON object, got {type(data).__name__} {shown(data)}")
    if "format" not in data:
        raise InvalidValueError(f"design.format is missing; expected {FORMAT} (the version of the design format)")
    fmt = data["format"]
    if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > FORMAT:
        raise InvalidValueError(f"design.format is {shown(fmt, 20)}: newer than this neuwidgets reads ({FORMAT}); "
                                "upgrade neuwidgets")
    if fmt not in (1, FORMAT) or isinstance(fmt, bool):
        raise InvalidValueError(f"design.format must be 1 or {FORMAT}, got {shown(fmt)}")
    return migrate(data) if fmt == 1 else data


def validate(data, classes):
    """``data`` checked and brought to canonical form (a new dict; ``data`` is not
    changed): every field spelled out, every parameter the layer has present, every
    parameter of a built-in initializer spelled out, ``values`` as float32 numbers,
    custom code cleaned (:func:`~neuwidgets.spec.code.clean_code`) and code no
    parameter uses dropped. ``classes``: names of live custom initializer classes.
    Runs no custom code. Raises :class:`InvalidValueError` / :class:`InvalidTypeError`
    naming the place in the design, the value given and what was expected."""
    data = _check_format(data)
    try:
        data = json.loads(json.dumps(data))  # a deep copy of plain JSON data
    except RecursionError:
        raise InvalidValueError("a design must be JSON data of reasonable depth: this one is nested too "
                                "deeply to read") from None
    except (TypeError, ValueError):
        path, value = _non_json(data)
        raise InvalidTypeError(f"{_json_path(path, data)}: a design holds only "
                               f"JSON data (numbers, text, lists, objects, null), got {type(value).__name__} "
                               f"{shown(value)}") from None
    current_schema()
    _check_schema(data)
    _check_pins(data)
    data.setdefault("custom", {})
    data["custom"] = {name: clean_code(code) for name, code in data["custom"].items()}
    for name, code in data["custom"].items():
        check_class_name(name, "design.custom")
        check_code_shape(name, code)
    names = [check_name(entry["name"], f"design.layers[{index}].name") for index, entry in enumerate(data["layers"])]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidValueError(f"layer names must be unique, got {', '.join(map(repr, duplicates))} twice")
    if not KINDS[data["layers"][0]["kind"]].starts_network or any(
            KINDS[entry["kind"]].starts_network for entry in data["layers"][1:]):
        raise InvalidValueError("a design starts with exactly one Input layer, "
                                f"got {', '.join(entry['kind'] for entry in data['layers'][:20])}")
    custom = {*classes, *data["custom"]}
    used = set()
    for index, entry in enumerate(data["layers"]):
        data["layers"][index] = _cached_canonical_entry(index, entry, custom, used)
    # Code no parameter uses is dropped: nobody is asked to trust code that does nothing here.
    data["custom"] = {name: code for name, code in data["custom"].items() if name in used}
    return data


def check_label(label, where):
    """``label`` if it is plain text of 1 to :data:`MAX_LABEL` characters without control
    characters (a pin's label); :class:`InvalidValueError` naming ``where`` otherwise."""
    if not isinstance(label, str) or not 1 <= len(label) <= MAX_LABEL or not label.isprintable() \
            or label != label.strip():
        raise InvalidValueError(f"{where}: a label is 1 to {MAX_LABEL} printable characters without leading or "
                                f"trailing spaces, got {shown(label, 60)}")
    return label


def _check_pins(data):
    """Pins beyond the schema: plain-text unique labels, layer names, no NaN, one number per layer."""
    labels = []
    for index, pin in enumerate(data.get("pins", [])):
        place = f"design.pins[{index}]"
        labels.append(check_label(pin["label"], f"{place}.label"))
        for name in pin["layers"]:
            check_name(name, f"{place}.layers")
        for series in PIN_SERIES:
            if len(pin[series]) != len(pin["layers"]):
                raise InvalidValueError(f"{place}.{series}: expected one number per layer ({len(pin['layers'])}), "
                                        f"got {len(pin[series])}")
            if any(value is not None and value != value for value in pin[series]):
                raise InvalidValueError(f"{place}.{series}: numbers must be finite (null for none), got NaN")
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise InvalidValueError(f"design.pins: labels must be unique, got {shown(repeated[0], 60)} twice")
    if data.get("pins") == []:
        del data["pins"]


def _check_schema(data):
    """Raise :class:`InvalidValueError` for the best schema error of ``data``; layer
    entries that passed before are not checked again (the error names the same place)."""
    layers = data.get("layers")
    if isinstance(layers, list) and len(layers) > 1:
        texts = [json.dumps(entry, sort_keys=True) for entry in layers]
        unchecked = [index for index, text in enumerate(texts) if text not in _CHECKED] or [0]
        error = jsonschema.exceptions.best_match(_validator.iter_errors(
            {**data, "layers": [layers[index] for index in unchecked]}))
        if error is None:
            if len(_CHECKED) > _CACHE_SIZE:
                _CHECKED.clear()
            _CHECKED.update(texts)
            return
        top = error
        while top.parent is not None:
            top = top.parent
        if len(top.path) > 1 and top.path[0] == "layers" and isinstance(top.path[1], int):
            top.path[1] = unchecked[top.path[1]]  # the place in the whole design
    else:
        error = jsonschema.exceptions.best_match(_validator.iter_errors(data))
    if error is not None:
        raise InvalidValueError(_schema_message(error, data))


def _cached_canonical_entry(index, entry, custom, used):
    """:func:`_canonical_entry`, remembered for an entry seen before with the same custom classes."""
    key = (json.dumps(entry, sort_keys=True), frozenset(custom))
    if key not in _CANONICAL:
        names = set()
        if len(_CANONICAL) > _CACHE_SIZE:
            _CANONICAL.clear()
        _CANONICAL[key] = (json.dumps(_canonical_entry(index, entry, custom, names)), names)
    text, names = _CANONICAL[key]
    used.update(names)
    return json.loads(text)


def _canonical_entry(index, entry, custom, used):
    kind = KINDS[entry["kind"]]
    place = where(index, entry)
    canonical = {"kind": entry["kind"], "name": entry["name"]}
    for field in kind.fields:
        value = entry.get(field.name, field.default)
        canonical[field.name] = field.to_json(field.check(value, place))
    layer = kind(**{field.name: canonical[field.name] for field in kind.fields}, name=entry["name"])
    active = [spec for spec in layer.active_parameters()]
    given = entry.get("parameters") or {}
    extra = sorted(set(given) - {spec.name for spec in active})
    if extra:
        raise InvalidValueError(f"{place}: has no parameter {', '.join(map(repr, extra))} with these settings "
                                f"({layer._settings()}); expected {', '.join(repr(s.name) for s in active) or 'none'}")
    if active:
        canonical["parameters"] = {}
    for spec in active:
        value = given[spec.name] if spec.name in given else default_entry(spec)
        if value is None and not spec.optional:
            raise InvalidValueError(f"{place}: parameter '{spec.name}' is required, got null")
        canonical["parameters"][spec.name] = _canonical_parameter(f"{place}: parameter '{spec.name}'", entry,
                                                                  spec.name, value, custom, used)
    return canonical


def default_entry(spec):
    """The design entry of a parameter's default value."""
    return None if spec.default is None else {"initializer": init.Constant(spec.default).get_config()
                                              if isinstance(spec.default, (int, float)) else spec.default.get_config()}


def _canonical_parameter(place, entry, parameter, value, custom, used):
    if value is None:
        return None
    if "values" in value:
        value["values"] = _check_values(value["values"], place)
    if "link" in value:
        check_name(value["link"], f"{place}: link")
        if value["link"] == entry["name"]:
            raise InvalidValueError(f"{place}: a layer cannot link to itself, got link {value['link']!r}")
        if value.get("transpose") and parameter != "weight":
            raise InvalidValueError(f"{place}: only a weight can be used transposed, got \"transpose\": true")
        if not value.get("transpose", True):
            del value["transpose"]
    if "initializer" in value:
        config = value["initializer"]
        name = config["name"]
        if name not in init.BUILTINS and name not in custom:
            raise InvalidValueError(f"{place}: unknown initializer {shown(name, 40)}; expected one of "
                                    f"{', '.join([*init.BUILTINS, *sorted(custom)])}")
        used.add(name)
        if name in init.BUILTINS:  # safe to construct: no custom code runs
            try:
                config["params"] = init.from_config(config).get_config()["params"]
            except NeuwidgetsError as exc:
                raise type(exc)(f"{place}: {exc}") from None
        else:
            check_class_name(name, place)
            bad = [key for key in config["params"] if not key.isidentifier() or keyword.iskeyword(key)]
            if bad:
                raise InvalidValueError(f"{place}: {name} parameter names must be Python identifiers, "
                                        f"got {shown(bad[0])}")
            try:
                json.dumps(config["params"], allow_nan=False)
            except (TypeError, ValueError):
                raise InvalidTypeError(f"{place}: {name} parameters must be JSON numbers, strings, lists or null, "
                                       f"got {shown(config['params'])}") from None
    return value


def _check_values(values, place):
    try:
        leaves = np.asarray(values, dtype=object)
        if not {type(leaf) for leaf in leaves.flat} <= {int, float}:  # no bools, texts or ragged lists
            raise ValueError
        array = leaves.astype(np.float64)
    except (TypeError, ValueError, OverflowError, RecursionError):
        raise InvalidValueError(f"{place}: values must be a rectangular nested list of numbers, "
                                f"got {shown(values)}") from None
    if not np.all(np.isfinite(array)) or np.any(np.abs(array) > FLOAT32_MAX):
        raise InvalidValueError(f"{place}: values must be finite float32 numbers, got NaN, infinity "
                                "or a number beyond ±3.4e38")
    return array.astype(np.float32).tolist()

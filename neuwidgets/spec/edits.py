"""The design rules of edits: each function takes a copy of a design's data (and, where
shapes matter, its current network), applies one edit and returns the new data, which
:class:`~neuwidgets.spec.NetworkSpec` then validates. The builder widget calls these
and holds no design rule of its own.

Every function raises :class:`~neuwidgets.errors.InvalidValueError` /
:class:`~neuwidgets.errors.InvalidTypeError` naming the layer, the value given and what
was expected; the data it was given may then be partly changed (callers pass a copy).
"""
from ..errors import InvalidTypeError, InvalidValueError
from ..layers import KINDS
from ..layers.base import check_name, class_to_name
from ..errors import shown
from .export import link_entry
from .schema import default_entry


def entry(data, name):
    """The layer entry called ``name``."""
    for item in data["layers"]:
        if item["name"] == name:
            return item
    names = ", ".join(item["name"] for item in data["layers"])
    raise InvalidValueError(f"no layer named {shown(name, 40)}; layers: {names}"[:300])


def check_index(index, last, what):
    """``index`` if it is a whole number from 1 (right after the input) to ``last``."""
    if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index <= last:
        raise InvalidValueError(f"{what}: index must be a whole number from 1 (after the input) to {last}, "
                                f"got {shown(index)}")
    return index


def new_name(kind, data):
    """The first free automatic name of ``kind`` (``relu-3``)."""
    prefix = class_to_name(kind)
    taken = {item["name"] for item in data["layers"]}
    number = 1
    while f"{prefix}-{number}" in taken:
        number += 1
    return f"{prefix}-{number}"


def _field(kind, name, where):
    for field in KINDS[kind].fields:
        if field.name == name:
            return field
    fields = ", ".join(repr(field.name) for field in KINDS[kind].fields) or "none"
    raise InvalidTypeError(f"{where}: unexpected setting {shown(name, 40)}; {kind} takes {fields}")


def _settle_parameters(item):
    """Drop the parameters the layer no longer has with its settings (a dense layer
    whose units were cleared); the design's validation adds the defaults of the ones it
    now has."""
    kind = KINDS[item["kind"]]
    layer = kind(**{field.name: item[field.name] for field in kind.fields}, name=item["name"])
    active = {spec.name for spec in layer.active_parameters()}
    parameters = {key: value for key, value in (item.get("parameters") or {}).items() if key in active}
    item.pop("parameters", None)
    if active:
        item["parameters"] = parameters


def add_layer(data, network, kind, index=None, name=None, fields=None, parameters=None):
    """Insert a new ``kind`` layer at ``index`` (default: the end) and return ``(data,
    name)``. Its settings: what the kind suggests after the layer before it
    (:meth:`~neuwidgets.layers.Layer.suggest`, e.g. as many units as flow in), then
    ``fields`` (values or text typed in the widget); ``parameters``: design entries by
    parameter name (the others get the kind's defaults)."""
    addable = [key for key, cls in KINDS.items() if not cls.starts_network]
    if not isinstance(kind, str) or kind not in addable:
        raise InvalidValueError(f"add_layer: kind must be one of {', '.join(addable)}, got {shown(kind, 40)}")
    layers = data["layers"]
    index = len(layers) if index is None else check_index(index, len(layers), "add_layer")
    name = new_name(kind, data) if name is None else check_name(name, "add_layer")
    if any(item["name"] == name for item in layers):
        raise InvalidValueError(f"add_layer: a layer named {name!r} exists already")
    where = f"{kind} layer {name!r}"
    before = network.layers[index - 1].output_shape
    item = {"kind": kind, "name": name}
    for field in KINDS[kind].fields:
        item[field.name] = field.to_json(field.default) if not field.required else None
    for key, value in KINDS[kind].suggest(before).items():
        item[key] = _field(kind, key, where).to_json(value)
    for key, value in (fields or {}).items():
        field = _field(kind, key, where)
        item[key] = field.to_json(field.parse(value, where))
    missing = [field.name for field in KINDS[kind].fields if item[field.name] is None and field.required]
    if missing:
        raise InvalidValueError(f"{where}: {missing[0]} is required; expected {_field(kind, missing[0], where).expected()}")
    item["parameters"] = dict(parameters or {})
    _settle_parameters(item)
    layers.insert(index, item)
    return data, name


def remove_layer(data, name):
    """Remove layer ``name`` (not the Input). Links to it stay, shown broken, until changed."""
    item = entry(data, name)
    if KINDS[item["kind"]].starts_network:
        raise InvalidValueError(f"remove_layer: the Input layer '{name}' starts the network and stays")
    data["layers"].remove(item)
    return data


def move_layer(data, name, index):
    """Move layer ``name`` to position ``index`` (1 = right after the input)."""
    item = entry(data, name)
    if KINDS[item["kind"]].starts_network:
        raise InvalidValueError(f"move_layer: the Input layer '{name}' stays first")
    index = check_index(index, len(data["layers"]) - 1, "move_layer")
    data["layers"].remove(item)
    data["layers"].insert(index, item)
    return data


def set_field(data, name, field, value):
    """Set setting ``field`` of layer ``name`` to ``value`` (a value, or text typed in the
    widget: ``"3, 3, 32"``, ``"same"``, ``""`` for None where allowed)."""
    item = entry(data, name)
    where = f"{item['kind']} layer {name!r}"
    spec = _field(item["kind"], field, where)
    item[field] = spec.to_json(spec.parse(value, where))
    _settle_parameters(item)
    return data


def set_parameter(data, name, parameter, value):
    """Set the design entry of ``parameter`` of layer ``name`` (an initializer config,
    values, or None where the parameter is optional)."""
    item = entry(data, name)
    parameters = item.get("parameters") or {}
    if parameter not in parameters:
        raise InvalidValueError(f"{item['kind']} layer {name!r} has no parameter {shown(parameter, 40)}; "
                                f"expected one of {', '.join(map(repr, parameters)) or 'none'}")
    if value is None and not KINDS[item["kind"]].parameter_spec(parameter).optional:
        raise InvalidValueError(f"{item['kind']} layer {name!r} needs a {parameter}, got None")
    parameters[parameter] = value
    return data


def link(data, name, parameter, to_name, transpose=False):
    """Make ``parameter`` of layer ``name`` use the variable of the same parameter of
    ``to_name`` (a shared parameter); ``transpose``: a weight used transposed. Linking to
    a layer that is itself linked links to its owner, and the layers that shared
    ``name``'s variable follow it, each keeping how it saw that variable."""
    item, target = entry(data, name), entry(data, to_name)
    if item is target:
        raise InvalidValueError(f"link: {item['kind']} layer '{name}' cannot be linked to itself")
    if not isinstance(transpose, bool):
        raise InvalidTypeError(f"link: transpose must be true or false, got {shown(transpose)}")
    if not isinstance(parameter, str):
        raise InvalidTypeError(f"link: parameter must be a parameter name, got {shown(parameter)}")
    for layer in (item, target):
        if (layer.get("parameters") or {}).get(parameter) is None:
            raise InvalidValueError(f"link: {layer['kind']} layer '{layer['name']}' has no {shown(parameter, 40)} "
                                    "to share")
    via = target["parameters"][parameter]
    root, transpose = via.get("link", to_name), transpose != via.get("transpose", False)
    if root == name:
        raise InvalidValueError(f"link: '{to_name}' already uses the {parameter} of '{name}'")
    item["parameters"][parameter] = link_entry(root, transpose)
    for other in data["layers"]:
        value = (other.get("parameters") or {}).get(parameter) or {}
        if value.get("link") == name:
            other["parameters"][parameter] = link_entry(root, transpose != value.get("transpose", False))
    return data


def unlink(data, name, parameter):
    """Give ``parameter`` of layer ``name`` its own variable again, with the kind's
    default initializer."""
    item = entry(data, name)
    value = (item.get("parameters") or {}).get(parameter) if isinstance(parameter, str) else None
    if not value or "link" not in value:
        raise InvalidValueError(f"unlink: the {shown(parameter, 40)} of {item['kind']} layer '{name}' is not linked")
    item["parameters"][parameter] = default_entry(KINDS[item["kind"]].parameter_spec(parameter))
    return data

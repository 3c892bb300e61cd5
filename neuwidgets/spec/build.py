"""Building a design: the :class:`~neuwidgets.network.Network` with its variables.

Links (shared parameters) that cannot hold and custom code that is not trusted are
*soft errors*: the network is still built (the parameter keeps its own variable, or
zeros in place of the untrusted code) and the errors say why, so that a design saved
with a broken link opens again and shows it.
"""
import json
import math

import numpy as np

from .. import files, init
from ..errors import InitializerError, InvalidValueError, NeuwidgetsError
from ..limits import code_time_limit
from ..layers import KINDS, Transposed
from ..network import Network
from .code import UNTRUSTED, UntrustedPlaceholder, clean_code, code_line, compile_initializer, describe_code_error


class BuildResult:
    """What :func:`build_report` made: the ``network`` and its soft ``errors``
    (``{"layer", "parameter", "kind", "message"}``; ``kind`` is ``"link"`` for a broken
    link, ``"untrusted"`` for custom code that has not run)."""

    def __init__(self, network, errors):
        self.network, self.errors = network, errors


def _initializer(spec, config, compiled, entry, parameter, errors):
    place = f"{entry['kind']} layer '{entry['name']}': parameter '{parameter}'"
    name = config["name"]
    live = spec.classes.get(name)
    # A live class stands for the design's code only when it was compiled from that very
    # code (typed in this session's widget); otherwise the code is the design's own.
    typed = live is not None and name in spec.data["custom"] and \
        clean_code(getattr(live, "_neuwidgets_code", None) or "\n") == spec.data["custom"][name]
    if name in spec.data["custom"] and name not in compiled and not typed:
        errors.append({"layer": entry["name"], "parameter": parameter, "kind": "untrusted",
                       "message": f"{UNTRUSTED} {name!r}: trust the design to run its code"})
        return UntrustedPlaceholder(name)
    try:
        if name in init.BUILTINS:
            initializer = init.from_config(config)
        else:
            with code_time_limit(f"{name}(...) of {place}"):  # a custom class's __init__ runs
                initializer = init.from_config(config, custom={**spec.classes, **compiled})
        if draws_from_design_seed(spec.data, config):
            initializer.design_seed = init.derive_seed(spec.data["seed"], entry["name"], parameter)
        return initializer
    except NeuwidgetsError as exc:
        raise type(exc)(f"{place}: {exc}") from None
    except Exception as exc:
        raise InitializerError(f"{place}: {name}({config.get('params')}) raised "
                               f"{describe_code_error(exc)}"[:500]) from exc


def make_network(spec, make_initializer):
    """The design's layers joined into a Network (no variables yet); a linked parameter
    gets its kind's default until it is linked. ``make_initializer(config, entry,
    parameter)`` gives the value of a parameter set by an initializer."""
    layers = []
    for entry in spec.data["layers"]:
        kind = KINDS[entry["kind"]]
        arguments = {field.name: entry[field.name] for field in kind.fields}
        for parameter, value in (entry.get("parameters") or {}).items():
            if value is None:
                arguments[parameter] = None
            elif "link" in value:
                arguments[parameter] = kind.parameter_spec(parameter).default
            elif "values" in value:
                arguments[parameter] = np.asarray(value["values"], dtype=np.float32)
            else:
                arguments[parameter] = make_initializer(value["initializer"], entry, parameter)
        layers.append(kind(**arguments, name=entry["name"]))
    return Network(layers)


def link_problems(spec, network):
    """``[{"layer", "parameter", "kind": "link", "message"}]`` for every link that cannot
    hold in ``network``: a missing layer, a layer without that parameter, a link to a
    parameter that is itself linked, a transposed weight of a later layer, or shapes
    that differ."""
    problems = []
    layers = spec.data["layers"]
    for index, entry in enumerate(layers):
        for parameter, value in (entry.get("parameters") or {}).items():
            if value is None or "link" not in value:
                continue
            target = value["link"]
            others = [i for i, other in enumerate(layers) if other["name"] == target and other is not entry]
            other = (layers[others[0]].get("parameters") or {}).get(parameter) if others else None
            if not others:
                names = ", ".join(repr(e["name"]) for e in layers[1:] if e is not entry and e.get("parameters"))
                message = f"link to a missing layer {target!r}; expected one of {names or 'no layer'}"[:300]
            elif other is None:
                message = f"link to {layers[others[0]]['kind']} layer {target!r}, which has no {parameter}"
            elif "link" in other:
                message = f"link to {target!r}, whose {parameter} is itself linked to {other['link']!r}"
            elif value.get("transpose") and others[0] > index:
                message = (f"a weight used transposed must belong to an earlier layer, got the later layer "
                           f"{target!r}; link {target!r} to this layer (transposed) instead")
            else:
                here = network.layer(entry["name"]).parameter_shapes()[parameter]
                there = network.layer(target).parameter_shapes()[parameter]
                transposed = tuple(reversed(there)) if value.get("transpose") else there
                if value.get("transpose") and len(there) != 2:
                    message = f"only a weight of rank 2 can be used transposed; {target!r} has {parameter} {there}"
                else:
                    message = None if here == transposed else (
                        f"link to {target!r} does not fit: {parameter} shape here is {here}, in {target!r} it is "
                        f"{there}" + (f" (transposed {transposed})" if value.get("transpose") else
                                      "; used transposed it would fit" if here == tuple(reversed(there)) else ""))
            if message:
                problems.append({"layer": entry["name"], "parameter": parameter, "kind": "link", "message": message})
    return problems


def build_report(spec, reuse=None, max_parameters=None):
    """Build ``spec``'s :class:`~neuwidgets.network.Network` with all its variables.

    ``reuse``: ``{key: tf.Variable}`` from :func:`reusable_from` of the previous network;
    a parameter whose layer, initializer and shape are unchanged keeps its variable
    (only what changed is re-sampled). ``max_parameters``: refuse, before anything is
    allocated, a design with more parameters. Returns a :class:`BuildResult`; broken
    links and untrusted code are soft errors in it, everything else raises.
    """
    compiled = {}
    if spec.trusted:
        for name, code in spec.data["custom"].items():
            try:
                compiled[name] = compile_initializer(code, name)
            except InvalidValueError as exc:
                raise InvalidValueError(f"custom initializer {name!r}: {exc}") from exc.__cause__
    errors = []
    network = make_network(spec, lambda config, entry, parameter: _initializer(
        spec, config, compiled, entry, parameter, errors))
    check_budget(network, max_parameters)
    broken = link_problems(spec, network)
    errors += broken
    broken = {(e["layer"], e["parameter"]) for e in broken}
    links = []
    for entry, layer in zip(spec.data["layers"], network.layers):
        for parameter, value in (entry.get("parameters") or {}).items():
            if value is None:
                continue
            if "link" in value and (entry["name"], parameter) not in broken:
                links.append((layer, parameter, value))
            elif reuse:
                variable = reuse.get(variable_key(spec, entry, parameter, layer))
                if variable is not None:
                    layer._variables[parameter] = variable
    for layer, parameter, link in links:
        variable = network.layer(link["link"]).variable(parameter)
        layer._set_parameter(parameter, Transposed(variable) if link.get("transpose") else variable)
    try:
        network.variables  # create every variable now: errors surface here, not later
    except InitializerError as exc:
        line = code_line(exc)
        if line is None:
            raise
        raise InitializerError(f"{exc} (line {line} of the custom code)") from exc.__cause__
    return BuildResult(network, errors)


def draws_from_design_seed(data, config):
    """True when a parameter set by the initializer ``config`` samples with the seed of
    the design ``data``: the design has a seed and the initializer none of its own (a
    built-in initializer without a ``seed`` parameter, such as Constant, draws nothing;
    a custom one may, through ``seed_tensor()``)."""
    params = config["params"]
    return data.get("seed") is not None and params.get("seed") is None and (
        "seed" in params or config["name"] not in init.BUILTINS)


def variable_key(spec, entry, parameter, layer):
    """What decides a parameter's sampled variable: layer name, parameter, its value in
    the design, the custom code or class behind it, its shape, and the design's seed
    where it draws from it."""
    value = entry["parameters"][parameter]
    initializer = value.get("initializer", {}).get("name")
    seed = spec.data.get("seed") if "initializer" in value and draws_from_design_seed(
        spec.data, value["initializer"]) else None
    return (entry["name"], parameter, json.dumps(value, sort_keys=True), spec.data["custom"].get(initializer),
            id(spec.classes.get(initializer)), layer.parameter_shapes()[parameter], seed)


def reusable_from(spec, network):
    """``{key: tf.Variable}`` (for :func:`build_report`'s ``reuse``) of the variables of
    ``network`` — whose design ``spec`` is — that its layers sampled or were given: the
    next build keeps those whose layer, value in the design and shape are unchanged.
    Shared ones come with their owner; a placeholder for untrusted code is never reused
    (trusting must sample for real)."""
    from .._tensorflow import tf
    reuse = {}
    for entry, layer in zip(spec.data["layers"], network.layers):
        for parameter, value in (entry.get("parameters") or {}).items():
            held = layer.parameters.get(parameter)
            if value is None or isinstance(held, UntrustedPlaceholder) or (
                    "link" in value and isinstance(held, (tf.Variable, Transposed))):
                continue
            reuse[variable_key(spec, entry, parameter, layer)] = layer.variable(parameter)
    return reuse


def check_budget(network, max_parameters):
    """Refuse, before any variable is made, a network with more than ``max_parameters``
    values (every parameter counted, shared or not)."""
    max_parameters = files.check_budget(max_parameters, "max_parameters")
    if max_parameters is None:
        return
    total = sum(math.prod(shape) for layer in network.layers for shape in layer.parameter_shapes().values())
    if total > max_parameters:
        raise InvalidValueError(f"the design has {total:,} parameters, more than the budget of "
                                f"{max_parameters:,}; use fewer units")

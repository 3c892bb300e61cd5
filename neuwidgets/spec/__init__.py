"""NetworkSpec: a whole design as plain, versioned, JSON-ready data.

One module per job: :mod:`~neuwidgets.spec.schema` (the format, validation, canonical
form), :mod:`~neuwidgets.spec.code` (custom initializer code and trust),
:mod:`~neuwidgets.spec.build` (the network), :mod:`~neuwidgets.spec.export` (code),
:mod:`~neuwidgets.spec.edits` (the design rules of edits). See
:mod:`neuwidgets.spec.schema` for the format.
"""
import copy
import json

from .. import init
from ..errors import InvalidValueError
from ..layers import KINDS, Transposed
from . import build as _build
from .build import BuildResult
from .code import (UNTRUSTED, UntrustedPlaceholder, check_trust, class_source, clean_code, compile_initializer,
                   describe_code_error)
from .export import link_entry, to_code
from .schema import FORMAT, SCHEMA, validate

__all__ = ["NetworkSpec", "BuildResult", "FORMAT", "SCHEMA", "UNTRUSTED", "compile_initializer", "clean_code",
           "describe_code_error", "link_entry", "check_trust"]


class NetworkSpec:
    """A validated design. ``data`` is the plain dict (see :mod:`neuwidgets.spec.schema`).

    ``trust``: run the design's custom initializer code when it is built (True or
    False; anything else is an :class:`InvalidTypeError`). ``classes``: live
    :class:`~neuwidgets.init.Initializer` subclasses (from notebook cells) by name.
    Raises :class:`InvalidValueError` / :class:`InvalidTypeError` naming the place in
    the design for anything malformed: wrong shape of JSON, unknown or future format,
    unknown layer kind or initializer, bad settings, duplicate names, a link to the
    layer itself or a transposed bias. Links that depend on shapes or on other layers
    are checked when built (:meth:`build_report`).
    """

    def __init__(self, data, trust=False, classes=None):
        self.trusted = check_trust(trust, "NetworkSpec")
        self.classes = dict(classes or {})
        self.data = validate(data, self.classes)

    # -- JSON ---------------------------------------------------------------------------
    @classmethod
    def from_json(cls, text, trust=False, classes=None):
        """Parse and validate a design; custom code stays unrun unless ``trust=True``.

        A link that cannot hold (a missing layer, other shapes) is not refused here, so
        that a design saved with a broken link opens again and shows it:
        :meth:`build` refuses it, :meth:`build_report` reports it. A duplicate key in
        a JSON object is refused (JSON parsers differ on which one wins).
        """
        check_trust(trust, "NetworkSpec.from_json")
        try:
            data = json.loads(text, object_pairs_hook=_unique_keys)
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(f"a design must be JSON text: {exc}"[:300]) from None
        except RecursionError:
            raise InvalidValueError("a design must be JSON text of reasonable depth: this one is nested "
                                    "too deeply to read") from None
        return cls(data, trust=trust, classes=classes)

    def to_json(self, indent=2):
        """The design as JSON text, with the source of every custom class it uses."""
        return json.dumps(self.portable_data(), indent=indent)

    def portable_data(self):
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

    # -- access -------------------------------------------------------------------------
    @property
    def layers(self):
        return self.data["layers"]

    def entry(self, name):
        """The layer entry called ``name``; :class:`InvalidValueError` if none."""
        from .edits import entry
        return entry(self.data, name)

    def describe(self, problem):
        """``Relu layer 'b': parameter 'weight': <message>`` for a soft error."""
        entry = self.entry(problem["layer"])
        return f"{entry['kind']} layer {problem['layer']!r}: parameter '{problem['parameter']}': {problem['message']}"

    # -- building -----------------------------------------------------------------------
    def build_report(self, reuse=None, max_parameters=None):
        """The network with its soft errors: see :func:`neuwidgets.spec.build.build_report`."""
        return _build.build_report(self, reuse=reuse, max_parameters=max_parameters)

    def reusable_from(self, network):
        """See :func:`neuwidgets.spec.build.reusable_from`."""
        return _build.reusable_from(self, network)

    def build(self, max_parameters=None):
        """The :class:`~neuwidgets.network.Network` of this design, every variable made.

        Raises :class:`NeuwidgetsError` for a broken link or untrusted custom code (and
        everything :meth:`build_report` raises).
        """
        result = self.build_report(max_parameters=max_parameters)
        if result.errors:
            raise InvalidValueError("; ".join(self.describe(e) for e in result.errors[:3]))
        return result.network

    @classmethod
    def from_network(cls, network):
        """The design of an existing network: settings, initializers as configs, arrays
        and variables as ``values``, a variable used by several layers as links to the
        first. A custom initializer class of this kernel (a notebook cell) stays a live
        class (:attr:`classes`; its source goes into what leaves the kernel: :meth:`to_json`,
        :meth:`to_code`); one compiled from a design's code keeps that code. Raises
        :class:`InvalidValueError` for what a design cannot hold."""
        from .._tensorflow import tf
        owners, custom, live, entries = {}, {}, {}, []
        for layer in network.layers:
            kind = type(layer).__name__
            if KINDS.get(kind) is not type(layer):
                raise InvalidValueError(f"{layer}: a design cannot hold layers of type {kind}")
            entry = {"kind": kind, "name": layer.name}
            entry.update((field.name, field.to_json(getattr(layer, field.name))) for field in layer.fields)
            parameters = {spec.name: None for spec in layer.active_parameters()}
            for parameter, value in layer.parameters.items():
                if isinstance(value, tf.Variable) and id(value) in owners:
                    parameters[parameter] = link_entry(owners[id(value)])
                    continue
                if isinstance(value, Transposed):
                    if id(value.variable) not in owners:
                        raise InvalidValueError(f"{layer}: its {parameter} is a transposed variable no earlier "
                                                "layer uses; a design links it to the earlier layer that owns it")
                    parameters[parameter] = link_entry(owners[id(value.variable)], transpose=True)
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
                    parameters[parameter] = {"initializer": config}
                else:
                    parameters[parameter] = {"values": layer.variable(parameter).numpy().tolist()}
                if parameter in layer._variables:
                    owners[id(layer._variables[parameter])] = layer.name
            if parameters:
                entry["parameters"] = parameters
            entries.append(entry)
        return cls({"format": FORMAT, "layers": entries, "custom": custom}, trust=True, classes=live)

    # -- code export ----------------------------------------------------------------------
    def to_code(self, target="neuwidgets"):
        """Python source that rebuilds this design; it runs in a fresh interpreter.

        ``target="neuwidgets"``: the neuwidgets API; the script defines ``network``, and
        ``NetworkSpec.from_network(network)`` equals this design (with parameters shared
        through links to later layers, the earliest layer becomes the owner: the same
        network, the same sharing). ``target="keras"``: a ``keras.Model`` named
        ``model`` (functional API, one Keras layer per layer with its name, initializers
        mapped to Keras initializers, shared parameters as one variable); custom
        initializers run through a small adapter and need neuwidgets installed.

        Custom initializer code is copied into the script as text: nothing runs here.
        Raises :class:`InvalidValueError` for an unknown ``target`` or a broken link.
        """
        return to_code(self, target)


def _unique_keys(pairs):
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise InvalidValueError(f"a design must not repeat a key in one object, got {repeated[0][:40]!r} twice")
    return dict(pairs)

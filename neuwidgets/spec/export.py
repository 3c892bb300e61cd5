"""A design as Python code: a script for the neuwidgets API (``network``) or for Keras
(``model``). Generic over the layer kinds: fields and parameters come from the kind's
declaration, the Keras layer from :meth:`~neuwidgets.layers.Layer.keras_spec`, each
initializer's Keras counterpart from :meth:`~neuwidgets.init.Initializer.keras_code`.

Every value from the design is written through ``repr`` of plain data (numbers,
strings, lists); names are plain labels and identifiers (checked when the design is
read), so a design's values never become code. Custom initializer code is copied as
text into its own, marked section, and runs only when the script runs.
"""
from .._tensorflow import tf

from .. import init
from ..errors import InvalidValueError
from ..layers import KINDS, Transposed
from .build import link_problems, make_network


def link_entry(target, transpose=False):
    """A parameter's design entry that shares ``target``'s variable (used transposed when
    ``transpose``): ``{"link": target}`` or ``{"link": target, "transpose": true}``."""
    return {"link": target, "transpose": True} if transpose else {"link": target}


def owners_first(spec, data):
    """``data`` (a copy of ``spec``'s design) with every shared parameter owned by the
    earliest layer using it (links point backwards only), as code needs the owner's
    variable first. Raises :class:`InvalidValueError` for a link that cannot hold."""
    problems = link_problems(spec, make_network(spec, lambda *args: init.Constant(0)))
    if problems:
        raise InvalidValueError(f"to_code: {spec.describe(problems[0])}")
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


def _custom_lines(data):
    if not data["custom"]:
        return []
    lines = ["# Custom initializer code from the design (it runs when this script runs).",
             "from neuwidgets.init import Initializer", ""]
    for code in data["custom"].values():
        lines += [code.rstrip(), "", ""]
    return lines


def _call(name, params):
    return f"{name}({', '.join(f'{key}={value!r}' for key, value in params.items() if not (key == 'seed' and value is None))})"


def _initializer_code(config, data):
    """``init.Normal(std=0.1)``, or ``Gamma(alpha=2)`` for a custom class."""
    prefix = "" if config["name"] not in init.BUILTINS else "init."
    return prefix + _call(config["name"], config["params"])


def api_code(data):
    """The neuwidgets script of ``data`` (owners first): defines ``network``."""
    lines = ['"""neuwidgets design as code: defines `network`."""',
             "import numpy as np", "import tensorflow as tf", "", "from neuwidgets import init",
             "from neuwidgets.layers import *", ""]
    lines += _custom_lines(data)
    groups, current = [], []
    for entry in data["layers"]:
        linked = [v for v in (entry.get("parameters") or {}).values() if v and "link" in v]
        if linked and current:
            groups.append(current)
            current = []
        current.append(_layer_code(entry, data))
    groups.append(current)
    lines.append("network = join(\n" + "".join(f"    {code},\n" for code in groups[0]) + ")")
    for group in groups[1:]:
        lines.append("network = network >> join(\n" + "".join(f"    {code},\n" for code in group) + ")")
    return "\n".join(lines) + "\n"


def _layer_code(entry, data):
    kind = KINDS[entry["kind"]]
    args = []
    for index, field in enumerate(kind.fields):
        value = field.python(field.check(entry[field.name], entry["name"]))
        if index == 0 and value is not None:
            args.append(repr(value))
        elif index > 0:
            args.append(f"{field.name}={value!r}")
    for parameter, value in (entry.get("parameters") or {}).items():
        if value is None:
            args.append(f"{parameter}=None")
        elif "link" in value:
            shared = f"network.layer({value['link']!r}).variable({parameter!r})"
            args.append(f"{parameter}=Transposed({shared})" if value.get("transpose") else f"{parameter}={shared}")
        elif "values" in value:
            args.append(f"{parameter}=np.array({value['values']!r}, dtype='float32')")
        else:
            args.append(f"{parameter}={_initializer_code(value['initializer'], data)}")
    args.append(f"name={entry['name']!r}")
    return f"{entry['kind']}({', '.join(args)})"


def _keras_argument(value, helpers):
    if hasattr(value, "code"):  # a KerasHelper
        helpers.add(value.name)
        return value.code()
    return repr(value)


def _keras_initializer(value, shape, data, helpers):
    """Keras initializer code sampling what the parameter entry ``value`` samples."""
    if "values" in value:
        helpers.add("FixedValues")
        return f"FixedValues({value['values']!r})"
    config = value["initializer"]
    if config["name"] in init.BUILTINS:
        code = init.from_config(config).keras_code(shape)
        if code is not None:
            return code
    elif config["name"] not in data["custom"]:
        raise InvalidValueError(f"to_code: the source of custom initializer {config['name']!r} is not in the design")
    helpers.add("FromNeuwidgets")
    return f"FromNeuwidgets({_initializer_code(config, data)})"


def keras_code(spec, data):
    """The Keras script of ``data`` (owners first, a copy of ``spec``'s design): defines
    ``model``, one Keras layer per layer, named as it."""
    from ..layers import keras_support
    network = make_network(spec, lambda *args: init.Constant(0))
    for entry, layer in zip(data["layers"], network.layers):
        weight = (entry.get("parameters") or {}).get("weight") or {}
        if weight.get("transpose"):  # what the layer computes with: an earlier weight, transposed
            shape = tuple(reversed(layer.parameter_shapes()["weight"]))
            layer.parameters["weight"] = Transposed(tf.Variable(tf.zeros(shape)))
    helpers = set()
    first = data["layers"][0]
    body = [f"inputs = keras.Input(shape={tuple(first['shape'])!r}, name={first['name']!r})", "layers = {}",
            "x = inputs"]
    for entry, layer in zip(data["layers"][1:], network.layers[1:]):
        class_name, arguments = layer.keras_spec()
        args = [f"{key}={_keras_argument(value, helpers)}" for key, value in arguments.items()]
        shared, shapes = [], layer.parameter_shapes()
        for parameter, value in (entry.get("parameters") or {}).items():
            attribute = layer.keras_weights.get(parameter)
            if value is None:
                continue
            if "link" in value:
                shared.append(f"{attribute!r}: layers[{value['link']!r}].{attribute}")
            else:
                args.append(f"{attribute}_initializer={_keras_initializer(value, shapes[parameter], data, helpers)}")
        constructor = class_name if class_name in keras_support.HELPERS else f"keras.layers.{class_name}"
        helpers.update({class_name} & set(keras_support.HELPERS))
        if shared:
            helpers.add("sharing")
            constructor = f"sharing({constructor})"
            args.append(f"shared={{{', '.join(shared)}}}")
        args.append(f"name={entry['name']!r}")
        body += [f"layers[{entry['name']!r}] = {constructor}({', '.join(args)})", f"x = layers[{entry['name']!r}](x)"]
    body.append("model = keras.Model(inputs, x, name='neuwidgets')")
    lines = ['"""neuwidgets design as a Keras model: defines `model`."""', "import numpy as np", "import keras", ""]
    if data["custom"] or "FromNeuwidgets" in helpers:
        lines += ["import tensorflow as tf", "", "from neuwidgets import init", ""]
        lines += _custom_lines(data)
    for code in keras_support.source(helpers):
        lines += [code, "", ""]
    return "\n".join(lines + body) + "\n"


def to_code(spec, target):
    """See :meth:`neuwidgets.spec.NetworkSpec.to_code`."""
    if target not in ("neuwidgets", "keras"):
        raise InvalidValueError(f"to_code: target must be 'neuwidgets' or 'keras', got {target!r}"[:200])
    data = owners_first(spec, spec.portable_data())
    return api_code(data) if target == "neuwidgets" else keras_code(spec, data)

"""NetworkBuilder: the visual builder widget (anywidget). No model logic lives here:
every edit becomes a new :class:`~neuwidgets.spec.NetworkSpec`, which Python
validates and builds; the browser only proposes edits and shows the published state
(see ``docs/protocol.md``)."""
import inspect
import json
import math
import numbers
import secrets
import sys
import traceback
import weakref
from pathlib import Path

import anywidget
import fastjsonschema
import numpy as np
import traitlets

from .. import files, init
from ..errors import CodeTimeoutError, InvalidTypeError, InvalidValueError, NeuwidgetsError, shown
from ..limits import code_time_limit
from ..layers import KINDS
from ..network import Network
from ..shapes import format_shape
from ..spec import FORMAT, UNTRUSTED, NetworkSpec, check_trust, compile_initializer, describe_code_error, edits
from ..spec.build import draws_from_design_seed
from ..spec.schema import MAX_LABEL, MAX_PINS, MAX_SEED, PIN_SERIES, check_label
from .theory_view import TheoryView
from .training_view import TrainingView

STATIC = Path(__file__).resolve().parent.parent / "static"
#: The one definition of the published state (front-end types are generated from it).
STATE_SCHEMA = json.loads((Path(__file__).resolve().parent / "state.schema.json").read_text(encoding="utf-8"))
_checks = {name: fastjsonschema.compile({**STATE_SCHEMA, "properties": {}, "$ref": f"#/definitions/{name}"})
           for name in ("State", "TrainingStatus")}
_MISSING_BUNDLE = """export default { render({ el }) {
  el.textContent = "neuwidgets: the front-end bundle is missing. In the neuwidgets source folder run " +
    "`npm ci && npm run build` (or `pip install -e .`, which builds it), then restart the kernel.";
} };"""

DEFAULT_DESIGN = {"format": FORMAT, "layers": [
    {"kind": "Input", "name": "input-1", "shape": [10]},
    {"kind": "Sigmoid", "name": "sigmoid-1", "n_units": 30,
     "parameters": {"weight": {"initializer": {"name": "Normal", "params": {"mean": 0, "std": 0.01}}}}},
    {"kind": "Sigmoid", "name": "sigmoid-2", "n_units": 15,
     "parameters": {"weight": {"initializer": {"name": "Normal", "params": {"mean": 0, "std": 0.01}}}}},
]}


def check_state(state, definition="State"):
    """Raise ``fastjsonschema.JsonSchemaException`` unless ``state`` is what
    ``state.schema.json`` defines as ``definition`` (``"State"``, ``"TrainingStatus"``):
    an internal error, the front end relies on that shape."""
    _checks[definition](state)


def _plain(value):
    """``value`` as JSON data for the front end: NumPy scalars as numbers, anything that is
    not JSON (a notebook class's default object) as its short repr."""
    if isinstance(value, (np.generic,)):
        value = value.item()
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        return shown(value)


def _bundle(name, fallback):
    path = STATIC / name
    return path if path.exists() else fallback


def _user_classes():
    """Initializer subclasses defined outside neuwidgets (notebook cells, user modules).
    When a cell defining a class ran again, the class its module now names wins."""
    found, todo = {}, list(init.Initializer.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if not cls.__module__.startswith("neuwidgets") and not cls.__name__.startswith("_") \
                and not inspect.isabstract(cls) and cls.__name__ not in init.BUILTINS:
            current = getattr(sys.modules.get(cls.__module__), cls.__name__, None) is cls
            if current or cls.__name__ not in found:
                found[cls.__name__] = cls
    return found


def _significant(value, digits=4):
    """``value`` rounded to ``digits`` significant digits; None for None or a non-finite value."""
    return None if value is None or not math.isfinite(value) else float(f"{value:.{digits}g}")


def _check_flag(value, where):
    if not isinstance(value, bool):
        raise InvalidTypeError(f"{where} must be true or false, got {str(value)[:40]!r}")


#: ``scope`` of a set_initializer message: which layers one choice applies to.
SCOPES = ("layer", "kind", "all")


class NetworkBuilder(TheoryView, TrainingView, anywidget.AnyWidget):
    """Build a network visually: chain layers, choose or write initializers, link
    (share) weights, and see the initial weight distributions and the signal through
    depth.

    ``network_or_spec``: a :class:`~neuwidgets.network.Network` (links included), a
    :class:`~neuwidgets.spec.NetworkSpec`, a design dict, or None for a small starter.
    ``max_parameters``: designs with more parameters are refused before anything is
    allocated. ``autosave``: a file path written after every valid edit, and read at
    start when it exists (custom code in it runs only with ``trust=True``).
    ``plots``: draw the weight panels and depth chart (off for scripted use).
    ``seed``: the design's seed when it has none (default: a fresh one); see :attr:`seed`.

    Every edit method validates in Python and raises a :class:`NeuwidgetsError`
    naming the layer, the value given and what was expected; a refused edit leaves the
    last valid design and network untouched. ``network`` is always the last valid
    :class:`Network`; ``errors`` lists ``{layer, parameter, message}`` of the current
    design (broken links, untrusted custom code).
    """

    _esm = _bundle("builder.js", _MISSING_BUNDLE)
    _css = _bundle("builder.css", "")

    state = traitlets.Dict().tag(sync=True)
    notice = traitlets.Dict().tag(sync=True)
    #: PNG of the signal-through-depth chart (b"" when none); arrives in JS as a DataView.
    depth_chart = traitlets.Bytes(b"").tag(sync=True)
    busy = traitlets.Unicode("").tag(sync=True)
    progress = traitlets.Float(0.0).tag(sync=True)
    #: The current design (observable).
    spec = traitlets.Instance(NetworkSpec, allow_none=True)
    #: Problems of the current design: ``[{"layer", "parameter", "message"}]`` (observable).
    errors = traitlets.List()

    def __init__(self, network_or_spec=None, *, max_parameters=500_000_000, autosave=None, trust=False,
                 plots=True, seed=None, **kwargs):
        check_trust(trust, "NetworkBuilder")
        max_parameters = files.check_budget(max_parameters, "NetworkBuilder: max_parameters")
        autosave = None if autosave is None else files.check_writable(autosave, "NetworkBuilder: autosave")[0]
        super().__init__(**kwargs)
        self.max_parameters = max_parameters
        self.autosave = autosave
        self.plots = plots
        self._classes = {}      # custom initializer classes typed in the widget or passed in
        self._undo, self._redo = [], []
        self._build = None
        self._panel_cache = {}
        self._panels = {}       # "<layer>/<parameter>" -> PNG bytes, as the front end has them
        self._std_cache = {}    # variable ref -> measured std
        self._profile_cache = (None, None)  # (what the forward pass depends on, activation records)
        self._drag_origin = None  # the design before the first preview of a slider drag
        self._held_range = None
        self._chart_range = None  # the std axis of the last depth chart
        self._init_theory()
        self._init_training()
        self._seq = 0
        self._warnings = []     # what went wrong after an edit was made (plots, autosave)
        reuse = None
        from_autosave = bool(self.autosave and self.autosave.exists())
        if from_autosave:
            spec = self._read(self.autosave, trust, "autosave")
        elif network_or_spec is None:
            spec = NetworkSpec(DEFAULT_DESIGN)
        elif isinstance(network_or_spec, Network):
            spec = NetworkSpec.from_network(network_or_spec)
        elif isinstance(network_or_spec, NetworkSpec):
            spec = network_or_spec
        elif isinstance(network_or_spec, dict):
            spec = NetworkSpec(network_or_spec, trust=trust, classes=self._all_classes())
        else:
            raise InvalidTypeError("NetworkBuilder: expected a Network, a NetworkSpec, a design dict or None, "
                                   f"got {type(network_or_spec).__name__}")
        spec = self._seeded(spec, seed)
        if isinstance(network_or_spec, Network) and not from_autosave:
            reuse = spec.reusable_from(network_or_spec)  # show that network's values, not new samples
        self._commit(spec, undoable=False, reuse=reuse)
        if from_autosave and network_or_spec is not None:
            self.notice = {"seq": 0, "ok": False, "op": "autosave", "layer": None, "parameter": None,
                           "message": f"started from the autosave file {str(self.autosave)!r}; the "
                                      f"{type(network_or_spec).__name__} given was not used (move the file away "
                                      "to start from it)"}
        self.on_msg(self._on_message)
        self._watch_cells()

    # -- what the person sees ------------------------------------------------------------
    @property
    def network(self):
        """The last valid :class:`~neuwidgets.network.Network`."""
        return self._build.network

    def to_code(self, target="neuwidgets"):
        """Python source that rebuilds this design: ``"neuwidgets"`` (a ``network``) or
        ``"keras"`` (a ``model``); see :meth:`NetworkSpec.to_code`."""
        return self.spec.to_code(target=target)

    # -- edits ---------------------------------------------------------------------------
    def add_layer(self, kind, value=None, index=None, name=None, **settings):
        """Add a layer of ``kind`` (``"Relu"``, ``"Convolution"``, ...) at ``index`` (position
        in the layer list, after the input; default: the end) and return its name.

        ``value``: its first setting (units, kernel size, ...; default: what fits after
        the layer before it, e.g. as many units as flow in); ``settings``: other settings
        (``alpha``, ``padding``, ...) and parameters (``weight=init.Normal()``, ``bias=None``,
        custom initializer code); ``name``: default ``<kind>-<n>``.
        """
        data, staged = self.spec.to_dict(), {}
        cls = KINDS.get(kind) if isinstance(kind, str) else None
        fields = {key: settings.pop(key) for key in list(settings) if cls and any(f.name == key for f in cls.fields)}
        if cls is not None and value is not None and cls.fields:
            fields[cls.fields[0].name] = value
        parameters = {}
        for key in list(settings):
            if cls is not None and any(spec.name == key for spec in cls.parameter_specs):
                parameters[key] = self._parameter_entry(settings.pop(key), data, staged,
                                                        where=f"add_layer: parameter '{key}'")
        if settings:
            raise InvalidTypeError(f"add_layer: unexpected argument(s) {', '.join(map(repr, settings))} for "
                                   f"{kind}"[:300])
        data, name = edits.add_layer(data, self.network, kind, index=index, name=name, fields=fields,
                                     parameters=parameters)
        self._apply(data, staged)
        return name

    def remove_layer(self, name):
        """Remove layer ``name``. Links to it stay, shown broken, until changed."""
        self._apply(edits.remove_layer(self.spec.to_dict(), name))

    def move_layer(self, name, index):
        """Move layer ``name`` to position ``index`` of the layer list (1 = right after the input)."""
        self._apply(edits.move_layer(self.spec.to_dict(), name, index))

    def set_field(self, name, field, value):
        """Set setting ``field`` of layer ``name`` (``"n_units"``, ``"size"``,
        ``"padding"``, ``"shape"`` of the input, ...) to ``value``: a value, or text as
        typed (``"3, 3, 32"``; ``""`` for None where the setting allows it)."""
        self._apply(edits.set_field(self.spec.to_dict(), name, field, value))

    def set_units(self, name, n_units):
        """Set the number of units of dense layer ``name`` (:meth:`set_field` of ``n_units``)."""
        self.set_field(name, "n_units", n_units)

    def set_input_shape(self, shape):
        """Set the input shape: an int, a tuple, or text such as ``"28, 28, 1"``."""
        self.set_field(self.spec.layers[0]["name"], "shape", shape)

    def set_initializer(self, names, parameter, initializer, preview=False):
        """Choose how ``parameter`` (``"weight"``, ``"bias"``, ``"gamma"``, ...) of layer
        ``names`` — one name, or a list of names: one edit for all of them — is initialized.

        ``initializer``: an :class:`~neuwidgets.init.Initializer` (built-in or a custom
        subclass), the source code of a custom ``Initializer`` subclass (``tf``, ``np``
        and ``init`` are in scope; it is run now and instantiated with its defaults), a
        number (``Constant``), or None for no bias. A linked parameter gets its own
        variable again. A single :meth:`undo` restores every layer; a refused edit (an
        unknown or repeated name, a layer without ``parameter``, an initializer that
        does not fit one of the shapes) changes none of them.

        ``preview=True`` (a slider being dragged): applied and drawn but not put on the
        undo stack; the next edit that is not a preview (the slider's release) makes one
        undoable edit from the design before the first preview. A preview's slider
        parameters must lie within the initializer's :attr:`~neuwidgets.init.Initializer.ranges`.
        """
        names = self._layer_names(names, "set_initializer")
        _check_flag(preview, "set_initializer: preview")
        data, staged = self.spec.to_dict(), {}
        item = edits.entry(data, names[0])
        where = (f"{item['kind']} layer '{names[0]}'" if len(names) == 1 else
                 f"layers {', '.join(map(repr, names))}"[:120]) + f": parameter {parameter!r}"[:80]
        if preview and isinstance(initializer, init.Initializer):
            type(initializer).check_ranges(initializer.get_config()["params"], where)
        value = self._parameter_entry(initializer, data, staged, where=where)
        for name in names:
            edits.set_parameter(data, name, parameter, value)
        self._apply(data, staged, drag="preview" if preview else "release")

    def apply_recipe(self, label):
        """Initialize every layer's kernel parameter (a dense weight, a convolution kernel:
        the :class:`~neuwidgets.layers.fields.Parameter` with ``kernel=True``) with the
        recipe ``label`` of :data:`neuwidgets.init.RECIPES` (``"He"``, ``"Xavier"``, ...),
        as one undoable edit; returns the names of the layers changed. Parameters linked
        to another layer's follow their owner. Raises :class:`InvalidValueError` for an
        unknown recipe, a network without a kernel parameter of its own, or a recipe
        that does not fit a shape (nothing is changed then)."""
        if not isinstance(label, str) or label not in init.RECIPES:
            raise InvalidValueError(f"apply_recipe: unknown recipe {str(label)[:40]!r}; expected one of "
                                    f"{', '.join(map(repr, init.RECIPES))}")
        data = self.spec.to_dict()
        value = {"initializer": init.RECIPES[label].get_config()}
        changed = []
        for item in data["layers"]:
            for spec in KINDS[item["kind"]].parameter_specs:
                held = (item.get("parameters") or {}).get(spec.name)
                if spec.kernel and held is not None and "link" not in held:
                    edits.set_parameter(data, item["name"], spec.name, value)
                    changed.append(item["name"])
        if not changed:
            raise InvalidValueError(f"apply_recipe {label!r}: no layer has a weight of its own to initialize; "
                                    "add a dense or convolution layer with units")
        self._apply(data)
        return changed

    def link(self, name, parameter, to_name, transpose=False):
        """Make ``parameter`` of layer ``name`` use the variable of the same parameter of
        layer ``to_name`` (a shared parameter); with ``transpose=True`` a weight uses it
        transposed (a tied autoencoder's decoder). Shapes must match. Layers that shared
        ``name``'s variable follow it to ``to_name``'s."""
        data = edits.link(self.spec.to_dict(), name, parameter, to_name, transpose)
        self._apply(data, refuse_errors_on=(name, parameter))

    def unlink(self, name, parameter):
        """Give ``parameter`` of layer ``name`` its own variable again (the kind's default initializer)."""
        self._apply(edits.unlink(self.spec.to_dict(), name, parameter))

    def undo(self):
        """Go back to the design before the last edit."""
        self._step(self._undo, self._redo, "undo")

    def redo(self):
        """Apply again the edit undone last."""
        self._step(self._redo, self._undo, "redo")

    def _step(self, source, target, what):
        self._settle_drag()
        if not source:
            raise InvalidValueError(f"{what}: nothing to {what}")
        design = source.pop()
        target.append(self.spec)
        try:
            self._commit(design, undoable=False)
        except Exception:
            target.pop()
            source.append(design)
            raise

    def trust(self):
        """Run the design's custom initializer code (after the person has read it)."""
        self._settle_drag()
        self._commit(NetworkSpec(self.spec.data, trust=True, classes=self._all_classes()), undoable=False)

    # -- the seed, pins and the chart's range ----------------------------------------------
    @property
    def seed(self):
        """The design's seed: every parameter whose initializer has no seed of its own is
        drawn from (this seed, its layer, its parameter) (:func:`~neuwidgets.init.derive_seed`),
        so the saved design builds to the same values (built-in initializers; a custom one
        when it samples with ``self.seed_tensor()``; global random state is never used)."""
        return self.spec.data["seed"]

    def resample(self, seed=None):
        """Draw every parameter that samples from the design's seed again, with ``seed``
        (an integer from 0 to 2**32 - 1; default: a fresh one), as one undoable edit;
        returns the new seed. Raises :class:`InvalidValueError` when no parameter draws
        from it (each initializer has its own seed, or holds a constant, fixed values or
        a link): a new seed would change nothing."""
        data = self.spec.to_dict()
        drawn = [f"{item['name']}/{parameter}" for item in data["layers"]
                 for parameter, value in (item.get("parameters") or {}).items()
                 if value and "initializer" in value and draws_from_design_seed(data, value["initializer"])]
        if not drawn:
            raise InvalidValueError("resample: no parameter draws from the design's seed: every initializer has a "
                                    "seed of its own (or is a constant, fixed values or a link), so a new seed would "
                                    "change nothing; give an initializer seed=None to let it follow the design's seed")
        if seed is None:
            seed = secrets.randbelow(MAX_SEED + 1)
            while seed == data["seed"]:
                seed = secrets.randbelow(MAX_SEED + 1)
        data["seed"] = seed
        self._apply(data)
        return seed

    @property
    def pins(self):
        """The kept signal-through-depth profiles, oldest first: ``[{"label", "layers",
        "std", "grad_std", "saturated", "dead"}]`` (one number per layer after the input,
        None where the signal overflowed); saved with the design."""
        return json.loads(json.dumps(self.spec.data.get("pins", [])))

    def pin(self, label=None):
        """Keep the current signal through depth (activation std, gradient std, saturated
        and dead fractions per layer) as a labelled reference line of the depth chart, and
        return its label (default: the recipe or initializer every kernel parameter uses,
        else ``"pin <n>"``). An undoable edit of the design, which keeps at most 8 pins.
        Raises :class:`InvalidValueError` for a network without layers after the input, a
        ninth pin, or a label that is taken or not plain text of 1 to 40 characters."""
        records = self._profile()
        if not records:
            raise InvalidValueError("pin: the network has no layers after the input, so there is no signal through "
                                    "depth to keep; add a layer first")
        pins = self.spec.data.get("pins", [])
        if len(pins) >= MAX_PINS:
            raise InvalidValueError(f"pin: at most {MAX_PINS} pins are kept; unpin one of "
                                    f"{', '.join(repr(p['label']) for p in pins)} first")
        taken = {pin["label"] for pin in pins}
        if label is None:
            label = self._pin_label(taken)
        elif check_label(label, "pin") in taken:
            raise InvalidValueError(f"pin: a pin labelled {label!r} exists already; unpin it first or choose "
                                    "another label")
        data = self.spec.to_dict()
        data["pins"] = [*pins, {"label": label, "layers": [record.layer for record in records],
                                **{series: [_significant(record[series]) for record in records]
                                   for series in PIN_SERIES}}]
        design = {key: value for key, value in self.spec.data.items() if key != "pins"}
        self._apply(data)
        self._pin_designs[label] = design  # what the Train panel can compare with
        return label

    def unpin(self, label):
        """Remove the pin ``label`` (an undoable edit). Raises :class:`InvalidValueError`
        naming the pins there are when there is none of that label."""
        pins = self.spec.data.get("pins", [])
        if not any(pin["label"] == label for pin in pins):
            raise InvalidValueError(f"unpin: no pin labelled {str(label)[:MAX_LABEL]!r}; pins: "
                                    f"{', '.join(repr(p['label']) for p in pins) or 'none'}")
        data = self.spec.to_dict()
        data["pins"] = [pin for pin in pins if pin["label"] != label]
        self._apply(data)

    @property
    def held_range(self):
        """``(low, high)`` of the depth chart's std axis while it is held, else None."""
        return self._held_range

    def hold_range(self, hold=True):
        """Hold the depth chart's std axis at the range it shows now (True), so that the
        charts of the next edits compare, or let it follow the data again (False).
        A view setting: not an edit, not saved. Returns :attr:`held_range`."""
        _check_flag(hold, "hold_range: hold")
        self._held_range = self._chart_y_range() if hold else None
        self._publish()
        if self.plots:
            self._draw()
        return self._held_range

    # -- files ---------------------------------------------------------------------------
    def save(self, path):
        """Write the design as JSON to ``path`` atomically (a crash leaves the old file whole),
        with the source of every custom initializer class it uses."""
        files.write_atomic(path, self.spec.to_json())

    def load(self, path, trust=False):
        """Replace the design with the one in ``path`` (undoable). Custom initializer
        code in it does not run unless ``trust=True`` (or :meth:`trust` later)."""
        check_trust(trust, "load")
        self._commit(self._seeded(self._read(path, trust, "load")))

    # -- internals -----------------------------------------------------------------------
    def _read(self, path, trust, where):
        """The design in the file ``path``; errors name ``where`` and the file."""
        text = files.read_design(path, where=where)
        try:
            return NetworkSpec.from_json(text, trust=trust, classes=self._all_classes())
        except NeuwidgetsError as exc:
            raise type(exc)(f"{where}: {shown(str(path))}: {exc}") from None

    def _all_classes(self):
        return {**_user_classes(), **self._classes}

    @staticmethod
    def _seeded(spec, seed=None):
        """``spec`` with a seed: its own, else ``seed``, else a fresh one."""
        if "seed" in spec.data:
            return spec
        seed = secrets.randbelow(MAX_SEED + 1) if seed is None else seed
        return NetworkSpec({**spec.data, "seed": seed}, trust=spec.trusted, classes=spec.classes)

    def _layer_names(self, names, what):
        """``names`` (one layer name or a list of them) as a list of existing, distinct layer names."""
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, (list, tuple)) or not names:
            raise InvalidTypeError(f"{what}: expected a layer name or a non-empty list of layer names, "
                                   f"got {str(names)[:60]!r}")
        for name in names:
            try:
                self.spec.entry(name)
            except InvalidValueError as exc:
                raise InvalidValueError(f"{what}: {exc}") from None
        repeated = [name for index, name in enumerate(names) if name in names[:index]]
        if repeated:
            raise InvalidValueError(f"{what}: layer {repeated[0]!r} is named twice; name each layer once")
        return list(names)

    def _settle_drag(self):
        """A slider drag that ended without its release: its previews become one undoable edit."""
        if self._drag_origin is not None:
            self._undo.append(self._drag_origin)
            self._redo.clear()
            self._drag_origin = None

    def _pin_label(self, taken):
        """The recipe or initializer every kernel parameter uses (``"He"``), else ``"pin <n>"``;
        made unique among ``taken``."""
        configs = {json.dumps(value["initializer"], sort_keys=True) for entry in self.spec.layers
                   for spec in KINDS[entry["kind"]].parameter_specs if spec.kernel
                   for value in [(entry.get("parameters") or {}).get(spec.name)] if value and "initializer" in value}
        label = f"pin {len(taken) + 1}"
        if len(configs) == 1:
            config = json.loads(configs.pop())
            recipes = [name for name, recipe in init.RECIPES.items() if recipe.get_config() == config]
            if recipes:
                label = recipes[0]
            elif config["name"] in init.BUILTINS:
                label = repr(init.from_config(config))[:MAX_LABEL]
        base, number = label, 2
        while label in taken:
            label = f"{base[:MAX_LABEL - 5]} ({number})"
            number += 1
        return label

    def _profile(self):
        """The activation records of the current network (cached while its layers and
        variables stay the same: a pin or a held range computes nothing)."""
        from .. import stats
        network = self._build.network
        key = (self._inputs, json.dumps(self.spec.layers), tuple(variable.ref() for layer in network.layers
                                                   for variable in layer.variables.values()))
        if self._profile_cache[0] != key:
            # at least 16,384 values per layer for every statistic: 16 to 256 samples (fewer for wider layers)
            widest = max(math.prod(layer.output_shape[1:]) for layer in network.layers)
            samples = min(256, max(16, 16_384 // widest))
            self._profile_cache = (key, stats.activation_stats(network, n_samples=samples, bins=None,
                                                               inputs=self._input_batch(samples)))
        return self._profile_cache[1]

    def _parameter_entry(self, value, data, staged, where="add_layer"):
        """A parameter's design entry; custom classes it brings go into ``staged``, kept
        only if the edit is made."""
        if value is None:
            return None
        if isinstance(value, str):
            cls = compile_initializer(value)
            staged[cls.__name__] = cls
            data["custom"][cls.__name__] = value
            try:
                with code_time_limit(f"{cls.__name__}() of {where}"):
                    value = cls()
            except CodeTimeoutError:
                raise
            except Exception as exc:
                raise InvalidValueError(f"{where}: custom initializer {cls.__name__} must work without arguments "
                                        f"(give each __init__ parameter a default); {describe_code_error(exc)}") from exc
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            value = init.Constant(value)
        if not isinstance(value, init.Initializer):
            raise InvalidTypeError(f"{where}: expected an Initializer, custom initializer code or a number, "
                                   f"got {type(value).__name__} {value!r}"[:300])
        config = value.get_config()
        if config["name"] not in init.BUILTINS:
            staged[config["name"]] = type(value)
        return {"initializer": config}

    def _apply(self, data, staged=None, refuse_errors_on=None, drag=None):
        spec = NetworkSpec(data, trust=self.spec.trusted, classes={**self._all_classes(), **(staged or {})})
        self._commit(spec, refuse_errors_on=refuse_errors_on, staged=staged, drag=drag)

    def _commit(self, spec, undoable=True, refuse_errors_on=None, reuse=None, staged=None, drag=None):
        """Build ``spec`` (re-sampling only what changed, or reusing ``reuse``) and make it
        current, or raise and leave everything as it was. What fails after that (the
        autosave file, the plots) is reported in ``notice``, never undoing the edit.
        ``drag``: ``"preview"`` (a slider moving: not undoable by itself) or ``"release"``
        (the slider let go: one undoable edit from the design before the first preview);
        any other edit makes the previews before it one undoable edit of their own."""
        if reuse is None and self._build is not None:
            reuse = self.spec.reusable_from(self._build.network)
        result = spec.build_report(reuse=reuse, max_parameters=self.max_parameters)
        for error in result.errors:
            if (error["layer"], error["parameter"]) == refuse_errors_on:
                raise InvalidValueError(spec.describe(error))
        text = spec.to_json() if self.autosave and drag != "preview" else None
        before = (self._build, self.spec, self.errors, self.state, list(self._undo), list(self._redo),
                  dict(self._classes), self._drag_origin)
        try:
            if drag == "preview":
                if self._drag_origin is None:
                    self._drag_origin = self.spec
            elif undoable and self._build is not None:
                if drag != "release":
                    self._settle_drag()
                self._undo.append(self.spec if self._drag_origin is None else self._drag_origin)
                self._redo.clear()
                self._drag_origin = None
            self._classes.update(staged or {})
            self._build = result
            self.spec = spec
            self.errors = result.errors
            self._warnings = []
            self._publish()
        except BaseException:  # the edit is not made: everything as it was, the state shown too
            (self._build, self.spec, self.errors, self.state, self._undo, self._redo, self._classes,
             self._drag_origin) = before
            raise
        if text is not None:
            try:
                files.write_atomic(self.autosave, text)
            except NeuwidgetsError as exc:
                self._warnings.append(f"autosave: {exc}")
        if self.plots:
            self._draw()
        if self._warnings:
            self.notice = {"seq": self._seq, "ok": False, "op": "after the edit", "layer": None,
                           "parameter": None, "message": "; ".join(self._warnings)}

    def _publish(self):
        network, spec = self._build.network, self.spec
        problems = {(e["layer"], e["parameter"]): e for e in self._build.errors}
        users = {ref: [layer.name for layer, _ in sharers] for ref, sharers in network.sharing().items()}
        owners = {(layer, parameter) for layer, parameter in network.variables}
        layers = []
        for entry, layer in zip(spec.layers, network.layers):
            parameters = []
            for parameter, value in (entry.get("parameters") or {}).items():
                if value is None:
                    continue
                variable = layer.variable(parameter)
                sharers = users[variable.ref()]
                message = (problems.get((entry["name"], parameter)) or {}).get("message")
                # untrusted code owns this variable (this layer's, or the one it links to)
                untrusted = next((name for name in sharers
                                  if (problems.get((name, parameter)) or {}).get("kind") == "untrusted"), None)
                values = [network.layer(name).parameters[parameter] for name in sharers]
                initializer = None if untrusted else next(
                    (v for v in values if isinstance(v, init.Initializer)), None)
                config = spec.entry(untrusted)["parameters"][parameter]["initializer"] if untrusted \
                    else initializer and initializer.get_config()
                custom = config and config["name"] not in init.BUILTINS and config["name"]
                shape = tuple(variable.shape)  # the owner's: what its initializer sampled
                parameters.append({
                    "name": parameter, "shape": list(layer.parameter_shapes()[parameter]), "initializer": config,
                    "label": repr(initializer) if initializer else
                    (f"{UNTRUSTED} {custom}" if untrusted else f"values {shape}"),
                    "formula": initializer and initializer.formula,
                    "expected_std": init.expected_std_of(initializer, shape),
                    "measured_std": self._measured_std(variable),
                    "variable": variable.name,
                    "link": value.get("link"),
                    "transpose": bool(value.get("transpose")),
                    "link_error": message if "link" in value else None,
                    "shared_with": [name for name in sharers if name != entry["name"]],
                    "code": custom and (spec.data["custom"].get(custom) or
                                        getattr(self._classes.get(custom), "_neuwidgets_code", None)) or None,
                    "trusted": untrusted is None,
                    "error": message if "link" not in value else None,
                })
            layers.append({
                "name": entry["name"], "kind": entry["kind"], "starts_network": layer.starts_network,
                "output_shape": format_shape(layer.output_shape),
                "fields": [{"name": field.name, "value": entry[field.name], "text": field.text(getattr(layer, field.name)),
                            "is_default": getattr(layer, field.name) == field.default} for field in layer.fields],
                # what this layer owns (the cards add up to the total), and what it uses of others'
                "n_parameters": int(sum(math.prod(v.shape) for p, v in layer.variables.items()
                                        if (layer, p) in owners)),
                "n_shared": int(sum(math.prod(v.shape) for p, v in layer.variables.items()
                                    if (layer, p) not in owners)),
                "parameters": parameters,
            })
        self.state = {
            "layers": layers, "n_parameters": network.n_parameters, "n_non_trainable": network.n_non_trainable,
            "input_shape": format_shape(network.input_shape), "output_shape": format_shape(network.output_shape),
            "kinds": [{"kind": kind, "doc": (cls.__doc__ or "").strip().split("\n")[0],
                       "fields": [field.describe() for field in cls.fields],
                       "starts_network": cls.starts_network} for kind, cls in KINDS.items()],
            "initializers": self._catalog(),
            "recipes": [{"label": label, "initializer": recipe.get_config()} for label, recipe in init.RECIPES.items()],
            "seed": spec.data["seed"],
            "pins": [pin["label"] for pin in spec.data.get("pins", [])],
            "y_range": None if self._held_range is None else list(self._held_range),
            "errors": self._build.errors,
            "can_undo": bool(self._undo) or self._drag_origin is not None, "can_redo": bool(self._redo),
            **self._theory_state(),
        }
        check_state(self.state)
        self._std_cache = {ref: std for ref, std in self._std_cache.items() if ref in users}

    def _measured_std(self, variable):
        """The std of ``variable``'s values, to 4 significant digits (cached per variable)."""
        ref = variable.ref()
        if ref not in self._std_cache:
            from .._tensorflow import tf
            self._std_cache[ref] = _significant(float(tf.math.reduce_std(variable)))
        return self._std_cache[ref]

    def _catalog(self):
        entries = []
        for name, cls in {**init.BUILTINS, **self._all_classes()}.items():
            ranges = getattr(cls, "ranges", None) or {}
            params = [{"name": p.name, "default": _plain(None if p.default is inspect.Parameter.empty else p.default),
                       "range": dict(zip(("min", "max", "log"), ranges[p.name])) if p.name in ranges else None}
                      for p in init.signature(cls).parameters.values()
                      if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
            entries.append({"name": name, "formula": cls.formula, "custom": name not in init.BUILTINS,
                            "code": getattr(cls, "_neuwidgets_code", None), "params": params})
        return entries

    def _draw(self):
        """Redraw the panels whose variable (or sharing) changed, then the depth chart.
        A failed plot never loses the edit: the notice says why it is missing."""
        try:
            self._draw_panels()
            self._draw_depth_chart()
            self._draw_theory()
        except Exception as exc:
            self._warnings.append(f"could not draw the plots: {type(exc).__name__}: {exc}")
        finally:
            self.busy, self.progress = "", 1.0

    @property
    def panels(self):
        """``{"<layer>/<parameter>": PNG bytes}``: the weight panel of every parameter, as
        the front end has them (empty with ``plots=False``)."""
        return dict(self._panels)

    def _draw_panels(self):
        """Draw the panels whose variable (or sharing) changed and send only those."""
        from .. import plotting, stats
        network = self._build.network
        users = {ref: [(layer.name, parameter) for layer, parameter in sharers]
                 for ref, sharers in network.sharing().items()}
        cache = {key: png for key, png in self._panel_cache.items() if key[0] in users}
        todo = [(ref, names) for ref, names in users.items() if (ref, tuple(names)) not in cache]
        for done, (ref, names) in enumerate(todo):
            self.busy, self.progress = f"drawing weight panel {done + 1} of {len(todo)}", done / (len(todo) + 1)
            layer_name, parameter = names[0]
            record = stats.parameter_stats(network, network.layer(layer_name), parameter)
            cache[(ref, tuple(names))] = plotting.panel_png(record)
        self._panel_cache = cache
        panels = {f"{layer}/{parameter}": cache[(ref, tuple(names))]
                  for ref, names in users.items() for layer, parameter in names}
        changed = {key: png for key, png in panels.items() if self._panels.get(key) is not png}
        removed = [key for key in self._panels if key not in panels]
        self._panels = panels
        if changed or removed:
            self._send_panels(changed, removed, full=False)

    def _send_panels(self, panels, removed, full):
        """One ``{"type": "panels"}`` message: each distinct PNG once, as a binary buffer
        (see docs/protocol.md)."""
        buffers, index = [], {}
        for png in panels.values():
            if id(png) not in index:
                index[id(png)] = len(buffers)
                buffers.append(png)
        self.send({"type": "panels", "full": full, "removed": removed,
                   "panels": {key: index[id(png)] for key, png in panels.items()}}, buffers)

    def _draw_depth_chart(self):
        from .. import plotting
        self.busy, self.progress = "computing the signal through depth", 0.9
        self.depth_chart = plotting.depth_chart_png(self._profile(), pins=self.spec.data.get("pins", []),
                                                    y_range=self._chart_y_range(),
                                                    held=self._held_range is not None)

    def _chart_y_range(self):
        """The depth chart's std axis: held, or :func:`~neuwidgets.plotting.depth_range`
        of the data, kept from the chart before while it still fits (no jumps while a slider moves)."""
        from .. import plotting
        if self._held_range is None:
            self._chart_range = plotting.depth_range(self._profile(), self.spec.data.get("pins", []),
                                                     previous=self._chart_range)
        return self._held_range or self._chart_range

    # -- the front end -------------------------------------------------------------------
    def _on_message(self, _widget, content, _buffers):
        if isinstance(content, dict) and content.get("type") == "request_panels":
            self._send_panels(self._panels, [], full=True)  # a view (re)opened: every panel
            return
        if not isinstance(content, dict) or content.get("type") != "edit":
            return
        seq, op, args = content.get("seq"), content.get("op"), content.get("args") or {}
        self._seq = seq
        layer = args.get("name") if isinstance(args, dict) else None
        notice = {"seq": seq, "ok": True, "op": op, "layer": layer if isinstance(layer, str) else None,
                  "parameter": args.get("parameter") if isinstance(args, dict) else None, "message": ""}
        try:
            handler = self._handlers().get(op) if isinstance(op, str) else None
            if handler is None:
                raise InvalidValueError(f"unknown edit {shown(op, 40)}; expected one of {', '.join(self._handlers())}")
            if not isinstance(args, dict):
                raise InvalidTypeError(f"{op}: arguments must be an object, got {shown(args)}")
            try:
                inspect.signature(handler).bind(**args)
            except TypeError as exc:
                raise InvalidTypeError(f"{op}: {shown(str(exc), 120)[1:-1]}") from None
            made = handler(**args)
            if op == "add_layer":
                notice["layer"] = made  # the new layer: the front end selects it
            if self._warnings:  # the edit was made, but something after it failed
                notice.update(ok=False, layer=None, parameter=None, message="; ".join(self._warnings))
        except NeuwidgetsError as exc:
            notice.update(ok=False, message=str(exc))
        except Exception as exc:  # never swallowed: the person sees it on the widget
            notice.update(ok=False, message=f"internal error in {op}: {type(exc).__name__}: {shown(str(exc), 200)}")
            traceback.print_exc()
        except BaseException as exc:  # KeyboardInterrupt, SystemExit, any BaseException of typed code
            notice.update(ok=False, message=f"{op} was interrupted ({type(exc).__name__}); the builder shows the "
                                            "design as it now is")
        self.notice = notice

    def _scope(self, name, parameter, scope):
        """The layers a set_initializer message with ``scope`` changes: ``"layer"``: ``name``;
        ``"kind"``: every layer of ``name``'s kind with ``parameter``; ``"all"``: every layer
        with ``parameter``. Parameters linked to another layer's follow their owner and are
        left out (``name``'s own is always in)."""
        if scope not in SCOPES:
            raise InvalidValueError(f"set_initializer: scope must be one of {', '.join(map(repr, SCOPES))}, "
                                    f"got {str(scope)[:40]!r}")
        if scope == "layer":
            return name
        kind = self.spec.entry(name)["kind"]
        return [name, *(entry["name"] for entry in self.spec.layers if entry["name"] != name
                        and (entry.get("parameters") or {}).get(parameter) is not None
                        and "link" not in entry["parameters"][parameter] and (scope == "all" or entry["kind"] == kind))]

    def _handlers(self):
        def set_initializer(name, parameter, initializer=None, code=None, scope="layer", preview=False):
            names = self._scope(name, parameter, scope)
            if code is not None:
                if not isinstance(code, str):
                    raise InvalidTypeError(f"set_initializer: code must be text, got {type(code).__name__} {code!r}")
                return self.set_initializer(names, parameter, code, preview=preview)
            if not isinstance(initializer, dict):
                raise InvalidTypeError(f"set_initializer: expected an initializer config or code, got {initializer!r}")
            try:
                value = init.from_config(initializer, custom=self._all_classes())
            except NeuwidgetsError as exc:
                raise type(exc)(f"layer {name!r}: {parameter}: {exc}") from None
            return self.set_initializer(names, parameter, value, preview=preview)
        return {"add_layer": self.add_layer, "remove_layer": self.remove_layer, "move_layer": self.move_layer,
                "set_field": self.set_field,
                "set_initializer": set_initializer, "link": self.link, "unlink": self.unlink,
                "undo": self.undo, "redo": self.redo, "trust": self.trust,
                "apply_recipe": self.apply_recipe, "resample": lambda: self.resample(),
                "pin": self.pin, "unpin": self.unpin, "hold_range": self.hold_range,
                **self._theory_handlers(), **self._training_handlers()}

    def _watch_cells(self):
        """Initializer classes defined in notebook cells appear in the chooser by themselves:
        the state is republished after every cell, while this widget is open."""
        try:
            from IPython import get_ipython
        except ImportError:
            return
        shell = get_ipython()
        if shell is None:
            return
        builder = weakref.ref(self)

        def refresh(*_):
            widget = builder()
            if widget is None or widget.comm is None:
                shell.events.unregister("post_run_cell", refresh)
            else:
                widget._publish()

        shell.events.register("post_run_cell", refresh)

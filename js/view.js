// Pure helpers: turn the synced traitlets into display values and decide which
// edit a user action means. No DOM access here (keeps them testable anywhere).

/** @typedef {import("./types.js").State} State */
/** @typedef {import("./types.js").Layer} Layer */
/** @typedef {import("./types.js").Parameter} Parameter */
/** @typedef {import("./types.js").Notice} Notice */
/** @typedef {import("./types.js").InitializerInfo} InitializerInfo */
/** @typedef {import("./types.js").InitParamSpec} InitParamSpec */
/** @typedef {import("./types.js").StateError} StateError */

/** Select value of the "Custom…" (write your own code) initializer option. */
export const CUSTOM = "__custom__";

/** Code shown in the editor when a parameter has no custom code yet. */
export const TEMPLATE = [
  "class MyInit(init.Initializer):",
  "    def sample(self, shape):",
  "        return tf.random.normal(shape, stddev=0.05)",
  "",
].join("\n");

/** The state before Python published the first one. */
export const EMPTY_STATE = /** @type {State} */ ({
  layers: [],
  n_parameters: 0,
  n_non_trainable: 0,
  input_shape: "",
  output_shape: "",
  kinds: [],
  initializers: [],
  errors: [],
  can_undo: false,
  can_redo: false,
  recipes: [],
  seed: 0,
  pins: [],
  y_range: null,
  inputs: { source: "gaussian", choices: ["gaussian"] },
  theory: false,
  lsuv_log: [],
});

/**
 * The published state (Python checks it against state.schema.json, from which the
 * State type is generated), or EMPTY_STATE before the first one.
 * @param {unknown} raw
 * @returns {State}
 */
export function currentState(raw) {
  return typeof raw === "object" && raw !== null && "layers" in raw ? /** @type {State} */ (raw) : EMPTY_STATE;
}

/**
 * The notice Python published last, or null before the first one (an empty dict).
 * @param {unknown} raw
 * @returns {Notice | null}
 */
export function currentNotice(raw) {
  return typeof raw === "object" && raw !== null && "seq" in raw ? /** @type {Notice} */ (raw) : null;
}

/**
 * `expected_std` with 4 significant digits: 0.31622 -> "std ≈ 0.3162".
 * @param {number | null} std
 * @returns {string}
 */
export function formatStd(std) {
  if (typeof std !== "number" || !Number.isFinite(std)) return "";
  return `std ≈ ${std.toPrecision(4)}`;
}

/**
 * @param {number} n
 * @returns {string}
 */
export function formatCount(n) {
  return Number.isFinite(n) ? n.toLocaleString("en-US") : String(n);
}

/**
 * A parameter value as the text of an input field.
 * @param {unknown} value
 * @returns {string}
 */
export function formatValue(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The value to send for an initializer parameter typed as `text`: a number
 * where the text parses as one, null for an empty optional field (`seed`, or
 * any parameter whose default is null), otherwise the raw text, so Python can
 * say what is wrong with it.
 * @param {string} text
 * @param {InitParamSpec} spec
 * @returns {unknown}
 */
export function parseParamValue(text, spec) {
  const t = text.trim();
  if (t === "") return spec.name === "seed" || spec.default === null ? null : text;
  if (NUMBER_RE.test(t) && Number.isFinite(Number(t))) return Number(t); // "1e400" goes as text: Python says why
  if (typeof spec.default === "boolean" && (t === "true" || t === "false")) return t === "true";
  return text;
}

/**
 * What a card says about the sharing of parameter `p`, once: the user of a link
 * "weight: uses encoder's (transposed)", a link that does not hold "bias: <why, from
 * Python>", the owner of a shared variable "weight shared with decoder"; null when it
 * shares nothing.
 * @param {Parameter} p
 * @returns {string | null}
 */
export function shareText(p) {
  if (p.link_error !== null) return `${p.name}: ${p.link_error}`;
  if (p.link !== null) return `${p.name}: uses ${p.link}'s${p.transpose ? " (transposed)" : ""}`;
  if (p.shared_with.length > 0) return `${p.name} shared with ${p.shared_with.join(", ")}`;
  return null;
}

/**
 * A parameter's measured std as the card writes it: "std 0.3162", "std 0" for a
 * constant, "" when there is none (Python rounds it to 4 significant digits).
 * @param {number | null} std
 * @returns {string}
 */
export function formatMeasured(std) {
  return typeof std === "number" && Number.isFinite(std) ? `std ${std}` : "";
}

/**
 * "layer.parameter: message" for an entry of `state.errors`.
 * @param {StateError} e
 * @returns {string}
 */
export function errorText(e) {
  const where = [e.layer, e.parameter].filter((x) => x !== null && x !== "").join(".");
  return where ? `${where}: ${e.message}` : e.message;
}

/**
 * Layers the parameter `parameter` of layer `name` can be linked to: every other
 * layer that has a parameter of that name.
 * @param {State} state
 * @param {string} name
 * @param {string} parameter
 * @returns {string[]}
 */
export function linkTargets(state, name, parameter) {
  return state.layers
    .filter((l) => l.name !== name && l.parameters.some((p) => p.name === parameter))
    .map((l) => l.name);
}

/**
 * @param {State} state
 * @param {string} name
 * @returns {number}
 */
export function layerIndex(state, name) {
  return state.layers.findIndex((l) => l.name === name);
}

/**
 * Where `add_layer` should insert: after the selected layer, or at the end
 * (undefined: the `index` argument is left out).
 * @param {State} state
 * @param {string | null} selected
 * @returns {number | undefined}
 */
export function addIndex(state, selected) {
  if (selected === null) return undefined;
  const i = layerIndex(state, selected);
  return i < 0 ? undefined : i + 1;
}

/**
 * The first position a layer may take (after the input layer, if any).
 * @param {State} state
 * @returns {number}
 */
export function firstMovableIndex(state) {
  return state.layers.length > 0 && state.layers[0].starts_network ? 1 : 0;
}

/**
 * The `index` for moving `name` one step (-1 up, +1 down), or null where it
 * cannot go further.
 * @param {State} state
 * @param {string} name
 * @param {number} delta
 * @returns {number | null}
 */
export function moveIndex(state, name, delta) {
  const i = layerIndex(state, name);
  if (i < 0) return null;
  const j = i + delta;
  if (j < firstMovableIndex(state) || j >= state.layers.length) return null;
  return j;
}

/**
 * The `index` for dropping `dragged` onto the card of `target`: it takes the
 * target's position (never before the input). Null when nothing moves.
 * @param {State} state
 * @param {string} dragged
 * @param {string} target
 * @returns {number | null}
 */
export function dropIndex(state, dragged, target) {
  const from = layerIndex(state, dragged);
  const to = layerIndex(state, target);
  if (from < 0 || to < 0) return null;
  const index = Math.max(to, firstMovableIndex(state));
  return index === from ? null : index;
}

/**
 * @typedef {{key: string, ctrlKey?: boolean, metaKey?: boolean, shiftKey?: boolean, altKey?: boolean}} KeyLike
 */

/**
 * The history action for a key press on the widget: Ctrl/Cmd+Z undoes,
 * Ctrl/Cmd+Shift+Z and Ctrl/Cmd+Y redo.
 * @param {KeyLike} e
 * @returns {"undo" | "redo" | null}
 */
export function historyKeyAction(e) {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return null;
  const key = e.key.toLowerCase();
  if (key === "z") return e.shiftKey ? "redo" : "undo";
  if (key === "y" && !e.shiftKey) return "redo";
  return null;
}

/**
 * The action for a key pressed while a layer card itself has focus.
 * @param {KeyLike} e
 * @returns {"select" | "deselect" | "remove" | "move-up" | "move-down" | "focus-prev" | "focus-next" | null}
 */
export function cardKeyAction(e) {
  if (e.ctrlKey || e.metaKey) return null;
  if (e.altKey) {
    if (e.key === "ArrowUp" || e.key === "ArrowLeft") return "move-up";
    if (e.key === "ArrowDown" || e.key === "ArrowRight") return "move-down";
    return null;
  }
  if (e.shiftKey) return null;
  switch (e.key) {
    case "Enter":
    case " ":
      return "select";
    case "Escape":
      return "deselect";
    case "Delete":
      return "remove";
    case "ArrowUp":
      return "focus-prev";
    case "ArrowDown":
      return "focus-next";
    default:
      return null;
  }
}

/**
 * Whether a key event comes from somewhere the user types (where Ctrl+Z
 * belongs to the field, not to the builder).
 * @param {EventTarget | null} target
 * @returns {boolean}
 */
export function isTypingTarget(target) {
  const el = /** @type {{closest?: (s: string) => Element | null}} */ (target ?? {});
  if (typeof el.closest !== "function") return false;
  return el.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"], .cm-editor') !== null;
}

/**
 * The image source for PNG bytes from Python (a bytes trait or a message buffer arrives
 * as a DataView): a data URL, "" when there are none.
 * @param {unknown} png
 * @returns {string}
 */
export function pngSrc(png) {
  const bytes = ArrayBuffer.isView(png)
    ? new Uint8Array(png.buffer, png.byteOffset, png.byteLength)
    : png instanceof ArrayBuffer
      ? new Uint8Array(png)
      : null;
  if (bytes === null || bytes.length === 0) return "";
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:image/png;base64,${btoa(binary)}`;
}

/**
 * Which initializer the chooser of `p` shows when the user picked nothing yet.
 * @param {Parameter} p
 * @returns {string}
 */
export function currentChoice(p) {
  if (p.code !== null) return CUSTOM;
  return p.initializer ? p.initializer.name : "";
}

/**
 * The parameter fields of initializer `choice` for `p`, prefilled from the
 * parameter's current values (when `choice` is what it uses) or the defaults.
 * @param {State} state
 * @param {Parameter} p
 * @param {string} choice
 * @returns {{spec: InitParamSpec, value: string}[]}
 */
export function initFields(state, p, choice) {
  const info = state.initializers.find((i) => i.name === choice);
  const current = p.initializer && p.initializer.name === choice ? p.initializer.params : null;
  /** @type {InitParamSpec[]} */
  const specs = info
    ? info.params
    : current
      ? Object.keys(current).map((name) => ({ name, default: null, range: null }))
      : [];
  return specs.map((spec) => ({
    spec,
    value: formatValue(current && spec.name in current ? current[spec.name] : spec.default),
  }));
}

/**
 * Whether `p` uses another layer's variable through a working link (its
 * initializer is then that layer's: it cannot be chosen here).
 * @param {Parameter} p
 * @returns {boolean}
 */
export function isLinked(p) {
  return p.link !== null && p.link_error === null;
}

/**
 * "uses the weight of encoder (transposed)": what a linked parameter shows
 * instead of its initializer chooser.
 * @param {Parameter} p
 * @returns {string}
 */
export function linkedInitText(p) {
  return `uses the ${p.name} of ${p.link ?? "?"}${p.transpose ? " (transposed)" : ""}`;
}


/**
 * The refusal to show on the card of `layer`, if the last notice is one.
 * @param {Notice | null} notice
 * @param {State} state
 * @returns {{layer: string | null, parameter: string | null, message: string} | null}
 */
export function refusal(notice, state) {
  if (!notice || notice.ok) return null;
  const onCard = notice.layer !== null && layerIndex(state, notice.layer) >= 0;
  return {
    layer: onCard ? notice.layer : null,
    parameter: onCard ? notice.parameter : null,
    message: notice.message,
  };
}

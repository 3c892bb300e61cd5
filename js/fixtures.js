// Test helpers: a fake anywidget model and a sample state (used by *.test.js).

/** @typedef {import("./types.js").Callback} Callback */

/**
 * A stand-in for anywidget's model: get/set/on/off/send/save_changes, with
 * Backbone-like "change:<name>" events and a log of what was sent.
 * @param {Record<string, any>} values
 */
export function fakeModel(values) {
  /** @type {Record<string, any>} */
  const data = { ...values };
  /** @type {Map<string, Set<Callback>>} */
  const handlers = new Map();
  /** @type {any[]} */
  const sent = [];
  return {
    data,
    sent,
    handlers,
    /** @param {string} name */
    get(name) {
      return data[name];
    },
    /** @param {string} name @param {any} value */
    set(name, value) {
      data[name] = value;
      for (const cb of [...(handlers.get(`change:${name}`) ?? [])]) cb();
    },
    /** @param {string} event @param {Callback} cb */
    on(event, cb) {
      if (!handlers.has(event)) handlers.set(event, new Set());
      handlers.get(event)?.add(cb);
    },
    /** @param {string | null} [event] @param {Callback | null} [cb] */
    off(event, cb) {
      if (!event) handlers.clear();
      else if (!cb) handlers.delete(event);
      else handlers.get(event)?.delete(cb);
    },
    /** @param {any} content */
    send(content) {
      sent.push(content);
    },
    save_changes() {},
    /** Number of registered callbacks. */
    listenerCount() {
      let n = 0;
      for (const set of handlers.values()) n += set.size;
      return n;
    },
  };
}

/**
 * @param {string} layer
 * @param {string} name
 * @param {Record<string, any>} [extra]
 */
export function parameter(layer, name, extra = {}) {
  const weight = name === "weight";
  return {
    name,
    shape: weight ? [10, 30] : [30],
    initializer: weight
      ? { name: "HeNormal", params: { gain: 1.0, seed: null } }
      : { name: "Constant", params: { value: 0 } },
    label: weight ? "HeNormal(gain=1.0)" : "Constant(0)",
    formula: weight ? "N(0, gain / fan_in)" : "value",
    expected_std: weight ? 0.316227766 : null,
    variable: `layer/${layer}/${name}:0`,
    link: null,
    link_error: null,
    shared_with: [],
    code: null,
    trusted: true,
    error: null,
    ...extra,
  };
}

/**
 * @param {string} name
 * @param {string} kind
 * @param {number} units
 * @param {number} nIn
 */
export function denseLayer(name, kind, units, nIn) {
  return {
    name,
    kind,
    shape: null,
    n_units: units,
    output_shape: `(?, ${units})`,
    n_parameters: nIn * units + units,
    options: kind === "LeakyRelu" ? { alpha: 0.01 } : {},
    parameters: [parameter(name, "weight"), parameter(name, "bias")],
  };
}

/**
 * A state in the protocol's format: input-1 -> sigmoid-1 -> sigmoid-2 -> relu-1.
 * Typed loosely (any) so tests can set fields to anything Python might send.
 * @returns {any}
 */
export function sampleState() {
  return {
    layers: [
      {
        name: "input-1",
        kind: "Input",
        shape: [10],
        n_units: null,
        output_shape: "(?, 10)",
        n_parameters: 0,
        options: {},
        parameters: [],
      },
      denseLayer("sigmoid-1", "Sigmoid", 30, 10),
      denseLayer("sigmoid-2", "Sigmoid", 20, 30),
      denseLayer("relu-1", "Relu", 15, 20),
    ],
    n_parameters: 330 + 620 + 315,
    input_shape: "(?, 10)",
    output_shape: "(?, 15)",
    kinds: [
      { kind: "Sigmoid", options: {} },
      { kind: "Relu", options: {} },
      { kind: "LeakyRelu", options: { alpha: 0.01 } },
    ],
    initializers: [
      {
        name: "Normal",
        formula: "N(mean, std²)",
        custom: false,
        code: null,
        params: [
          { name: "mean", default: 0.0 },
          { name: "std", default: 0.01 },
          { name: "seed", default: null },
        ],
      },
      {
        name: "HeNormal",
        formula: "N(0, gain / fan_in)",
        custom: false,
        code: null,
        params: [
          { name: "gain", default: 1.0 },
          { name: "seed", default: null },
        ],
      },
      { name: "Constant", formula: "value", custom: false, code: null, params: [{ name: "value", default: 0 }] },
      { name: "MyInit", formula: null, custom: true, code: "class MyInit(init.Initializer): ...", params: [] },
    ],
    errors: [],
    can_undo: false,
    can_redo: false,
  };
}

/** The traitlets of a fresh builder. */
export function sampleValues() {
  return { state: sampleState(), notice: {}, panels: {}, depth_chart: "", busy: "", progress: 0 };
}

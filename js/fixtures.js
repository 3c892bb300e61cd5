// Test helpers: a fake anywidget model and the states a real builder published
// (used by *.test.js).

import published from "./fixtures/states.json";

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
  /** @type {any[]} */
  const requests = [];
  return {
    data,
    sent,
    requests,
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
    /** @param {any} content  edits go to `sent`, other messages (request_panels) to `requests` */
    send(content) {
      (content?.type === "edit" ? sent : requests).push(content);
    },
    /**
     * A custom message from Python (anywidget's "msg:custom").
     * @param {any} content
     * @param {DataView[]} [buffers]
     */
    receive(content, buffers = []) {
      for (const cb of [...(handlers.get("msg:custom") ?? [])]) cb(content, buffers);
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
 * States a real NetworkBuilder published (tests/state_fixtures.py writes them; a
 * Python test checks they are current): "sample" (input-1 (10) -> sigmoid-1 (30) ->
 * sigmoid-2 (20) -> relu-1 (15)), "linked", "broken link", "untrusted",
 * "refused code", "refused units", "cnn", "slider drag with a pin and a held range"
 * (He on every kernel, a pin, sigmoid-1's weight previewed at N(0, 0.5) for every
 * Sigmoid layer), "digits after LSUV with the theory shown" (input-1 (64) -> tanh-1
 * (32) -> softmax-1 (10)). Each is {state, notice}.
 */
export const PUBLISHED = /** @type {Record<string, {state: any, notice: any}>} */ (published);

/**
 * A copy of a published state, free to change in a test (typed loosely: tests set
 * fields to what Python might send next).
 * @param {string} [name]
 * @returns {any}
 */
export function publishedState(name = "sample") {
  return structuredClone(PUBLISHED[name].state);
}

/** The sample state (see PUBLISHED). @returns {any} */
export function sampleState() {
  return publishedState("sample");
}

/** The traitlets of a fresh builder. */
export function sampleValues() {
  const empty = () => new DataView(new ArrayBuffer(0));
  return {
    state: sampleState(),
    notice: {},
    depth_chart: empty(),
    phase_diagram: empty(),
    spectrum: empty(),
    training_chart: empty(),
    training: { running: false, label: null, step: 0, steps: 0, labels: [], message: "" },
    busy: "",
    progress: 0,
  };
}

/**
 * An element inside an open shadow root (as marimo renders widgets), in the page.
 * @returns {{shadow: ShadowRoot, el: HTMLElement}}
 */
export function inShadowRoot() {
  const host = document.createElement("div");
  document.body.append(host);
  const shadow = host.attachShadow({ mode: "open" });
  const el = document.createElement("div");
  shadow.append(el);
  return { shadow, el };
}

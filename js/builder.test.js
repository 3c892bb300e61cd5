import { afterEach, describe, expect, it, vi } from "vitest";
import { EditorView } from "@codemirror/view";
import widget from "./builder.js";
import { nextSeq } from "./app.js";
import { PUBLISHED, fakeModel, publishedState, sampleState, sampleValues } from "./fixtures.js";

/** @type {(() => void)[]} */
const cleanups = [];

afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
  document.body.replaceChildren();
});

/** @param {Record<string, any>} [values] */
function mount(values = sampleValues()) {
  const model = fakeModel(values);
  const el = document.createElement("div");
  document.body.append(el);
  const cleanup = widget.render({ model, el });
  cleanups.push(cleanup);
  return { model, el, cleanup };
}

/**
 * @param {ParentNode} root
 * @param {string} testid
 * @returns {HTMLElement}
 */
function get(root, testid) {
  const found = root.querySelector(`[data-testid="${testid}"]`);
  if (!found) throw new Error(`no ${testid}`);
  return /** @type {HTMLElement} */ (found);
}

/**
 * @param {ParentNode} root
 * @param {string} testid
 * @returns {HTMLElement[]}
 */
function all(root, testid) {
  return [...root.querySelectorAll(`[data-testid="${testid}"]`)].map((e) => /** @type {HTMLElement} */ (e));
}

/**
 * @param {ParentNode} root
 * @param {string} name
 */
function card(root, name) {
  const found = all(root, "nw-card").find((c) => c.dataset.layer === name);
  if (!found) throw new Error(`no card ${name}`);
  return found;
}

/**
 * @param {ParentNode} root
 * @param {string} name
 */
function param(root, name) {
  const found = all(get(root, "nw-details"), "nw-param").find((c) => c.dataset.parameter === name);
  if (!found) throw new Error(`no parameter ${name}`);
  return found;
}

/**
 * @param {EventTarget} target
 * @param {string} key
 * @param {KeyboardEventInit} [init]
 */
function press(target, key, init = {}) {
  const e = new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(e);
  return e;
}

/**
 * @param {HTMLElement} input
 * @param {string} value
 */
function type(input, value) {
  /** @type {HTMLInputElement} */ (input).value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

/**
 * @param {HTMLElement} select
 * @param {string} value
 */
function choose(select, value) {
  /** @type {HTMLSelectElement} */ (select).value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
}

/**
 * @param {EventTarget} target
 * @param {string} type
 * @param {any} [dataTransfer]
 */
function drag(target, type, dataTransfer) {
  const e = new Event(type, { bubbles: true, cancelable: true });
  if (dataTransfer) Object.defineProperty(e, "dataTransfer", { value: dataTransfer });
  target.dispatchEvent(e);
  return e;
}

/** @param {{sent: any[]}} model */
const ops = (model) => model.sent.map((m) => [m.op, m.args]);

/**
 * The control of setting `name` (a card's or the details').
 * @param {ParentNode} root
 * @param {string} name
 * @returns {HTMLInputElement}
 */
const field = (root, name) => {
  const found = root.querySelector(`[data-testid="nw-field"][data-field="${name}"]`);
  if (!(found instanceof HTMLInputElement || found instanceof HTMLSelectElement)) throw new Error(`no field ${name}`);
  return /** @type {HTMLInputElement} */ (found);
};

/**
 * A refusal notice from Python.
 * @param {Record<string, any>} extra
 */
const refused = (extra) => ({ seq: 1, ok: false, op: "set_field", layer: null, parameter: null, message: "", ...extra });

describe("rendering the state", () => {
  it("shows the cards in order with kind, name, units, shape and parameter count", () => {
    const { el } = mount();
    const cards = all(el, "nw-card");
    expect(cards.map((c) => c.dataset.layer)).toEqual(["input-1", "sigmoid-1", "sigmoid-2", "relu-1"]);
    const s1 = card(el, "sigmoid-1");
    expect(s1.textContent).toContain("Sigmoid");
    expect(s1.textContent).toContain("sigmoid-1");
    expect(/** @type {HTMLInputElement} */ (field(s1, "n_units")).value).toBe("30");
    expect(get(s1, "nw-output-shape").textContent).toBe("(?, 30)");
    expect(get(s1, "nw-count").textContent).toBe("330 params");
    expect(s1.getAttribute("tabindex")).toBe("0");
    expect(get(el, "nw-total-params").textContent).toBe("1,265 parameters");
    expect(get(el, "nw-input-summary").textContent).toBe("(?, 10)");
    expect(get(el, "nw-output-summary").textContent).toBe("(?, 15)");
  });

  it("shows and edits the input shape on the input card", () => {
    const { el, model } = mount();
    const input = card(el, "input-1");
    expect(input.querySelector('[data-testid="nw-remove"]')).toBeNull();
    const shape = /** @type {HTMLInputElement} */ (field(input, "shape"));
    expect(shape.value).toBe("10");
    type(shape, "28, 28");
    press(shape, "Enter");
    expect(model.sent).toEqual([
      { type: "edit", seq: 1, op: "set_field", args: { name: "input-1", field: "shape", value: "28, 28" } },
    ]);
  });

  it("shows text from Python as text, never as HTML", () => {
    const evil = "<img src=x onerror=alert(1)>";
    const state = sampleState();
    state.layers[1].name = evil;
    state.layers[1].kind = "<b>Sigmoid</b>";
    state.errors = [{ layer: evil, parameter: "weight", message: "<script>x()</script>" }];
    const { el, model } = mount({ ...sampleValues(), state });
    const c = card(el, evil);
    expect(c.dataset.layer).toBe(evil);
    expect(c.textContent).toContain(evil);
    expect(c.textContent).toContain("<b>Sigmoid</b>");
    expect(el.querySelector("img[src='x']")).toBeNull();
    expect(el.querySelector("b, script")).toBeNull();
    expect(get(el, "nw-errors").textContent).toBe(`${evil}.weight: <script>x()</script>`);
    model.set("notice", refused({ layer: evil, message: "<i>no</i>" }));
    expect(get(card(el, evil), "nw-card-error").textContent).toBe("<i>no</i>");
    expect(el.querySelector("i")).toBeNull();
    c.click();
    expect(get(el, "nw-details").textContent).toContain(evil);
    expect(el.querySelector("img[src='x']")).toBeNull();
  });

  it("lists the global errors as layer.parameter: message", () => {
    const state = sampleState();
    state.errors = [
      { layer: "sigmoid-2", parameter: "weight", message: "link broken" },
      { layer: "relu-1", parameter: "bias", message: "nan" },
    ];
    const { el } = mount({ ...sampleValues(), state });
    const items = [...get(el, "nw-errors").querySelectorAll("li")].map((li) => li.textContent);
    expect(items).toEqual(["sigmoid-2.weight: link broken", "relu-1.bias: nan"]);
  });

  it("renders an empty or partial state without failing", () => {
    const { el } = mount({ state: {}, notice: {}, depth_chart: new DataView(new ArrayBuffer(0)), busy: "", progress: 0 });
    expect(all(el, "nw-card")).toHaveLength(0);
    expect(get(el, "nw-errors").hidden).toBe(true);
    expect(get(el, "nw-notice").hidden).toBe(true);
  });
});

describe("edits", () => {
  it("offers first a kind that can follow a layer, with the palette's own hint for its value", () => {
    const { el } = mount();
    const kind = /** @type {HTMLSelectElement} */ (get(el, "nw-palette-kind"));
    /** @type {{kind: string, starts_network: boolean, fields: {name: string, expected: string}[]}[]} */
    const kinds = PUBLISHED.sample.state.kinds;
    const first = kinds.find((k) => !k.starts_network);
    expect(kinds[0].starts_network).toBe(true); // Input comes first in the registry
    expect(kind.value).toBe(first?.kind);
    expect(get(el, "nw-palette-value").title).toBe(
      `${first?.fields[0].name} of the new layer (${first?.fields[0].expected}); empty: what fits after the layer before it`);
  });

  it("adds a layer at the end, or after the selected card", () => {
    const { el, model } = mount();
    choose(get(el, "nw-palette-kind"), "Relu");
    type(get(el, "nw-palette-value"), "20");
    get(el, "nw-add").click();
    card(el, "sigmoid-1").click();
    get(el, "nw-add").click();
    type(get(el, "nw-palette-value"), "abc");
    press(get(el, "nw-palette-value"), "Enter");
    type(get(el, "nw-palette-value"), "");
    get(el, "nw-add").click();
    expect(model.sent.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(model.sent[0]).toEqual({ type: "edit", seq: 1, op: "add_layer", args: { kind: "Relu", value: "20" } });
    expect(ops(model).slice(1)).toEqual([ // each after the one before, not in reverse order
      ["add_layer", { kind: "Relu", value: "20", index: 2 }],
      ["add_layer", { kind: "Relu", value: "abc", index: 3 }],
      ["add_layer", { kind: "Relu", index: 4 }],
    ]);
  });

  it("selects the layer it added, so that the next one goes after it, unless a card was chosen meanwhile", () => {
    const { el, model } = mount();
    choose(get(el, "nw-palette-kind"), "Relu");
    get(el, "nw-add").click();
    model.set("state", PUBLISHED.linked.state); // what Python publishes first...
    model.set("notice", { seq: 1, ok: true, op: "add_layer", layer: "twin", parameter: null, message: "" }); // ...then
    expect(card(el, "twin").getAttribute("aria-current")).toBe("true");
    get(el, "nw-add").click();
    expect(ops(model)[1]).toEqual(["add_layer", { kind: "Relu", index: 6 }]);
    get(el, "nw-add").click(); // before the answer to the last one: it goes after that one
    expect(ops(model)[2]).toEqual(["add_layer", { kind: "Relu", index: 7 }]);
    card(el, "tied").click(); // chosen before the answer came
    model.set("notice", { seq: 3, ok: true, op: "add_layer", layer: "twin", parameter: null, message: "" });
    expect(card(el, "tied").getAttribute("aria-current")).toBe("true");
  });

  it("clears the palette's text when its layer is added, keeping what was typed after Add", () => {
    const { el, model } = mount();
    type(get(el, "nw-palette-value"), "7");
    get(el, "nw-add").click();
    model.set("notice", { seq: 1, ok: true, op: "add_layer", layer: "relu-1", parameter: null, message: "" });
    expect(/** @type {HTMLInputElement} */ (get(el, "nw-palette-value")).value).toBe("");
    get(el, "nw-add").click();
    type(get(el, "nw-palette-value"), "10"); // the next layer's, before the answer to the last one came
    model.set("notice", { seq: 2, ok: true, op: "add_layer", layer: "relu-1", parameter: null, message: "" });
    expect(/** @type {HTMLInputElement} */ (get(el, "nw-palette-value")).value).toBe("10");
  });

  it("removes a layer by button and by the Delete key", () => {
    const { el, model } = mount();
    get(card(el, "sigmoid-2"), "nw-remove").click();
    const relu = card(el, "relu-1");
    relu.focus();
    press(relu, "Delete");
    press(card(el, "input-1"), "Delete");
    expect(ops(model)).toEqual([
      ["remove_layer", { name: "sigmoid-2" }],
      ["remove_layer", { name: "relu-1" }],
    ]);
  });

  it("moves a layer with the buttons and with Alt+arrows", () => {
    const { el, model } = mount();
    const s2 = card(el, "sigmoid-2");
    get(s2, "nw-move-up").click();
    get(s2, "nw-move-down").click();
    press(s2, "ArrowUp", { altKey: true });
    press(s2, "ArrowDown", { altKey: true });
    expect(/** @type {HTMLButtonElement} */ (get(card(el, "sigmoid-1"), "nw-move-up")).disabled).toBe(true);
    expect(/** @type {HTMLButtonElement} */ (get(card(el, "relu-1"), "nw-move-down")).disabled).toBe(true);
    expect(get(s2, "nw-move-up").getAttribute("aria-label")).toContain("Move sigmoid-2 up");
    expect(ops(model)).toEqual([
      ["move_layer", { name: "sigmoid-2", index: 1 }],
      ["move_layer", { name: "sigmoid-2", index: 3 }],
      ["move_layer", { name: "sigmoid-2", index: 1 }],
      ["move_layer", { name: "sigmoid-2", index: 3 }],
    ]);
  });

  it("moves a layer by drag and drop", () => {
    const { el, model } = mount();
    const data = { effectAllowed: "", dropEffect: "", setData: vi.fn(), setDragImage: vi.fn() };
    drag(get(card(el, "relu-1"), "nw-drag"), "dragstart", data);
    expect(data.setData).toHaveBeenCalledWith("text/plain", "relu-1");
    const over = drag(card(el, "sigmoid-1"), "dragover", data);
    expect(over.defaultPrevented).toBe(true);
    expect(card(el, "sigmoid-1").classList.contains("nw-drop-target")).toBe(true);
    drag(card(el, "sigmoid-1"), "drop", data);
    drag(get(card(el, "relu-1"), "nw-drag"), "dragend", data);
    // without a dataTransfer (synthetic events), onto the input card
    drag(get(card(el, "sigmoid-1"), "nw-drag"), "dragstart");
    drag(card(el, "sigmoid-2"), "drop");
    drag(get(card(el, "relu-1"), "nw-drag"), "dragstart");
    drag(card(el, "input-1"), "drop");
    // a drop with nothing dragged sends nothing
    drag(card(el, "sigmoid-2"), "drop");
    expect(ops(model)).toEqual([
      ["move_layer", { name: "relu-1", index: 1 }],
      ["move_layer", { name: "sigmoid-1", index: 2 }],
      ["move_layer", { name: "relu-1", index: 1 }],
    ]);
  });

  it("sends units as raw text; after a refusal shows the valid value and the message on that card", () => {
    const { el, model } = mount();
    const units = /** @type {HTMLInputElement} */ (field(card(el, "sigmoid-1"), "n_units"));
    units.focus();
    type(units, "abc");
    press(units, "Enter");
    units.dispatchEvent(new Event("change", { bubbles: true })); // the browser's change after Enter: no second send
    expect(model.sent).toEqual([
      { type: "edit", seq: 1, op: "set_field", args: { name: "sigmoid-1", field: "n_units", value: "abc" } },
    ]);
    model.set("notice", {
      seq: 1,
      ok: false,
      op: "set_field",
      layer: "sigmoid-1",
      parameter: null,
      message: "Sigmoid layer 'sigmoid-1': n_units must be a positive integer, got 'abc'",
    });
    const after = /** @type {HTMLInputElement} */ (field(card(el, "sigmoid-1"), "n_units"));
    expect(after.value).toBe("30");
    expect(document.activeElement).toBe(after);
    const error = get(card(el, "sigmoid-1"), "nw-card-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.classList.contains("nw-card-error")).toBe(true);
    expect(error.textContent).toContain("got 'abc'");
    expect(all(el, "nw-card-error")).toHaveLength(1);
    expect(get(el, "nw-notice").hidden).toBe(true);
    // change event (blur) path
    type(after, "40");
    after.dispatchEvent(new Event("change", { bubbles: true }));
    expect(ops(model)[1]).toEqual(["set_field", { name: "sigmoid-1", field: "n_units", value: "40" }]);
    // an accepted edit clears the message
    model.set("notice", { seq: 2, ok: true, op: "set_field", layer: "sigmoid-1", parameter: null, message: "" });
    expect(all(el, "nw-card-error")).toHaveLength(0);
  });

  it("shows refusals without a layer in the global notice area", () => {
    const { el, model } = mount();
    model.set("notice", refused({ op: "undo", message: "nothing to undo" }));
    const notice = get(el, "nw-notice");
    expect(notice.hidden).toBe(false);
    expect(notice.textContent).toBe("nothing to undo");
    expect(all(el, "nw-card-error")).toHaveLength(0);
  });

  it("uses increasing seq numbers, above the last notice's", () => {
    const model = fakeModel({ notice: { seq: 41, ok: true } });
    expect(nextSeq(model)).toBe(42);
    expect(nextSeq(model)).toBe(43);
    model.data.notice = { seq: 99, ok: true };
    expect(nextSeq(model)).toBe(100);
  });
});

describe("selection and details", () => {
  it("selects a card with click or Space and keeps the selection across updates", () => {
    const { el, model } = mount();
    expect(get(el, "nw-details").hidden).toBe(true);
    card(el, "sigmoid-2").click();
    expect(get(el, "nw-details").hidden).toBe(false);
    expect(card(el, "sigmoid-2").getAttribute("aria-current")).toBe("true");
    const s1 = card(el, "sigmoid-1");
    s1.focus();
    press(s1, " ");
    expect(get(el, "nw-details").getAttribute("aria-label")).toBe("Details of sigmoid-1");
    expect(document.activeElement).toBe(card(el, "sigmoid-1"));
    model.set("state", { ...sampleState(), can_undo: true });
    expect(card(el, "sigmoid-1").getAttribute("aria-current")).toBe("true");
    expect(document.activeElement).toBe(card(el, "sigmoid-1"));
    press(card(el, "sigmoid-1"), "Escape");
    expect(get(el, "nw-details").hidden).toBe(true);
  });

  it("shows label, formula and expected std of each parameter", () => {
    const { el } = mount();
    card(el, "sigmoid-1").click();
    const w = param(el, "weight");
    expect(get(w, "nw-label").textContent).toBe("HeNormal(gain=1.0)");
    expect(get(w, "nw-formula").textContent).toBe("N(0, gain / fan_in)");
    expect(get(w, "nw-std").textContent).toBe("std ≈ 0.3162");
    expect(/** @type {HTMLSelectElement} */ (get(w, "nw-init-select")).value).toBe("HeNormal");
    const fields = all(w, "nw-init-param").map((i) => [i.dataset.name, /** @type {HTMLInputElement} */ (i).value]);
    expect(fields).toEqual([
      ["gain", "1"],
      ["seed", ""],
    ]);
    const b = param(el, "bias");
    expect(get(b, "nw-std").textContent).toBe("std ≈ 0.000"); // Constant(0)
  });

  it("sends set_initializer with numbers, null seed and raw text", () => {
    const { el, model } = mount();
    card(el, "sigmoid-1").click();
    choose(get(param(el, "weight"), "nw-init-select"), "Normal");
    const w = param(el, "weight");
    const field = (/** @type {string} */ n) => /** @type {HTMLElement} */ (all(w, "nw-init-param").find((i) => i.dataset.name === n));
    expect(/** @type {HTMLInputElement} */ (field("std")).value).toBe("0.01");
    type(field("mean"), "0.5");
    type(field("std"), "abc");
    get(w, "nw-init-apply").click();
    expect(ops(model)).toEqual([
      [
        "set_initializer",
        {
          name: "sigmoid-1",
          parameter: "weight",
          initializer: { name: "Normal", params: { mean: 0.5, std: "abc", seed: null } },
        },
      ],
    ]);
    // Enter in a field applies too
    const gain = /** @type {HTMLElement} */ (all(param(el, "bias"), "nw-init-param")[0]);
    type(gain, "3");
    press(gain, "Enter");
    expect(ops(model)[1]).toEqual([
      "set_initializer",
      { name: "sigmoid-1", parameter: "bias", initializer: { name: "Constant", params: { value: 3 } } },
    ]);
  });

  it("keeps typed but unsent values across an update", () => {
    const { el, model } = mount();
    card(el, "sigmoid-1").click();
    choose(get(param(el, "weight"), "nw-init-select"), "Normal");
    type(/** @type {HTMLElement} */ (all(param(el, "weight"), "nw-init-param")[1]), "0.2");
    type(field(card(el, "relu-1"), "n_units"), "77");
    model.set("state", { ...sampleState(), can_redo: true });
    expect(/** @type {HTMLSelectElement} */ (get(param(el, "weight"), "nw-init-select")).value).toBe("Normal");
    expect(/** @type {HTMLInputElement} */ (all(param(el, "weight"), "nw-init-param")[1]).value).toBe("0.2");
    expect(/** @type {HTMLInputElement} */ (field(card(el, "relu-1"), "n_units")).value).toBe("77");
  });

  it("offers custom initializers from the state", () => {
    const { el, model } = mount();
    card(el, "sigmoid-1").click();
    const select = /** @type {HTMLSelectElement} */ (get(param(el, "weight"), "nw-init-select"));
    const values = [...select.options].map((o) => o.value);
    expect(values).toContain("MyInit");
    expect(values[values.length - 1]).toBe("__custom__");
    choose(select, "MyInit");
    get(param(el, "weight"), "nw-init-apply").click();
    expect(ops(model)[0][1]).toEqual({ name: "sigmoid-1", parameter: "weight", initializer: { name: "MyInit", params: {} } });
  });

  it("edits custom code in a CodeMirror editor and applies it", () => {
    const { el, model } = mount();
    card(el, "sigmoid-1").click();
    choose(get(param(el, "weight"), "nw-init-select"), "__custom__");
    const host = get(param(el, "weight"), "nw-code-editor");
    expect(host.querySelector(".cm-editor")).not.toBeNull();
    expect(host.textContent).toContain("class MyInit(init.Initializer):");
    expect(host.textContent).toContain("tf.random.normal(shape, stddev=0.05)");
    get(param(el, "weight"), "nw-code-apply").click();
    expect(model.sent[0].op).toBe("set_initializer");
    expect(model.sent[0].args).toEqual({
      name: "sigmoid-1",
      parameter: "weight",
      code: "class MyInit(init.Initializer):\n    def sample(self, shape):\n        return tf.random.normal(shape, stddev=0.05)\n",
    });
    // Python refuses with a syntax error: the editor stays, with the message under it
    const state = sampleState();
    state.layers[1].parameters[0].error = "SyntaxError: invalid syntax (line 3)";
    const editorDom = host.querySelector(".cm-editor");
    model.set("state", state);
    const w = param(el, "weight");
    expect(get(w, "nw-param-error").textContent).toBe("SyntaxError: invalid syntax (line 3)");
    expect(get(w, "nw-code-editor").querySelector(".cm-editor")).toBe(editorDom); // same instance
  });

  it("prefills the editor with the parameter's code", () => {
    const state = sampleState();
    state.layers[2].parameters[0] = {
      ...state.layers[2].parameters[0],
      code: "class Mine(init.Initializer):\n    pass\n",
      label: "Mine()",
    };
    const { el } = mount({ ...sampleValues(), state });
    card(el, "sigmoid-2").click();
    const w = param(el, "weight");
    expect(/** @type {HTMLSelectElement} */ (get(w, "nw-init-select")).value).toBe("__custom__");
    expect(get(w, "nw-code-editor").textContent).toContain("class Mine(init.Initializer):");
    expect(w.querySelector('[data-testid="nw-trust"]')).toBeNull();
  });

  it("shows untrusted code read-only with a Trust and run button", () => {
    const state = sampleState();
    state.layers[2].parameters[0] = {
      ...state.layers[2].parameters[0],
      code: "import os\nos.system('x')\n",
      trusted: false,
    };
    const { el, model } = mount({ ...sampleValues(), state });
    card(el, "sigmoid-2").click();
    const w = param(el, "weight");
    expect(get(w, "nw-untrusted").textContent).toBe("untrusted custom initializer");
    const content = get(w, "nw-code-editor").querySelector(".cm-content");
    expect(content?.getAttribute("aria-readonly")).toBe("true");
    expect(get(w, "nw-code-editor").textContent).toContain("os.system('x')");
    expect(w.querySelector('[data-testid="nw-code-apply"]')).toBeNull();
    get(w, "nw-trust").click();
    expect(model.sent).toEqual([{ type: "edit", seq: 1, op: "trust", args: {} }]);
  });

  it("links a weight transposed and shows it", () => {
    const { el, model } = mount();
    card(el, "sigmoid-2").click();
    expect(param(el, "bias").querySelector('[data-testid="nw-link-transpose"]')).toBeNull(); // weights only
    choose(/** @type {HTMLSelectElement} */ (get(param(el, "weight"), "nw-link-select")), "sigmoid-1");
    const transpose = /** @type {HTMLInputElement} */ (get(param(el, "weight"), "nw-link-transpose"));
    transpose.checked = true;
    transpose.dispatchEvent(new Event("change"));
    model.set("notice", { seq: 0, ok: true, op: "x", layer: null, parameter: null, message: "" }); // a re-render
    expect(/** @type {HTMLInputElement} */ (get(param(el, "weight"), "nw-link-transpose")).checked).toBe(true);
    get(param(el, "weight"), "nw-link-apply").click();
    expect(ops(model)).toEqual([["link", { name: "sigmoid-2", parameter: "weight", to_name: "sigmoid-1", transpose: true }]]);
    const state = sampleState();
    Object.assign(state.layers[2].parameters[0], { link: "sigmoid-1", transpose: true });
    model.set("state", state);
    expect(get(card(el, "sigmoid-2"), "nw-link").textContent).toBe("weight: uses sigmoid-1's (transposed)");
  });

  it("links, shows links (and ones that do not fit) and unlinks", () => {
    const { el, model } = mount();
    card(el, "sigmoid-2").click();
    const w = param(el, "weight");
    const select = /** @type {HTMLSelectElement} */ (get(w, "nw-link-select"));
    expect([...select.options].map((o) => o.value)).toEqual(["", "sigmoid-1", "relu-1"]);
    expect(/** @type {HTMLButtonElement} */ (get(w, "nw-link-apply")).disabled).toBe(true);
    choose(select, "sigmoid-1");
    get(param(el, "weight"), "nw-link-apply").click();
    expect(ops(model)).toEqual([["link", { name: "sigmoid-2", parameter: "weight", to_name: "sigmoid-1" }]]);

    const state = sampleState();
    state.layers[2].parameters[0].link = "sigmoid-1";
    state.layers[1].parameters[0].shared_with = ["sigmoid-2"];
    model.set("state", state);
    const shown = get(card(el, "sigmoid-2"), "nw-link");
    expect(shown.textContent).toBe("weight: uses sigmoid-1's");
    expect(shown.classList.contains("nw-link")).toBe(true);
    expect(shown.classList.contains("nw-link-unfit")).toBe(false);
    expect(get(card(el, "sigmoid-1"), "nw-shared").textContent).toBe("weight shared with sigmoid-2");
    get(param(el, "weight"), "nw-unlink").click();
    expect(ops(model)[1]).toEqual(["unlink", { name: "sigmoid-2", parameter: "weight" }]);

    // a link that does not fit says so in Python's words, never "broken"
    model.set("state", PUBLISHED["broken link"].state);
    const why = PUBLISHED["broken link"].state.errors[0].message;
    const b = get(card(el, "tied"), "nw-link");
    expect(b.textContent).toBe(`bias: ${why}`);
    expect(why).toContain("does not fit");
    expect(b.classList.contains("nw-link-unfit")).toBe(true);
    card(el, "tied").click();
    expect(get(param(el, "bias"), "nw-link-detail").textContent).toBe(why);
    expect(get(el, "nw-builder").textContent).not.toMatch(/broken/i);
  });

  it("says each link once: the user names the owner, the owner the users", () => {
    const { el } = mount({ ...sampleValues(), state: PUBLISHED.linked.state });
    const texts = (/** @type {string} */ name) =>
      [...card(el, name).querySelectorAll(".nw-links > *")].map((e) => e.textContent);
    expect(texts("tied")).toEqual(["weight: uses relu-1's (transposed)", "bias shared with twin"]);
    expect(texts("relu-1")).toEqual(["weight shared with tied"]);
    expect(texts("twin")).toEqual(["bias: uses tied's"]);
    expect(get(el, "nw-builder").textContent).not.toContain("⇄");
    card(el, "tied").click();
    const weight = param(el, "weight");
    expect(get(weight, "nw-linked-init").textContent).toBe("uses the weight of relu-1 (transposed)");
    expect(weight.querySelector(".nw-shared, [data-testid='nw-link-detail']")).toBeNull(); // said above once
    expect(get(param(el, "bias"), "nw-link-row").textContent).toContain("shared with twin");
  });
});

describe("history", () => {
  it("disables undo/redo per the state and sends undo/redo", () => {
    const { el, model } = mount();
    const undo = /** @type {HTMLButtonElement} */ (get(el, "nw-undo"));
    expect(undo.disabled).toBe(true);
    expect(/** @type {HTMLButtonElement} */ (get(el, "nw-redo")).disabled).toBe(true);
    press(get(el, "nw-builder"), "z", { ctrlKey: true });
    expect(model.sent).toEqual([]);
    model.set("state", { ...sampleState(), can_undo: true, can_redo: true });
    expect(/** @type {HTMLButtonElement} */ (get(el, "nw-undo")).disabled).toBe(false);
    get(el, "nw-undo").click();
    get(el, "nw-redo").click();
    expect(ops(model)).toEqual([
      ["undo", {}],
      ["redo", {}],
    ]);
  });

  it("maps Ctrl+Z, Ctrl+Shift+Z and Ctrl+Y, except while typing", () => {
    const { el, model } = mount({ ...sampleValues(), state: { ...sampleState(), can_undo: true, can_redo: true } });
    const c = card(el, "sigmoid-1");
    const e = press(c, "z", { ctrlKey: true });
    expect(e.defaultPrevented).toBe(true);
    press(c, "Z", { ctrlKey: true, shiftKey: true });
    press(get(el, "nw-builder"), "y", { ctrlKey: true });
    press(field(card(el, "sigmoid-1"), "n_units"), "z", { ctrlKey: true });
    expect(ops(model).map(([op]) => op)).toEqual(["undo", "redo", "redo"]);
  });
});

describe("panels and progress", () => {
  it("asks for its panels, shows them from binary messages, updated in place, and the depth chart from bytes", () => {
    const { el, model } = mount();
    expect(model.requests).toEqual([{ type: "request_panels" }]);
    /** @param {string} text */
    const bytes = (text) => new DataView(new TextEncoder().encode(text).buffer);
    model.receive({ type: "panels", full: true, removed: [], panels: { "sigmoid-1/weight": 0 } }, [bytes("PNG-A")]);
    const thumb = all(card(el, "sigmoid-1"), "nw-thumb").find((t) => t.dataset.panel === "sigmoid-1/weight");
    expect(thumb?.getAttribute("src")).toBe(`data:image/png;base64,${btoa("PNG-A")}`);
    expect(thumb?.hidden).toBe(false);
    expect(all(card(el, "sigmoid-1"), "nw-thumb")[1].hidden).toBe(true);
    card(el, "sigmoid-1").click();
    const panel = get(param(el, "weight"), "nw-panel");
    expect(panel.getAttribute("src")).toBe(`data:image/png;base64,${btoa("PNG-A")}`);
    expect(get(el, "nw-depth-chart").closest("figure")?.hidden).toBe(true);
    // only the changes: one picture for two keys (identical zero biases share a buffer)
    model.receive({ type: "panels", full: false, removed: [],
                    panels: { "sigmoid-1/bias": 0, "sigmoid-2/bias": 0 } }, [bytes("PNG-B")]);
    expect(get(param(el, "weight"), "nw-panel")).toBe(panel);
    expect(panel.getAttribute("src")).toBe(`data:image/png;base64,${btoa("PNG-A")}`);
    expect(get(param(el, "bias"), "nw-panel").getAttribute("src")).toBe(`data:image/png;base64,${btoa("PNG-B")}`);
    model.receive({ type: "panels", full: false, removed: ["sigmoid-1/weight"], panels: {} }, []);
    expect(panel.hidden).toBe(true);
    model.set("depth_chart", bytes("PNG-D"));
    expect(get(el, "nw-depth-chart").getAttribute("src")).toBe(`data:image/png;base64,${btoa("PNG-D")}`);
    expect(get(el, "nw-depth-chart").closest("figure")?.hidden).toBe(false);
  });

  it("shows a progress bar with the busy text while busy", () => {
    const { el, model } = mount();
    const box = get(el, "nw-progress");
    expect(box.hidden).toBe(true);
    model.set("busy", "sampling sigmoid-1/weight");
    model.set("progress", 0.5);
    expect(box.hidden).toBe(false);
    expect(box.textContent).toContain("sampling sigmoid-1/weight");
    expect(/** @type {HTMLProgressElement} */ (box.querySelector("progress")).value).toBe(0.5);
    model.set("busy", "");
    expect(box.hidden).toBe(true);
  });
});

describe("accessibility and lifecycle", () => {
  it("labels every control", () => {
    const { el } = mount();
    card(el, "sigmoid-1").click();
    choose(get(param(el, "weight"), "nw-init-select"), "__custom__");
    const controls = el.querySelectorAll("button, input, select, [contenteditable]");
    expect(controls.length).toBeGreaterThan(20);
    for (const c of controls) expect(c.getAttribute("aria-label"), c.outerHTML).toBeTruthy();
  });

  it("moves focus to a neighbour when the focused card is removed", () => {
    const { el, model } = mount();
    const s2 = card(el, "sigmoid-2");
    s2.focus();
    press(s2, "Delete");
    const state = sampleState();
    state.layers.splice(2, 1);
    model.set("state", state);
    expect(document.activeElement).toBe(card(el, "relu-1"));
  });

  it("shows its own errors instead of throwing into Jupyter", () => {
    const { el, model } = mount();
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    model.set("state", {
      get layers() {
        throw new Error("boom");
      },
    });
    expect(get(el, "nw-notice").hidden).toBe(false);
    expect(get(el, "nw-notice").textContent).toContain("Display error in the builder");
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
    model.set("state", sampleState());
    expect(all(el, "nw-card")).toHaveLength(4);
  });

  it("cleans up listeners and DOM", () => {
    const { el, model, cleanup } = mount();
    expect(model.listenerCount()).toBe(10); // state, notice, panels, 4 charts, training, busy, progress
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.childElementCount).toBe(0);
  });
});

describe("in JupyterLab (UX test fixes)", () => {
  it("keeps its keys from JupyterLab's notebook shortcuts", () => {
    const { el } = mount();
    document.body.append(el);
    /** @type {string[]} */
    const seen = [];
    const outside = (/** @type {KeyboardEvent} */ e) => seen.push(e.key);
    document.addEventListener("keydown", outside);
    try {
      const select = get(el, "nw-palette-kind");
      for (const key of ["x", "d", "ArrowDown", "Enter", "Tab"]) {
        select.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
      }
      expect(seen).toEqual(["Tab"]); // only Tab leaves the widget
    } finally {
      document.removeEventListener("keydown", outside);
      el.remove();
    }
  });

  it("gives the root a visible focus outline in theme colours", async () => {
    // vitest blanks imported CSS: read the file (node:fs, untyped here: no @types/node)
    const fsName = "node:fs";
    const fs = await import(/* @vite-ignore */ fsName);
    const css = String(fs.readFileSync("js/builder.css", "utf8")); // npm test runs in the repository root
    const rule = css.match(/\.nw-builder:focus-visible\s*\{([^}]*)\}/);
    expect(rule?.[1]).toMatch(/outline:\s*2px solid var\(--jp-/);
  });

  it("after Link, focus goes to the same parameter's link select; after Unlink too", () => {
    const { el, model } = mount();
    card(el, "sigmoid-2").click();
    choose(get(param(el, "weight"), "nw-link-select"), "sigmoid-1");
    const link = get(param(el, "weight"), "nw-link-apply");
    link.focus();
    link.click();
    const state = sampleState();
    state.layers[2].parameters[0].link = "sigmoid-1";
    model.set("state", state);
    expect(document.activeElement).toBe(get(param(el, "weight"), "nw-link-select"));
    const unlink = get(param(el, "weight"), "nw-unlink");
    unlink.focus();
    press(unlink, "Enter"); // a button's Enter clicks it in a browser
    unlink.click();
    model.set("state", sampleState());
    expect(document.activeElement).toBe(get(param(el, "weight"), "nw-link-select"));
    expect(ops(model).map(([op]) => op)).toEqual(["link", "unlink"]);
  });

  it("after an undo swaps the code editor for the fields (or back), focus goes to the initializer select", () => {
    const withCode = sampleState();
    withCode.layers[1].parameters[0].code = "class Mine(init.Initializer):\n    pass\n";
    const { el, model } = mount({ ...sampleValues(), state: withCode });
    card(el, "sigmoid-1").click();
    const apply = get(param(el, "weight"), "nw-code-apply");
    apply.focus();
    model.set("state", { ...sampleState(), can_redo: true }); // undo: no code any more
    expect(param(el, "weight").querySelector('[data-testid="nw-code-editor"]')).toBeNull();
    expect(document.activeElement).toBe(get(param(el, "weight"), "nw-init-select"));
    const field = all(param(el, "weight"), "nw-init-param")[0];
    field.focus();
    model.set("state", withCode); // redo: the editor again
    expect(document.activeElement).toBe(get(param(el, "weight"), "nw-init-select"));
    expect(document.activeElement).not.toBe(get(el, "nw-builder"));
  });

  it("Enter on a card moves focus into the details; Escape there returns to the card", () => {
    const { el } = mount();
    const s1 = card(el, "sigmoid-1");
    s1.focus();
    press(s1, "Enter");
    const first = field(get(el, "nw-settings"), "n_units"); // the details open on the layer's settings
    expect(document.activeElement).toBe(first);
    const e = press(first, "Escape");
    expect(e.defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(card(el, "sigmoid-1"));
    expect(get(el, "nw-details").hidden).toBe(false); // still selected
    // from an initializer field too
    const initField = all(param(el, "bias"), "nw-init-param")[0];
    initField.focus();
    press(initField, "Escape");
    expect(document.activeElement).toBe(card(el, "sigmoid-1"));
    // the input layer has no parameters: the focus goes to its shape
    const input = card(el, "input-1");
    input.focus();
    press(input, "Enter");
    expect(document.activeElement).toBe(field(get(el, "nw-settings"), "shape"));
  });

  it("Escape inside the code editor stays in the editor", () => {
    const { el } = mount();
    card(el, "sigmoid-1").click();
    choose(get(param(el, "weight"), "nw-init-select"), "__custom__");
    const content = /** @type {HTMLElement} */ (get(param(el, "weight"), "nw-code-editor").querySelector(".cm-content"));
    content.focus();
    press(content, "Escape");
    expect(document.activeElement).not.toBe(card(el, "sigmoid-1"));
  });

  it("keeps the link choice and the transposed box after a refused link, until a link is made", () => {
    const { el, model } = mount();
    card(el, "sigmoid-2").click();
    choose(get(param(el, "weight"), "nw-link-select"), "relu-1");
    const box = /** @type {HTMLInputElement} */ (get(param(el, "weight"), "nw-link-transpose"));
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    get(param(el, "weight"), "nw-link-apply").click();
    model.set("notice", {
      seq: 1,
      ok: false,
      op: "link",
      layer: "sigmoid-2",
      parameter: "weight",
      message: "shapes differ",
    });
    const w = param(el, "weight");
    expect(/** @type {HTMLSelectElement} */ (get(w, "nw-link-select")).value).toBe("relu-1");
    expect(/** @type {HTMLInputElement} */ (get(w, "nw-link-transpose")).checked).toBe(true);
    expect(/** @type {HTMLButtonElement} */ (get(w, "nw-link-apply")).disabled).toBe(false);
    expect(get(w, "nw-param-notice").textContent).toBe("shapes differ");
    // the person fixes the choice and links again: made, so the choice is cleared
    choose(get(w, "nw-link-select"), "sigmoid-1");
    get(param(el, "weight"), "nw-link-apply").click();
    expect(ops(model)[1]).toEqual(["link", { name: "sigmoid-2", parameter: "weight", to_name: "sigmoid-1", transpose: true }]);
    const state = sampleState();
    Object.assign(state.layers[2].parameters[0], { link: "sigmoid-1", transpose: true });
    model.set("state", state);
    expect(/** @type {HTMLSelectElement} */ (get(param(el, "weight"), "nw-link-select")).value).toBe("");
    expect(/** @type {HTMLInputElement} */ (get(param(el, "weight"), "nw-link-transpose")).checked).toBe(false);
    // an ok notice for the link clears the choice as well
    choose(get(param(el, "bias"), "nw-link-select"), "relu-1");
    get(param(el, "bias"), "nw-link-apply").click();
    model.set("notice", { seq: 3, ok: true, op: "link", layer: "sigmoid-2", parameter: "bias", message: "" });
    expect(/** @type {HTMLSelectElement} */ (get(param(el, "bias"), "nw-link-select")).value).toBe("");
  });

  it("shows the parameters a card shares from another layer", () => {
    const state = sampleState();
    state.layers[2].n_parameters = 20;
    state.layers[2].n_shared = 50176;
    const { el } = mount({ ...sampleValues(), state });
    const c = card(el, "sigmoid-2");
    expect(get(c, "nw-count").textContent).toBe("20 params");
    const shared = get(c, "nw-shared-count");
    expect(shared.textContent).toBe("+ 50,176 shared");
    expect(shared.classList.contains("nw-muted")).toBe(true);
    expect(card(el, "sigmoid-1").querySelector('[data-testid="nw-shared-count"]')).toBeNull();
  });

  it("marks custom code that is not applied", () => {
    const { el, model } = mount();
    card(el, "sigmoid-1").click();
    choose(get(param(el, "weight"), "nw-init-select"), "__custom__");
    const marker = () => get(param(el, "weight"), "nw-not-applied");
    expect(marker().hidden).toBe(false); // the template, not applied yet
    expect(marker().textContent).toBe("not applied");
    get(param(el, "weight"), "nw-code-apply").click();
    const code = model.sent[0].args.code;
    const applied = sampleState();
    applied.layers[1].parameters[0].code = code;
    model.set("state", applied);
    expect(marker().hidden).toBe(true);
    // typing makes it differ again
    const dom = /** @type {HTMLElement} */ (get(param(el, "weight"), "nw-code-editor").querySelector(".cm-editor"));
    const view = /** @type {EditorView} */ (EditorView.findFromDOM(dom));
    view.dispatch({ changes: { from: 0, insert: "# broken\n" } });
    expect(marker().hidden).toBe(false);
    // refused: Python keeps the old code, the editor keeps the broken text, marked not applied
    get(param(el, "weight"), "nw-code-apply").click();
    const refusedState = sampleState();
    Object.assign(refusedState.layers[1].parameters[0], { code, error: "SyntaxError (line 1)" });
    model.set("state", refusedState);
    expect(get(param(el, "weight"), "nw-code-editor").textContent).toContain("# broken");
    expect(marker().hidden).toBe(false);
  });

  it("shows a linked parameter's initializer as the linked layer's, without a chooser", () => {
    const state = sampleState();
    state.layers[2].parameters[0].link = "sigmoid-1";
    const { el, model } = mount({ ...sampleValues(), state });
    card(el, "sigmoid-2").click();
    const w = param(el, "weight");
    expect(get(w, "nw-linked-init").textContent).toBe("uses the weight of sigmoid-1");
    expect(w.querySelector('[data-testid="nw-init-select"]')).toBeNull();
    expect(w.querySelector('[data-testid="nw-init-apply"]')).toBeNull();
    expect(w.querySelector('[data-testid="nw-unlink"]')).not.toBeNull();
    expect(w.querySelector('[data-testid="nw-link-select"]')).not.toBeNull();
    expect(param(el, "bias").querySelector('[data-testid="nw-init-select"]')).not.toBeNull();
    // Enter on the card lands on the first control there is
    const c = card(el, "sigmoid-2");
    c.focus();
    press(c, "Enter");
    expect(document.activeElement).toBe(field(get(el, "nw-settings"), "n_units"));
    // a broken link: the chooser is back
    const broken = sampleState();
    Object.assign(broken.layers[2].parameters[0], { link: "sigmoid-1", link_error: "shapes differ" });
    model.set("state", broken);
    expect(param(el, "weight").querySelector('[data-testid="nw-linked-init"]')).toBeNull();
    expect(param(el, "weight").querySelector('[data-testid="nw-init-select"]')).not.toBeNull();
  });

  it("shows an input shape refusal on the input card", () => {
    const { el, model } = mount();
    model.set("notice", refused({ op: "set_input_shape", layer: "input-1", message: "bad shape 'x'" }));
    expect(get(card(el, "input-1"), "nw-card-error").textContent).toBe("bad shape 'x'");
    expect(get(el, "nw-notice").hidden).toBe(true);
  });

  it("gives the focus back to a removed card when an undo restores it", () => {
    const { el, model } = mount();
    const s2 = card(el, "sigmoid-2");
    s2.focus();
    press(s2, "Delete");
    const removed = sampleState();
    removed.layers.splice(2, 1);
    model.set("state", { ...removed, can_undo: true });
    expect(document.activeElement).toBe(card(el, "relu-1"));
    press(card(el, "relu-1"), "z", { ctrlKey: true });
    expect(ops(model).map(([op]) => op)).toEqual(["remove_layer", "undo"]);
    model.set("state", { ...sampleState(), can_redo: true });
    expect(document.activeElement).toBe(card(el, "sigmoid-2"));
    // once only: later updates leave the focus where it is
    card(el, "relu-1").focus();
    model.set("state", sampleState());
    expect(document.activeElement).toBe(card(el, "relu-1"));
  });

  it("leaves the focus alone when a removal is refused", () => {
    const { el, model } = mount();
    const s2 = card(el, "sigmoid-2");
    s2.focus();
    press(s2, "Delete");
    model.set("notice", refused({ op: "remove_layer", layer: "sigmoid-2", message: "no" }));
    card(el, "relu-1").focus();
    model.set("state", sampleState());
    expect(document.activeElement).toBe(card(el, "relu-1"));
  });
});

describe("the classroom loop", () => {
  const CLASSROOM = "slider drag with a pin and a held range";
  const DIGITS = "digits after LSUV with the theory shown";

  /** @param {string} name */
  const values = (name) => ({ ...sampleValues(), state: publishedState(name) });

  /**
   * The slider of initializer parameter `name` in the details of the selected layer's `parameter`.
   * @param {ParentNode} el
   * @param {string} parameter
   * @param {string} name
   */
  const slider = (el, parameter, name) => {
    const found = [...param(el, parameter).querySelectorAll('[data-testid="nw-init-slider"]')].find((s) =>
      s.getAttribute("data-key")?.endsWith(`:${name}`),
    );
    if (!(found instanceof HTMLInputElement)) throw new Error(`no slider ${name}`);
    return found;
  };

  /**
   * @param {HTMLInputElement} s
   * @param {number} position
   */
  const slide = (s, position) => {
    s.value = String(position);
    s.dispatchEvent(new Event("input", { bubbles: true }));
  };

  /** @param {number} seq */
  const answer = (seq) => ({ seq, ok: true, op: "set_initializer", layer: "sigmoid-1", parameter: "weight", message: "" });

  it("labels every control of the toolbar, the sliders, the pins and the Train panel", () => {
    for (const name of [CLASSROOM, DIGITS]) {
      const { el } = mount(values(name));
      all(el, "nw-card")[1].click();
      const controls = el.querySelectorAll("button, input, select");
      expect(el.querySelectorAll('[data-testid="nw-init-slider"], [data-testid="nw-recipe"]').length).toBeGreaterThan(6);
      for (const c of controls) expect(c.getAttribute("aria-label"), c.outerHTML).toBeTruthy();
    }
  });

  it("shows each parameter's measured std as text on its card and in the details", () => {
    const { el } = mount();
    const st = sampleState();
    const s1 = card(el, "sigmoid-1");
    expect(all(s1, "nw-measured").map((e) => e.textContent)).toEqual([
      `weight std ${st.layers[1].parameters[0].measured_std}`,
      "bias std 0",
    ]);
    s1.click();
    expect(get(param(el, "weight"), "nw-param-measured").textContent).toBe(
      `measured ${st.layers[1].parameters[0].measured_std}`,
    );
  });

  it("offers a slider for each numeric parameter with a range, logarithmic where the range says", () => {
    const { el } = mount(values(CLASSROOM));
    card(el, "sigmoid-1").click();
    const std = slider(el, "weight", "std");
    expect([std.min, std.max, std.step]).toEqual(["-4", "1", "0.01"]);
    expect(Number(std.value)).toBeCloseTo(Math.log10(0.5), 2);
    expect(std.getAttribute("aria-label")).toBe("std of Normal for sigmoid-1 weight (logarithmic slider)");
    expect(slider(el, "weight", "mean").getAttribute("aria-label")).toBe("mean of Normal for sigmoid-1 weight (slider)");
    expect(param(el, "weight").querySelectorAll('[data-testid="nw-init-slider"]')).toHaveLength(2); // no seed slider
  });

  it("sends previews while dragging only after each notice, the newest value, then the final value on release", () => {
    const { el, model } = mount(values(CLASSROOM));
    card(el, "sigmoid-1").click();
    choose(get(param(el, "weight"), "nw-init-scope"), "kind");
    const std = slider(el, "weight", "std");
    const text = /** @type {HTMLInputElement} */ (param(el, "weight").querySelector('[data-name="std"]'));
    std.dispatchEvent(new Event("pointerdown", { bubbles: true }));
    slide(std, -1);
    slide(std, -0.5);
    slide(std, -0.3);
    expect(text.value).toBe("0.501"); // the field follows the slider
    const edit = (/** @type {number} */ value, /** @type {boolean} */ preview) => [
      "set_initializer",
      { name: "sigmoid-1", parameter: "weight", scope: "kind", preview,
        initializer: { name: "Normal", params: { mean: 0, std: value, seed: null } } },
    ];
    expect(ops(model)).toEqual([edit(0.1, true)]);
    // Python publishes the preview's state, then its notice: the details stay (the drag goes on)
    const previewed = publishedState(CLASSROOM);
    previewed.layers[1].parameters[0].label = "Normal(0, 0.1)";
    model.set("state", previewed);
    expect(slider(el, "weight", "std")).toBe(std);
    expect(get(param(el, "weight"), "nw-label").textContent).toBe("Normal(0, 0.1)"); // the head follows
    expect(ops(model)).toHaveLength(1);
    model.set("notice", answer(1));
    expect(ops(model)).toEqual([edit(0.1, true), edit(0.501, true)]);
    slide(std, -0.2);
    std.dispatchEvent(new Event("change", { bubbles: true })); // let go
    expect(ops(model)).toEqual([edit(0.1, true), edit(0.501, true), edit(0.631, false)]);
    // the state of the last preview comes after the release: the field keeps the final value
    previewed.layers[1].parameters[0].initializer = { name: "Normal", params: { mean: 0, std: 0.501, seed: null } };
    model.set("state", previewed);
    model.set("notice", answer(2)); // the last preview's notice: nothing more goes
    expect(ops(model)).toHaveLength(3);
    const field = () => /** @type {HTMLInputElement} */ (param(el, "weight").querySelector('[data-name="std"]'));
    expect(field().value).toBe("0.631");
    expect(slider(el, "weight", "std")).not.toBe(std); // rebuilt once the drag is over
    const released = publishedState(CLASSROOM);
    released.layers[1].parameters[0].initializer = { name: "Normal", params: { mean: 0, std: 0.631, seed: null } };
    model.set("state", released);
    model.set("notice", answer(3));
    expect(field().value).toBe("0.631");
    expect(Number(slider(el, "weight", "std").value)).toBeCloseTo(-0.2, 3);
  });

  it("settles a drag that ends where it started (no change event) with the final value", async () => {
    const { el, model } = mount(values(CLASSROOM));
    card(el, "sigmoid-1").click();
    const std = slider(el, "weight", "std");
    std.dispatchEvent(new Event("pointerdown", { bubbles: true }));
    slide(std, -1);
    slide(std, Number(Math.log10(0.5).toFixed(2)));
    document.dispatchEvent(new Event("pointerup"));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(model.sent.map((m) => [m.args.initializer.params.std, m.args.preview])).toEqual([[0.1, true], [0.501, false]]);
  });

  it("sends one final edit per key that moves a slider", () => {
    const { el, model } = mount(values(CLASSROOM));
    card(el, "sigmoid-1").click();
    const mean = slider(el, "weight", "mean");
    slide(mean, 0.25);
    mean.dispatchEvent(new Event("change", { bubbles: true }));
    expect(ops(model)).toEqual([
      ["set_initializer", { name: "sigmoid-1", parameter: "weight", preview: false,
                            initializer: { name: "Normal", params: { mean: 0.25, std: 0.5, seed: null } } }],
    ]);
  });

  it("applies an initializer to this layer, every layer of its kind or every layer", () => {
    const { el, model } = mount();
    card(el, "sigmoid-1").click();
    const scope = /** @type {HTMLSelectElement} */ (get(param(el, "weight"), "nw-init-scope"));
    expect([...scope.options].map((o) => [o.value, o.textContent])).toEqual([
      ["layer", "this layer"], ["kind", "every Sigmoid layer"], ["all", "every layer"],
    ]);
    for (const value of ["kind", "all", "layer"]) {
      choose(get(param(el, "weight"), "nw-init-scope"), value);
      get(param(el, "weight"), "nw-init-apply").click();
    }
    expect(model.sent.map((m) => m.args.scope)).toEqual(["kind", "all", undefined]);
    expect(model.sent[0].args.initializer).toEqual({ name: "HeNormal", params: { gain: 1, seed: null } });
  });

  it("applies a recipe to every layer, runs LSUV and resamples from the toolbar, showing the seed", () => {
    const { el, model } = mount();
    const recipes = all(el, "nw-recipe");
    expect(recipes.map((b) => b.textContent)).toEqual(["std 0.01", "N(0, 1)", "Xavier", "He", "LeCun", "Orthogonal"]);
    expect(recipes[2].getAttribute("aria-label")).toBe("Initialize every layer's weights with Xavier: XavierNormal(gain=2)");
    recipes[2].click();
    get(el, "nw-lsuv").click();
    expect(get(el, "nw-seed").textContent).toBe("1");
    get(el, "nw-resample").click();
    expect(ops(model)).toEqual([["apply_recipe", { label: "Xavier" }], ["lsuv", {}], ["resample", {}]]);
  });

  it("pins with or without a label, lists the pins and unpins one", () => {
    const { el, model } = mount(values(CLASSROOM));
    expect(all(el, "nw-pin-chip").map((c) => c.textContent)).toEqual(["std 0.01✕"]);
    get(el, "nw-pin").click();
    type(get(el, "nw-pin-label"), "mine");
    model.set("notice", answer(1)); // a re-render keeps the typed label
    expect(/** @type {HTMLInputElement} */ (get(el, "nw-pin-label")).value).toBe("mine");
    press(get(el, "nw-pin-label"), "Enter");
    expect(/** @type {HTMLInputElement} */ (get(el, "nw-pin-label")).value).toBe("mine"); // until Python answers
    get(el, "nw-unpin").click();
    expect(get(el, "nw-unpin").getAttribute("aria-label")).toBe("Unpin std 0.01");
    expect(ops(model)).toEqual([["pin", {}], ["pin", { label: "mine" }], ["unpin", { label: "std 0.01" }]]);
  });

  it("holds the depth chart's range, shows the theory and switches the inputs as the state says", () => {
    const { el, model } = mount(values(CLASSROOM));
    const hold = /** @type {HTMLInputElement} */ (get(el, "nw-hold-range"));
    expect(hold.checked).toBe(true); // y_range is held
    hold.click();
    const theory = /** @type {HTMLInputElement} */ (get(el, "nw-theory"));
    expect(theory.checked).toBe(false);
    theory.click();
    const inputs = /** @type {HTMLSelectElement} */ (get(el, "nw-inputs"));
    expect(inputs.disabled).toBe(true); // 10 inputs: Gaussian only
    expect([...inputs.options].map((o) => o.textContent)).toEqual(["Gaussian"]);
    expect(ops(model)).toEqual([["hold_range", { hold: false }], ["show_theory", { show: true }]]);

    model.set("state", publishedState(DIGITS));
    const switched = /** @type {HTMLSelectElement} */ (get(el, "nw-inputs"));
    expect(switched.disabled).toBe(false);
    expect(switched.value).toBe("digits");
    expect(/** @type {HTMLInputElement} */ (get(el, "nw-theory")).checked).toBe(true);
    expect(/** @type {HTMLInputElement} */ (get(el, "nw-hold-range")).checked).toBe(false);
    choose(switched, "gaussian");
    expect(ops(model)[2]).toEqual(["set_inputs", { source: "gaussian" }]);
  });

  it("shows the theory and training charts from bytes beside the depth chart", () => {
    const { el, model } = mount(values(DIGITS));
    const figures = () => [...el.querySelectorAll(".nw-charts figure")].filter((f) => !(/** @type {HTMLElement} */ (f).hidden));
    expect(figures()).toHaveLength(0);
    model.set("phase_diagram", new DataView(new TextEncoder().encode("PNG-P").buffer));
    model.set("spectrum", new DataView(new TextEncoder().encode("PNG-S").buffer));
    model.set("training_chart", new DataView(new TextEncoder().encode("PNG-T").buffer));
    expect(figures().map((f) => f.querySelector("figcaption")?.textContent)).toEqual([
      "Phase diagram", "Jacobian spectrum", "Training",
    ]);
    expect(get(el, "nw-spectrum").getAttribute("src")).toBe(`data:image/png;base64,${btoa("PNG-S")}`);
    model.set("spectrum", new DataView(new ArrayBuffer(0)));
    expect(get(el, "nw-spectrum").closest("figure")?.hidden).toBe(true);
  });

  it("shows the LSUV log of the last LSUV edit", () => {
    const { el } = mount(values(DIGITS));
    const rows = [...get(el, "nw-lsuv-log").querySelectorAll("tbody tr")].map((r) =>
      [...r.querySelectorAll("td")].map((td) => td.textContent),
    );
    expect(rows).toEqual([
      ["tanh-1", "1", "1.00", "yes", "Var(z) = 1 after 1 rescaling"],
      ["softmax-1", "1", "1.00", "yes", "Var(z) = 1 after 1 rescaling"],
    ]);
    expect(mount().el.querySelector('[data-testid="nw-lsuv-log"]')).toBeNull();
  });

  it("starts a run with its steps and the pins to compare with, shows its progress and stops it", () => {
    const { el, model } = mount(values(CLASSROOM));
    const start = /** @type {HTMLButtonElement} */ (get(el, "nw-train-start"));
    expect(start.disabled).toBe(false);
    expect(/** @type {HTMLButtonElement} */ (get(el, "nw-train-stop")).disabled).toBe(true);
    type(get(el, "nw-train-steps"), "50");
    const compare = /** @type {HTMLInputElement} */ (get(el, "nw-train-compare"));
    expect(compare.getAttribute("aria-label")).toBe("Train the design pinned as std 0.01 too");
    compare.click();
    model.set("notice", answer(1)); // the choices survive a re-render
    expect(/** @type {HTMLInputElement} */ (get(el, "nw-train-compare")).checked).toBe(true);
    get(el, "nw-train-start").click();
    model.set("training", { running: true, label: "std 0.01", step: 25, steps: 50, labels: ["current", "std 0.01"],
                            message: "training std 0.01" });
    const bar = /** @type {HTMLProgressElement} */ (get(el, "nw-train-progress"));
    expect(bar.value).toBe(0.75);
    expect(bar.hidden).toBe(false);
    expect(get(el, "nw-train-status").textContent).toBe("training std 0.01: step 25 of 50 (run 2 of 2)");
    expect(/** @type {HTMLButtonElement} */ (get(el, "nw-train-start")).disabled).toBe(true);
    get(el, "nw-train-stop").click();
    model.set("training", { running: false, label: "std 0.01", step: 30, steps: 50, labels: ["current", "std 0.01"],
                            message: "stopped: the curves show the steps done" });
    expect(get(el, "nw-train-status").textContent).toBe("stopped: the curves show the steps done");
    expect(/** @type {HTMLButtonElement} */ (get(el, "nw-train-stop")).disabled).toBe(true);
    expect(ops(model)).toEqual([["train", { steps: 50, compare: ["std 0.01"] }], ["stop_training", {}]]);
  });

  it("shows a refused run in the Train panel, not at the top", () => {
    const { el, model } = mount();
    get(el, "nw-train-start").click();
    expect(ops(model)).toEqual([["train", { steps: 300, compare: [] }]]);
    const message = "train: the digits have 64 inputs and 10 classes; this network takes (10,) and gives (15,): pass x and y";
    model.set("notice", { seq: 1, ok: false, op: "train", layer: null, parameter: null, message });
    expect(get(el, "nw-train-notice").textContent).toBe(message);
    expect(get(el, "nw-train-notice").hidden).toBe(false);
    expect(get(el, "nw-notice").hidden).toBe(true);
  });
});

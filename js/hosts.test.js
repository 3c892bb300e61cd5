// The builder in the hosts' surroundings: Notebook 7's document-level shortcuts and
// marimo's shadow root (tests/test_hosts.py checks the same in the real hosts).
import { afterEach, describe, expect, it } from "vitest";
import { EditorView } from "@codemirror/view";
import widget from "./builder.js";
import { fakeModel, inShadowRoot, sampleState, sampleValues } from "./fixtures.js";

/** @type {(() => void)[]} */
const cleanups = [];

afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
  document.body.replaceChildren();
});

/**
 * Render the builder into `el`, which is already in the page.
 * @param {HTMLElement} el
 */
function render(el) {
  const model = fakeModel({ ...sampleValues(), state: { ...sampleState(), can_undo: true, can_redo: true } });
  const cleanup = widget.render({ model, el });
  cleanups.push(cleanup);
  return { model, cleanup };
}

/**
 * @param {ParentNode} root
 * @param {string} selector
 * @returns {HTMLElement}
 */
function find(root, selector) {
  const found = root.querySelector(selector);
  if (!found) throw new Error(`no ${selector}`);
  return /** @type {HTMLElement} */ (found);
}

/**
 * @param {EventTarget} target
 * @param {string} key
 * @param {KeyboardEventInit} [init]
 */
function press(target, key, init = {}) {
  const e = new KeyboardEvent("keydown", { key, bubbles: true, composed: true, cancelable: true, ...init });
  target.dispatchEvent(e);
  return e;
}

/** @param {{sent: any[]}} model */
const ops = (model) => model.sent.map((m) => m.op);

describe("undo keys under a host's document-level shortcuts (Notebook 7)", () => {
  /** @type {string[]} */
  let shortcuts = [];
  /** @param {Event} e  a host that handles Ctrl+Z itself, on the document, in the capture phase */
  const notebookShortcut = (e) => shortcuts.push(/** @type {KeyboardEvent} */ (e).key);

  afterEach(() => {
    document.removeEventListener("keydown", notebookShortcut, true);
    shortcuts = [];
  });

  it("reach the widget before the host, only from inside it and not while typing; cleanup lets go", () => {
    document.addEventListener("keydown", notebookShortcut, true); // registered before the widget
    const el = document.createElement("div");
    const outside = document.createElement("button");
    document.body.append(el, outside);
    const { model, cleanup } = render(el);
    const card = find(el, '[data-testid="nw-card"][data-layer="sigmoid-1"]');

    expect(press(card, "z", { ctrlKey: true }).defaultPrevented).toBe(true);
    press(card, "Z", { ctrlKey: true, shiftKey: true });
    press(find(el, '[data-testid="nw-builder"]'), "y", { ctrlKey: true });
    expect(ops(model)).toEqual(["undo", "redo", "redo"]);
    expect(shortcuts).toEqual([]);

    // a text field keeps its own undo; the host's shortcuts get keys from elsewhere
    press(find(card, '[data-testid="nw-field"][data-field="n_units"]'), "z", { ctrlKey: true });
    expect(press(outside, "z", { ctrlKey: true }).defaultPrevented).toBe(false);
    expect(ops(model)).toEqual(["undo", "redo", "redo"]);
    expect(shortcuts).toEqual(["z", "z"]);

    const root = find(el, '[data-testid="nw-builder"]');
    cleanup();
    cleanups.length = 0;
    expect(root.isConnected).toBe(false);
    el.append(root); // as if it had stayed: its key listener is gone
    press(card, "z", { ctrlKey: true });
    expect(ops(model)).toEqual(["undo", "redo", "redo"]);
    expect(shortcuts).toEqual(["z", "z", "z"]);
  });
});

describe("the builder in a shadow root (marimo)", () => {
  it("takes undo keys from inside it, and gives its code editor the shadow root", () => {
    const { shadow, el } = inShadowRoot();
    const { model } = render(el);

    press(find(el, '[data-testid="nw-card"][data-layer="sigmoid-1"]'), "z", { ctrlKey: true });
    expect(ops(model)).toEqual(["undo"]);

    find(el, '[data-testid="nw-card"][data-layer="sigmoid-1"]').click();
    const weight = '[data-testid="nw-param"][data-parameter="weight"]';
    const select = /** @type {HTMLSelectElement} */ (find(find(el, weight), '[data-testid="nw-init-select"]'));
    select.value = "__custom__";
    select.dispatchEvent(new Event("change", { bubbles: true }));
    const view = EditorView.findFromDOM(find(find(el, weight), ".cm-editor")); // the panel was drawn anew
    expect(view?.root).toBe(shadow);
    expect([...shadow.querySelectorAll("style")].some((s) => s.textContent?.includes(".cm-gutters"))).toBe(true);
  });

  it("keeps the focus on the control that had it across a re-render", () => {
    const { shadow, el } = inShadowRoot();
    const { model } = render(el);
    const units = () => find(el, '[data-testid="nw-card"][data-layer="sigmoid-1"] [data-field="n_units"]');
    const before = units();
    before.focus();
    expect(shadow.activeElement).toBe(before);
    model.set("state", { ...sampleState(), can_undo: false }); // a new state: the cards are drawn anew
    expect(units()).not.toBe(before);
    expect(shadow.activeElement).toBe(units());
  });
});

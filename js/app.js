// The NetworkBuilder view: renders the state Python publishes and turns user
// actions into edit messages (docs/protocol.md). Python judges every edit; this
// module never validates, it only proposes and re-renders.

import { add, byAttr, h } from "./dom.js";
import * as V from "./view.js";
import { createDrag, sliderScale } from "./slider.js";
import { renderLsuvLog, renderToolbar, renderTrain, updateTraining } from "./classroom.js";

/** @typedef {import("./types.js").Model} Model */
/** @typedef {import("./types.js").State} State */
/** @typedef {import("./types.js").Layer} Layer */
/** @typedef {import("./types.js").Parameter} Parameter */
/** @typedef {import("./types.js").EditorFactory} EditorFactory */
/** @typedef {import("./types.js").EditorHandle} EditorHandle */
/** @typedef {import("./types.js").EditMessage} EditMessage */
/** @typedef {ReturnType<typeof V.refusal>} Refusal */

/** Last seq sent per model, shared by all views of one widget. */
const lastSeq = /** @type {WeakMap<Model, number>} */ (new WeakMap());

/** Ops sent from the Train panel: their refusals are shown there. */
const TRAIN_OPS = new Set(["train", "stop_training"]);

/**
 * The next edit sequence number: larger than any sent from this page and than
 * the seq of the notice Python last published (so it keeps increasing across
 * page reloads and several views of one widget).
 * @param {Model} model
 * @returns {number}
 */
export function nextSeq(model) {
  const notice = V.currentNotice(model.get("notice"));
  const seq = Math.max(lastSeq.get(model) ?? 0, notice?.seq ?? 0) + 1;
  lastSeq.set(model, seq);
  return seq;
}

/**
 * @typedef {object} BuilderOptions
 * @property {Model} model
 * @property {HTMLElement} el
 * @property {EditorFactory} createEditor
 */

/**
 * @typedef {object} UiState  What only the browser knows: never sent, kept across re-renders.
 * @property {string | null} selected  name of the selected layer
 * @property {string | null} dragging  name of the layer being dragged
 * @property {Map<string, string>} drafts  unsent text of inputs and selects, by data-key
 * @property {string | null} focusFallback  data-key to focus when the focused element disappears
 * @property {{name: string, gone: boolean} | null} lastRemoved  the layer last asked to be removed
 *   (`gone` once the state no longer has it): its card gets the focus back when an undo restores it
 * @property {Map<number, string>} pendingLinks  seq of a link edit sent -> "<layer>/<parameter>"
 * @property {number | null} pendingAdd  seq of the last add_layer sent: the layer it adds gets selected,
 *   so that the next one goes after it
 * @property {number | undefined} pendingAddIndex  where that layer goes (undefined: at the end)
 * @property {string} pendingAddText  the palette text it was sent with: cleared by its answer unless
 *   something else was typed since
 * @property {{key: string, pk: string, drag: import("./slider.js").Drag<number>} | null} drag  the slider
 *   being dragged (data-key, "<layer>/<parameter>"): the details are not rebuilt meanwhile
 * @property {{seq: number, prefixes: string[]} | null} settling  a slider's final edit: its drafts (the
 *   value shown) stay until its notice comes, so that states of earlier previews do not show
 */

/**
 * Mount the builder into `el`. Returns the cleanup function anywidget expects.
 * @param {BuilderOptions} options
 * @returns {() => void}
 */
export function createBuilder({ model, el, createEditor }) {
  /** @type {UiState} */
  const ui = {
    selected: null,
    dragging: null,
    drafts: new Map(),
    focusFallback: null,
    lastRemoved: null,
    pendingLinks: new Map(),
    pendingAdd: null,
    pendingAddIndex: undefined,
    pendingAddText: "",
    drag: null,
    settling: null,
  };
  /** @type {Map<string, {handle: EditorHandle, base: string | null, readOnly: boolean}>} */
  const editors = new Map();
  /** @type {Map<string, string>} the weight panels by "<layer>/<parameter>", as image sources */
  const panels = new Map();

  const root = h("div", {
    class: "nw-builder",
    "data-testid": "nw-builder",
    tabindex: "-1",
    role: "region",
    "aria-label": "Network builder",
  });
  const header = h("div", { class: "nw-header" });
  const palette = h("div", { class: "nw-palette", role: "group", "aria-label": "Add a layer" });
  const bar = h("progress", { class: "nw-progress-bar", max: "1", "aria-label": "Progress" });
  const barText = h("span", { class: "nw-progress-text" });
  const progressBox = h(
    "div",
    { class: "nw-progress", "data-testid": "nw-progress", role: "status", hidden: true },
    [bar, barText],
  );
  const noticeBox = h("div", { class: "nw-notice", "data-testid": "nw-notice", role: "alert", hidden: true });
  const chain = h("ol", { class: "nw-chain", "aria-label": "Layers" });
  const details = h("section", { class: "nw-details", "data-testid": "nw-details", hidden: true });
  const main = h("div", { class: "nw-main" }, [chain, details]);
  const toolbar = h("div", { class: "nw-toolbar", role: "group", "aria-label": "Whole network" });
  /**
   * A chart from a bytes traitlet, beside the depth chart.
   * @param {string} trait
   * @param {string} caption
   * @param {string} testid
   */
  const chart = (trait, caption, testid) => {
    const img = h("img", { class: "nw-chart-img", "data-testid": testid, alt: caption });
    return { trait, img, figure: h("figure", { class: "nw-chart", hidden: true }, [h("figcaption", { text: caption }), img]) };
  };
  const charts = [
    chart("depth_chart", "Signal through depth", "nw-depth-chart"),
    chart("phase_diagram", "Phase diagram", "nw-phase-diagram"),
    chart("spectrum", "Jacobian spectrum", "nw-spectrum"),
    chart("training_chart", "Training", "nw-training-chart"),
  ];
  const plots = h("div", { class: "nw-charts" }, charts.map((c) => c.figure));
  const lab = h("section", { class: "nw-lab", "aria-label": "Train and LSUV" });
  const errorsBox = h("ul", { class: "nw-errors", "data-testid": "nw-errors", "aria-label": "Errors", hidden: true });
  root.append(header, toolbar, palette, progressBox, noticeBox, main, plots, lab, errorsBox);
  el.append(root);

  // ---------------------------------------------------------------- helpers

  /** @returns {State} */
  const state = () => V.currentState(model.get("state"));

  /**
   * @param {string} op
   * @param {Record<string, unknown>} args
   * @returns {number} the seq of the edit
   */
  function send(op, args) {
    /** @type {EditMessage} */
    const msg = { type: "edit", seq: nextSeq(model), op, args };
    if (op !== "undo" && op !== "redo" && op !== "remove_layer") ui.lastRemoved = null;
    model.send(msg);
    return msg.seq;
  }

  /** @param {unknown} err */
  function showInternalError(err) {
    console.error("neuwidgets builder:", err);
    noticeBox.hidden = false;
    noticeBox.classList.add("nw-notice-internal");
    noticeBox.textContent = `Display error in the builder: ${err instanceof Error ? err.message : String(err)}`;
  }

  /**
   * Wrap an event handler so that its errors are shown in the widget
   * (Jupyter would only log them).
   * @template {any[]} A
   * @param {(...args: A) => void} fn
   * @returns {(...args: A) => void}
   */
  function safely(fn) {
    return (...args) => {
      try {
        fn(...args);
      } catch (err) {
        showInternalError(err);
      }
    };
  }

  /** @param {string} prefix */
  function clearDrafts(prefix) {
    for (const key of [...ui.drafts.keys()]) if (key.startsWith(prefix)) ui.drafts.delete(key);
  }

  /**
   * Enter in `input` runs `action` (and goes no further).
   * @param {HTMLElement} input
   * @param {() => void} action
   */
  function onEnter(input, action) {
    input.addEventListener(
      "keydown",
      safely((e) => {
        if (e.key !== "Enter") return;
        e.preventDefault();
        e.stopPropagation();
        action();
      }),
    );
  }

  /**
   * @param {string} text
   * @param {string} label
   * @param {string} testid
   * @param {string} key
   * @param {Record<string, import("./dom.js").AttrValue>} [extra]
   */
  function button(text, label, testid, key, extra = {}) {
    return h("button", {
      type: "button",
      class: "nw-btn",
      "data-testid": testid,
      "data-key": key,
      "aria-label": label,
      title: label,
      text,
      ...extra,
    });
  }

  /** @type {import("./classroom.js").Controls} what the toolbar and the Train panel use */
  const controls = { send, button, safely, onEnter, drafts: ui.drafts };

  /**
   * A text input that keeps unsent text across re-renders and calls
   * `onCommit(rawText)` on Enter or change when the text differs from what
   * the state says.
   * @param {{key: string, testid: string, label: string, committed: string, onCommit: (text: string) => void, size?: number, cls?: string}} o
   */
  function textInput(o) {
    const input = h("input", {
      type: "text",
      class: `nw-input ${o.cls ?? ""}`.trim(),
      "data-testid": o.testid,
      "data-key": o.key,
      "aria-label": o.label,
      size: o.size ?? 6,
      autocomplete: "off",
      spellcheck: "false",
    });
    input.value = ui.drafts.get(o.key) ?? o.committed;
    let committed = o.committed;
    const commit = () => {
      if (!input.isConnected) return; // replaced by a re-render meanwhile
      ui.drafts.delete(o.key);
      if (input.value === committed) return;
      committed = input.value;
      o.onCommit(input.value);
    };
    input.addEventListener("input", () => ui.drafts.set(o.key, input.value));
    input.addEventListener("change", safely(commit));
    onEnter(input, commit);
    input.addEventListener(
      "keydown",
      safely((e) => {
        if (e.key === "Escape") {
          ui.drafts.delete(o.key);
          input.value = committed = o.committed;
        }
      }),
    );
    return input;
  }

  /**
   * A select whose choice is kept across re-renders.
   * @param {{key: string, testid: string, label: string, options: HTMLElement[], value: string, onChange?: (value: string) => void}} o
   */
  function selectInput(o) {
    const select = h(
      "select",
      { class: "nw-select", "data-testid": o.testid, "data-key": o.key, "aria-label": o.label },
      o.options,
    );
    select.value = o.value;
    select.addEventListener(
      "change",
      safely(() => {
        ui.drafts.set(o.key, select.value);
        o.onChange?.(select.value);
      }),
    );
    return select;
  }

  /**
   * @param {string} value
   * @param {string} text
   */
  const option = (value, text) => h("option", { value, text });

  /**
   * Get (or create) the editor for `key`, keeping it alive across re-renders.
   * When the code in the state changes (undo, another view), the editor shows it.
   * @param {string} key
   * @param {string | null} code
   * @param {boolean} readOnly
   * @param {string} label
   * @param {Set<string>} used
   * @returns {EditorHandle}
   */
  function useEditor(key, code, readOnly, label, used) {
    used.add(key);
    const entry = editors.get(key);
    if (!entry) {
      const doc = readOnly ? (code ?? "") : (ui.drafts.get(`code:${key}`) ?? code ?? V.TEMPLATE);
      const handle = createEditor({ doc, readOnly, label, onChange: () => updateNotApplied(key) });
      editors.set(key, { handle, base: code, readOnly });
      return handle;
    }
    if (entry.base !== code) {
      entry.base = code;
      if (code !== null && entry.handle.getText() !== code) entry.handle.setText(code);
    }
    return entry.handle;
  }

  /**
   * Whether the editor `key` holds text that is not the parameter's applied code.
   * @param {string} key
   * @returns {boolean}
   */
  function notApplied(key) {
    const entry = editors.get(key);
    return entry !== undefined && !entry.readOnly && (entry.base === null || entry.handle.getText() !== entry.base);
  }

  /**
   * Show or hide the "not applied" marker of editor `key` as its text changes.
   * @param {string} key
   */
  function updateNotApplied(key) {
    const marker = byAttr(details, "data-editor", key);
    if (marker) marker.hidden = !notApplied(key);
  }

  /** @param {Set<string>} used */
  function dropUnusedEditors(used) {
    for (const [key, entry] of [...editors]) {
      if (used.has(key)) continue;
      if (!entry.readOnly) {
        const text = entry.handle.getText();
        if (text !== (entry.base ?? V.TEMPLATE)) ui.drafts.set(`code:${key}`, text);
      }
      entry.handle.destroy();
      entry.handle.dom.remove();
      editors.delete(key);
    }
  }

  // ---------------------------------------------------------------- actions

  /** @param {string} name */
  function select(name) {
    ui.selected = name;
    ui.pendingAdd = null; // a choice made while a layer was being added wins over selecting the new one
    renderAll();
  }

  /** @param {string} name */
  function removeLayer(name) {
    const st = state();
    const i = V.layerIndex(st, name);
    const neighbour = st.layers[i + 1] ?? st.layers[i - 1];
    ui.focusFallback = neighbour ? `card:${neighbour.name}` : null;
    ui.lastRemoved = { name, gone: false };
    send("remove_layer", { name });
  }

  /**
   * @param {string} name
   * @param {number} delta
   */
  function moveLayer(name, delta) {
    const index = V.moveIndex(state(), name, delta);
    if (index !== null) send("move_layer", { name, index });
  }

  /** @param {"undo" | "redo"} op */
  function history(op) {
    const st = state();
    if (op === "undo" ? st.can_undo : st.can_redo) send(op, {});
  }

  // ---------------------------------------------------------------- rendering

  /** @param {State} st */
  function renderHeader(st) {
    return [
      h("div", { class: "nw-summary" }, [
        h("span", { class: "nw-io" }, [
          h("span", { class: "nw-muted", text: "input " }),
          h("span", { class: "nw-shape", "data-testid": "nw-input-summary", text: st.input_shape || "—" }),
          h("span", { class: "nw-arrow", "aria-hidden": "true", text: " → " }),
          h("span", { class: "nw-muted", text: "output " }),
          h("span", { class: "nw-shape", "data-testid": "nw-output-summary", text: st.output_shape || "—" }),
        ]),
        h("span", {
          class: "nw-total",
          "data-testid": "nw-total-params",
          text: `${V.formatCount(st.n_parameters)} parameters`,
        }),
      ]),
      h("div", { class: "nw-history" }, [
        button("↶ Undo", "Undo (Ctrl+Z)", "nw-undo", "undo", { disabled: !st.can_undo }),
        button("↷ Redo", "Redo (Ctrl+Shift+Z)", "nw-redo", "redo", { disabled: !st.can_redo }),
      ]),
    ];
  }

  /** @param {State} st */
  function renderPalette(st) {
    const draftKind = ui.drafts.get("palette-kind");
    const kind = selectInput({
      key: "palette-kind",
      testid: "nw-palette-kind",
      label: "Kind of the new layer",
      options: st.kinds.map((k) => option(k.kind, k.kind)),
      value: draftKind !== undefined && st.kinds.some((k) => k.kind === draftKind)
        ? draftKind
        : ((st.kinds.find((k) => !k.starts_network) ?? st.kinds[0])?.kind ?? ""),
    });
    const info = st.kinds.find((k) => k.kind === kind.value);
    const first = info?.fields[0];
    const value = h("input", {
      type: "text",
      class: "nw-input",
      "data-testid": "nw-palette-value",
      "data-key": "palette-value",
      "aria-label": first ? `${first.name} of the new layer (${first.expected})` : "Settings of the new layer",
      title: first ? `${first.name} of the new layer (${first.expected}); empty: what fits after the layer before it` : "",
      placeholder: first ? first.name : "",
      size: 7,
      autocomplete: "off",
      disabled: !first,
    });
    value.value = ui.drafts.get("palette-value") ?? "";
    const where = ui.selected !== null ? `after ${ui.selected}` : "at the end";
    const add = () => {
      /** @type {Record<string, unknown>} */
      const args = { kind: kind.value };
      if (value.value.trim() !== "") args.value = value.value;
      // after the layer added last while its answer is on its way, else after the selected card
      const index = ui.pendingAdd !== null && ui.pendingAddIndex !== undefined
        ? ui.pendingAddIndex + 1
        : V.addIndex(state(), ui.selected);
      if (index !== undefined) args.index = index;
      ui.pendingAdd = send("add_layer", args);
      ui.pendingAddIndex = index;
      ui.pendingAddText = value.value;
    };
    kind.addEventListener("change", () => renderAll());
    value.addEventListener("input", () => ui.drafts.set("palette-value", value.value));
    onEnter(value, add);
    const addButton = button("+ Add", `Add layer ${where}`, "nw-add", "add");
    addButton.addEventListener("click", safely(add));
    return [
      h("span", { class: "nw-palette-title", text: "Add" }),
      kind,
      value,
      addButton,
      h("span", { class: "nw-muted nw-where", text: where }),
    ];
  }

  /**
   * One setting of a layer, edited as the kernel describes it: a choice as a select,
   * anything else as text that Python parses ("3, 3, 32", "" for none).
   * @param {State} st
   * @param {Layer} layer
   * @param {import("./types.js").FieldValue} f
   * @param {string} [where] "card" or "details" (both can show the same setting)
   */
  function renderField(st, layer, f, where = "card") {
    const name = layer.name;
    const info = st.kinds.find((k) => k.kind === layer.kind)?.fields.find((d) => d.name === f.name);
    const key = `${where}:field:${name}:${f.name}`;
    const label = `${f.name} of ${name}`;
    const title = info ? `${f.name}: ${info.doc} (${info.expected})` : f.name;
    const set = (/** @type {string} */ text) => send("set_field", { name, field: f.name, value: text });
    const control =
      info?.type === "choice" && info.choices
        ? selectInput({
            key,
            testid: "nw-field",
            label,
            options: info.choices.map((c) => option(c, c)),
            value: String(f.value),
            onChange: set,
          })
        : textInput({
            key,
            testid: "nw-field",
            label,
            committed: f.text,
            onCommit: set,
            size: Math.max(3, Math.min(9, f.text.length + 1)),
          });
    control.setAttribute("data-field", f.name);
    control.title = title;
    if (info?.optional) control.setAttribute("placeholder", "none");
    return h("label", { class: "nw-field" }, [h("span", { class: "nw-muted", text: f.name }), control]);
  }

  /**
   * @param {State} st
   * @param {Layer} layer
   * @param {Refusal} refused
   */
  function renderCard(st, layer, refused) {
    const name = layer.name;
    const input = layer.starts_network;
    const selected = ui.selected === name;
    const card = h("li", {
      class: `nw-card${selected ? " nw-selected" : ""}${input ? " nw-card-input" : ""}`,
      "data-testid": "nw-card",
      "data-layer": name,
      "data-key": `card:${name}`,
      tabindex: "0",
      "aria-label": `${layer.kind} layer ${name}, output ${layer.output_shape}`,
      "aria-current": selected ? "true" : null,
    });

    const head = h("div", { class: "nw-card-head" }, [
      input
        ? null
        : h("span", {
            class: "nw-drag",
            "data-testid": "nw-drag",
            draggable: "true",
            title: "Drag to reorder (or Alt+↑/↓)",
            "aria-hidden": "true",
            text: "⠿",
          }),
      h("span", { class: "nw-kind", text: layer.kind }),
      h("span", { class: "nw-name", text: name }),
    ]);

    // the first setting, and the others where they differ from the default (all of them in the details)
    const shown = layer.fields.filter((f, i) => i === 0 || !f.is_default);
    const fields = shown.map((f) => renderField(st, layer, f));
    const body = h("div", { class: "nw-card-body" }, [
      ...fields,
      h("span", { class: "nw-shape", "data-testid": "nw-output-shape", title: "Output shape", text: layer.output_shape }),
      h("span", { class: "nw-counts" }, [
        h("span", {
          class: "nw-count",
          "data-testid": "nw-count",
          title: "Parameters of the variables this layer owns",
          text: `${V.formatCount(layer.n_parameters)} params`,
        }),
        layer.n_shared > 0 ? " " : null,
        layer.n_shared > 0
          ? h("span", {
              class: "nw-muted nw-shared-count",
              "data-testid": "nw-shared-count",
              title: "Parameters of variables this layer uses that another layer owns",
              text: `+ ${V.formatCount(layer.n_shared)} shared`,
            })
          : null,
      ]),
    ]);

    // each parameter's picture with its measured std as text, then what it shares (said once)
    const thumbs = layer.parameters.map((p) =>
      h("span", { class: "nw-thumb-box" }, [
        h("img", {
          class: "nw-thumb",
          "data-testid": "nw-thumb",
          "data-panel": `${name}/${p.name}`,
          alt: `${p.name} distribution`,
          title: `${p.name}: ${p.label}`,
          hidden: true,
        }),
        h("span", {
          class: "nw-measured",
          "data-testid": "nw-measured",
          "data-parameter": p.name,
          title: `Standard deviation of the values of ${p.name}`,
          text: `${p.name} ${V.formatMeasured(p.measured_std)}`.trim(),
        }),
      ]),
    );
    const links = layer.parameters.flatMap((p) => {
      const text = V.shareText(p);
      if (text === null) return [];
      const owner = p.link === null && p.link_error === null;
      return [
        h("span", {
          class: owner ? "nw-shared" : `nw-link${p.link_error !== null ? " nw-link-unfit" : ""}`,
          "data-testid": owner ? "nw-shared" : "nw-link",
          "data-parameter": p.name,
          text,
        }),
      ];
    });

    const actions = input
      ? null
      : h("div", { class: "nw-card-actions" }, [
          button("▲", `Move ${name} up (Alt+↑)`, "nw-move-up", `up:${name}`, {
            disabled: V.moveIndex(st, name, -1) === null,
          }),
          button("▼", `Move ${name} down (Alt+↓)`, "nw-move-down", `down:${name}`, {
            disabled: V.moveIndex(st, name, 1) === null,
          }),
          button("✕", `Remove ${name} (Delete)`, "nw-remove", `remove:${name}`),
        ]);

    add(card, [
      h("div", { class: "nw-card-main" }, [head, body, actions]),
      thumbs.length ? h("div", { class: "nw-thumbs" }, thumbs) : null,
      links.length ? h("div", { class: "nw-links" }, links) : null,
      refused && refused.layer === name
        ? h("div", { class: "nw-card-error", "data-testid": "nw-card-error", role: "alert", text: refused.message })
        : null,
    ]);

    // Events
    card.addEventListener(
      "click",
      safely((e) => {
        const target = /** @type {Element} */ (e.target);
        if (target.closest("button, input, select, textarea, label")) return;
        if (ui.selected !== name) select(name);
      }),
    );
    card.addEventListener(
      "keydown",
      safely((e) => {
        if (e.target !== card) return;
        const action = V.cardKeyAction(e);
        if (action === null) return;
        e.preventDefault();
        e.stopPropagation();
        if (action === "select") {
          select(name);
          if (e.key === "Enter") focusDetails();
        } else if (action === "deselect") {
          ui.selected = null;
          renderAll();
        } else if (action === "remove") {
          if (!input) removeLayer(name);
        } else if (action === "move-up") moveLayer(name, -1);
        else if (action === "move-down") moveLayer(name, 1);
        else {
          const sibling = action === "focus-prev" ? card.previousElementSibling : card.nextElementSibling;
          if (sibling instanceof HTMLElement) sibling.focus();
        }
      }),
    );
    if (actions) {
      actions.querySelector('[data-testid="nw-move-up"]')?.addEventListener("click", safely(() => moveLayer(name, -1)));
      actions.querySelector('[data-testid="nw-move-down"]')?.addEventListener("click", safely(() => moveLayer(name, 1)));
      actions.querySelector('[data-testid="nw-remove"]')?.addEventListener("click", safely(() => removeLayer(name)));
    }
    const handle = head.querySelector(".nw-drag");
    handle?.addEventListener(
      "dragstart",
      safely((e) => {
        const de = /** @type {DragEvent} */ (e);
        ui.dragging = name;
        card.classList.add("nw-dragging");
        if (de.dataTransfer) {
          de.dataTransfer.effectAllowed = "move";
          de.dataTransfer.setData("text/plain", name);
          de.dataTransfer.setDragImage?.(card, 12, 12);
        }
      }),
    );
    handle?.addEventListener("dragend", () => {
      ui.dragging = null;
      for (const c of chain.querySelectorAll(".nw-dragging, .nw-drop-target")) {
        c.classList.remove("nw-dragging", "nw-drop-target");
      }
    });
    card.addEventListener("dragover", (e) => {
      if (ui.dragging === null || ui.dragging === name) return;
      e.preventDefault();
      const de = /** @type {DragEvent} */ (e);
      if (de.dataTransfer) de.dataTransfer.dropEffect = "move";
      card.classList.add("nw-drop-target");
    });
    card.addEventListener("dragleave", (e) => {
      const related = /** @type {DragEvent} */ (e).relatedTarget;
      if (!(related instanceof Node) || !card.contains(related)) card.classList.remove("nw-drop-target");
    });
    card.addEventListener(
      "drop",
      safely((e) => {
        card.classList.remove("nw-drop-target");
        const dragged = ui.dragging;
        ui.dragging = null;
        if (dragged === null) return;
        e.preventDefault();
        const index = V.dropIndex(state(), dragged, name);
        if (index !== null) send("move_layer", { name: dragged, index });
      }),
    );
    return card;
  }

  /**
   * @param {State} st
   * @param {Refusal} refused
   * @param {Set<string>} used
   */
  function renderDetails(st, refused, used) {
    const layer = st.layers.find((l) => l.name === ui.selected);
    if (!layer) return [];
    details.setAttribute("aria-label", `Details of ${layer.name}`);
    /** @type {HTMLElement[]} */
    const out = [
      h("h3", { class: "nw-details-title" }, [
        h("span", { class: "nw-kind", text: layer.kind }),
        " ",
        h("span", { class: "nw-name", text: layer.name }),
        h("span", { class: "nw-muted", text: ` ${layer.output_shape}` }),
      ]),
    ];
    if (layer.fields.length > 0) {
      out.push(
        h("div", { class: "nw-settings", "data-testid": "nw-settings", role: "group", "aria-label": "Settings" },
          layer.fields.map((f) => renderField(st, layer, f, "details")),
        ),
      );
    }
    if (layer.parameters.length === 0) {
      out.push(h("p", { class: "nw-muted", text: "This layer has no parameters." }));
    }
    for (const p of layer.parameters) out.push(renderParam(st, layer, p, refused, used));
    return out;
  }

  /**
   * A parameter's name, shape, initializer, formula, expected and measured std.
   * @param {Parameter} p
   */
  function paramHead(p) {
    return h("div", { class: "nw-param-head" }, [
      h("span", { class: "nw-param-name", text: p.name }),
      p.shape ? h("span", { class: "nw-muted", text: `(${p.shape.join(", ")})` }) : null,
      h("span", { class: "nw-label", "data-testid": "nw-label", text: p.label }),
      p.formula ? h("span", { class: "nw-formula", "data-testid": "nw-formula", text: p.formula }) : null,
      p.expected_std !== null
        ? h("span", { class: "nw-std", "data-testid": "nw-std", text: V.formatStd(p.expected_std) })
        : null,
      p.measured_std !== null
        ? h("span", {
            class: "nw-std",
            "data-testid": "nw-param-measured",
            text: `measured ${p.measured_std}`,
          })
        : null,
    ]);
  }

  /**
   * @param {State} st
   * @param {Layer} layer
   * @param {Parameter} p
   * @param {Refusal} refused
   * @param {Set<string>} used
   */
  function renderParam(st, layer, p, refused, used) {
    const pk = `${layer.name}/${p.name}`;
    const who = `${layer.name} ${p.name}`;
    const box = h("div", { class: "nw-param", "data-testid": "nw-param", "data-parameter": p.name, "data-pk": pk });
    box.append(
      paramHead(p),
      h("img", {
        class: "nw-panel",
        "data-testid": "nw-panel",
        "data-panel": pk,
        alt: `Weight distribution of ${who}`,
        hidden: true,
      }),
    );

    if (V.isLinked(p)) {
      // Its initializer is the linked layer's: choosing one here means unlinking first.
      box.append(
        h("div", { class: "nw-row" }, [
          h("span", { class: "nw-muted", text: "initializer" }),
          h("span", { class: "nw-linked-init", "data-testid": "nw-linked-init", text: V.linkedInitText(p) }),
        ]),
      );
    } else {
      renderChooser(st, layer, p, used, box);
    }

    if (p.error !== null) {
      box.append(h("p", { class: "nw-param-error", "data-testid": "nw-param-error", text: p.error }));
    }
    if (refused && refused.layer === layer.name && refused.parameter === p.name) {
      box.append(h("p", { class: "nw-param-error nw-param-notice", "data-testid": "nw-param-notice", text: refused.message }));
    }
    box.append(renderLinks(st, layer, p));
    return box;
  }

  /**
   * The initializer chooser of `p` (with its fields or code editor), appended to `box`.
   * @param {State} st
   * @param {Layer} layer
   * @param {Parameter} p
   * @param {Set<string>} used
   * @param {HTMLElement} box
   */
  function renderChooser(st, layer, p, used, box) {
    const pk = `${layer.name}/${p.name}`;
    const who = `${layer.name} ${p.name}`;
    const choiceKey = `init-choice:${pk}`;
    const current = V.currentChoice(p);
    if (ui.drafts.get(choiceKey) === current) ui.drafts.delete(choiceKey);
    const choice = ui.drafts.get(choiceKey) ?? current;

    // Initializer chooser
    /** @type {HTMLElement[]} */
    const opts = [];
    const known = new Set(st.initializers.map((i) => i.name));
    if (choice === "" || (choice !== V.CUSTOM && !known.has(choice))) opts.push(option(choice, choice || "—"));
    for (const i of st.initializers) if (!i.custom) opts.push(option(i.name, i.name));
    const customs = st.initializers.filter((i) => i.custom);
    if (customs.length) {
      opts.push(h("optgroup", { label: "Custom initializers" }, customs.map((i) => option(i.name, i.name))));
    }
    opts.push(option(V.CUSTOM, "Custom…"));
    const chooser = selectInput({
      key: choiceKey,
      testid: "nw-init-select",
      label: `Initializer of ${who}`,
      options: opts,
      value: choice,
      onChange: () => {
        clearDrafts(`init-field:${pk}:`);
        renderAll();
      },
    });
    // which layers a choice applies to: this one, every one of its kind, every one (one edit)
    const scopeKey = `init-scope:${pk}`;
    const scope = selectInput({
      key: scopeKey,
      testid: "nw-init-scope",
      label: `Layers the initializer chosen for ${who} applies to`,
      options: [
        option("layer", "this layer"),
        option("kind", `every ${layer.kind} layer`),
        option("all", "every layer"),
      ],
      value: ui.drafts.get(scopeKey) ?? "layer",
    });
    /**
     * Send set_initializer for this parameter, to the chosen layers.
     * @param {Record<string, unknown>} args  `initializer` or `code`, and `preview`
     */
    const setInit = (args) => {
      const where = scope.value === "layer" ? {} : { scope: scope.value };
      return send("set_initializer", { name: layer.name, parameter: p.name, ...args, ...where });
    };
    box.append(
      h("div", { class: "nw-row" }, [
        h("span", { class: "nw-muted", text: "initializer" }),
        chooser,
        h("span", { class: "nw-muted", text: "for" }),
        scope,
      ]),
    );

    if (choice === V.CUSTOM && !p.trusted) {
      const key = `editor-ro:${pk}`;
      const editor = useEditor(key, p.code, true, `Untrusted custom initializer code of ${who} (read-only)`, used);
      const trust = button("Trust and run", "Trust and run the custom initializer code of this design", "nw-trust", `trust:${pk}`, {
        class: "nw-btn nw-btn-primary",
      });
      trust.addEventListener("click", safely(() => send("trust", {})));
      box.append(
        h("p", { class: "nw-untrusted", "data-testid": "nw-untrusted", text: "untrusted custom initializer" }),
        editorHost(key, editor),
        h("div", { class: "nw-row" }, [trust]),
      );
    } else if (choice === V.CUSTOM) {
      const key = `editor:${pk}`;
      const editor = useEditor(key, p.code, false, `Custom initializer code of ${who}`, used);
      const apply = button("Apply code", `Apply custom initializer code to ${who}`, "nw-code-apply", `code-apply:${pk}`, {
        class: "nw-btn nw-btn-primary",
      });
      apply.addEventListener(
        "click",
        safely(() => {
          ui.drafts.delete(`code:${key}`);
          setInit({ code: editor.getText() });
        }),
      );
      box.append(
        editorHost(key, editor),
        h("div", { class: "nw-row" }, [
          apply,
          h("span", {
            class: "nw-warn nw-not-applied",
            "data-testid": "nw-not-applied",
            "data-editor": key,
            title: "This code is not the parameter's initializer yet: Apply code to use it",
            text: "not applied",
            hidden: !notApplied(key),
          }),
          h("span", { class: "nw-muted nw-hint", text: "Esc then Tab leaves the editor" }),
        ]),
      );
    } else {
      const fields = V.initFields(st, p, choice).map(({ spec, value }) => {
        const key = `init-field:${pk}:${spec.name}`;
        const input = h("input", {
          type: "text",
          class: "nw-input",
          "data-testid": "nw-init-param",
          "data-name": spec.name,
          "data-key": key,
          "aria-label": `${spec.name} of ${choice} for ${who}`,
          placeholder: spec.default === null ? "None" : "",
          size: 6,
          autocomplete: "off",
        });
        input.value = ui.drafts.get(key) ?? value;
        input.addEventListener("input", () => ui.drafts.set(key, input.value));
        return { spec, input, key };
      });
      /**
       * The initializer the fields say, with `name` set to `value` (a slider's).
       * @param {string} [name]
       * @param {number} [value]
       */
      const initializer = (name, value) => {
        /** @type {Record<string, unknown>} */
        const params = {};
        for (const { spec, input } of fields) {
          params[spec.name] = spec.name === name ? value : V.parseParamValue(input.value, spec);
        }
        return { name: choice, params };
      };
      const apply = () => {
        const chosen = initializer();
        clearDrafts(`init-field:${pk}:`);
        ui.drafts.delete(choiceKey);
        setInit({ initializer: chosen });
      };
      for (const { input } of fields) onEnter(input, apply);
      const applyButton = button("Apply", `Apply ${choice} to ${who}`, "nw-init-apply", `init-apply:${pk}`, {
        class: "nw-btn nw-btn-primary",
      });
      applyButton.addEventListener("click", safely(apply));
      const preview = choice !== current ? st.initializers.find((i) => i.name === choice)?.formula : null;
      add(box, [
        h(
          "div",
          { class: "nw-row nw-init-fields" },
          [
            ...fields.map(({ spec, input, key }) =>
              h("label", { class: "nw-field" }, [
                h("span", { class: "nw-muted", text: spec.name }),
                input,
                spec.range
                  ? initSlider(spec.range, input, key, `${spec.name} of ${choice} for ${who}`, (value, preview) => {
                      const seq = setInit({ initializer: initializer(spec.name, value), preview });
                      if (!preview) ui.settling = { seq, prefixes: [`init-field:${pk}:`, choiceKey] };
                      return seq;
                    })
                  : null,
              ]),
            ),
            applyButton,
          ],
        ),
        preview ? h("div", { class: "nw-formula nw-formula-preview", text: preview }) : null,
      ]);
    }
  }

  /**
   * The slider of a numeric initializer parameter, beside its text field `input` (whose
   * draft key is `fieldKey`): dragging it sends previews (see slider.js: only after the
   * notice of the one before, the newest value), letting it go the final value; a key
   * that moves it sends the final value at once.
   * @param {import("./slider.js").SliderRange} range
   * @param {HTMLInputElement} input
   * @param {string} fieldKey
   * @param {string} label
   * @param {(value: number, preview: boolean) => number} sendValue  sends the edit, returns its seq
   */
  function initSlider(range, input, fieldKey, label, sendValue) {
    const key = fieldKey.replace(/^init-field:/, "init-slider:");
    const scale = sliderScale(range);
    const slider = h("input", {
      type: "range",
      class: "nw-slider",
      "data-testid": "nw-init-slider",
      "data-key": key,
      "aria-label": `${label} (${range.log ? "logarithmic " : ""}slider)`,
      min: scale.min,
      max: scale.max,
      step: scale.step,
    });
    // the slider shows what the text field says, when that is a number
    const place = () => {
      const value = Number(input.value);
      if (input.value.trim() !== "" && Number.isFinite(value)) slider.value = String(scale.toPosition(value));
      slider.setAttribute("aria-valuetext", input.value);
    };
    place();
    input.addEventListener("input", place);
    const valueAt = () => scale.toValue(Number(slider.value));
    /** @param {number} value */
    const show = (value) => {
      input.value = String(value);
      ui.drafts.set(fieldKey, input.value);
      slider.setAttribute("aria-valuetext", input.value);
    };
    /** @param {boolean} changed */
    const release = (changed) => {
      if (ui.drag?.key !== key) return false;
      const { drag } = ui.drag;
      ui.drag = null;
      if (!drag.release(valueAt(), changed)) renderAll(); // nothing sent: show what came meanwhile
      return true;
    };
    slider.addEventListener(
      "pointerdown",
      safely(() => {
        ui.drag = { key, pk: input.closest(".nw-param")?.getAttribute("data-pk") ?? "", drag: createDrag(sendValue) };
        // the release is the change event; a drag back to where it started has none
        const doc = root.ownerDocument;
        const up = () => {
          doc.removeEventListener("pointerup", up);
          doc.removeEventListener("pointercancel", up);
          setTimeout(safely(() => release(false)), 0);
        };
        doc.addEventListener("pointerup", up);
        doc.addEventListener("pointercancel", up);
      }),
    );
    slider.addEventListener(
      "input",
      safely(() => {
        show(valueAt());
        if (ui.drag?.key === key) ui.drag.drag.move(valueAt());
      }),
    );
    slider.addEventListener(
      "change",
      safely(() => {
        show(valueAt());
        if (!release(true)) sendValue(valueAt(), false);
      }),
    );
    return slider;
  }

  /**
   * @param {string} key
   * @param {EditorHandle} editor
   */
  function editorHost(key, editor) {
    const host = h("div", { class: "nw-code", "data-testid": "nw-code-editor", "data-key": key });
    host.append(editor.dom);
    // Keys typed in the editor belong to it, not to the notebook.
    host.addEventListener("keydown", (e) => e.stopPropagation());
    return host;
  }

  /**
   * @param {State} st
   * @param {Layer} layer
   * @param {Parameter} p
   */
  function renderLinks(st, layer, p) {
    const pk = `${layer.name}/${p.name}`;
    const who = `${layer.name} ${p.name}`;
    const row = h("div", { class: "nw-row nw-link-row", "data-testid": "nw-link-row" });
    if (p.link !== null || p.link_error !== null) {
      // a working link is said by the initializer row ("uses the weight of ..."); one that
      // does not hold says why (Python's words)
      const unlink = button("Unlink", `Unlink ${who}`, "nw-unlink", `unlink:${pk}`);
      unlink.addEventListener("click", safely(() => send("unlink", { name: layer.name, parameter: p.name })));
      add(row, [
        p.link_error !== null
          ? h("span", { class: "nw-link nw-link-unfit", "data-testid": "nw-link-detail", text: p.link_error })
          : null,
        unlink,
      ]);
    }
    const key = `link-choice:${pk}`;
    const transposeKey = `link-transpose:${pk}`;
    const targets = V.linkTargets(st, layer.name, p.name);
    // The choice is kept until the link is made (a refused link leaves it to fix).
    if (V.isLinked(p) && ui.drafts.get(key) === p.link && (ui.drafts.get(transposeKey) === "1") === p.transpose) {
      ui.drafts.delete(key);
      ui.drafts.delete(transposeKey);
    }
    const draft = ui.drafts.get(key);
    const linkButton = button("Link", `Link ${who} to the chosen layer`, "nw-link-apply", `link-apply:${pk}`);
    const target = selectInput({
      key,
      testid: "nw-link-select",
      label: `Layer whose ${p.name} ${who} should use`,
      options: [option("", "Link to…"), ...targets.map((n) => option(n, n))],
      value: draft !== undefined && targets.includes(draft) ? draft : "",
      onChange: (value) => {
        linkButton.disabled = value === "";
      },
    });
    linkButton.disabled = target.value === "";
    // A weight may be shared transposed (a tied autoencoder's decoder); the box survives re-renders.
    const transpose =
      p.name === "weight"
        ? h("input", {
            type: "checkbox",
            "data-testid": "nw-link-transpose",
            "data-key": transposeKey,
            "aria-label": `Use the chosen layer's weight transposed`,
            checked: ui.drafts.get(transposeKey) === "1",
          })
        : null;
    transpose?.addEventListener("change", () => ui.drafts.set(transposeKey, transpose.checked ? "1" : ""));
    linkButton.addEventListener(
      "click",
      safely(() => {
        if (target.value === "") return;
        ui.drafts.set(key, target.value);
        if (transpose) ui.drafts.set(transposeKey, transpose.checked ? "1" : "");
        const args = { name: layer.name, parameter: p.name, to_name: target.value };
        ui.pendingLinks.set(send("link", transpose && transpose.checked ? { ...args, transpose: true } : args), pk);
      }),
    );
    add(row, [target, transpose && h("label", { class: "nw-muted" }, [transpose, " transposed"]), linkButton]);
    if (p.link === null && p.shared_with.length > 0) {
      row.append(h("span", { class: "nw-shared", text: `shared with ${p.shared_with.join(", ")}` }));
    }
    return row;
  }

  // ---------------------------------------------------------------- focus

  /**
   * @typedef {object} SavedFocus  where the focus was before a re-render
   * @property {string} key  data-key of the focused element ("" when it has none)
   * @property {string} pk  "<layer>/<parameter>" of the details parameter it was in ("" when none)
   * @property {number | null} start
   * @property {number | null} end
   */

  /** The focused element, also inside a shadow root (marimo), where the document's is the shadow host. */
  function activeElement() {
    return /** @type {Document | ShadowRoot} */ (root.getRootNode()).activeElement;
  }

  /** @returns {SavedFocus | null} */
  function captureFocus() {
    const active = activeElement();
    if (!(active instanceof HTMLElement) || !root.contains(active)) return null;
    const pk = active.closest(".nw-param")?.getAttribute("data-pk") ?? "";
    const keyed = active.closest("[data-key]");
    if (!keyed) return { key: "", pk, start: null, end: null };
    const input = active instanceof HTMLInputElement ? active : null;
    return {
      key: keyed.getAttribute("data-key") ?? "",
      pk,
      start: input ? input.selectionStart : null,
      end: input ? input.selectionEnd : null,
    };
  }

  /**
   * Where the focus goes when the focused control of a parameter disappeared
   * (a link made or undone, an undo that swapped the initializer fields for the
   * code editor): the same parameter's link controls or initializer chooser.
   * @param {SavedFocus} saved
   * @returns {string[]}
   */
  function paramFallbacks(saved) {
    if (saved.pk === "") return [];
    const link = [`link-choice:${saved.pk}`, `unlink:${saved.pk}`];
    const init = [`init-choice:${saved.pk}`];
    return /^(link-|unlink:)/.test(saved.key) ? [...link, ...init] : [...init, ...link];
  }

  /**
   * The element for `key` if it can take the focus (a disabled button of a card gives its card).
   * @param {string} key
   * @returns {HTMLElement | null}
   */
  function focusable(key) {
    const el = key ? byAttr(root, "data-key", key) : null;
    if (el instanceof HTMLButtonElement && el.disabled) return el.closest(".nw-card");
    return el;
  }

  /** @param {SavedFocus | null} saved */
  function restoreFocus(saved) {
    if (saved === null) return;
    const active = activeElement();
    if (active instanceof HTMLElement && active !== root && root.contains(active)) return; // still in place
    let target = focusable(saved.key);
    for (const key of paramFallbacks(saved)) target ??= focusable(key);
    if (target === null && ui.focusFallback !== null) {
      target = focusable(ui.focusFallback);
      ui.focusFallback = null;
    }
    if (target === null) {
      root.focus({ preventScroll: true });
      return;
    }
    const editor = editors.get(saved.key);
    if (editor && target.getAttribute("data-key") === saved.key) {
      editor.handle.focus();
      return;
    }
    target.focus({ preventScroll: true });
    if (target instanceof HTMLInputElement && saved.start !== null && target.getAttribute("data-key") === saved.key) {
      try {
        target.setSelectionRange(saved.start, saved.end ?? saved.start);
      } catch {
        // inputs of some types do not support selection
      }
    }
  }

  // ---------------------------------------------------------------- updates

  /**
   * Python answered a link edit sent from here: once it is made, its choice
   * (target, transposed) is no longer a draft.
   * @param {import("./types.js").Notice | null} notice
   */
  function settleLink(notice) {
    if (notice === null || notice.seq === null) return;
    const pk = ui.pendingLinks.get(notice.seq);
    if (pk === undefined) return;
    ui.pendingLinks.delete(notice.seq);
    if (!notice.ok) return;
    ui.drafts.delete(`link-choice:${pk}`);
    ui.drafts.delete(`link-transpose:${pk}`);
  }

  /**
   * After an undo of a removal, the restored card gets the focus back (when the
   * focus was in the widget).
   * @param {State} st
   * @param {boolean} hadFocus
   */
  function refocusRestored(st, hadFocus) {
    const removed = ui.lastRemoved;
    if (removed === null) return;
    if (V.layerIndex(st, removed.name) < 0) {
      removed.gone = true;
      return;
    }
    if (!removed.gone) return; // not removed yet (or refused)
    ui.lastRemoved = null;
    if (hadFocus) byAttr(chain, "data-key", `card:${removed.name}`)?.focus({ preventScroll: true });
  }

  /**
   * Move the focus to the first control of the details panel (after Enter on a card).
   * @returns {boolean} whether there was one
   */
  function focusDetails() {
    if (details.hidden) return false;
    for (const el of details.querySelectorAll("select, input, textarea, button, [contenteditable='true']")) {
      if (!(el instanceof HTMLElement) || el.closest("[hidden]")) continue;
      if ((el instanceof HTMLButtonElement || el instanceof HTMLInputElement) && el.disabled) continue;
      el.focus();
      return true;
    }
    return false;
  }

  /**
   * While a slider is dragged its details stay in place (rebuilding them would end the
   * drag): only the dragged parameter's head follows the state (its panel and the depth
   * chart update by themselves).
   * @param {State} st
   */
  function followDrag(st) {
    if (ui.drag === null) return;
    const cut = ui.drag.pk.lastIndexOf("/");
    const [layerName, name] = [ui.drag.pk.slice(0, cut), ui.drag.pk.slice(cut + 1)];
    const p = st.layers.find((l) => l.name === layerName)?.parameters.find((q) => q.name === name);
    const head = byAttr(details, "data-pk", ui.drag.pk)?.querySelector(".nw-param-head");
    if (p && head) head.replaceWith(paramHead(p));
  }

  function renderAll() {
    const st = state();
    const notice = V.currentNotice(model.get("notice"));
    settleLink(notice);
    if (notice !== null && notice.seq === ui.pendingAdd) {
      ui.pendingAdd = null;
      if (notice.ok && notice.layer !== null) ui.selected = notice.layer; // the next layer goes after it
      if ((ui.drafts.get("palette-value") ?? "") === ui.pendingAddText) ui.drafts.delete("palette-value");
    }
    if (ui.drag !== null && notice !== null && notice.seq !== null) ui.drag.drag.answered(notice.seq);
    if (ui.settling !== null && notice !== null && notice.seq !== null && notice.seq >= ui.settling.seq) {
      for (const prefix of ui.settling.prefixes) clearDrafts(prefix);
      ui.settling = null;
    }
    const refused = V.refusal(notice, st);
    if (ui.selected !== null && V.layerIndex(st, ui.selected) < 0) ui.selected = null;
    const saved = captureFocus();
    /** @type {Set<string>} */
    const used = new Set();

    header.replaceChildren(...renderHeader(st));
    toolbar.replaceChildren(...renderToolbar(st, controls));
    palette.replaceChildren(...renderPalette(st));
    chain.replaceChildren(...st.layers.map((layer) => renderCard(st, layer, refused)));
    if (ui.drag === null) {
      details.replaceChildren(...renderDetails(st, refused, used));
      details.hidden = details.childElementCount === 0;
      dropUnusedEditors(used);
    } else {
      followDrag(st);
    }

    // a refused run is said in the Train panel, other refusals without a layer at the top
    const train = renderTrain(st, controls);
    lab.replaceChildren(train, renderLsuvLog(st) ?? "");
    const trainNotice = byAttr(train, "data-testid", "nw-train-notice");
    const global = refused && refused.layer === null ? refused.message : "";
    if (trainNotice && TRAIN_OPS.has(notice?.op ?? "")) {
      trainNotice.textContent = global;
      trainNotice.hidden = global === "";
    }
    noticeBox.classList.remove("nw-notice-internal");
    noticeBox.textContent = TRAIN_OPS.has(notice?.op ?? "") ? "" : global;
    noticeBox.hidden = noticeBox.textContent === "";

    errorsBox.replaceChildren(
      ...st.errors.map((e) => h("li", { class: "nw-error", "data-layer": e.layer, text: V.errorText(e) })),
    );
    errorsBox.hidden = st.errors.length === 0;

    updatePanels();
    updateCharts();
    updateProgress();
    updateTraining(lab, model.get("training"));
    restoreFocus(saved);
    refocusRestored(st, saved !== null);
  }

  /**
   * @param {HTMLImageElement} img
   * @param {string} src
   */
  function setImage(img, src) {
    if ((img.getAttribute("src") ?? "") !== src) {
      if (src) img.setAttribute("src", src);
      else img.removeAttribute("src");
    }
    img.hidden = src === "";
  }

  function updatePanels() {
    for (const img of root.querySelectorAll("img[data-panel]")) {
      setImage(/** @type {HTMLImageElement} */ (img), panels.get(img.getAttribute("data-panel") ?? "") ?? "");
    }
  }

  /**
   * Python sent panels (docs/protocol.md): the changed ones, each distinct PNG once in
   * the buffers; `full`: every panel.
   * @param {any} msg
   * @param {DataView[] | undefined} buffers
   */
  function receive(msg, buffers) {
    if (!msg || msg.type !== "panels") return;
    if (msg.full) panels.clear();
    for (const key of msg.removed ?? []) panels.delete(key);
    /** @type {Map<number, string>} */
    const sources = new Map();
    for (const [key, index] of Object.entries(msg.panels ?? {})) {
      if (!sources.has(index)) sources.set(index, V.pngSrc(buffers?.[Number(index)]));
      panels.set(key, sources.get(index) ?? "");
    }
    updatePanels();
  }

  function updateCharts() {
    for (const { trait, img, figure } of charts) {
      const src = V.pngSrc(model.get(trait));
      setImage(img, src);
      figure.hidden = src === "";
    }
  }

  function updateProgress() {
    const busy = String(model.get("busy") ?? "");
    const value = Math.min(1, Math.max(0, Number(model.get("progress") ?? 0) || 0));
    progressBox.hidden = busy === "";
    bar.value = value;
    bar.setAttribute("aria-valuetext", `${Math.round(value * 100)}%`);
    barText.textContent = busy === "" ? "" : `${busy} (${Math.round(value * 100)}%)`;
  }

  // ---------------------------------------------------------------- wiring

  // Undo/redo keys pressed in the widget are its own. Notebook 7 runs its shortcuts from a
  // keydown listener on the document that comes before the widget's: this one listens on
  // the window in the capture phase, which comes first. composedPath()[0] is the real
  // target, also inside a shadow root (marimo).
  const win = root.ownerDocument.defaultView;
  const historyKeys = safely((/** @type {KeyboardEvent} */ e) => {
    const action = V.historyKeyAction(e);
    const target = e.composedPath()[0];
    if (action === null || !(target instanceof Node) || !root.contains(target) || V.isTypingTarget(target)) return;
    e.preventDefault();
    e.stopPropagation();
    history(action);
  });
  win?.addEventListener("keydown", historyKeys, true);
  // Keys pressed in the widget are its own: JupyterLab must not run notebook shortcuts
  // for them ("x" would cut the cell, "d d" delete it). Lumino's data-lm-suppress-shortcuts
  // does not help here: shortcut selectors ending in ":focus" match the focused control
  // itself before the attribute is looked for. Tab still moves focus out.
  root.addEventListener("keydown", (e) => {
    if (e.key !== "Tab") e.stopPropagation();
  });
  // Escape in the details panel (outside the code editor, which keeps its keys)
  // goes back to the selected card.
  details.addEventListener(
    "keydown",
    safely((e) => {
      if (e.key !== "Escape" || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey || ui.selected === null) return;
      if (/** @type {Element} */ (e.target).closest?.(".cm-editor")) return;
      const card = byAttr(chain, "data-key", `card:${ui.selected}`);
      if (!card) return;
      e.preventDefault();
      e.stopPropagation();
      card.focus();
    }),
  );
  header.addEventListener(
    "click",
    safely((e) => {
      const b = /** @type {Element} */ (e.target).closest("button");
      if (b?.getAttribute("data-testid") === "nw-undo") history("undo");
      else if (b?.getAttribute("data-testid") === "nw-redo") history("redo");
    }),
  );

  /** @type {[string, import("./types.js").Callback][]} */
  const listeners = [
    ["change:state", safely(renderAll)],
    ["change:notice", safely(renderAll)],
    ["msg:custom", safely(receive)],
    ...charts.map(({ trait }) => /** @type {[string, import("./types.js").Callback]} */ ([`change:${trait}`, safely(updateCharts)])),
    ["change:training", safely(() => updateTraining(lab, model.get("training")))],
    ["change:busy", safely(updateProgress)],
    ["change:progress", safely(updateProgress)],
  ];
  for (const [event, callback] of listeners) model.on(event, callback);
  safely(renderAll)();
  model.send({ type: "request_panels" }); // this view's panels (Python sends only changes after)

  return () => {
    win?.removeEventListener("keydown", historyKeys, true);
    for (const [event, callback] of listeners) model.off(event, callback);
    for (const entry of editors.values()) entry.handle.destroy();
    editors.clear();
    root.remove();
  };
}

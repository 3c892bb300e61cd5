// The whole-network controls of the builder (docs/protocol.md): the toolbar (recipes,
// LSUV, seed and Resample, pins, the held range, the theory panels, the inputs) and the
// section below the charts (the Train panel, the LSUV log). They only propose edits and
// show what Python publishes.

import { byAttr, h } from "./dom.js";
import { parseParamValue } from "./view.js";

/** @typedef {import("./types.js").State} State */
/** @typedef {import("./state").TrainingStatus} TrainingStatus */

/**
 * @typedef {object} Controls  What the builder lends: sending edits and its control helpers.
 * @property {(op: string, args: Record<string, unknown>) => number} send
 * @property {(text: string, label: string, testid: string, key: string,
 *   extra?: Record<string, import("./dom.js").AttrValue>) => HTMLButtonElement} button
 * @property {(fn: (...args: any[]) => void) => (...args: any[]) => void} safely
 * @property {(input: HTMLElement, action: () => void) => void} onEnter
 * @property {Map<string, string>} drafts  unsent values by data-key, kept across re-renders
 */

/** How the input sources read in the switch. */
const SOURCES = /** @type {Record<string, string>} */ ({ gaussian: "Gaussian", digits: "digits" });

/**
 * A checkbox with its text.
 * @param {Controls} c
 * @param {{text: string, label: string, testid: string, key: string, checked: boolean,
 *   onChange: (checked: boolean) => void}} o
 */
function checkbox(c, o) {
  const box = h("input", {
    type: "checkbox",
    "data-testid": o.testid,
    "data-key": o.key,
    "aria-label": o.label,
    checked: o.checked,
  });
  box.addEventListener("change", c.safely(() => o.onChange(box.checked)));
  return h("label", { class: "nw-check", title: o.label }, [box, o.text]);
}

/**
 * An initializer config as code: "XavierNormal(gain=2)".
 * @param {{name: string, params: Record<string, unknown>}} config
 * @returns {string}
 */
function configText(config) {
  const params = Object.entries(config.params).filter(([, value]) => value !== null);
  return `${config.name}(${params.map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(", ")})`;
}

/**
 * The toolbar: a row of small groups that wraps.
 * @param {State} st
 * @param {Controls} c
 * @returns {HTMLElement[]}
 */
export function renderToolbar(st, c) {
  const recipes = st.recipes.map((r) => {
    const b = c.button(r.label, `Initialize every layer's weights with ${r.label}: ${configText(r.initializer)}`,
      "nw-recipe", `recipe:${r.label}`, { "data-recipe": r.label });
    b.addEventListener("click", c.safely(() => c.send("apply_recipe", { label: r.label })));
    return b;
  });
  const lsuv = c.button("LSUV", "LSUV on a batch: orthogonal weights scaled layer by layer to unit variance",
    "nw-lsuv", "lsuv");
  lsuv.addEventListener("click", c.safely(() => c.send("lsuv", {})));

  const resample = c.button("Resample", "Draw every parameter again from a new seed", "nw-resample", "resample");
  resample.addEventListener("click", c.safely(() => c.send("resample", {})));

  const label = h("input", {
    type: "text",
    class: "nw-input",
    "data-testid": "nw-pin-label",
    "data-key": "pin-label",
    "aria-label": "Label of the next pin (optional)",
    placeholder: "label",
    size: 7,
    autocomplete: "off",
  });
  label.value = c.drafts.get("pin-label") ?? "";
  label.addEventListener("input", () => c.drafts.set("pin-label", label.value));
  const pin = () => {
    c.drafts.delete("pin-label");
    c.send("pin", label.value.trim() === "" ? {} : { label: label.value });
  };
  c.onEnter(label, pin);
  const pinButton = c.button("Pin", "Pin the signal through depth as a reference line", "nw-pin", "pin");
  pinButton.addEventListener("click", c.safely(pin));
  const pins = st.pins.map((p) => {
    const unpin = c.button("✕", `Unpin ${p}`, "nw-unpin", `unpin:${p}`, { class: "nw-btn nw-chip-btn" });
    unpin.addEventListener("click", c.safely(() => c.send("unpin", { label: p })));
    return h("span", { class: "nw-chip", "data-testid": "nw-pin-chip", "data-pin": p }, [
      h("span", { class: "nw-chip-text", text: p }),
      unpin,
    ]);
  });

  const held = st.y_range;
  const source = h(
    "select",
    {
      class: "nw-select",
      "data-testid": "nw-inputs",
      "data-key": "inputs",
      "aria-label": "Inputs of the statistics, the Jacobian and LSUV",
      title: st.inputs.choices.length > 1 ? "" : "The digits need a network that takes 64 values",
      disabled: st.inputs.choices.length < 2,
    },
    st.inputs.choices.map((s) => h("option", { value: s, text: SOURCES[s] ?? s })),
  );
  source.value = st.inputs.source;
  source.addEventListener("change", c.safely(() => c.send("set_inputs", { source: source.value })));

  return [
    h("div", { class: "nw-tool-group", role: "group", "aria-label": "Initialize every layer" }, [
      h("span", { class: "nw-muted", text: "every layer" }),
      ...recipes,
      lsuv,
    ]),
    h("div", { class: "nw-tool-group", role: "group", "aria-label": "Seed" }, [
      h("span", { class: "nw-muted", text: "seed" }),
      h("span", { class: "nw-seed", "data-testid": "nw-seed", text: String(st.seed) }),
      resample,
    ]),
    h("div", { class: "nw-tool-group", role: "group", "aria-label": "Pins" }, [pinButton, label, ...pins]),
    h("div", { class: "nw-tool-group", role: "group", "aria-label": "Depth chart and theory" }, [
      checkbox(c, {
        text: "hold y range",
        label: held ? `Std axis held at ${held[0]} to ${held[1]}` : "Hold the depth chart's std axis where it is",
        testid: "nw-hold-range",
        key: "hold-range",
        checked: held !== null,
        onChange: (hold) => c.send("hold_range", { hold }),
      }),
      checkbox(c, {
        text: "theory",
        label: "Show the phase diagram and the Jacobian spectrum",
        testid: "nw-theory",
        key: "theory",
        checked: st.theory,
        onChange: (show) => c.send("show_theory", { show }),
      }),
      h("label", { class: "nw-field" }, [h("span", { class: "nw-muted", text: "inputs" }), source]),
    ]),
  ];
}

/**
 * The Train panel: steps, the pins to compare with, Start and Stop, the progress
 * (filled in by updateTraining).
 * @param {State} st
 * @param {Controls} c
 * @returns {HTMLElement}
 */
export function renderTrain(st, c) {
  const steps = h("input", {
    type: "text",
    class: "nw-input",
    "data-testid": "nw-train-steps",
    "data-key": "train-steps",
    "aria-label": "Training steps",
    size: 5,
    autocomplete: "off",
  });
  steps.value = c.drafts.get("train-steps") ?? "300";
  steps.addEventListener("input", () => c.drafts.set("train-steps", steps.value));
  const compare = st.pins.map((p) => {
    const key = `train-compare:${p}`;
    return checkbox(c, {
      text: p,
      label: `Train the design pinned as ${p} too`,
      testid: "nw-train-compare",
      key,
      checked: c.drafts.get(key) === "1",
      onChange: (checked) => c.drafts.set(key, checked ? "1" : ""),
    });
  });
  const start = () =>
    c.send("train", {
      steps: parseParamValue(steps.value, { name: "steps", default: 300, range: null }),
      compare: st.pins.filter((p) => c.drafts.get(`train-compare:${p}`) === "1"),
    });
  c.onEnter(steps, start);
  const startButton = c.button("Start", "Start training on the digits", "nw-train-start", "train-start", {
    class: "nw-btn nw-btn-primary",
  });
  startButton.addEventListener("click", c.safely(start));
  const stop = c.button("Stop", "Stop training (the curves so far are kept)", "nw-train-stop", "train-stop");
  stop.addEventListener("click", c.safely(() => c.send("stop_training", {})));
  return h("div", { class: "nw-train", "data-testid": "nw-train", role: "group", "aria-label": "Train" }, [
    h("div", { class: "nw-row" }, [
      h("span", { class: "nw-section-title", text: "Train" }),
      h("label", { class: "nw-field" }, [h("span", { class: "nw-muted", text: "steps" }), steps]),
      compare.length ? h("span", { class: "nw-muted", text: "compare with" }) : null,
      ...compare,
      startButton,
      stop,
    ]),
    h("div", { class: "nw-row", role: "status" }, [
      h("progress", { class: "nw-progress-bar", "data-testid": "nw-train-progress", max: "1", "aria-label": "Training progress" }),
      h("span", { class: "nw-muted", "data-testid": "nw-train-status" }),
    ]),
    h("p", { class: "nw-notice", "data-testid": "nw-train-notice", role: "alert", hidden: true }),
  ]);
}

/**
 * Show the `training` traitlet in the Train panel under `root`: the progress over every
 * run, what runs now or how the last run ended; Start while idle, Stop while running.
 * @param {ParentNode} root
 * @param {Partial<TrainingStatus> | undefined} training
 */
export function updateTraining(root, training) {
  const t = { running: false, label: null, step: 0, steps: 0, labels: [], message: "", ...training };
  const bar = /** @type {HTMLProgressElement | null} */ (byAttr(root, "data-testid", "nw-train-progress"));
  const status = byAttr(root, "data-testid", "nw-train-status");
  const start = /** @type {HTMLButtonElement | null} */ (byAttr(root, "data-testid", "nw-train-start"));
  const stop = /** @type {HTMLButtonElement | null} */ (byAttr(root, "data-testid", "nw-train-stop"));
  if (!bar || !status || !start || !stop) return;
  const runs = Math.max(1, t.labels.length);
  const run = Math.max(0, t.labels.indexOf(t.label ?? ""));
  const done = t.steps > 0 ? (run * t.steps + t.step) / (runs * t.steps) : 0;
  bar.value = done;
  bar.hidden = !t.running && t.step === 0;
  bar.setAttribute("aria-valuetext", `${Math.round(bar.value * 100)}%`);
  const where = t.running && t.label !== null
    ? `: step ${t.step} of ${t.steps}${runs > 1 ? ` (run ${run + 1} of ${runs})` : ""}`
    : "";
  status.textContent = `${t.message}${where}`;
  start.disabled = t.running;
  stop.disabled = !t.running;
}

/**
 * The log of the last LSUV edit, one row per layer (null when there is none).
 * @param {State} st
 * @returns {HTMLElement | null}
 */
export function renderLsuvLog(st) {
  if (st.lsuv_log.length === 0) return null;
  const cell = (/** @type {string} */ text, /** @type {string} */ cls = "") => h("td", { class: cls, text });
  return h("table", { class: "nw-lsuv", "data-testid": "nw-lsuv-log" }, [
    h("caption", { class: "nw-section-title", text: "LSUV on a batch" }),
    h("thead", {}, [
      h("tr", {}, ["layer", "iterations", "Var(z)", "converged", "note"].map((t) => h("th", { scope: "col", text: t }))),
    ]),
    h(
      "tbody",
      {},
      st.lsuv_log.map((r) =>
        h("tr", { "data-layer": r.layer }, [
          cell(r.layer, "nw-name"),
          cell(String(r.iterations)),
          cell(r.variance === null ? "—" : r.variance.toPrecision(3)),
          cell(r.converged ? "yes" : "no", r.converged ? "" : "nw-warn"),
          cell(r.note, "nw-muted"),
        ]),
      ),
    ),
  ]);
}

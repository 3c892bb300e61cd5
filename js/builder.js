// Entry point of the bundle: the anywidget front end of NetworkBuilder.
import "./builder.css";
import { createBuilder } from "./app.js";
import { createCodeEditor, rootOf } from "./editor.js";

/** @typedef {import("./types.js").Model} Model */

/**
 * anywidget's render hook.
 * @param {{model: Model, el: HTMLElement}} context
 * @returns {() => void} cleanup
 */
function render({ model, el }) {
  // Editors are made when a card is selected, when `el` is in the page: in its shadow root in marimo.
  return createBuilder({ model, el, createEditor: (options) => createCodeEditor({ ...options, root: rootOf(el) }) });
}

export default { render };

// Entry point of the bundle: the anywidget front end of NetworkBuilder.
import "./builder.css";
import { createBuilder } from "./app.js";
import { createCodeEditor } from "./editor.js";

/** @typedef {import("./types.js").Model} Model */

/**
 * anywidget's render hook.
 * @param {{model: Model, el: HTMLElement}} context
 * @returns {() => void} cleanup
 */
function render({ model, el }) {
  return createBuilder({ model, el, createEditor: createCodeEditor });
}

export default { render };

// The CodeMirror 6 editor used for custom initializer code.

import { EditorView, minimalSetup } from "codemirror";
import { EditorState } from "@codemirror/state";
import { lineNumbers } from "@codemirror/view";
import { python } from "@codemirror/lang-python";
import {
  HighlightStyle,
  bracketMatching,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
import { tags as t } from "@lezer/highlight";

/** @typedef {import("./types.js").EditorHandle} EditorHandle */
/** @typedef {import("./types.js").EditorOptions} EditorOptions */

// Colours from JupyterLab's editor theme variables, so dark themes work.
const jupyterHighlight = HighlightStyle.define([
  { tag: t.keyword, color: "var(--jp-mirror-editor-keyword-color, #008000)", fontWeight: "bold" },
  { tag: [t.definition(t.variableName), t.function(t.variableName), t.className],
    color: "var(--jp-mirror-editor-def-color, #0000ff)" },
  { tag: [t.propertyName, t.attributeName], color: "var(--jp-mirror-editor-property-color, #0055aa)" },
  { tag: t.variableName, color: "var(--jp-mirror-editor-variable-color, #212121)" },
  { tag: [t.number, t.bool, t.null, t.atom], color: "var(--jp-mirror-editor-number-color, #008800)" },
  { tag: [t.string, t.special(t.string)], color: "var(--jp-mirror-editor-string-color, #ba2121)" },
  { tag: t.comment, color: "var(--jp-mirror-editor-comment-color, #408080)", fontStyle: "italic" },
  { tag: [t.operator, t.operatorKeyword], color: "var(--jp-mirror-editor-operator-color, #aa22ff)" },
  { tag: t.meta, color: "var(--jp-mirror-editor-meta-color, #aa22ff)" },
  { tag: t.bracket, color: "var(--jp-mirror-editor-bracket-color, #999977)" },
  { tag: t.invalid, color: "var(--jp-mirror-editor-error-color, #ff0000)" },
]);

/**
 * The document or shadow root that `node` is in, for CodeMirror's `root` option: in a
 * shadow root (marimo renders widgets in one) CodeMirror must mount its styles there
 * and read the selection from it, or it has no styles and scrambles typed text.
 * `undefined` for a detached node (CodeMirror then uses `document`).
 * @param {Node} node
 * @returns {Document | ShadowRoot | undefined}
 */
export function rootOf(node) {
  const root = node.getRootNode();
  return root instanceof Document || root instanceof ShadowRoot ? root : undefined;
}

/**
 * Create a Python editor. Tab is left to focus navigation (keyboard users can
 * leave the editor); Enter keeps the indentation, one level is 4 spaces (PEP 8, as in
 * the template), Ctrl+] / Ctrl+[ indent.
 * @param {EditorOptions} options
 * @returns {EditorHandle}
 */
export function createCodeEditor({ doc, readOnly, label, onChange, root }) {
  const view = new EditorView({
    root,
    state: EditorState.create({
      doc,
      extensions: [
        minimalSetup,
        lineNumbers(),
        indentOnInput(),
        bracketMatching(),
        python(),
        indentUnit.of("    "),
        syntaxHighlighting(jupyterHighlight),
        EditorState.readOnly.of(readOnly),
        EditorView.contentAttributes.of({ "aria-label": label }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange?.();
        }),
      ],
    }),
  });
  return {
    dom: view.dom,
    getText: () => view.state.doc.toString(),
    setText: (text) =>
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}

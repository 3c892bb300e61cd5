// Shared JSDoc types: the synced traitlets (generated from the state schema) and the
// small part of the anywidget model API we use.

// The published state: generated from neuwidgets/widgets/state.schema.json, its one
// definition (`npm run types` writes js/state.d.ts; Python checks what it publishes).
/** @typedef {import("./state").State} State */
/** @typedef {import("./state").Layer} Layer */
/** @typedef {import("./state").Parameter} Parameter */
/** @typedef {import("./state").FieldValue} FieldValue */
/** @typedef {import("./state").FieldInfo} FieldInfo */
/** @typedef {import("./state").KindInfo} KindInfo */
/** @typedef {import("./state").InitializerInfo} InitializerInfo */
/** @typedef {import("./state").InitParam} InitParamSpec */
/** @typedef {import("./state").StateError} StateError */
/** @typedef {import("./state").Notice} Notice */

/**
 * @typedef {(...args: any[]) => void} Callback
 */

/**
 * @typedef {object} Model  The part of anywidget's model interface the builder uses.
 * @property {(name: string) => any} get
 * @property {(name: string, value: any) => void} set
 * @property {(event: string, callback: Callback) => void} on
 * @property {(event?: string | null, callback?: Callback | null) => void} off
 * @property {(content: any, callbacks?: any, buffers?: any) => void} send
 * @property {() => void} save_changes
 */

/**
 * @typedef {object} EditMessage  What the front end sends for every edit.
 * @property {"edit"} type
 * @property {number} seq
 * @property {string} op
 * @property {Record<string, unknown>} args
 */

/**
 * @typedef {object} EditorHandle  A code editor, as the builder sees it.
 * @property {HTMLElement} dom
 * @property {() => string} getText
 * @property {(text: string) => void} setText
 * @property {() => void} focus
 * @property {() => void} destroy
 */

/**
 * @typedef {object} EditorOptions
 * @property {string} doc
 * @property {boolean} readOnly
 * @property {string} label  accessible label of the editing area
 * @property {() => void} [onChange]  called after each change of the text
 * @property {Document | ShadowRoot} [root]  where the editor is shown (default: `document`)
 */

/**
 * @typedef {(options: EditorOptions) => EditorHandle} EditorFactory
 */

export {};

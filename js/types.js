// Shared JSDoc types: the shapes of the synced traitlets described in
// docs/protocol.md, and the small part of the anywidget model API we use.

/**
 * @typedef {object} InitParamSpec  One parameter of an initializer, with its default.
 * @property {string} name
 * @property {unknown} default
 */

/**
 * @typedef {object} InitializerInfo  An entry of `state.initializers`.
 * @property {string} name
 * @property {string | null} formula
 * @property {boolean} custom
 * @property {string | null} code
 * @property {InitParamSpec[]} params
 */

/**
 * @typedef {object} InitializerRef  The initializer a parameter uses.
 * @property {string} name
 * @property {Record<string, unknown>} params
 */

/**
 * @typedef {object} Parameter  A parameter (weight, bias) of a layer.
 * @property {string} name
 * @property {number[] | null} shape
 * @property {InitializerRef | null} initializer
 * @property {string} label
 * @property {string | null} formula
 * @property {number | null} expected_std
 * @property {string | null} variable
 * @property {string | null} link
 * @property {boolean} transpose  the linked weight is used transposed
 * @property {string | null} link_error
 * @property {string[]} shared_with
 * @property {string | null} code
 * @property {boolean} trusted
 * @property {string | null} error
 */

/**
 * @typedef {object} Layer
 * @property {string} name
 * @property {string} kind
 * @property {number[] | null} shape
 * @property {number | string | null} n_units
 * @property {string} output_shape
 * @property {number} n_parameters  parameters of the variables this layer owns
 * @property {number} n_shared  parameters of variables it uses that another layer owns (0 when none)
 * @property {Record<string, unknown>} options
 * @property {Parameter[]} parameters
 */

/**
 * @typedef {object} KindInfo
 * @property {string} kind
 * @property {Record<string, unknown>} options
 */

/**
 * @typedef {object} StateError
 * @property {string | null} layer
 * @property {string | null} parameter
 * @property {string} message
 */

/**
 * @typedef {object} State  The `state` traitlet.
 * @property {Layer[]} layers
 * @property {number} n_parameters
 * @property {string} input_shape
 * @property {string} output_shape
 * @property {KindInfo[]} kinds
 * @property {InitializerInfo[]} initializers
 * @property {StateError[]} errors
 * @property {boolean} can_undo
 * @property {boolean} can_redo
 */

/**
 * @typedef {object} Notice  The `notice` traitlet: Python's answer to the last edit.
 * @property {number | null} seq
 * @property {boolean} ok
 * @property {string | null} op
 * @property {string | null} layer
 * @property {string | null} parameter
 * @property {string} message
 */

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
 */

/**
 * @typedef {(options: EditorOptions) => EditorHandle} EditorFactory
 */

export {};

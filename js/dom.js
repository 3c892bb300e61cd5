// A tiny element builder. Text is always added as text nodes or attribute
// values, never parsed as HTML.

/**
 * @typedef {string | number | boolean | null | undefined} AttrValue
 * @typedef {Node | string | null | undefined | false} Child
 */

/**
 * Create an element. `class` sets the class name, `text` the text content;
 * `true` adds an empty attribute, `false`/null/undefined leave it out.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, AttrValue>} [attrs]
 * @param {Child[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = String(value);
    else if (name === "text") el.textContent = String(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}

/**
 * Find the element under `root` whose `name` attribute equals `value`
 * (without building a selector from the value).
 * @param {ParentNode} root
 * @param {string} name
 * @param {string} value
 * @returns {HTMLElement | null}
 */
export function byAttr(root, name, value) {
  for (const el of root.querySelectorAll(`[${name}]`)) {
    if (el.getAttribute(name) === value) return /** @type {HTMLElement} */ (el);
  }
  return null;
}

/**
 * Append children to `parent`, skipping null/undefined/false.
 * @param {Element} parent
 * @param {Child[]} children
 */
export function add(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child);
  }
}

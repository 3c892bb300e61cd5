import { describe, expect, it } from "vitest";
import { EditorView } from "@codemirror/view";
import { createCodeEditor, rootOf } from "./editor.js";
import { TEMPLATE } from "./view.js";
import { inShadowRoot } from "./fixtures.js";

describe("createCodeEditor (CodeMirror in jsdom)", () => {
  it("holds, replaces and reports text", () => {
    const ed = createCodeEditor({ doc: "x = 1\n", readOnly: false, label: "Code" });
    document.body.append(ed.dom);
    expect(ed.getText()).toBe("x = 1\n");
    expect(ed.dom.classList.contains("cm-editor")).toBe(true);
    expect(ed.dom.querySelector(".cm-content")?.getAttribute("aria-label")).toBe("Code");
    ed.setText("y = 2");
    expect(ed.getText()).toBe("y = 2");
    ed.destroy();
    ed.dom.remove();
  });

  it("reports changes of its text", () => {
    let changes = 0;
    const ed = createCodeEditor({ doc: "a", readOnly: false, label: "Code", onChange: () => changes++ });
    document.body.append(ed.dom);
    expect(changes).toBe(0);
    ed.setText("b");
    expect(changes).toBe(1);
    ed.destroy();
    ed.dom.remove();
  });

  it("can be read-only", () => {
    const ed = createCodeEditor({ doc: "<script>alert(1)</script>", readOnly: true, label: "Code" });
    document.body.append(ed.dom);
    expect(ed.dom.querySelector(".cm-content")?.getAttribute("aria-readonly")).toBe("true");
    expect(ed.dom.querySelector("script")).toBeNull();
    expect(ed.dom.textContent).toContain("<script>alert(1)</script>");
    ed.destroy();
    ed.dom.remove();
  });

  it("indents a new line after the template's method by 4 more spaces, as the template does", () => {
    const ed = createCodeEditor({ doc: TEMPLATE.split("\n").slice(0, 2).join("\n"), readOnly: false, label: "Code" });
    document.body.append(ed.dom);
    const view = /** @type {EditorView} */ (EditorView.findFromDOM(ed.dom));
    view.dispatch({ selection: { anchor: view.state.doc.length } }); // after "    def sample(self, shape):"
    const enter = new KeyboardEvent("keydown", { key: "Enter", keyCode: 13, bubbles: true, cancelable: true });
    view.contentDOM.dispatchEvent(enter);
    expect(enter.defaultPrevented).toBe(true);
    const lines = ed.getText().split("\n");
    expect(lines).toEqual(["class MyInit(init.Initializer):", "    def sample(self, shape):", " ".repeat(8)]);
    expect(view.state.selection.main.head).toBe(ed.getText().length);
    ed.destroy();
    ed.dom.remove();
  });

  it("mounts its styles in the shadow root it is shown in", () => {
    const { shadow, el } = inShadowRoot();
    expect(rootOf(el)).toBe(shadow);
    expect(rootOf(shadow.host)).toBe(document);
    expect(rootOf(document.createElement("div"))).toBeUndefined();
    const ed = createCodeEditor({ doc: "x = 1", readOnly: false, label: "Code", root: rootOf(el) });
    el.append(ed.dom);
    const view = /** @type {EditorView} */ (EditorView.findFromDOM(ed.dom));
    expect(view.root).toBe(shadow);
    // jsdom has no adoptedStyleSheets: style-mod falls back to a <style> element
    const css = [...shadow.querySelectorAll("style")].map((style) => style.textContent).join("\n");
    expect(css).toMatch(/\.cm-gutters \{[^}]*display: flex/);
    expect(css).toMatch(/\.cm-cursorLayer[^{]*\{[^}]*animation/);
    ed.destroy();
    shadow.host.remove();
  });
});

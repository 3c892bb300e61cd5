import { describe, expect, it } from "vitest";
import { createCodeEditor } from "./editor.js";

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
});

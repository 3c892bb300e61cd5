import { describe, expect, it } from "vitest";
import * as V from "./view.js";
import { PUBLISHED, sampleState } from "./fixtures.js";

describe("currentState and currentNotice", () => {
  it("is the empty state before Python published one, the published state after", () => {
    expect(V.currentState(undefined)).toBe(V.EMPTY_STATE);
    expect(V.currentState({})).toBe(V.EMPTY_STATE);
    const raw = sampleState();
    const s = V.currentState(raw);
    expect(s).toBe(raw);
    expect(s.layers.map((l) => l.name)).toEqual(["input-1", "sigmoid-1", "sigmoid-2", "relu-1"]);
    expect(s.layers[1].parameters[0].initializer).toEqual({ name: "HeNormal", params: { gain: 1.0, seed: null } });
    expect(s.initializers.find((i) => i.name === "MyInit")?.custom).toBe(true);
    expect(V.currentNotice({})).toBeNull();
    expect(V.currentNotice(PUBLISHED["refused units"].notice)?.ok).toBe(false);
  });

  it("knows the kinds, their fields and which layer starts the network only from the state", () => {
    const s = V.currentState(PUBLISHED.cnn.state);
    expect(s.layers.filter((l) => l.starts_network).map((l) => l.name)).toEqual(["input-1"]);
    const conv = s.kinds.find((k) => k.kind === "Convolution");
    expect(conv?.fields.map((f) => [f.name, f.type])).toEqual([
      ["size", "integers"], ["padding", "choice"], ["stride", "integers"], ["dilation", "integers"],
    ]);
    expect(V.firstMovableIndex(s)).toBe(1);
    expect(V.linkTargets(s, "convolution-1", "weight")).toEqual(["softmax-1"]); // Python judges the shapes
    expect(V.linkTargets(V.currentState(PUBLISHED.linked.state), "tied", "bias")).toEqual(
      ["sigmoid-1", "sigmoid-2", "relu-1", "twin"],
    );
  });
});

describe("formatting", () => {
  it("shows expected_std with 4 significant digits", () => {
    expect(V.formatStd(0.316227766)).toBe("std ≈ 0.3162");
    expect(V.formatStd(0.3162)).toBe("std ≈ 0.3162");
    expect(V.formatStd(1)).toBe("std ≈ 1.000");
    expect(V.formatStd(null)).toBe("");
  });

  it("formats counts, shapes, values and errors", () => {
    expect(V.formatCount(1265)).toBe("1,265");
    expect(V.formatValue(null)).toBe("");
    expect(V.formatValue(1)).toBe("1");
    expect(V.formatValue("x")).toBe("x");
    const error = PUBLISHED["broken link"].state.errors[0];
    expect(V.errorText(error)).toBe(`tied.bias: ${error.message}`);
    expect(V.errorText({ ...error, parameter: null })).toBe(`tied: ${error.message}`);
    expect(V.errorText({ ...error, layer: null, parameter: null })).toBe(error.message);
    expect(V.pngSrc(new DataView(new Uint8Array([137, 80, 78, 71]).buffer))).toBe("data:image/png;base64,iVBORw==");
    expect(V.pngSrc(new Uint8Array([1, 2, 3]).buffer)).toBe("data:image/png;base64,AQID");
    expect(V.pngSrc(new DataView(new ArrayBuffer(0)))).toBe("");
    expect(V.pngSrc("AAA")).toBe("");
    expect(V.pngSrc(undefined)).toBe("");
  });
});

describe("parseParamValue", () => {
  const gain = { name: "gain", default: 1.0, range: null };
  const seed = { name: "seed", default: null, range: null };
  it("sends numbers as numbers", () => {
    expect(V.parseParamValue("2", gain)).toBe(2);
    expect(V.parseParamValue(" 0.5 ", gain)).toBe(0.5);
    expect(V.parseParamValue("1e-3", gain)).toBe(0.001);
    expect(V.parseParamValue("-.5", gain)).toBe(-0.5);
    expect(V.parseParamValue("42", seed)).toBe(42);
  });
  it("sends an empty seed (or optional value) as null", () => {
    expect(V.parseParamValue("", seed)).toBeNull();
    expect(V.parseParamValue("  ", { name: "other", default: null, range: null })).toBeNull();
  });
  it("sends anything else as the raw text", () => {
    expect(V.parseParamValue("abc", gain)).toBe("abc");
    expect(V.parseParamValue("", gain)).toBe("");
    expect(V.parseParamValue("1,5", gain)).toBe("1,5");
    expect(V.parseParamValue("true", { name: "flag", default: false, range: null })).toBe(true);
  });
});

describe("positions", () => {
  const s = V.currentState(sampleState());
  it("adds after the selection or at the end", () => {
    expect(V.addIndex(s, null)).toBeUndefined();
    expect(V.addIndex(s, "sigmoid-1")).toBe(2);
    expect(V.addIndex(s, "input-1")).toBe(1);
    expect(V.addIndex(s, "gone")).toBeUndefined();
  });
  it("moves one step, never before the input nor past the end", () => {
    expect(V.moveIndex(s, "sigmoid-2", -1)).toBe(1);
    expect(V.moveIndex(s, "sigmoid-2", 1)).toBe(3);
    expect(V.moveIndex(s, "sigmoid-1", -1)).toBeNull();
    expect(V.moveIndex(s, "relu-1", 1)).toBeNull();
  });
  it("drops onto a card's position", () => {
    expect(V.dropIndex(s, "relu-1", "sigmoid-1")).toBe(1);
    expect(V.dropIndex(s, "sigmoid-1", "relu-1")).toBe(3);
    expect(V.dropIndex(s, "sigmoid-2", "input-1")).toBe(1);
    expect(V.dropIndex(s, "sigmoid-1", "input-1")).toBeNull();
  });
  it("offers every other layer with that parameter as a link target", () => {
    expect(V.linkTargets(s, "sigmoid-1", "weight")).toEqual(["sigmoid-2", "relu-1"]);
  });
});

describe("keys", () => {
  it("maps history shortcuts", () => {
    expect(V.historyKeyAction({ key: "z", ctrlKey: true })).toBe("undo");
    expect(V.historyKeyAction({ key: "Z", ctrlKey: true, shiftKey: true })).toBe("redo");
    expect(V.historyKeyAction({ key: "y", ctrlKey: true })).toBe("redo");
    expect(V.historyKeyAction({ key: "z", metaKey: true })).toBe("undo");
    expect(V.historyKeyAction({ key: "z" })).toBeNull();
  });
  it("maps card keys", () => {
    expect(V.cardKeyAction({ key: "Enter" })).toBe("select");
    expect(V.cardKeyAction({ key: "Delete" })).toBe("remove");
    expect(V.cardKeyAction({ key: "ArrowUp", altKey: true })).toBe("move-up");
    expect(V.cardKeyAction({ key: "ArrowDown", altKey: true })).toBe("move-down");
    expect(V.cardKeyAction({ key: "ArrowDown" })).toBe("focus-next");
    expect(V.cardKeyAction({ key: "a" })).toBeNull();
  });
  it("knows typing targets", () => {
    expect(V.isTypingTarget(document.createElement("input"))).toBe(true);
    expect(V.isTypingTarget(document.createElement("button"))).toBe(false);
    const cm = document.createElement("div");
    cm.className = "cm-editor";
    const inner = document.createElement("div");
    cm.append(inner);
    expect(V.isTypingTarget(inner)).toBe(true);
    expect(V.isTypingTarget(null)).toBe(false);
  });
});

describe("initializer fields and notices", () => {
  const s = V.currentState(sampleState());
  const weight = s.layers[1].parameters[0];
  it("prefills from the current params, else the defaults", () => {
    expect(V.initFields(s, { ...weight, initializer: { name: "HeNormal", params: { gain: 2, seed: 7 } } }, "HeNormal").map((f) => f.value)).toEqual(["2", "7"]);
    expect(V.initFields(s, weight, "Normal").map((f) => [f.spec.name, f.value])).toEqual([
      ["mean", "0"],
      ["std", "0.01"],
      ["seed", ""],
    ]);
  });
  it("chooses Custom… for parameters with code", () => {
    expect(V.currentChoice(weight)).toBe("HeNormal");
    expect(V.currentChoice({ ...weight, code: "class A: pass" })).toBe(V.CUSTOM);
  });
  it("places refusals on existing layers, else globally", () => {
    const n = { seq: 1, ok: false, op: "set_field", layer: "sigmoid-1", parameter: null, message: "no" };
    expect(V.refusal(n, s)).toEqual({ layer: "sigmoid-1", parameter: null, message: "no" });
    expect(V.refusal({ ...n, layer: "gone" }, s)?.layer).toBeNull();
    expect(V.refusal({ ...n, ok: true }, s)).toBeNull();
    expect(V.refusal(V.currentNotice({}), s)).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { createDrag, sliderScale } from "./slider.js";

describe("sliderScale", () => {
  it("moves a log slider in decades and sends 3 significant digits within the range", () => {
    const std = sliderScale({ min: 1e-4, max: 10, log: true });
    expect([std.min, std.max, std.step]).toEqual([-4, 1, 0.01]);
    expect(std.toPosition(0.01)).toBe(-2);
    expect(std.toValue(-2)).toBe(0.01);
    expect(std.toValue(-0.5)).toBe(0.316);
    expect(std.toValue(-0.3)).toBe(0.501);
    expect(std.toValue(1)).toBe(10);
    expect(std.toValue(-4)).toBe(1e-4);
    expect(std.toPosition(0)).toBe(-4); // no log of 0: the left end
    expect(std.toPosition(100)).toBe(1);
  });

  it("moves a linear slider in 200 steps and sends the step's decimals, without float noise", () => {
    const mean = sliderScale({ min: -1, max: 1, log: false });
    expect([mean.min, mean.max, mean.step]).toEqual([-1, 1, 0.01]);
    expect(mean.toValue(-1 + 137 * 0.01)).toBe(0.37);
    expect(mean.toValue(-1 + 100 * 0.01)).toBe(0);
    expect(mean.toPosition(3)).toBe(1);
    const minval = sliderScale({ min: -2, max: 2, log: false });
    expect(minval.step).toBe(0.02);
    expect(minval.toValue(-2 + 61 * 0.02)).toBe(-0.78);
  });
});

describe("createDrag: the send policy of a drag", () => {
  /** A fake sender: records [value, preview] and answers with increasing seqs. */
  function sender() {
    /** @type {[number, boolean][]} */
    const sent = [];
    return { sent, send: (/** @type {number} */ value, /** @type {boolean} */ preview) => sent.push([value, preview]) };
  }

  it("sends a preview, then only the newest value once the notice of the last one came back", () => {
    const { sent, send } = sender();
    const drag = createDrag(send);
    drag.move(0.1);
    drag.move(0.2);
    drag.move(0.3); // 0.2 is stale: never sent
    expect(sent).toEqual([[0.1, true]]);
    drag.answered(0); // an older notice
    expect(sent).toHaveLength(1);
    drag.answered(1);
    expect(sent).toEqual([[0.1, true], [0.3, true]]);
    drag.answered(2); // nothing waits
    expect(sent).toHaveLength(2);
    drag.move(0.4);
    expect(sent).toEqual([[0.1, true], [0.3, true], [0.4, true]]);
    drag.move(0.5);
    expect(drag.release(0.6, true)).toBe(true); // the release does not wait for a notice
    expect(sent).toEqual([[0.1, true], [0.3, true], [0.4, true], [0.6, false]]);
    drag.answered(3);
    drag.move(0.7);
    expect(drag.release(0.7, true)).toBe(false);
    expect(sent).toHaveLength(4); // a released drag sends nothing more
  });

  it("sends nothing for a release where nothing moved, the final value where a preview went", () => {
    const idle = sender();
    expect(createDrag(idle.send).release(0.5, false)).toBe(false);
    expect(idle.sent).toEqual([]);
    const back = sender();
    const drag = createDrag(back.send);
    drag.move(0.2);
    expect(drag.release(0.5, false)).toBe(true); // back where it started: the previews still settle
    expect(back.sent).toEqual([[0.2, true], [0.5, false]]);
  });
});

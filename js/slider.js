// Sliders of initializer parameters (docs/protocol.md, "Sliders: previews"): the scale
// between a range input's position and the parameter's value, and the send policy of a
// drag. No DOM access here.

/** @typedef {import("./state").SliderRange} SliderRange */

/** Step of a logarithmic slider's position, in decades (about 2.3 % a step). */
const LOG_STEP = 0.01;
/** Steps of a linear slider from its min to its max. */
const LINEAR_STEPS = 200;

/**
 * @param {number} x
 * @param {number} low
 * @param {number} high
 */
const clamp = (x, low, high) => Math.min(high, Math.max(low, x));

/**
 * @typedef {object} SliderScale  The attributes of a range input and its mapping.
 * @property {number} min  of the position
 * @property {number} max
 * @property {number} step
 * @property {(value: number) => number} toPosition  a value's position (clamped to the range)
 * @property {(position: number) => number} toValue  the value at a position: the number
 *   sent and shown (3 significant digits on a log scale, the step's decimals on a linear
 *   one), within the range
 */

/**
 * The slider of a parameter with `range` (Initializer.ranges): a log slider moves
 * geometrically (its position is log10 of the value).
 * @param {SliderRange} range
 * @returns {SliderScale}
 */
export function sliderScale(range) {
  if (range.log) {
    const min = Math.log10(range.min);
    const max = Math.log10(range.max);
    return {
      min,
      max,
      step: LOG_STEP,
      toPosition: (value) => (value > 0 ? clamp(Math.log10(value), min, max) : min),
      toValue: (position) => clamp(Number((10 ** position).toPrecision(3)), range.min, range.max),
    };
  }
  const step = (range.max - range.min) / LINEAR_STEPS;
  const decimals = Math.max(0, 1 - Math.floor(Math.log10(step)));
  return {
    min: range.min,
    max: range.max,
    step,
    toPosition: (value) => clamp(value, range.min, range.max),
    toValue: (position) => clamp(Number(position.toFixed(decimals)) || 0, range.min, range.max),
  };
}

/**
 * @template T
 * @typedef {object} Drag  One drag of a slider.
 * @property {(value: T) => void} move  the slider moved to `value`
 * @property {(seq: number) => void} answered  Python answered the edit `seq` (its notice came)
 * @property {(value: T, changed: boolean) => boolean} release  the slider was let go at `value`
 *   (`changed`: the value differs from where the drag started): sends the final edit when
 *   anything was sent or changed; returns whether it sent one. Later calls do nothing.
 */

/**
 * The send policy of a slider drag: a preview goes only once the notice of the one
 * before it came back, with the newest value (never a queue of stale values); the
 * release sends the final value (`preview` false), which Python makes one undoable edit.
 * @template T
 * @param {(value: T, preview: boolean) => number} send  sends an edit, returns its seq
 * @returns {Drag<T>}
 */
export function createDrag(send) {
  /** @type {number | null} */
  let inFlight = null;
  /** @type {{value: T} | null} the newest value not sent yet */
  let waiting = null;
  let sent = 0;
  let done = false;
  /** @param {T} value */
  const preview = (value) => {
    inFlight = send(value, true);
    sent += 1;
  };
  return {
    move(value) {
      if (done) return;
      if (inFlight === null) preview(value);
      else waiting = { value };
    },
    answered(seq) {
      if (done || inFlight === null || seq < inFlight) return;
      inFlight = null;
      if (waiting !== null) {
        const { value } = waiting;
        waiting = null;
        preview(value);
      }
    },
    release(value, changed) {
      if (done) return false;
      done = true;
      waiting = null;
      if (sent === 0 && !changed) return false;
      send(value, false);
      return true;
    },
  };
}

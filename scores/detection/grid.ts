/**
 * The AIOps Challenge 2018 evaluation grid (iopsai/iops evaluation/evaluation.py,
 * `reconstruct_label`): each series is put on a regular grid whose step is its smallest positive
 * time step; a point at time t goes to slot floor((t - t0) / step); every slot without a point is
 * labelled 0 and never alarmed. Nothing is filled, so a missing slot splits a labelled segment in two.
 *
 * The grid is kept sparse (the slot of each point, and the slot count): every figure is computed
 * in one pass over the points, so a long gap costs nothing.
 *
 * Repeated timestamps: the official script divides by a zero step on them. Here points at most
 * GRID_REPEAT_MS apart share a slot (labels and alarms OR-ed); faultline's series readers keep a
 * repeated row by moving it 1 ms after the previous one (data/series-csv.ts), so such a pair is one
 * instant. A grid that would still be absurdly large for its points (GRID_MAX_SLOTS_PER_POINT) is
 * refused with an error naming the series, instead of producing a meaningless figure.
 */

/** Timestamps at most this far apart (ms) are one instant on the grid. */
export const GRID_REPEAT_MS = 1;
/** Sanity bound: a grid may have at most this many slots per point (and at least 10^6 slots). */
export const GRID_MAX_SLOTS_PER_POINT = 1000;

export interface AiopsGrid {
  /** Grid slot of each point (non-decreasing). */
  slot: Float64Array;
  /** Number of slots, from the first point's slot 0 to the last point's slot. */
  slots: number;
  /** Grid step in ms (NaN when the series has fewer than two distinct instants). */
  step: number;
}

/** The grid of a time-ordered series; `id` names it in errors. */
export function aiopsGrid(timestamps: Float64Array, id = 'series'): AiopsGrid {
  const n = timestamps.length;
  const slot = new Float64Array(n);
  if (n === 0) return { slot, slots: 0, step: NaN };
  // Instants: a point within GRID_REPEAT_MS of the previous one belongs to the previous instant,
  // timed by the instant's first point; the step is the smallest gap between instants.
  const instant = new Float64Array(n);
  instant[0] = timestamps[0];
  let step = Infinity;
  for (let i = 1; i < n; i++) {
    const d = timestamps[i] - timestamps[i - 1];
    if (d < 0 || Number.isNaN(d)) throw new Error(`${id}: timestamps must be in time order to be put on the scoring grid (point ${i})`);
    if (d <= GRID_REPEAT_MS) instant[i] = instant[i - 1];
    else {
      instant[i] = timestamps[i];
      step = Math.min(step, timestamps[i] - instant[i - 1]);
    }
  }
  if (step === Infinity) return { slot, slots: 1, step: NaN };
  const t0 = instant[0];
  for (let i = 1; i < n; i++) slot[i] = Math.floor((instant[i] - t0) / step);
  const slots = slot[n - 1] + 1;
  if (slots > Math.max(1e6, GRID_MAX_SLOTS_PER_POINT * n)) {
    throw new Error(
      `${id}: the scoring grid at the smallest time step (${step} ms) would have ${slots} slots for ${n} points; ` +
        'the series is too irregular for point adjustment (are nearly repeated timestamps a few ms apart?)',
    );
  }
  return { slot, slots, step };
}

/**
 * Labels and alarms put on a regular grid (the series' median step), as the AIOps Challenge 2018
 * evaluation does before point adjustment, so a delay of k points means k sampling steps even when
 * points are missing. A missing slot inside an anomaly segment (labelled points on both sides) is
 * labelled 1 with no alarm; elsewhere it is a normal point with no alarm. Points sharing a slot are
 * OR-ed. The layout (slots and labels) is computed once and reused for many alarm vectors.
 */
import { medianStep } from '../../data/sampling.js';

export interface GridLayout {
  /** Grid slot of each point. */
  slots: Int32Array;
  labels: Uint8Array;
  step: number;
}

export interface Grid {
  labels: Uint8Array;
  alarms: Uint8Array;
  step: number;
}

export function gridLayout(timestamps: Float64Array, labels: Uint8Array): GridLayout {
  const n = timestamps.length;
  const step = medianStep(timestamps);
  if (n === 0) return { slots: new Int32Array(0), labels: new Uint8Array(0), step };
  const t0 = timestamps[0];
  const size = Math.round((timestamps[n - 1] - t0) / step) + 1;
  const slots = new Int32Array(n);
  const gl = new Uint8Array(size);
  const present = new Uint8Array(size);
  for (let i = 0; i < n; i++) {
    const slot = Math.round((timestamps[i] - t0) / step);
    slots[i] = slot;
    present[slot] = 1;
    if (labels[i]) gl[slot] = 1;
  }
  // Fill gaps: labelled only when both the previous and the next present slot are labelled.
  let prevLabel = 0;
  for (let s = 0; s < size; s++) {
    if (present[s]) {
      prevLabel = gl[s];
      continue;
    }
    if (!prevLabel) continue;
    let e = s;
    while (!present[e]) e++; // the last slot is always present
    if (gl[e]) gl.fill(1, s, e);
    s = e - 1;
  }
  return { slots, labels: gl, step };
}

export function gridAlarms(layout: GridLayout, alarms: Uint8Array): Uint8Array {
  const ga = new Uint8Array(layout.labels.length);
  for (let i = 0; i < alarms.length; i++) if (alarms[i]) ga[layout.slots[i]] = 1;
  return ga;
}

export function toRegularGrid(timestamps: Float64Array, labels: Uint8Array, alarms: Uint8Array): Grid {
  const layout = gridLayout(timestamps, labels);
  return { labels: layout.labels, alarms: gridAlarms(layout, alarms), step: layout.step };
}

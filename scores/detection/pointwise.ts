/** Point-wise confusion counts: every point is judged on its own. */
import type { Counts } from './confusion.js';

export function pointwiseCounts(labels: Uint8Array, alarms: Uint8Array): Counts {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    if (alarms[i]) {
      if (labels[i]) tp++;
      else fp++;
    } else if (labels[i]) fn++;
  }
  return { tp, fp, fn };
}

/**
 * Point-adjusted counts with a maximum delay (AIOps Challenge 2018): for each anomaly segment, if an
 * alarm falls within its first delay + 1 points the whole segment counts as detected (all TP), else
 * the whole segment is missed (all FN), even if an alarm comes later. Points outside segments count
 * one by one (an alarm is an FP). Run it on a regular grid (grid.ts).
 */
import type { Counts } from './confusion.js';

export function pointAdjustedCounts(labels: Uint8Array, alarms: Uint8Array, delay: number): Counts {
  const n = labels.length;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let i = 0;
  while (i < n) {
    if (!labels[i]) {
      if (alarms[i]) fp++;
      i++;
      continue;
    }
    let e = i;
    while (e + 1 < n && labels[e + 1]) e++;
    const last = Math.min(e, i + delay);
    let hit = false;
    for (let j = i; j <= last && !hit; j++) if (alarms[j]) hit = true;
    if (hit) tp += e - i + 1;
    else fn += e - i + 1;
    i = e + 1;
  }
  return { tp, fp, fn };
}

/**
 * Point adjustment with a maximum delay, as the AIOps Challenge 2018 evaluation does it
 * (`get_range_proba`), on the sparse grid of grid.ts: a labelled segment is a run of consecutive
 * labelled slots; if an alarm falls within its first delay + 1 slots, every slot of the segment is
 * a true positive, else every slot is a false negative (a later alarm inside it counts for
 * nothing). Unlabelled slots count one by one (an alarm is a false positive); missing slots are
 * unlabelled and unalarmed. Points sharing a slot are OR-ed. One pass over the points.
 */
import type { Counts } from './confusion.js';
import type { AiopsGrid } from './grid.js';
import { descendingOrder, type ScoreOrder } from './order.js';

export function pointAdjustedCounts(grid: AiopsGrid, labels: Uint8Array, alarms: Uint8Array, delay: number): Counts {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let segStart = -1; // first slot of the open segment, -1 when none
  let segLen = 0;
  let hit = false;
  const close = () => {
    if (segStart < 0) return;
    if (hit) tp += segLen;
    else fn += segLen;
    segStart = -1;
  };
  let prev = -2;
  const n = grid.slot.length;
  let i = 0;
  while (i < n) {
    const s = grid.slot[i];
    let label = 0;
    let alarm = 0;
    for (; i < n && grid.slot[i] === s; i++) {
      label |= labels[i];
      alarm |= alarms[i];
    }
    if (label) {
      if (segStart < 0 || s !== prev + 1) {
        close();
        segStart = s;
        segLen = 0;
        hit = false;
      }
      segLen++;
      if (alarm && s - segStart <= delay) hit = true;
    } else {
      close();
      if (alarm) fp++;
    }
    prev = s;
  }
  close();
  return { tp, fp, fn };
}

/**
 * The grid as weighted items for threshold-free point-adjusted curves: each labelled segment is one
 * positive item weighing its length, scored by the highest score in its first delay + 1 slots (the
 * lowest threshold that detects it); each unlabelled occupied slot is a negative scored by its
 * highest score; `missing` slots are negatives that never alarm. Given the scores' descendingOrder,
 * the items come out sorted (`sorted: true`): a slot's negative is its first point in that order.
 */
export interface PointAdjustedItems {
  positiveScores: Float64Array;
  positiveWeights: Float64Array;
  negativeScores: Float64Array;
  missing: number;
  sorted?: boolean;
}

export function pointAdjustedItems(grid: AiopsGrid, labels: Uint8Array, scores: Float64Array, delay: number, order?: ScoreOrder): PointAdjustedItems {
  const n = grid.slot.length;
  const posS: number[] = [];
  const posW: number[] = [];
  const neg = new Float64Array(n);
  // With an order: the first point of each unlabelled slot, for the sorted pass below.
  const negativeHead = order ? new Int32Array(n).fill(-1) : undefined;
  let negCount = 0;
  let occupied = 0;
  let segStart = -1;
  let prev = -2;
  let i = 0;
  while (i < n) {
    const s = grid.slot[i];
    const head = i;
    let label = 0;
    let best = -Infinity;
    for (; i < n && grid.slot[i] === s; i++) {
      label |= labels[i];
      if (scores[i] > best) best = scores[i]; // NaN never wins: it never alarms
    }
    occupied++;
    if (label) {
      if (segStart < 0 || s !== prev + 1) {
        segStart = s;
        posS.push(-Infinity);
        posW.push(0);
      }
      const k = posS.length - 1;
      posW[k]++;
      if (s - segStart <= delay && best > posS[k]) posS[k] = best;
    } else {
      segStart = -1;
      if (negativeHead) negativeHead.fill(head, head, i);
      else neg[negCount++] = best;
    }
    prev = s;
  }
  const missing = grid.slots - occupied;
  if (!order || !negativeHead) return { positiveScores: Float64Array.from(posS), positiveWeights: Float64Array.from(posW), negativeScores: neg.slice(0, negCount), missing };
  const done = new Uint8Array(n);
  for (let q = 0; q < n; q++) {
    const h = negativeHead[order.order[q]];
    if (h < 0 || done[h]) continue;
    done[h] = 1;
    neg[negCount++] = order.sorted[q];
  }
  const positives = descendingOrder(posS);
  const positiveWeights = new Float64Array(posW.length);
  for (let k = 0; k < posW.length; k++) positiveWeights[k] = posW[positives.order[k]];
  return { positiveScores: positives.sorted, positiveWeights, negativeScores: neg.slice(0, negCount), missing, sorted: true };
}

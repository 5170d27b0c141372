/**
 * Range-based precision and recall (Tatbul, Lee, Zdonik, Alam, Gottschlich, NeurIPS 2018), on
 * point indices. Real ranges are label runs, predicted ranges are alarm runs.
 *   Recall_T  = mean over real ranges R_i of  alpha * Existence(R_i) + (1 - alpha) * gamma(R_i) * omega(R_i)
 *   Precision_T = mean over predicted ranges P_j of  gamma(P_j) * omega(P_j)      (alpha = 0)
 * omega: share of the range covered by overlaps, each point weighted by the positional bias
 * delta(i, len) (flat: 1; front: len - i + 1; back: i; middle: rises to the centre and falls).
 * gamma (cardinality): 1 when the range overlaps at most one range of the other kind, else 1/x for
 * x overlapping ranges (the paper's reciprocal default).
 */
import { runsOf } from './confusion.js';

export type PositionalBias = 'flat' | 'front' | 'back' | 'middle';

export function positionalWeight(i: number, len: number, bias: PositionalBias): number {
  switch (bias) {
    case 'flat':
      return 1;
    case 'front':
      return len - i + 1;
    case 'back':
      return i;
    case 'middle':
      return i <= len / 2 ? i : len - i + 1;
  }
}

/** Sum over one range's points of delta, and of delta where `other` is set; plus overlap count. */
function overlapReward(range: [number, number], other: Uint8Array, bias: PositionalBias): { omega: number; overlaps: number } {
  const [s, e] = range;
  const len = e - s + 1;
  let total = 0;
  let hit = 0;
  let overlaps = 0;
  let inOther = false;
  for (let p = s; p <= e; p++) {
    const w = positionalWeight(p - s + 1, len, bias);
    total += w;
    if (other[p]) {
      hit += w;
      // A new run of `other` starts here (at the range's edge, or after a gap inside it).
      if (!inOther) overlaps++;
      inOther = true;
    } else inOther = false;
  }
  return { omega: total > 0 ? hit / total : 0, overlaps };
}

export interface RangeSums {
  /** Sum of the per-range recall rewards, and the number of real ranges. */
  recallSum: number;
  realRanges: number;
  precisionSum: number;
  predictedRanges: number;
}

export function rangeSums(labels: Uint8Array, alarms: Uint8Array, alpha: number, bias: PositionalBias): RangeSums {
  const real = runsOf(labels);
  const predicted = runsOf(alarms);
  let recallSum = 0;
  for (const r of real) {
    const { omega, overlaps } = overlapReward(r, alarms, bias);
    const existence = overlaps > 0 ? 1 : 0;
    const gamma = overlaps <= 1 ? 1 : 1 / overlaps;
    recallSum += alpha * existence + (1 - alpha) * gamma * omega;
  }
  let precisionSum = 0;
  for (const p of predicted) {
    const { omega, overlaps } = overlapReward(p, labels, bias);
    const gamma = overlaps <= 1 ? 1 : 1 / overlaps;
    precisionSum += gamma * omega;
  }
  return { recallSum, realRanges: real.length, precisionSum, predictedRanges: predicted.length };
}

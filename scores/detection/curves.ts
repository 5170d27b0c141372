/**
 * Threshold-free summaries of a score against labels, as scikit-learn computes them (the reference
 * implementation of the anomaly-detection benchmarks, e.g. TSB-AD's AUC-PR and AUC-ROC):
 *   AUC-ROC  the trapezoidal area under (false-positive rate, true-positive rate), one point per
 *            distinct score, starting at (0, 0): `roc_auc_score`;
 *   AUC-PR   average precision, sum over distinct scores (highest first) of
 *            (R_k - R_(k-1)) x P_k with R_0 = 0: `average_precision_score`.
 * A point alarms at threshold t when its score >= t; tied scores enter together. NaN scores are
 * treated as -Infinity (they alarm only at the lowest threshold). Positives may carry weights
 * (point-adjusted segments weigh their length); `missing` adds negatives scored -Infinity (empty
 * grid slots). Both are NaN when there are no positives or (ROC) no negatives.
 * Cost: one radix sort of the scores (order.ts), none when the caller passes them sorted.
 */
import { descendingOrder, rankedScore, type ScoreOrder } from './order.js';

export interface CurveInput {
  positiveScores: Float64Array;
  /** One weight per positive; default 1 each. */
  positiveWeights?: Float64Array;
  negativeScores: Float64Array;
  /** Extra negatives that never alarm above -Infinity. */
  missing?: number;
  /** The scores are already ranked (NaN as -Infinity) and in descending order: no sort. */
  sorted?: boolean;
}

export interface CurveAreas {
  aucRoc: number;
  aucPr: number;
}

function sortedItems(input: CurveInput): { pos: Float64Array; posW: Float64Array | undefined; neg: Float64Array } {
  if (input.sorted) return { pos: input.positiveScores, posW: input.positiveWeights, neg: input.negativeScores };
  const neg = descendingOrder(input.negativeScores).sorted;
  const { order, sorted: pos } = descendingOrder(input.positiveScores);
  const w = input.positiveWeights;
  if (!w) return { pos, posW: undefined, neg };
  const posW = new Float64Array(order.length);
  for (let k = 0; k < order.length; k++) posW[k] = w[order[k]];
  return { pos, posW, neg };
}

/**
 * Every distinct threshold from the highest score down: visit(threshold, tp, fp) with the weighted
 * positives and the negatives scoring >= threshold. Returns the totals.
 */
export function thresholdSweep(input: CurveInput, visit: (threshold: number, tp: number, fp: number) => void): { positives: number; negatives: number } {
  const { pos, posW, neg } = sortedItems(input);
  const missing = input.missing ?? 0;
  const positives = positiveTotal(input);
  const negatives = neg.length + missing;
  let tp = 0;
  let fp = 0;
  let i = 0;
  let j = 0;
  let v = Infinity;
  while (i < pos.length || j < neg.length) {
    v = Math.max(i < pos.length ? pos[i] : -Infinity, j < neg.length ? neg[j] : -Infinity);
    if (posW) for (; i < pos.length && pos[i] === v; i++) tp += posW[i];
    else for (; i < pos.length && pos[i] === v; i++) tp++;
    for (; j < neg.length && neg[j] === v; j++) fp++;
    // The empty slots belong to the -Infinity group.
    if (v === -Infinity) fp += missing;
    visit(v, tp, fp);
  }
  if (missing > 0 && v !== -Infinity) visit(-Infinity, tp, fp + missing);
  return { positives, negatives };
}

function positiveTotal(input: CurveInput): number {
  if (!input.positiveWeights) return input.positiveScores.length;
  let p = 0;
  for (const w of input.positiveWeights) p += w;
  return p;
}

export function curveAreas(input: CurveInput): CurveAreas {
  const P = positiveTotal(input);
  const N = input.negativeScores.length + (input.missing ?? 0);
  if (!(P > 0)) return { aucRoc: NaN, aucPr: NaN };
  let roc = 0;
  let ap = 0;
  let prevTp = 0;
  let prevFp = 0;
  thresholdSweep(input, (_t, tp, fp) => {
    if (N > 0) roc += ((fp - prevFp) / N) * ((tp + prevTp) / P / 2);
    if (tp + fp > 0) ap += ((tp - prevTp) / P) * (tp / (tp + fp));
    prevTp = tp;
    prevFp = fp;
  });
  return { aucRoc: N > 0 ? roc : NaN, aucPr: ap };
}

/**
 * The threshold with the best F1 = 2TP / (2TP + FP + FN) over every distinct threshold (ties: the
 * highest). F1 rises only where a positive enters, so the best threshold is a positive's score:
 * only those are visited, each with the negatives at or above it counted in one pass over the
 * negatives (a binary search among the positives' scores), so the negatives are never sorted.
 */
export function bestF1Threshold(input: CurveInput): { threshold: number; f1: number } {
  const P = positiveTotal(input);
  const { order, sorted } = input.sorted ? { order: undefined, sorted: input.positiveScores } : descendingOrder(input.positiveScores);
  const w = input.positiveWeights;
  // Distinct positive scores, highest first, with the positive weight at each.
  const level = new Float64Array(sorted.length);
  const gain = new Float64Array(sorted.length);
  let m = 0;
  for (let k = 0; k < sorted.length; k++) {
    if (m === 0 || sorted[k] !== level[m - 1]) level[m++] = sorted[k];
    gain[m - 1] += w ? w[order ? order[k] : k] : 1;
  }
  // Negatives per level: the highest level at or below each negative's score.
  const entering = new Float64Array(m);
  for (let k = 0; k < input.negativeScores.length; k++) {
    const x = rankedScore(input.negativeScores[k]);
    let a = 0;
    let b = m;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (level[mid] <= x) b = mid;
      else a = mid + 1;
    }
    if (a < m) entering[a]++;
  }
  let best = { threshold: Infinity, f1: 0 };
  let tp = 0;
  let fp = 0;
  for (let j = 0; j < m; j++) {
    tp += gain[j];
    fp += entering[j];
    // The empty slots belong to the -Infinity group.
    const f = fp + (level[j] === -Infinity ? (input.missing ?? 0) : 0);
    const f1 = (2 * tp) / (2 * tp + f + (P - tp));
    if (f1 > best.f1) best = { threshold: level[j], f1 };
  }
  return best;
}

/** Point-wise curve areas of one series' scores against its labels (`order`: the scores' descendingOrder, if already made). */
export function pointwiseCurveAreas(labels: Uint8Array, scores: Float64Array, order: ScoreOrder = descendingOrder(scores)): CurveAreas {
  let p = 0;
  for (let i = 0; i < labels.length; i++) p += labels[i];
  const pos = new Float64Array(p);
  const neg = new Float64Array(labels.length - p);
  let a = 0;
  let b = 0;
  for (let q = 0; q < labels.length; q++) {
    if (labels[order.order[q]]) pos[a++] = order.sorted[q];
    else neg[b++] = order.sorted[q];
  }
  return curveAreas({ positiveScores: pos, negativeScores: neg, sorted: true });
}

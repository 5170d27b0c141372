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
 * Cost: one typed-array sort of the scores.
 */

export interface CurveInput {
  positiveScores: Float64Array;
  /** One weight per positive; default 1 each. */
  positiveWeights?: Float64Array;
  negativeScores: Float64Array;
  /** Extra negatives that never alarm above -Infinity. */
  missing?: number;
}

export interface CurveAreas {
  aucRoc: number;
  aucPr: number;
}

function descending(scores: Float64Array): Float64Array {
  const out = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = Number.isNaN(scores[i]) ? -Infinity : scores[i];
  out.sort();
  return out.reverse();
}

function sortedItems(input: CurveInput): { pos: Float64Array; posW: Float64Array; neg: Float64Array } {
  const neg = descending(input.negativeScores);
  if (!input.positiveWeights) {
    const pos = descending(input.positiveScores);
    return { pos, posW: new Float64Array(pos.length).fill(1), neg };
  }
  const w = input.positiveWeights;
  const s = input.positiveScores;
  const key = (k: number) => (Number.isNaN(s[k]) ? -Infinity : s[k]);
  const order = Array.from(s.keys()).sort((a, b) => key(b) - key(a) || a - b);
  return { pos: Float64Array.from(order, key), posW: Float64Array.from(order, (k) => w[k]), neg };
}

/**
 * Every distinct threshold from the highest score down: visit(threshold, tp, fp) with the weighted
 * positives and the negatives scoring >= threshold. Returns the totals.
 */
export function thresholdSweep(input: CurveInput, visit: (threshold: number, tp: number, fp: number) => void): { positives: number; negatives: number } {
  const { pos, posW, neg } = sortedItems(input);
  const missing = input.missing ?? 0;
  let positives = 0;
  for (let i = 0; i < posW.length; i++) positives += posW[i];
  const negatives = neg.length + missing;
  let tp = 0;
  let fp = 0;
  let i = 0;
  let j = 0;
  let v = Infinity;
  while (i < pos.length || j < neg.length) {
    v = Math.max(i < pos.length ? pos[i] : -Infinity, j < neg.length ? neg[j] : -Infinity);
    for (; i < pos.length && pos[i] === v; i++) tp += posW[i];
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

/** The threshold with the best F1 = 2TP / (2TP + FP + FN) over every distinct threshold (ties: the highest). */
export function bestF1Threshold(input: CurveInput): { threshold: number; f1: number } {
  let best = { threshold: Infinity, f1: 0 };
  const P = positiveTotal(input);
  thresholdSweep(input, (threshold, tp, fp) => {
    const f1 = (2 * tp) / (2 * tp + fp + (P - tp));
    if (f1 > best.f1) best = { threshold, f1 };
  });
  return best;
}

/** Point-wise curve areas of one series' scores against its labels. */
export function pointwiseCurveAreas(labels: Uint8Array, scores: Float64Array): CurveAreas {
  let p = 0;
  for (let i = 0; i < labels.length; i++) p += labels[i];
  const pos = new Float64Array(p);
  const neg = new Float64Array(labels.length - p);
  let a = 0;
  let b = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]) pos[a++] = scores[i];
    else neg[b++] = scores[i];
  }
  return curveAreas({ positiveScores: pos, negativeScores: neg });
}

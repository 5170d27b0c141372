import { describe, expect, it } from 'vitest';
import { bestF1Threshold, curveAreas } from '../../scores/detection/curves.js';
import { tsbSlidingWindow, vus } from '../../scores/detection/vus.js';
import { stream } from '../../sim/rng.js';

const f64 = (xs: number[]) => Float64Array.from(xs);
const u8 = (xs: number[]) => Uint8Array.from(xs);

describe('AUC-ROC and AUC-PR (scikit-learn definitions)', () => {
  it('hand case with a tie across classes', () => {
    // Positives 0.9, 0.4; negatives 0.8, 0.4, 0.1.
    // ROC points (0, 0), (0, 1/2), (1/3, 1/2), (2/3, 1), (1, 1): area 1/6 + 1/4 + 1/3 = 3/4
    // (Mann-Whitney: 3 + 0 + 1/2 + 1 = 4.5 of 6 pairs).
    // AP: 1/2 x 1 at 0.9, then 1/2 x 2/4 at 0.4 = 3/4.
    const r = curveAreas({ positiveScores: f64([0.9, 0.4]), negativeScores: f64([0.8, 0.4, 0.1]) });
    expect(r.aucRoc).toBeCloseTo(0.75, 12);
    expect(r.aucPr).toBeCloseTo(0.75, 12);
  });
  it('weighted positives, never-alarming negatives, NaN scores, and the undefined cases', () => {
    // One positive of weight 3 at 0.5 against 0.6, 0.3, 0.2: ROC 2/3, AP 3/4.
    const w = curveAreas({ positiveScores: f64([0.5]), positiveWeights: f64([3]), negativeScores: f64([0.2, 0.3, 0.6]) });
    expect(w.aucRoc).toBeCloseTo(2 / 3, 12);
    expect(w.aucPr).toBeCloseTo(3 / 4, 12);
    // Two empty slots: negatives that never alarm. FPR runs over 5 negatives: 1/5 before the
    // positive, then (1/5 -> 1) at TPR 1: area 4/5.
    expect(curveAreas({ positiveScores: f64([0.5]), negativeScores: f64([0.6, 0.2, 0.3]), missing: 2 }).aucRoc).toBeCloseTo(0.8, 12);
    // NaN ranks lowest.
    expect(curveAreas({ positiveScores: f64([1]), negativeScores: f64([NaN]) }).aucRoc).toBe(1);
    expect(curveAreas({ positiveScores: f64([]), negativeScores: f64([1]) }).aucPr).toBeNaN();
    expect(curveAreas({ positiveScores: f64([1]), negativeScores: f64([]) }).aucRoc).toBeNaN();
  });
  it('the best-F1 threshold over every distinct score', () => {
    // At 0.6: F1 0; at 0.5: 2x3 / (6 + 1) = 6/7; at 0.3: 6/8.
    const b = bestF1Threshold({ positiveScores: f64([0.5]), positiveWeights: f64([3]), negativeScores: f64([0.2, 0.3, 0.6]) });
    expect(b).toEqual({ threshold: 0.5, f1: 6 / 7 });
  });
  it('the best-F1 threshold equals a brute-force search over every distinct score (ties, NaN, weights, empty slots)', () => {
    const r = stream(1, 'best-f1');
    const pick = () => (r() < 0.1 ? NaN : Math.round(r() * 12) / 4);
    for (let trial = 0; trial < 200; trial++) {
      const pos = Float64Array.from({ length: 1 + Math.floor(r() * 6) }, pick);
      const weights = Float64Array.from(pos, () => 1 + Math.floor(r() * 4));
      const neg = Float64Array.from({ length: Math.floor(r() * 30) }, pick);
      const missing = Math.floor(r() * 3);
      const ranked = (x: number) => (Number.isNaN(x) ? -Infinity : x);
      const levels = [...new Set([...pos, ...neg].map(ranked).concat(missing ? [-Infinity] : []))].sort((a, b) => b - a);
      const P = weights.reduce((a, b) => a + b, 0);
      let want = { threshold: Infinity, f1: 0 };
      for (const t of levels) {
        let tp = 0;
        pos.forEach((x, k) => void (ranked(x) >= t && (tp += weights[k])));
        const fp = neg.filter((x) => ranked(x) >= t).length + (t === -Infinity ? missing : 0);
        const f1 = (2 * tp) / (2 * tp + fp + (P - tp));
        if (f1 > want.f1) want = { threshold: t, f1 };
      }
      expect(bestF1Threshold({ positiveScores: pos, positiveWeights: weights, negativeScores: neg, missing })).toEqual(want);
    }
  });
});

/** TSB-AD's RangeAUC_volume_opt written out loop by loop (O(L x 250 x n)): the reference for the fast one. */
function vusReference(labels: Uint8Array, score: Float64Array, L: number, thre = 250): { roc: number; pr: number } {
  const n = labels.length;
  const seq: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) if (labels[i] && (i === 0 || !labels[i - 1])) seq.push([i, i]);
  for (const s of seq) while (s[1] + 1 < n && labels[s[1] + 1]) s[1]++;
  const P = labels.reduce((a, b) => a + b, 0);
  const sorted = Array.from(score).sort((a, b) => b - a);
  const idx = Array.from({ length: thre }, (_, k) => (k === thre - 1 ? n - 1 : Math.trunc(k * ((n - 1) / (thre - 1)))));
  const newSequence = (w: number) => {
    const h = Math.floor(w / 2);
    const out: Array<[number, number]> = [];
    let a = Math.max(seq[0][0] - h, 0);
    for (let i = 0; i < seq.length - 1; i++) {
      if (seq[i][1] + h < seq[i + 1][0] - h) {
        out.push([a, seq[i][1] + h]);
        a = seq[i + 1][0] - h;
      }
    }
    out.push([a, Math.min(seq[seq.length - 1][1] + h, n - 1)]);
    return out;
  };
  const l = newSequence(L);
  let rocSum = 0;
  let prSum = 0;
  for (let w = 0; w <= L; w++) {
    const ext = Float64Array.from(labels);
    const h = Math.floor(w / 2);
    for (const [s, e] of seq) {
      for (let x = e + 1; x < Math.min(e + h + 1, n); x++) ext[x] += Math.sqrt(1 - (x - e) / w);
      for (let x = Math.max(s - h, 0); x < s; x++) ext[x] += Math.sqrt(1 - (s - x) / w);
    }
    for (let x = 0; x < n; x++) ext[x] = Math.min(1, ext[x]);
    const Lw = newSequence(w);
    const tf: Array<[number, number]> = [[0, 0]];
    const prec: number[] = [1];
    for (const i of idx) {
      const t = sorted[i];
      const pred = Array.from(score, (v) => (v >= t ? 1 : 0));
      const lab = Float64Array.from(ext);
      let existence = 0;
      for (const [a, b] of Lw) {
        let any = false;
        for (let x = a; x <= b; x++) {
          lab[x] = ext[x] * pred[x];
          if (pred[x]) any = true;
        }
        if (any) existence++;
      }
      for (const [a, b] of seq) for (let x = a; x <= b; x++) lab[x] = 1;
      let TP = 0;
      let nLabels = 0;
      for (const [a, b] of l) {
        for (let x = a; x <= b; x++) {
          TP += lab[x] * pred[x];
          nLabels += lab[x];
        }
      }
      const nPred = pred.reduce((a: number, b) => a + b, 0);
      const pNew = (P + nLabels) / 2;
      const tpr = Math.min(TP / pNew, 1) * (existence / Lw.length);
      tf.push([tpr, (nPred - TP) / (n - pNew)]);
      prec.push(TP / nPred);
    }
    tf.push([1, 1]);
    let roc = 0;
    for (let k = 1; k < tf.length; k++) roc += (tf[k][1] - tf[k - 1][1]) * ((tf[k][0] + tf[k - 1][0]) / 2);
    let pr = 0;
    for (let k = 1; k < tf.length - 1; k++) pr += (tf[k][0] - tf[k - 1][0]) * prec[k];
    rocSum += roc;
    prSum += pr;
  }
  return { roc: rocSum / (L + 1), pr: prSum / (L + 1) };
}

describe('VUS-ROC and VUS-PR (TSB-AD variant)', () => {
  it('hand case: window 2, one segment, buffer weight sqrt(1/2) on each side', () => {
    const labels = u8([0, 0, 1, 1, 0, 0]);
    const scores = f64([0, 3, 5, 1, 4, 2]);
    // w = 0 and 1 (no buffer): thresholds 5..0 give (TPR, FPR, precision)
    // (1/2, 0, 1) (1/2, 1/4, 1/2) (1/2, 2/4, 1/3) (1/2, 3/4, 1/4) (1, 3/4, 2/5) (1, 1, 2/6):
    // ROC 5/8, PR 1/2 + 1/2 x 2/5 = 7/10.
    const roc0 = 5 / 8;
    const pr0 = 0.7;
    // w = 2: buffer points 1 and 4 weigh r; extended segment [1, 4].
    const r = Math.SQRT1_2;
    const pts: Array<[number, number, number]> = [
      [0.5, 0, 1],
      [(1 + r) / (2 + r / 2), (1 - r) / (4 - r / 2), (1 + r) / 2],
      [(1 + 2 * r) / (2 + r), (2 - 2 * r) / (4 - r), (1 + 2 * r) / 3],
      [(1 + 2 * r) / (2 + r), (3 - 2 * r) / (4 - r), (1 + 2 * r) / 4],
      [1, (3 - 2 * r) / (4 - r), (2 + 2 * r) / 5],
      [1, (4 - 2 * r) / (4 - r), (2 + 2 * r) / 6],
    ];
    let roc2 = 0;
    let pr2 = 0;
    let prev: [number, number] = [0, 0];
    for (const [tpr, fpr, p] of pts) {
      roc2 += (fpr - prev[1]) * ((tpr + prev[0]) / 2);
      pr2 += (tpr - prev[0]) * p;
      prev = [tpr, fpr];
    }
    roc2 += (1 - prev[1]) * ((1 + prev[0]) / 2);
    const v = vus(labels, scores, 2);
    expect(v.vusRoc).toBeCloseTo((2 * roc0 + roc2) / 3, 12);
    expect(v.vusPr).toBeCloseTo((2 * pr0 + pr2) / 3, 12);
  });

  it('matches the loop-by-loop published computation on a long random series (sampled thresholds, meeting buffers, edges)', () => {
    const rng = stream(7, 'vus-test');
    const n = 1500;
    const labels = new Uint8Array(n);
    for (const [s, len] of [[0, 4], [100, 30], [140, 2], [150, 10], [600, 1], [1490, 10]]) labels.fill(1, s, s + len);
    const scores = Float64Array.from({ length: n }, (_, i) => Math.round((rng() + (labels[i] ? 0.4 : 0)) * 50) / 50);
    const ref = vusReference(labels, scores, 24);
    const fast = vus(labels, scores, 24);
    expect(fast.vusRoc).toBeCloseTo(ref.roc, 10);
    expect(fast.vusPr).toBeCloseTo(ref.pr, 10);
  });

  it('is NaN without a labelled point', () => {
    expect(vus(u8([0, 0, 0]), f64([1, 2, 3]), 4).vusPr).toBeNaN();
  });

  it("TSB-AD's sliding window: the autocorrelation's strongest period, 125 without one", () => {
    const sine = Float64Array.from({ length: 2000 }, (_, i) => Math.sin((2 * Math.PI * i) / 24));
    expect(tsbSlidingWindow(sine)).toBe(24);
    expect(tsbSlidingWindow(new Float64Array(500).fill(3))).toBe(125);
    expect(tsbSlidingWindow(f64([1, NaN, 2]))).toBe(125);
  });
});

import { describe, expect, it } from 'vitest';
import { pointAdjustedCounts, pointAdjustedItems } from '../../scores/detection/point-adjusted.js';
import { precisionRecallF1 } from '../../scores/detection/confusion.js';
import { aiopsGrid } from '../../scores/detection/grid.js';
import { rangeSums } from '../../scores/detection/range.js';
import { NAB_PROFILES, nabFile, nabOptimise, nabScoreOfAlarms, nabWindowsFromSegments, normalisedNab, probationaryPoints, scaledSigmoid } from '../../scores/detection/nab.js';
import { eventCounts } from '../../scores/detection/events.js';
import { descendingOrder } from '../../scores/detection/order.js';
import { curveAreas, pointwiseCurveAreas } from '../../scores/detection/curves.js';
import { scoreDetection, thresholdFreeMetrics, windowsInIndex } from '../../scores/detection/evaluate.js';
import type { Detection } from '../../detectors/types.js';
import type { Series } from '../../data/types.js';

const u8 = (xs: number[]) => Uint8Array.from(xs);
const at = (n: number, ones: number[]) => {
  const a = new Uint8Array(n);
  for (const i of ones) a[i] = 1;
  return a;
};
const MIN = 60_000;

/** Points at these minutes, on the AIOps grid. */
const minutes = (...m: number[]) => Float64Array.from(m, (x) => x * MIN);
const pa = (ts: Float64Array, labels: Uint8Array, alarms: Uint8Array, delay: number) => pointAdjustedCounts(aiopsGrid(ts), labels, alarms, delay);
const regular = (n: number) => Float64Array.from({ length: n }, (_, i) => i * MIN);

describe('point-adjusted F1 with delay (AIOps 2018 evaluation)', () => {
  const labels = u8([0, 1, 1, 1, 1, 0]);
  it('an alarm exactly k slots after the segment start detects the whole segment', () => {
    expect(pa(regular(6), labels, at(6, [3]), 2)).toEqual({ tp: 4, fp: 0, fn: 0 });
  });
  it('an alarm on the last allowed slot detects; one slot later misses the whole segment (and is not an FP)', () => {
    // Segment at minutes 2..11 (10 slots), delay 3: minute 5 is the last allowed slot.
    const l = at(13, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(pa(regular(13), l, at(13, [5]), 3)).toEqual({ tp: 10, fp: 0, fn: 0 });
    expect(pa(regular(13), l, at(13, [6]), 3)).toEqual({ tp: 0, fp: 0, fn: 10 });
  });
  it('a segment shorter than k: an alarm just after it is a miss plus a false positive', () => {
    expect(pa(regular(6), u8([0, 1, 1, 0, 0, 0]), at(6, [3]), 7)).toEqual({ tp: 0, fp: 1, fn: 2 });
  });
  it('alarms before a segment do not count for it', () => {
    expect(pa(regular(5), u8([0, 0, 1, 1, 0]), at(5, [1]), 7)).toEqual({ tp: 0, fp: 1, fn: 2 });
  });
  it('an anomaly at the series end: the allowed slots stop at the last slot', () => {
    const l = at(10, [7, 8, 9]);
    expect(pa(regular(10), l, at(10, [9]), 7)).toEqual({ tp: 3, fp: 0, fn: 0 });
    expect(pa(regular(10), l, at(10, [9]), 1)).toEqual({ tp: 0, fp: 0, fn: 3 });
    expect(pa(regular(10), l, at(10, []), 7)).toEqual({ tp: 0, fp: 0, fn: 3 });
  });
  it('a missing slot splits a segment: each part needs its own alarm within its first delay + 1 slots', () => {
    // Minute 3 is missing: labels 1 at minutes 1, 2 and 4, 5 are two segments, never one.
    const ts = minutes(0, 1, 2, 4, 5, 6);
    const l = u8([0, 1, 1, 1, 1, 0]);
    expect(pa(ts, l, u8([0, 1, 0, 0, 0, 0]), 7)).toEqual({ tp: 2, fp: 0, fn: 2 });
    expect(pa(ts, l, u8([0, 1, 0, 1, 0, 0]), 7)).toEqual({ tp: 4, fp: 0, fn: 0 });
  });
  it('the delay counts grid slots, missing ones included', () => {
    // Segment from minute 1 to 4, minutes 2 and 3 missing: two segments; the alarm at minute 4 is
    // on the second one's first slot.
    const ts = minutes(0, 1, 4, 5);
    expect(pa(ts, u8([0, 1, 1, 0]), u8([0, 0, 1, 0]), 7)).toEqual({ tp: 1, fp: 0, fn: 1 });
  });
  it('an irregular step: the grid step is the smallest one, so minute points sit slots apart', () => {
    // Seconds 0, 60, 90, 150, 210, 270: step 30 s, slots 0, 2, 3, 5, 7, 9. Labelled seconds 90, 150
    // and 210 are slots 3, 5 and 7: three one-slot segments; the alarm at 150 detects only its own.
    const ts = Float64Array.from([0, 60, 90, 150, 210, 270], (s) => s * 1000);
    const g = aiopsGrid(ts);
    expect(g.step).toBe(30_000);
    expect(Array.from(g.slot)).toEqual([0, 2, 3, 5, 7, 9]);
    expect(g.slots).toBe(10);
    expect(pointAdjustedCounts(g, u8([0, 0, 1, 1, 1, 0]), u8([0, 0, 0, 1, 0, 0]), 7)).toEqual({ tp: 1, fp: 0, fn: 2 });
  });
  it('repeated timestamps (kept 1 ms apart by the readers) share a slot, labels and alarms OR-ed', () => {
    const ts = Float64Array.from([0, MIN, MIN + 1, 2 * MIN]);
    expect(Array.from(aiopsGrid(ts).slot)).toEqual([0, 1, 1, 2]);
    expect(pointAdjustedCounts(aiopsGrid(ts), u8([0, 1, 0, 1]), u8([0, 0, 1, 0]), 0)).toEqual({ tp: 2, fp: 0, fn: 0 });
    // Every row repeated: the grid keeps the true step instead of 1 ms.
    const doubled = Float64Array.from({ length: 8064 }, (_, i) => Math.floor(i / 2) * 5 * MIN + (i % 2));
    const g = aiopsGrid(doubled);
    expect(g.step).toBe(5 * MIN);
    expect(g.slots).toBe(4032);
  });
  it('refuses a grid absurdly larger than the series, naming it', () => {
    const ts = Float64Array.from([0, 2, 30 * 86_400_000]);
    expect(() => aiopsGrid(ts, 'kpi/a')).toThrow(/kpi\/a: .*grid.*\(2 ms\).*too irregular/);
  });
  it('adjacent segments are judged separately', () => {
    const l = u8([1, 1, 0, 1, 1]);
    expect(pa(regular(5), l, at(5, [4]), 0)).toEqual({ tp: 0, fp: 0, fn: 4 });
    expect(pa(regular(5), l, at(5, [4]), 1)).toEqual({ tp: 2, fp: 0, fn: 2 });
  });
  it('F1 is 2TP / (2TP + FP + FN), undefined only with nothing at all', () => {
    expect(precisionRecallF1({ tp: 6, fp: 1, fn: 0 })).toEqual({ precision: 6 / 7, recall: 1, f1: 12 / 13 });
    expect(precisionRecallF1({ tp: 0, fp: 0, fn: 3 }).f1).toBe(0);
    expect(precisionRecallF1({ tp: 0, fp: 0, fn: 0 }).f1).toBeNaN();
  });
  it('F1 over all series pools the grids: counts add up before the ratio', () => {
    const a: Series = { id: 'a', timestamps: regular(4), values: new Float64Array(4), labels: u8([0, 1, 1, 0]) };
    const b: Series = { id: 'b', timestamps: regular(4), values: new Float64Array(4), labels: u8([0, 0, 0, 0]) };
    const da: Detection = { scores: new Float64Array(4), alarms: u8([0, 1, 0, 0]) };
    const db: Detection = { scores: new Float64Array(4), alarms: u8([1, 1, 0, 0]) };
    const m = scoreDetection([a, b], [da, db], { delay: 7 });
    expect(m.pointAdjustedCounts).toEqual({ tp: 2, fp: 2, fn: 0 });
    expect(m.pointAdjustedF1).toBeCloseTo(4 / 6, 12);
  });
});

describe('range-based precision and recall (Tatbul 2018)', () => {
  const labels = at(10, [2, 3, 4, 5, 8, 9]);
  const alarms = at(10, [0, 4, 9]);
  it('existence plus flat overlap reward', () => {
    // R1 = [2,5]: 0.5 * 1 + 0.5 * 1/4; R2 = [8,9]: 0.5 + 0.5 * 1/2; P: [0] 0, [4] 1, [9] 1.
    const r = rangeSums(labels, alarms, 0.5, 'flat');
    expect(r.recallSum / r.realRanges).toBeCloseTo(0.6875, 12);
    expect(r.precisionSum / r.predictedRanges).toBeCloseTo(2 / 3, 12);
    const r0 = rangeSums(labels, alarms, 0, 'flat');
    expect(r0.recallSum / r0.realRanges).toBeCloseTo(0.375, 12);
  });
  it('cardinality: two predictions inside one range halve its overlap reward', () => {
    const r = rangeSums(at(10, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), at(10, [1, 5]), 0, 'flat');
    expect(r.recallSum).toBeCloseTo(0.5 * 0.2, 12);
    expect(r.precisionSum / r.predictedRanges).toBe(1);
  });
  it('positional bias: front, back and middle weights', () => {
    const l = at(6, [1, 2, 3, 4]);
    const a = at(6, [1]); // first point of a 4-point range
    expect(rangeSums(l, a, 0, 'front').recallSum).toBeCloseTo(4 / 10, 12);
    expect(rangeSums(l, a, 0, 'back').recallSum).toBeCloseTo(1 / 10, 12);
    expect(rangeSums(l, a, 0, 'middle').recallSum).toBeCloseTo(1 / 6, 12);
  });
});

describe('NAB score (NAB sweeper)', () => {
  const n = 100;
  const windows: Array<[number, number]> = [[40, 49]];
  const from = probationaryPoints(n);
  const file = nabFile(new Float64Array(n), windows, from);
  const raw = (alarmIdx: number[], profile: (typeof NAB_PROFILES)[keyof typeof NAB_PROFILES] = NAB_PROFILES.standard) => nabScoreOfAlarms(file, at(n, alarmIdx), profile);
  const norm = (alarmIdx: number[], profile: (typeof NAB_PROFILES)[keyof typeof NAB_PROFILES] = NAB_PROFILES.standard) => normalisedNab(raw(alarmIdx, profile));

  it('derives windows as NAB does: 10% of the file split among anomalies, centred', () => {
    expect(nabWindowsFromSegments([[50, 50]], 100)).toEqual([[46, 55]]);
    expect(nabWindowsFromSegments([[20, 20], [24, 24]], 100)).toEqual([[18, 26]]); // overlapping: merged
    expect(probationaryPoints(100)).toBe(15);
    expect(probationaryPoints(10_000)).toBe(750);
  });
  it("maps NAB's timestamp windows to points, both edges included, at real epoch times", () => {
    const t0 = Date.UTC(2014, 3, 10, 16, 15);
    const ts = Float64Array.from({ length: 10 }, (_, i) => t0 + i * 5 * MIN);
    expect(windowsInIndex(ts, [[ts[2], ts[6]]])).toEqual([[2, 6]]);
    // Edges between points: the first point at or after the start, the last at or before the end.
    expect(windowsInIndex(ts, [[ts[2] - 1, ts[6] + 1]])).toEqual([[2, 6]]);
    expect(windowsInIndex(ts, [[ts[2] + 1, ts[6] - 1]])).toEqual([[3, 5]]);
    expect(windowsInIndex(ts, [[ts[2] + 1, ts[3] - 1]])).toEqual([]);
  });
  it('an alarm at the window start scores the full TP weight; no alarm scores the null', () => {
    expect(scaledSigmoid(-1) / scaledSigmoid(-1)).toBe(1);
    expect(raw([40]).score).toBeCloseTo(1, 12);
    expect(norm([40])).toBeCloseTo(100, 10);
    expect(norm([])).toBe(0);
  });
  it('a late alarm earns less (sigmoid of its relative position)', () => {
    // position -0.1: 2 / (1 + e^-0.5) - 1 = 0.244919, divided by sigma'(-1) = 0.986614.
    expect(raw([49]).score).toBeCloseTo(0.244919 / 0.986614, 5);
  });
  it('only the best (earliest) alarm in a window counts; alarms in the probationary period are ignored', () => {
    expect(raw([40, 45, 49]).score).toBeCloseTo(1, 12);
    expect(raw([10]).score).toBe(-1);
  });
  it('false positives: full weight before any window, sigmoid-weighted after one', () => {
    expect(raw([20]).score).toBeCloseTo(-1 - 0.11, 12);
    // 6 points after the window's right edge, width 10: position 6/9, sigma' = 2/(1+e^3.333)-1 = -0.931108.
    expect(raw([55]).score).toBeCloseTo(-1 - 0.11 * 0.931108, 5);
    expect(raw([20], NAB_PROFILES.lowFP).score).toBeCloseTo(-1 - 0.22, 12);
  });
  it('low-FN doubles the cost of a missed window, and the normalisation uses it', () => {
    expect(raw([], NAB_PROFILES.lowFN)).toEqual({ score: -2, nullScore: -2, perfectScore: 1, windows: 1 });
    expect(norm([49], NAB_PROFILES.lowFN)).toBeCloseTo((100 * (0.244919 / 0.986614 + 2)) / 3, 3);
  });
  it("a window wholly in probation counts for the perfect score only (NAB's normalisation uses every labelled window)", () => {
    const f = nabFile(new Float64Array(n), [[2, 5], [40, 49]], from);
    expect(nabScoreOfAlarms(f, at(n, []), NAB_PROFILES.standard)).toEqual({ score: -1, nullScore: -1, perfectScore: 2, windows: 2 });
  });
  it("NAB's optimiser: the corpus score at every distinct threshold, the best one kept", () => {
    // Window [40, 49]; scores 0.95 at 20 (before the window), 0.9 at 45 (mid-window), 0.5 at 60.
    const scores = new Float64Array(n);
    scores[20] = 0.95;
    scores[45] = 0.9;
    scores[60] = 0.5;
    const f = nabFile(scores, windows, from);
    const tpMid = (2 / (1 + Math.exp(-2.5)) - 1) / scaledSigmoid(-1); // position -0.5
    const fpAfter = scaledSigmoid(11 / 9) * 0.11;
    // 0.95: -0.11 - 1; 0.9: -0.11 + tpMid; 0.5: -0.11 + tpMid + fpAfter; 0: every point alarms.
    const best = nabOptimise([f], NAB_PROFILES.standard);
    expect(best.threshold).toBe(0.9);
    expect(best.score).toBeCloseTo(-0.11 + tpMid, 12);
    expect(best.normalised).toBeCloseTo((100 * (-0.11 + tpMid + 1)) / 2, 10);
    expect(-0.11 + tpMid + fpAfter).toBeLessThan(best.score);
  });
});

describe('events, time to detect, false alarms per day', () => {
  it('hand-computed case', () => {
    const ts = Float64Array.from({ length: 10 }, (_, i) => i * MIN);
    const e = eventCounts('s', ts, at(10, [2, 3, 4, 5, 8, 9]), at(10, [0, 4, 9]));
    expect(e.events).toEqual([
      { series: 's', start: 2 * MIN, end: 5 * MIN, firstAlarm: 4 * MIN },
      { series: 's', start: 8 * MIN, end: 9 * MIN, firstAlarm: 9 * MIN },
    ]);
    expect(e.falseAlarms).toBe(1);
    expect(e.spanMs).toBe(10 * MIN);
  });
  it('consecutive false alarms are one page', () => {
    const ts = Float64Array.from({ length: 10 }, (_, i) => i * MIN);
    expect(eventCounts('s', ts, at(10, []), at(10, [1, 2, 3, 6])).falseAlarms).toBe(2);
  });
});

describe('scoreDetection', () => {
  const ts = Float64Array.from({ length: 10 }, (_, i) => i * MIN);
  const s: Series = { id: 's', timestamps: ts, values: new Float64Array(10), labels: at(10, [2, 3, 4, 5, 8, 9]) };
  const scores = Float64Array.from([5, 0, 1, 1, 4, 1, 0, 0, 1, 3]);
  const d: Detection = { scores, alarms: at(10, [0, 4, 9]), threshold: 2 };

  it('own threshold: every figure of the hand-computed case', () => {
    const m = scoreDetection([s], [d], { delay: 2 });
    expect(m.threshold).toEqual({ source: 'own' });
    expect(m.pointAdjustedF1).toBeCloseTo(12 / 13, 12);
    expect(m.precision).toBeCloseTo(6 / 7, 12);
    expect(m.recall).toBe(1);
    expect(m.pointPrecision).toBeCloseTo(2 / 3, 12);
    expect(m.pointRecall).toBeCloseTo(1 / 3, 12);
    expect(m.pointF1).toBeCloseTo(4 / 9, 12);
    expect(m.eventRecall).toBe(1);
    expect(m.meanTimeToDetectMs).toBe(90_000);
    expect(m.falseAlarmsPerDay).toBeCloseTo(1 / (10 / 1440), 9);
    expect(m.rangeRecall).toBeCloseTo(0.6875, 12);
    expect(m.rangePrecision).toBeCloseTo(2 / 3, 12);
  });

  it('oracle threshold is labelled and never worse than the own one on its objective', () => {
    const own = scoreDetection([s], [d], { delay: 2 });
    const oracle = scoreDetection([s], [d], { delay: 2, threshold: 'oracle' });
    expect(oracle.threshold.source).toBe('oracle');
    expect(oracle.threshold.objective).toMatch(/ORACLE/);
    expect(oracle.pointAdjustedF1).toBeGreaterThanOrEqual(own.pointAdjustedF1);
    expect(oracle.nab.standard).toBeGreaterThanOrEqual(0); // never alarming scores 0: the oracle can do at least that
  });

  it('train threshold: the (1 - rarity) quantile of the pooled normalised scores on the fault-free prefix', () => {
    const m = scoreDetection([s], [d], { delay: 2, threshold: 'train', scoreFrom: 2 * MIN });
    // Prefix = points 0 and 1: normalised scores 0 and 2.5; the 0.999 quantile interpolates between them.
    expect(m.threshold.source).toBe('train');
    // d reports its own level, so the train level is at least 1 (normalised): here the quantile wins.
    expect(m.threshold.level).toBeCloseTo(0.999 * 2.5, 12);
    expect(m.threshold.objective).toMatch(/0\.999 quantile/);
    expect(m.points).toBe(8);
    // A long fault-free prefix with one rare spike: the level stays with the bulk, not the spike.
    const n = 3000;
    const ts = Float64Array.from({ length: n }, (_, i) => i * MIN);
    const scores = Float64Array.from({ length: n }, (_, i) => (i === 100 ? 50 : (i * 7919) % 1000) / 1000);
    const long: Series = { id: 'long', timestamps: ts, values: new Float64Array(n) };
    const lm = scoreDetection([long], [{ scores, alarms: new Uint8Array(n) }], { threshold: 'train', scoreFrom: 2000 * MIN, rarity: 0.01 });
    expect(lm.threshold.level).toBeGreaterThan(0.98);
    expect(lm.threshold.level).toBeLessThan(1);
    // The same with the detector's own level at 2: the pooled quantile (0.99 / 2) is raised to 1.
    const own2 = scoreDetection([long], [{ scores, alarms: new Uint8Array(n), threshold: 2 }], { threshold: 'train', scoreFrom: 2000 * MIN, rarity: 0.01 });
    expect(own2.threshold.level).toBe(1);
  });
});

describe('train-labels threshold: best point-adjusted F1 on labelled training data only', () => {
  const ts = Float64Array.from({ length: 10 }, (_, i) => i * MIN);
  // Training: the anomaly at 5 scores 3, a normal point scores 2: the best level is 3.
  const train: Series = { id: 's', timestamps: ts, values: new Float64Array(10), labels: at(10, [5]) };
  const trainDet: Detection = { scores: Float64Array.from([0, 0, 2, 0, 0, 3, 0, 0, 0, 0]), alarms: new Uint8Array(10) };
  const test: Series = { id: 's', timestamps: ts, values: new Float64Array(10), labels: at(10, [7]) };
  const testDet: Detection = { scores: Float64Array.from([0, 3.5, 0, 0, 0, 0, 0, 3.5, 0, 0]), alarms: new Uint8Array(10) };
  it('picks the level on the training labels and applies it to the scored data', () => {
    const m = scoreDetection([test], [testDet], { threshold: 'train-labels', train: { series: [train], detections: [trainDet] } });
    expect(m.threshold.source).toBe('train-labels');
    expect(m.threshold.objective).toMatch(/TRAINING LABELS/);
    expect(m.threshold.level).toBe(3);
    // Both 3.5s alarm: one TP segment, one FP.
    expect(m.pointAdjustedF1).toBeCloseTo(2 / 3, 12);
  });
  it('refuses to run without a labelled training point', () => {
    const unlabelled: Series = { ...train, labels: new Uint8Array(10) };
    expect(() => scoreDetection([test], [testDet], { threshold: 'train-labels', train: { series: [unlabelled], detections: [trainDet] } })).toThrow(/no labelled point/);
  });
});

describe('point-adjusted threshold-free items', () => {
  it('a segment is one positive weighing its length, scored by its best score within the delay', () => {
    const ts = regular(6);
    const items = pointAdjustedItems(aiopsGrid(ts), u8([0, 1, 1, 1, 0, 0]), Float64Array.from([0.2, 0.1, 0.5, 0.9, 0.3, 0.6]), 1);
    expect(Array.from(items.positiveScores)).toEqual([0.5]); // 0.9 comes two slots late
    expect(Array.from(items.positiveWeights)).toEqual([3]);
    expect(Array.from(items.negativeScores)).toEqual([0.2, 0.3, 0.6]);
    expect(items.missing).toBe(0);
    expect(pointAdjustedItems(aiopsGrid(minutes(0, 1, 4)), u8([0, 0, 0]), Float64Array.from([1, 2, 3]), 7).missing).toBe(2);
  });
  it("given the scores' order, the items come out sorted: the same items, and the same areas", () => {
    // Repeated instants (1 ms apart share a slot), gaps, ties and NaN.
    const ts = Float64Array.from([0, 1, 2, 3, 5, 6, 7, 7.001, 8, 11, 12, 13].map((m) => m * MIN));
    const labels = u8([0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1]);
    const scores = Float64Array.from([0.3, NaN, 0.7, 0.3, 0.2, 0.9, 0.5, 0.8, 0.3, NaN, 0.1, 0.7]);
    const grid = aiopsGrid(ts);
    const plain = pointAdjustedItems(grid, labels, scores, 1);
    const sorted = pointAdjustedItems(grid, labels, scores, 1, descendingOrder(scores));
    const ranked = (a: Float64Array) => Array.from(a, (x) => (Number.isNaN(x) ? -Infinity : x)).sort((x, y) => y - x);
    expect(sorted.sorted).toBe(true);
    expect(Array.from(sorted.negativeScores)).toEqual(ranked(plain.negativeScores));
    expect(Array.from(sorted.positiveScores)).toEqual(ranked(plain.positiveScores));
    expect(sorted.missing).toBe(plain.missing);
    expect(curveAreas(sorted)).toEqual(curveAreas(plain));
    expect(pointwiseCurveAreas(labels, scores, descendingOrder(scores))).toEqual(pointwiseCurveAreas(labels, scores));
  });
  it('thresholdFreeMetrics: point-wise and point-adjusted areas of the hand case', () => {
    const s: Series = { id: 's', timestamps: regular(6), values: new Float64Array(6), labels: u8([0, 1, 1, 1, 0, 0]) };
    const d: Detection = { scores: Float64Array.from([0.2, 0.1, 0.5, 0.9, 0.3, 0.6]), alarms: new Uint8Array(6) };
    const m = thresholdFreeMetrics([s], [d], { delay: 1, vusWindow: 0 });
    // Point-adjusted: positive 0.5 (weight 3) against 0.2, 0.3, 0.6: ROC 2/3, AP 3/4.
    expect(m.paAucRoc).toBeCloseTo(2 / 3, 12);
    expect(m.paAucPr).toBeCloseTo(3 / 4, 12);
    // Point-wise: positives 0.1, 0.5, 0.9 against 0.2, 0.3, 0.6: 5 of 9 pairs ordered -> 5/9.
    expect(m.aucRoc).toBeCloseTo(5 / 9, 12);
    // AP: 0.9 (R 1/3, P 1), 0.6 (P 1/2), 0.5 (R 2/3, P 2/3), 0.3, 0.2, 0.1 (R 1, P 1/2).
    expect(m.aucPr).toBeCloseTo(1 / 3 + (1 / 3) * (2 / 3) + (1 / 3) * (1 / 2), 12);
    expect(m.series).toBe(1);
    expect(m.intervals.aucRoc.low).toBeCloseTo(m.aucRoc, 12);
  });
  it('thresholdFreeMetrics: a series without a labelled point has NaN figures and is not counted; each series gets its own figures on a second call', () => {
    const labels = u8([0, 1, 1, 1, 0, 0]);
    const scores = Float64Array.from([0.2, 0.1, 0.5, 0.9, 0.3, 0.6]);
    const d: Detection = { scores, alarms: new Uint8Array(6) };
    // Two series sharing their labels and detection, one with a gap (its missing slots are negatives).
    const a: Series = { id: 'a', timestamps: regular(6), values: new Float64Array(6), labels };
    const b: Series = { id: 'b', timestamps: minutes(0, 1, 2, 3, 4, 10), values: new Float64Array(6), labels };
    const none: Series = { id: 'none', timestamps: regular(6), values: new Float64Array(6), labels: new Uint8Array(6) };
    const opts = { delay: 1, vusWindow: 0 };
    const alone = (s: Series) => thresholdFreeMetrics([{ ...s }], [{ ...d }], opts).perSeries[s.id]!;
    const first = thresholdFreeMetrics([a, b, none], [d, d, d], opts);
    expect(first.series).toBe(2);
    expect(first.perSeries.none).toEqual({ aucPr: NaN, aucRoc: NaN, paAucPr: NaN, paAucRoc: NaN, vusPr: NaN, vusRoc: NaN, vusWindow: 0 });
    expect(first.perSeries.b!.paAucRoc).not.toBeCloseTo(first.perSeries.a!.paAucRoc, 6);
    for (const s of [a, b]) expect(first.perSeries[s.id]).toEqual(alone(s));
    // A caller's change to a returned row does not reach the next call's.
    first.perSeries.a!.aucPr = -1;
    const second = thresholdFreeMetrics([b, a, none], [d, d, d], opts);
    for (const s of [a, b]) expect(second.perSeries[s.id]).toEqual(alone(s));
    expect(second.aucPr).toBe(first.aucPr);
  });
});

describe("the AIOps 2018 evaluation script's own numbers", () => {
  it('reproduces evaluation.py on generated cases with gaps and irregular steps', async () => {
    const { readFile } = await import('node:fs/promises');
    const fixture = JSON.parse(await readFile(new URL('./fixtures/aiops-2018-evaluation.json', import.meta.url), 'utf8')) as {
      cases: Array<{ delay: number; series: Array<{ timestamp: number[]; label: number[]; predict: number[] }>; tp: number; fp: number; fn: number; f1: number }>;
    };
    expect(fixture.cases.length).toBe(6);
    for (const c of fixture.cases) {
      const series = c.series.map((x, k): Series => ({ id: `s${k}`, timestamps: Float64Array.from(x.timestamp, (t) => t * 1000), values: new Float64Array(x.timestamp.length), labels: u8(x.label) }));
      const detections = c.series.map((x): Detection => ({ scores: new Float64Array(x.predict.length), alarms: u8(x.predict) }));
      const m = scoreDetection(series, detections, { delay: c.delay });
      expect(m.pointAdjustedCounts).toEqual({ tp: c.tp, fp: c.fp, fn: c.fn });
      expect(m.pointAdjustedF1).toBeCloseTo(c.f1, 12);
    }
  });
});

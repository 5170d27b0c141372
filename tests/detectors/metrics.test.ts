import { describe, expect, it } from 'vitest';
import { pointAdjustedCounts } from '../../scores/detection/point-adjusted.js';
import { pointwiseCounts } from '../../scores/detection/pointwise.js';
import { precisionRecallF1 } from '../../scores/detection/confusion.js';
import { toRegularGrid } from '../../scores/detection/grid.js';
import { rangeSums } from '../../scores/detection/range.js';
import { NAB_PROFILES, nabScore, nabWindowsFromSegments, normalisedNab, probationaryPoints, scaledSigmoid } from '../../scores/detection/nab.js';
import { eventCounts } from '../../scores/detection/events.js';
import { scoreDetection } from '../../detectors/evaluate.js';
import type { Detection } from '../../detectors/types.js';
import type { Series } from '../../data/types.js';

const u8 = (xs: number[]) => Uint8Array.from(xs);
const at = (n: number, ones: number[]) => {
  const a = new Uint8Array(n);
  for (const i of ones) a[i] = 1;
  return a;
};
const MIN = 60_000;

describe('point-adjusted F1 with delay', () => {
  const labels = u8([0, 1, 1, 1, 1, 0]);
  it('an alarm exactly k points after the segment start detects the whole segment', () => {
    expect(pointAdjustedCounts(labels, at(6, [3]), 2)).toEqual({ tp: 4, fp: 0, fn: 0 });
  });
  it('an alarm k + 1 points after the start misses the whole segment (and is not an FP)', () => {
    expect(pointAdjustedCounts(labels, at(6, [4]), 2)).toEqual({ tp: 0, fp: 0, fn: 4 });
  });
  it('a segment shorter than k: an alarm just after it is a miss plus a false positive', () => {
    expect(pointAdjustedCounts(u8([0, 1, 1, 0, 0, 0]), at(6, [3]), 7)).toEqual({ tp: 0, fp: 1, fn: 2 });
  });
  it('alarms before a segment do not count for it', () => {
    expect(pointAdjustedCounts(u8([0, 0, 1, 1, 0]), at(5, [1]), 7)).toEqual({ tp: 0, fp: 1, fn: 2 });
  });
  it('adjacent segments are judged separately', () => {
    const l = u8([1, 1, 0, 1, 1]);
    expect(pointAdjustedCounts(l, at(5, [4]), 0)).toEqual({ tp: 0, fp: 0, fn: 4 });
    expect(pointAdjustedCounts(l, at(5, [4]), 1)).toEqual({ tp: 2, fp: 0, fn: 2 });
  });
  it('F1 is 2TP / (2TP + FP + FN), undefined only with nothing at all', () => {
    expect(precisionRecallF1({ tp: 6, fp: 1, fn: 0 })).toEqual({ precision: 6 / 7, recall: 1, f1: 12 / 13 });
    expect(precisionRecallF1({ tp: 0, fp: 0, fn: 3 }).f1).toBe(0);
    expect(precisionRecallF1({ tp: 0, fp: 0, fn: 0 }).f1).toBeNaN();
  });
});

describe('regular grid', () => {
  it('fills a missing minute inside a segment as labelled, outside as normal', () => {
    const ts = Float64Array.from([0, 1, 2, 4, 5], (m) => m * MIN);
    const g = toRegularGrid(ts, u8([0, 1, 1, 1, 0]), u8([0, 0, 0, 0, 1]));
    expect(Array.from(g.labels)).toEqual([0, 1, 1, 1, 1, 0]);
    expect(Array.from(g.alarms)).toEqual([0, 0, 0, 0, 0, 1]);
    expect(Array.from(toRegularGrid(ts, u8([0, 1, 0, 1, 0]), u8([0, 0, 0, 0, 0])).labels)).toEqual([0, 1, 0, 0, 1, 0]);
  });
  it('counts the delay in sampling steps, not in present points', () => {
    // Segment from minute 1; minute 5 is missing; the alarm at minute 9 is 8 steps late.
    const minutes = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10];
    const ts = Float64Array.from(minutes, (m) => m * MIN);
    const labels = u8(minutes.map((m) => (m >= 1 && m <= 9 ? 1 : 0)));
    const alarms = u8(minutes.map((m) => (m === 9 ? 1 : 0)));
    const g = toRegularGrid(ts, labels, alarms);
    expect(pointAdjustedCounts(g.labels, g.alarms, 7)).toEqual({ tp: 0, fp: 0, fn: 9 });
    expect(pointAdjustedCounts(labels, alarms, 7)).toEqual({ tp: 8, fp: 0, fn: 0 }); // what index counting would say
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

describe('NAB score', () => {
  const n = 100;
  const windows: Array<[number, number]> = [[40, 49]];
  const from = probationaryPoints(n);
  const norm = (alarmIdx: number[], profile = NAB_PROFILES.standard) => normalisedNab(nabScore(at(n, alarmIdx), windows, from, profile));

  it('derives windows as NAB does: 10% of the file split among anomalies, centred', () => {
    expect(nabWindowsFromSegments([[50, 50]], 100)).toEqual([[46, 55]]);
    expect(nabWindowsFromSegments([[20, 20], [24, 24]], 100)).toEqual([[18, 26]]); // overlapping: merged
    expect(probationaryPoints(100)).toBe(15);
    expect(probationaryPoints(10_000)).toBe(750);
  });
  it('an alarm at the window start scores the full TP weight; no alarm scores the null', () => {
    expect(scaledSigmoid(-1) / scaledSigmoid(-1)).toBe(1);
    expect(nabScore(at(n, [40]), windows, from, NAB_PROFILES.standard).score).toBeCloseTo(1, 12);
    expect(norm([40])).toBeCloseTo(100, 10);
    expect(norm([])).toBe(0);
  });
  it('a late alarm earns less (sigmoid of its relative position)', () => {
    // position -0.1: 2 / (1 + e^-0.5) - 1 = 0.244919, divided by sigma'(-1) = 0.986614.
    const s = nabScore(at(n, [49]), windows, from, NAB_PROFILES.standard).score;
    expect(s).toBeCloseTo(0.244919 / 0.986614, 5);
  });
  it('only the first alarm in a window counts; alarms in the probationary period are ignored', () => {
    expect(nabScore(at(n, [40, 45, 49]), windows, from, NAB_PROFILES.standard).score).toBeCloseTo(1, 12);
    expect(nabScore(at(n, [10]), windows, from, NAB_PROFILES.standard).score).toBe(-1);
  });
  it('false positives: full weight before any window, sigmoid-weighted after one', () => {
    expect(nabScore(at(n, [20]), windows, from, NAB_PROFILES.standard).score).toBeCloseTo(-1 - 0.11, 12);
    // 6 points after the window's right edge, width 10: position 6/9, sigma' = 2/(1+e^3.333)-1 = -0.931108.
    expect(nabScore(at(n, [55]), windows, from, NAB_PROFILES.standard).score).toBeCloseTo(-1 - 0.11 * 0.931108, 5);
    expect(nabScore(at(n, [20]), windows, from, NAB_PROFILES.lowFP).score).toBeCloseTo(-1 - 0.22, 12);
  });
  it('low-FN doubles the cost of a missed window, and the normalisation uses it', () => {
    const s = nabScore(at(n, []), windows, from, NAB_PROFILES.lowFN);
    expect(s).toEqual({ score: -2, nullScore: -2, perfectScore: 1, windows: 1 });
    expect(norm([49], NAB_PROFILES.lowFN)).toBeCloseTo((100 * (0.244919 / 0.986614 + 2)) / 3, 3);
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

describe('train threshold from a separate labelled training set', () => {
  it('picks the level with the best point-adjusted F1 on the training labels', () => {
    const ts = Float64Array.from({ length: 10 }, (_, i) => i * MIN);
    // Training: the anomaly at 5 scores 3, a normal point scores 2: any level in [2, 3) is best.
    const train: Series = { id: 's', timestamps: ts, values: new Float64Array(10), labels: at(10, [5]) };
    const trainDet: Detection = { scores: Float64Array.from([0, 0, 2, 0, 0, 3, 0, 0, 0, 0]), alarms: new Uint8Array(10) };
    const test: Series = { id: 's', timestamps: ts, values: new Float64Array(10), labels: at(10, [7]) };
    const testDet: Detection = { scores: Float64Array.from([0, 2.5, 0, 0, 0, 0, 0, 2.5, 0, 0]), alarms: new Uint8Array(10) };
    const m = scoreDetection([test], [testDet], { threshold: 'train', train: { series: [train], detections: [trainDet] } });
    expect(m.threshold.objective).toMatch(/training labels/);
    expect(m.threshold.level).toBeGreaterThanOrEqual(2);
    expect(m.threshold.level).toBeLessThan(3);
    // Level in [2, 3): both 2.5s alarm: one TP segment, one FP.
    expect(m.pointAdjustedF1).toBeCloseTo(2 / 3, 12);
  });
});

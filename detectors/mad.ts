/**
 * Robust median/MAD (Hampel identifier; modified z-score of Iglewicz & Hoaglin): distance from the
 * median of the previous `window` points in units of 1.4826 x their median absolute deviation.
 * Unlike k-sigma, a few outliers in the window do not inflate the scale.
 */
import { z } from 'zod';
import { definePlugin } from '../common/plugin.js';
import type { DetectorPlugin } from './types.js';
import type { Series } from '../data/types.js';
import { alarmOptions, CalibratedDetector, type ScoringModel } from './calibrated.js';
import { safeScale } from './stats.js';
import { lowerBound } from '../common/sorted.js';

/** Median of |s[i] - med| over an ascending array, by merging the two sorted halves outward. */
function medianAbsDeviation(s: Float64Array, n: number, med: number): number {
  let lo = lowerBound(s, med, n) - 1; // walks left: deviations med - s[lo] ascending
  let hi = lo + 1; // walks right: deviations s[hi] - med ascending
  const target = (n - 1) / 2;
  let prev = 0;
  for (let k = 0; k <= Math.ceil(target); k++) {
    const dl = lo >= 0 ? med - s[lo] : Infinity;
    const dr = hi < n ? s[hi] - med : Infinity;
    let d: number;
    if (dl <= dr) {
      d = dl;
      lo--;
    } else {
      d = dr;
      hi++;
    }
    if (k === Math.floor(target)) prev = d;
    if (k === Math.ceil(target)) return (prev + d) / 2;
  }
  return prev;
}

export function madScores(values: Float64Array, window: number): Float64Array {
  const n = values.length;
  const scores = new Float64Array(n);
  const ring = new Float64Array(window); // arrival order, to know what leaves
  const sorted = new Float64Array(window); // the same values kept ascending
  const minCount = Math.min(window, 10);
  let head = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== v) {
      scores[i] = NaN;
      continue;
    }
    if (count >= minCount) {
      const med = count % 2 ? sorted[(count - 1) >> 1] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
      const scale = 1.4826 * medianAbsDeviation(sorted, count, med);
      scores[i] = Math.abs(v - med) / safeScale(scale, med);
    } else scores[i] = NaN;
    if (count === window) {
      const at = lowerBound(sorted, ring[head], count);
      sorted.copyWithin(at, at + 1, count);
      count--;
    }
    const at = lowerBound(sorted, v, count);
    sorted.copyWithin(at + 1, at, count);
    sorted[at] = v;
    count++;
    ring[head] = v;
    head = head + 1 === window ? 0 : head + 1;
  }
  return scores;
}

export const madDetector: DetectorPlugin = definePlugin({
  name: 'mad',
  description: 'robust z-score: |x - rolling median| / (1.4826 MAD) over the previous `window` points, alarm at >= 3.5',
  options: z.strictObject({
    window: z.number().int().min(3).default(60).describe('points in the rolling window'),
    ...alarmOptions(3.5, 'robust z'),
  }),
  optionAliases: { k: 'floor' },
  needs: ['kpis'],
  create(o) {
    const model: ScoringModel = { score: (s: Series) => madScores(s.values, o.window) };
    return new CalibratedDetector(model, o);
  },
});

/**
 * k-sigma (three-sigma rule): distance of each point from the mean of the previous `window` points,
 * in their standard deviations. Running sums over a ring buffer keep it O(1) per point.
 */
import { z } from 'zod';
import { definePlugin } from '../common/plugin.js';
import type { DetectorPlugin } from './types.js';
import type { Series } from '../data/types.js';
import { alarmOptions, CalibratedDetector, type ScoringModel } from './calibrated.js';
import { safeScale } from './stats.js';

export function ksigmaScores(values: Float64Array, window: number): Float64Array {
  const n = values.length;
  const scores = new Float64Array(n);
  const ring = new Float64Array(window);
  const minCount = Math.min(window, 10);
  let head = 0;
  let count = 0;
  let sum = 0;
  let sumSq = 0;
  // Sums are taken around the first value to avoid cancellation on large offsets (e.g. 1e9 + noise).
  let shift = NaN;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== v) {
      scores[i] = NaN;
      continue;
    }
    if (shift !== shift) shift = v;
    const x = v - shift;
    if (count >= minCount) {
      const mean = sum / count;
      const variance = Math.max(sumSq / count - mean * mean, 0);
      scores[i] = Math.abs(x - mean) / safeScale(Math.sqrt((variance * count) / (count - 1)), mean + shift);
    } else scores[i] = NaN;
    if (count === window) {
      const old = ring[head];
      sum -= old;
      sumSq -= old * old;
    } else count++;
    ring[head] = x;
    sum += x;
    sumSq += x * x;
    head = head + 1 === window ? 0 : head + 1;
  }
  return scores;
}

export const ksigmaDetector: DetectorPlugin = definePlugin({
  name: 'ksigma',
  description: 'k-sigma: |x - rolling mean| / rolling std over the previous `window` points, alarm at k >= 3',
  options: z.strictObject({
    window: z.number().int().min(2).default(60).describe('points in the rolling window'),
    ...alarmOptions(3, 'k, in standard deviations'),
  }),
  optionAliases: { k: 'floor' },
  needs: ['kpis'],
  create(o) {
    const model: ScoringModel = { score: (s: Series) => ksigmaScores(s.values, o.window) };
    return new CalibratedDetector(model, o);
  },
});

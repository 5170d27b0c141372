/**
 * Trivial reference: the change from the last observed value, |x[i] - x[j]| with j the latest point
 * before i that has a value, against the same changes in training: it alarms above their 99th
 * percentile (the last-value forecast with a residual threshold). Shipped so that every report
 * shows how far above trivial each method is.
 */
import { z } from 'zod';
import { definePlugin } from '../common/plugin.js';
import type { DetectorPlugin } from './types.js';
import type { Series } from '../data/types.js';
import { CalibratedDetector, type ScoringModel } from './calibrated.js';

export function lastValueDifferences(values: Float64Array): Float64Array {
  const scores = new Float64Array(values.length);
  let last = NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    scores[i] = v === v ? Math.abs(v - last) : NaN; // NaN before the first value, and where none
    if (v === v) last = v;
  }
  return scores;
}

export const diffDetector: DetectorPlugin = definePlugin({
  name: 'diff',
  description: 'trivial reference: alarm when the change from the last value exceeds the training p99 of changes',
  options: z.strictObject({
    rarity: z.number().min(1e-9).max(0.5).default(0.01).describe('share of training changes allowed above the alarm level'),
    threshold: z.number().optional().describe('fixed alarm level (absolute change); overrides the calibration'),
  }),
  needs: ['kpis'],
  reference: true,
  create(o) {
    const model: ScoringModel = { score: (s: Series) => lastValueDifferences(s.values) };
    return new CalibratedDetector(model, { rarity: o.rarity, floor: 0, threshold: o.threshold });
  },
});

/**
 * Static threshold: the band a metric stayed inside during training (its min and max, or explicit
 * `lower` / `upper` options; `band` takes training quantiles instead) is normal; anything outside
 * alarms. The score is the distance from the
 * training median in units of the half-band on that side (the median to the band's edge), so the
 * band is the level 1 on both sides, an asymmetric band included, and the train and oracle sweeps
 * over one level move both edges in proportion.
 */
import { z } from 'zod';
import { definePlugin } from '../common/plugin.js';
import type { Detection, Detector, DetectorPlugin } from './types.js';
import type { Series } from '../data/types.js';
import { median, safeScale, sortedFinite } from './stats.js';
import { quantileSorted } from '../common/quantile.js';

export class StaticThreshold implements Detector {
  private lower: number | undefined;
  private upper: number | undefined;
  private center = NaN;
  /** The band's edges are the training quantiles q and 1 - q (0: the minimum and maximum). */
  private readonly trainQuantile: number;

  constructor(options: { lower?: number | undefined; upper?: number | undefined; trainQuantile?: number }) {
    this.lower = options.lower;
    this.upper = options.upper;
    this.trainQuantile = options.trainQuantile ?? 0;
  }

  fit(train: Series): void {
    const s = sortedFinite(train.values);
    if (s.length === 0) return;
    this.lower ??= quantileSorted(s, this.trainQuantile);
    this.upper ??= quantileSorted(s, 1 - this.trainQuantile);
    this.center = median(s);
  }

  detect(series: Series): Detection {
    const n = series.values.length;
    // No finite training value and no lower/upper option: no band, so no judgement.
    if (this.lower === undefined && this.upper === undefined) return { scores: new Float64Array(n).fill(NaN), alarms: new Uint8Array(n) };
    const lower = this.lower ?? -Infinity;
    const upper = this.upper ?? Infinity;
    const fallback = Number.isFinite(lower) && Number.isFinite(upper) ? (lower + upper) / 2 : Number.isFinite(lower) ? lower : upper;
    // The centre must lie inside the band (explicit lower/upper may exclude the training median).
    const center = Math.min(Math.max(Number.isFinite(this.center) ? this.center : fallback, lower), upper);
    // A band edge at the centre (a constant training series): any departure scores high, finitely.
    const above = upper === Infinity ? Infinity : safeScale(upper - center, center);
    const below = lower === -Infinity ? Infinity : safeScale(center - lower, center);
    const scores = new Float64Array(n);
    const alarms = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = series.values[i];
      scores[i] = v >= center ? (v - center) / above : (center - v) / below; // NaN stays NaN
      if (v < lower || v > upper) alarms[i] = 1;
    }
    return { scores, alarms, threshold: 1 };
  }
}

export const thresholdDetector: DetectorPlugin = definePlugin({
  name: 'threshold',
  description: 'static band: alarm outside the training min..max (or lower/upper options)',
  options: z.strictObject({
    lower: z.number().optional().describe('lowest normal value (default: the training minimum)'),
    upper: z.number().optional().describe('highest normal value (default: the training maximum)'),
  }),
  needs: ['kpis'],
  create: (o) => new StaticThreshold(o),
});

/**
 * Static threshold: the band a metric stayed inside during training (its min and max, or explicit
 * `lower` / `upper` options) is normal; anything outside alarms. The score is the distance from the
 * training median in robust standard deviations, so oracle sweeps have something to rank.
 */
import type { Detection, Detector, DetectorFactory, Series } from './types.js';
import { madScale, median, safeScale, sortedFinite } from './stats.js';
import { optionalNumberOption } from './options.js';

class StaticThreshold implements Detector {
  private lower: number | undefined;
  private upper: number | undefined;
  private center = NaN;
  private scale = NaN;

  constructor(options?: Record<string, unknown>) {
    this.lower = optionalNumberOption('threshold', options, 'lower');
    this.upper = optionalNumberOption('threshold', options, 'upper');
  }

  fit(train: Series): void {
    const s = sortedFinite(train.values);
    if (s.length === 0) return;
    this.lower ??= s[0];
    this.upper ??= s[s.length - 1];
    this.center = median(s);
    this.scale = safeScale(madScale(s), this.center);
  }

  detect(series: Series): Detection {
    const n = series.values.length;
    // No finite training value and no lower/upper option: no band, so no judgement.
    if (this.lower === undefined && this.upper === undefined) return { scores: new Float64Array(n).fill(NaN), alarms: new Uint8Array(n) };
    const lower = this.lower ?? -Infinity;
    const upper = this.upper ?? Infinity;
    const center = Number.isFinite(this.center) ? this.center : Number.isFinite(lower) && Number.isFinite(upper) ? (lower + upper) / 2 : 0;
    const scale = Number.isFinite(this.scale) ? this.scale : safeScale(Number.isFinite(upper - lower) ? (upper - lower) / 6 : 1, center);
    const scores = new Float64Array(n);
    const alarms = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = series.values[i];
      scores[i] = Math.abs(v - center) / scale; // NaN stays NaN
      if (v < lower || v > upper) alarms[i] = 1;
    }
    // One level in score units exists only for a symmetric band; report the nearer edge's distance.
    const threshold = Math.min(Math.abs(upper - center), Math.abs(center - lower)) / scale;
    return { scores, alarms, threshold };
  }
}

export const thresholdDetector: DetectorFactory = {
  name: 'threshold',
  description: 'static band: alarm outside the training min..max (or lower/upper options)',
  create: (options) => new StaticThreshold(options),
};

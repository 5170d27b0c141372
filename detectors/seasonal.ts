/**
 * Seasonal baseline: the value at the same time yesterday and last week, found by timestamp (so
 * gaps and irregular sampling only cost a missing reference, never a misaligned one). The forecast
 * is the mean of the references present; the score is the residual in robust standard deviations
 * of the training residuals (or, before any are known, of the residuals seen so far).
 */
import { z } from 'zod';
import { definePlugin } from '../common/plugin.js';
import type { DetectorPlugin } from './types.js';
import type { Series } from '../data/types.js';
import { alarmOptions, CalibratedDetector, type ScoringModel } from './calibrated.js';
import { madScale, safeScale } from './stats.js';
import { DAY_MS, WEEK_MS, medianStep } from '../data/sampling.js';

/**
 * Forecast from the values one period back (per period), NaN where no reference exists. When the
 * point one period back is missing, the reference is interpolated between its neighbours if they
 * are at most MAX_GAP_STEPS steps apart, so a gap yesterday costs little.
 */
const MAX_GAP_STEPS = 5;

export function seasonalForecast(series: Series, periods: number[]): Float64Array {
  const { timestamps: ts, values } = series;
  const n = ts.length;
  const step = medianStep(ts);
  const tol = step / 2;
  const sum = new Float64Array(n);
  const cnt = new Uint16Array(n);
  for (const period of periods) {
    let j = 0; // the last point at or before the wanted time (within tolerance)
    for (let i = 0; i < n; i++) {
      const want = ts[i] - period;
      if (ts[0] > want + tol) continue;
      while (j + 1 < i && ts[j + 1] <= want + tol) j++;
      let ref = NaN;
      if (Math.abs(ts[j] - want) <= tol) ref = values[j];
      else if (j + 1 < i && ts[j + 1] - ts[j] <= MAX_GAP_STEPS * step) {
        const w = (want - ts[j]) / (ts[j + 1] - ts[j]);
        ref = values[j] + w * (values[j + 1] - values[j]);
      }
      if (ref === ref) {
        sum[i] += ref;
        cnt[i]++;
      }
    }
  }
  const forecast = new Float64Array(n);
  for (let i = 0; i < n; i++) forecast[i] = cnt[i] ? sum[i] / cnt[i] : NaN;
  return forecast;
}

class SeasonalModel implements ScoringModel {
  private scale = NaN;
  constructor(private readonly periods: number[]) {}

  fit(train: Series): void {
    const f = seasonalForecast(train, this.periods);
    const resid = new Float64Array(f.length);
    for (let i = 0; i < f.length; i++) resid[i] = train.values[i] - f[i];
    const s = madScale(resid);
    if (Number.isFinite(s)) this.scale = safeScale(s, 0);
  }

  score(series: Series): Float64Array {
    const f = seasonalForecast(series, this.periods);
    const n = f.length;
    const scores = new Float64Array(n);
    // Causal fallback scale: exponentially weighted mean |residual| x 1.2533 (= sigma if Gaussian).
    let meanAbs = 0;
    let seen = 0;
    for (let i = 0; i < n; i++) {
      const r = series.values[i] - f[i];
      if (r !== r) {
        scores[i] = NaN;
        continue;
      }
      const scale = Number.isFinite(this.scale) ? this.scale : seen >= 30 ? safeScale(1.2533 * meanAbs, f[i]) : NaN;
      scores[i] = Math.abs(r) / scale;
      seen++;
      meanAbs += (Math.abs(r) - meanAbs) / Math.min(seen, 1440);
    }
    return scores;
  }
}

export const seasonalDetector: DetectorPlugin = definePlugin({
  name: 'seasonal',
  description: 'seasonal baseline: residual from the same minute yesterday / last week (by timestamp), alarm at robust z >= 3',
  options: z
    .strictObject({
      days: z.number().int().min(0).default(1).describe('reference days back (1 = yesterday)'),
      weeks: z.number().int().min(0).default(1).describe('reference weeks back'),
      ...alarmOptions(3, 'robust z'),
    })
    .refine((o) => o.days + o.weeks > 0, { message: 'days and weeks are both 0: no reference left', path: ['days'] }),
  optionAliases: { k: 'floor' },
  needs: ['kpis'],
  create(o) {
    const periods: number[] = [];
    for (let d = 1; d <= o.days; d++) periods.push(d * DAY_MS);
    for (let w = 1; w <= o.weeks; w++) periods.push(w * WEEK_MS);
    return new CalibratedDetector(new SeasonalModel(periods), o);
  },
});

/**
 * Holt-Winters, additive seasonality (Winters 1960), with a Gaussian on the one-step residuals: the
 * score is |x - forecast| / sigma, sigma being the robust spread of the training residuals. A KPI
 * of known kind is modelled on its noise-stabilising scale (kpi-noise.ts: volume by Anscombe,
 * latency by log) and a latency residual is multiplied by sqrt(calls), so sigma is the per-call
 * spread (or a volume's over-dispersion) and a quiet minute is not judged like a busy one. The
 * seasonal slot of a point comes from its timestamp and the level/trend advance by the number of
 * elapsed steps, so gaps keep the phase. Smoothing constants are chosen on the training data by
 * grid search on one-step squared error. Scoring runs the robust variant (Gelper, Fried & Croux
 * 2010): the smoothing sees each observation clipped to forecast +- 2 sigma, so the forecast
 * follows a fault (or a slow drift) only slowly.
 */
import { z } from 'zod';
import { definePlugin } from '../common/plugin.js';
import type { DetectorPlugin } from './types.js';
import type { Series } from '../data/types.js';
import { alarmOptionsDerivedFloor, CalibratedDetector, type ScoringModel } from './calibrated.js';
import { madScale, safeScale } from './stats.js';
import { normalQuantile } from '../common/normal.js';
import { DAY_MS, medianStep } from '../data/sampling.js';
import { noiseWeight, stabilised } from './kpi-noise.js';

/** Huber's clipping constant, as in Gelper et al.'s robust Holt-Winters. */
const HUBER_K = 2;

export interface HoltWintersParams {
  alpha: number;
  beta: number;
  gamma: number;
  /** Seasonal period in ms; 0 for Holt's linear trend without seasonality. */
  periodMs: number;
  stepMs: number;
}

/**
 * One-step-ahead forecasts; NaN during the first season (initialisation) and at NaN inputs. With
 * `clean`, the smoothing is updated with clean(i, forecast, x) instead of x (robust Holt-Winters).
 */
export function holtWintersForecast(series: Series, p: HoltWintersParams, clean?: (i: number, forecast: number, x: number) => number): Float64Array {
  const { timestamps: ts, values } = series;
  const n = ts.length;
  const out = new Float64Array(n).fill(NaN);
  const m = p.periodMs > 0 ? Math.max(1, Math.round(p.periodMs / p.stepMs)) : 0;
  const season = new Float64Array(Math.max(m, 1));
  let level = NaN;
  let trend = 0;
  let tPrev = NaN;
  let t0 = NaN;
  let initSum = 0;
  let initCount = 0;
  const initVals: number[] = [];
  const initSlots: number[] = [];
  for (let i = 0; i < n; i++) {
    let x = values[i];
    if (x !== x) continue;
    const t = ts[i];
    if (t0 !== t0) t0 = t;
    const slot = m ? Math.floor(((t - t0) % p.periodMs) / p.stepMs) % m : 0;
    if (level !== level) {
      // Initialisation: the first full season gives the level and the seasonal profile.
      if (m === 0) {
        level = x;
        tPrev = t;
        continue;
      }
      if (t - t0 < p.periodMs) {
        initSum += x;
        initCount++;
        initVals.push(x);
        initSlots.push(slot);
        continue;
      }
      level = initSum / initCount;
      for (let k = 0; k < initVals.length; k++) season[initSlots[k]] = initVals[k] - level;
      tPrev = ts[i - 1];
    }
    const h = Math.max(1, Math.round((t - tPrev) / p.stepMs));
    const s = m ? season[slot] : 0;
    out[i] = level + h * trend + s;
    if (clean) x = clean(i, out[i], x);
    const newLevel = p.alpha * (x - s) + (1 - p.alpha) * (level + h * trend);
    trend = p.beta * ((newLevel - level) / h) + (1 - p.beta) * trend;
    if (m) season[slot] = p.gamma * (x - newLevel) + (1 - p.gamma) * s;
    level = newLevel;
    tPrev = t;
  }
  return out;
}

function squaredError(series: Series, p: HoltWintersParams): number {
  const f = holtWintersForecast(series, p);
  let sse = 0;
  let n = 0;
  for (let i = 0; i < f.length; i++) {
    const r = series.values[i] - f[i];
    if (r === r) {
      sse += r * r;
      n++;
    }
  }
  return n ? sse / n : Infinity;
}

class HoltWintersModel implements ScoringModel {
  private params: HoltWintersParams | undefined;
  private sigma = NaN;
  constructor(private readonly periodOption: number | undefined) {}

  private chooseParams(train: Series): HoltWintersParams {
    const stepMs = medianStep(train.timestamps);
    const span = train.timestamps.length ? train.timestamps[train.timestamps.length - 1] - train.timestamps[0] : 0;
    // A season is only learnable from at least two of them.
    const periodMs = this.periodOption ?? (span >= 2 * DAY_MS ? DAY_MS : 0);
    let best: HoltWintersParams = { alpha: 0.3, beta: 0, gamma: 0.1, periodMs, stepMs };
    let bestErr = Infinity;
    for (const alpha of [0.05, 0.1, 0.2, 0.4, 0.7]) {
      for (const beta of [0, 0.01, 0.1]) {
        for (const gamma of periodMs ? [0.05, 0.2, 0.5] : [0]) {
          const p = { alpha, beta, gamma, periodMs, stepMs };
          const err = squaredError(train, p);
          if (err < bestErr) {
            bestErr = err;
            best = p;
          }
        }
      }
    }
    return best;
  }

  fit(raw: Series): void {
    const train = stabilised(raw);
    this.params = this.chooseParams(train);
    const f = holtWintersForecast(train, this.params);
    const resid = new Float64Array(f.length);
    for (let i = 0; i < f.length; i++) resid[i] = (train.values[i] - f[i]) * noiseWeight(train, i);
    this.sigma = madScale(resid);
  }

  score(raw: Series): Float64Array {
    const series = stabilised(raw);
    // Unfitted: no smoothing constants chosen, so no judgement (choosing them on the scored series
    // itself would let the future leak into past scores).
    if (!this.params) return new Float64Array(series.values.length).fill(NaN);
    // Robust Holt-Winters (Gelper, Fried & Croux 2010): the smoothing sees each observation
    // Huber-clipped to the forecast +- HUBER_K sigma, so a fault's values do not become the
    // forecast (which would miss a slow drift and alarm again when the series recovers).
    const sigma = this.sigma;
    const clean = Number.isFinite(sigma)
      ? (i: number, forecast: number, x: number) => {
          const bound = (HUBER_K * safeScale(sigma, forecast)) / noiseWeight(series, i);
          return forecast + Math.min(Math.max(x - forecast, -bound), bound);
        }
      : undefined;
    const f = holtWintersForecast(series, this.params, clean);
    const n = f.length;
    const scores = new Float64Array(n);
    // Without training residuals, fall back to the running mean |residual| (causal).
    let meanAbs = 0;
    let seen = 0;
    for (let i = 0; i < n; i++) {
      const weight = noiseWeight(series, i);
      const r = (series.values[i] - f[i]) * weight;
      if (r !== r) {
        scores[i] = NaN;
        continue;
      }
      const level = f[i] * weight;
      const sigma = Number.isFinite(this.sigma) ? safeScale(this.sigma, level) : seen >= 30 ? safeScale(1.2533 * meanAbs, level) : NaN;
      scores[i] = Math.abs(r) / sigma;
      seen++;
      meanAbs += (Math.abs(r) - meanAbs) / Math.min(seen, 1440);
    }
    return scores;
  }
}

export const holtWintersDetector: DetectorPlugin = definePlugin({
  name: 'holt-winters',
  description: 'additive Holt-Winters forecast (daily season when training spans 2 days) + Gaussian on residuals (robust, volume-aware); |z| past the Gaussian tail of the rarity (3.29)',
  options: z.strictObject({
    periodMinutes: z.number().min(0).optional().describe('season length in minutes (default: a day when training spans two, else none; 0 = none)'),
    ...alarmOptionsDerivedFloor('|z| (default: the two-sided Gaussian tail of the rarity, 3.29 at 1e-3)'),
  }),
  optionAliases: { k: 'floor' },
  needs: ['kpis'],
  create(o) {
    // Floor: the two-sided Gaussian tail of the rarity, "rare means abnormal".
    const floor = o.floor ?? normalQuantile(1 - o.rarity / 2);
    return new CalibratedDetector(new HoltWintersModel(o.periodMinutes === undefined ? undefined : o.periodMinutes * 60_000), { ...o, floor });
  },
});

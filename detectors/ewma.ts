/**
 * EWMA control chart (Roberts 1959): z_t = lambda x_t + (1 - lambda) z_{t-1}, started at the
 * in-control mean mu0; the score is |z_t - mu0| in units of its exact standard deviation
 * sigma sqrt(lambda / (2 - lambda) (1 - (1 - lambda)^(2t))). mu0 and sigma come from training.
 * Sensitive to small persistent shifts and drifts; a pure spike is damped by lambda.
 */
import { z } from 'zod';
import { definePlugin } from '../common/plugin.js';
import type { DetectorPlugin } from './types.js';
import type { Series } from '../data/types.js';
import { alarmOptions, CalibratedDetector, type ScoringModel } from './calibrated.js';
import { meanStd, safeScale } from './stats.js';

export function ewmaScores(values: Float64Array, lambda: number, mu0: number, sigma: number): Float64Array {
  const n = values.length;
  const scores = new Float64Array(n);
  const base = (sigma * sigma * lambda) / (2 - lambda);
  const decay2 = (1 - lambda) * (1 - lambda);
  let z = mu0;
  let decayPow = 1; // (1 - lambda)^(2t)
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== v) {
      scores[i] = NaN;
      continue;
    }
    z = lambda * v + (1 - lambda) * z;
    decayPow *= decay2;
    scores[i] = Math.abs(z - mu0) / Math.sqrt(base * (1 - decayPow));
  }
  return scores;
}

class EwmaModel implements ScoringModel {
  private mu0 = NaN;
  private sigma = NaN;
  constructor(private readonly lambda: number) {}

  fit(train: Series): void {
    const { mean, std } = meanStd(train.values);
    this.mu0 = mean;
    this.sigma = safeScale(std, mean);
  }

  score(series: Series): Float64Array {
    // Without finite training values there is no in-control mean: no judgement.
    if (!Number.isFinite(this.mu0)) return new Float64Array(series.values.length).fill(NaN);
    return ewmaScores(series.values, this.lambda, this.mu0, this.sigma);
  }
}

export const ewmaDetector: DetectorPlugin = definePlugin({
  name: 'ewma',
  description: 'EWMA control chart (Roberts): smoothed level vs the training mean, lambda 0.2, alarm at L >= 3',
  options: z.strictObject({
    lambda: z.number().min(1e-6).max(1).default(0.2).describe('smoothing weight of the newest point'),
    ...alarmOptions(3, 'L, in standard deviations of the smoothed level'),
  }),
  optionAliases: { L: 'floor' },
  needs: ['kpis'],
  create: (o) => new CalibratedDetector(new EwmaModel(o.lambda), o),
});

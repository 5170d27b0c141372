/**
 * Success-rate detector: the failure count f = round(volume x (1 - rate)) is modelled as
 * Binomial(volume, p), p being the failure share learned from training. The score is
 * -log10 P(F >= f), so 2 failures out of 20 at 3 a.m. and 2,000 out of 20,000 at noon, the same
 * rate, get very different scores. A series without volume (volume or latency KPIs, plain CSVs)
 * cannot be judged this way (nor a latency, whose volume counts the calls averaged): it gets NaN scores and no alarms, so the detector can run over a whole
 * KPI set and speak only where it applies.
 */
import { z } from 'zod';
import { definePlugin } from '../common/plugin.js';
import type { DetectorPlugin } from './types.js';
import type { Series } from '../data/types.js';
import { alarmOptions, CalibratedDetector, type ScoringModel } from './calibrated.js';
import { logBinomialUpperTail } from './stats.js';

const LOG10 = Math.log(10);

/** A success rate, or a series of unknown kind that carries a volume (a plugin's or a CSV's). */
function isRate(series: Series): boolean {
  return series.kpi === undefined || series.kpi === 'businessSuccessRate' || series.kpi === 'systemSuccessRate';
}

export function binomialScores(series: Series, p: number): Float64Array {
  const n = series.values.length;
  const scores = new Float64Array(n).fill(NaN);
  const volume = series.volume;
  if (!volume || !isRate(series) || !(p > 0)) return scores;
  for (let i = 0; i < n; i++) {
    const trials = Math.round(volume[i]);
    const rate = series.values[i];
    if (!(trials > 0) || rate !== rate) {
      scores[i] = NaN;
      continue;
    }
    const failures = Math.min(trials, Math.max(0, Math.round(trials * (1 - rate))));
    scores[i] = -logBinomialUpperTail(failures, trials, p) / LOG10;
  }
  return scores;
}

class BinomialModel implements ScoringModel {
  private p = NaN;
  fit(train: Series): void {
    const volume = train.volume;
    if (!volume || !isRate(train)) return;
    let failures = 0;
    let trials = 0;
    for (let i = 0; i < volume.length; i++) {
      const v = Math.round(volume[i]);
      const rate = train.values[i];
      if (v > 0 && rate === rate) {
        trials += v;
        failures += Math.round(v * (1 - rate));
      }
    }
    // Jeffreys prior: a failure-free training period still leaves p > 0.
    this.p = (failures + 0.5) / (trials + 1);
  }
  score(series: Series): Float64Array {
    // Without volume, or without training to learn p from, there is no judgement (NaN scores).
    return binomialScores(series, this.p);
  }
}

export const binomialDetector: DetectorPlugin = definePlugin({
  name: 'binomial',
  description: 'success rate: -log10 P(failures >= f | Binomial(volume, p_train)); needs volume; alarm at >= 3',
  options: z.strictObject({ ...alarmOptions(3, '-log10 of the tail probability') }),
  optionAliases: { minLog10P: 'floor' },
  needs: ['kpis'],
  create: (o) => new CalibratedDetector(new BinomialModel(), o),
});

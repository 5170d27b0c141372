/**
 * The `shitu` ensemble: routes each series by its KPI kind to the detectors the bank's monitoring
 * module uses for it (DOMAIN.md section 3): volume and latency to a Holt-Winters forecast with a
 * Gaussian on the residuals (in the KPI's sampling-noise units), volume also to k-means over
 * window features (for slow drifts the forecast follows); success rates with their volume to the
 * binomial model. A series of unknown kind is
 * treated like volume, and a success rate without volume falls back to the forecast. The members
 * share the ensemble's rarity equally (Bonferroni: the OR's false-alarm rate is their sum). Each member's
 * score is divided by its own alarm level, so the ensemble score is the worst member's multiple
 * of its level and alarms at 1 (an OR of the members' alarms).
 */
import type { Detection, Detector, DetectorFactory } from './types.js';
import type { Series } from '../data/types.js';
import { holtWintersDetector } from './holt-winters.js';
import { kmeansWindowDetector } from './kmeans-window.js';
import { binomialDetector } from './binomial.js';
import { rarityOption } from './calibrate.js';

export function shituMembers(series: Series): DetectorFactory[] {
  const rate = series.kpi === 'businessSuccessRate' || series.kpi === 'systemSuccessRate';
  if (rate && series.volume) return [binomialDetector];
  // The bank runs k-means for slow drifts on volume only; latency gets the forecast alone.
  if (rate || series.kpi === 'avgLatency') return [holtWintersDetector];
  return [holtWintersDetector, kmeansWindowDetector];
}

class Shitu implements Detector {
  private members: Detector[] | undefined;
  constructor(private readonly options?: Record<string, unknown>) {}

  private route(series: Series): Detector[] {
    if (!this.members) {
      // The ensemble alarms when any member does, so its false-alarm rate is the members' sum:
      // each gets an equal share of the rarity (Bonferroni), and their floors follow it.
      const factories = shituMembers(series);
      const rarity = rarityOption('shitu', this.options) / factories.length;
      this.members = factories.map((f) => f.create({ ...this.options, rarity }));
    }
    return this.members;
  }

  async fit(train: Series): Promise<void> {
    for (const m of this.route(train)) await m.fit?.(train);
  }

  async detect(series: Series): Promise<Detection> {
    const n = series.values.length;
    const scores = new Float64Array(n).fill(NaN);
    const alarms = new Uint8Array(n);
    for (const member of this.route(series)) {
      const d = await member.detect(series);
      const level = d.threshold && d.threshold > 0 ? d.threshold : 1;
      for (let i = 0; i < n; i++) {
        const s = d.scores[i] / level;
        if (s > scores[i] || scores[i] !== scores[i]) scores[i] = s;
        if (d.alarms[i]) alarms[i] = 1;
      }
    }
    return { scores, alarms, threshold: 1 };
  }
}

export const shituDetector: DetectorFactory = {
  name: 'shitu',
  description: "the bank's ensemble by KPI kind: volume -> holt-winters + kmeans-window, latency -> holt-winters, success rates -> binomial",
  create: (options) => new Shitu(options),
};

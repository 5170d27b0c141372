/**
 * The `shitu` ensemble: routes each series by its KPI kind to the detectors the bank's monitoring
 * module uses for it (docs/domain.md section 3): volume and latency to a Holt-Winters forecast with a
 * Gaussian on the residuals (in the KPI's sampling-noise units), volume also to k-means over
 * window features (for slow drifts the forecast follows); success rates with their volume to the
 * binomial model. A series of unknown kind is
 * treated like volume, and a success rate without volume falls back to the forecast. The members
 * share the ensemble's rarity equally (Bonferroni: the OR's false-alarm rate is their sum). Each member's
 * score is divided by its own alarm level, so the ensemble score is the worst member's multiple
 * of its level and alarms at 1 (an OR of the members' alarms).
 */
import { z } from 'zod';
import { definePlugin, validateOptions, type OptionsSchema } from '../common/plugin.js';
import type { Detection, Detector, DetectorPlugin } from './types.js';
import type { Series } from '../data/types.js';
import { holtWintersDetector } from './holt-winters.js';
import { kmeansWindowDetector } from './kmeans-window.js';
import { binomialDetector } from './binomial.js';
import { DEFAULT_RARITY } from './calibrate.js';

const MEMBERS = [holtWintersDetector, kmeansWindowDetector, binomialDetector];

export function shituMembers(series: Series): DetectorPlugin[] {
  const rate = series.kpi === 'businessSuccessRate' || series.kpi === 'systemSuccessRate';
  if (rate && series.volume) return [binomialDetector];
  // The bank runs k-means for slow drifts on volume only; latency gets the forecast alone.
  if (rate || series.kpi === 'avgLatency') return [holtWintersDetector];
  return [holtWintersDetector, kmeansWindowDetector];
}

type ShituOptions = { rarity: number } & Record<string, unknown>;

class Shitu implements Detector {
  private members: Detector[] | undefined;
  constructor(private readonly options: ShituOptions) {}

  private route(series: Series): Detector[] {
    if (!this.members) {
      // The ensemble alarms when any member does, so its false-alarm rate is the members' sum:
      // each gets an equal share of the rarity (Bonferroni), and their floors follow it, unless
      // the member's own options say otherwise.
      const plugins = shituMembers(series);
      const rarity = this.options.rarity / plugins.length;
      this.members = plugins.map((p) =>
        p.create(validateOptions(`detector shitu: member ${p.name}`, p.options!, { rarity, ...(this.options[p.name] as Record<string, unknown>) })),
      );
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

export const shituDetector: DetectorPlugin = definePlugin({
  name: 'shitu',
  description: "the bank's ensemble by KPI kind: volume -> holt-winters + kmeans-window, latency -> holt-winters, success rates -> binomial",
  options: z.strictObject({
    rarity: z.number().min(1e-9).max(0.5).default(DEFAULT_RARITY).describe('share of training scores allowed above the alarm level, split equally over the members'),
    // Each member's own options, by name (`shitu:holt-winters.floor=4`); checked when it is built.
    ...Object.fromEntries(MEMBERS.map((m) => [m.name, (m.options as OptionsSchema).partial().optional().describe(`options of the ${m.name} member`)])),
  }),
  needs: ['kpis'],
  create: (o) => new Shitu(o as ShituOptions),
});

import type { KpiName } from '../../sim/formats.js';
import { kpiOfSeriesId } from '../../data/kpi-csv.js';
import type { Series } from '../../data/types.js';
import { rankServices } from '../span-context.js';
import { robust } from '../span-stats.js';
import { z } from 'zod';
import { definePlugin } from '../../common/plugin.js';
import type { Evidence, RcaPlugin } from '../types.js';

const MINUTE = 60_000;

/**
 * Which way a KPI moves when a service is hurt, and the smallest scale worth a sigma at a minute
 * with `n` calls: a rate's binomial standard error (so that a few failures on a quiet service are
 * not a move), 5% of a latency, the Poisson spread of a volume.
 */
const rateError = (p: number, n: number): number => {
  const m = Math.max(1, n);
  const q = Math.min(Math.max(p, 1 / (m + 2)), 1 - 1 / (m + 2)); // a rate of exactly 0 or 1 still has spread
  return Math.max(0.002, Math.sqrt((q * (1 - q)) / m));
};
const KPIS: { kpi: KpiName; sign: 1 | -1 | 0; floor: (median: number, n: number) => number }[] = [
  { kpi: 'systemSuccessRate', sign: -1, floor: rateError },
  { kpi: 'businessSuccessRate', sign: -1, floor: rateError },
  { kpi: 'avgLatency', sign: 1, floor: (m) => 0.05 * Math.abs(m) },
  { kpi: 'volume', sign: 0, floor: (m) => Math.sqrt(Math.max(1, m)) },
];

/**
 * KPI-only: for each service's minute KPIs, the first minute from the incident's start on
 * whose value departs from the service's own recent past (robust z against the hour before the
 * incident) in the harmful direction. The service that moved first ranks first; ties (faults
 * spread within a minute) go to the larger move. Needs no spans.
 */
export const kpiFirstRca: RcaPlugin = definePlugin({
  name: 'kpi-first',
  description: 'the service whose golden KPIs moved first (robust z vs the hour before), no spans needed',
  options: z.strictObject({
    z: z.number().min(0).default(4).describe('robust z a KPI must move by, in the harmful direction'),
    lookbackMs: z.number().positive().default(60 * MINUTE).describe('reference window before the incident, ms'),
  }),
  needs: ['kpis'],
  create: (options) => ({
    rank(input) {
      if (!input.kpis) throw new Error('kpi-first: needs KPIs (kpis.arrow of the data set)');
      const { z, lookbackMs } = options;
      const inc = input.incident;
      const byId = new Map<string, Series>();
      for (const s of input.kpis) if (s.id.startsWith('service:') && kpiOfSeriesId(s.id)) byId.set(s.id, s);
      const names = [...new Set([...byId.keys()].map((id) => id.slice(8, id.lastIndexOf(':'))))].sort();
      const onset = new Float64Array(names.length).fill(Infinity);
      const peak = new Float64Array(names.length);
      const what: string[] = names.map(() => 'no KPI moved');
      const moved: (Evidence | undefined)[] = names.map(() => undefined);
      names.forEach((name, s) => {
        for (const { kpi, sign, floor } of KPIS) {
          const series = byId.get(`service:${name}:${kpi}`);
          if (!series) continue;
          const { timestamps: minutes, values } = series;
          // The calls behind each point: a rate's binomial trials.
          const volume = series.volume;
          const ref: number[] = [];
          for (let i = 0; i < minutes.length; i++) {
            if (minutes[i] >= inc.start - lookbackMs && minutes[i] < inc.start) ref.push(values[i]);
          }
          const { median, scale } = robust(ref.filter(Number.isFinite));
          if (!Number.isFinite(median)) continue;
          const from = Math.floor(inc.start / MINUTE) * MINUTE;
          for (let i = 0; i < minutes.length; i++) {
            if (minutes[i] < from || minutes[i] >= inc.end) continue;
            const sigma = Math.max(scale, floor(median, volume ? volume[i] : 1), 1e-9);
            const d = (values[i] - median) / sigma;
            const harm = sign === 0 ? Math.abs(d) : sign * d;
            if (!(harm > z)) continue;
            if (minutes[i] < onset[s] || (minutes[i] === onset[s] && harm > peak[s])) {
              onset[s] = minutes[i];
              peak[s] = harm;
              what[s] = `${kpi} moved ${harm.toFixed(1)} sigma at ${new Date(minutes[i]).toISOString()}`;
              moved[s] = { kind: 'metric', subject: `service:${name}:${kpi}`, value: values[i], baseline: median, note: `${harm.toFixed(1)} sigma from its median over the reference window, first at ${new Date(minutes[i]).toISOString()}` };
            }
            break;
          }
        }
      });
      // Earlier onset first; then the larger move.
      const score = names.map((_, s) => (Number.isFinite(onset[s]) ? -(onset[s] - inc.start) / MINUTE : NaN));
      return rankServices(names, score, (s) => what[s], { tieBreak: peak, evidence: (s) => (moved[s] ? [moved[s]] : []) });
    },
  }),
});

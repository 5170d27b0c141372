import { z } from 'zod';
import { definePlugin } from '../../common/plugin.js';
import { rankInstances, serviceOrder, type InstanceScore } from '../candidates.js';
import { dropRepeatedSpans } from '../span-stats.js';
import { metricChanges } from '../signals/metric-change.js';
import { errorWordTemplates } from '../../data/log-templates.js';
import { isErrorLine } from '../signals/log-evidence.js';
import type { LogTable, SpanTable } from '../../data/types.js';
import { hasSpans, type Evidence, type RcaPlugin } from '../types.js';

function p95(values: number[]): number {
  const v = values.slice().sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.ceil(0.95 * v.length) - 1)];
}

/** Durations per `service\0operation`, and per instance too when `byInstance`. */
function durations(t: SpanTable, byInstance: boolean): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (let i = 0; i < t.length; i++) {
    const k = `${byInstance ? t.strings[t.instance[i]] : ''}\u0000${t.strings[t.service[i]]}\u0000${t.strings[t.operation[i]]}`;
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(t.end[i] - t.start[i]);
  }
  return out;
}

const baselineP95 = new WeakMap<SpanTable, Map<string, { p95: number; n: number }>>();

function referenceP95(t: SpanTable): Map<string, { p95: number; n: number }> {
  let m = baselineP95.get(t);
  if (!m) {
    m = new Map();
    for (const [k, v] of durations(dropRepeatedSpans(t), false)) m.set(k.slice(1), { p95: p95(v), n: v.length });
    baselineP95.set(t, m);
  }
  return m;
}

/** Error lines per instance name: lines at ERROR or above, or with an error word where the level is unknown. */
function errorLines(t: LogTable, words: Uint8Array): { errors: Map<string, number>; volume: Map<string, number>; service: Map<string, string> } {
  const errors = new Map<string, number>();
  const volume = new Map<string, number>();
  const service = new Map<string, string>();
  for (let i = 0; i < t.length; i++) {
    const inst = t.strings[t.instance[i]];
    volume.set(inst, (volume.get(inst) ?? 0) + 1);
    if (!service.has(inst)) service.set(inst, t.strings[t.service[i]]);
    if (isErrorLine(t.level[i], words[t.template[i]] ?? 0, false)) errors.set(inst, (errors.get(inst) ?? 0) + 1);
  }
  return { errors, volume, service };
}

/**
 * The simple rules that public studies find match published RCA methods on easy benchmarks, per
 * instance: the share of its metrics with a value beyond three standard deviations of their
 * reference; the share of its operations whose P95 duration is beyond 3x the baseline's; its share
 * of the window's error log lines in excess of the reference rate. An instance scores the sum of
 * the shares its data has. The bar every other method must clear.
 */
export const simpleRulesRca: RcaPlugin = definePlugin({
  name: 'simple-rules',
  description: 'three-sigma on metrics, operation P95 beyond 3x baseline, excess error log lines (the bar to clear)',
  options: z.strictObject({
    latencyFactor: z.number().min(1).default(3).describe('an operation is slow when its window P95 exceeds this many times its baseline P95'),
    minCalls: z.number().int().min(1).default(5).describe('fewest window calls of an operation (and 2x that in the baseline) to judge its P95'),
  }),
  reference: true,
  // Ranks from whichever of its three sources the data has.
  needs: [],
  needsAny: ['spans', 'metrics', 'logs'],
  create: (options) => ({
    rank(input) {
      interface Parts {
        service: string;
        metric: number;
        metrics: number;
        slowOps: number;
        ops: number;
        errors: number;
      }
      const parts = new Map<string, Parts>();
      const of = (instance: string, service: string) => {
        let p = parts.get(instance);
        if (!p) parts.set(instance, (p = { service, metric: 0, metrics: 0, slowOps: 0, ops: 0, errors: 0 }));
        return p;
      };
      const spans = dropRepeatedSpans(input.spans);
      const ref = referenceP95(input.baseline);
      for (const [k, v] of durations(spans, true)) {
        const [instance, service, op] = k.split('\u0000');
        const b = ref.get(`${service}\u0000${op}`);
        if (v.length < options.minCalls || !b || b.n < 2 * options.minCalls) continue;
        const p = of(instance, service);
        p.ops++;
        if (p95(v) > options.latencyFactor * b.p95) p.slowOps++;
      }
      if (input.metrics) {
        for (const c of metricChanges(input.metrics, input.incident)) {
          const p = of(c.instance, c.service);
          p.metrics++;
          if (c.threeSigma) p.metric++;
        }
      }
      let totalExcess = 0;
      if (input.logs && input.baselineLogs) {
        const words = errorWordTemplates(input.logs.templates);
        const w = errorLines(input.logs, words);
        const r = errorLines(input.baselineLogs, words);
        for (const [inst, n] of w.errors) {
          const refVolume = r.volume.get(inst) ?? 0;
          const expected = refVolume ? ((r.errors.get(inst) ?? 0) * w.volume.get(inst)!) / refVolume : 0;
          const excess = Math.max(0, n - expected);
          of(inst, w.service.get(inst)!).errors = excess;
          totalExcess += excess;
        }
      }
      // The explanation speaks of the sources the incident has.
      const withSpans = hasSpans(input);
      const hasLogs = input.logs !== undefined && input.baselineLogs !== undefined;
      const scores = new Map<string, InstanceScore>();
      for (const [instance, p] of parts) {
        const m = p.metrics ? p.metric / p.metrics : 0;
        const s = p.ops ? p.slowOps / p.ops : 0;
        const e = totalExcess ? p.errors / totalExcess : 0;
        const evidence: Evidence[] = [];
        if (p.metrics) evidence.push({ kind: 'metric', subject: instance, value: p.metric, unit: 'metrics beyond 3 sigma', note: `of ${p.metrics} metrics` });
        if (p.ops) evidence.push({ kind: 'calls', subject: instance, value: p.slowOps, unit: `operations with P95 beyond ${options.latencyFactor}x baseline`, note: `of ${p.ops} operations` });
        if (hasLogs) evidence.push({ kind: 'log', subject: instance, value: p.errors, unit: 'error log lines above the reference rate', note: `of ${totalExcess.toFixed(0)} in excess over all instances` });
        scores.set(instance, {
          service: p.service,
          score: m + s + e,
          evidence,
          explanation: [
            ...(input.metrics ? [`${p.metric} of ${p.metrics} metrics beyond 3 sigma`] : []),
            ...(withSpans ? [`${p.slowOps} of ${p.ops} operations with P95 beyond ${options.latencyFactor}x baseline`] : []),
            ...(hasLogs ? [`${p.errors.toFixed(0)} error log lines above the reference rate`] : []),
          ].join('; '),
        });
      }
      return rankInstances(scores, serviceOrder(spans));
    },
  }),
});

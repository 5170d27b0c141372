import { z } from 'zod';
import { definePlugin } from '../../common/plugin.js';
import { rankInstances, serviceOrder, type InstanceScore } from '../candidates.js';
import { analyseWindow, fitReference } from '../reference.js';
import { DEFAULT_ERROR_OPERATION } from '../../data/span-status.js';
import { metricChanges, referenceScale, type ScaleRule } from '../signals/metric-change.js';
import { errorWordTemplates } from '../../data/log-templates.js';
import { spanSeries, timeRange, type InstanceSeries } from '../signals/span-series.js';
import { hasSpans, type Evidence, type RcaPlugin } from '../types.js';

const median = (sorted: Float64Array) => {
  const pos = (sorted.length - 1) / 2;
  return (sorted[Math.floor(pos)] + sorted[Math.ceil(pos)]) / 2;
};

/** The kind of signal a series name is ('metric cpu up', 'log error share', 'edge gap in', 'span self-time'). */
function seriesKind(series: string): Evidence['kind'] {
  return series.startsWith('metric ') ? 'metric' : series.startsWith('log ') ? 'log' : series.startsWith('edge ') ? 'edge' : 'calls';
}

/**
 * Robust scores of span and log series: per (instance, series), the largest deviation of a window
 * bucket from the reference buckets' median, in robust scales (`referenceScale`: under `floored`,
 * the series' IQR, floored at 5% of its typical magnitude across instances).
 */
function seriesScores(reference: InstanceSeries, window: InstanceSeries, minReference: number, rule: ScaleRule): { instance: string; service: string; series: string; z: number }[] {
  const refStats = new Map<string, Map<string, { sorted: Float64Array; median: number }>>();
  const magnitudes = new Map<string, number[]>();
  for (const [inst, { series }] of reference) {
    const m = new Map<string, { sorted: Float64Array; median: number }>();
    for (const [name, values] of series) {
      const sorted = values.filter((v) => v === v).sort();
      if (sorted.length < minReference) continue;
      const med = median(sorted);
      m.set(name, { sorted, median: med });
      let list = magnitudes.get(name);
      if (!list) magnitudes.set(name, (list = []));
      list.push(Math.abs(med));
    }
    refStats.set(inst, m);
  }
  const magnitude = new Map([...magnitudes].map(([name, list]) => [name, median(Float64Array.from(list).sort())]));
  const out: { instance: string; service: string; series: string; z: number }[] = [];
  for (const [inst, { service, series }] of window) {
    for (const [name, values] of series) {
      const r = refStats.get(inst)?.get(name);
      if (!r) continue;
      const scale = referenceScale(rule, r.sorted, r.median, magnitude.get(name) ?? 0);
      if (scale === undefined) continue;
      let best = -1;
      for (const v of values) if (v === v) best = Math.max(best, Math.abs(v - r.median) / scale);
      if (best >= 0) out.push({ instance: inst, service, series: name, z: best });
    }
  }
  return out;
}

/**
 * BARO's multi-source ranking (Pham et al., FSE 2024): every series an instance has (its
 * metrics; from its spans the mean duration, self-time, failure share and edge gap in time
 * buckets; from its logs the share of error lines) is scaled robustly on its reference (median,
 * inter-quartile range) and scored by its largest deviation in the incident window; an instance
 * scores as its most deviant series. BARO finds the anomaly's start with Bayesian online change
 * point detection; here the incident window gives it. Without spans (metrics, logs: the published
 * setting) the scale is RCAEval's; with them, floored so that series of every source compare.
 */
export const baroRca: RcaPlugin = definePlugin({
  name: 'baro',
  description: 'BARO: robust-scaled deviation of each metric, span and log series per instance; the most deviant series ranks first',
  options: z.strictObject({
    stepMs: z.number().positive().default(10_000).describe('bucket of the span and log series, ms'),
    minReference: z.number().int().min(2).default(5).describe('fewest reference points (buckets or metric rows) a series needs to be judged'),
    errorOperation: z.string().optional().describe("regex of operations that mark their parent failed when statuses are unknown (default: Spring's error handler)"),
    scale: z
      .enum(['auto', 'iqr', 'floored'])
      .default('auto')
      .describe("robust scale of every series: iqr = RCAEval's (inter-quartile range, 1 where 0, series constant in their reference left out); floored = IQR/1.349 or 1.4826 MAD, at least 5% of the series' typical magnitude across instances; auto = iqr where the incident has no spans, floored where it has"),
  }),
  // Ranks from whichever of its three sources the data has.
  needs: [],
  needsAny: ['spans', 'metrics', 'logs'],
  create: (options) => ({
    rank(input) {
      const errorOperation = options.errorOperation !== undefined ? new RegExp(options.errorOperation) : DEFAULT_ERROR_OPERATION;
      const ref = fitReference(input.baseline, 3, errorOperation);
      const win = analyseWindow(input.spans, ref, errorOperation);
      const words = input.logs ? errorWordTemplates(input.logs.templates) : undefined;
      const [refFrom, refTo] = timeRange(ref.analysis.table.start, ref.analysis.table.end);
      const logsFrom = input.baselineLogs?.length ? input.baselineLogs.time[0] : refFrom;
      const logsTo = input.baselineLogs?.length ? input.baselineLogs.time[input.baselineLogs.length - 1] + 1 : refTo;
      const referenceSeries = spanSeries(ref.analysis, ref.gaps, input.logs ? input.baselineLogs : undefined, words, Math.min(refFrom, logsFrom), Math.max(refTo, logsTo), options.stepMs);
      const windowSeries = spanSeries(win.analysis, win.gaps, input.logs, words, input.incident.start, input.incident.end, options.stepMs);
      // Without spans the series are the published setting's (metrics, logs): scaled as published.
      const rule: ScaleRule = options.scale !== 'auto' ? options.scale : hasSpans(input) ? 'floored' : 'iqr';
      const found = seriesScores(referenceSeries, windowSeries, options.minReference, rule);
      if (input.metrics) {
        for (const c of metricChanges(input.metrics, input.incident, { minReference: options.minReference, scale: rule })) {
          found.push({ instance: c.instance, service: c.service, series: `metric ${c.metric} ${c.direction > 0 ? 'up' : 'down'}`, z: c.z });
        }
      }
      const scores = new Map<string, InstanceScore>();
      for (const f of found) {
        const s = scores.get(f.instance);
        if (!s || f.z > s.score) {
          scores.set(f.instance, {
            service: f.service,
            score: f.z,
            explanation: `${f.series}: ${f.z.toFixed(1)} robust scales from its reference`,
            evidence: [{ kind: seriesKind(f.series), subject: `${f.instance} ${f.series}`, value: f.z, unit: 'robust scales from its reference median' }],
          });
        }
      }
      return rankInstances(scores, serviceOrder(win.analysis.table));
    },
  }),
});

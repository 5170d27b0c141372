/**
 * Time series derived from spans and logs, per instance, for ranking beside metrics (BARO's
 * multi-source setting): in fixed time buckets, the mean duration and mean self-time of the calls
 * an instance served, the share of them that failed, the mean edge gap of the calls into it, and
 * the share of its log lines that are errors. Only intensive quantities (means and shares), so a
 * bucket cut short by the edge of a window is not a drop of traffic.
 */
import { isError, type SpanAnalysis } from '../span-stats.js';
import type { EdgeGaps } from './edge-latency.js';
import { isErrorLine } from './log-evidence.js';
import type { LogTable } from '../../data/types.js';

/** `instance` -> series name -> bucket values (NaN where the bucket has no data). */
export type InstanceSeries = Map<string, { service: string; series: Map<string, Float64Array> }>;

class Buckets {
  readonly sum = new Map<string, Map<string, Float64Array>>();
  readonly count = new Map<string, Map<string, Float64Array>>();
  readonly service = new Map<string, string>();

  constructor(
    private readonly origin: number,
    private readonly step: number,
    private readonly buckets: number,
  ) {}

  add(instance: string, service: string, name: string, time: number, value: number): void {
    if (value !== value) return;
    const b = Math.floor((time - this.origin) / this.step);
    if (b < 0 || b >= this.buckets) return;
    if (!this.service.has(instance)) this.service.set(instance, service);
    const get = (m: Map<string, Map<string, Float64Array>>) => {
      let byName = m.get(instance);
      if (!byName) m.set(instance, (byName = new Map()));
      let a = byName.get(name);
      if (!a) byName.set(name, (a = new Float64Array(this.buckets)));
      return a;
    };
    get(this.sum)[b] += value;
    get(this.count)[b] += 1;
  }

  means(): InstanceSeries {
    const out: InstanceSeries = new Map();
    for (const [instance, byName] of this.sum) {
      const series = new Map<string, Float64Array>();
      for (const [name, sum] of byName) {
        const n = this.count.get(instance)!.get(name)!;
        series.set(name, Float64Array.from(sum, (s, i) => (n[i] ? s / n[i] : NaN)));
      }
      out.set(instance, { service: this.service.get(instance)!, series });
    }
    return out;
  }
}

/** Span and log series of one table over [from, to) in buckets of `step` ms. */
export function spanSeries(a: SpanAnalysis, gaps: EdgeGaps, logs: LogTable | undefined, errorTemplate: Uint8Array | undefined, from: number, to: number, step: number): InstanceSeries {
  const buckets = Math.max(1, Math.ceil((to - from) / step));
  const b = new Buckets(from, step, buckets);
  const { table: t, index: ix, self } = a;
  for (let i = 0; i < t.length; i++) {
    if (gaps.clientSpan[i]) continue;
    const r = ix.blameRow[i];
    const inst = t.strings[t.instance[r]];
    const svc = t.strings[t.service[r]];
    const at = t.start[i];
    b.add(inst, svc, 'span duration', at, Math.log1p(t.end[i] - t.start[i]));
    b.add(inst, svc, 'span self-time', at, Math.log1p(self[i]));
    b.add(inst, svc, 'span failures', at, isError(t, i) ? 1 : 0);
    b.add(inst, svc, 'edge gap in', at, Math.log1p(gaps.gap[i]));
  }
  if (logs && errorTemplate) {
    for (let i = 0; i < logs.length; i++) {
      const error = isErrorLine(logs.level[i], errorTemplate[logs.template[i]] ?? 0, false) ? 1 : 0;
      b.add(logs.strings[logs.instance[i]], logs.strings[logs.service[i]], 'log error share', logs.time[i], error);
    }
  }
  return b.means();
}

/** Earliest and latest time of a table's spans (an empty range when none). */
export function timeRange(start: Float64Array, end: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < start.length; i++) {
    if (start[i] < lo) lo = start[i];
    if (end[i] > hi) hi = end[i];
  }
  return [lo, hi];
}

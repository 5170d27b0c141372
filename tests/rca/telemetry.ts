/** Hand-made metric and log tables and span tables with edge delays, for the multi-source RCA tests. */
import { LogTemplateMiner } from '../../data/log-templates.js';
import { SpanTableBuilder } from '../../data/span-table.js';
import { LOG_LEVEL, type LogTable, type MetricTable, type SpanTable } from '../../data/types.js';

/** A metric table from per-instance series sampled every minute from t0: { instance: { metric: values } }. */
export function metricTable(t0: number, series: Record<string, Record<string, number[]>>, serviceOf = (i: string) => i.replace(/-\d+$/, '')): MetricTable {
  const strings: string[] = [];
  const id = (s: string) => (strings.includes(s) ? strings.indexOf(s) : strings.push(s) - 1);
  const names = [...new Set(Object.values(series).flatMap((m) => Object.keys(m)))];
  const time: number[] = [];
  const service: number[] = [];
  const instance: number[] = [];
  const values: number[][] = names.map(() => []);
  for (const inst of Object.keys(series).sort()) {
    const n = Math.max(...Object.values(series[inst]).map((v) => v.length));
    for (let k = 0; k < n; k++) {
      time.push(t0 + k * 60_000);
      service.push(id(serviceOf(inst)));
      instance.push(id(inst));
      names.forEach((m, j) => values[j].push(series[inst][m]?.[k] ?? NaN));
    }
  }
  return {
    length: time.length,
    strings,
    time: Float64Array.from(time),
    service: Int32Array.from(service),
    instance: Int32Array.from(instance),
    names,
    values: values.map((v) => Float64Array.from(v)),
  };
}

export interface LogLine {
  time: number;
  instance: string;
  level: keyof typeof LOG_LEVEL;
  message: string;
  trace?: string;
  span?: string;
}

/** A line a span adds to its INFO line, `after` ms later (default 0.2). */
export type ExtraLine = { level: LogLine['level']; message: string; after?: number };

/**
 * An INFO line on every ledger and account span, tied to its trace and span, and per span the
 * extra line `extra` gives.
 */
export function ledgerAccountLines(spans: SpanTable, extra: (svc: string, start: number, i: number) => ExtraLine | undefined): LogLine[] {
  const out: LogLine[] = [];
  for (let i = 0; i < spans.length; i++) {
    const svc = spans.strings[spans.service[i]];
    if (svc !== 'ledger' && svc !== 'account') continue;
    const base = { time: spans.start[i] + 0.1, instance: spans.strings[spans.instance[i]], trace: spans.strings[spans.traceId[i]], span: spans.strings[spans.spanId[i]] };
    out.push({ ...base, level: 'info', message: `${svc} handling request ${i}` });
    const e = extra(svc, spans.start[i], i);
    if (e) out.push({ ...base, time: base.time + (e.after ?? 0.2), level: e.level, message: e.message });
  }
  return out;
}

/** A time-sorted log table, mined with `miner` (share one between an incident's table and its reference). */
export function logTable(lines: LogLine[], miner: LogTemplateMiner, serviceOf = (i: string) => i.replace(/-\d+$/, '')): LogTable {
  const sorted = [...lines].sort((a, b) => a.time - b.time);
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const id = (s: string) => {
    let k = ids.get(s);
    if (k === undefined) ids.set(s, (k = strings.push(s) - 1));
    return k;
  };
  const template = sorted.map((l) => miner.mine(l.message).template);
  return {
    length: sorted.length,
    strings,
    time: Float64Array.from(sorted, (l) => l.time),
    service: Int32Array.from(sorted, (l) => id(serviceOf(l.instance))),
    instance: Int32Array.from(sorted, (l) => id(l.instance)),
    traceId: Int32Array.from(sorted, (l) => (l.trace ? id(l.trace) : -1)),
    spanId: Int32Array.from(sorted, (l) => (l.span ? id(l.span) : -1)),
    level: Uint8Array.from(sorted, (l) => LOG_LEVEL[l.level]),
    template: Int32Array.from(template),
    templates: miner.templates(),
  };
}

export interface CallSpec {
  service: string;
  instance?: string;
  operation?: string;
  /** Callee's own processing, ms. */
  work: number;
  /** Time between caller and callee each way (network), ms. */
  hop?: number;
  children?: CallSpec[];
}

/**
 * Span tables in the two forms real data comes in: `merged` (one row per call, the caller's times
 * with the callee's own beside them, as message-log trees give) and `split` (a client span on the
 * caller with the server span on the callee as its only child, as OpenTelemetry agents record;
 * no callee view columns).
 */
export class TraceBuilder {
  readonly merged = new SpanTableBuilder();
  readonly split = new SpanTableBuilder();
  private spanNo = 0;

  /** Adds one trace starting at `start`; returns its end. */
  add(trace: string, start: number, root: CallSpec): number {
    const mt = this.merged.intern(trace);
    const st = this.split.intern(trace);
    const walk = (c: CallSpec, at: number, mergedParent: number, splitParent: number, caller: string | undefined): number => {
      const hop = c.hop ?? 1;
      const serverStart = at + hop;
      const op = c.operation ?? `${c.service}.op`;
      const inst = c.instance ?? `${c.service}-1`;
      const id = `s${++this.spanNo}`;
      const mRow = this.merged.add(mt, this.merged.intern(id), mergedParent, this.merged.intern(c.service), this.merged.intern(inst), this.merged.intern(op), at, 0, 0, 1, 1, 0, serverStart, NaN);
      let clientRow = splitParent;
      if (caller !== undefined) {
        clientRow = this.split.add(st, this.split.intern(`${id}c`), splitParent, this.split.intern(caller), this.split.intern(`${caller}-1`), this.split.intern(`call ${c.service}`), at, 0, 0);
      }
      const sRow = this.split.add(st, this.split.intern(id), clientRow, this.split.intern(c.service), this.split.intern(inst), this.split.intern(op), serverStart, 0, 0);
      let t = serverStart + c.work / 2;
      for (const child of c.children ?? []) t = walk(child, t, mRow, sRow, c.service) + 0.5;
      const serverEnd = t + c.work / 2;
      const end = serverEnd + hop;
      this.merged.end[mRow] = end;
      this.merged.serverEnd[mRow] = serverEnd;
      this.split.end[sRow] = serverEnd;
      if (caller !== undefined) this.split.end[clientRow] = end;
      return end;
    };
    return walk(root, start, -1, -1, undefined);
  }

  tables(): { merged: SpanTable; split: SpanTable } {
    const merged = this.merged.finish();
    const split = this.split.finish();
    delete split.serverStart;
    delete split.serverEnd;
    return { merged, split };
  }
}

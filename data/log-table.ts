/** Selections and unions of log and metric tables, column by column (no per-row objects). */
import type { LogTable, MetricTable } from './types.js';
import { lowerBound } from '../common/sorted.js';

function pick<T extends Int32Array | Float64Array | Uint8Array>(a: T, rows: Int32Array): T {
  const out = new (a.constructor as new (k: number) => T)(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = a[rows[i]];
  return out;
}

/** The rows of a log table whose index is listed (in that order), sharing its strings and templates. */
export function selectLogRows(t: LogTable, rows: Int32Array): LogTable {
  return {
    length: rows.length,
    strings: t.strings,
    time: pick(t.time, rows),
    service: pick(t.service, rows),
    instance: pick(t.instance, rows),
    traceId: pick(t.traceId, rows),
    spanId: pick(t.spanId, rows),
    level: pick(t.level, rows),
    template: pick(t.template, rows),
    templates: t.templates,
  };
}

/** Lines of a time-sorted log table (readLogs sorts) with time in [from, to). */
export function logsBetween(t: LogTable, from: number, to: number): LogTable {
  const a = lowerBound(t.time, from);
  const b = Math.max(a, lowerBound(t.time, to));
  return selectLogRows(t, Int32Array.from({ length: b - a }, (_, i) => a + i));
}

/**
 * Several log tables as one, in time order: strings re-interned, template ids kept (the tables
 * must have been mined with one miner); the templates are the longest list among them.
 */
export function concatLogTables(tables: LogTable[]): LogTable {
  const nonEmpty = tables.filter((t) => t.length > 0);
  if (nonEmpty.length === 1) return nonEmpty[0];
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const intern = (s: string) => {
    let id = ids.get(s);
    if (id === undefined) ids.set(s, (id = strings.push(s) - 1));
    return id;
  };
  const n = tables.reduce((s, t) => s + t.length, 0);
  const time = new Float64Array(n);
  const service = new Int32Array(n);
  const instance = new Int32Array(n);
  const traceId = new Int32Array(n);
  const spanId = new Int32Array(n);
  const level = new Uint8Array(n);
  const template = new Int32Array(n);
  let templates: string[] = [];
  let k = 0;
  for (const t of tables) {
    if (t.templates.length > templates.length) templates = t.templates;
    // Tables cut from a larger one share its whole string table: intern only what rows use.
    const code = new Int32Array(t.strings.length).fill(-1);
    const c = (s: number) => (s < 0 ? -1 : code[s] >= 0 ? code[s] : (code[s] = intern(t.strings[s])));
    for (let i = 0; i < t.length; i++, k++) {
      time[k] = t.time[i];
      service[k] = c(t.service[i]);
      instance[k] = c(t.instance[i]);
      traceId[k] = c(t.traceId[i]);
      spanId[k] = c(t.spanId[i]);
      level[k] = t.level[i];
      template[k] = t.template[i];
    }
  }
  const joined: LogTable = { length: n, strings, time, service, instance, traceId, spanId, level, template, templates };
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => time[a] - time[b] || a - b);
  return selectLogRows(joined, order);
}

/** The rows of a metric table for which `keep(time)` holds, order kept. */
export function selectMetricRows(t: MetricTable, keep: (time: number) => boolean): MetricTable {
  const rows: number[] = [];
  for (let i = 0; i < t.length; i++) if (keep(t.time[i])) rows.push(i);
  const r = Int32Array.from(rows);
  return {
    length: r.length,
    strings: t.strings,
    time: pick(t.time, r),
    service: pick(t.service, r),
    instance: pick(t.instance, r),
    names: t.names,
    values: t.values.map((v) => pick(v, r)),
  };
}

/** Lines per (instance, template, minute), column-wise, sorted by instance, template, then minute. */
export interface TemplateCounts {
  length: number;
  /** Instance names (the log table's strings). */
  instance: Int32Array;
  template: Int32Array;
  /** Unix ms of the minute's start. */
  minute: Float64Array;
  count: Int32Array;
}

/** How many lines of each template each instance wrote in each minute (or `stepMs` bucket). */
export function templateCounts(t: LogTable, stepMs = 60_000): TemplateCounts {
  // One number per (instance, template, bucket), ordered as the result is: no per-line strings.
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < t.length; i++) {
    const b = Math.floor(t.time[i] / stepMs);
    if (b < first) first = b;
    if (b > last) last = b;
  }
  const buckets = t.length ? last - first + 1 : 1;
  const templates = Math.max(1, t.templates.length);
  const counts = new Map<number, number>();
  for (let i = 0; i < t.length; i++) {
    const key = (t.instance[i] * templates + t.template[i]) * buckets + (Math.floor(t.time[i] / stepMs) - first);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const keys = Float64Array.from(counts.keys()).sort();
  const n = keys.length;
  const out: TemplateCounts = { length: n, instance: new Int32Array(n), template: new Int32Array(n), minute: new Float64Array(n), count: new Int32Array(n) };
  for (let k = 0; k < n; k++) {
    const key = keys[k];
    const bucket = key % buckets;
    const pair = (key - bucket) / buckets;
    out.template[k] = pair % templates;
    out.instance[k] = (pair - out.template[k]) / templates;
    out.minute[k] = (first + bucket) * stepMs;
    out.count[k] = counts.get(key)!;
  }
  return out;
}

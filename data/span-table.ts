import type { SpanTable } from './types.js';
import { grown, type GrowableArray } from '../common/typed-array.js';

/**
 * Appends calls row by row into growable typed columns and interns strings, so that builders
 * (message-log trees, CSV replay) never hold per-row objects.
 */
export class SpanTableBuilder {
  length = 0;
  readonly strings: string[] = [];
  private readonly ids = new Map<string, number>();
  private cap: number;
  traceId: Int32Array;
  spanId: Int32Array;
  parent: Int32Array;
  service: Int32Array;
  instance: Int32Array;
  operation: Int32Array;
  start: Float64Array;
  end: Float64Array;
  status: Uint8Array;
  attempts: Uint16Array;
  repeats: Uint16Array;
  callerFault: Uint8Array;
  serverStart: Float64Array;
  serverEnd: Float64Array;
  /** Whether any call carried the callee's own times: only then does the table get those columns. */
  private hasServerTimes = false;

  constructor(capacity = 1024) {
    this.cap = Math.max(16, capacity);
    this.traceId = new Int32Array(this.cap);
    this.spanId = new Int32Array(this.cap);
    this.parent = new Int32Array(this.cap);
    this.service = new Int32Array(this.cap);
    this.instance = new Int32Array(this.cap);
    this.operation = new Int32Array(this.cap);
    this.start = new Float64Array(this.cap);
    this.end = new Float64Array(this.cap);
    this.status = new Uint8Array(this.cap);
    this.attempts = new Uint16Array(this.cap);
    this.repeats = new Uint16Array(this.cap);
    this.callerFault = new Uint8Array(this.cap);
    this.serverStart = new Float64Array(this.cap);
    this.serverEnd = new Float64Array(this.cap);
  }

  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  /**
   * Adds a string known to be new (a trace or span id) without the dedup lookup: ids are unique
   * per call, and hashing millions of them is the builders' largest cost.
   */
  appendString(s: string): number {
    this.strings.push(s);
    return this.strings.length - 1;
  }

  /** Appends one call whose string fields are already interned ids; returns its row. */
  add(
    traceId: number,
    spanId: number,
    parent: number,
    service: number,
    instance: number,
    operation: number,
    start: number,
    end: number,
    status: number,
    attempts = 1,
    repeats = 1,
    callerFault = 0,
    serverStart = NaN,
    serverEnd = NaN,
  ): number {
    if (this.length === this.cap) this.grow();
    const i = this.length++;
    this.traceId[i] = traceId;
    this.spanId[i] = spanId;
    this.parent[i] = parent;
    this.service[i] = service;
    this.instance[i] = instance;
    this.operation[i] = operation;
    this.start[i] = start;
    this.end[i] = end;
    this.status[i] = status;
    this.attempts[i] = Math.min(attempts, 65535);
    this.repeats[i] = Math.min(repeats, 65535);
    this.callerFault[i] = callerFault;
    this.serverStart[i] = serverStart;
    this.serverEnd[i] = serverEnd;
    if (serverStart === serverStart || serverEnd === serverEnd) this.hasServerTimes = true;
    return i;
  }

  private grow(): void {
    this.cap *= 2;
    const g = <T extends GrowableArray>(a: T): T => grown(a, this.cap);
    this.traceId = g(this.traceId);
    this.spanId = g(this.spanId);
    this.parent = g(this.parent);
    this.service = g(this.service);
    this.instance = g(this.instance);
    this.operation = g(this.operation);
    this.start = g(this.start);
    this.end = g(this.end);
    this.status = g(this.status);
    this.attempts = g(this.attempts);
    this.repeats = g(this.repeats);
    this.callerFault = g(this.callerFault);
    this.serverStart = g(this.serverStart);
    this.serverEnd = g(this.serverEnd);
  }

  finish(): SpanTable {
    const n = this.length;
    const t: SpanTable = {
      length: n,
      strings: this.strings,
      traceId: this.traceId.slice(0, n),
      spanId: this.spanId.slice(0, n),
      parent: this.parent.slice(0, n),
      service: this.service.slice(0, n),
      instance: this.instance.slice(0, n),
      operation: this.operation.slice(0, n),
      start: this.start.slice(0, n),
      end: this.end.slice(0, n),
      status: this.status.slice(0, n),
      attempts: this.attempts.slice(0, n),
      repeats: this.repeats.slice(0, n),
      callerFault: this.callerFault.slice(0, n),
    };
    if (this.hasServerTimes) {
      t.serverStart = this.serverStart.slice(0, n);
      t.serverEnd = this.serverEnd.slice(0, n);
    }
    return t;
  }
}

export function emptySpanTable(): SpanTable {
  return new SpanTableBuilder(16).finish();
}

/**
 * The rows of `table` for which `keep[row]` is 1, as a new table sharing the string table; parent
 * links into dropped rows become roots.
 */
export function selectRows(table: SpanTable, keep: Uint8Array): SpanTable {
  const n = table.length;
  const newRow = new Int32Array(n).fill(-1);
  let m = 0;
  for (let i = 0; i < n; i++) if (keep[i]) newRow[i] = m++;
  const idx = new Int32Array(m);
  for (let i = 0; i < n; i++) if (keep[i]) idx[newRow[i]] = i;
  const pick32 = (a: Int32Array): Int32Array => {
    const b = new Int32Array(m);
    for (let j = 0; j < m; j++) b[j] = a[idx[j]];
    return b;
  };
  const pick64 = (a: Float64Array): Float64Array => {
    const b = new Float64Array(m);
    for (let j = 0; j < m; j++) b[j] = a[idx[j]];
    return b;
  };
  const parent = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    const p = table.parent[idx[j]];
    parent[j] = p < 0 ? -1 : newRow[p];
  }
  const status = new Uint8Array(m);
  for (let j = 0; j < m; j++) status[j] = table.status[idx[j]];
  const out: SpanTable = {
    length: m,
    strings: table.strings,
    traceId: pick32(table.traceId),
    spanId: pick32(table.spanId),
    parent,
    service: pick32(table.service),
    instance: pick32(table.instance),
    operation: pick32(table.operation),
    start: pick64(table.start),
    end: pick64(table.end),
    status,
  };
  if (table.attempts && table.repeats) {
    const a = new Uint16Array(m);
    const r = new Uint16Array(m);
    for (let j = 0; j < m; j++) {
      a[j] = table.attempts[idx[j]];
      r[j] = table.repeats[idx[j]];
    }
    out.attempts = a;
    out.repeats = r;
  }
  if (table.callerFault) {
    const f = new Uint8Array(m);
    for (let j = 0; j < m; j++) f[j] = table.callerFault[idx[j]];
    out.callerFault = f;
  }
  if (table.serverStart && table.serverEnd) {
    out.serverStart = pick64(table.serverStart);
    out.serverEnd = pick64(table.serverEnd);
  }
  return out;
}

/**
 * Whole traces whose first call starts in [from, to): an RCA window keeps complete trees so that
 * parent/child structure survives the cut.
 */
export function selectTraces(table: SpanTable, from: number, to: number): SpanTable {
  const first = new Map<number, number>();
  for (let i = 0; i < table.length; i++) {
    const t = table.traceId[i];
    const s = table.start[i];
    const f = first.get(t);
    if (f === undefined || s < f) first.set(t, s);
  }
  const keep = new Uint8Array(table.length);
  for (let i = 0; i < table.length; i++) {
    const f = first.get(table.traceId[i])!;
    keep[i] = f >= from && f < to ? 1 : 0;
  }
  return selectRows(table, keep);
}

/** Earliest call start in the table (NaN when empty). */
export function firstStart(table: SpanTable): number {
  let m = Infinity;
  for (let i = 0; i < table.length; i++) if (table.start[i] < m) m = table.start[i];
  return table.length ? m : NaN;
}

/** Several span tables as one (the strings their rows use re-interned, parent rows offset). */
export function concatSpanTables(tables: SpanTable[]): SpanTable {
  const b = new SpanTableBuilder(tables.reduce((s, t) => s + t.length, 0));
  for (const t of tables) {
    const offset = b.length;
    // Tables cut from a larger one share its whole string table: intern only what rows use.
    const code = new Int32Array(t.strings.length).fill(-1);
    const c = (s: number) => (code[s] >= 0 ? code[s] : (code[s] = b.intern(t.strings[s])));
    for (let i = 0; i < t.length; i++) {
      const p = t.parent[i];
      b.add(
        c(t.traceId[i]),
        c(t.spanId[i]),
        p < 0 ? -1 : p + offset,
        c(t.service[i]),
        c(t.instance[i]),
        c(t.operation[i]),
        t.start[i],
        t.end[i],
        t.status[i],
        t.attempts?.[i] ?? 1,
        t.repeats?.[i] ?? 1,
        t.callerFault?.[i] ?? 0,
        t.serverStart?.[i] ?? NaN,
        t.serverEnd?.[i] ?? NaN,
      );
    }
  }
  return b.finish();
}

import type { SpanTable } from './types.js';
import { grown, type GrowableArray } from '../common/typed-array.js';
import { StringDictionary } from '../common/string-dictionary.js';
import { stableOrder } from '../common/argsort.js';
import { lowerBound } from '../common/sorted.js';

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
  let m = 0;
  for (let i = 0; i < table.length; i++) if (keep[i]) m++;
  const rows = new Int32Array(m);
  for (let i = 0, j = 0; i < table.length; i++) if (keep[i]) rows[j++] = i;
  return pickRows(table, rows);
}

/** Per table: a row -> new row scratch column, all -1 between uses (cutting windows must not cost O(table) each). */
const newRowScratch = new WeakMap<SpanTable, Int32Array>();

/** The given rows (ascending) of `table` as a new table sharing its string table; parents outside become roots. */
export function pickRows(table: SpanTable, rows: Int32Array): SpanTable {
  const m = rows.length;
  let newRow = newRowScratch.get(table);
  if (!newRow) newRowScratch.set(table, (newRow = new Int32Array(table.length).fill(-1)));
  for (let j = 0; j < m; j++) newRow[rows[j]] = j;
  const pick = <T extends Int32Array | Float64Array | Uint8Array | Uint16Array>(a: T): T => {
    const b = new (a.constructor as new (k: number) => T)(m);
    for (let j = 0; j < m; j++) b[j] = a[rows[j]];
    return b;
  };
  const parent = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    const p = table.parent[rows[j]];
    parent[j] = p < 0 ? -1 : newRow[p];
  }
  for (let j = 0; j < m; j++) newRow[rows[j]] = -1;
  const out: SpanTable = {
    length: m,
    strings: table.strings,
    traceId: pick(table.traceId),
    spanId: pick(table.spanId),
    parent,
    service: pick(table.service),
    instance: pick(table.instance),
    operation: pick(table.operation),
    start: pick(table.start),
    end: pick(table.end),
    status: pick(table.status),
  };
  if (table.attempts && table.repeats) {
    out.attempts = pick(table.attempts);
    out.repeats = pick(table.repeats);
  }
  if (table.callerFault) out.callerFault = pick(table.callerFault);
  if (table.serverStart && table.serverEnd) {
    out.serverStart = pick(table.serverStart);
    out.serverEnd = pick(table.serverEnd);
  }
  return out;
}

/**
 * Per table, computed once (windows are cut many times): the rows ordered by their trace's first
 * start, and that first start for each of them in the same order.
 */
interface TraceStartIndex {
  rows: Int32Array;
  starts: Float64Array;
}
const traceStartIndex = new WeakMap<SpanTable, TraceStartIndex>();

function traceStarts(table: SpanTable): TraceStartIndex {
  let index = traceStartIndex.get(table);
  if (index) return index;
  let codes = 0;
  for (let i = 0; i < table.length; i++) if (table.traceId[i] >= codes) codes = table.traceId[i] + 1;
  const first = new Float64Array(codes).fill(Infinity);
  for (let i = 0; i < table.length; i++) {
    const t = table.traceId[i];
    if (table.start[i] < first[t]) first[t] = table.start[i];
  }
  // The traces are sorted (far fewer than rows), then the rows grouped by their trace's rank. Rows
  // of traces with equal first starts may interleave otherwise than in a sort of the rows, which
  // selectTraces, cutting by start and putting the rows back in table order, does not see.
  const seen = new Uint8Array(codes);
  for (let i = 0; i < table.length; i++) seen[table.traceId[i]] = 1;
  const present: number[] = [];
  for (let c = 0; c < codes; c++) if (seen[c]) present.push(c);
  const byStart = stableOrder(Float64Array.from(present, (c) => first[c]));
  const rank = new Int32Array(codes);
  for (let k = 0; k < byStart.length; k++) rank[present[byStart[k]]] = k;
  const from = new Int32Array(present.length + 1);
  for (let i = 0; i < table.length; i++) from[rank[table.traceId[i]] + 1]++;
  for (let k = 0; k < present.length; k++) from[k + 1] += from[k];
  const rows = new Int32Array(table.length);
  const starts = new Float64Array(table.length);
  for (let i = 0; i < table.length; i++) {
    const k = from[rank[table.traceId[i]]]++;
    rows[k] = i;
    starts[k] = first[table.traceId[i]];
  }
  traceStartIndex.set(table, (index = { rows, starts }));
  return index;
}

/**
 * Whole traces whose first call starts in [from, to): an RCA window keeps complete trees so that
 * parent/child structure survives the cut. Rows keep their order in the table.
 */
export function selectTraces(table: SpanTable, from: number, to: number): SpanTable {
  return pickRows(table, rowsOfTraces(table, from, to).slice().sort());
}

/** Whether a trace starts in [from, to): whether selectTraces takes anything. */
export function hasTraces(table: SpanTable, from: number, to: number): boolean {
  return rowsOfTraces(table, from, to).length > 0;
}

/** The rows of the traces whose first call starts in [from, to), in the order of those starts. */
function rowsOfTraces(table: SpanTable, from: number, to: number): Int32Array {
  const { rows, starts } = traceStarts(table);
  const a = lowerBound(starts, from);
  return rows.subarray(a, Math.max(a, lowerBound(starts, to)));
}

/** Earliest call start in the table (NaN when empty). */
export function firstStart(table: SpanTable): number {
  let m = Infinity;
  for (let i = 0; i < table.length; i++) if (table.start[i] < m) m = table.start[i];
  return table.length ? m : NaN;
}

/** Per (source, target) intern table: each source code's code in the target, as far as computed. */
const recoded = new WeakMap<string[], WeakMap<string[], Int32Array>>();

/** The codes of `source`'s strings in `target`'s dictionary, adding the strings it lacks. */
function recode(source: string[], target: StringDictionary): Int32Array {
  let byTarget = recoded.get(source);
  if (!byTarget) recoded.set(source, (byTarget = new WeakMap()));
  let codes = byTarget.get(target.strings);
  // An intern table only grows: codes computed before stay right.
  if (!codes || codes.length < source.length) {
    const done = codes?.length ?? 0;
    const next = new Int32Array(source.length);
    if (codes) next.set(codes);
    for (let i = done; i < source.length; i++) next[i] = target.internString(source[i]);
    byTarget.set(target.strings, (codes = next));
  }
  return codes;
}

/**
 * Several span tables as one, parent rows offset. Tables that share an intern table keep their
 * codes; otherwise the result shares the intern table of the input with the most strings, to which
 * the strings only the others hold are added (an intern table only grows, so codes stay valid).
 */
export function concatSpanTables(tables: SpanTable[]): SpanTable {
  if (tables.length === 0) return emptySpanTable();
  const target = tables.reduce((a, t) => (t.strings.length > a.strings.length ? t : a)).strings;
  const dict = tables.every((t) => t.strings === target) ? undefined : StringDictionary.of(target);
  const n = tables.reduce((s, t) => s + t.length, 0);
  const out: SpanTable = {
    length: n,
    strings: target,
    traceId: new Int32Array(n),
    spanId: new Int32Array(n),
    parent: new Int32Array(n),
    service: new Int32Array(n),
    instance: new Int32Array(n),
    operation: new Int32Array(n),
    start: new Float64Array(n),
    end: new Float64Array(n),
    status: new Uint8Array(n),
    attempts: new Uint16Array(n),
    repeats: new Uint16Array(n),
  };
  if (tables.some((t) => t.callerFault)) out.callerFault = new Uint8Array(n);
  if (tables.some((t) => t.serverStart && t.serverEnd)) {
    out.serverStart = new Float64Array(n).fill(NaN);
    out.serverEnd = new Float64Array(n).fill(NaN);
  }
  let offset = 0;
  for (const t of tables) {
    const code = dict && t.strings !== target ? recode(t.strings, dict) : undefined;
    const copyCodes = (from: Int32Array, to: Int32Array) => {
      if (code) for (let i = 0; i < t.length; i++) to[offset + i] = code[from[i]];
      else to.set(from.subarray(0, t.length), offset);
    };
    copyCodes(t.traceId, out.traceId);
    copyCodes(t.spanId, out.spanId);
    copyCodes(t.service, out.service);
    copyCodes(t.instance, out.instance);
    copyCodes(t.operation, out.operation);
    for (let i = 0; i < t.length; i++) out.parent[offset + i] = t.parent[i] < 0 ? -1 : t.parent[i] + offset;
    out.start.set(t.start.subarray(0, t.length), offset);
    out.end.set(t.end.subarray(0, t.length), offset);
    out.status.set(t.status.subarray(0, t.length), offset);
    if (t.attempts) out.attempts!.set(t.attempts.subarray(0, t.length), offset);
    else out.attempts!.fill(1, offset, offset + t.length);
    if (t.repeats) out.repeats!.set(t.repeats.subarray(0, t.length), offset);
    else out.repeats!.fill(1, offset, offset + t.length);
    if (t.callerFault) out.callerFault!.set(t.callerFault.subarray(0, t.length), offset);
    if (t.serverStart && t.serverEnd) {
      out.serverStart!.set(t.serverStart.subarray(0, t.length), offset);
      out.serverEnd!.set(t.serverEnd.subarray(0, t.length), offset);
    }
    offset += t.length;
  }
  return out;
}

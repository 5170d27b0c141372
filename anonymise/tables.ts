/**
 * Pseudonymising each kind of in-memory table column-wise: every string column of a table is a
 * small set of distinct values (dictionaries, intern tables), so each distinct value is hashed
 * once and rows only get new integer codes. Each table also has a `learn…` pass that registers
 * its names before any free text is scrubbed (a word is kept only if no known name contains it).
 */
import type { Incident, Series, SpanTable } from '../data/types.js';
import { DEFAULT_ERROR_OPERATION, inferStatus } from '../data/span-status.js';
import type { DictColumn, MessageBatch } from '../sim/formats.js';
import type { MessageDictColumn } from '../sim/message-schema.js';
import type { OperationMode, PseudonymKind, Pseudonymiser } from './pseudonymise.js';

/** How each message column is treated; columns not listed (msgType, logPoint, retClass) are enums and stay. */
const MESSAGE_DICT_KINDS: Partial<Record<MessageDictColumn, PseudonymKind | 'text'>> = {
  topic: 'topic',
  txType: 'txType',
  senderSubsystem: 'subsystem',
  senderService: 'service',
  senderInstance: 'instance',
  senderIp: 'ip',
  senderDcn: 'dcn',
  receiverSubsystem: 'subsystem',
  receiverService: 'service',
  receiverInstance: 'instance',
  receiverIp: 'ip',
  receiverDcn: 'dcn',
  retCode: 'text',
};
const MESSAGE_DICT_COLUMNS = Object.keys(MESSAGE_DICT_KINDS) as MessageDictColumn[];

/** Span columns by rule; any other column fails loudly rather than passing through unexamined. */
const SPAN_ID_COLUMNS = { traceId: 'traceId', spanId: 'spanId', service: 'service', instance: 'instance' } as const satisfies Partial<Record<keyof SpanTable, PseudonymKind>>;
const SPAN_TIME_COLUMNS = ['start', 'end', 'serverStart', 'serverEnd'] as const;
const SPAN_KEPT_COLUMNS = new Set(['length', 'strings', 'operation', 'parent', 'status', 'attempts', 'repeats', 'callerFault']);

/** Register a span table's services and instances as names. */
export function learnSpanNames(t: SpanTable, p: Pseudonymiser): void {
  const seen = new Uint8Array(t.strings.length);
  for (const [col, kind] of [[t.service, 'service'], [t.instance, 'instance']] as const) {
    seen.fill(0);
    for (let i = 0; i < t.length; i++) {
      if (seen[col[i]]) continue;
      seen[col[i]] = 1;
      p.map(kind, t.strings[col[i]]);
    }
  }
}

/**
 * A new SpanTable with pseudonymised strings and shifted times; row order and parent links
 * unchanged. Where statuses are unknown, the failure an error-handler child implies (data/
 * span-status.ts) is written out first: the handler's name, which says it, is pseudonymised.
 */
export function anonymiseSpans(input: SpanTable, p: Pseudonymiser, shiftMs: number, field: string, operations: OperationMode, errorOperation = DEFAULT_ERROR_OPERATION): SpanTable {
  const t = inferStatus(input, errorOperation);
  let inferred = 0;
  for (let i = 0; i < t.length; i++) if (t.status[i] !== input.status[i]) inferred++;
  p.tally(`${field}.status`, inferred);
  for (const key of Object.keys(t)) {
    if (!(key in SPAN_ID_COLUMNS) && !(SPAN_TIME_COLUMNS as readonly string[]).includes(key) && !SPAN_KEPT_COLUMNS.has(key)) {
      throw new Error(`span column '${key}' has no anonymisation rule (anonymise/tables.ts)`);
    }
  }
  const strings: string[] = [];
  const interned = new Map<string, number>();
  const intern = (s: string): number => {
    let id = interned.get(s);
    if (id === undefined) {
      id = strings.push(s) - 1;
      interned.set(s, id);
    }
    return id;
  };
  const column = (ids: Int32Array, name: string, rename: (s: string) => string): Int32Array => {
    const cache = new Int32Array(t.strings.length).fill(-1);
    const out = new Int32Array(t.length);
    let replaced = 0;
    for (let i = 0; i < t.length; i++) {
      const id = ids[i];
      let code = cache[id];
      if (code < 0) code = cache[id] = intern(rename(t.strings[id]));
      out[i] = code;
      if (t.strings[id] !== '') replaced++;
    }
    p.tally(`${field}.${name}`, replaced);
    return out;
  };
  const out: SpanTable = { ...t, strings };
  for (const [col, kind] of Object.entries(SPAN_ID_COLUMNS) as [keyof typeof SPAN_ID_COLUMNS, PseudonymKind][]) {
    out[col] = column(t[col], col, (s) => p.map(kind, s));
  }
  // Operations are counted once per distinct name (by the pseudonymiser), not per row.
  const opCache = new Int32Array(t.strings.length).fill(-1);
  out.operation = new Int32Array(t.length);
  for (let i = 0; i < t.length; i++) {
    const id = t.operation[i];
    let code = opCache[id];
    if (code < 0) code = opCache[id] = intern(p.operation(t.strings[id], operations, `${field}.operation`));
    out.operation[i] = code;
  }
  for (const col of SPAN_TIME_COLUMNS) {
    const times = t[col];
    if (times) out[col] = shiftTimes(times, shiftMs);
  }
  return out;
}

/** Register a message batch's names (services, instances, subsystems, DCNs, topics, transaction types). */
export function learnMessageNames(batch: MessageBatch, p: Pseudonymiser): void {
  for (const c of MESSAGE_DICT_COLUMNS) {
    const kind = MESSAGE_DICT_KINDS[c]!;
    if (kind !== 'text' && kind !== 'ip') for (const v of batch[c].values) p.map(kind, v);
  }
}

/** A pseudonymised copy of one message batch (codes are kept; only dictionaries change). */
export function anonymiseMessageBatch(batch: MessageBatch, p: Pseudonymiser, shiftMs: number): MessageBatch {
  const n = batch.length;
  const out = { ...batch };
  for (const c of MESSAGE_DICT_COLUMNS) {
    const kind = MESSAGE_DICT_KINDS[c]!;
    const col: DictColumn = batch[c];
    if (kind === 'text') {
      out[c] = { codes: col.codes, values: col.values.map((v) => p.scrubText(v, `messages.${c}`)) };
      continue;
    }
    const uses = new Int32Array(col.values.length);
    for (let i = 0; i < n; i++) uses[col.codes[i]]++;
    let replaced = 0;
    const values = col.values.map((v, code) => {
      if (v !== '') replaced += uses[code];
      return p.map(kind, v);
    });
    p.tally(`messages.${c}`, replaced);
    out[c] = { codes: col.codes, values };
  }
  out.bizSeqNo = batch.bizSeqNo.slice(0, n).map((v) => p.map('bizSeqNo', v));
  out.uniqueId = batch.uniqueId.slice(0, n).map((v) => p.map('uniqueId', v));
  p.tally('messages.bizSeqNo', out.bizSeqNo.filter((v) => v !== '').length);
  p.tally('messages.uniqueId', out.uniqueId.filter((v) => v !== '').length);
  // A message body never reaches a MessageBatch; times only move.
  out.sendTime = shiftTimes(batch.sendTime.subarray(0, n), shiftMs);
  out.recvTime = shiftTimes(batch.recvTime.subarray(0, n), shiftMs);
  return out;
}

function shiftTimes(times: Float64Array, shiftMs: number): Float64Array {
  if (shiftMs === 0) return times;
  const out = new Float64Array(times.length);
  for (let i = 0; i < times.length; i++) out[i] = times[i] + shiftMs;
  return out;
}

const SERIES_ID_RE = /^(service|txType):(.+):([^:]+)$/;

/** Register the names inside KPI series ids. */
export function learnSeriesNames(series: Series[], p: Pseudonymiser): void {
  for (const s of series) anonymiseSeriesId(s.id, p);
}

/**
 * A KPI series id with its name part pseudonymised: `service:<name>:kpi` as a service name (so it
 * matches the spans' services), `txType:<name>:kpi` as a transaction type (so it matches the
 * messages'); any other id is a series name of its own (e.g. a NAB file) and is pseudonymised whole.
 */
export function anonymiseSeriesId(id: string, p: Pseudonymiser): string {
  const m = SERIES_ID_RE.exec(id);
  if (!m) return p.map('series', id);
  return `${m[1]}:${p.map(m[1] === 'service' ? 'service' : 'txType', m[2])}:${m[3]}`;
}

export function anonymiseSeries(series: Series[], p: Pseudonymiser, shiftMs: number): Series[] {
  const out = series.map((s) => ({ ...s, id: anonymiseSeriesId(s.id, p), timestamps: shiftTimes(s.timestamps, shiftMs) }));
  p.tally('kpis.series', series.length);
  const ids = new Set(out.map((s) => s.id));
  if (ids.size !== out.length) throw new Error('two KPI series ids map to the same pseudonym; use a different key');
  return out;
}

/** Register incidents' root-cause services and instances. */
export function learnIncidentNames(incidents: Incident[], p: Pseudonymiser): void {
  for (const i of incidents) {
    for (const s of i.rootCause) p.map('service', s);
    if (i.rootCauseInstance !== undefined) p.map('instance', i.rootCauseInstance);
  }
}

export function anonymiseIncidents(incidents: Incident[], p: Pseudonymiser, shiftMs: number): Incident[] {
  const out = incidents.map((i) => {
    const o: Incident = { id: p.map('incident', i.id), start: i.start + shiftMs, end: i.end + shiftMs, rootCause: i.rootCause.map((s) => p.map('service', s)) };
    if (i.rootCauseInstance !== undefined) o.rootCauseInstance = p.map('instance', i.rootCauseInstance);
    if (i.type !== undefined) o.type = p.scrubText(i.type, 'incidents.type');
    return o;
  });
  p.tally('incidents.id', incidents.length);
  p.tally('incidents.rootCause', incidents.reduce((s, i) => s + i.rootCause.length, 0));
  p.tally('incidents.rootCauseInstance', incidents.filter((i) => i.rootCauseInstance).length);
  return out;
}

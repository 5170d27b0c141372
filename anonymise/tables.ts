/**
 * Pseudonymising each kind of table column-wise: every string column of a table is a small set of
 * distinct values (dictionaries, intern tables), so each distinct value is hashed once and rows
 * only get new integer codes.
 */
import { SpanTableBuilder } from '../data/span-table.js';
import type { Incident, SpanTable } from '../data/types.js';
import type { DictColumn, MessageBatch } from '../sim/formats.js';
import type { MessageDictColumn } from '../sim/message-schema.js';
import type { Series } from '../data/types.js';
import type { PseudonymKind, Pseudonymiser } from './pseudonymise.js';

/** How each message column is treated; columns not listed (msgType, logPoint, retClass) are enums and stay. */
const MESSAGE_DICT_KINDS: Partial<Record<MessageDictColumn, PseudonymKind | 'text'>> = {
  topic: 'topic',
  txType: 'text',
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
// Names first so that free-text columns can be scrubbed of them.
const MESSAGE_DICT_ORDER = (Object.keys(MESSAGE_DICT_KINDS) as MessageDictColumn[]).sort(
  (a, b) => Number(MESSAGE_DICT_KINDS[a] === 'text') - Number(MESSAGE_DICT_KINDS[b] === 'text'),
);

/** A new SpanTable with pseudonymised strings and shifted times; row order and parent links unchanged. */
export function anonymiseSpans(t: SpanTable, p: Pseudonymiser, shiftMs: number, field: string): SpanTable {
  const b = new SpanTableBuilder(t.length);
  const n = t.length;
  const column = (ids: Int32Array, name: string, rename: (s: string) => string): Int32Array => {
    const cache = new Int32Array(t.strings.length).fill(-1);
    const out = new Int32Array(n);
    let replaced = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      let code = cache[id];
      if (code < 0) code = cache[id] = b.intern(rename(t.strings[id]));
      out[i] = code;
      if (t.strings[id] !== '') replaced++;
    }
    p.tally(`${field}.${name}`, replaced);
    return out;
  };
  const service = column(t.service, 'service', (s) => p.map('service', s));
  const instance = column(t.instance, 'instance', (s) => p.map('instance', s));
  const traceId = column(t.traceId, 'trace_id', (s) => p.map('traceId', s));
  const spanId = column(t.spanId, 'span_id', (s) => p.map('spanId', s));
  const operation = new Int32Array(n);
  const opCache = new Int32Array(t.strings.length).fill(-1);
  for (let i = 0; i < n; i++) {
    const id = t.operation[i];
    let code = opCache[id];
    if (code < 0) code = opCache[id] = b.intern(p.scrubText(t.strings[id], `${field}.operation`));
    operation[i] = code;
  }
  for (let i = 0; i < n; i++) {
    b.add(traceId[i], spanId[i], t.parent[i], service[i], instance[i], operation[i], t.start[i] + shiftMs, t.end[i] + shiftMs, t.status[i], t.attempts?.[i] ?? 1, t.repeats?.[i] ?? 1);
  }
  const out = b.finish();
  if (!t.attempts) delete out.attempts;
  if (!t.repeats) delete out.repeats;
  return out;
}

/** A pseudonymised copy of one message batch (codes are kept; only dictionaries change). */
export function anonymiseMessageBatch(batch: MessageBatch, p: Pseudonymiser, shiftMs: number): MessageBatch {
  const n = batch.length;
  const out = { ...batch };
  for (const c of MESSAGE_DICT_ORDER) {
    const kind = MESSAGE_DICT_KINDS[c]!;
    const col: DictColumn = batch[c];
    const uses = new Int32Array(col.values.length);
    for (let i = 0; i < n; i++) uses[col.codes[i]]++;
    let replaced = 0;
    const values = col.values.map((v, code) => {
      if (v !== '') replaced += uses[code];
      return kind === 'text' ? p.scrubText(v, `messages.${c}`) : p.map(kind, v);
    });
    if (kind !== 'text') p.tally(`messages.${c}`, replaced);
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

/**
 * A KPI series id with its name part pseudonymised: `service:<name>:kpi` as a service name (so it
 * matches the spans' services), `txType:<name>:kpi` scrubbed as free text; any other id is a
 * series name of its own (e.g. a NAB file) and is pseudonymised whole.
 */
export function anonymiseSeriesId(id: string, p: Pseudonymiser): string {
  const m = SERIES_ID_RE.exec(id);
  if (!m) return p.map('series', id);
  const name = m[1] === 'service' ? p.map('service', m[2]) : p.scrubText(m[2], 'kpis.txType');
  return `${m[1]}:${name}:${m[3]}`;
}

export function anonymiseSeries(series: Series[], p: Pseudonymiser, shiftMs: number): Series[] {
  const out = series.map((s) => ({ ...s, id: anonymiseSeriesId(s.id, p), timestamps: shiftTimes(s.timestamps, shiftMs) }));
  p.tally('kpis.series', series.length);
  const ids = new Set(out.map((s) => s.id));
  if (ids.size !== out.length) throw new Error('two KPI series ids map to the same pseudonym; use a different key');
  return out;
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

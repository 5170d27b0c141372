import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, type GenerateOptions } from '../../sim/generate.js';
import { DEFAULT_METRIC_FAMILIES, LOG_CSV_COLUMNS, METRIC_CSV_KEY_COLUMNS, metricNamesOf, SPAN_CSV_COLUMNS } from '../../sim/formats.js';
import { readMetricFrame, scanLogs, scanMessages } from '../../sim/read.js';

const root = mkdtempSync(join(tmpdir(), 'fl-exp-'));
const scenario = join(root, 'short.yaml');
writeFileSync(
  scenario,
  [
    'extends: fault-base',
    'duration: 10m',
    'faults:',
    '  - { type: packet-loss, target: { from: transfer-service, to: account-service }, start: 3m, duration: 5m, severity: 0.6 }',
    '  - { type: channel-outage, target: { channel: clearing-network }, start: 3m, duration: 5m, severity: 0.6 }',
  ].join('\n'),
);
const base = { scenario, seed: 3 };
const out = (name: string) => join(root, name);
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  return rows;
}

type Span = Record<(typeof SPAN_CSV_COLUMNS)[number], string>;
function spans(dir: string): Span[] {
  const [header, ...rows] = parseCsv(readFileSync(join(dir, 'spans.csv'), 'utf8'));
  expect(header).toEqual([...SPAN_CSV_COLUMNS]);
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])) as Span);
}
const ns = (ms: number) => BigInt(Math.floor(ms)) * 1_000_000n + BigInt(Math.round((ms - Math.floor(ms)) * 1e6));

/** Per uniqueId, from messages.arrow: the caller's send and receipt, the callee's receipt and reply. */
const legs = new Map<string, { send?: number; delivered?: number; replied?: number; received?: number; async: boolean; receiver: string }>();
let full: Span[];

beforeAll(async () => {
  const exportAll: GenerateOptions['export'] = { spans: 'csv', logsCsv: true, metricsCsv: true };
  await generate({ ...base, out: out('full'), export: exportAll });
  await generate({ ...base, out: out('plain') });
  full = spans(out('full'));
  await scanMessages(join(out('full'), 'messages.arrow'), (b) => {
    for (let i = 0; i < b.length; i++) {
      const uid = b.uniqueId[i]!;
      const l = legs.get(uid) ?? { async: b.msgType.values[b.msgType.codes[i]!] === 'async', receiver: '' };
      const lp = b.logPoint.values[b.logPoint.codes[i]!];
      if (lp === 'REQ_CLIENT_MESH') {
        l.send = b.sendTime[i]!;
        l.receiver = b.receiverInstance.values[b.receiverInstance.codes[i]!]!;
      } else if (lp === 'REQ_MESH_CLIENT') l.delivered = b.recvTime[i]!;
      else if (lp === 'RSP_CLIENT_MESH') l.replied = b.sendTime[i]!;
      else if (lp === 'RSP_MESH_CLIENT') l.received = b.recvTime[i]!;
      legs.set(uid, l);
    }
  });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('telemetry exports', () => {
  it('leave the data set as it was', () => {
    for (const f of ['messages.arrow', 'kpis.arrow', 'logs.arrow', 'metrics.arrow', 'truth.json']) expect(sha(join(out('full'), f)), f).toBe(sha(join(out('plain'), f)));
  });

  it('record each call as a client span on the caller and a server span on the callee, at the times of the message log', () => {
    const byId = new Map(full.map((s) => [s.span_id, s]));
    let calls = 0;
    for (const [uid, l] of legs) {
      calls++;
      const client = byId.get(`${uid}-c`);
      const server = byId.get(`${uid}-s`);
      const callerIsApp = client === undefined;
      if (!callerIsApp) {
        expect(client!.kind).toBe('client');
        expect(BigInt(client!.start_ns)).toBe(ns(l.send!));
        if (!l.async && l.received !== undefined) expect(BigInt(client!.end_ns)).toBe(ns(l.received));
        if (l.async && l.delivered !== undefined) expect(BigInt(client!.end_ns)).toBe(ns(l.delivered));
        expect(byId.get(client!.parent_id)?.kind).toBe('server'); // the caller's handling of its own call
      }
      if (l.delivered !== undefined && l.replied !== undefined) {
        expect(server, uid).toBeDefined();
        expect(server!).toMatchObject({ kind: 'server', instance: l.receiver, parent_id: callerIsApp ? '' : `${uid}-c` });
        expect(BigInt(server!.start_ns)).toBe(ns(l.delivered));
        expect(BigInt(server!.end_ns)).toBe(ns(l.replied));
        // The network and broker time between the two is the gap between the spans.
        if (client && !l.async && l.received !== undefined) expect(BigInt(server!.start_ns)).toBeGreaterThan(BigInt(client.start_ns));
      }
      if (l.delivered === undefined) expect(server).toBeUndefined(); // lost on the way: the callee never saw it
    }
    expect(calls).toBeGreaterThan(5_000);
    // Every trace has exactly one root: the entry service's server span.
    const roots = full.filter((s) => s.parent_id === '');
    expect(roots.every((s) => s.kind === 'server')).toBe(true);
    expect(new Set(roots.map((s) => s.trace_id)).size).toBe(roots.length);
    expect(new Set(full.map((s) => s.status))).toEqual(new Set(['ok', 'business', 'error']));
  });

  it('sample whole traces, leave some services uninstrumented, skew host clocks, drop the status', async () => {
    await generate({ ...base, out: out('messy'), export: { spans: 'csv', sampling: 0.3, uninstrumented: 0.3, clockSkewMs: 50, spanStatus: false } });
    const messy = spans(out('messy'));
    const traces = (s: Span[]) => new Set(s.map((x) => x.trace_id));
    const kept = traces(messy);
    const share = kept.size / traces(full).size;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.35);
    expect(messy.every((s) => s.status === '')).toBe(true);
    // Uninstrumented services record nothing, and leave their callees' spans with parents never exported.
    const silent = new Set([...new Set(full.map((s) => s.service))].filter((svc) => !messy.some((s) => s.service === svc)));
    expect(silent.size).toBeGreaterThan(3);
    const ids = new Set(messy.map((s) => s.span_id));
    expect(messy.filter((s) => s.parent_id !== '' && !ids.has(s.parent_id)).length).toBeGreaterThan(100);
    // Each host's clock is off by its own constant: the offset is the same for all its spans.
    const truth = new Map(full.map((s) => [s.span_id, s]));
    const offsets = new Map<string, Set<number>>();
    for (const s of messy) {
      if (!kept.has(s.trace_id) || !truth.has(s.span_id)) continue;
      const d = Number(BigInt(s.start_ns) - BigInt(truth.get(s.span_id)!.start_ns)) / 1e6;
      const set = offsets.get(s.instance) ?? new Set<number>();
      set.add(Math.round(d * 1000));
      offsets.set(s.instance, set);
    }
    const perHost = [...offsets.values()].map((set) => [...set]);
    expect(perHost.every((o) => o.length === 1 || Math.max(...o) - Math.min(...o) <= 1)).toBe(true);
    const sd = Math.sqrt(perHost.reduce((a, o) => a + (o[0]! / 1000) ** 2, 0) / perHost.length);
    expect(sd).toBeGreaterThan(25);
    expect(sd).toBeLessThan(100);
  });

  it('write OTLP/JSON lines with client and server kinds, the same times and links as the span CSV', async () => {
    await generate({ ...base, out: out('otlp'), export: { spans: 'otlp', logsCsv: true } });
    const lines = readFileSync(join(out('otlp'), 'spans.otlp.jsonl'), 'utf8').trim().split('\n');
    const csvTimes = new Map(full.map((s) => [`${s.span_id}`, `${s.start_ns}-${s.end_ns}`]));
    let n = 0;
    const kinds = new Set<number>();
    for (const line of lines) {
      const doc = JSON.parse(line) as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue: string } }[] }; scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
      for (const rs of doc.resourceSpans) {
        expect(rs.resource.attributes.map((a) => a.key)).toEqual(['service.name', 'service.instance.id', 'host.name']);
        for (const span of rs.scopeSpans[0]!.spans) {
          n++;
          expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
          expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
          kinds.add(span.kind as number);
          const attrs = new Map((span.attributes as { key: string; value: { stringValue: string } }[]).map((a) => [a.key, a.value.stringValue]));
          const id = `${attrs.get('bus.unique_id')}-${span.kind === 3 ? 'c' : 's'}`;
          expect(`${span.startTimeUnixNano}-${span.endTimeUnixNano}`).toBe(csvTimes.get(id));
          expect((span.status as { code: number }).code).toBe(attrs.get('bus.ret_class') === 'system' ? 2 : 1);
        }
      }
    }
    expect(n).toBe(full.length);
    expect(kinds).toEqual(new Set([2, 3]));
    // Log lines carry the ids of the spans they belong to.
    const [, ...logRows] = parseCsv(readFileSync(join(out('otlp'), 'logs.csv'), 'utf8'));
    expect(logRows.filter((r) => r[3] !== '').every((r) => /^[0-9a-f]{32}$/.test(r[3]!) && /^[0-9a-f]{16}$/.test(r[4]!))).toBe(true);
  });

  it('write logs and metrics as CSV in the layouts the readers take, row for row', async () => {
    const [logHeader, ...logRows] = parseCsv(readFileSync(join(out('full'), 'logs.csv'), 'utf8'));
    expect(logHeader).toEqual([...LOG_CSV_COLUMNS]);
    let lines = 0;
    const messages: string[] = [];
    await scanLogs(join(out('full'), 'logs.arrow'), (b) => {
      lines += b.length;
      for (let i = 0; i < b.length; i++) messages.push(b.message[i]!);
    });
    expect(logRows).toHaveLength(lines);
    expect(logRows.map((r) => r[6])).toEqual(messages); // stack traces survive their line breaks
    expect(logRows.some((r) => r[6]!.includes('\n\tat '))).toBe(true);
    const [metricHeader, ...metricRows] = parseCsv(readFileSync(join(out('full'), 'metrics.csv'), 'utf8'));
    const names = metricNamesOf(DEFAULT_METRIC_FAMILIES, true);
    expect(metricHeader).toEqual([...METRIC_CSV_KEY_COLUMNS, ...names]);
    const frame = await readMetricFrame(join(out('full'), 'metrics.arrow'));
    expect(metricRows).toHaveLength(frame.length);
    const db = METRIC_CSV_KEY_COLUMNS.length + names.indexOf('dbPoolInUse');
    expect(metricRows.filter((r) => r[1] === 'auth-service').every((r) => r[db] === '')).toBe(true);
    expect(metricRows.filter((r) => r[1] === 'ledger-service').every((r) => Number(r[db]) > 0)).toBe(true);
  });
});

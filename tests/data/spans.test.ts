import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BadRows } from '../../common/bad-rows.js';
import { readSpans } from '../../data/span-csv.js';
import { readTraceJson } from '../../data/trace-json.js';
import { loadSpans } from '../../data/inputs.js';
import { emptySpanReadStats, keepWindowsFor } from '../../data/span-assembly.js';
import type { SpanTable } from '../../data/types.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-spans-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string | Buffer) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

/** 2023-11-14T22:13:20Z in ms: a plausible time for every format's unit. */
const T0 = 1_700_000_000_000;

/**
 * One hand-made trace, as each format records it: frontend's server span (root) calls orders
 * (frontend's client span, orders' server span, which fails); orders calls its database (a client
 * span naming the peer), something unnamed (a client span with no peer) and does internal work.
 */
interface Spec {
  id: string;
  parent?: string;
  service: string;
  kind: 'server' | 'client' | 'internal';
  name: string;
  start: number; // ms after T0
  end: number;
  error?: boolean;
  peer?: string;
}
const TRACE: Spec[] = [
  { id: 'a1', service: 'frontend', kind: 'server', name: 'GET /', start: 0, end: 100 },
  { id: 'a2', parent: 'a1', service: 'frontend', kind: 'client', name: 'GET /orders', start: 10, end: 90 },
  { id: 'b1', parent: 'a2', service: 'orders', kind: 'server', name: 'GET /orders', start: 15, end: 85, error: true },
  { id: 'b2', parent: 'b1', service: 'orders', kind: 'client', name: 'SELECT', start: 20, end: 40, peer: 'orders-db' },
  { id: 'b3', parent: 'b1', service: 'orders', kind: 'client', name: 'POST /audit', start: 50, end: 60 },
  { id: 'b4', parent: 'b1', service: 'orders', kind: 'internal', name: 'render', start: 61, end: 70 },
];

/** The calls the trace reduces to, whatever the format (span CSV has no column naming a client span's peer). */
function expectFolded(t: SpanTable, peerNamed = true): void {
  const s = (codes: Int32Array, i: number) => t.strings[codes[i]];
  expect(t.length).toBe(5);
  expect(Array.from({ length: 5 }, (_, i) => s(t.service, i))).toEqual(['frontend', 'orders', peerNamed ? 'orders-db' : 'unknown', 'unknown', 'orders']);
  expect(Array.from({ length: 5 }, (_, i) => s(t.operation, i))).toEqual(['GET /', 'GET /orders', 'SELECT', 'POST /audit', 'render']);
  expect(Array.from(t.parent)).toEqual([-1, 0, 1, 1, 1]);
  // The call to orders: the caller's times, the callee's own beside them, and the callee's failure.
  expect([t.start[1] - T0, t.end[1] - T0]).toEqual([10, 90]);
  expect([t.serverStart![1] - T0, t.serverEnd![1] - T0]).toEqual([15, 85]);
  expect(t.status[1]).toBe(2);
  expect(t.status[0]).toBe(0);
  expect(Number.isNaN(t.serverStart![0]) && Number.isNaN(t.serverStart![2])).toBe(true);
  expect(s(t.instance, 2)).toBe(peerNamed ? 'orders-db' : 'unknown');
}

const hex = (id: string) => id.padStart(16, '0');
const TRACE_ID = 'f'.repeat(32);

function otlp(spans: Spec[]): unknown {
  const byService = new Map<string, Spec[]>();
  for (const sp of spans) byService.set(sp.service, [...(byService.get(sp.service) ?? []), sp]);
  const kinds = { internal: 1, server: 2, client: 3 };
  return {
    resourceSpans: [...byService].map(([service, list]) => ({
      // scopeSpans before resource: the reader must wait for the resource to name the service.
      scopeSpans: [
        {
          scope: { name: 'test' },
          spans: list.map((sp) => ({
            traceId: TRACE_ID,
            spanId: hex(sp.id),
            parentSpanId: sp.parent ? hex(sp.parent) : '',
            name: sp.name,
            kind: kinds[sp.kind],
            startTimeUnixNano: String(BigInt(T0 + sp.start) * 1_000_000n),
            endTimeUnixNano: String(BigInt(T0 + sp.end) * 1_000_000n),
            status: sp.error ? { code: 2 } : {},
            attributes: sp.peer ? [{ key: 'server.address', value: { stringValue: sp.peer } }] : [],
          })),
        },
      ],
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }, { key: 'k8s.pod.name', value: { stringValue: `${service}-0` } }] },
    })),
  };
}

function jaeger(spans: Spec[]): unknown {
  const services = [...new Set(spans.map((s) => s.service))];
  return {
    data: [
      {
        traceID: TRACE_ID,
        spans: spans.map((sp) => ({
          traceID: TRACE_ID,
          spanID: hex(sp.id),
          operationName: sp.name,
          references: sp.parent ? [{ refType: 'CHILD_OF', traceID: TRACE_ID, spanID: hex(sp.parent) }] : [],
          startTime: (T0 + sp.start) * 1000,
          duration: (sp.end - sp.start) * 1000,
          tags: [
            { key: 'span.kind', type: 'string', value: sp.kind },
            ...(sp.error ? [{ key: 'error', type: 'bool', value: true }] : []),
            ...(sp.peer ? [{ key: 'peer.service', type: 'string', value: sp.peer }] : []),
          ],
          processID: `p${services.indexOf(sp.service) + 1}`,
        })),
        // Processes after the spans, as Jaeger writes them.
        processes: Object.fromEntries(services.map((s, i) => [`p${i + 1}`, { serviceName: s, tags: [{ key: 'hostname', type: 'string', value: `${s}-0` }] }])),
      },
    ],
  };
}

/** Zipkin with B3's shared span ids: orders' server span reuses frontend's client span id. */
function zipkin(spans: Spec[], shared: boolean): unknown[] {
  return spans.map((sp) => {
    const sharedServer = shared && sp.id === 'b1';
    const id = sharedServer ? 'a2' : sp.id;
    const parent = sharedServer ? 'a1' : shared && sp.parent === 'b1' ? 'a2' : sp.parent;
    return {
      traceId: TRACE_ID,
      id: hex(id),
      ...(parent ? { parentId: hex(parent) } : {}),
      name: sp.name,
      ...(sp.kind === 'internal' ? {} : { kind: sp.kind.toUpperCase() }),
      timestamp: (T0 + sp.start) * 1000,
      duration: (sp.end - sp.start) * 1000,
      localEndpoint: { serviceName: sp.service, ipv4: sp.service === 'orders' ? '10.0.0.2' : '10.0.0.1', port: 8080 },
      ...(sp.peer ? { remoteEndpoint: { serviceName: sp.peer } } : {}),
      ...(sharedServer ? { shared: true } : {}),
      tags: sp.error ? { error: 'connection reset' } : { 'http.status_code': '200' },
    };
  });
}

function csv(spans: Spec[]): string {
  const ns = (ms: number) => String(BigInt(T0 + ms) * 1_000_000n);
  return (
    'trace_id,span_id,parent_id,service,instance,operation,start_ns,end_ns,status,kind\n' +
    spans.map((s) => [TRACE_ID, s.id, s.parent ?? '', s.service, `${s.service}-0`, s.name, ns(s.start), ns(s.end), s.error ? 'error' : 'ok', s.kind].join(',')).join('\n') +
    '\n'
  );
}

describe('client and server spans fold into calls in every format', () => {
  it('OTLP/JSON, the resource after its spans', async () => {
    const t = await readTraceJson([write('trace.otlp.json', JSON.stringify(otlp(TRACE)))]);
    expectFolded(t);
    expect(t.strings[t.instance[1]]).toBe('orders-0');
  });

  it('OTLP JSON lines (the collector file exporter), gzipped, with a byte-order mark', async () => {
    const lines = TRACE.map((sp) => JSON.stringify(otlp([sp]))).join('\n');
    expectFolded(await readTraceJson([write('trace.jsonl.gz', gzipSync(`\uFEFF${lines}\n`))]));
  });

  it('Jaeger, processes after the spans', async () => {
    const t = await readTraceJson([write('trace.jaeger.json', `\uFEFF${JSON.stringify(jaeger(TRACE))}`)]);
    expectFolded(t);
    expect(t.strings[t.instance[0]]).toBe('frontend-0');
  });

  it('Zipkin v2 with separate and shared (B3) span ids, flat and as /api/v2/traces nests them', async () => {
    expectFolded(await readTraceJson([write('trace.zipkin.json', JSON.stringify(zipkin(TRACE, false)))]));
    const t = await readTraceJson([write('shared.zipkin.json', JSON.stringify([zipkin(TRACE, true)]))]);
    expectFolded(t);
    expect(t.strings[t.instance[1]]).toBe('10.0.0.2:8080');
  });

  it('span CSV with a kind column, from a folder holding a link to it', async () => {
    const file = write('trace.csv', csv(TRACE));
    expectFolded(await readSpans(file), false);
    const folder = path.join(dir, 'linked');
    fs.mkdirSync(folder);
    fs.symlinkSync(file, path.join(folder, 'trace.csv'));
    expectFolded(await loadSpans([folder], { badRows: new BadRows() }), false);
  });

  it('counts folds and calls to peers; a server span without a client span and kind-less spans stay as they are', async () => {
    const stats = emptySpanReadStats();
    const lone = TRACE.filter((s) => s.id !== 'a2').map((s) => (s.id === 'b1' ? { ...s, parent: 'a1' } : s));
    const t = await readSpans(write('lone.csv', csv(lone)), { stats });
    expect(t.strings[t.service[1]]).toBe('orders');
    expect(t.serverStart).toBeUndefined();
    expect(stats).toMatchObject({ read: 5, folded: 0, toPeer: 0, toUnknown: 2 });
    const stats2 = emptySpanReadStats();
    await readSpans(write('trace2.csv', csv(TRACE)), { stats: stats2 });
    expect(stats2).toMatchObject({ read: 6, folded: 1, toPeer: 0, toUnknown: 2, outsideWindows: 0 });
    const stats3 = emptySpanReadStats();
    await readTraceJson([write('trace3.json', JSON.stringify(jaeger(TRACE)))], { stats: stats3 });
    expect(stats3).toMatchObject({ read: 6, folded: 1, toPeer: 1, toUnknown: 1 });
  });

  it('collapses repeated copies of a client or server span before folding', async () => {
    // Overlapping span files repeat spans; the last copy is the one kept.
    const [header, ...rows] = csv(TRACE).trimEnd().split('\n');
    const stats = emptySpanReadStats();
    const t = await readSpans(write('repeated.csv', [header, rows[1], rows[2], ...rows].join('\n')), { stats });
    expectFolded(t, false);
    expect(stats.repeatedCopies).toBe(2);
  });
});

describe('keep windows', () => {
  it('drops spans that start outside every window while reading, and counts them', async () => {
    const stats = emptySpanReadStats();
    const file = write('windows.csv', csv(TRACE));
    const t = await readSpans(file, { keep: [[T0 + 45, T0 + 65], [T0 + 60, T0 + 62]], stats });
    expect(Array.from({ length: t.length }, (_, i) => t.strings[t.operation[i]])).toEqual(['POST /audit', 'render']);
    expect(Array.from(t.parent)).toEqual([-1, -1]);
    expect(stats).toMatchObject({ read: 6, outsideWindows: 4 });
    // The dropped spans' ids were never interned.
    expect(t.strings).not.toContain('a1');
    const none = await loadSpans([file], { badRows: new BadRows(), keep: [] });
    expect(none.length).toBe(0);
    expect(keepWindowsFor([{ start: 100, end: 200 }, { start: 250, end: 300 }, { start: 1000, end: 1100 }], 50, 10)).toEqual([[50, 310], [950, 1110]]);
  });
});

describe('span input validation', () => {
  const HEADER = 'trace_id,span_id,parent_id,service,instance,operation,start_ns,end_ns';
  const ok = 't1,s1,,web,web-1,GET,1700000000000000000,1700000000005000000';
  const cases: Array<[string, string, RegExp]> = [
    ['milliseconds given as nanoseconds', 't1,s2,,web,web-1,GET,1700000000000,1700000000005', /line 3: start_ns: 1970-01-01T00:28:20\.000Z as unix nanoseconds, outside 1980-2099 \(is it in milliseconds\? that would be 2023-11-14T22:13:20\.000Z\)/],
    ['a negative time', 't1,s2,,web,web-1,GET,-1700000000000000000,1700000000005000000', /line 3: start_ns: .* as unix nanoseconds, outside 1980-2099/],
    ['1e24', 't1,s2,,web,web-1,GET,1000000000000000000000000,1000000000000000000000001', /line 3: start_ns: .* outside 1980-2099/],
    ['an empty start', 't1,s2,,web,web-1,GET,,1700000000005000000', /line 3: start_ns: empty/],
    ['an end before the start', 't1,s2,,web,web-1,GET,1700000000005000000,1700000000000000000', /line 3: end_ns is before start_ns/],
    ['a short row', 't1,s2,,web,web-1,GET,1700000000000000000', /line 3: 7 fields, header has 8/],
    ['a row cut short at the end of the file', 't1,s2,,web', /line 3: 4 fields, header has 8/],
  ];
  for (const [name, row, error] of cases) {
    it(`rejects ${name}, or skips and counts it`, async () => {
      const file = write(`bad-${name.replace(/\W+/g, '-')}.csv`, `${HEADER}\n${ok}\n${row}`);
      await expect(readSpans(file)).rejects.toThrow(error);
      const badRows = new BadRows('skip');
      expect((await readSpans(file, { badRows })).length).toBe(1);
      expect(badRows.skipped).toBe(1);
    });
  }

  it('rejects a status or kind it does not know', async () => {
    // 200 is an HTTP status code (ok); 700 is none.
    const file = write('status.csv', `${HEADER},status,kind\n${ok},700,\n`);
    await expect(readSpans(file)).rejects.toThrow(/line 2: status '700' is not ok, business, error/);
    await expect(readSpans(write('kind.csv', `${HEADER},status,kind\n${ok},STATUS_CODE_ERROR,caller\n`))).rejects.toThrow(/line 2: kind 'caller' is not client, server or empty/);
    const t = await readSpans(write('otel-words.csv', `${HEADER},status,kind\n${ok},STATUS_CODE_ERROR,SPAN_KIND_INTERNAL\n`));
    expect(t.status[0]).toBe(2);
  });

  it('rejects JSON values of the wrong type and files cut short, naming the place', async () => {
    const doc = otlp(TRACE.slice(0, 1)) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
    doc.resourceSpans[0].scopeSpans[0].spans[0].traceId = { id: 'x' };
    const file = write('object-id.json', JSON.stringify(doc));
    await expect(readTraceJson([file])).rejects.toThrow(`${file}:line 1 resourceSpans[0].scopeSpans[0].spans[0]: traceId is an object`);
    const text = JSON.stringify(jaeger(TRACE), null, 1);
    const cut = write('cut.json', text.slice(0, Math.floor(text.length * 0.6)));
    await expect(readTraceJson([cut])).rejects.toThrow(/cut\.json:line \d+: invalid JSON: unexpected end of file/);
    const badRows = new BadRows('skip');
    expect((await readTraceJson([cut], { badRows })).length).toBe(0);
    expect(badRows.skipped).toBe(1);
    await expect(readTraceJson([write('neither.json', '{"spans": []}')])).rejects.toThrow(/neither OTLP JSON/);
    await expect(readTraceJson([write('milli.json', JSON.stringify(zipkin(TRACE, false)).replace(/"timestamp":(\d+)/g, (_, us) => `"timestamp":${Math.round(Number(us) / 1000)}`))])).rejects.toThrow(
      /\[0\]: timestamp: .* as unix microseconds, outside 1980-2099 \(is it in milliseconds\?/,
    );
  });

  it('skips a broken JSON line and reads on', async () => {
    const lines = [JSON.stringify(otlp(TRACE.slice(0, 1))), '{"resourceSpans": [', JSON.stringify(otlp(TRACE.slice(3, 4)))];
    const file = write('broken.jsonl', lines.join('\n'));
    await expect(readTraceJson([file])).rejects.toThrow(`${file}:line 2: invalid JSON: the line ends inside the document`);
    const badRows = new BadRows('skip');
    expect((await readTraceJson([file], { badRows })).length).toBe(2);
    expect(badRows.skipped).toBe(1);
  });
});

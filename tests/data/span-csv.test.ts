import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BadRows } from '../../common/bad-rows.js';
import { readSpans } from '../../data/span-csv.js';
import { hashBytes } from '../../common/string-dictionary.js';
import { readIncidents, DEFAULT_INCIDENT_MS } from '../../data/incidents.js';

const NEZHA_HEADER = 'TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration';
const NEZHA_COLUMNS = {
  trace_id: 'TraceID',
  span_id: 'SpanID',
  parent_id: 'ParentID',
  instance: 'PodName',
  operation: 'OperationName',
  start_ns: 'StartTimeUnixNano',
  end_ns: 'EndTimeUnixNano',
};
const POD = '^(.*?)-[0-9a-f]{8,10}-[0-9a-z]{5}$';

describe('span CSV replay', () => {
  it('reads Nezha-style gzipped files from a folder, mapping columns and pods to services', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spans-'));
    // the child comes before its parent, and in another file
    writeFileSync(
      join(dir, '01.csv.gz'),
      gzipSync(`${NEZHA_HEADER}\nt1,s2,s1,ts-order-service-5b67c48447-mv5hb,GET /order,1674982159221196428,1674982159247139419,25942\n`),
    );
    writeFileSync(
      join(dir, '02.csv'),
      `${NEZHA_HEADER}\nt1,s1,root,ts-gateway-service-6f6cfc45b-h5m2n,/*,1674982159219000000,1674982159247160439,28160\n` +
        `t1,s3,missing,ts-station-food-service-dc4d75dd-fw6ft,x,1674982159230000000,1674982159231000000,1000\n`,
    );
    const t = await readSpans(dir, { columns: NEZHA_COLUMNS, serviceFromInstance: POD });
    const s = (i: number) => t.strings[t.service[i]];
    expect(t.length).toBe(3);
    expect([s(0), s(1), s(2)]).toEqual(['ts-order-service', 'ts-gateway-service', 'ts-station-food-service']);
    expect(Array.from(t.parent)).toEqual([1, -1, -1]);
    expect(t.strings[t.instance[0]]).toBe('ts-order-service-5b67c48447-mv5hb');
    expect(t.start[1]).toBeCloseTo(1674982159219, 6);
    expect(t.end[0] - t.start[0]).toBeCloseTo(25.943, 3); // unix ms as Float64: ~0.25 µs resolution
    expect(t.status[0]).toBe(255); // no status column: unknown
  });

  it('reads our own columns, with statuses', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'spans-')), 'ours.csv');
    writeFileSync(f, 'trace_id,span_id,parent_id,service,instance,operation,start_ns,end_ns,status\na,1,,web,web-1,GET,1700000000001000000,1700000000005000000,ok\na,2,1,db,db-1,q,1700000000002000000,1700000000003000000,error\n');
    const t = await readSpans(f);
    expect(Array.from(t.status)).toEqual([0, 2]);
    expect(Array.from(t.parent)).toEqual([-1, 0]);
  });

  it('names the file, line and column of bad input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spans-'));
    const f = join(dir, 'bad.csv');
    writeFileSync(f, `${NEZHA_HEADER}\nt1,s1,root,ts-a-service-5b67c48447-mv5hb,x,notanumber,2,1\n`);
    await expect(readSpans(f, { columns: NEZHA_COLUMNS, serviceFromInstance: POD })).rejects.toThrow(/bad\.csv:line 2: StartTimeUnixNano: not a number/);
    await expect(readSpans(f)).rejects.toThrow(/bad\.csv:1: no column "trace_id"/);
    writeFileSync(f, `${NEZHA_HEADER}\nt1,s1,root,weird-pod,x,1674982159219000000,1674982159247160439,1\n`);
    await expect(readSpans(f, { columns: NEZHA_COLUMNS, serviceFromInstance: POD })).rejects.toThrow(/bad\.csv:line 2: PodName "weird-pod" does not match/);
  });

  it('reads incidents with unix ms or ISO times, defaulting the end', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'inc-')), 'incidents.json');
    writeFileSync(f, JSON.stringify([{ id: 'a', start: '2023-01-29T08:43:04Z', rootCause: ['x'] }, { id: 'b', start: 1704067200000, end: 1704067204000, rootCause: [] }]));
    const inc = await readIncidents(f);
    expect(inc[0]).toMatchObject({ id: 'a', start: Date.parse('2023-01-29T08:43:04Z'), end: Date.parse('2023-01-29T08:43:04Z') + DEFAULT_INCIDENT_MS });
    expect(inc[1]).toMatchObject({ start: 1704067200000, end: 1704067204000 });
    writeFileSync(f, JSON.stringify([{ id: 'a', start: 'yesterday', rootCause: [] }]));
    await expect(readIncidents(f)).rejects.toThrow(/incidents\.json: \[0\]\.start: not unix ms or ISO 8601/);
  });

  it('refuses two incidents of one id, naming both places', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'inc-')), 'incidents.json');
    writeFileSync(f, '[\n {"id": "i1", "start": 1704067200000},\n {"id": "i2", "start": 1704067300000},\n {"id": "i1", "start": 1704067400000}\n]\n');
    await expect(readIncidents(f)).rejects.toThrow(`${f}:4: [2].id: "i1" is also the id of [0] (line 2): incident ids must be unique`);
  });
  it('rejects a malformed row by default, naming file and line, and skips it with a count on request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spans-bad-'));
    const file = join(dir, 'spans.csv');
    writeFileSync(
      file,
      'trace_id,span_id,parent_id,service,instance,operation,start_ns,end_ns\n' +
        't1,s1,,gateway,gw-1,/pay,1700000001000000000,1700000002000000000\n' +
        't1,s2,s1,ledger,ledger-1,post,abc,1700000001500000000\n' +
        't1,,s1,ledger,ledger-1,post,1700000001100000000,1700000001500000000\n' +
        't1,s4,s1,ledger,ledger-1,post,1700000001100000000,1700000001400000000\n',
    );
    await expect(readSpans(file)).rejects.toThrow(`${file}:line 3: start_ns: not a number: abc`);
    const badRows = new BadRows('skip');
    const t = await readSpans(file, { badRows });
    expect(t.length).toBe(2);
    expect(badRows.skipped).toBe(2);
    expect(badRows.examples[1]).toBe(`${file}:line 4: empty span_id`);
    expect(Array.from(t.parent)).toEqual([-1, 0]);
    // A long bad value is quoted cut short, not copied whole into the message.
    writeFileSync(file, `trace_id,span_id,parent_id,service,start_ns,end_ns\nt1,s1,,gateway,${'x'.repeat(100_000)},1700000002000000000\n`);
    await expect(readSpans(file)).rejects.toThrow(new RegExp(`^${file}:line 2: start_ns: not a number: x{120}\\.\\.\\. \\(100000 characters\\)$`));
  });
});

describe('span and parent ids linked by hash', () => {
  it('confirms every hash match byte by byte: ids whose hashes collide are never linked to each other', async () => {
    // Two pairs of ids whose 32-bit hashes are equal (found by a birthday search over hex counters).
    const [a, b, c, d] = ['00000000000089bb', '0000000000043848', '00000000010389db', '0000000001077828'];
    const hash = (id: string) => hashBytes(Buffer.from(id), 0, id.length);
    expect([hash(a), hash(c)]).toEqual([hash(b), hash(d)]);
    const row = (span: string, parent: string, t0: number) => `t1,${span},${parent},ts-a-service-5b67c48447-mv5hb,op,${t0}000000,${t0 + 1}000000,1000`;
    const f = join(mkdtempSync(join(tmpdir(), 'spans-')), 'collide.csv');
    // a and b both spans, each with a child; c a span, and a child naming d, which no span has. The
    // children come after 20 other spans, so that their parents are found by hash, not nearby.
    const others = Array.from({ length: 20 }, (_, i) => row(`o${i}`, 'root', 1674982159010 + i));
    const rows = [row(a, 'root', 1674982159000), row(b, 'root', 1674982159001), row(c, 'root', 1674982159002), ...others];
    rows.push(row('x', b, 1674982159100), row('y', a, 1674982159101), row('z', d, 1674982159102));
    writeFileSync(f, [NEZHA_HEADER, ...rows].join('\n') + '\n');
    const t = await readSpans(f, { columns: NEZHA_COLUMNS, serviceFromInstance: POD });
    expect(Array.from(t.parent.subarray(23))).toEqual([1, 0, -1]);
    const size = t.strings.length;
    expect(Array.from(t.spanId, (code) => t.strings[code])).toEqual([a, b, c, ...others.map((_, i) => `o${i}`), 'x', 'y', 'z']);
    // The span ids were interned when the strings were first read, not after: codes index into them.
    expect(Math.max(...t.spanId)).toBeLessThan(size);
    expect(t.strings.length).toBe(size);
  });
});

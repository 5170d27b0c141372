import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSpans, type ReadSpansOptions } from '../../data/span-csv.js';
import { spanStatusOf } from '../../data/span-assembly.js';
import { SplitTime } from '../../common/instant.js';
import type { SpanTable } from '../../data/types.js';

const dir = mkdtempSync(join(tmpdir(), 'span-units-'));
let n = 0;
function file(text: string): string {
  const f = join(dir, `f${n++}.csv`);
  writeFileSync(f, text);
  return f;
}

/** Every column of a table as plain values (codes decoded), to compare tables read from different layouts. */
function plain(t: SpanTable) {
  const s = (codes: Int32Array) => Array.from(codes, (c) => t.strings[c]);
  return {
    traceId: s(t.traceId),
    spanId: s(t.spanId),
    parent: Array.from(t.parent),
    service: s(t.service),
    instance: s(t.instance),
    operation: s(t.operation),
    start: Array.from(t.start),
    end: Array.from(t.end),
    status: Array.from(t.status),
  };
}

// RCAEval's traces.csv: times in microseconds, a duration instead of an end, HTTP status codes.
const RCAEVAL_HEADER = 'traceID,spanID,parentSpanID,serviceName,operationName,methodName,startTime,startTimeMillis,duration,statusCode';
const RCAEVAL_COLUMNS = {
  trace_id: 'traceID',
  span_id: 'spanID',
  parent_id: 'parentSpanID',
  service: 'serviceName',
  operation: 'operationName',
  start_us: 'startTime',
  duration_us: 'duration',
  status: 'statusCode',
};
// [trace, span, parent, service, operation, start µs, duration µs, HTTP status, our status word]
const SPANS: [string, string, string, string, string, bigint, bigint, string, string][] = [
  ['t1', 'a', '', 'frontend', 'GET /', 1706000000123456n, 25_000n, '200', 'ok'],
  ['t1', 'b', 'a', 'cart', 'GetCart', 1706000000124999n, 3n, '500', 'error'], // the end carries into the next millisecond
  ['t1', 'c', 'a', 'checkout', 'Place', 1706000000130000n, 987_654n, '404', 'business'],
  ['t2', 'd', '', 'frontend', 'GET /p', 1706000001999999n, 1n, '', ''],
  ['t2', 'e', 'd', 'ad', 'Ads', 1706000002000001n, 0n, '302', 'ok'],
];

describe('span CSV times in other units', () => {
  it('reads an RCAEval-shaped traces.csv (µs start, µs duration, HTTP codes) to the same table as the nanosecond file', async () => {
    const theirs = file(
      `${RCAEVAL_HEADER}\n` +
        SPANS.map(([t, s, p, svc, op, us, dur, code]) => `${t},${s},${p},${svc},${op},GET,${us},${us / 1000n},${dur},${code}`).join('\n') +
        '\n',
    );
    const ours = file(
      'trace_id,span_id,parent_id,service,operation,start_ns,end_ns,status\n' +
        SPANS.map(([t, s, p, svc, op, us, dur, , word]) => `${t},${s},${p},${svc},${op},${us * 1000n},${(us + dur) * 1000n},${word}`).join('\n') +
        '\n',
    );
    const a = plain(await readSpans(theirs, { columns: RCAEVAL_COLUMNS }));
    const b = plain(await readSpans(ours));
    expect(a).toEqual(b);
    expect(a.status).toEqual([0, 2, 1, 255, 0]);
    expect(a.start[1]).toBe(1706000000124.999);
    expect(a.end[1]).toBe(1706000000125.002);
    expect(a.end[2] - a.start[2]).toBeCloseTo(987.654, 3);
  });

  it('reads a start and an end in the same unit under our own names, without a mapping', async () => {
    const us = file('trace_id,span_id,parent_id,service,start_us,end_us\nt,a,,web,1706000000123456,1706000000124457\n');
    const t = await readSpans(us);
    expect([t.start[0], t.end[0]]).toEqual([1706000000123.456, 1706000000124.457]);
  });

  it('reads decimals in milliseconds and seconds, and a duration in another unit than the start', async () => {
    const ms = await readSpans(file('trace_id,span_id,parent_id,service,start_ms,end_ms\nt,a,,web,1706000000123.5,1706000000136.25\n'));
    expect([ms.start[0], ms.end[0]]).toEqual([1706000000123.5, 1706000000136.25]);
    const s = await readSpans(file('trace_id,span_id,parent_id,service,start_s,duration_ms\nt,a,,web,1706000000.5,12.5\nt,b,a,db,1706000001,3\n'));
    expect([s.start[0], s.end[0], s.start[1], s.end[1]]).toEqual([1706000000500, 1706000000512.5, 1706000001000, 1706000001003]);
  });

  it('adds an integer duration to an integer start exactly, as the integer end reads', () => {
    const read = (text: string, unit: 'ns' | 'us' | 'ms' | 's') => {
      const t = new SplitTime();
      t.read(Buffer.from(text), 0, text.length, unit);
      return t;
    };
    // Past 2^53 ns: the digits below the millisecond are kept.
    const start = read('1674982159221196428', 'ns');
    start.add(read('25942991', 'ns'));
    const end = read('1674982159247139419', 'ns');
    expect([start.ms, start.ns]).toEqual([end.ms, end.ns]);
    expect(start.value()).toBe(end.value());
    expect(read('12.5', 'ms').value()).toBe(12.5);
    expect(read('-3', 'us').ms).toBe(-0.003);
    expect(read('', 'us').ms).toBeNaN();
    expect(read('1706000000', 's').value()).toBe(1706000000000);
  });
});

describe('span CSV time columns: errors', () => {
  const base = 'trace_id,span_id,parent_id,service';
  const fails = (text: string, opts: ReadSpansOptions, message: RegExp) => expect(readSpans(file(text), opts)).rejects.toThrow(message);

  it('names the file, line 1 and the flag when a start or an end is missing or given twice', async () => {
    await fails(`${base},begin,end_ns\nt,a,,web,1,2\n`, {}, /f\d+\.csv:1: no start time column \(none of start_ns, start_us, start_ms, start_s\); map one with --columns, e.g. start_us=<name>/);
    await fails(`${base},start_ns\nt,a,,web,1\n`, {}, /:1: no end time or duration column \(none of end_ns, .*duration_s\); map one with --columns/);
    await fails(`${base},start_ns,start_us,end_ns\nt,a,,web,1,2,3\n`, {}, /:1: more than one start time column \(start_ns, start_us\); map exactly one with --columns/);
    await fails(`${base},start_us,end_us,duration_us\nt,a,,web,1,2,3\n`, {}, /:1: more than one end time or duration column \(end_us, duration_us\)/);
    await fails(`${base},a,b,c\nt,a,,web,1,2,3\n`, { columns: { start_us: 'a', start_ms: 'b', end_us: 'c' } }, /:1: --columns maps more than one start time \(start_us=a, start_ms=b\); map exactly one/);
    await fails(`${base},a,c\nt,a,,web,1,3\n`, { columns: { start_us: 'startTime', end_us: 'c' } }, /:1: no column "startTime" \(for start_us, as --columns maps it\)/);
    await expect(readSpans(file(`${base},a\n`), { columns: { start_xs: 'a' } })).rejects.toThrow(/--columns: unknown column "start_xs"/);
  });

  it('makes a negative, non-numeric or implausible time a bad row naming the column', async () => {
    const head = `${base},startTime,duration\n`;
    const opts = { columns: { start_us: 'startTime', duration_us: 'duration' } };
    await fails(`${head}t,a,,web,1706000000123456,-5\n`, opts, /f\d+\.csv:line 2: duration: negative duration: -5 microseconds/);
    await fails(`${head}t,a,,web,1706000000123456,abc\n`, opts, /:line 2: duration: not a number: abc/);
    await fails(`${head}t,a,,web,1706000000123456,\n`, opts, /:line 2: duration: empty/);
    await fails(`${head}t,a,,web,1706000000123456,1e400\n`, opts, /:line 2: duration: not a finite duration/);
    await fails(`${head}t,a,,web,1706000000123456,9000000000000000\n`, opts, /:line 2: duration: 9000000000000000 microseconds ends the span after 2099/);
    // Nanoseconds mapped as microseconds: the message says which unit the number more likely is in.
    await fails(`${head}t,a,,web,1706000000123456789,5\n`, opts, /:line 2: startTime: .* as unix microseconds, outside 1980-2099 \(is it in nanoseconds\?/);
    await fails(`${base},start_ms,end_ms\nt,a,,web,1706000000123,1706000000120\n`, {}, /:line 2: end_ms is before start_ms/);
  });
});

describe('span status words and HTTP codes', () => {
  const status = (text: string) => spanStatusOf(Buffer.from(text), 0, Buffer.byteLength(text));
  it('reads HTTP status codes: 5xx system, 4xx business, other codes 100-599 ok', () => {
    expect(['200', '204', '302', '399', ' 100 '].map(status)).toEqual([0, 0, 0, 0, 0]);
    expect(['400', '404', '499'].map(status)).toEqual([1, 1, 1]);
    expect(['500', '503', '599'].map(status)).toEqual([2, 2, 2]);
    expect(['099', '600', '20', '2000', '4x4', '-40'].map(status)).toEqual([-1, -1, -1, -1, -1, -1]);
  });
  it("keeps 0/1/2 and our words, and reads OpenTelemetry's words in any case", () => {
    expect(['0', '1', '2', 'ok', 'business', 'error', '', 'unknown'].map(status)).toEqual([0, 1, 2, 0, 1, 2, 255, 255]);
    expect(['Unset', 'Ok', 'Error', 'UNSET', 'eRRor', 'STATUS_CODE_ERROR'].map(status)).toEqual([0, 0, 2, 0, 2, 2]);
  });
  it('refuses another status in a span CSV, naming the accepted forms', async () => {
    await expect(readSpans(file('trace_id,span_id,parent_id,service,start_ns,end_ns,status\nt,a,,web,1706000000000000000,1706000000000000001,700\n'))).rejects.toThrow(
      /line 2: status '700' is not ok, business, error \(or 0, 1, 2\), an HTTP status code or empty/,
    );
  });
});

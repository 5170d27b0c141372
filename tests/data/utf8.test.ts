/**
 * Text inputs whose bytes are not UTF-8: decoding would make U+FFFD of them (a service named
 * `ts-\uFFFD\uFFFDauth-service` that exists nowhere), so such a row is a bad row under
 * --on-bad-row, and a header or a JSON file an error naming the line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BadRows } from '../../common/bad-rows.js';
import { readLines } from '../../common/text-lines.js';
import { readSpans } from '../../data/span-csv.js';
import { readMetrics } from '../../data/metric-csv.js';
import { readLogs } from '../../data/log-csv.js';
import { readSeriesCsv } from '../../data/series-csv.js';
import { readLongKpiCsv } from '../../data/kpi-csv.js';
import { readIncidentsFile } from '../../data/incidents-io.js';
import { readTraceJson } from '../../data/trace-json.js';

const root = mkdtempSync(join(tmpdir(), 'fl-utf8-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
/** A fresh folder under root for each file: the tests reuse names. */
const dir = () => mkdtempSync(join(root, 'f-'));
/** Text with `\xff\xfe` (never UTF-8) where `@` stands. */
const bytes = (text: string) => Buffer.concat(text.split('@').flatMap((part, i) => (i ? [Buffer.from([0xff, 0xfe]), Buffer.from(part)] : [Buffer.from(part)])));
const file = (name: string, text: string | Buffer) => {
  const f = join(dir(), name);
  writeFileSync(f, typeof text === 'string' ? bytes(text) : text);
  return f;
};

/** One OTLP/JSON document: a span of `service` in trace `trace`. */
const otlpLine = (trace: number, service: string) =>
  `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"${service}"}}]},"scopeSpans":[{"spans":[{"traceId":"${String(trace).padStart(32, '0')}","spanId":"${String(trace).padStart(16, '0')}","name":"GET /x","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000010000000"}]}]}]}`;

const SPAN_HEADER = 'trace_id,span_id,parent_id,service,start_ms,end_ms';
const span = (id: string, service: string) => `t1,${id},,${service},1700000000000,1700000000010`;

describe('bytes that are not UTF-8', () => {
  it('make a span CSV row a bad row: reject names the file and line, skip counts it and reads the rest', async () => {
    const f = file('spans.csv', [SPAN_HEADER, span('a', 'auth'), span('b', 'ts-@auth'), span('c', 'order'), ''].join('\n'));
    await expect(readSpans(f)).rejects.toThrow(`${f}:line 3: not UTF-8`);
    const badRows = new BadRows('skip');
    const t = await readSpans(f, { badRows });
    expect(t.length).toBe(2);
    expect(t.strings.some((s) => s.includes('\uFFFD'))).toBe(false);
    expect(badRows.examples).toEqual([`${f}:line 3: not UTF-8`]);
  });

  it('in a header are an error whatever the policy', async () => {
    const f = file('spans.csv', [`${SPAN_HEADER}@`, span('a', 'auth')].join('\n'));
    await expect(readSpans(f, { badRows: new BadRows('skip') })).rejects.toThrow(`${f}:line 1: not UTF-8`);
  });

  it('are told apart from valid text: a character split by a read chunk, quoted fields with doubled quotes', async () => {
    const rows = [SPAN_HEADER, span('q', '"caf\u00e9 ""x"" \u00fc"')];
    let length = Buffer.byteLength(rows.join('\n')) + 1;
    for (let i = 0; length < (1 << 20) - 300; i++) length += rows[rows.push(span(`s${i}`, 'a')) - 1].length + 1;
    // The first 1 MiB read ends `shift` bytes after the first byte of the é.
    for (const shift of [0, 1, 2]) {
      const name = `${'p'.repeat((1 << 20) - shift - length - 't1,z,,caf'.length)}caf\u00e9`;
      const t = await readSpans(file('spans.csv', `${rows.join('\n')}\n${span('z', name)}\n`));
      expect(t.length).toBe(rows.length);
      expect(new Set(Array.from(t.service, (c) => t.strings[c]))).toEqual(new Set(['a', 'caf\u00e9 "x" \u00fc', name]));
    }
  });

  it('make a row of a metric, log, series or long KPI CSV a bad row', async () => {
    const metrics = file('m.csv', 'time,instance,cpu\n1700000000,a,1\n1700000060,@b,2\n');
    await expect(readMetrics(metrics)).rejects.toThrow(`${metrics}:line 3: not UTF-8`);
    const m = new BadRows('skip');
    expect((await readMetrics(metrics, { badRows: m })).length).toBe(1);
    expect(m.skipped).toBe(1);

    const logs = file('l.csv', 'time,service,message\n1700000000000,a,ok\n1700000001000,a,caf@\n');
    await expect(readLogs(logs)).rejects.toThrow(`${logs}:line 3: not UTF-8`);
    const l = new BadRows('skip');
    expect((await readLogs(logs, { badRows: l })).length).toBe(1);
    expect(l.skipped).toBe(1);

    const series = file('s.csv', 'timestamp,value\n60,1\n120,2@\n180,3\n');
    await expect(readSeriesCsv(series, 's')).rejects.toThrow(`${series}:line 3: not UTF-8`);
    const s = new BadRows('skip');
    expect(Array.from((await readSeriesCsv(series, 's', undefined, s)).values)).toEqual([1, 3]);

    const long = file('k.csv', 'series,timestamp,value\nx,60,1\nx@,120,2\n');
    await expect(readLongKpiCsv(long, new BadRows())).rejects.toThrow(`${long}:line 3: not UTF-8`);
    const k = new BadRows('skip');
    expect((await readLongKpiCsv(long, k)).map((x) => x.id)).toEqual(['x']);
    expect(k.skipped).toBe(1);
  });

  it('make an incidents CSV row a bad row, and an incidents JSON file an error naming the line', async () => {
    const csv = file('i.csv', 'id,start,rootCause\ni1,1700000000000,auth\ni2,1700000600000,ts-@auth\n');
    await expect(readIncidentsFile(csv, new BadRows())).rejects.toThrow(`${csv}:line 3: not UTF-8`);
    const skip = new BadRows('skip');
    expect((await readIncidentsFile(csv, skip)).map((i) => i.id)).toEqual(['i1']);
    expect(skip.skipped).toBe(1);
    const json = file('i.json', '[\n  {"id": "i1", "start": 1700000000000,\n   "rootCause": ["ts-@auth"]}\n]\n');
    await expect(readIncidentsFile(json, new BadRows('skip'))).rejects.toThrow(`${json}:3: not UTF-8`);
  });

  it('in a string read from trace JSON make its line a bad row (JSON lines), or stop a whole document', async () => {
    const lines = file('trace.jsonl', [otlpLine(1, 'auth'), otlpLine(2, 'ts-@auth'), otlpLine(3, 'order'), ''].join('\n'));
    await expect(readTraceJson([lines], new BadRows())).rejects.toThrow(`${lines}:line 2: not UTF-8`);
    const skip = new BadRows('skip');
    const t = await readTraceJson([lines], skip);
    expect(new Set(Array.from(t.service, (c) => t.strings[c]))).toEqual(new Set(['auth', 'order']));
    expect(skip.examples).toEqual([`${lines}:line 2: not UTF-8`]);
    // Valid text beyond ASCII reads as it is.
    const accented = await readTraceJson([file('ok.jsonl', `${otlpLine(1, 'caf\u00e9')}\n`)], new BadRows());
    expect(accented.strings).toContain('caf\u00e9');
    const whole = file('trace.json', otlpLine(1, 'ts-@auth'));
    await expect(readTraceJson([whole], new BadRows())).rejects.toThrow(`${whole}:line 1: not UTF-8`);
  });

  it('in a string of a span (a tag value, a key) make that span a bad row, and the rest of the document is read', async () => {
    const services = (t: { service: Int32Array; strings: readonly string[] }) => new Set(Array.from(t.service, (c) => t.strings[c]));
    const jaegerSpan = (trace: number, span: string, method: string) =>
      `{"traceID": "t${trace}", "spanID": "${span}", "operationName": "GET /x", "references": [], "startTime": 1700000000000000, "duration": 1000, "processID": "p1",\n   "tags": [{"key": "http.method", "type": "string", "value": "${method}"}]}`;
    const jaegerTrace = (trace: number, service: string, method = 'GET') =>
      `{"traceID": "t${trace}", "spans": [\n  ${jaegerSpan(trace, `${trace}a`, method)},\n  ${jaegerSpan(trace, `${trace}b`, 'GET')}\n ],\n "processes": {"p1": {"serviceName": "${service}", "tags": []}}}`;
    const jaeger = (...traces: string[]) => `{"data": [\n${traces.join(',\n')}\n]}\n`;
    // Trace 2 opens on line 9 (each trace takes seven lines), its first span on line 10, the span's tags on line 11.
    const f = file('jaeger.json', jaeger(jaegerTrace(1, 'auth'), jaegerTrace(2, 'order', 'G@T'), jaegerTrace(3, 'pay')));
    await expect(readTraceJson([f], new BadRows())).rejects.toThrow(`${f}:line 10 data[1].spans[0]: not UTF-8 (a string on line 11)`);
    const skip = new BadRows('skip');
    const t = await readTraceJson([f], skip);
    expect(skip.examples).toEqual([`${f}:line 10 data[1].spans[0]: not UTF-8 (a string on line 11)`]);
    expect(t.length).toBe(5);
    expect(services(t)).toEqual(new Set(['auth', 'order', 'pay']));
    expect(t.strings.some((x) => x.includes('\uFFFD'))).toBe(false);

    // A key, on the span's own line; a one-line document (as Jaeger's UI downloads it).
    const oneLine = file('jaeger-line.json', jaeger(jaegerTrace(1, 'auth'), jaegerTrace(2, 'order').replace('"operationName"', '"x@": 1, "operationName"')).replace(/\n/g, ''));
    const lineSkip = new BadRows('skip');
    expect((await readTraceJson([oneLine], lineSkip)).length).toBe(3);
    expect(lineSkip.examples).toEqual([`${oneLine}:line 1 data[1].spans[0]: not UTF-8`]);

    // OTLP span attributes and Zipkin tags alike.
    const otlp = file('otlp.json', otlpLine(1, 'auth').replace('"name":"GET /x"', '"name":"GET /x","attributes":[{"key":"http.method","value":{"stringValue":"G@T"}}]'));
    const otlpSkip = new BadRows('skip');
    expect((await readTraceJson([otlp], otlpSkip)).length).toBe(0);
    expect(otlpSkip.examples).toEqual([`${otlp}:line 1 resourceSpans[0].scopeSpans[0].spans[0]: not UTF-8`]);
    const zipkinSpan = (id: string, tag: string) => `{"traceId":"t1","id":"${id}","name":"get","timestamp":1700000000000000,"duration":1000,"localEndpoint":{"serviceName":"auth"},"tags":{"http.method":"${tag}"}}`;
    const zipkin = file('zipkin.json', `[${zipkinSpan('a', 'G@T')},${zipkinSpan('b', 'GET')}]`);
    const zipkinSkip = new BadRows('skip');
    expect((await readTraceJson([zipkin], zipkinSkip)).length).toBe(1);
    expect(zipkinSkip.examples).toEqual([`${zipkin}:line 1 [0]: not UTF-8`]);

    // Outside a span (a process's service name) nothing smaller than the document holds it: the read stops there.
    const process = file('jaeger-process.json', jaeger(jaegerTrace(1, 'auth'), jaegerTrace(2, 'ord@er'), jaegerTrace(3, 'pay')));
    const processSkip = new BadRows('skip');
    expect(services(await readTraceJson([process], processSkip))).toEqual(new Set(['auth']));
    expect(processSkip.examples).toEqual([`${process}:line 15: not UTF-8`]);
  });

  it('make a text line a bad row', async () => {
    const f = file('names.txt', 'alice\nb@b\ncarol');
    await expect(async () => {
      for await (const _ of readLines(f));
    }).rejects.toThrow(`${f}:line 2: not UTF-8`);
    const skip = new BadRows('skip');
    const lines: string[] = [];
    for await (const { line, lineNo } of readLines(f, skip)) lines.push(`${lineNo}:${line}`);
    expect(lines).toEqual(['1:alice', '3:carol']);
  });
});

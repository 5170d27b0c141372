import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BadRows } from '../../common/bad-rows.js';
import { readLogs, readLogSets } from '../../data/log-csv.js';
import { logLayout } from '../../data/telemetry-layouts.js';
import { templateCounts } from '../../data/log-table.js';
import { LOG_LEVEL, type LogTable } from '../../data/types.js';

const POD = '^(.*?)-[0-9a-f]{8,10}-[0-9a-z]{5}$';
const NEZHA_HEADER = 'Timestamp,TimeUnixNano,Node,PodName,Container,TraceID,SpanID,Log';

/** One Nezha log row: the message wrapped in the container runtime's JSON, CSV-quoted. */
function nezhaRow(iso: string, pod: string, trace: string, span: string, text: string): string {
  const json = JSON.stringify({ log: `${text}\n`, stream: 'stdout', time: iso });
  return `${iso},1674984305372193979,33.33.33.155,${pod},server,${trace},${span},"${json.replace(/"/g, '""')}"`;
}

const dir = () => mkdtempSync(join(tmpdir(), 'logs-'));
const col = (t: LogTable, i: number) => ({
  time: t.time[i],
  service: t.strings[t.service[i]],
  instance: t.strings[t.instance[i]],
  trace: t.traceId[i] < 0 ? null : t.strings[t.traceId[i]],
  span: t.spanId[i] < 0 ? null : t.strings[t.spanId[i]],
  level: t.level[i],
  template: t.templates[t.template[i]],
});

describe('log CSV', () => {
  it('reads the Nezha layout as it is: JSON-wrapped messages, levels from the text, rows in time order', async () => {
    const d = dir();
    const pod = 'ts-contacts-service-866bd68c97-xcqfx';
    writeFileSync(
      join(d, '08_43_log.csv.gz'),
      gzipSync(
        [
          NEZHA_HEADER,
          nezhaRow('2023-01-29T08:43:05.100Z', pod, 'aa11', 'bb22', '16:43:05.100 ERROR c.s.ContactsServiceImpl#37 TraceID: 5e2d2f2ba3b546f5 SpanID: 1c2d2f2ba3b546f5 [findContactsById][No contacts according to contactsId]'),
          nezhaRow('2023-01-29T08:43:04.900Z', pod, 'aa11', 'bb22', '16:43:04.900 INFO  c.s.ContactsServiceImpl#31 TraceID: 5e2d2f2ba3b546f5 SpanID: 1c2d2f2ba3b546f5 FIND CONTACTS BY ID: 4d2a46c7-71cb-4cf1-b5bb-b68406d9da6f'),
        ].join('\n'),
      ),
    );
    const t = await readLogs(d, { serviceFromInstance: POD });
    expect(t.length).toBe(2);
    expect(col(t, 0)).toEqual({
      time: Date.UTC(2023, 0, 29, 8, 43, 4, 900),
      service: 'ts-contacts-service',
      instance: pod,
      trace: 'aa11',
      span: 'bb22',
      level: LOG_LEVEL.info,
      template: 'c.s.ContactsServiceImpl#31 TraceID: <hex> SpanID: <hex> FIND CONTACTS BY ID: <uuid>',
    });
    expect(col(t, 1).level).toBe(LOG_LEVEL.error);
  });

  it('reads the Nezha layout around structured loggers\' lines (Go, Node, Python services) with their levels', async () => {
    const d = dir();
    const pod = 'frontend-579b9bff58-t2dbm';
    const lines = [
      JSON.stringify({ 'http.req.id': 'f3c1e8a2-0d7b-4c59-9a61-2b0e5a3c9d11', message: 'request error', severity: 'error', timestamp: '2022-08-22T03:05:11.1Z' }),
      JSON.stringify({ level: 30, time: 1661137511200, name: 'currencyservice-server', msg: 'conversion request successful' }),
      JSON.stringify({ timestamp: 1661137511.3, severity: 'WARNING', name: 'emailservice-server', message: 'slow send' }),
    ];
    writeFileSync(
      join(d, '03_05_log.csv'),
      [NEZHA_HEADER, ...lines.map((text, k) => nezhaRow(`2022-08-22T03:05:11.${k + 1}00Z`, pod, '', '', text))].join('\n'),
    );
    const t = await readLogs(d, { serviceFromInstance: POD });
    expect([0, 1, 2].map((i) => [col(t, i).level, col(t, i).template, col(t, i).trace])).toEqual([
      [LOG_LEVEL.error, 'request error', null],
      [LOG_LEVEL.info, 'conversion request successful', null],
      [LOG_LEVEL.warn, 'slow send', null],
    ]);
  });

  it('reads our own layout with a level column and lines outside any request', async () => {
    const f = join(dir(), 'logs.csv');
    writeFileSync(
      f,
      'time,service,instance,trace_id,span_id,level,message\n' +
        '1700000000000,account,account-1,b1,u1,WARN,retrying ledger call\n' +
        '2023-11-14T22:13:21Z,account,account-1,,,INFO,cache warmed in 12 ms\n',
    );
    const t = await readLogs(f);
    expect([col(t, 0).level, col(t, 1).level]).toEqual([LOG_LEVEL.warn, LOG_LEVEL.info]);
    expect([col(t, 1).trace, col(t, 1).span]).toEqual([null, null]);
    expect(col(t, 1).time - col(t, 0).time).toBe(1000);
  });

  it('maps other layouts with --log-columns and tells numeric time units by magnitude', async () => {
    const f = join(dir(), 'other.csv');
    writeFileSync(f, 'ts_ns,pod,msg\n1700000000000000000,web-7f9c8d6b5d-x2x9z,started\n');
    const t = await readLogs(f, { columns: { time: 'ts_ns', instance: 'pod', message: 'msg' }, serviceFromInstance: POD });
    expect(col(t, 0)).toMatchObject({ time: 1_700_000_000_000, service: 'web', template: 'started' });
    expect(() => logLayout(['ts', 'msg'], 'x.csv', { time: 'ts', message: 'msg', colour: 'c' })).toThrow(/--log-columns: unknown column "colour"/);
    expect(() => logLayout(['when', 'pod', 'msg'], 'x.csv')).toThrow(/x\.csv:line 1: no column "time": faultline's log layout needs time, message and service and\/or instance .*; the header has when, pod, msg \(map yours with --log-columns time=<name>\)$/);
  });

  it("says which column a header lacks when it nearly has Nezha's layout (a renamed PodName)", () => {
    const h = ['Timestamp', 'TimeUnixNano', 'Node', 'Pod', 'Container', 'TraceID', 'SpanID', 'Log'];
    expect(() => logLayout(h, 'x.csv')).toThrow(`x.csv:line 1: no column "PodName" (Nezha's log layout: Timestamp, PodName, TraceID, SpanID, Log); if the file is in another layout, map its columns with --log-columns`);
  });

  it('names the file, line and field of a bad row, and skips bad rows when told to', async () => {
    const f = join(dir(), 'bad.csv');
    writeFileSync(f, 'time,service,message\n1700000000000,a,ok\nyesterday,a,late\n1700000001000,a,"x",extra\n');
    await expect(readLogs(f)).rejects.toThrow(`${f}:line 3: time: not a time: "yesterday"`);
    const skip = new BadRows('skip');
    const t = await readLogs(f, { badRows: skip });
    expect(t.length).toBe(1);
    expect(skip.skipped).toBe(2);
    expect(skip.examples[1]).toMatch(/line 4: 4 fields, header has 3/);
    await expect(readLogs(f.replace('bad', 'none'))).rejects.toThrow(/no such file or folder/);
  });

  it('keeps only the lines inside the keep windows, and shares templates between the incident and its reference', async () => {
    const d = dir();
    const lines = (t0: number) => ['time,service,message', ...[0, 1, 2, 3].map((k) => `${t0 + k * 60_000},a,job ${k} done in ${k + 1} ms`)].join('\n');
    writeFileSync(join(d, 'run.csv'), lines(1_700_000_000_000));
    const stats = { lines: 0, kept: 0, dropped: 0, files: 0 };
    const kept = await readLogs(d, { keep: [{ start: 1_700_000_060_000, end: 1_700_000_120_001 }] }, stats);
    expect(kept.length).toBe(2);
    expect(stats).toEqual({ lines: 4, kept: 2, dropped: 2, files: 1 });
    const base = join(dir(), 'base.csv');
    writeFileSync(base, lines(1_600_000_000_000));
    const { logs, baselineLogs } = await readLogSets(d, base);
    expect(baselineLogs!.templates).toBe(logs.templates);
    expect(logs.template[0]).toBe(baselineLogs!.template[0]);
    expect(logs.templates[logs.template[0]]).toBe('job <num> done in <num> ms');
    // Per instance, template and minute: one line in each of the four minutes.
    const c = templateCounts(logs);
    expect([c.length, Array.from(c.count), Array.from(c.minute, (m) => (m - 1_699_999_980_000) / 60_000)]).toEqual([4, [1, 1, 1, 1], [0, 1, 2, 3]]);
  });
});

describe('templateCounts', () => {
  it('counts lines per instance, template and minute, ordered by instance, template, then minute', () => {
    const rows: Array<[number, number, number]> = [
      // [time ms, instance, template]
      [120_500, 1, 0],
      [60_000, 0, 1],
      [61_000, 0, 1],
      [0, 1, 0],
      [179_999, 0, 0],
      [60_100, 1, 2],
    ];
    const n = rows.length;
    const logs = {
      length: n,
      strings: ['pod-a', 'pod-b'],
      time: Float64Array.from(rows, (r) => r[0]),
      service: new Int32Array(n),
      instance: Int32Array.from(rows, (r) => r[1]),
      traceId: new Int32Array(n).fill(-1),
      spanId: new Int32Array(n).fill(-1),
      level: new Uint8Array(n),
      template: Int32Array.from(rows, (r) => r[2]),
      templates: ['a', 'b', 'c'],
    };
    const c = templateCounts(logs);
    const got = Array.from({ length: c.length }, (_, k) => [c.instance[k], c.template[k], c.minute[k], c.count[k]]);
    expect(got).toEqual([
      [0, 0, 120_000, 1],
      [0, 1, 60_000, 2],
      [1, 0, 0, 1],
      [1, 0, 120_000, 1],
      [1, 2, 60_000, 1],
    ]);
  });
});

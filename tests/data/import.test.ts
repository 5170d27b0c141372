import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as arrow from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import type { MessageBatch } from '../../sim/formats.js';
import { MessageLogWriter } from '../../sim/message-writer.js';
import { BadRows } from '../../common/bad-rows.js';
import { importMessages } from '../../data/message-import.js';
import { arrowFileToParquet, scanParquet } from '../../data/parquet.js';
import { parseCsvRecord } from '../../common/text-lines.js';
import { readTraceJson } from '../../data/trace-json.js';
import { readLongKpiCsv } from '../../data/kpi-csv.js';
import { readIncidentsCsv } from '../../data/incidents-io.js';
import { readNezhaFaultList } from '../../data/incidents.js';
import { parseInstant, parseSignedDuration } from '../../common/instant.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-replay-import-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string | Buffer) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

async function collect(file: string, opts: Parameters<typeof importMessages>[2] = {}) {
  const batches: MessageBatch[] = [];
  const result = await importMessages(file, (b) => void batches.push(b), opts);
  const rows: Record<string, unknown>[] = [];
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      rows.push({
        bizSeqNo: b.bizSeqNo[i],
        uniqueId: b.uniqueId[i],
        msgType: b.msgType.values[b.msgType.codes[i]],
        senderService: b.senderService.values[b.senderService.codes[i]],
        receiverService: b.receiverService.values[b.receiverService.codes[i]],
        logPoint: b.logPoint.values[b.logPoint.codes[i]],
        retClass: b.retClass.values[b.retClass.codes[i]],
        sendTime: b.sendTime[i],
        recvTime: b.recvTime[i],
        ttl: b.ttl[i],
      });
    }
  }
  return { result, rows };
}

const CSV_HEADER = 'seq,uid,type,from,to,point,sent,received,ttl,rc,body';
/** 2023-11-14T22:13:20Z in ms. */
const T = 1_700_000_000_000;
const CSV_COLUMNS = { bizSeqNo: 'seq', uniqueId: 'uid', msgType: 'type', senderService: 'from', receiverService: 'to', logPoint: 'point', sendTime: 'sent', recvTime: 'received', ttl: 'ttl', retClass: 'rc' };

describe('CSV records', () => {
  it('splits quoted fields, doubled quotes and reports an open quote', () => {
    expect(parseCsvRecord('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
    expect(parseCsvRecord('a,"open')).toBeNull();
  });
});

describe('instants and durations', () => {
  it('reads ISO without a zone as UTC, and numbers in the given unit', () => {
    expect(parseInstant('2014-02-14 14:30:01', 's')).toBe(Date.UTC(2014, 1, 14, 14, 30, 1));
    expect(parseInstant('2014-02-14T14:30:01+01:00', 's')).toBe(Date.UTC(2014, 1, 14, 13, 30, 1));
    expect(parseInstant('1700000000', 's')).toBe(1_700_000_000_000);
    expect(parseInstant('1700000000000', 'ms')).toBe(1_700_000_000_000);
    expect(parseInstant('yesterday', 'ms')).toBeNaN();
    expect(parseSignedDuration('-30d')).toBe(-30 * 86_400_000);
    expect(parseSignedDuration('+1h30m')).toBe(5_400_000);
    expect(() => parseSignedDuration('soon')).toThrow(/soon/);
  });
});

describe('message import', () => {
  const good =
    `${CSV_HEADER}\n` +
    `B1,U1,request,gateway,accounts,REQ_CLIENT_MESH,${T + 1000},${T + 1002},3000,,"{""amount"": 5}"\n` +
    `B1,U1,reply,accounts,gateway,RSP_MESH_CLIENT,${T + 2000},${T + 2001},3000,ok,\n`;

  it('maps CSV columns, drops the body column and reads times and enums', async () => {
    const { result, rows } = await collect(write('m.csv', good), { columns: CSV_COLUMNS });
    expect(result.rows).toBe(2);
    expect(result.droppedColumns).toEqual(['body']);
    expect(rows[0]).toMatchObject({ bizSeqNo: 'B1', msgType: 'request', senderService: 'gateway', receiverService: 'accounts', sendTime: T + 1000, recvTime: T + 1002, ttl: 3000, retClass: '' });
    expect(rows[1]).toMatchObject({ logPoint: 'RSP_MESH_CLIENT', retClass: 'ok' });
  });

  it('reads gzipped CSV and ISO times', async () => {
    const text = good.replace(`,${T + 1000},${T + 1002},`, ',2024-01-01T00:00:01Z,2024-01-01T00:00:01.002Z,');
    const { rows } = await collect(write('m.csv.gz', gzipSync(text)), { columns: CSV_COLUMNS });
    expect(rows[0].sendTime).toBe(Date.UTC(2024, 0, 1, 0, 0, 1));
    expect(rows[0].recvTime).toBe(Date.UTC(2024, 0, 1, 0, 0, 1, 2));
  });

  it('rejects a bad row by file and line, or skips and counts it', async () => {
    const bad = `${good}B2,U2,request,gateway,cards,NOT_A_POINT,${T + 3000},${T + 3001},3000,,\nB3,U3,request,gateway,cards\n`;
    const file = write('bad.csv', bad);
    await expect(collect(file, { columns: CSV_COLUMNS })).rejects.toThrow(`${file}:line 4: logPoint 'NOT_A_POINT' is not one of`);
    const badRows = new BadRows('skip');
    const { rows } = await collect(file, { columns: CSV_COLUMNS, badRows });
    expect(rows).toHaveLength(2);
    expect(badRows.skipped).toBe(2);
    expect(badRows.examples[1]).toBe(`${file}:line 5: 5 fields, header has 11`);
  });

  it('names a missing required column', async () => {
    await expect(collect(write('nocol.csv', 'seq,uid\nB1,U1\n'), { columns: CSV_COLUMNS })).rejects.toThrow(/header lacks 'type' \(msgType\)/);
  });

  it('reads JSON lines with seconds as the time unit', async () => {
    const lines = [
      JSON.stringify({ bizSeqNo: 'B1', uniqueId: 'U1', msgType: 'async', senderService: 'a', receiverService: 'b', logPoint: 'REQ_CLIENT_MESH', sendTime: 1_700_000_000.5, content: 'secret' }),
      '{not json',
    ];
    const file = write('m.jsonl', `${lines.join('\n')}\n`);
    await expect(collect(file, { timeUnit: 's' })).rejects.toThrow(`${file}:line 2: invalid JSON`);
    // Seconds read as the default milliseconds land in January 1970: caught, with the likely unit.
    await expect(collect(file)).rejects.toThrow(/line 1: sendTime 1970-01-20T16:13:20\.000Z as unix milliseconds, outside 1980-2099 \(is it in seconds\?/);
    const { result, rows } = await collect(file, { timeUnit: 's', badRows: new BadRows('skip') });
    expect(rows).toEqual([expect.objectContaining({ msgType: 'async', sendTime: 1_700_000_000_500, ttl: 0 })]);
    expect(Number.isNaN(rows[0].recvTime)).toBe(true);
    expect(result.droppedColumns).toEqual(['content']);
  });

  it('reads messages.arrow as is, and the same rows back from Parquet', async () => {
    const { rows: fromCsv } = await collect(write('m2.csv', good), { columns: CSV_COLUMNS });
    const batches: MessageBatch[] = [];
    await importMessages(path.join(dir, 'm2.csv'), (b) => void batches.push(b), { columns: CSV_COLUMNS });
    const arrowFile = path.join(dir, 'messages.arrow');
    const writer = await MessageLogWriter.open(arrowFile);
    for (const b of batches) writer.append(b);
    await writer.close();
    const { rows: fromArrow } = await collect(arrowFile);
    expect(fromArrow).toEqual(fromCsv);
    const parquetFile = path.join(dir, 'messages.parquet');
    expect((await arrowFileToParquet(arrowFile, parquetFile)).rows).toBe(2);
    let parquetRows = 0;
    await scanParquet(parquetFile, (b) => void (parquetRows += b.numRows));
    expect(parquetRows).toBe(2);
    const { rows: fromParquet } = await collect(parquetFile);
    expect(fromParquet).toEqual(fromCsv);
  });
});

describe('message import from a foreign Arrow schema', () => {
  it('maps columns, reads Int64 seconds and nulls, and reports a null required value by batch and row', async () => {
    const table = arrow.tableFromArrays({
      seq: ['B1', 'B1', null],
      uid: ['U1', 'U1', 'U2'],
      kind: ['request', 'reply', 'request'],
      src: ['gateway', 'cards', 'gateway'],
      dst: ['cards', 'gateway', 'cards'],
      point: ['REQ_CLIENT_MESH', 'RSP_MESH_CLIENT', 'REQ_CLIENT_MESH'],
      at: BigInt64Array.from([1_700_000_010n, 1_700_000_011n, 1_700_000_012n]),
      payload: ['x', 'y', 'z'],
    });
    const file = write('foreign.arrow', Buffer.from(arrow.tableToIPC(table, 'file')));
    const columns = { bizSeqNo: 'seq', uniqueId: 'uid', msgType: 'kind', senderService: 'src', receiverService: 'dst', logPoint: 'point', sendTime: 'at' };
    await expect(collect(file, { columns, timeUnit: 's' })).rejects.toThrow(`${file}:batch 1 row 3: bizSeqNo is empty`);
    const { rows, result } = await collect(file, { columns, timeUnit: 's', badRows: new BadRows('skip') });
    expect(rows.map((r) => [r.bizSeqNo, r.msgType, r.sendTime, r.ttl])).toEqual([['B1', 'request', 1_700_000_010_000, 0], ['B1', 'reply', 1_700_000_011_000, 0]]);
    expect(result.droppedColumns).toEqual(['payload']);
  });
});

describe('span JSON exports', () => {
  it('reads a Jaeger export with parents, instances and error tags', async () => {
    const jaeger = {
      data: [
        {
          traceID: 't1',
          spans: [
            { traceID: 't1', spanID: 's1', operationName: 'GET /pay', references: [], startTime: 1_700_000_000_000_000, duration: 5000, tags: [], processID: 'p1' },
            { traceID: 't1', spanID: 's2', operationName: 'debit', references: [{ refType: 'CHILD_OF', traceID: 't1', spanID: 's1' }], startTime: 1_700_000_000_001_000, duration: 2000, tags: [{ key: 'error', type: 'bool', value: true }], processID: 'p2' },
          ],
          processes: { p1: { serviceName: 'gateway', tags: [{ key: 'hostname', value: 'gw-0' }] }, p2: { serviceName: 'accounts', tags: [] } },
        },
      ],
    };
    const t = await readTraceJson([write('jaeger.json', JSON.stringify(jaeger))], new BadRows());
    expect(t.length).toBe(2);
    expect(t.strings[t.service[1]]).toBe('accounts');
    expect(t.strings[t.instance[0]]).toBe('gw-0');
    expect(t.parent[0]).toBe(-1);
    expect(t.parent[1]).toBe(0);
    expect([t.start[1], t.end[1]]).toEqual([1_700_000_000_001, 1_700_000_000_003]);
    expect([t.status[0], t.status[1]]).toEqual([0, 2]);
  });

  it('reads OTLP JSON lines and rejects a span without times', async () => {
    const doc = (spans: unknown[]) =>
      JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cards' } }, { key: 'k8s.pod.name', value: { stringValue: 'cards-7f9-x' } }] }, scopeSpans: [{ spans }] }] });
    const ok = { traceId: 'ab', spanId: '01', name: 'auth', startTimeUnixNano: '1700000000123456789', endTimeUnixNano: '1700000000223456789', status: { code: 2 } };
    const child = { ...ok, spanId: '02', parentSpanId: '01', status: {}, attributes: [{ key: 'http.status_code', value: { intValue: 200 } }] };
    const file = write('otlp.jsonl', `${doc([ok])}\n${doc([child, { traceId: 'ab', spanId: '03' }])}\n`);
    await expect(readTraceJson([file], new BadRows())).rejects.toThrow(`${file}:line 2 resourceSpans[0].scopeSpans[0].spans[1]: startTimeUnixNano missing`);
    const t = await readTraceJson([file], new BadRows('skip'));
    expect(t.length).toBe(2);
    expect(t.start[0]).toBe(1_700_000_000_123.456789);
    expect(t.strings[t.instance[0]]).toBe('cards-7f9-x');
    expect([t.status[0], t.status[1], t.parent[1]]).toEqual([2, 0, 0]);
  });
});

describe('KPI long CSV and incidents CSV', () => {
  it('groups, sorts, attaches volumes and reports duplicates', async () => {
    const text = [
      'series,timestamp,value,label',
      'service:accounts:systemSuccessRate,120,0.5,1',
      'service:accounts:volume,60,10,0',
      'service:accounts:systemSuccessRate,60,1,0',
      'service:accounts:volume,120,4,0',
      'service:accounts:volume,120,5,0',
    ].join('\n');
    const file = write('long.csv', text);
    await expect(readLongKpiCsv(file, new BadRows())).rejects.toThrow(/series 'service:accounts:volume': timestamp 1970-01-01T00:02:00.000Z appears twice/);
    const series = await readLongKpiCsv(file, new BadRows('skip'));
    const rate = series.find((s) => s.id.endsWith('systemSuccessRate'))!;
    expect([...rate.timestamps]).toEqual([60_000, 120_000]);
    expect([...rate.values]).toEqual([1, 0.5]);
    expect([...rate.labels!]).toEqual([0, 1]);
    expect(rate.kpi).toBe('systemSuccessRate');
    expect([...rate.volume!]).toEqual([10, 4]);
  });

  it('reads incidents with several root causes and a default end', async () => {
    const file = write('inc.csv', 'id,start,end,rootCause,type\nI1,2024-01-01T00:00:00Z,,accounts;ledger,database-slow\nI2,1704067201000,1704067200500,cards,\n');
    await expect(readIncidentsCsv(file, new BadRows())).rejects.toThrow(`${file}:line 3: end must be after start`);
    // Seconds where milliseconds are meant: refused, naming the likely unit.
    await expect(readIncidentsCsv(write('inc2.csv', 'id,start,rootCause\nI3,1704067200,cards\n'), new BadRows())).rejects.toThrow(/line 2: start: .* outside 1980-2099 \(is it in seconds\?/);
    const incidents = await readIncidentsCsv(file, new BadRows('skip'));
    expect(incidents).toEqual([{ id: 'I1', start: Date.UTC(2024, 0, 1), end: Date.UTC(2024, 0, 1) + 300_000, rootCause: ['accounts', 'ledger'], type: 'database-slow' }]);
  });

  it('refuses two incidents of one id, naming both lines', async () => {
    const file = write('dup.csv', 'id,start,rootCause\nI1,2024-01-01T00:00:00Z,cards\nI1,2024-01-01T01:00:00Z,ledger\n');
    await expect(readIncidentsCsv(file, new BadRows())).rejects.toThrow(`${file}:line 3: id "I1" is also on line 2: incident ids must be unique`);
  });

  it('refuses two faults of a Nezha fault list injected at one instant (the id of each), naming both', () => {
    const fault = (time: string, pod: string) => ({ inject_time: time, inject_pod: pod, inject_type: 'cpu_contention' });
    const file = write(
      'fault_list.json',
      JSON.stringify({ '08': [fault('2023-01-29 08:42:30', 'ts-auth-service-5d8b6c7f9d-abcde')], '09': [fault('2023-01-29 09:00:00', 'ts-order-service-7d4c8f9b5c-x2x9z'), fault('2023-01-29 08:42:30', 'ts-user-service-6b8d9f7c4d-k8vqf')] }),
    );
    expect(() => readNezhaFaultList(file)).toThrow(`${file}: 09[1].inject_time: "2023-01-29 08:42:30" is also the injection time of 08[0]`);
  });
});

describe('message values of the wrong type', () => {
  const row = (over: Record<string, unknown>) =>
    JSON.stringify({ bizSeqNo: 'B1', uniqueId: 'U1', msgType: 'request', senderService: 'a', receiverService: 'b', logPoint: 'REQ_CLIENT_MESH', sendTime: T, ...over });

  it('refuses an object or array where text is expected, instead of merging rows under "[object Object]"', async () => {
    const file = write('types.jsonl', [row({}), row({ bizSeqNo: { id: 7 } }), row({ uniqueId: [1, 2] }), row({ bizSeqNo: 42, retCode: 500 })].join('\n'));
    await expect(collect(file)).rejects.toThrow(`${file}:line 2: bizSeqNo is an object, not text`);
    const badRows = new BadRows('skip');
    const { rows } = await collect(file, { badRows });
    expect(rows.map((r) => r.bizSeqNo)).toEqual(['B1', '42']);
    expect(badRows.examples[1]).toBe(`${file}:line 3: uniqueId is an array, not text`);
  });

  it('refuses an Arrow column of the wrong type, naming it', async () => {
    const table = arrow.tableFromArrays({ seq: ['B1'], uid: ['U1'], kind: ['request'], src: ['a'], dst: ['b'], point: ['REQ_CLIENT_MESH'], at: Float64Array.from([T]) });
    const withStruct = new arrow.Table({ ...Object.fromEntries(table.schema.fields.map((f) => [f.name, table.getChild(f.name as 'seq')!])), seq: arrow.vectorFromArray([{ id: 1 }]) });
    const file = write('struct.arrow', Buffer.from(arrow.tableToIPC(withStruct, 'file')));
    const columns = { bizSeqNo: 'seq', uniqueId: 'uid', msgType: 'kind', senderService: 'src', receiverService: 'dst', logPoint: 'point', sendTime: 'at' };
    await expect(collect(file, { columns })).rejects.toThrow(`${file}:column 'seq' (bizSeqNo): is Struct<{id:Float64}>, not text or an integer`);
  });

  it('names the file of an empty or cut-short Arrow file', async () => {
    await expect(collect(write('empty.arrow', ''))).rejects.toThrow(/empty\.arrow: the Arrow file is empty \(0 bytes\): not an Arrow IPC file/);
    const table = arrow.tableFromArrays({ bizSeqNo: ['B1'], sendTime: Float64Array.from([T]) });
    const bytes = Buffer.from(arrow.tableToIPC(table, 'file'));
    const cut = write('cut.arrow', bytes.subarray(0, bytes.length - 40));
    // Named as cut short, as a generated data set's Arrow file is, not with the Arrow reader's internals.
    await expect(collect(cut)).rejects.toThrow(`${cut}: the Arrow file is truncated (${bytes.length - 40} bytes, no ARROW1 footer): written incompletely or cut short`);
  });
});

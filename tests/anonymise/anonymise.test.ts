import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymise, ANONYMISE_REPORT, TIME_SHIFT_NOTES, type AnonymiseReport } from '../../anonymise/anonymise.js';
import { AnonymisationKey } from '../../anonymise/key.js';
import { Pseudonymiser } from '../../anonymise/pseudonymise.js';
import { replay } from '../../pipeline/replay.js';
import { scanMessages } from '../../sim/read.js';
import { readSpans } from '../../data/span-csv.js';
import { readIncidents } from '../../data/incidents.js';
import { readSeriesDir } from '../../data/series-csv.js';
import { scanParquet } from '../../data/parquet.js';
import { writeTestKey } from './keys.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-anonymise-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};
const gzFile = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), zlib.gzipSync(text));
  return path.join(dir, name);
};

const T0 = Date.UTC(2025, 2, 3, 10, 0);
const SECRET_BODY = 'transfer 500 from Alice Example';
const ACCOUNT = '6222020123456789';
const CARD = '4111 1111 1111 1111';
const LEDGER_POD = 'ledger-svc-6f6cfc45b-h5m2n';
// Identifiers that must not survive, by the field they sit in.
const ORIGINALS = [
  'gateway-svc', 'accounts-svc', 'ledger-svc', 'gw-pod-1', 'acct-pod-7', LEDGER_POD, 'host-a.bank.local', '10.20.30.40', '10.20.30.41', '33.33.33.116',
  'T.ACCOUNTS', 'SYS-CORE', 'BIZ2025030300017', 'UID-889-1', 'trace-abc-001', 'ffc8ca7e4c8f06c75142c880d5595d96', ACCOUNT, CARD,
  SECRET_BODY, 'Alice', 'alice.o@bank.com', 'INC-2025-0042', 'transfer', 'pay.bank.local', 'debit', 'gateway', 'ledger', 'accounts', 'Frobnicator',
];

function messagesCsv(): string {
  const rows = ['seq,uid,type,from,from_pod,from_ip,to,to_pod,to_ip,topic,sys,point,sent,received,ttl,code,class,tx,body'];
  for (let k = 0; k < 40; k++) {
    const t = T0 + k * 60_000;
    const seq = k === 17 ? 'BIZ2025030300017' : `BIZ20250303${String(k).padStart(5, '0')}`;
    const uid = k === 17 ? 'UID-889-1' : `UID-${k}`;
    const fail = k >= 20 && k < 30;
    rows.push(`${seq},${uid},request,gateway-svc,gw-pod-1,10.20.30.40,accounts-svc,acct-pod-7,10.20.30.41,T.ACCOUNTS,SYS-CORE,REQ_CLIENT_MESH,${t},${t + 2},3000,,,transfer,"${SECRET_BODY} acct ${ACCOUNT}"`);
    rows.push(`${seq},${uid},reply,accounts-svc,acct-pod-7,10.20.30.41,gateway-svc,gw-pod-1,10.20.30.40,T.GATEWAY,SYS-CORE,RSP_MESH_CLIENT,${t + (fail ? 900 : 40)},${t + (fail ? 902 : 42)},3000,${fail ? 'ACCOUNTS_DB_TIMEOUT' : '0000'},${fail ? 'system' : 'ok'},transfer,`);
  }
  return `${rows.join('\n')}\n`;
}

const MESSAGE_COLUMNS = {
  bizSeqNo: 'seq', uniqueId: 'uid', msgType: 'type', senderService: 'from', senderInstance: 'from_pod', senderIp: 'from_ip',
  receiverService: 'to', receiverInstance: 'to_pod', receiverIp: 'to_ip', topic: 'topic', senderSubsystem: 'sys', receiverSubsystem: 'sys',
  logPoint: 'point', sendTime: 'sent', recvTime: 'received', ttl: 'ttl', retCode: 'code', retClass: 'class', txType: 'tx',
};

function jaeger(): string {
  const spans = [];
  for (let k = 0; k < 40; k++) {
    const start = (T0 + k * 60_000) * 1000;
    const slow = k >= 20 && k < 30;
    spans.push(
      { traceID: `trace-abc-${String(k).padStart(3, '0')}`, spanID: `s${k}a`, operationName: 'POST /api/v1/gateway/pay', references: [], startTime: start, duration: slow ? 900_000 : 50_000, tags: [], processID: 'p1' },
      { traceID: `trace-abc-${String(k).padStart(3, '0')}`, spanID: `s${k}b`, operationName: 'debit via host-a.bank.local', references: [{ refType: 'CHILD_OF', spanID: `s${k}a` }], startTime: start + 1000, duration: slow ? 850_000 : 20_000, tags: slow ? [{ key: 'error', value: true }] : [], processID: 'p2' },
      { traceID: `trace-abc-${String(k).padStart(3, '0')}`, spanID: `s${k}c`, operationName: 'LedgerRepository.save', references: [{ refType: 'CHILD_OF', spanID: `s${k}b` }], startTime: start + 2000, duration: slow ? 800_000 : 5_000, tags: [], processID: 'p3' },
    );
  }
  const processes = {
    p1: { serviceName: 'gateway-svc', tags: [{ key: 'hostname', value: 'gw-pod-1' }, { key: 'ip', value: '10.20.30.40' }] },
    p2: { serviceName: 'accounts-svc', tags: [{ key: 'hostname', value: 'acct-pod-7' }] },
    p3: { serviceName: 'ledger-svc', tags: [{ key: 'hostname', value: LEDGER_POD }] },
  };
  return JSON.stringify({ data: [{ traceID: 'x', spans, processes }] });
}

function kpisCsv(): string {
  const rows = ['series,timestamp,value,label'];
  for (let k = 0; k < 40; k++) {
    const t = (T0 + k * 60_000) / 1000;
    const bad = k >= 20 && k < 30 ? 1 : 0;
    rows.push(`service:accounts-svc:avgLatency,${t},${bad ? 880 : 30 + (k % 3)},${bad}`, `service:accounts-svc:volume,${t},${100 + (k % 5)},0`, `txType:transfer:volume,${t},${100 + (k % 5)},0`);
  }
  return `${rows.join('\n')}\n`;
}

/** faultline's log layout: one line per minute from the accounts pod, with identifiers in the text. */
function logsCsv(): string {
  const rows = ['time,service,instance,trace_id,span_id,level,message,host'];
  for (let k = 0; k < 40; k++) {
    const t = new Date(T0 + k * 60_000 + 1500).toISOString();
    const text = `"debit ${ACCOUNT} for alice.o@bank.com (card ${CARD}) via https://pay.bank.local/v1?x=1 from 10.20.30.40 at ${t}: Frobnicator replied in 42 ms"`;
    rows.push(`${t},accounts-svc,acct-pod-7,trace-abc-${String(k).padStart(3, '0')},s${k}b,${k >= 20 && k < 30 ? 'error' : 'INFO'},${text},host-a.bank.local`);
  }
  return `${rows.join('\n')}\n`;
}

/** Nezha's log layout (runtime JSON in the Log cell). */
function nezhaLogsCsv(): string {
  const rows = ['Timestamp,TimeUnixNano,Node,PodName,Container,TraceID,SpanID,Log'];
  for (let k = 0; k < 3; k++) {
    const ms = T0 + k * 60_000;
    const json = JSON.stringify({ log: `18:00:0${k}.123 WARN  l.s.LedgerServiceImpl#77 TraceID: ffc8ca7e4c8f06c75142c880d5595d96 SpanID: 439bc949a9eeb0cc [save][ledger entry for ${ACCOUNT} saved]\n`, stream: 'stdout', time: new Date(ms).toISOString() });
    rows.push(`${new Date(ms).toISOString()},${ms}123456,33.33.33.116,${LEDGER_POD},server,ffc8ca7e4c8f06c75142c880d5595d96,439bc949a9eeb0cc,"${json.replace(/"/g, '""')}"`);
  }
  return `${rows.join('\n')}\n`;
}

function metricsCsv(): string {
  const rows = ['time,service,instance,accounts-svc_pool_active,cpu_usage'];
  for (let k = 0; k < 40; k++) rows.push(`${T0 + k * 60_000},accounts-svc,acct-pod-7,${k % 7},${(0.1 * k).toFixed(1)}`);
  return `${rows.join('\n')}\n`;
}

function nezhaMetricsCsv(): string {
  const rows = ['Time,TimeStamp,PodName,CpuUsage(m),PodLedgerLatencyP90(s)'];
  for (let k = 0; k < 5; k++) rows.push(`2025-03-03 10:0${k}:09.043078357 +0000 UTC m=+0.119240217,${(T0 + k * 60_000) / 1000},${LEDGER_POD},${k + 0.5},0.25`);
  return `${rows.join('\n')}\n`;
}

/** Every output file with its text (gunzipped) and its path relative to `out`. */
function outputs(out: string): { rel: string; text: string }[] {
  return fs.readdirSync(out, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const full = path.join(e.parentPath, e.name);
      const bytes = fs.readFileSync(full);
      return { rel: path.relative(out, full), text: (e.name.endsWith('.gz') ? zlib.gunzipSync(bytes) : bytes).toString('latin1') };
    });
}

const csvRows = (text: string) => text.trim().split('\n').map((l) => l.split(','));

describe('faultline anonymise', () => {
  const out = path.join(dir, 'out');
  let key: string;
  let report: AnonymiseReport;
  let p: Pseudonymiser;
  let shift: number;
  const inputs = () => ({
    messages: [file('messages.csv', messagesCsv())],
    messageColumns: MESSAGE_COLUMNS,
    spans: [file('traces.json', jaeger())],
    kpis: [file('kpis.csv', kpisCsv())],
    logs: [file('logs.csv', logsCsv()), gzFile('08_43_log.csv.gz', nezhaLogsCsv())],
    metrics: [file('metrics.csv', metricsCsv()), gzFile(`${LEDGER_POD}_metric.csv.gz`, nezhaMetricsCsv())],
    incidents: file('incidents.csv', `id,start,end,rootCause,rootCauseInstance,type\nINC-2025-0042,${T0 + 20 * 60_000},${T0 + 30 * 60_000},accounts-svc,acct-pod-7,database-slow\n`),
  });

  beforeAll(async () => {
    key = writeTestKey(dir, 'anonymise');
    const k = await AnonymisationKey.fromFile(key);
    p = new Pseudonymiser(k);
    shift = k.timeShiftMs();
    ({ report } = await anonymise({ out, keyFile: key, ...inputs() }));
  });

  it('refuses to run without a key or with a short or weak one, writing nothing', async () => {
    const nowhere = path.join(dir, 'never');
    await expect(anonymise({ out: nowhere, keyFile: '', ...inputs() })).rejects.toThrow(/without a key/);
    await expect(anonymise({ out: nowhere, keyFile: file('short', 'password'), ...inputs() })).rejects.toThrow(/at least 32 are required/);
    await expect(anonymise({ out: nowhere, keyFile: file('zeros', '\0'.repeat(32)), ...inputs() })).rejects.toThrow(/one byte repeated/);
    expect(fs.existsSync(nowhere)).toBe(false);
  });

  it('writes faultline formats that still line up through the pseudonyms, every time moved by the same secret shift', async () => {
    expect(Number.isInteger(shift / (7 * 86_400_000)) && shift < 0).toBe(true);
    const spans = await readSpans(path.join(out, 'spans'));
    const services = new Set(Array.from(spans.service, (s) => spans.strings[s]));
    expect(services).toEqual(new Set(['gateway-svc', 'accounts-svc', 'ledger-svc'].map((s) => p.map('service', s))));
    expect(spans.start[0]).toBe(T0 + shift);
    expect(spans.parent[1]).toBe(0);
    expect([spans.status[1], spans.status[61]]).toEqual([0, 2]); // the error tag survives
    expect(new Set(Array.from(spans.operation, (o) => spans.strings[o]))).toEqual(new Set(['POST /api/v1/gateway/pay', 'debit via host-a.bank.local', 'LedgerRepository.save'].map((o) => p.map('operation', o))));
    const [incident] = await readIncidents(path.join(out, 'incidents.json'));
    expect(services.has(incident.rootCause[0])).toBe(true);
    expect(incident).toMatchObject({ id: p.map('incident', 'INC-2025-0042'), start: T0 + 20 * 60_000 + shift, rootCauseInstance: p.map('instance', 'acct-pod-7'), type: 'database-slow' });
    const { series } = await readSeriesDir(path.join(out, 'kpis'));
    const tx = p.map('txType', 'transfer');
    expect(series.map((s) => s.id).sort()).toEqual([`service:${incident.rootCause[0]}:avgLatency`, `service:${incident.rootCause[0]}:volume`, `txType:${tx}:volume`].sort());
    expect(series[0].timestamps[0]).toBe(T0 + shift);
    let rows = 0;
    await scanMessages(path.join(out, 'messages.arrow'), (b) => {
      rows += b.length;
      expect(b.receiverService.values).toContain(incident.rootCause[0]);
      expect(b.sendTime[0]).toBe(T0 + shift);
      expect(b.bizSeqNo[0]).toBe(p.map('bizSeqNo', 'BIZ2025030300000'));
      expect(b.txType.values).toEqual([tx]);
      expect(b.retCode.values).toEqual(expect.arrayContaining(['0000', p.map('word', 'ACCOUNTS_DB_TIMEOUT')]));
    });
    expect(rows).toBe(80);
    expect(report.outputs).toEqual({
      'spans/spans.csv': { rows: 120 }, 'messages.arrow': { rows: 80 }, 'kpis/': { rows: 120, files: 3 },
      'logs/': { rows: 43, files: 2 }, 'metrics/': { rows: 45, files: 2 }, 'incidents.json': { rows: 1 },
    });
    expect(report.replaced['messages.senderIp']).toBe(80);
    expect(report.replaced['spans.operation']).toBe(3);
    expect(report.droppedColumns).toEqual(['Container', 'Node', 'Time', p.map('word', 'TimeUnixNano'), p.map('word', 'body'), p.map('word', 'host')].sort());
    expect(report.distinct).toMatchObject({ service: 3, instance: 3 });
  });

  it("writes logs and metrics in faultline's layouts, one file per instance, ids joining the spans'", () => {
    const acct = p.map('instance', 'acct-pod-7');
    const ledger = p.map('instance', LEDGER_POD);
    const w = (s: string) => p.map('word', s);
    expect(fs.readdirSync(path.join(out, 'logs')).sort()).toEqual([`${acct}.csv.gz`, `${ledger}.csv.gz`].sort());
    const logs = zlib.gunzipSync(fs.readFileSync(path.join(out, 'logs', `${acct}.csv.gz`))).toString();
    const [header, first, , , , , , , , , , , , , , , , , , , , failing] = logs.trim().split('\n');
    expect(header).toBe('time,service,instance,trace_id,span_id,level,message');
    expect(first.split(',').slice(0, 6)).toEqual([new Date(T0 + 1500 + shift).toISOString(), p.map('service', 'accounts-svc'), acct, p.map('traceId', 'trace-abc-000'), p.map('spanId', 's0b'), 'INFO']);
    expect(failing.split(',')[5]).toBe('ERROR');
    const message = first.split(',').slice(6).join(',');
    expect(message).toBe(`${w('debit')} ${p.map('card', ACCOUNT)} for ${p.map('email', 'alice.o@bank.com')} (${w('card')} ${p.map('card', CARD.replace(/ /g, ''))}) ${w('via')} ${p.map('url', 'https://pay.bank.local/v1?x=1')} from ${p.map('ip', '10.20.30.40')} at <datetime>: ${w('Frobnicator')} ${w('replied')} in 42 ms`);
    const nezha = csvRows(zlib.gunzipSync(fs.readFileSync(path.join(out, 'logs', `${ledger}.csv.gz`))).toString());
    expect(nezha[1].slice(0, 6)).toEqual([new Date(T0 + shift).toISOString(), p.map('service', 'ledger-svc'), ledger, p.map('traceId', 'ffc8ca7e4c8f06c75142c880d5595d96'), p.map('spanId', '439bc949a9eeb0cc'), 'WARN']);
    expect(nezha[1][6]).toBe(`l.s.${p.map('word', 'LedgerServiceImpl')}#77 TraceID: ${p.map('hex', 'ffc8ca7e4c8f06c75142c880d5595d96')} ${w('SpanID')}: ${p.map('hex', '439bc949a9eeb0cc')} [save][${p.map('word', 'ledger')} ${p.map('word', 'entry')} for ${p.map('card', ACCOUNT)} ${p.map('word', 'saved')}]`);
    expect(fs.readdirSync(path.join(out, 'metrics')).sort()).toEqual([`${acct}.csv.gz`, `${ledger}.csv.gz`].sort());
    const metrics = csvRows(zlib.gunzipSync(fs.readFileSync(path.join(out, 'metrics', `${acct}.csv.gz`))).toString());
    expect(metrics[0]).toEqual(['time', 'service', 'instance', p.map('word', 'accounts-svc_pool_active'), 'cpu_usage']);
    expect(metrics[3]).toEqual([String(T0 + 2 * 60_000 + shift), p.map('service', 'accounts-svc'), acct, '2', '0.2']);
    const pod = csvRows(zlib.gunzipSync(fs.readFileSync(path.join(out, 'metrics', `${ledger}.csv.gz`))).toString());
    expect(pod[0]).toEqual(['time', 'service', 'instance', 'CpuUsage(m)', `${p.map('word', 'PodLedgerLatencyP90')}(s)`]);
    expect(pod[1]).toEqual([new Date(T0 + shift).toISOString().replace('.000', ''), p.map('service', 'ledger-svc'), ledger, '0.5', '0.25']);
  });

  it('leaves no original identifier, body, account, card or address in any output byte, nor the time shift', () => {
    const files = outputs(out);
    expect(files.length).toBe(12);
    for (const { rel, text } of files) {
      for (const original of ORIGINALS) expect(`${rel}\n${text}`.includes(original), `${rel} contains ${original}`).toBe(false);
      // Real times appear nowhere: not the day, not as unix ms or seconds.
      for (const t of ['2025-03-03', String(T0).slice(0, 8), String(T0 / 1000).slice(0, 7)]) expect(text.includes(t), `${rel} contains ${t}`).toBe(false);
    }
    // The scan itself can fail: the inputs hold every original.
    const input = ['messages.csv', 'traces.json', 'incidents.csv', 'logs.csv', 'metrics.csv'].map((f) => fs.readFileSync(path.join(dir, f), 'latin1')).join('\n') + nezhaLogsCsv();
    expect(ORIGINALS.filter((o) => !input.includes(o))).toEqual([]);
    const text = fs.readFileSync(path.join(out, ANONYMISE_REPORT), 'utf8');
    expect(report.times).toBe(TIME_SHIFT_NOTES.keyed);
    for (const amount of [shift, -shift, shift / 86_400_000, -shift / 86_400_000, shift / 604_800_000, -shift / 604_800_000]) expect(text).not.toMatch(new RegExp(`\\b${amount}\\b`));
    expect(Object.keys(report).sort()).toEqual(['badRows', 'distinct', 'droppedColumns', 'droppedFields', 'keyFingerprint', 'keptVerbatim', 'operations', 'outputs', 'replaced', 'times', 'tool'].sort());
  });

  it('lists everything it kept verbatim', () => {
    expect(report.keptVerbatim.fields).toEqual(expect.arrayContaining([expect.stringMatching(/^messages: msgType, logPoint, retClass/), expect.stringMatching(/^logs: level/)]));
    expect(report.keptVerbatim.words['logs.message']).toEqual(['at', 'for', 'from', 'id', 'in', 'ms', 'save', 'trace']);
    expect(report.keptVerbatim.words['metrics.name']).toEqual(['cpu', 'usage']);
    expect(report.keptVerbatim.words['incidents.type']).toEqual(['database', 'slow']);
  });

  it('keeps route shapes with --operations keep-shape, and pseudonymises further --names', async () => {
    const shaped = path.join(dir, 'shaped');
    const names = file('names.txt', 'Frobnicator\nsave\n');
    const res = await anonymise({ out: shaped, keyFile: key, spans: inputs().spans, logs: [path.join(dir, 'logs.csv')], operations: 'keep-shape', names, timeShift: 'none' });
    expect(res.report.times).toBe(TIME_SHIFT_NOTES.none);
    const spans = await readSpans(path.join(shaped, 'spans'));
    expect(spans.start[0]).toBe(T0);
    const ops = new Set(Array.from(spans.operation, (o) => spans.strings[o]));
    const w = (s: string) => p.map('word', s);
    expect(ops).toEqual(new Set([`POST /api/v1/${p.map('word', 'gateway')}/${w('pay')}`, `${w('debit')} ${w('via')} ${p.map('host', 'host-a.bank.local')}`, `${w('LedgerRepository')}.${p.map('name', 'save')}`]));
    expect(res.report.keptVerbatim.words['spans.operation']).toEqual(['api', 'post']);
    const logs = outputs(shaped).find((f) => f.rel.startsWith('logs'))!.text;
    expect(logs).toContain(p.map('name', 'Frobnicator'));
  });

  it('rejects a malformed row by file and line, or skips and counts it', async () => {
    const bad = file('bad-kpis.csv', `${kpisCsv()}service:accounts-svc:volume,not-a-time,1,0\n`);
    await expect(anonymise({ out: path.join(dir, 'bad'), keyFile: key, kpis: [bad] })).rejects.toThrow(`${bad}:line 122: timestamp 'not-a-time' is neither unix seconds nor ISO 8601`);
    expect(fs.existsSync(path.join(dir, 'bad'))).toBe(false);
    const res = await anonymise({ out: path.join(dir, 'bad'), keyFile: key, kpis: [bad], onBadRow: 'skip' });
    expect(res.report.badRows).toEqual({ policy: 'skip', skipped: 1 });
    expect(res.badRowExamples).toEqual([`${bad}:line 122: timestamp 'not-a-time' is neither unix seconds nor ISO 8601`]);
    expect(fs.readFileSync(path.join(dir, 'bad', ANONYMISE_REPORT), 'utf8')).not.toContain('not-a-time');
    const badLogs = file('bad-logs.csv', 'time,service,instance,trace_id,span_id,level,message\nyesterday,a,b,,,INFO,x\n');
    await expect(anonymise({ out: path.join(dir, 'bad2'), keyFile: key, logs: [badLogs] })).rejects.toThrow(`${badLogs}:line 2: time: not a time: "yesterday"`);
    const unknown = file('unknown.csv', 'when,what\n1,2\n');
    await expect(anonymise({ out: path.join(dir, 'bad2'), keyFile: key, metrics: [unknown] })).rejects.toThrow(`${unknown}:line 1: no column "time": faultline's metric layout needs time and service and/or instance, then one column per metric; the header has when, what (map yours with --metric-columns time=<name>)`);
    // An instance in a column name that no service can be derived from: refused, naming the column, nothing written.
    const wide = file('wide.csv', 'time,ledger_cpu\n1706000000,1\n');
    await expect(anonymise({ out: path.join(dir, 'bad3'), keyFile: key, metrics: [wide], metricColumns: { instance_metric: '^(.+?)_(.+)$' }, serviceFromInstance: '^(.+)-[0-9a-f]{10}-[0-9a-z]{5}$' })).rejects.toThrow(
      `${wide}:line 1: column "ledger_cpu": instance "ledger" does not match --service-from-instance ^(.+)-[0-9a-f]{10}-[0-9a-z]{5}$`,
    );
    expect(fs.existsSync(path.join(dir, 'bad3'))).toBe(false);
  });

  it('takes a wide metric file (instances in column names) and writes a row per instance, reading back as the original does', async () => {
    const pods = ['ledger-5c7b9d8f6a-m3n8p', 'pay-7d9f8c6b5d-x2k4q'];
    const lines = [`time,${pods[0]}_cpu,${pods[0]}_mem,${pods[1]}_cpu,host_load`];
    for (let k = 0; k < 20; k++) lines.push(`${T0 / 1000 + k * 60},${k / 10},${200 + k},${k % 3 ? k : ''},${k * 7}`);
    const wide = file('wide-metrics.csv', `${lines.join('\n')}\n`);
    const reading = { metricColumns: { instance_metric: '^(.+?-[0-9a-f]{10}-[0-9a-z]{5})_(.+)$' }, serviceFromInstance: '^(.+)-[0-9a-f]{10}-[0-9a-z]{5}$' };
    // A log line of another pod that names one of them: the pod is known from the metric columns, so the text gets its pseudonym.
    const mention = file('wide-logs.csv', `time,service,instance,trace_id,span_id,level,message\n${T0 / 1000},gateway,gateway-1,,,WARN,retry on ${pods[0]} after timeout\n`);
    const out2 = path.join(dir, 'wide-out');
    const res = await anonymise({ out: out2, keyFile: key, metrics: [wide], logs: [mention], ...reading, timeShift: 'none' });
    expect(res.report.outputs).toEqual({ 'metrics/': { rows: 40, files: 2 }, 'logs/': { rows: 1, files: 1 } });
    const logText = outputs(out2).find((f) => f.rel.startsWith('logs'))!.text;
    expect(logText).not.toContain(pods[0]);
    expect(logText).toContain(`retry on ${p.map('instance', pods[0])}`);
    expect(res.report.droppedColumns).toEqual([p.scrubText('host_load', 'metrics.name')]);
    const written = fs.readdirSync(path.join(out2, 'metrics')).map((f) => zlib.gunzipSync(fs.readFileSync(path.join(out2, 'metrics', f))).toString()).join('\n');
    for (const real of [...pods, 'ledger', 'pay']) expect(written).not.toContain(real);
    const { readMetrics } = await import('../../data/metric-csv.js');
    const raw = await readMetrics(wide, { columns: reading.metricColumns, serviceFromInstance: reading.serviceFromInstance });
    const anon = await readMetrics(path.join(out2, 'metrics'));
    const points = (t: typeof raw, name: (s: string) => string, metric: (s: string) => string) =>
      Array.from({ length: t.length }, (_, i) => [t.time[i], name(t.strings[t.service[i]]), name(t.strings[t.instance[i]]), ...t.names.map((n, k) => `${metric(n)}=${t.values[k][i]}`)].join(' ')).sort();
    expect(anon.length).toBe(40);
    expect(points(anon, (s) => s, (n) => n)).toEqual(points(raw, (s) => (pods.includes(s) ? p.map('instance', s) : p.map('service', s)), (n) => p.scrubText(n, 'metrics.name')));
  });

  it('replays the anonymised set into the run report, gate and Parquet tables included', async () => {
    const res = await replay({ in: out, rca: ['count', 'deepest-abnormal'], detectors: ['ksigma'], out: path.join(dir, 'report'), minAc1: 0.5, parquet: true });
    for (const f of ['report.html', 'summary.json', 'junit.xml', 'rca-candidates.parquet', 'detectors.parquet']) expect(fs.existsSync(path.join(dir, 'report', f)), f).toBe(true);
    expect(res.read.spans).toEqual([path.join(out, 'spans')]);
    expect(res.summary.rca.map((a) => a.incidents)).toEqual([1, 1]);
    const best = Math.max(...res.summary.rca.map((a) => a.ac1 ?? 0));
    expect(res.gatePassed).toBe(best >= 0.5);
    let candidates = 0;
    await scanParquet(path.join(dir, 'report', 'rca-candidates.parquet'), (b) => void (candidates += b.numRows));
    expect(candidates).toBe(res.item.rca.reduce((s, a) => s + a.incidents.reduce((t, i) => t + i.candidates.length, 0), 0));
  });

  it('takes other log and metric layouts through --log-columns and --metric-columns, and reads back as the originals do', async () => {
    const logRows = ['ts,pod,lvl,msg'];
    const metricRows = ['when,pod,cpu,mem,note'];
    for (let k = 0; k < 30; k++) {
      const s = T0 / 1000 + k * 60;
      const pod = k % 2 ? 'pay-7d9f8c6b5d-x2k4q' : 'ledger-5c7b9d8f6a-m3n8p';
      logRows.push(`${s},${pod},${k % 5 ? 'info' : 'warning'},"12:00:0${k % 10} [main] order ${4000 + k} took ${k} ms, card ${CARD}"`);
      logRows.push(`${s + 1},${pod},,"{""msg"":""ERROR timeout after ${k}s on pay-db-0${k % 3}""}"`);
      metricRows.push(`${s},${pod},${k / 10},${100 + k},${pod}-note`);
    }
    const logs = file('other-logs.csv', `${logRows.join('\n')}\n`);
    const metrics = file('other-metrics.csv', `${metricRows.join('\n')}\n`);
    const pods = '^(.+)-[0-9a-f]{10}-[0-9a-z]{5}$';
    const reading = { logColumns: { time: 'ts', instance: 'pod', level: 'lvl', message: 'msg' }, metricColumns: { time: 'when', instance: 'pod', metrics: 'cpu|mem' }, serviceFromInstance: pods };
    const mapped = path.join(dir, 'mapped');
    const res = await anonymise({ out: mapped, keyFile: key, logs: [logs], metrics: [metrics], ...reading, timeShift: 'none' });
    expect(res.report.outputs).toEqual({ 'logs/': { rows: 60, files: 2 }, 'metrics/': { rows: 30, files: 2 } });
    expect(res.report.droppedColumns).toEqual([p.map('word', 'note')]);
    const { readLogs } = await import('../../data/log-csv.js');
    const { readMetrics } = await import('../../data/metric-csv.js');
    const rawLogs = await readLogs(logs, { columns: reading.logColumns, serviceFromInstance: pods });
    const anonLogs = await readLogs(path.join(mapped, 'logs'));
    const rows = (t: typeof rawLogs, name: (s: string) => string) =>
      Array.from({ length: t.length }, (_, i) => [t.time[i], name(t.strings[t.service[i]]), t.level[i], t.template[i]].join(' ')).sort();
    // The same lines, services, levels and templates.
    expect(rows(anonLogs, (s) => s)).toEqual(rows(rawLogs, (s) => p.map('service', s)));
    expect(anonLogs.templates.length).toBe(rawLogs.templates.length);
    const rawMetrics = await readMetrics(metrics, { columns: reading.metricColumns, serviceFromInstance: pods });
    const anonMetrics = await readMetrics(path.join(mapped, 'metrics'));
    const points = (t: typeof rawMetrics, name: (s: string) => string) => Array.from({ length: t.length }, (_, i) => [t.time[i], name(t.strings[t.instance[i]]), t.values[0][i], t.values[1][i]].join(' ')).sort();
    expect(points(anonMetrics, (s) => s)).toEqual(points(rawMetrics, (s) => p.map('instance', s)));
    expect(new Set(anonMetrics.service.map((c) => c))).toEqual(new Set(['pay', 'ledger'].map((s) => anonMetrics.strings.indexOf(p.map('service', s)))));
    await expect(anonymise({ out: path.join(dir, 'mapped2'), keyFile: key, logs: [logs], logColumns: { when: 'ts' } })).rejects.toThrow(/--log-columns: unknown column "when"/);
  });
});

describe('anonymise output folder', () => {
  it('never replaces a folder that holds an input or other files', async () => {
    const key = writeTestKey(dir, 'anonymise');
    const kpis = file('k.csv', 'series,timestamp,value\nservice:a:volume,60,1\n');
    await expect(anonymise({ out: dir, keyFile: key, kpis: [kpis] })).rejects.toThrow(/holds the input/);
    const other = path.join(dir, 'someone-elses');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'notes.txt'), 'keep me');
    await expect(anonymise({ out: other, keyFile: key, kpis: [kpis] })).rejects.toThrow(/holds files faultline did not write \(notes\.txt\)/);
    expect(fs.readFileSync(path.join(other, 'notes.txt'), 'utf8')).toBe('keep me');
    await expect(replay({ in: other, out: other })).rejects.toThrow(/holds the input/);
    expect(fs.readFileSync(path.join(other, 'notes.txt'), 'utf8')).toBe('keep me');
  });
});

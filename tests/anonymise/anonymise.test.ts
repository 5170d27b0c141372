import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymise, ANONYMISE_REPORT, type AnonymiseReport } from '../../anonymise/anonymise.js';
import { replay } from '../../pipeline/replay.js';
import { Pseudonymiser } from '../../anonymise/pseudonymise.js';
import { scanMessages } from '../../sim/read.js';
import { readSpans } from '../../data/span-csv.js';
import { readIncidents } from '../../data/incidents.js';
import { readSeriesDir } from '../../data/series-csv.js';
import { scanParquet } from '../../data/parquet.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-anonymise-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};

const T0 = Date.UTC(2025, 2, 3, 10, 0);
const SECRET_BODY = 'transfer 500 from Alice Example';
const ACCOUNT = '6222020123456789';
// Identifiers that must not survive, by the field they sit in.
const ORIGINALS = ['gateway-svc', 'accounts-svc', 'ledger-svc', 'gw-pod-1', 'acct-pod-7', 'host-a.bank.local', '10.20.30.40', '10.20.30.41', 'T.ACCOUNTS', 'SYS-CORE', 'BIZ2025030300017', 'UID-889-1', 'trace-abc-001', ACCOUNT, SECRET_BODY, 'INC-2025-0042'];

function messagesCsv(): string {
  const rows = ['seq,uid,type,from,from_pod,from_ip,to,to_pod,to_ip,topic,sys,point,sent,received,ttl,code,class,tx,body'];
  for (let k = 0; k < 40; k++) {
    const t = T0 + k * 60_000;
    const seq = k === 17 ? 'BIZ2025030300017' : `BIZ20250303${String(k).padStart(5, '0')}`;
    const uid = k === 17 ? 'UID-889-1' : `UID-${k}`;
    const fail = k >= 20 && k < 30;
    rows.push(`${seq},${uid},request,gateway-svc,gw-pod-1,10.20.30.40,accounts-svc,acct-pod-7,10.20.30.41,T.ACCOUNTS,SYS-CORE,REQ_CLIENT_MESH,${t},${t + 2},3000,,,transfer,"${SECRET_BODY} acct ${ACCOUNT}"`);
    rows.push(`${seq},${uid},reply,accounts-svc,acct-pod-7,10.20.30.41,gateway-svc,gw-pod-1,10.20.30.40,T.GATEWAY,SYS-CORE,RSP_MESH_CLIENT,${t + (fail ? 900 : 40)},${t + (fail ? 902 : 42)},3000,${fail ? 'E500' : '0000'},${fail ? 'system' : 'ok'},transfer,`);
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
      { traceID: `trace-abc-${String(k).padStart(3, '0')}`, spanID: `s${k}a`, operationName: 'POST /pay', references: [], startTime: start, duration: slow ? 900_000 : 50_000, tags: [], processID: 'p1' },
      { traceID: `trace-abc-${String(k).padStart(3, '0')}`, spanID: `s${k}b`, operationName: 'debit via host-a.bank.local', references: [{ refType: 'CHILD_OF', spanID: `s${k}a` }], startTime: start + 1000, duration: slow ? 850_000 : 20_000, tags: slow ? [{ key: 'error', value: true }] : [], processID: 'p2' },
      { traceID: `trace-abc-${String(k).padStart(3, '0')}`, spanID: `s${k}c`, operationName: 'write', references: [{ refType: 'CHILD_OF', spanID: `s${k}b` }], startTime: start + 2000, duration: slow ? 800_000 : 5_000, tags: [], processID: 'p3' },
    );
  }
  const processes = {
    p1: { serviceName: 'gateway-svc', tags: [{ key: 'hostname', value: 'gw-pod-1' }, { key: 'ip', value: '10.20.30.40' }] },
    p2: { serviceName: 'accounts-svc', tags: [{ key: 'hostname', value: 'acct-pod-7' }] },
    p3: { serviceName: 'ledger-svc', tags: [{ key: 'hostname', value: 'host-a.bank.local' }] },
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

describe('faultline anonymise', () => {
  const out = path.join(dir, 'out');
  let key: string;
  let report: AnonymiseReport;
  let p: Pseudonymiser;
  const inputs = () => ({
    messages: [file('messages.csv', messagesCsv())],
    messageColumns: MESSAGE_COLUMNS,
    spans: [file('traces.json', jaeger())],
    kpis: [file('kpis.csv', kpisCsv())],
    incidents: file('incidents.csv', `id,start,end,rootCause,rootCauseInstance,type\nINC-2025-0042,${T0 + 20 * 60_000},${T0 + 30 * 60_000},accounts-svc,acct-pod-7,database-slow\n`),
  });

  beforeAll(async () => {
    key = file('key', `${'0123456789abcdef'.repeat(4)}\n`);
    p = await Pseudonymiser.fromKeyFile(key);
    ({ report } = await anonymise({ out, keyFile: key, timeShift: '-7d', ...inputs() }));
  });

  it('refuses to run without a key or with a short one, writing nothing', async () => {
    const nowhere = path.join(dir, 'never');
    await expect(anonymise({ out: nowhere, keyFile: '', ...inputs() })).rejects.toThrow(/without a key/);
    await expect(anonymise({ out: nowhere, keyFile: file('short', 'password'), ...inputs() })).rejects.toThrow(/at least 32 are required/);
    expect(fs.existsSync(nowhere)).toBe(false);
  });

  it('writes faultline formats that still line up through the pseudonyms, times shifted', async () => {
    const shift = -7 * 86_400_000;
    const spans = await readSpans(path.join(out, 'spans'));
    const services = new Set(Array.from(spans.service, (s) => spans.strings[s]));
    expect(services).toEqual(new Set(['gateway-svc', 'accounts-svc', 'ledger-svc'].map((s) => p.map('service', s))));
    expect(spans.start[0]).toBe(T0 + shift);
    expect(spans.parent[1]).toBe(0);
    expect([spans.status[1], spans.status[61]]).toEqual([0, 2]); // the error tag survives
    const [incident] = await readIncidents(path.join(out, 'incidents.json'));
    expect(services.has(incident.rootCause[0])).toBe(true);
    expect(incident).toMatchObject({ id: p.map('incident', 'INC-2025-0042'), start: T0 + 20 * 60_000 + shift, rootCauseInstance: p.map('instance', 'acct-pod-7'), type: 'database-slow' });
    const { series } = await readSeriesDir(path.join(out, 'kpis'));
    expect(series.map((s) => s.id).sort()).toEqual([`service:${incident.rootCause[0]}:avgLatency`, `service:${incident.rootCause[0]}:volume`, 'txType:transfer:volume'].sort());
    expect(series[0].timestamps[0]).toBe(T0 + shift);
    let rows = 0;
    await scanMessages(path.join(out, 'messages.arrow'), (b) => {
      rows += b.length;
      expect(b.receiverService.values).toContain(incident.rootCause[0]);
      expect(b.sendTime[0]).toBe(T0 + shift);
      expect(b.bizSeqNo[0]).toBe(p.map('bizSeqNo', 'BIZ2025030300000'));
      expect(b.txType.values).toEqual(['transfer']);
    });
    expect(rows).toBe(80);
    expect(report.outputs).toEqual({ 'spans/spans.csv': { rows: 120 }, 'messages.arrow': { rows: 80 }, 'kpis/': { rows: 120 }, 'incidents.json': { rows: 1 } });
    expect(report.replaced['messages.senderIp']).toBe(80);
    expect(report.replaced['spans.operation (texts scrubbed)']).toBe(1);
    expect(report.droppedColumns).toEqual(['body']);
    expect(report.distinct.service).toBe(3);
  });

  it('leaves no original identifier, body or account number in any output byte', () => {
    const files = fs.readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.map((e) => e.name).sort()).toEqual(['.faultline-output.json', ANONYMISE_REPORT, 'incidents.json', 'messages.arrow', `service:${p.map('service', 'accounts-svc')}:avgLatency.csv`, `service:${p.map('service', 'accounts-svc')}:volume.csv`, 'spans.csv', 'txType:transfer:volume.csv'].sort());
    for (const e of files) {
      const bytes = fs.readFileSync(path.join(e.parentPath, e.name)).toString('latin1');
      for (const original of ORIGINALS) expect(bytes.includes(original), `${e.name} contains ${original}`).toBe(false);
    }
    // The scan itself can fail: the inputs hold every original.
    const input = fs.readFileSync(path.join(dir, 'messages.csv'), 'latin1') + fs.readFileSync(path.join(dir, 'traces.json'), 'latin1');
    expect(ORIGINALS.filter((o) => !input.includes(o) && !fs.readFileSync(path.join(dir, 'incidents.csv'), 'latin1').includes(o))).toEqual([]);
  });

  it('rejects a malformed row by file and line, or skips and counts it', async () => {
    const bad = file('bad-kpis.csv', `${kpisCsv()}service:accounts-svc:volume,not-a-time,1,0\n`);
    await expect(anonymise({ out: path.join(dir, 'bad'), keyFile: key, kpis: [bad] })).rejects.toThrow(`${bad}:line 122: timestamp 'not-a-time' is neither unix seconds nor ISO 8601`);
    expect(fs.existsSync(path.join(dir, 'bad'))).toBe(false);
    const res = await anonymise({ out: path.join(dir, 'bad'), keyFile: key, kpis: [bad], onBadRow: 'skip' });
    expect(res.report.badRows).toEqual({ policy: 'skip', skipped: 1 });
    expect(res.badRowExamples).toEqual([`${bad}:line 122: timestamp 'not-a-time' is neither unix seconds nor ISO 8601`]);
    expect(fs.readFileSync(path.join(dir, 'bad', ANONYMISE_REPORT), 'utf8')).not.toContain('not-a-time');
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
    expect(candidates).toBe(res.item.rca.reduce((s, a) => s + a.incidents.reduce((t, i) => t + Math.max(1, i.candidates.length), 0), 0));
    const strict = await replay({ in: out, rca: ['count'], detectors: [], out: path.join(dir, 'report2'), minAc1: 1 });
    expect(strict.gatePassed).toBe((strict.summary.rca[0].ac1 ?? 0) >= 1);
  });
});

describe('anonymise output folder', () => {
  it('never replaces a folder that holds an input or other files', async () => {
    const key = file('key2', 'f'.repeat(64));
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

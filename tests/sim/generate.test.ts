import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordBatchReader, type Dictionary } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, type GenerateResult } from '../../sim/generate.js';
import { KPI_COLUMNS, KPI_NAMES, MESSAGE_COLUMNS, type Manifest, type MessageBatch } from '../../sim/formats.js';
import { readKpis, readTruth, scanMessages } from '../../sim/read.js';

const root = mkdtempSync(join(tmpdir(), 'fl-gen-'));
// Short run with faults that exercise timeouts, lost messages, failover and broker replies.
const scenario = join(root, 'small.yaml');
writeFileSync(
  scenario,
  [
    'extends: fault-base',
    'duration: 20m',
    'faults:',
    '  - { type: packet-loss, target: { from: transfer-service, to: account-service }, start: 5m, duration: 10m, severity: 0.8 }',
    '  - { type: instance-down, target: { service: ledger-service, instance: 1 }, start: 6m, duration: 10m, severity: 0.5 }',
    '  - { type: config-error, target: { service: auth-service, instance: 2 }, start: 8m, duration: 5m, severity: 0.5 }',
  ].join('\n'),
);
const opts = { scenario, seed: 42, trafficScale: 2 };

function hashDir(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));
}

let first: GenerateResult;
beforeAll(async () => {
  first = await generate({ ...opts, out: join(root, 'a') });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('generate', () => {
  it('is deterministic: same scenario and seed give byte-identical files; another seed differs', async () => {
    await generate({ ...opts, out: join(root, 'b') });
    const a = hashDir(join(root, 'a'));
    expect(Object.keys(a).sort()).toEqual(['.faultline-output.json', 'kpis.arrow', 'logs.arrow', 'manifest.json', 'messages.arrow', 'metrics.arrow', 'truth.json']);
    expect(hashDir(join(root, 'b'))).toEqual(a);
    await generate({ ...opts, seed: 43, out: join(root, 'c') });
    expect(hashDir(join(root, 'c'))['messages.arrow']).not.toBe(a['messages.arrow']);
  });

  it('writes messages.arrow with the contract columns, dictionary-encoded strings', async () => {
    const reader = await RecordBatchReader.from(readFileSync(join(root, 'a', 'messages.arrow')));
    reader.open();
    const fields = reader.schema.fields;
    const batch = reader.next().value!;
    expect(fields.map((f) => f.name).sort()).toEqual(Object.values(MESSAGE_COLUMNS).sort());
    for (const f of fields) {
      if (['bizSeqNo', 'uniqueId'].includes(f.name)) expect(f.type.toString()).toBe('Utf8');
      else if (['sendTime', 'recvTime'].includes(f.name)) expect(f.type.toString()).toBe('Float64');
      else if (f.name === 'ttl') expect(f.type.toString()).toBe('Int32');
      else {
        // The smallest signed index type that holds the column's dictionary.
        const size = batch.getChild(f.name)!.data[0]!.dictionary!.length;
        expect((f.type as Dictionary).indices.bitWidth, f.name).toBe(size <= 128 ? 8 : size <= 32768 ? 16 : 32);
        expect((f.type as Dictionary).indices.isSigned, f.name).toBe(true);
      }
    }
    expect(first.manifest.counts.messages).toBeGreaterThan(10_000);
  });

  it('gives every request a reply or a recorded timeout; retries keep the bizSeqNo', async () => {
    const requests = new Map<string, string>(); // uniqueId -> bizSeqNo
    const callGroups = new Map<string, string[]>(); // bizSeqNo + caller + callee service -> uniqueIds
    const failed = new Set<string>();
    const answered = new Map<string, number>();
    const codes = new Map<string, number>();
    let timeTravel = 0;
    let foreignUid = 0;
    let unclassifiedReply = 0;
    await scanMessages(join(root, 'a', 'messages.arrow'), (b: MessageBatch) => {
      for (let i = 0; i < b.length; i++) {
        const lp = b.logPoint.values[b.logPoint.codes[i]!];
        const type = b.msgType.values[b.msgType.codes[i]!];
        if (type === 'request' && lp === 'REQ_CLIENT_MESH') {
          requests.set(b.uniqueId[i]!, b.bizSeqNo[i]!);
          const group = `${b.bizSeqNo[i]} ${b.senderInstance.values[b.senderInstance.codes[i]!]} ${b.receiverService.values[b.receiverService.codes[i]!]}`;
          callGroups.set(group, [...(callGroups.get(group) ?? []), b.uniqueId[i]!]);
        }
        if (lp === 'RSP_MESH_CLIENT') {
          answered.set(b.uniqueId[i]!, (answered.get(b.uniqueId[i]!) ?? 0) + 1);
          const code = b.retCode.values[b.retCode.codes[i]!]!;
          codes.set(code, (codes.get(code) ?? 0) + 1);
          const cls = b.retClass.values[b.retClass.codes[i]!];
          if (cls === '') unclassifiedReply++;
          if (cls === 'system') failed.add(b.uniqueId[i]!);
        }
        if (b.recvTime[i]! < b.sendTime[i]!) timeTravel++;
        if (!b.uniqueId[i]!.startsWith(b.bizSeqNo[i]!)) foreignUid++;
        if (!/^BZ\d{18}$/.test(b.bizSeqNo[i]!) || !/^BZ\d{18}-\d{4}$/.test(b.uniqueId[i]!)) foreignUid++;
      }
    });
    expect({ timeTravel, foreignUid, unclassifiedReply }).toEqual({ timeTravel: 0, foreignUid: 0, unclassifiedReply: 0 });
    expect(requests.size).toBeGreaterThan(1000);
    const unanswered = [...requests.keys()].filter((uid) => answered.get(uid) !== 1);
    expect(unanswered).toEqual([]);
    expect(answered.size).toBe(requests.size);
    // The faults produced each kind of system reply.
    for (const code of ['OK', 'TIMEOUT', 'SYS_ROUTE_NOT_FOUND', 'SYS_DOWNSTREAM_ERROR', 'INSUFFICIENT_BALANCE']) expect(codes.get(code), code).toBeGreaterThan(0);
    // Retries: the same caller calls the same service again in one transaction (new uniqueId,
    // same bizSeqNo) after a system failure.
    const retried = [...callGroups.values()].filter((uids) => uids.length > 1 && failed.has(uids[0]!));
    expect(retried.length).toBeGreaterThan(10);
  });

  it('writes kpis.arrow with every minute of every series and consistent KPIs', async () => {
    const k = await readKpis(join(root, 'a', 'kpis.arrow'));
    const minutes = new Set(k.minute);
    expect(minutes.size).toBe(20);
    const series = new Set<string>();
    for (let i = 0; i < k.length; i++) {
      series.add(`${k.scope.values[k.scope.codes[i]!]}:${k.name.values[k.name.codes[i]!]}`);
      const v = k.volume[i]!;
      if (v > 0) {
        expect(k.businessSuccessRate[i]).toBeCloseTo(k.businessSuccessCount[i]! / v, 12);
        expect(k.systemSuccessRate[i]).toBeCloseTo(k.systemSuccessCount[i]! / v, 12);
        expect(k.avgLatency[i]).toBeCloseTo(k.latencySum[i]! / v, 9);
        expect(k.systemSuccessCount[i]).toBeGreaterThanOrEqual(k.businessSuccessCount[i]!);
      } else expect(k.avgLatency[i]).toBeNaN();
    }
    expect(k.length).toBe(minutes.size * series.size);
    expect(series).toContain('service:account-service');
    expect(series).toContain('txType:card-authorisation');
    expect(Object.keys(KPI_COLUMNS)).toHaveLength(10);
  });

  it('writes truth.json and a manifest whose sha256 match the files', async () => {
    const truth = await readTruth(join(root, 'a'));
    expect(truth.faults.map((f) => f.type)).toEqual(['packet-loss', 'instance-down', 'config-error']);
    const loss = truth.faults[0]!;
    expect(loss.rootCause).toEqual(['account-service']);
    expect(loss.target).toEqual({ kind: 'edge', from: 'transfer-service', to: 'account-service' });
    expect(truth.faults[1]!.rootCauseInstance).toBe('ledger-service-01');
    for (const m of truth.faults.flatMap((f) => f.moved)) expect(KPI_NAMES).toContain(m.kpi);
    const manifest = JSON.parse(readFileSync(join(root, 'a', 'manifest.json'), 'utf8')) as Manifest;
    for (const [name, f] of Object.entries(manifest.files)) {
      const bytes = readFileSync(join(root, 'a', name));
      expect(f.bytes).toBe(bytes.length);
      expect(f.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    expect(manifest.seed).toBe(42);
    expect(manifest.counts.faults).toBe(3);
    expect(JSON.stringify(manifest)).not.toMatch(/20\d\d-\d\d-\d\dT/); // no wall-clock time
  });
});

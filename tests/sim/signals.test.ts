import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, type GenerateResult } from '../../sim/generate.js';
import type { MetricFrame, MetricName } from '../../sim/formats.js';
import { readMetricFrame, scanLogs, scanMessages } from '../../sim/read.js';

/**
 * The faults that show in some signals only, each on its own part of the bank, from minute 20 to
 * 50 of an hour: what each one changes, and where it leaves no trace.
 */
const root = mkdtempSync(join(tmpdir(), 'fl-sig-'));
const scenario = join(root, 'signals.yaml');
writeFileSync(
  scenario,
  [
    'extends: fault-base',
    'duration: 60m',
    'faults:',
    '  - { id: caught, type: code-exception, target: { service: fx-service }, operations: [fx-exchange], start: 20m, duration: 30m, severity: 0.5 }',
    '  - { id: wrong, type: wrong-return, target: { service: account-service }, operations: [transfer], start: 20m, duration: 30m, severity: 0.5 }',
    '  - { id: query, type: slow-query, target: { database: statement-db }, start: 20m, duration: 30m, severity: 0.3 }',
    '  - { id: neighbour, type: noisy-neighbour, target: { service: risk-engine, instance: 2 }, start: 20m, duration: 30m, severity: 0.4 }',
    '  - { id: roll, type: rolling-restart, target: { service: fraud-detection }, start: 20m, duration: 30m, severity: 0.3 }',
    '  - { id: batch, type: batch-job, target: { service: ledger-service }, start: 20m, duration: 5m, severity: 0.5, repeat: { every: 15m, count: 2 } }',
    '  - { id: drift, type: drift, target: { service: customer-profile }, start: 20m, duration: 30m, severity: 0.6 }',
  ].join('\n'),
);

interface Line {
  minute: number;
  level: string;
  service: string;
  instance: string;
  message: string;
  uniqueId: string;
  txType?: string;
}

let result: GenerateResult;
let metrics: MetricFrame;
const lines: Line[] = [];
/** Per uniqueId: the transaction type, and the callee's reply (service, class, code). */
const calls = new Map<string, { txType: string; service: string; retClass: string; retCode: string }>();
const receivers = new Map<string, [number, number]>(); // fraud-detection instance -> first and last minute it received a request
let t0 = 0;

beforeAll(async () => {
  const out = join(root, 'out');
  result = await generate({ scenario, seed: 11, out });
  t0 = result.truth.start;
  const minute = (t: number) => Math.floor((t - t0) / 60_000);
  metrics = await readMetricFrame(join(out, 'metrics.arrow'));
  await scanMessages(join(out, 'messages.arrow'), (b) => {
    for (let i = 0; i < b.length; i++) {
      const lp = b.logPoint.values[b.logPoint.codes[i]!];
      const uid = b.uniqueId[i]!;
      if (lp === 'REQ_CLIENT_MESH') {
        calls.set(uid, { txType: b.txType.values[b.txType.codes[i]!]!, service: b.receiverService.values[b.receiverService.codes[i]!]!, retClass: '', retCode: '' });
      } else if (lp === 'REQ_MESH_CLIENT') {
        const inst = b.receiverInstance.values[b.receiverInstance.codes[i]!]!;
        if (inst.startsWith('fraud-detection-')) {
          const m = minute(b.recvTime[i]!);
          const seen = receivers.get(inst);
          receivers.set(inst, seen ? [Math.min(seen[0], m), Math.max(seen[1], m)] : [m, m]);
        }
      } else if (lp === 'RSP_CLIENT_MESH') {
        const c = calls.get(uid)!;
        c.retClass = b.retClass.values[b.retClass.codes[i]!]!;
        c.retCode = b.retCode.values[b.retCode.codes[i]!]!;
      }
    }
  });
  await scanLogs(join(out, 'logs.arrow'), (b) => {
    for (let i = 0; i < b.length; i++) {
      lines.push({
        minute: minute(b.time[i]!),
        level: b.level.values[b.level.codes[i]!]!,
        service: b.service.values[b.service.codes[i]!]!,
        instance: b.instance.values[b.instance.codes[i]!]!,
        message: b.message[i]!,
        uniqueId: b.uniqueId[i]!,
        ...(b.uniqueId[i] ? { txType: calls.get(b.uniqueId[i]!)?.txType } : {}),
      });
    }
  });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function mean(name: MetricName, instance: string, from: number, to: number): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < metrics.length; i++) {
    const m = (metrics.time[i]! - t0) / 60_000;
    if (m < from || m >= to || metrics.instance.values[metrics.instance.codes[i]!] !== instance) continue;
    sum += metrics.values[name][i]!;
    n++;
  }
  return n ? sum / n : NaN;
}

const moved = (id: string) => result.truth.faults.find((f) => f.id === id)!.moved.map((k) => `${k.series}:${k.direction}`);

describe('faults that show in some signals only', () => {
  it('code-exception: a caught exception in the logs of its service and operation, in its window; replies stay OK and no KPI moves', () => {
    const caught = lines.filter((l) => l.message.includes('falling back') || l.message.includes('using cached values') || l.message.includes('treating flag as off'));
    expect(caught.length).toBeGreaterThan(8);
    for (const l of caught) {
      expect(l).toMatchObject({ level: 'ERROR', service: 'fx-service', txType: 'fx-exchange' });
      expect(l.minute).toBeGreaterThanOrEqual(20);
      expect(l.minute).toBeLessThan(50);
      expect(l.message).toMatch(/\n\tat com\.bank\./);
      expect(calls.get(l.uniqueId)!.retClass).toBe('ok');
    }
    expect(moved('caught')).toEqual([]);
  });

  it('wrong-return: the consumer of the wrong value fails its validation, not the service that returned it', () => {
    // The ledger posting decides it; the business code then travels up its callers' replies.
    const rejected = [...calls.values()].filter((c) => c.retCode === 'DATA_VALIDATION_FAILED');
    expect(rejected.filter((c) => c.service === 'ledger-service').length).toBeGreaterThan(10);
    expect(new Set(rejected.map((c) => c.service))).toEqual(new Set(['ledger-service', 'transfer-service', 'api-gateway']));
    expect(rejected.every((c) => c.txType === 'transfer' && c.retClass === 'business')).toBe(true);
    expect(moved('wrong')).toContain('txType:transfer:businessSuccessRate:down');
    expect(moved('wrong').filter((k) => k.startsWith('service:account-service:'))).toEqual([]);
    expect(lines.some((l) => l.service === 'ledger-service' && l.level === 'WARN' && l.message.includes('DATA_VALIDATION_FAILED'))).toBe(true);
  });

  it("slow-query: the owner's logs and connection pool show the slow scheduled query; requests barely notice", () => {
    const slow = lines.filter((l) => l.message.includes('ReconciliationTask - Slow SQL on statement-db'));
    expect(slow.length).toBeGreaterThanOrEqual(25);
    expect(slow.every((l) => l.level === 'WARN' && l.service === 'statement-service' && l.minute >= 20 && l.minute < 50 && l.uniqueId === '')).toBe(true);
    const inst = slow[0]!.instance;
    expect(mean('dbPoolInUse', inst, 22, 48) - mean('dbPoolInUse', inst, 2, 18)).toBeGreaterThan(0.7);
    expect(moved('query').filter((k) => k.includes('statement'))).toEqual([]);
  });

  it("noisy-neighbour: the victim's CPU steal rises and its own CPU use does not", () => {
    const change = (n: MetricName, inst: string) => mean(n, inst, 22, 48) - mean(n, inst, 2, 18);
    expect(change('cpuSteal', 'risk-engine-02')).toBeGreaterThan(25);
    expect(mean('cpuSteal', 'risk-engine-01', 22, 48)).toBeLessThan(1);
    // Traffic grows through the morning: the victim's CPU use changes as its unaffected sibling's does.
    expect(Math.abs(change('cpuUsage', 'risk-engine-02') - change('cpuUsage', 'risk-engine-01'))).toBeLessThan(5);
    // Its requests take longer, so its workers are busy longer.
    expect(change('workerBusy', 'risk-engine-02') - change('workerBusy', 'risk-engine-01')).toBeGreaterThan(4);
    expect(moved('neighbour')).toContain('service:risk-engine:avgLatency:up');
  });

  it('rolling-restart: each instance is replaced by one with a new id, in messages, logs and metrics', () => {
    const first = (i: string) => receivers.get(i)![0];
    const last = (i: string) => receivers.get(i)![1];
    // Six instances, one every 5 minutes; the replacements are fraud-detection-07..12.
    for (let k = 0; k < 6; k++) {
      const old = `fraud-detection-0${k + 1}`;
      const fresh = `fraud-detection-${String(k + 7).padStart(2, '0')}`;
      const turn = 20 + 5 * k;
      expect(last(old)).toBeLessThanOrEqual(turn);
      expect(first(fresh)).toBeGreaterThanOrEqual(turn);
      expect(lines.filter((l) => l.instance === fresh && l.message.includes('Started FraudDetectionApplication'))).toHaveLength(1);
      expect(lines.some((l) => l.instance === old && l.message.includes('Commencing graceful shutdown'))).toBe(true);
      expect(mean('cpuUsage', old, turn + 1, 60)).toBeNaN(); // no rows once replaced
      expect(mean('cpuUsage', fresh, 0, turn)).toBeNaN(); // none before it started
    }
    expect(result.truth.faults.find((f) => f.id === 'roll')!.rootCause).toEqual(['fraud-detection']);
  });

  it('batch-job: each run is its own fault, with its log lines and its CPU load', () => {
    const runs = result.truth.faults.filter((f) => f.type === 'batch-job');
    expect(runs.map((f) => [f.id, (f.start - t0) / 60_000, (f.end - t0) / 60_000])).toEqual([
      ['batch-run1', 20, 25],
      ['batch-run2', 35, 40],
    ]);
    const started = lines.filter((l) => l.instance === 'ledger-service-01' && l.message.includes('Settlement started'));
    expect(started.map((l) => l.minute)).toEqual([20, 35]);
    const during = (mean('cpuUsage', 'ledger-service-01', 21, 25) + mean('cpuUsage', 'ledger-service-01', 36, 40)) / 2;
    expect(during - mean('cpuUsage', 'ledger-service-01', 26, 34)).toBeGreaterThan(20);
  });

  it('drift: CPU and memory of the service grow through the window and fall back after it', () => {
    const cpu = (from: number) => mean('cpuUsage', 'customer-profile-01', from, from + 5);
    expect(cpu(44)).toBeGreaterThan(cpu(21) + 3);
    expect(cpu(52)).toBeLessThan(cpu(44));
    expect(mean('memoryUsedMb', 'customer-profile-01', 44, 49)).toBeGreaterThan(1.1 * mean('memoryUsedMb', 'customer-profile-01', 10, 19));
  });
});

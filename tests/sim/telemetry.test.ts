import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordBatchReader } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../sim/generate.js';
import { DEFAULT_METRIC_FAMILIES, LOG_COLUMNS, LOG_LEVELS, METRIC_COLUMNS, METRIC_NAMES, metricNamesOf, type LogBatch, type MetricFrame, type MetricName } from '../../sim/formats.js';
import { readMetricFrame, scanLogs, scanMessages } from '../../sim/read.js';

const root = mkdtempSync(join(tmpdir(), 'fl-tel-'));
/**
 * 40 minutes of the default bank with four faults on different instances from minute 20, so each
 * instance's metrics can be compared before and during its own fault.
 */
const scenario = join(root, 'four.yaml');
writeFileSync(
  scenario,
  [
    'extends: fault-base',
    'duration: 40m',
    'faults:',
    '  - { type: cpu-saturation, target: { service: card-auth-service, instance: 1 }, start: 20m, duration: 20m, severity: 0.8 }',
    '  - { type: memory-leak, target: { service: transfer-service, instance: 1 }, start: 20m, duration: 20m, severity: 0.9 }',
    '  - { type: database-slow, target: { database: ledger-db }, start: 20m, duration: 20m, severity: 0.6 }',
    '  - { type: packet-loss, target: { from: transfer-service, to: account-service }, start: 20m, duration: 20m, severity: 0.5 }',
  ].join('\n'),
);
const opts = { scenario, seed: 5, trafficScale: 1 };
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const dir = (name: string) => join(root, name);
const DEFAULT_METRIC_NAMES = metricNamesOf(DEFAULT_METRIC_FAMILIES, true);

let metrics: MetricFrame;
const logs: LogBatch[] = [];
beforeAll(async () => {
  await generate({ ...opts, out: dir('full') });
  metrics = await readMetricFrame(join(dir('full'), 'metrics.arrow'));
  await scanLogs(join(dir('full'), 'logs.arrow'), (b) => void logs.push(b));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Mean of a metric of one instance over [fromMin, toMin) minutes of the run. */
function mean(name: MetricName, instance: string, fromMin: number, toMin: number): number {
  const t0 = metrics.time[0]!;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < metrics.length; i++) {
    const minute = (metrics.time[i]! - t0) / 60_000;
    if (metrics.instance.values[metrics.instance.codes[i]!] !== instance || minute < fromMin || minute >= toMin) continue;
    sum += metrics.values[name][i]!;
    n++;
  }
  return sum / n;
}

function lines(filter: (b: LogBatch, i: number) => boolean): { level: string; instance: string; message: string; bizSeqNo: string; uniqueId: string }[] {
  const out = [];
  for (const b of logs) {
    for (let i = 0; i < b.length; i++) {
      if (!filter(b, i)) continue;
      out.push({
        level: b.level.values[b.level.codes[i]!]!,
        instance: b.instance.values[b.instance.codes[i]!]!,
        message: b.message[i]!,
        bizSeqNo: b.bizSeqNo[i]!,
        uniqueId: b.uniqueId[i]!,
      });
    }
  }
  return out;
}

describe('logs and metrics', () => {
  it('draw from streams of their own: messages, KPIs and truth are the same with them off, and they are deterministic', async () => {
    await generate({ ...opts, out: dir('bare'), logs: false, metrics: false });
    for (const f of ['messages.arrow', 'kpis.arrow', 'truth.json']) expect(sha(join(dir('bare'), f)), f).toBe(sha(join(dir('full'), f)));
    await generate({ ...opts, out: dir('again') });
    for (const f of ['logs.arrow', 'metrics.arrow']) expect(sha(join(dir('again'), f)), f).toBe(sha(join(dir('full'), f)));
  });

  it('writes logs.arrow and metrics.arrow with the contract columns', async () => {
    for (const [file, columns] of [
      ['logs.arrow', Object.values(LOG_COLUMNS)],
      ['metrics.arrow', [METRIC_COLUMNS.time, METRIC_COLUMNS.service, METRIC_COLUMNS.instance, ...DEFAULT_METRIC_NAMES]],
    ] as const) {
      const reader = await RecordBatchReader.from(readFileSync(join(dir('full'), file)));
      reader.open();
      expect(reader.schema.fields.map((f) => f.name)).toEqual(columns);
    }
    expect(metrics.names).toEqual(DEFAULT_METRIC_NAMES);
    expect(METRIC_NAMES.every((n) => metrics.values[n].length === metrics.length)).toBe(true);
  });

  it('ties request lines to the messages: every uniqueId a line carries is a call of its transaction', async () => {
    const uids = new Set<string>();
    await scanMessages(join(dir('full'), 'messages.arrow'), (b) => {
      for (let i = 0; i < b.length; i++) uids.add(b.uniqueId[i]!);
    });
    const request = lines((b, i) => b.bizSeqNo[i] !== '');
    expect(request.length).toBeGreaterThan(10_000);
    expect(request.filter((l) => !uids.has(l.uniqueId) || !l.uniqueId.startsWith(l.bizSeqNo))).toEqual([]);
    const all = lines(() => true);
    expect(new Set(all.map((l) => l.level))).toEqual(new Set(['INFO', 'WARN', 'ERROR']));
    expect(all.every((l) => (LOG_LEVELS as readonly string[]).includes(l.level))).toBe(true);
    // Background lines (scheduled tasks, benign warnings) carry no ids.
    expect(lines((b, i) => b.bizSeqNo[i] === '' && b.uniqueId[i] === '').length).toBeGreaterThan(50);
  });

  it('writes what the faults cause: timeouts and retries, downstream errors with stack frames, out of memory and a restart', () => {
    const warn = lines((b, i) => b.level.values[b.level.codes[i]!] === 'WARN');
    expect(warn.some((l) => /No reply from account-service within 2000 ms \[BZ\d+-\d{4}\]/.test(l.message) && l.instance.startsWith('transfer-service'))).toBe(true);
    expect(warn.some((l) => /Call to account-service failed with TIMEOUT, retrying/.test(l.message))).toBe(false); // transfer -> account has no retries
    expect(warn.some((l) => /Slow SQL on ledger-db/.test(l.message))).toBe(true);
    const errors = lines((b, i) => b.level.values[b.level.codes[i]!] === 'ERROR');
    const downstream = errors.filter((l) => /failed: call to account-service returned TIMEOUT/.test(l.message));
    expect(downstream.length).toBeGreaterThan(0);
    expect(downstream[0]!.message).toMatch(/\ncom\.bank\.bus\.RemoteCallException: TIMEOUT from account-service\n\tat /);
    expect(errors.some((l) => l.instance === 'transfer-service-01' && l.message.includes('java.lang.OutOfMemoryError: Java heap space'))).toBe(true);
    expect(lines((b, i) => b.instance.values[b.instance.codes[i]!] === 'transfer-service-01' && b.message[i]!.includes('Started TransferApplication')).length).toBe(1);
  });

  it('moves the metrics each fault acts on, on its instance', () => {
    const before = (n: MetricName, inst: string) => mean(n, inst, 5, 19);
    const during = (n: MetricName, inst: string) => mean(n, inst, 22, 34);
    // A runaway thread: the instance's own CPU use.
    expect(during('cpuUsage', 'card-auth-service-01') - before('cpuUsage', 'card-auth-service-01')).toBeGreaterThan(40);
    // A leak: heap and GC pauses.
    expect(during('memoryUsedMb', 'transfer-service-01')).toBeGreaterThan(1.3 * before('memoryUsedMb', 'transfer-service-01'));
    expect(during('gcPauseMs', 'transfer-service-01')).toBeGreaterThan(3 * before('gcPauseMs', 'transfer-service-01'));
    // A slow database: connections held, workers busy waiting on it; CPU barely moves.
    expect(during('dbPoolInUse', 'ledger-service-01')).toBeGreaterThan(1.5 * before('dbPoolInUse', 'ledger-service-01'));
    expect(during('workerBusy', 'ledger-service-01')).toBeGreaterThan(1.3 * before('workerBusy', 'ledger-service-01'));
    expect(Math.abs(during('cpuUsage', 'ledger-service-01') - before('cpuUsage', 'ledger-service-01'))).toBeLessThan(5);
    // An instance no fault touches stays where it was.
    for (const n of ['cpuUsage', 'memoryUsedMb', 'dbPoolInUse'] as const) {
      expect(during(n, 'account-service-04') / before(n, 'account-service-04'), n).toBeGreaterThan(0.8);
      expect(during(n, 'account-service-04') / before(n, 'account-service-04'), n).toBeLessThan(1.25);
    }
    // A service without a database has no connection pool.
    expect(Number.isNaN(mean('dbPoolInUse', 'card-auth-service-02', 0, 40))).toBe(true);
  });
});

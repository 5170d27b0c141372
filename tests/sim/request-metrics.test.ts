import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../sim/generate.js';
import { DEFAULT_METRIC_FAMILIES, METRIC_NAMES, metricNamesOf, type MetricFrame } from '../../sim/formats.js';
import { readMetricFrame } from '../../sim/read.js';
import { readMetrics } from '../../data/metric-csv.js';
import { quantileSorted } from '../../common/quantile.js';

const root = mkdtempSync(join(tmpdir(), 'fl-req-'));
const out = (name: string) => join(root, name);
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
/**
 * fault-base for 12 minutes with failures at a callee (a bad release), lost calls (timeouts at
 * callers) and slow calls (a delayed edge), so that some calls end in a later minute than they start.
 */
const body = [
  'extends: fault-base',
  'duration: 12m',
  'faults:',
  '  - { type: bad-release, target: { service: account-service }, start: 3m, duration: 5m, severity: 0.6 }',
  '  - { type: packet-loss, target: { from: transfer-service, to: account-service }, start: 3m, duration: 5m, severity: 0.6 }',
  '  - { type: network-delay, target: { from: api-gateway, to: transfer-service }, start: 2m, duration: 8m, severity: 1 }',
];
const base = { seed: 4, trafficScale: 3 };
function scenario(name: string, extra: string[]): string {
  const file = join(root, `${name}.yaml`);
  writeFileSync(file, [...body, ...extra].join('\n'));
  return file;
}
const QUANTILES = [
  ['P50', 0.5],
  ['P90', 0.9],
  ['P95', 0.95],
  ['P99', 0.99],
] as const;

/** Per `minute instance`: the durations (ms) of the server spans that ended in the minute, their failures, and the client spans' durations. */
function fromSpans(file: string, start: number): { cells: Map<string, { served: number[]; failed: number; made: number[] }>; crossing: number } {
  const text = readFileSync(file, 'utf8');
  expect(text.includes('"')).toBe(false); // plain fields: split on commas
  const [header, ...lines] = text.trimEnd().split('\n');
  const col = (n: string) => header!.split(',').indexOf(n);
  const [inst, s0, s1, status, kind] = ['instance', 'start_ns', 'end_ns', 'status', 'kind'].map(col) as [number, number, number, number, number];
  const out = new Map<string, { served: number[]; failed: number; made: number[] }>();
  const startNs = BigInt(start) * 1_000_000n;
  let crossing = 0;
  for (const line of lines) {
    const f = line.split(',');
    const end = BigInt(f[s1]!);
    const minute = Number((end - startNs) / 60_000_000_000n);
    if (Number((BigInt(f[s0]!) - startNs) / 60_000_000_000n) !== minute) crossing++;
    const key = `${minute} ${f[inst]}`;
    let cell = out.get(key);
    if (!cell) out.set(key, (cell = { served: [], failed: 0, made: [] }));
    const ms = Number(end - BigInt(f[s0]!)) / 1e6;
    if (f[kind] === 'server') {
      cell.served.push(ms);
      if (f[status] === 'error') cell.failed++;
    } else cell.made.push(ms);
  }
  return { cells: out, crossing };
}

describe('request metrics (metricFamilies: requests)', () => {
  let frame: MetricFrame;
  let start: number;
  beforeAll(async () => {
    const r = await generate({ scenario: scenario('requests', ['metricFamilies: [cpu, network, requests]']), ...base, out: out('requests'), export: { spans: 'csv' } });
    start = r.manifest.start;
    frame = await readMetricFrame(join(out('requests'), 'metrics.arrow'));
    await generate({ scenario: scenario('plain', []), ...base, out: out('plain'), export: { spans: 'csv' } });
    await generate({ scenario: scenario('listed', [`metricFamilies: [${DEFAULT_METRIC_FAMILIES.join(', ')}]`]), ...base, out: out('listed'), export: { spans: 'csv' } });
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes only the listed families, and equals a direct count and percentiles of the exported spans per instance and minute', () => {
    expect(frame.names).toEqual(metricNamesOf(['cpu', 'network', 'requests'], true));
    expect(frame.names).not.toContain('cpuSteal');
    expect(frame.values.cpuSteal.every((x) => Number.isNaN(x))).toBe(true);
    const { cells: spans, crossing } = fromSpans(join(out('requests'), 'spans.csv'), start);
    expect(crossing).toBeGreaterThanOrEqual(10); // calls are counted in the minute they end
    let served = 0;
    let failed = 0;
    let gaps = 0;
    let fewCalls = 0;
    for (let r = 0; r < frame.length; r++) {
      const minute = (frame.time[r]! - start) / 60_000;
      const name = frame.instance.values[frame.instance.codes[r]!]!;
      const cell = spans.get(`${minute} ${name}`) ?? { served: [], failed: 0, made: [] };
      const where = `${name} minute ${minute}`;
      expect(frame.values.requestCount[r], where).toBe(cell.served.length);
      expect(frame.values.errorCount[r], where).toBe(cell.failed);
      served += cell.served.length;
      failed += cell.failed;
      for (const [side, list] of [
        ['latency', cell.served.sort((a, b) => a - b)],
        ['clientLatency', cell.made.sort((a, b) => a - b)],
      ] as const) {
        for (const [label, q] of QUANTILES) {
          const got = frame.values[`${side}${label}Ms`][r]!;
          if (!list.length) {
            expect(got, `${where} ${side}${label}`).toBeNaN();
            gaps++;
          } else expect(Math.abs(got - quantileSorted(list, q)), `${where} ${side}${label}`).toBeLessThan(1e-4);
        }
      }
      if (cell.served.length > 0 && cell.served.length < 5) fewCalls++;
    }
    // The data exercises every branch: calls, failures, minutes without calls, few-call percentiles.
    expect(served).toBeGreaterThan(1000);
    expect(failed).toBeGreaterThan(10);
    expect(gaps).toBeGreaterThan(0);
    expect(fewCalls).toBeGreaterThan(0);
  });

  it('changes nothing else: the other files equal those of the same scenario without it, whose metrics equal the default families listed', () => {
    for (const f of ['messages.arrow', 'kpis.arrow', 'logs.arrow', 'spans.csv']) expect(sha(join(out('requests'), f)), f).toBe(sha(join(out('plain'), f)));
    for (const f of ['messages.arrow', 'kpis.arrow', 'logs.arrow', 'spans.csv', 'metrics.arrow']) expect(sha(join(out('listed'), f)), f).toBe(sha(join(out('plain'), f)));
    // truth.json names its scenario file: the rest is the same.
    const truth = (dir: string) => ({ ...JSON.parse(readFileSync(join(out(dir), 'truth.json'), 'utf8')), scenario: '' });
    expect(truth('requests')).toEqual(truth('plain'));
    expect(truth('listed')).toEqual(truth('plain'));
  });

  it('leaves the resource metrics it shares with the default as they are, and writes no error count where spans record no status', async () => {
    const plain = await readMetricFrame(join(out('plain'), 'metrics.arrow'));
    expect(plain.names).toEqual(metricNamesOf(DEFAULT_METRIC_FAMILIES, true));
    expect(Array.from(frame.values.cpuUsage)).toEqual(Array.from(plain.values.cpuUsage));
    expect(Array.from(frame.values.netBytesOut)).toEqual(Array.from(plain.values.netBytesOut));
    await generate({ scenario: scenario('nostatus', ['metricFamilies: [requests]', 'spanStatus: false']), ...base, out: out('nostatus') });
    const nostatus = await readMetricFrame(join(out('nostatus'), 'metrics.arrow'));
    expect(nostatus.names).toEqual(METRIC_NAMES.filter((n) => n !== 'errorCount' && metricNamesOf(['requests'], true).includes(n)));
    expect(Array.from(nostatus.values.requestCount)).toEqual(Array.from(frame.values.requestCount));
  });

  it('counts untraced calls (untracedCalls) on the made side only, changing nothing else', async () => {
    await generate({ scenario: scenario('untraced', ['metricFamilies: [cpu, network, requests]', 'untracedCalls: { perMinute: 2, medianMs: 30000 }']), ...base, out: out('untraced'), export: { spans: 'csv' } });
    for (const f of ['messages.arrow', 'kpis.arrow', 'logs.arrow', 'spans.csv']) expect(sha(join(out('untraced'), f)), f).toBe(sha(join(out('requests'), f)));
    const u = await readMetricFrame(join(out('untraced'), 'metrics.arrow'));
    expect(u.length).toBe(frame.length);
    for (const n of ['requestCount', 'errorCount', 'latencyP99Ms', 'cpuUsage', 'netBytesOut'] as const) expect(Array.from(u.values[n]), n).toEqual(Array.from(frame.values[n]));
    // A made call of 30 s moves the client percentile up, to at most 30 s, never down.
    let moved = 0;
    for (let r = 0; r < u.length; r++) {
      const before = frame.values.clientLatencyP99Ms[r]!;
      const now = u.values.clientLatencyP99Ms[r]!;
      if (now === before || (Number.isNaN(now) && Number.isNaN(before))) continue;
      moved++;
      expect(now).toBeLessThanOrEqual(30_000);
      if (!Number.isNaN(before)) expect(now).toBeGreaterThan(before);
    }
    expect(moved).toBeGreaterThan(frame.length / 4);
  }, 60_000);

  it('reads back as RCA metrics with the families it has and no column for the others', async () => {
    const table = await readMetrics(join(out('requests'), 'metrics.arrow'));
    expect(table.names).toEqual(frame.names);
    expect(table.length).toBe(frame.length);
    const k = table.names.indexOf('requestCount');
    expect(table.values[k]!.reduce((a, b) => a + b, 0)).toBe(frame.values.requestCount.reduce((a, b) => a + b, 0));
  });
});

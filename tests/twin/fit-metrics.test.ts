/**
 * `fit --metrics`: the metric families a system exports are recognised by name and become the
 * twin's `metricFamilies` (request metrics where it has request latency percentiles or counts; no
 * CPU where it has none), and fit-report.json sets the twin's request-metric noise beside the system's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { fitTwin } from '../../pipeline/fit.js';
import { fitReport, type FitReport } from '../../pipeline/fit-report.js';
import { cpuLimitOf, latencyUnitMs, metricNoise, recogniseMetrics } from '../../pipeline/fit-metrics.js';
import { metricTable } from '../rca/telemetry.js';
import { renderFitReport } from '../../reports/fit-html.js';
import { generate } from '../../sim/generate.js';
import { readMetricFrame } from '../../sim/read.js';
import { metricNamesOf } from '../../sim/formats.js';
import type { ScenarioFile } from '../../sim/scenario-schema.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-fit-metrics-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('metric families by name', () => {
  it('recognises each family in common exporters\' spellings, leaves node-level and settings out', () => {
    const r = recogniseMetrics([
      'container_cpu_usage_seconds_total',
      'CpuUsageRate(%)',
      'kube_pod_container_resource_limits_cpu',
      'node_cpu_seconds_total',
      'NodeMemoryUsageRate(%)',
      'cpu_steal_percent',
      'MemoryWorkingSetBytes',
      'jvm_gc_pause_seconds_sum',
      'tomcat_threads_busy',
      'hikaricp_connections_active',
      'NetworkReceiveBytes',
      'istio_request_duration_milliseconds_p99',
      'ClientLatencyP95(s)',
      'rt_quantile_0.9',
      'http_server_requests_seconds_count',
      'Workload(Ops)',
      'SuccessRate(%)',
      'latency_mean_ms',
      'SyscallRead',
    ]);
    expect(r.families).toEqual(['cpu', 'steal', 'memory', 'gc', 'workers', 'dbPool', 'network', 'requests']);
    expect(r.byFamily.cpu).toEqual(['container_cpu_usage_seconds_total', 'CpuUsageRate(%)']);
    expect(r.byFamily.memory).toEqual(['MemoryWorkingSetBytes']);
    expect(r.nodeLevel).toEqual(['node_cpu_seconds_total', 'NodeMemoryUsageRate(%)']);
    expect(r.unrecognised).toEqual(['kube_pod_container_resource_limits_cpu', 'latency_mean_ms', 'SyscallRead']);
    expect(r.requests.map((m) => [m.name, m.kind, m.side, m.quantile, m.twin])).toEqual([
      ['istio_request_duration_milliseconds_p99', 'latency', 'server', 0.99, 'latencyP99Ms'],
      ['ClientLatencyP95(s)', 'latency', 'client', 0.95, 'clientLatencyP95Ms'],
      ['rt_quantile_0.9', 'latency', 'server', 0.9, 'latencyP90Ms'],
      ['http_server_requests_seconds_count', 'volume', null, null, 'requestCount'],
      ['Workload(Ops)', 'volume', null, null, 'requestCount'],
      ['SuccessRate(%)', 'errors', null, null, 'errorCount'],
    ]);
  });

  it('recognises the simulator\'s own metrics as the families that wrote them', () => {
    expect(recogniseMetrics(['cpuUsage', 'cpuSteal', 'memoryUsedMb', 'gcPauseMs', 'workerBusy', 'workerQueue', 'dbPoolInUse', 'netBytesIn', 'netBytesOut']).families).toEqual([
      'cpu',
      'steal',
      'memory',
      'gc',
      'workers',
      'dbPool',
      'network',
    ]);
    const r = recogniseMetrics(['requestCount', 'errorCount', 'latencyP50Ms', 'clientLatencyP99Ms']);
    expect(r.families).toEqual(['requests']);
    expect(r.requests.map((m) => m.twin)).toEqual(['requestCount', 'errorCount', 'latencyP50Ms', 'clientLatencyP99Ms']);
  });

  it('measures minute-to-minute noise per instance: consecutive minutes only, spikes against the instance median, gaps', () => {
    const min = 60_000;
    // a: 1, 2, 4, 1000, 8 (ratios 2, 2, 250, 125); b: 5, NaN, 5 (no pair: the gap), then a minute missing, 5.
    const time = [0, 1, 2, 3, 4, 0, 1, 2, 4].map((m) => m * min);
    const inst = [0, 0, 0, 0, 0, 1, 1, 1, 1];
    const vals = [1, 2, 4, 1000, 8, 5, NaN, 5, 5];
    const n = metricNoise(time, inst, vals);
    expect(n.series).toBe(2);
    expect(n.pairs).toBe(4);
    expect(n.medianAbsLogRatio).toBeCloseTo((Math.log(2) + Math.log(125)) / 2, 3);
    expect(n.over10xMedian).toBeCloseTo(1 / 8, 4); // 1000 > 10 x 4 on a; none on b
    expect(n.gaps).toBeCloseTo(1 / 9, 4);
    expect(metricNoise(time, inst, vals, (t) => t < 2 * min).pairs).toBe(1);
    // An instance without the metric at all (another file's rows) has no gaps in it.
    expect(metricNoise([...time, 0, min], [...inst, 2, 2], [...vals, NaN, NaN]).gaps).toBeCloseTo(1 / 9, 4);
  });
});

describe('a CPU limit from the metrics', () => {
  // 40 minutes of two pods: a and b use 1-30 millicores of limits of 500 and 1000.
  const used = (k: number, i: number) => 1 + ((k * 7 + i * 3) % 30);
  const usage = (pod: number) => Array.from({ length: 40 }, (_, k) => used(k, pod));
  const series = (of: (pod: number, limit: number, u: number[]) => Record<string, number[]>) => ({ 'svc-a': of(0, 500, usage(0)), 'svc-b': of(1, 1000, usage(1)) });

  it('reads a fixed per-instance limit from usage over its percentage', () => {
    const m = metricTable(0, series((_, limit, u) => ({ 'CpuUsage(m)': u, 'CpuUsageRate(%)': u.map((x) => (100 * x) / limit), 'NodeCpuUsageRate(%)': u.map((_, k) => 20 + (k % 9)) })));
    // Rows at 0.5% or below are rounding noise and left out: b's 10 minutes of 1-5 millicores.
    expect(cpuLimitOf(m, 'CpuUsageRate(%)')).toEqual({ evidence: 'usage-ratio', metric: 'CpuUsage(m)', percentMetric: 'CpuUsageRate(%)', limit: 750, rows: 70 });
  });

  it("finds none where the percentage is of a node's cores, shared with other pods", () => {
    // The same usage against a node whose other load moves: the ratio is not fixed.
    const m = metricTable(0, series((pod, _, u) => ({ cpu_usage_cores: u.map((x) => x / 1000), cpu_percent: u.map((x, k) => (100 * x) / 1000 / (2 + ((k + pod) % 5) * 0.3)) })));
    expect(cpuLimitOf(m, 'cpu_percent')).toBeNull();
    expect(cpuLimitOf(m, null)).toBeNull();
  });

  it('takes a throttling metric as a limit', () => {
    const m = metricTable(0, series((_, __, u) => ({ cpu_percent: u, container_cpu_cfs_throttled_periods_total: u.map(() => 0) })));
    expect(cpuLimitOf(m, 'cpu_percent')).toEqual({ evidence: 'throttling-metric', metric: 'container_cpu_cfs_throttled_periods_total' });
  });
});

/** Two services on two and one instances, light traffic: a minute's percentiles come from a few calls. */
const SOURCE = {
  name: 'small',
  start: '2026-01-05T09:00:00Z',
  duration: '20m',
  legMs: 0.5,
  dcns: ['dcn-01'],
  subsystems: [
    {
      name: 'core',
      services: [
        { name: 'front', instances: 2, capacity: 40, serviceTimeMs: 4 },
        { name: 'ledger', instances: 1, capacity: 25, serviceTimeMs: 10 },
      ],
    },
  ],
  transactions: [{ name: 'pay', rate: 0.4, root: { call: 'front', operation: 'POST /pay', children: [{ call: 'ledger', operation: 'POST /entries' }] } }],
  traffic: { daily: Array(24).fill(1), weekly: Array(7).fill(1), noise: 0.1 },
} satisfies ScenarioFile;

describe('fit --metrics with request metrics and no CPU', () => {
  let twin: Awaited<ReturnType<typeof fitTwin>>;
  let report: FitReport;
  beforeAll(async () => {
    const file = path.join(tmp, 'small.yaml');
    fs.writeFileSync(file, stringify(SOURCE));
    const out = path.join(tmp, 'small');
    await generate({ scenario: file, seed: 2, out, export: { spans: 'csv' } });
    // The system's metrics: a latency percentile that spikes on one minute in three, a request
    // rate and memory; no CPU, and a node-level CPU the twin must not take for one.
    const instances = ['front-01', 'front-02', 'ledger-01'];
    const start = Date.parse(SOURCE.start);
    const rows = ['time,service,instance,req_latency_p99_seconds,requests_per_second,memory_rss_bytes,node_cpu_percent'];
    for (let m = 0; m < 20; m++) {
      for (const inst of instances) rows.push(`${start + m * 60_000},${inst.replace(/-\d+$/, '')},${inst},${m % 3 === 0 ? 30 : 0.02 * (1 + (m % 2))},${0.5 + (m % 4) / 10},${4e8 + m},${20 + m}`);
    }
    const metrics = path.join(tmp, 'metrics.csv');
    fs.writeFileSync(metrics, rows.join('\n') + '\n');
    twin = await fitTwin({ spans: [path.join(out, 'spans.csv')], metrics: [metrics], name: 'small-twin' });
    report = await fitReport(twin.spans, twin.scenario, twin.estimates, { seed: 1 });
  }, 120_000);

  it('writes the families the system has (request metrics, memory) and no CPU, and says so in the YAML', async () => {
    expect(twin.scenario.metricFamilies).toEqual(['memory', 'requests']);
    const e = twin.estimates.metrics!;
    expect(e.recognised).toEqual({ memory: ['memory_rss_bytes'], requests: ['req_latency_p99_seconds', 'requests_per_second'] });
    expect(e.nodeLevel).toEqual(['node_cpu_percent']);
    expect(twin.yaml).toMatch(/# metricFamilies: the families of metrics the system exports, recognised by name .*: memory \(memory_rss_bytes\); requests \(req_latency_p99_seconds, requests_per_second\)\./);
    expect(twin.yaml).toMatch(/so the twin's are too \(the `requests` family/);
    expect(twin.yaml).toMatch(/# Node-level, not written by the twin \(it has no nodes\): node_cpu_percent\./);
    expect(twin.yaml).toMatch(/^metricFamilies:\n {2}- memory\n {2}- requests$/m);
    // The twin generated from it hands methods no CPU metric.
    const yaml = path.join(tmp, 'twin.yaml');
    fs.writeFileSync(yaml, twin.yaml);
    await generate({ scenario: yaml, seed: 1, out: path.join(tmp, 'twin-data'), duration: '15m' });
    const frame = await readMetricFrame(path.join(tmp, 'twin-data', 'metrics.arrow'));
    expect(frame.names).toEqual(metricNamesOf(['memory', 'requests'], true));
    expect(frame.names).not.toContain('cpuUsage');
    expect(frame.values.cpuUsage.every((x) => Number.isNaN(x))).toBe(true);
  }, 60_000);

  it('measures the system\'s request-metric noise over the minutes of the spans and the twin\'s beside it in fit-report.json', () => {
    const p99 = twin.estimates.metrics!.requestMetrics.find((r) => r.name === 'req_latency_p99_seconds')!;
    expect(p99.twin).toBe('latencyP99Ms');
    // Minutes 0-19 of the spans: 30 s on every third minute against 0.02-0.04 s.
    expect(p99.real.pairs).toBeGreaterThanOrEqual(3 * 15);
    expect(p99.real.over10xMedian).toBeGreaterThan(0.25);
    expect(p99.real.medianAbsLogRatio).toBeGreaterThan(Math.log(10));
    const noise = report.metricNoise!;
    expect(noise.map((n) => [n.metric, n.twinMetric])).toEqual([
      ['req_latency_p99_seconds', 'latencyP99Ms'],
      ['requests_per_second', 'requestCount'],
    ]);
    for (const n of noise) {
      expect(n.twin!.pairs, n.metric).toBeGreaterThan(20);
      expect(n.twin!.medianAbsLogRatio, n.metric).toBeGreaterThan(0);
    }
    // fit-report.html shows the same figures, the system's names escaped.
    const page = renderFitReport({ ...report, metricNoise: [{ ...noise[0]!, metric: '<p99>' }, noise[1]!] }, 'twin.yaml');
    const row = page.match(/<tr><td>&lt;p99&gt;<\/td><td>[^<]+<\/td><td>latencyP99Ms<\/td><td>([\d.]+)<\/td><td>([\d.]+)<\/td><td>([\d.]+)%<\/td>/);
    expect(row, page).not.toBeNull();
    expect(Number(row![1])).toBeCloseTo(noise[0]!.real.medianAbsLogRatio!, 2);
    expect(Number(row![2])).toBeCloseTo(noise[0]!.twin!.medianAbsLogRatio!, 2);
    expect(Number(row![3])).toBeCloseTo(noise[0]!.real.over10xMedian! * 100, 1);
    expect(page).toContain('<td>requests_per_second</td>');
  });

  it('reads calls no trace shows from a client percentile that spikes, and the twin makes them', async () => {
    // Client P99: 30-30.6 s on one instance-minute in five, else 20-40 ms.
    const instances = ['front-01', 'front-02', 'ledger-01'];
    const start = Date.parse(SOURCE.start);
    const rows = ['time,service,instance,client_latency_p99_seconds'];
    for (let m = 0; m < 20; m++) {
      instances.forEach((inst, k) => rows.push(`${start + m * 60_000},${inst.replace(/-\d+$/, '')},${inst},${(m + k) % 5 === 0 ? 30 * (1 + 0.01 * (m % 3)) : 0.02 * (1 + (m % 2))}`));
    }
    const metrics = path.join(tmp, 'client-metrics.csv');
    fs.writeFileSync(metrics, rows.join('\n') + '\n');
    const fitted = await fitTwin({ spans: [path.join(tmp, 'small', 'spans.csv')], metrics: [metrics], name: 'untraced' });
    const u = fitted.estimates.metrics!.untracedCalls!;
    expect(u).toMatchObject({ metric: 'client_latency_p99_seconds', unitMs: 1000, spikes: 12, instanceMinutes: 60 });
    expect(u.perMinute).toBeCloseTo(-Math.log(1 - 12 / 60), 3);
    expect(u.medianMs).toBeGreaterThanOrEqual(30_000);
    expect(u.medianMs).toBeLessThanOrEqual(30_600);
    expect(u.sigma).toBeLessThan(0.02);
    expect(fitted.scenario.untracedCalls).toEqual({ perMinute: u.perMinute, medianMs: u.medianMs, sigma: u.sigma });
    expect(fitted.yaml).toMatch(/# untracedCalls: calls no trace shows, which the system's exporter counts: 12 of 60 instance-minutes of client_latency_p99_seconds .* over 3 times the longest traced call/);
    // The twin's client percentile spikes as the system's does; without spikes nothing is read.
    const yaml = path.join(tmp, 'untraced.yaml');
    fs.writeFileSync(yaml, fitted.yaml);
    await generate({ scenario: yaml, seed: 1, out: path.join(tmp, 'untraced-data'), duration: '20m' });
    const frame = await readMetricFrame(path.join(tmp, 'untraced-data', 'metrics.arrow'));
    const p99 = Array.from(frame.values.clientLatencyP99Ms).filter((x) => x > 0);
    const spikes = p99.filter((x) => x > 10_000).length / p99.length;
    expect(spikes).toBeGreaterThan(0.05);
    expect(spikes).toBeLessThan(0.4);
    fs.writeFileSync(metrics, rows.map((r, i) => (i === 0 ? r : r.replace(/,[^,]+$/, ',0.03'))).join('\n') + '\n');
    expect((await fitTwin({ spans: [path.join(tmp, 'small', 'spans.csv')], metrics: [metrics], name: 'flat' })).scenario.untracedCalls).toBeUndefined();
    // Spikes a percentile of the traced calls could reach (within 3 times the longest one) are not untraced calls.
    const longest = u.longestTracedMs / 1000;
    expect(longest).toBeGreaterThan(0);
    const near = rows.map((r, i) => (i === 0 ? r : r.replace(/,[^,]+$/, (x) => `,${Number(x.slice(1)) > 1 ? 2.5 * longest : longest / 50}`)));
    fs.writeFileSync(metrics, near.join('\n') + '\n');
    expect((await fitTwin({ spans: [path.join(tmp, 'small', 'spans.csv')], metrics: [metrics], name: 'near' })).scenario.untracedCalls).toBeUndefined();
    fs.writeFileSync(metrics, near.map((r, i) => (i === 0 ? r : r.replace(/,[^,]+$/, (x) => (Number(x.slice(1)) > longest / 10 ? `,${4 * longest}` : x)))).join('\n') + '\n');
    expect((await fitTwin({ spans: [path.join(tmp, 'small', 'spans.csv')], metrics: [metrics], name: 'beyond' })).estimates.metrics!.untracedCalls!.spikes).toBe(12);
  }, 60_000);

  it('takes a latency unit from the name, else from the traced calls\' durations', () => {
    expect(latencyUnitMs('PodClientLatencyP99(s)', 0.05, 50)).toBe(1000);
    expect(latencyUnitMs('client_duration_p99_ms', 0.05, 50)).toBe(1);
    expect(latencyUnitMs('rt_p99_us', 50_000, 50)).toBe(1e-3);
    expect(latencyUnitMs('client_rt_p99', 0.05, 50)).toBe(1000);
    expect(latencyUnitMs('client_rt_p99', 48, 50)).toBe(1);
    expect(latencyUnitMs('client_rt_p99', 5e7, 50)).toBe(1e-6);
  });

  it('without metrics, leaves the families unset (the simulator\'s resource metrics)', async () => {
    const plain = await fitTwin({ spans: [path.join(tmp, 'small', 'spans.csv')], name: 'plain' });
    expect(plain.scenario.metricFamilies).toBeUndefined();
    expect(plain.yaml).toMatch(/No metrics given: the twin writes the simulator's resource metrics \(metricFamilies unset\)/);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BadRows } from '../../common/bad-rows.js';
import { readMetrics } from '../../data/metric-csv.js';
import { metricLayout, timeOfCell } from '../../data/telemetry-layouts.js';
import type { MetricTable } from '../../data/types.js';

const POD = '^(.*?)-[0-9a-f]{8,10}-[0-9a-z]{5}$';
const dir = () => mkdtempSync(join(tmpdir(), 'metrics-'));
const value = (t: MetricTable, name: string, row: number) => t.values[t.names.indexOf(name)][row];

describe('metric CSV', () => {
  it('reads the Nezha per-pod files and the front end file as they are, one table, rows by instance then time', async () => {
    const d = dir();
    const pod = (name: string, rows: string[]) =>
      writeFileSync(
        join(d, `${name}_metric.csv.gz`),
        gzipSync(['Time,TimeStamp,PodName,CpuUsageRate(%),MemoryUsage(Mi)', ...rows].join('\n')),
      );
    pod('ts-food-service-f5756978c-k8vqf', [
      '2023-01-29 08:42:09.308573704 +0000 UTC m=+60.384735564,1674981729,ts-food-service-f5756978c-k8vqf,1.5,400',
      '2023-01-29 08:41:09.712997733 +0000 UTC m=+0.789159594,1674981669,ts-food-service-f5756978c-k8vqf,1.25,',
    ]);
    pod('ts-basic-service-5dc8d4f9fd-46997', ['2023-01-29 08:41:09 +0000 UTC m=+0.1,1674981669,ts-basic-service-5dc8d4f9fd-46997,0.9,407.4']);
    writeFileSync(join(d, 'front_service.csv'), 'Time,TimeStamp,ServiceName,SuccessRate(%),LatencyP50(s)\n2023-01-29 08:41:09 +0000 UTC m=+0.1,1674981669,Frontend,100,0.09\n');
    const t = await readMetrics(d, { serviceFromInstance: POD });
    // Metrics in the order files (in name order) first show them.
    expect(t.names).toEqual(['SuccessRate(%)', 'LatencyP50(s)', 'CpuUsageRate(%)', 'MemoryUsage(Mi)']);
    expect(Array.from(t.instance, (i) => t.strings[i])).toEqual([
      'Frontend',
      'ts-basic-service-5dc8d4f9fd-46997',
      'ts-food-service-f5756978c-k8vqf',
      'ts-food-service-f5756978c-k8vqf',
    ]);
    expect(Array.from(t.time)).toEqual([1674981669000, 1674981669000, 1674981669000, 1674981729000]);
    expect(t.strings[t.service[2]]).toBe('ts-food-service');
    expect(value(t, 'CpuUsageRate(%)', 2)).toBe(1.25);
    expect(value(t, 'MemoryUsage(Mi)', 2)).toBeNaN(); // empty cell
    expect(value(t, 'SuccessRate(%)', 1)).toBeNaN(); // a column the file does not have
    expect(value(t, 'LatencyP50(s)', 0)).toBe(0.09);
  });

  it('reads our own layout, and other layouts through --metric-columns (metrics=a|b picks the metric columns)', async () => {
    const ours = join(dir(), 'm.csv');
    writeFileSync(ours, 'time,service,instance,cpu,heap_mb\n2024-01-01T00:00:00Z,account,account-1,0.5,200\n');
    const t = await readMetrics(ours);
    expect(t.names).toEqual(['cpu', 'heap_mb']);
    const theirs = join(dir(), 'p.csv');
    writeFileSync(theirs, 'ts,pod,zone,cpu\n1704067200,web-7f9c8d6b5d-x2x9z,eu-1,0.7\n');
    const m = await readMetrics(theirs, { columns: { time: 'ts', instance: 'pod', metrics: 'cpu' }, serviceFromInstance: POD });
    expect(m.names).toEqual(['cpu']);
    expect([m.time[0], m.strings[m.service[0]]]).toEqual([Date.UTC(2024, 0, 1), 'web']);
    expect(() => metricLayout(['ts', 'pod', 'cpu'], 'p.csv', { time: 'ts', pod: 'pod' })).toThrow(/--metric-columns: unknown column "pod"/);
    expect(() => metricLayout(['time', 'instance'], 'p.csv')).toThrow(/no metric columns/);
    expect(() => metricLayout(['time', 'cpu'], 'p.csv')).toThrow(/p\.csv:line 1: needs a "service" or "instance" column: .*; the header has time, cpu \(map yours with --metric-columns instance=<name>\)$/);
  });

  it("says which column a header lacks when it nearly has Nezha's layout (a renamed PodName), not that it lacks time", () => {
    const h = ['Time', 'TimeStamp', 'Pod', 'CpuUsage(m)', 'MemoryUsage(Mi)'];
    expect(() => metricLayout(h, 'x.csv')).toThrow(
      `x.csv:line 1: no column "PodName" (Nezha's per-pod metric layout: Time, TimeStamp, PodName) or "ServiceName" (Nezha's front-end metric layout: Time, TimeStamp, ServiceName); if the file is in another layout, map its columns with --metric-columns`,
    );
  });

  it('names file, line and column of a value that is not a number; keeps only rows inside the keep windows', async () => {
    const f = join(dir(), 'bad.csv');
    writeFileSync(f, 'time,instance,cpu\n60000,a,1\n120000,a,high\n180000,a,3\n');
    await expect(readMetrics(f)).rejects.toThrow(`${f}:line 3: cpu: not a number: "high"`);
    const skip = new BadRows('skip');
    const stats = { rows: 0, kept: 0, dropped: 0, files: 0 };
    const t = await readMetrics(f, { badRows: skip, keep: [{ start: 100_000_000, end: 200_000_000 }] }, stats);
    expect(Array.from(t.values[0])).toEqual([3]);
    expect(stats).toEqual({ rows: 3, kept: 1, dropped: 1, files: 1 });
  });

  it('reads times as ISO 8601 or numbers in seconds, ms, µs or ns by magnitude', () => {
    const ms = Date.UTC(2023, 0, 29, 8, 41, 9);
    expect([timeOfCell('1674981669', 'magnitude'), timeOfCell('1674981669000', 'magnitude'), timeOfCell('1674981669000000', 'magnitude'), timeOfCell('1674981669000000000', 'magnitude')]).toEqual([ms, ms, ms, ms]);
    expect(timeOfCell('2023-01-29 08:41:09', 'magnitude')).toBe(ms);
    expect(timeOfCell('2023-01-29 08:41:09.7 +0000 UTC m=+0.7', 'magnitude')).toBeNaN();
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMetrics, type MetricReadStats } from '../../data/metric-csv.js';
import { metricLayout } from '../../data/telemetry-layouts.js';
import type { MetricTable } from '../../data/types.js';

const dir = mkdtempSync(join(tmpdir(), 'metric-wide-'));
let n = 0;
function file(text: string): string {
  const f = join(dir, `m${n++}.csv`);
  writeFileSync(f, text);
  return f;
}

function plain(t: MetricTable) {
  return {
    length: t.length,
    time: Array.from(t.time),
    service: Array.from(t.service, (c) => t.strings[c]),
    instance: Array.from(t.instance, (c) => t.strings[c]),
    names: t.names,
    values: t.values.map((v) => Array.from(v)),
  };
}

// RCAEval's layout: a time column, then one column per (service, metric); names hold `-` and `_`.
const WIDE = [
  'time,frontend_cpu,frontend_latency-50,ts-auth-service_cpu,ts-auth-service_mem_rss,ts-auth-service_latency-50,comment',
  '1706000000,0.5,12.5,1.25,300,40,x',
  '1706000060,0.75,,2,310,41,',
  '1706000120,1,13,,320,42,y',
].join('\n');
const LONG = [
  'time,instance,cpu,latency-50,mem_rss',
  '1706000000,frontend,0.5,12.5,',
  '1706000060,frontend,0.75,,',
  '1706000120,frontend,1,13,',
  '1706000000,ts-auth-service,1.25,40,300',
  '1706000060,ts-auth-service,2,41,310',
  '1706000120,ts-auth-service,,42,320',
].join('\n');
const SPLIT = '^(.+?)_(.+)$';

describe('wide metric CSV (--metric-columns instance_metric)', () => {
  it('reads one column per (instance, metric) to the table the long layout gives, listing the columns it does not match', async () => {
    const stats: MetricReadStats = { rows: 0, kept: 0, dropped: 0, files: 0 };
    const wide = file(WIDE);
    const t = await readMetrics(wide, { columns: { time: 'time', instance_metric: SPLIT } }, stats);
    const long = await readMetrics(file(LONG));
    expect(plain(t)).toEqual(plain(long));
    expect(t.names).toEqual(['cpu', 'latency-50', 'mem_rss']);
    expect(t.length).toBe(6);
    expect(stats).toEqual({ rows: 3, kept: 3, dropped: 0, files: 1, ignored: [{ file: wide, columns: ['comment'] }] });
  });

  it('takes services from the instances with --service-from-instance, and picks metrics with metrics=a|b', async () => {
    const pods = file('ts,web-7f9c8d6b5d-x2x9z_cpu,web-7f9c8d6b5d-x2x9z_mem,db-5b67c48447-mv5hb_cpu\n1706000000,1,2,3\n');
    const t = await readMetrics(pods, { columns: { time: 'ts', instance_metric: SPLIT, metrics: 'cpu' }, serviceFromInstance: '^(.*?)-[0-9a-f]{8,10}-[0-9a-z]{5}$' });
    expect(t.names).toEqual(['cpu']);
    expect(Array.from(t.service, (c) => t.strings[c])).toEqual(['db', 'web']);
    expect(Array.from(t.values[0])).toEqual([3, 1]);
    await expect(readMetrics(pods, { columns: { time: 'ts', instance_metric: SPLIT }, serviceFromInstance: '^(db)-' })).rejects.toThrow(
      /m\d+\.csv:line 1: column "web-7f9c8d6b5d-x2x9z_cpu": instance "web-7f9c8d6b5d-x2x9z" does not match --service-from-instance/,
    );
  });

  it('keeps only rows inside the keep windows and names file, line and column of a bad cell', async () => {
    const f = file('time,a_cpu,b_cpu\n1706000000,1,2\n1706000060,3,high\n1706000120,5,6\n');
    await expect(readMetrics(f, { columns: { instance_metric: SPLIT } })).rejects.toThrow(`${f}:line 3: b_cpu: not a number: "high"`);
    const t = await readMetrics(f, { columns: { instance_metric: SPLIT }, keep: [{ start: 1706000100000, end: 1706000200000 }] });
    expect(plain(t)).toMatchObject({ time: [1706000120000, 1706000120000], instance: ['a', 'b'], values: [[5, 6]] });
  });

  it('refuses a mapping or header it cannot read unambiguously, naming file, line 1 and the flag', () => {
    const flag = { instance_metric: SPLIT };
    expect(() => metricLayout(['time', 'a_cpu'], 'w.csv', { ...flag, instance: 'pod' })).toThrow(/w\.csv:line 1: --metric-columns instance_metric=.* takes the instance from each column's name: drop instance=pod/);
    expect(() => metricLayout(['time', 'a_cpu'], 'w.csv', { instance_metric: '^(.+)_.+$' })).toThrow(/needs two capture groups/);
    expect(() => metricLayout(['time', 'a_cpu'], 'w.csv', { instance_metric: '^(.+' })).toThrow(/--metric-columns instance_metric=\^\(\.\+: Invalid regular expression/);
    expect(() => metricLayout(['ts', 'a_cpu'], 'w.csv', flag)).toThrow(/w\.csv:line 1: no column "time" \(for time; map it with --metric-columns time=<name>\)/);
    expect(() => metricLayout(['time', 'cpu', 'mem'], 'w.csv', flag)).toThrow(/w\.csv:line 1: no column besides "time" matches --metric-columns instance_metric/);
    expect(() => metricLayout(['time', 'a_cpu', 'a_avg_cpu'], 'w.csv', { instance_metric: '^(.+?)_(?:avg_)?(.+)$' })).toThrow(
      /columns "a_cpu" and "a_avg_cpu" both name instance "a", metric "cpu"/,
    );
    expect(() => metricLayout(['time', 'a_cpu'], 'w.csv', { ...flag, metrics: 'cpu|disk' })).toThrow(/no column holds metric "disk"/);
    expect(() => metricLayout(['time', 'a_cpu', 'a_cpu'], 'w.csv', flag)).toThrow(/column "a_cpu" appears twice/);
  });
});

/**
 * `faultline rca` and `replay` with metrics (and logs) but no spans, as RCAEval's RE1 gives them:
 * one wide metrics CSV (`time` in unix seconds, a column `<instance>_<metric>`), built here from the
 * simulator's long `metrics.csv` (`generate --export metrics-csv`). Only the methods that can run
 * without spans run; span-only methods are refused by name. Needs dist/ (`npm test` builds).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingInputs } from '../../common/plugin.js';
import { UsageError } from '../../common/errors.js';
import { rca } from '../../pipeline/rca.js';
import { listRcaAlgorithms } from '../../rca/registry.js';
import { generate } from '../../sim/generate.js';
import { referenceScale } from '../../rca/signals/metric-change.js';
import { cli, ROOT } from './run-cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-metrics-only-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const data = path.join(tmp, 'data');
const wide = path.join(tmp, 'wide.csv');
const WIDE = ['--metric-columns', 'instance_metric=^(.+?)_(.+)$', '--service-from-instance', '^(.+)-[0-9]+$'];

/** The long `time,service,instance,<metric>...` file as one row per minute and a column per (instance, metric). */
function widen(long: string): string {
  const [head, ...lines] = long.trim().split('\n');
  const cols = head!.split(',');
  const metrics = cols.slice(3);
  const rows = new Map<string, Map<string, string[]>>();
  const instances: string[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    const [time, , instance] = cells as [string, string, string];
    if (!instances.includes(instance)) instances.push(instance);
    if (!rows.has(time)) rows.set(time, new Map());
    rows.get(time)!.set(instance, cells.slice(3));
  }
  const out = [['time', ...instances.flatMap((i) => metrics.map((m) => `${i}_${m}`))].join(',')];
  for (const [time, byInstance] of rows) {
    out.push([String(Number(time) / 1000), ...instances.flatMap((i) => byInstance.get(i) ?? metrics.map(() => ''))].join(','));
  }
  return out.join('\n') + '\n';
}

beforeAll(async () => {
  // The fault base with a CPU-starved instance, then (past the first's window) an exception that
  // fx-service logs and swallows: it moves no resource metric, only error lines.
  const scenario = path.join(tmp, 'scenario.yaml');
  writeFileSync(
    scenario,
    [
      `extends: ${path.join(ROOT, 'scenarios/fault-base.yaml')}`,
      'description: metrics-only rca test',
      'duration: 1h45m',
      'faults:',
      '  - { type: cpu-saturation, target: { service: risk-engine, instance: 1 }, start: 1h, duration: 15m, severity: 0.9 }',
      '  - { type: code-exception, target: { service: fx-service }, start: 1h30m, duration: 10m, severity: 0.6 }',
    ].join('\n') + '\n',
  );
  await generate({ scenario, seed: 5, out: data, logs: true, metrics: true, export: { metricsCsv: true, logsCsv: true } });
  writeFileSync(wide, widen(readFileSync(path.join(data, 'metrics.csv'), 'utf8')));
}, 60_000);

interface Ranked {
  name: string;
  incidents: { id: string; rank: number; candidates: { service: string; instance?: string; explanation: string }[] }[];
}
const ranking = (out: string): Ranked[] => JSON.parse(readFileSync(path.join(out, 'ranking.json'), 'utf8')).algorithms;

describe('rca on metrics without spans', () => {
  it('--rca all runs only the methods that can, and baro puts the CPU-starved instance first', () => {
    const out = path.join(tmp, 'metrics');
    const r = cli(['rca', '--metrics', wide, ...WIDE, '--incidents', path.join(data, 'truth.json'), '--rca', 'all', '--out', out]);
    expect(r.stderr).not.toMatch(/error|warning/i);
    expect(r.status).toBe(0);
    // Windows without spans are no problem where no spans are read: nothing is noted.
    expect(JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')).notes).toEqual([]);
    const algorithms = ranking(out);
    // Every built-in that can rank without spans or KPIs, and no other.
    const runnable = listRcaAlgorithms().filter((p) => missingInputs(p, new Set(['metrics'])) === undefined).map((p) => p.name);
    expect(runnable.sort()).toEqual(['baro', 'simple-rules']);
    expect(algorithms.map((a) => a.name).sort()).toEqual(runnable);
    const cpu = algorithms.find((a) => a.name === 'baro')!.incidents.find((i) => i.id.includes('cpu-saturation'))!;
    expect(cpu.rank).toBe(1);
    expect(cpu.candidates[0]).toMatchObject({ service: 'risk-engine', instance: 'risk-engine-01' });
    expect(cpu.candidates[0]!.explanation).toMatch(/^metric \S+ (up|down): [\d.]+ robust scales/);
    // The candidates are the services the metrics name, each by its most deviant instance.
    const services = new Set(readFileSync(path.join(data, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[1]));
    expect(new Set(cpu.candidates.map((c) => c.service))).toEqual(services);
    // No spans, no logs: the explanation speaks of the metrics only.
    const rules = algorithms.find((a) => a.name === 'simple-rules')!.incidents[0]!.candidates[0]!;
    expect(rules.explanation).toMatch(/^\d+ of \d+ metrics beyond 3 sigma$/);
  });

  it('replay takes the same inputs', () => {
    const out = path.join(tmp, 'replay');
    const r = cli(['replay', '--metrics', wide, ...WIDE, '--incidents', path.join(data, 'truth.json'), '--rca', 'all', '--out', out]);
    expect(r.status).toBe(0);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(results.items[0].rca.map((x: { name: string }) => x.name).sort()).toEqual(['baro', 'simple-rules']);
  });

  it('refuses a span-only method named without spans, and a run with nothing to read', () => {
    const r = cli(['rca', '--metrics', wide, ...WIDE, '--incidents', path.join(data, 'truth.json'), '--rca', 'baro,ochiai', '--out', path.join(tmp, 'refused')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ochiai needs spans, which the data given does not have (it has metrics)');
    const none = cli(['rca', '--incidents', path.join(data, 'truth.json'), '--rca', 'all', '--out', path.join(tmp, 'none')]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('give --in <data set>, --spans, --messages, --metrics or --logs');
    const noReplay = cli(['replay', '--incidents', path.join(data, 'truth.json'), '--out', path.join(tmp, 'none-replay')]);
    expect(noReplay.status).toBe(2);
    expect(noReplay.stderr).toContain('give --in <folder>, --spans, --messages, --series, --metrics or --logs');
  });

  it('refuses through the API too, as a usage error', async () => {
    await expect(rca({ metrics: [path.join(data, 'metrics.csv')], incidents: path.join(data, 'truth.json'), rca: ['count'], out: path.join(tmp, 'api') })).rejects.toThrow(UsageError);
    await expect(rca({ metrics: [path.join(data, 'metrics.csv')], incidents: path.join(data, 'truth.json'), rca: ['count'], out: path.join(tmp, 'api') })).rejects.toThrow(
      /count needs spans, which the data given does not have \(it has metrics\)/,
    );
  });
});

describe('rca on metrics and logs without spans', () => {
  it('reads the logs, and the swallowed exception is placed from its error lines only when they are given', () => {
    const incidents = ['--incidents', path.join(data, 'truth.json')];
    const withLogs = path.join(tmp, 'metrics-logs');
    const without = path.join(tmp, 'metrics-again');
    expect(cli(['rca', '--metrics', wide, ...WIDE, '--logs', path.join(data, 'logs.csv'), ...incidents, '--rca', 'all', '--out', withLogs]).status).toBe(0);
    expect(cli(['rca', '--metrics', wide, ...WIDE, ...incidents, '--rca', 'simple-rules', '--out', without]).status).toBe(0);
    const metrics = JSON.parse(readFileSync(path.join(withLogs, 'metrics.json'), 'utf8'));
    expect(metrics.source.logs).toEqual([path.join(data, 'logs.csv')]);
    expect(metrics.spans).toBe(0);
    const exception = (out: string) => ranking(out).find((a) => a.name === 'simple-rules')!.incidents.find((i) => i.id.includes('code-exception'))!;
    expect(exception(withLogs).candidates[0]).toMatchObject({ service: 'fx-service' });
    expect(exception(withLogs).candidates[0]!.explanation).toMatch(/metrics beyond 3 sigma; [1-9]\d* error log lines above the reference rate$/);
    expect(exception(without).rank).not.toBe(1);
    // baro still places the CPU fault with the logs beside the metrics.
    const baro = ranking(withLogs).find((a) => a.name === 'baro')!;
    expect(baro.incidents.find((i) => i.id.includes('cpu-saturation'))!.rank).toBe(1);
  });

  it('logs alone are enough for the methods that read them', () => {
    const out = path.join(tmp, 'logs');
    const r = cli(['rca', '--logs', path.join(data, 'logs.csv'), '--incidents', path.join(data, 'truth.json'), '--rca', 'all', '--out', out]);
    expect(r.status).toBe(0);
    expect(ranking(out).map((a) => a.name).sort()).toEqual(['baro', 'simple-rules']);
  });
});

describe('plugins on metrics without spans', () => {
  const EXAMPLES = path.join(ROOT, 'rca/examples');
  const source = () => ({ metrics: [path.join(data, 'metrics.csv')], logs: [path.join(data, 'logs.csv')], incidents: path.join(data, 'truth.json') });

  it('hands the example plugins an empty span table, which they rank without failing', async () => {
    const res = await rca({ ...source(), rca: [`cmd:python3 ${path.join(EXAMPLES, 'rca_plugin.py')}`, path.join(EXAMPLES, 'slowest-service.mjs')], out: path.join(tmp, 'plugins') });
    expect(res.spans).toBe(0);
    expect(res.results).toHaveLength(2);
    for (const r of res.results) {
      expect(r.error).toBeUndefined();
      for (const x of r.rankings) expect(x.failure).toBeUndefined();
    }
  });

  it("honours a module plugin's needsAny, and refuses one that names no input kind", async () => {
    const needsSpans = path.join(tmp, 'needs-spans.mjs');
    writeFileSync(needsSpans, "export default { name: 'x', description: 'x', needs: [], needsAny: ['spans', 'kpis'], create: () => ({ rank: () => [] }) };\n");
    await expect(rca({ ...source(), rca: [needsSpans], out: path.join(tmp, 'needs-spans') })).rejects.toThrow(/x needs spans or kpis, which the data given does not have \(it has metrics, logs\)/);
    const bad = path.join(tmp, 'bad-needs.mjs');
    writeFileSync(bad, "export default { name: 'y', description: 'y', needsAny: ['traces'], create: () => ({ rank: () => [] }) };\n");
    await expect(rca({ ...source(), rca: [bad], out: path.join(tmp, 'bad-needs') })).rejects.toThrow(/needsAny must list some of kpis, spans, metrics, logs/);
    const badNeeds = path.join(tmp, 'bad-needs-list.mjs');
    writeFileSync(badNeeds, "export default { name: 'z', description: 'z', needs: 'spans', create: () => ({ rank: () => [] }) };\n");
    await expect(rca({ ...source(), rca: [badNeeds], out: path.join(tmp, 'bad-needs-list') })).rejects.toThrow(/needs must list some of kpis, spans, metrics, logs/);
  });
});

describe('what a method needs', () => {
  it('needs every input of `needs` and one of `needsAny`', () => {
    const p = { needs: ['kpis'] as const, needsAny: ['spans', 'metrics'] as const };
    expect(missingInputs(p, new Set(['kpis', 'metrics']))).toBeUndefined();
    expect(missingInputs(p, new Set(['metrics']))).toBe('kpis');
    expect(missingInputs(p, new Set(['kpis', 'logs']))).toBe('spans or metrics');
    expect(missingInputs(p, new Set())).toBe('kpis, and spans or metrics');
    expect(missingInputs({ needs: [] }, new Set())).toBeUndefined();
  });

  it("scales as RCAEval's RobustScaler under iqr: the inter-quartile range, 1 where it is 0, constant series left out", () => {
    const sorted = Float64Array.from([1, 2, 3, 4, 5]);
    expect(referenceScale('iqr', sorted, 3, 100)).toBe(2);
    expect(referenceScale('iqr', Float64Array.from([0, 0, 0, 0, 7]), 0, 0)).toBe(1);
    expect(referenceScale('iqr', Float64Array.from([4, 4, 4]), 4, 4)).toBeUndefined();
    // The floored rule keeps a floor of 5% of the typical magnitude.
    expect(referenceScale('floored', Float64Array.from([4, 4, 4]), 4, 100)).toBe(5);
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../sim/generate.js';
import { rca } from '../../pipeline/rca.js';

/** A short scenario on the fault-base bank in a fresh folder: its folder and file. */
function shortScenario(name: string, description: string, duration: string, scale: number, faults: string[]): { dir: string; scenario: string } {
  const dir = mkdtempSync(join(tmpdir(), `rca-${name}-`));
  const scenario = join(dir, `${name}.yaml`);
  const lines = [`extends: ${resolve('scenarios/fault-base.yaml')}`, `description: ${description}`, `duration: ${duration}`, `traffic: { scale: ${scale} }`, 'faults:', ...faults.map((f) => `  - ${f}`)];
  writeFileSync(scenario, lines.join('\n') + '\n');
  return { dir, scenario };
}

describe('faultline rca --data on a generated data set', () => {
  it('builds trees from messages.arrow, scores against truth.json and finds a slow database', async () => {
    // 40 minutes at a small scale: 25 fault-free minutes, then the ledger database slows down.
    const { dir, scenario } = shortScenario('short-db', 'short database-slow for the rca tests', '40m', 0.01, [
      '{ type: database-slow, target: { database: ledger-db }, start: 25m, duration: 10m, severity: 0.6 }',
    ]);
    const data = join(dir, 'data');
    await generate({ scenario, seed: 11, out: data });
    const res = await rca({ in: data, rca: ['deepest-abnormal', 'kpi-first'], out: join(dir, 'out'), minAc1: 1 });
    expect(res.treeStats!.messages).toBeGreaterThan(10_000);
    expect(res.treeStats!.calls).toBeGreaterThan(1_000);
    expect(res.treeStats!.orphanReplies).toBe(0);
    const ranking = JSON.parse(readFileSync(res.files.ranking, 'utf8'));
    const deepest = ranking.algorithms[0].incidents[0];
    expect(deepest.rootCause).toEqual(['ledger-service']);
    expect(deepest.candidates[0].service).toBe('ledger-service');
    expect(res.results[0].metrics.byType['database-slow'].ac1).toBe(1);
  });
});

describe('faultline rca --data on a generated data set with logs and metrics', () => {
  it('hands logs.arrow and metrics.arrow to the methods that use them, and a logged exception is found', async () => {
    // An exception caught and logged: the reply still succeeds, so spans alone barely show it.
    const { dir, scenario } = shortScenario('short-exception', 'short code-exception for the rca tests', '40m', 0.02, [
      '{ type: code-exception, target: { service: fx-service }, start: 25m, duration: 10m, severity: 0.6 }',
    ]);
    const data = join(dir, 'data');
    await generate({ scenario, seed: 3, out: data, logs: true, metrics: true });
    const res = await rca({ in: data, rca: ['pattern-contrast', 'simple-rules'], out: join(dir, 'out') });
    const { source } = JSON.parse(readFileSync(res.files.metrics, 'utf8'));
    expect(source.logs).toEqual([join(data, 'logs.arrow')]);
    expect(source.metrics).toEqual([join(data, 'metrics.arrow')]);
    const ranking = JSON.parse(readFileSync(res.files.ranking, 'utf8'));
    const pattern = ranking.algorithms.find((a: { name: string }) => a.name === 'pattern-contrast');
    expect(pattern.incidents[0].candidates[0].service).toBe('fx-service');
  });
});

describe('a generated data set, exported as spans and replayed', () => {
  it('ranks every incident as the message log does, method by method', async () => {
    const { dir, scenario } = shortScenario('two-faults', 'two faults for the round trip', '50m', 0.02, [
      '{ type: database-slow, target: { database: ledger-db }, start: 25m, duration: 8m, severity: 0.6 }',
      '{ type: code-exception, target: { service: fx-service }, start: 38m, duration: 8m, severity: 0.6 }',
    ]);
    const data = join(dir, 'data');
    await generate({ scenario, seed: 4, out: data, logs: true, metrics: true, export: { spans: 'csv' } });
    const fromMessages = await rca({ in: data, rca: ['all'], out: join(dir, 'messages') });
    const fromSpans = await rca({
      spans: [join(data, 'spans.csv')],
      incidents: join(data, 'truth.json'),
      metrics: [join(data, 'metrics.arrow')],
      logs: [join(data, 'logs.arrow')],
      rca: ['all'],
      out: join(dir, 'spans'),
    });
    // The top five decide every RCA figure; deeper ranks move with the span times' rounding.
    const ranks = (r: typeof fromMessages) => Object.fromEntries(r.results.map((m) => [m.name, m.rankings.map((x) => (x.rank >= 1 && x.rank <= 5 ? x.rank : 'not in the top 5'))]));
    const spanRanks = ranks(fromSpans);
    // kpi-first reads the KPIs, which a span export does not carry.
    const messageRanks = Object.fromEntries(Object.entries(ranks(fromMessages)).filter(([name]) => name !== 'kpi-first'));
    expect(Object.keys(spanRanks).length).toBeGreaterThanOrEqual(9);
    expect(spanRanks).toEqual(messageRanks);
  });
});

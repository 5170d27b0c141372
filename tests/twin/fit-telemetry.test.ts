/**
 * `fit --metrics --logs`: capacities from CPU against load recover the scenario's, on simulated
 * data exported as span, metric and log CSV; what the scenario has no setting for is said, not used.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { fitTwin, type FittedTwin } from '../../pipeline/fit.js';
import { generate } from '../../sim/generate.js';
import type { ScenarioFile } from '../../sim/scenario-schema.js';
import { DEFAULT_METRIC_FAMILIES } from '../../sim/formats.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-fit-telemetry-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Loads that swing between about a fifth and two thirds of capacity: a campaign doubles the traffic for ten minutes. */
const CAPACITY = { front: 40, ledger: 25, notify: 60 };
const SOURCE = {
  name: 'loaded',
  start: '2026-01-05T09:00:00Z',
  duration: '30m',
  legMs: 0.5,
  dcns: ['dcn-01'],
  subsystems: [
    {
      name: 'core',
      services: [
        { name: 'front', instances: 2, capacity: CAPACITY.front, serviceTimeMs: 4 },
        { name: 'ledger', instances: 1, capacity: CAPACITY.ledger, serviceTimeMs: 10 },
        { name: 'notify', instances: 1, capacity: CAPACITY.notify, serviceTimeMs: 3 },
      ],
    },
  ],
  transactions: [
    {
      name: 'pay',
      rate: 8,
      root: {
        call: 'front',
        operation: 'POST /pay',
        children: [
          { call: 'ledger', operation: 'POST /entries', networkTail: { share: 0.1, medianMs: 200, sigma: 0.1 }, logs: [{ template: 'LedgerImpl#40 [post][entry <num> for <uuid> posted]', level: 'WARN', perCall: 1.5, at: 0.8 }] },
          { call: 'notify', operation: 'send', mode: 'async' },
        ],
      },
    },
    { name: 'look', rate: 12, root: { call: 'front', operation: 'GET /balance', children: [{ call: 'notify', operation: 'audit', mode: 'async', logs: [] }] } },
  ],
  traffic: { daily: Array(24).fill(1), weekly: Array(7).fill(1), noise: 0.15, campaigns: [{ start: '12m', duration: '10m', multiplier: 1.9 }] },
} satisfies ScenarioFile;

let twin: FittedTwin;

beforeAll(async () => {
  const file = path.join(tmp, 'loaded.yaml');
  fs.writeFileSync(file, stringify(SOURCE));
  const out = path.join(tmp, 'loaded');
  await generate({ scenario: file, seed: 5, out, export: { spans: 'csv', logsCsv: true, metricsCsv: true } });
  twin = await fitTwin({ spans: [path.join(out, 'spans.csv')], metrics: [path.join(out, 'metrics.csv')], logs: [path.join(out, 'logs.csv')], name: 'loaded-twin' });
}, 60_000);

describe('fit: the network', () => {
  it("recovers a call's slow network mode from its edge's gaps, and finds none where there is none", () => {
    const pay = twin.scenario.transactions.find((t) => t.root.operation === 'POST /pay')!.root;
    const tail = pay.children!.find((c) => c.operation === 'POST /entries')!.networkTail!;
    expect(Math.abs(tail.share - 0.1)).toBeLessThan(0.03);
    expect(Math.abs(tail.medianMs / 200 - 1)).toBeLessThan(0.1);
    expect(tail.sigma).toBeLessThan(0.3);
    for (const t of twin.scenario.transactions) expect(t.root.networkTail).toBeUndefined();
    expect(twin.estimates.transactions.flatMap((t) => t.nodes).filter((n) => n.networkTail).map((n) => n.operation)).toEqual(['POST /entries']);
    // The legs are fitted on the gaps outside the slow mode: the source's 0.5 ms legs, not a tail stretched to reach 200 ms.
    expect(twin.scenario.legSigma!).toBeLessThan(1);
  });
});

describe('fit with metrics and logs', () => {
  it('recovers each service capacity from CPU against load within 15%', () => {
    for (const est of twin.estimates.services) {
      expect(est.capacityFrom, est.name).toBe('cpu');
      expect(est.cpuMinutes!, est.name).toBeGreaterThanOrEqual(20);
      const want = CAPACITY[est.name as keyof typeof CAPACITY];
      expect(Math.abs(est.capacity / want - 1), `${est.name}: ${est.capacity} vs ${want}`).toBeLessThan(0.15);
    }
    const fitted = Object.fromEntries(twin.scenario.subsystems[0]!.services.map((s) => [s.name, s.capacity]));
    expect(fitted.ledger).toBe(twin.estimates.services.find((s) => s.name === 'ledger')!.capacity);
  });

  it('says in the YAML what the metrics and logs gave and what is not used', () => {
    expect(twin.estimates.metrics!.cpuMetric).toBe('cpuUsage');
    expect(twin.yaml).toMatch(/# Metrics: \d+ rows from 4 instances; CPU from cpuUsage \(percent\)/);
    // Its own metrics are recognised as the families that wrote them: the twin writes the same.
    expect(twin.scenario.metricFamilies).toEqual([...DEFAULT_METRIC_FAMILIES]);
    expect(twin.yaml).toMatch(/# metricFamilies: the families of metrics the system exports, recognised by name \(docs\/twin\.md\), so the twin writes those and no other: cpu \(cpuUsage\); steal \(cpuSteal\);/);
    expect(twin.estimates.metrics!.notUsed).toEqual([]);
    expect(twin.yaml).toMatch(/# Logs: \d+ lines from \d+ services, per service below\. Per call: `logs`/);
    expect(twin.yaml).toMatch(/# ledger: \d+ calls on 1 instance\(s\); capacity from CPU against load over \d+ instance-minutes \(r = 0\.\d+\); logs: \d+ lines \([\d.]+ per call\)/);
    const ledger = twin.estimates.services.find((s) => s.name === 'ledger')!;
    expect(ledger.logLines).toBeGreaterThan(0);
    // A fault-free run writes no failure line: the twin keeps the simulator's level, and says why.
    expect(twin.estimates.logs!.failureTemplates).toEqual({});
    expect(twin.scenario.rejectionLogLevel).toBeUndefined();
    expect(twin.yaml).toContain("# rejectionLogLevel unset (the simulator's WARN): 0 failure templates (a service's template naming a failure, at WARN or above), 3 needed.");
  });

  it('recovers per call the lines its handler writes (template, level, lines per call, place in the handling) and whether it writes any', () => {
    const pay = twin.scenario.transactions.find((t) => t.root.operation === 'POST /pay')!.root;
    const look = twin.scenario.transactions.find((t) => t.root.operation === 'GET /balance')!.root;
    const entries = pay.children!.find((c) => c.operation === 'POST /entries')!;
    expect(entries.logs).toHaveLength(1);
    expect(entries.logs![0]!.template).toBe('LedgerImpl#40 [post][entry <num> for <uuid> posted]');
    expect(entries.logs![0]!.level).toBe('WARN');
    expect(Math.abs(entries.logs![0]!.perCall / 1.5 - 1)).toBeLessThan(0.1);
    // Where in the handling it is written: log times are whole milliseconds of a call of about 10.
    expect(Math.abs(entries.logs![0]!.at! - 0.8)).toBeLessThan(0.1);
    expect(entries.checksResult).toBe(1);
    // A handler that writes nothing: an empty list, and no check of its own results.
    const audit = look.children!.find((c) => c.operation === 'audit')!;
    expect(audit.logs).toEqual([]);
    expect(audit.checksResult).toBeUndefined();
    // The simulator's own success line, once per call.
    const send = pay.children!.find((c) => c.operation === 'send')!;
    expect(send.logs).toHaveLength(1);
    expect(send.logs![0]!.level).toBe('INFO');
    expect(Math.abs(send.logs![0]!.perCall - 1)).toBeLessThan(0.02);
  });
});

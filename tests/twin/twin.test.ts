/**
 * The digital twin: a fit of simulated spans recovers the scenario they came from (call graph and
 * parameters within the stated error) and reproduces its telemetry (fit-report targets); the fault
 * sweep covers every applicable type and target; fidelity's rank agreement and distances match
 * their published definitions; the fidelity page escapes what the runs hold.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RecordBatchReader } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BadRows } from '../../common/bad-rows.js';
import { loadSpans } from '../../data/inputs.js';
import { loadSource } from '../../pipeline/load.js';
import { SPAN_STATUS, type SpanTable } from '../../data/types.js';
import { calibrateMeasure, CHANCE, compareRuns, DEFAULT_TYPE_MAP, fidelity } from '../../pipeline/fidelity.js';
import { fitScenario, type FittedTwin, type NodeEstimate } from '../../pipeline/fit.js';
import { fitReport } from '../../pipeline/fit-report.js';
import { faultTargets, planFaultSweep, writeFaultSweep } from '../../pipeline/sweep-faults.js';
import { resolveMethods } from '../../pipeline/methods.js';
import { evaluateScenarioItem, tracedSource } from '../../pipeline/scenario-item.js';
import { loadSuite } from '../../pipeline/suite.js';
import { planSweep } from '../../pipeline/sweep.js';
import { calibrationSentence, renderFidelity, seedSentence } from '../../reports/fidelity-html.js';
import { errorRateMet, renderFitReport } from '../../reports/fit-html.js';
import { writeResultsFile, type RunConfig } from '../../reports/results-file.js';
import { cli } from '../cli/run-cli.js';
import { kendallTauB, ksFromCounts, ksFromSketches, MIXED } from '../../scores/agreement.js';
import type { ItemResult } from '../../scores/item-result.js';
import { DEFAULT_MTTR_MODEL } from '../../scores/mttr.js';
import { FAULT_TYPES } from '../../sim/formats.js';
import { generate } from '../../sim/generate.js';
import { buildSpans } from '../../trees/index.js';
import { loadScenario } from '../../sim/scenario.js';
import type { CallTemplate, ScenarioFile } from '../../sim/scenario-schema.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-twin-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A small system with every call-tree feature the fit estimates. */
const SOURCE = {
  name: 'shop',
  start: '2026-01-05T09:00:00Z',
  duration: '40m',
  legMs: 0.5,
  dcns: ['dcn-01'],
  subsystems: [
    {
      name: 'shop',
      services: [
        { name: 'gateway', instances: 2, capacity: 5000, serviceTimeMs: 2 },
        { name: 'orders', instances: 2, capacity: 5000, serviceTimeMs: 8 },
        { name: 'stock', instances: 1, capacity: 5000, serviceTimeMs: 3 },
        { name: 'pricing', instances: 1, capacity: 5000, serviceTimeMs: 5 },
        { name: 'mailer', instances: 1, capacity: 5000, serviceTimeMs: 4 },
      ],
    },
  ],
  transactions: [
    {
      name: 'checkout',
      rate: 6,
      root: {
        call: 'gateway',
        operation: 'POST /checkout',
        serviceTimeMs: 2,
        sigma: 0.3,
        children: [
          {
            call: 'orders',
            operation: 'POST /orders',
            serviceTimeMs: 12,
            sigma: 0.4,
            children: [
              // A call whose network has a long tail (its own bus legs).
              { call: 'stock', operation: 'GET /stock/{id}', serviceTimeMs: 3, sigma: 0.2, fanout: 3, legMs: 0.2, legSigma: 1.5 },
              { call: 'pricing', operation: 'GET /price', serviceTimeMs: 6, sigma: 0.5, probability: 0.4 },
              { call: 'mailer', operation: 'send-confirmation', mode: 'async', serviceTimeMs: 20, sigma: 0.3 },
            ],
          },
          // Made alongside the orders call (a parallel fan-out of different calls).
          { call: 'pricing', operation: 'GET /quote', serviceTimeMs: 4, sigma: 0.3, errorRate: 0.05, parallel: true },
        ],
      },
    },
    {
      name: 'browse',
      rate: 14,
      root: {
        call: 'gateway',
        operation: 'GET /browse',
        serviceTimeMs: 1.5,
        sigma: 0.3,
        children: [
          { call: 'stock', operation: 'GET /stock', serviceTimeMs: 2, sigma: 0.25 },
          // A rare call: a few dozen in the run, too few for a bounded p95 sampling interval.
          { call: 'pricing', operation: 'GET /offers', serviceTimeMs: 3, sigma: 0.1, probability: 0.001 },
        ],
      },
    },
  ],
  traffic: { daily: Array(24).fill(1), weekly: Array(7).fill(1), noise: 0 },
} satisfies ScenarioFile & { transactions: { root: CallTemplate }[] };

let spans: SpanTable;
let twin: FittedTwin;

beforeAll(async () => {
  const file = path.join(tmp, 'shop.yaml');
  fs.writeFileSync(file, stringify(SOURCE));
  await generate({ scenario: file, seed: 3, out: path.join(tmp, 'shop'), logs: false, metrics: false, export: { spans: 'csv' } });
  spans = await loadSpans([path.join(tmp, 'shop', 'spans.csv')], { badRows: new BadRows('reject') });
  twin = fitScenario(spans, { name: 'shop-twin' });
}, 60_000);

/** Every node of a template tree by path of operations, with its template. */
function nodes(t: CallTemplate, prefix = '', out = new Map<string, CallTemplate>()): Map<string, CallTemplate> {
  const p = `${prefix}/${t.operation}`;
  out.set(p, t);
  for (const c of t.children ?? []) nodes(c, p, out);
  return out;
}

describe('fit: a twin of simulated spans recovers their scenario', () => {
  it('has the same services, instances and call graph', () => {
    const fitted = twin.scenario.subsystems.flatMap((s) => s.services).map((s) => [s.name, s.instances]);
    expect(Object.fromEntries(fitted)).toEqual({ gateway: 2, orders: 2, stock: 1, pricing: 1, mailer: 1 });
    const want = new Map(SOURCE.transactions.flatMap((t) => [...nodes(t.root as CallTemplate)]));
    const got = new Map(twin.scenario.transactions.flatMap((t) => [...nodes(t.root)]));
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [p, w] of want) {
      const g = got.get(p)!;
      expect(g.call, p).toBe(w.call);
      expect(g.mode ?? 'sync', p).toBe(w.mode ?? 'sync');
      expect(g.fanout ?? 1, p).toBe(w.fanout ?? 1);
      expect(g.parallel ?? false, p).toBe((w as CallTemplate).parallel ?? false);
      // The order of calls under a parent is kept.
      expect((g.children ?? []).map((c) => c.operation), p).toEqual((w.children ?? []).map((c) => c.operation));
    }
  });

  it('estimates self-time, shape, probability, error rate and arrival rates within the stated error', () => {
    const want = new Map(SOURCE.transactions.flatMap((t) => [...nodes(t.root as CallTemplate)]));
    const got = new Map(twin.scenario.transactions.flatMap((t) => [...nodes(t.root)]));
    for (const [p, w] of want) {
      const g = got.get(p)!;
      // Median own time within 15%, lognormal shape within 0.08: thousands of calls each (the rare
      // call a few dozen, of a narrow shape).
      expect(Math.abs(g.serviceTimeMs! / w.serviceTimeMs! - 1), `${p} median`).toBeLessThan(0.15);
      expect(Math.abs(g.sigma! - w.sigma!), `${p} sigma`).toBeLessThan(0.08);
      expect(Math.abs((g.probability ?? 1) - (w.probability ?? 1)), `${p} probability`).toBeLessThan(0.05);
      expect(Math.abs((g.errorRate ?? 0) - ((w as CallTemplate).errorRate ?? 0)), `${p} error rate`).toBeLessThan(0.02);
    }
    const rates = Object.fromEntries(twin.scenario.transactions.map((t) => [t.root.operation, t.rate]));
    expect(Math.abs(rates['POST /checkout']! / 6 - 1)).toBeLessThan(0.1);
    expect(Math.abs(rates['GET /browse']! / 14 - 1)).toBeLessThan(0.1);
    // Each call's bus legs (8 per call): the shape within 0.15, the median within 25%.
    for (const [p, legMs, legSigma] of [['/POST /checkout/POST /orders/GET /stock/{id}', 0.2, 1.5], ['/GET /browse/GET /stock', 0.5, 0.3]] as const) {
      expect(Math.abs(got.get(p)!.legSigma! - legSigma), p).toBeLessThan(0.15);
      expect(Math.abs(got.get(p)!.legMs! / legMs - 1), p).toBeLessThan(0.25);
    }
    const est = twin.estimates.transactions.flatMap((t) => t.nodes).find((n: NodeEstimate) => n.operation === 'GET /quote')!;
    expect(est.errorRate).toBeGreaterThan(0.03);
    expect(twin.estimates.statusKnown).toBe(1);
  });

  it('writes YAML with comments that loads as a valid scenario', () => {
    expect(twin.yaml).toMatch(/^# A twin fitted by `faultline fit` from \d+ spans/);
    expect(twin.yaml).toMatch(/# gateway: \d+ calls on 2 instance\(s\)/);
    const file = path.join(tmp, 'shop-twin.yaml');
    fs.writeFileSync(file, twin.yaml);
    expect(loadScenario(file).scenario.transactions).toHaveLength(2);
  });

  it('reproduces the telemetry it was fitted on (fit-report targets)', async () => {
    const report = await fitReport(spans, twin.scenario, twin.estimates, { seed: 9 });
    expect(report.edges.jaccard).toBe(1);
    expect(report.edges.met).toBe(true);
    expect(report.mix.maxDifference).toBeLessThanOrEqual(0.05);
    expect(report.latency.scored).toBeGreaterThanOrEqual(8);
    expect(report.latency.met, JSON.stringify(report.latency.operations.filter((o) => o.p50Error > 0.15 || o.p95Error > 0.15))).toBe(true);
    // Each real quantile carries its sampling interval, which holds the real figure, and the twin's
    // figure is flagged inside it or not.
    for (const o of report.latency.operations.filter((x) => x.scored)) {
      expect(o.realP50Interval.low!).toBeLessThanOrEqual(o.realP50);
      expect(o.realP50Interval.high!).toBeGreaterThanOrEqual(o.realP50);
      expect(o.realP95Interval.low!).toBeLessThanOrEqual(o.realP95);
      expect(o.realP95Interval.high ?? Infinity).toBeGreaterThanOrEqual(o.realP95);
    }
    // The rare call is scored on few calls: its p95 interval is open above.
    expect(report.latency.operations.some((o) => o.scored && o.realP95Interval.high === null)).toBe(true);
    for (const o of report.latency.operations.filter((x) => x.scored)) {
      // Away from the interval's ends (the report rounds to 4 digits), the flag says where the twin lies.
      const margin = 1e-3 * o.twinP50;
      if (o.twinP50 > o.realP50Interval.low! + margin && o.twinP50 < o.realP50Interval.high! - margin) expect(o.p50InSampling).toBe(true);
      if (o.twinP50 < o.realP50Interval.low! - margin || o.twinP50 > o.realP50Interval.high! + margin) expect(o.p50InSampling).toBe(false);
      // A p95 interval open above holds every twin figure beyond its lower end.
      const m95 = 1e-3 * o.twinP95;
      const high95 = o.realP95Interval.high ?? Infinity;
      if (o.twinP95 > o.realP95Interval.low! + m95 && o.twinP95 < high95 - m95) expect(o.p95InSampling).toBe(true);
      if (o.twinP95 < o.realP95Interval.low! - m95 || o.twinP95 > high95 + m95) expect(o.p95InSampling).toBe(false);
    }
    expect(report.latency.p95InSampling).toBeCloseTo(report.latency.operations.filter((x) => x.scored && x.p95InSampling).length / report.latency.scored, 3);
    expect(report.latency.p50InSampling).toBeCloseTo(report.latency.operations.filter((x) => x.scored && x.p50InSampling).length / report.latency.scored, 3);
    const pricing = report.errors.find((e) => e.service === 'pricing')!;
    expect(pricing.real).toBeGreaterThan(0);
    expect(Math.abs(pricing.twin! - pricing.real!)).toBeLessThan(0.02);

    // The page shows each figure against its bar, and escapes what the data names.
    const page = renderFitReport(report, 'twin.yaml');
    expect(page.match(/<td class="fail">/g) ?? []).toHaveLength(0);
    expect(page).toMatch(/transaction mix<\/td><td>largest difference [\d.]+ points over 2 types<\/td><td>within 5 points<\/td><td class="pass">pass/);
    expect(page).toMatch(/error rate per service<\/td><td>5 of 5 services<\/td>.*?<td class="pass">pass/);
    const worse = structuredClone(report);
    worse.latency.operations[0]!.operation = '<script>alert(1)</script>';
    worse.mix.met = false;
    worse.mix.maxDifference = 0.2;
    const bad = renderFitReport(worse, 'a"<b>');
    expect(bad).not.toContain('<script>');
    expect(bad).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(bad).toMatch(/transaction mix<\/td><td>largest difference 20 points over 2 types<\/td><td>within 5 points<\/td><td class="fail">fail/);
  }, 60_000);

  it('holds error rates to 1 point or 20% of the real rate, whichever is larger', () => {
    const targets = { edgeJaccard: 0.95, latencyWithin: 0.15, mixWithin: 0.05, errorPointsWithin: 0.01, errorRelativeWithin: 0.2 };
    expect(errorRateMet(0.05, 0.059, targets)).toBe(true);
    expect(errorRateMet(0.05, 0.062, targets)).toBe(false);
    expect(errorRateMet(0.3, 0.35, targets)).toBe(true);
    expect(errorRateMet(0.3, 0.37, targets)).toBe(false);
    expect(errorRateMet(null, 0.1, targets)).toBeNull();
  });
});

describe('a system whose spans record no status', () => {
  it('gets a twin whose spans and suite items carry none either', async () => {
    const blind = { ...spans, status: new Uint8Array(spans.length).fill(SPAN_STATUS.unknown) };
    const fitted = fitScenario(blind, { name: 'blind' });
    expect(fitted.scenario.spanStatus).toBe(false);
    expect(fitted.yaml).toMatch(/# The spans carry no status: neither do the twin's\.\nspanStatus: false/);
    // With failures going on (a bad release), neither the exported spans nor a suite item's trees show them.
    const file = path.join(tmp, 'blind.yaml');
    fs.writeFileSync(file, stringify({ ...SOURCE, duration: '6m', spanStatus: false, faults: [{ type: 'bad-release', target: { service: 'pricing' }, start: '2m', duration: '3m', severity: 0.8 }] }));
    await generate({ scenario: file, seed: 3, out: path.join(tmp, 'blind'), logs: false, metrics: false, export: { spans: 'csv' } });
    const exported = await loadSpans([path.join(tmp, 'blind', 'spans.csv')], { badRows: new BadRows('reject') });
    expect(exported.status.every((x) => x === SPAN_STATUS.unknown)).toBe(true);
    // Any command reading the data set's message log (rca --in, replay --in) builds trees without status too.
    const trees = (await loadSource({ in: path.join(tmp, 'blind') }, { need: new Set(['spans']) })).spans;
    expect(trees.length).toBeGreaterThan(0);
    expect(trees.status.every((x) => x === SPAN_STATUS.unknown)).toBe(true);
    const methods = await resolveMethods({ detectors: [], rca: ['count'] });
    const item = { key: 'blind@1', scenario: file, seed: 1, generatorSeed: 1 };
    const result = await evaluateScenarioItem(item, methods, { scratch: path.join(tmp, 'items') });
    expect(result.profile!.statusKnown).toBe(0);
    // The same item with status recorded sees the failures.
    fs.writeFileSync(file, stringify({ ...SOURCE, duration: '6m', faults: [{ type: 'bad-release', target: { service: 'pricing' }, start: '2m', duration: '3m', severity: 0.8 }] }));
    const seen = await evaluateScenarioItem(item, methods, { scratch: path.join(tmp, 'items') });
    expect(seen.profile!.statusKnown).toBe(1);
    expect(seen.profile!.errorsPerTrace.some(([errors, n]) => errors > 0 && n > 0)).toBe(true);
  }, 60_000);
});

describe('a system whose spans record no kind', () => {
  it('gets a twin whose exported spans carry none either, read as two spans per call', async () => {
    const file = path.join(tmp, 'kindless.yaml');
    fs.writeFileSync(file, stringify({ ...SOURCE, duration: '4m', spanKind: false }));
    await generate({ scenario: file, seed: 3, out: path.join(tmp, 'kindless'), logs: false, metrics: false, export: { spans: 'csv' } });
    const csv = fs.readFileSync(path.join(tmp, 'kindless', 'spans.csv'), 'utf8').split('\n');
    const kind = csv[0]!.split(',').indexOf('kind');
    expect(kind).toBeGreaterThan(0);
    expect(csv.slice(1, -1).every((row) => row.split(',')[kind] === '')).toBe(true);
    // No client span is paired with its server span: no call carries the callee's own times.
    const read = await loadSpans([path.join(tmp, 'kindless', 'spans.csv')], { badRows: new BadRows('reject') });
    expect(read.serverStart).toBeUndefined();
    expect(read.length).toBeGreaterThan(spans.length / 10);
    const fitted = fitScenario(read, { name: 'kindless' });
    expect(fitted.scenario.spanKind).toBe(false);
    expect(fitted.yaml).toMatch(/# The spans carry no kind[^\n]*\nspanKind: false/);
    // The same calls exported with their kinds fold into one row per call, and their twin records kinds.
    expect(spans.serverStart).toBeDefined();
    expect(twin.scenario.spanKind).toBeUndefined();
  }, 60_000);
});

describe('a suite item read through its spans', () => {
  it('reads the log lines exported beside the spans, tied to them by span id', async () => {
    const file = path.join(tmp, 'traced.yaml');
    fs.writeFileSync(file, stringify({ ...SOURCE, duration: '3m', callsFrom: 'spans' }));
    const data = path.join(tmp, 'traced');
    await generate({ scenario: file, seed: 2, out: data, export: { spans: 'csv', logsCsv: true } });
    const t = await loadSource(tracedSource(data, new Set(['spans', 'logs'])), { need: new Set(['spans', 'logs']) });
    const spanIds = new Set(Array.from(t.spans.spanId, (k) => t.spans.strings[k]));
    const logs = t.logs!;
    const tied = Array.from(logs.spanId).filter((k) => k >= 0);
    expect(tied.length).toBeGreaterThan(logs.length / 2);
    expect(tied.every((k) => spanIds.has(logs.strings[k]!))).toBe(true);
    // The native log names the bus's uniqueIds, which no exported span carries.
    const native = await loadSource({ in: data, spans: [path.join(data, 'spans.csv')] }, { need: new Set(['spans', 'logs']) });
    expect(Array.from(native.logs!.spanId).filter((k) => k >= 0).some((k) => spanIds.has(native.logs!.strings[k]!))).toBe(false);
    // A suite item of it with a method that reads logs exports and reads them so: it ranks.
    const methods = await resolveMethods({ detectors: [], rca: ['pattern-contrast'] });
    const faulty = path.join(tmp, 'traced-fault.yaml');
    fs.writeFileSync(faulty, stringify({ ...SOURCE, duration: '6m', callsFrom: 'spans', faults: [{ type: 'code-exception', target: { service: 'pricing' }, start: '3m', duration: '2m', severity: 0.8 }] }));
    const item = await evaluateScenarioItem({ key: 'traced@1', scenario: faulty, seed: 1, generatorSeed: 1 }, methods, { scratch: path.join(tmp, 'items') });
    const [rca] = item.rca;
    expect(rca!.error).toBeUndefined();
    expect(rca!.incidents[0]!.failure).toBeUndefined();
    expect(rca!.incidents[0]!.candidates.length).toBeGreaterThan(0);
  }, 60_000);
});

describe('the message log names the operations the scenario names', () => {
  it("gives the transaction trees the call templates' operation names", async () => {
    const trees = await buildSpans(path.join(tmp, 'shop', 'messages.arrow'));
    const seen = new Set(Array.from(trees.operation, (o) => trees.strings[o]!));
    const want = new Set(SOURCE.transactions.flatMap((t) => [...nodes(t.root as CallTemplate).values()].map((n) => n.operation!)));
    expect([...seen].sort()).toEqual([...want].sort());
  });

  it('writes no operation column for a scenario that names none', async () => {
    const unnamed = structuredClone(SOURCE) as ScenarioFile;
    const strip = (c: CallTemplate) => {
      delete c.operation;
      for (const ch of c.children ?? []) strip(ch);
    };
    for (const t of unnamed.transactions) strip(t.root);
    unnamed.duration = '3m';
    const file = path.join(tmp, 'unnamed.yaml');
    fs.writeFileSync(file, stringify(unnamed));
    await generate({ scenario: file, seed: 3, out: path.join(tmp, 'unnamed'), logs: false, metrics: false });
    const reader = await RecordBatchReader.from(fs.readFileSync(path.join(tmp, 'unnamed', 'messages.arrow')));
    await reader.open();
    expect(reader.schema.fields.map((f) => f.name)).not.toContain('operation');
    const trees = await buildSpans(path.join(tmp, 'unnamed', 'messages.arrow'));
    expect(new Set(Array.from(trees.operation, (o) => trees.strings[o]!))).toContain('shop.orders/checkout');
  });
});

describe('sweep-faults', () => {
  it('targets every service, first instance, edge, interface and transaction type, and nothing the scenario lacks', () => {
    const s = SOURCE as unknown as ScenarioFile;
    expect(faultTargets(s, 'code-exception').map((t) => t.label)).toEqual(['gateway', 'orders', 'stock', 'pricing', 'mailer']);
    expect(faultTargets(s, 'memory-leak').map((t) => t.label)).toEqual(['gateway-1', 'orders-1', 'stock-1', 'pricing-1', 'mailer-1']);
    expect(faultTargets(s, 'memory-leak', true)).toHaveLength(7);
    // Network faults on every link and on every instance's interface (the first of each service).
    const links = ['gateway--orders', 'gateway--pricing', 'gateway--stock', 'orders--mailer', 'orders--pricing', 'orders--stock'];
    const interfaces = ['gateway-1', 'orders-1', 'stock-1', 'pricing-1', 'mailer-1'];
    expect(faultTargets(s, 'network-delay').map((t) => t.label).sort()).toEqual([...links, ...interfaces].sort());
    expect(faultTargets(s, 'packet-loss', false, ['edge']).map((t) => t.label).sort()).toEqual(links);
    expect(faultTargets(s, 'network-delay', false, ['instance']).map((t) => t.target)).toContainEqual({ service: 'orders', instance: 1 });
    expect(planFaultSweep(s, { types: ['network-delay', 'code-exception'], targetKinds: ['instance'] }).map((f) => f.name)).toEqual(interfaces.map((i) => `network-delay--${i}--s05`));
    expect(() => planFaultSweep(s, { targetKinds: ['pod' as never] })).toThrow(/unknown target kind 'pod' \(known: service, instance, database, edge, channel, txType\)/);
    expect(faultTargets(s, 'database-slow')).toEqual([]);
    expect(faultTargets(s, 'channel-outage')).toEqual([]);
    expect(faultTargets(s, 'traffic-surge')).toHaveLength(2);
    expect(planFaultSweep(s, { types: ['code-exception', 'network-delay'], severities: [0.2, 0.8] })).toHaveLength((5 + 6 + 5) * 2);
    expect(() => planFaultSweep(s, { types: ['no-such-fault'] })).toThrow(/unknown fault type 'no-such-fault'/);
    // One code-exception per handler asked for; other types are not multiplied.
    const handled = planFaultSweep(s, { types: ['code-exception', 'wrong-return'], exceptionHandlers: ['logs-and-throws', 'throws'] });
    expect(handled).toHaveLength(5 * 2 + 5);
    expect(handled.find((f) => f.name === 'code-exception--stock--s05--throws')!.fault).toMatchObject({ type: 'code-exception', handler: 'throws' });
    expect(handled.find((f) => f.name === 'wrong-return--stock--s05')!.fault.handler).toBeUndefined();
    expect(() => planFaultSweep(s, { exceptionHandlers: ['ignores'] })).toThrow(/exception handler 'ignores': must be one of catches, logs-and-throws, throws/);
    // A type's own severities replace the sweep's for that type alone.
    const matched = planFaultSweep(s, { types: ['code-exception', 'cpu-saturation'], severities: [0.5], severitiesByType: { 'cpu-saturation': [0.7, 0.9] } });
    expect(new Set(matched.filter((f) => f.fault.type === 'code-exception').map((f) => f.fault.severity))).toEqual(new Set([0.5]));
    expect(matched.filter((f) => f.fault.type === 'cpu-saturation').map((f) => f.name)).toContain('cpu-saturation--orders--s09');
    expect(new Set(matched.filter((f) => f.fault.type === 'cpu-saturation').map((f) => f.fault.severity))).toEqual(new Set([0.7, 0.9]));
    expect(() => planFaultSweep(s, { types: ['code-exception'], severitiesByType: { 'cpu-saturation': [0.9] } })).toThrow(/severities given for cpu-saturation, which is not among the sweep's types/);
    expect(() => planFaultSweep(s, { severitiesByType: { 'cpu-saturation': [1.5] } })).toThrow(/severity 1.5: must be above 0 and at most 1/);
  });

  it('writes a suite that loads and plans like any suite', async () => {
    const file = path.join(tmp, 'shop.yaml');
    const out = path.join(tmp, 'sweep');
    const res = await writeFaultSweep({ scenario: file, out, types: ['cpu-saturation', 'wrong-return'], severities: [0.5], seeds: [1, 2] });
    expect(res.faults).toHaveLength(10);
    const suite = loadSuite(res.suite);
    const plan = planSweep(suite);
    expect(plan.items).toHaveLength(20);
    const one = loadScenario(path.join(out, 'faults', 'cpu-saturation--stock--s05.yaml')).scenario;
    expect(one.faults).toEqual([expect.objectContaining({ type: 'cpu-saturation', target: { service: 'stock' }, severity: 0.5 })]);
    expect(one.transactions).toHaveLength(2);
  });

  it("lasts the real incidents' median window with --window-from, and refuses it beside --fault-duration", async () => {
    const file = path.join(tmp, 'shop.yaml');
    const realRun = path.join(tmp, 'real-run');
    const incident = (id: string, minutes: number) => ({ id, type: 'exception', start: 0, end: minutes * 60_000, rootCause: ['orders'], tags: [], moved: [] });
    const realItem: ItemResult = { key: 'real', scenario: 'replay', start: 0, end: 3_600_000, faults: [incident('a', 3), incident('b', 3), incident('c', 10)], detectors: [], rca: [], kpiCurves: [], latency: { normal: [], fault: [] }, timings: {} };
    const config: RunConfig = { suite: null, title: 'real', scenarios: [], seeds: [], duration: null, trafficScale: null, detectors: [], rca: [], mttr: DEFAULT_MTTR_MODEL, minAc1: null, sweep: ['real'] };
    fs.mkdirSync(realRun);
    writeResultsFile(realRun, { schema: 'faultline/results', version: 1, config, shard: null, items: [realItem] });
    const res = await writeFaultSweep({ scenario: file, out: path.join(tmp, 'sweep-window'), types: ['cpu-saturation'], windowFrom: realRun });
    expect(res.window).toEqual({ faultDuration: '3m', incidents: 3 });
    expect(new Set(res.faults.map((f) => f.fault.duration))).toEqual(new Set(['3m']));
    await expect(writeFaultSweep({ scenario: file, out: path.join(tmp, 'sweep-both'), windowFrom: realRun, faultDuration: '5m' })).rejects.toThrow(/--fault-duration and --window-from both set how long the faults last/);
    const empty = path.join(tmp, 'empty-run');
    fs.mkdirSync(empty);
    writeResultsFile(empty, { schema: 'faultline/results', version: 1, config, shard: null, items: [{ ...realItem, faults: [] }] });
    await expect(writeFaultSweep({ scenario: file, out: path.join(tmp, 'sweep-empty'), windowFrom: empty })).rejects.toThrow(/empty-run: no incidents to take a window from/);
    // A window of no length is refused, not turned into a 1 ms fault; one of 90 s is written as such.
    const pointRun = path.join(tmp, 'point-run');
    fs.mkdirSync(pointRun);
    writeResultsFile(pointRun, { schema: 'faultline/results', version: 1, config, shard: null, items: [{ ...realItem, faults: [incident('p', 0)] }] });
    await expect(writeFaultSweep({ scenario: file, out: path.join(tmp, 'sweep-point'), windowFrom: pointRun })).rejects.toThrow(/median window is 0 ms \(an end not after its start\)/);
    const shortRun = path.join(tmp, 'short-run');
    fs.mkdirSync(shortRun);
    writeResultsFile(shortRun, { schema: 'faultline/results', version: 1, config, shard: null, items: [{ ...realItem, faults: [incident('s', 1.5)] }] });
    expect((await writeFaultSweep({ scenario: file, out: path.join(tmp, 'sweep-short'), types: ['cpu-saturation'], windowFrom: shortRun })).window).toEqual({ faultDuration: '90s', incidents: 1 });
  });
});

describe('fidelity', () => {
  it("computes Kendall tau-b and KS distances as scipy does", () => {
    // scipy.stats.kendalltau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]).statistic (its documentation's example)
    expect(kendallTauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toBeCloseTo(-0.47140452079103173, 12);
    expect(kendallTauB([1, 2, 3], [1, 1, 1])).toBeNaN();
    // scipy.stats.ks_2samp([1, 2, 3], [1, 1, 4]).statistic = 1/3
    expect(ksFromCounts([[1, 1], [2, 1], [3, 1]], [[1, 2], [4, 1]])).toBeCloseTo(1 / 3, 12);
    const levels = [0, 0.5, 1];
    expect(ksFromSketches([0, 1, 2], [0, 1, 2], levels)).toBe(0);
    expect(ksFromSketches([0, 1, 2], [10, 11, 12], levels)).toBe(1);
  });

  const item = (key: string, type: string, ranks: Record<string, number[]>): ItemResult => ({
    key,
    scenario: key,
    start: 0,
    end: 1,
    faults: [],
    detectors: [],
    rca: Object.entries(ranks).map(([name, rs]) => ({ name, incidents: rs.map((rank, i) => ({ id: `i${i}`, type, start: 0, end: 1, rootCause: ['x'], rank, computeMs: 0, candidates: [] })) })),
    kpiCurves: [],
    latency: { normal: [], fault: [] },
    timings: {},
  });

  it('agrees fully when the rankings agree, and not when they are reversed, with intervals', () => {
    const sim = [item('s', 'code-exception', { a: [1, 1, 1, 2], b: [1, 2, 3, 2], c: [4, 5, 3, 6] })];
    const same = [item('r', 'exception', { a: [1, 1, 1, 1, 2, 1], b: [1, 2, 1, 3, 3, 2], c: [0, 0, 3, 0, 4, 2] })];
    const reversed = [item('r', 'exception', { a: [0, 0, 3, 0, 4, 2], b: [1, 2, 1, 3, 3, 2], c: [1, 1, 1, 1, 2, 1] })];
    const agree = compareRuns(sim, same, { sim: 's', real: 'r', resamples: 200 });
    const ac1 = agree.rca.find((a) => a.figure === 'ac1' && a.type === 'all')!;
    expect(ac1.tau).toBe(1);
    expect(ac1.realIncidents).toBe(6);
    expect(ac1.interval!.high).toBe(1);
    // The real type name is read as the simulator's: the per-type row exists.
    expect(agree.rca.map((a) => a.type)).toContain('code-exception');
    const against = compareRuns(sim, reversed, { sim: 's', real: 'r', resamples: 200 }).rca.find((a) => a.figure === 'ac1' && a.type === 'all')!;
    expect(against.tau).toBe(-1);
    // The page leads with both figures' agreement, AC@1 and Avg@5.
    const page = renderFidelity(agree);
    expect(page).toMatch(/RCA AC@1 ranking, all shared fault types: Kendall tau 1\.00/);
    const avg5 = agree.rca.find((a) => a.figure === 'avg5' && a.type === 'all')!;
    expect(page).toContain(`RCA Avg@5 ranking, all shared fault types: Kendall tau ${avg5.tau.toFixed(2)}`);
  });

  it("reads Nezha's and RCAEval's fault type names as the simulator's, and leaves those it has no type for", () => {
    expect(DEFAULT_TYPE_MAP).toMatchObject({ cpu_consumed: 'cpu-saturation', cpu: 'cpu-saturation', mem: 'memory-leak', delay: 'network-delay', loss: 'packet-loss' });
    for (const simulated of Object.values(DEFAULT_TYPE_MAP)) expect(FAULT_TYPES).toContain(simulated);
    expect(DEFAULT_TYPE_MAP).not.toHaveProperty('disk');
    expect(DEFAULT_TYPE_MAP).not.toHaveProperty('socket');
    const ranks = { a: [1, 1, 2], b: [2, 3, 1] };
    const sim = ['cpu-saturation', 'memory-leak', 'network-delay', 'packet-loss'].map((t) => item(`s-${t}`, t, ranks));
    const real = ['cpu', 'mem', 'delay', 'loss', 'disk', 'socket', 'cpu_consumed'].map((t) => item(`r-${t}`, t, ranks));
    const rca = compareRuns(sim, real, { sim: 's', real: 'r', resamples: 20 }).rca.filter((a) => a.figure === 'ac1');
    expect(rca.map((a) => a.type).sort()).toEqual(['all', 'cpu-saturation', 'memory-leak', 'network-delay', 'packet-loss', MIXED].sort());
    // cpu and cpu_consumed both count as cpu-saturation; disk and socket join no comparison.
    expect(rca.find((a) => a.type === 'cpu-saturation')!.realIncidents).toBe(6);
    expect(rca.find((a) => a.type === 'all')!.realIncidents).toBe(15);
  });

  it('weighs the simulated incidents to the real fault types\' mix in the mixed overall row', () => {
    // The sweep has as many CPU faults as code faults; the real side has one CPU fault in five.
    // On code faults a beats b on both sides; on CPU faults b beats a (on both sides too).
    const hits = (n: number, of: number) => Array.from({ length: of }, (_, i) => (i < n ? 1 : 3));
    const sim = [item('s1', 'code-exception', { a: hits(6, 10), b: hits(2, 10) }), item('s2', 'cpu-saturation', { a: hits(0, 10), b: hits(9, 10) })];
    const real = [item('r1', 'exception', { a: hits(6, 8), b: hits(2, 8) }), item('r2', 'cpu_contention', { a: hits(0, 2), b: hits(2, 2) })];
    const rca = compareRuns(sim, real, { sim: 's', real: 'r', resamples: 100 }).rca;
    const pooled = rca.find((a) => a.figure === 'ac1' && a.type === 'all')!;
    const mixed = rca.find((a) => a.figure === 'ac1' && a.type === MIXED)!;
    // Pooled, the sweep's half of CPU faults puts b first (a 0.30, b 0.55); the real side has a first (0.60, 0.40).
    expect(pooled.methods.map((m) => [m.name, m.sim, m.real])).toEqual([
      ['a', 0.3, 0.6],
      ['b', 0.55, 0.4],
    ]);
    expect(pooled.tau).toBe(-1);
    // Weighted 4 to 1 as the real side is: a 0.8 x 0.6 = 0.48, b 0.8 x 0.2 + 0.2 x 0.9 = 0.34.
    expect(mixed.methods.map((m) => [m.name, m.sim])).toEqual([
      ['a', 0.48],
      ['b', 0.34],
    ]);
    expect(mixed.tau).toBe(1);
    expect(mixed.simIncidents).toBe(20);
    // One shared type: no mixed row.
    expect(compareRuns([sim[0]!], [real[0]!], { sim: 's', real: 'r', resamples: 50 }).rca.some((a) => a.type === MIXED)).toBe(false);
    expect(renderFidelity(compareRuns(sim, real, { sim: 's', real: 'r', resamples: 50 }))).toContain('With the simulated incidents weighted to the real fault types&#39; mix: Kendall tau 1.00');
  });

  it('says which methods carry signal and gives tau-b over those alone', () => {
    // AC@1 hits out of 20 incidents; the rest ranked third.
    const ranks = (hits: number) => Array.from({ length: 20 }, (_, i) => (i < hits ? 1 : 3));
    const sim = [item('s', 'code-exception', { strong: ranks(18), mid: ranks(10), n1: ranks(1), n2: ranks(0), n3: ranks(0) })];
    const real = [item('r', 'exception', { strong: ranks(17), mid: ranks(8), n1: ranks(0), n2: ranks(1), n3: ranks(1) })];
    const ac1 = compareRuns(sim, real, { sim: 's', real: 'r', resamples: 300 }).rca.find((a) => a.figure === 'ac1' && a.type === 'all')!;
    // The noise methods' order is reversed between the sides: it drags tau-b over all five down.
    expect(ac1.tau).toBeLessThan(0.6);
    expect(ac1.signal!.sim).toEqual(['mid', 'strong']);
    expect(ac1.signal!.real).toEqual(['mid', 'strong']);
    expect(ac1.signal!.tau).toBe(1);
    // Without telemetry profiles the number of services is unknown: the bar is zero.
    expect(ac1.signal!.chanceSim).toBe(0);
    expect(renderFidelity(compareRuns(sim, real, { sim: 's', real: 'r', resamples: 50 }))).toMatch(/methods with signal, sim \/ real/);
  });

  it('sets the bar at what a random ranking of the services scores, for few services too', () => {
    // Every rank 1..k equally likely; Avg@5 of rank r is the mean of AC@1..AC@5 (hit when r <= j).
    for (let k = 1; k <= 8; k++) {
      let avg5 = 0;
      for (let r = 1; r <= k; r++) avg5 += [1, 2, 3, 4, 5].filter((j) => r <= j).length / 5 / k;
      expect(CHANCE.avg5(k)).toBeCloseTo(avg5, 12);
      expect(CHANCE.ac1(k)).toBeCloseTo(1 / k, 12);
    }
  });

  it("compares how strongly each fault type moves its root cause on both sides", async () => {
    // A CPU fault on one orders instance, measured from the item's own spans...
    const file = path.join(tmp, 'cpu.yaml');
    fs.writeFileSync(file, stringify({ ...SOURCE, duration: '8m', faults: [{ type: 'cpu-saturation', target: { service: 'orders', instance: 1 }, start: '4m', duration: '3m', severity: 0.8 }] }));
    const methods = await resolveMethods({ detectors: [], rca: ['count'] });
    const sim = await evaluateScenarioItem({ key: 'cpu@1', scenario: file, seed: 1, generatorSeed: 1 }, methods, { scratch: path.join(tmp, 'items') });
    const [effect] = sim.faultEffects!;
    expect(sim.faults[0]!.severity).toBe(0.8);
    expect(effect!.service).toBe('orders');
    expect(effect!.instance).toBe('orders-01');
    // Severity 0.8 takes 68% of the instance's CPU: its own work runs 1 / 0.32 = 3.1 times as long.
    expect(effect!.self!).toBeGreaterThan(2.5);
    expect(effect!.self!).toBeLessThan(3.8);
    // ...against real incidents of the same type that slowed theirs ten times.
    const realEffect = (id: string) => ({ ...effect!, faultId: id, self: 10, latency: 10, gap: 10 });
    const real: ItemResult = { ...item('r', 'cpu_contention', { count: [1, 2] }), faults: ['i0', 'i1'].map((id) => ({ id, type: 'cpu_contention', start: 0, end: 1, rootCause: ['orders'], tags: [], moved: [] })), faultEffects: [realEffect('i0'), realEffect('i1')] };
    const result = compareRuns([sim], [real], { sim: 's', real: 'r', resamples: 50 });
    const self = result.effects.find((c) => c.type === 'cpu-saturation' && c.measure === 'self')!;
    expect(self.sim).toEqual({ median: effect!.self, incidents: 1 });
    expect(self.real).toEqual({ median: 10, incidents: 2 });
    expect(self.factor).toBeCloseTo(effect!.self! / 10, 3);
    const html = renderFidelity(result);
    expect(html).toContain('<h2>Fault strength</h2>');
    expect(html).toMatch(/The simulated cpu-saturation faults are weaker than the real ones \(latency of the calls into the root cause [0-9.]+× against 10\.00×/);
    // Alike on both sides: no such line.
    const alike = { ...real, faultEffects: real.faultEffects!.map((x) => ({ ...x, self: effect!.self, latency: effect!.latency, gap: effect!.gap })) };
    expect(renderFidelity(compareRuns([sim], [alike], { sim: 's', real: 'r', resamples: 50 }))).not.toMatch(/faults are (weaker|stronger)/);
  }, 60_000);

  it('finds the severity whose strength matches the real incidents\', per measure and per fault type', () => {
    // Three severities of a CPU fault, three incidents each, and one code fault at two severities.
    const effect = (faultId: string, latency: number, self: number, gap: number) => ({ faultId, service: 'x', calls: [50, 50] as [number, number], latency, self, gap, failed: null });
    const cpu: Record<number, [number, number, number]> = { 0.3: [1.5, 2, 2], 0.6: [2, 4, 3], 0.9: [3, 8, 4] };
    // Severity 1 has two measured incidents only, too few to take part.
    const faults = [...Object.keys(cpu).flatMap((sv) => [0, 1, 2].map((k) => ({ id: `cpu-${sv}-${k}`, type: 'cpu-saturation', start: 0, end: 1, rootCause: ['x'], tags: [], moved: [], severity: Number(sv) }))), ...[0, 1].map((k) => ({ id: `cpu-1-${k}`, type: 'cpu-saturation', start: 0, end: 1, rootCause: ['x'], tags: [], moved: [], severity: 1 }))];
    cpu[1] = [100, 100, 100];
    const code = [0.3, 0.9].flatMap((sv) => [0, 1, 2].map((k) => ({ id: `exc-${sv}-${k}`, type: 'code-exception', start: 0, end: 1, rootCause: ['x'], tags: [], moved: [], severity: sv })));
    const sim: ItemResult = {
      ...item('s', 'cpu-saturation', { count: [1, 2] }),
      faults: [...faults, ...code],
      faultEffects: [...faults.map((f) => effect(f.id, ...cpu[f.severity]!)), ...code.map((f) => effect(f.id, 1, f.severity === 0.3 ? 0.95 : 1.05, 1))],
    };
    // The real CPU faults: latency 2 (met at 0.6 exactly), own time 2^(8/3) (two thirds of the way in log from 4 to 8: 0.8), gap 20 (beyond 0.9).
    const realFaults = ['r0', 'r1', 'r2'].map((id) => ({ id, type: 'cpu_contention', start: 0, end: 1, rootCause: ['x'], tags: [], moved: [] }));
    const realExc = { id: 'r3', type: 'exception', start: 0, end: 1, rootCause: ['x'], tags: [], moved: [] };
    const realOf = (latency: number, self: number, gap: number): ItemResult => ({ ...item('r', 'cpu_contention', { count: [1, 1] }), faults: [...realFaults, realExc], faultEffects: [...realFaults.map((f) => effect(f.id, latency, self, gap)), effect('r3', 1, 1, 1)] });
    const real = realOf(2, 2 ** (8 / 3), 20);
    const result = compareRuns([sim], [real], { sim: 's', real: 'r', resamples: 50 });
    const [exc, cpuCal] = result.calibration;
    expect(cpuCal!.type).toBe('cpu-saturation');
    expect(cpuCal!.measures.map((m) => [m.measure, m.severity, m.fit])).toEqual([
      ['latency', 0.6, 'inside'],
      ['self', 0.8, 'inside'],
      ['gap', 0.9, 'above'],
    ]);
    expect(cpuCal!.measures[1]!.bySeverity).toEqual([
      { severity: 0.3, median: 2, incidents: 3 },
      { severity: 0.6, median: 4, incidents: 3 },
      { severity: 0.9, median: 8, incidents: 3 },
    ]);
    // The median of the measures matched inside the range: the gap only bounds it.
    expect(cpuCal!).toMatchObject({ severity: 0.7, fit: 'inside' });
    // Medians, not means: one incident far beyond the others at each severity, and one real
    // incident far beyond the other two, move no median and no severity.
    const far: Record<string, { self: number }> = { 'cpu-0.3-2': { self: 40 }, 'cpu-0.6-2': { self: 60 }, 'cpu-0.9-2': { self: 80 } };
    const skewedSim: ItemResult = { ...sim, faultEffects: sim.faultEffects!.map((x) => ({ ...x, ...far[x.faultId] })) };
    const skewedReal: ItemResult = { ...real, faultEffects: real.faultEffects!.map((x) => (x.faultId === 'r2' ? { ...x, latency: 200 } : x)) };
    const skewed = compareRuns([skewedSim], [skewedReal], { sim: 's', real: 'r', resamples: 50 }).calibration[1]!;
    expect(skewed.measures[1]!.bySeverity).toEqual([
      { severity: 0.3, median: 2, incidents: 3 },
      { severity: 0.6, median: 4, incidents: 3 },
      { severity: 0.9, median: 8, incidents: 3 },
    ]);
    expect(skewed.measures[0]!).toMatchObject({ measure: 'latency', real: { median: 2, incidents: 3 }, severity: 0.6, fit: 'inside' });
    expect(skewed.measures.map((m) => [m.measure, m.severity, m.fit])).toEqual([
      ['latency', 0.6, 'inside'],
      ['self', 0.8, 'inside'],
      ['gap', 0.9, 'above'],
    ]);
    expect(skewed).toMatchObject({ severity: 0.7, fit: 'inside' });
    // Three measures inside the range: their median (0.6 of 0.3, 0.6 and 0.8), not their mean.
    expect(compareRuns([sim], [realOf(2, 2 ** (8 / 3), 2)], { sim: 's', real: 'r', resamples: 50 }).calibration[1]!.severity).toBe(0.6);
    // Faults without a severity take no part: three of them, with effects far beyond the rest, change nothing.
    const unrated = ['u0', 'u1', 'u2'].map((id) => ({ id, type: 'cpu-saturation', start: 0, end: 1, rootCause: ['x'], tags: [], moved: [] }));
    const partly = { ...sim, faults: [...sim.faults, ...unrated], faultEffects: [...sim.faultEffects!, ...unrated.map((f) => effect(f.id, 100, 100, 100))] };
    expect(compareRuns([partly], [real], { sim: 's', real: 'r', resamples: 50 }).calibration[1]!).toMatchObject({ severity: 0.7, fit: 'inside' });
    // Every measure below the weakest severity swept: sweep below it.
    expect(renderFidelity(compareRuns([sim], [realOf(0.5, 0.5, 0.5)], { sim: 's', real: 'r', resamples: 50 }))).toContain("The strength of the real cpu-saturation faults is met below the lowest severity swept, 0.30: sweep below it.");
    // Beyond severity 1, the highest there is: no sweep reaches it.
    expect(calibrationSentence([{ type: 'cpu-saturation', severity: null, fit: 'above', bound: 1, measures: [] }])).toBe("The strength of the real cpu-saturation faults is met at no severity up to 1, the highest.");
    // Every measure beyond the strongest severity swept: no match, a bound; beyond both ends at once: neither.
    const stronger = compareRuns([sim], [realOf(100, 100, 100)], { sim: 's', real: 'r', resamples: 50 });
    expect(stronger.calibration[1]!).toMatchObject({ severity: null, fit: 'above', bound: 0.9 });
    expect(renderFidelity(stronger)).toContain("The strength of the real cpu-saturation faults is met above the highest severity swept, 0.90: sweep above it.");
    expect(renderFidelity(stronger)).not.toContain('sweep again');
    const split = compareRuns([sim], [realOf(1, 100, 1)], { sim: 's', real: 'r', resamples: 50 }).calibration[1]!;
    expect(split.measures.map((m) => m.fit)).toEqual(['below', 'above', 'below']);
    expect(split).toMatchObject({ severity: null, fit: 'none' });
    // A measure short of incidents at an end (one own time measured there) points past the severity
    // next to it; the type lies past the end the measures reach: the highest or the lowest swept.
    const shortAt = (severity: number) => ({ ...sim, faultEffects: sim.faultEffects!.map((x) => (x.faultId === `cpu-${severity}-0` || x.faultId === `cpu-${severity}-1` ? { ...x, self: null } : x)) });
    const past = compareRuns([shortAt(0.9)], [realOf(100, 100, 100)], { sim: 's', real: 'r', resamples: 50 }).calibration[1]!;
    expect(past.measures.map((m) => [m.measure, m.severity, m.fit])).toEqual([
      ['latency', 0.9, 'above'],
      ['self', 0.6, 'above'],
      ['gap', 0.9, 'above'],
    ]);
    expect(past).toMatchObject({ severity: null, fit: 'above', bound: 0.9 });
    const short = compareRuns([shortAt(0.3)], [realOf(0.5, 0.5, 0.5)], { sim: 's', real: 'r', resamples: 50 }).calibration[1]!;
    expect(short.measures.map((m) => [m.measure, m.severity, m.fit])).toEqual([
      ['latency', 0.3, 'below'],
      ['self', 0.6, 'below'],
      ['gap', 0.3, 'below'],
    ]);
    expect(short).toMatchObject({ severity: null, fit: 'below', bound: 0.3 });
    // An exception barely moves the spans at any severity: nothing to match on.
    expect(exc!.type).toBe('code-exception');
    expect(exc!.severity).toBeNull();
    expect(exc!.measures.every((m) => m.fit === 'flat' && m.severity === null)).toBe(true);
    const html = renderFidelity(result);
    expect(html).toContain('<h2>Severity matching the real strength</h2>');
    expect(html).toContain('strength is met at cpu-saturation 0.70: sweep again with --severities cpu-saturation=0.7.');
    // The command says it on stdout too.
    const config: RunConfig = { suite: null, title: 't', scenarios: [], seeds: [], duration: null, trafficScale: null, detectors: [], rca: [], mttr: DEFAULT_MTTR_MODEL, minAc1: null, sweep: [] };
    const dirOf = (name: string, it: ItemResult) => {
      const dir = path.join(tmp, 'calibration', name);
      fs.mkdirSync(dir, { recursive: true });
      writeResultsFile(dir, { schema: 'faultline/results', version: 1, config: { ...config, sweep: [it.key] }, shard: null, items: [it] });
      return dir;
    };
    const run = cli(['fidelity', '--sim', dirOf('sim', sim), '--real', dirOf('real', real), '--out', path.join(tmp, 'calibration', 'fid')]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("The real incidents' strength is met at cpu-saturation 0.70: sweep again with --severities cpu-saturation=0.7.\n");
    // One severity per type (or a run whose faults carry none), nothing to interpolate: no calibration.
    const one = { ...sim, faults: sim.faults.map((f) => ({ ...f, severity: 0.5 })) };
    expect(compareRuns([one], [real], { sim: 's', real: 'r', resamples: 50 }).calibration).toEqual([]);
    const none = { ...sim, faults: sim.faults.map(({ severity: _s, ...f }) => f) };
    expect(compareRuns([none], [real], { sim: 's', real: 'r', resamples: 50 }).calibration).toEqual([]);
  });

  it('places a real effect on severities whose effects rise, fall or are out of order', () => {
    const at = (medians: number[]) => medians.map((median, i) => ({ severity: [0.3, 0.6, 0.9][i]!, median }));
    // Falling with severity: interpolated all the same, and beyond the strongest effect is below the range.
    expect(calibrateMeasure(at([4, 2, 1]), 2 ** 0.5)).toEqual({ severity: 0.75, fit: 'inside' });
    expect(calibrateMeasure(at([4, 2, 1]), 8)).toEqual({ severity: 0.3, fit: 'below' });
    expect(calibrateMeasure(at([4, 2, 1]), 0.5)).toEqual({ severity: 0.9, fit: 'above' });
    // The strongest effect in the middle of the range: beyond it, no severity is nearer than another.
    expect(calibrateMeasure(at([1, 3, 1]), 10)).toEqual({ severity: null, fit: 'flat' });
    // Medians within a factor 1.25 of each other do not tell severities apart.
    expect(calibrateMeasure(at([1, 1.1, 1.2]), 1.15)).toEqual({ severity: null, fit: 'flat' });
    // Rising with severity: beyond the strongest effect is above the range, below the weakest below it.
    expect(calibrateMeasure(at([1, 2, 4]), 8)).toEqual({ severity: 0.9, fit: 'above' });
    expect(calibrateMeasure(at([1, 2, 4]), 0.5)).toEqual({ severity: 0.3, fit: 'below' });
  });

  it('places a real effect beyond every median at no severity where the medians are not in order over severity', () => {
    const at = (medians: number[]) => medians.map((median, i) => ({ severity: [0.3, 0.6, 0.9][i]!, median }));
    // The strongest effect at both ends, the weakest in the middle: beyond the strongest.
    expect(calibrateMeasure(at([2, 1, 2]), 3)).toEqual({ severity: null, fit: 'flat' });
    // The weakest effect at an end, the strongest in the middle: beyond the weakest.
    expect(calibrateMeasure(at([1, 3, 2]), 0.5)).toEqual({ severity: null, fit: 'flat' });
  });

  it("puts a throttled instance's wait before its server spans under a CPU quota, and changes nothing without a hog", async () => {
    const cpuFault = { type: 'cpu-saturation', target: { service: 'orders', instance: 1 }, start: '4m', duration: '3m', severity: 0.8 };
    const methods = await resolveMethods({ detectors: [], rca: ['count'] });
    const effectOf = async (name: string, extra: object) => {
      const file = path.join(tmp, `${name}.yaml`);
      fs.writeFileSync(file, stringify({ ...SOURCE, duration: '8m', ...extra }));
      const r = await evaluateScenarioItem({ key: `${name}@1`, scenario: file, seed: 1, generatorSeed: 1 }, methods, { scratch: path.join(tmp, 'items') });
      return r.faultEffects![0]!;
    };
    const fluid = await effectOf('fluid', { callsFrom: 'spans', faults: [cpuFault] });
    const quota = await effectOf('quota', { callsFrom: 'spans', cpuQuota: { periodMs: 100 }, faults: [cpuFault] });
    // Without a quota the hog slows only the work inside the spans: the callers wait no longer beyond them.
    expect(fluid.gap!).toBeLessThan(1.5);
    // With one, 68% of each 100 ms period is throttled: a request waits with probability 0.68, up to
    // 68 ms, a median wait of 18 ms against a gap of 8 bus legs of 0.5 ms.
    expect(quota.gap!).toBeGreaterThan(4);
    expect(quota.self!).toBeGreaterThan(2.5);
    // The message log's times are the sidecars': there the wait is the callee's, not a gap.
    const sidecars = await effectOf('quota-log', { cpuQuota: { periodMs: 100 }, faults: [cpuFault] });
    expect(sidecars.gap!).toBeLessThan(1.5);
    expect(sidecars.latency!).toBeGreaterThan(quota.latency! * 1.5);
    // No hog, no throttling: the quota alone changes no byte of the exported spans.
    const spansOf = async (name: string, extra: object) => {
      const file = path.join(tmp, `${name}.yaml`);
      fs.writeFileSync(file, stringify({ ...SOURCE, duration: '3m', ...extra }));
      await generate({ scenario: file, seed: 4, out: path.join(tmp, name), logs: false, metrics: false, export: { spans: 'csv' } });
      return fs.readFileSync(path.join(tmp, name, 'spans.csv'));
    };
    expect((await spansOf('no-quota', {})).equals(await spansOf('idle-quota', { cpuQuota: { periodMs: 100 } }))).toBe(true);
  }, 60_000);

  it('says when the two sides judge their incidents over windows of different lengths', () => {
    const withFaults = (base: ItemResult, minutes: number[]): ItemResult => ({
      ...base,
      faults: minutes.map((m, i) => ({ id: `i${i}`, type: 'exception', start: 60_000, end: 60_000 + m * 60_000, rootCause: ['x'], tags: [], moved: [] })),
    });
    const sim = [withFaults(item('s', 'code-exception', { a: [1, 2], b: [2, 2] }), [10, 10, 20])];
    const real = [withFaults(item('r', 'exception', { a: [1, 1], b: [2, 3] }), [3, 3])];
    const longer = compareRuns(sim, real, { sim: 's', real: 'r', resamples: 50 });
    expect(longer.windows).toEqual({ sim: { medianMs: 600_000, incidents: 3 }, real: { medianMs: 180_000, incidents: 2 }, factor: 3.333 });
    expect(renderFidelity(longer)).toContain('The simulated incidents are judged over 10 min windows, the real ones over 3 min (medians)');
    expect(renderFidelity(longer)).toContain('--fault-duration 3m');
    // Shorter than the real window beyond the tolerance warns as well.
    const shorter = compareRuns([withFaults(sim[0]!, [1, 1])], real, { sim: 's', real: 'r', resamples: 50 });
    expect(shorter.windows.factor).toBe(0.3333);
    expect(renderFidelity(shorter)).toContain('The simulated incidents are judged over 1 min windows, the real ones over 3 min (medians)');
    // The duration it names matches the real window exactly, also below a minute's grain.
    const ninety = compareRuns([withFaults(sim[0]!, [2])], [withFaults(real[0]!, [1.5])], { sim: 's', real: 'r', resamples: 50 });
    expect(renderFidelity(ninety)).toContain('--fault-duration 90s');
    // Within a factor of 1.25 the windows are the same protocol: a plain line, no warning.
    const same = compareRuns([withFaults(sim[0]!, [3.5])], real, { sim: 's', real: 'r', resamples: 50 });
    expect(renderFidelity(same)).toContain('Both sides judge their incidents over windows of about 3 min (median).');
    expect(renderFidelity(same)).not.toContain('--fault-duration');
    // Without faults on a side, or with incidents of no length, there is nothing to compare.
    expect(compareRuns([item('s', 'code-exception', { a: [1] })], real, { sim: 's', real: 'r', resamples: 50 }).windows.factor).toBeNull();
    const points = compareRuns(sim, [withFaults(real[0]!, [0])], { sim: 's', real: 'r', resamples: 50 });
    expect(points.windows.factor).toBeNull();
    expect(renderFidelity(points)).not.toMatch(/judge their incidents|judged over/);
  });

  it('pools several simulated runs, gives the agreement per sweep seed, and refuses a run or an item given twice', async () => {
    const config: RunConfig = { suite: null, title: 't', scenarios: [], seeds: [], duration: null, trafficScale: null, detectors: [], rca: [], mttr: DEFAULT_MTTR_MODEL, minAc1: null, sweep: [] };
    const runOf = (name: string, items: ItemResult[]) => {
      const dir = path.join(tmp, 'pool', name);
      fs.mkdirSync(dir, { recursive: true });
      writeResultsFile(dir, { schema: 'faultline/results', version: 1, config: { ...config, sweep: items.map((i) => i.key) }, shard: null, items });
      return dir;
    };
    // Two seeds of one sweep, pooled: their four incidents as one simulated side. Seed 1 ranks the
    // methods as the real run does, seed 2 the other way round.
    const a = runOf('seeds-1', [{ ...item('s@1', 'code-exception', { count: [1, 3], ochiai: [2, 2] }), seed: 1 }]);
    const b = runOf('seeds-2', [{ ...item('s@2', 'code-exception', { count: [2, 2], ochiai: [1, 1] }), seed: 2 }]);
    const real = runOf('real', [item('r', 'exception', { count: [1, 1], ochiai: [2, 2] })]);
    const pooled = await fidelity({ sim: [a, b], real, out: path.join(tmp, 'pool', 'fid'), resamples: 50 });
    const all = pooled.rca.find((x) => x.figure === 'ac1' && x.type === 'all')!;
    expect(all.simIncidents).toBe(4);
    expect(all.methods.map((m) => [m.name, m.sim])).toEqual([['count', 0.25], ['ochiai', 0.5]]);
    expect(pooled.bySeed[0]).toEqual({ figure: 'ac1', seeds: [{ seed: 1, tau: 1, simIncidents: 2 }, { seed: 2, tau: -1, simIncidents: 2 }], min: -1, max: 1 });
    // Avg@5 from the same ranks: on seed 1 count (ranks 1 and 3: 0.8) ties ochiai (0.8), no order to compare
    // (null in JSON), and the range is over the seeds that have one; on seed 2 count falls below ochiai.
    expect(pooled.bySeed[1]).toEqual({ figure: 'avg5', seeds: [{ seed: 1, tau: NaN, simIncidents: 2 }, { seed: 2, tau: -1, simIncidents: 2 }], min: -1, max: -1 });
    expect(renderFidelity(pooled)).toContain('Each sweep seed&#39;s items alone against the real ones give Kendall tau AC@1 -1.00 to 1.00');
    // A run of seed 1 with a fault type the real side lacks: its incident joins no figure, per seed either.
    const cpu = runOf('seeds-1-cpu', [{ ...item('c@1', 'cpu-saturation', { count: [1], ochiai: [2] }), seed: 1 }]);
    const unshared = await fidelity({ sim: [a, b, cpu], real, out: path.join(tmp, 'pool', 'fid-cpu'), resamples: 50 });
    expect(unshared.rca.find((x) => x.figure === 'ac1' && x.type === 'all')!.simIncidents).toBe(4);
    expect(unshared.bySeed.map((x) => x.seeds.map((y) => y.simIncidents))).toEqual([
      [2, 2],
      [2, 2],
    ]);
    // The count of seeds, not of figures.
    const seedRows = (taus: number[]) => taus.map((tau, k) => ({ seed: k + 1, tau, simIncidents: 2 }));
    expect(seedSentence([{ figure: 'ac1', seeds: seedRows([1, -1, 0.5]), min: -1, max: 1 }, { figure: 'avg5', seeds: seedRows([0, -1, 0.5]), min: -1, max: 0.5 }])).toMatch(
      /^Each sweep seed's items alone against the real ones give Kendall tau AC@1 -1\.00 to 1\.00, Avg@5 -1\.00 to 0\.50 \(3 seeds\): /,
    );
    // One seed: nothing per seed.
    expect(compareRuns([{ ...item('s@1', 'code-exception', { count: [1] }), seed: 1 }], [item('r', 'exception', { count: [1] })], { sim: 's', real: 'r', resamples: 50 }).bySeed).toEqual([]);
    expect(pooled.sim).toBe(`${path.resolve(a)}, ${path.resolve(b)}`);
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'pool', 'fid', 'fidelity.json'), 'utf8')).sim).toBe(pooled.sim);
    await expect(fidelity({ sim: [a, path.join(a, 'results.json')], real, out: path.join(tmp, 'pool', 'twice'), resamples: 50 })).rejects.toThrow(`--sim ${path.join(a, 'results.json')}: the same results as --sim ${a}; give each run once`);
    // Another run of the same item (the same sweep and seed again): its incidents would be taken for the first run's.
    const again = runOf('seeds-1-again', [{ ...item('s@1', 'code-exception', { count: [2, 2], ochiai: [1, 1] }), seed: 1 }]);
    await expect(fidelity({ sim: [a, again], real, out: path.join(tmp, 'pool', 'again'), resamples: 50 })).rejects.toThrow(`--sim ${again}: item s@1 is also in --sim ${a}; pool runs of other seeds or scenarios`);
  });

  it('escapes what the runs hold in fidelity.html', () => {
    const sim = [item('s', 'code-exception', { '<script>alert(1)</script>': [1, 2], b: [2, 2] })];
    const real = [item('r', 'exception', { '<script>alert(1)</script>': [1, 1], b: [2, 3] })];
    const html = renderFidelity(compareRuns(sim, real, { sim: 'a"<b>', real: 'r', resamples: 50 }));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('a&quot;&lt;b&gt;');
    expect(html).toMatch(/Kendall tau/);
  });
});

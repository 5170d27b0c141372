import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { definePlugin } from '../../common/plugin.js';
import { z } from 'zod';
import { rankIncidents } from '../../rca/evaluate.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';
import { edgeGaps } from '../../rca/signals/edge-latency.js';
import { metricChanges } from '../../rca/signals/metric-change.js';
import { indexSpans } from '../../rca/span-stats.js';
import { LogTemplateMiner } from '../../data/log-templates.js';
import { emptySpanTable } from '../../data/span-table.js';
import type { Incident, SpanTable } from '../../data/types.js';
import type { RcaInput, RcaReference } from '../../rca/types.js';
import { ledgerAccountLines, logTable, metricTable, TraceBuilder, type CallSpec } from './telemetry.js';

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;
const FAULT = T0 + 30 * MIN;
const END = T0 + 40 * MIN;
const incident: Incident = { id: 'i', start: FAULT, end: END, rootCause: [], type: 'test' };

interface Fault {
  /** Extra ms on each hop of the matching links: from one service, to one, or touching one (either end). */
  hops?: { from?: string; to?: string; touching?: string; ms: number };
}

function delayed(f: Fault, from: string, to: string): boolean {
  const h = f.hops;
  if (!h) return false;
  if (h.touching !== undefined) return from === h.touching || to === h.touching;
  return (h.from === undefined || h.from === from) && (h.to === undefined || h.to === to);
}

/** A trace every 2 s for 40 min: gateway -> account -> (ledger, risk), or gateway -> fx -> rates; the fault from minute 30. */
function traffic(fault: Fault, seed: string): { merged: SpanTable; split: SpanTable } {
  const rng = seedrandom.alea(seed);
  const j = (ms: number) => ms * (0.7 + 0.6 * rng());
  const b = new TraceBuilder();
  for (let k = 0; k < 1200; k++) {
    const at = T0 + k * 2000;
    const on = at >= FAULT;
    const hop = (from: string, to: string) => j(1) + (on && delayed(fault, from, to) ? fault.hops!.ms : 0);
    const call = (from: string, to: string, work: number, children: CallSpec[] = []): CallSpec => ({ service: to, work: j(work), hop: hop(from, to), children });
    const root: CallSpec =
      k % 2 === 0
        ? { service: 'gateway', work: j(2), children: [call('gateway', 'account', 4, [call('account', 'ledger', 6), call('account', 'risk', 3)])] }
        : { service: 'gateway', work: j(2), children: [call('gateway', 'fx', 3, [call('fx', 'rates', 2)])] };
    b.add(`t${k}`, at, root);
  }
  return b.tables();
}

async function top(method: string, spans: SpanTable, opts: Parameters<typeof rankIncidents>[3] = {}): Promise<string[]> {
  const [r] = await rankIncidents(await resolveRcaAlgorithm(method), spans, [incident], opts);
  return r.candidates.map((c) => c.service);
}

describe('edge latency', () => {
  it('measures each call\'s gap: client minus server time where the callee\'s view is known, else a client span minus its server span', () => {
    const { merged, split } = traffic({}, 'gaps');
    for (const t of [merged, split]) {
      const g = edgeGaps(t, indexSpans(t));
      const known = Array.from(g.gap).filter((x) => x === x);
      // Every call has a gap of its two hops, 0.7-1.3 ms each; split, the roots have no client span.
      expect(known.length).toBe(t === merged ? 4200 : 3000);
      expect(Math.min(...known)).toBeGreaterThanOrEqual(1.4 - 1e-9);
      expect(Math.max(...known)).toBeLessThanOrEqual(2.6 + 1e-9);
    }
  });

  it('blames the callee of a slow link, where self-time blames the caller that waits on it', async () => {
    const { merged, split } = traffic({ hops: { from: 'account', to: 'ledger', ms: 40 } }, 'link');
    for (const spans of [merged, split]) expect((await top('edge-latency', spans))[0]).toBe('ledger');
    // With client and server spans apart, the gap is the client span's self-time: on the caller.
    expect((await top('deepest-abnormal', split))[0]).toBe('account');
  });

  it('judges the calls into an instance per incoming edge: one slow link of many callers is not diluted by the others', async () => {
    // ledger serves account in one trace of eight and fx in the rest; the account -> ledger link slows,
    // while fx's own work is slow on a quarter of its calls (a weaker, pooled-looking competitor).
    const rng = seedrandom.alea('one-link');
    const j = (ms: number) => ms * (0.7 + 0.6 * rng());
    const b = new TraceBuilder();
    for (let k = 0; k < 1200; k++) {
      const at = T0 + k * 2000;
      const on = at >= FAULT;
      const root: CallSpec =
        k % 8 === 0
          ? { service: 'gateway', work: j(2), children: [{ service: 'account', work: j(4), hop: j(1), children: [{ service: 'ledger', work: j(6), hop: j(1) + (on ? 40 : 0) }] }] }
          : { service: 'gateway', work: j(2), children: [{ service: 'fx', work: j(3) * (on && k % 4 === 1 ? 20 : 1), hop: j(1), children: [{ service: 'ledger', work: j(6), hop: j(1) }] }] };
      b.add(`t${k}`, at, root);
    }
    const ranked = (await rankIncidents(await resolveRcaAlgorithm('edge-latency'), b.tables().merged, [incident]))[0]!.candidates;
    expect(ranked[0]!.service).toBe('ledger');
    expect(ranked[0]!.explanation).toMatch(/^abnormal gaps on (9\d|100)% of the calls into it on its worst incoming edge/);
  });

  it('blames an instance whose every link in and out is slow (a delay on its network interface)', async () => {
    const { merged, split } = traffic({ hops: { touching: 'account', ms: 25 } }, 'pod');
    for (const spans of [merged, split]) expect((await top('edge-latency', spans))[0]).toBe('account');
  });
});

describe('metric change points', () => {
  it('scores the window against the reference robustly, and floors a flat reference at the metric\'s typical size', () => {
    const flat = Array.from({ length: 40 }, (_, k) => (k < 30 ? 50 : 50.5));
    const jump = Array.from({ length: 40 }, (_, k) => (k < 30 ? 20 + (k % 3) : 80));
    const t = metricTable(T0, { 'a-1': { cpu: flat }, 'b-1': { cpu: jump } });
    const changes = metricChanges(t, incident);
    const a = changes.find((c) => c.instance === 'a-1')!;
    const b = changes.find((c) => c.instance === 'b-1')!;
    expect(b.z).toBeGreaterThan(20);
    expect(b).toMatchObject({ direction: 1, threeSigma: true, referencePoints: 30, windowPoints: 10 });
    // 0.5 on a flat 50: the scale floor is 5% of the typical level (~35 across a and b), so under one scale.
    expect(a.z).toBeLessThan(1);
  });

  it('ranks the instance whose metrics moved (baro, simple-rules) and leaves the spans as they are', async () => {
    const { merged } = traffic({}, 'metrics');
    const noisy = (base: number, k: number) => base * (1 + 0.05 * Math.sin(k * 1.7));
    const series = (jumpAt: number) => Array.from({ length: 40 }, (_, k) => (k >= jumpAt ? 95 : noisy(30, k)));
    const metrics = metricTable(T0, { 'gateway-1': { cpu: series(99) }, 'account-1': { cpu: series(99) }, 'rates-1': { cpu: series(30) }, 'risk-1': { cpu: series(99) } });
    for (const m of ['baro', 'simple-rules']) expect([m, (await top(m, merged, { metrics }))[0]]).toEqual([m, 'rates']);
  });

  it('attaches the metric move behind the top candidate as its evidence (baro, simple-rules)', async () => {
    const { merged } = traffic({}, 'metrics');
    const noisy = (base: number, k: number) => base * (1 + 0.05 * Math.sin(k * 1.7));
    const series = (jumpAt: number) => Array.from({ length: 40 }, (_, k) => (k >= jumpAt ? 95 : noisy(30, k)));
    const metrics = metricTable(T0, { 'gateway-1': { cpu: series(99) }, 'rates-1': { cpu: series(30) } });
    const first = async (m: string) => (await rankIncidents(await resolveRcaAlgorithm(m), merged, [incident], { metrics }))[0]!.candidates[0]!;
    const baro = await first('baro');
    expect(baro.evidence).toEqual([{ kind: 'metric', subject: 'rates-1 metric cpu up', value: baro.score, unit: 'robust scales from its reference median' }]);
    const rules = (await first('simple-rules')).evidence!;
    expect(rules.find((x) => x.kind === 'metric')).toEqual({ kind: 'metric', subject: 'rates-1', value: 1, unit: 'metrics beyond 3 sigma', note: 'of 1 metrics' });
    expect(rules.find((x) => x.kind === 'calls')!.unit).toMatch(/^operations with P95 beyond \d+(\.\d+)?x baseline$/);
  });
  it("baro's auto scale is RCAEval's IQR without spans and the floored scale with them", async () => {
    // a-1 sits at exactly 50 in its reference: IQR leaves a constant series out, the floor (5% of
    // its typical size) judges its move to 60.
    const flat = Array.from({ length: 40 }, (_, k) => (k < 30 ? 50 : 60));
    const moving = Array.from({ length: 40 }, (_, k) => 40 + (k % 5) + (k >= 30 ? 1 : 0));
    const metrics = metricTable(T0, { 'a-1': { cpu: flat }, 'b-1': { cpu: moving } });
    const ranked = async (spans: SpanTable, scale: string) =>
      (await rankIncidents(await resolveRcaAlgorithm(`baro:scale=${scale}`), spans, [incident], { metrics }))[0]!.candidates.map((c) => c.instance);
    const none = emptySpanTable();
    expect(await ranked(none, 'auto')).toEqual(await ranked(none, 'iqr'));
    expect(await ranked(none, 'iqr')).not.toContain('a-1');
    const { merged } = traffic({}, 'metrics');
    expect(await ranked(merged, 'auto')).toEqual(await ranked(merged, 'floored'));
    expect((await ranked(merged, 'floored'))[0]).toBe('a-1');
  });
});

describe('logs beside traces', () => {
  /** From the fault on, ledger writes a new error and account one about ledger. */
  const faultLines = (spans: SpanTable) =>
    ledgerAccountLines(spans, (svc, start, i) =>
      start < FAULT
        ? undefined
        : svc === 'ledger'
          ? { level: 'error', message: `ledger posting failed for account ${i}: constraint violated` }
          : { level: 'error', message: `account call to ledger returned an error for ${i}`, after: 0.5 },
    );

  it('finds the service whose error template is new, and discounts its callers\' errors about it', async () => {
    const { merged } = traffic({}, 'logs');
    const miner = new LogTemplateMiner();
    const logs = logTable(faultLines(merged), miner);
    const [r] = await rankIncidents(await resolveRcaAlgorithm('pattern-contrast'), merged, [incident], { logs });
    expect(r.candidates[0].service).toBe('ledger');
    expect(r.candidates[0].explanation).toMatch(/error template "ledger posting failed/);
    const account = r.candidates.find((c) => c.service === 'account')!;
    expect(account.score).toBeLessThan(r.candidates[0].score / 2);
    expect((await top('simple-rules', merged, { logs }))[0]).toMatch(/ledger|account/);
  });

  it('without logs or metrics, the methods that use them still rank from the spans alone', async () => {
    const { merged } = traffic({}, 'bare');
    for (const m of ['simple-rules', 'baro', 'pattern-contrast', 'edge-latency']) {
      const [r] = await rankIncidents(await resolveRcaAlgorithm(m), merged, [incident]);
      expect(r.candidates.every((c) => Number.isFinite(c.score))).toBe(true);
    }
  });
});

describe('rankIncidents with metrics and logs', () => {
  it('fits once on the reference, then hands each incident its window: its lines, the reference lines, and metrics without other incidents', async () => {
    const { merged } = traffic({}, 'slices');
    const first: Incident = { id: 'a', start: T0 + 10 * MIN, end: T0 + 12 * MIN, rootCause: [] };
    const second: Incident = { id: 'b', start: T0 + 20 * MIN, end: T0 + 22 * MIN, rootCause: [] };
    const miner = new LogTemplateMiner();
    const logs = logTable(Array.from({ length: 40 }, (_, k) => ({ time: T0 + k * MIN + 1, instance: 'account-1', level: 'info' as const, message: `tick ${k}` })), miner);
    const metrics = metricTable(T0, { 'account-1': { cpu: Array.from({ length: 40 }, (_, k) => k) } });
    const fits: RcaReference[] = [];
    const inputs: RcaInput[] = [];
    const spy = definePlugin({
      name: 'spy',
      description: 'records its inputs',
      options: z.strictObject({}),
      needs: ['spans'],
      create: () => ({ fit: (r: RcaReference) => void fits.push(r), rank: (input: RcaInput) => (inputs.push(input), []) }),
    });
    const method = { spec: 'spy', name: 'spy', plugin: spy, options: {}, create: () => spy.create({}), close: async () => {} };
    await rankIncidents(method, merged, [first, second], { logs, metrics, metricLookbackMs: 15 * MIN, localBaselineMs: 5 * MIN });
    expect(fits.length).toBe(1);
    expect(fits[0].logs!.length).toBe(10); // the lines before the first incident
    const minutes = (t: { time: Float64Array }) => Array.from(t.time, (x) => Math.round((x - T0) / MIN));
    expect(minutes(inputs[1].logs!)).toEqual([20, 21]);
    // Reference lines: those before the first incident, then the 5 minutes before this one (after the first ended).
    expect(minutes(inputs[1].baselineLogs!)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 18, 19]);
    // Metrics from 15 minutes before to the end, without the first incident's minutes.
    expect(minutes(inputs[1].metrics!)).toEqual([5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
    expect(inputs[1].spans.length).toBeGreaterThan(0);
  });
});

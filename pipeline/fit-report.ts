/**
 * fit-report.json: how well a fitted twin reproduces the telemetry it was fitted on. The twin is
 * generated (spans exported as a client and a server span per call, as instrumented services record
 * them) and read back through the same loader and call view as the real spans, then compared:
 * call-graph edges (Jaccard), per-operation p50 and p95 latency (each real figure with its
 * sampling interval, so that a miss the real data cannot tell from chance is told apart), the
 * transaction mix, and the error rate per service. The targets are those of docs/twin.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BadRows } from '../common/bad-rows.js';
import { buildCallView, type CallView } from '../data/call-view.js';
import { loadSpans } from '../data/inputs.js';
import { SPAN_STATUS, type SpanTable } from '../data/types.js';
import { generate } from '../sim/generate.js';
import type { ScenarioFile } from '../sim/scenario-schema.js';
import { writeFile } from 'node:fs/promises';
import type { FitEstimates } from './fit.js';
import { quantileSorted } from '../common/quantile.js';
import { quantileInterval, type SamplingInterval } from '../detectors/stats.js';
import { metricNoise, type MetricNoise } from './fit-metrics.js';
import { readMetricFrame } from '../sim/read.js';
import { DATA_SET_FILES } from '../sim/formats.js';
import type { OperationFigures } from '../reports/fit-html.js';

/** Error rate per service: within errorPointsWithin (absolute) or errorRelativeWithin of the real rate, whichever is larger. */
export const FIT_TARGETS = { edgeJaccard: 0.95, latencyWithin: 0.15, mixWithin: 0.05, errorPointsWithin: 0.01, errorRelativeWithin: 0.2 } as const;
/** Operations with fewer calls on either side are listed but not scored: their quantiles are noise. */
export const MIN_SCORED_CALLS = 20;

export interface OperationFit extends OperationFigures {
  /**
   * 95% distribution-free intervals of the real p50 and p95 (detectors/stats.ts quantileInterval;
   * null ends: too few calls for that tail): how far the real figure itself could be from its
   * system's with this many calls.
   */
  realP50Interval: SamplingInterval;
  realP95Interval: SamplingInterval;
  /** Whether the twin's p50 and p95 lie inside those intervals (null: no twin calls, or no bound at all). */
  p50InSampling: boolean | null;
  p95InSampling: boolean | null;
}

export interface FitReport {
  schema: 'faultline/fit-report';
  version: 1;
  targets: typeof FIT_TARGETS;
  estimates: FitEstimates;
  twin: { seed: number; duration: string; calls: number; traces: number };
  edges: { real: number; twin: number; shared: number; jaccard: number; serviceJaccard: number; onlyReal: string[]; onlyTwin: string[]; met: boolean };
  /**
   * p50Within and p95Within: shares of the scored operations within FIT_TARGETS.latencyWithin, the
   * target; p50InSampling and p95InSampling: shares whose twin figure lies inside the real one's
   * sampling interval, which says whether a miss is larger than the real data can tell apart.
   */
  latency: { scored: number; p50Within: number; p95Within: number; p50InSampling: number; p95InSampling: number; met: boolean; operations: OperationFit[] };
  mix: { maxDifference: number; met: boolean; types: { type: string; real: number; twin: number }[] };
  errors: { service: string; real: number | null; twin: number | null }[];
  /**
   * Per request metric of the system's (with the twin's `requests` family): its minute-to-minute
   * noise over the minutes of the spans and its counterpart's on the twin over the twin's run.
   * Null without request metrics.
   */
  metricNoise: { metric: string; kind: string; twinMetric: string | null; real: MetricNoise; twin: MetricNoise | null }[] | null;
}

interface Side {
  v: CallView;
  /** Twin name of a service string id. */
  service: (id: number) => string;
}

const opKey = (x: Side, c: number) => `${x.service(x.v.service[c]!)} ${x.v.table.strings[x.v.operation[c]!]}`;

function edges(x: Side): { ops: Set<string>; services: Set<string> } {
  const ops = new Set<string>();
  const services = new Set<string>();
  for (let c = 0; c < x.v.length; c++) {
    const p = x.v.parent[c]!;
    if (p < 0) continue;
    ops.add(`${opKey(x, p)} -> ${opKey(x, c)}`);
    services.add(`${x.service(x.v.service[p]!)} -> ${x.service(x.v.service[c]!)}`);
  }
  return { ops, services };
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const x of a) if (b.has(x)) shared++;
  const union = a.size + b.size - shared;
  return union ? shared / union : 1;
}

function latencies(x: Side): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (let c = 0; c < x.v.length; c++) {
    const k = opKey(x, c);
    let l = out.get(k);
    if (!l) out.set(k, (l = []));
    l.push(x.v.end[c]! - x.v.start[c]!);
  }
  for (const l of out.values()) l.sort((a, b) => a - b);
  return out;
}

/** Share of roots per transaction type (root operation + its first call), as fit.ts types them. */
function mix(x: Side): Map<string, number> {
  const counts = new Map<string, number>();
  let n = 0;
  for (let c = 0; c < x.v.length; c++) {
    if (x.v.parent[c]! >= 0) continue;
    const first = x.v.firstChild[c + 1]! > x.v.firstChild[c]! ? x.v.childList[x.v.firstChild[c]!]! : -1;
    const k = `${opKey(x, c)}${first >= 0 ? ` | ${opKey(x, first)}` : ''}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    n++;
  }
  for (const [k, c] of counts) counts.set(k, c / n);
  return counts;
}

function errorRates(x: Side): Map<string, number | null> {
  const known = new Map<string, [number, number]>();
  for (let c = 0; c < x.v.length; c++) {
    const s = x.service(x.v.service[c]!);
    const cell = known.get(s) ?? [0, 0];
    if (x.v.status[c] !== SPAN_STATUS.unknown) {
      cell[0]++;
      if (x.v.status[c] === SPAN_STATUS.system) cell[1]++;
    }
    known.set(s, cell);
  }
  return new Map([...known].map(([s, [k, e]]) => [s, k ? e / k : null]));
}

const r4 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)) : x);
const roundInterval = (i: SamplingInterval): SamplingInterval => ({ low: i.low === null ? null : r4(i.low), high: i.high === null ? null : r4(i.high) });
/** Whether x lies in the interval, an unbounded (null) end taking everything on its side; null where nothing bounds it or there is no x. */
const inside = (x: number, i: SamplingInterval): boolean | null => {
  if (Number.isNaN(x) || (i.low === null && i.high === null)) return null;
  return (i.low === null || x >= i.low) && (i.high === null || x <= i.high);
};

/** Compares the real calls with the twin's (both as span tables). */
export function compareTwin(real: SpanTable, twin: SpanTable, estimates: FitEstimates): Omit<FitReport, 'schema' | 'version' | 'targets' | 'estimates' | 'twin' | 'metricNoise'> {
  const names = new Map(Object.entries(estimates.serviceNames));
  const r: Side = { v: buildCallView(real), service: (id) => names.get(real.strings[id]!) ?? real.strings[id]! };
  const t: Side = { v: buildCallView(twin), service: (id) => twin.strings[id]! };
  const re = edges(r);
  const te = edges(t);
  let shared = 0;
  for (const e of re.ops) if (te.ops.has(e)) shared++;
  const edgeJaccard = jaccard(re.ops, te.ops);

  const rl = latencies(r);
  const tl = latencies(t);
  const operations: OperationFit[] = [];
  for (const [op, real] of [...rl].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const tw = tl.get(op) ?? [];
    const scored = real.length >= MIN_SCORED_CALLS && tw.length >= MIN_SCORED_CALLS;
    const i50 = quantileInterval(real, 0.5);
    const i95 = quantileInterval(real, 0.95);
    const [real50, real95] = [quantileSorted(real, 0.5), quantileSorted(real, 0.95)];
    const [twin50, twin95] = tw.length ? [quantileSorted(tw, 0.5), quantileSorted(tw, 0.95)] : [NaN, NaN];
    const f: OperationFit = {
      operation: op,
      realCalls: real.length,
      twinCalls: tw.length,
      realP50: r4(real50),
      twinP50: r4(twin50),
      realP95: r4(real95),
      twinP95: r4(twin95),
      p50Error: r4(Math.abs(twin50 - real50) / real50),
      p95Error: r4(Math.abs(twin95 - real95) / real95),
      realP50Interval: roundInterval(i50),
      realP95Interval: roundInterval(i95),
      p50InSampling: inside(twin50, i50),
      p95InSampling: inside(twin95, i95),
      scored,
    };
    operations.push(f);
  }
  const scoredOps = operations.filter((o) => o.scored);
  const share = (holds: (o: OperationFit) => boolean) => (scoredOps.length ? scoredOps.filter(holds).length / scoredOps.length : NaN);
  const within = (key: 'p50Error' | 'p95Error') => share((o) => o[key] <= FIT_TARGETS.latencyWithin);
  const inSampling = (key: 'p50InSampling' | 'p95InSampling') => share((o) => o[key] === true);

  const rm_ = mix(r);
  const tm = mix(t);
  const types = [...new Set([...rm_.keys(), ...tm.keys()])].sort().map((type) => ({ type, real: r4(rm_.get(type) ?? 0), twin: r4(tm.get(type) ?? 0) }));
  const maxDifference = types.reduce((m, x) => Math.max(m, Math.abs(x.real - x.twin)), 0);

  const rerr = errorRates(r);
  const terr = errorRates(t);
  const errors = [...new Set([...rerr.keys(), ...terr.keys()])].sort().map((service) => ({ service, real: rerr.get(service) ?? null, twin: terr.get(service) ?? null }));
  return {
    edges: {
      real: re.ops.size,
      twin: te.ops.size,
      shared,
      jaccard: r4(edgeJaccard),
      serviceJaccard: r4(jaccard(re.services, te.services)),
      onlyReal: [...re.ops].filter((e) => !te.ops.has(e)).sort(),
      onlyTwin: [...te.ops].filter((e) => !re.ops.has(e)).sort(),
      met: edgeJaccard >= FIT_TARGETS.edgeJaccard,
    },
    latency: {
      scored: scoredOps.length,
      p50Within: r4(within('p50Error')),
      p95Within: r4(within('p95Error')),
      p50InSampling: r4(inSampling('p50InSampling')),
      p95InSampling: r4(inSampling('p95InSampling')),
      met: scoredOps.length > 0 && scoredOps.every((o) => o.p50Error <= FIT_TARGETS.latencyWithin && o.p95Error <= FIT_TARGETS.latencyWithin),
      operations,
    },
    mix: { maxDifference: r4(maxDifference), met: maxDifference <= FIT_TARGETS.mixWithin, types },
    errors: errors.map((e) => ({ service: e.service, real: e.real === null ? null : r4(e.real), twin: e.twin === null ? null : r4(e.twin) })),
  };
}

/** Traces the twin is generated for at least, so that its side of the comparison is not noise. */
const MIN_TWIN_TRACES = 3000;

/** Generates the twin (spans exported) and compares it with the real spans it was fitted on. */
export async function fitReport(real: SpanTable, scenario: ScenarioFile, estimates: FitEstimates, opts: { seed?: number } = {}): Promise<FitReport> {
  const seed = opts.seed ?? 1;
  const rate = scenario.transactions.reduce((a, t) => a + t.rate, 0);
  const minutes = Math.min(24 * 60, Math.max(estimates.minutes, Math.ceil(MIN_TWIN_TRACES / Math.max(rate, 1e-9) / 60)));
  const duration = `${minutes}m`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'faultline-fit-'));
  try {
    const file = path.join(dir, 'twin.yaml');
    await writeFile(file, JSON.stringify(scenario));
    const out = path.join(dir, 'data');
    const requests = scenario.metricFamilies?.includes('requests') ?? false;
    await generate({ scenario: file, seed, out, duration, logs: false, metrics: requests, export: { spans: 'csv' } });
    const twin = await loadSpans([path.join(out, 'spans.csv')], { badRows: new BadRows('reject') });
    const compared = compareTwin(real, twin, estimates);
    let noise: FitReport['metricNoise'] = null;
    if (requests && estimates.metrics) {
      const frame = await readMetricFrame(path.join(out, DATA_SET_FILES.metrics));
      noise = estimates.metrics.requestMetrics.map((r) => ({
        metric: r.name,
        kind: r.kind,
        twinMetric: r.twin && frame.names.includes(r.twin) ? r.twin : null,
        real: r.real,
        twin: r.twin && frame.names.includes(r.twin) ? metricNoise(frame.time, frame.instance.codes, frame.values[r.twin]) : null,
      }));
    }
    const tv = buildCallView(twin);
    let traces = 0;
    for (let c = 0; c < tv.length; c++) if (tv.parent[c]! < 0) traces++;
    return { schema: 'faultline/fit-report', version: 1, targets: FIT_TARGETS, estimates, twin: { seed, duration, calls: tv.length, traces }, ...compared, metricNoise: noise };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

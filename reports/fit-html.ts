/**
 * The fit report (fit-report.json of `faultline fit`) as HTML: whether the twin reproduces the
 * telemetry it was fitted on, each figure against its bar with pass or fail. A section for the
 * fidelity page and a self-contained page of its own (no scripts, no external files); every string
 * from the data goes through escapeHtml.
 */
import type { SamplingInterval } from '../detectors/stats.js';
import { escapeHtml as e } from './escape.js';

/** What the section reads of fit-report.json (pipeline/fit-report.ts writes it). */
export interface FitFigures {
  targets: { edgeJaccard: number; latencyWithin: number; mixWithin: number; errorPointsWithin?: number; errorRelativeWithin?: number };
  twin: { seed: number; duration: string; calls: number; traces: number };
  estimates: { calls: number; traces: number; minutes: number };
  edges: { real: number; twin: number; shared: number; jaccard: number; serviceJaccard: number; onlyReal: string[]; onlyTwin: string[]; met: boolean };
  latency: {
    scored: number;
    p50Within: number;
    p95Within: number;
    /** Optional: a fit-report.json without them still renders. */
    p50InSampling?: number;
    p95InSampling?: number;
    met: boolean;
    operations: OperationFigures[];
  };
  mix: { maxDifference: number; met: boolean; types: { type: string; real: number; twin: number }[] };
  errors: { service: string; real: number | null; twin: number | null }[];
  metricNoise?: { metric: string; kind: string; twinMetric: string | null; real: NoiseFigures; twin: NoiseFigures | null }[] | null;
}

/** One operation's latency, real beside twin (pipeline/fit-report.ts OperationFit). */
export interface OperationFigures {
  operation: string;
  realCalls: number;
  twinCalls: number;
  realP50: number;
  twinP50: number;
  realP95: number;
  twinP95: number;
  /** |twin - real| / real of p50 and p95. */
  p50Error: number;
  p95Error: number;
  /** Optional: a fit-report.json without them still renders. */
  realP50Interval?: SamplingInterval;
  realP95Interval?: SamplingInterval;
  scored: boolean;
}

/** One request metric's minute-to-minute noise (pipeline/fit-metrics.ts MetricNoise). */
interface NoiseFigures {
  series: number;
  medianAbsLogRatio: number | null;
  over10xMedian: number | null;
  gaps: number | null;
}

/** Error-rate bars where the report's targets name none: within 1 point, or 20% of the real rate if larger. */
const ERROR_POINTS = 0.01;
const ERROR_RELATIVE = 0.2;

const num = (x: number | null | undefined, d = 3) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '–');
const pct = (x: number | null | undefined, d = 1) => (typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(d)}%` : '–');
const interval = (i: SamplingInterval | undefined) => (i ? `<br><small>${i.low === null ? '–∞' : num(i.low)} to ${i.high === null ? '∞' : num(i.high)}</small>` : '');
const points = (x: number) => `${+(x * 100).toFixed(2)} points`;
const mark = (ok: boolean | null) => (ok === null ? '<td>not scored</td>' : ok ? '<td class="pass">pass</td>' : '<td class="fail">fail</td>');

/** Whether a service's twin error rate is within its bar; null where either side has no status. */
export function errorRateMet(real: number | null, twin: number | null, targets: FitFigures['targets']): boolean | null {
  if (real === null || twin === null) return null;
  const bar = Math.max(targets.errorPointsWithin ?? ERROR_POINTS, (targets.errorRelativeWithin ?? ERROR_RELATIVE) * real);
  return Math.abs(twin - real) <= bar + 1e-12;
}

export const FIT_STYLE = '.pass{color:#2e7d32;font-weight:600}.fail{color:#c62828;font-weight:600}';

/** The fit figures with pass or fail against their bars. */
export function fitReportSection(r: FitFigures): string {
  const t = r.targets;
  const errors = r.errors.map((x) => ({ ...x, met: errorRateMet(x.real, x.twin, t) }));
  const errorsKnown = errors.filter((x) => x.met !== null);
  const errorsMet = errorsKnown.length ? errorsKnown.every((x) => x.met) : null;
  const errorBar = `within ${points(t.errorPointsWithin ?? ERROR_POINTS)} or ${pct(t.errorRelativeWithin ?? ERROR_RELATIVE, 0)} of the real rate`;
  const summary = [
    ['call-graph edges (operation level)', `Jaccard ${num(r.edges.jaccard, 2)} (${r.edges.shared} shared of ${r.edges.real} real, ${r.edges.twin} twin); services ${num(r.edges.serviceJaccard, 2)}`, `≥ ${t.edgeJaccard}`, r.edges.met],
    [
      'per-operation p50 and p95 latency',
      `p50 within on ${pct(r.latency.p50Within)}, p95 on ${pct(r.latency.p95Within)} of ${r.latency.scored} operations` +
        (r.latency.p50InSampling !== undefined ? `; inside the real figure's 95% sampling interval: p50 on ${pct(r.latency.p50InSampling)}, p95 on ${pct(r.latency.p95InSampling)}` : ''),
      `every operation within ${pct(t.latencyWithin, 0)}`,
      r.latency.scored ? r.latency.met : null,
    ],
    ['transaction mix', `largest difference ${points(r.mix.maxDifference)} over ${r.mix.types.length} types`, `within ${points(t.mixWithin)}`, r.mix.met],
    ['error rate per service', errorsKnown.length ? `${errorsKnown.filter((x) => x.met).length} of ${errorsKnown.length} services` : 'the spans carry no status', errorBar, errorsMet],
  ] as const;
  const head = `<table><tr><th>figure</th><th>measured</th><th>bar</th><th></th></tr>${summary.map(([what, got, bar, ok]) => `<tr><td>${e(what)}</td><td>${e(got)}</td><td>${e(bar)}</td>${mark(ok)}</tr>`).join('')}</table>`;
  const edgesOff = r.edges.onlyReal.length || r.edges.onlyTwin.length
    ? `<h3>Edges on one side only</h3><table><tr><th>side</th><th>edge</th></tr>${r.edges.onlyReal.map((x) => `<tr><td>real only</td><td>${e(x)}</td></tr>`).join('')}${r.edges.onlyTwin.map((x) => `<tr><td>twin only</td><td>${e(x)}</td></tr>`).join('')}</table>`
    : '';
  const ops = r.latency.operations
    .map((o) => {
      const ok = o.scored ? o.p50Error <= t.latencyWithin && o.p95Error <= t.latencyWithin : null;
      return `<tr><td>${e(o.operation)}</td><td>${o.realCalls}</td><td>${o.twinCalls}</td><td>${num(o.realP50)}${interval(o.realP50Interval)}</td><td>${num(o.twinP50)}</td><td>${pct(o.p50Error)}</td><td>${num(o.realP95)}${interval(o.realP95Interval)}</td><td>${num(o.twinP95)}</td><td>${pct(o.p95Error)}</td>${mark(ok)}</tr>`;
    })
    .join('');
  const mix = r.mix.types.map((x) => `<tr><td>${e(x.type)}</td><td>${pct(x.real, 2)}</td><td>${pct(x.twin, 2)}</td>${mark(Math.abs(x.real - x.twin) <= t.mixWithin)}</tr>`).join('');
  const noise = r.metricNoise?.length
    ? `<h3>Request metrics: noise per instance and minute</h3><p>Shown, not scored: how much a metric moves from one minute to the next (median |log ratio|), how often it jumps past 10 times its median, and how often it has no value. Where the real side jumps far more often, the system's exporter counts calls the twin does not make (the fit reads calls no trace shows from the client percentile's spikes: <code>untracedCalls</code> in the scenario) or computes it in a way the twin does not (e.g. from histogram buckets), and methods that read it may rank differently on the two.</p><table><tr><th>metric</th><th>kind</th><th>twin metric</th><th>median |log ratio|, real</th><th>twin</th><th>over 10× median, real</th><th>twin</th><th>no value, real</th><th>twin</th></tr>${r.metricNoise
        .map((m) => `<tr><td>${e(m.metric)}</td><td>${e(m.kind)}</td><td>${m.twinMetric === null ? '–' : e(m.twinMetric)}</td><td>${num(m.real.medianAbsLogRatio, 2)}</td><td>${num(m.twin?.medianAbsLogRatio, 2)}</td><td>${pct(m.real.over10xMedian)}</td><td>${pct(m.twin?.over10xMedian)}</td><td>${pct(m.real.gaps)}</td><td>${pct(m.twin?.gaps)}</td></tr>`)
        .join('')}</table>`
    : '';
  const errs = errors.map((x) => `<tr><td>${e(x.service)}</td><td>${pct(x.real, 2)}</td><td>${pct(x.twin, 2)}</td>${mark(x.met)}</tr>`).join('');
  return (
    `<h2>Does the twin reproduce what it was fitted on?</h2>` +
    `<p>Fitted on ${r.estimates.calls} calls in ${r.estimates.traces} traces (${r.estimates.minutes} minutes with data); the twin generated for ${e(r.twin.duration)} (seed ${r.twin.seed}: ${r.twin.calls} calls, ${r.twin.traces} traces) and read back through the same loader.</p>` +
    head +
    edgesOff +
    `<h3>Latency per operation (ms, client to reply)</h3><p>Operations with fewer than 20 calls on either side are listed, not scored. Under each real figure, its 95% sampling interval (distribution-free, from the order statistics; ∞ where the calls are too few for that tail): a twin figure inside it is as close as this many real calls can tell.</p><table><tr><th>operation</th><th>real calls</th><th>twin calls</th><th>real p50</th><th>twin p50</th><th>off</th><th>real p95</th><th>twin p95</th><th>off</th><th>within ${pct(t.latencyWithin, 0)}</th></tr>${ops}</table>` +
    `<h3>Transaction mix</h3><table><tr><th>type (root | first call)</th><th>real</th><th>twin</th><th>within ${points(t.mixWithin)}</th></tr>${mix}</table>` +
    `<h3>Error rate per service</h3><table><tr><th>service</th><th>real</th><th>twin</th><th>${e(errorBar)}</th></tr>${errs}</table>` +
    noise
  );
}

/** fit-report.html: the section as a page of its own. */
export function renderFitReport(r: FitFigures, source: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>faultline fit report</title><style>
body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}${FIT_STYLE}
</style></head><body><h1>Fit report</h1><p>Twin: <code>${e(source)}</code></p>${fitReportSection(r)}</body></html>\n`;
}

/**
 * The report's charts: Observable Plot rendered server-side into ONE shared document (svg-dom.ts,
 * the few DOM operations Plot performs, serialised as jsdom serialises them) as inline SVG (or a
 * <figure> when a legend is attached), so report.html needs no script and no network. Plot sets
 * user strings as text nodes, so serialisation escapes them.
 * Every axis says its unit (times in UTC); heatmaps carry a colour legend and their values in the
 * cells; bars are drawn only for defined values.
 */
import * as Plot from '@observablehq/plot';
import type { PairingSummary } from './summary-schema.js';
import type { FaultRecord, KpiCurve, LatencyHistogram } from '../scores/item-result.js';
import { LATENCY_EDGES_MS } from './latency.js';
import { SvgDocument } from './svg-dom.js';

let shared: SvgDocument | undefined;

function render(options: Plot.PlotOptions): string {
  shared ??= new SvgDocument();
  // Plot types its document option as a browser Document; it uses only what SvgDocument has.
  const node = Plot.plot({ ...options, document: shared as unknown as NonNullable<Plot.PlotOptions['document']> });
  return node.outerHTML;
}

const MINUTE = 60_000;
const PHASE_COLORS = { detect: '#e15759', identify: '#f28e2b', repair: '#4e79a7' };
const BAR = '#4e79a7';
const REFERENCE_BAR = '#bab0ac';

/** The unit of a faultline KPI series (`scope:name:kpi`), or none for other series. */
export function kpiUnit(series: string): string | null {
  const kpi = series.slice(series.lastIndexOf(':') + 1);
  switch (kpi) {
    case 'volume':
      return series.startsWith('txType:') ? 'transactions per minute' : 'calls per minute';
    case 'businessSuccessRate':
    case 'systemSuccessRate':
      return 'share';
    case 'avgLatency':
      return 'ms';
    default:
      return null;
  }
}

/**
 * A UTC time axis in 24-hour clock: within one day the label names the date and the ticks are
 * hours and minutes; across days each tick carries its date.
 */
export function utcTimeAxis(timestamps: ArrayLike<number>): { type: 'utc'; label: string; tickFormat: string } {
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  const first = timestamps.length ? day(timestamps[0]!) : null;
  const oneDay = first !== null && day(timestamps[timestamps.length - 1]!) === first;
  return oneDay ? { type: 'utc', label: `time (UTC, ${first}) →`, tickFormat: '%H:%M' } : { type: 'utc', label: 'time (UTC) →', tickFormat: '%m-%d %H:%M' };
}

/** A KPI series with its fault windows shaded and each detector's alarms as marks on the curve. */
export function kpiCurveChart(curve: KpiCurve, faults: FaultRecord[], legend: boolean): string {
  const points = curve.timestamps.map((t, i) => ({ t: new Date(t), v: curve.values[i] }));
  const windows = faults
    .filter((f) => curve.faultIds.includes(f.id))
    .map((f) => ({ x1: new Date(f.start), x2: new Date(f.end), label: `${f.id} ${f.type}` }));
  const alarms = curve.alarms.flatMap((a) => a.times.map((t, i) => ({ t: new Date(t), v: a.values[i] ?? null, detector: a.detector })));
  const unit = kpiUnit(curve.series);
  return render({
    width: 640,
    height: 170,
    marginLeft: 64,
    x: utcTimeAxis(curve.timestamps),
    y: { label: `↑ ${curve.series}${unit ? ` (${unit})` : ''}`, grid: true, nice: true },
    // A fixed domain keeps each detector's colour and symbol the same on every curve.
    color: { legend, domain: curve.alarms.map((a) => a.detector), label: 'alarms' },
    symbol: { domain: curve.alarms.map((a) => a.detector) },
    marks: [
      Plot.rect(windows, { x1: 'x1', x2: 'x2', fill: '#e15759', fillOpacity: 0.12, title: 'label' }),
      Plot.lineY(points, { x: 't', y: 'v', stroke: BAR, strokeWidth: 1.2 }),
      Plot.dot(
        alarms.filter((a) => a.v !== null),
        { x: 't', y: 'v', stroke: 'detector', r: 3.5, symbol: 'detector' },
      ),
    ],
  });
}

export interface BarRow {
  name: string;
  value: number | null;
  low?: number | null;
  high?: number | null;
  /** A reference floor: drawn in grey. */
  reference?: boolean;
}

/**
 * One figure per method as horizontal bars, in the given order, with the 95% interval as a
 * whisker where known. Methods whose figure is undefined keep their row but get no bar. Returns
 * '' when no method has a defined value.
 */
export function barChart(rows: BarRow[], opts: { label: string; digits: number; domain?: [number, number]; yLabel: string }): string {
  const data = rows.filter((r): r is BarRow & { value: number } => r.value !== null && Number.isFinite(r.value));
  if (data.length === 0) return '';
  const whiskers = data.filter((r) => r.low !== undefined && r.low !== null && r.high !== undefined && r.high !== null);
  return render({
    width: 420,
    height: 56 + 26 * Math.max(1, rows.length),
    marginLeft: 140,
    marginRight: 40,
    x: { label: opts.label, grid: true, nice: true, ...(opts.domain ? { domain: opts.domain } : {}) },
    y: { label: opts.yLabel, domain: rows.map((r) => r.name) },
    marks: [
      Plot.barX(data, {
        x: 'value',
        y: 'name',
        fill: (d: BarRow) => (d.reference ? REFERENCE_BAR : BAR),
        title: (d: BarRow & { value: number }) => `${d.name}: ${d.value.toFixed(opts.digits)}${d.low != null && d.high != null ? ` (95% CI ${d.low.toFixed(opts.digits)}–${d.high.toFixed(opts.digits)})` : ''}`,
      }),
      Plot.ruleY(whiskers, { x1: 'low', x2: 'high', y: 'name', stroke: '#222', strokeWidth: 1.2 }),
      Plot.tickX(whiskers, { x: 'low', y: 'name', stroke: '#222', inset: 7 }),
      Plot.tickX(whiskers, { x: 'high', y: 'name', stroke: '#222', inset: 7 }),
      Plot.text(data, { x: (d: BarRow & { value: number }) => Math.max(d.value, d.high ?? d.value), y: 'name', text: (d: BarRow & { value: number }) => d.value.toFixed(opts.digits), dx: 6, textAnchor: 'start', fontSize: 10 }),
      Plot.ruleX([0]),
    ],
  });
}

export interface HeatCell {
  type: string;
  method: string;
  /** The coloured value in [0, 1]. */
  value: number;
  /** What the cell says: the value and its count, e.g. "0.67 2/3". */
  text: string;
}

/**
 * A share per (fault type, method) as a heatmap: a fault type per row (a run may hold dozens, so
 * they grow the chart downwards, never past the page's width), a method per column, a five-step
 * colour legend, and the value with its count written in each cell (cells without a defined value
 * stay blank).
 */
export function heatmap(cells: HeatCell[], opts: { types: string[]; methods: string[]; methodLabel: string; legend: string }): string {
  if (cells.length === 0) return '';
  return render({
    width: Math.max(380, 150 + 72 * opts.methods.length),
    height: 150 + 24 * Math.max(1, opts.types.length),
    marginLeft: 140,
    marginBottom: 90,
    x: { domain: opts.methods, label: opts.methodLabel, tickRotate: -35 },
    y: { domain: opts.types, label: 'fault type' },
    color: { type: 'quantize', n: 5, domain: [0, 1], scheme: 'blues', legend: true, label: opts.legend },
    marks: [
      Plot.cell(cells, { x: 'method', y: 'type', fill: 'value', inset: 0.5, title: (d: HeatCell) => `${d.method}, ${d.type}: ${d.text}` }),
      // Light text on dark cells; constant fills, so the text does not go through the colour scale.
      ...[true, false].map((dark) =>
        Plot.text(
          cells.filter((d) => d.value > 0.6 === dark),
          { x: 'method', y: 'type', text: 'text', fill: dark ? 'white' : 'black', fontSize: 10 },
        ),
      ),
    ],
  });
}

/** AC@k for k = 1..5 per method: how the share found grows as an operator reads further down. */
export function acAtChart(rows: { name: string; acAt: (number | null)[]; reference?: boolean }[]): string {
  const data = rows.flatMap((r) => r.acAt.flatMap((v, k) => (v === null ? [] : [{ name: r.name, k: k + 1, v }])));
  if (data.length === 0) return '';
  return render({
    width: 420,
    height: 200,
    x: { label: 'k: candidates read (top k) →', domain: [1, 5], ticks: [1, 2, 3, 4, 5], tickFormat: 'd' },
    y: { label: '↑ AC@k (share of incidents)', domain: [0, 1], grid: true },
    color: { legend: true, domain: rows.map((r) => r.name), label: 'method' },
    marks: [Plot.lineY(data, { x: 'k', y: 'v', stroke: 'name', marker: 'circle' }), Plot.ruleY([0])],
  });
}

/**
 * MTTR per (detector, RCA) pairing, in the given order, stacked by phase (the phases add up, so
 * stacking is right here), with the 95% interval of the MTTR as a whisker where known.
 */
export function mttrChart(pairings: PairingSummary[]): string {
  if (pairings.every((p) => p.mttrMs === null)) return '';
  const rows = pairings.map((p) => `${p.detector} + ${p.rca}`);
  const data = pairings.flatMap((p, k) =>
    (['detect', 'identify', 'repair'] as const).map((phase) => ({
      pairing: rows[k],
      phase,
      minutes: (p[`${phase}Ms`] ?? 0) / MINUTE,
    })),
  );
  const whiskers = pairings.flatMap((p, k) => {
    const i = p.intervals?.mttrMs;
    return i && i.low !== null && i.high !== null ? [{ pairing: rows[k], low: i.low / MINUTE, high: i.high / MINUTE }] : [];
  });
  return render({
    width: 640,
    height: 60 + 22 * Math.max(1, pairings.length),
    marginLeft: 220,
    x: { label: 'mean time to repair (minutes, lower is better) →', grid: true },
    y: { label: 'detector + RCA method', domain: rows },
    color: { legend: true, domain: Object.keys(PHASE_COLORS), range: Object.values(PHASE_COLORS), label: 'phase' },
    marks: [
      Plot.barX(data, { x: 'minutes', y: 'pairing', fill: 'phase', title: (d: (typeof data)[number]) => `${d.pairing}, ${d.phase}: ${d.minutes.toFixed(1)} min` }),
      Plot.ruleY(whiskers, { x1: 'low', x2: 'high', y: 'pairing', stroke: '#222', strokeWidth: 1.2 }),
      Plot.tickX(whiskers, { x: 'low', y: 'pairing', stroke: '#222', inset: 6 }),
      Plot.tickX(whiskers, { x: 'high', y: 'pairing', stroke: '#222', inset: 6 }),
      Plot.ruleX([0]),
    ],
  });
}

/** Shares per latency bin of normal and under-fault transactions, overlaid (never stacked). */
function latencyShares(h: LatencyHistogram): { x1: number; x2: number; share: number; when: string }[] {
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const out: { x1: number; x2: number; share: number; when: string }[] = [];
  for (const [when, counts] of [['normal', h.normal], ['under fault', h.fault]] as const) {
    const n = total(counts);
    if (n === 0) continue;
    counts.forEach((c, b) => out.push({ x1: LATENCY_EDGES_MS[b]!, x2: LATENCY_EDGES_MS[b + 1]!, share: c / n, when }));
  }
  return out;
}

/**
 * Transaction latency distributions, normal against under fault, as two overlaid step outlines on
 * a log latency axis: `log` puts the share on a log axis too, where the timeout tail shows.
 * Returns '' when there is no transaction.
 */
export function latencyChart(h: LatencyHistogram, log: boolean): string {
  const data = latencyShares(h).filter((d) => !log || d.share > 0);
  if (data.length === 0) return '';
  const steps = data.flatMap((d) => [
    { x: d.x1, share: d.share, when: d.when },
    { x: d.x2, share: d.share, when: d.when },
  ]);
  return render({
    width: 420,
    height: 230,
    marginLeft: 56,
    x: { type: 'log', label: 'transaction latency (ms, log scale) →', domain: [LATENCY_EDGES_MS[0]!, LATENCY_EDGES_MS[LATENCY_EDGES_MS.length - 1]!] },
    y: log
      ? { type: 'log', label: '↑ share of transactions (%, log scale)', grid: true, ticks: 5, tickFormat: (d: number) => `${Number((d * 100).toPrecision(2))}%` }
      : { label: '↑ share of transactions (%)', grid: true, domain: [0, Math.max(...data.map((d) => d.share))], nice: true, tickFormat: '.0%' },
    color: { legend: true, domain: ['normal', 'under fault'], range: ['#4e79a7', '#e15759'], label: 'transactions' },
    marks: [
      ...(log ? [] : [Plot.rect(data, { x1: 'x1', x2: 'x2', y1: 0, y2: 'share', fill: 'when', fillOpacity: 0.18, title: (d: { when: string; share: number; x1: number; x2: number }) => `${d.when}, ${d.x1}–${d.x2} ms: ${(d.share * 100).toFixed(2)}%` })]),
      // On a log share axis an empty bin has no place: each bin is its own segment, never bridged.
      log
        ? Plot.ruleY(data, { x1: 'x1', x2: 'x2', y: 'share', stroke: 'when', strokeWidth: 2 })
        : Plot.line(steps, { x: 'x', y: 'share', stroke: 'when', z: 'when', strokeWidth: 1.6 }),
      ...(log ? [] : [Plot.ruleY([0])]),
    ],
  });
}

/** Detection delay (fault start to first alarm) per detector: a box over the detected faults. */
export function detectionDelayChart(delays: { detector: string; minutes: number }[], detectors: string[]): string {
  if (delays.length === 0) return '';
  return render({
    width: 640,
    height: 60 + 30 * Math.max(1, detectors.length),
    marginLeft: 140,
    x: { label: 'detection delay (minutes after the fault started) →', grid: true, nice: true },
    y: { label: 'detector', domain: detectors },
    marks: [Plot.boxX(delays, { x: 'minutes', y: 'detector' }), Plot.ruleX([0])],
  });
}

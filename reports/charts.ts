/**
 * The report's charts: Observable Plot rendered server-side into ONE shared jsdom document and
 * serialised as inline SVG (or a <figure> when a legend is attached), so report.html needs no
 * script and no network. Plot sets user strings as text nodes, so serialisation escapes them.
 */
import * as Plot from '@observablehq/plot';
import { JSDOM } from 'jsdom';
import type { DetectorSummary, PairingSummary, RcaSummary } from './summary-schema.js';
import type { FaultRecord, KpiCurve, LatencyHistogram } from '../scores/item-result.js';
import { LATENCY_EDGES_MS } from './latency.js';

let shared: Document | undefined;
function document(): Document {
  shared ??= new JSDOM('<!DOCTYPE html><html><body></body></html>').window.document;
  return shared;
}

function render(options: Plot.PlotOptions): string {
  const node = Plot.plot({ ...options, document: document() });
  return node.outerHTML;
}

const MINUTE = 60_000;
const PHASE_COLORS = { detect: '#e15759', identify: '#f28e2b', repair: '#4e79a7' };

/** A KPI series with its fault windows shaded and each detector's alarms as marks on the curve. */
export function kpiCurveChart(curve: KpiCurve, faults: FaultRecord[], legend: boolean): string {
  const points = curve.timestamps.map((t, i) => ({ t: new Date(t), v: curve.values[i] }));
  const windows = faults
    .filter((f) => curve.faultIds.includes(f.id))
    .map((f) => ({ x1: new Date(f.start), x2: new Date(f.end), label: `${f.id} ${f.type}` }));
  const alarms = curve.alarms.flatMap((a) =>
    a.times.map((t, i) => ({ t: new Date(t), v: a.values[i] ?? null, detector: a.detector })),
  );
  return render({
    width: 640,
    height: 150,
    marginLeft: 56,
    x: { type: 'utc', label: null },
    y: { label: curve.series, grid: true, nice: true },
    // A fixed domain keeps each detector's colour and symbol the same on every curve.
    color: { legend, domain: curve.alarms.map((a) => a.detector), label: 'alarms' },
    symbol: { domain: curve.alarms.map((a) => a.detector) },
    marks: [
      Plot.rect(windows, { x1: 'x1', x2: 'x2', fill: '#e15759', fillOpacity: 0.12, title: 'label' }),
      Plot.lineY(points, { x: 't', y: 'v', stroke: '#4e79a7', strokeWidth: 1.2 }),
      Plot.dot(
        alarms.filter((a) => a.v !== null),
        { x: 't', y: 'v', stroke: 'detector', r: 3.5, symbol: 'detector' },
      ),
    ],
  });
}

/** One horizontal bar chart of a detector figure. */
function detectorBars(detectors: DetectorSummary[], value: (d: DetectorSummary) => number | null, label: string): string {
  const data = detectors.map((d) => ({ name: d.name, v: value(d) })).filter((d) => d.v !== null);
  return render({
    width: 320,
    height: 40 + 24 * Math.max(1, detectors.length),
    marginLeft: 110,
    x: { label, grid: true, nice: true },
    y: { label: null, domain: detectors.map((d) => d.name) },
    marks: [
      Plot.barX(data, { x: 'v', y: 'name', fill: '#4e79a7' }),
      Plot.text(data, { x: 'v', y: 'name', text: (d: { v: number }) => d.v.toFixed(2), dx: 14, fontSize: 10 }),
      Plot.ruleX([0]),
    ],
  });
}

export function detectorComparisonCharts(detectors: DetectorSummary[]): string[] {
  return [
    detectorBars(detectors, (d) => d.pointAdjustedF1, 'point-adjusted F1 (delay 7) →'),
    detectorBars(detectors, (d) => (d.meanTimeToDetectMs === null ? null : d.meanTimeToDetectMs / MINUTE), 'mean time to detect, min ←'),
    detectorBars(detectors, (d) => d.falseAlarmsPerDay, 'false alarms per day ←'),
  ];
}

/**
 * One accuracy figure (AC@1 or AC@3) as a heatmap: fault types across, algorithms down, the value
 * written in each cell (colour legends need canvas, which jsdom lacks, so the text is the legend).
 */
export function rcaByTypeChart(rca: RcaSummary[], metric: 'ac1' | 'ac3'): string {
  const data = rca.flatMap((a) =>
    Object.entries(a.byType).map(([type, t]) => ({ type, name: a.name, v: t[metric] })),
  );
  const types = [...new Set(data.map((d) => d.type))].sort();
  const cells = data.filter((d) => d.v !== null) as { type: string; name: string; v: number }[];
  return render({
    width: Math.max(360, 120 + 44 * types.length),
    height: 90 + 24 * Math.max(1, rca.length),
    marginLeft: 110,
    marginBottom: 80,
    x: { domain: types, label: null, tickRotate: -35 },
    y: { domain: rca.map((a) => a.name), label: null },
    color: { type: 'linear', domain: [0, 1], scheme: 'blues' },
    marks: [
      Plot.cell(cells, { x: 'type', y: 'name', fill: 'v', inset: 0.5 }),
      // Light text on dark cells; constant fills, so the text does not go through the colour scale.
      ...[true, false].map((dark) =>
        Plot.text(
          cells.filter((d) => d.v > 0.6 === dark),
          { x: 'type', y: 'name', text: (d: { v: number }) => d.v.toFixed(2), fill: dark ? 'white' : 'black', fontSize: 10 },
        ),
      ),
    ],
  });
}

/** MTTR per (detector, RCA) pairing, stacked by phase. */
export function mttrChart(pairings: PairingSummary[]): string {
  const rows = pairings.map((p) => `${p.detector} + ${p.rca}`);
  const data = pairings.flatMap((p, k) =>
    (['detect', 'identify', 'repair'] as const).map((phase) => ({
      pairing: rows[k],
      phase,
      minutes: (p[`${phase}Ms`] ?? 0) / MINUTE,
    })),
  );
  return render({
    width: 640,
    height: 50 + 22 * Math.max(1, pairings.length),
    marginLeft: 200,
    x: { label: 'mean time to repair, minutes ←', grid: true },
    y: { label: null, domain: rows },
    color: { legend: true, domain: Object.keys(PHASE_COLORS), range: Object.values(PHASE_COLORS) },
    marks: [Plot.barX(data, { x: 'minutes', y: 'pairing', fill: 'phase' }), Plot.ruleX([0])],
  });
}

/** Share of transactions per log-spaced latency bin, normal versus under fault. */
export function latencyChart(h: LatencyHistogram): string {
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0) || 1;
  const nTotal = total(h.normal);
  const fTotal = total(h.fault);
  const data = h.normal.flatMap((_, b) => [
    { x1: LATENCY_EDGES_MS[b], x2: LATENCY_EDGES_MS[b + 1], share: h.normal[b]! / nTotal, when: 'normal' },
    { x1: LATENCY_EDGES_MS[b], x2: LATENCY_EDGES_MS[b + 1], share: h.fault[b]! / fTotal, when: 'under fault' },
  ]);
  return render({
    width: 640,
    height: 200,
    x: { type: 'log', label: 'transaction latency, ms →' },
    y: { label: '↑ share of transactions', grid: true },
    color: { legend: true, domain: ['normal', 'under fault'], range: ['#4e79a7', '#e15759'] },
    marks: [
      Plot.rectY(data, { x1: 'x1', x2: 'x2', y: 'share', fill: 'when', fillOpacity: 0.5, inset: 0.5 }),
      Plot.ruleY([0]),
    ],
  });
}

/** Detection delay (fault start to first alarm) per detector: a box over the detected faults. */
export function detectionDelayChart(delays: { detector: string; minutes: number }[], detectors: string[]): string {
  return render({
    width: 640,
    height: 50 + 30 * Math.max(1, detectors.length),
    marginLeft: 110,
    x: { label: 'detection delay, minutes →', grid: true, nice: true },
    y: { label: null, domain: detectors },
    marks: [Plot.boxX(delays, { x: 'minutes', y: 'detector' }), Plot.ruleX([0])],
  });
}

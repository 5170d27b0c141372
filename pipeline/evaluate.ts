/**
 * The evaluation every command runs: each detector over the item's series (fitted on the training
 * part), each RCA method over its incidents, scored into an ItemResult, plain JSON that the
 * summary, the report, results.json and `merge` work from. A method that fails is reported with
 * its error and counts as missing everything (its incidents are misses); the others' results
 * stand.
 */
import { performance } from 'node:perf_hooks';
import type { Resolved } from '../common/plugin.js';
import { buildCallView } from '../data/call-view.js';
import { faultEffects } from '../data/fault-effect.js';
import { profileTelemetry } from '../data/telemetry-profile.js';
import { doing } from '../common/errors.js';
import type { Incident, Series } from '../data/types.js';
import { medianStep } from '../data/sampling.js';
import { runDetector } from '../detectors/evaluate.js';
import { pointAdjustedCountsBySeries, scoreDetection, thresholdFreeMetrics, THRESHOLD_FREE_FIGURES } from '../scores/detection/evaluate.js';
import type { Detection, Detector } from '../detectors/types.js';
import { rankIncidents, type IncidentRanking } from '../rca/evaluate.js';
import type { RcaAlgorithm } from '../rca/types.js';
import { downsampleMinMax } from '../reports/downsample.js';
import { transactionLatency } from '../reports/latency.js';
import { DETECTION_FIGURES, type DetectionItemFigures } from '../scores/figures.js';
import { TOP_CANDIDATES_KEPT, faultRecord, type DetectorItemResult, type DetectorSeriesResults, type FaultDetection, type FaultRecord, type ItemResult, type KpiCurve, type RcaItemResult } from '../scores/item-result.js';
import type { MovedKpi } from '../sim/formats.js';
import type { Telemetry } from './load.js';

/** The methods of a run, resolved (options validated) once. */
export interface Methods {
  detectors: Resolved<Detector>[];
  rca: Resolved<RcaAlgorithm>[];
}

export interface ItemIdentity {
  key: string;
  scenario: string;
  seed?: number;
  generatorSeed?: number;
}

export interface EvaluateOptions {
  /** Point-adjustment delay in points (default 7). */
  delay?: number;
  /** Per-incident time limit of an RCA method, ms. */
  rcaTimeoutMs?: number;
  /** Called as each method finishes on the item, for progress lines. */
  onMethod?: (kind: 'detector' | 'rca', name: string) => void;
}

/** The item's result, and the raw outputs the `detect` and `rca` presets write out. */
export interface Evaluation {
  item: ItemResult;
  detections: Map<string, Detection[]>;
  rankings: Map<string, IncidentRanking[]>;
}

/** KPI curves kept per item for the report, and series drawn per fault. */
const MAX_CURVES = 4;
const CURVES_PER_FAULT = 2;
const CURVE_POINTS = 800;

function dataWindow(t: Telemetry): [number, number] {
  let start = Infinity;
  let end = -Infinity;
  for (const s of t.series) {
    const n = s.timestamps.length;
    if (n === 0) continue;
    start = Math.min(start, s.timestamps[0]!);
    end = Math.max(end, s.timestamps[n - 1]! + medianStep(s.timestamps));
  }
  if (!Number.isFinite(start)) {
    for (let i = 0; i < t.spans.length; i++) {
      start = Math.min(start, t.spans.start[i]!);
      end = Math.max(end, t.spans.end[i]!);
    }
  }
  return [t.start ?? start, t.end ?? end];
}

/** The incidents whose moved KPI series are known (generated faults): the ones detection is timed on. */
function knownMoves(t: Telemetry): Incident[] {
  return t.incidents.filter((i) => i.moved);
}

/**
 * The first alarm raised on any series a fault moved, between the fault's start and the end of
 * its visible impact. An alarm on a minute point is raised when that minute closes: t + step.
 */
function firstAlarms(faults: Incident[], series: Series[], detections: Detection[]): FaultDetection[] {
  const index = new Map(series.map((s, k) => [s.id, k]));
  return faults.map((fault) => {
    let first: number | null = null;
    for (const moved of fault.moved ?? []) {
      const k = index.get(moved.series);
      if (k === undefined) continue;
      const s = series[k]!;
      const alarms = detections[k]!.alarms;
      const step = medianStep(s.timestamps);
      const until = Math.max(fault.end, moved.end + step);
      for (let i = 0; i < s.timestamps.length; i++) {
        const t = s.timestamps[i]!;
        if (t + step <= fault.start) continue;
        if (t >= until) break;
        if (alarms[i]) {
          const raised = Math.max(t + step, fault.start);
          if (first === null || raised < first) first = raised;
          break;
        }
      }
    }
    return { faultId: fault.id, firstAlarm: first };
  });
}

/** A failed detector's output: no judgement and no alarm on any point. */
function silent(series: Series[]): Detection[] {
  return series.map((s) => ({ scores: new Float64Array(s.values.length).fill(NaN), alarms: new Uint8Array(s.values.length) }));
}

/**
 * Per series: point-adjusted counts with the detector's own alarms, and the threshold-free figures
 * of its scores (null where the series holds no labelled point or the detector gave no score).
 */
function seriesResults(series: Series[], detections: Detection[], t: Telemetry, delay: number): DetectorSeriesResults {
  const scoreFrom = t.trainUntil !== undefined ? { scoreFrom: t.trainUntil } : {};
  const counts = pointAdjustedCountsBySeries(series, detections, { delay, ...scoreFrom });
  const free = thresholdFreeMetrics(series, detections, { delay, ...scoreFrom }).perSeries;
  const out = { ids: series.map((s) => s.id), tp: counts.map((c) => c.tp), fp: counts.map((c) => c.fp), fn: counts.map((c) => c.fn) } as DetectorSeriesResults;
  for (const f of THRESHOLD_FREE_FIGURES) {
    out[f] = series.map((s, k) => {
      const x = free[s.id]?.[f];
      const scored = detections[k]!.scores.some((v) => !Number.isNaN(v));
      return scored && x !== undefined && Number.isFinite(x) ? x : null;
    });
  }
  return out;
}

function itemFigures(series: Series[], detections: Detection[], perSeries: DetectorSeriesResults, t: Telemetry, delay: number): DetectionItemFigures {
  // The training prefix is not scored: alarms there would be judged on data the detector fitted.
  const m = scoreDetection(series, detections, {
    delay,
    threshold: 'own',
    ...(t.trainUntil !== undefined ? { scoreFrom: t.trainUntil } : {}),
  });
  const value: Record<string, number> = {
    ...m,
    nabStandard: m.nab.standard,
    nabLowFP: m.nab.lowFP,
    nabLowFN: m.nab.lowFN,
  } as unknown as Record<string, number>;
  // Threshold-free figures of the item: the mean over its series where defined.
  for (const f of THRESHOLD_FREE_FIGURES) {
    const defined = perSeries[f].filter((x): x is number => x !== null);
    value[f] = defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : NaN;
  }
  const figures: Record<string, number | null> = {};
  for (const f of DETECTION_FIGURES) {
    if (!('perItem' in f)) continue;
    const x = value[f.key];
    figures[f.key] = x === undefined || !Number.isFinite(x) ? (f.unit === 'count' ? 0 : null) : x;
  }
  return figures as DetectionItemFigures;
}

async function evaluateDetectors(t: Telemetry, methods: Methods, opts: EvaluateOptions): Promise<{ results: DetectorItemResult[]; detections: Map<string, Detection[]> }> {
  const results: DetectorItemResult[] = [];
  const detections = new Map<string, Detection[]>();
  for (const method of methods.detectors) {
    doing(`running detector ${method.name} on ${t.name}`);
    const t0 = performance.now();
    let det: Detection[];
    let error: string | undefined;
    try {
      det = await runDetector(method, t.series, t.train ? { train: t.train } : t.trainUntil !== undefined ? { trainUntil: t.trainUntil } : {});
    } catch (err) {
      error = (err as Error).message;
      det = silent(t.series);
    }
    const computeMs = performance.now() - t0;
    const delay = opts.delay ?? 7;
    const series = seriesResults(t.series, det, t, delay);
    results.push({
      name: method.name,
      figures: itemFigures(t.series, det, series, t, delay),
      faults: firstAlarms(knownMoves(t), t.series, det),
      series,
      computeMs,
      ...(error !== undefined ? { error } : {}),
    });
    detections.set(method.name, det);
    opts.onMethod?.('detector', method.name);
  }
  return { results, detections };
}

async function evaluateRca(t: Telemetry, methods: Methods, faults: FaultRecord[], opts: EvaluateOptions): Promise<{ results: RcaItemResult[]; rankings: Map<string, IncidentRanking[]> }> {
  const faultIds = new Set(faults.map((f) => f.id));
  const results: RcaItemResult[] = [];
  const rankings = new Map<string, IncidentRanking[]>();
  for (const method of methods.rca) {
    doing(`running RCA method ${method.name} on ${t.name}`);
    let ranked: IncidentRanking[];
    let error: string | undefined;
    try {
      ranked = await rankIncidents(method, t.spans, t.incidents, {
        ...(t.baseline ? { baseline: t.baseline } : {}),
        ...(t.kpis ? { kpis: t.kpis } : {}),
        ...(t.metrics ? { metrics: t.metrics } : {}),
        ...(t.logs ? { logs: t.logs } : {}),
        ...(t.baselineLogs ? { baselineLogs: t.baselineLogs } : {}),
        ...(opts.rcaTimeoutMs !== undefined ? { timeoutMs: opts.rcaTimeoutMs } : {}),
      });
    } catch (err) {
      // The method failed as a whole (creating or fitting it): every incident is a miss.
      error = (err as Error).message;
      ranked = t.incidents.map((incident) => ({ incident, candidates: [], computeMs: 0, rank: 0, failure: error! }));
    }
    rankings.set(method.name, ranked);
    results.push({
      name: method.name,
      ...(error !== undefined ? { error } : {}),
      incidents: ranked.map((r) => ({
        id: r.incident.id,
        ...(faultIds.has(r.incident.id) ? { faultId: r.incident.id } : {}),
        type: r.incident.type ?? 'unknown',
        start: r.incident.start,
        end: r.incident.end,
        rootCause: r.incident.rootCause,
        ...(r.incident.rootCauseInstance !== undefined ? { rootCauseInstance: r.incident.rootCauseInstance } : {}),
        rank: r.rank,
        computeMs: r.computeMs,
        candidates: r.candidates.slice(0, TOP_CANDIDATES_KEPT),
        ...(r.failure !== undefined && error === undefined ? { failure: r.failure } : {}),
      })),
    });
    opts.onMethod?.('rca', method.name);
  }
  return { results, rankings };
}

/** The series an operator looks at first: the root cause's own, then whole transaction types. */
function curveOrder(fault: Incident): MovedKpi[] {
  const rank = (m: MovedKpi) => (m.scope === 'service' && fault.rootCause.includes(m.name) ? 0 : m.scope === 'txType' ? 1 : 2);
  return (fault.moved ?? [])
    .map((m, k) => ({ m, k }))
    .sort((a, b) => rank(a.m) - rank(b.m) || a.k - b.k)
    .map((x) => x.m);
}

/** The series the faults moved (a few per fault, first faults first), with every detector's alarms. */
function kpiCurves(faults: Incident[], series: Series[], detections: Map<string, Detection[]>): KpiCurve[] {
  const index = new Map(series.map((s, k) => [s.id, k]));
  const chosen = new Map<string, string[]>();
  for (const fault of [...faults].sort((a, b) => a.start - b.start)) {
    let taken = 0;
    for (const moved of curveOrder(fault)) {
      if (taken >= CURVES_PER_FAULT) break;
      if (!index.has(moved.series)) continue;
      const ids = chosen.get(moved.series);
      if (ids) {
        if (!ids.includes(fault.id)) ids.push(fault.id);
        continue;
      }
      if (chosen.size >= MAX_CURVES) break;
      chosen.set(moved.series, [fault.id]);
      taken++;
    }
  }
  return [...chosen].map(([id, faultIds]) => {
    const k = index.get(id)!;
    const s = series[k]!;
    const { timestamps, values } = downsampleMinMax(s.timestamps, s.values, CURVE_POINTS);
    const alarms = [...detections].map(([detector, det]) => {
      const times: number[] = [];
      const vals: (number | null)[] = [];
      const a = det[k]!.alarms;
      for (let i = 0; i < a.length; i++) {
        if (!a[i]) continue;
        times.push(s.timestamps[i]!);
        vals.push(Number.isFinite(s.values[i]!) ? s.values[i]! : null);
      }
      return { detector, times, values: vals };
    });
    return { series: id, faultIds, timestamps, values, alarms };
  });
}

/** The profile of the item's telemetry and its incidents' effects, from one call view of its spans. */
function telemetryFigures(t: Telemetry): Pick<ItemResult, 'profile' | 'faultEffects'> {
  const view = buildCallView(t.spans);
  const effects = faultEffects(view, t.incidents, t.baseline ? buildCallView(t.baseline) : undefined);
  return { profile: profileTelemetry(t.spans, t.series, view), ...(effects.length ? { faultEffects: effects } : {}) };
}

/** Runs every method over one item's telemetry and scores it. */
export async function evaluate(t: Telemetry, methods: Methods, id: ItemIdentity, opts: EvaluateOptions = {}): Promise<Evaluation> {
  const [start, end] = dataWindow(t);
  const faults = t.incidents.map(faultRecord);
  const timings: Record<string, number> = { ...t.timings };

  let t0 = performance.now();
  const { results: detectors, detections } = await evaluateDetectors(t, methods, opts);
  timings.detect = performance.now() - t0;

  t0 = performance.now();
  const { results: rca, rankings } = await evaluateRca(t, methods, faults, opts);
  timings.rca = performance.now() - t0;

  const windows = faults.map((f) => [f.start, f.end] as [number, number]);
  const item: ItemResult = {
    key: id.key,
    scenario: id.scenario,
    ...(id.seed !== undefined ? { seed: id.seed } : {}),
    ...(id.generatorSeed !== undefined ? { generatorSeed: id.generatorSeed } : {}),
    start,
    end,
    faults,
    detectors,
    rca,
    kpiCurves: kpiCurves(knownMoves(t), t.series, detections),
    latency: transactionLatency(t.spans, windows),
    timings,
    ...(t.spans.length ? telemetryFigures(t) : {}),
    ...(t.notes.length ? { notes: [...t.notes] } : {}),
  };
  return { item, detections, rankings };
}

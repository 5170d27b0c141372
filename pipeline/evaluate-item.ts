/**
 * The per-item pipeline shared by `run` (simulated data) and `replay` (imported data): run every
 * detector over the KPI series (fitted on the fault-free prefix) and score it, run every RCA
 * algorithm over the incidents, and keep what the summary and the report need as plain JSON.
 */
import type { TruthFault } from '../sim/formats.js';
import { resolveDetector } from '../detectors/registry.js';
import { runDetector } from '../detectors/evaluate.js';
import { scoreDetection } from '../scores/detection/evaluate.js';
import { medianStep } from '../data/sampling.js';
import type { Detection } from '../detectors/types.js';
import type { Series } from '../data/types.js';
import { rankIncidents } from '../rca/evaluate.js';
import { resolveRcaAlgorithm } from '../rca/registry.js';
import type { Incident, KpiFrame, SpanTable } from '../data/types.js';
import { downsampleMinMax } from '../reports/downsample.js';
import { transactionLatency } from '../reports/latency.js';
import {
  TOP_CANDIDATES_KEPT,
  type DetectorItemResult,
  type FaultDetection,
  type FaultRecord,
  type ItemResult,
  type KpiCurve,
  type RcaItemResult,
} from '../reports/types.js';

export interface EvaluationInput {
  key: string;
  scenario: string;
  seed?: number;
  generatorSeed?: number;
  spans: SpanTable;
  baseline?: SpanTable;
  incidents: Incident[];
  series: Series[];
  kpis?: KpiFrame;
  faults?: TruthFault[];
  /** Data window (unix ms); taken from the series (else the spans) when absent. */
  start?: number;
  end?: number;
  /** Detectors fit on points before this time; default the first fault's start. */
  trainUntil?: number;
  /** Wall-clock ms of earlier phases (generate, spans, series) to carry into the result. */
  timings?: Record<string, number>;
}

export interface EvaluateOptions {
  detectors: string[];
  rca: string[];
}

/** KPI curves kept per item for the report, and series drawn per fault. */
const MAX_CURVES = 4;
const CURVES_PER_FAULT = 2;
const CURVE_POINTS = 800;

function dataWindow(input: EvaluationInput): [number, number] {
  let start = Infinity;
  let end = -Infinity;
  for (const s of input.series) {
    const n = s.timestamps.length;
    if (n === 0) continue;
    start = Math.min(start, s.timestamps[0]!);
    end = Math.max(end, s.timestamps[n - 1]! + medianStep(s.timestamps));
  }
  if (!Number.isFinite(start)) {
    for (let i = 0; i < input.spans.length; i++) {
      start = Math.min(start, input.spans.start[i]!);
      end = Math.max(end, input.spans.end[i]!);
    }
  }
  return [input.start ?? start, input.end ?? end];
}

function faultRecords(input: EvaluationInput): FaultRecord[] {
  if (input.faults) {
    return input.faults.map((f) => ({
      id: f.id,
      type: f.type,
      start: f.start,
      end: f.end,
      rootCause: f.rootCause,
      tags: f.tags,
      moved: f.moved.map((m) => m.series),
    }));
  }
  // Replayed incidents: no injected fault, so no moved series is known.
  return input.incidents.map((i) => ({
    id: i.id,
    type: i.type ?? 'unknown',
    start: i.start,
    end: i.end,
    rootCause: i.rootCause,
    tags: [],
    moved: [],
  }));
}

/**
 * The first alarm raised on any series a fault moved, between the fault's start and the end of
 * its visible impact. An alarm on a minute point is raised when that minute closes: t + step.
 */
function firstAlarms(faults: TruthFault[], series: Series[], detections: Detection[]): FaultDetection[] {
  const index = new Map(series.map((s, k) => [s.id, k]));
  return faults.map((fault) => {
    let first: number | null = null;
    for (const moved of fault.moved) {
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

async function evaluateDetectors(
  input: EvaluationInput,
  specs: string[],
  trainUntil: number | undefined,
): Promise<{ results: DetectorItemResult[]; detections: Map<string, Detection[]> }> {
  const results: DetectorItemResult[] = [];
  const detections = new Map<string, Detection[]>();
  for (const spec of specs) {
    const factory = await resolveDetector(spec);
    const t0 = performance.now();
    const det = await runDetector(factory, input.series, trainUntil === undefined ? {} : { trainUntil });
    const computeMs = performance.now() - t0;
    // The training prefix is not scored: alarms there would be judged on data the detector fitted.
    const m = scoreDetection(input.series, det, { delay: 7, threshold: 'own', ...(trainUntil === undefined ? {} : { scoreFrom: trainUntil }) });
    const nullable = (x: number) => (Number.isFinite(x) ? x : null);
    results.push({
      name: factory.name,
      figures: {
        pointAdjustedF1: m.pointAdjustedF1,
        precision: m.precision,
        recall: m.recall,
        pointPrecision: m.pointPrecision,
        pointRecall: m.pointRecall,
        pointF1: m.pointF1,
        eventRecall: m.eventRecall,
        rangePrecision: m.rangePrecision,
        rangeRecall: m.rangeRecall,
        meanTimeToDetectMs: nullable(m.meanTimeToDetectMs),
        detectedEvents: m.detectedEvents,
        events: m.events,
        falseAlarmsPerDay: m.falseAlarmsPerDay,
        nabStandard: m.nab.standard,
        nabLowFP: m.nab.lowFP,
        nabLowFN: m.nab.lowFN,
      },
      faults: firstAlarms(input.faults ?? [], input.series, det),
      computeMs,
    });
    detections.set(factory.name, det);
  }
  return { results, detections };
}

async function evaluateRca(input: EvaluationInput, specs: string[], faults: FaultRecord[]): Promise<RcaItemResult[]> {
  const faultIds = new Set(faults.map((f) => f.id));
  const out: RcaItemResult[] = [];
  for (const spec of specs) {
    const factory = await resolveRcaAlgorithm(spec);
    const rankings = await rankIncidents(factory, input.spans, input.incidents, {
      ...(input.baseline ? { baseline: input.baseline } : {}),
      ...(input.kpis ? { kpis: input.kpis } : {}),
    });
    out.push({
      name: factory.name,
      incidents: rankings.map((r) => ({
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
      })),
    });
  }
  return out;
}

/** The series an operator looks at first: the root cause's own, then whole transaction types. */
function curveOrder(fault: TruthFault): TruthFault['moved'] {
  const rank = (m: TruthFault['moved'][number]) =>
    m.scope === 'service' && fault.rootCause.includes(m.name) ? 0 : m.scope === 'txType' ? 1 : 2;
  return fault.moved.map((m, k) => ({ m, k })).sort((a, b) => rank(a.m) - rank(b.m) || a.k - b.k).map((x) => x.m);
}

/** The series the faults moved (a few per fault, first faults first), with every detector's alarms. */
function kpiCurves(faults: TruthFault[], series: Series[], detections: Map<string, Detection[]>): KpiCurve[] {
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

export async function evaluateItem(input: EvaluationInput, opts: EvaluateOptions): Promise<ItemResult> {
  const [start, end] = dataWindow(input);
  const faults = faultRecords(input);
  const truthFaults = input.faults ?? [];
  const trainUntil =
    input.trainUntil ?? (faults.length > 0 ? Math.min(...faults.map((f) => f.start)) : undefined);
  const timings: Record<string, number> = { ...input.timings };

  let t0 = performance.now();
  const { results: detectors, detections } = await evaluateDetectors(input, opts.detectors, trainUntil);
  timings.detect = performance.now() - t0;

  t0 = performance.now();
  const rca = await evaluateRca(input, opts.rca, faults);
  timings.rca = performance.now() - t0;

  const windows = faults.map((f) => [f.start, f.end] as [number, number]);
  return {
    key: input.key,
    scenario: input.scenario,
    ...(input.seed !== undefined ? { seed: input.seed } : {}),
    ...(input.generatorSeed !== undefined ? { generatorSeed: input.generatorSeed } : {}),
    start,
    end,
    faults,
    detectors,
    rca,
    kpiCurves: kpiCurves(truthFaults, input.series, detections),
    latency: transactionLatency(input.spans, windows),
    timings,
  };
}

/**
 * What one evaluated item (a scenario at one seed, or one replayed data set) yields. Everything is
 * plain JSON so that it crosses the worker boundary, lands in results.json / partial.json, and is
 * merged and rolled up later without the raw data. NaN is written as null by JSON; readers treat
 * null as "not defined" (e.g. no event to time).
 */
import type { Candidate } from '../rca/types.js';
import type { Incident } from '../data/types.js';
import type { DetectionItemFigures } from './figures.js';
import type { FaultEffect } from '../data/fault-effect.js';
import type { TelemetryProfile } from '../data/telemetry-profile.js';
import type { ThresholdFreeFigure } from './detection/evaluate.js';

/**
 * An Incident as results.json (and a worker's reply) holds it: reduced to what scoring and the
 * report need, every field present.
 */
export interface FaultRecord {
  id: string;
  type: string;
  start: number; // unix ms
  end: number; // unix ms, exclusive
  rootCause: string[];
  tags: string[];
  /** KPI series ids the fault moved; empty for a fault without visible impact or a replayed incident. */
  moved: string[];
  /** A generated fault's severity; absent where the incidents give none. */
  severity?: number;
}

export function faultRecord(i: Incident): FaultRecord {
  return { id: i.id, type: i.type ?? 'unknown', start: i.start, end: i.end, rootCause: i.rootCause, tags: i.tags ?? [], moved: i.moved?.map((m) => m.series) ?? [], ...(i.severity !== undefined ? { severity: i.severity } : {}) };
}

/** Detection figures of one detector on one item (threshold: the detector's own alarms; DETECTION_FIGURES). */
export type DetectionFigures = DetectionItemFigures;

export interface FaultDetection {
  faultId: string;
  /** First alarm on any series the fault moved, inside the fault's window; null when never. */
  firstAlarm: number | null;
}

/**
 * Per KPI series of an item, column by column (series in the item's order): what the run's
 * intervals and paired tests over series are computed from. Point-adjusted counts are on the AIOps
 * 2018 grid with the detector's own alarms; threshold-free figures are null where the series holds
 * no labelled point or the detector gave no score.
 */
export type DetectorSeriesResults = {
  ids: string[];
  tp: number[];
  fp: number[];
  fn: number[];
} & Record<ThresholdFreeFigure, (number | null)[]>;

export interface DetectorItemResult {
  name: string;
  figures: DetectionFigures;
  faults: FaultDetection[];
  /** Per-series results (absent in results files of a faultline that did not keep them). */
  series?: DetectorSeriesResults;
  computeMs: number; // measured wall clock (varies run to run)
  /** Why the detector failed on this item (then it alarmed nowhere). */
  error?: string;
}

export interface IncidentResult {
  id: string;
  faultId?: string;
  type: string;
  start: number;
  end: number;
  rootCause: string[];
  rootCauseInstance?: string;
  /** 1-based rank of the first true root cause among all candidates, 0 if absent. */
  rank: number;
  computeMs: number; // measured wall clock
  /** The best candidates (at most TOP_CANDIDATES_KEPT), best first. */
  candidates: Candidate[];
  /** Why the method gave no ranking for this incident (a miss). */
  failure?: string;
}

export interface RcaItemResult {
  name: string;
  /** Why the method failed on this item as a whole (then every incident is a miss). */
  error?: string;
  incidents: IncidentResult[];
}

/** A downsampled KPI curve for the report, with each detector's alarm times on it. */
export interface KpiCurve {
  series: string;
  faultIds: string[];
  timestamps: number[];
  values: (number | null)[];
  /** Alarm times (full resolution) and the series value at each, per detector. */
  alarms: { detector: string; times: number[]; values: (number | null)[] }[];
}

/**
 * Transaction (root call) latency histograms on the shared LATENCY_EDGES_MS bins, split by whether
 * the transaction started inside a fault window; summing counts merges items.
 */
export interface LatencyHistogram {
  normal: number[];
  fault: number[];
}

export interface ItemResult {
  key: string;
  scenario: string;
  /** The sweep seed of the item (scenario@seed), when simulated. */
  seed?: number;
  /** The seed handed to the scenario engine, derived from (seed, key). */
  generatorSeed?: number;
  start: number;
  end: number;
  faults: FaultRecord[];
  detectors: DetectorItemResult[];
  rca: RcaItemResult[];
  kpiCurves: KpiCurve[];
  latency: LatencyHistogram;
  /** Measured wall clock per phase (generate, spans, series, detect, rca), ms. */
  timings: Record<string, number>;
  /** What the item's spans and KPI series look like (data/telemetry-profile.ts), for `faultline fidelity`. */
  profile?: TelemetryProfile;
  /** How strongly each incident changed its root cause's calls (data/fault-effect.ts), for `faultline fidelity`. */
  faultEffects?: FaultEffect[];
  /** What reading and generating the item's data left out or could not use (faults not injected, rows skipped, incidents that cannot be scored); absent when nothing. */
  notes?: string[];
}

/** How many candidates per incident are kept: enough for AC@5, PR@5 and the report's top 3. */
export const TOP_CANDIDATES_KEPT = 10;

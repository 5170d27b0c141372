/**
 * Scoring detections (per-point scores and alarms) against labelled series, with every metric of
 * docs/scores.md. Threshold-dependent figures carry their threshold source:
 *   own           the detector's own alarms;
 *   given         alarms where the score >= a level given by the caller (and, for NAB, one level
 *                 per profile, e.g. NAB's published thresholds.json);
 *   train         one level fitted on the training scores without labels: the (1 - rarity) quantile
 *                 of the normalised training scores pooled over all series ("rare means abnormal"),
 *                 never below 1 (each detector's own level) when detectors report one;
 *   train-labels  the level with the best point-adjusted F1 on the labelled training data only;
 *   oracle        the best level on the scored data itself (an upper bound, labelled as such): the
 *                 best point-adjusted F1 over every distinct score, and NAB's own optimiser per NAB
 *                 profile, as NAB's scoreboard does.
 * Scores are normalised as score / the detector's own level (Detection.threshold) when it reports
 * one, so one level is comparable across series; a point alarms when its normalised score >= level.
 * Threshold-free figures (AUC-PR, AUC-ROC point-wise and point-adjusted, VUS-PR, VUS-ROC) are
 * computed per series and averaged over the series holding a labelled point (TSB-AD's convention).
 * Every headline figure has a seeded 95% bootstrap interval over series.
 */
import type { Detection } from '../../detectors/types.js';
import type { Series } from '../../data/types.js';
import { prefixOf } from '../../detectors/evaluate.js';
import { sortedFinite } from '../../detectors/stats.js';
import { quantileSorted } from '../../common/quantile.js';
import { DEFAULT_RARITY } from '../../detectors/calibrate.js';
import { DAY_MS } from '../../data/sampling.js';
import { addCounts, precisionRecallF1, runsOf, type Counts } from './confusion.js';
import { pointwiseCounts } from './pointwise.js';
import { aiopsGrid, type AiopsGrid } from './grid.js';
import { pointAdjustedCounts, pointAdjustedItems, type PointAdjustedItems } from './point-adjusted.js';
import { eventCounts, type EventDetail } from './events.js';
import { rangeSums, type PositionalBias } from './range.js';
import { bestF1Threshold, curveAreas, pointwiseCurveAreas } from './curves.js';
import { VUS_THRESHOLDS, tsbSlidingWindow, vus } from './vus.js';
import { descendingOrder } from './order.js';
import {
  NAB_PROFILES,
  NAB_PROFILE_NAMES,
  ZERO_NAB,
  addNabSums,
  nabFile,
  nabOptimiseProfiles,
  nabScoreOfAlarms,
  nabWindowsFromSegments,
  normalisedNab,
  probationaryPoints,
  type NabFile,
  type NabProfileName,
  type NabSums,
} from './nab.js';
import { bootstrapInterval, meanInterval, weightedMean, type BootstrapOptions, type Interval } from '../uncertainty.js';

export { THRESHOLD_SOURCES, SCORE_SOURCES, type ThresholdSource } from '../figures.js';
import type { ThresholdSource } from '../figures.js';
import { lowerBound, upperBound } from '../../common/sorted.js';

export const DEFAULT_DELAY = 7;

export interface ThresholdInfo {
  source: ThresholdSource;
  /** Level on normalised scores (absent for own; Infinity, written null, when nothing should alarm). */
  level?: number;
  /** What the level was chosen for. */
  objective?: string;
  /** The level per NAB profile (oracle: NAB's optimiser; given: the caller's). */
  nabLevels?: Record<NabProfileName, number>;
}

export interface DetectionMetrics {
  threshold: ThresholdInfo;
  delay: number;
  series: number;
  points: number;
  /** Point-adjusted (delay) precision, recall and F1 on the AIOps 2018 grid; f1 === pointAdjustedF1. */
  pointAdjustedF1: number;
  /** 95% bootstrap interval of pointAdjustedF1 over series. */
  pointAdjustedF1Interval: Interval;
  /** The grid counts behind pointAdjustedF1 (summed over series). */
  pointAdjustedCounts: Counts;
  precision: number;
  recall: number;
  f1: number;
  pointPrecision: number;
  pointRecall: number;
  pointF1: number;
  events: number;
  detectedEvents: number;
  eventRecall: number;
  rangePrecision: number;
  rangeRecall: number;
  meanTimeToDetectMs: number;
  falseAlarms: number;
  falseAlarmsPerDay: number;
  nab: Record<NabProfileName, number>;
  eventDetails: EventDetail[];
}

export interface ScoreOptions {
  /** Max delay in grid slots for point adjustment (default 7). */
  delay?: number;
  threshold?: ThresholdSource;
  /** threshold 'given': the level on normalised scores. */
  level?: number;
  /** threshold 'given': one level per NAB profile for the NAB figures (default: `level`). */
  nabLevels?: Partial<Record<NabProfileName, number>>;
  /** Points before this time (per series or one for all) are training: not scored. */
  scoreFrom?: number | Record<string, number>;
  /** For threshold 'train' or 'train-labels' with a separate training set: its series and detections. */
  train?: { series: Series[]; detections: Detection[] };
  /** NAB windows per series id, inclusive [start, end] in unix ms; else derived from labels. */
  windows?: Record<string, Array<[number, number]>>;
  /** threshold 'train': share of training points above the level (default 0.001). */
  rarity?: number;
  /** Range recall existence weight (default 0.5) and positional bias (default flat). */
  alpha?: number;
  bias?: PositionalBias;
  bootstrap?: BootstrapOptions;
}

/** Per-series data prepared once and scored for many alarm vectors. */
interface Prepared {
  s: Series;
  d: Detection;
  /** First scored index. */
  from: number;
  labels: Uint8Array;
  norm: Float64Array;
  /** AIOps 2018 grid of the scored part. */
  grid: AiopsGrid;
  nab: NabFile;
}

/*
 * One command scores the same detections under several threshold sources and per series, each
 * from the same grid and normalised scores. Scored series and detections are not mutated, so
 * these are derived once per array (weakly held: they go with their inputs).
 */
const gridMemo = new WeakMap<Float64Array, Map<number, AiopsGrid>>();
const normMemo = new WeakMap<Detection, Float64Array>();

/** The AIOps grid of a series' points from index `from` on. */
function gridFrom(s: Series, from: number): AiopsGrid {
  let byFrom = gridMemo.get(s.timestamps);
  if (!byFrom) gridMemo.set(s.timestamps, (byFrom = new Map()));
  let grid = byFrom.get(from);
  if (!grid) byFrom.set(from, (grid = aiopsGrid(s.timestamps.subarray(from), s.id)));
  return grid;
}

function normalised(d: Detection): Float64Array {
  let out = normMemo.get(d);
  if (out) return out;
  const level = d.threshold !== undefined && Number.isFinite(d.threshold) && d.threshold > 0 ? d.threshold : 1;
  out = new Float64Array(d.scores.length);
  for (let i = 0; i < out.length; i++) out[i] = d.scores[i] / level;
  normMemo.set(d, out);
  return out;
}

/** Windows in unix ms to inclusive index ranges: the first point at or after the start to the last at or before the end. */
export function windowsInIndex(ts: Float64Array, windows: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [ws, we] of windows) {
    const a = lowerBound(ts, ws);
    const b = upperBound(ts, we) - 1;
    if (b >= a) out.push([a, b]);
  }
  return out;
}

function scoreFromIndex(s: Series, scoreFrom: ScoreOptions['scoreFrom']): number {
  const t = typeof scoreFrom === 'number' ? scoreFrom : scoreFrom?.[s.id];
  return t === undefined ? 0 : lowerBound(s.timestamps, t);
}

function prepare(series: Series[], detections: Detection[], opts: Pick<ScoreOptions, 'scoreFrom' | 'windows'>): Prepared[] {
  if (series.length !== detections.length) throw new Error(`scoring: ${series.length} series but ${detections.length} detections`);
  return series.map((s, k) => {
    const d = detections[k];
    const n = s.timestamps.length;
    if (d.scores.length !== n || d.alarms.length !== n) throw new Error(`scoring: series ${s.id}: ${n} points but ${d.scores.length} scores and ${d.alarms.length} alarms`);
    const labels = s.labels ?? new Uint8Array(n);
    const from = scoreFromIndex(s, opts.scoreFrom);
    const given = opts.windows?.[s.id];
    const windows = given ? windowsInIndex(s.timestamps, given) : nabWindowsFromSegments(runsOf(labels), n);
    const norm = normalised(d);
    return { s, d, from, labels, norm, grid: gridFrom(s, from), nab: nabFile(norm, windows, Math.max(from, probationaryPoints(n))) };
  });
}

function alarmsAt(p: Prepared, level: number): Uint8Array {
  const a = new Uint8Array(p.norm.length);
  for (let i = 0; i < a.length; i++) if (p.norm[i] >= level) a[i] = 1;
  return a;
}

function paCounts(p: Prepared, alarms: Uint8Array, delay: number): Counts {
  return pointAdjustedCounts(p.grid, p.labels.subarray(p.from), alarms.subarray(p.from), delay);
}

const ZERO_COUNTS: Counts = { tp: 0, fp: 0, fn: 0 };

function f1Of(m: Uint32Array, counts: Counts[]): number {
  let c = ZERO_COUNTS;
  for (let k = 0; k < counts.length; k++) {
    const w = m[k];
    if (w) c = { tp: c.tp + w * counts[k].tp, fp: c.fp + w * counts[k].fp, fn: c.fn + w * counts[k].fn };
  }
  return precisionRecallF1(c).f1;
}

function computeMetrics(prepared: Prepared[], alarms: Uint8Array[], threshold: ThresholdInfo, opts: ScoreOptions, nabAlarms?: Record<NabProfileName, Uint8Array[]>): DetectionMetrics {
  const delay = opts.delay ?? DEFAULT_DELAY;
  const alpha = opts.alpha ?? 0.5;
  const bias = opts.bias ?? 'flat';
  let pa = ZERO_COUNTS;
  const perSeriesPa: Counts[] = [];
  let pw = ZERO_COUNTS;
  let recallSum = 0;
  let realRanges = 0;
  let precisionSum = 0;
  let predictedRanges = 0;
  let falseAlarms = 0;
  let spanMs = 0;
  let points = 0;
  const eventDetails: EventDetail[] = [];
  const nab = Object.fromEntries(NAB_PROFILE_NAMES.map((p) => [p, ZERO_NAB])) as Record<NabProfileName, NabSums>;
  prepared.forEach((p, k) => {
    const a = alarms[k];
    const ts = p.s.timestamps.subarray(p.from);
    const labels = p.labels.subarray(p.from);
    const scored = a.subarray(p.from);
    points += ts.length;
    const c = paCounts(p, a, delay);
    perSeriesPa.push(c);
    pa = addCounts(pa, c);
    pw = addCounts(pw, pointwiseCounts(labels, scored));
    const r = rangeSums(labels, scored, alpha, bias);
    recallSum += r.recallSum;
    realRanges += r.realRanges;
    precisionSum += r.precisionSum;
    predictedRanges += r.predictedRanges;
    const ev = eventCounts(p.s.id, ts, labels, scored);
    eventDetails.push(...ev.events);
    falseAlarms += ev.falseAlarms;
    spanMs += ev.spanMs;
    for (const profile of NAB_PROFILE_NAMES) {
      nab[profile] = addNabSums(nab[profile], nabScoreOfAlarms(p.nab, nabAlarms ? nabAlarms[profile][k] : a, NAB_PROFILES[profile]));
    }
  });
  const paf = precisionRecallF1(pa);
  const pwf = precisionRecallF1(pw);
  const detected = eventDetails.filter((e) => e.firstAlarm !== undefined);
  const ttd = detected.reduce((acc, e) => acc + (e.firstAlarm! - e.start), 0);
  return {
    threshold,
    delay,
    series: prepared.length,
    points,
    pointAdjustedF1: paf.f1,
    pointAdjustedF1Interval: bootstrapInterval(perSeriesPa.length, (m) => f1Of(m, perSeriesPa), 'point-adjusted F1', opts.bootstrap),
    pointAdjustedCounts: pa,
    precision: paf.precision,
    recall: paf.recall,
    f1: paf.f1,
    pointPrecision: pwf.precision,
    pointRecall: pwf.recall,
    pointF1: pwf.f1,
    events: eventDetails.length,
    detectedEvents: detected.length,
    eventRecall: eventDetails.length ? detected.length / eventDetails.length : NaN,
    rangePrecision: predictedRanges ? precisionSum / predictedRanges : NaN,
    rangeRecall: realRanges ? recallSum / realRanges : NaN,
    meanTimeToDetectMs: detected.length ? ttd / detected.length : NaN,
    falseAlarms,
    falseAlarmsPerDay: spanMs > 0 ? falseAlarms / (spanMs / DAY_MS) : NaN,
    nab: Object.fromEntries(NAB_PROFILE_NAMES.map((p) => [p, normalisedNab(nab[p])])) as Record<NabProfileName, number>,
    eventDetails,
  };
}

/** The point-adjusted items of every series, concatenated (the grids of all series side by side). */
function pooledItems(prepared: Prepared[], delay: number): PointAdjustedItems {
  const parts = prepared.map((p) => pointAdjustedItems(p.grid, p.labels.subarray(p.from), p.norm.subarray(p.from), delay));
  const cat = (pick: (x: PointAdjustedItems) => Float64Array) => {
    const out = new Float64Array(parts.reduce((a, x) => a + pick(x).length, 0));
    let o = 0;
    for (const x of parts) {
      out.set(pick(x), o);
      o += pick(x).length;
    }
    return out;
  };
  return {
    positiveScores: cat((x) => x.positiveScores),
    positiveWeights: cat((x) => x.positiveWeights),
    negativeScores: cat((x) => x.negativeScores),
    missing: parts.reduce((a, x) => a + x.missing, 0),
  };
}

/** The level with the best point-adjusted F1 over every distinct normalised score. */
function bestPaLevel(prepared: Prepared[], delay: number): number {
  return bestF1Threshold(pooledItems(prepared, delay)).threshold;
}

/** The training part: a separate training set, or each scored series' points before scoreFrom. */
function trainingPart(prepared: Prepared[], opts: ScoreOptions): Prepared[] {
  if (opts.train) return prepare(opts.train.series, opts.train.detections, {});
  return prepared.map((p) => {
    const s: Series = prefixOf(p.s, p.from < p.s.timestamps.length ? p.s.timestamps[p.from] : Infinity);
    const d: Detection = { scores: p.d.scores.subarray(0, p.from), alarms: p.d.alarms.subarray(0, p.from) };
    if (p.d.threshold !== undefined) d.threshold = p.d.threshold;
    return prepare([s], [d], {})[0];
  });
}

/** Whether the training part (separate set, or the prefixes before scoreFrom) holds a labelled point. */
export function trainingHasLabels(series: Series[], opts: ScoreOptions): boolean {
  if (opts.train) return opts.train.series.some((s) => s.labels?.some((v) => v === 1) ?? false);
  return series.some((s) => {
    const from = scoreFromIndex(s, opts.scoreFrom);
    return s.labels?.subarray(0, from).some((v) => v === 1) ?? false;
  });
}

function unsupervisedTrainLevel(train: Prepared[], rarity: number): { level: number; objective: string } {
  const pooled: number[] = [];
  for (const p of train) for (let i = 0; i < p.norm.length; i++) if (Number.isFinite(p.norm[i])) pooled.push(p.norm[i]);
  let level = quantileSorted(sortedFinite(pooled), 1 - rarity);
  // Detectors that report their own level set it from the same training data, out of sample where
  // in-sample scores flatter (kmeans-window): the in-sample quantile must not undercut it.
  const ownLevels = train.length > 0 && train.every((p) => p.d.threshold !== undefined && Number.isFinite(p.d.threshold) && p.d.threshold > 0);
  if (ownLevels) level = Math.max(level, 1);
  const objective = `${1 - rarity} quantile of the normalised training scores, all series pooled, no labels used${ownLevels ? ", at least each detector's own level" : ''}`;
  return { level: Number.isFinite(level) ? level : Infinity, objective };
}

/**
 * Each series' point-adjusted counts on its own grid with the detector's own alarms: the terms
 * `scoreDetection` sums into point-adjusted F1, kept per series for intervals and paired tests.
 */
export function pointAdjustedCountsBySeries(series: Series[], detections: Detection[], opts: Pick<ScoreOptions, 'delay' | 'scoreFrom'> = {}): Counts[] {
  const delay = opts.delay ?? DEFAULT_DELAY;
  return series.map((s, k) => {
    const from = scoreFromIndex(s, opts.scoreFrom);
    const labels = s.labels ?? new Uint8Array(s.timestamps.length);
    return pointAdjustedCounts(gridFrom(s, from), labels.subarray(from), detections[k].alarms.subarray(from), delay);
  });
}

/** Score detections against the series' labels with the chosen threshold source. */
export function scoreDetection(series: Series[], detections: Detection[], opts: ScoreOptions = {}): DetectionMetrics {
  const source = opts.threshold ?? 'own';
  const delay = opts.delay ?? DEFAULT_DELAY;
  const prepared = prepare(series, detections, opts);
  switch (source) {
    case 'own':
      return computeMetrics(prepared, prepared.map((p) => p.d.alarms), { source }, opts);
    case 'given': {
      const level = opts.level;
      if (level === undefined || Number.isNaN(level)) throw new Error("threshold source 'given' needs a level");
      const nabLevels = Object.fromEntries(NAB_PROFILE_NAMES.map((p) => [p, opts.nabLevels?.[p] ?? level])) as Record<NabProfileName, number>;
      const nabAlarms = Object.fromEntries(NAB_PROFILE_NAMES.map((p) => [p, prepared.map((x) => alarmsAt(x, nabLevels[p]))])) as Record<NabProfileName, Uint8Array[]>;
      return computeMetrics(prepared, prepared.map((p) => alarmsAt(p, level)), { source, level, objective: 'given by the caller', nabLevels }, opts, nabAlarms);
    }
    case 'train': {
      const { level, objective } = unsupervisedTrainLevel(trainingPart(prepared, opts), opts.rarity ?? DEFAULT_RARITY);
      return computeMetrics(prepared, prepared.map((p) => alarmsAt(p, level)), { source, level, objective }, opts);
    }
    case 'train-labels': {
      if (!trainingHasLabels(series, opts)) throw new Error("threshold source 'train-labels': the training data holds no labelled point");
      const level = bestPaLevel(trainingPart(prepared, opts), delay);
      return computeMetrics(prepared, prepared.map((p) => alarmsAt(p, level)), { source, level, objective: 'TRAINING LABELS: best point-adjusted F1 on the labelled training data only' }, opts);
    }
    case 'oracle': {
      const level = bestPaLevel(prepared, delay);
      const nabLevels = {} as Record<NabProfileName, number>;
      const nabAlarms = {} as Record<NabProfileName, Uint8Array[]>;
      const optima = nabOptimiseProfiles(
        prepared.map((p) => p.nab),
        NAB_PROFILE_NAMES.map((p) => NAB_PROFILES[p]),
      );
      NAB_PROFILE_NAMES.forEach((profile, k) => {
        nabLevels[profile] = optima[k].threshold;
        nabAlarms[profile] = prepared.map((p) => alarmsAt(p, nabLevels[profile]));
      });
      return computeMetrics(
        prepared,
        prepared.map((p) => alarmsAt(p, level)),
        { source, level, objective: "ORACLE: best point-adjusted F1 on the scored data (NAB: NAB's optimiser per profile)", nabLevels },
        opts,
        nabAlarms,
      );
    }
  }
}

export const THRESHOLD_FREE_FIGURES = ['aucPr', 'aucRoc', 'paAucPr', 'paAucRoc', 'vusPr', 'vusRoc'] as const;
export type ThresholdFreeFigure = (typeof THRESHOLD_FREE_FIGURES)[number];

export interface SeriesThresholdFree extends Record<ThresholdFreeFigure, number> {
  /** VUS buffer window L (TSB-AD's find_length_rank on the series' values unless given). */
  vusWindow: number;
}

export interface ThresholdFreeMetrics extends Record<ThresholdFreeFigure, number> {
  delay: number;
  /** Series holding a labelled scored point: the figures are means over them. */
  series: number;
  intervals: Record<ThresholdFreeFigure, Interval>;
  vusWindow: string;
  perSeries: Record<string, SeriesThresholdFree>;
}

export interface ThresholdFreeOptions extends Pick<ScoreOptions, 'delay' | 'scoreFrom' | 'windows' | 'bootstrap'> {
  /** VUS window for every series; default TSB-AD's per-series find_length_rank. */
  vusWindow?: number;
}

/** By series and detection: a row reads the series' times, values and labels and the detection's scores. */
const rowMemo = new WeakMap<Series, WeakMap<Detection, Map<string, SeriesThresholdFree>>>();

/** One series' threshold-free figures; every curve figure is NaN without a labelled scored point. */
function thresholdFreeRow(p: Prepared, delay: number, vusWindow: number | undefined): SeriesThresholdFree {
  let byDetection = rowMemo.get(p.s);
  if (!byDetection) rowMemo.set(p.s, (byDetection = new WeakMap()));
  let byKey = byDetection.get(p.d);
  if (!byKey) byDetection.set(p.d, (byKey = new Map()));
  const key = `${p.from}:${delay}:${vusWindow ?? ''}`;
  const known = byKey.get(key);
  if (known) return { ...known };
  const labels = p.labels.subarray(p.from);
  const scores = p.norm.subarray(p.from);
  const window = vusWindow ?? tsbSlidingWindow(p.s.values.subarray(p.from));
  let row: SeriesThresholdFree;
  if (!labels.some((x) => x !== 0)) row = { aucPr: NaN, aucRoc: NaN, paAucPr: NaN, paAucRoc: NaN, vusPr: NaN, vusRoc: NaN, vusWindow: window };
  else {
    const order = descendingOrder(scores);
    const point = pointwiseCurveAreas(labels, scores, order);
    const pa = curveAreas(pointAdjustedItems(p.grid, labels, scores, delay, order));
    const v = vus(labels, scores, window, VUS_THRESHOLDS, order);
    row = { aucPr: point.aucPr, aucRoc: point.aucRoc, paAucPr: pa.aucPr, paAucRoc: pa.aucRoc, vusPr: v.vusPr, vusRoc: v.vusRoc, vusWindow: window };
  }
  byKey.set(key, row);
  return { ...row };
}

/** AUC-PR, AUC-ROC (point-wise and point-adjusted), VUS-PR and VUS-ROC: per series, their means and intervals. */
export function thresholdFreeMetrics(series: Series[], detections: Detection[], opts: ThresholdFreeOptions = {}): ThresholdFreeMetrics {
  const delay = opts.delay ?? DEFAULT_DELAY;
  const prepared = prepare(series, detections, opts);
  const perSeries: Record<string, SeriesThresholdFree> = {};
  const columns = Object.fromEntries(THRESHOLD_FREE_FIGURES.map((f) => [f, new Float64Array(prepared.length)])) as Record<ThresholdFreeFigure, Float64Array>;
  prepared.forEach((p, k) => {
    const row = thresholdFreeRow(p, delay, opts.vusWindow);
    perSeries[p.s.id] = row;
    for (const f of THRESHOLD_FREE_FIGURES) columns[f][k] = row[f];
  });
  const counted = prepared.filter((_p, k) => !Number.isNaN(columns.aucPr[k])).length;
  const out = {
    delay,
    series: counted,
    vusWindow: opts.vusWindow !== undefined ? String(opts.vusWindow) : "per series, TSB-AD's find_length_rank on the values",
    perSeries,
    intervals: {} as Record<ThresholdFreeFigure, Interval>,
  } as ThresholdFreeMetrics;
  for (const f of THRESHOLD_FREE_FIGURES) {
    out[f] = weightedMean(columns[f]);
    out.intervals[f] = meanInterval(columns[f], f, opts.bootstrap);
  }
  return out;
}

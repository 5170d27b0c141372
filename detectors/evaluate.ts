/**
 * Running a detector over many series, and scoring its alarms with every metric of DOMAIN.md
 * section 6. Each figure carries its threshold source:
 *   own     the detector's own alarms;
 *   train   one level on normalised scores fitted on training data: the best point-adjusted F1 on
 *           the training labels when they hold anomalies, else the (1 - rarity) quantile of the
 *           normalised training scores pooled over all series ("rare means abnormal" for the
 *           corpus; the maximum, used before, grows with the length of the training period until
 *           nothing alarms), never below 1 (each detector's own level) when detectors report one;
 *   oracle  the best level on the scored data itself (an upper bound, labelled as such): best
 *           point-adjusted F1 for all figures but NAB, and the best score per NAB profile, as the
 *           NAB scoreboard does.
 * Normalised score = score / the detector's own level (Detection.threshold) when it reports one,
 * so one level is comparable across series.
 */
import type { Detection, Detector } from './types.js';
import type { Resolved } from '../common/plugin.js';
import type { Series } from '../data/types.js';
import { addCounts, precisionRecallF1, runsOf, type Counts } from '../scores/detection/confusion.js';
import { pointwiseCounts } from '../scores/detection/pointwise.js';
import { gridAlarms, gridLayout, type GridLayout } from '../scores/detection/grid.js';
import { pointAdjustedCounts } from '../scores/detection/point-adjusted.js';
import { eventCounts, type EventDetail } from '../scores/detection/events.js';
import { rangeSums, type PositionalBias } from '../scores/detection/range.js';
import { NAB_PROFILES, addNabSums, nabScore, nabWindowsFromSegments, normalisedNab, probationaryPoints, type NabProfileName, type NabSums } from '../scores/detection/nab.js';
import { sortedFinite, quantileSorted } from './stats.js';
import { DAY_MS } from '../data/sampling.js';
import { DEFAULT_RARITY } from './calibrate.js';

/** Share of each series used for fitting when neither a training set nor a split time is given (NAB's probationary 15%). */
export const DEFAULT_TRAIN_FRACTION = 0.15;

export interface RunOptions {
  /** Separate training series, matched to the scored ones by id; used for fitting only. */
  train?: Series[];
  /** Fit on the points before this time (unix ms), per series id or one for all. */
  trainUntil?: number | Record<string, number>;
}

/** First time not used for training, per series: trainUntil, else after the first 15% of points. */
export function trainBoundary(s: Series, trainUntil?: number | Record<string, number>): number {
  const t = typeof trainUntil === 'number' ? trainUntil : trainUntil?.[s.id];
  if (t !== undefined) return t;
  const n = s.timestamps.length;
  const k = Math.floor(n * DEFAULT_TRAIN_FRACTION);
  return k < n ? s.timestamps[k] : Infinity;
}

/** The points of a series before `until` (views, no copy). */
export function prefixOf(s: Series, until: number): Series {
  let k = 0;
  while (k < s.timestamps.length && s.timestamps[k] < until) k++;
  const out: Series = { id: s.id, timestamps: s.timestamps.subarray(0, k), values: s.values.subarray(0, k) };
  if (s.kpi) out.kpi = s.kpi;
  if (s.volume) out.volume = s.volume.subarray(0, k);
  if (s.labels) out.labels = s.labels.subarray(0, k);
  return out;
}

function checkDetection(name: string, s: Series, d: Detection): Detection {
  const n = s.values.length;
  if (!d || !(d.scores instanceof Float64Array) || !(d.alarms instanceof Uint8Array)) {
    throw new Error(`detector ${name}: series ${s.id}: detect() must return { scores: Float64Array, alarms: Uint8Array }`);
  }
  if (d.scores.length !== n || d.alarms.length !== n) {
    throw new Error(`detector ${name}: series ${s.id}: got ${d.scores.length} scores and ${d.alarms.length} alarms for ${n} points`);
  }
  return d;
}

/** Fit (on training data) and run one fresh detector per series; one Detection per series, same order. */
export async function runDetector(detectorSpec: Resolved<Detector>, series: Series[], opts: RunOptions = {}): Promise<Detection[]> {
  const factory = detectorSpec;
  const trainById = new Map((opts.train ?? []).map((s) => [s.id, s]));
  const out: Detection[] = [];
  for (const s of series) {
    const detector = detectorSpec.create();
    let train: Series;
    if (opts.train) {
      const t = trainById.get(s.id);
      if (!t) throw new Error(`detector ${factory.name}: no training series for "${s.id}" (training set has ${trainById.size} series)`);
      train = t;
    } else train = prefixOf(s, trainBoundary(s, opts.trainUntil));
    if (detector.fit && train.values.length > 0) await detector.fit(train);
    out.push(checkDetection(factory.name, s, await detector.detect(s)));
  }
  return out;
}

export type ThresholdSource = 'own' | 'train' | 'oracle';

export interface ThresholdInfo {
  source: ThresholdSource;
  /** Level on normalised scores (absent for own). */
  level?: number;
  /** What the level was chosen for. */
  objective?: string;
  /** oracle only: the best level per NAB profile. */
  nabLevels?: Record<NabProfileName, number>;
}

export interface DetectionMetrics {
  threshold: ThresholdInfo;
  delay: number;
  series: number;
  points: number;
  /** Point-adjusted (delay) precision, recall and F1; f1 === pointAdjustedF1. */
  pointAdjustedF1: number;
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
  /** Max delay in grid points for point adjustment (default 7). */
  delay?: number;
  threshold?: ThresholdSource;
  /** Points before this time (per series or one for all) are training: not scored. */
  scoreFrom?: number | Record<string, number>;
  /** For threshold 'train' with a separate training set: its series and detections. */
  train?: { series: Series[]; detections: Detection[] };
  /** NAB windows per series id, inclusive [start, end] in unix ms; else derived from labels. */
  windows?: Record<string, Array<[number, number]>>;
  /** threshold 'train' on unlabelled training data: share of training points above the level (default 0.001). */
  rarity?: number;
  /** Range recall existence weight (default 0.5) and positional bias (default flat). */
  alpha?: number;
  bias?: PositionalBias;
}

/** Per-series data prepared once and scored for many alarm vectors. */
interface Prepared {
  s: Series;
  d: Detection;
  from: number;
  labels: Uint8Array;
  norm: Float64Array;
  windows: Array<[number, number]>;
  nabFrom: number;
  /** Regular grid of the scored part, for point adjustment. */
  grid: GridLayout;
}

function normalised(d: Detection): Float64Array {
  const level = d.threshold !== undefined && Number.isFinite(d.threshold) && d.threshold > 0 ? d.threshold : 1;
  const out = new Float64Array(d.scores.length);
  for (let i = 0; i < out.length; i++) out[i] = d.scores[i] / level;
  return out;
}

function firstIndexAtOrAfter(ts: Float64Array, t: number): number {
  let a = 0;
  let b = ts.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (ts[m] < t) a = m + 1;
    else b = m;
  }
  return a;
}

function windowsInIndex(ts: Float64Array, windows: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [ws, we] of windows) {
    const a = firstIndexAtOrAfter(ts, ws);
    const b = firstIndexAtOrAfter(ts, we + 1e-9) - 1;
    if (b >= a) out.push([a, b]);
  }
  return out;
}

function prepare(series: Series[], detections: Detection[], opts: ScoreOptions): Prepared[] {
  if (series.length !== detections.length) throw new Error(`scoreDetection: ${series.length} series but ${detections.length} detections`);
  return series.map((s, k) => {
    const d = detections[k];
    const n = s.timestamps.length;
    const labels = s.labels ?? new Uint8Array(n);
    const fromTime = typeof opts.scoreFrom === 'number' ? opts.scoreFrom : opts.scoreFrom?.[s.id];
    const from = fromTime === undefined ? 0 : firstIndexAtOrAfter(s.timestamps, fromTime);
    const given = opts.windows?.[s.id];
    const windows = given ? windowsInIndex(s.timestamps, given) : nabWindowsFromSegments(runsOf(labels), n);
    const grid = gridLayout(s.timestamps.subarray(from), labels.subarray(from));
    return { s, d, from, labels, norm: normalised(d), windows, nabFrom: Math.max(from, probationaryPoints(n)), grid };
  });
}

function alarmsAt(p: Prepared, level: number): Uint8Array {
  const a = new Uint8Array(p.norm.length);
  for (let i = 0; i < a.length; i++) if (p.norm[i] > level) a[i] = 1;
  return a;
}

function paCounts(p: Prepared, alarms: Uint8Array, delay: number): Counts {
  return pointAdjustedCounts(p.grid.labels, gridAlarms(p.grid, alarms.subarray(p.from)), delay);
}

function nabSums(p: Prepared, alarms: Uint8Array, profile: NabProfileName): NabSums {
  return nabScore(alarms, p.windows, p.nabFrom, NAB_PROFILES[profile]);
}

const PROFILES = Object.keys(NAB_PROFILES) as NabProfileName[];
const ZERO_COUNTS: Counts = { tp: 0, fp: 0, fn: 0 };
const ZERO_NAB: NabSums = { score: 0, nullScore: 0, perfectScore: 0, windows: 0 };

function computeMetrics(prepared: Prepared[], alarms: Uint8Array[], threshold: ThresholdInfo, opts: ScoreOptions, nabAlarms?: Record<NabProfileName, Uint8Array[]>): DetectionMetrics {
  const delay = opts.delay ?? 7;
  const alpha = opts.alpha ?? 0.5;
  const bias = opts.bias ?? 'flat';
  let pa = ZERO_COUNTS;
  let pw = ZERO_COUNTS;
  let recallSum = 0;
  let realRanges = 0;
  let precisionSum = 0;
  let predictedRanges = 0;
  let falseAlarms = 0;
  let spanMs = 0;
  let points = 0;
  const eventDetails: EventDetail[] = [];
  const nab = Object.fromEntries(PROFILES.map((p) => [p, ZERO_NAB])) as Record<NabProfileName, NabSums>;
  prepared.forEach((p, k) => {
    const a = alarms[k];
    const ts = p.s.timestamps.subarray(p.from);
    const labels = p.labels.subarray(p.from);
    const scored = a.subarray(p.from);
    points += ts.length;
    pa = addCounts(pa, paCounts(p, a, delay));
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
    for (const profile of PROFILES) nab[profile] = addNabSums(nab[profile], nabSums(p, nabAlarms ? nabAlarms[profile][k] : a, profile));
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
    nab: Object.fromEntries(PROFILES.map((p) => [p, normalisedNab(nab[p])])) as Record<NabProfileName, number>,
    eventDetails,
  };
}

/** Candidate levels: quantiles of the finite normalised scores, dense towards the top, plus "never". */
function candidateLevels(prepared: Prepared[]): number[] {
  const all: number[] = [];
  for (const p of prepared) for (let i = p.from; i < p.norm.length; i++) if (Number.isFinite(p.norm[i])) all.push(p.norm[i]);
  const sorted = sortedFinite(all);
  const levels = new Set<number>();
  for (let j = 0; j <= 80; j++) {
    const q = 1 - Math.pow(10, -0.3 - (j / 80) * 4.7); // 0.5 ... 0.99998
    const v = quantileSorted(sorted, q);
    if (Number.isFinite(v)) levels.add(v);
  }
  levels.add(sorted.length ? sorted[sorted.length - 1] : Infinity); // the level that never alarms
  return [...levels].sort((a, b) => a - b);
}

function bestLevel(levels: number[], objective: (level: number) => number): number {
  let best = levels[levels.length - 1] ?? Infinity;
  let bestValue = -Infinity;
  for (const level of levels) {
    const v = objective(level);
    if (v > bestValue) {
      bestValue = v;
      best = level;
    }
  }
  return best;
}

function paF1At(prepared: Prepared[], level: number, delay: number): number {
  let c = ZERO_COUNTS;
  for (const p of prepared) c = addCounts(c, paCounts(p, alarmsAt(p, level), delay));
  const f = precisionRecallF1(c).f1;
  return Number.isFinite(f) ? f : 0;
}

function trainLevel(prepared: Prepared[], opts: ScoreOptions, delay: number): { level: number; objective: string } {
  // The training part: a separate training set, or each scored series' prefix before scoreFrom.
  const train: Prepared[] = opts.train
    ? prepare(opts.train.series, opts.train.detections, {})
    : prepared.map((p) => {
        const s: Series = prefixOf(p.s, p.from < p.s.timestamps.length ? p.s.timestamps[p.from] : Infinity);
        const d: Detection = { scores: p.d.scores.subarray(0, p.from), alarms: p.d.alarms.subarray(0, p.from) };
        if (p.d.threshold !== undefined) d.threshold = p.d.threshold;
        return prepare([s], [d], {})[0];
      });
  const anyLabel = train.some((p) => p.labels.some((v) => v === 1));
  if (anyLabel) return { level: bestLevel(candidateLevels(train), (level) => paF1At(train, level, delay)), objective: 'best point-adjusted F1 on the training labels' };
  const rarity = opts.rarity ?? DEFAULT_RARITY;
  const pooled: number[] = [];
  for (const p of train) for (let i = 0; i < p.norm.length; i++) if (Number.isFinite(p.norm[i])) pooled.push(p.norm[i]);
  let level = quantileSorted(sortedFinite(pooled), 1 - rarity);
  // Detectors that report their own level set it from the same training data, out of sample where
  // in-sample scores flatter (kmeans-window): the in-sample quantile must not undercut it.
  const ownLevels = train.length > 0 && train.every((p) => p.d.threshold !== undefined && Number.isFinite(p.d.threshold) && p.d.threshold > 0);
  if (ownLevels) level = Math.max(level, 1);
  const objective = `${1 - rarity} quantile of the normalised training scores, all series pooled${ownLevels ? ', at least each detector\'s own level' : ''}`;
  return { level: Number.isFinite(level) ? level : Infinity, objective };
}

/** Score detections against the series' labels with the chosen threshold source. */
export function scoreDetection(series: Series[], detections: Detection[], opts: ScoreOptions = {}): DetectionMetrics {
  const source = opts.threshold ?? 'own';
  const delay = opts.delay ?? 7;
  const prepared = prepare(series, detections, opts);
  if (source === 'own') return computeMetrics(prepared, prepared.map((p) => p.d.alarms), { source }, opts);
  if (source === 'train') {
    const { level, objective } = trainLevel(prepared, opts, delay);
    return computeMetrics(prepared, prepared.map((p) => alarmsAt(p, level)), { source, level, objective }, opts);
  }
  const levels = candidateLevels(prepared);
  const level = bestLevel(levels, (l) => paF1At(prepared, l, delay));
  const nabLevels = {} as Record<NabProfileName, number>;
  const nabAlarms = {} as Record<NabProfileName, Uint8Array[]>;
  for (const profile of PROFILES) {
    nabLevels[profile] = bestLevel(levels, (l) => {
      let sums = ZERO_NAB;
      for (const p of prepared) sums = addNabSums(sums, nabSums(p, alarmsAt(p, l), profile));
      const v = normalisedNab(sums);
      return Number.isFinite(v) ? v : 0;
    });
    nabAlarms[profile] = prepared.map((p) => alarmsAt(p, nabLevels[profile]));
  }
  return computeMetrics(
    prepared,
    prepared.map((p) => alarmsAt(p, level)),
    { source, level, objective: 'ORACLE: best point-adjusted F1 on the scored data (NAB: best per profile)', nabLevels },
    opts,
    nabAlarms,
  );
}

/**
 * How far two sets of results agree: Kendall's tau-b between two rankings of the same methods
 * (ties handled as in Kendall 1945, the variant scipy.stats.kendalltau computes by default), and
 * the two-sample Kolmogorov-Smirnov distance between two distributions given as quantile sketches
 * or as count histograms.
 */
import type { EffectMeasure } from '../data/fault-effect.js';
import { median } from '../detectors/stats.js';
import type { ItemResult } from './item-result.js';

/** Kendall's tau-b of paired values; NaN when fewer than two pairs or one side is constant. */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX++;
      else if (dy === 0) tiesY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const denom = Math.sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY));
  return denom > 0 ? (concordant - discordant) / denom : NaN;
}

/** The CDF of a distribution given by quantiles at `levels`, at x (linear between the points). */
function sketchCdf(q: readonly number[], levels: readonly number[], x: number): number {
  if (x < q[0]!) return 0;
  if (x >= q[q.length - 1]!) return 1;
  let k = 0;
  while (k + 1 < q.length && q[k + 1]! <= x) k++;
  const lo = q[k]!;
  const hi = q[k + 1]!;
  return hi > lo ? levels[k]! + ((levels[k + 1]! - levels[k]!) * (x - lo)) / (hi - lo) : levels[k + 1]!;
}

/** KS distance (largest CDF gap) between two distributions given as quantiles at the same levels. */
export function ksFromSketches(a: readonly number[], b: readonly number[], levels: readonly number[]): number {
  if (!a.length || !b.length) return NaN;
  let d = 0;
  for (const x of [...a, ...b]) d = Math.max(d, Math.abs(sketchCdf(a, levels, x) - sketchCdf(b, levels, x)));
  return d;
}

/** KS distance between two distributions of counts given as [value, frequency] pairs. */
export function ksFromCounts(a: readonly (readonly [number, number])[], b: readonly (readonly [number, number])[]): number {
  const na = a.reduce((s, p) => s + p[1], 0);
  const nb = b.reduce((s, p) => s + p[1], 0);
  if (!na || !nb) return NaN;
  const values = [...new Set([...a.map((p) => p[0]), ...b.map((p) => p[0])])].sort((u, v) => u - v);
  const fa = new Map(a.map((p) => [p[0], p[1]]));
  const fb = new Map(b.map((p) => [p[0], p[1]]));
  let ca = 0;
  let cb = 0;
  let d = 0;
  for (const v of values) {
    ca += fa.get(v) ?? 0;
    cb += fb.get(v) ?? 0;
    d = Math.max(d, Math.abs(ca / na - cb / nb));
  }
  return d;
}

/** The agreement type of all shared fault types with the simulated incidents weighted to the real types' mix. */
export const MIXED = 'all, real mix';

/** What `faultline fidelity` finds (fidelity.json). */
export interface Agreement {
  figure: string;
  /** The fault type, `all`, or MIXED. */
  type: string;
  methods: { name: string; sim: number; real: number }[];
  simIncidents: number;
  realIncidents: number;
  tau: number;
  interval: { low: number; high: number } | null;
  /**
   * RCA only: the methods that carry signal on each side (the lower end of their figure's 95%
   * bootstrap interval above what a random ranking of the side's services scores), and tau-b over
   * the methods with signal on either side: the others' order is noise.
   */
  signal?: { chanceSim: number; chanceReal: number; sim: string[]; real: string[]; tau: number; interval: { low: number; high: number } | null };
}

export interface Distance {
  what: string;
  /** Median, lowest and highest KS distance over the simulated items. */
  median: number;
  min: number;
  max: number;
  /** Operations (or services) compared, for the per-key distances. */
  compared?: number;
}

/**
 * How strongly one fault type changes its root cause's calls on each side: per measure of
 * data/fault-effect.ts, the median over incidents of the window-over-reference ratio.
 */
export interface EffectComparison {
  type: string;
  measure: EffectMeasure;
  sim: { median: number; incidents: number };
  real: { median: number; incidents: number };
  /** Simulated median over real median: below 1 the simulated faults move the root cause less (null when the real median is 0). */
  factor: number | null;
}

/** A simulated fault type's strength at one swept severity: the median over its incidents, as in EffectComparison. */
export interface SeverityEffect {
  severity: number;
  median: number;
  incidents: number;
}

/**
 * Where on the sweep's severities one measure of a fault type reaches the real strength: the
 * severity where the simulated median (interpolated in log effect between the two swept
 * severities around it) equals the real median. `inside`: between the swept severities; `below`
 * / `above`: the real effect lies beyond every swept severity's, nearest the lowest or the
 * highest (severity: that end; sweep further that way); `flat`: the measure cannot tell (severity
 * null): its medians span less than CALIBRATION_RESPONSE, or are not in order (the real effect lies
 * beyond them nearest a severity inside the range).
 */
export interface MeasureCalibration {
  measure: EffectMeasure;
  real: { median: number; incidents: number };
  bySeverity: SeverityEffect[];
  severity: number | null;
  fit: 'inside' | 'below' | 'above' | 'flat';
}

/**
 * Per fault type: `inside` with the severity that matches the real strength, the median over the
 * measures matched inside the swept range; else `below` / `above` where every measure that tells
 * lies beyond the same end (`bound`: that end's severity; sweep further that way), or `none`.
 */
export interface SeverityCalibration {
  type: string;
  severity: number | null;
  fit: 'inside' | 'below' | 'above' | 'none';
  bound?: number;
  measures: MeasureCalibration[];
}

/**
 * The overall tau-b of one figure per sweep seed: each seed's simulated items alone against the
 * whole real side (NaN, written null, where the methods do not differ), and the range over seeds.
 */
export interface SeedAgreement {
  figure: 'ac1' | 'avg5';
  seeds: { seed: number; tau: number; simIncidents: number }[];
  min: number;
  max: number;
}

/** A measure responds to severity when its simulated medians span at least this factor. */
export const CALIBRATION_RESPONSE = 1.25;

/**
 * How long each side's incidents are, the window every method judges a fault in: the median over
 * the side's faults of end minus start, in ms (null without faults).
 */
export interface WindowComparison {
  sim: { medianMs: number | null; incidents: number };
  real: { medianMs: number | null; incidents: number };
  /** Simulated median over real median; outside WINDOW_TOLERANCE either way the sides judge different problems. */
  factor: number | null;
}

/** The median window (end minus start, ms) of the items' faults, null without any, and how many there are. */
export function incidentWindow(items: readonly ItemResult[]): { medianMs: number | null; incidents: number } {
  const lengths = items.flatMap((i) => i.faults.map((f) => f.end - f.start));
  return { medianMs: lengths.length ? median(lengths) : null, incidents: lengths.length };
}

/** Incident windows within this factor of each other are taken as the same protocol. */
const WINDOW_TOLERANCE = 1.25;

/** Whether the two sides' incident windows differ beyond WINDOW_TOLERANCE. */
export function windowsDiffer(w: WindowComparison): boolean {
  return w.factor !== null && (w.factor > WINDOW_TOLERANCE || w.factor < 1 / WINDOW_TOLERANCE);
}

export interface FidelityResult {
  schema: 'faultline/fidelity';
  version: 1;
  /** The simulated run's path; several pooled runs' paths, comma-separated. */
  sim: string;
  real: string;
  typeMap: Record<string, string>;
  /** The incident windows of both sides: methods judged on windows of different lengths face different problems. */
  windows: WindowComparison;
  rca: Agreement[];
  detectors: Agreement[];
  telemetry: Distance[];
  /** Fault strength per fault type and measure both sides have (none where either side's items carry no `faultEffects`). */
  effects: EffectComparison[];
  /** Per fault type swept at two or more severities: the severity whose strength matches the real incidents'. */
  calibration: SeverityCalibration[];
  /** Per figure, tau-b per sweep seed where the simulated items come from two or more seeds (else empty). */
  bySeed: SeedAgreement[];
}


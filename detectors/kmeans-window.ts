/**
 * k-means over sliding-window features, the bank's detector for slow drifts in volume: each point's
 * trailing window of `window` values gives (mean, least-squares slope, zero-value rate, RMS of
 * first differences), on the KPI's noise-stabilising scale (kpi-noise.ts: volumes as
 * Anscombe-transformed counts, average latencies as logs weighted by their calls), z-scored with the
 * training statistics and weighted by the metric's kind
 * (high-frequency metrics lean on mean and slope, low-frequency ones, mostly zeros, on the zero
 * rate). Training windows are clustered with seeded k-means++ (Arthur & Vassilvitskii 2007) and
 * Lloyd iterations; the score is the weighted distance to the nearest centroid.
 */
import { z } from 'zod';
import { definePlugin } from '../common/plugin.js';
import type { DetectorPlugin } from './types.js';
import type { Series } from '../data/types.js';
import { alarmOptionsDerivedFloor, CalibratedDetector, type ScoringModel } from './calibrated.js';
import { stream } from '../sim/rng.js';
import { isLatencyWithVolume, stabilised } from './kpi-noise.js';

export const FEATURES = 4; // mean, slope, zeroRate, rmsDiff
const HIGH_FREQUENCY_WEIGHTS = [1.5, 1.5, 0.5, 1];
const LOW_FREQUENCY_WEIGHTS = [1, 0.5, 2, 1];
/** A metric whose training windows are more than this share zeros is a low-frequency one. */
const LOW_FREQUENCY_ZERO_RATE = 0.2;

/**
 * Features of each point's trailing window of finite values, row-major (n x 4); NaN rows before
 * warm-up. With `weights` (the calls behind each average latency) the mean and slope are weighted
 * by them (the window's true average latency), and each first difference is divided by its
 * standard error sqrt(1/w_k + 1/w_{k-1}), so the RMS measures the per-call spread whatever the
 * volume: a quiet service's one-call minutes do not look like a burst of jitter.
 */
export function windowFeatures(values: Float64Array, window: number, weights?: Float64Array): Float64Array {
  const n = values.length;
  const out = new Float64Array(n * FEATURES).fill(NaN);
  const ring = new Float64Array(window);
  const ringWeight = new Float64Array(window).fill(1);
  let head = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== v) continue;
    ring[head] = v;
    if (weights) ringWeight[head] = Math.max(weights[i], 1e-9);
    head = head + 1 === window ? 0 : head + 1;
    if (count < window) count++;
    if (count < window) continue;
    // Weighted least squares slope against positions 0..w-1 (unit weights: the ordinary one).
    let sw = 0;
    let swk = 0;
    let swx = 0;
    let zeros = 0;
    for (let k = 0; k < window; k++) {
      const j = (head + k) % window;
      const wk = ringWeight[j];
      sw += wk;
      swk += wk * k;
      swx += wk * ring[j];
      if (ring[j] === 0) zeros++;
    }
    const kbar = swk / sw;
    const xbar = swx / sw;
    let sxy = 0;
    let sxx = 0;
    let diffSq = 0;
    for (let k = 0; k < window; k++) {
      const j = (head + k) % window;
      const wk = ringWeight[j];
      sxy += wk * (k - kbar) * (ring[j] - xbar);
      sxx += wk * (k - kbar) * (k - kbar);
      if (k > 0) {
        const p = j === 0 ? window - 1 : j - 1;
        const d = ring[j] - ring[p];
        diffSq += weights ? (d * d) / (1 / wk + 1 / ringWeight[p]) : d * d;
      }
    }
    const o = i * FEATURES;
    out[o] = xbar;
    out[o + 1] = sxy / sxx;
    out[o + 2] = zeros / window;
    out[o + 3] = Math.sqrt(diffSq / (window - 1));
  }
  return out;
}

/** Quantile of the chi-square distribution with 4 degrees of freedom: survival e^(-x/2) (1 + x/2). */
export function chiSquare4Quantile(p: number): number {
  let lo = 0;
  let hi = 1e4;
  for (let step = 0; step < 200; step++) {
    const mid = (lo + hi) / 2;
    if (Math.exp(-mid / 2) * (1 + mid / 2) > 1 - p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function distance2(a: Float64Array, ao: number, b: Float64Array, bo: number): number {
  let d = 0;
  for (let f = 0; f < FEATURES; f++) d += (a[ao + f] - b[bo + f]) * (a[ao + f] - b[bo + f]);
  return d;
}

/** Seeded k-means++ initialisation then Lloyd iterations over row-major points (m x 4). */
export function kmeans(points: Float64Array, k: number, random: () => number, maxIter = 50): Float64Array {
  const m = points.length / FEATURES;
  const kk = Math.min(k, m);
  const centroids = new Float64Array(kk * FEATURES);
  const d2 = new Float64Array(m).fill(Infinity);
  let pick = Math.floor(random() * m);
  for (let c = 0; c < kk; c++) {
    centroids.set(points.subarray(pick * FEATURES, pick * FEATURES + FEATURES), c * FEATURES);
    let total = 0;
    for (let i = 0; i < m; i++) {
      d2[i] = Math.min(d2[i], distance2(points, i * FEATURES, centroids, c * FEATURES));
      total += d2[i];
    }
    if (total === 0) return centroids.slice(0, (c + 1) * FEATURES);
    let r = random() * total;
    pick = m - 1;
    for (let i = 0; i < m; i++) {
      r -= d2[i];
      if (r <= 0) {
        pick = i;
        break;
      }
    }
  }
  const assign = new Int32Array(m).fill(-1);
  const sums = new Float64Array(kk * FEATURES);
  const counts = new Int32Array(kk);
  for (let iter = 0; iter < maxIter; iter++) {
    let changed = 0;
    for (let i = 0; i < m; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < kk; c++) {
        const d = distance2(points, i * FEATURES, centroids, c * FEATURES);
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      if (assign[i] !== best) {
        assign[i] = best;
        changed++;
      }
    }
    if (changed === 0) break;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < m; i++) {
      const c = assign[i];
      counts[c]++;
      for (let f = 0; f < FEATURES; f++) sums[c * FEATURES + f] += points[i * FEATURES + f];
    }
    for (let c = 0; c < kk; c++) {
      if (counts[c] === 0) continue; // an emptied cluster keeps its old centre
      for (let f = 0; f < FEATURES; f++) centroids[c * FEATURES + f] = sums[c * FEATURES + f] / counts[c];
    }
  }
  return centroids;
}

function nearestDistances(points: Float64Array, centroids: Float64Array): Float64Array {
  const m = points.length / FEATURES;
  const kk = centroids.length / FEATURES;
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let best = Infinity;
    for (let c = 0; c < kk; c++) best = Math.min(best, distance2(points, i * FEATURES, centroids, c * FEATURES));
    out[i] = Math.sqrt(best);
  }
  return out;
}

class KMeansWindowModel implements ScoringModel {
  private centroids: Float64Array | undefined;
  private heldOut: Float64Array | undefined;
  private readonly center = new Float64Array(FEATURES);
  private readonly scale = new Float64Array(FEATURES).fill(1);

  constructor(
    private readonly window: number,
    private readonly k: number,
    private readonly seed: number,
  ) {}

  /** On the KPI's noise-stabilising scale (volume: Anscombe; latency: log, weighted by calls). */
  private features(series: Series): Float64Array {
    return windowFeatures(stabilised(series).values, this.window, isLatencyWithVolume(series) ? series.volume : undefined);
  }

  fit(train: Series): void {
    const raw = this.features(train);
    const rows: number[] = [];
    for (let i = 0; i < train.values.length; i++) if (raw[i * FEATURES] === raw[i * FEATURES]) rows.push(i);
    if (rows.length === 0) return;
    // Per-feature centre and spread of the training windows; the spread is floored so a feature
    // that never varied (e.g. zero rate 0) still scores a change instead of dividing by zero.
    for (let f = 0; f < FEATURES; f++) {
      let s = 0;
      for (const i of rows) s += raw[i * FEATURES + f];
      const mean = s / rows.length;
      let ss = 0;
      for (const i of rows) ss += (raw[i * FEATURES + f] - mean) ** 2;
      this.center[f] = mean;
      this.scale[f] = Math.sqrt(ss / rows.length);
    }
    const levelScale = Math.abs(this.center[0]) + this.scale[0] + 1e-9;
    this.scale[0] = Math.max(this.scale[0], 0.01 * levelScale);
    this.scale[1] = Math.max(this.scale[1], (0.01 * levelScale) / this.window);
    this.scale[2] = Math.max(this.scale[2], 0.05);
    this.scale[3] = Math.max(this.scale[3], 0.01 * levelScale);
    if (train.kpi === 'volume') {
      // Anscombe units: unit noise per point, so a window mean wobbles by 1/sqrt(w), a slope by
      // 1/sqrt(sum (k - kbar)^2), the RMS difference (about sqrt 2) by about 1/sqrt(w - 1). A
      // training period that happened to be calmer than that must not make sampling noise rare.
      const w = this.window;
      this.scale[0] = Math.max(this.scale[0], 1 / Math.sqrt(w));
      this.scale[1] = Math.max(this.scale[1], 1 / Math.sqrt((w * (w * w - 1)) / 12));
      this.scale[3] = Math.max(this.scale[3], 1 / Math.sqrt(w - 1));
    }
    const weights = this.center[2] > LOW_FREQUENCY_ZERO_RATE ? LOW_FREQUENCY_WEIGHTS : HIGH_FREQUENCY_WEIGHTS;
    for (let f = 0; f < FEATURES; f++) this.scale[f] /= weights[f];
    const points = new Float64Array(rows.length * FEATURES);
    rows.forEach((i, r) => this.normalise(raw, i, points, r));
    this.centroids = kmeans(points, this.k, stream(this.seed, 'kmeans-window'));
    // Distances to clusters a window did not help to form: centroids of the first half of the
    // training windows, distances of the second half (after a gap of one window, so no point is
    // shared). In-sample distances would understate how far a normal new window lands.
    const half = Math.floor(rows.length / 2);
    const later = half + this.window;
    if (half >= this.k && rows.length - later >= this.k) {
      const early = kmeans(points.subarray(0, half * FEATURES), this.k, stream(this.seed, 'kmeans-window:held-out'));
      this.heldOut = nearestDistances(points.subarray(later * FEATURES), early);
    }
  }

  calibrationScores(train: Series): Float64Array {
    return this.heldOut ?? this.score(train);
  }

  private normalise(raw: Float64Array, i: number, out: Float64Array, r: number): void {
    for (let f = 0; f < FEATURES; f++) out[r * FEATURES + f] = (raw[i * FEATURES + f] - this.center[f]) / this.scale[f];
  }

  score(series: Series): Float64Array {
    const centroids = this.centroids;
    const n = series.values.length;
    // Fewer than `window` finite training points (e.g. a rate over a mostly idle service): no judgement.
    if (!centroids) return new Float64Array(n).fill(NaN);
    const raw = this.features(series);
    const scores = new Float64Array(n);
    const row = new Float64Array(FEATURES);
    const kk = centroids.length / FEATURES;
    for (let i = 0; i < n; i++) {
      if (raw[i * FEATURES] !== raw[i * FEATURES] || series.values[i] !== series.values[i]) {
        scores[i] = NaN;
        continue;
      }
      this.normalise(raw, i, row, 0);
      let best = Infinity;
      for (let c = 0; c < kk; c++) best = Math.min(best, distance2(row, 0, centroids, c * FEATURES));
      scores[i] = Math.sqrt(best);
    }
    return scores;
  }
}

export const kmeansWindowDetector: DetectorPlugin = definePlugin({
  name: 'kmeans-window',
  description: 'k-means (seeded k-means++) over window features mean/slope/zero rate/RMS diff; distance to nearest centroid',
  options: z.strictObject({
    window: z.number().int().min(3).default(30).describe('points per feature window'),
    k: z.number().int().min(1).default(5).describe('clusters'),
    seed: z.number().int().default(1).describe('k-means++ seed'),
    ...alarmOptionsDerivedFloor('distance in standard units (default: sqrt of the chi-square(4) quantile of the rarity, 4.30 at 1e-3)'),
  }),
  optionAliases: { minDistance: 'floor' },
  needs: ['kpis'],
  create(o) {
    // Floor: the distance a Gaussian window would exceed with probability `rarity` in 4 standard
    // units (k-sigma is its one-feature case), so a few training windows packed tightly around
    // their centroids do not make every new window rare.
    const floor = o.floor ?? Math.sqrt(chiSquare4Quantile(1 - o.rarity));
    return new CalibratedDetector(new KMeansWindowModel(o.window, o.k, o.seed), { ...o, floor });
  },
});

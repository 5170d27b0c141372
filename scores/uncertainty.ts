/**
 * How sure a figure is, and whether two methods differ beyond noise.
 *
 * - Bootstrap intervals (Efron's percentile bootstrap): resample the items (series, incidents) with
 *   replacement, recompute the figure from the resampled items, take the 2.5% and 97.5% quantiles
 *   of 1000 resamples. The resampling stream is seeded, so the interval is the same on every run.
 *   A figure that pools its items (point-adjusted F1 sums the counts of all series' grids) is
 *   recomputed the same way on each resample, so the interval is of the figure as published.
 * - Paired tests, over the items both methods were scored on:
 *   - McNemar's exact test for a hit-or-miss figure (AC@k): only incidents where exactly one method
 *     hits carry information; under "no difference" each is a fair coin (two-sided binomial p).
 *   - A paired bootstrap for any other figure (MRR, Avg@5, PA-F1, AUCs): resample the shared items,
 *     recompute both methods' figures on the same resample; the two-sided p is twice the smaller
 *     share of resampled differences on either side of zero (with the usual +1 so that no finite
 *     resample claims p = 0). It needs no assumption on the shape of
 *     the per-item differences and handles pooled figures such as PA-F1, which no per-item rank
 *     test can.
 */
import { stream } from '../sim/rng.js';
import { sortedFinite } from '../detectors/stats.js';
import { quantileSorted } from '../common/quantile.js';

export const BOOTSTRAP_RESAMPLES = 1000;
export const DEFAULT_BOOTSTRAP_SEED = 1;
export const SIGNIFICANCE = 0.05;

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
}

export interface Interval {
  /** 2.5% and 97.5% bootstrap quantiles (null in JSON when undefined). */
  low: number;
  high: number;
}

/**
 * Resample `items` indices with replacement; `statistic` gets the multiplicity of each item in the
 * resample (the original sample is all ones) and returns the figure. NaN resamples are dropped.
 */
export function bootstrapSamples(items: number, statistic: (multiplicity: Uint32Array) => number, purpose: string, opts: BootstrapOptions = {}): Float64Array {
  const B = opts.resamples ?? BOOTSTRAP_RESAMPLES;
  const rng = stream(opts.seed ?? DEFAULT_BOOTSTRAP_SEED, `bootstrap:${purpose}`);
  const m = new Uint32Array(items);
  const out: number[] = [];
  if (items === 0) return new Float64Array(0);
  for (let b = 0; b < B; b++) {
    m.fill(0);
    for (let k = 0; k < items; k++) m[Math.floor(rng() * items)]++;
    const v = statistic(m);
    if (!Number.isNaN(v)) out.push(v);
  }
  return Float64Array.from(out);
}

export function percentileInterval(samples: Float64Array): Interval {
  const s = sortedFinite(samples);
  return { low: quantileSorted(s, 0.025), high: quantileSorted(s, 0.975) };
}

export function bootstrapInterval(items: number, statistic: (multiplicity: Uint32Array) => number, purpose: string, opts: BootstrapOptions = {}): Interval {
  return percentileInterval(bootstrapSamples(items, statistic, purpose, opts));
}

/** Mean of per-item values weighted by multiplicity, skipping NaN items (e.g. series without anomalies). */
export function weightedMean(values: ArrayLike<number>, multiplicity?: Uint32Array): number {
  let sum = 0;
  let n = 0;
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (Number.isNaN(v)) continue;
    const w = multiplicity ? multiplicity[k] : 1;
    sum += w * v;
    n += w;
  }
  return n > 0 ? sum / n : NaN;
}

/** Interval of the mean of per-item values (AUCs per series, reciprocal ranks per incident). */
export function meanInterval(values: ArrayLike<number>, purpose: string, opts: BootstrapOptions = {}): Interval {
  return bootstrapInterval(values.length, (m) => weightedMean(values, m), purpose, opts);
}

/** Mean and sample standard deviation (n - 1) of a figure over seeds. */
export function meanSd(values: number[]): { mean: number; sd: number; n: number } {
  const xs = values.filter((v) => !Number.isNaN(v));
  const n = xs.length;
  if (n === 0) return { mean: NaN, sd: NaN, n };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, sd, n };
}

export interface PairedTest {
  test: 'McNemar exact' | 'paired bootstrap';
  /** Figure of B minus figure of A on the shared items. */
  difference: number;
  pValue: number;
  significant: boolean;
  items: number;
  /** McNemar: incidents only A hits, only B hits. Bootstrap: 95% interval of the difference. */
  onlyA?: number;
  onlyB?: number;
  interval?: Interval;
}

/** Two-sided exact binomial p of k successes in n fair trials: 2 min(P(X <= k), P(X >= k)), capped at 1. */
export function binomialTwoSided(k: number, n: number): number {
  if (n === 0) return 1;
  // log-space binomial pmf, summed over the smaller tail.
  const logC = (r: number) => lgammaInt(n) - lgammaInt(r) - lgammaInt(n - r);
  const tail = (from: number, to: number) => {
    let s = 0;
    for (let r = from; r <= to; r++) s += Math.exp(logC(r) - n * Math.LN2);
    return s;
  };
  const lower = tail(0, k);
  const upper = tail(k, n);
  return Math.min(1, 2 * Math.min(lower, upper));
}

const lgammaCache: number[] = [0];
/** log(n!) for integers. */
function lgammaInt(n: number): number {
  for (let i = lgammaCache.length; i <= n; i++) lgammaCache[i] = lgammaCache[i - 1] + Math.log(i);
  return lgammaCache[n];
}

/** McNemar's exact test on paired hits (1) and misses (0) of methods A and B over the same items. */
export function mcnemarExact(a: ArrayLike<number>, b: ArrayLike<number>): PairedTest {
  if (a.length !== b.length) throw new Error(`mcnemarExact: ${a.length} and ${b.length} paired outcomes`);
  let onlyA = 0;
  let onlyB = 0;
  let hitsA = 0;
  let hitsB = 0;
  for (let k = 0; k < a.length; k++) {
    hitsA += a[k] ? 1 : 0;
    hitsB += b[k] ? 1 : 0;
    if (a[k] && !b[k]) onlyA++;
    else if (!a[k] && b[k]) onlyB++;
  }
  const pValue = binomialTwoSided(Math.min(onlyA, onlyB), onlyA + onlyB);
  const n = a.length;
  return { test: 'McNemar exact', difference: n ? (hitsB - hitsA) / n : NaN, pValue, significant: pValue < SIGNIFICANCE, items: n, onlyA, onlyB };
}

/**
 * Paired bootstrap: `figureA` and `figureB` recompute each method's figure from one multiplicity
 * vector over the shared items.
 */
export function pairedBootstrap(
  items: number,
  figureA: (m: Uint32Array) => number,
  figureB: (m: Uint32Array) => number,
  purpose: string,
  opts: BootstrapOptions = {},
): PairedTest {
  const ones = new Uint32Array(items).fill(1);
  const difference = figureB(ones) - figureA(ones);
  const diffs = bootstrapSamples(items, (m) => figureB(m) - figureA(m), `paired:${purpose}`, opts);
  let below = 0;
  let above = 0;
  for (const d of diffs) {
    if (d <= 0) below++;
    if (d >= 0) above++;
  }
  // (+1)/(B+1): a finite resample never proves p = 0.
  const pValue = diffs.length ? Math.min(1, (2 * (Math.min(below, above) + 1)) / (diffs.length + 1)) : NaN;
  return { test: 'paired bootstrap', difference, pValue, significant: pValue < SIGNIFICANCE, items, interval: percentileInterval(diffs) };
}

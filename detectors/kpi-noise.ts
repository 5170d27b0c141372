/**
 * The sampling noise of the golden KPIs, which the KPI table itself gives: a minute's volume is a
 * count (Poisson: sd = sqrt(expected count)), and a minute's average latency is a mean over that
 * minute's calls (standard error = per-call spread / sqrt(calls)). A detector that divides by one
 * spread for the whole series alarms on every quiet minute of a low-volume service (one slow call
 * is the whole average) and misses shifts at busy ones. Here each KPI is put on a scale where its
 * noise is additive, near-Gaussian and level-free, and weighted by what the volume says.
 */
import type { Series } from '../data/types.js';

/** The series has a volume per point that counts the calls behind an average latency. */
export function isLatencyWithVolume(series: Series): series is Series & { volume: Float64Array } {
  return series.kpi === 'avgLatency' && series.volume !== undefined;
}

/**
 * Anscombe's transform 2 sqrt(x + 3/8): a Poisson count of any mean becomes roughly unit-variance
 * (Anscombe 1948), so a volume's noise means the same at 2 calls a minute and at 2,000.
 */
export function anscombe(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === v ? 2 * Math.sqrt(Math.max(v, 0) + 0.375) : NaN;
  }
  return out;
}

/**
 * The series on its noise-stabilising scale: volume by Anscombe; an average latency by log(1 + ms),
 * where per-call spread is multiplicative (a slow call is a factor, and a fault that makes a
 * database 2x slower is a shift); other kinds unchanged (the same object).
 */
export function stabilised(series: Series): Series {
  if (series.kpi === 'volume') return { ...series, values: anscombe(series.values) };
  if (series.kpi === 'avgLatency') return { ...series, values: series.values.map((v) => Math.log1p(Math.max(v, 0))) };
  return series;
}

/**
 * Per point, the factor that turns a deviation on the stabilised scale into units of the
 * per-call spread: sqrt(calls) for an average latency with its volume (the standard error of a
 * mean), 1 otherwise (a volume's Anscombe scale is already in noise units).
 */
export function noiseWeight(series: Series, i: number): number {
  return isLatencyWithVolume(series) ? Math.sqrt(series.volume[i]) : 1;
}

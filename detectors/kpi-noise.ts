/**
 * The sampling noise of the golden KPIs, which the KPI table itself gives: a minute's volume is a
 * count (Poisson: sd = sqrt(expected count)), and a minute's average latency is a mean over that
 * minute's calls (standard error = per-call spread / sqrt(calls)). A detector that divides by one
 * spread for the whole series alarms on every quiet minute of a low-volume service (one slow call
 * is the whole average) and misses shifts at busy ones; in these units the noise is level-free.
 */
import type { Series } from './types.js';

/** The series has a volume per point that counts the calls behind an average latency. */
export function isLatencyWithVolume(series: Series): series is Series & { volume: Float64Array } {
  return series.kpi === 'avgLatency' && series.volume !== undefined;
}

/**
 * Per point, the factor that turns a deviation from `expected` into units of the KPI's sampling
 * noise, up to one constant per series (the per-call spread, the over-dispersion): sqrt(calls) for
 * an average latency, 1 / sqrt(expected count) for a volume (at least 1 call, so an idle minute
 * is not infinitely sure), undefined for a series of unknown kind (one spread for all points).
 */
export function noiseWeights(series: Series, expected: Float64Array): Float64Array | undefined {
  if (!hasKnownNoise(series)) return undefined;
  const out = new Float64Array(series.values.length);
  for (let i = 0; i < out.length; i++) out[i] = noiseWeight(series, i, expected[i]);
  return out;
}

export function hasKnownNoise(series: Series): boolean {
  return isLatencyWithVolume(series) || series.kpi === 'volume';
}

/** noiseWeights at one point (1 for a series of unknown kind). */
export function noiseWeight(series: Series, i: number, expected: number): number {
  if (isLatencyWithVolume(series)) return Math.sqrt(series.volume[i]);
  if (series.kpi === 'volume') return expected === expected ? 1 / Math.sqrt(Math.max(expected, 1)) : NaN;
  return 1;
}

/**
 * Anscombe's transform 2 sqrt(x + 3/8): a Poisson count of any mean becomes roughly unit-variance
 * (Anscombe 1948), so window features of a volume mean the same at 2 calls a minute and at 2,000.
 */
export function anscombe(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === v ? 2 * Math.sqrt(Math.max(v, 0) + 0.375) : NaN;
  }
  return out;
}

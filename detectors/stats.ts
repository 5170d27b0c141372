/**
 * Small numeric helpers shared by the detectors: order statistics over finite values, the
 * binomial tail. Kept here so each detector file holds one method and nothing else.
 */
import { quantileSorted } from '../common/quantile.js';

/** Finite values of `values`, sorted ascending (a copy). */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) n++;
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) out[j++] = v;
  }
  return out.sort();
}

export function quantile(values: ArrayLike<number>, q: number): number {
  return quantileSorted(sortedFinite(values), q);
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

/** Robust scale: 1.4826 x median absolute deviation (equals sigma for Gaussian data). */
export function madScale(values: ArrayLike<number>): number {
  const s = sortedFinite(values);
  const med = quantileSorted(s, 0.5);
  const dev = new Float64Array(s.length);
  for (let i = 0; i < s.length; i++) dev[i] = Math.abs(s[i] - med);
  dev.sort();
  return 1.4826 * quantileSorted(dev, 0.5);
}

/** Mean and standard deviation of the finite values. */
export function meanStd(values: ArrayLike<number>): { mean: number; std: number; n: number } {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      n++;
      sum += v;
    }
  }
  const mean = n ? sum / n : NaN;
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) ss += (v - mean) * (v - mean);
  }
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : NaN, n };
}

/**
 * A positive scale that never divides by zero: a constant training series has spread 0, and any
 * departure from it must then score high but finite.
 */
export function safeScale(scale: number, level: number): number {
  const floor = 1e-9 * (1 + Math.abs(level));
  return Number.isFinite(scale) && scale > floor ? scale : floor;
}

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, n = 9). */
export function logGamma(x: number): number {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = g[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += g[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction for the incomplete beta function (Numerical Recipes, betacf). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 3e-16) break;
  }
  return h;
}

/** ln I_x(a, b), the log of the regularised incomplete beta function, without underflow. */
export function logRegularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return -Infinity;
  if (x >= 1) return 0;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return logFront + Math.log(betaContinuedFraction(a, b, x)) - Math.log(a);
  // Symmetry I_x(a,b) = 1 - I_{1-x}(b,a); here the result is near 1, so precision in the log is ample.
  const other = Math.exp(logFront + Math.log(betaContinuedFraction(b, a, 1 - x)) - Math.log(b));
  return Math.log1p(-Math.min(other, 1));
}

/** ln P(X >= k) for X ~ Binomial(n, p). */
export function logBinomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 0;
  if (k > n) return -Infinity;
  return logRegularizedBeta(p, k, n - k + 1);
}

/** A quantile's sampling interval (quantileInterval); a null end is unbounded. */
export interface SamplingInterval {
  low: number | null;
  high: number | null;
}

/**
 * Distribution-free confidence interval of the q-quantile of the population an ascending sample
 * came from: the order statistics [x(l), x(u)] with l the largest rank and u the smallest such that
 * P(B < l) <= (1 - level) / 2 and P(B < u) >= 1 - (1 - level) / 2 for B ~ Binomial(n, q), so that
 * P(x(l) <= quantile < x(u)) >= level (Hahn and Meeker, Statistical Intervals, 1991, 5.2). An end
 * beyond the sample (too few points for that tail) is null: unbounded. The sample holds no NaN.
 */
export function quantileInterval(sorted: ArrayLike<number>, q: number, level = 0.95): SamplingInterval {
  if (!(q >= 0 && q <= 1) || !(level > 0 && level < 1)) throw new RangeError(`quantileInterval: q ${q} must lie in [0, 1] and level ${level} in (0, 1)`);
  const n = sorted.length;
  if (n === 0) return { low: null, high: null };
  const tail = (1 - level) / 2;
  // P(B <= k), from the upper tail's regularized beta function.
  const cdf = (k: number) => -Math.expm1(logBinomialUpperTail(k + 1, n, q));
  const l = firstOf(n, (k) => cdf(k) > tail);
  const u = firstOf(n, (k) => cdf(k) >= 1 - tail) + 1;
  return { low: l >= 1 ? sorted[l - 1]! : null, high: u <= n ? sorted[u - 1]! : null };
}

/** The first k in [0, n) for which the monotone `holds` is true (n when none), by bisection. */
function firstOf(n: number, holds: (k: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (holds(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

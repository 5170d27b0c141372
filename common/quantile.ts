/** Linear-interpolated quantile of an ascending array (NaN when empty); shared by the simulator, the detectors, RCA and scoring. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = Math.min(Math.max(q, 0), 1) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Distribution-free confidence interval of the q-quantile of the population an ascending sample
 * came from: the order statistics [x(l), x(u)] with l the largest rank and u the smallest such that
 * P(B < l) <= (1 - level) / 2 and P(B < u) >= 1 - (1 - level) / 2 for B ~ Binomial(n, q), so that
 * P(x(l) <= quantile < x(u)) >= level (Hahn and Meeker, Statistical Intervals, 1991, 5.2). An end
 * beyond the sample (too few points for that tail) is null: unbounded. The sample holds no NaN.
 */
export function quantileInterval(sorted: ArrayLike<number>, q: number, level = 0.95): { low: number | null; high: number | null } {
  if (!(q >= 0 && q <= 1) || !(level > 0 && level < 1)) throw new RangeError(`quantileInterval: q ${q} must lie in [0, 1] and level ${level} in (0, 1)`);
  const n = sorted.length;
  if (n === 0) return { low: null, high: null };
  const tail = (1 - level) / 2;
  const cdf = binomialCdf(n, q);
  let l = 0;
  while (l + 1 <= n && cdf(l) <= tail) l++;
  let u = 1;
  while (u <= n && cdf(u - 1) < 1 - tail) u++;
  return { low: l >= 1 ? sorted[l - 1]! : null, high: u <= n ? sorted[u - 1]! : null };
}

/**
 * P(B <= k) for B ~ Binomial(n, p), as a function of k. The probabilities are built outward from
 * the mode by the ratio of neighbouring terms and normalised, so large n neither underflows nor
 * needs a term per k: beyond 1e-17 of the mode's the tails add nothing a double can hold.
 */
function binomialCdf(n: number, p: number): (k: number) => number {
  if (p <= 0) return (k) => (k >= 0 ? 1 : 0);
  if (p >= 1) return (k) => (k >= n ? 1 : 0);
  const mode = Math.min(n, Math.floor((n + 1) * p));
  const odds = p / (1 - p);
  const up: number[] = [1];
  for (let k = mode, t = 1; k < n; k++) {
    t *= ((n - k) / (k + 1)) * odds;
    if (t < 1e-17) break;
    up.push(t);
  }
  const down: number[] = [];
  for (let k = mode, t = 1; k > 0; k--) {
    t *= k / ((n - k + 1) * odds);
    if (t < 1e-17) break;
    down.push(t);
  }
  // Terms from the lowest kept k upwards; below it and above the highest the mass is 0.
  const first = mode - down.length;
  const terms = [...down.reverse(), ...up];
  const total = terms.reduce((a, b) => a + b, 0);
  const cum = new Float64Array(terms.length);
  let s = 0;
  terms.forEach((t, i) => (cum[i] = s += t / total));
  return (k) => (k < first ? 0 : k - first >= cum.length ? 1 : cum[k - first]!);
}

import seedrandom from 'seedrandom';

/**
 * Random streams. Every stream is seeded from (base seed, purpose string), so adding a new use of
 * randomness never shifts an existing stream. Streams are re-seeded per minute (and each
 * transaction gets its own generator), so a run with a fault and the same run without it draw the
 * same numbers wherever the fault did not change what happened: common random numbers, which is
 * what makes the ground-truth comparison in truth.ts exact.
 */
export function stream(seed: number, purpose: string): seedrandom.PRNG {
  return seedrandom.alea(`${seed}:${purpose}`);
}

/** 32-bit integer mixing (murmur3 finaliser): derives well-spread seeds from small counters. */
export function mix32(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * sfc32, a small fast generator for the per-transaction streams: seeding alea or xor4096 once per
 * transaction would cost more than simulating the transaction. Seeded from the per-minute alea
 * stream via mix32, so it stays a function of (seed, purpose, minute, transaction).
 */
export class TxRandom {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;
  private spare = NaN;

  reseed(s1: number, s2: number): void {
    this.a = s1 >>> 0;
    this.b = s2 >>> 0;
    this.c = mix32(s1, s2);
    this.d = 1;
    this.spare = NaN;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Standard normal (Marsaglia polar method, caching the second value). */
  normal(): number {
    if (this.spare === this.spare) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    let u: number, v: number, q: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      q = u * u + v * v;
    } while (q >= 1 || q === 0);
    const f = Math.sqrt((-2 * Math.log(q)) / q);
    this.spare = v * f;
    return u * f;
  }

  /** Lognormal with the given median and shape. */
  lognormal(median: number, sigma: number): number {
    return sigma === 0 ? median : median * Math.exp(sigma * this.normal());
  }
}

/** Poisson variate by inverting the CDF with one uniform: monotone in lambda for a fixed u. */
export function poissonInverse(u: number, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 200) {
    // Normal approximation with continuity correction; still one uniform and monotone in lambda.
    const z = normalQuantile(u);
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * z));
  }
  let k = 0;
  let p = Math.exp(-lambda);
  let cdf = p;
  while (u > cdf && k < 10_000) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

/** Acklam's rational approximation of the standard normal quantile (|error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const q0 = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
  if (q0 < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(q0));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (q0 > 1 - 0.02425) return -normalQuantile(1 - q0);
  const q = q0 - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

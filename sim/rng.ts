import seedrandom from 'seedrandom';
import { normalQuantile } from '../common/normal.js';

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
 * Ziggurat tables for the standard normal, 128 strips (Marsaglia and Tsang 2000, "The Ziggurat
 * Method for Generating Random Variables", J. Stat. Softw. 5(8)), for 25-bit signed draws:
 * ZIG_K[i] is the acceptance bound, ZIG_W[i] the scale from draw to x, ZIG_F[i] = exp(-x_i^2/2).
 */
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;
const ZIG_M = 2 ** 24;
const ZIG_K = new Float64Array(128);
const ZIG_W = new Float64Array(128);
const ZIG_F = new Float64Array(128);
{
  let dn = ZIG_R;
  let tn = dn;
  const q = ZIG_V / Math.exp(-0.5 * dn * dn);
  ZIG_K[0] = (dn / q) * ZIG_M;
  ZIG_K[1] = 0;
  ZIG_W[0] = q / ZIG_M;
  ZIG_W[127] = dn / ZIG_M;
  ZIG_F[0] = 1;
  ZIG_F[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIG_V / dn + Math.exp(-0.5 * dn * dn)));
    ZIG_K[i + 1] = (dn / tn) * ZIG_M;
    tn = dn;
    ZIG_F[i] = Math.exp(-0.5 * dn * dn);
    ZIG_W[i] = dn / ZIG_M;
  }
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
  private readonly one = new Float64Array(1);

  reseed(s1: number, s2: number): void {
    this.a = s1 >>> 0;
    this.b = s2 >>> 0;
    this.c = mix32(s1, s2);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    return (this.nextInt32() >>> 0) / 4294967296;
  }

  /** The generator's next 32-bit output, as a signed integer. */
  nextInt32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t;
  }

  /**
   * Standard normal by the ziggurat method (Marsaglia and Tsang 2000, 128 strips): one 32-bit draw
   * and no logarithm in ~99% of calls. The strip index takes the low 7 bits and the value the other
   * 25, so the two are independent (Doornik 2005's remark on the original sharing bits).
   */
  normal(): number {
    this.fillNormal(this.one, 1);
    return this.one[0]!;
  }

  /**
   * `out[0..k-1]` = k standard normals (see normal()), the ziggurat's common case inline: no double
   * crosses a call boundary, so none is boxed on the heap.
   */
  fillNormal(out: Float64Array, k: number): void {
    for (let j = 0; j < k; j++) {
      const h = this.nextInt32();
      const i = h & 127;
      const v = h >> 7;
      out[j] = Math.abs(v) < ZIG_K[i]! ? v * ZIG_W[i]! : this.normalSlow(v, i);
    }
  }

  /** The ziggurat's rare cases: the base strip's tail, or the wedge outside a strip's rectangle. */
  private normalSlow(v: number, i: number): number {
    for (;;) {
      const x = v * ZIG_W[i]!;
      if (i === 0) {
        // Tail beyond ZIG_R (Marsaglia 1964).
        let tx: number, ty: number;
        do {
          tx = -Math.log(1 - this.next()) / ZIG_R;
          ty = -Math.log(1 - this.next());
        } while (ty + ty < tx * tx);
        return v > 0 ? ZIG_R + tx : -ZIG_R - tx;
      }
      if (ZIG_F[i]! + this.next() * (ZIG_F[i - 1]! - ZIG_F[i]!) < Math.exp(-0.5 * x * x)) return x;
      const h = this.nextInt32();
      i = h & 127;
      v = h >> 7;
      if (Math.abs(v) < ZIG_K[i]!) return v * ZIG_W[i]!;
    }
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
    const z = normalOfUniform(u);
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

/** A standard normal value from a uniform draw; the draw is kept off 0 and 1 so that it is finite. */
export function normalOfUniform(u: number): number {
  return normalQuantile(Math.min(Math.max(u, 1e-12), 1 - 1e-12));
}

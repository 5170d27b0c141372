/**
 * Spectral residual (Ren et al., KDD 2019, "Time-Series Anomaly Detection Service at Microsoft"):
 * for the window ending at each point, extend it by m estimated points (so the newest point is not
 * at the edge), take the Fourier transform, replace the log amplitude L by its spectral residual
 * R = L - h_q * L (h_q: trailing average of width q), invert with the original phase; the magnitude
 * is the saliency map S. The point's score is |S_i - mean(S)| / mean(S), the mean over the
 * saliencies of the preceding z points (each taken when it was the newest point of its window:
 * the streaming form, causal). Constants as in the paper and its reference code: q = 3, m = 5,
 * z = 21, the extension from the slopes of the 5 points before the newest.
 *
 * Speed: the window's spectrum is updated by a sliding DFT in O(N) per point (re-synchronised by a
 * full transform every RESYNC points) over the distinct half of the conjugate-symmetric spectrum;
 * exp(R) / |Y| is the product of |Y|^(-1/q) over the q trailing bins, so one root per bin and no
 * log or exp (for q = 3 a table-seeded inverse cube root); only the newest point is inverted (O(N)).
 */
import FFT from 'fft.js';
import { z } from 'zod';
import { definePlugin } from '../common/plugin.js';
import type { DetectorPlugin } from './types.js';
import type { Series } from '../data/types.js';
import { alarmOptions, CalibratedDetector, type ScoringModel } from './calibrated.js';

const EPS = 1e-8;
const EPS2 = EPS * EPS;
const RESYNC = 4096;

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // little-endian: high word second

// First guess of x^(-1/3) by table: x = 2^(3j + r) (1 + f) with r in {0, 1, 2}; the biased
// exponent gives 2^(-j) and r, the top 8 bits of f a bucket whose midpoint's root is within 0.07%.
const MANTISSA_BITS = 8;
const cbrtScale = new Float64Array(2048); // by biased exponent: 2^(-j)
const cbrtRow = new Int32Array(2048); // by biased exponent: r << MANTISSA_BITS
const cbrtMantissa = new Float64Array(3 << MANTISSA_BITS); // (2^r (1 + f_mid))^(-1/3)
for (let e = 0; e < 2048; e++) {
  const j = Math.floor((e - 1023) / 3);
  cbrtScale[e] = Math.pow(2, -j);
  cbrtRow[e] = (e - 1023 - 3 * j) << MANTISSA_BITS;
}
for (let r = 0; r < 3; r++) {
  for (let i = 0; i < 1 << MANTISSA_BITS; i++) cbrtMantissa[(r << MANTISSA_BITS) + i] = Math.pow(2 ** r * (1 + (i + 0.5) / (1 << MANTISSA_BITS)), -1 / 3);
}

/**
 * x^(-1/3) for a normal double x > 0, branch-free: the table guess y leaves r = 1 - x y^3 below
 * 2.2e-3, and one step of y (1 - r)^(-1/3) ~ y (1 + r/3 + 2r^2/9 + 14r^3/81) leaves a relative
 * error ~ 0.14 r^4 < 4e-12. Math.cbrt (a C call in V8) and Newton from a bit-trick guess (two
 * steps) each cost three times as much, and the spectral residual needs one root per bin.
 */
export function inverseCbrt(x: number): number {
  bits[0] = x;
  const hi = words[HI];
  const e = hi >>> 20;
  const y = cbrtMantissa[cbrtRow[e] + ((hi >>> (20 - MANTISSA_BITS)) & ((1 << MANTISSA_BITS) - 1))] * cbrtScale[e];
  const r = 1 - x * y * y * y;
  return y * (1 + r * (1 / 3 + r * (2 / 9 + r * (14 / 81))));
}

function product(x: Float64Array, from: number, to: number): number {
  let p = 1;
  for (let j = from; j < to; j++) p *= x[j];
  return p;
}

export interface SpectralResidualParams {
  /** Transform length: window points plus `extend` estimated points. */
  size: number;
  extend: number;
  /** Average-filter width over the log amplitude (q in the paper). */
  magWindow: number;
  /** Number of preceding saliency values averaged for the score (z in the paper). */
  scoreWindow: number;
}

export class SpectralResidualScorer {
  private readonly w: number;
  // Twiddles: rot = e^{+2 pi i k / N} (slides the window by one), last = e^{-2 pi i (w-1) k / N}
  // (enters the newest point), ext = sum_{j >= w} e^{-2 pi i j k / N} (the extension's weight),
  // inv = e^{+2 pi i (w-1) k / N} (inverts at the newest point).
  private readonly rotRe: Float64Array;
  private readonly rotIm: Float64Array;
  private readonly lastRe: Float64Array;
  private readonly lastIm: Float64Array;
  private readonly extRe: Float64Array;
  private readonly extIm: Float64Array;
  private readonly fft: FFT;

  constructor(private readonly p: SpectralResidualParams) {
    const N = p.size;
    this.w = N - p.extend;
    this.fft = new FFT(N);
    this.rotRe = new Float64Array(N);
    this.rotIm = new Float64Array(N);
    this.lastRe = new Float64Array(N);
    this.lastIm = new Float64Array(N);
    this.extRe = new Float64Array(N);
    this.extIm = new Float64Array(N);
    for (let k = 0; k < N; k++) {
      const a = (2 * Math.PI * k) / N;
      this.rotRe[k] = Math.cos(a);
      this.rotIm[k] = Math.sin(a);
      this.lastRe[k] = Math.cos(a * (this.w - 1));
      this.lastIm[k] = -Math.sin(a * (this.w - 1));
      for (let j = this.w; j < N; j++) {
        this.extRe[k] += Math.cos(a * j);
        this.extIm[k] -= Math.sin(a * j);
      }
    }
  }

  /** Spectrum of the w real points (extension excluded), by FFT of the zero-padded window. */
  private resync(x: Float64Array, re: Float64Array, im: Float64Array): void {
    const N = this.p.size;
    const input = new Float64Array(N);
    input.set(x.subarray(0, this.w));
    const out = this.fft.createComplexArray();
    this.fft.realTransform(out, input);
    this.fft.completeSpectrum(out);
    for (let k = 0; k < N; k++) {
      re[k] = out[2 * k];
      im[k] = out[2 * k + 1];
    }
  }

  /** Scores for the finite values of `values` (NaN kept as NaN, not part of any window). */
  score(values: Float64Array): Float64Array {
    const { size: N, magWindow: q, scoreWindow: z } = this.p;
    const w = this.w;
    const n = values.length;
    const half = N >> 1;
    const scores = new Float64Array(n);
    const hist = new Float64Array(w); // ring of the last w finite values
    const ordered = new Float64Array(w);
    const re = new Float64Array(N); // spectrum of the real window
    const im = new Float64Array(N);
    const yRe = new Float64Array(half + 1); // full spectrum (window + extension), bins 0..N/2
    const yIm = new Float64Array(half + 1);
    const g = new Float64Array(half + q); // |Y_k|^(-1/q), mirrored past N/2
    const sal = new Float64Array(z); // ring of the newest points' saliencies
    let salHead = 0;
    let salCount = 0;
    let salSum = 0;
    let head = 0;
    let count = 0;
    let sinceSync = RESYNC;
    const { rotRe, rotIm, lastRe, lastIm, extRe, extIm } = this;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v !== v) {
        scores[i] = NaN;
        continue;
      }
      const oldest = hist[head];
      hist[head] = v;
      head = head + 1 === w ? 0 : head + 1;
      if (count < w) {
        count++;
        if (count < w) {
          scores[i] = NaN;
          continue;
        }
      }
      if (sinceSync >= RESYNC) {
        ordered.set(hist.subarray(head), 0);
        ordered.set(hist.subarray(0, head), w - head);
        this.resync(ordered, re, im);
        sinceSync = 0;
      } else {
        // Slide: drop the oldest (position 0), shift every point one place earlier, add the newest.
        // A real window's spectrum is conjugate-symmetric: bins 0..N/2 determine the rest.
        for (let k = 0; k <= half; k++) {
          const a = re[k] - oldest;
          const b = im[k];
          re[k] = a * rotRe[k] - b * rotIm[k] + v * lastRe[k];
          im[k] = a * rotIm[k] + b * rotRe[k] + v * lastIm[k];
        }
        sinceSync++;
      }
      // Extension value from the 6 points before the newest (positions w-7 .. w-2).
      // (No closure here: capturing the loop's variables would slow the whole loop down.)
      let pos = head + w - 7;
      if (pos >= w) pos -= w;
      const first = hist[pos === w - 1 ? 0 : pos + 1]; // position w-6
      let last = head + w - 2;
      if (last >= w) last -= w;
      const lastValue = hist[last];
      let slopes = 0;
      for (let k = 0; k < 5; k++) {
        slopes += (lastValue - hist[pos]) / (5 - k);
        pos = pos + 1 === w ? 0 : pos + 1;
      }
      const e = first + slopes;
      // Per distinct bin (0..N/2: a real signal's spectrum mirrors, |Y_{N-k}| = |Y_k|): the full
      // spectrum Y = real window + extension, and g_k = |Y_k|^(-1/q) (1 where |Y_k| <= EPS: the
      // reference sets the log amplitude 0 there). exp(L_k - mean(L_{k-q+1..k})) / |Y_k| is then
      // the product of g over the q trailing bins: one root per bin, no log or exp.
      for (let k = 0; k <= half; k++) {
        const yr = re[k] + e * extRe[k];
        const yi = im[k] + e * extIm[k];
        yRe[k] = yr;
        yIm[k] = yi;
        const m2 = yr * yr + yi * yi;
        g[k] = m2 <= EPS2 ? 1 : q === 3 ? inverseCbrt(Math.sqrt(m2)) : Math.pow(m2, -0.5 / q);
      }
      for (let j = 1; j < q; j++) g[half + j] = g[half - j];
      // Saliency at the newest point: |(1/N) sum_k f_k Z_k| with Z_k = Y_k e^{2 pi i (w-1) k / N}.
      // Z_{N-k} = conj(Z_k), so bins k and N-k together add (f_k + f_{N-k}) Re Z_k to the real
      // part and (f_k - f_{N-k}) Im Z_k to the imaginary part. Bin N-k's trailing bins
      // N-k-q+1..N-k mirror to k..k+q-1. The first q-1 bins average over the bins 0..k only.
      let sr = 0;
      let si = 0;
      for (let k = 0; k <= half; k++) {
        const yr = yRe[k];
        const yi = yIm[k];
        if (yr * yr + yi * yi <= EPS2) continue; // the reference zeroes these bins
        // Z = (yr + i yi) (lastRe - i lastIm)
        const zr = yr * lastRe[k] + yi * lastIm[k];
        const zi = yi * lastRe[k] - yr * lastIm[k];
        let lower: number;
        let upper: number;
        if (q === 3) {
          // Bins 0 and 1: 1 / |Y_0| = g_0^3 and 1 / sqrt(|Y_0| |Y_1|) = (g_0 g_1)^(3/2).
          const p = k >= 2 ? g[k - 2] * g[k - 1] : k === 1 ? g[0] * Math.sqrt(g[0] * g[1]) : g[0] * g[0];
          lower = p * g[k];
          upper = g[k] * g[k + 1] * g[k + 2];
        } else {
          const c = Math.min(k + 1, q);
          lower = Math.pow(product(g, k - c + 1, k + 1), q / c);
          upper = product(g, k, k + q);
        }
        if (k === 0 || k === half) {
          sr += lower * zr;
          si += lower * zi;
        } else {
          sr += (lower + upper) * zr;
          si += (lower - upper) * zi;
        }
      }
      const s = Math.sqrt(sr * sr + si * si) / N;
      if (salCount >= z) {
        const mean = Math.max(salSum / z, EPS);
        scores[i] = Math.abs(s - mean) / mean;
      } else scores[i] = NaN;
      if (salCount === z) salSum -= sal[salHead];
      else salCount++;
      sal[salHead] = s;
      salSum += s;
      salHead = salHead + 1 === z ? 0 : salHead + 1;
    }
    return scores;
  }
}

export const spectralResidualDetector: DetectorPlugin = definePlugin({
  name: 'spectral-residual',
  description: 'spectral residual saliency (Ren et al. 2019), 59-point window + 5 extension points, alarm at score >= 3',
  options: z
    .strictObject({
      size: z.number().int().min(16).default(64).describe('FFT window in points, a power of two (window + extension)'),
      extend: z.number().int().min(1).default(5).describe('points extrapolated past the newest (at most size - 8)'),
      magWindow: z.number().int().min(1).default(3).describe('average filter over the log amplitude (at most size / 4)'),
      scoreWindow: z.number().int().min(1).default(21).describe('points averaged for the saliency score'),
      ...alarmOptions(3, 'tau, the saliency ratio'),
    })
    .refine((o) => (o.size & (o.size - 1)) === 0, { message: 'must be a power of two', path: ['size'] })
    .refine((o) => o.extend <= o.size - 8, { message: 'must be at most size - 8', path: ['extend'] })
    .refine((o) => o.magWindow <= o.size / 4, { message: 'must be at most size / 4', path: ['magWindow'] }),
  optionAliases: { tau: 'floor' },
  needs: ['kpis'],
  create(o) {
    const scorer = new SpectralResidualScorer(o);
    const model: ScoringModel = { score: (s: Series) => scorer.score(s.values) };
    return new CalibratedDetector(model, o);
  },
});

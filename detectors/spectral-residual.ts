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
 * full transform every RESYNC points), exp(R) / |Y| is the reciprocal geometric mean of the q
 * amplitudes (no log or exp), and only the newest point's saliency is inverted (O(N)).
 */
import FFT from 'fft.js';
import type { DetectorFactory, Series } from './types.js';
import { CalibratedDetector, type ScoringModel } from './calibrated.js';
import { numberOption } from './options.js';

const EPS = 1e-8;
const RESYNC = 4096;

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // little-endian: high word second

/**
 * x^(-1/3) for x > 0, refined from a guess y: with r = 1 - x y^3, x^(-1/3) = y (1 - r)^(-1/3)
 * = y (1 + r/3 + 2r^2/9 + 14r^3/81 + ...); each step truncated there leaves an error ~ r^4 / 7.
 * A guess with |r| < 0.5 reaches full double precision in at most three steps, one or
 * two when the guess is last point's factor for the same bin (the window moved by one point).
 * Math.cbrt is a runtime call in V8 and cost more than the whole transform.
 */
export function inverseCbrt(x: number, guess = NaN): number {
  let y = guess;
  let r = 1 - x * y * y * y;
  if (!(Math.abs(r) < 0.5)) {
    // Cold start from the high word of x: exponent / -3, within 3.5%.
    bits[0] = x;
    words[HI] = 0x553ef0ff - Math.floor(words[HI] / 3);
    words[1 - HI] = 0;
    y = bits[0];
    r = 1 - x * y * y * y;
  }
  for (let step = 0; step < 3 && Math.abs(r) > 1e-15; step++) {
    y *= 1 + r * (1 / 3 + r * (2 / 9 + r * (14 / 81)));
    r = 1 - x * y * y * y;
  }
  return y;
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
    const scores = new Float64Array(n);
    const hist = new Float64Array(w); // ring of the last w finite values
    const ordered = new Float64Array(w);
    const re = new Float64Array(N); // spectrum of the real window
    const im = new Float64Array(N);
    const mag = new Float64Array(N);
    const fac = new Float64Array(N);
    const sal = new Float64Array(z); // ring of the newest points' saliencies
    let salHead = 0;
    let salCount = 0;
    let salSum = 0;
    let head = 0;
    let count = 0;
    let sinceSync = RESYNC;
    const { rotRe, rotIm, lastRe, lastIm, extRe, extIm } = this;
    const half = N >> 1;
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
      // Amplitudes of the full spectrum Y = real window + extension (conjugate-symmetric: mirror).
      for (let k = 0; k <= half; k++) {
        const yr = re[k] + e * extRe[k];
        const yi = im[k] + e * extIm[k];
        const m = Math.sqrt(yr * yr + yi * yi);
        mag[k] = m <= EPS ? 1 : m; // the reference sets log amplitude 0 there
      }
      for (let k = half + 1; k < N; k++) mag[k] = mag[N - k];
      // exp(L_k - mean(L_{k-q+1..k})) / |Y_k| = 1 / geometric mean of the trailing amplitudes.
      // Amplitudes mirror, so the factor of bin N-j equals that of bin j+q-1: compute half.
      const distinct = Math.min(N, half + q);
      for (let k = 0; k < distinct; k++) {
        if (k + 1 >= q && q === 3) fac[k] = inverseCbrt(mag[k] * mag[k - 1] * mag[k - 2], fac[k]);
        else {
          const c = k + 1 < q ? k + 1 : q;
          let prod = 1;
          for (let j = k - c + 1; j <= k; j++) prod *= mag[j];
          fac[k] = Math.pow(prod, -1 / c);
        }
      }
      for (let k = distinct; k < N; k++) fac[k] = fac[N - k + q - 1];
      // Saliency at the newest point: |(1/N) sum_k f_k Z_k| with Z_k = Y_k e^{2 pi i (w-1) k / N}.
      // Z_{N-k} = conj(Z_k), so bins k and N-k together add (f_k + f_{N-k}) Re Z_k to the real
      // part and (f_k - f_{N-k}) Im Z_k to the imaginary part.
      let sr = 0;
      let si = 0;
      for (let k = 0; k <= half; k++) {
        const yr = re[k] + e * extRe[k];
        const yi = im[k] + e * extIm[k];
        if (yr * yr + yi * yi <= EPS * EPS) continue; // the reference zeroes these bins
        // Z = (yr + i yi) (lastRe - i lastIm)
        const zr = yr * lastRe[k] + yi * lastIm[k];
        const zi = yi * lastRe[k] - yr * lastIm[k];
        if (k === 0 || k === half) {
          sr += fac[k] * zr;
          si += fac[k] * zi;
        } else {
          sr += (fac[k] + fac[N - k]) * zr;
          si += (fac[k] - fac[N - k]) * zi;
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

export const spectralResidualDetector: DetectorFactory = {
  name: 'spectral-residual',
  description: 'spectral residual saliency (Ren et al. 2019), 59-point window + 5 extension points, score >= 3',
  create(options) {
    const size = numberOption('spectral-residual', options, 'size', 64, { min: 16, integer: true });
    if ((size & (size - 1)) !== 0) throw new Error(`detector spectral-residual: option size must be a power of two, got ${size}`);
    const extend = numberOption('spectral-residual', options, 'extend', 5, { min: 1, max: size - 8, integer: true });
    const magWindow = numberOption('spectral-residual', options, 'magWindow', 3, { min: 1, integer: true });
    const scoreWindow = numberOption('spectral-residual', options, 'scoreWindow', 21, { min: 1, integer: true });
    const tau = numberOption('spectral-residual', options, 'tau', 3, { min: 0 });
    const scorer = new SpectralResidualScorer({ size, extend, magWindow, scoreWindow });
    const model: ScoringModel = { score: (s: Series) => scorer.score(s.values) };
    return new CalibratedDetector('spectral-residual', model, tau, options);
  },
};

/**
 * Spectral residual (Ren et al., KDD 2019, "Time-Series Anomaly Detection Service at Microsoft"):
 * for the window ending at each point, extend it by m estimated points (so the newest point is not
 * at the edge), take the FFT, replace the log amplitude L by its spectral residual L - h_q * L
 * (h_q: average filter of width q), invert with the original phase; the magnitude is the saliency
 * map S. The point's score is |S - mean_z(S)| / mean_z(S) over the last z saliency values.
 * Causal: each point's window holds it and earlier points only.
 */
import FFT from 'fft.js';
import type { DetectorFactory, Series } from './types.js';
import { CalibratedDetector, type ScoringModel } from './calibrated.js';
import { numberOption } from './options.js';

const EPS = 1e-8;

export interface SpectralResidualParams {
  /** FFT length, a power of two: window points plus `extend` estimated points. */
  size: number;
  extend: number;
  /** Average-filter width over the log amplitude (q in the paper). */
  magWindow: number;
  /** Number of saliency values averaged for the score (z in the paper). */
  scoreWindow: number;
}

export class SpectralResidualScorer {
  private readonly fft: FFT;
  private readonly input: Float64Array;
  private readonly spectrum: number[];
  private readonly back: number[];
  private readonly mag: Float64Array;
  private readonly logMag: Float64Array;
  private readonly sal: Float64Array;
  private readonly window: number;

  constructor(private readonly p: SpectralResidualParams) {
    this.fft = new FFT(p.size);
    this.input = new Float64Array(p.size);
    this.spectrum = this.fft.createComplexArray();
    this.back = this.fft.createComplexArray();
    this.mag = new Float64Array(p.size);
    this.logMag = new Float64Array(p.size);
    this.sal = new Float64Array(p.size);
    this.window = p.size - p.extend;
  }

  /** Scores for the finite values of `values` (NaN kept as NaN, not part of any window). */
  score(values: Float64Array): Float64Array {
    const { size, scoreWindow } = this.p;
    const w = this.window;
    const n = values.length;
    const scores = new Float64Array(n);
    const hist = new Float64Array(w); // ring of the last w finite values
    let head = 0;
    let count = 0;
    const x = this.input;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v !== v) {
        scores[i] = NaN;
        continue;
      }
      hist[head] = v;
      head = head + 1 === w ? 0 : head + 1;
      if (count < w) count++;
      if (count < w) {
        scores[i] = NaN;
        continue;
      }
      // Oldest first: hist[head..w) then hist[0..head).
      x.set(hist.subarray(head), 0);
      x.set(hist.subarray(0, head), w - head);
      // Extension (reference implementation): from the 6 points before the newest, the next value
      // is x[1] + sum of slopes to the last of them, repeated `extend` times.
      const base = w - 7;
      const last = x[w - 2];
      let slopes = 0;
      for (let k = 0; k < 5; k++) slopes += (last - x[base + k]) / (5 - k);
      x.fill(x[base + 1] + slopes, w, size);
      const sal = this.saliency(w - scoreWindow);
      // Trailing mean of the saliency over the last scoreWindow real points, newest included.
      let sum = 0;
      for (let k = w - scoreWindow; k < w; k++) sum += sal[k];
      const mean = Math.max(sum / scoreWindow, EPS);
      scores[i] = Math.abs(sal[w - 1] - mean) / mean;
    }
    return scores;
  }

  /**
   * Saliency map of this.input, filled only from index `from` to the window's end (the score
   * needs no more); returns a buffer reused across calls.
   */
  private saliency(from: number): Float64Array {
    const { size, magWindow } = this.p;
    const spec = this.spectrum;
    const mag = this.mag;
    const logMag = this.logMag;
    this.fft.realTransform(spec, this.input);
    this.fft.completeSpectrum(spec);
    // The spectrum of a real window is conjugate-symmetric: amplitudes (and logs) mirror.
    const half = size >> 1;
    for (let k = 0; k <= half; k++) {
      const re = spec[2 * k];
      const im = spec[2 * k + 1];
      const m = Math.sqrt(re * re + im * im);
      mag[k] = m;
      logMag[k] = m <= EPS ? 0 : Math.log(m);
    }
    for (let k = half + 1; k < size; k++) {
      mag[k] = mag[size - k];
      logMag[k] = logMag[size - k];
    }
    // Residual: log amplitude minus its trailing average (width q), then back with the old phase:
    // the new spectrum is spec x exp(R) / |spec|.
    let acc = 0;
    for (let k = 0; k < size; k++) {
      acc += logMag[k];
      if (k >= magWindow) acc -= logMag[k - magWindow];
      const m = mag[k];
      if (m <= EPS) {
        spec[2 * k] = 0;
        spec[2 * k + 1] = 0;
      } else {
        const f = Math.exp(logMag[k] - acc / (k + 1 < magWindow ? k + 1 : magWindow)) / m;
        spec[2 * k] *= f;
        spec[2 * k + 1] *= f;
      }
    }
    const back = this.back;
    this.fft.inverseTransform(back, spec);
    const sal = this.sal;
    for (let k = from; k < this.window; k++) sal[k] = Math.sqrt(back[2 * k] * back[2 * k] + back[2 * k + 1] * back[2 * k + 1]);
    return sal;
  }
}

export const spectralResidualDetector: DetectorFactory = {
  name: 'spectral-residual',
  description: 'spectral residual saliency (Ren et al. 2019) over a 64-point FFT window, score >= 3',
  create(options) {
    const size = numberOption('spectral-residual', options, 'size', 64, { min: 32, integer: true });
    if ((size & (size - 1)) !== 0) throw new Error(`detector spectral-residual: option size must be a power of two, got ${size}`);
    const extend = numberOption('spectral-residual', options, 'extend', 5, { min: 1, max: size / 2, integer: true });
    const magWindow = numberOption('spectral-residual', options, 'magWindow', 3, { min: 1, integer: true });
    const scoreWindow = numberOption('spectral-residual', options, 'scoreWindow', 21, { min: 1, max: size - extend, integer: true });
    const tau = numberOption('spectral-residual', options, 'tau', 3, { min: 0 });
    const scorer = new SpectralResidualScorer({ size, extend, magWindow, scoreWindow });
    const model: ScoringModel = { score: (s: Series) => scorer.score(s.values) };
    return new CalibratedDetector('spectral-residual', model, tau, options);
  },
};

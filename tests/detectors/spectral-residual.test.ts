/**
 * The fast spectral-residual scorer (sliding DFT, geometric-mean factors, one-point inverse) must
 * equal the textbook computation: per window, extend, full DFT, log amplitude minus its trailing
 * average, exp, inverse DFT, magnitude at the newest point.
 */
import { describe, expect, it } from 'vitest';
import { SpectralResidualScorer, inverseCbrt } from '../../detectors/spectral-residual.js';
import { gaussian } from './synthetic.js';

function naiveSaliencyOfNewest(window: number[], N: number, q: number): number {
  const w = window.length;
  const x = window.slice();
  const ref = window.slice(w - 7, w - 1);
  let slopes = 0;
  for (let i = 0; i < 5; i++) slopes += (ref[5] - ref[i]) / (5 - i);
  while (x.length < N) x.push(ref[1] + slopes);
  const re: number[] = [];
  const im: number[] = [];
  for (let k = 0; k < N; k++) {
    let a = 0;
    let b = 0;
    for (let j = 0; j < N; j++) {
      a += x[j] * Math.cos((2 * Math.PI * j * k) / N);
      b -= x[j] * Math.sin((2 * Math.PI * j * k) / N);
    }
    re.push(a);
    im.push(b);
  }
  const mag = re.map((a, k) => Math.hypot(a, im[k]));
  const logMag = mag.map((m) => (m <= 1e-8 ? 0 : Math.log(m)));
  let sr = 0;
  let si = 0;
  for (let k = 0; k < N; k++) {
    if (mag[k] <= 1e-8) continue;
    const c = Math.min(k + 1, q);
    let avg = 0;
    for (let j = k - c + 1; j <= k; j++) avg += logMag[j];
    avg /= c;
    const f = Math.exp(logMag[k] - avg) / mag[k];
    const ang = (2 * Math.PI * (w - 1) * k) / N;
    sr += f * (re[k] * Math.cos(ang) - im[k] * Math.sin(ang));
    si += f * (re[k] * Math.sin(ang) + im[k] * Math.cos(ang));
  }
  return Math.hypot(sr, si) / N;
}

describe('spectral residual', () => {
  it('inverseCbrt is within 1e-11 of x^(-1/3) over a wide range, every table bucket included', () => {
    const xs = [1e-24, 1e-9, 0.001, 0.5, 1, 2, 7.9, 1000, 1e9, 1e30, 1e200];
    // Both edges of every mantissa bucket, for each exponent residue mod 3.
    for (let r = 0; r < 3; r++) for (let i = 0; i <= 256; i++) xs.push(2 ** r * (1 + i / 256), 2 ** r * (1 + (i + 0.999) / 256));
    for (const x of xs) expect(Math.abs(inverseCbrt(x) * Math.cbrt(x) - 1)).toBeLessThan(1e-11);
  });

  // n = 4200 crosses a resync of the sliding DFT (every 4096 points); N = 64 is the default size.
  it.each([
    [16, 3, 4, 4200],
    [16, 2, 4, 4200],
    [16, 4, 4, 4200],
    [64, 3, 21, 700],
  ])('matches the textbook computation point by point (N = %i, q = %i, z = %i, %i points)', (N, q, z, n) => {
    const g = gaussian('sr-ref');
    const values = Float64Array.from({ length: n }, (_, i) => 50 + 10 * Math.sin(i / 9) + g() + (i % 700 === 500 ? 25 : 0));
    const scores = new SpectralResidualScorer({ size: N, extend: 5, magWindow: q, scoreWindow: z }).score(values);
    const w = N - 5;
    const sal: number[] = [];
    for (let i = w - 1; i < n; i++) sal[i] = naiveSaliencyOfNewest(Array.from(values.subarray(i - w + 1, i + 1)), N, q);
    for (let i = 0; i < n; i++) {
      if (i < w - 1 + z) {
        expect(scores[i]).toBeNaN();
        continue;
      }
      let mean = 0;
      for (let j = i - z; j < i; j++) mean += sal[j];
      mean /= z;
      const expected = Math.abs(sal[i] - mean) / mean;
      expect(Math.abs(scores[i] - expected)).toBeLessThan(1e-7 * Math.max(1, expected));
    }
  });
});

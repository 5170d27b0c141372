/**
 * Volume under the surface (Paparrizos, Boniol, Palpanas, Tsay, Elmore, Franklin, VLDB 2022), in the
 * variant the TSB-AD benchmark ranks by (TheDatumOrg/TSB-AD, evaluation/basic_metrics.py,
 * `RangeAUC_volume_opt` with thre = 250, and utils/slidingWindows.py `find_length_rank`):
 *
 * For every buffer width w = 0..L (L = the sliding window), each labelled segment [s, e] gets soft
 * labels on the floor(w/2) points before and after it: sqrt(1 - d/w) at distance d, summed where
 * buffers meet and capped at 1. Thresholds are 250 scores taken from the scores sorted high to low at
 * positions floor(k (n - 1) / 249); a point alarms when its score >= the threshold. At each threshold:
 *   TP = alarmed labelled points + the soft labels of alarmed buffer points;
 *   P' = (P + P + buffer labels of alarmed points) / 2, N' = n - P';
 *   TPR = min(TP / P', 1) x (share of extended segments, buffers merged where they meet, holding an alarm);
 *   FPR = (alarms - TP) / N';  precision = TP / alarms.
 * ROC area: trapezoids through (0, 0), the 250 points in threshold order, and (1, 1). PR area:
 * sum of (TPR_k - TPR_(k-1)) x precision_k over the 250 points. VUS-ROC and VUS-PR are the means of
 * the two areas over w = 0..L.
 *
 * Cost: one sort, O(n log 250) to place each point among the thresholds, then per w only the buffer
 * points (segments x w) and the 250 thresholds: O(n log n + segments x L^2 + L x 250), where the
 * published loop is O(L x 250 x n).
 */

import FFT from 'fft.js';
import { descendingOrder, type ScoreOrder } from './order.js';

export const VUS_THRESHOLDS = 250;
/** TSB-AD's window when the autocorrelation shows no usable period. */
export const VUS_DEFAULT_WINDOW = 125;

export interface VusResult {
  vusRoc: number;
  vusPr: number;
  window: number;
}

/**
 * TSB-AD's sliding window (`find_length_rank`, rank 1): the lag of the highest local maximum of the
 * autocorrelation of the first 20 000 values over lags 3..400; 125 when there is none, when it is
 * below 3 after the offset, or above 300, or when a value is missing.
 */
export function tsbSlidingWindow(values: Float64Array): number {
  const n = Math.min(values.length, 20_000);
  if (n < 2) return VUS_DEFAULT_WINDOW;
  let mean = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) return VUS_DEFAULT_WINDOW;
    mean += values[i];
  }
  mean /= n;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = values[i] - mean;
  let c0 = 0;
  for (let i = 0; i < n; i++) c0 += x[i] * x[i];
  if (!(c0 > 0)) return VUS_DEFAULT_WINDOW;
  const maxLag = Math.min(400, n - 1);
  const acf = autocovariance(x, maxLag);
  for (let k = 0; k <= maxLag; k++) acf[k] /= c0;
  const base = 3;
  // Strict local maxima of acf[base..] (scipy argrelextrema with np.greater, order 1).
  let bestLag = -1;
  let bestValue = -Infinity;
  for (let k = base + 1; k < maxLag; k++) {
    if (acf[k] > acf[k - 1] && acf[k] > acf[k + 1] && acf[k] >= bestValue) {
      bestValue = acf[k];
      bestLag = k - base;
    }
  }
  if (bestLag < 0 || bestLag < 3 || bestLag > 300) return VUS_DEFAULT_WINDOW;
  return bestLag + base;
}

/** FFT plans by size, with their input, spectrum and output buffers: building them costs more than the transform. */
const ffts = new Map<number, { fft: FFT; input: Float64Array; spectrum: Float64Array; back: Float64Array }>();

/** Sum over i of x[i] x[i + k] for k = 0..maxLag, by FFT of the zero-padded series (as statsmodels' acf with fft=True). */
function autocovariance(x: Float64Array, maxLag: number): Float64Array {
  let size = 2;
  while (size < 2 * x.length) size *= 2;
  let plan = ffts.get(size);
  if (!plan) ffts.set(size, (plan = { fft: new FFT(size), input: new Float64Array(size), spectrum: new Float64Array(2 * size), back: new Float64Array(2 * size) }));
  const { fft, input, spectrum, back } = plan;
  input.set(x);
  input.fill(0, x.length);
  // Zeroed as fresh buffers would be: the real transform writes only part of the spectrum.
  spectrum.fill(0);
  back.fill(0);
  fft.realTransform(spectrum, input);
  fft.completeSpectrum(spectrum);
  for (let i = 0; i < size; i++) {
    const re = spectrum[2 * i];
    const im = spectrum[2 * i + 1];
    spectrum[2 * i] = re * re + im * im;
    spectrum[2 * i + 1] = 0;
  }
  fft.inverseTransform(back, spectrum);
  const out = new Float64Array(maxLag + 1);
  for (let k = 0; k <= maxLag; k++) out[k] = back[2 * k];
  return out;
}

/** VUS-ROC and VUS-PR of one series (NaN without a labelled point); `order`: the scores' descendingOrder, if already made. */
export function vus(labels: Uint8Array, scores: Float64Array, window: number, thresholds = VUS_THRESHOLDS, order?: ScoreOrder): VusResult {
  const n = labels.length;
  const L = Math.max(0, Math.floor(window));
  const nan = { vusRoc: NaN, vusPr: NaN, window: L };
  if (n === 0) return nan;
  const { order: rank, sorted } = order ?? descendingOrder(scores);
  const T = thresholds;
  const theta = new Float64Array(T);
  const stepIdx = T > 1 ? (n - 1) / (T - 1) : 0;
  for (let k = 0; k < T; k++) theta[k] = sorted[k === T - 1 ? n - 1 : Math.trunc(k * stepIdx)];
  // Alarms at each threshold (scores >= theta[k]), and the first threshold index at which each
  // point alarms (T: never): theta is non-increasing, so one walk down the sorted scores.
  const nPred = new Float64Array(T);
  const first = new Uint16Array(n);
  let m = 0;
  for (let q = 0; q < n; q++) {
    while (m < T && theta[m] > sorted[q]) nPred[m++] = q;
    first[rank[q]] = m;
  }
  for (; m < T; m++) nPred[m] = n;
  // Labelled segments, and alarmed labelled points per threshold.
  const segS: number[] = [];
  const segE: number[] = [];
  let P = 0;
  const tpOrig = new Float64Array(T + 1);
  for (let i = 0; i < n; i++) {
    if (!labels[i]) continue;
    P++;
    tpOrig[first[i]]++;
    if (i === 0 || !labels[i - 1]) {
      segS.push(i);
      segE.push(i);
    } else segE[segE.length - 1] = i;
  }
  if (P === 0) return nan;
  for (let k = 1; k <= T; k++) tpOrig[k] += tpOrig[k - 1];
  const nSeg = segS.length;
  // Earliest alarm index within each segment, and within d points before / after it (prefix minima).
  const halfMax = Math.floor(L / 2);
  const segMin = new Uint16Array(nSeg);
  const preMin = new Uint16Array(nSeg * (halfMax + 1));
  const postMin = new Uint16Array(nSeg * (halfMax + 1));
  for (let k = 0; k < nSeg; k++) {
    let m = T;
    for (let i = segS[k]; i <= segE[k]; i++) if (first[i] < m) m = first[i];
    segMin[k] = m;
    let pre = m;
    let post = m;
    preMin[k * (halfMax + 1)] = m;
    postMin[k * (halfMax + 1)] = m;
    for (let d = 1; d <= halfMax; d++) {
      const a = segS[k] - d;
      const b = segE[k] + d;
      if (a >= 0 && first[a] < pre) pre = first[a];
      if (b < n && first[b] < post) post = first[b];
      preMin[k * (halfMax + 1) + d] = pre;
      postMin[k * (halfMax + 1) + d] = post;
    }
  }
  const acc = new Float64Array(n);
  const touched = new Int32Array(Math.max(1, nSeg * 2 * halfMax));
  const bufHist = new Float64Array(T + 1);
  const existHist = new Float64Array(T + 1);
  let rocSum = 0;
  let prSum = 0;
  for (let w = 0; w <= L; w++) {
    const half = Math.floor(w / 2);
    // Soft labels of the buffer points, summed where buffers meet, capped at 1.
    bufHist.fill(0);
    let nTouched = 0;
    for (let k = 0; k < nSeg; k++) {
      for (let d = 1; d <= half; d++) {
        const weight = Math.sqrt(1 - d / w);
        const b = segE[k] + d;
        if (b < n) {
          if (acc[b] === 0) touched[nTouched++] = b;
          acc[b] += weight;
        }
        const a = segS[k] - d;
        if (a >= 0) {
          if (acc[a] === 0) touched[nTouched++] = a;
          acc[a] += weight;
        }
      }
    }
    for (let t = 0; t < nTouched; t++) {
      const x = touched[t];
      if (!labels[x]) bufHist[first[x]] += Math.min(1, acc[x]);
      acc[x] = 0;
    }
    // Extended segments [s - half, e + half], merged where they meet, and the first alarm in each.
    existHist.fill(0);
    let extended = 0;
    let k = 0;
    while (k < nSeg) {
      let m = Math.min(segMin[k], preMin[k * (halfMax + 1) + half], postMin[k * (halfMax + 1) + half]);
      let end = segE[k] + half;
      k++;
      while (k < nSeg && segS[k] - half <= end) {
        m = Math.min(m, segMin[k], preMin[k * (halfMax + 1) + half], postMin[k * (halfMax + 1) + half]);
        end = segE[k] + half;
        k++;
      }
      existHist[m]++;
      extended++;
    }
    let buf = 0;
    let exist = 0;
    let prevTpr = 0;
    let prevFpr = 0;
    let roc = 0;
    let pr = 0;
    for (let j = 0; j < T; j++) {
      buf += bufHist[j];
      exist += existHist[j];
      const tp = tpOrig[j] + buf;
      const pNew = (P + P + buf) / 2;
      const tpr = Math.min(tp / pNew, 1) * (exist / extended);
      const fpr = (nPred[j] - tp) / (n - pNew);
      const precision = tp / nPred[j];
      roc += ((fpr - prevFpr) * (tpr + prevTpr)) / 2;
      pr += (tpr - prevTpr) * precision;
      prevTpr = tpr;
      prevFpr = fpr;
    }
    roc += ((1 - prevFpr) * (1 + prevTpr)) / 2;
    rocSum += roc;
    prSum += pr;
  }
  return { vusRoc: rocSum / (L + 1), vusPr: prSum / (L + 1), window: L };
}

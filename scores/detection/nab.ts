/**
 * The Numenta Anomaly Benchmark score as NAB v1.1 computes it (numenta/NAB nab/sweeper.py,
 * nab/scorer.py, nab/optimizer.py, nab/runner.py), on point indices of each file:
 * - Windows: NAB's labels/combined_windows.json when given; else NAB's labelling rule: total window
 *   length 10% of the file split evenly among its anomalies, each centred on its anomaly (here the
 *   middle of a labelled segment, never shorter than it); overlapping windows merge.
 * - Probation: the first min(floor(0.15 n), 750) points of a file are not scored.
 * - Each point gets a sweep score: inside a window [ws, we], tpWeight x S(-(we - i + 1) / (we - ws + 1))
 *   / S(-1); outside, fpWeight x S(|i - previous window's right edge| / (its width - 1)), or
 *   -fpWeight before the first window; S(y) = 2 / (1 + e^(5y)) - 1, and -1 for y > 3.
 * - At threshold t (a point alarms when its score >= t): every window holding a scored point adds
 *   the best sweep score among its alarmed points, or -fnWeight when none alarms; every alarmed
 *   point outside windows adds its sweep score. A corpus score is the sum over files.
 * - Normalised: 100 (S - S_null) / (S_perfect - S_null), S_null the score of a detector that never
 *   alarms (-fnWeight per counted window), S_perfect = tpWeight x every window of the labels.
 * - NAB's optimiser sweeps every distinct score of the whole corpus (highest first) and keeps the
 *   threshold with the best corpus score (the highest such threshold on ties), per profile.
 */
import { descendingOrder } from './order.js';

export interface NabProfile {
  tp: number;
  fp: number;
  fn: number;
}

export const NAB_PROFILES = {
  standard: { tp: 1, fp: 0.11, fn: 1 },
  lowFP: { tp: 1, fp: 0.22, fn: 1 },
  lowFN: { tp: 1, fp: 0.11, fn: 2 },
} as const satisfies Record<string, NabProfile>;
export type NabProfileName = keyof typeof NAB_PROFILES;
export const NAB_PROFILE_NAMES = Object.keys(NAB_PROFILES) as NabProfileName[];
/** The profile names in NAB's own files (config/profiles.json, thresholds.json, final_results.json). */
export const NAB_PUBLISHED_PROFILE: Record<NabProfileName, string> = { standard: 'standard', lowFP: 'reward_low_FP_rate', lowFN: 'reward_low_FN_rate' };

export function scaledSigmoid(position: number): number {
  if (position > 3) return -1;
  return 2 / (1 + Math.exp(5 * position)) - 1;
}

export function probationaryPoints(n: number): number {
  return Math.min(Math.floor(0.15 * n), 750);
}

/** NAB windows from labelled segments (inclusive index pairs), merged where they overlap. */
export function nabWindowsFromSegments(segments: Array<[number, number]>, n: number): Array<[number, number]> {
  if (segments.length === 0) return [];
  const width = Math.floor((0.1 * n) / segments.length);
  const windows: Array<[number, number]> = [];
  for (const [s, e] of segments) {
    const len = e - s + 1;
    const extra = Math.max(0, width - len);
    const ws = Math.max(0, s - Math.floor(extra / 2));
    const we = Math.min(n - 1, e + Math.ceil(extra / 2));
    const last = windows[windows.length - 1];
    if (last && ws <= last[1] + 1) last[1] = Math.max(last[1], we);
    else windows.push([ws, we]);
  }
  return windows;
}

const MAX_TP = scaledSigmoid(-1);

/**
 * One file prepared for NAB scoring (NAB's calcSweepScore): per point, its window (-1 outside) or
 * -2 in probation, and its unweighted sweep score (S(.) / S(-1) in a window, to be weighted by
 * tpWeight; S(.) outside, by fpWeight).
 */
export interface NabFile {
  scores: Float64Array;
  window: Int32Array;
  unweighted: Float64Array;
  /** Windows of the file, and how many hold a scored (post-probation) point. */
  windows: number;
  /** 1 for each window holding a scored (post-probation) point: only those enter NAB's sweep. */
  counted: Uint8Array;
  countedWindows: number;
}

/**
 * `windows` as inclusive index ranges in time order; `from` = first scored index (at least the
 * probation; a training prefix may push it later).
 */
export function nabFile(scores: Float64Array, windows: Array<[number, number]>, from: number): NabFile {
  const n = scores.length;
  const window = new Int32Array(n).fill(-1);
  const unweighted = new Float64Array(n);
  let w = 0;
  let prevRight = -1;
  let prevWidth = 0;
  const counted = new Uint8Array(windows.length);
  for (let i = 0; i < n; i++) {
    while (w < windows.length && windows[w][1] < i) {
      prevRight = windows[w][1];
      prevWidth = windows[w][1] - windows[w][0] + 1;
      w++;
    }
    const inside = w < windows.length && windows[w][0] <= i;
    if (inside) {
      const [ws, we] = windows[w];
      unweighted[i] = scaledSigmoid(-(we - i + 1) / (we - ws + 1)) / MAX_TP;
    } else if (prevRight < 0) unweighted[i] = -1;
    else unweighted[i] = scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1));
    if (i < from) window[i] = -2;
    else if (inside) {
      window[i] = w;
      counted[w] = 1;
    }
  }
  let countedWindows = 0;
  for (const c of counted) countedWindows += c;
  return { scores, window, unweighted, windows: windows.length, counted, countedWindows };
}

export interface NabSums {
  score: number;
  nullScore: number;
  perfectScore: number;
  windows: number;
}

/** Raw NAB score of one file when the points with `alarms` set alarm. */
export function nabScoreOfAlarms(file: NabFile, alarms: Uint8Array, profile: NabProfile): NabSums {
  const best = new Float64Array(file.windows).fill(-Infinity);
  let score = 0;
  for (let i = 0; i < alarms.length; i++) {
    if (!alarms[i]) continue;
    const w = file.window[i];
    if (w === -2) continue;
    if (w === -1) score += file.unweighted[i] * profile.fp;
    else if (file.unweighted[i] > best[w]) best[w] = file.unweighted[i];
  }
  for (let k = 0; k < file.windows; k++) {
    if (best[k] > -Infinity) score += Math.max(-profile.fn, best[k] * profile.tp);
    else if (file.counted[k]) score -= profile.fn;
  }
  return sums(file, score, profile);
}

function sums(file: NabFile, score: number, profile: NabProfile): NabSums {
  return { score, nullScore: -profile.fn * file.countedWindows, perfectScore: profile.tp * file.windows, windows: file.windows };
}

/** Raw NAB score of one file at threshold t (alarm when score >= t). */
export function nabScoreAt(file: NabFile, threshold: number, profile: NabProfile): NabSums {
  const alarms = new Uint8Array(file.scores.length);
  for (let i = 0; i < alarms.length; i++) if (file.scores[i] >= threshold) alarms[i] = 1;
  return nabScoreOfAlarms(file, alarms, profile);
}

export function addNabSums(a: NabSums, b: NabSums): NabSums {
  return { score: a.score + b.score, nullScore: a.nullScore + b.nullScore, perfectScore: a.perfectScore + b.perfectScore, windows: a.windows + b.windows };
}

export const ZERO_NAB: NabSums = { score: 0, nullScore: 0, perfectScore: 0, windows: 0 };

export function normalisedNab(s: NabSums): number {
  const range = s.perfectScore - s.nullScore;
  return range > 0 ? (100 * (s.score - s.nullScore)) / range : NaN;
}

export interface NabOptimum {
  /** Best threshold (Infinity: never alarm), and the raw and normalised corpus scores there. */
  threshold: number;
  score: number;
  normalised: number;
}

/**
 * NAB's optimiser over a corpus (nab/optimizer.py with nab/sweeper.py calcScoreByThreshold): every
 * scored point ordered by score, then the corpus score at each distinct threshold from the top,
 * for each profile. Points with equal scores enter together (in index order, so sums are
 * reproducible); one radix sort, then each profile is one sequential pass.
 */
export function nabOptimiseProfiles(files: NabFile[], profiles: NabProfile[]): NabOptimum[] {
  let total = 0;
  let counted = 0;
  let windowCount = 0;
  for (const f of files) {
    counted += f.countedWindows;
    windowCount += f.windows;
    for (let i = 0; i < f.window.length; i++) if (f.window[i] !== -2 && !Number.isNaN(f.scores[i])) total++;
  }
  const score = new Float64Array(total);
  const unweighted = new Float64Array(total);
  const win = new Int32Array(total);
  let k = 0;
  let offset = 0;
  for (const f of files) {
    for (let i = 0; i < f.window.length; i++) {
      if (f.window[i] === -2 || Number.isNaN(f.scores[i])) continue;
      score[k] = f.scores[i];
      win[k] = f.window[i] < 0 ? -1 : offset + f.window[i];
      unweighted[k] = f.unweighted[i];
      k++;
    }
    offset += f.windows;
  }
  const { order, sorted } = descendingOrder(score);
  const sortedWin = new Int32Array(total);
  const sortedUnweighted = new Float64Array(total);
  for (let q = 0; q < total; q++) {
    sortedWin[q] = win[order[q]];
    sortedUnweighted[q] = unweighted[order[q]];
  }
  return profiles.map((profile) => {
    const nullScore = -profile.fn * counted;
    const perfect = profile.tp * windowCount;
    const best = new Float64Array(windowCount).fill(-Infinity);
    let current = nullScore;
    let result = { threshold: Infinity, score: current };
    let q = 0;
    while (q < total) {
      const threshold = sorted[q];
      for (; q < total && sorted[q] === threshold; q++) {
        const w = sortedWin[q];
        if (w < 0) current += sortedUnweighted[q] * profile.fp;
        else {
          const sweep = sortedUnweighted[q] * profile.tp;
          if (sweep > best[w]) {
            current += Math.max(-profile.fn, sweep) - Math.max(-profile.fn, best[w] === -Infinity ? -profile.fn : best[w]);
            best[w] = sweep;
          }
        }
      }
      if (current > result.score) result = { threshold, score: current };
    }
    const range = perfect - nullScore;
    return { ...result, normalised: range > 0 ? (100 * (result.score - nullScore)) / range : NaN };
  });
}

export function nabOptimise(files: NabFile[], profile: NabProfile): NabOptimum {
  return nabOptimiseProfiles(files, [profile])[0];
}

/**
 * The Numenta Anomaly Benchmark score (Lavin & Ahmad 2015; NAB v1.1 sweeper), on point indices.
 * - Windows: given (NAB's labels/combined_windows.json), or derived by NAB's rule: total window
 *   length 10% of the file, split evenly among its anomalies, each centred on its anomaly (here on
 *   the middle of a labelled segment, and never shorter than the segment); overlapping windows merge.
 * - The probationary period, min(floor(0.15 n), 750) points, is not scored.
 * - An alarm inside a window earns tpWeight x sigmoid'(position) / sigmoid'(-1), position being
 *   -(right edge - i + 1) / width, so the window's first point earns the full weight; only the first
 *   alarm in a window counts. An alarm outside windows costs fpWeight x sigmoid'(position) where
 *   position = (i - previous window's right edge) / (width - 1), or the full -fpWeight before any
 *   window; sigmoid'(y) = 2 / (1 + e^(5y)) - 1, and -1 beyond y > 3.
 * - Every window without an alarm costs fnWeight.
 * Normalised over a corpus: 100 (S - S_null) / (S_perfect - S_null), where the null detector never
 * alarms (S_null = -fnWeight x windows) and the perfect one alarms at each window's first point
 * (S_perfect = tpWeight x windows).
 */

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

export interface NabSums {
  score: number;
  nullScore: number;
  perfectScore: number;
  windows: number;
}

/** Raw NAB score of one series; `from` = first scored index (probation and any excluded prefix). */
export function nabScore(alarms: Uint8Array, windows: Array<[number, number]>, from: number, profile: NabProfile): NabSums {
  const maxTP = scaledSigmoid(-1);
  let score = 0;
  let w = 0; // next window not yet passed
  let prevRight = -1;
  let prevWidth = 0;
  const detected = new Uint8Array(windows.length);
  for (let i = Math.max(0, from); i < alarms.length; i++) {
    while (w < windows.length && windows[w][1] < i) {
      prevRight = windows[w][1];
      prevWidth = windows[w][1] - windows[w][0] + 1;
      w++;
    }
    if (!alarms[i]) continue;
    if (w < windows.length && windows[w][0] <= i) {
      if (detected[w]) continue;
      detected[w] = 1;
      const [ws, we] = windows[w];
      const position = -(we - i + 1) / (we - ws + 1);
      score += (scaledSigmoid(position) * profile.tp) / maxTP;
    } else if (prevRight < 0) {
      score -= profile.fp;
    } else {
      const position = Math.abs(i - prevRight) / Math.max(prevWidth - 1, 1);
      score += scaledSigmoid(position) * profile.fp;
    }
  }
  // A window wholly inside the unscored prefix is not part of the file's score (as in NAB, where
  // windows are known only through scored points).
  let counted = 0;
  for (let k = 0; k < windows.length; k++) {
    if (windows[k][1] < from) continue;
    counted++;
    if (!detected[k]) score -= profile.fn;
  }
  return { score, nullScore: -profile.fn * counted, perfectScore: profile.tp * counted, windows: counted };
}

export function addNabSums(a: NabSums, b: NabSums): NabSums {
  return { score: a.score + b.score, nullScore: a.nullScore + b.nullScore, perfectScore: a.perfectScore + b.perfectScore, windows: a.windows + b.windows };
}

export function normalisedNab(s: NabSums): number {
  const range = s.perfectScore - s.nullScore;
  return range > 0 ? (100 * (s.score - s.nullScore)) / range : NaN;
}

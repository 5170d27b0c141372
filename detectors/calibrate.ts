/**
 * "Rare means abnormal": a detector's alarm level is the (1 - rarity) quantile of the scores it gave
 * its own training data, never a hand-set per-series number. The floor is the level the published
 * method uses (e.g. k = 3 for k-sigma), so a very clean training series does not make it twitchy.
 */
import { quantile } from './stats.js';

/** Default share of training points allowed above the alarm level. */
export const DEFAULT_RARITY = 1e-3;

export function calibrateThreshold(trainScores: ArrayLike<number>, rarity: number, floor: number): number {
  const q = quantile(trainScores, 1 - rarity);
  return Number.isFinite(q) ? Math.max(q, floor) : floor;
}

/** Alarms for scores strictly above the level; NaN (no data / warm-up) never alarms. */
export function alarmsAbove(scores: Float64Array, threshold: number): Uint8Array {
  const alarms = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) if (scores[i] > threshold) alarms[i] = 1;
  return alarms;
}

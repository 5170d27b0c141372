/** Sampling-interval facts about an irregular series, shared by the seasonal models and metrics. */
import { DAY_MS } from '../common/instant.js';

/** Median gap between consecutive timestamps (ms); 60 000 when there are fewer than two points. */
export function medianStep(timestamps: Float64Array): number {
  const n = timestamps.length;
  if (n < 2) return 60_000;
  const gaps = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) gaps[i - 1] = timestamps[i] - timestamps[i - 1];
  gaps.sort();
  const m = gaps[(n - 2) >> 1];
  return m > 0 ? m : 60_000;
}

export { DAY_MS };
export const WEEK_MS = 7 * DAY_MS;

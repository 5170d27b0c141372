/**
 * Running a detector over many series: a fresh detector per series, fitted on its training part
 * (a separate training set, or the points before a split time), then run on the whole series.
 * Scoring the detections is scores/detection/evaluate.ts.
 */
import type { Detection, Detector } from './types.js';
import type { Resolved } from '../common/plugin.js';
import type { Series } from '../data/types.js';

/** Share of each series used for fitting when neither a training set nor a split time is given (NAB's probationary 15%). */
export const DEFAULT_TRAIN_FRACTION = 0.15;

export interface RunOptions {
  /** Separate training series, matched to the scored ones by id; used for fitting only. */
  train?: Series[];
  /** Fit on the points before this time (unix ms), per series id or one for all. */
  trainUntil?: number | Record<string, number>;
}

/** First time not used for training, per series: trainUntil, else after the first 15% of points. */
export function trainBoundary(s: Series, trainUntil?: number | Record<string, number>): number {
  const t = typeof trainUntil === 'number' ? trainUntil : trainUntil?.[s.id];
  if (t !== undefined) return t;
  const n = s.timestamps.length;
  const k = Math.floor(n * DEFAULT_TRAIN_FRACTION);
  return k < n ? s.timestamps[k] : Infinity;
}

/** The points of a series before `until` (views, no copy). */
export function prefixOf(s: Series, until: number): Series {
  let k = 0;
  while (k < s.timestamps.length && s.timestamps[k] < until) k++;
  const out: Series = { id: s.id, timestamps: s.timestamps.subarray(0, k), values: s.values.subarray(0, k) };
  if (s.kpi) out.kpi = s.kpi;
  if (s.volume) out.volume = s.volume.subarray(0, k);
  if (s.labels) out.labels = s.labels.subarray(0, k);
  return out;
}

function checkDetection(name: string, s: Series, d: Detection): Detection {
  const n = s.values.length;
  if (!d || !(d.scores instanceof Float64Array) || !(d.alarms instanceof Uint8Array)) {
    throw new Error(`detector ${name}: series ${s.id}: detect() must return { scores: Float64Array, alarms: Uint8Array }`);
  }
  if (d.scores.length !== n || d.alarms.length !== n) {
    throw new Error(`detector ${name}: series ${s.id}: got ${d.scores.length} scores and ${d.alarms.length} alarms for ${n} points`);
  }
  return d;
}

/** Fit (on training data) and run one fresh detector per series; one Detection per series, same order. */
export async function runDetector(detectorSpec: Resolved<Detector>, series: Series[], opts: RunOptions = {}): Promise<Detection[]> {
  const factory = detectorSpec;
  const trainById = new Map((opts.train ?? []).map((s) => [s.id, s]));
  const out: Detection[] = [];
  for (const s of series) {
    const detector = detectorSpec.create();
    let train: Series;
    if (opts.train) {
      const t = trainById.get(s.id);
      if (!t) throw new Error(`detector ${factory.name}: no training series for "${s.id}" (training set has ${trainById.size} series)`);
      train = t;
    } else train = prefixOf(s, trainBoundary(s, opts.trainUntil));
    if (detector.fit && train.values.length > 0) await detector.fit(train);
    out.push(checkDetection(factory.name, s, await detector.detect(s)));
  }
  return out;
}

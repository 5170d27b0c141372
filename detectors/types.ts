import type { Series } from '../data/types.js';


/** Per-point output: a score (higher = more anomalous) and the detector's own alarm decision. */
export interface Detection {
  scores: Float64Array;
  alarms: Uint8Array;
  /**
   * The score level above which this detector alarms, when it uses one level for the whole series
   * (derived from its training scores); metrics use it to put scores of different detectors on one
   * scale (score / threshold) for the train and oracle threshold sources.
   */
  threshold?: number;
}

/**
 * A detector sees one series in time order. `detect` must be causal: the score and alarm at point
 * i may depend on points 0..i only (tests check this by perturbing the future). `fit` is optional
 * and sees training data only.
 */
export interface Detector {
  fit?(train: Series): void | Promise<void>;
  detect(series: Series): Detection | Promise<Detection>;
}

export interface DetectorFactory {
  /** Registry name, e.g. `ksigma`. */
  name: string;
  /** One line for `faultline detectors`. */
  description: string;
  /** Build a fresh, unfitted detector; options come from the suite file or the CLI. */
  create(options?: Record<string, unknown>): Detector;
}

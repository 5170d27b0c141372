import type { Plugin } from '../common/plugin.js';
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

/**
 * A detector plugin: one instance per series (`create`, then `fit` on the training part, then
 * `detect`), options declared as a schema, input `kpis`. See common/plugin.ts for the lifecycle.
 */
export type DetectorPlugin = Plugin<Detector>;

/** The name plugin authors have used for the detector plugin type. */
export type DetectorFactory = DetectorPlugin;

import type { KpiName } from '../sim/formats.js';

/**
 * One univariate series in time order, stored column-wise. Timestamps may be irregular and may
 * have gaps; a value may be NaN (no data in that interval, e.g. a rate over zero volume).
 */
export interface Series {
  id: string;
  timestamps: Float64Array; // unix ms, strictly increasing
  values: Float64Array;
  /** Which golden KPI this is, when known: lets ensembles route by kind. */
  kpi?: KpiName;
  /**
   * For a success-rate series: the volume behind each point (binomial trials). For an average
   * latency: the calls averaged at each point (its standard error shrinks with them).
   */
  volume?: Float64Array;
  /** 1 marks an anomalous point (ground truth), when known. */
  labels?: Uint8Array;
}

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

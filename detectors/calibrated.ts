/**
 * The shape every built-in shares: a scoring model (optionally fitted) plus the rarity rule for its
 * alarm level (calibrate.ts). A fixed `threshold` option overrides the calibration.
 */
import type { Detection, Detector } from './types.js';
import type { Series } from '../data/types.js';
import { alarmsAbove, calibrateThreshold, rarityOption } from './calibrate.js';
import { optionalNumberOption } from './options.js';

export interface ScoringModel {
  /** Learn parameters from training data (called before the training scores are computed). */
  fit?(train: Series): void;
  /** Causal scores for every point: higher is more anomalous, NaN where there is no judgement. */
  score(series: Series): Float64Array;
  /**
   * Scores to set the alarm level from, when scoring the training data in-sample would be
   * optimistic (a model that memorises its training windows); default: score(train).
   */
  calibrationScores?(train: Series): Float64Array;
}

export class CalibratedDetector implements Detector {
  private threshold: number;
  private readonly fixed: number | undefined;
  private readonly rarity: number;

  constructor(
    name: string,
    private readonly model: ScoringModel,
    private readonly floor: number,
    options: Record<string, unknown> | undefined,
  ) {
    this.rarity = rarityOption(name, options);
    this.fixed = optionalNumberOption(name, options, 'threshold');
    this.threshold = this.fixed ?? floor;
  }

  fit(train: Series): void {
    this.model.fit?.(train);
    if (this.fixed === undefined) {
      const scores = this.model.calibrationScores?.(train) ?? this.model.score(train);
      this.threshold = calibrateThreshold(scores, this.rarity, this.floor);
    }
  }

  detect(series: Series): Detection {
    const scores = this.model.score(series);
    return { scores, alarms: alarmsAbove(scores, this.threshold), threshold: this.threshold };
  }
}

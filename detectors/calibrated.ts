/**
 * The shape every built-in shares: a scoring model (optionally fitted) plus the rarity rule for its
 * alarm level (calibrate.ts). Every such detector takes the same three alarm options: `rarity`,
 * `floor` (the lowest level it alarms at, the published method's own: 3 for k-sigma) and a fixed
 * `threshold` that overrides the calibration.
 */
import { z } from 'zod';
import type { Detection, Detector } from './types.js';
import type { Series } from '../data/types.js';
import { alarmsAbove, calibrateThreshold, DEFAULT_RARITY } from './calibrate.js';

const rarity = z.number().min(1e-9).max(0.5).default(DEFAULT_RARITY).describe('share of training scores allowed above the alarm level');
const threshold = z.number().optional().describe('fixed alarm level (score units); overrides the calibration');
const floor = (doc: string) => z.number().min(0).describe(`lowest alarm level: ${doc}`);

/** The alarm options, with the floor's default and meaning given per detector. */
export function alarmOptions(floorDefault: number, floorDoc: string) {
  return { rarity, floor: floor(floorDoc).default(floorDefault), threshold };
}

/** The same, for a detector whose floor follows from the rarity unless given. */
export function alarmOptionsDerivedFloor(floorDoc: string) {
  return { rarity, floor: floor(floorDoc).optional(), threshold };
}

export interface AlarmOptions {
  rarity: number;
  floor: number;
  threshold?: number | undefined;
}

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

  private readonly floor: number;

  constructor(
    private readonly model: ScoringModel,
    options: AlarmOptions,
  ) {
    this.rarity = options.rarity;
    this.floor = options.floor;
    this.fixed = options.threshold;
    this.threshold = this.fixed ?? this.floor;
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

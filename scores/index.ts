/** The scoring API: detection metrics and threshold sources, NAB, RCA, MTTR, and uncertainty. */
export {
  scoreDetection,
  thresholdFreeMetrics,
  trainingHasLabels,
  THRESHOLD_SOURCES,
  type DetectionMetrics,
  type ScoreOptions,
  type ThresholdSource,
  type ThresholdInfo,
  type ThresholdFreeMetrics,
} from './detection/evaluate.js';
export { aiopsGrid, type AiopsGrid } from './detection/grid.js';
export { pointAdjustedCounts } from './detection/point-adjusted.js';
export { curveAreas, pointwiseCurveAreas, bestF1Threshold } from './detection/curves.js';
export { vus, tsbSlidingWindow } from './detection/vus.js';
export { NAB_PROFILES, nabFile, nabScoreAt, nabOptimise, normalisedNab } from './detection/nab.js';
export { scoreRankings, rankOfRootCause, type RcaMetrics } from './rca.js';
export { bootstrapInterval, meanSd, mcnemarExact, pairedBootstrap, type Interval, type PairedTest } from './uncertainty.js';

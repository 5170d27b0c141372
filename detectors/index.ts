/** The detectors' public API: registry, plugins, KPI series, running and scoring. */
export type { Detection, Detector, DetectorFactory } from './types.js';
export type { Series } from '../data/types.js';
export { listDetectors, resolveDetector } from './registry.js';
export { PluginFailure, DEFAULT_PLUGIN_LIMITS, type PluginFailureReason, type PluginLimits, type ResolveOptions } from '../common/plugin.js';
export { seriesFromKpis, faultFreeUntil } from '../data/kpi-series.js';
export { readSeriesDir, parseSeriesCsv, parseTimestamp, type SeriesSet } from '../data/series-csv.js';
export { runDetector, scoreDetection, type DetectionMetrics, type ScoreOptions, type ThresholdSource } from './evaluate.js';
export { detect, type DetectOptions } from '../pipeline/detect.js';

/** The detectors' public API: registry, plugins, KPI series, running and scoring. */
export type { Detection, Detector, DetectorFactory, Series } from './types.js';
export { listDetectors, resolveDetector } from './registry.js';
export { seriesFromKpis, faultFreeUntil } from './kpi-series.js';
export { readSeriesDir, parseSeriesCsv, parseTimestamp, type SeriesSet } from './series-csv.js';
export { runDetector, scoreDetection, type DetectionMetrics, type ScoreOptions, type ThresholdSource } from './evaluate.js';
export { detect, type DetectOptions } from './detect.js';

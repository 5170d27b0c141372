/** The detectors' public API: registry, plugins, KPI series, running (scoring is scores/). */
export type { Detection, Detector, DetectorFactory } from './types.js';
export type { Series } from '../data/types.js';
export { listDetectors, resolveDetector } from './registry.js';
export { seriesFromKpis, faultFreeUntil } from '../data/kpi-series.js';
export { readSeriesDir, parseSeriesCsv, parseTimestamp, type SeriesSet } from '../data/series-csv.js';
export { runDetector } from './evaluate.js';
export { detect, type DetectOptions } from '../pipeline/detect.js';

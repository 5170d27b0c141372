/**
 * faultline's library API, one namespace per stage of the pipeline:
 * scenario -> generated data (sim) -> detectors -> RCA (rca) -> scores and report (reports),
 * and replay of imported real incidents (replay). The CLI in scripts/ is a thin layer over these.
 */
export * as sim from './sim/index.js';
export * as detectors from './detectors/index.js';
export * as rca from './rca/index.js';
export * as scores from './scores/index.js';
export * as reports from './reports/index.js';
export { replay, type ReplayOptions } from './pipeline/replay.js';
export { anonymise, type AnonymiseOptions } from './anonymise/anonymise.js';

/** Public API of the evaluation run and its report. */
export { run, type RunOptions, type RunResult } from '../pipeline/run.js';
export { evaluateItem, type EvaluationInput, type EvaluateOptions } from '../pipeline/evaluate-item.js';
export { evaluateScenarioItem, type ScenarioItemConfig } from '../pipeline/scenario-item.js';
export { writeReport, REPORT_FILES, type WriteReportOptions } from './write.js';
export { merge, mergeResults, MergeError } from './merge.js';
export { compareSummaries, formatComparison, readSummary, type ComparisonRow, type Verdict } from './compare.js';
export { summarize } from './summarize.js';
export { SummarySchema, SUMMARY_JSON_SCHEMA, SUMMARY_VERSION, type Summary } from './summary-schema.js';
export { loadSuite, parseSuite, SuiteError, type Suite } from '../pipeline/suite.js';
export { buildSweep, deriveSeed, parseShard, selectShard, expandScenarios, type SweepItem, type Shard } from '../pipeline/sweep.js';
export { DEFAULT_MTTR_MODEL, DEFAULT_REPAIR_MINUTES, mtbfMs, pairingMttr, type MttrModel } from '../scores/mttr.js';
export { readResultsFile, writeResultsFile, type ResultsFile, type RunConfig } from './results-file.js';
export { renderReport } from './html.js';
export { renderJunit } from './junit.js';
export { escapeHtml } from './escape.js';
export type { ItemResult } from './types.js';

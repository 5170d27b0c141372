/**
 * faultline's library API, export by export. The CLI (scripts/) is a thin layer over these, and
 * the tests use them. Stages, in the order data flows: the scenario engine, data (telemetry types
 * and readers), detectors, transaction trees, RCA, scores, reports, and the pipeline that runs
 * them (one evaluation behind `run`, `replay`, `detect` and `rca`).
 */

// The pipeline: what the commands run.
export { run, type RunOptions, type RunResult } from './pipeline/run.js';
export { replay, type ReplayOptions, type ReplayResult } from './pipeline/replay.js';
export { detect, type DetectOptions, type MetricsFile as DetectMetricsFile } from './pipeline/detect.js';
export { rca, type RcaOptions, type RcaResult } from './pipeline/rca.js';
export { loadSource, availableInputs, type SourceSpec, type LoadOptions, type Telemetry } from './pipeline/load.js';
export { evaluate, type Methods, type Evaluation, type EvaluateOptions, type ItemIdentity } from './pipeline/evaluate.js';
export { resolveMethods, inputsRead, closeMethods, type MethodSpecs } from './pipeline/methods.js';
export { loadSuite, parseSuite, type Suite } from './pipeline/suite.js';
export { buildSweep, deriveSeed, parseShard, selectShard, type SweepItem, type Shard } from './pipeline/sweep.js';

// The scenario engine and its data-set files.
export { generate, GenerateOptionsError, type GenerateOptions, type GenerateResult } from './sim/generate.js';
export type { ExportOptions } from './sim/export/telemetry-export.js';
export { ScenarioSizeError, MAX_MESSAGES, MAX_MINUTE_CELLS } from './sim/estimate.js';
export { loadScenario, listScenarios, ScenarioError } from './sim/scenario.js';
export { readKpis, readTruth, scanMessages, scanLogs, readMetricFrame, checkManifest } from './sim/read.js';
export { MessageLogWriter, writeKpis } from './sim/message-writer.js';
export type { Truth, TruthFault, Manifest, MessageBatch, KpiTable, LogBatch, MetricFrame, FaultType, LogPoint, LogLevel, MetricName } from './sim/formats.js';

// Telemetry in memory, and its readers.
export type { SpanTable, Series, MetricTable, LogTable, Incident } from './data/types.js';
export { SPAN_STATUS, LOG_LEVEL } from './data/types.js';
export { loadSpans, loadKpiSeries, loadIncidents } from './data/inputs.js';
export { readSpans } from './data/span-csv.js';
export { readMetrics, type ReadMetricsOptions } from './data/metric-csv.js';
export { readLogs, readLogSets, type ReadLogsOptions } from './data/log-csv.js';
export { templateCounts, type TemplateCounts } from './data/log-table.js';
export { Drain, LogTemplateMiner, prepareLogMessage, type DrainOptions } from './data/log-templates.js';
export { metricLayout, logLayout } from './data/telemetry-layouts.js';
export { readIncidents, incidentsFromTruth } from './data/incidents.js';

// Plugins: one shape and one registry for detectors and RCA methods.
export { definePlugin, Registry, PluginSpecError, describeOptions, INPUT_KINDS, type Plugin, type Resolved, type InputKind } from './common/plugin.js';
export { detectorRegistry, listDetectors, resolveDetector } from './detectors/registry.js';
export { runDetector } from './detectors/evaluate.js';
export type { Detector, Detection, DetectorPlugin, DetectorFactory } from './detectors/types.js';
export { buildSpans, type TreeOptions } from './trees/index.js';
export { rcaRegistry, listRcaAlgorithms, resolveRcaAlgorithm } from './rca/registry.js';
export { rankIncidents, type IncidentRanking } from './rca/evaluate.js';
export type { RcaAlgorithm, RcaInput, RcaReference, Candidate, RcaPlugin, RcaFactory, IncidentWindow } from './rca/types.js';

// Scores.
export { scoreDetection, thresholdFreeMetrics, THRESHOLD_SOURCES, type DetectionMetrics, type ThresholdSource, type ThresholdFreeMetrics } from './scores/detection/evaluate.js';
export { nabOptimise, normalisedNab, NAB_PROFILES } from './scores/detection/nab.js';
export { bootstrapInterval, meanSd, mcnemarExact, pairedBootstrap, type Interval, type PairedTest } from './scores/uncertainty.js';
export { scoreFromFiles, type ScoreFilesOptions } from './pipeline/score.js';
export { scoreRankings, type RcaMetrics } from './scores/rca.js';
export { DETECTION_FIGURES, RCA_FIGURES, MTTR_FIGURES, formatFigure, type Figure } from './scores/figures.js';
export { parseAcGate, judgeGate, type AcGate } from './scores/gate.js';
export { DEFAULT_MTTR_MODEL, type MttrModel } from './scores/mttr.js';
export type { ItemResult } from './scores/item-result.js';
export { kendallTauB, ksFromCounts, ksFromSketches, type Agreement, type Distance, type FidelityResult } from './scores/agreement.js';
export { fitTwin, fitScenario, type FitOptions, type FittedTwin, type FitEstimates } from './pipeline/fit.js';
export { fitReport, compareTwin, FIT_TARGETS, type FitReport } from './pipeline/fit-report.js';
export { writeFaultSweep, planFaultSweep, faultTargets, type SweepFaultsOptions } from './pipeline/sweep-faults.js';
export { fidelity, compareRuns, DEFAULT_TYPE_MAP, type FidelityOptions } from './pipeline/fidelity.js';
export { profileTelemetry, type TelemetryProfile } from './data/telemetry-profile.js';
export { buildCallView, type CallView } from './data/call-view.js';

// Reports.
export { writeReport, REPORT_FILES } from './reports/write.js';
export { summarize } from './reports/summarize.js';
export { SummarySchema, SUMMARY_JSON_SCHEMA, type Summary } from './reports/summary-schema.js';
export { compareRunFigures, compareSummaries, formatComparison, readRun, readSummary, type Comparison, type ComparisonRow, type RunData } from './reports/compare.js';
export { merge } from './reports/merge.js';

// Anonymisation of real incident data.
export { anonymise, type AnonymiseOptions } from './anonymise/anonymise.js';

// Errors and exit codes.
export { EXIT, FaultlineError, UsageError } from './common/errors.js';


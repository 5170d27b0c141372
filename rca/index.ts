/** Root-cause analysis's public API: transaction trees, span import, registry, ranking and scoring. */
export * from './types.js';
export * from '../data/types.js';
export { buildSpans, buildSpansFromBatches, type TreeOptions } from '../trees/index.js';
export { readSpans, type ReadSpansOptions } from '../data/span-csv.js';
export { SPAN_CSV_COLUMNS } from '../sim/formats.js';
export { readIncidents, incidentsFromTruth, DEFAULT_INCIDENT_MS } from '../data/incidents.js';
export { listRcaAlgorithms, resolveRcaAlgorithm } from './registry.js';
export { PluginFailure, DEFAULT_PLUGIN_LIMITS, type PluginFailureReason, type PluginLimits, type ResolveOptions } from '../common/plugin.js';
export { rankIncidents, scoreRca, kpiFrameFromTable, type IncidentRanking } from './evaluate.js';
export { type RcaMetrics } from '../scores/rca.js';
export { rca, type RcaOptions, type RcaResult } from '../pipeline/rca.js';

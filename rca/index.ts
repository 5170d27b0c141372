/** Root-cause analysis's public API: transaction trees, span import, registry, ranking and scoring. */
export * from './types.js';
export { buildSpans, buildSpansFromBatches, type TreeOptions } from './trees.js';
export { readSpans, SPAN_COLUMNS, type ReadSpansOptions } from './span-csv.js';
export { readIncidents, incidentsFromTruth, DEFAULT_INCIDENT_MS } from './incidents.js';
export { listRcaAlgorithms, resolveRcaAlgorithm } from './registry.js';
export { rankIncidents, scoreRca, kpiFrameFromTable, type IncidentRanking } from './evaluate.js';
export { type RcaMetrics } from './metrics.js';
export { rca, type RcaOptions, type RcaResult } from './rca.js';

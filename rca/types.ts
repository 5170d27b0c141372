import type { Plugin } from '../common/plugin.js';
import type { Incident, LogTable, MetricTable, Series, SpanTable } from '../data/types.js';

export interface Candidate {
  service: string;
  instance?: string;
  faultType?: string;
  score: number;
  /** One line: why this candidate scores as it does (shown beside it in the report and junit.xml). */
  explanation: string;
  /** The observations behind the score, when the method gives them (optional; the report shows each). */
  evidence?: Evidence[];
}

/**
 * One observation behind a candidate's score: a signal measured in the incident window beside its
 * fault-free reference, e.g. `{kind: 'calls', subject: 'api-gateway', value: 45, baseline: 0.2,
 * unit: 'errors per 1000 calls', note: '45 errors of 3360 calls'}`.
 */
export interface Evidence {
  /** The signal: a service's or operation's calls, an edge between two services, a log template, a metric. */
  kind: 'calls' | 'edge' | 'log' | 'metric';
  /** What it is about: a service, an operation, `caller -> callee`, a log template, a metric name. */
  subject: string;
  /** Measured in the incident window. */
  value?: number;
  /** The same measure on the reference (fault-free) data. */
  baseline?: number;
  unit?: string;
  note?: string;
}

export const EVIDENCE_KINDS = ['calls', 'edge', 'log', 'metric'] as const satisfies readonly Evidence['kind'][];

/** What a method is told of an incident: when it happened, never its truth. */
export type IncidentWindow = Pick<Incident, 'id' | 'start' | 'end'>;

export interface RcaInput {
  incident: IncidentWindow;
  /** Calls that overlap the incident window. */
  spans: SpanTable;
  /** Fault-free calls from before the incident (or a supplied baseline) for reference. */
  baseline: SpanTable;
  /** The run's KPI series (`scope:name:kpi`, every minute of the run: the method picks its window). */
  kpis?: Series[];
  /** Per-instance metrics from the reference window's start to the incident's end. */
  metrics?: MetricTable;
  /** Log lines of the incident window. */
  logs?: LogTable;
  /** Log lines of the reference (fault-free) window. */
  baselineLogs?: LogTable;
}

/** Whether an incident has spans, in its window or its reference: a metrics- or logs-only input has none. */
export function hasSpans(input: RcaInput): boolean {
  return input.spans.length > 0 || input.baseline.length > 0;
}

/** The run's fault-free reference data, for methods that learn what normal looks like once. */
export interface RcaReference {
  spans: SpanTable;
  metrics?: MetricTable;
  logs?: LogTable;
}

/**
 * One RCA method instance for a run: `fit` once on the reference data, `rank` once per incident,
 * then `close`. Candidates
 * come best first; a method that cannot judge returns none.
 */
export interface RcaAlgorithm {
  /** Called once before any incident, with the run's fault-free reference data. */
  fit?(reference: RcaReference): void | Promise<void>;
  rank(input: RcaInput): Candidate[] | Promise<Candidate[]>;
  close?(): void | Promise<void>;
}

/** An RCA method plugin: options declared as a schema, inputs declared (common/plugin.ts). */
export type RcaPlugin = Plugin<RcaAlgorithm>;

/** The name plugin authors have used for the RCA plugin type. */
export type RcaFactory = RcaPlugin;


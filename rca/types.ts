import type { Incident, KpiFrame, SpanTable } from '../data/types.js';

export interface Candidate {
  service: string;
  instance?: string;
  faultType?: string;
  score: number;
  explanation: string;
}

export interface RcaInput {
  incident: Incident;
  /** Calls that overlap the incident window. */
  spans: SpanTable;
  /** Fault-free calls from before the incident (or a supplied baseline) for reference. */
  baseline: SpanTable;
  kpis?: KpiFrame;
}

export interface RcaAlgorithm {
  rank(input: RcaInput): Candidate[] | Promise<Candidate[]>;
}

export interface RcaFactory {
  name: string;
  description: string;
  create(options?: Record<string, unknown>): RcaAlgorithm;
}


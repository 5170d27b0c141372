/**
 * Calls (spans) stored column-wise: the common form that both transaction trees built from message
 * logs and replayed span files reduce to. Row i is one call; strings are interned into `strings`
 * and referenced by index so that hot loops compare integers.
 */
export interface SpanTable {
  length: number;
  strings: string[]; // intern table shared by every string column below
  traceId: Int32Array; // -> strings (bizSeqNo or trace id)
  spanId: Int32Array; // -> strings (uniqueId or span id)
  parent: Int32Array; // row index of the parent call, -1 for a root
  service: Int32Array; // -> strings: the receiver (callee) service
  instance: Int32Array; // -> strings: the receiver instance
  operation: Int32Array; // -> strings: operation or topic
  start: Float64Array; // unix ms the caller sent the request
  end: Float64Array; // unix ms the caller got the reply (or gave up: timeout)
  /** 0 ok, 1 business failure, 2 system failure (error or timeout), 255 unknown. */
  status: Uint8Array;
  /**
   * Appended: set on tables built from message logs, how many calls tree merging folded into each
   * row. `attempts`: the caller's tries of the same callee operation (vertical merge, a retry after
   * a failed attempt); `repeats`: identical sibling calls folded together (horizontal merge). Both
   * are 1 for an unmerged call.
   */
  attempts?: Uint16Array;
  repeats?: Uint16Array;
  /**
   * Appended: 1 when a failed call never reached its callee because of how the caller addressed
   * it (a return code the tree rules list as caller-side, e.g. route not found): the fault lies
   * with the caller (parent row), not the callee named in `service`.
   */
  callerFault?: Uint8Array;
}

export const SPAN_STATUS = { ok: 0, business: 1, system: 2, unknown: 255 } as const;

/** An incident to explain: a time window and, when known, its confirmed root cause. */
export interface Incident {
  id: string;
  start: number; // unix ms
  end: number; // unix ms
  rootCause: string[]; // services; empty when unknown
  rootCauseInstance?: string;
  type?: string;
}

export interface Candidate {
  service: string;
  instance?: string;
  faultType?: string;
  score: number;
  explanation: string;
}

/** Per-minute KPI series by id (`scope:name:kpi`), aligned on `minutes`. */
export interface KpiFrame {
  minutes: Float64Array;
  series: Map<string, Float64Array>;
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


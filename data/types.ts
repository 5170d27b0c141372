/**
 * The in-memory telemetry every stage after the data stage works on, column-wise: spans (calls),
 * KPI and other series, per-instance resource metrics, application logs, and incidents. Readers
 * of every input format (data/) produce these; detectors, trees, RCA and scores consume them.
 * Hot loops scan the typed arrays; strings are interned once per table and compared as integers.
 */
import type { KpiName, MovedKpi } from '../sim/formats.js';

/**
 * One univariate series in time order, stored column-wise. Timestamps may be irregular and may
 * have gaps; a value may be NaN (no data in that interval, e.g. a rate over zero volume).
 */
export interface Series {
  id: string;
  timestamps: Float64Array; // unix ms, strictly increasing
  values: Float64Array;
  /** Which golden KPI this is, when known: lets ensembles route by kind. */
  kpi?: KpiName;
  /**
   * For a success-rate series: the volume behind each point (binomial trials). For an average
   * latency: the calls averaged at each point (its standard error shrinks with them).
   */
  volume?: Float64Array;
  /** 1 marks an anomalous point (ground truth), when known. */
  labels?: Uint8Array;
}

/**
 * Calls (spans) stored column-wise: the common form that both transaction trees built from message
 * logs and replayed span files reduce to. Row i is one call; strings are interned into `strings`
 * and referenced by index so that hot loops compare integers. A table read from span files interns
 * its span ids when its `strings` or `spanId` are first read (data/span-assembly.ts).
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
  /** SPAN_STATUS: 0 ok, 1 business failure, 2 system failure (error or timeout), 255 unknown. */
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
  /**
   * Appended: the callee's own view of the call, where it was recorded (a server span beside the
   * caller's client span, or the callee's receive and reply legs in a message log), unix ms on the
   * callee's clock; NaN where unknown. The caller's (end - start) minus (serverEnd - serverStart)
   * is the time spent between the two: network, broker, waiting to be picked up. Self-time puts
   * that gap on the caller; edge-latency methods put it on the edge.
   */
  serverStart?: Float64Array;
  serverEnd?: Float64Array;
}

/** The call status encoding of SpanTable.status (defined with the data-set contract, which the engine writes). */
export { SPAN_STATUS } from '../sim/formats.js';

/**
 * An incident (ground truth): its time window and, when known, its confirmed root cause, its kind
 * and the KPI series it moved. Every ground-truth format (a generated truth.json, incidents JSON or
 * CSV, a Nezha fault list) is read into this.
 */
export interface Incident {
  id: string;
  start: number; // unix ms
  end: number; // unix ms, exclusive
  rootCause: string[]; // services, best first; empty when unknown
  rootCauseInstance?: string;
  /** The fault type (a generated fault's FaultType, or the incident file's word). */
  type?: string;
  /** A generated fault's hard-case tags (overlap, no-impact, peak, ...). */
  tags?: string[];
  /** A generated fault's severity (0 to 1, the scenario's `severity`); absent where the incidents give none. */
  severity?: number;
  /**
   * The KPI series the incident moved and when: known for a generated fault (empty when it had no
   * visible impact), absent for a replayed incident.
   */
  moved?: MovedKpi[];
}

/**
 * Per-instance resource metrics (CPU, memory, GC, pools, network, per-pod latency percentiles...),
 * column-wise, one row per (instance, time): rows sorted by instance, then time. `names[m]` is the
 * metric of column `values[m]`; a value is NaN where the row has none.
 */
export interface MetricTable {
  length: number;
  strings: string[]; // intern table for service and instance
  time: Float64Array; // unix ms
  service: Int32Array; // -> strings
  instance: Int32Array; // -> strings (the service's name when only services are known)
  names: string[];
  values: Float64Array[];
}

/** Log levels, ordered by severity; `unknown` where a line carries none that is recognised. */
export const LOG_LEVEL = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, fatal: 5, unknown: 255 } as const;

/**
 * Application log lines, column-wise. Messages are kept as their mined template (Drain: constant
 * tokens, `<*>` for variable ones), not verbatim: templates are what RCA compares, and memory then
 * grows with the distinct templates, not with the text.
 */
export interface LogTable {
  length: number;
  strings: string[]; // intern table for service, instance, trace and span ids
  time: Float64Array; // unix ms
  service: Int32Array; // -> strings
  instance: Int32Array; // -> strings
  traceId: Int32Array; // -> strings, -1 when the line carries none (a bizSeqNo in the bank's logs)
  spanId: Int32Array; // -> strings, -1 when none (a uniqueId in the bank's logs)
  level: Uint8Array; // LOG_LEVEL
  template: Int32Array; // -> templates
  templates: string[];
}

/**
 * The on-disk contract of a generated (or imported) data set. Every module downstream of the
 * scenario engine (detectors, RCA, reports, replay) reads these names and nothing else, so a
 * column is renamed here or nowhere.
 *
 * A data set directory holds:
 *   messages.arrow  one row per message-log record (WEMQ style, see MESSAGE_COLUMNS)
 *   kpis.arrow      minute-level golden KPIs per service and per transaction type (KPI_COLUMNS)
 *   truth.json      injected faults with their root causes (Truth)
 *   manifest.json   scenario, seed, versions and sha256 of each output (Manifest)
 *
 * and the CSV layouts below are how telemetry is exchanged as text: what `generate` exports and
 * what `replay`, `rca`, `fit` and `anonymise` read without a column mapping.
 */

/** Legs of one request/reply call as the bus logs them; a missing reply leg means a timeout or loss. */
export const LOG_POINTS = [
  'REQ_CLIENT_MESH',
  'REQ_MESH_BROKER',
  'REQ_BROKER_MESH',
  'REQ_MESH_CLIENT',
  'RSP_CLIENT_MESH',
  'RSP_MESH_BROKER',
  'RSP_BROKER_MESH',
  'RSP_MESH_CLIENT',
] as const;
export type LogPoint = (typeof LOG_POINTS)[number];

/** request and reply of a request/reply call; async is a one-way message that gets no reply. */
export const MSG_TYPES = ['request', 'reply', 'async'] as const;
export type MsgType = (typeof MSG_TYPES)[number];

/** ok; business failure (e.g. insufficient balance, not a system fault); system failure (incl. timeout). */
export const RET_CLASSES = ['ok', 'business', 'system'] as const;
export type RetClass = (typeof RET_CLASSES)[number];

/**
 * messages.arrow columns. Strings are dictionary-encoded except bizSeqNo and uniqueId, which are
 * near-unique and stored as plain Utf8. A dictionary's index type is the smallest signed integer
 * type that fits it (Int8, Int16 or Int32; Int32 where the writer cannot know the dictionary up
 * front); sim/read.ts always hands codes out as Int32Array (DictColumn). Times are unix epoch milliseconds
 * as Float64 (exact below 2^53, and cheap to scan as a Float64Array).
 */
export const MESSAGE_COLUMNS = {
  bizSeqNo: 'bizSeqNo', // Utf8: one per business transaction, shared by all its messages
  uniqueId: 'uniqueId', // Utf8: one per request/reply pair (the request and its reply share it)
  msgType: 'msgType', // dict: MsgType
  topic: 'topic', // dict: the receiver service's topic for requests; the caller's reply topic for replies
  txType: 'txType', // dict: transaction type, e.g. transfer
  senderSubsystem: 'senderSubsystem', // dict
  senderService: 'senderService', // dict
  senderInstance: 'senderInstance', // dict
  senderIp: 'senderIp', // dict
  senderDcn: 'senderDcn', // dict
  receiverSubsystem: 'receiverSubsystem', // dict
  receiverService: 'receiverService', // dict
  receiverInstance: 'receiverInstance', // dict
  receiverIp: 'receiverIp', // dict
  receiverDcn: 'receiverDcn', // dict
  logPoint: 'logPoint', // dict: LogPoint
  sendTime: 'sendTime', // Float64 unix ms: when this leg was sent
  recvTime: 'recvTime', // Float64 unix ms: when this leg was received
  ttl: 'ttl', // Int32 ms: request/reply timeout the caller set (0 for async)
  retCode: 'retCode', // dict: return code carried by the reply ('' on request legs)
  retClass: 'retClass', // dict: RetClass of the reply ('' on request legs)
} as const;
export type MessageColumn = keyof typeof MESSAGE_COLUMNS;

/** The four golden KPIs. */
export const KPI_NAMES = ['volume', 'businessSuccessRate', 'systemSuccessRate', 'avgLatency'] as const;
export type KpiName = (typeof KPI_NAMES)[number];

/** service: calls received by a service; txType: whole transactions of one type, end to end. */
export const KPI_SCOPES = ['service', 'txType'] as const;
export type KpiScope = (typeof KPI_SCOPES)[number];

/**
 * kpis.arrow columns: one row per (minute, scope, name), every minute of the run present for every
 * (scope, name) so that series are regular. Rates and avgLatency are NaN when volume is 0.
 */
export const KPI_COLUMNS = {
  minute: 'minute', // Float64 unix ms of the minute's start
  scope: 'scope', // dict: KpiScope
  name: 'name', // dict: service or transaction-type name
  volume: 'volume', // Float64 count of calls (service) or transactions (txType) that started in the minute
  businessSuccessCount: 'businessSuccessCount', // Float64: ended ok
  systemSuccessCount: 'systemSuccessCount', // Float64: ended ok or with a business failure
  latencySum: 'latencySum', // Float64 ms summed over completed calls/transactions
  businessSuccessRate: 'businessSuccessRate', // Float64 = businessSuccessCount / volume
  systemSuccessRate: 'systemSuccessRate', // Float64 = systemSuccessCount / volume
  avgLatency: 'avgLatency', // Float64 ms = latencySum / volume
} as const;

/** Series id used everywhere a KPI series is named: `${scope}:${name}:${kpi}`. */
export function kpiSeriesId(scope: KpiScope, name: string, kpi: KpiName): string {
  return `${scope}:${name}:${kpi}`;
}

export const FAULT_TYPES = [
  'database-slow',
  'instance-down',
  'crash-loop',
  'cpu-saturation',
  'memory-leak',
  'network-delay',
  'packet-loss',
  'broker-backlog',
  'channel-outage',
  'channel-slowdown',
  'bad-release',
  'config-error',
  'traffic-surge',
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

/** What a fault was injected into. */
export type FaultTarget =
  | { kind: 'instance'; service: string; instance: string }
  | { kind: 'service'; service: string }
  | { kind: 'edge'; from: string; to: string }
  | { kind: 'database'; database: string; service: string }
  | { kind: 'channel'; channel: string; service: string }
  | { kind: 'txType'; txType: string; service: string };

export interface MovedKpi {
  series: string; // kpiSeriesId
  scope: KpiScope;
  name: string;
  kpi: KpiName;
  direction: 'up' | 'down';
  /** First and last minute (unix ms, inclusive) in which the series differs from the fault-free run. */
  start: number;
  end: number;
}

export interface TruthFault {
  id: string;
  type: FaultType;
  target: FaultTarget;
  /**
   * The services an operator would confirm as root cause, best first. For an edge fault this is
   * the callee; for a database its owning service; for a channel the channel's pseudo-service
   * (receiver name in messages.arrow); for a traffic surge the entry service of the surged type.
   */
  rootCause: string[];
  rootCauseInstance?: string;
  start: number; // unix ms
  end: number; // unix ms (exclusive)
  severity: number; // 0..1
  /** Hard-case tags: overlap, no-impact, peak. */
  tags: string[];
  /** The KPI series the fault actually moved (empty for a fault without visible impact). */
  moved: MovedKpi[];
}

export interface Truth {
  scenario: string;
  seed: number;
  start: number; // unix ms, first minute
  end: number; // unix ms, exclusive
  faults: TruthFault[];
}

export interface Manifest {
  tool: 'faultline';
  version: string;
  scenario: string;
  scenarioSha256: string;
  seed: number;
  durationMs: number;
  start: number;
  node: string;
  dependencies: Record<string, string>;
  counts: { messages: number; transactions: number; kpiRows: number; faults: number };
  files: Record<string, { bytes: number; sha256: string }>;
}

/** A dictionary-encoded string column held in memory: row i is `values[codes[i]]`. */
export interface DictColumn {
  codes: Int32Array;
  values: string[];
}

/**
 * One record batch of messages.arrow in memory, column-wise. This is what readers yield, what the
 * writer appends and what importers of real logs produce, so every module scans typed arrays rather
 * than per-row objects.
 */
export interface MessageBatch {
  length: number;
  bizSeqNo: string[];
  uniqueId: string[];
  msgType: DictColumn;
  topic: DictColumn;
  txType: DictColumn;
  senderSubsystem: DictColumn;
  senderService: DictColumn;
  senderInstance: DictColumn;
  senderIp: DictColumn;
  senderDcn: DictColumn;
  receiverSubsystem: DictColumn;
  receiverService: DictColumn;
  receiverInstance: DictColumn;
  receiverIp: DictColumn;
  receiverDcn: DictColumn;
  logPoint: DictColumn;
  sendTime: Float64Array;
  recvTime: Float64Array;
  ttl: Int32Array;
  retCode: DictColumn;
  retClass: DictColumn;
}

/** kpis.arrow in memory, column-wise (see KPI_COLUMNS). */
export interface KpiTable {
  length: number;
  minute: Float64Array;
  scope: DictColumn;
  name: DictColumn;
  volume: Float64Array;
  businessSuccessCount: Float64Array;
  systemSuccessCount: Float64Array;
  latencySum: Float64Array;
  businessSuccessRate: Float64Array;
  systemSuccessRate: Float64Array;
  avgLatency: Float64Array;
}

/**
 * Span CSV (`.csv` or `.csv.gz`), one row per span. Times are unix nanoseconds. `parent_id` empty
 * or `root` marks a root. `status`: ok, business, error (or 0, 1, 2); empty when not recorded.
 * `kind`: `client` (the caller's record of a call: from sending the request to getting the reply),
 * `server` (the callee's record: from receiving it to replying; its parent is the client span), or
 * empty for a span that stands for the whole call. Readers fold a client span and its server span
 * into one call; the time between the two is the edge's own (network, broker).
 */
export const SPAN_CSV_COLUMNS = ['trace_id', 'span_id', 'parent_id', 'service', 'instance', 'operation', 'start_ns', 'end_ns', 'status', 'kind'] as const;
export type SpanCsvColumn = (typeof SPAN_CSV_COLUMNS)[number];

/**
 * Log CSV, one row per log line. `time`: ISO 8601 (UTC unless it carries a zone) or unix ms.
 * `trace_id` and `span_id` (a bizSeqNo and uniqueId in the bank's logs) are empty for a line
 * written outside any request. `level`: TRACE, DEBUG, INFO, WARN, ERROR or FATAL.
 */
export const LOG_CSV_COLUMNS = ['time', 'service', 'instance', 'trace_id', 'span_id', 'level', 'message'] as const;
export type LogCsvColumn = (typeof LOG_CSV_COLUMNS)[number];

/**
 * Metric CSV, wide: one row per (instance, time), these key columns, then one numeric column per
 * metric (its name is the header; an empty cell is a missing value). `time` as in LOG_CSV_COLUMNS.
 */
export const METRIC_CSV_KEY_COLUMNS = ['time', 'service', 'instance'] as const;
export type MetricCsvKeyColumn = (typeof METRIC_CSV_KEY_COLUMNS)[number];

/** The files a message log can be imported from (`faultline anonymise --messages`, replay). */
export const MESSAGE_FORMATS = ['arrow', 'parquet', 'csv', 'jsonl'] as const;
export type MessageFormat = (typeof MESSAGE_FORMATS)[number];

/**
 * The on-disk contract of a generated (or imported) data set. Every module downstream of the
 * scenario engine (detectors, RCA, reports, replay) reads these names and nothing else, so a
 * column is renamed here or nowhere.
 *
 * A data set directory holds:
 *   messages.arrow  one row per message-log record (WEMQ style, see MESSAGE_COLUMNS)
 *   kpis.arrow      minute-level golden KPIs per service and per transaction type (KPI_COLUMNS)
 *   logs.arrow      application log lines of the bank's service instances (LOG_COLUMNS)
 *   metrics.arrow   per-instance resource metrics, one row per (minute, instance) (METRIC_COLUMNS)
 *   truth.json      injected faults with their root causes (Truth)
 *   manifest.json   scenario, seed, versions, row counts, size and sha256 of every other file (Manifest)
 *
 * and the CSV layouts below are how telemetry is exchanged as text: what `generate` exports and
 * what `replay`, `rca`, `fit` and `anonymise` read without a column mapping.
 */

/** File names inside a data set directory. */
export const DATA_SET_FILES = {
  messages: 'messages.arrow',
  kpis: 'kpis.arrow',
  logs: 'logs.arrow',
  metrics: 'metrics.arrow',
  truth: 'truth.json',
  manifest: 'manifest.json',
  spansCsv: 'spans.csv',
  spansOtlp: 'spans.otlp.jsonl',
  logsCsv: 'logs.csv',
  metricsCsv: 'metrics.csv',
} as const;

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
 * A call's status as every stage holds it in memory (SpanTable.status, the engine's span rows, the
 * tree builder): the index of its RetClass, or `unknown` where nothing was recorded. Readers turn
 * each format's encoding into this one; writers turn it back.
 */
export const SPAN_STATUS = { ok: 0, business: 1, system: 2, unknown: 255 } as const;

/** The span CSV's status words by SPAN_STATUS: a system failure is `error` (OpenTelemetry's word); unknown is empty. */
export function spanStatusText(status: number): '' | 'ok' | 'business' | 'error' {
  return status === SPAN_STATUS.ok ? 'ok' : status === SPAN_STATUS.business ? 'business' : status === SPAN_STATUS.system ? 'error' : '';
}

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
/**
 * An optional last column of messages.arrow (dict), written only when the scenario names the
 * operations of its calls: the call's operation name on all its legs ('' for a call without one).
 * Files without it are read as before; importers of other message logs do not need it.
 */
export const MESSAGE_OPERATION_COLUMN = 'operation';
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

/** Levels of logs.arrow, least severe first. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * logs.arrow columns: one row per application log line written by an instance of a bank service
 * (channels and client applications are outside the bank and write none). Dictionary index types
 * follow MESSAGE_COLUMNS. Rows come in the order the engine wrote them (a transaction's lines
 * together, then the instances' background lines at each minute's end), not sorted by time.
 */
export const LOG_COLUMNS = {
  time: 'time', // Float64 unix ms the line was written (on the true clock)
  service: 'service', // dict
  instance: 'instance', // dict
  bizSeqNo: 'bizSeqNo', // Utf8: the transaction the line was written for; '' for a line outside any request
  uniqueId: 'uniqueId', // Utf8: the call (request/reply pair) the line is about; '' when none
  level: 'level', // dict: LogLevel
  /**
   * Utf8: `[thread] logger - text`. An exception's class, message and stack frames follow on
   * further lines (`\n` then `\tat frame`), as a Java logger writes them.
   */
  message: 'message',
} as const;
export type LogColumn = keyof typeof LOG_COLUMNS;

/**
 * Per-instance metrics of metrics.arrow, one value per (minute, instance), by family. Resource
 * metrics are minute means of the engine's per-second state unless noted. Units: cpuUsage and
 * cpuSteal in percent of the instance's CPU allowance; memoryUsedMb heap in use (MB); gcPauseMs
 * stop-the-world pause time summed over the minute; workerBusy mean busy worker threads (pool of
 * WORKER_POOL_SIZE); workerQueue mean requests waiting for a worker; dbPoolInUse mean database
 * connections held (pool of DB_POOL_SIZE; NaN for a service that owns no database); netBytesIn and
 * netBytesOut bytes over the minute (simulated traffic: they scale with the traffic scale, like
 * volume). Request metrics are computed from the calls themselves, as an exporter of request
 * metrics does: over the calls the instance served that ended in the minute, requestCount,
 * errorCount (system failures; only where the system's spans record a status), and the server-side
 * duration's exact percentiles latencyP50Ms ... latencyP99Ms (NaN in a minute without calls: a
 * gap); over the calls it made that ended in the minute, clientLatencyP50Ms ... clientLatencyP99Ms.
 */
export const METRIC_FAMILIES = {
  cpu: ['cpuUsage'],
  steal: ['cpuSteal'],
  memory: ['memoryUsedMb'],
  gc: ['gcPauseMs'],
  workers: ['workerBusy', 'workerQueue'],
  dbPool: ['dbPoolInUse'],
  network: ['netBytesIn', 'netBytesOut'],
  requests: ['requestCount', 'errorCount', 'latencyP50Ms', 'latencyP90Ms', 'latencyP95Ms', 'latencyP99Ms', 'clientLatencyP50Ms', 'clientLatencyP90Ms', 'clientLatencyP95Ms', 'clientLatencyP99Ms'],
} as const;
export type MetricFamily = keyof typeof METRIC_FAMILIES;
export const METRIC_FAMILY_NAMES = Object.keys(METRIC_FAMILIES) as MetricFamily[];
/** What the monitor writes when a scenario does not say (`metricFamilies`): the resource families. */
export const DEFAULT_METRIC_FAMILIES: readonly MetricFamily[] = ['cpu', 'steal', 'memory', 'gc', 'workers', 'dbPool', 'network'];
/** Every metric the monitor can write, in column order. */
export const METRIC_NAMES = METRIC_FAMILY_NAMES.flatMap((f) => METRIC_FAMILIES[f]) as MetricName[];
export type MetricName = (typeof METRIC_FAMILIES)[MetricFamily][number];
/** Percentiles of the request metrics, in the order of their names. */
export const REQUEST_QUANTILES = [0.5, 0.9, 0.95, 0.99] as const;

const METRIC_FAMILY_OF = Object.fromEntries(METRIC_FAMILY_NAMES.flatMap((f) => METRIC_FAMILIES[f].map((n) => [n, f]))) as Record<MetricName, MetricFamily>;

/** The metrics a monitor writes for these families, in METRIC_NAMES order (errorCount only where spans record a status). */
export function metricNamesOf(families: readonly MetricFamily[], spanStatus: boolean): MetricName[] {
  const on = new Set(families);
  return METRIC_NAMES.filter((n) => on.has(METRIC_FAMILY_OF[n]) && (n !== 'errorCount' || spanStatus));
}
export const WORKER_POOL_SIZE = 32;
export const DB_POOL_SIZE = 16;

/**
 * metrics.arrow columns, wide: the key columns then one Float64 column per METRIC_NAMES entry.
 * Rows are minute-major, instances in model order; an instance has a row for a minute only when it
 * was up for at least one second of it (a crashed, unreachable or not yet started instance leaves
 * a gap, and an instance replaced by a rolling restart ends while its successor begins).
 */
export const METRIC_COLUMNS = {
  time: 'time', // Float64 unix ms of the minute's start
  service: 'service', // dict
  instance: 'instance', // dict
  ...(Object.fromEntries(METRIC_NAMES.map((n) => [n, n])) as { [K in MetricName]: K }),
} as const;

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
  // Faults that show in some signals only.
  'code-exception', // an exception caught and logged; the reply still succeeds (logs)
  'wrong-return', // a wrong value returned with status OK; the next step fails its validation (business failures elsewhere)
  'slow-query', // a dependency's background query turned slow (its logs, its DB pool)
  'noisy-neighbour', // a co-located tenant steals CPU (the victim's CPU steal and latency, not its own load)
  'rolling-restart', // instances replaced one by one under new ids (churn, cold starts)
  'batch-job', // a scheduled batch loading a service's CPU and database (periodic with `repeat`)
  'drift', // a service's work per call growing slowly over the window
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

/** The strongest a fault can be: severities run above 0 up to it (a scenario's `severity`, 0 to 1). */
export const MAX_SEVERITY = 1;

export const FAULT_TARGET_KIND_NAMES = ['service', 'instance', 'database', 'edge', 'channel', 'txType'] as const;
export type FaultTargetKind = (typeof FAULT_TARGET_KIND_NAMES)[number];

/**
 * What each fault type is injected into, as a scenario names it in `target` (sim/faults.ts
 * compiles it; a fault on an instance may also take a whole service): the one place a sweep over
 * "every fault on every target" learns the targets from. Network faults take a link or an
 * instance's interface (where fault injectors such as Chaos Mesh and ChaosBlade put them).
 */
export const FAULT_TARGET_KINDS: Record<FaultType, readonly FaultTargetKind[]> = {
  'database-slow': ['database'],
  'instance-down': ['instance'],
  'crash-loop': ['instance'],
  'cpu-saturation': ['service'],
  'memory-leak': ['instance'],
  'network-delay': ['edge', 'instance'],
  'packet-loss': ['edge', 'instance'],
  'broker-backlog': ['service'],
  'channel-outage': ['channel'],
  'channel-slowdown': ['channel'],
  'bad-release': ['service'],
  'config-error': ['service'],
  'traffic-surge': ['txType'],
  'code-exception': ['service'],
  'wrong-return': ['service'],
  'slow-query': ['database'],
  'noisy-neighbour': ['instance'],
  'rolling-restart': ['service'],
  'batch-job': ['instance'],
  drift: ['instance'],
};

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
  /** Hard-case tags, e.g. overlap, no-impact, peak, near-noise, one-signal, churn. */
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
  /** Rows of each Arrow file (logLines and metricRows are 0 when that output was turned off). */
  counts: { messages: number; transactions: number; kpiRows: number; logLines: number; metricRows: number; faults: number };
  /** Present (false) when the scenario's system records no span status: readers then show none. */
  spanStatus?: false;
  /** Every other file of the data set (Arrow, JSON, exports, Parquet copies): size and sha256. */
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
  /** The call's operation name, where the log carries the optional column. */
  operation?: DictColumn;
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

/** One record batch of logs.arrow in memory, column-wise (see LOG_COLUMNS). */
export interface LogBatch {
  length: number;
  time: Float64Array;
  service: DictColumn;
  instance: DictColumn;
  bizSeqNo: string[];
  uniqueId: string[];
  level: DictColumn;
  message: string[];
}

/** metrics.arrow in memory, column-wise (see METRIC_COLUMNS); a metric the file does not have is NaN throughout. */
export interface MetricFrame {
  length: number;
  /** The metrics the file has, in METRIC_NAMES order. */
  names: MetricName[];
  time: Float64Array;
  service: DictColumn;
  instance: DictColumn;
  values: Record<MetricName, Float64Array>;
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

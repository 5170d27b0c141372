/**
 * `faultline fit`: a scenario learned from a system's own traces (its digital twin). From the call
 * view of the spans (data/call-view.ts, one row per call whatever the span layout):
 * - services and their instances;
 * - transaction types: a root operation and the first call it makes (a gateway's one generic
 *   route splits by where it sends the request), each with its call tree merged over its traces:
 *   per child (callee service and operation under the same path) the share of parent calls that
 *   make it, how many times (parallel fan-out or a sequential repeat), sync or async, the
 *   order of first calls, and whether it is made alongside the sibling before it (their calls
 *   overlap in time) or after it;
 * - per call-tree node, a lognormal fit of the callee's own time (quantile matching: its median,
 *   and the shape that puts its 95th percentile where the data has it), its bus legs where it has
 *   enough client and server spans, and, where spans carry a status, the share of calls that
 *   failed by themselves (not because a synchronous child failed);
 * - per transaction type, the arrival rate over the minutes the data covers, the hourly shape when
 *   it covers most hours of a day, and the extra-Poisson per-minute noise;
 * - per service, capacity: from its instances' CPU against their load where metrics are given and
 *   CPU rises with load (the load at which the fitted line reaches 100%), else from the
 *   load-latency relation of its instances' minutes where one shows (M/M/1: 1 / latency falls
 *   linearly in load), else far above the peak load, so that the twin adds no queueing the data
 *   did not show;
 * - the bus leg (median and shape) from the gap between client and server spans;
 * - whether spans record a status at all (a twin of a system whose spans carry none records none);
 * - with metrics: the metric families the system exports, recognised by name (pipeline/fit-metrics.ts),
 *   which the twin writes and no other, among them request metrics computed from the calls where
 *   the system has request latency percentiles or counts.
 * - with logs: per call-tree node, the templates (mined by Drain) its callee writes while handling
 *   a call, each with its level and lines per call, which the twin writes in place of the
 *   simulator's own success line; and the share of calls with any line (`checksResult`: where a
 *   handler writes about its results it inspects them, so a wrong value it makes fails there); and
 *   the level the system writes its failure lines at (`rejectionLogLevel`), at which the twin's
 *   handlers reject a wrong value.
 * The YAML says in comments what was estimated from how much data, and which metrics of the
 * system's no family of the twin's takes. Error lines' texts stay the simulator's: a fault-free phase has few.
 */
import { Document, isMap, isSeq, type YAMLMap } from 'yaml';
import { BadRows, type BadRowPolicy } from '../common/bad-rows.js';
import { FaultlineError } from '../common/errors.js';
import { buildCallView, callEnd, callStart, type CallView } from '../data/call-view.js';
import { loadSpans } from '../data/inputs.js';
import { readLogs } from '../data/log-csv.js';
import { errorWordTemplates } from '../data/log-templates.js';
import { readMetrics } from '../data/metric-csv.js';
import { LOG_LEVEL, SPAN_STATUS, type LogTable, type MetricTable, type SpanTable } from '../data/types.js';
import { LEGS_PER_CALL } from '../sim/engine.js';
import { quantileSorted } from '../common/quantile.js';
import { DEFAULT_REJECTION_LOG_LEVEL } from '../sim/log-catalog.js';
import { LEG_SIGMA } from '../sim/model.js';
import { normalOfUniform, stream } from '../sim/rng.js';
import { LEARNED_LINE_LIMITS, scenarioSchema, type CallTemplate, type LearnedLogLine, type NetworkTail, type ScenarioFile } from '../sim/scenario-schema.js';
import { LOG_LEVELS, type LogLevel, type MetricFamily } from '../sim/formats.js';
import { BEYOND_TRACED, CFS_PERIOD_MS, cpuLimitOf, cpuPercentMetric, latencyUnitMs, metricNoise, recogniseMetrics, untracedCallsOf, type CpuLimit, type MetricNoise, type RequestMetric, type UntracedCalls } from './fit-metrics.js';

export interface FitOptions {
  /** Span files or folders (span CSV, OTLP, Jaeger, Zipkin). */
  spans: string[];
  /** Per-instance metric CSV files or folders: CPU against load gives capacities. */
  metrics?: string[];
  /** Log CSV files or folders: per-service volume and error lines, reported (the scenario has no setting for them). */
  logs?: string[];
  columns?: Record<string, string>;
  metricColumns?: Record<string, string>;
  logColumns?: Record<string, string>;
  serviceFromInstance?: string;
  onBadRow?: BadRowPolicy;
  /** The scenario's name (default `twin`). */
  name?: string;
  /** Transaction types seen in fewer traces are left out (default 1: every type seen). */
  minTraces?: number;
  /** Child calls made on fewer than this share of their parent's calls are left out (default 0.001). */
  minProbability?: number;
}

/** What one call-tree node was estimated from, for fit-report.json and the comments. */
export interface NodeEstimate {
  path: string;
  service: string;
  operation: string;
  calls: number;
  probability: number;
  fanout: number;
  repeat: number;
  async: boolean;
  /** Made alongside the sibling before it in most parent calls that made both (their calls overlap). */
  parallel: boolean;
  /** This call's own bus legs (from NODE_MIN_GAPS or more gaps, its edge's slow mode left out), null: the scenario's. */
  legMs: number | null;
  legSigma: number | null;
  /** The slow mode of the gaps on its edge (caller service -> this service), null where they show none. */
  networkTail: NetworkTail | null;
  medianSelfMs: number;
  sigma: number;
  /** Share of status-known calls that failed by themselves; null without status. */
  errorRate: number | null;
}

export interface FitEstimates {
  spans: number;
  calls: number;
  traces: number;
  /** Minutes with data and the hours of day they cover. */
  minutes: number;
  hoursOfDay: number;
  dailyShape: 'estimated' | 'flat';
  trafficNoise: number;
  statusKnown: number;
  legMs: number | null;
  legSigma: number | null;
  /** Real name -> twin name (the scenario's names are lower-case with dashes). */
  serviceNames: Record<string, string>;
  services: {
    name: string;
    real: string;
    instances: number;
    calls: number;
    capacity: number;
    capacityFrom: 'cpu' | 'load-latency' | 'peak-load';
    peakPerInstancePerSecond: number;
    /** Instance-minutes with both CPU and load (null without a CPU percentage), and the line's correlation (null with too few). */
    cpuMinutes: number | null;
    cpuCorrelation: number | null;
    /** From the logs, when given: lines, lines per call and the share at error or above (the templates go on the call-tree nodes). */
    logLines: number | null;
    logLinesPerCall: number | null;
    errorLineShare: number | null;
  }[];
  /**
   * What the metrics gave: rows, the CPU metric used (null when none is a percentage), the metric
   * families recognised by name (the twin's `metricFamilies`) and the names of each, the request
   * metrics' minute-to-minute noise over the minutes the spans cover (fit-report.json sets the
   * twin's beside it), and what no family took.
   */
  metrics: {
    rows: number;
    instances: number;
    cpuMetric: string | null;
    families: MetricFamily[];
    recognised: Partial<Record<MetricFamily, string[]>>;
    requestMetrics: (RequestMetric & { real: MetricNoise })[];
    /** The minutes (unix ms, from and to, exclusive) whose rows the noise is measured over. */
    noiseWindow: [number, number];
    /** The twin's `untracedCalls` and what they were read from (fit-metrics.ts untracedCallsOf); null where none were found. */
    untracedCalls: (UntracedCalls & { metric: string; unitMs: number; longestTracedMs: number }) | null;
    /** What shows the instances run under a CPU limit (the twin's `cpuQuota`), null where nothing does. */
    cpuLimit: CpuLimit | null;
    nodeLevel: string[];
    notUsed: string[];
    note: string;
  } | null;
  logs: {
    lines: number;
    services: number;
    /** Failure templates (a service's template at WARN or above naming a failure) per their most frequent level, and the level the twin rejects values at. */
    failureTemplates: Partial<Record<LogLevel, number>>;
    rejectionLogLevel: LogLevel | null;
  } | null;
  transactions: { name: string; root: string; traces: number; share: number; ratePerSecond: number; nodes: NodeEstimate[] }[];
  /** Traces of types left out (too rare) and calls of child calls left out (too rare, too deep). */
  droppedTraces: number;
  droppedCalls: number;
}

export interface FittedTwin {
  scenario: ScenarioFile;
  /** The scenario as YAML with comments. */
  yaml: string;
  estimates: FitEstimates;
}

const MAX_DEPTH = 16;
/** Gaps between client and server spans a call needs for bus legs of its own. */
const NODE_MIN_GAPS = 20;
/** Calls a node needs for the shape of its own time to be its own (else its operation's, over every node). */
const NODE_MIN_SHAPE_CALLS = 30;
const MAX_FANOUT = 64;
/** Floor on own time, so that a zero (a callee that only waits) has a log. */
const MIN_SELF_MS = 0.01;

/** Reads the spans and fits a twin (see the module comment). */
export async function fitTwin(opts: FitOptions): Promise<FittedTwin & { spans: SpanTable; skippedRows: number; badRowExamples: string[] }> {
  const badRows = new BadRows(opts.onBadRow ?? 'reject');
  const naming = opts.serviceFromInstance ? { serviceFromInstance: opts.serviceFromInstance } : {};
  const spans = await loadSpans(opts.spans, { badRows, ...(opts.columns ? { columns: opts.columns } : {}), ...naming });
  if (spans.length === 0) throw new FaultlineError(`${opts.spans.join(', ')}: no spans to fit a twin on`);
  const metrics = opts.metrics?.length ? await readMetrics(opts.metrics, { badRows, ...naming, ...(opts.metricColumns ? { columns: opts.metricColumns } : {}) }) : undefined;
  const logs = opts.logs?.length ? await readLogs(opts.logs, { badRows, ...naming, ...(opts.logColumns ? { columns: opts.logColumns } : {}) }) : undefined;
  return { ...fitScenario(spans, opts, { ...(metrics ? { metrics } : {}), ...(logs ? { logs } : {}) }), spans, skippedRows: badRows.skipped, badRowExamples: badRows.examples };
}

/** Least-squares line y = a + b x with its correlation. */
function line(xs: number[], ys: number[]): { a: number; b: number; r: number } {
  const n = xs.length;
  const mx = xs.reduce((p, q) => p + q, 0) / n;
  const my = ys.reduce((p, q) => p + q, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  return { a: my - b * mx, b, r: sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0 };
}

/** Instance-minutes needed, and the correlation, before CPU against load gives a capacity. */
const CPU_MIN_MINUTES = 10;
const CPU_MIN_R = 0.5;

/** A name the scenario format takes (lower-case letters, digits, dashes), unique among `taken`. */
export function scenarioName(real: string, taken: Set<string>, fallback: string): string {
  let base = real
    .toLowerCase()
    .replace(/\{[^}]*\}/g, 'x')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  if (!/^[a-z]/.test(base)) base = base ? `${fallback}-${base}` : fallback;
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}-${k}`;
  taken.add(name);
  return name;
}

interface Acc {
  service: number;
  operation: number;
  key: string;
  /** Calls of the parent node that made this call at least once. */
  parentsWith: number;
  calls: number;
  /** Parent calls where repeats of this call overlapped (parallel fan-out) / did not (sequential). */
  parallel: number;
  sequential: number;
  /** First calls of this child made while the synchronous sibling before it was still running / after it had replied. */
  withPrevious: number;
  afterPrevious: number;
  asyncVotes: number;
  orderSum: number;
  /** Median and 95th percentile of the log own time over the node's calls. */
  logP50: number;
  logP95: number;
  /** Measurable gaps between client and server spans of its calls, and their median and 95th percentile. */
  gaps: number;
  gapP50: number;
  gapP95: number;
  known: number;
  ownErrors: number;
  /** From the logs: calls with at least one line of the callee, and lines per template * 256 + level. */
  callsWithLines: number;
  lines: Map<number, number>;
  /** Per template, where its lines fell in their calls' handling: a histogram of shares of the handling's time (POSITION_BINS bins). */
  positions: Map<number, Uint32Array>;
  children: Map<string, Acc>;
}

function acc(service: number, operation: number, key: string): Acc {
  return { service, operation, key, parentsWith: 0, calls: 0, parallel: 0, sequential: 0, withPrevious: 0, afterPrevious: 0, asyncVotes: 0, orderSum: 0, logP50: 0, logP95: 0, gaps: 0, gapP50: 0, gapP95: 0, known: 0, ownErrors: 0, callsWithLines: 0, lines: new Map(), positions: new Map(), children: new Map() };
}

/** The nearest synchronous sibling started before kids[i], -1 for none. */
function previousSync(v: CallView, kids: number[], i: number): number {
  for (let j = i - 1; j >= 0; j--) if (!v.async[kids[j]!]) return kids[j]!;
  return -1;
}

/**
 * Call b was made while call a was still running: they overlap by more than half the shorter of
 * the two, so that clock offsets between hosts and the small gaps of back-to-back calls do not count.
 */
function overlapsPrevious(v: CallView, a: number, b: number): boolean {
  const overlap = Math.min(callEnd(v, a), callEnd(v, b)) - callStart(v, b);
  return overlap > 0.5 * Math.min(callEnd(v, a) - callStart(v, a), callEnd(v, b) - callStart(v, b));
}

/** Fewest gaps on an edge to look for a slow mode in, fewest gaps in the mode, and its largest share. */
const TAIL_MIN_GAPS = 20;
const TAIL_MIN_MEMBERS = 5;
const TAIL_MAX_SHARE = 0.5;
/** The empty range, as a ratio, that sets a slow mode apart from the body of an edge's gaps. */
const TAIL_SEPARATION = 3;
/** Gaps under a millisecond differ by the clocks of two hosts as much as by the network. */
const TAIL_FLOOR_MS = 1;

/** An edge between two services (indices into the span table's strings) as one number. */
function edgeKey(v: CallView, caller: number, callee: number): number {
  return caller * v.table.strings.length + callee;
}

interface EdgeTail {
  /** The smallest gap of the slow mode: the edge's gaps from it up are its. */
  threshold: number;
  tail: NetworkTail;
}

/**
 * Per edge (caller service -> callee service), the slow mode of its gaps, where they have one, and
 * per call its gap when that lies in its edge's body (NaN: none, or one in the slow mode): at
 * least TAIL_MIN_MEMBERS gaps, at most half, set apart from the rest by a range a factor of
 * TAIL_SEPARATION wide that holds no gap (the widest such range decides). A lognormal body has no
 * such hole among its top values; a lost segment sent again after a retransmission timeout makes
 * one. The twin adds the mode's excess over the body's median to a share of replies.
 */
function edgeTails(v: CallView): { tails: Map<number, EdgeTail>; bodyGaps: Float64Array } {
  const byEdge = new Map<number, number[]>();
  const bodyGaps = new Float64Array(v.length);
  const edgeOf = new Float64Array(v.length).fill(NaN);
  for (let c = 0; c < v.length; c++) {
    const g = gapOf(v, c);
    bodyGaps[c] = g;
    const p = v.parent[c]!;
    if (p < 0 || Number.isNaN(g)) continue;
    const key = edgeKey(v, v.service[p]!, v.service[c]!);
    edgeOf[c] = key;
    const list = byEdge.get(key);
    if (list) list.push(g);
    else byEdge.set(key, [g]);
  }
  const out = new Map<number, EdgeTail>();
  for (const [key, gaps] of byEdge) {
    const n = gaps.length;
    if (n < TAIL_MIN_GAPS) continue;
    gaps.sort((a, b) => a - b);
    let cut = -1;
    let widest = TAIL_SEPARATION;
    for (let i = Math.ceil(n * (1 - TAIL_MAX_SHARE)) - 1; i < n - TAIL_MIN_MEMBERS; i++) {
      const ratio = gaps[i + 1]! / Math.max(TAIL_FLOOR_MS, gaps[i]!);
      if (ratio >= widest) [cut, widest] = [i, ratio];
    }
    if (cut < 0) continue;
    const bodyMedian = quantileSorted(gaps.slice(0, cut + 1), 0.5);
    const held = Float64Array.from(gaps.slice(cut + 1), (g) => Math.log(Math.max(1e-3, g - bodyMedian)));
    const spread = (quantileSorted(held, 0.75) - quantileSorted(held, 0.25)) / 1.349;
    out.set(key, {
      threshold: gaps[cut + 1]!,
      tail: { share: sig3((n - cut - 1) / n), medianMs: sig3(Math.exp(quantileSorted(held, 0.5))), sigma: sig3(Math.min(3, spread)) },
    });
  }
  for (let c = 0; c < v.length; c++) {
    const tail = Number.isNaN(edgeOf[c]!) ? undefined : out.get(edgeOf[c]!);
    if (tail && bodyGaps[c]! >= tail.threshold) bodyGaps[c] = NaN;
  }
  return { tails: out, bodyGaps };
}

/** The time a synchronous call spent between its client and server spans (ms), NaN where not measurable. */
function gapOf(v: CallView, c: number): number {
  const cs = v.clientStart[c]!;
  if (Number.isNaN(cs) || v.async[c]) return NaN;
  const gap = v.clientEnd[c]! - cs - (v.end[c]! - v.start[c]!);
  return gap >= 0 ? gap : NaN;
}

/** A call failed by itself: it failed and none of its synchronous calls did. */
function ownFailure(v: CallView, c: number): boolean {
  if (v.status[c] !== SPAN_STATUS.system) return false;
  for (let k = v.firstChild[c]!; k < v.firstChild[c + 1]!; k++) {
    const ch = v.childList[k]!;
    if (!v.async[ch] && v.status[ch] === SPAN_STATUS.system) return false;
  }
  return true;
}

/** Per call, the log lines its callee wrote while handling it (a line names its span): CSR over log rows. */
interface CallLines {
  first: Int32Array;
  rows: Int32Array;
}

function linesOfCalls(v: CallView, logs: LogTable): CallLines {
  const t = v.table;
  const callOfSpan = new Map<string, number>();
  for (let r = 0; r < t.length; r++) {
    const id = t.spanId[r]!;
    if (id >= 0) callOfSpan.set(t.strings[id]!, v.callOfRow[r]!);
  }
  // A server span folded into its client's row keeps the client's id: such lines are placed by
  // trace, instance and time instead (the innermost call of the trace on that instance holding it).
  const callsOfTrace = new Map<string, number[]>();
  for (let c = 0; c < v.length; c++) {
    const key = t.strings[v.trace[c]!]!;
    const list = callsOfTrace.get(key);
    if (list) list.push(c);
    else callsOfTrace.set(key, [c]);
  }
  const callOfLine = new Int32Array(logs.length).fill(-1);
  const first = new Int32Array(v.length + 1);
  for (let r = 0; r < logs.length; r++) {
    const inst = logs.strings[logs.instance[r]!];
    const id = logs.spanId[r]!;
    let c = id >= 0 ? (callOfSpan.get(logs.strings[id]!) ?? -1) : -1;
    // Only the callee's own lines: a line of the same span on another instance is not its handling.
    if (c >= 0 && t.strings[v.instance[c]!] !== inst) c = -1;
    if (c < 0 && id >= 0 && logs.traceId[r]! >= 0) {
      const time = logs.time[r]!;
      for (const k of callsOfTrace.get(logs.strings[logs.traceId[r]!]!) ?? []) {
        // Log times are whole milliseconds.
        if (t.strings[v.instance[k]!] === inst && v.start[k]! - 1 <= time && time <= v.end[k]! + 1 && (c < 0 || v.start[k]! > v.start[c]!)) c = k;
      }
    }
    if (c < 0) continue;
    callOfLine[r] = c;
    first[c + 1]!++;
  }
  for (let c = 0; c < v.length; c++) first[c + 1]! += first[c]!;
  const fill = first.slice(0, v.length);
  const rows = new Int32Array(first[v.length]!);
  for (let r = 0; r < logs.length; r++) if (callOfLine[r]! >= 0) rows[fill[callOfLine[r]!]!++] = r;
  return { first, rows };
}

/** Resolution of a learned line's place in its handling: hundredths. */
const POSITION_BINS = 101;

/** Adds calls' log lines to a node: per template and level, and the calls with any; per template, where in the handling each was written. */
function countLines(a: Acc, v: CallView, calls: readonly number[], cl: CallLines | undefined, logs: LogTable | undefined): void {
  if (!cl || !logs) return;
  for (const c of calls) {
    const from = cl.first[c]!;
    const to = cl.first[c + 1]!;
    if (to > from) a.callsWithLines++;
    const start = v.start[c]!;
    const length = v.end[c]! - start;
    for (let k = from; k < to; k++) {
      const r = cl.rows[k]!;
      const t = logs.template[r]!;
      const key = t * 256 + logs.level[r]!;
      a.lines.set(key, (a.lines.get(key) ?? 0) + 1);
      // Log times are whole milliseconds: a line of a call shorter than that is placed by the rounding alone.
      const share = length > 0 ? Math.min(1, Math.max(0, (logs.time[r]! - start) / length)) : 0.5;
      let bins = a.positions.get(t);
      if (!bins) a.positions.set(t, (bins = new Uint32Array(POSITION_BINS)));
      bins[Math.round(share * (POSITION_BINS - 1))]!++;
    }
  }
}

/** The median of a position histogram, as a share of the handling. */
function medianPosition(bins: Uint32Array): number {
  let total = 0;
  for (const n of bins) total += n;
  let seen = 0;
  for (let b = 0; b < bins.length; b++) {
    seen += bins[b]!;
    if (2 * seen >= total) return b / (POSITION_BINS - 1);
  }
  return 0.5;
}

/** Templates a call-tree node keeps from the logs (the most frequent); the scenario allows 64. */
const MAX_NODE_TEMPLATES = 64;
/** A template must be written at least this often per call to be kept: rarer ones are noise of a few calls. */
const MIN_LINES_PER_CALL = 0.01;

/** The node's learned success lines: per template, its most frequent level, its lines per call and the median place in the handling where it is written. */
function learnedLines(a: Acc, logs: LogTable): LearnedLogLine[] {
  const byTemplate = new Map<number, { lines: number; level: number; top: number }>();
  for (const [key, n] of a.lines) {
    const t = Math.floor(key / 256);
    const level = key % 256;
    const e = byTemplate.get(t);
    if (!e) byTemplate.set(t, { lines: n, level, top: n });
    else {
      e.lines += n;
      if (n > e.top || (n === e.top && level < e.level)) Object.assign(e, { level, top: n });
    }
  }
  return [...byTemplate]
    // A template the scenario could not hold (too long, control characters such as colour codes) is left out.
    .filter(([t, e]) => e.lines / a.calls >= MIN_LINES_PER_CALL && logs.templates[t]!.length <= LEARNED_LINE_LIMITS.templateChars && LEARNED_LINE_LIMITS.printable.test(logs.templates[t]!))
    .sort((x, y) => y[1].lines - x[1].lines || x[0] - y[0])
    .slice(0, MAX_NODE_TEMPLATES)
    .map(([t, e]) => ({ template: logs.templates[t]!, level: e.level < LOG_LEVELS.length ? LOG_LEVELS[e.level]! : 'INFO', perCall: Math.min(LEARNED_LINE_LIMITS.perCall, sig3(e.lines / a.calls)), at: medianPosition(a.positions.get(t)!) }));
}

/** The standard normal's 95th percentile. */
const Z95 = 1.6448536269514722;

/** Median and 95th percentile of the calls' log own time. */
function logSelfQuantiles(logSelf: Float64Array, calls: readonly number[]): [number, number] {
  const xs = Float64Array.from(calls, (c) => logSelf[c]!).sort();
  return [quantileSorted(xs, 0.5), quantileSorted(xs, 0.95)];
}

/** Three significant digits: estimates carry no more precision than that. */
function sig3(x: number): number {
  return x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(3));
}

/** Fits a twin from a span table (see the module comment). */
export function fitScenario(spans: SpanTable, opts: Omit<FitOptions, 'spans' | 'metrics' | 'logs'> = {}, telemetry: { metrics?: MetricTable; logs?: LogTable } = {}): FittedTwin {
  const v = buildCallView(spans);
  const s = spans.strings;
  const minTraces = opts.minTraces ?? 1;
  const minProbability = opts.minProbability ?? 0.001;

  // Own time and asynchrony per call, once.
  const logSelf = new Float64Array(v.length);
  for (let c = 0; c < v.length; c++) logSelf[c] = Math.log(Math.max(MIN_SELF_MS, v.selfMs[c]!));
  // The shape of each operation's own time over all its calls: a node with too few calls of its own takes it.
  const operationKey = (service: number, operation: number) => service * s.length + operation;
  const operationShape = new Map<number, number>();
  {
    const byOperation = new Map<number, number[]>();
    for (let c = 0; c < v.length; c++) {
      const key = operationKey(v.service[c]!, v.operation[c]!);
      const list = byOperation.get(key);
      if (list) list.push(c);
      else byOperation.set(key, [c]);
    }
    for (const [key, calls] of byOperation) {
      if (calls.length < NODE_MIN_SHAPE_CALLS) continue;
      const [p50, p95] = logSelfQuantiles(logSelf, calls);
      operationShape.set(key, (p95 - p50) / Z95);
    }
  }
  const logs = telemetry.logs;
  const callLines = logs ? linesOfCalls(v, logs) : undefined;

  // Services, instances, and per-instance per-minute load and own time (for capacity).
  const serviceCalls = new Map<number, number>();
  const serviceInstances = new Map<number, Set<number>>();
  const minuteCells = new Map<number, Map<number, Map<number, [number, number]>>>(); // service -> instance -> minute -> [calls, sum self]
  const minutes = new Set<number>();
  let known = 0;
  for (let c = 0; c < v.length; c++) {
    const svc = v.service[c]!;
    serviceCalls.set(svc, (serviceCalls.get(svc) ?? 0) + 1);
    let inst = serviceInstances.get(svc);
    if (!inst) serviceInstances.set(svc, (inst = new Set()));
    inst.add(v.instance[c]!);
    const minute = Math.floor(v.start[c]! / 60_000);
    minutes.add(minute);
    let byInst = minuteCells.get(svc);
    if (!byInst) minuteCells.set(svc, (byInst = new Map()));
    let cells = byInst.get(v.instance[c]!);
    if (!cells) byInst.set(v.instance[c]!, (cells = new Map()));
    const cell = cells.get(minute);
    if (cell) {
      cell[0]++;
      cell[1] += v.selfMs[c]!;
    } else cells.set(minute, [1, v.selfMs[c]!]);
    if (v.status[c] !== SPAN_STATUS.unknown) known++;
  }
  const services = [...serviceCalls.keys()].sort((a, b) => (s[a]! < s[b]! ? -1 : s[a]! > s[b]! ? 1 : 0));
  const taken = new Set<string>(['client-app']);
  const twinName = new Map<number, string>(services.map((svc) => [svc, scenarioName(s[svc]!, taken, 'svc')]));

  // Transaction types: root operation + the operation of its first call.
  const typeOf = new Map<string, { root: number; first: number; traces: number[] }>();
  for (let c = 0; c < v.length; c++) {
    if (v.parent[c]! >= 0) continue;
    const first = v.firstChild[c + 1]! > v.firstChild[c]! ? v.childList[v.firstChild[c]!]! : -1;
    const key = `${v.service[c]} ${v.operation[c]} ${first >= 0 ? `${v.service[first]} ${v.operation[first]}` : ''}`;
    let t = typeOf.get(key);
    if (!t) typeOf.set(key, (t = { root: c, first, traces: [] }));
    t.traces.push(c);
  }
  const roots = [...typeOf.values()].reduce((n, t) => n + t.traces.length, 0);
  const kept = [...typeOf.values()].filter((t) => t.traces.length >= minTraces).sort((a, b) => b.traces.length - a.traces.length || a.root - b.root);
  const droppedTraces = roots - kept.reduce((n, t) => n + t.traces.length, 0);
  let droppedCalls = 0;
  if (!kept.length) throw new FaultlineError(`no transaction type is seen in ${minTraces} or more traces (${roots} traces in all): too little data to fit a twin`);

  // The network's slow mode per edge (caller service -> callee service), from every gap on it.
  const { tails, bodyGaps } = edgeTails(v);

  // Merge each type's call trees.
  const merge = (node: Acc, calls: number[], depth: number) => {
    // calls: occurrences of this node (call ids). Group their children by (service, operation).
    const groups = new Map<string, number[][]>();
    for (const c of calls) {
      const mine = new Map<string, number[]>();
      const kids: number[] = [];
      for (let k = v.firstChild[c]!; k < v.firstChild[c + 1]!; k++) kids.push(v.childList[k]!);
      kids.forEach((ch, i) => {
        const key = `${v.service[ch]} ${v.operation[ch]}`;
        let list = mine.get(key);
        if (!list) {
          mine.set(key, (list = []));
          let child = node.children.get(key);
          if (!child) node.children.set(key, (child = acc(v.service[ch]!, v.operation[ch]!, key)));
          child.orderSum += kids.length > 1 ? i / (kids.length - 1) : 0;
          const prev = previousSync(v, kids, i);
          if (prev >= 0) {
            if (overlapsPrevious(v, prev, ch)) child.withPrevious++;
            else child.afterPrevious++;
          }
        }
        list.push(ch);
      });
      for (const [key, list] of mine) {
        let g = groups.get(key);
        if (!g) groups.set(key, (g = []));
        g.push(list);
      }
    }
    for (const [key, lists] of groups) {
      const child = node.children.get(key)!;
      const flat: number[] = [];
      for (const list of lists) {
        child.parentsWith++;
        if (list.length > 1) {
          // Repeats overlap in time (parallel fan-out) or follow each other (a loop).
          const overlap = list.some((a, i) => i > 0 && v.start[a]! < v.end[list[i - 1]!]!);
          if (overlap) child.parallel++;
          else child.sequential++;
        }
        for (const c of list) flat.push(c);
      }
      child.calls += flat.length;
      [child.logP50, child.logP95] = logSelfQuantiles(logSelf, flat);
      countLines(child, v, flat, callLines, logs);
      const gaps = flat.map((c) => bodyGaps[c]!).filter((g) => !Number.isNaN(g)).sort((x, y) => x - y);
      child.gaps = gaps.length;
      child.gapP50 = quantileSorted(gaps, 0.5);
      child.gapP95 = quantileSorted(gaps, 0.95);
      for (const c of flat) {
        if (v.async[c]) child.asyncVotes++;
        if (v.status[c] !== SPAN_STATUS.unknown) {
          child.known++;
          if (ownFailure(v, c)) child.ownErrors++;
        }
      }
      if (depth + 1 < MAX_DEPTH && child.parentsWith / Math.max(1, calls.length) >= minProbability) merge(child, flat, depth + 1);
    }
  };

  const txNames = new Set<string>();
  const estimates: FitEstimates['transactions'] = [];
  const scenarioTx: ScenarioFile['transactions'] = [];
  const coveredSeconds = minutes.size * 60;
  const nodeEstimate = (a: Acc, parentCalls: number, path: string, caller: number): { template: CallTemplate; est: NodeEstimate[] } => {
    const n = a.calls;
    // Quantile matching: the median, and the shape that puts the 95th percentile where the data has it
    // (a few outliers would inflate the sd of log, and with it the twin's whole tail). Below
    // NODE_MIN_SHAPE_CALLS calls a node's 95th percentile is one or two calls: its operation's shape
    // over every node holds more.
    const ownShape = (a.logP95 - a.logP50) / Z95;
    const sd = n < NODE_MIN_SHAPE_CALLS ? (operationShape.get(operationKey(a.service, a.operation)) ?? ownShape) : ownShape;
    // The network and client overhead differs by call (payloads, connection pools): a call's own legs where its gaps allow.
    const legs = a.gaps >= NODE_MIN_GAPS ? fitLegs(a.gapP50, a.gapP95) : null;
    const probability = Math.min(1, a.parentsWith / Math.max(1, parentCalls));
    const perParent = n / Math.max(1, a.parentsWith);
    const count = Math.min(MAX_FANOUT, Math.max(1, Math.round(perParent)));
    const sequential = count > 1 && a.sequential >= a.parallel;
    const async = a.asyncVotes * 2 > n;
    const errorRate = a.known ? a.ownErrors / a.known : null;
    const myPath = `${path}/${s[a.operation]}`;
    const est: NodeEstimate = {
      path: myPath,
      service: s[a.service]!,
      operation: s[a.operation]!,
      calls: n,
      probability: sig3(probability),
      fanout: sequential ? 1 : count,
      repeat: sequential ? count : 1,
      async,
      parallel: a.withPrevious > a.afterPrevious,
      legMs: legs ? Math.max(0.001, sig3(legs.legMs)) : null,
      legSigma: legs ? sig3(legs.legSigma) : null,
      networkTail: caller >= 0 ? (tails.get(edgeKey(v, caller, a.service))?.tail ?? null) : null,
      medianSelfMs: sig3(Math.exp(a.logP50)),
      sigma: sig3(Math.min(3, sd)),
      errorRate: errorRate === null ? null : sig3(errorRate),
    };
    const children: CallTemplate[] = [];
    const all: NodeEstimate[] = [est];
    const ordered = [...a.children.values()].sort((x, y) => x.orderSum / x.parentsWith - y.orderSum / y.parentsWith || (x.key < y.key ? -1 : 1));
    for (const ch of ordered) {
      if (ch.parentsWith / Math.max(1, n) < minProbability || !a.children.size) {
        droppedCalls += ch.calls;
        continue;
      }
      const sub = nodeEstimate(ch, n, myPath, a.service);
      // The first child has no sibling before it to run alongside.
      if (!children.length) sub.est[0]!.parallel = false;
      // A sequential repeat is the same call made again after the first: one template per repeat.
      for (let r = 0; r < sub.est[0]!.repeat; r++) {
        const template = r === 0 ? sub.template : structuredClone(sub.template);
        if (r > 0 || !sub.est[0]!.parallel) delete template.parallel;
        children.push(template);
      }
      all.push(...sub.est);
    }
    const template: CallTemplate = {
      call: twinName.get(a.service)!,
      operation: s[a.operation]!,
      ...(async ? { mode: 'async' as const } : {}),
      ...(probability < 1 ? { probability: est.probability } : {}),
      ...(est.fanout > 1 ? { fanout: est.fanout } : {}),
      ...(est.parallel ? { parallel: true } : {}),
      ...(est.legMs !== null ? { legMs: est.legMs, legSigma: est.legSigma! } : {}),
      ...(est.networkTail ? { networkTail: est.networkTail } : {}),
      serviceTimeMs: Math.max(0.001, est.medianSelfMs),
      sigma: est.sigma,
      ...(errorRate !== null && errorRate > 0 ? { errorRate: est.errorRate! } : {}),
      // What the handler writes, and where it inspects its own values: a handler that writes
      // lines about its call's results checks them there, so a wrong value it makes fails there.
      ...(logs ? { logs: learnedLines(a, logs), ...(a.callsWithLines ? { checksResult: sig3(a.callsWithLines / n) } : {}) } : {}),
      ...(children.length ? { children } : {}),
    };
    return { template, est: all };
  };

  for (const t of kept) {
    const rootAcc = acc(v.service[t.root]!, v.operation[t.root]!, '');
    for (const c of t.traces) {
      rootAcc.calls++;
      rootAcc.parentsWith++;
      if (v.status[c] !== SPAN_STATUS.unknown) {
        rootAcc.known++;
        if (ownFailure(v, c)) rootAcc.ownErrors++;
      }
    }
    [rootAcc.logP50, rootAcc.logP95] = logSelfQuantiles(logSelf, t.traces);
    countLines(rootAcc, v, t.traces, callLines, logs);
    merge(rootAcc, t.traces, 0);
    const { template, est } = nodeEstimate(rootAcc, t.traces.length, '', -1);
    const label = t.first >= 0 ? s[v.operation[t.first]!]! : s[v.operation[t.root]!]!;
    const name = scenarioName(label, txNames, 'tx');
    const rate = t.traces.length / coveredSeconds;
    scenarioTx.push({ name, rate: sig3(rate), root: template });
    estimates.push({ name, root: `${s[v.service[t.root]!]} ${s[v.operation[t.root]!]}`, traces: t.traces.length, share: sig3(t.traces.length / roots), ratePerSecond: sig3(rate), nodes: est });
  }

  // Daily shape: hourly means of the per-minute rate, when the data covers most hours of the day.
  const perMinute = new Map<number, number>();
  for (const t of kept) for (const c of t.traces) {
    const minute = Math.floor(v.start[c]! / 60_000);
    perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
  }
  const hourSum = new Float64Array(24);
  const hourMinutes = new Float64Array(24);
  for (const [minute, n] of perMinute) {
    const h = Math.floor((minute % 1440) / 60);
    hourSum[h]! += n;
    hourMinutes[h]!++;
  }
  const hoursOfDay = hourMinutes.reduce((n, m) => n + (m > 0 ? 1 : 0), 0);
  let daily = Array.from({ length: 24 }, () => 1);
  let dailyShape: FitEstimates['dailyShape'] = 'flat';
  if (hoursOfDay >= 20) {
    const means = Array.from(hourSum, (x, h) => (hourMinutes[h]! > 0 ? x / hourMinutes[h]! : NaN));
    const overall = means.filter(Number.isFinite).reduce((a, b) => a + b, 0) / hoursOfDay;
    daily = means.map((m) => sig3(Number.isFinite(m) ? m / overall : 1));
    dailyShape = 'estimated';
  }
  // Extra-Poisson noise of the per-minute count (inner minutes of each covered stretch only: the
  // first and last may be cut), as a lognormal sigma: var = mean + mean^2 (e^{s^2} - 1).
  const inner = [...perMinute.keys()].sort((a, b) => a - b).filter((m) => perMinute.has(m - 1) && perMinute.has(m + 1)).map((m) => perMinute.get(m)!);
  let trafficNoise = 0;
  if (inner.length >= 5) {
    const mean = inner.reduce((a, b) => a + b, 0) / inner.length;
    const variance = inner.reduce((a, b) => a + (b - mean) ** 2, 0) / (inner.length - 1);
    trafficNoise = sig3(Math.min(2, Math.sqrt(Math.log(1 + Math.max(0, variance - mean) / (mean * mean)))));
  }

  // Bus leg: from the gap between the caller's view of a call and the callee's, which the twin
  // makes of LEGS_PER_CALL legs.
  const gaps: number[] = [];
  for (const gap of bodyGaps) if (!Number.isNaN(gap)) gaps.push(gap);
  gaps.sort((a, b) => a - b);
  const legs = gaps.length >= 10 ? fitLegs(quantileSorted(gaps, 0.5), quantileSorted(gaps, 0.95)) : null;
  const legMs = legs ? Math.max(0.001, sig3(legs.legMs)) : null;
  const legSigma = legs ? sig3(legs.legSigma) : null;

  // CPU per instance and minute, where the metrics hold a CPU percentage.
  const cpuMetric = telemetry.metrics ? cpuPercentMetric(telemetry.metrics.names) : null;
  const cpuCells = new Map<string, Map<number, [number, number]>>(); // instance -> minute -> [sum, rows]
  let cpuNote = '';
  if (telemetry.metrics && cpuMetric) {
    const m = telemetry.metrics;
    const col = m.values[m.names.indexOf(cpuMetric)]!;
    let over = 0;
    for (let r = 0; r < m.length; r++) {
      const x = col[r]!;
      if (Number.isNaN(x)) continue;
      if (x > 100.5) over++;
      const inst = m.strings[m.instance[r]!]!;
      let cells = cpuCells.get(inst);
      if (!cells) cpuCells.set(inst, (cells = new Map()));
      const minute = Math.floor(m.time[r]! / 60_000);
      const cell = cells.get(minute);
      if (cell) {
        cell[0] += x;
        cell[1]++;
      } else cells.set(minute, [x, 1]);
    }
    // A share cannot exceed 100%: a metric that does is not one (e.g. a rate of cores), so it gives no capacity.
    if (over) {
      cpuNote = `${cpuMetric} exceeds 100 on ${over} rows: not a percentage, so no capacity from CPU`;
      cpuCells.clear();
    }
  }

  // Capacities and the service-level defaults.
  const serviceEst: FitEstimates['services'] = [];
  // The measured own time holds the queueing at the load seen: the twin's queue adds it back.
  const unqueued = new Map<string, number>();
  const subsystemServices: ScenarioFile['subsystems'][number]['services'] = [];
  const logsBy = logVolumes(telemetry.logs);
  for (const svc of services) {
    const instances = serviceInstances.get(svc)!.size;
    const byInst = minuteCells.get(svc)!;
    const loads: number[] = [];
    const inverse: number[] = [];
    const cpuLoads: number[] = [];
    const cpus: number[] = [];
    let peak = 0;
    for (const [inst, cells] of byInst) {
      const cpuOf = cpuCells.get(s[inst]!);
      for (const [minute, [n, sum]] of cells) {
        const inner = cells.has(minute - 1) && cells.has(minute + 1);
        const perSecond = n / 60;
        if (inner || cells.size < 3) peak = Math.max(peak, perSecond);
        if (inner && sum > 0) {
          loads.push(perSecond);
          inverse.push(n / sum);
        }
        const cpu = cpuOf?.get(minute);
        if (inner && cpu) {
          cpuLoads.push(perSecond);
          cpus.push(cpu[0] / cpu[1]);
        }
      }
    }
    let capacity = Math.max(1, peak) * 20;
    let capacityFrom: FitEstimates['services'][number]['capacityFrom'] = 'peak-load';
    let meanLoad = 0;
    // CPU = idle + (100 - idle) x load / capacity: the load at which the line reaches 100% is what one instance can serve.
    const cpuFit = cpuLoads.length >= CPU_MIN_MINUTES ? line(cpuLoads, cpus) : null;
    if (cpuFit && cpuFit.b > 0 && cpuFit.r >= CPU_MIN_R && (100 - cpuFit.a) / cpuFit.b > peak) {
      capacity = Math.min(1e6, (100 - cpuFit.a) / cpuFit.b);
      capacityFrom = 'cpu';
      meanLoad = cpuLoads.reduce((a, b) => a + b, 0) / cpuLoads.length;
    } else if (loads.length >= 30) {
      // 1 / own time = (1 / s)(1 - load / mu): a clear negative slope over enough minutes gives mu.
      const { a, b, r } = line(loads, inverse);
      const mu = b < 0 ? -a / b : Infinity;
      if (r < -0.5 && Number.isFinite(mu) && mu > 1.2 * peak) {
        capacity = mu;
        capacityFrom = 'load-latency';
        meanLoad = loads.reduce((x, y) => x + y, 0) / loads.length;
      }
    }
    if (capacityFrom !== 'peak-load') unqueued.set(twinName.get(svc)!, 1 - meanLoad / capacity);
    const calls = serviceCalls.get(svc)!;
    const selves: number[] = [];
    for (let c = 0; c < v.length; c++) if (v.service[c] === svc) selves.push(v.selfMs[c]!);
    selves.sort((a, b) => a - b);
    const serviceTimeMs = Math.max(0.001, sig3(quantileSorted(selves, 0.5)));
    subsystemServices.push({ name: twinName.get(svc)!, instances: Math.min(256, instances), capacity: sig3(capacity), serviceTimeMs });
    const logged = logsBy.get(s[svc]!);
    serviceEst.push({
      name: twinName.get(svc)!,
      real: s[svc]!,
      instances,
      calls,
      capacity: sig3(capacity),
      capacityFrom,
      peakPerInstancePerSecond: sig3(peak),
      cpuMinutes: cpuCells.size ? cpuLoads.length : null,
      cpuCorrelation: cpuFit ? sig3(cpuFit.r) : null,
      logLines: telemetry.logs ? (logged?.lines ?? 0) : null,
      logLinesPerCall: telemetry.logs ? sig3((logged?.lines ?? 0) / calls) : null,
      errorLineShare: logged?.lines ? sig3(logged.errors / logged.lines) : null,
    });
  }

  const scale = (c: CallTemplate) => {
    const f = unqueued.get(c.call);
    if (f !== undefined && c.serviceTimeMs !== undefined) c.serviceTimeMs = Math.max(0.001, sig3(c.serviceTimeMs * f));
    for (const ch of c.children ?? []) scale(ch);
  };
  for (const t of scenarioTx) scale(t.root);

  let first = Infinity;
  let last = -Infinity;
  for (let c = 0; c < v.length; c++) {
    first = Math.min(first, v.start[c]!);
    last = Math.max(last, v.end[c]!);
  }
  const startMinute = Math.floor(first / 60_000) * 60_000;
  const durationMinutes = Math.max(10, Math.ceil((last - startMinute) / 60_000));
  const name = opts.name ?? 'twin';
  // The system's metric families, and its request metrics' noise over the minutes the spans cover.
  const recognised = telemetry.metrics ? recogniseMetrics(telemetry.metrics.names) : undefined;
  const noiseWindow: [number, number] = [startMinute, Math.ceil(last / 60_000) * 60_000];
  const inNoiseWindow = (t: number) => t >= noiseWindow[0] && t < noiseWindow[1];
  const requestMetrics = (recognised?.requests ?? []).map((r) => {
    const m = telemetry.metrics!;
    return { ...r, real: metricNoise(m.time, m.instance, m.values[m.names.indexOf(r.name)]!, inNoiseWindow) };
  });
  const untraced = recognised?.families.includes('requests') ? untracedCallsFrom(telemetry.metrics!, requestMetrics, v, inNoiseWindow) : undefined;
  const cpuLimit = telemetry.metrics ? cpuLimitOf(telemetry.metrics, cpuMetric) : null;
  const failures = telemetry.logs ? failureLevels(telemetry.logs) : undefined;
  const scenario: ScenarioFile = scenarioSchema.parse({
    name,
    description: `A twin fitted from ${v.length} calls in ${roots} traces over ${minutes.size} minutes of ${services.length} services.`,
    start: new Date(startMinute).toISOString().replace(/:00\.000Z$/, ':00Z'),
    duration: `${durationMinutes}m`,
    ...(legMs !== null ? { legMs, legSigma } : {}),
    ...(known === 0 ? { spanStatus: false } : {}),
    ...(failures?.rejectionLogLevel ? { rejectionLogLevel: failures.rejectionLogLevel } : {}),
    // No client span was paired with its server span: the spans carry no kind, and neither do the twin's.
    ...(spans.serverStart === undefined ? { spanKind: false } : {}),
    callsFrom: 'spans',
    ...(cpuLimit ? { cpuQuota: { periodMs: CFS_PERIOD_MS } } : {}),
    ...(recognised ? { metricFamilies: recognised.families } : {}),
    ...(untraced ? { untracedCalls: { perMinute: untraced.perMinute, medianMs: untraced.medianMs, sigma: untraced.sigma } } : {}),
    dcns: ['dcn-01'],
    subsystems: [{ name: 'system', services: subsystemServices }],
    transactions: scenarioTx,
    traffic: { daily, weekly: [1, 1, 1, 1, 1, 1, 1], noise: trafficNoise },
  });
  const estimatesOut: FitEstimates = {
    spans: spans.length,
    calls: v.length,
    traces: roots,
    minutes: minutes.size,
    hoursOfDay,
    dailyShape,
    trafficNoise,
    statusKnown: sig3(v.length ? known / v.length : 0),
    legMs,
    legSigma,
    serviceNames: Object.fromEntries(services.map((svc) => [s[svc]!, twinName.get(svc)!])),
    services: serviceEst,
    transactions: estimates,
    droppedTraces,
    droppedCalls,
    metrics: telemetry.metrics
      ? {
          rows: telemetry.metrics.length,
          instances: new Set(telemetry.metrics.instance).size,
          cpuMetric,
          families: recognised!.families,
          recognised: recognised!.byFamily,
          requestMetrics,
          noiseWindow,
          untracedCalls: untraced ?? null,
          cpuLimit,
          nodeLevel: recognised!.nodeLevel,
          notUsed: recognised!.unrecognised,
          note: cpuNote || (cpuMetric ? '' : `no CPU percentage among ${telemetry.metrics.names.length} metrics: no capacity from CPU`),
        }
      : null,
    logs: telemetry.logs ? { lines: telemetry.logs.length, services: logsBy.size, ...failures! } : null,
  };
  return { scenario, yaml: scenarioYaml(scenario, estimatesOut), estimates: estimatesOut };
}

const LEG_DRAWS = 4000;
/** Leg shapes tabulated for fitLegs: 0.01 to 3 in steps of 0.01. */
const LEG_SHAPES = Float64Array.from({ length: 300 }, (_, k) => (k + 1) / 100);
let legTable: { p50: Float64Array; ratio: Float64Array } | undefined;

/** Per tabulated shape, the median and p95 / p50 of a sum of LEGS_PER_CALL unit-median lognormal legs (one seeded sample). */
function legSums(): { p50: Float64Array; ratio: Float64Array } {
  if (legTable) return legTable;
  const r = stream(1, 'fit:legs');
  const z = new Float64Array(LEG_DRAWS * LEGS_PER_CALL);
  for (let i = 0; i < z.length; i++) z[i] = normalOfUniform(r());
  const sums = new Float64Array(LEG_DRAWS);
  const p50 = new Float64Array(LEG_SHAPES.length);
  const ratio = new Float64Array(LEG_SHAPES.length);
  LEG_SHAPES.forEach((sigma, k) => {
    for (let i = 0; i < LEG_DRAWS; i++) {
      let x = 0;
      for (let j = 0; j < LEGS_PER_CALL; j++) x += Math.exp(sigma * z[i * LEGS_PER_CALL + j]!);
      sums[i] = x;
    }
    sums.sort();
    p50[k] = quantileSorted(sums, 0.5);
    ratio[k] = quantileSorted(sums, 0.95) / p50[k]!;
  });
  return (legTable = { p50, ratio });
}

/**
 * The bus leg's median and lognormal shape whose sum over LEGS_PER_CALL legs has the gaps' median
 * and 95th percentile (a network with a long tail, e.g. retransmissions, has a large shape): the
 * shape where the sum's p95 / p50 (which grows with it) meets the gaps', then the median scales.
 * Gaps with no spread keep the default shape.
 */
export function fitLegs(g50: number, g95: number): { legMs: number; legSigma: number } {
  const { p50, ratio } = legSums();
  let k = LEG_SHAPES.indexOf(LEG_SIGMA);
  if (g50 > 0 && g95 > g50) {
    k = 0;
    while (k < LEG_SHAPES.length - 1 && ratio[k]! < g95 / g50) k++;
  }
  return { legMs: g50 / p50[k]!, legSigma: LEG_SHAPES[k]! };
}

/** Fewest failure templates from which the twin takes the level its system writes failures at. */
const MIN_FAILURE_TEMPLATES = 3;

/**
 * The level the system writes its failure lines at: over each service's templates that name a
 * failure (an error word) in lines at WARN or above, each counted once at its most frequent level,
 * the level most of them have (the louder on a tie); null with fewer than MIN_FAILURE_TEMPLATES.
 * Counting templates, not lines, keeps one chatty line from deciding.
 */
export function failureLevels(logs: LogTable): { failureTemplates: Partial<Record<LogLevel, number>>; rejectionLogLevel: LogLevel | null } {
  const words = errorWordTemplates(logs.templates);
  // Per service and template, lines per level (warn and above).
  const levels = new Map<number, Uint32Array>();
  const span = LOG_LEVEL.fatal - LOG_LEVEL.warn + 1;
  for (let r = 0; r < logs.length; r++) {
    const level = logs.level[r]!;
    const t = logs.template[r]!;
    if (level === LOG_LEVEL.unknown || level < LOG_LEVEL.warn || !words[t]) continue;
    const key = logs.service[r]! * logs.templates.length + t;
    let n = levels.get(key);
    if (!n) levels.set(key, (n = new Uint32Array(span)));
    n[level - LOG_LEVEL.warn]!++;
  }
  const templates = new Uint32Array(span);
  for (const n of levels.values()) {
    let top = 0;
    for (let k = 1; k < span; k++) if (n[k]! >= n[top]!) top = k;
    templates[top]!++;
  }
  const failureTemplates: Partial<Record<LogLevel, number>> = {};
  let top = 0;
  for (let k = 0; k < span; k++) {
    if (templates[k]) failureTemplates[LOG_LEVELS[LOG_LEVEL.warn + k]!] = templates[k]!;
    if (templates[k]! >= templates[top]!) top = k;
  }
  return { failureTemplates, rejectionLogLevel: levels.size >= MIN_FAILURE_TEMPLATES ? LOG_LEVELS[LOG_LEVEL.warn + top]! : null };
}

/** Lines and lines at error or above per service name. */
function logVolumes(logs: LogTable | undefined): Map<string, { lines: number; errors: number }> {
  const out = new Map<string, { lines: number; errors: number }>();
  if (!logs) return out;
  for (let r = 0; r < logs.length; r++) {
    const name = logs.strings[logs.service[r]!]!;
    let c = out.get(name);
    if (!c) out.set(name, (c = { lines: 0, errors: 0 }));
    c.lines++;
    const level = logs.level[r]!;
    if (level !== LOG_LEVEL.unknown && level >= LOG_LEVEL.error) c.errors++;
  }
  return out;
}

/** The scenario as YAML, with what each part was estimated from in comments. */
function scenarioYaml(scenario: ScenarioFile, e: FitEstimates): string {
  const doc = new Document(scenario);
  doc.commentBefore = [
    ` A twin fitted by \`faultline fit\` from ${e.spans} spans: ${e.calls} calls in ${e.traces} traces, ${e.minutes} minutes with data.`,
    ` Status known on ${(e.statusKnown * 100).toFixed(1)}% of calls${e.statusKnown === 0 ? ': no error rates were estimated (the spans carry none)' : ''}.`,
    e.droppedTraces || e.droppedCalls ? ` Left out as too rare: ${e.droppedTraces} traces of rare transaction types, ${e.droppedCalls} calls of rare child calls.` : ' Nothing was left out.',
    ' Per-call serviceTimeMs and sigma: lognormal fit of the callee\'s own time (handling minus waiting on its synchronous calls) by quantile matching (its median and 95th percentile).',
    ...(e.metrics
      ? [
          ` Metrics: ${e.metrics.rows} rows from ${e.metrics.instances} instances; ${e.metrics.cpuMetric ? `CPU from ${e.metrics.cpuMetric} (percent) against the spans' per-instance load gives capacities where it rises with load (${CPU_MIN_MINUTES}+ instance-minutes, r >= ${CPU_MIN_R})` : 'none is a CPU percentage'}.`,
          ...(e.metrics.note ? [` ${e.metrics.note}.`] : []),
          ` metricFamilies: the families of metrics the system exports, recognised by name (docs/twin.md), so the twin writes those and no other: ${
            e.metrics.families.length ? e.metrics.families.map((f) => `${f} (${e.metrics!.recognised[f]!.join(', ')})`).join('; ') : 'none recognised, so the twin writes no metrics'
          }.`,
          ...(e.metrics.families.includes('requests')
            ? [
                ` The system's request metrics are computed from its requests, so the twin's are too (the \`requests\` family: per instance and minute, calls served, their failures where spans record a status, and exact percentiles of the durations served and made). Minute-to-minute noise over ${Math.round((e.metrics.noiseWindow[1] - e.metrics.noiseWindow[0]) / 60_000)} minutes of the spans, median |log ratio| (share of minutes over 10x the instance's median): ${e.metrics.requestMetrics
                  .map((r) => `${r.name} ${r.real.medianAbsLogRatio ?? '-'} (${r.real.over10xMedian ?? '-'})`)
                  .join(', ')}; the twin's beside them in fit-report.json.`,
              ]
            : []),
          ...(e.metrics.untracedCalls
            ? [
                ` untracedCalls: calls no trace shows, which the system's exporter counts: ${e.metrics.untracedCalls.spikes} of ${e.metrics.untracedCalls.instanceMinutes} instance-minutes of ${e.metrics.untracedCalls.metric} (read as ${e.metrics.untracedCalls.unitMs} ms per unit) are over 10 times their instance's median and over ${BEYOND_TRACED} times the longest traced call (${sig3(e.metrics.untracedCalls.longestTracedMs)} ms), read as ${e.metrics.untracedCalls.perMinute} such calls per instance-minute (Poisson; a floor, as a busy instance's percentile hides one) lasting a median ${e.metrics.untracedCalls.medianMs} ms (log spread ${e.metrics.untracedCalls.sigma}).`,
              ]
            : []),
          ...(e.metrics.nodeLevel.length ? [` Node-level, not written by the twin (it has no nodes): ${e.metrics.nodeLevel.join(', ')}.`] : []),
          ...(e.metrics.notUsed.length ? [` Of no family the twin has: ${e.metrics.notUsed.join(', ')}.`] : []),
        ]
      : [' No metrics given: the twin writes the simulator\'s resource metrics (metricFamilies unset), and capacities come from the spans alone.']),
    ...(e.logs
      ? [` Logs: ${e.logs.lines} lines from ${e.logs.services} services, per service below. Per call: \`logs\`, the templates its callee wrote while handling it (Drain), each with its level, lines per call and median place in the handling (\`at\`), written by the twin in place of its own success line (a handling cut short writes those placed before that point); \`checksResult\`, the share of calls with any such line, where a wrong value made in the handling is rejected by the handler itself (a handler that writes about its results inspects them). A line belongs to the call whose span it names on the callee's instance, else to the innermost call of its trace on its instance that holds its time.`,
          ...(e.logs.rejectionLogLevel ? [] : [` rejectionLogLevel unset (the simulator's ${DEFAULT_REJECTION_LOG_LEVEL}): ${Object.values(e.logs.failureTemplates).reduce((a, b) => a + b, 0)} failure templates (a service's template naming a failure, at WARN or above), ${MIN_FAILURE_TEMPLATES} needed.`]),
        ]
      : []),
  ].join('\n');
  const top = doc.contents as YAMLMap;
  const note = (key: string, text: string) => {
    const pair = top.items.find((p) => (p.key as { value?: unknown }).value === key);
    if (pair) (pair.key as { commentBefore?: string }).commentBefore = text;
  };
  note('spanStatus', ' The spans carry no status: neither do the twin\'s.');
  note('spanKind', " The spans carry no kind (no client span pairs with its callee's server span): neither do the twin's.");
  const failureCounts = Object.entries(e.logs?.failureTemplates ?? {}).reverse().map(([level, n]) => `${n} at ${level}`);
  note(
    'rejectionLogLevel',
    ` rejectionLogLevel: the level most of the system's failure templates are written at (a service's template naming a failure, at WARN or above, counted once: ${failureCounts.join(', ')}); the twin's handlers reject a wrong value at it.`,
  );
  note('callsFrom', " Fitted from spans: a suite's methods read the twin's spans, as the system's are read.");
  const limit = e.metrics?.cpuLimit;
  note(
    'cpuQuota',
    limit
      ? ` cpuQuota: the instances run under a CPU limit: ${limit.evidence === 'throttling-metric' ? `the metrics count CPU throttling (${limit.metric})` : `${limit.metric} over ${limit.percentMetric} is the same on every row of an instance (a limit of ${limit.limit}, median over instances, ${limit.rows} rows), so the percentage is of a fixed limit`}. A hog inside an instance leaves it throttled for part of each period (${CFS_PERIOD_MS} ms, Linux's default: the metrics do not show it).`
      : '',
  );
  note('legMs', e.legMs !== null ? ` legMs and legSigma: ${LEGS_PER_CALL} lognormal bus legs whose sum has the median and 95th percentile of the gap between client and server spans of a synchronous call (a call's networkTail gaps left out). networkTail, per call: the slow mode of the gaps on its edge (caller service -> callee service), where ${TAIL_MIN_GAPS}+ gaps show one: ${TAIL_MIN_MEMBERS}+ of them, at most half, above a ${TAIL_SEPARATION}x range that holds none; share, and the lognormal of their excess over the edge's median.` : '');
  note('traffic', ` Rates: roots per second over the ${e.minutes} minutes with data. Daily shape: ${e.dailyShape === 'estimated' ? `hourly means over ${e.hoursOfDay} hours of day` : `flat (the data covers ${e.hoursOfDay} hours of day; 20 needed)`}. Noise: extra-Poisson per-minute variation.`);
  const subs = doc.getIn(['subsystems', 0, 'services'], true);
  if (isSeq(subs)) {
    subs.items.forEach((item, k) => {
      const est = e.services[k]!;
      const capacity =
        est.capacityFrom === 'cpu'
          ? `from CPU against load over ${est.cpuMinutes} instance-minutes (r = ${est.cpuCorrelation})`
          : est.capacityFrom === 'load-latency'
            ? 'from the load-latency relation of its minutes'
            : `far above the peak per-instance load (${est.peakPerInstancePerSecond}/s): no queueing seen${
                est.cpuMinutes === null ? '' : est.cpuCorrelation === null ? ` (CPU and load on ${est.cpuMinutes} instance-minutes: ${CPU_MIN_MINUTES} needed)` : ` (CPU over ${est.cpuMinutes} instance-minutes does not rise with load: r = ${est.cpuCorrelation})`
              }`;
      const logs = est.logLines !== null ? `; logs: ${est.logLines} lines (${est.logLinesPerCall} per call)${est.errorLineShare !== null ? `, ${(est.errorLineShare * 100).toFixed(1)}% at error or above` : ''}` : '';
      if (isMap(item)) item.commentBefore = ` ${est.real}: ${est.calls} calls on ${est.instances} instance(s); capacity ${capacity}${logs}`;
    });
  }
  const txs = doc.getIn(['transactions'], true);
  if (isSeq(txs)) {
    txs.items.forEach((item, k) => {
      const est = e.transactions[k]!;
      if (isMap(item)) item.commentBefore = ` ${est.root}: ${est.traces} traces (${(est.share * 100).toFixed(1)}% of all), ${est.nodes.length} call-tree nodes`;
    });
  }
  return doc.toString({ lineWidth: 0 });
}

/**
 * The twin's `untracedCalls`, read from the system's client-side latency percentile nearest P99
 * (fit-metrics.ts untracedCallsOf), its unit from its name or else from the traced calls'
 * durations; undefined where the system exports none or it shows no such calls.
 */
function untracedCallsFrom(
  m: MetricTable,
  requests: readonly RequestMetric[],
  v: CallView,
  keep: (t: number) => boolean,
): (UntracedCalls & { metric: string; unitMs: number; longestTracedMs: number }) | undefined {
  const client = requests.filter((r) => r.kind === 'latency' && r.side === 'client' && r.quantile !== null);
  if (!client.length) return undefined;
  const metric = client.reduce((best, r) => (Math.abs(r.quantile! - 0.99) < Math.abs(best.quantile! - 0.99) ? r : best));
  const values = m.values[m.names.indexOf(metric.name)]!;
  const positive = values.filter((x) => x > 0).sort();
  const durations = Float64Array.from({ length: v.length }, (_, c) => v.end[c]! - v.start[c]!).sort();
  if (!positive.length || !durations.length) return undefined;
  const unitMs = latencyUnitMs(metric.name, quantileSorted(positive, 0.5), Math.max(1e-3, quantileSorted(durations, 0.5)));
  const longestTracedMs = durations[durations.length - 1]!;
  const found = untracedCallsOf(m.time, m.instance, values, unitMs, longestTracedMs, keep);
  return found && { ...found, metric: metric.name, unitMs, longestTracedMs };
}

import { performance } from 'node:perf_hooks';
import { rankOfRootCause, scoreRankings, type RcaMetrics } from '../scores/rca.js';
import { concatSpanTables, selectRows, selectTraces } from '../data/span-table.js';
import { PluginFailure, type PluginFailureReason, type Resolved } from '../common/plugin.js';
import { concatLogTables, logsBetween, selectMetricRows } from '../data/log-table.js';
import type { Candidate, RcaAlgorithm, RcaInput, RcaReference } from './types.js';
import { blameLostRequests, nameDownInstances, nameUnknownCallees } from './unknown-callees.js';
import type { Incident, LogTable, MetricTable, Series, SpanTable } from '../data/types.js';
import { upperBound } from '../common/sorted.js';

export interface IncidentRanking {
  incident: Incident;
  candidates: Candidate[];
  computeMs: number;
  /** 1-based rank of the first true root cause among distinct services, 0 if absent. */
  rank: number;
  /** Why the method gave no ranking for this incident (it failed or ran out of time): scored as a miss. */
  failure?: string;
  /** The error behind `failure`, for callers that tell kinds of failure apart. */
  cause?: unknown;
  /** 1-based rank of the first candidate naming the true root-cause instance, 0 if absent; unset when the instance is unknown. */
  instanceRank?: number;
}

export interface RankOptions {
  /** Fault-free spans; default: the traces that start before the first incident. */
  baseline?: SpanTable;
  /** KPI series (`scope:name:kpi`) of the run, for methods that read KPIs. */
  kpis?: Series[];
  /**
   * Also use the traces (and log lines) of this long before each incident (after any earlier
   * incident ended) as reference, so that slow drifts of the normal behaviour do not look like
   * faults. Default 10 minutes; 0 uses the baseline alone.
   */
  localBaselineMs?: number;
  /**
   * Per-incident time limit, ms: a ranking not done by then is a miss. It interrupts methods that
   * wait (subprocess plugins, async work); a built-in that computes synchronously finishes first.
   */
  timeoutMs?: number;
  /** Per-instance metrics of the run (any span of time; each incident gets its slice). */
  metrics?: MetricTable;
  /** Log lines of the run, time-sorted (readLogs), mined with the same miner as `baselineLogs`. */
  logs?: LogTable;
  /** Fault-free log lines given apart; default: the lines before the first incident. */
  baselineLogs?: LogTable;
  /** How far before an incident its metric slice reaches: the metric methods' reference (default 60 minutes). */
  metricLookbackMs?: number;
}

export const DEFAULT_LOCAL_BASELINE_MS = 10 * 60_000;
export const DEFAULT_METRIC_LOOKBACK_MS = 60 * 60_000;

/** What every method is handed for one incident: the windows are found once, the input built per use. */
interface PreparedIncident {
  incident: Incident;
  input: () => RcaInput;
}

interface Prepared {
  incidents: Incident[];
  opts: RankOptions;
  reference: RcaReference;
  items: PreparedIncident[];
}

const prepared = new WeakMap<SpanTable, Prepared[]>();

/**
 * The inputs of every incident: the whole traces that start inside its window; the reference
 * traces (baseline, plus the recent ones); the log lines of its window and of the reference; the
 * metrics from `metricLookbackMs` before it to its end, without the rows of other incidents'
 * windows (they are not a fault-free reference). Computed once per (spans, incidents, options).
 */
function prepare(table: SpanTable, incidents: Incident[], opts: RankOptions): Prepared {
  const list = prepared.get(table) ?? [];
  const hit = list.find((p) => p.incidents === incidents && sameOptions(p.opts, opts));
  if (hit) return hit;
  // Calls that left no server span are put on the service that serves their operation (rca/unknown-callees.ts).
  const [spans, given] = nameUnknownCallees(opts.baseline ? [table, opts.baseline] : [table]) as [SpanTable, SpanTable?];
  const baseline = given ?? defaultBaseline(spans, incidents);
  const firstStart = incidents.reduce((m, i) => Math.min(m, i.start), Infinity);
  // With the default baseline, the traces before the first incident are in it already.
  const covered = opts.baseline ? -Infinity : firstStart;
  const local = opts.localBaselineMs ?? DEFAULT_LOCAL_BASELINE_MS;
  const lookback = opts.metricLookbackMs ?? DEFAULT_METRIC_LOOKBACK_MS;
  const logs = opts.logs;
  const baseLogs = logs ? (opts.baselineLogs ?? logsBetween(logs, -Infinity, firstStart)) : undefined;
  const logsCovered = opts.baselineLogs ? -Infinity : firstStart;
  const items: PreparedIncident[] = [];
  const windows = mergedWindows(incidents);
  // The latest end of another incident at or before this one's start: linear-logarithmic, not per pair.
  const ends = Float64Array.from(incidents, (i) => i.end).sort();
  const latestEndBy = (t: number) => {
    const k = upperBound(ends, t);
    return k > 0 ? ends[k - 1]! : -Infinity;
  };
  for (const incident of incidents) {
    // Built when ranked, not kept: overlapping windows of many incidents would hold the spans many times over.
    const input = (): RcaInput => {
      const from = Math.max(incident.start - local, covered, latestEndBy(incident.start));
      const recent = local > 0 && from < incident.start ? selectTraces(spans, from, incident.start) : undefined;
      const reference = recent && recent.length ? localBaselines.get(baseline, recent) : baseline;
      const input: RcaInput = {
        incident: { id: incident.id, start: incident.start, end: incident.end },
        // A dead instance's calls are named to it where it alone is down; requests lost leaving one caller are that caller's (rca/unknown-callees.ts).
        spans: blameLostRequests(nameDownInstances(selectTraces(spans, incident.start, incident.end), reference, incident.end - incident.start)),
        baseline: reference,
      };
      if (opts.kpis) input.kpis = opts.kpis;
      if (logs && baseLogs) {
        input.logs = logsBetween(logs, incident.start, incident.end);
        const logFrom = Math.max(incident.start - local, logsCovered, latestEndBy(incident.start));
        const recentLogs = local > 0 && logFrom < incident.start ? logsBetween(logs, logFrom, incident.start) : undefined;
        input.baselineLogs = recentLogs && recentLogs.length ? concatLogTables([baseLogs, recentLogs]) : baseLogs;
      }
      if (opts.metrics) {
        const from = incident.start - lookback;
        // Before its own start, a row inside any incident's window lies in another's.
        input.metrics = selectMetricRows(opts.metrics, (t) => t >= from && t < incident.end && (t >= incident.start || !windows.contains(t)));
      }
      return input;
    };
    items.push({ incident, input });
  }
  const reference: RcaReference = { spans: baseline };
  if (opts.metrics) reference.metrics = opts.metrics;
  if (baseLogs) reference.logs = baseLogs;
  const p: Prepared = { incidents, opts: { ...opts }, reference, items };
  list.push(p);
  prepared.set(table, list);
  return p;
}

function sameOptions(a: RankOptions, b: RankOptions): boolean {
  return (
    a.baseline === b.baseline &&
    a.kpis === b.kpis &&
    a.localBaselineMs === b.localBaselineMs &&
    a.metrics === b.metrics &&
    a.logs === b.logs &&
    a.baselineLogs === b.baselineLogs &&
    a.metricLookbackMs === b.metricLookbackMs
  );
}

/**
 * Runs one algorithm over every incident: `fit` once on the run's reference data, then `rank` per
 * incident with its window's traces, metrics and logs and its reference (see `prepare`). Times
 * the ranking itself (computeMs).
 */
export async function rankIncidents(
  method: Resolved<RcaAlgorithm>,
  spans: SpanTable,
  incidents: Incident[],
  opts: RankOptions = {},
): Promise<IncidentRanking[]> {
  const { reference, items } = prepare(spans, incidents, opts);
  const algorithm = method.create();
  const out: IncidentRanking[] = [];
  // A plugin whose process died, hung or broke the protocol is not asked again: its later incidents are misses too.
  let dead: { error: unknown; at: string } | undefined;
  try {
    const t0 = performance.now();
    try {
      await algorithm.fit?.(reference);
    } catch (err) {
      // A method that cannot learn the reference ranks nothing: the first incident carries why.
      const failure = (err as Error).message;
      return items.map(({ incident }, k) => ({ incident, candidates: [], computeMs: 0, rank: 0, failure: k === 0 ? failure : `not ranked: ${method.name} failed on the reference data`, cause: err }));
    }
    // Fitting is part of the method's cost: spread over its incidents.
    const fitMs = (performance.now() - t0) / Math.max(1, items.length);
    for (const { incident, input } of items) {
      if (dead) {
        out.push({ incident, candidates: [], computeMs: 0, rank: 0, failure: `not ranked: ${method.name} failed at incident ${dead.at}`, cause: dead.error });
        continue;
      }
      const t1 = performance.now();
      try {
        const ranking = Promise.resolve(algorithm.rank(input()));
        const candidates = await (opts.timeoutMs === undefined ? ranking : withTimeout(ranking, opts.timeoutMs, `${method.name}: incident ${incident.id}: no ranking within ${opts.timeoutMs} ms (--rca-timeout)`));
        const computeMs = performance.now() - t1 + fitMs;
        const r: IncidentRanking = { incident, candidates, computeMs, rank: rankOfRootCause(candidates, incident.rootCause) };
        if (incident.rootCauseInstance) r.instanceRank = rankOfRootInstance(candidates, incident.rootCauseInstance);
        out.push(r);
      } catch (err) {
        out.push({ incident, candidates: [], computeMs: performance.now() - t1, rank: 0, failure: (err as Error).message, cause: err });
        if (err instanceof PluginFailure && UNUSABLE.has(err.reason)) dead = { error: err, at: incident.id };
      }
    }
  } finally {
    await algorithm.close?.();
  }
  return out;
}

/** Failures after which a plugin cannot be trusted to answer the next incident. */
const UNUSABLE = new Set<PluginFailureReason>(['start', 'exit', 'timeout', 'too-large', 'protocol']);

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** 1-based rank of the first candidate naming the root-cause instance; 0 if none does. */
export function rankOfRootInstance(candidates: Candidate[], instance: string): number {
  return candidates.findIndex((c) => c.instance === instance) + 1;
}

/**
 * baseline + recent traces, built once per distinct recent window (algorithms cache by table); the
 * latest few are kept, which serves the incidents of one window ranked one after another and the
 * methods of one run, without a table per incident for the run's whole length.
 */
const LOCAL_BASELINES_KEPT = 64;
const localBaselines = {
  cache: new WeakMap<SpanTable, Map<string, SpanTable>>(),
  get(baseline: SpanTable, recent: SpanTable): SpanTable {
    let m = this.cache.get(baseline);
    if (!m) this.cache.set(baseline, (m = new Map()));
    const key = `${recent.length}:${recent.start[0]}:${recent.start[recent.length - 1]}`;
    let t = m.get(key);
    if (!t) {
      m.set(key, (t = concatSpanTables([baseline, recent])));
      if (m.size > LOCAL_BASELINES_KEPT) m.delete(m.keys().next().value!);
    }
    return t;
  },
};

/** Traces that start before the first incident (falling back to all traces outside every window). */
export function defaultBaseline(spans: SpanTable, incidents: Incident[]): SpanTable {
  const first = incidents.reduce((m, i) => Math.min(m, i.start), Infinity);
  const before = selectTraces(spans, -Infinity, first);
  if (before.length > 0 || incidents.length === 0) return before;
  const windows = mergedWindows(incidents);
  const keep = new Uint8Array(spans.length);
  for (let r = 0; r < spans.length; r++) keep[r] = windows.overlaps(spans.start[r]!, spans.end[r]!) ? 0 : 1;
  return selectRows(spans, keep);
}

/**
 * The union of the incidents' windows [start, end) as sorted disjoint intervals: whether a time
 * lies in one, or a span [start, end] meets one, in O(log incidents).
 */
function mergedWindows(incidents: Incident[]): { contains(t: number): boolean; overlaps(start: number, end: number): boolean } {
  const order = [...incidents].sort((a, b) => a.start - b.start);
  const starts: number[] = [];
  const ends: number[] = [];
  for (const i of order) {
    if (starts.length && i.start <= ends[ends.length - 1]!) ends[ends.length - 1] = Math.max(ends[ends.length - 1]!, i.end);
    else {
      starts.push(i.start);
      ends.push(i.end);
    }
  }
  const e = Float64Array.from(ends);
  return {
    contains: (t) => {
      const k = upperBound(e, t);
      return k < starts.length && starts[k]! <= t;
    },
    overlaps: (start, end) => {
      const k = upperBound(e, start);
      return k < starts.length && starts[k]! <= end;
    },
  };
}

/** AC@1..5, Avg@5, MRR, PR@k with intervals, overall and by fault type (scores/rca.ts). */
export function scoreRca(rankings: IncidentRanking[]): RcaMetrics {
  return scoreRankings(rankings);
}

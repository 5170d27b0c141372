import { performance } from 'node:perf_hooks';
import { KPI_NAMES, kpiSeriesId, type KpiScope, type KpiTable } from '../sim/formats.js';
import { rankOfRootCause, scoreRankings, type RcaMetrics } from '../scores/rca.js';
import { concatSpanTables, selectRows, selectTraces } from '../data/span-table.js';
import { PluginFailure, type PluginFailureReason, type Resolved } from '../common/plugin.js';
import type { Candidate, RcaAlgorithm } from './types.js';
import type { Incident, KpiFrame, SpanTable } from '../data/types.js';

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
}

export interface RankOptions {
  /** Fault-free spans; default: the traces that start before the first incident. */
  baseline?: SpanTable;
  kpis?: KpiFrame;
  /**
   * Also use the traces of this long before each incident (after any earlier incident ended) as
   * reference, so that slow drifts of the normal behaviour do not look like faults. Default 10
   * minutes; 0 uses the baseline alone.
   */
  localBaselineMs?: number;
  /**
   * Per-incident time limit, ms: a ranking not done by then is a miss. It interrupts methods that
   * wait (subprocess plugins, async work); a built-in that computes synchronously finishes first.
   */
  timeoutMs?: number;
}

export const DEFAULT_LOCAL_BASELINE_MS = 10 * 60_000;

/**
 * Runs one algorithm over every incident: its input is the whole traces that start inside the
 * incident window, the baseline, and the KPIs. Times the ranking itself (computeMs).
 */
export async function rankIncidents(
  method: Resolved<RcaAlgorithm>,
  spans: SpanTable,
  incidents: Incident[],
  opts: RankOptions = {},
): Promise<IncidentRanking[]> {
  const baseline = opts.baseline ?? defaultBaseline(spans, incidents);
  // With the default baseline, the traces before the first incident are in it already.
  const covered = opts.baseline ? -Infinity : Math.min(...incidents.map((i) => i.start));
  const local = opts.localBaselineMs ?? DEFAULT_LOCAL_BASELINE_MS;
  const algorithm = method.create();
  const out: IncidentRanking[] = [];
  // A plugin whose process died, hung or broke the protocol is not asked again: its later incidents are misses too.
  let dead: { error: unknown; at: string } | undefined;
  try {
    for (const incident of incidents) {
      if (dead) {
        out.push({ incident, candidates: [], computeMs: 0, rank: 0, failure: `not ranked: ${method.name} failed at incident ${dead.at}`, cause: dead.error });
        continue;
      }
      const window = selectTraces(spans, incident.start, incident.end);
      let from = Math.max(incident.start - local, covered);
      for (const other of incidents) if (other.end <= incident.start && other.end > from) from = other.end;
      const recent = local > 0 && from < incident.start ? selectTraces(spans, from, incident.start) : undefined;
      const reference = recent && recent.length ? localBaselines.get(baseline, recent) : baseline;
      const t0 = performance.now();
      try {
        const ranking = Promise.resolve(algorithm.rank({ incident: { id: incident.id, start: incident.start, end: incident.end }, spans: window, baseline: reference, kpis: opts.kpis }));
        const candidates = await (opts.timeoutMs === undefined ? ranking : withTimeout(ranking, opts.timeoutMs, `${method.name}: incident ${incident.id}: no ranking within ${opts.timeoutMs} ms (--rca-timeout)`));
        const computeMs = performance.now() - t0;
        out.push({ incident, candidates, computeMs, rank: rankOfRootCause(candidates, incident.rootCause) });
      } catch (err) {
        out.push({ incident, candidates: [], computeMs: performance.now() - t0, rank: 0, failure: (err as Error).message, cause: err });
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

/** baseline + recent traces, built once per distinct recent window (algorithms cache by table). */
const localBaselines = {
  cache: new WeakMap<SpanTable, Map<string, SpanTable>>(),
  get(baseline: SpanTable, recent: SpanTable): SpanTable {
    let m = this.cache.get(baseline);
    if (!m) this.cache.set(baseline, (m = new Map()));
    const key = `${recent.length}:${recent.start[0]}:${recent.start[recent.length - 1]}`;
    let t = m.get(key);
    if (!t) m.set(key, (t = concatSpanTables([baseline, recent])));
    return t;
  },
};

/** Traces that start before the first incident (falling back to all traces outside every window). */
export function defaultBaseline(spans: SpanTable, incidents: Incident[]): SpanTable {
  const first = Math.min(...incidents.map((i) => i.start));
  const before = selectTraces(spans, -Infinity, first);
  if (before.length > 0 || incidents.length === 0) return before;
  const keep = new Uint8Array(spans.length).fill(1);
  for (let r = 0; r < spans.length; r++) {
    for (const inc of incidents) {
      if (spans.start[r] < inc.end && spans.end[r] >= inc.start) {
        keep[r] = 0;
        break;
      }
    }
  }
  return selectRows(spans, keep);
}

/** AC@1..5, Avg@5, MRR, PR@k with intervals, overall and by fault type (scores/rca.ts). */
export function scoreRca(rankings: IncidentRanking[]): RcaMetrics {
  return scoreRankings(rankings);
}

/** KPI table -> per-minute series by `scope:name:kpi`, aligned on the sorted distinct minutes. */
export function kpiFrameFromTable(table: KpiTable): KpiFrame {
  const minuteSet = new Set<number>();
  for (let i = 0; i < table.length; i++) minuteSet.add(table.minute[i]);
  const minutes = Float64Array.from([...minuteSet].sort((a, b) => a - b));
  const index = new Map<number, number>();
  minutes.forEach((m, i) => index.set(m, i));
  const series = new Map<string, Float64Array>();
  const columns = {
    volume: table.volume,
    businessSuccessRate: table.businessSuccessRate,
    systemSuccessRate: table.systemSuccessRate,
    avgLatency: table.avgLatency,
  };
  for (let i = 0; i < table.length; i++) {
    const scope = table.scope.values[table.scope.codes[i]] as KpiScope;
    const name = table.name.values[table.name.codes[i]];
    const at = index.get(table.minute[i])!;
    for (const kpi of KPI_NAMES) {
      const id = kpiSeriesId(scope, name, kpi);
      let s = series.get(id);
      if (!s) series.set(id, (s = new Float64Array(minutes.length).fill(NaN)));
      s[at] = columns[kpi][i];
    }
  }
  return { minutes, series };
}

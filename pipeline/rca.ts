import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-file.js';
import { readKpis, readTruth } from '../sim/read.js';
import { kpiFrameFromTable, rankIncidents, scoreRca, type IncidentRanking } from '../rca/evaluate.js';
import { incidentsFromTruth, readIncidents } from '../data/incidents.js';
import type { RcaMetrics } from '../scores/rca.js';
import { resolveRcaAlgorithm } from '../rca/registry.js';
import { readSpans, type ReadSpansOptions } from '../data/span-csv.js';
import type { TreeStats } from '../trees/calls.js';
import { buildSpans } from '../trees/index.js';
import type { Incident, KpiFrame, SpanTable } from '../data/types.js';

export interface RcaOptions {
  /** A generated data set: messages.arrow (trees), kpis.arrow, truth.json (incidents). */
  data?: string;
  /** Already-linked spans: a CSV/CSV.gz file or a folder of them. */
  spans?: string;
  /** Fault-free spans for reference (with `spans`); default: traces before the first incident. */
  baseline?: string;
  columns?: ReadSpansOptions['columns'];
  serviceFromInstance?: string;
  /** Incidents JSON; required with `spans`, overrides truth.json with `data`. */
  incidents?: string;
  algorithms: string[];
  out: string;
  /** Tree rules YAML (with `data`). */
  rules?: string;
  windowMs?: number;
  /** Gate: AC@1 of each algorithm must reach this. */
  minAc1?: number;
}

export interface AlgorithmResult {
  name: string;
  rankings: IncidentRanking[];
  metrics: RcaMetrics & { computeMs: number };
}

export interface RcaResult {
  results: AlgorithmResult[];
  treeStats?: TreeStats;
  spans: number;
  baselineSpans: number;
  incidents: number;
  gatePassed: boolean;
  /** Per algorithm below the gate: the incidents it missed at rank 1. */
  failures: { algorithm: string; ac1: number; missed: { id: string; type?: string; rootCause: string[]; top?: string; rank: number }[] }[];
  files: { ranking: string; metrics: string };
}

export const RANKING_FILE = 'ranking.json';
export const METRICS_FILE = 'metrics.json';

/**
 * `faultline rca`: loads spans (trees built from a generated data set's messages, or replayed span
 * files), incidents and a baseline; runs each algorithm over every incident; writes ranking.json
 * (every incident's ranked candidates; byte-identical for the same inputs) and metrics.json (AC@k, Avg@5, MRR, PR@k overall and by
 * type, plus the measured mean compute time), each under a temporary name then renamed.
 */
export async function rca(opts: RcaOptions): Promise<RcaResult> {
  if (!opts.data === !opts.spans) throw new Error('rca: give exactly one of data (a generated data set) or spans (span files)');
  if (!opts.algorithms.length) throw new Error('rca: name at least one algorithm');
  const factories = await Promise.all(opts.algorithms.map((a) => resolveRcaAlgorithm(a)));
  let spans: SpanTable;
  let baseline: SpanTable | undefined;
  let incidents: Incident[];
  let kpis: KpiFrame | undefined;
  let treeStats: TreeStats | undefined;
  if (opts.data) {
    spans = await buildSpans(join(opts.data, 'messages.arrow'), {
      ...(opts.rules ? { rules: opts.rules } : {}),
      ...(opts.windowMs !== undefined ? { windowMs: opts.windowMs } : {}),
      onStats: (s) => (treeStats = s),
    });
    incidents = opts.incidents ? await readIncidents(opts.incidents) : incidentsFromTruth(await readTruth(opts.data));
    kpis = kpiFrameFromTable(await readKpis(join(opts.data, 'kpis.arrow')));
  } else {
    if (!opts.incidents) throw new Error('rca: spans need an incidents file (--incidents)');
    const read = { ...(opts.columns ? { columns: opts.columns } : {}), ...(opts.serviceFromInstance ? { serviceFromInstance: opts.serviceFromInstance } : {}) };
    spans = await readSpans(opts.spans!, read);
    if (opts.baseline) baseline = await readSpans(opts.baseline, read);
    incidents = await readIncidents(opts.incidents);
  }
  if (opts.baseline && opts.data) baseline = await readSpans(opts.baseline, { ...(opts.columns ? { columns: opts.columns } : {}) });

  const results: AlgorithmResult[] = [];
  for (const [i, factory] of factories.entries()) {
    const rankings = await rankIncidents(factory, spans, incidents, { ...(baseline ? { baseline } : {}), ...(kpis ? { kpis } : {}) });
    const computeMs = rankings.reduce((s, r) => s + r.computeMs, 0) / Math.max(1, rankings.length);
    results.push({ name: opts.algorithms[i], rankings, metrics: { ...scoreRca(rankings), computeMs } });
  }

  const failures: RcaResult['failures'] = [];
  if (opts.minAc1 !== undefined) {
    for (const r of results) {
      if (!(r.metrics.ac1 >= opts.minAc1)) {
        failures.push({
          algorithm: r.name,
          ac1: r.metrics.ac1,
          missed: r.rankings
            .filter((x) => x.rank !== 1 && x.incident.rootCause.length > 0)
            .map((x) => ({
              id: x.incident.id,
              ...(x.incident.type ? { type: x.incident.type } : {}),
              rootCause: x.incident.rootCause,
              ...(x.candidates[0] ? { top: x.candidates[0].service } : {}),
              rank: x.rank,
            })),
        });
      }
    }
  }

  mkdirSync(opts.out, { recursive: true });
  const files = { ranking: join(opts.out, RANKING_FILE), metrics: join(opts.out, METRICS_FILE) };
  const ranking = {
    algorithms: results.map((r) => ({
      name: r.name,
      incidents: r.rankings.map((x) => ({
        id: x.incident.id,
        type: x.incident.type,
        start: x.incident.start,
        end: x.incident.end,
        rootCause: x.incident.rootCause,
        rank: x.rank,
        candidates: x.candidates,
      })),
    })),
  };
  writeFileAtomic(files.ranking, JSON.stringify(ranking, null, 1) + '\n');
  const metrics = {
    source: opts.data ? { data: opts.data } : { spans: opts.spans, baseline: opts.baseline ?? null, incidents: opts.incidents },
    spans: spans.length,
    baselineSpans: baseline?.length ?? null,
    incidents: incidents.length,
    ...(treeStats ? { trees: treeStats } : {}),
    ...(opts.minAc1 !== undefined ? { gate: { minAc1: opts.minAc1, passed: failures.length === 0 } } : {}),
    algorithms: Object.fromEntries(results.map((r) => [r.name, r.metrics])),
  };
  writeFileAtomic(files.metrics, JSON.stringify(metrics, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1) + '\n');
  return {
    results,
    ...(treeStats ? { treeStats } : {}),
    spans: spans.length,
    baselineSpans: baseline?.length ?? -1,
    incidents: incidents.length,
    gatePassed: failures.length === 0,
    failures,
    files,
  };
}

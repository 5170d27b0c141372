/**
 * RCA accuracy as RCAEval publishes it (Pham et al., RCAEval, WWW 2025; docs/domain.md section 6):
 * - candidates are de-duplicated by service before top-k: a service's rank is its position among
 *   the distinct services of the ranking, at its first (highest) appearance;
 * - an incident the method failed on (an error or a time-out) is scored as a miss, never dropped;
 * - AC@k = share of incidents whose true root cause is in the top k, for k = 1..5;
 *   Avg@5 = mean of AC@1..AC@5; MRR = mean of 1 / rank of the first true cause (0 when absent);
 *   PR@k = |top-k hits| / min(k, number of true causes);
 * - overall and per fault type, with seeded 95% bootstrap intervals over incidents.
 */
import type { Candidate } from '../rca/types.js';
import type { Incident } from '../data/types.js';
import { bootstrapInterval, type BootstrapOptions, type Interval } from './uncertainty.js';

/** The ranking's services, each once, in the order of their first appearance. */
export function distinctServices(candidates: Candidate[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const c of candidates) {
    if (seen.has(c.service)) continue;
    seen.add(c.service);
    out.push(c.service);
  }
  return out;
}

/** 1-based rank, among distinct services, of the first one that is a true root cause; 0 when none is. */
export function rankOfRootCause(candidates: Candidate[], rootCause: string[]): number {
  const services = distinctServices(candidates);
  for (let i = 0; i < services.length; i++) if (rootCause.includes(services[i])) return i + 1;
  return 0;
}

export const AC_KS = [1, 2, 3, 4, 5] as const;
export const PR_KS = [1, 3, 5] as const;

export interface RcaScores {
  incidents: number;
  /** Incidents the method failed or timed out on: counted as misses. */
  failed: number;
  ac1: number;
  ac3: number;
  /** AC@1..AC@5. */
  acAt: Record<number, number>;
  avg5: number;
  mrr: number;
  /** PR@k = |top-k hits| / min(k, number of true causes), averaged over incidents. */
  prAt: Record<number, number>;
  /** 95% bootstrap intervals over incidents of AC@1..5, Avg@5 and MRR. */
  intervals: { acAt: Record<number, Interval>; avg5: Interval; mrr: Interval };
}

export interface RcaMetrics extends RcaScores {
  /** Incidents without a known root cause: ranked, not scored. */
  unscored: number;
  byType: Record<string, RcaScores>;
}

export interface RankedIncident {
  incident: Incident;
  candidates: Candidate[];
  rank: number;
  /** Why the method gave no ranking (an error, a time-out); the incident counts as a miss. */
  failure?: string;
}

/** AC@k, Avg@5, MRR and PR@k over incidents with a known root cause, overall and by fault type. */
export function scoreRankings(rankings: RankedIncident[], opts: BootstrapOptions = {}): RcaMetrics {
  const scored = rankings.filter((r) => r.incident.rootCause.length > 0);
  const byTypeLists = new Map<string, RankedIncident[]>();
  for (const r of scored) {
    const t = r.incident.type ?? 'unknown';
    if (!byTypeLists.has(t)) byTypeLists.set(t, []);
    byTypeLists.get(t)!.push(r);
  }
  const byType: Record<string, RcaScores> = {};
  for (const t of [...byTypeLists.keys()].sort()) byType[t] = scores(byTypeLists.get(t)!, `rca:${t}`, opts);
  return { ...scores(scored, 'rca', opts), unscored: rankings.length - scored.length, byType };
}

/** The rank that counts: a failed incident is a miss whatever it returned. */
function effectiveRank(r: RankedIncident): number {
  return r.failure !== undefined ? 0 : r.rank;
}

/** Per-incident reciprocal ranks (0 for a miss), for MRR and paired tests. */
export function reciprocalRanks(rankings: RankedIncident[]): Float64Array {
  return Float64Array.from(rankings, (r) => {
    const rank = effectiveRank(r);
    return rank > 0 ? 1 / rank : 0;
  });
}

/** Per-incident hits at k (1 when the true cause is in the top k), for AC@k and McNemar's test. */
export function hitsAt(rankings: RankedIncident[], k: number): Uint8Array {
  return Uint8Array.from(rankings, (r) => {
    const rank = effectiveRank(r);
    return rank > 0 && rank <= k ? 1 : 0;
  });
}

function weighted(m: Uint32Array | undefined, f: (k: number) => number, n: number): number {
  let sum = 0;
  let count = 0;
  for (let k = 0; k < n; k++) {
    const w = m ? m[k] : 1;
    sum += w * f(k);
    count += w;
  }
  return count > 0 ? sum / count : NaN;
}

function scores(list: RankedIncident[], purpose: string, opts: BootstrapOptions): RcaScores {
  const n = list.length;
  const ranks = Int32Array.from(list, effectiveRank);
  const acAtM = (k: number, m?: Uint32Array) => weighted(m, (i) => (ranks[i] > 0 && ranks[i] <= k ? 1 : 0), n);
  const avg5M = (m?: Uint32Array) => AC_KS.reduce((a, k) => a + acAtM(k, m), 0) / AC_KS.length;
  const mrrM = (m?: Uint32Array) => weighted(m, (i) => (ranks[i] > 0 ? 1 / ranks[i] : 0), n);
  const acAt: Record<number, number> = {};
  const acIntervals: Record<number, Interval> = {};
  for (const k of AC_KS) {
    acAt[k] = acAtM(k);
    acIntervals[k] = bootstrapInterval(n, (m) => acAtM(k, m), `${purpose}:ac${k}`, opts);
  }
  const prAt: Record<number, number> = {};
  for (const k of PR_KS) {
    let sum = 0;
    for (const r of list) {
      const top = new Set(r.failure !== undefined ? [] : distinctServices(r.candidates).slice(0, k));
      const truth = new Set(r.incident.rootCause);
      let hits = 0;
      for (const s of truth) if (top.has(s)) hits++;
      sum += hits / Math.min(k, truth.size);
    }
    prAt[k] = n ? sum / n : NaN;
  }
  return {
    incidents: n,
    failed: list.filter((r) => r.failure !== undefined).length,
    ac1: acAt[1],
    ac3: acAt[3],
    acAt,
    avg5: avg5M(),
    mrr: mrrM(),
    prAt,
    intervals: {
      acAt: acIntervals,
      avg5: bootstrapInterval(n, (m) => avg5M(m), `${purpose}:avg5`, opts),
      mrr: bootstrapInterval(n, (m) => mrrM(m), `${purpose}:mrr`, opts),
    },
  };
}

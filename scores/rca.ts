import type { Candidate } from '../rca/types.js';
import type { Incident } from '../data/types.js';

/** 1-based rank of the first candidate naming a true root-cause service; 0 when none does. */
export function rankOfRootCause(candidates: Candidate[], rootCause: string[]): number {
  for (let i = 0; i < candidates.length; i++) if (rootCause.includes(candidates[i].service)) return i + 1;
  return 0;
}

export interface RcaScores {
  incidents: number;
  ac1: number;
  ac3: number;
  avg5: number;
  mrr: number;
  /** PR@k = |top-k hits| / min(k, number of true causes), averaged over incidents. */
  prAt: Record<number, number>;
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
}

export const PR_KS = [1, 3, 5] as const;

/** AC@k, Avg@5, MRR and PR@k (DOMAIN.md section 6) over incidents with a known root cause. */
export function scoreRankings(rankings: RankedIncident[]): RcaMetrics {
  const scored = rankings.filter((r) => r.incident.rootCause.length > 0);
  const byTypeLists = new Map<string, RankedIncident[]>();
  for (const r of scored) {
    const t = r.incident.type ?? 'unknown';
    if (!byTypeLists.has(t)) byTypeLists.set(t, []);
    byTypeLists.get(t)!.push(r);
  }
  const byType: Record<string, RcaScores> = {};
  for (const t of [...byTypeLists.keys()].sort()) byType[t] = scores(byTypeLists.get(t)!);
  return { ...scores(scored), unscored: rankings.length - scored.length, byType };
}

function scores(list: RankedIncident[]): RcaScores {
  const n = list.length;
  const acAt = (k: number) => (n ? list.filter((r) => r.rank > 0 && r.rank <= k).length / n : NaN);
  let avg5 = 0;
  for (let k = 1; k <= 5; k++) avg5 += acAt(k) / 5;
  const mrr = n ? list.reduce((s, r) => s + (r.rank > 0 ? 1 / r.rank : 0), 0) / n : NaN;
  const prAt: Record<number, number> = {};
  for (const k of PR_KS) {
    let sum = 0;
    for (const r of list) {
      const top = new Set(r.candidates.slice(0, k).map((c) => c.service));
      const truth = new Set(r.incident.rootCause);
      let hits = 0;
      for (const s of truth) if (top.has(s)) hits++;
      sum += hits / Math.min(k, truth.size);
    }
    prAt[k] = n ? sum / n : NaN;
  }
  return { incidents: n, ac1: acAt(1), ac3: acAt(3), avg5, mrr, prAt };
}

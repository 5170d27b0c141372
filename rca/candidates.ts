import { rankServices } from './span-context.js';
import type { Candidate, Evidence } from './types.js';
import type { SpanTable } from '../data/types.js';

/** One instance's evidence, as a method scored it. */
export interface InstanceScore {
  service: string;
  score: number;
  explanation: string;
  /** The observations behind the score, attached to the candidate. */
  evidence?: Evidence[];
}

/**
 * Candidates from per-instance scores: each service scores as its best instance (named on the
 * candidate), best first. Ties are broken by first appearance in `order` (service names in the
 * order the data first showed them, e.g. a span index's services), then by first appearance in
 * `scores`: never by name, so that renaming (anonymised replays) cannot reorder them.
 */
export function rankInstances(scores: Map<string, InstanceScore>, order: readonly string[] = []): Candidate[] {
  const best = new Map<string, [string, InstanceScore]>();
  for (const [instance, s] of scores) {
    const b = best.get(s.service);
    if (!b || s.score > b[1].score) best.set(s.service, [instance, s]);
  }
  const services = [...new Set([...order.filter((s) => best.has(s)), ...best.keys()])];
  const picked = services.map((s) => best.get(s)!);
  return rankServices(
    services,
    picked.map(([, s]) => s.score),
    (i) => picked[i][1].explanation,
    { instances: picked.map(([inst]) => inst), evidence: (i) => picked[i][1].evidence ?? [] },
  );
}

/** Service names in order of first appearance in a span table (the tie order of `rankInstances`). */
export function serviceOrder(t: SpanTable): string[] {
  const seen = new Uint8Array(t.strings.length);
  const out: string[] = [];
  for (let i = 0; i < t.length; i++) {
    if (seen[t.service[i]]) continue;
    seen[t.service[i]] = 1;
    out.push(t.strings[t.service[i]]);
  }
  return out;
}

import { describe, expect, it } from 'vitest';
import { rankOfRootCause, scoreRankings, type RankedIncident } from '../../scores/rca.js';
import type { Candidate } from '../../rca/types.js';

const cands = (...names: string[]): Candidate[] => names.map((service, i) => ({ service, score: 10 - i, explanation: '' }));
const ranked = (rootCause: string[], type: string, ...names: string[]): RankedIncident => {
  const candidates = cands(...names);
  return { incident: { id: names.join(''), start: 0, end: 1, rootCause, type }, candidates, rank: rankOfRootCause(candidates, rootCause) };
};

describe('RCA metrics (DOMAIN.md section 6)', () => {
  it('ranks the first candidate naming any true cause, 0 when absent', () => {
    expect(rankOfRootCause(cands('a', 'b', 'c'), ['c', 'b'])).toBe(2);
    expect(rankOfRootCause(cands('a', 'b'), ['z'])).toBe(0);
  });

  it('computes AC@k, Avg@5, MRR and PR@k by hand', () => {
    const r = [
      ranked(['a'], 'x', 'a', 'b', 'c'), // rank 1
      ranked(['c'], 'x', 'a', 'b', 'c'), // rank 3
      ranked(['z'], 'y', 'a', 'b', 'c', 'd', 'e', 'f'), // absent
      ranked(['b', 'e'], 'y', 'a', 'b', 'c', 'd', 'e'), // rank 2; two causes
    ];
    const m = scoreRankings(r);
    expect(m.incidents).toBe(4);
    expect(m.ac1).toBeCloseTo(1 / 4);
    expect(m.ac3).toBeCloseTo(3 / 4);
    // AC@1..5 = 1/4, 2/4, 3/4, 3/4, 3/4
    expect(m.avg5).toBeCloseTo((0.25 + 0.5 + 0.75 + 0.75 + 0.75) / 5);
    expect(m.mrr).toBeCloseTo((1 + 1 / 3 + 0 + 1 / 2) / 4);
    // PR@1: 1, 0, 0, 0 ; PR@3: 1, 1, 0, 1/2 ; PR@5: 1, 1, 0, 2/2
    expect(m.prAt[1]).toBeCloseTo(1 / 4);
    expect(m.prAt[3]).toBeCloseTo(2.5 / 4);
    expect(m.prAt[5]).toBeCloseTo(3 / 4);
    expect(m.byType.x).toMatchObject({ incidents: 2, ac1: 0.5, ac3: 1 });
    expect(m.byType.y).toMatchObject({ incidents: 2, ac1: 0, ac3: 0.5 });
  });

  it('leaves incidents without a known cause out of the scores', () => {
    const m = scoreRankings([ranked([], 'x', 'a'), ranked(['a'], 'x', 'a')]);
    expect(m).toMatchObject({ incidents: 1, unscored: 1, ac1: 1 });
  });
});

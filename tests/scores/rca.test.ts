import { describe, expect, it } from 'vitest';
import { rankOfRootCause, scoreRankings, type RankedIncident } from '../../scores/rca.js';
import type { Candidate } from '../../rca/types.js';

const cands = (...names: string[]): Candidate[] => names.map((service, i) => ({ service, score: 10 - i, explanation: '' }));
const ranked = (rootCause: string[], type: string, ...names: string[]): RankedIncident => {
  const candidates = cands(...names);
  return { incident: { id: names.join(''), start: 0, end: 1, rootCause, type }, candidates, rank: rankOfRootCause(candidates, rootCause) };
};

describe('RCA metrics (docs/domain.md section 6)', () => {
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

describe('RCAEval protocol', () => {
  it('de-duplicates candidates by service before top-k', () => {
    // Operations of one service appear several times: a at 1, b at 2 (not 3), c at 3.
    expect(rankOfRootCause(cands('a', 'a', 'b', 'a', 'c'), ['b'])).toBe(2);
    expect(rankOfRootCause(cands('a', 'a', 'b', 'a', 'c'), ['c'])).toBe(3);
    const r = ranked(['c'], 'x', 'a', 'a', 'a', 'b', 'c');
    const m = scoreRankings([r]);
    expect(m.acAt[3]).toBe(1);
    expect(m.prAt[3]).toBe(1);
  });

  it('counts a failed or timed-out incident as a miss, never drops it', () => {
    const ok = ranked(['a'], 'x', 'a', 'b');
    const failed: RankedIncident = { ...ranked(['a'], 'x', 'a'), failure: 'timed out after 30 s' };
    const m = scoreRankings([ok, failed]);
    expect(m.incidents).toBe(2);
    expect(m.failed).toBe(1);
    expect(m.ac1).toBe(0.5);
    expect(m.mrr).toBe(0.5);
    expect(m.prAt[1]).toBe(0.5);
  });

  it('AC@1..5, Avg@5 and MRR overall and per fault type, with intervals over incidents', () => {
    const r = [
      ranked(['a'], 'cpu', 'a', 'b', 'c'), // 1
      ranked(['b'], 'cpu', 'a', 'b', 'c'), // 2
      ranked(['e'], 'net', 'a', 'b', 'c', 'd', 'e'), // 5
      ranked(['z'], 'net', 'a'), // absent
    ];
    const m = scoreRankings(r);
    expect(m.acAt).toEqual({ 1: 0.25, 2: 0.5, 3: 0.5, 4: 0.5, 5: 0.75 });
    expect(m.avg5).toBeCloseTo((0.25 + 0.5 + 0.5 + 0.5 + 0.75) / 5, 12);
    expect(m.mrr).toBeCloseTo((1 + 1 / 2 + 1 / 5) / 4, 12);
    expect(m.byType.cpu.acAt).toEqual({ 1: 0.5, 2: 1, 3: 1, 4: 1, 5: 1 });
    expect(m.byType.net.mrr).toBeCloseTo(0.1, 12);
    expect(m.intervals.acAt[1].low).toBeLessThanOrEqual(m.ac1);
    expect(m.intervals.acAt[1].high).toBeGreaterThanOrEqual(m.ac1);
    expect(m.intervals.mrr.high).toBeLessThanOrEqual(1);
    expect(scoreRankings(r).intervals).toEqual(m.intervals); // seeded: the same every run
  });
});

import { describe, expect, it } from 'vitest';
import { binomialTwoSided, bootstrapInterval, mcnemarExact, meanInterval, meanSd, pairedBootstrap, weightedMean } from '../../scores/uncertainty.js';

describe('bootstrap intervals', () => {
  it('are deterministic for a seed and collapse on constant items', () => {
    const values = Float64Array.from({ length: 40 }, (_, i) => (i % 7) / 7);
    const a = meanInterval(values, 'x', { seed: 3 });
    expect(meanInterval(values, 'x', { seed: 3 })).toEqual(a);
    expect(a.low).toBeLessThan(weightedMean(values));
    expect(a.high).toBeGreaterThan(weightedMean(values));
    const flat = meanInterval(new Float64Array(10).fill(0.4), 'x');
    expect(flat.low).toBeCloseTo(0.4, 12);
    expect(flat.high).toBeCloseTo(0.4, 12);
  });
  it('recompute pooled figures from resampled item multiplicities', () => {
    // Two items; a statistic that counts how often item 0 is drawn out of 2 draws lies in [0, 1].
    const i = bootstrapInterval(2, (m) => m[0] / 2, 'pool', { resamples: 2000 });
    expect(i.low).toBe(0);
    expect(i.high).toBe(1);
  });
});

describe('mean and sd over seeds', () => {
  it('sample standard deviation', () => {
    const r = meanSd([1, 2, 3, 4]);
    expect(r.mean).toBe(2.5);
    expect(r.sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(meanSd([2]).sd).toBeNaN();
  });
});

describe('paired tests', () => {
  it('exact binomial tails', () => {
    expect(binomialTwoSided(0, 5)).toBeCloseTo(2 / 32, 12);
    expect(binomialTwoSided(1, 6)).toBeCloseTo((2 * 7) / 64, 12);
    expect(binomialTwoSided(3, 6)).toBe(1);
  });
  it("McNemar: only the incidents where exactly one method hits count", () => {
    const a = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0];
    const b = [0, 0, 0, 0, 0, 0, 1, 0, 0, 1];
    // Only A: 6, only B: 1 -> two-sided p = 2 x P(X <= 1 | 7, 1/2) = 2 x 8/128.
    const t = mcnemarExact(a, b);
    expect(t).toMatchObject({ test: 'McNemar exact', onlyA: 6, onlyB: 1, items: 10 });
    expect(t.pValue).toBeCloseTo(16 / 128, 12);
    expect(t.difference).toBeCloseTo(-0.5, 12);
    expect(t.significant).toBe(false);
    expect(mcnemarExact([1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0]).significant).toBe(true); // p = 2/128
  });
  it('paired bootstrap: identical methods are never different; a consistent gap is', () => {
    const x = Float64Array.from({ length: 30 }, (_, i) => (i % 5) / 5);
    const same = pairedBootstrap(30, (m) => weightedMean(x, m), (m) => weightedMean(x, m), 'same');
    expect(same.pValue).toBe(1);
    expect(same.significant).toBe(false);
    const y = x.map((v) => v - 0.1);
    const worse = pairedBootstrap(30, (m) => weightedMean(x, m), (m) => weightedMean(y, m), 'worse');
    expect(worse.difference).toBeCloseTo(-0.1, 12);
    expect(worse.significant).toBe(true);
    expect(worse.pValue).toBeCloseTo(2 / 1001, 12);
  });
});

import { describe, expect, it } from 'vitest';
import { quantileInterval } from '../../detectors/stats.js';

const ranks = (n: number) => Float64Array.from({ length: n }, (_, i) => i + 1);

describe('quantileInterval', () => {
  it('gives the equal-tailed binomial order statistics for the median', () => {
    // Binomial(n, 0.5): for n = 10, cdf(1) = 0.0107 and cdf(8) = 0.989, so [x(2), x(9)]; for n = 20,
    // cdf(5) = 0.0207 and cdf(14) = 0.979, so [x(6), x(15)] (scipy.stats.binom.cdf).
    expect(quantileInterval(ranks(10), 0.5)).toEqual({ low: 2, high: 9 });
    expect(quantileInterval(ranks(20), 0.5)).toEqual({ low: 6, high: 15 });
  });

  it('matches the binomial ranks scipy gives, and leaves a tail the sample cannot reach unbounded', () => {
    // Ranks from scipy.stats.binom.cdf: the largest l with cdf(l - 1) <= 0.025, the smallest u with cdf(u - 1) >= 0.975.
    expect(quantileInterval(ranks(36), 0.95)).toEqual({ low: 31, high: null });
    expect(quantileInterval(ranks(100), 0.95)).toEqual({ low: 90, high: 100 });
    expect(quantileInterval(ranks(114), 0.95)).toEqual({ low: 103, high: 113 });
    expect(quantileInterval(ranks(1000), 0.5)).toEqual({ low: 469, high: 532 });
    expect(quantileInterval(ranks(5), 0.5)).toEqual({ low: null, high: null });
    expect(quantileInterval(new Float64Array(0), 0.5)).toEqual({ low: null, high: null });
    expect(() => quantileInterval(ranks(10), 1.5)).toThrow(/q 1.5 must lie in \[0, 1\]/);
    expect(() => quantileInterval(ranks(10), 0.5, 1)).toThrow(/level 1 in \(0, 1\)/);
  });

  it('stays exact for millions of points', () => {
    // scipy.stats.binom.cdf with n = 5,000,000, as above.
    expect(quantileInterval(ranks(5_000_000), 0.5)).toEqual({ low: 2_497_809, high: 2_502_192 });
  });
});

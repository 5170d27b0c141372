import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { descendingOrder } from '../../scores/detection/order.js';

/** The reference: a comparison sort, highest first, NaN as -Infinity, ties by index. */
function reference(scores: Float64Array): number[] {
  const key = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  return Array.from(scores.keys()).sort((a, b) => (key(a) === key(b) ? a - b : key(b) - key(a)));
}

describe('descendingOrder (the one sort the threshold sweeps share)', () => {
  const r = seedrandom.alea('order');
  const special = [NaN, -0, 0, Infinity, -Infinity, 1e-310, -1e-310, Number.MAX_VALUE, -Number.MAX_VALUE, 0.5, -0.5];
  for (const n of [0, 1, 7, 64, 65, 5000]) {
    it(`orders ${n} scores like a stable comparison sort (ties, NaN, -0, infinities, subnormals)`, () => {
      const scores = Float64Array.from({ length: n }, () => {
        const u = r();
        return u < 0.2 ? special[Math.floor(r() * special.length)] : u < 0.5 ? Math.round(r() * 20) / 4 : (r() - 0.5) * 10 ** (r() * 20 - 10);
      });
      const { order, sorted } = descendingOrder(scores);
      const want = reference(scores);
      expect(Array.from(order)).toEqual(want);
      expect(Array.from(sorted)).toEqual(want.map((i) => (Number.isNaN(scores[i]) ? -Infinity : scores[i] === 0 ? 0 : scores[i])));
      expect(Array.from(sorted).some((x) => Object.is(x, -0))).toBe(false);
    });
  }
});

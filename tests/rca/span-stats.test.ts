import { describe, expect, it } from 'vitest';
import { SpanTableBuilder, selectTraces } from '../../data/span-table.js';
import { indexSpans, selfTimes } from '../../rca/span-stats.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';

describe('self-time and trace selection', () => {
  it('subtracts the union of children, clipped to the parent', () => {
    const b = new SpanTableBuilder();
    const id = (s: string) => b.intern(s);
    const root = b.add(id('t'), id('r'), -1, id('a'), id('a1'), id('op'), 0, 100, 0);
    b.add(id('t'), id('c1'), root, id('b'), id('b1'), id('op'), 10, 40, 0); // 10..40
    b.add(id('t'), id('c2'), root, id('c'), id('c1'), id('op'), 30, 50, 0); // overlaps: union 10..50
    b.add(id('t'), id('c3'), root, id('d'), id('d1'), id('op'), 90, 150, 2); // outlives the parent: 90..100 counts
    b.add(id('u'), id('x'), -1, id('a'), id('a1'), id('op'), 500, 510, 0);
    const t = b.finish();
    const self = selfTimes(t, indexSpans(t));
    expect(Array.from(self)).toEqual([100 - 40 - 10, 30, 20, 60, 10]);
    const w = selectTraces(t, 0, 200);
    expect(w.length).toBe(4);
    expect(Array.from(w.parent)).toEqual([-1, 0, 0, 0]);
  });
});

describe('caller-side failures', () => {
  it('deepest-abnormal blames the caller of a call that never reached its callee', async () => {
    const table = (n: number, t0: number, misrouted: boolean) => {
      const b = new SpanTableBuilder();
      const id = (s: string) => b.intern(s);
      for (let k = 0; k < n; k++) {
        const t = t0 + k * 1000;
        const root = b.add(id(`t${t}`), id(`r${t}`), -1, id('gateway'), id('gateway-1'), id('op'), t, t + 20 + (k % 3), 0);
        b.add(id(`t${t}`), id(`a${t}`), root, id('account'), id('account-1'), id('op'), t + 2, t + 12 + (k % 2), misrouted ? 2 : 0, 1, 1, misrouted ? 1 : 0);
      }
      return b.finish();
    };
    const ranked = await (await resolveRcaAlgorithm('deepest-abnormal')).create().rank({
      incident: { id: 'i', start: 1e6, end: 2e6 },
      spans: table(20, 1e6, true),
      baseline: table(50, 0, false),
    });
    expect(ranked[0]).toMatchObject({ service: 'gateway', instance: 'gateway-1', faultType: 'caller-side failure' });
  });
});

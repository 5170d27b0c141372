import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { rankIncidents } from '../../rca/evaluate.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';
import { SpanTableBuilder } from '../../data/span-table.js';
import { abnormalTraces, analyse, dropRepeatedSpans, OperationBaseline } from '../../rca/span-stats.js';
import { inferStatus } from '../../data/span-status.js';
import { SPAN_STATUS, type SpanTable } from '../../data/types.js';
import { T0, tracesPerSecond } from './traces-per-second.js';

const U = SPAN_STATUS.unknown;

describe('spans without statuses (replayed traces such as Nezha)', () => {
  it('drops repeated spans, keeping the copy that children link to', () => {
    const b = new SpanTableBuilder();
    const id = (s: string) => b.intern(s);
    b.add(id('t'), id('r'), -1, id('gw'), id('gw-1'), id('/'), 0, 50, U); // first copy: childless
    const root = b.add(id('t'), id('r'), -1, id('gw'), id('gw-1'), id('/'), 0, 50, U);
    b.add(id('t'), id('c'), root, id('acct'), id('acct-1'), id('get'), 5, 40, U);
    const t = dropRepeatedSpans(b.finish());
    expect(t.length).toBe(2);
    expect(Array.from(t.parent)).toEqual([-1, 0]);
    const once = dropRepeatedSpans(t);
    expect(once).toBe(t); // nothing repeated: the same table
  });

  it('tells a span id that several traces use from a repeated span, keeping each pair once (its last copy)', () => {
    const b = new SpanTableBuilder();
    const id = (s: string) => b.intern(s);
    // Span id "s" in traces t and u, each repeated; "x" once in t.
    const rows = [
      ['t', 's', 1],
      ['u', 's', 2],
      ['t', 'x', 3],
      ['u', 's', 4],
      ['t', 's', 5],
      ['v', 's', 6],
    ] as const;
    for (const [trace, span, at] of rows) b.add(id(trace), id(span), -1, id('svc'), id('svc-1'), id('op'), at, at + 1, U);
    const t = dropRepeatedSpans(b.finish());
    expect(Array.from(t.start)).toEqual([3, 4, 5, 6]);
    expect(dropRepeatedSpans(t)).toBe(t);
    // The scratch column is clean afterwards: the same pairs in a new table are judged afresh.
    expect(dropRepeatedSpans(t).length).toBe(4);
  });

  it("marks a span failed when an error handler ran under it, keeping known statuses", () => {
    const b = new SpanTableBuilder();
    const id = (s: string) => b.intern(s);
    const a = b.add(id('t'), id('a'), -1, id('svc'), id('svc-1'), id('/pay'), 0, 50, U);
    b.add(id('t'), id('e'), a, id('svc'), id('svc-1'), id('BasicErrorController.error'), 45, 46, U);
    const k = b.add(id('u'), id('k'), -1, id('svc'), id('svc-1'), id('/pay'), 0, 50, SPAN_STATUS.ok);
    b.add(id('u'), id('f'), k, id('svc'), id('svc-1'), id('BasicErrorController.error'), 45, 46, U);
    b.add(id('v'), id('x'), -1, id('svc'), id('svc-1'), id('/pay'), 0, 50, U);
    const t = inferStatus(b.finish());
    expect(Array.from(t.status)).toEqual([SPAN_STATUS.system, U, SPAN_STATUS.ok, U, U]);
    expect(Array.from(inferStatus(t, /^onError$/).status)).toEqual(Array.from(t.status));
  });

  it('does not count traces abnormal for the normal heavy tail of a root operation', () => {
    // 5% of calls are 10x slower in the baseline and in the window alike: not a fault.
    const table = (n: number, seed: string): SpanTable => {
      const rng = seedrandom.alea(seed);
      const b = new SpanTableBuilder();
      const id = (s: string) => b.intern(s);
      for (let k = 0; k < n; k++) {
        const d = (rng() < 0.05 ? 100 : 10) * (0.9 + 0.2 * rng());
        b.add(id(`${seed}${k}`), id(`s${k}`), -1, id('gw'), id('gw-1'), id('/'), k * 1000, k * 1000 + d, U);
      }
      return b.finish();
    };
    const baseline = OperationBaseline.fit(table(2000, 'ref'));
    const window = analyse(table(1000, 'win'), baseline);
    const abnormal = abnormalTraces(window, 3).reduce((s, x) => s + x, 0);
    let beyondZ = 0;
    for (let i = 0; i < window.table.length; i++) beyondZ += window.scores.zDuration[i] > 3 ? 1 : 0;
    expect(beyondZ).toBeGreaterThan(30); // the robust z alone flags the whole tail...
    expect(abnormal).toBeLessThan(25); // ...the baseline's 99th percentile keeps about 1%
  });

  it('every span algorithm finds a service whose requests fail, from error-handler spans alone', async () => {
    // gateway -> orders (/order) -> (stock /reserve, price /quote); gateway -> search (/find) -> price (/quote).
    // From minute 30, 40% of /reserve requests end in stock's error handler.
    const spans = tracesPerSecond('unknown-status', 40, U, (span, k, t, j, rng) => {
      if (k % 2 === 0) {
        const root = span(-1, 'gateway', '/', t, t + 30 * j());
        const o = span(root, 'orders', '/order', t + 1, t + 28);
        const s = span(o, 'stock', '/reserve', t + 2, t + 10 * j());
        if (k >= 30 * 60 && rng() < 0.4) span(s, 'stock', 'BasicErrorController.error', t + 9, t + 9.5);
        span(o, 'price', '/quote', t + 12, t + 12 + 8 * j());
      } else {
        const root = span(-1, 'gateway', '/', t, t + 20 * j());
        const f = span(root, 'search', '/find', t + 1, t + 18);
        span(f, 'price', '/quote', t + 2, t + 2 + 8 * j());
      }
    });
    const incident = { id: 'stock', start: T0 + 30 * 60_000, end: T0 + 40 * 60_000, rootCause: ['stock'] };
    for (const name of ['count', 'deepest-abnormal', 'ochiai', 'tarantula', 'dstar2', 'microrank']) {
      const [r] = await rankIncidents(await resolveRcaAlgorithm(name), spans, [incident]);
      expect([name, r.candidates[0]?.service]).toEqual([name, 'stock']);
    }
    // The evidence is the error handler: told that no operation is one, nothing stands out.
    const [blind] = await rankIncidents(await resolveRcaAlgorithm('ochiai:errorOperation=^none$'), spans, [incident]);
    expect(blind.candidates.every((c) => c.score === 0)).toBe(true);
  });
});

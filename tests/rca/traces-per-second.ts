import seedrandom from 'seedrandom';
import { SpanTableBuilder } from '../../data/span-table.js';
import type { SpanTable } from '../../data/types.js';

export const T0 = 1_700_000_000_000;

/** Adds one span to the current trace (instance `<service>-1`) and returns its row. */
export type AddSpan = (parent: number, service: string, operation: string, start: number, end: number, status?: number) => number;

/**
 * One synthetic trace a second for `minutes` from T0, each built by `trace(span, k, t, jitter,
 * rng)`: k is the trace's index, t its start, jitter() a seeded factor in 0.8..1.2.
 */
export function tracesPerSecond(seed: string, minutes: number, defaultStatus: number, trace: (span: AddSpan, k: number, t: number, jitter: () => number, rng: () => number) => void): SpanTable {
  const rng = seedrandom.alea(seed);
  const b = new SpanTableBuilder();
  const id = (s: string) => b.intern(s);
  const jitter = () => 0.8 + 0.4 * rng();
  for (let k = 0; k < minutes * 60; k++) {
    const tr = id(`t${k}`);
    let sid = 0;
    const span: AddSpan = (parent, svc, op, s, e, status = defaultStatus) => b.add(tr, id(`t${k}-${++sid}`), parent, id(svc), id(`${svc}-1`), id(op), s, e, status);
    trace(span, k, T0 + k * 1000, jitter, rng);
  }
  return b.finish();
}

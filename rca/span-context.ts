import {
  abnormalSpans,
  abnormalTraces,
  analyse,
  OperationBaseline,
  worstInstances,
  type SpanAnalysis,
} from './span-stats.js';
import type { Candidate, RcaInput, SpanTable } from './types.js';

/** What every span-based algorithm derives from its input before ranking. */
export interface SpanContext {
  baseline: OperationBaseline;
  /** Same-named analysis of the baseline table itself (for expected false-alarm rates). */
  reference: SpanAnalysis;
  referenceAbnormal: Uint8Array;
  window: SpanAnalysis;
  abnormal: Uint8Array; // per window span
  traceAbnormal: Uint8Array; // per window trace
  instances: (string | undefined)[]; // per window service
}

// The same baseline serves every incident of a run: fit it once.
const fitted = new WeakMap<SpanTable, { baseline: OperationBaseline; reference: SpanAnalysis; abnormal: Uint8Array }>();

export function spanContext(input: RcaInput, z = 3): SpanContext {
  let ref = fitted.get(input.baseline);
  if (!ref || z !== 3) {
    const baseline = OperationBaseline.fit(input.baseline);
    const reference = analyse(input.baseline, baseline);
    ref = { baseline, reference, abnormal: abnormalSpans(reference, baseline, { z }) };
    if (z === 3) fitted.set(input.baseline, ref);
  }
  const window = analyse(input.spans, ref.baseline);
  const abnormal = abnormalSpans(window, ref.baseline, { z });
  return {
    baseline: ref.baseline,
    reference: ref.reference,
    referenceAbnormal: ref.abnormal,
    window,
    abnormal,
    traceAbnormal: abnormalTraces(window, z),
    instances: worstInstances(window, abnormal),
  };
}

/**
 * Candidates from per-service scores, best first: ties broken by `tieBreak` (higher first), then
 * by name so that output is deterministic.
 */
export function rankServices(
  services: string[],
  score: ArrayLike<number>,
  explain: (i: number) => string,
  opts: { tieBreak?: ArrayLike<number>; instances?: (string | undefined)[] } = {},
): Candidate[] {
  const order = services.map((_, i) => i).filter((i) => Number.isFinite(score[i]));
  const tb = opts.tieBreak;
  order.sort(
    (a, b) =>
      score[b] - score[a] ||
      (tb ? (tb[b] || 0) - (tb[a] || 0) : 0) ||
      (services[a] < services[b] ? -1 : services[a] > services[b] ? 1 : 0),
  );
  return order.map((i) => {
    const c: Candidate = { service: services[i], score: score[i], explanation: explain(i) };
    const inst = opts.instances?.[i];
    if (inst !== undefined) c.instance = inst;
    return c;
  });
}

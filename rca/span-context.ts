import { z } from 'zod';
import {
  abnormalSpans,
  abnormalTraces,
  analyse,
  dropRepeatedSpans,
  OperationBaseline,
  worstInstances,
  type SpanAnalysis,
} from './span-stats.js';
import type { Candidate, Evidence, RcaInput } from './types.js';
import { DEFAULT_ERROR_OPERATION, inferStatus } from '../data/span-status.js';
import type { SpanTable } from '../data/types.js';
import { fitReference, type FittedReference } from './reference.js';

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

export interface SpanContextOptions {
  /** Robust z above which a latency is abnormal (default 3). */
  z?: number;
  /** Operations that mark their parent span failed when statuses are unknown (default: Spring's error handler). */
  errorOperation?: RegExp;
  /** Also count a trace abnormal when a call's callee pattern is new to the baseline (default false). */
  structure?: boolean;
}

/** The options every span-based method shares, as schema entries. */
export const spanOptions = {
  z: z.number().min(0).default(3).describe("robust z above which a call's self-time is abnormal"),
  errorOperation: z
    .string()
    .refine(isRegExp, 'must be a regular expression')
    .optional()
    .describe("regex of operations that mark their parent failed when statuses are unknown (default: Spring's error handler)"),
  structure: z.boolean().default(false).describe('also count a trace abnormal when a call pattern is new to the baseline'),
};

function isRegExp(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}

/** The span context settings from a method's validated options. */
export function spanContextOptions(options: { z: number; errorOperation?: string | undefined; structure: boolean }): SpanContextOptions {
  return { z: options.z, structure: options.structure, ...(options.errorOperation !== undefined ? { errorOperation: new RegExp(options.errorOperation) } : {}) };
}

/** Spans ready for analysis: repeated spans dropped, unknown statuses inferred from error handlers. */
function prepare(t: SpanTable, errorOperation: RegExp): SpanTable {
  return inferStatus(dropRepeatedSpans(t), errorOperation);
}

// Which of the reference's own spans are abnormal, per fitted reference (shared with the other span methods through fitReference).
const referenceAbnormal = new WeakMap<FittedReference, Uint8Array>();

export function spanContext(input: RcaInput, opts: SpanContextOptions = {}): SpanContext {
  const z = opts.z ?? 3;
  const errorOperation = opts.errorOperation ?? DEFAULT_ERROR_OPERATION;
  const fitted = fitReference(input.baseline, z, errorOperation);
  let refAbnormal = referenceAbnormal.get(fitted);
  if (!refAbnormal) referenceAbnormal.set(fitted, (refAbnormal = abnormalSpans(fitted.analysis, fitted.operations, { z })));
  const ref = { baseline: fitted.operations, reference: fitted.analysis, abnormal: refAbnormal };
  const window = analyse(prepare(input.spans, errorOperation), ref.baseline);
  const abnormal = abnormalSpans(window, ref.baseline, { z });
  // Structural novelty costs a string key per span with children: only when asked for.
  const novelShape = opts.structure ? ref.baseline.novelShapes(window.table, window.index) : undefined;
  return {
    baseline: ref.baseline,
    reference: ref.reference,
    referenceAbnormal: ref.abnormal,
    window,
    abnormal,
    traceAbnormal: abnormalTraces(window, z, novelShape),
    instances: worstInstances(window, abnormal),
  };
}

/**
 * Candidates from per-service scores, best first (compared to 9 significant digits): ties broken
 * by `tieBreak` (higher first), then by first appearance in `services` (deterministic, and
 * unchanged when services are renamed).
 */
export function rankServices(
  services: string[],
  score: ArrayLike<number>,
  explain: (i: number) => string,
  opts: { tieBreak?: ArrayLike<number>; instances?: (string | undefined)[]; evidence?: (i: number) => Evidence[] } = {},
): Candidate[] {
  const order = services.map((_, i) => i).filter((i) => Number.isFinite(score[i]));
  const tb = opts.tieBreak;
  // Scores equal but for floating-point rounding (PageRank iterations) are ties.
  const key = Float64Array.from(services, (_, i) => (Number.isFinite(score[i]) ? Number(score[i].toPrecision(9)) : 0));
  order.sort(
    (a, b) =>
      key[b] - key[a] ||
      (tb ? (tb[b] || 0) - (tb[a] || 0) : 0) ||
      // Last, first appearance in the spans rather than the name: renaming services (anonymised
      // replays) must not reorder tied candidates.
      a - b,
  );
  return order.map((i) => {
    const c: Candidate = { service: services[i], score: score[i], explanation: explain(i) };
    const inst = opts.instances?.[i];
    if (inst !== undefined) c.instance = inst;
    const evidence = opts.evidence?.(i);
    if (evidence?.length) c.evidence = evidence;
    return c;
  });
}

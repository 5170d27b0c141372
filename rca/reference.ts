/**
 * What the span methods learn from a run's reference spans, fitted once per (table, settings) and
 * shared by every incident and method: the per-operation baselines, the analysis of the reference
 * itself (for expected false-alarm rates), its edge gaps, per-edge gap baselines and own-time
 * baselines.
 */
import { analyse, dropRepeatedSpans, indexSpans, OperationBaseline, selfTimes, type SpanAnalysis, type SpanScores } from './span-stats.js';
import { inferStatus } from '../data/span-status.js';
import { EdgeBaseline, edgeGaps, ownTimes, type EdgeGaps } from './signals/edge-latency.js';
import type { SpanTable } from '../data/types.js';

export interface FittedReference {
  operations: OperationBaseline;
  analysis: SpanAnalysis;
  /** Edge gaps and per-edge baselines, computed on first use (the span methods without edges never pay for them). */
  readonly gaps: EdgeGaps;
  readonly edges: EdgeBaseline;
  /** Per-operation baselines of own time (self-time without the edge gap a call's row holds: signals/edge-latency.ts `ownTimes`). */
  readonly ownTime: OperationBaseline;
  /** The reference's own times scored against `ownTime` (its expected false-alarm rates). */
  readonly ownScores: SpanScores;
}

const fitted = new WeakMap<SpanTable, Map<string, FittedReference>>();

export function fitReference(table: SpanTable, z: number, errorOperation: RegExp): FittedReference {
  let m = fitted.get(table);
  if (!m) fitted.set(table, (m = new Map()));
  const key = `${z}\u0000${errorOperation.source}`;
  let f = m.get(key);
  if (!f) {
    const t = inferStatus(dropRepeatedSpans(table), errorOperation);
    // The baselines are fitted on the table that is then analysed: index and self-times found once.
    const index = indexSpans(t);
    const self = selfTimes(t, index);
    const operations = OperationBaseline.fit(t, index, self);
    const analysis = analyse(t, operations, index, self);
    let gaps: EdgeGaps | undefined;
    let edges: EdgeBaseline | undefined;
    let own: Float64Array | undefined;
    let ownTime: OperationBaseline | undefined;
    let ownScored: SpanScores | undefined;
    m.set(
      key,
      (f = {
        operations,
        analysis,
        get gaps() {
          return (gaps ??= edgeGaps(t, analysis.index));
        },
        get edges() {
          return (edges ??= EdgeBaseline.fit(t, analysis.index, z));
        },
        get ownTime() {
          return (ownTime ??= OperationBaseline.fit(t, analysis.index, (own ??= ownTimes(self, this.gaps))));
        },
        get ownScores() {
          return (ownScored ??= this.ownTime.score(t, analysis.index, (own ??= ownTimes(self, this.gaps))));
        },
      }),
    );
  }
  return f;
}

/**
 * A window's own times (self-time without the edge gap a call's row holds) scored against the
 * reference's: the callee's work, apart from the time its calls took to reach it.
 */
export function windowOwnScores(ref: FittedReference, a: SpanAnalysis, gaps: EdgeGaps): SpanScores {
  return ref.ownTime.score(a.table, a.index, ownTimes(a.self, gaps));
}

/** A window's spans prepared as the reference was: repeats dropped, unknown statuses inferred, analysed. */
export function analyseWindow(spans: SpanTable, ref: FittedReference, errorOperation: RegExp): { analysis: SpanAnalysis; gaps: EdgeGaps } {
  const t = inferStatus(dropRepeatedSpans(spans), errorOperation);
  const analysis = analyse(t, ref.operations);
  return { analysis, gaps: edgeGaps(t, analysis.index) };
}

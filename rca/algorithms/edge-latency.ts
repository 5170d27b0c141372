import { z } from 'zod';
import { definePlugin } from '../../common/plugin.js';
import { rankInstances, serviceOrder, type InstanceScore } from '../candidates.js';
import { isError, type SpanAnalysis, type SpanScores } from '../span-stats.js';
import { DEFAULT_ERROR_OPERATION } from '../../data/span-status.js';
import { edgeEvidence, type EdgeGaps } from '../signals/edge-latency.js';
import { analyseWindow, fitReference, windowOwnScores } from '../reference.js';
import type { RcaPlugin } from '../types.js';

/**
 * Per instance, the share of the calls it served that are abnormal on its own account (own time
 * beyond z while none of its calls failed, timed out or was abandoned; or a failure none of its
 * callees shared), beyond the share the reference shows. A client span (a call whose only child is
 * the server span on the callee) is the edge's, not its instance's: its self-time is the gap; and
 * a call's row in the caller's view counts its own time without the gap (`ownTimes`), which is
 * the edge's evidence already.
 */
function ownShares(a: SpanAnalysis, g: EdgeGaps, own: SpanScores, z: number): Map<string, { service: string; calls: number; slow: number; failed: number }> {
  const { table: t, index: ix, scores } = a;
  const zOwn = own.zSelf;
  const out = new Map<string, { service: string; calls: number; slow: number; failed: number }>();
  for (let i = 0; i < t.length; i++) {
    if (g.clientSpan[i]) continue;
    const r = ix.blameRow[i];
    const inst = t.strings[t.instance[r]];
    let s = out.get(inst);
    if (!s) out.set(inst, (s = { service: t.strings[t.service[r]], calls: 0, slow: 0, failed: 0 }));
    s.calls++;
    const slowSelf = scores.known[i] === 1 && zOwn[i] > z;
    const failed = isError(t, i);
    if (!slowSelf && !failed) continue;
    let childFailed = false;
    let childAbnormal = false;
    for (let c = ix.firstChild[i]; c >= 0 && !childFailed; c = ix.nextSibling[c]) {
      childFailed = isError(t, c);
      childAbnormal ||= childFailed || (scores.known[c] === 1 && scores.zDuration[c] > z) || g.abandoned[c] === 1;
    }
    // After a call that failed, timed out or was given up on, a caller waits, backs off and
    // retries: the time between its calls grows for its callee's sake, not its own.
    if (slowSelf && !childAbnormal) s.slow++;
    if (failed && !childFailed) s.failed++;
  }
  return out;
}

/**
 * TraceRCA-style invocation anomalies, per instance (Li et al., IWQoS 2021, detect anomalous
 * invocations per edge against history before localising): the share of the calls into an
 * instance whose edge gap (client time minus server time: network, broker, queueing before the
 * callee picks the call up) is abnormal for that edge, and of the calls it makes when several of
 * its callees are slow (signals/edge-latency.ts); plus the share of its own calls with an abnormal
 * self-time or a failure of its own, each beyond the reference's rate. An instance scores the sum.
 * Finds network delay, which self-time puts on the caller.
 */
export const edgeLatencyRca: RcaPlugin = definePlugin({
  name: 'edge-latency',
  description: 'TraceRCA-style: abnormal edge gaps (client minus server time) per instance, plus own self-time and failures, beyond the reference',
  options: z.strictObject({
    z: z.number().min(0).default(3).describe('robust z beyond which a gap or a self-time is abnormal'),
    errorOperation: z.string().optional().describe("regex of operations that mark their parent failed when statuses are unknown (default: Spring's error handler)"),
  }),
  needs: ['spans'],
  create: (options) => ({
    rank(input) {
      const errorOperation = options.errorOperation !== undefined ? new RegExp(options.errorOperation) : DEFAULT_ERROR_OPERATION;
      const f = fitReference(input.baseline, options.z, errorOperation);
      const { analysis: a, gaps } = analyseWindow(input.spans, f, errorOperation);
      const t = a.table;
      const edges = edgeEvidence(t, a.index, gaps, f.edges.abnormal(t, gaps));
      const own = ownShares(a, gaps, windowOwnScores(f, a, gaps), options.z);
      const refOwn = ownShares(f.analysis, f.gaps, f.ownScores, options.z);
      // Reference rates per service: instances come and go (restarts), services stay.
      const refRate = new Map<string, { slow: number; failed: number; calls: number }>();
      for (const s of refOwn.values()) {
        const r = refRate.get(s.service) ?? { slow: 0, failed: 0, calls: 0 };
        r.slow += s.slow;
        r.failed += s.failed;
        r.calls += s.calls;
        refRate.set(s.service, r);
      }
      const scores = new Map<string, InstanceScore>();
      const instances = new Set([...edges.keys(), ...own.keys()]);
      for (const inst of instances) {
        const e = edges.get(inst);
        const o = own.get(inst);
        const service = e?.service ?? o!.service;
        const r = refRate.get(service);
        const slow = o && o.calls ? Math.max(0, o.slow / o.calls - (r && r.calls ? r.slow / r.calls : 0)) : 0;
        const failed = o && o.calls ? Math.max(0, o.failed / o.calls - (r && r.calls ? r.failed / r.calls : 0)) : 0;
        const gapIn = e?.in ?? 0;
        const gapOut = e?.out ?? 0;
        scores.set(inst, {
          service,
          score: gapIn + gapOut + slow + failed,
          explanation:
            `abnormal gaps on ${(100 * gapIn).toFixed(0)}% of the calls into it on its worst incoming edge and ${(100 * gapOut).toFixed(0)}% of its calls out` +
            `${e?.worstEdge ? ` (most: ${e.worstEdge})` : ''}; ${(100 * slow).toFixed(0)}% slow and ${(100 * failed).toFixed(0)}% failed on its own, beyond the reference`,
        });
      }
      return rankInstances(scores, serviceOrder(t));
    },
  }),
});

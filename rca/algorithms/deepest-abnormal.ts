import { isError, type OperationBaseline, type SpanAnalysis } from '../span-stats.js';
import { z } from 'zod';
import { definePlugin } from '../../common/plugin.js';
import { rankServices, spanContext, spanContextOptions, spanOptions } from '../span-context.js';
import type { RcaPlugin } from '../types.js';

/**
 * Abnormal on its own account: a system failure, a self-time beyond z robust sigmas of its
 * operation's baseline, or an operation the baseline never saw.
 */
function ownAbnormal(a: SpanAnalysis, baseline: OperationBaseline, z: number): Uint8Array {
  const { table, scores, index } = a;
  const out = new Uint8Array(table.length);
  for (let i = 0; i < table.length; i++) {
    if (isError(table, i)) out[i] = 1;
    else if (scores.known[i]) out[i] = scores.zSelf[i] > z ? 1 : 0;
    else out[i] = baseline.has(index.opKey[i]) ? 0 : 1;
  }
  return out;
}

/**
 * Per service name: [calls, deepest abnormal calls blamed on it, of which failed, of which
 * caller-side]. A caller-side failure (the request never reached its callee) is blamed on the caller.
 */
function deepest(a: SpanAnalysis, abnormal: Uint8Array): Map<string, [number, number, number, number]> {
  const { table, index } = a;
  const out = new Map<string, [number, number, number, number]>();
  const tally = (name: string) => {
    let t = out.get(name);
    if (!t) out.set(name, (t = [0, 0, 0, 0]));
    return t;
  };
  for (let i = 0; i < table.length; i++) {
    tally(index.services[index.serviceOf[i]])[0]++;
    if (!abnormal[i]) continue;
    let childAbnormal = false;
    for (let c = index.firstChild[i]; c >= 0 && !childAbnormal; c = index.nextSibling[c]) childAbnormal = abnormal[c] === 1;
    if (childAbnormal) continue;
    const t = tally(index.services[index.serviceOf[index.blameRow[i]]]);
    t[1]++;
    if (isError(table, i)) t[2]++;
    if (index.blameRow[i] !== i) t[3]++;
  }
  return out;
}

/**
 * Deepest abnormal node: an abnormal call all of whose children are normal is where the problem
 * starts (errors and latency propagate upward, to callers). Judged on self-time, so a caller
 * waiting on a slow callee is not blamed. Services are ranked by how many such calls they have
 * beyond the number the baseline's own rate predicts.
 */
export const deepestAbnormalRca: RcaPlugin = definePlugin({
  name: 'deepest-abnormal',
  description: 'abnormal calls (error or slow self-time vs per-operation baseline) whose children are all normal',
  options: z.strictObject(spanOptions),
  needs: ['spans'],
  create: (options) => ({
    rank(input) {
      const z = options.z;
      const ctx = spanContext(input, spanContextOptions(options));
      const now = deepest(ctx.window, ownAbnormal(ctx.window, ctx.baseline, z));
      const ref = deepest(ctx.reference, ownAbnormal(ctx.reference, ctx.baseline, z));
      const services = ctx.window.index.services;
      const expected = services.map((name) => {
        const [n] = now.get(name) ?? [0];
        const b = ref.get(name);
        return b && b[0] ? (n * b[1]) / b[0] : 0;
      });
      const score = services.map((name, s) => (now.get(name)?.[1] ?? 0) - expected[s]);
      const share = services.map((name) => (now.get(name)?.[1] ?? 0) / (now.get(name)?.[0] || 1));
      const ranked = rankServices(
        services,
        score,
        (s) =>
          `${now.get(services[s])![1]} of ${now.get(services[s])![0]} calls are deepest abnormal ` +
          `(baseline predicts ${expected[s].toFixed(1)})`,
        {
          tieBreak: share,
          instances: ctx.instances,
          evidence: (s) => {
            const [n, k] = now.get(services[s])!;
            return [{ kind: 'calls', subject: services[s], value: k, baseline: expected[s], unit: 'deepest abnormal calls', note: `of ${n} calls; the baseline's rate of them predicts ${expected[s].toFixed(1)}` }];
          },
        },
      );
      // What kind of fault, from how its deepest abnormal calls went wrong.
      for (const c of ranked) {
        const [, k, failed, callerSide] = now.get(c.service)!;
        if (k > 0) c.faultType = callerSide * 2 > k ? 'caller-side failure' : failed * 2 > k ? 'errors' : 'latency';
      }
      return ranked;
    },
  }),
});

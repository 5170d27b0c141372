import { ochiai, operationName, rankByBestOperation, spectrum, type Spectrum } from '../spectrum.js';
import { z } from 'zod';
import { definePlugin } from '../../common/plugin.js';
import { spanContext, spanContextOptions, spanOptions, type SpanContext } from '../span-context.js';
import type { RcaPlugin } from '../types.js';

/**
 * Personalized PageRank over one class of traces (abnormal or normal), after MicroRank (Yu et
 * al., WWW 2021): nodes are operations (service and operation name) and traces; a trace links to
 * the operations it covers, an operation to the traces covering it and to the operations it
 * calls. The preference vector favours traces that cover few operations (a short abnormal trace
 * says more about where the fault is). Returns each operation's rank, scaled so that the largest
 * is 1.
 */
export function operationPageRank(ctx: SpanContext, sp: Spectrum, abnormalClass: number, damping = 0.85, maxIterations = 200): Float64Array {
  const { table, index } = ctx.window;
  const O = sp.ops.length;
  const traceNode = new Int32Array(index.traces).fill(-1);
  let T = 0;
  for (let tr = 0; tr < index.traces; tr++) if (ctx.traceAbnormal[tr] === abnormalClass) traceNode[tr] = T++;
  const rank = new Float64Array(O);
  if (T === 0) return rank;
  const calls = Array.from({ length: O }, () => new Set<number>());
  const coverO = Array.from({ length: O }, () => new Set<number>()); // operation -> traces
  const coverT = Array.from({ length: T }, () => new Set<number>()); // trace -> operations
  for (let i = 0; i < table.length; i++) {
    const t = traceNode[index.traceOf[i]];
    if (t < 0) continue;
    const o = sp.opOf[i];
    coverO[o].add(t);
    coverT[t].add(o);
    const p = table.parent[i];
    if (p >= 0 && sp.opOf[p] !== o) calls[sp.opOf[p]].add(o);
  }
  const N = O + T;
  const pref = new Float64Array(N);
  let prefSum = 0;
  for (let t = 0; t < T; t++) prefSum += pref[O + t] = coverT[t].size ? 1 / coverT[t].size : 0;
  for (let t = 0; t < T; t++) pref[O + t] /= prefSum;
  // Out-links of each node as (targets, share of the node's weight for the group).
  const out: [Int32Array, number][][] = Array.from({ length: N }, (_, node) => {
    if (node >= O) return [[Int32Array.from(coverT[node - O]), 1]];
    const groups: [Int32Array, number][] = [];
    const half = calls[node].size && coverO[node].size ? 0.5 : 1;
    if (calls[node].size) groups.push([Int32Array.from(calls[node]), half]);
    if (coverO[node].size) groups.push([Int32Array.from(coverO[node], (t) => O + t), half]);
    return groups;
  });
  let v = new Float64Array(N).fill(1 / N);
  // Power iteration to convergence, so that operations in symmetric positions get equal ranks.
  for (let it = 0, change = Infinity; it < maxIterations && change > 1e-12; it++) {
    const next = new Float64Array(N);
    let dangling = 0;
    for (let node = 0; node < N; node++) {
      if (out[node].length === 0) {
        dangling += v[node];
        continue;
      }
      for (const [to, share] of out[node]) {
        const w = (v[node] * share) / to.length;
        for (let k = 0; k < to.length; k++) next[to[k]] += w;
      }
    }
    change = 0;
    for (let node = 0; node < N; node++) {
      next[node] = damping * (next[node] + dangling * pref[node]) + (1 - damping) * pref[node];
      change += Math.abs(next[node] - v[node]);
    }
    v = next;
  }
  let max = 0;
  for (let o = 0; o < O; o++) max = Math.max(max, v[o]);
  for (let o = 0; o < O; o++) rank[o] = max > 0 ? v[o] / max : 0;
  return rank;
}

/**
 * MicroRank: each operation's spectrum counts are weighted by its PageRank on the abnormal traces
 * (ef, nf) and on the normal traces (ep, np), then scored with Ochiai; a service scores as its
 * best operation.
 */
export const microrankRca: RcaPlugin = definePlugin({
  name: 'microrank',
  description: 'MicroRank: personalized PageRank over operations and abnormal/normal traces weighting an Ochiai spectrum',
  options: z.strictObject(spanOptions),
  needs: ['spans'],
  create: (options) => ({
    rank(input) {
      const ctx = spanContext(input, spanContextOptions(options));
      const sp = spectrum(ctx);
      const pa = operationPageRank(ctx, sp, 1);
      const pn = operationPageRank(ctx, sp, 0);
      const opScore = new Float64Array(sp.ops.length);
      for (let o = 0; o < opScore.length; o++) opScore[o] = ochiai(pa[o] * sp.ef[o], pn[o] * sp.ep[o], pa[o] * sp.nf[o], pn[o] * sp.np[o]);
      return rankByBestOperation(ctx, sp, opScore, (o, score) =>
        `weighted Ochiai ${score.toFixed(3)} for ${operationName(sp.ops[o])}: PageRank ${pa[o].toFixed(2)} abnormal / ` +
        `${pn[o].toFixed(2)} normal, in ${sp.ef[o]} of ${sp.abnormalTraces} abnormal traces`,
      );
    },
  }),
});

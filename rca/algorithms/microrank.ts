import { abnormalShare, ochiai, spectrum } from '../spectrum.js';
import { rankServices, spanContext, type SpanContext } from '../span-context.js';
import type { RcaFactory } from '../types.js';

/**
 * Personalized PageRank over one class of traces (abnormal or normal), after MicroRank (Yu et
 * al., WWW 2021): nodes are services and traces; a trace links to the services it covers, a
 * service to the traces covering it and to the services it calls. The preference vector favours
 * traces that cover few services (a short abnormal trace says more about where the fault is).
 * Returns each service's rank, scaled so that the largest is 1.
 */
export function servicePageRank(ctx: SpanContext, abnormalClass: number, damping = 0.85, iterations = 50): Float64Array {
  const { table, index } = ctx.window;
  const S = index.services.length;
  const traceNode = new Int32Array(index.traces).fill(-1);
  let T = 0;
  for (let tr = 0; tr < index.traces; tr++) if (ctx.traceAbnormal[tr] === abnormalClass) traceNode[tr] = T++;
  const rank = new Float64Array(S);
  if (T === 0) return rank;
  const calls = Array.from({ length: S }, () => new Set<number>());
  const coverS = Array.from({ length: S }, () => new Set<number>()); // service -> traces
  const coverT = Array.from({ length: T }, () => new Set<number>()); // trace -> services
  for (let i = 0; i < table.length; i++) {
    const t = traceNode[index.traceOf[i]];
    if (t < 0) continue;
    const s = index.serviceOf[i];
    coverS[s].add(t);
    coverT[t].add(s);
    const p = table.parent[i];
    if (p >= 0 && index.serviceOf[p] !== s) calls[index.serviceOf[p]].add(s);
  }
  const N = S + T;
  const pref = new Float64Array(N);
  let prefSum = 0;
  for (let t = 0; t < T; t++) prefSum += pref[S + t] = coverT[t].size ? 1 / coverT[t].size : 0;
  for (let t = 0; t < T; t++) pref[S + t] /= prefSum;
  let v = new Float64Array(N).fill(1 / N);
  const adj = (node: number): [number[], number][] =>
    node < S
      ? ([
          [[...calls[node]], calls[node].size && coverS[node].size ? 0.5 : 1],
          [[...coverS[node]].map((t) => S + t), calls[node].size && coverS[node].size ? 0.5 : 1],
        ] as [number[], number][])
      : [[[...coverT[node - S]], 1]];
  const out = Array.from({ length: N }, (_, node) => adj(node).filter(([to]) => to.length > 0));
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(N);
    let dangling = 0;
    for (let node = 0; node < N; node++) {
      if (out[node].length === 0) {
        dangling += v[node];
        continue;
      }
      for (const [to, share] of out[node]) {
        const w = (v[node] * share) / to.length;
        for (const m of to) next[m] += w;
      }
    }
    for (let node = 0; node < N; node++) next[node] = damping * (next[node] + dangling * pref[node]) + (1 - damping) * pref[node];
    v = next;
  }
  let max = 0;
  for (let s = 0; s < S; s++) max = Math.max(max, v[s]);
  for (let s = 0; s < S; s++) rank[s] = max > 0 ? v[s] / max : 0;
  return rank;
}

/**
 * MicroRank: the spectrum counts of each service are weighted by its PageRank on the abnormal
 * traces (ef, nf) and on the normal traces (ep, np), then scored with Ochiai.
 */
export const microrankRca: RcaFactory = {
  name: 'microrank',
  description: 'MicroRank: personalized PageRank on abnormal and normal traces weighting an Ochiai spectrum',
  create: (options = {}) => ({
    rank(input) {
      const ctx = spanContext(input, Number(options.z ?? 3));
      const sp = spectrum(ctx);
      const pa = servicePageRank(ctx, 1);
      const pn = servicePageRank(ctx, 0);
      const services = ctx.window.index.services;
      const score = services.map((_, s) =>
        ochiai(pa[s] * sp.ef[s], pn[s] * sp.ep[s], pa[s] * sp.nf[s], pn[s] * sp.np[s]),
      );
      return rankServices(
        services,
        score,
        (s) =>
          `weighted Ochiai ${score[s].toFixed(3)}: PageRank ${pa[s].toFixed(2)} abnormal / ${pn[s].toFixed(2)} normal, ` +
          `in ${sp.ef[s]} of ${sp.abnormalTraces} abnormal traces`,
        { tieBreak: abnormalShare(ctx), instances: ctx.instances },
      );
    },
  }),
};

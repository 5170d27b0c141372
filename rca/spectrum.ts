import { rankServices, spanContext, type SpanContext } from './span-context.js';
import type { RcaFactory } from './types.js';

/**
 * Program-spectrum counts per service over the window's traces (spectrum-based fault
 * localisation): ef/ep = abnormal/normal traces that cover the service, nf/np = those that do not.
 */
export interface Spectrum {
  ef: Float64Array;
  ep: Float64Array;
  nf: Float64Array;
  np: Float64Array;
  abnormalTraces: number;
  normalTraces: number;
}

export function spectrum(ctx: SpanContext): Spectrum {
  const { index, table } = ctx.window;
  const S = index.services.length;
  const ef = new Float64Array(S);
  const ep = new Float64Array(S);
  // Rows of one trace may be interleaved with others: count each (trace, service) pair once.
  const covered = new Map<number, Set<number>>();
  for (let i = 0; i < table.length; i++) {
    const tr = index.traceOf[i];
    const sv = index.serviceOf[i];
    let set = covered.get(tr);
    if (!set) covered.set(tr, (set = new Set()));
    if (set.has(sv)) continue;
    set.add(sv);
    if (ctx.traceAbnormal[tr]) ef[sv]++;
    else ep[sv]++;
  }
  let abnormalTraces = 0;
  for (let tr = 0; tr < index.traces; tr++) abnormalTraces += ctx.traceAbnormal[tr];
  const normalTraces = index.traces - abnormalTraces;
  const nf = new Float64Array(S);
  const np = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    nf[s] = abnormalTraces - ef[s];
    np[s] = normalTraces - ep[s];
  }
  return { ef, ep, nf, np, abnormalTraces, normalTraces };
}

export type SpectrumFormula = (ef: number, ep: number, nf: number, np: number) => number;

/** Ochiai: ef / sqrt((ef + nf)(ef + ep)). */
export const ochiai: SpectrumFormula = (ef, ep, nf) => {
  const d = Math.sqrt((ef + nf) * (ef + ep));
  return d > 0 ? ef / d : 0;
};

/** Tarantula: (ef/(ef+nf)) / (ef/(ef+nf) + ep/(ep+np)). */
export const tarantula: SpectrumFormula = (ef, ep, nf, np) => {
  const f = ef + nf > 0 ? ef / (ef + nf) : 0;
  const p = ep + np > 0 ? ep / (ep + np) : 0;
  return f + p > 0 ? f / (f + p) : 0;
};

/** DStar with star 2: ef^2 / (ep + nf); an unbounded (perfect) score when ep + nf = 0. */
export const dstar2: SpectrumFormula = (ef, ep, nf) => {
  const d = ep + nf;
  return d > 0 ? (ef * ef) / d : ef > 0 ? Number.MAX_VALUE : 0;
};

/**
 * Share of a service's window spans that are abnormal while all their children are normal (the
 * fault shows first there): breaks ties between services that always appear together, such as a
 * service and the only callee it always calls.
 */
export function abnormalShare(ctx: SpanContext): Float64Array {
  const { index, table } = ctx.window;
  const S = index.services.length;
  const n = new Float64Array(S);
  const a = new Float64Array(S);
  for (let i = 0; i < table.length; i++) {
    n[index.serviceOf[i]]++;
    if (!ctx.abnormal[i]) continue;
    let childAbnormal = false;
    for (let c = index.firstChild[i]; c >= 0 && !childAbnormal; c = index.nextSibling[c]) childAbnormal = ctx.abnormal[c] === 1;
    if (!childAbnormal) a[index.serviceOf[index.blameRow[i]]]++;
  }
  return a.map((x, s) => (n[s] ? x / n[s] : 0));
}

/** An RCA algorithm that ranks services by a spectrum formula over abnormal vs normal traces. */
export function spectrumRca(name: string, description: string, formula: SpectrumFormula): RcaFactory {
  return {
    name,
    description,
    create: (options = {}) => ({
      rank(input) {
        const ctx = spanContext(input, Number(options.z ?? 3));
        const sp = spectrum(ctx);
        const S = ctx.window.index.services.length;
        const score = new Float64Array(S);
        for (let s = 0; s < S; s++) score[s] = formula(sp.ef[s], sp.ep[s], sp.nf[s], sp.np[s]);
        return rankServices(
          ctx.window.index.services,
          score,
          (s) =>
            `${name} ${score[s].toFixed(3)}: in ${sp.ef[s]} of ${sp.abnormalTraces} abnormal and ${sp.ep[s]} of ${sp.normalTraces} normal traces`,
          { tieBreak: abnormalShare(ctx), instances: ctx.instances },
        );
      },
    }),
  };
}

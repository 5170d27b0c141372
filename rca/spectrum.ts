import { z } from 'zod';
import { definePlugin } from '../common/plugin.js';
import { rankServices, spanContext, spanContextOptions, spanOptions, type SpanContext } from './span-context.js';
import type { SpanIndex } from './span-stats.js';
import type { Candidate, Evidence, RcaPlugin } from './types.js';

/** Dense ids for the window's operations (service and operation name). */
export interface OperationIndex {
  opOf: Int32Array; // row -> operation
  ops: string[]; // operation -> `${service}\u0000${operation}`
  serviceOfOp: Int32Array; // operation -> dense service of the span index
}

export function operationIndex(ix: SpanIndex): OperationIndex {
  const ids = new Map<string, number>();
  const opOf = new Int32Array(ix.opKey.length);
  const svc: number[] = [];
  for (let i = 0; i < opOf.length; i++) {
    let o = ids.get(ix.opKey[i]);
    if (o === undefined) {
      ids.set(ix.opKey[i], (o = ids.size));
      svc.push(ix.serviceOf[i]);
    }
    opOf[i] = o;
  }
  return { opOf, ops: [...ids.keys()], serviceOfOp: Int32Array.from(svc) };
}

/**
 * Program-spectrum counts per operation (service and operation name) over the window's traces
 * (spectrum-based fault localisation): ef/ep = abnormal/normal traces in which the operation
 * appears, nf/np = those in which it does not. Operations, not services, are the program
 * elements: a caller's entry operation also serves transaction types that never reach a failing
 * callee, so it does not tie with the callee the way the service as a whole does.
 */
export interface Spectrum extends OperationIndex {
  ef: Float64Array;
  ep: Float64Array;
  nf: Float64Array;
  np: Float64Array;
  abnormalTraces: number;
  normalTraces: number;
}

export function spectrum(ctx: SpanContext): Spectrum {
  const { index } = ctx.window;
  const oi = operationIndex(index);
  const O = oi.ops.length;
  const ef = new Float64Array(O);
  const ep = new Float64Array(O);
  // Rows of one trace may be interleaved with others: count each (trace, operation) pair once.
  const seen = new Set<number>();
  for (let i = 0; i < oi.opOf.length; i++) {
    const tr = index.traceOf[i];
    const key = tr * O + oi.opOf[i];
    if (seen.has(key)) continue;
    seen.add(key);
    if (ctx.traceAbnormal[tr]) ef[oi.opOf[i]]++;
    else ep[oi.opOf[i]]++;
  }
  let abnormalTraces = 0;
  for (let tr = 0; tr < index.traces; tr++) abnormalTraces += ctx.traceAbnormal[tr];
  const normalTraces = index.traces - abnormalTraces;
  const nf = new Float64Array(O);
  const np = new Float64Array(O);
  for (let o = 0; o < O; o++) {
    nf[o] = abnormalTraces - ef[o];
    np[o] = normalTraces - ep[o];
  }
  return { ...oi, ef, ep, nf, np, abnormalTraces, normalTraces };
}

/** Each service's score: the best of its operations' (and which operation that is, -1 for none). */
export function bestOperation(oi: OperationIndex, services: number, opScore: ArrayLike<number>): { score: Float64Array; op: Int32Array } {
  const score = new Float64Array(services).fill(-Infinity);
  const op = new Int32Array(services).fill(-1);
  for (let o = 0; o < oi.ops.length; o++) {
    const s = oi.serviceOfOp[o];
    if (opScore[o] > score[s]) {
      score[s] = opScore[o];
      op[s] = o;
    }
  }
  return { score, op };
}

/** The operation's own name (without its service). */
export const operationName = (opKey: string): string => opKey.slice(opKey.indexOf('\u0000') + 1);

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

/**
 * The spectrum behind an operation's score: the share of abnormal traces that pass through it,
 * beside the share of normal traces that do.
 */
export function spectrumEvidence(sp: Spectrum, op: number): Evidence {
  return {
    kind: 'calls',
    subject: operationName(sp.ops[op]),
    value: sp.abnormalTraces ? sp.ef[op] / sp.abnormalTraces : 0,
    baseline: sp.normalTraces ? sp.ep[op] / sp.normalTraces : 0,
    unit: 'share of traces through it',
    note: `${sp.ef[op]} of ${sp.abnormalTraces} abnormal and ${sp.ep[op]} of ${sp.normalTraces} normal traces`,
  };
}

/**
 * Candidates from per-operation scores: each service scores as its best operation, ties broken by
 * the share of its spans that are abnormal with normal children. `explain` gets that operation;
 * the evidence is its spectrum.
 */
export function rankByBestOperation(ctx: SpanContext, sp: Spectrum, opScore: Float64Array, explain: (op: number, score: number) => string): Candidate[] {
  const services = ctx.window.index.services;
  const { score, op } = bestOperation(sp, services.length, opScore);
  return rankServices(services, score, (s) => explain(op[s], score[s]), {
    tieBreak: abnormalShare(ctx),
    instances: ctx.instances,
    evidence: (s) => (op[s] >= 0 ? [spectrumEvidence(sp, op[s])] : []),
  });
}

/** An RCA algorithm that ranks services by a spectrum formula over abnormal vs normal traces. */
export function spectrumRca(name: string, description: string, formula: SpectrumFormula): RcaPlugin {
  return definePlugin({
    name,
    description,
    options: z.strictObject(spanOptions),
    needs: ['spans'],
    create: (options) => ({
      rank(input) {
        const ctx = spanContext(input, spanContextOptions(options));
        const sp = spectrum(ctx);
        const opScore = new Float64Array(sp.ops.length);
        for (let o = 0; o < opScore.length; o++) opScore[o] = formula(sp.ef[o], sp.ep[o], sp.nf[o], sp.np[o]);
        return rankByBestOperation(ctx, sp, opScore, (o, score) =>
          `${name} ${score.toFixed(3)} for ${operationName(sp.ops[o])}: in ${sp.ef[o]} of ${sp.abnormalTraces} abnormal ` +
          `and ${sp.ep[o]} of ${sp.normalTraces} normal traces`,
        );
      },
    }),
  });
}

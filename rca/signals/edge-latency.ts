/**
 * Edge latency: the time a call spends between caller and callee (network, broker, waiting to be
 * picked up), per edge (caller service -> callee service and operation), against the baseline.
 *
 * The gap of a call is its caller's duration minus its callee's: the client view minus the
 * callee's own view where the table has it (serverStart, serverEnd: a server span beside the client
 * span, or the callee's receive and reply legs in a message log); else, where a call's only child
 * runs on another instance (a client span and the server span under it), the parent's duration
 * minus that child's. Elsewhere the gap is unknown and the edge carries no evidence.
 *
 * A network fault on an instance delays every edge into it and out of it; one on a link delays
 * that edge alone. Evidence is therefore kept per instance and side: the share of the calls an
 * instance receives whose gap is abnormal (in), and of the calls it makes (out). A slow link counts
 * for its callee (the convention of fault-injection truth); the caller side counts in full only
 * when the caller's calls to two or more services are slow, which a fault on one link cannot
 * cause, and otherwise only as far as the calls into the caller arrive late too (its interface).
 */
import { robust, type SpanIndex } from '../span-stats.js';
import type { SpanTable } from '../../data/types.js';

/** Floor on the robust scale of log gaps: a change of 5% is never more than one sigma. */
const MIN_LOG_SCALE = 0.05;

/** Per call, at the row of the callee's view of it: its gap in ms (NaN when unknown) and its caller's row. */
export interface EdgeGaps {
  gap: Float64Array;
  /** Row whose instance made the call (the parent row), -1 when the caller is outside the table. */
  callerRow: Int32Array;
  /** 1 for a client span whose only child is the server span on the callee: its self-time is the gap. */
  clientSpan: Uint8Array;
  /**
   * 1 at a row that is the caller's view of a call with the callee's beside it (one row per call):
   * its duration, and so its self-time, holds the gap.
   */
  callerView: Uint8Array;
  /**
   * 1 at the caller's row of a call whose callee worked longer than the caller waited (the caller
   * gave up: a timeout). Durations on each side's own clock, so no clock offset between hosts enters.
   */
  abandoned: Uint8Array;
}

/** Gaps of every call of a table (see the module comment). */
export function edgeGaps(t: SpanTable, ix: SpanIndex): EdgeGaps {
  const n = t.length;
  const gap = new Float64Array(n).fill(NaN);
  const callerRow = new Int32Array(n).fill(-1);
  const clientSpan = new Uint8Array(n);
  const callerView = new Uint8Array(n);
  const abandoned = new Uint8Array(n);
  const ss = t.serverStart;
  const se = t.serverEnd;
  const viewed = (i: number) => ss !== undefined && se !== undefined && ss[i] === ss[i] && se[i] === se[i];
  for (let i = 0; i < n; i++) {
    if (viewed(i)) {
      // The row is the caller's view of the call, with the callee's own beside it.
      const d = t.end[i] - t.start[i] - (se![i] - ss![i]);
      gap[i] = Math.max(0, d);
      abandoned[i] = d < 0 ? 1 : 0;
      callerRow[i] = t.parent[i];
      callerView[i] = 1;
      continue;
    }
    const c = ix.firstChild[i];
    if (c < 0 || ix.nextSibling[c] >= 0 || viewed(c)) continue;
    if (t.instance[c] === t.instance[i] && t.service[c] === t.service[i]) continue;
    // A client span (row i, on the caller) whose only child is the server span on the callee.
    const d = t.end[i] - t.start[i] - (t.end[c] - t.start[c]);
    gap[c] = Math.max(0, d);
    abandoned[i] = d < 0 ? 1 : 0;
    callerRow[c] = i;
    clientSpan[i] = 1;
  }
  return { gap, callerRow, clientSpan, callerView, abandoned };
}

/**
 * Each row's own time: its self-time without the gap where the row holds one (a call's row in the
 * caller's view), so that time spent between caller and callee is never the callee's work too.
 */
export function ownTimes(self: Float64Array, g: EdgeGaps): Float64Array {
  const out = new Float64Array(self.length);
  for (let i = 0; i < self.length; i++) out[i] = g.callerView[i] ? Math.max(0, self[i] - g.gap[i]) : self[i];
  return out;
}

/** `callerService\0calleeService\0calleeOperation` of a call with a known gap. */
function edgeKey(t: SpanTable, g: EdgeGaps, i: number): string {
  const caller = g.callerRow[i] >= 0 ? t.strings[t.service[g.callerRow[i]]] : '';
  return `${caller}\u0000${t.strings[t.service[i]]}\u0000${t.strings[t.operation[i]]}`;
}

interface EdgeStats {
  count: number;
  logGap: { median: number; scale: number };
  /** Share of the baseline's calls beyond the abnormal threshold (the expected false-alarm rate). */
  beyond: number;
  p99: number;
}

/** Per-edge gap baselines learnt from fault-free calls. */
export class EdgeBaseline {
  private constructor(
    private readonly edges: Map<string, EdgeStats>,
    readonly z: number,
  ) {}

  static fit(t: SpanTable, ix: SpanIndex, z: number): EdgeBaseline {
    const g = edgeGaps(t, ix);
    const groups = new Map<string, number[]>();
    for (let i = 0; i < t.length; i++) {
      if (g.gap[i] !== g.gap[i]) continue;
      const k = edgeKey(t, g, i);
      let list = groups.get(k);
      if (!list) groups.set(k, (list = []));
      list.push(Math.log1p(g.gap[i]));
    }
    const edges = new Map<string, EdgeStats>();
    for (const [k, v] of groups) {
      const r = robust(v);
      const sorted = v.slice().sort((a, b) => a - b);
      const p99 = sorted[Math.min(sorted.length - 1, Math.floor(0.99 * (sorted.length - 1) + 0.5))];
      const scale = Math.max(r.scale, MIN_LOG_SCALE);
      let beyond = 0;
      for (const x of v) if ((x - r.median) / scale > z && x > p99) beyond++;
      edges.set(k, { count: v.length, logGap: r, beyond: beyond / v.length, p99 });
    }
    return new EdgeBaseline(edges, z);
  }

  /** 1 for each call whose gap is beyond z robust sigmas and the 99th percentile of its edge's baseline. */
  abnormal(t: SpanTable, g: EdgeGaps, minCount = 5): { abnormal: Uint8Array; known: Uint8Array; expected: Float64Array } {
    const abnormal = new Uint8Array(t.length);
    const known = new Uint8Array(t.length);
    const expected = new Float64Array(t.length);
    const cache = new Map<string, EdgeStats | null>();
    for (let i = 0; i < t.length; i++) {
      if (g.gap[i] !== g.gap[i]) continue;
      const k = edgeKey(t, g, i);
      let e = cache.get(k);
      if (e === undefined) {
        const found = this.edges.get(k);
        cache.set(k, (e = found && found.count >= minCount ? found : null));
      }
      if (!e) continue;
      known[i] = 1;
      expected[i] = e.beyond;
      const x = Math.log1p(g.gap[i]);
      abnormal[i] = (x - e.logGap.median) / Math.max(e.logGap.scale, MIN_LOG_SCALE) > this.z && x > e.p99 ? 1 : 0;
    }
    return { abnormal, known, expected };
  }
}

/** Edge evidence per instance name: shares of its received and made calls with an abnormal gap, beyond the baseline's rate. */
export interface InstanceEdgeEvidence {
  instance: string;
  service: string;
  /**
   * Excess share of its received calls (known gap) whose gap is abnormal, on the incoming edge
   * (caller service) where that share is largest: a delayed link is one caller's edge, which the
   * calls of its other callers would dilute.
   */
  in: number;
  /**
   * Excess share of the calls it made whose gap is abnormal, when to two or more services; else at
   * most its `in` (a delay on its interface shows on both sides).
   */
  out: number;
  /** Calls with a known gap it received / made. */
  inCalls: number;
  outCalls: number;
  /** The edge with the most abnormal calls into it, for the explanation. */
  worstEdge: string;
}

/**
 * Per instance, edge evidence of the window's calls. `minAbnormal` abnormal calls are needed on a
 * side before it counts (a lone slow call is noise); on the incoming side, on the edge (caller
 * service -> callee service) across the callee's instances, so that a rarely called service's few
 * late calls, spread over its instances, still count.
 */
export function edgeEvidence(t: SpanTable, ix: SpanIndex, g: EdgeGaps, judged: ReturnType<EdgeBaseline['abnormal']>, minAbnormal = 3): Map<string, InstanceEdgeEvidence> {
  interface Side {
    calls: number;
    abnormal: number;
    expected: number;
  }
  // Per incoming edge (caller service by dense index, the last for a caller outside the table): calls, abnormal, expected.
  const edgeSlots = 3 * (ix.services.length + 1);
  const inSide = new Map<number, Side & { edges: Float64Array }>();
  const outSide = new Map<number, Side & { callees: Set<number> }>();
  const worst = new Map<number, Map<string, number>>();
  const serviceOf = new Map<number, number>();
  // Abnormal calls per edge (callee service's string code, caller slot), over the callee's instances.
  const edgeAbnormal = new Map<number, number>();
  const edgeOf = (calleeService: number, slot: number) => calleeService * (ix.services.length + 1) + slot;
  for (let i = 0; i < t.length; i++) {
    if (!judged.known[i]) continue;
    const callee = t.instance[i];
    serviceOf.set(callee, t.service[i]);
    let s = inSide.get(callee);
    if (!s) inSide.set(callee, (s = { calls: 0, abnormal: 0, expected: 0, edges: new Float64Array(edgeSlots) }));
    s.calls++;
    s.expected += judged.expected[i];
    s.abnormal += judged.abnormal[i];
    const slot = g.callerRow[i] >= 0 ? ix.serviceOf[g.callerRow[i]] : ix.services.length;
    const e = 3 * slot;
    s.edges[e]++;
    s.edges[e + 1] += judged.abnormal[i];
    s.edges[e + 2] += judged.expected[i];
    if (judged.abnormal[i]) {
      const edge = edgeOf(t.service[i], slot);
      edgeAbnormal.set(edge, (edgeAbnormal.get(edge) ?? 0) + 1);
      let w = worst.get(callee);
      if (!w) worst.set(callee, (w = new Map()));
      const caller = g.callerRow[i] >= 0 ? t.strings[t.service[g.callerRow[i]]] : '(outside)';
      const k = `${caller} -> ${t.strings[t.service[i]]} ${t.strings[t.operation[i]]}`;
      w.set(k, (w.get(k) ?? 0) + 1);
    }
    const cr = g.callerRow[i];
    if (cr < 0) continue;
    const caller = t.instance[cr];
    serviceOf.set(caller, t.service[cr]);
    let o = outSide.get(caller);
    if (!o) outSide.set(caller, (o = { calls: 0, abnormal: 0, expected: 0, callees: new Set() }));
    o.calls++;
    o.expected += judged.expected[i];
    o.abnormal += judged.abnormal[i];
    if (judged.abnormal[i]) o.callees.add(t.service[i]);
  }
  // The share of calls abnormal beyond the reference's expectation.
  const excessShare = (calls: number, abnormal: number, expected: number) => Math.max(0, (abnormal - expected) / calls);
  const excess = (calls: number, abnormal: number, expected: number) => (abnormal >= minAbnormal ? excessShare(calls, abnormal, expected) : 0);
  const share = (s: Side | undefined) => (s ? excess(s.calls, s.abnormal, s.expected) : 0);
  const out = new Map<string, InstanceEdgeEvidence>();
  for (const [inst, svc] of serviceOf) {
    const i = inSide.get(inst);
    const o = outSide.get(inst);
    const w = worst.get(inst);
    let worstEdge = '';
    let worstN = 0;
    if (w) for (const [k, c] of w) if (c > worstN) [worstEdge, worstN] = [k, c];
    let inShare = 0;
    for (let e = 0; i && e < edgeSlots; e += 3) {
      if (!i.edges[e] || (edgeAbnormal.get(edgeOf(svc, e / 3)) ?? 0) < minAbnormal) continue;
      inShare = Math.max(inShare, excessShare(i.edges[e], i.edges[e + 1], i.edges[e + 2]));
    }
    out.set(t.strings[inst], {
      instance: t.strings[inst],
      service: t.strings[svc],
      in: inShare,
      // A fault on one link slows calls to one service; one on the caller's interface slows them and
      // delays its replies to its own callers alike, so the calls into it vouch for the calls out.
      out: !o ? 0 : o.callees.size >= 2 ? share(o) : Math.min(share(o), inShare),
      inCalls: i?.calls ?? 0,
      outCalls: o?.calls ?? 0,
      worstEdge,
    });
  }
  return out;
}

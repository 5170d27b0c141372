import { selectRows } from '../data/span-table.js';
import { quantileSorted } from '../common/quantile.js';
import { logBinomialUpperTail } from '../detectors/stats.js';
import { SPAN_STATUS, type SpanTable } from '../data/types.js';

/**
 * Per-span features and per-operation baselines that the span-based algorithms share. Baselines
 * are keyed by service and operation *names*, because a supplied baseline file has its own
 * string table.
 */

/** Rows grouped into dense trace, service and operation indices. */
export interface SpanIndex {
  traceOf: Int32Array; // row -> dense trace index
  traces: number;
  serviceOf: Int32Array; // row -> dense service index
  services: string[];
  opKey: string[]; // row -> `${service}\u0000${operation}` (shared strings, not copies)
  opOf: Int32Array; // row -> dense (service, operation) index into ops
  ops: string[]; // dense index -> its opKey
  firstChild: Int32Array;
  nextSibling: Int32Array;
  /** Row whose service (and instance) a fault seen at this row points to: the row itself, or its parent for a caller-side failure. */
  blameRow: Int32Array;
}

/** Per intern table: a code -> dense index scratch column, all -1 between uses (indexing a window must not cost O(strings)). */
const codeScratch = new WeakMap<string[], Int32Array>();

/** The intern table's scratch column; a user sets slots for the codes it meets and sets them back to -1 before it returns. */
export function scratchFor(strings: string[]): Int32Array {
  let s = codeScratch.get(strings);
  if (!s || s.length < strings.length) codeScratch.set(strings, (s = new Int32Array(strings.length).fill(-1)));
  return s;
}

export function indexSpans(t: SpanTable): SpanIndex {
  const n = t.length;
  const traceOf = new Int32Array(n);
  const serviceOf = new Int32Array(n);
  const denseTrace = scratchFor(t.strings);
  const traceCodes: number[] = [];
  const svcIds = new Map<number, number>();
  const services: string[] = [];
  // (service, operation) code pairs, one key each, and each pair's dense service.
  const pairs = new Map<number, number>();
  const size = t.strings.length;
  const opService: number[] = [];
  const opKey: string[] = new Array(n);
  const opOf = new Int32Array(n);
  const ops: string[] = [];
  try {
    for (let i = 0; i < n; i++) {
      let tr = denseTrace[t.traceId[i]];
      if (tr < 0) {
        tr = denseTrace[t.traceId[i]] = traceCodes.length;
        traceCodes.push(t.traceId[i]);
      }
      traceOf[i] = tr;
      const pair = t.service[i] * size + t.operation[i];
      let k = pairs.get(pair);
      if (k === undefined) {
        let sv = svcIds.get(t.service[i]);
        if (sv === undefined) {
          svcIds.set(t.service[i], (sv = services.length));
          services.push(t.strings[t.service[i]]);
        }
        pairs.set(pair, (k = ops.length));
        opService.push(sv);
        ops.push(`${t.strings[t.service[i]]}\u0000${t.strings[t.operation[i]]}`);
      }
      serviceOf[i] = opService[k];
      opOf[i] = k;
      opKey[i] = ops[k];
    }
  } finally {
    for (const code of traceCodes) denseTrace[code] = -1;
  }
  const firstChild = new Int32Array(n).fill(-1);
  const nextSibling = new Int32Array(n).fill(-1);
  for (let i = n - 1; i >= 0; i--) {
    const p = t.parent[i];
    if (p >= 0) {
      nextSibling[i] = firstChild[p];
      firstChild[p] = i;
    }
  }
  const blameRow = new Int32Array(n);
  for (let i = 0; i < n; i++) blameRow[i] = t.callerFault?.[i] && t.parent[i] >= 0 ? t.parent[i] : i;
  return { traceOf, traces: traceCodes.length, serviceOf, services, opKey, opOf, ops, firstChild, nextSibling, blameRow };
}

/**
 * Self-time of each span: its duration minus the part of it covered by the union of its
 * children's intervals (children that outlive the parent are clipped to it).
 */
export function selfTimes(t: SpanTable, ix: SpanIndex): Float64Array {
  const out = new Float64Array(t.length);
  // Scratch for one span's clipped child intervals, sorted by start (insertion: few children).
  let cs = new Float64Array(16);
  let ce = new Float64Array(16);
  for (let i = 0; i < t.length; i++) {
    const a = t.start[i];
    const b = t.end[i];
    let k = 0;
    for (let c = ix.firstChild[i]; c >= 0; c = ix.nextSibling[c]) {
      const s0 = Math.max(a, t.start[c]);
      const e0 = Math.min(b, t.end[c]);
      if (!(e0 > s0)) continue;
      if (k === cs.length) {
        const grow = (x: Float64Array) => {
          const y = new Float64Array(x.length * 2);
          y.set(x);
          return y;
        };
        cs = grow(cs);
        ce = grow(ce);
      }
      let j = k++;
      while (j > 0 && cs[j - 1] > s0) {
        cs[j] = cs[j - 1];
        ce[j] = ce[j - 1];
        j--;
      }
      cs[j] = s0;
      ce[j] = e0;
    }
    let covered = 0;
    if (k > 0) {
      let curS = cs[0];
      let curE = ce[0];
      for (let j = 1; j < k; j++) {
        if (cs[j] > curE) {
          covered += curE - curS;
          curS = cs[j];
          curE = ce[j];
        } else if (ce[j] > curE) curE = ce[j];
      }
      covered += curE - curS;
    }
    out[i] = Math.max(0, b - a - covered);
  }
  return out;
}

export const isError = (t: SpanTable, i: number): boolean => t.status[i] === SPAN_STATUS.system;

/** Robust location and scale of a sample: median and 1.4826 * MAD (NaN values are ignored). */
export function robust(values: ArrayLike<number>): { median: number; scale: number } {
  return robustSorted(Float64Array.from(values).sort());
}

/** Values sorted ascending without NaN (a typed array's sort puts NaN last). */
function withoutNaN(sorted: Float64Array): Float64Array {
  let n = sorted.length;
  while (n > 0 && Number.isNaN(sorted[n - 1])) n--;
  return sorted.subarray(0, n);
}

/** `robust` of values sorted ascending. */
function robustSorted(sorted: Float64Array): { median: number; scale: number } {
  const v = withoutNaN(sorted);
  const n = v.length;
  const med = quantileSorted(v, 0.5);
  const dev = new Float64Array(n);
  for (let i = 0; i < n; i++) dev[i] = Math.abs(v[i] - med);
  return { median: med, scale: 1.4826 * quantileSorted(dev.sort(), 0.5) };
}

interface OpStats {
  count: number;
  errors: number;
  logDuration: { median: number; scale: number };
  /** Log duration that only 1% of the baseline's calls exceed: heavy tails are normal for some operations. */
  logDurationP99: number;
  logSelf: { median: number; scale: number };
  /** Log self-time that only 1% of the baseline's calls exceed. */
  logSelfP99: number;
}

/** Floor on the robust scale (log units): a 5% change is never more than one sigma. */
const MIN_LOG_SCALE = 0.05;

/** Per-operation reference behaviour learnt from fault-free spans. */
export class OperationBaseline {
  /** Per operation, every set of callee operations seen under it (childShape keys): found when first asked for. */
  private shapes: Map<string, Set<string>> | undefined;

  private constructor(
    private readonly ops: Map<string, OpStats>,
    private readonly fitted: SpanIndex,
  ) {}

  /** Fitted on a table; its index and self-times when the caller has them already. */
  static fit(baseline: SpanTable, ix = indexSpans(baseline), self = selfTimes(baseline, ix)): OperationBaseline {
    // Each operation's log durations and log self-times, grouped by counting sort into one column each.
    const k = ix.ops.length;
    const first = new Int32Array(k + 1);
    for (let i = 0; i < baseline.length; i++) first[ix.opOf[i] + 1]++;
    for (let o = 0; o < k; o++) first[o + 1] += first[o];
    const fill = first.slice(0, k);
    const d = new Float64Array(baseline.length);
    const s = new Float64Array(baseline.length);
    const errors = new Int32Array(k);
    for (let i = 0; i < baseline.length; i++) {
      const o = ix.opOf[i];
      const at = fill[o]++;
      d[at] = Math.log1p(Math.max(0, baseline.end[i] - baseline.start[i]));
      s[at] = Math.log1p(self[i]);
      if (isError(baseline, i)) errors[o]++;
    }
    const ops = new Map<string, OpStats>();
    for (let o = 0; o < k; o++) {
      const gd = d.subarray(first[o], first[o + 1]).sort();
      const gs = s.subarray(first[o], first[o + 1]).sort();
      ops.set(ix.ops[o], { count: gd.length, errors: errors[o], logDuration: robustSorted(gd), logDurationP99: quantileSorted(withoutNaN(gd), 0.99), logSelf: robustSorted(gs), logSelfP99: quantileSorted(withoutNaN(gs), 0.99) });
    }
    return new OperationBaseline(ops, ix);
  }

  /**
   * Robust z of each span's log duration and log self-time against its operation's baseline
   * (NaN for an operation the baseline never saw, or saw fewer than `minCount` times).
   */
  score(t: SpanTable, ix: SpanIndex, self: Float64Array, minCount = 3): SpanScores {
    const n = t.length;
    const zDuration = new Float64Array(n).fill(NaN);
    const zSelf = new Float64Array(n).fill(NaN);
    const known = new Uint8Array(n);
    const beyondP99 = new Uint8Array(n);
    const beyondP99Self = new Uint8Array(n);
    // Each of the table's operations looked up once, not per span.
    const opStats = ix.ops.map((key) => this.ops.get(key));
    for (let i = 0; i < n; i++) {
      const op = opStats[ix.opOf[i]];
      if (!op || op.count < minCount) continue;
      known[i] = 1;
      const d = Math.log1p(Math.max(0, t.end[i] - t.start[i]));
      zDuration[i] = (d - op.logDuration.median) / Math.max(op.logDuration.scale, MIN_LOG_SCALE);
      beyondP99[i] = d > op.logDurationP99 ? 1 : 0;
      zSelf[i] = (Math.log1p(self[i]) - op.logSelf.median) / Math.max(op.logSelf.scale, MIN_LOG_SCALE);
      beyondP99Self[i] = Math.log1p(self[i]) > op.logSelfP99 ? 1 : 0;
    }
    return { zDuration, zSelf, known, beyondP99, beyondP99Self };
  }

  has(opKey: string): boolean {
    return this.ops.has(opKey);
  }

  /**
   * 1 for each span whose set of callee operations the baseline never saw under its operation
   * (calls cut short by an exception, or a changed call pattern), judged only for operations seen
   * at least `minCount` times.
   */
  novelShapes(t: SpanTable, ix: SpanIndex, minCount = 5): Uint8Array {
    if (!this.shapes) {
      const seen = childShapes(this.fitted);
      this.shapes = new Map();
      for (let i = 0; i < seen.length; i++) {
        const key = this.fitted.opKey[i];
        let set = this.shapes.get(key);
        if (!set) this.shapes.set(key, (set = new Set()));
        set.add(seen[i]);
      }
    }
    const shape = childShapes(ix);
    // Each of the table's operations looked up once, not per span: its known shapes, when it was seen often enough.
    const shapesOf = ix.ops.map((key) => ((this.ops.get(key)?.count ?? 0) >= minCount ? this.shapes!.get(key) : undefined));
    const out = new Uint8Array(t.length);
    for (let i = 0; i < t.length; i++) {
      const seen = shapesOf[ix.opOf[i]];
      if (seen && !seen.has(shape[i])) out[i] = 1;
    }
    return out;
  }
}

/** Per span: the sorted distinct operations (service and name) of its children, as one key. */
export function childShapes(ix: SpanIndex): string[] {
  const out: string[] = new Array(ix.opKey.length);
  for (let i = 0; i < out.length; i++) {
    if (ix.firstChild[i] < 0) {
      out[i] = '';
      continue;
    }
    const keys = new Set<string>();
    for (let c = ix.firstChild[i]; c >= 0; c = ix.nextSibling[c]) keys.add(ix.opKey[c]);
    out[i] = [...keys].sort().join('\u0001');
  }
  return out;
}

export interface SpanScores {
  zDuration: Float64Array;
  zSelf: Float64Array;
  known: Uint8Array;
  /** Duration beyond the 99th percentile of the operation's baseline durations. */
  beyondP99: Uint8Array;
  /** Self-time beyond the 99th percentile of the operation's baseline self-times. */
  beyondP99Self: Uint8Array;
}

/** Everything a span-based algorithm needs about one table, computed once. */
export interface SpanAnalysis {
  table: SpanTable;
  index: SpanIndex;
  self: Float64Array;
  scores: SpanScores;
}

export function analyse(t: SpanTable, baseline: OperationBaseline, index = indexSpans(t), self = selfTimes(t, index)): SpanAnalysis {
  return { table: t, index, self, scores: baseline.score(t, index, self) };
}

export interface AbnormalOptions {
  /** Robust z above which a latency is abnormal (default 3). */
  z?: number;
}

/**
 * A span is abnormal when it failed (system failure), when its self-time or duration is slow
 * against its operation's baseline, or when the baseline never saw its operation (new structure:
 * the only signal in span data without statuses).
 */
export function abnormalSpans(a: SpanAnalysis, baseline: OperationBaseline, opts: AbnormalOptions = {}): Uint8Array {
  const z = opts.z ?? 3;
  const t = a.table;
  const out = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) {
    if (isError(t, i)) out[i] = 1;
    else if (a.scores.known[i]) out[i] = a.scores.zSelf[i] > z || a.scores.zDuration[i] > z ? 1 : 0;
    else out[i] = baseline.has(a.index.opKey[i]) ? 0 : 1;
  }
  return out;
}

/**
 * A trace is abnormal (as in MicroRank) when one of its calls failed or its end-to-end latency,
 * the duration of a root call, is beyond z robust sigmas of that root operation's baseline and
 * beyond its baseline 99th percentile (so that an operation with a heavy latency tail does not
 * make a steady stream of abnormal traces); and,
 * when `novelShape` is given, when one of its calls has a callee pattern the baseline never saw.
 */
export function abnormalTraces(a: SpanAnalysis, z = 3, novelShape?: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.index.traces);
  const t = a.table;
  for (let i = 0; i < t.length; i++) {
    if (isError(t, i) || novelShape?.[i] || (t.parent[i] < 0 && a.scores.known[i] && a.scores.zDuration[i] > z && a.scores.beyondP99[i])) {
      out[a.index.traceOf[i]] = 1;
    }
  }
  return out;
}

/** Chance below which an instance's abnormal spans stand out from its service's share (binomial upper tail). */
const LOG_STANDS_OUT = Math.log(1e-4);

/**
 * For each service, the instance whose spans are abnormal beyond its service's share: of those
 * that stand out beyond chance (binomial tail P(X >= its abnormal spans) at the service's share
 * over its spans under LOG_STANDS_OUT), the one with the largest abnormal share; where none does,
 * the one with the smallest tail. Ties to the smaller tail, then more abnormal spans, then the
 * instance interned first; undefined when none is abnormal. Neither count nor surety alone will
 * do: the survivors of a dead instance take its traffic, slower, for the whole window, and so
 * outnumber its own calls, which all failed but are few; the share tells the two apart once both
 * are beyond chance.
 */
export function worstInstances(a: SpanAnalysis, abnormal: Uint8Array): (string | undefined)[] {
  const t = a.table;
  // Instance code -> dense index, per instance its service, spans and abnormal spans.
  const dense = scratchFor(t.strings);
  const codes: number[] = [];
  const serviceOf: number[] = [];
  const spans: number[] = [];
  const bad: number[] = [];
  try {
    for (let i = 0; i < t.length; i++) {
      const r = a.index.blameRow[i];
      const inst = t.instance[r];
      let d = dense[inst];
      if (d < 0) {
        d = dense[inst] = codes.length;
        codes.push(inst);
        serviceOf.push(a.index.serviceOf[r]);
        spans.push(0);
        bad.push(0);
      }
      spans[d]++;
      if (abnormal[i]) bad[d]++;
    }
  } finally {
    for (const c of codes) dense[c] = -1;
  }
  const serviceSpans = new Float64Array(a.index.services.length);
  const serviceBad = new Float64Array(a.index.services.length);
  for (let d = 0; d < codes.length; d++) {
    serviceSpans[serviceOf[d]] += spans[d];
    serviceBad[serviceOf[d]] += bad[d];
  }
  const best = new Int32Array(a.index.services.length).fill(-1);
  const bestTail = new Float64Array(a.index.services.length).fill(Infinity);
  // The abnormal share of an instance that stands out, -1 for one that does not.
  const bestShare = new Float64Array(a.index.services.length).fill(-Infinity);
  for (let d = 0; d < codes.length; d++) {
    if (!bad[d]) continue;
    const s = serviceOf[d];
    const tail = logBinomialUpperTail(bad[d], spans[d], serviceBad[s] / serviceSpans[s]);
    const share = tail < LOG_STANDS_OUT ? bad[d] / spans[d] : -1;
    const b = best[s];
    const better =
      share !== bestShare[s] ? share > bestShare[s] : tail !== bestTail[s] ? tail < bestTail[s] : bad[d] !== bad[b] ? bad[d] > bad[b] : codes[d] < codes[b];
    if (better) {
      best[s] = d;
      bestTail[s] = tail;
      bestShare[s] = share;
    }
  }
  return Array.from(best, (d) => (d < 0 ? undefined : t.strings[codes[d]]));
}

/**
 * The table without repeated spans: span files that overlap in time (Nezha's per-minute files do)
 * hold some spans twice. Keeps the last copy of each (trace, span) pair, the one that readSpans
 * links children to; returns the table itself when nothing repeats.
 */
export function dropRepeatedSpans(t: SpanTable): SpanTable {
  // From the end: the first row met of a (trace, span) pair is its last copy.
  const keptRow = scratchFor(t.strings); // span id code -> a kept row with that id
  let elsewhere: Set<number> | undefined; // (trace, span) pairs kept whose span id another trace has too
  const keep = new Uint8Array(t.length);
  let repeated = 0;
  try {
    for (let i = t.length - 1; i >= 0; i--) {
      const s = t.spanId[i];
      const r = keptRow[s];
      if (r < 0) keptRow[s] = i;
      else if (t.traceId[r] === t.traceId[i]) {
        repeated++;
        continue;
      } else {
        const pair = t.traceId[i] * t.strings.length + s;
        elsewhere ??= new Set();
        if (elsewhere.has(pair)) {
          repeated++;
          continue;
        }
        elsewhere.add(pair);
      }
      keep[i] = 1;
    }
  } finally {
    for (let i = 0; i < t.length; i++) keptRow[t.spanId[i]] = -1;
  }
  return repeated === 0 ? t : selectRows(t, keep);
}

/**
 * Event patterns inside spans, after Nezha (Yu et al., FSE 2023): each span becomes a sequence of
 * events in time order (its operation starting, the calls it makes, the log lines it writes as
 * templates, its operation ending, with its status where known), and a pattern is a pair of
 * consecutive events of one service. Comparing how often each event is followed by each other in
 * the fault-free reference and in the incident window finds what a fault changed: an expected
 * follower that went missing (an exception cut the handler short) or a new one (an error line, a
 * different branch after a wrong return value).
 *
 * Counts are kept as transition counts: per (service, event a), how often a occurred with a
 * follower, and per (service, a, b) how often b followed. Comparing the conditional shares
 * P(b | a) of window and reference makes the contrast independent of how much traffic of each
 * kind the window happened to carry.
 */
import { SPAN_STATUS, type LogTable, type SpanTable } from '../../data/types.js';
import type { SpanIndex } from '../span-stats.js';

// Event kinds inside a span: its start first, then the late marker, calls and lines between by
// time, its end last.
const START = 0;
const CALL = 1;
const LINE = 2;
const END = 3;
const LATE = 4;
const ORDER = [0, 2, 2, 3, 1];

/** Marks on spans that label their events (each optional; 1 = marked). */
export interface SpanMarks {
  /** The span's own work was abnormally slow: its end event says so (`end op slow`). */
  slow?: Uint8Array;
  /** The call reached the span abnormally late (its edge gap): a `late op` event follows its start, beside the span's chain of events. */
  late?: Uint8Array;
}

/** How the late marker and the slow end event are named: how `pattern-contrast` tells latency evidence apart. */
export const LATE_PREFIX = 'late ';
export const SLOW_SUFFIX = ' slow';
export const FAILED_SUFFIX = ' failed';

/** Event names interned to small integers, shared by reference and window. */
export class EventCodes {
  private readonly ids = new Map<string, number>();
  readonly names: string[] = [];

  code(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.ids.set(name, id);
    }
    return id;
  }
}

/** Consecutive event pairs inside spans, as columns: the span (row) they occur in and the two events. */
export interface SpanPairs {
  length: number;
  span: Int32Array;
  from: Int32Array;
  to: Int32Array;
}

/** Transition counts of one table, keyed by service name. */
export interface PatternCounts {
  /** `${service}` -> event a -> occurrences of a followed by some event. */
  sources: Map<string, Map<number, number>>;
  /** `${service}` -> (a * 2^21 + b) -> occurrences of a followed by b. */
  pairs: Map<string, Map<number, number>>;
  /** `${service}` -> event a -> instance name -> occurrences (to name an instance). */
  instances: Map<string, Map<number, Map<string, number>>>;
}

export const PAIR = 2 ** 21;

/** The patterns of a table: its call sequences, its log sequences, and the span each log line belongs to. */
export interface TablePatterns {
  calls: SpanPairs;
  logs?: SpanPairs;
  /** Per log line of the table given, the span row it was written in, -1 when none. */
  lineSpan?: Int32Array;
}

/**
 * The patterns of a table's spans, with its log lines placed in the spans that wrote them (by trace
 * and span id) when `logs` is given. A failed span (system status) ends with a failed end event.
 */
export function spanPatterns(t: SpanTable, codes: EventCodes, logs?: LogTable, marks: SpanMarks = {}): TablePatterns {
  // Events as parallel columns: owning span, order bucket, time, code.
  let cap = t.length * 4 + (logs?.length ?? 0) + 16;
  let evSpan = new Int32Array(cap);
  let evBucket = new Uint8Array(cap);
  let evTime = new Float64Array(cap);
  let evCode = new Int32Array(cap);
  let n = 0;
  const push = (span: number, bucket: number, time: number, code: number) => {
    if (n === cap) {
      cap *= 2;
      const g = <T extends Int32Array | Uint8Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (k: number) => T)(cap);
        b.set(a);
        return b;
      };
      evSpan = g(evSpan);
      evBucket = g(evBucket);
      evTime = g(evTime);
      evCode = g(evCode);
    }
    evSpan[n] = span;
    evBucket[n] = bucket;
    evTime[n] = time;
    evCode[n] = code;
    n++;
  };
  // (service, operation) string ids -> codes of: start, a call to it, end, failed end, slow end, late.
  const opCode = new Map<number, [number, number, number, number, number, number]>();
  const codesOf = (r: number) => {
    const key = t.service[r] * 2 ** 26 + t.operation[r];
    let c = opCode.get(key);
    if (!c) {
      const op = t.strings[t.operation[r]];
      const svc = t.strings[t.service[r]];
      opCode.set(
        key,
        (c = [codes.code(`start ${op}`), codes.code(`call ${svc} ${op}`), codes.code(`end ${op}`), codes.code(`end ${op}${FAILED_SUFFIX}`), codes.code(`end ${op}${SLOW_SUFFIX}`), codes.code(`${LATE_PREFIX}${op}`)]),
      );
    }
    return c;
  };
  for (let r = 0; r < t.length; r++) {
    const c = codesOf(r);
    push(r, START, t.start[r], c[0]);
    if (marks.late?.[r]) push(r, LATE, t.start[r], c[5]);
    push(r, END, t.end[r], t.status[r] === SPAN_STATUS.system ? c[3] : marks.slow?.[r] ? c[4] : c[2]);
    const p = t.parent[r];
    if (p >= 0) push(p, CALL, t.start[r], c[1]);
  }
  let lineSpan: Int32Array | undefined;
  if (logs && logs.length) {
    lineSpan = new Int32Array(logs.length).fill(-1);
    const rowOf = new Map<string, number>();
    for (let r = 0; r < t.length; r++) rowOf.set(`${t.strings[t.traceId[r]]}\u0000${t.strings[t.spanId[r]]}`, r);
    const templateCode = new Map<number, number>();
    for (let i = 0; i < logs.length; i++) {
      if (logs.spanId[i] < 0 || logs.traceId[i] < 0) continue;
      const r = rowOf.get(`${logs.strings[logs.traceId[i]]}\u0000${logs.strings[logs.spanId[i]]}`);
      if (r === undefined) continue;
      lineSpan[i] = r;
      let code = templateCode.get(logs.template[i]);
      if (code === undefined) templateCode.set(logs.template[i], (code = codes.code(`log ${logs.templates[logs.template[i]]}`)));
      push(r, LINE, logs.time[i], code);
    }
  }
  const order = Int32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => evSpan[a] - evSpan[b] || ORDER[evBucket[a]] - ORDER[evBucket[b]] || evTime[a] - evTime[b] || evCode[a] - evCode[b],
  );
  // Two sequences per span: its calls (the trace path, with its marks) and its log lines, each between start and end.
  const calls = pairsOf(order, n, evSpan, evBucket, evCode, (k) => k === LINE, (k) => k === LATE);
  return lineSpan ? { calls, logs: pairsOf(order, n, evSpan, evBucket, evCode, (k) => k === CALL || k === LATE), lineSpan } : { calls };
}

/**
 * The pairs of spans that start inside [from, to]: a table's log sequences compare only where
 * its logs were kept (a reference of many hours of spans and one hour of lines would otherwise
 * hold mostly spans that could not have shown a line).
 */
export function pairsWithin(t: SpanTable, p: SpanPairs, from: number, to: number): SpanPairs {
  const keep: number[] = [];
  for (let k = 0; k < p.length; k++) if (t.start[p.span[k]] >= from && t.start[p.span[k]] <= to) keep.push(k);
  if (keep.length === p.length) return p;
  return { length: keep.length, span: Int32Array.from(keep, (k) => p.span[k]), from: Int32Array.from(keep, (k) => p.from[k]), to: Int32Array.from(keep, (k) => p.to[k]) };
}

/**
 * Consecutive pairs of each span's events, leaving out the kinds `skip` says. A run of one event
 * repeated counts once: how many times a loop ran is data, not behaviour. An event of a kind
 * `aside` says (the late marker) pairs with the event before it and leaves the chain as it was: a
 * late arrival is one change, not also its start's usual follower gone missing.
 */
function pairsOf(order: Int32Array, n: number, evSpan: Int32Array, evBucket: Uint8Array, evCode: Int32Array, skip: (kind: number) => boolean, aside: (kind: number) => boolean = () => false): SpanPairs {
  const span = new Int32Array(n);
  const from = new Int32Array(n);
  const to = new Int32Array(n);
  let m = 0;
  let prev = -1;
  for (let k = 0; k < n; k++) {
    const y = order[k];
    if (skip(evBucket[y])) continue;
    if (prev >= 0 && evSpan[prev] === evSpan[y] && evCode[prev] === evCode[y]) continue;
    const side = aside(evBucket[y]);
    if (prev >= 0 && evSpan[prev] === evSpan[y]) {
      span[m] = evSpan[y];
      from[m] = evCode[prev];
      to[m] = evCode[y];
      m++;
    }
    if (!side) prev = y;
  }
  return { length: m, span: span.subarray(0, m), from: from.subarray(0, m), to: to.subarray(0, m) };
}

/**
 * Transition counts of pairs, per service of the span they occur in (per instance with
 * `perInstance`: then the counts are keyed by instance name). Counted once per trace (how many
 * traces show a followed by b): the spans of one trace are not independent draws, and a trace
 * that calls a service fifty times would otherwise weigh fifty times.
 */
export function countPairs(t: SpanTable, ix: SpanIndex, p: SpanPairs, perInstance = false): PatternCounts {
  const counts: PatternCounts = { sources: new Map(), pairs: new Map(), instances: new Map() };
  const order = Int32Array.from({ length: p.length }, (_, k) => k).sort((x, y) => ix.traceOf[p.span[x]] - ix.traceOf[p.span[y]] || x - y);
  // The last trace each key was counted for: pairs come trace by trace.
  const lastSource = new Map<string, Map<number, number>>();
  const lastPair = new Map<string, Map<number, number>>();
  for (const k of order) {
    const span = p.span[k];
    const trace = ix.traceOf[span];
    const a = p.from[k];
    const b = p.to[k];
    const svc = perInstance ? t.strings[t.instance[span]] : ix.services[ix.serviceOf[span]];
    let s = counts.sources.get(svc);
    if (!s) {
      counts.sources.set(svc, (s = new Map()));
      counts.pairs.set(svc, new Map());
      counts.instances.set(svc, new Map());
      lastSource.set(svc, new Map());
      lastPair.set(svc, new Map());
    }
    const ls = lastSource.get(svc)!;
    if (ls.get(a) !== trace) {
      ls.set(a, trace);
      s.set(a, (s.get(a) ?? 0) + 1);
      const inst = counts.instances.get(svc)!;
      let byInst = inst.get(a);
      if (!byInst) inst.set(a, (byInst = new Map()));
      const name = t.strings[t.instance[span]];
      byInst.set(name, (byInst.get(name) ?? 0) + 1);
    }
    const key = a * PAIR + b;
    const lp = lastPair.get(svc)!;
    if (lp.get(key) !== trace) {
      lp.set(key, trace);
      const pairs = counts.pairs.get(svc)!;
      pairs.set(key, (pairs.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Per service and source event, the counts of `primary` where it saw the event at least
 * `minSources` times, else those of `fallback`. With a fault-free primary, a reference that may
 * still carry an earlier fault's effects (the minutes just before an incident) judges only the
 * patterns the fault-free data saw too seldom: a change already under way there is not hidden.
 */
export function preferReference(primary: PatternCounts, fallback: PatternCounts, minSources: number): PatternCounts {
  const out: PatternCounts = { sources: new Map(), pairs: new Map(), instances: new Map() };
  for (const svc of new Set([...primary.sources.keys(), ...fallback.sources.keys()])) {
    const sources = new Map<number, number>();
    const pairs = new Map<number, number>();
    const instances = new Map<number, Map<string, number>>();
    const fromPrimary = new Set<number>();
    for (const [a, n] of primary.sources.get(svc) ?? []) if (n >= minSources) fromPrimary.add(a);
    for (const counts of [primary, fallback]) {
      const own = counts === primary;
      for (const [a, n] of counts.sources.get(svc) ?? []) {
        if (fromPrimary.has(a) !== own) continue;
        sources.set(a, n);
        const byInst = counts.instances.get(svc)?.get(a);
        if (byInst) instances.set(a, byInst);
      }
      for (const [key, n] of counts.pairs.get(svc) ?? []) if (fromPrimary.has(Math.floor(key / PAIR)) === own) pairs.set(key, n);
    }
    out.sources.set(svc, sources);
    out.pairs.set(svc, pairs);
    out.instances.set(svc, instances);
  }
  return out;
}

/**
 * A reference per instance (counts keyed by instance name): the instance's own counts where they
 * saw a source event at least `minSources` times, else its service's (an instance that is new, or
 * seldom called, is judged against its peers). `serviceOf` names each instance's service.
 */
export function instanceReference(own: PatternCounts, services: PatternCounts, serviceOf: ReadonlyMap<string, string>, minSources: number): PatternCounts {
  // Per instance, the counts `counts` holds under the key `keyOf` gives.
  const byInstance = (counts: PatternCounts, keyOf: (inst: string, svc: string) => string): PatternCounts => {
    const out: PatternCounts = { sources: new Map(), pairs: new Map(), instances: new Map() };
    for (const [inst, svc] of serviceOf) {
      const key = keyOf(inst, svc);
      const sources = counts.sources.get(key);
      if (!sources) continue;
      out.sources.set(inst, sources);
      out.pairs.set(inst, counts.pairs.get(key)!);
      out.instances.set(inst, counts.instances.get(key)!);
    }
    return out;
  };
  return preferReference(byInstance(own, (inst) => inst), byInstance(services, (_, svc) => svc), minSources);
}

/**
 * 1 for each span of the pairs that shows a change: for a follower that grew, the spans where it
 * followed; for one that shrank (an expected follower missing), the spans where the source event
 * was followed by something else.
 */
export function spansShowing(t: SpanTable, ix: SpanIndex, p: SpanPairs, c: PatternChange): Uint8Array {
  const out = new Uint8Array(t.length);
  for (let k = 0; k < p.length; k++) {
    if (p.from[k] !== c.from || ix.services[ix.serviceOf[p.span[k]]] !== c.service) continue;
    if (c.instanceLevel && t.strings[t.instance[p.span[k]]] !== c.instance) continue;
    if (c.z > 0 ? p.to[k] === c.to : p.to[k] !== c.to) out[p.span[k]] = 1;
  }
  return out;
}

export interface PatternChange {
  service: string;
  /** Instance with the most occurrences of the source event in the window; the instance compared, when `instanceLevel`. */
  instance: string | undefined;
  /** The window's counts were the instance's alone, against its service's reference. */
  instanceLevel?: boolean;
  from: number;
  to: number;
  /** Share of `from` followed by `to` in the reference and in the window. */
  referenceShare: number;
  windowShare: number;
  /** Two-proportion z of the change (positive: a follower appeared or grew; negative: it went missing). */
  z: number;
  windowSources: number;
}

export interface ContrastOptions {
  /** Fewest occurrences of a source event, in each of window and reference, for its followers to be judged (default 5). */
  minSources?: number;
  /**
   * Added to the standard error of a share change (default 0.05): spans of one trace are not
   * independent draws, so with many of them a small change of share is not a large one; with
   * this floor the z of a change is at most its size / 0.05.
   */
  shareFloor?: number;
  /**
   * With window and reference counts both keyed by instance (`countPairs(..., true)`): the service
   * of an instance, undefined to leave the instance out.
   */
  serviceOf?: (instance: string) => string | undefined;
}

/**
 * Two-proportion z of a share's change from the reference (kr of nr) to the window (kw of nw),
 * with `shareFloor` (default 0.05) added to the standard error, so that the z of a change is at
 * most its size / shareFloor (ContrastOptions.shareFloor says why).
 */
export function shareChangeZ(kw: number, nw: number, kr: number, nr: number, shareFloor = 0.05): number {
  const pooled = (kw + kr) / (nw + nr);
  return (kw / nw - kr / nr) / Math.sqrt(pooled * (1 - pooled) * (1 / nw + 1 / nr) + shareFloor * shareFloor);
}

/**
 * Every pattern whose share changed, per service (or per instance, with `serviceOf`), with the two-proportion z of the change: for a source event a seen
 * in both, each follower b seen in either.
 */
export function contrastPatterns(reference: PatternCounts, window: PatternCounts, opts: ContrastOptions = {}): PatternChange[] {
  const minSources = opts.minSources ?? 5;
  const out: PatternChange[] = [];
  for (const [key, wSources] of window.sources) {
    const svc = opts.serviceOf ? opts.serviceOf(key) : key;
    if (svc === undefined) continue;
    const rSources = reference.sources.get(key);
    if (!rSources) continue;
    const wPairs = window.pairs.get(key)!;
    const rPairs = reference.pairs.get(key)!;
    // Followers of each source in either table.
    const followers = new Map<number, Set<number>>();
    for (const pairs of [wPairs, rPairs]) {
      for (const key of pairs.keys()) {
        const a = Math.floor(key / PAIR);
        let f = followers.get(a);
        if (!f) followers.set(a, (f = new Set()));
        f.add(key - a * PAIR);
      }
    }
    for (const [a, nw] of wSources) {
      const nr = rSources.get(a) ?? 0;
      if (nw < minSources || nr < minSources) continue;
      for (const b of followers.get(a) ?? []) {
        const kw = wPairs.get(a * PAIR + b) ?? 0;
        const kr = rPairs.get(a * PAIR + b) ?? 0;
        const pw = kw / nw;
        const pr = kr / nr;
        if (kw === 0 && kr === 0) continue;
        const z = shareChangeZ(kw, nw, kr, nr, opts.shareFloor);
        if (opts.serviceOf) {
          out.push({ service: svc, instance: key, instanceLevel: true, from: a, to: b, referenceShare: pr, windowShare: pw, z, windowSources: nw });
          continue;
        }
        const byInst = window.instances.get(svc)?.get(a);
        let instance: string | undefined;
        let most = 0;
        if (byInst) for (const [name, c] of byInst) if (c > most || (c === most && instance !== undefined && name < instance)) [instance, most] = [name, c];
        out.push({ service: svc, instance, from: a, to: b, referenceShare: pr, windowShare: pw, z, windowSources: nw });
      }
    }
  }
  return out;
}

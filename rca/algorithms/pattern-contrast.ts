import { z } from 'zod';
import { definePlugin } from '../../common/plugin.js';
import { isError, scratchFor, type SpanAnalysis, type SpanIndex, type SpanScores } from '../span-stats.js';
import { DEFAULT_ERROR_OPERATION } from '../../data/span-status.js';
import { contrastPatterns, countPairs, EventCodes, instanceReference, pairsWithin, shareChangeZ, preferReference, LATE_PREFIX, SLOW_SUFFIX, FAILED_SUFFIX, spanPatterns, spansShowing, type PatternChange, type PatternCounts, type SpanMarks, type SpanPairs } from '../signals/event-patterns.js';
import type { EdgeGaps } from '../signals/edge-latency.js';
import { calleeNamed, logEvidence } from '../signals/log-evidence.js';
import { instancesBelowShare } from '../unknown-callees.js';
import { metricChanges, surprise } from '../signals/metric-change.js';
import { analyseWindow, fitReference, windowOwnScores, type FittedReference } from '../reference.js';
import { rankInstances, serviceOrder, type InstanceScore } from '../candidates.js';
import type { LogTable, SpanTable } from '../../data/types.js';
import type { RcaPlugin, RcaReference } from '../types.js';

interface Reference {
  calls: PatternCounts;
  logs?: PatternCounts;
  /** The same counts per instance (keyed by instance name). */
  callsByInstance: PatternCounts;
  logsByInstance?: PatternCounts;
}

/**
 * The event patterns of reference tables, counted once per (spans, logs) and coded with one
 * `EventCodes` (so that the patterns of every reference and window compare): per method instance,
 * as its settings are fixed.
 */
function referenceCache(codes: EventCodes, errorOperation: RegExp, z: number) {
  const cache = new WeakMap<SpanTable, Map<LogTable | undefined, Reference>>();
  return (spans: SpanTable, logs: LogTable | undefined): Reference => {
    let byLogs = cache.get(spans);
    if (!byLogs) cache.set(spans, (byLogs = new Map()));
    let ref = byLogs.get(logs);
    if (!ref) {
      const fitted = fitReference(spans, z, errorOperation);
      const t = fitted.analysis.table;
      const ix = fitted.analysis.index;
      const p = spanPatterns(t, codes, logs, marks(fitted.analysis, fitted.gaps, fitted.ownScores, fitted.edges.abnormal(t, fitted.gaps).abnormal, z));
      const logPairs = p.logs && logs ? pairsWithin(t, p.logs, logs.time[0], logs.time[logs.length - 1]) : undefined;
      byLogs.set(
        logs,
        (ref = {
          calls: countPairs(t, ix, p.calls),
          callsByInstance: countPairs(t, ix, p.calls, true),
          ...(logPairs ? { logs: countPairs(t, ix, logPairs), logsByInstance: countPairs(t, ix, logPairs, true) } : {}),
        }),
      );
    }
    return ref;
  };
}

/**
 * Latency marks of a table's spans: slow (own time beyond z robust sigmas and the operation's
 * reference 99th percentile; a client span's self-time is its edge gap, not its work) and late (an
 * abnormal edge gap into the span).
 */
function marks(a: SpanAnalysis, gaps: EdgeGaps, own: SpanScores, lateGap: Uint8Array, z: number): SpanMarks {
  const slow = new Uint8Array(a.table.length);
  for (let i = 0; i < slow.length; i++) {
    if (gaps.clientSpan[i] || !a.scores.known[i]) continue;
    if (own.zSelf[i] > z && own.beyondP99Self[i]) slow[i] = 1;
  }
  return { slow, late: lateGap };
}

/** One piece of evidence: a pattern change or an error-template surge, and the window spans that show it. */
interface Evidence {
  service: string;
  instance: string | undefined;
  z: number;
  spans: Uint8Array;
  explain: string;
  /**
   * Latency evidence (a call arriving late, an instance's own work slow): it can explain its
   * callers' evidence, but no callee's evidence explains it (self-time and edge gaps leave out
   * the callees' time), so its callees never discount it; late arrivals only their callers' own.
   */
  latency: boolean;
  /** Late arrivals (an abnormal edge gap into the spans): explained by the callers' own late arrivals (below). */
  late?: boolean;
}

/**
 * Per span, the strongest evidence found in its subtree on services other than its own: a change
 * seen in a span whose callees (at any depth, on other services) show evidence as strong is
 * explained by them, as errors and changed behaviour travel up to callers; weaker evidence below
 * explains it in proportion.
 */
function foreignEvidenceBelow(t: SpanTable, ix: SpanIndex, weight: Float64Array): Float64Array {
  const down = new Float64Array(t.length); // strongest evidence in the subtree, the span included
  const foreign = new Float64Array(t.length);
  // Children before parents: order rows by depth, deepest first.
  const depth = new Int32Array(t.length);
  for (let i = 0; i < t.length; i++) {
    let d = 0;
    for (let p = t.parent[i]; p >= 0 && d <= t.length; p = t.parent[p]) d++;
    depth[i] = d;
  }
  const order = Int32Array.from({ length: t.length }, (_, i) => i).sort((a, b) => depth[b] - depth[a]);
  for (const r of order) {
    let d = weight[r];
    let f = 0;
    for (let c = ix.firstChild[r]; c >= 0; c = ix.nextSibling[c]) {
      d = Math.max(d, down[c]);
      f = Math.max(f, ix.serviceOf[c] !== ix.serviceOf[r] ? down[c] : foreign[c]);
    }
    down[r] = d;
    foreign[r] = f;
  }
  return foreign;
}

/**
 * Pattern contrast after Nezha (FSE 2023): the events inside each span (its operation starting, a
 * late arrival, the calls it makes, the log templates it writes, its end and status, slow or not)
 * are compared pairwise with the fault-free reference: for each event, the share of each follower
 * in the window against the reference (two-proportion z; signals/event-patterns.ts). An expected
 * follower gone missing and a new one count alike; so does an error template that is new or surges
 * (signals/log-evidence.ts), and a metric alarm on an instance whose own work slowed. The
 * fault-free reference judges what it saw enough of; the minutes before the incident, which may
 * still carry an earlier fault, only the rest. A caller's error naming its callee is the callee's
 * evidence. Evidence other than latency is discounted, per span showing it, by the strongest
 * evidence its callees on other services show, as a share of its own (the change travelled up
 * from them; a weaker change below explains a stronger one only in part), and a service scores as
 * its strongest remaining evidence. Without logs the patterns are the trace paths alone.
 */
export const patternContrastRca: RcaPlugin = definePlugin({
  name: 'pattern-contrast',
  description: 'after Nezha: changed event patterns in spans (calls, log templates, late and slow marks), surging error templates and corroborated metric alarms, deepest first',
  options: z.strictObject({
    z: z.number().min(0).default(3).describe('z a pattern change or an error-template surge must reach to count'),
    minSources: z.number().int().min(1).default(5).describe('fewest occurrences of an event, in window and reference, before its followers are judged'),
    shareFloor: z.number().min(0).max(1).default(0.05).describe('added to the standard error of a change of share (spans of a trace are not independent)'),
    errorOperation: z.string().optional().describe("regex of operations that mark their parent failed when statuses are unknown (default: Spring's error handler)"),
    faultFreeFirst: z.boolean().default(true).describe('judge each pattern and each instance\'s error lines against the fault-free reference alone where it saw enough of them; the minutes before the incident (which may carry an earlier fault) only elsewhere'),
    namedCallees: z.boolean().default(true).describe('an error template of a caller that names one of the services it calls ("no reply from X") is evidence on that callee, not on the caller, unless the calls to it failed on the caller\'s side'),
    failedCallees: z.boolean().default(true).describe('an error template whose lines sit mostly in spans whose call to another service failed there is evidence on that callee (followed down its own failed calls), where its share of failed calls rose significantly; a failure on the caller\'s side stays the caller\'s'),
    perInstance: z.boolean().default(true).describe("also contrast each instance of a service with two or more instances in the window, against its own reference where it saw enough, else its service's: a fault on one instance is not diluted by its healthy peers"),
    alarm: z.number().min(0).default(2).describe("a metric raises an alarm when its window deviation is this many times the largest its reference shows (at least 3 robust scales)"),
  }),
  needs: ['spans'],
  uses: ['logs', 'metrics'],
  create: (options) => {
    const errorOperation = options.errorOperation !== undefined ? new RegExp(options.errorOperation) : DEFAULT_ERROR_OPERATION;
    const codes = new EventCodes();
    const referenceOf = referenceCache(codes, errorOperation, options.z);
    let faultFree: RcaReference | undefined;
    return {
      fit(reference) {
        faultFree = reference;
      },
      rank(input) {
        const logs = input.logs && input.baselineLogs ? input.logs : undefined;
        // The incident's reference (fault-free data and the minutes before it), and the fault-free data alone, preferred where it suffices.
        const pooled = referenceOf(input.baseline, logs ? input.baselineLogs : undefined);
        const primary = options.faultFreeFirst && faultFree && faultFree.spans !== input.baseline ? referenceOf(faultFree.spans, logs ? faultFree.logs : undefined) : undefined;
        const prefer = (p: PatternCounts | undefined, fallback: PatternCounts) => (p ? preferReference(p, fallback, options.minSources) : fallback);
        const ref = { calls: prefer(primary?.calls, pooled.calls), ...(pooled.logs ? { logs: prefer(primary?.logs, pooled.logs) } : {}) };
        const fitted = fitReference(input.baseline, options.z, errorOperation);
        const { analysis, gaps } = analyseWindow(input.spans, fitted, errorOperation);
        const t = analysis.table;
        const ix = analysis.index;
        const own = windowOwnScores(fitted, analysis, gaps);
        const window = spanPatterns(t, codes, logs, marks(analysis, gaps, own, fitted.edges.abnormal(t, gaps).abnormal, options.z));
        const contrast = { minSources: options.minSources, shareFloor: options.shareFloor };
        const name = (e: number) => codes.names[e];
        const evidence: Evidence[] = [];
        const shared = options.perInstance ? sharedInstances(t, ix) : undefined;
        // Calls failed on the caller's side are rare: most windows have none to look for.
        const callerFaults = t.callerFault?.includes(1) ?? false;
        // Per instance: its own reference (fault-free first) where it saw enough, else its service's.
        const instanceRef = (own: PatternCounts | undefined, pooledOwn: PatternCounts, service: PatternCounts) =>
          instanceReference(prefer(own, pooledOwn), service, shared!, options.minSources);
        const addChanges = (pairs: SpanPairs, reference: PatternCounts, byInstance: () => PatternCounts) => {
          const changes = contrastPatterns(reference, countPairs(t, ix, pairs), contrast);
          if (shared?.size) changes.push(...contrastPatterns(byInstance(), countPairs(t, ix, pairs, true), { ...contrast, serviceOf: (inst) => shared.get(inst) }));
          const slowed = slowedEnds(changes, codes);
          for (const c of changes) {
            if (Math.abs(c.z) < options.z) continue;
            const late = name(c.to).startsWith(LATE_PREFIX);
            const latency = late || name(c.to).endsWith(SLOW_SUFFIX) || slowed.has(c);
            const spans = spansShowing(t, ix, pairs, c);
            const caller = callerFaults ? callerSide(t, spans) : undefined;
            if (caller) {
              evidence.push({ ...caller, z: Math.abs(c.z), explain: `its calls failed on its side: ${describe(c, name)}`, latency, late });
              continue;
            }
            evidence.push({ service: c.service, instance: c.instance, z: Math.abs(c.z), spans, explain: describe(c, name), latency, late });
          }
        };
        addChanges(window.calls, ref.calls, () => instanceRef(primary?.callsByInstance, pooled.callsByInstance, ref.calls));
        if (window.logs && ref.logs) addChanges(window.logs, ref.logs, () => instanceRef(primary?.logsByInstance, pooled.logsByInstance!, ref.logs!));
        if (logs && window.lineSpan) {
          const faultFreeLogs = options.faultFreeFirst && faultFree?.logs && faultFree.logs !== input.baselineLogs ? faultFree.logs : undefined;
          const evidenceOf = faultFreeLogs ? logEvidence(logs, faultFreeLogs, { z: options.z, fallback: input.baselineLogs! }) : logEvidence(logs, input.baselineLogs!, { z: options.z });
          const callees = calleesOf([[t, ix], [fitted.analysis.table, fitted.analysis.index]]);
          // Callers' reports come after every instance's own evidence: on a tie, a service is explained by what it logged itself.
          const reported: Evidence[] = [];
          for (const e of evidenceOf.values()) {
            for (const s of e.surges) {
              const spans = new Uint8Array(t.length);
              for (let i = 0; i < logs.length; i++) {
                if (logs.template[i] === s.template && window.lineSpan[i] >= 0 && logs.strings[logs.instance[i]] === e.instance) spans[window.lineSpan[i]] = 1;
              }
              const explain = `error template "${logs.templates[s.template]}" ${s.count} times (reference predicts ${s.expected.toFixed(1)}), z ${s.z.toFixed(1)}`;
              const named = options.namedCallees ? calleeNamed(logs.templates[s.template], callees.get(e.service) ?? []) : undefined;
              // The caller reports its callee's failure: the evidence is the callee's, on the calls it was sent.
              const callee = named !== undefined ? namedCalls(t, ix, spans, named) : options.failedCallees ? failedCalls(t, ix, spans, e.service, fitted.analysis, options) : undefined;
              if (callee === undefined) {
                evidence.push({ service: e.service, instance: e.instance, z: s.z, spans, explain, latency: false });
                continue;
              }
              const how = named !== undefined ? 'reports it' : `reports the failed calls to it in ${callee.traced} of its ${callee.shown} spans`;
              reported.push({ service: callee.service, instance: callee.instance, z: s.z, spans: callee.rows, explain: `${e.instance} ${how}: ${explain}`, latency: false });
            }
          }
          evidence.push(...reported);
        }
        // Metric alarms, after Nezha's, where the instance's own work slowed too: a metric that moved
        // while its instance serves as before is not what hurt the calls.
        if (input.metrics) {
          const alarms = new Map<string, { service: string; metric: string; surprise: number }>();
          for (const c of metricChanges(input.metrics, input.incident)) {
            const s = surprise(c);
            if (s < options.alarm) continue;
            const a = alarms.get(c.instance);
            if (!a || s > a.surprise) alarms.set(c.instance, { service: c.service, metric: `${c.metric} ${c.direction > 0 ? 'up' : 'down'}`, surprise: s });
          }
          if (alarms.size) {
            for (const slow of slowInstances(fitted, analysis, gaps, own, options.z)) {
              const a = alarms.get(slow.instance);
              if (!a || slow.z < options.z) continue;
              evidence.push({
                service: a.service,
                instance: slow.instance,
                z: slow.z,
                spans: slow.spans,
                latency: true,
                explain: `metric alarm (${a.metric}, ${a.surprise.toFixed(1)} times the largest move of its reference) with ${slow.slow} of its ${slow.calls} calls slow on its own (reference rate predicts ${slow.expected.toFixed(1)}), z ${slow.z.toFixed(1)}`,
              });
            }
          }
        }
        // Strongest evidence on each span, then how much of each piece travelled up from other services.
        const callers = callerRows(t);
        evidence.push(...lateSenders(t, callers, evidence));
        const weight = new Float64Array(t.length);
        for (const e of evidence) for (let r = 0; r < t.length; r++) if (e.spans[r] && e.z > weight[r]) weight[r] = e.z;
        const below = foreignEvidenceBelow(t, ix, weight);
        const callerLate = lateCallers(t, callers, evidence);
        const downPeers = drainedPeers(evidence, instancesBelowShare(t, input.baseline));
        const scores = new Map<string, InstanceScore>();
        for (const e of evidence) {
          const down = e.latency && e.instance !== undefined ? downPeers.get(e.service) : undefined;
          // A peer that served less than its share and shows a change of its own loaded this one with its calls.
          const byPeer = down && down.instance !== e.instance ? Math.min(1, down.z / e.z) : 0;
          let shown = 0;
          let explained = 0;
          // Spans whose late callers explain more than the drained peer does: the explanation names the larger part.
          let lateWins = 0;
          for (let r = 0; r < t.length; r++) {
            if (!e.spans[r]) continue;
            shown++;
            if (!e.latency) {
              explained += Math.min(1, below[r] / e.z);
              continue;
            }
            const late = e.late ? Math.min(1, callerLate[r] / e.z) : 0;
            if (late > byPeer) lateWins++;
            explained += Math.max(byPeer, late);
          }
          const z = shown ? e.z * (1 - explained / shown) : e.z;
          const key = e.instance ?? e.service;
          const s = scores.get(key);
          if (!s || z > s.score) {
            const by = byPeer && 2 * lateWins <= shown ? `${down!.instance}, which served less than its share of the calls` : e.late ? 'late arrivals at the instances that sent its calls' : `stronger changes in services its ${shown} spans call`;
            scores.set(key, { service: e.service, score: z, explanation: `${e.explain}${explained ? `; ${((100 * explained) / shown).toFixed(0)}% of it explained by ${by}` : ''}` });
          }
        }
        return rankInstances(scores, serviceOrder(t));
      },
    };
  },
});

/**
 * Per service, its strongest evidence on an instance that served less than its share of the
 * service's calls (`drained`): an instance that is down, failing or slow for part of the window
 * leaves its calls to its peers, whose queues and own time grow with them, so its evidence explains
 * their latency evidence (as a callee's explains its callers'). A dead instance's calls that time
 * out without a status are latency evidence too.
 */
function drainedPeers(evidence: readonly Evidence[], drained: ReadonlySet<string>): Map<string, { instance: string; z: number }> {
  const out = new Map<string, { instance: string; z: number }>();
  if (!drained.size) return out;
  for (const e of evidence) {
    if (e.instance === undefined || !drained.has(e.instance)) continue;
    const best = out.get(e.service);
    if (!best || e.z > best.z) out.set(e.service, { instance: e.instance, z: e.z });
  }
  return out;
}

/**
 * The changes that are a span's plain end going missing because its slow end took its place: the
 * usual follower vanished as the work slowed, so the change is latency evidence, not a changed
 * path (where the failed end rose more, it is the failure's).
 */
export function slowedEnds(changes: readonly PatternChange[], codes: EventCodes): Set<PatternChange> {
  const key = (c: PatternChange, to: string) => `${c.instanceLevel ? 'i' : 's'}\u0000${c.instance ?? c.service}\u0000${c.from}\u0000${to}`;
  const rises = new Map<string, number>();
  for (const c of changes) if (c.z > 0) rises.set(key(c, codes.names[c.to]), c.z);
  const out = new Set<PatternChange>();
  for (const c of changes) {
    const to = codes.names[c.to];
    if (c.z >= 0 || !to.startsWith('end ') || to.endsWith(SLOW_SUFFIX) || to.endsWith(FAILED_SUFFIX)) continue;
    const slow = rises.get(key(c, `${to}${SLOW_SUFFIX}`)) ?? 0;
    if (slow > 0 && slow > (rises.get(key(c, `${to}${FAILED_SUFFIX}`)) ?? 0)) out.add(c);
  }
  return out;
}

/**
 * Per span, the strongest late-arrival evidence on the instance that made its call (the nearest
 * ancestor on another instance), or on that instance's service: a delay on the caller's network
 * interface holds up its requests as it holds up its replies, so calls arriving late from a caller
 * whose own calls arrive late are its evidence, not their callee's. A delayed link leaves its
 * caller's own calls on time.
 */
function lateCallers(t: SpanTable, callers: Int32Array, evidence: readonly Evidence[]): Float64Array {
  const byInstance = new Map<string, number>();
  const byService = new Map<string, number>();
  for (const e of evidence) {
    if (!e.late) continue;
    const map = e.instance !== undefined ? byInstance : byService;
    const key = e.instance ?? e.service;
    map.set(key, Math.max(map.get(key) ?? 0, e.z));
  }
  const out = new Float64Array(t.length);
  if (!byInstance.size && !byService.size) return out;
  // Per name met, a dense slot holding its z as an instance and as a service: a window shares the
  // whole input's strings, so neither a table over all of them nor a map lookup per row.
  const slot = scratchFor(t.strings);
  const codes: number[] = [];
  const instanceZ: number[] = [];
  const serviceZ: number[] = [];
  const slotOf = (code: number) => {
    let k = slot[code]!;
    if (k < 0) {
      k = slot[code] = codes.length;
      codes.push(code);
      const name = t.strings[code]!;
      instanceZ.push(byInstance.get(name) ?? 0);
      serviceZ.push(byService.get(name) ?? 0);
    }
    return k;
  };
  try {
    for (let r = 0; r < t.length; r++) {
      const p = callers[r];
      if (p >= 0) out[r] = Math.max(instanceZ[slotOf(t.instance[p])]!, serviceZ[slotOf(t.service[p])]!);
    }
  } finally {
    for (const code of codes) slot[code] = -1;
  }
  return out;
}

/** Per row, the row that made its call: its nearest ancestor on another instance (-1 for none). */
function callerRows(t: SpanTable): Int32Array {
  const out = new Int32Array(t.length);
  for (let r = 0; r < t.length; r++) {
    let p = t.parent[r];
    while (p >= 0 && t.instance[p] === t.instance[r]) p = t.parent[p];
    out[r] = p;
  }
  return out;
}

/**
 * Late-arrival evidence on the instances whose calls arrive late at two or more services: a delay
 * on an instance's network interface holds up every request it sends, which a delayed link cannot
 * do. Each such sender scores the second strongest of its callees' late arrivals (one late callee
 * is a link's), on its rows that made those calls; as late evidence, it also explains its callees'
 * (`lateCallers`). An entry service, whose own callers are not traced, shows such a delay only so.
 */
function lateSenders(t: SpanTable, callers: Int32Array, evidence: readonly Evidence[]): Evidence[] {
  // Sender instance code -> per callee service, its strongest late evidence; and the sender's rows.
  const senders = new Map<number, { service: number; callees: Map<string, number>; rows: Uint8Array }>();
  for (const e of evidence) {
    if (!e.late) continue;
    for (let r = 0; r < t.length; r++) {
      if (!e.spans[r]) continue;
      const p = callers[r];
      if (p < 0) continue;
      let s = senders.get(t.instance[p]);
      if (!s) senders.set(t.instance[p], (s = { service: t.service[p], callees: new Map(), rows: new Uint8Array(t.length) }));
      s.callees.set(e.service, Math.max(s.callees.get(e.service) ?? 0, e.z));
      s.rows[p] = 1;
    }
  }
  const out: Evidence[] = [];
  for (const [inst, s] of senders) {
    if (s.callees.size < 2) continue;
    const ranked = [...s.callees].sort((a, b) => b[1] - a[1]);
    out.push({
      service: t.strings[s.service],
      instance: t.strings[inst],
      z: ranked[1]![1],
      spans: s.rows,
      latency: true,
      late: true,
      explain: `its calls arrive late at ${s.callees.size} services (${ranked.map(([svc, z]) => `${svc} z ${z.toFixed(1)}`).join(', ')})`,
    });
  }
  return out;
}

/**
 * Where most of the spans showing a change are calls that failed on the caller's side (`callerFault`:
 * the request never reached its callee, lost as it left the caller or sent where nobody listens),
 * the caller instance most of them came from, with those calls' parent rows: the change is its.
 */
function callerSide(t: SpanTable, spans: Uint8Array): { service: string; instance: string; spans: Uint8Array } | undefined {
  let shown = 0;
  let faulty = 0;
  const callers = new Set<number>();
  for (let r = 0; r < t.length; r++) {
    if (!spans[r]) continue;
    shown++;
    const p = t.parent[r];
    if (!t.callerFault![r] || p < 0) continue;
    faulty++;
    callers.add(p);
  }
  if (faulty * 2 <= shown) return undefined;
  const byInstance = new Map<number, number>();
  for (const p of callers) byInstance.set(t.instance[p], (byInstance.get(t.instance[p]) ?? 0) + 1);
  let instance = -1;
  let most = 0;
  for (const [inst, n] of byInstance) if (n > most) [instance, most] = [inst, n];
  const rows = new Uint8Array(t.length);
  let service = -1;
  for (const p of callers) {
    if (t.instance[p] !== instance) continue;
    rows[p] = 1;
    service = t.service[p];
  }
  return { service: t.strings[service], instance: t.strings[instance], spans: rows };
}

/** A callee a caller's error lines are about: its calls from the spans holding the lines, and the instance most of them reached. */
interface CalleeCalls {
  service: string;
  instance: string | undefined;
  rows: Uint8Array;
  /** Spans holding the lines, and how many of them the callee's calls were found below. */
  shown: number;
  traced: number;
}

function calleeCalls(t: SpanTable, service: string, rows: Uint8Array, shown: number, traced: number): CalleeCalls {
  const instances = new Map<number, number>();
  for (let r = 0; r < t.length; r++) if (rows[r]) instances.set(t.instance[r], (instances.get(t.instance[r]) ?? 0) + 1);
  let instance: string | undefined;
  let most = 0;
  for (const [inst, n] of instances) if (n > most) [instance, most] = [t.strings[inst], n];
  return { service, instance, rows, shown, traced };
}

/**
 * The calls to `callee` made from the spans holding a caller's lines that name it (or holding them
 * itself: a line the caller wrote about a call may carry that call's span, where a call is one
 * row); undefined when most of those calls failed on the caller's side (the request never reached
 * the callee: a misconfigured caller names the service it could not reach).
 */
function namedCalls(t: SpanTable, ix: SpanIndex, spans: Uint8Array, callee: string): CalleeCalls | undefined {
  const rows = new Uint8Array(t.length);
  const svc = ix.services.indexOf(callee);
  let calls = 0;
  let callerSide = 0;
  for (let r = 0; r < t.length; r++) {
    const p = t.parent[r];
    if (!(spans[r] || (p >= 0 && spans[p])) || ix.serviceOf[r] !== svc) continue;
    rows[r] = 1;
    calls++;
    if (t.callerFault?.[r]) callerSide++;
  }
  return callerSide * 2 > calls ? undefined : calleeCalls(t, callee, rows, calls, calls);
}

/**
 * Where most of the spans holding a caller's lines made a call to another service that failed
 * there (a system failure, not on the caller's side), the callee whose failure they report: the
 * failure is followed down the callee's own failed calls to the deepest (as a timeout travels up
 * a chain of callers). The service most of those failures trace to, with its failed calls. A line
 * may carry the span of the call it is about (where a call is one row, on the callee's service):
 * that call is then the one to follow. Only a callee whose share of failed calls rose significantly
 * above its reference's (`shareChangeZ` >= z) is blamed: failures it has always had are not news.
 */
function failedCalls(
  t: SpanTable,
  ix: SpanIndex,
  spans: Uint8Array,
  writer: string,
  reference: SpanAnalysis,
  opts: { z: number; shareFloor: number },
): CalleeCalls | undefined {
  const failed = (c: number) => isError(t, c) && !t.callerFault?.[c];
  const sourceOf = (r: number): number => {
    for (let c = ix.firstChild[r]; c >= 0; c = ix.nextSibling[c]) {
      if (ix.serviceOf[c] === ix.serviceOf[r]) {
        // The caller's own spans (a client span, an internal step) lead on to its calls.
        const s = sourceOf(c);
        if (s >= 0) return s;
        continue;
      }
      if (!failed(c)) continue;
      const s = sourceOf(c);
      return s >= 0 ? s : c;
    }
    return -1;
  };
  let shown = 0;
  const sources: number[] = [];
  for (let r = 0; r < t.length; r++) {
    if (!spans[r]) continue;
    shown++;
    const about = ix.services[ix.serviceOf[r]] !== writer;
    if (about && !failed(r)) continue;
    const s = sourceOf(r);
    if (s >= 0 || about) sources.push(s >= 0 ? s : r);
  }
  if (sources.length * 2 <= shown) return undefined;
  const perService = new Map<number, number>();
  for (const s of sources) perService.set(ix.serviceOf[s], (perService.get(ix.serviceOf[s]) ?? 0) + 1);
  let service = -1;
  let most = 0;
  for (const [svc, n] of perService) if (n > most) [service, most] = [svc, n];
  // The callee's failures must be news: a share of failed calls its reference did not show.
  const failedShare = (table: SpanTable, index: SpanIndex, name: string): [number, number] => {
    const svc = index.services.indexOf(name);
    const { calls, failed } = failuresPerService(table, index);
    return svc < 0 ? [0, 0] : [calls[svc], failed[svc]];
  };
  const name = ix.services[service];
  const [nw, kw] = failedShare(t, ix, name);
  const [nr, kr] = failedShare(reference.table, reference.index, name);
  if (!nr || shareChangeZ(kw, nw, kr, nr, opts.shareFloor) < opts.z) return undefined;
  const rows = new Uint8Array(t.length);
  for (const s of sources) if (ix.serviceOf[s] === service) rows[s] = 1;
  return calleeCalls(t, name, rows, shown, sources.length);
}

// A table's calls and failures per service, counted once for every template and incident that asks.
const failuresByIndex = new WeakMap<SpanIndex, { calls: Int32Array; failed: Int32Array }>();

/** Per dense service of a table, its spans and those failed on its own side (not the caller's). */
function failuresPerService(t: SpanTable, ix: SpanIndex): { calls: Int32Array; failed: Int32Array } {
  let out = failuresByIndex.get(ix);
  if (out) return out;
  out = { calls: new Int32Array(ix.services.length), failed: new Int32Array(ix.services.length) };
  for (let r = 0; r < t.length; r++) {
    out.calls[ix.serviceOf[r]]++;
    if (isError(t, r) && !t.callerFault?.[r]) out.failed[ix.serviceOf[r]]++;
  }
  failuresByIndex.set(ix, out);
  return out;
}

/** Per instance of the window, its service, for services with two or more instances there. */
function sharedInstances(t: SpanTable, ix: SpanIndex): Map<string, string> {
  const instancesOf = new Map<number, Set<number>>();
  for (let r = 0; r < t.length; r++) {
    let set = instancesOf.get(ix.serviceOf[r]);
    if (!set) instancesOf.set(ix.serviceOf[r], (set = new Set()));
    set.add(t.instance[r]);
  }
  const out = new Map<string, string>();
  for (const [svc, set] of instancesOf) if (set.size > 1) for (const inst of set) out.set(t.strings[inst], ix.services[svc]);
  return out;
}

/** Per service, the other services it calls in either table. */
function calleesOf(tables: [SpanTable, SpanIndex][]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [t, ix] of tables) {
    for (const [caller, callees] of calleesIn(t, ix)) {
      let set = out.get(caller);
      if (!set) out.set(caller, (set = new Set()));
      for (const c of callees) set.add(c);
    }
  }
  return out;
}

// A reference table's callees, found once for every incident that it is the reference of.
const calleesByIndex = new WeakMap<SpanIndex, Map<string, Set<string>>>();

/** Per service, the other services it calls in one table (service pairs found by dense index, named once). */
function calleesIn(t: SpanTable, ix: SpanIndex): Map<string, Set<string>> {
  let out = calleesByIndex.get(ix);
  if (out) return out;
  const k = ix.services.length;
  const pairs = new Uint8Array(k * k);
  for (let r = 0; r < t.length; r++) {
    const p = t.parent[r];
    if (p >= 0) pairs[ix.serviceOf[p] * k + ix.serviceOf[r]] = 1;
  }
  out = new Map();
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      if (a === b || !pairs[a * k + b]) continue;
      let set = out.get(ix.services[a]);
      if (!set) out.set(ix.services[a], (set = new Set()));
      set.add(ix.services[b]);
    }
  }
  calleesByIndex.set(ix, out);
  return out;
}

/**
 * Per instance of the window, how significantly more of its calls are slow on their own account
 * (own time beyond z robust sigmas of the operation's reference) than the reference rate of its
 * service predicts (binomial z, floored like the pattern shares), and which spans those are.
 */
function slowInstances(ref: FittedReference, analysis: SpanAnalysis, gaps: EdgeGaps, own: SpanScores, zLimit: number) {
  const refRate = new Map<string, [number, number]>();
  const rt = ref.analysis.table;
  const refOwn = ref.ownScores;
  for (let i = 0; i < rt.length; i++) {
    if (ref.gaps.clientSpan[i] || !ref.analysis.scores.known[i]) continue;
    const key = rt.strings[rt.service[i]];
    const r = refRate.get(key) ?? [0, 0];
    r[0]++;
    if (refOwn.zSelf[i] > zLimit) r[1]++;
    refRate.set(key, r);
  }
  const t = analysis.table;
  const byInstance = new Map<number, { calls: number; slow: number; service: number; spans: Uint8Array }>();
  for (let i = 0; i < t.length; i++) {
    if (gaps.clientSpan[i] || !analysis.scores.known[i]) continue;
    let s = byInstance.get(t.instance[i]);
    if (!s) byInstance.set(t.instance[i], (s = { calls: 0, slow: 0, service: t.service[i], spans: new Uint8Array(t.length) }));
    s.calls++;
    if (own.zSelf[i] > zLimit) {
      s.slow++;
      s.spans[i] = 1;
    }
  }
  return [...byInstance].map(([inst, s]) => {
    const [n, k] = refRate.get(t.strings[s.service]) ?? [0, 0];
    const p = (k + 1) / (n + 2);
    const expected = s.calls * p;
    return { instance: t.strings[inst], calls: s.calls, slow: s.slow, expected, spans: s.spans, z: (s.slow - expected) / Math.sqrt(expected * (1 - p) + 0.0025 * s.calls * s.calls + 1) };
  });
}

function describe(c: PatternChange, name: (e: number) => string): string {
  return `"${name(c.from)}" followed by "${name(c.to)}" in ${(100 * c.windowShare).toFixed(0)}% of ${c.windowSources} (reference ${(100 * c.referenceShare).toFixed(0)}%), z ${c.z.toFixed(1)}`;
}

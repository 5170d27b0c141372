import { z } from 'zod';
import { definePlugin } from '../../common/plugin.js';
import type { SpanAnalysis, SpanIndex } from '../span-stats.js';
import { DEFAULT_ERROR_OPERATION } from '../../data/span-status.js';
import { contrastPatterns, countPairs, EventCodes, pairsWithin, preferReference, LATE_PREFIX, SLOW_SUFFIX, spanPatterns, spansShowing, type PatternChange, type PatternCounts, type SpanMarks, type SpanPairs } from '../signals/event-patterns.js';
import type { EdgeGaps } from '../signals/edge-latency.js';
import { calleeNamed, logEvidence } from '../signals/log-evidence.js';
import { metricChanges, surprise } from '../signals/metric-change.js';
import { analyseWindow, fitReference, type FittedReference } from '../reference.js';
import { rankInstances, serviceOrder, type InstanceScore } from '../candidates.js';
import type { LogTable, SpanTable } from '../../data/types.js';
import type { RcaPlugin, RcaReference } from '../types.js';

interface Reference {
  calls: PatternCounts;
  logs?: PatternCounts;
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
      const p = spanPatterns(t, codes, logs, marks(fitted.analysis, fitted.gaps, fitted.edges.abnormal(t, fitted.gaps).abnormal, z));
      const logPairs = p.logs && logs ? pairsWithin(t, p.logs, logs.time[0], logs.time[logs.length - 1]) : undefined;
      byLogs.set(logs, (ref = { calls: countPairs(t, ix, p.calls), ...(logPairs ? { logs: countPairs(t, ix, logPairs) } : {}) }));
    }
    return ref;
  };
}

/**
 * Latency marks of a table's spans: slow (own self-time beyond z robust sigmas and the operation's
 * reference 99th percentile; a client span's self-time is its edge gap, not its work) and late (an
 * abnormal edge gap into the span).
 */
function marks(a: SpanAnalysis, gaps: EdgeGaps, lateGap: Uint8Array, z: number): SpanMarks {
  const slow = new Uint8Array(a.table.length);
  for (let i = 0; i < slow.length; i++) {
    if (gaps.clientSpan[i] || !a.scores.known[i]) continue;
    if (a.scores.zSelf[i] > z && a.scores.beyondP99Self[i]) slow[i] = 1;
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
   * the callees' time), so it is never discounted.
   */
  latency: boolean;
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
    namedCallees: z.boolean().default(true).describe('an error template of a caller that names one of the services it calls ("no reply from X") is evidence on that callee, not on the caller'),
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
        const ref: Reference = { calls: prefer(primary?.calls, pooled.calls), ...(pooled.logs ? { logs: prefer(primary?.logs, pooled.logs) } : {}) };
        const fitted = fitReference(input.baseline, options.z, errorOperation);
        const { analysis, gaps } = analyseWindow(input.spans, fitted, errorOperation);
        const t = analysis.table;
        const ix = analysis.index;
        const window = spanPatterns(t, codes, logs, marks(analysis, gaps, fitted.edges.abnormal(t, gaps).abnormal, options.z));
        const contrast = { minSources: options.minSources, shareFloor: options.shareFloor };
        const name = (e: number) => codes.names[e];
        const evidence: Evidence[] = [];
        const addChanges = (pairs: SpanPairs, reference: PatternCounts) => {
          for (const c of contrastPatterns(reference, countPairs(t, ix, pairs), contrast)) {
            if (Math.abs(c.z) < options.z) continue;
            const latency = name(c.to).startsWith(LATE_PREFIX) || name(c.to).endsWith(SLOW_SUFFIX);
            evidence.push({ service: c.service, instance: c.instance, z: Math.abs(c.z), spans: spansShowing(t, ix, pairs, c), explain: describe(c, name), latency });
          }
        };
        addChanges(window.calls, ref.calls);
        if (window.logs && ref.logs) addChanges(window.logs, ref.logs);
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
              const callee = options.namedCallees ? calleeNamed(logs.templates[s.template], callees.get(e.service) ?? []) : undefined;
              if (callee === undefined) {
                evidence.push({ service: e.service, instance: e.instance, z: s.z, spans, explain, latency: false });
                continue;
              }
              // The caller reports its callee's failure: the evidence is the callee's, on the calls it was sent.
              const calls = new Uint8Array(t.length);
              const instances = new Map<number, number>();
              for (let r = 0; r < t.length; r++) {
                const p = t.parent[r];
                if (p < 0 || !spans[p] || ix.services[ix.serviceOf[r]] !== callee) continue;
                calls[r] = 1;
                instances.set(t.instance[r], (instances.get(t.instance[r]) ?? 0) + 1);
              }
              let instance: string | undefined;
              let most = 0;
              for (const [inst, n] of instances) if (n > most) [instance, most] = [t.strings[inst], n];
              reported.push({ service: callee, instance, z: s.z, spans: calls, explain: `${e.instance} reports it: ${explain}`, latency: false });
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
            for (const slow of slowInstances(fitted, analysis, gaps, options.z)) {
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
        const weight = new Float64Array(t.length);
        for (const e of evidence) for (let r = 0; r < t.length; r++) if (e.spans[r] && e.z > weight[r]) weight[r] = e.z;
        const below = foreignEvidenceBelow(t, ix, weight);
        const scores = new Map<string, InstanceScore>();
        for (const e of evidence) {
          let shown = 0;
          let explained = 0;
          for (let r = 0; r < t.length; r++) {
            if (!e.spans[r]) continue;
            shown++;
            if (!e.latency) explained += Math.min(1, below[r] / e.z);
          }
          const z = shown && !e.latency ? e.z * (1 - explained / shown) : e.z;
          const key = e.instance ?? e.service;
          const s = scores.get(key);
          if (!s || z > s.score) {
            scores.set(key, { service: e.service, score: z, explanation: `${e.explain}${explained ? `; ${((100 * explained) / shown).toFixed(0)}% of it explained by stronger changes in services its ${shown} spans call` : ''}` });
          }
        }
        return rankInstances(scores, serviceOrder(t));
      },
    };
  },
});

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
 * (self-time beyond z robust sigmas of the operation's reference) than the reference rate of its
 * service predicts (binomial z, floored like the pattern shares), and which spans those are.
 */
function slowInstances(ref: FittedReference, analysis: SpanAnalysis, gaps: EdgeGaps, zLimit: number) {
  const refRate = new Map<string, [number, number]>();
  const rt = ref.analysis.table;
  for (let i = 0; i < rt.length; i++) {
    if (ref.gaps.clientSpan[i] || !ref.analysis.scores.known[i]) continue;
    const key = rt.strings[rt.service[i]];
    const r = refRate.get(key) ?? [0, 0];
    r[0]++;
    if (ref.analysis.scores.zSelf[i] > zLimit) r[1]++;
    refRate.set(key, r);
  }
  const t = analysis.table;
  const byInstance = new Map<number, { calls: number; slow: number; service: number; spans: Uint8Array }>();
  for (let i = 0; i < t.length; i++) {
    if (gaps.clientSpan[i] || !analysis.scores.known[i]) continue;
    let s = byInstance.get(t.instance[i]);
    if (!s) byInstance.set(t.instance[i], (s = { calls: 0, slow: 0, service: t.service[i], spans: new Uint8Array(t.length) }));
    s.calls++;
    if (analysis.scores.zSelf[i] > zLimit) {
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

/**
 * How strongly each incident changed its root cause's calls, from the spans alone: the median
 * latency, own time and edge gap of the calls into the root-cause service (its instance, where the
 * incident names one) in the incident window, over the same medians in the fault-free reference.
 * Kept with each item's results so that `faultline fidelity` can say whether a simulation's faults
 * are as strong as the real ones of the same type: a twin whose CPU faults slow a pod 1.7 times
 * cannot stand in for real ones that slow it 10 times, whatever its methods score.
 */
import { stableOrder } from '../common/argsort.js';
import { quantileSorted } from '../common/quantile.js';
import { lowerBound } from '../common/sorted.js';
import type { CallView } from './call-view.js';
import { round4 } from './telemetry-profile.js';
import { SPAN_STATUS, type Incident } from './types.js';

/** Calls a median needs on each side; with fewer the effect is not measured (null). */
export const MIN_EFFECT_CALLS = 5;

/** The effect measures, in the order reports show them. */
export const EFFECT_MEASURES = ['latency', 'self', 'gap'] as const;
export type EffectMeasure = (typeof EFFECT_MEASURES)[number];

export const EFFECT_LABELS: Readonly<Record<EffectMeasure, string>> = {
  latency: 'latency of the calls into the root cause',
  self: "the root cause's own time",
  gap: 'edge gap into the root cause',
};

export interface FaultEffect {
  faultId: string;
  /** The root-cause service whose calls were measured, and its instance when the incident names one the data has. */
  service: string;
  instance?: string;
  /** Calls into it: [reference, incident window]. */
  calls: [number, number];
  /** Median in the window over median in the reference, of the callee's handling time; null with too few calls. */
  latency: number | null;
  /** The same, of its own time (handling minus waiting on its synchronous calls). */
  self: number | null;
  /**
   * The same, of the edge gap: the caller's wait minus the callee's handling, over two-way calls
   * whose caller's view is recorded (network and the callee's work outside its span: queueing,
   * reading the request, writing the reply). Null without such calls or with no positive reference gap.
   */
  gap: number | null;
  /** Share of failed calls (system failures), [reference, window]; null where no call's status is known. */
  failed: [number, number] | null;
}

/** Distinct names among a view's codes (services or instances), by name. */
function names(v: CallView, codes: Int32Array): Map<string, number> {
  const out = new Map<string, number>();
  const seen = new Uint8Array(v.table.strings.length);
  for (let c = 0; c < v.length; c++) {
    const code = codes[c]!;
    if (seen[code]) continue;
    seen[code] = 1;
    out.set(v.table.strings[code]!, code);
  }
  return out;
}

/** A view's calls by start time, with its service and instance names. */
interface Side {
  view: CallView;
  services: Map<string, number>;
  instances: Map<string, number>;
  /** Call indexes in start order, and their starts. */
  order: Int32Array;
  starts: Float64Array;
}

function side(view: CallView): Side {
  const order = stableOrder(view.start);
  return { view, services: names(view, view.service), instances: names(view, view.instance), order, starts: Float64Array.from(order, (c) => view.start[c]!) };
}

/** The calls into `service` (and `instance`, where given) that start in [from, until), by binary search on the start order. */
function callsInto(s: Side, service: string, instance: string | undefined, from: number, until: number): Int32Array {
  const svc = s.services.get(service);
  if (svc === undefined) return new Int32Array(0);
  const inst = instance === undefined ? -1 : (s.instances.get(instance) ?? -2);
  const v = s.view;
  const out: number[] = [];
  for (let k = lowerBound(s.starts, from), end = lowerBound(s.starts, until); k < end; k++) {
    const c = s.order[k]!;
    if (v.service[c] === svc && (inst === -1 || v.instance[c] === inst)) out.push(c);
  }
  return Int32Array.from(out);
}

/** The calls of a side that start before `until`, per service code, in start order: one pass, so a reference serves every root cause. */
function referenceCalls(s: Side, until: number): Map<number, Int32Array> {
  const end = lowerBound(s.starts, until);
  const service = s.view.service;
  const codes = [...s.services.values()];
  // Counts by service code (service codes are a few among the table's strings).
  const count = new Int32Array(Math.max(0, ...codes) + 1);
  for (let k = 0; k < end; k++) count[service[s.order[k]!]!]!++;
  const lists = codes.map((svc) => new Int32Array(count[svc]!));
  const listOf: Int32Array[] = [];
  codes.forEach((svc, j) => (listOf[svc] = lists[j]!));
  count.fill(0);
  for (let k = 0; k < end; k++) {
    const c = s.order[k]!;
    const svc = service[c]!;
    listOf[svc]![count[svc]!++] = c;
  }
  return new Map(codes.map((svc, j) => [svc, lists[j]!]));
}

/** A median and how many values it was taken over. */
interface Median {
  value: number;
  n: number;
}

/** What an effect is computed from, on one side: medians taken once (a reference serves many incidents). */
interface Summary {
  calls: number;
  latency: Median;
  self: Median;
  gap: Median;
  known: number;
  failed: number;
}

function median(values: number[]): Median {
  return { value: quantileSorted(Float64Array.from(values).sort(), 0.5), n: values.length };
}

/** Window median over reference median, 4 significant digits; null with too few values or no positive reference. */
function ratio(reference: Median, window: Median): number | null {
  if (reference.n < MIN_EFFECT_CALLS || window.n < MIN_EFFECT_CALLS) return null;
  return reference.value > 0 && window.value >= 0 ? round4(window.value / reference.value) : null;
}

function summarise(v: CallView, calls: Int32Array): Summary {
  const latency: number[] = [];
  const self: number[] = [];
  const gap: number[] = [];
  let known = 0;
  let failed = 0;
  for (const c of calls) {
    const handling = v.end[c]! - v.start[c]!;
    latency.push(handling);
    self.push(v.selfMs[c]!);
    const wait = v.clientEnd[c]! - v.clientStart[c]!;
    if (!v.async[c] && Number.isFinite(wait)) gap.push(Math.max(0, wait - handling));
    if (v.status[c] !== SPAN_STATUS.unknown) {
      known++;
      if (v.status[c] === SPAN_STATUS.system) failed++;
    }
  }
  return { calls: calls.length, latency: median(latency), self: median(self), gap: median(gap), known, failed };
}

/**
 * The effect of each incident with a root cause (see the module comment). The reference is the
 * calls of `reference` (the fault-free spans given apart) or, without it, the calls of `view` that
 * start before the first incident. An instance reference is used where it holds enough calls,
 * else the service's.
 */
export function faultEffects(view: CallView, incidents: Incident[], reference?: CallView): FaultEffect[] {
  const here = side(view);
  const ref = reference ? side(reference) : here;
  const refUntil = reference ? Infinity : incidents.reduce((m, i) => Math.min(m, i.start), Infinity);
  // The reference of a root cause is the same for each of its incidents: measured once.
  const references = new Map<string, Summary | null>();
  let perService: Map<number, Int32Array> | undefined;
  const referenceOf = (service: string, instance: string | undefined): Summary | undefined => {
    const key = `${service}\u0000${instance ?? ''}`;
    if (!references.has(key)) {
      perService ??= referenceCalls(ref, refUntil);
      const svc = ref.services.get(service);
      const inst = instance === undefined ? -1 : (ref.instances.get(instance) ?? -2);
      const all = (svc !== undefined ? perService.get(svc) : undefined) ?? new Int32Array(0);
      const m = summarise(ref.view, inst === -1 ? all : all.filter((c) => ref.view.instance[c] === inst));
      // An instance's own reference only where it has enough calls; else the service's.
      references.set(key, instance !== undefined && m.calls < MIN_EFFECT_CALLS ? null : m);
    }
    return references.get(key) ?? undefined;
  };
  const out: FaultEffect[] = [];
  for (const incident of incidents) {
    const service = incident.rootCause[0];
    if (service === undefined) continue;
    const instance = incident.rootCauseInstance !== undefined && here.instances.has(incident.rootCauseInstance) ? incident.rootCauseInstance : undefined;
    const inWindow = callsInto(here, service, instance, incident.start, incident.end);
    const r = (instance !== undefined ? referenceOf(service, instance) : undefined) ?? referenceOf(service, undefined)!;
    const w = summarise(view, inWindow);
    out.push({
      faultId: incident.id,
      service,
      ...(instance !== undefined ? { instance } : {}),
      calls: [r.calls, inWindow.length],
      latency: ratio(r.latency, w.latency),
      self: ratio(r.self, w.self),
      gap: ratio(r.gap, w.gap),
      failed: r.known && w.known ? [round4(r.failed / r.known), round4(w.failed / w.known)] : null,
    });
  }
  return out;
}

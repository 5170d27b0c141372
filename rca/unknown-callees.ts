/**
 * The callee of a call that left no server span. A client span whose server span is missing (the
 * request never arrived: a crashed or hung instance, a lost packet, a callee that records no spans)
 * names no callee unless it carries a peer attribute; the span reader gives it the callee
 * `unknown` (data/span-assembly.ts). Yet such calls are the main trace of a dead instance: it
 * writes nothing, and its callers' calls to it fail or time out. The client span keeps the
 * operation it called, and where the server spans of the same data (the table itself or its
 * reference) show exactly one service serving that operation, that service is the callee. The
 * instance stays unknown: the call is given the instance `<service>/unknown`, one per service, so
 * that per-instance evidence is not pooled across services.
 */
import { UNKNOWN_CALLEE } from '../data/span-assembly.js';
import { logBinomialUpperTail } from '../detectors/stats.js';
import type { SpanTable } from '../data/types.js';

/** Code of an operation served by more than one service. */
const AMBIGUOUS = -2;

/** Per operation name, the one service whose calls of it name a callee (absent when several do). */
function servingServices(tables: readonly SpanTable[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const t of tables) {
    const unknown = t.strings.indexOf(UNKNOWN_CALLEE);
    // Operation code -> service code, AMBIGUOUS when several: integers per row, names per operation.
    const byCode = new Map<number, number>();
    for (let i = 0; i < t.length; i++) {
      const s = t.service[i];
      if (s === unknown) continue;
      const seen = byCode.get(t.operation[i]);
      if (seen === undefined) byCode.set(t.operation[i], s);
      else if (seen !== s) byCode.set(t.operation[i], AMBIGUOUS);
    }
    for (const [op, s] of byCode) {
      const name = t.strings[op];
      const service = s === AMBIGUOUS ? null : t.strings[s];
      const prior = out.get(name);
      out.set(name, prior === undefined ? service : prior === service ? prior : null);
    }
  }
  return out;
}

/**
 * The tables with the callee of each call to `unknown` named from its operation where one service
 * serves it in any of them (see the module comment): a table where no call goes to `unknown`, or
 * none can be named, is returned as it is. Other columns are shared with the input.
 */
export function nameUnknownCallees(tables: readonly SpanTable[]): SpanTable[] {
  let serving: Map<string, string | null> | undefined;
  return tables.map((t) => {
    const unknown = t.strings.indexOf(UNKNOWN_CALLEE);
    if (unknown < 0) return t;
    let any = false;
    for (let i = 0; i < t.length && !any; i++) any = t.service[i] === unknown && t.instance[i] === unknown;
    if (!any) return t;
    serving ??= servingServices(tables);
    return named(t, unknown, serving);
  });
}

/** `t` with its calls to `unknown` (code `unknown`) put on `<service>/unknown` where `serving` names the service. */
function named(t: SpanTable, unknown: number, serving: Map<string, string | null>): SpanTable {
  const strings = t.strings.slice();
  const codes = new Map<string, { service: number; instance: number }>();
  const code = (name: string) => {
    let c = codes.get(name);
    if (!c) {
      const known = t.strings.indexOf(name);
      const service = known >= 0 ? known : strings.push(name) - 1;
      codes.set(name, (c = { service, instance: strings.push(`${name}/${UNKNOWN_CALLEE}`) - 1 }));
    }
    return c;
  };
  const byOperation = new Map<number, { service: number; instance: number } | null>();
  let service: Int32Array | undefined;
  let instance: Int32Array | undefined;
  for (let i = 0; i < t.length; i++) {
    if (t.service[i] !== unknown || t.instance[i] !== unknown) continue;
    const op = t.operation[i];
    let callee = byOperation.get(op);
    if (callee === undefined) {
      const s = serving.get(t.strings[op]);
      byOperation.set(op, (callee = s ? code(s) : null));
    }
    if (!callee) continue;
    service ??= t.service.slice();
    instance ??= t.instance.slice();
    service[i] = callee.service;
    instance[i] = callee.instance;
  }
  return service && instance ? { ...t, strings, service, instance } : t;
}

/** Calls an instance must be expected to serve in a window before its silence there counts (no call at a Poisson mean of 10: 4.5e-5). */
const MIN_EXPECTED_CALLS = 10;

/** Chance below which an instance's lost share of its service's spans counts: about a silent instance's at MIN_EXPECTED_CALLS. */
const LOG_LOST_SHARE = Math.log(1e-4);

/**
 * An incident window's calls put on `<service>/unknown` (above), named to the instance that is
 * down. A dead instance is the one whose calls leave no server span, and the one that writes
 * nothing else either; of the service's instances in the reference:
 * - the one that fell silent: no span in the window though its reference rate (spans per minute
 *   with spans) makes MIN_EXPECTED_CALLS of them expected;
 * - else the one down part of the time (a crash loop: it serves between its crashes, and its
 *   peers take the calls it drops): the one whose share of its service's spans in the window fell
 *   below its reference share beyond chance (binomial lower tail under LOG_LOST_SHARE), where no
 *   other one did.
 * Where none is found, or several, the calls stay on `<service>/unknown`. The window itself when
 * nothing is renamed.
 */
export function nameDownInstances(window: SpanTable, reference: SpanTable, windowMs: number): SpanTable {
  // Instance code -> its service's name, for the `<service>/unknown` instances the window holds.
  const pending = new Map<number, string>();
  const unknownInstances = unknownInstanceCodes(window.strings);
  if (unknownInstances.size) {
    for (let i = 0; i < window.length; i++) {
      const inst = window.instance[i];
      if (unknownInstances.has(inst) && !pending.has(inst)) pending.set(inst, window.strings[window.service[i]]);
    }
  }
  if (!pending.size) return window;
  const services = new Set(pending.values());
  const minutes = referenceCounts(reference).minutes;
  const instances = instanceSpans(window, reference, services);
  const down = new Map<string, string>();
  for (const [service, mine] of instances) {
    const silent = mine.filter(([, c]) => c.window === 0 && (c.reference / Math.max(1, minutes)) * (windowMs / 60_000) >= MIN_EXPECTED_CALLS);
    if (silent.length) {
      if (silent.length === 1) down.set(service, silent[0]![0]);
      continue;
    }
    const lost = belowShare(mine);
    if (lost.length === 1) down.set(service, lost[0]!);
  }
  const renamed = new Map<number, number>();
  let strings = window.strings;
  for (const [code, service] of pending) {
    const name = down.get(service);
    if (name === undefined) continue;
    // The tables of a run share one string table: a name it has keeps its code.
    const known = strings.indexOf(name);
    if (known >= 0) {
      renamed.set(code, known);
      continue;
    }
    if (strings === window.strings) strings = window.strings.slice();
    renamed.set(code, strings.push(name) - 1);
  }
  if (!renamed.size) return window;
  const instance = window.instance.slice();
  for (let i = 0; i < instance.length; i++) {
    const to = renamed.get(instance[i]);
    if (to !== undefined) instance[i] = to;
  }
  return { ...window, strings, instance };
}

/** An instance's spans in the reference and in the window. */
interface InstanceSpans {
  reference: number;
  window: number;
}

/**
 * Per service of the reference (of `services` only, when given), its instances with their spans in
 * the reference and in the window, by name (the reference may have its own string table).
 */
function instanceSpans(window: SpanTable, reference: SpanTable, services?: ReadonlySet<string>): Map<string, [string, InstanceSpans][]> {
  const byName = new Map<string, InstanceSpans>();
  const out = new Map<string, [string, InstanceSpans][]>();
  for (const [code, c] of referenceCounts(reference).spans) {
    const service = reference.strings[c.service];
    if (services && !services.has(service)) continue;
    const counts = { reference: c.spans, window: 0 };
    byName.set(reference.strings[code], counts);
    let mine = out.get(service);
    if (!mine) out.set(service, (mine = []));
    mine.push([reference.strings[code], counts]);
  }
  for (const [code, n] of windowInstanceSpans(window)) {
    const c = byName.get(window.strings[code]);
    if (c) c.window = n;
  }
  return out;
}

/** A window's spans per instance code, once per window: the down-instance and drained-peer checks both count them. */
const windowCounts = new WeakMap<SpanTable, Map<number, number>>();
function windowInstanceSpans(window: SpanTable): Map<number, number> {
  let out = windowCounts.get(window);
  if (!out) {
    out = new Map();
    for (let i = 0; i < window.length; i++) out.set(window.instance[i], (out.get(window.instance[i]) ?? 0) + 1);
    windowCounts.set(window, out);
  }
  return out;
}

/**
 * Of one service's instances, those that served a share of its window spans below their reference
 * share beyond chance (binomial lower tail under LOG_LOST_SHARE).
 */
function belowShare(mine: readonly [string, InstanceSpans][]): string[] {
  const referenceTotal = mine.reduce((sum, [, c]) => sum + c.reference, 0);
  const windowTotal = mine.reduce((sum, [, c]) => sum + c.window, 0);
  if (!windowTotal) return [];
  // P(X <= k) for X ~ Binomial(n, share) is P(Y >= n - k) for Y ~ Binomial(n, 1 - share).
  return mine.filter(([, c]) => logBinomialUpperTail(windowTotal - c.window, windowTotal, 1 - c.reference / referenceTotal) < LOG_LOST_SHARE).map(([name]) => name);
}

/**
 * The instances of a window that served a share of their service's spans below their reference
 * share beyond chance (as `nameDownInstances` judges a crash loop): down or taken out of the
 * balancing for part of the window, their peers taking their calls.
 */
export function instancesBelowShare(window: SpanTable, reference: SpanTable): Set<string> {
  const out = new Set<string>();
  for (const mine of instanceSpans(window, reference).values()) for (const name of belowShare(mine)) out.add(name);
  return out;
}

/** Codes of the `<service>/unknown` instances a string table holds, once per table (a run's tables share theirs). */
const unknownCodes = new WeakMap<string[], Set<number>>();
function unknownInstanceCodes(strings: string[]): Set<number> {
  let codes = unknownCodes.get(strings);
  if (!codes) {
    const suffix = `/${UNKNOWN_CALLEE}`;
    codes = new Set();
    for (let k = 0; k < strings.length; k++) if (strings[k].endsWith(suffix)) codes.add(k);
    unknownCodes.set(strings, codes);
  }
  return codes;
}

/** A reference's minutes with spans and its spans per instance code (with the service code), once per table: every method ranks against the same one. */
const referenceCache = new WeakMap<SpanTable, { minutes: number; spans: Map<number, { service: number; spans: number }> }>();
function referenceCounts(reference: SpanTable): { minutes: number; spans: Map<number, { service: number; spans: number }> } {
  let out = referenceCache.get(reference);
  if (!out) {
    const minutes = new Set<number>();
    const spans = new Map<number, { service: number; spans: number }>();
    const unknown = unknownInstanceCodes(reference.strings);
    for (let i = 0; i < reference.length; i++) {
      minutes.add(Math.floor(reference.start[i] / 60_000));
      const inst = reference.instance[i];
      if (unknown.has(inst)) continue;
      const c = spans.get(inst);
      if (c) c.spans++;
      else spans.set(inst, { service: reference.service[i], spans: 1 });
    }
    referenceCache.set(reference, (out = { minutes: minutes.size, spans }));
  }
  return out;
}

/** Calls that left no server span a caller instance must have lost before it is judged. */
const MIN_LOST_CALLS = 3;

/**
 * An incident window's calls still on `<service>/unknown` (no dead instance of the service was
 * found, above) put on the caller that lost them, where the requests went missing as they left one
 * instance: a network fault on its interface drops what it sends, while its peers' calls to the
 * same services arrive. A caller instance is blamed (the rows' `callerFault`, so that every method
 * puts the failure on the parent row's instance) when it lost MIN_LOST_CALLS or more calls to a
 * service and either
 * - the instances of its own service lost a share of their calls to that service that makes its
 *   count beyond chance (binomial upper tail under LOG_LOST_SHARE, the peers' share smoothed), or
 * - it lost MIN_LOST_CALLS or more calls to each of two or more services (a fault on one link
 *   cannot do that).
 * A link that drops the requests of every instance of the caller stays its callee's, as fault
 * injection counts it. The window itself when nothing is blamed.
 */
export function blameLostRequests(window: SpanTable): SpanTable {
  const unknown = unknownInstanceCodes(window.strings);
  if (!unknown.size) return window;
  let anyLost = false;
  for (let i = 0; i < window.length && !anyLost; i++) anyLost = unknown.has(window.instance[i]) && window.parent[i] >= 0;
  if (!anyLost) return window;
  // Keyed by string codes: (caller instance, callee service) and (caller service, callee service).
  const codes = window.strings.length;
  const pairKey = (from: number, to: number) => from * codes + to;
  const calls = new Map<number, { caller: number; callerService: number; callee: number; made: number; lost: number }>();
  for (let i = 0; i < window.length; i++) {
    const p = window.parent[i];
    if (p < 0 || window.instance[p] === window.instance[i]) continue;
    const key = pairKey(window.instance[p], window.service[i]);
    let c = calls.get(key);
    if (!c) calls.set(key, (c = { caller: window.instance[p], callerService: window.service[p], callee: window.service[i], made: 0, lost: 0 }));
    c.made++;
    if (unknown.has(window.instance[i])) c.lost++;
  }
  const byService = new Map<number, { made: number; lost: number }>();
  const servicesLostTo = new Map<number, number>(); // caller instance -> callee services it lost MIN_LOST_CALLS to
  for (const c of calls.values()) {
    const key = pairKey(c.callerService, c.callee);
    const s = byService.get(key) ?? { made: 0, lost: 0 };
    s.made += c.made;
    s.lost += c.lost;
    byService.set(key, s);
    if (c.lost >= MIN_LOST_CALLS) servicesLostTo.set(c.caller, (servicesLostTo.get(c.caller) ?? 0) + 1);
  }
  const blamed = new Set<number>();
  for (const [key, c] of calls) {
    if (c.lost < MIN_LOST_CALLS) continue;
    const all = byService.get(pairKey(c.callerService, c.callee))!;
    const peersMade = all.made - c.made;
    const peersLost = all.lost - c.lost;
    const beyondPeers = peersMade > 0 && logBinomialUpperTail(c.lost, c.made, (peersLost + 1) / (peersMade + 2)) < LOG_LOST_SHARE;
    if (beyondPeers || servicesLostTo.get(c.caller)! >= 2) blamed.add(key);
  }
  if (!blamed.size) return window;
  const callerFault = window.callerFault ? window.callerFault.slice() : new Uint8Array(window.length);
  for (let i = 0; i < window.length; i++) {
    const p = window.parent[i];
    if (p >= 0 && unknown.has(window.instance[i]) && blamed.has(pairKey(window.instance[p], window.service[i]))) callerFault[i] = 1;
  }
  return { ...window, callerFault };
}

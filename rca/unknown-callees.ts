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
 * The table with the callee of each call to `unknown` named from its operation where one service
 * serves it in this table or in `others` (see the module comment); the table itself when no call
 * goes to `unknown` or none can be named. Other columns are shared with the input.
 */
export function nameUnknownCallees(t: SpanTable, others: readonly SpanTable[] = []): SpanTable {
  const unknown = t.strings.indexOf(UNKNOWN_CALLEE);
  if (unknown < 0) return t;
  let any = false;
  for (let i = 0; i < t.length && !any; i++) any = t.service[i] === unknown && t.instance[i] === unknown;
  if (!any) return t;
  const serving = servingServices([t, ...others]);
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
    let named = byOperation.get(op);
    if (named === undefined) {
      const s = serving.get(t.strings[op]);
      byOperation.set(op, (named = s ? code(s) : null));
    }
    if (!named) continue;
    service ??= t.service.slice();
    instance ??= t.instance.slice();
    service[i] = named.service;
    instance[i] = named.instance;
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
  const suffix = `/${UNKNOWN_CALLEE}`;
  // Instance code -> its service's name, for the `<service>/unknown` instances the window holds.
  const pending = new Map<number, string>();
  const spansOf = new Int32Array(window.strings.length);
  for (let i = 0; i < window.length; i++) {
    const inst = window.instance[i];
    spansOf[inst]++;
    if (spansOf[inst] > 1) continue;
    const name = window.strings[inst];
    const service = window.strings[window.service[i]];
    if (name === `${service}${suffix}`) pending.set(inst, service);
  }
  if (!pending.size) return window;
  const services = new Set(pending.values());
  const minutes = new Set<number>();
  const referenceSpans = new Map<string, { service: string; spans: number }>();
  for (let i = 0; i < reference.length; i++) {
    minutes.add(Math.floor(reference.start[i] / 60_000));
    const service = reference.strings[reference.service[i]];
    if (!services.has(service)) continue;
    const name = reference.strings[reference.instance[i]];
    if (name.endsWith(suffix)) continue;
    const s = referenceSpans.get(name);
    if (s) s.spans++;
    else referenceSpans.set(name, { service, spans: 1 });
  }
  const windowCount = (name: string) => {
    const code = window.strings.indexOf(name);
    return code >= 0 ? spansOf[code] : 0;
  };
  const silent = new Map<string, string[]>();
  for (const [name, s] of referenceSpans) {
    const expected = (s.spans / Math.max(1, minutes.size)) * (windowMs / 60_000);
    if (expected >= MIN_EXPECTED_CALLS && windowCount(name) === 0) silent.set(s.service, [...(silent.get(s.service) ?? []), name]);
  }
  /** The one instance of `service` whose share of its spans fell beyond chance; undefined when none or several did. */
  const lostShare = (service: string): string | undefined => {
    const mine = [...referenceSpans].filter(([, s]) => s.service === service);
    const referenceTotal = mine.reduce((sum, [, s]) => sum + s.spans, 0);
    const windowTotal = mine.reduce((sum, [name]) => sum + windowCount(name), 0);
    if (!windowTotal) return undefined;
    const lost = mine.filter(([name, s]) => {
      const k = windowCount(name);
      // P(X <= k) for X ~ Binomial(windowTotal, share) is P(Y >= windowTotal - k) for Y ~ Binomial(windowTotal, 1 - share).
      return logBinomialUpperTail(windowTotal - k, windowTotal, 1 - s.spans / referenceTotal) < LOG_LOST_SHARE;
    });
    return lost.length === 1 ? lost[0]![0] : undefined;
  };
  const renamed = new Map<number, number>();
  let strings = window.strings;
  for (const [code, service] of pending) {
    const names = silent.get(service);
    const down = names ? (names.length === 1 ? names[0] : undefined) : lostShare(service);
    if (down === undefined) continue;
    // The tables of a run share one string table: a name it has keeps its code.
    const known = strings.indexOf(down);
    if (known >= 0) {
      renamed.set(code, known);
      continue;
    }
    if (strings === window.strings) strings = window.strings.slice();
    renamed.set(code, strings.push(down) - 1);
  }
  if (!renamed.size) return window;
  const instance = window.instance.slice();
  for (let i = 0; i < instance.length; i++) {
    const to = renamed.get(instance[i]);
    if (to !== undefined) instance[i] = to;
  }
  return { ...window, strings, instance };
}

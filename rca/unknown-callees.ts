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

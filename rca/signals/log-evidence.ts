/**
 * Error evidence from application logs: per instance, the error templates (Drain) that are new in
 * the incident window or surge beyond what the reference predicts, and the spans whose lines they
 * are (lines carry trace and span ids).
 *
 * A line is an error when its level is ERROR or FATAL, or, when its level is unknown, when its
 * template holds an error word. The expected count of a template in the window is its reference
 * count scaled by the instance's whole log volume (window lines / reference lines), so that a
 * change of traffic alone surges nothing; its surprise is the Poisson z (count - expected) /
 * sqrt(expected + 1), which for a new template is its count.
 */
import { errorWordTemplates } from '../../data/log-templates.js';
import { LOG_LEVEL, type LogTable, type SpanTable } from '../../data/types.js';

export interface TemplateSurge {
  template: number;
  count: number;
  expected: number;
  z: number;
}

export interface InstanceLogEvidence {
  instance: string;
  service: string;
  /** Largest surprise among its error templates (0 when none surged). */
  z: number;
  /** Error lines in the window beyond those expected. */
  excess: number;
  /** Its surging error templates, most surprising first. */
  surges: TemplateSurge[];
  lines: number;
}

export interface LogEvidenceOptions {
  /** Count WARN lines as errors too (default false; a WARN template new to the instance always counts). */
  warnings?: boolean;
  /** Surprise a template must reach to count (default 3). */
  z?: number;
  /** Fewest window lines a surge needs (default 3). */
  minCount?: number;
  /**
   * A second reference (e.g. the minutes just before the incident, which may still carry an
   * earlier fault's lines), used for an instance only where `reference` holds fewer than
   * `minReferenceLines` of its lines: a fault-free reference judges every instance it knows.
   */
  fallback?: LogTable;
  /** Lines of an instance `reference` must hold to judge it when a fallback is given (default 20). */
  minReferenceLines?: number;
  /**
   * Expect an error template at least at the rate the whole system wrote it in `reference`
   * (default true): an error the fault-free system already writes on other instances is part of
   * its normal operation wherever it appears, not a new failure.
   */
  systemRate?: boolean;
}

export function isErrorLine(level: number, templateIsError: number, warnings: boolean): boolean {
  if (level === LOG_LEVEL.unknown) return templateIsError === 1;
  return level >= LOG_LEVEL.error || (warnings && level === LOG_LEVEL.warn);
}

/**
 * Counts per (instance name, template) of error lines, and every instance's line volume; with
 * `seen` (the reference's templates per instance), a WARN line of a template the instance never
 * wrote there counts as an error too: a new warning is as telling as an error.
 */
function tally(t: LogTable, words: Uint8Array, warnings: boolean, seen?: Map<string, Set<number>>) {
  const errors = new Map<string, Map<number, number>>();
  const volume = new Map<string, number>();
  const service = new Map<string, string>();
  for (let i = 0; i < t.length; i++) {
    const inst = t.strings[t.instance[i]];
    volume.set(inst, (volume.get(inst) ?? 0) + 1);
    if (!service.has(inst)) service.set(inst, t.strings[t.service[i]]);
    const newWarning = seen !== undefined && t.level[i] === LOG_LEVEL.warn && !seen.get(inst)?.has(t.template[i]);
    if (!newWarning && !isErrorLine(t.level[i], words[t.template[i]] ?? 0, warnings)) continue;
    let m = errors.get(inst);
    if (!m) errors.set(inst, (m = new Map()));
    m.set(t.template[i], (m.get(t.template[i]) ?? 0) + 1);
  }
  return { errors, volume, service };
}

/** Per instance name, the templates it wrote in a table. */
function templatesSeen(t: LogTable): Map<string, Set<number>> {
  const seen = new Map<string, Set<number>>();
  for (let i = 0; i < t.length; i++) {
    const inst = t.strings[t.instance[i]];
    let set = seen.get(inst);
    if (!set) seen.set(inst, (set = new Set()));
    set.add(t.template[i]);
  }
  return seen;
}

/** Per instance name, its log error evidence in the window against the reference (or the fallback, see the options). */
export function logEvidence(window: LogTable, reference: LogTable, opts: LogEvidenceOptions = {}): Map<string, InstanceLogEvidence> {
  const warnings = opts.warnings ?? false;
  const zMin = opts.z ?? 3;
  const minCount = opts.minCount ?? 3;
  const minReferenceLines = opts.minReferenceLines ?? 20;
  const tables = opts.fallback ? [reference, opts.fallback] : [reference];
  let templates = window.templates;
  for (const t of tables) if (t.templates.length > templates.length) templates = t.templates;
  const words = errorWordTemplates(templates);
  const refs = tables.map((t) => ({ ...tally(t, words, warnings), seen: templatesSeen(t) }));
  const refOf = (inst: string) => (refs.length > 1 && (refs[0].volume.get(inst) ?? 0) < minReferenceLines ? refs[1] : refs[0]);
  const seen = new Map<string, Set<number>>();
  for (let i = 0; i < window.length; i++) {
    const inst = window.strings[window.instance[i]];
    if (!seen.has(inst)) seen.set(inst, refOf(inst).seen.get(inst) ?? new Set());
  }
  const w = tally(window, words, warnings, seen);
  // Per template, its share of all the lines of the (first) reference.
  const systemShare = new Map<number, number>();
  if (opts.systemRate ?? true) {
    let lines = 0;
    for (const v of refs[0].volume.values()) lines += v;
    for (const m of refs[0].errors.values()) for (const [template, count] of m) systemShare.set(template, (systemShare.get(template) ?? 0) + count / lines);
  }
  const out = new Map<string, InstanceLogEvidence>();
  for (const [inst, lines] of w.volume) {
    const r = refOf(inst);
    const ref = r.errors.get(inst);
    const refVolume = r.volume.get(inst) ?? 0;
    const ratio = refVolume > 0 ? lines / refVolume : 0;
    const surges: TemplateSurge[] = [];
    let excess = 0;
    for (const [template, count] of w.errors.get(inst) ?? []) {
      const expected = Math.max((ref?.get(template) ?? 0) * ratio, (systemShare.get(template) ?? 0) * lines);
      excess += count - expected;
      const z = (count - expected) / Math.sqrt(expected + 1);
      if (z >= zMin && count >= minCount) surges.push({ template, count, expected, z });
    }
    surges.sort((a, b) => b.z - a.z || a.template - b.template);
    out.set(inst, { instance: inst, service: w.service.get(inst)!, z: surges[0]?.z ?? 0, excess: Math.max(0, excess), surges, lines });
  }
  return out;
}

/**
 * The callee a caller's error template names, if exactly one of `callees` (the services the
 * caller calls) appears in it as a whole word: "No reply from payment-service", "call to X
 * returned TIMEOUT". Such a line reports the callee's failure as the caller saw it. Names hidden
 * by the miner (a `<*>` where callers named different services) name nothing.
 */
export function calleeNamed(template: string, callees: Iterable<string>): string | undefined {
  let named: string | undefined;
  for (const c of callees) {
    if (c.length < 3) continue;
    for (let at = template.indexOf(c); at >= 0; at = template.indexOf(c, at + 1)) {
      if (NAME_CHAR.test(template[at - 1] ?? ' ') || NAME_CHAR.test(template[at + c.length] ?? ' ')) continue;
      // A name inside a longer one ("order-service" in "order-other-service") is not named twice.
      if (named !== undefined && named !== c && !(named.includes(c) || c.includes(named))) return undefined;
      if (named === undefined || c.length > named.length) named = c;
      break;
    }
  }
  return named;
}

const NAME_CHAR = /[A-Za-z0-9_-]/;

/**
 * 1 for each span of the table that wrote a line of a surging error template (its trace and span
 * ids on the line): where the span data has no status, this is the evidence that the call failed.
 */
export function spansWithSurgingErrors(spans: SpanTable, logs: LogTable, evidence: Map<string, InstanceLogEvidence>): Uint8Array {
  const out = new Uint8Array(spans.length);
  const flagged = new Map<string, Set<number>>();
  for (const e of evidence.values()) if (e.surges.length) flagged.set(e.instance, new Set(e.surges.map((s) => s.template)));
  if (!flagged.size) return out;
  const lineSpans = new Set<string>();
  for (let i = 0; i < logs.length; i++) {
    if (logs.spanId[i] < 0 || logs.traceId[i] < 0) continue;
    if (!flagged.get(logs.strings[logs.instance[i]])?.has(logs.template[i])) continue;
    lineSpans.add(`${logs.strings[logs.traceId[i]]}\u0000${logs.strings[logs.spanId[i]]}`);
  }
  for (let r = 0; r < spans.length; r++) {
    if (lineSpans.has(`${spans.strings[spans.traceId[r]]}\u0000${spans.strings[spans.spanId[r]]}`)) out[r] = 1;
  }
  return out;
}

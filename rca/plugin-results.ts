/**
 * What faultline accepts from an external RCA method (JS module or subprocess), checked before
 * any metric sees it: a list of candidates, best first, each with a non-empty `service` and a
 * finite `score`; `explanation`, `instance` and `faultType` are strings when given; `evidence`, when
 * given, a list of {kind, subject, value?, baseline?, unit?, note?}; no candidate twice (same
 * service, instance and fault type). Every problem is named with its place.
 */
import type { ModuleGuard } from '../common/plugin-module.js';
import { PluginResultError, showValue as shown } from '../common/plugin.js';
import { EVIDENCE_KINDS, type Candidate, type Evidence, type RcaInput } from './types.js';

/** `raw` checked as a candidate's evidence list (rca/types.ts Evidence). */
function evidenceFrom(raw: unknown, at: string): Evidence[] {
  if (!Array.isArray(raw)) throw new PluginResultError(`${at} is ${shown(raw)}; it must be an array of {kind, subject, value?, baseline?, unit?, note?}`);
  return raw.map((e: unknown, j) => {
    const here = `${at}[${j}]`;
    if (!e || typeof e !== 'object' || Array.isArray(e)) throw new PluginResultError(`${here} is ${shown(e)}; evidence is an object {kind, subject, ...}`);
    const o = e as Record<string, unknown>;
    if (!(EVIDENCE_KINDS as readonly unknown[]).includes(o.kind)) throw new PluginResultError(`${here}.kind is ${shown(o.kind)}; it must be one of ${EVIDENCE_KINDS.join(', ')}`);
    if (typeof o.subject !== 'string' || !o.subject) throw new PluginResultError(`${here}.subject is ${shown(o.subject)}; it must be a non-empty string`);
    const out: Evidence = { kind: o.kind as Evidence['kind'], subject: o.subject };
    for (const key of ['value', 'baseline'] as const) {
      const v = o[key];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new PluginResultError(`${here}.${key} is ${shown(v)}; it must be a finite number when given`);
      out[key] = v;
    }
    for (const key of ['unit', 'note'] as const) {
      const v = o[key];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') throw new PluginResultError(`${here}.${key} is ${shown(v)}; it must be a string when given`);
      out[key] = v;
    }
    return out;
  });
}

/** `raw` checked as a candidate list; `where` names it in messages (`rank() result`, `"candidates"`). */
export function candidatesFrom(raw: unknown, where: string): Candidate[] {
  if (!Array.isArray(raw)) throw new PluginResultError(`${where} must be an array of candidates, got ${shown(raw)}`);
  const seen = new Map<string, number>();
  return raw.map((c: unknown, i) => {
    const at = `${where}[${i}]`;
    if (!c || typeof c !== 'object' || Array.isArray(c)) throw new PluginResultError(`${at} is ${shown(c)}; a candidate is an object {service, score, ...}`);
    const o = c as Record<string, unknown>;
    if (typeof o.service !== 'string' || !o.service) throw new PluginResultError(`${at}.service is ${shown(o.service)}; it must be a non-empty string`);
    if (typeof o.score !== 'number' || !Number.isFinite(o.score)) throw new PluginResultError(`${at}.score is ${shown(o.score)}; it must be a finite number`);
    const out: Candidate = { service: o.service, score: o.score, explanation: '' };
    for (const key of ['explanation', 'instance', 'faultType'] as const) {
      const v = o[key];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') throw new PluginResultError(`${at}.${key} is ${shown(v)}; it must be a string when given`);
      out[key] = v;
    }
    if (o.evidence !== undefined && o.evidence !== null) out.evidence = evidenceFrom(o.evidence, `${at}.evidence`);
    const key = JSON.stringify([out.service, out.instance ?? null, out.faultType ?? null]);
    const before = seen.get(key);
    if (before !== undefined) throw new PluginResultError(`${at} repeats ${where}[${before}] (service ${JSON.stringify(out.service)}${out.instance ? `, instance ${JSON.stringify(out.instance)}` : ''})`);
    seen.set(key, i);
    return out;
  });
}

/** Guards a module RCA method's instances: `rank` names its incident and its result is checked. */
export const rcaModuleGuard: ModuleGuard = {
  methods: ['fit', 'rank', 'close'],
  required: ['rank'],
  item: (method, [input]) => (method === 'rank' ? { kind: 'incident', id: String((input as RcaInput | undefined)?.incident?.id) } : method === 'fit' ? { kind: 'reference data' } : undefined),
  check: (method, result) => (method === 'rank' ? candidatesFrom(result, 'rank() result') : result),
};

/**
 * What faultline accepts from an external detector (JS module or subprocess), checked before any
 * metric sees it: one score and one alarm per point; a score is a finite number, or NaN (JSON:
 * null) for "no score"; an alarm is 0 or 1 (JSON: also false or true); a threshold, when given, is
 * a finite number. Every problem is named with its place (`scores[17]`).
 */
import type { ModuleGuard } from '../common/plugin-module.js';
import { PluginResultError, showValue as shown } from '../common/plugin.js';
import type { Series } from '../data/types.js';
import type { Detection } from './types.js';



function checkScore(v: number, i: number): void {
  if (v === Infinity || v === -Infinity) throw new PluginResultError(`scores[${i}] is ${v}; a score is a finite number, or NaN/null for none`);
}

/** A reply's `scores`, `alarms` and `threshold` (JSON values) as a Detection for `n` points. */
export function detectionFromJson(reply: Record<string, unknown>, n: number): Detection {
  const { scores, alarms, threshold } = reply;
  if (!Array.isArray(scores)) throw new PluginResultError(`"scores" must be an array of ${n} numbers, got ${shown(scores)}`);
  if (!Array.isArray(alarms)) throw new PluginResultError(`"alarms" must be an array of ${n} 0/1 values, got ${shown(alarms)}`);
  if (scores.length !== n || alarms.length !== n) throw new PluginResultError(`got ${scores.length} scores and ${alarms.length} alarms for ${n} points`);
  const out: Detection = { scores: new Float64Array(n), alarms: new Uint8Array(n) };
  for (let i = 0; i < n; i++) {
    const s: unknown = scores[i];
    if (s === null) out.scores[i] = NaN;
    else if (typeof s === 'number') {
      checkScore(s, i);
      out.scores[i] = s;
    } else throw new PluginResultError(`scores[${i}] is ${shown(s)}; a score is a number, or null for none`);
    const a: unknown = alarms[i];
    if (a === 1 || a === true) out.alarms[i] = 1;
    else if (a !== 0 && a !== false) throw new PluginResultError(`alarms[${i}] is ${shown(a)}; an alarm is 0 or 1`);
  }
  if (threshold !== undefined && threshold !== null) {
    if (typeof threshold !== 'number' || !Number.isFinite(threshold)) throw new PluginResultError(`"threshold" is ${shown(threshold)}; it is a finite number when given`);
    out.threshold = threshold;
  }
  return out;
}

/** A module's detect() result, checked as is (typed arrays, per detectors/types.ts). */
export function checkDetection(d: unknown, n: number): Detection {
  const o = d as Partial<Detection> | null | undefined;
  if (!o || typeof o !== 'object' || !(o.scores instanceof Float64Array) || !(o.alarms instanceof Uint8Array)) {
    const got = !o || typeof o !== 'object' ? shown(o) : `scores: ${o.scores?.constructor?.name ?? shown(o.scores)}, alarms: ${o.alarms?.constructor?.name ?? shown(o.alarms)}`;
    throw new PluginResultError(`detect() must return { scores: Float64Array, alarms: Uint8Array }, got ${got}`);
  }
  if (o.scores.length !== n || o.alarms.length !== n) throw new PluginResultError(`got ${o.scores.length} scores and ${o.alarms.length} alarms for ${n} points`);
  for (let i = 0; i < n; i++) {
    checkScore(o.scores[i]!, i);
    if (o.alarms[i]! > 1) throw new PluginResultError(`alarms[${i}] is ${o.alarms[i]}; an alarm is 0 or 1`);
  }
  if (o.threshold !== undefined && !(typeof o.threshold === 'number' && Number.isFinite(o.threshold))) {
    throw new PluginResultError(`threshold is ${shown(o.threshold)}; it is a finite number when given`);
  }
  return o as Detection;
}

/** Guards a module detector's instances: `fit` and `detect` name their series; detect's result is checked. */
export const detectorModuleGuard: ModuleGuard = {
  methods: ['fit', 'detect'],
  required: ['detect'],
  item: (_method, [series]) => ({ kind: 'series', id: String((series as Series | undefined)?.id) }),
  check: (method, result, [series]) => (method === 'detect' ? checkDetection(result, (series as Series).values.length) : result),
};

/**
 * The methods of a run: detector and RCA specs resolved once (options validated, `all` expanded
 * to the built-ins the data can feed), and what they read, so the loader reads nothing else.
 */
import { missingInputs, type InputKind, type Resolved } from '../common/plugin.js';
import { UsageError } from '../common/errors.js';
import { detectorRegistry } from '../detectors/registry.js';
import type { Detector } from '../detectors/types.js';
import { rcaRegistry } from '../rca/registry.js';
import type { RcaAlgorithm } from '../rca/types.js';
import type { Methods } from './evaluate.js';

/** `none` or an empty list means no method of that kind. */
function specsOf(list: readonly string[] | undefined): string[] {
  const specs = (list ?? []).map((s) => s.trim()).filter((s) => s !== '');
  return specs.length === 1 && specs[0] === 'none' ? [] : specs;
}

export interface MethodSpecs {
  /** Detector specs; `all` = every built-in; empty or absent = none. */
  detectors?: readonly string[];
  /** RCA method specs; `all` = every built-in whose inputs the data has; empty or absent = none. */
  rca?: readonly string[];
  /** Per-call time limit of an external plugin, ms (`--plugin-timeout`). */
  pluginTimeoutMs?: number;
}

/** Where each kind's specs were written (a suite's items), for their errors. */
export interface SpecPlaces {
  detectors?: (k: number) => string;
  rca?: (k: number) => string;
}

export async function resolveMethods(specs: MethodSpecs, available?: ReadonlySet<InputKind>, places: SpecPlaces = {}): Promise<Methods> {
  const opts = specs.pluginTimeoutMs !== undefined ? { limits: { callTimeoutMs: specs.pluginTimeoutMs } } : {};
  return {
    detectors: await detectorRegistry.resolveAll(specsOf(specs.detectors), available, { ...opts, ...(places.detectors ? { placeOf: places.detectors } : {}) }),
    rca: await rcaRegistry.resolveAll(specsOf(specs.rca), available, { ...opts, ...(places.rca ? { placeOf: places.rca } : {}) }),
  };
}

/** Every input some method needs or uses. */
export function inputsRead(methods: Methods): Set<InputKind> {
  const kinds = new Set<InputKind>();
  for (const m of [...methods.detectors, ...methods.rca] as Resolved<Detector | RcaAlgorithm>[]) {
    for (const k of [...m.plugin.needs, ...(m.plugin.needsAny ?? []), ...(m.plugin.uses ?? [])]) kinds.add(k);
  }
  return kinds;
}

/** Refuses a method whose required inputs the data lacks, naming both. */
export function checkInputs(methods: Methods, available: ReadonlySet<InputKind>, source: string): void {
  for (const m of [...methods.detectors, ...methods.rca] as Resolved<Detector | RcaAlgorithm>[]) {
    const missing = missingInputs(m.plugin, available);
    if (missing) throw new UsageError(`${m.name} needs ${missing}, which ${source} does not have (it has ${[...available].join(', ') || 'nothing a method reads'})`);
  }
}

export async function closeMethods(methods: Methods): Promise<void> {
  for (const m of [...methods.detectors, ...methods.rca] as Resolved<Detector | RcaAlgorithm>[]) await m.close();
}

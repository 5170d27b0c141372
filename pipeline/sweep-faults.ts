/**
 * `faultline sweep-faults`: a suite that tries every applicable fault type on every target of a
 * scenario (a fitted twin, or any scenario), at chosen severities. What a type targets is the
 * data-set contract's FAULT_TARGET_KINDS: services, instances (the first of each service, or all),
 * call-graph edges, databases, channels, transaction types (network faults: edges and instances). The suite folder holds the scenario
 * (`base.yaml`), one scenario per fault under `faults/` (each extends the base and adds its fault),
 * and `suite.yaml`; `faultline run --suite <folder>/suite.yaml` runs it like any suite.
 */
import path from 'node:path';
import { stringify } from 'yaml';
import { FAULT_TARGET_KIND_NAMES, FAULT_TARGET_KINDS, FAULT_TYPES, MAX_SEVERITY, type FaultTargetKind, type FaultType } from '../sim/formats.js';
import { loadScenario } from '../sim/scenario.js';
import { EXCEPTION_HANDLERS, type CallTemplate, type FaultSpec, type ScenarioFile, type TargetSpec } from '../sim/scenario-schema.js';
import { formatDuration, parseDuration } from '../common/duration.js';
import { UsageError } from '../common/errors.js';
import { publishDir } from '../common/output-dir.js';
import { readResultsFile } from '../reports/results-file.js';
import { incidentWindow } from '../scores/agreement.js';
import { writeFileSync, mkdirSync } from 'node:fs';

export interface SweepFaultsOptions {
  /** The scenario: a YAML path or a name under scenarios/. */
  scenario: string;
  /** The suite folder to write. */
  out: string;
  force?: boolean;
  /** Fault types (default: every type the scenario has targets for). */
  types?: string[];
  /** Severities, each in (0, 1] (default [0.5]). */
  severities?: number[];
  /**
   * Per fault type, severities in place of `severities`: to match a type's strength to the real
   * incidents' (`faultline fidelity` names the severity that matches from a sweep at several).
   */
  severitiesByType?: Record<string, number[]>;
  seeds?: number[];
  detectors?: string[];
  rca?: string[];
  /**
   * For code-exception: what the handler does with the exception (the fault's `handler`), one
   * fault per entry (default ['catches']).
   */
  exceptionHandlers?: string[];
  /** Instance faults on every instance, not only the first of each service. */
  allInstances?: boolean;
  /** Only targets of these kinds (e.g. ['instance']: network faults on instances' interfaces, not on links); default every kind a type takes. */
  targetKinds?: FaultTargetKind[];
  /** Each item's length, the fault's start and its length (defaults 2h, 1h30m, 20m: a fault-free prefix to train on). */
  duration?: string;
  faultStart?: string;
  faultDuration?: string;
  /**
   * A real run or replay (its folder or results.json) whose incidents' median window becomes the
   * faults' length, in place of `faultDuration`: the methods are then judged over the window the
   * real incidents are (`faultline fidelity` compares the two).
   */
  windowFrom?: string;
}

export interface PlannedFault {
  name: string;
  fault: FaultSpec;
}

/** Every (caller, callee) service pair of the scenario's call trees, in first-seen order. */
function callEdges(s: ScenarioFile): [string, string][] {
  const services = new Set(s.subsystems.flatMap((x) => x.services.map((v) => v.name)));
  const seen = new Map<string, [string, string]>();
  const walk = (c: CallTemplate) => {
    for (const ch of c.children ?? []) {
      if (services.has(c.call) && services.has(ch.call)) seen.set(`${c.call}>${ch.call}`, [c.call, ch.call]);
      walk(ch);
    }
  };
  for (const t of s.transactions) walk(t.root);
  return [...seen.values()];
}

/** The targets of one fault type in a scenario (of the kinds asked for), each with a short label for its file name. */
export function faultTargets(s: ScenarioFile, type: FaultType, allInstances = false, kinds?: readonly FaultTargetKind[]): { label: string; target: TargetSpec }[] {
  return FAULT_TARGET_KINDS[type].filter((k) => !kinds || kinds.includes(k)).flatMap((k) => targetsOfKind(s, k, allInstances));
}

function targetsOfKind(s: ScenarioFile, kind: FaultTargetKind, allInstances: boolean): { label: string; target: TargetSpec }[] {
  const services = s.subsystems.flatMap((x) => x.services);
  switch (kind) {
    case 'service':
      return services.map((v) => ({ label: v.name, target: { service: v.name } }));
    case 'instance':
      return services.flatMap((v) =>
        Array.from({ length: allInstances ? v.instances : 1 }, (_, k) => ({ label: `${v.name}-${k + 1}`, target: { service: v.name, instance: k + 1 } })),
      );
    case 'edge':
      return callEdges(s).map(([from, to]) => ({ label: `${from}--${to}`, target: { from, to } }));
    case 'database':
      return (s.databases ?? []).map((d) => ({ label: d.name, target: { database: d.name } }));
    case 'channel':
      return (s.channels ?? []).map((c) => ({ label: c.name, target: { channel: c.name } }));
    case 'txType':
      return s.transactions.map((t) => ({ label: t.name, target: { txType: t.name } }));
  }
}

/** `value` when `allowed` has it, else a usage error saying `problem`. */
function oneOf<T extends string>(allowed: readonly T[], value: string, problem: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(problem);
  return value as T;
}

/** The faults of the sweep, one scenario each, in type, target and severity order. */
export function planFaultSweep(s: ScenarioFile, opts: Omit<SweepFaultsOptions, 'scenario' | 'out'> = {}): PlannedFault[] {
  const types = (opts.types ?? [...FAULT_TYPES]).map((t) => oneOf(FAULT_TYPES, t, `unknown fault type '${t}' (known: ${FAULT_TYPES.join(', ')})`));
  const severities = opts.severities ?? [0.5];
  const byType = new Map(Object.entries(opts.severitiesByType ?? {}).map(([t, list]) => [oneOf(FAULT_TYPES, t, `severities of unknown fault type '${t}' (known: ${FAULT_TYPES.join(', ')})`), list]));
  for (const t of byType.keys()) if (!types.includes(t)) throw new UsageError(`severities given for ${t}, which is not among the sweep's types (${types.join(', ')})`);
  for (const sv of [...severities, ...[...byType.values()].flat()]) if (!(sv > 0 && sv <= MAX_SEVERITY)) throw new UsageError(`severity ${sv}: must be above 0 and at most ${MAX_SEVERITY}`);
  const duration = opts.duration ?? '2h';
  const start = opts.faultStart ?? '1h30m';
  const length = opts.faultDuration ?? '20m';
  if (parseDuration(start) + parseDuration(length) > parseDuration(duration)) throw new UsageError(`the fault (${start} + ${length}) must end within the run (${duration})`);
  const kinds = opts.targetKinds?.map((k) => oneOf(FAULT_TARGET_KIND_NAMES, k, `unknown target kind '${k}' (known: ${FAULT_TARGET_KIND_NAMES.join(', ')})`));
  const handlers = (opts.exceptionHandlers ?? ['catches']).map((h) => oneOf(EXCEPTION_HANDLERS, h, `exception handler '${h}': must be one of ${EXCEPTION_HANDLERS.join(', ')}`));
  const out: PlannedFault[] = [];
  for (const type of types) {
    for (const { label, target } of faultTargets(s, type, opts.allInstances, kinds)) {
      for (const severity of byType.get(type) ?? severities) {
        for (const handler of type === 'code-exception' ? handlers : (['catches'] as const)) {
          const name = `${type}--${label}--s${String(severity).replace('.', '')}${handler === 'catches' ? '' : `--${handler}`}`;
          const fault: FaultSpec = { id: name, type, target, start, duration: length, severity };
          if (handler !== 'catches') fault.handler = handler;
          out.push({ name, fault });
        }
      }
    }
  }
  return out;
}

/** The faults' length from a real run's incidents (see `windowFrom`). */
async function windowOf(file: string, faultDuration: string | undefined): Promise<{ faultDuration: string; incidents: number }> {
  if (faultDuration !== undefined) throw new UsageError('--fault-duration and --window-from both set how long the faults last: give one');
  if (!file.trim()) throw new UsageError('--window-from: give a run or replay folder, or its results.json');
  const { medianMs, incidents } = incidentWindow((await readResultsFile(file)).items);
  if (medianMs === null) throw new UsageError(`${file}: no incidents to take a window from`);
  if (!(Math.round(medianMs) > 0)) throw new UsageError(`${file}: its incidents' median window is ${medianMs} ms (an end not after its start): no length to give the faults`);
  return { faultDuration: formatDuration(medianMs), incidents };
}

/**
 * Writes the suite folder (see the module comment); returns the suite file, the plan, and the
 * faults' length with how many real incidents it was taken from (with `windowFrom`).
 */
export async function writeFaultSweep(opts: SweepFaultsOptions): Promise<{ suite: string; faults: PlannedFault[]; window?: { faultDuration: string; incidents: number } }> {
  const window = opts.windowFrom !== undefined ? await windowOf(opts.windowFrom, opts.faultDuration) : undefined;
  const loaded = loadScenario(opts.scenario);
  const base = loaded.scenario as ScenarioFile;
  const faults = planFaultSweep(base, window ? { ...opts, faultDuration: window.faultDuration } : opts);
  if (!faults.length) throw new UsageError(`${opts.scenario}: none of the fault types asked for has a target in this scenario`);
  const duration = opts.duration ?? '2h';
  const suite = {
    name: `${base.name ?? 'scenario'}-faults`,
    description: `Every applicable fault type on every target of ${base.name ?? path.basename(opts.scenario)}: ${faults.length} faults.`,
    scenarios: ['faults/*.yaml'],
    seeds: opts.seeds ?? [1],
    detectors: opts.detectors ?? ['band', 'diff', 'ksigma', 'spectral-residual'],
    rca: opts.rca ?? ['all'],
  };
  await publishDir(
    opts.out,
    async (stage) => {
      // Merged already: the scenario it extends is in it, and a relative `extends` would not resolve from here.
      const { faults: _own, extends: _parent, ...rest } = base;
      writeFileSync(path.join(stage, 'base.yaml'), `# The scenario the faults are tried on (faults of its own removed).\n${stringify({ ...rest, duration }, { lineWidth: 0 })}`);
      mkdirSync(path.join(stage, 'faults'));
      for (const f of faults) writeFileSync(path.join(stage, 'faults', `${f.name}.yaml`), stringify({ extends: '../base.yaml', description: `${f.fault.type} on ${f.name.split('--')[1]} at severity ${f.fault.severity}`, faults: [f.fault] }, { lineWidth: 0 }));
      writeFileSync(path.join(stage, 'suite.yaml'), `# Written by faultline sweep-faults from ${path.basename(opts.scenario)}.\n${stringify(suite, { lineWidth: 0 })}`);
      // Every written fault scenario must load: a target the engine rejects is an error here, not mid-run.
      for (const f of faults) loadScenario(path.join(stage, 'faults', `${f.name}.yaml`));
    },
    { command: 'sweep-faults', force: opts.force ?? false, inputs: [opts.scenario, opts.windowFrom] },
  );
  return { suite: path.join(opts.out, 'suite.yaml'), faults, ...(window ? { window } : {}) };
}

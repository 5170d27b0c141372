/**
 * Loads a plugin from a JS module given by path: its default export, or the named export
 * `exportName`, must be a plugin `{ name, description, create(options) }`, optionally with
 * `options` (a zod object schema) and `needs` (the inputs it reads). Plain JS (.js/.mjs/.cjs) runs
 * as is; a .ts plugin must be compiled first (Node 20 does not load TypeScript).
 *
 * The module runs in this process, so its instances are guarded: each call is bounded by the time
 * limit (a promise that never settles fails the call; a synchronous endless loop cannot be
 * stopped from here: run such code as a subprocess), a throw becomes a PluginFailure naming the
 * plugin and the item, and results are checked by the stage's `check`.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { INPUT_KINDS, PluginFailure, PluginResultError, PluginSpecError, seconds, type InputKind, type Plugin, type PluginItem, type PluginLimits } from './plugin.js';
import { preview } from './errors.js';

function isPlugin(x: unknown): x is Plugin {
  if (!x || typeof x !== 'object') return false;
  const f = x as Record<string, unknown>;
  return typeof f.name === 'string' && typeof f.description === 'string' && typeof f.create === 'function';
}

/** How a stage guards the instances of its module plugins. */
export interface ModuleGuard {
  /** Instance methods that are called (and so guarded); others are not exposed. */
  methods: readonly string[];
  /** Methods an instance must have, e.g. `detect`. */
  required: readonly string[];
  /** What a call works on, named in errors. */
  item(method: string, args: unknown[]): PluginItem | undefined;
  /** A method's result as the stage takes it; throws a PluginResultError saying what is wrong with it. */
  check?(method: string, result: unknown, args: unknown[]): unknown;
}

export interface ModuleLoadOptions {
  /** `detector`, `RCA method`: names the plugin in errors. */
  kind: string;
  /** The named export accepted besides the default export. */
  exportName: string;
  /** Inputs of a module that does not declare what it reads. */
  defaultNeeds: readonly InputKind[];
  limits: PluginLimits;
  guard: ModuleGuard;
}

const TIMED_OUT = Symbol('timed out');

/** `run()`'s result, or TIMED_OUT when it does not settle within `ms`. */
async function withTimeLimit<T>(run: () => T | Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<typeof TIMED_OUT>((r) => (timer = setTimeout(() => r(TIMED_OUT), ms)));
  try {
    return await Promise.race([Promise.resolve().then(run), limit]);
  } finally {
    clearTimeout(timer);
  }
}

function errorText(err: unknown): string {
  return preview(err instanceof Error ? err.message : String(err), 500);
}

export async function loadPluginModule<Instance>(path: string, opts: ModuleLoadOptions): Promise<Plugin<Instance>> {
  const { kind, exportName, defaultNeeds, limits } = opts;
  const file = resolve(path);
  if (!existsSync(file)) throw new PluginSpecError(`${kind} module ${path}: file not found (${file})`);
  let mod: Record<string, unknown> | typeof TIMED_OUT;
  try {
    mod = await withTimeLimit(() => import(pathToFileURL(file).href) as Promise<Record<string, unknown>>, limits.callTimeoutMs);
  } catch (err) {
    throw new PluginSpecError(`${kind} module ${path}: could not be loaded: ${errorText(err)}`, { cause: err });
  }
  if (mod === TIMED_OUT) throw new PluginSpecError(`${kind} module ${path}: did not finish loading within ${seconds(limits.callTimeoutMs)} (the plugin time limit)`);
  const candidate = isPlugin(mod.default) ? mod.default : mod[exportName];
  if (!isPlugin(candidate)) {
    throw new PluginSpecError(
      `${kind} module ${path}: exports no ${kind}: expected a default export or an export named "${exportName}" with name (string), description (string) and create(options) (function)`,
    );
  }
  const needs: unknown = candidate.needs ?? defaultNeeds;
  const needsAny: unknown = candidate.needsAny;
  for (const [field, list] of [['needs', needs], ['needsAny', needsAny ?? []]] as const) {
    if (!isKindList(list)) throw new PluginSpecError(`${kind} module ${path}: ${field} must list some of ${INPUT_KINDS.join(', ')}`);
  }
  const label = `${kind} ${candidate.name} (${path})`;
  const plugin: Plugin<Instance> = {
    name: candidate.name,
    description: candidate.description,
    needs: needs as InputKind[],
    create: (options) => {
      let instance: unknown;
      try {
        instance = candidate.create(options);
      } catch (err) {
        throw new PluginFailure(label, undefined, 'plugin-error', `create() threw: ${errorText(err)}`, { cause: err });
      }
      return guardInstance(label, instance, opts) as Instance;
    },
  };
  if (candidate.options) plugin.options = candidate.options;
  if (candidate.optionAliases) plugin.optionAliases = candidate.optionAliases;
  if (needsAny !== undefined) plugin.needsAny = needsAny as InputKind[];
  if (candidate.uses) plugin.uses = candidate.uses;
  if (candidate.close) {
    const close = candidate.close.bind(candidate);
    plugin.close = async () => {
      await guardedCall(label, 'close', close, [], undefined, limits.callTimeoutMs);
    };
  }
  return plugin;
}

async function guardedCall(label: string, method: string, run: (...args: unknown[]) => unknown, args: unknown[], item: PluginItem | undefined, ms: number): Promise<unknown> {
  let result: unknown;
  try {
    result = await withTimeLimit(() => run(...args), ms);
  } catch (err) {
    throw new PluginFailure(label, item, 'plugin-error', `${method}() threw: ${errorText(err)}`, { cause: err });
  }
  if (result === TIMED_OUT) throw new PluginFailure(label, item, 'timeout', `${method}() did not finish within ${seconds(ms)} (the plugin time limit)`);
  return result;
}

/** The instance's methods, each bounded in time, its throws and bad results named. */
function guardInstance(label: string, instance: unknown, opts: ModuleLoadOptions): Record<string, unknown> {
  const { guard, limits } = opts;
  const o = instance as Record<string, unknown> | null;
  const missing = guard.required.filter((m) => typeof o?.[m] !== 'function');
  if (typeof o !== 'object' || o === null || missing.length) {
    throw new PluginFailure(label, undefined, 'result', `create() must return an object with ${guard.required.map((m) => `${m}()`).join(' and ')}, got ${o === null || typeof o !== 'object' ? String(o) : `one without ${missing.join(', ')}`}`);
  }
  const guarded: Record<string, unknown> = {};
  for (const method of guard.methods) {
    const fn = o[method];
    if (typeof fn !== 'function') continue;
    guarded[method] = async (...args: unknown[]) => {
      const item = guard.item(method, args);
      const result = await guardedCall(label, method, (...a) => (fn as (...a: unknown[]) => unknown).apply(o, a), args, item, limits.callTimeoutMs);
      if (!guard.check) return result;
      try {
        return guard.check(method, result, args);
      } catch (err) {
        if (err instanceof PluginResultError) throw new PluginFailure(label, item, 'result', err.message);
        throw err;
      }
    };
  }
  return guarded;
}

/** Whether a plugin spec names a JS module by path rather than a built-in. */
export function isModulePath(spec: string): boolean {
  return /\.(c|m)?js$/.test(spec) || spec.startsWith('.') || spec.startsWith('/');
}

/** Whether a module's `needs` or `needsAny` is a list of input kinds. */
function isKindList(list: unknown): list is InputKind[] {
  return Array.isArray(list) && list.every((n) => (INPUT_KINDS as readonly unknown[]).includes(n));
}

/**
 * Loads a plugin from a JS module given by path: its default export, or the named export
 * `exportName`, must be a plugin `{ name, description, create(options) }`, optionally with
 * `options` (a zod object schema) and `needs` (the inputs it reads). Plain JS (.js/.mjs/.cjs) runs
 * as is; a .ts plugin must be compiled first (Node 20 does not load TypeScript).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { INPUT_KINDS, PluginSpecError, type InputKind, type Plugin } from './plugin.js';

function isPlugin(x: unknown): x is Plugin {
  if (!x || typeof x !== 'object') return false;
  const f = x as Record<string, unknown>;
  return typeof f.name === 'string' && typeof f.description === 'string' && typeof f.create === 'function';
}

/**
 * `kind` (detector, RCA method) names the plugin in errors; `exportName` is the accepted named
 * export; `defaultNeeds` applies to a module that does not declare what it reads.
 */
export async function loadPluginModule<Instance>(path: string, kind: string, exportName: string, defaultNeeds: readonly InputKind[]): Promise<Plugin<Instance>> {
  const file = resolve(path);
  if (!existsSync(file)) throw new PluginSpecError(`${kind} module ${path}: file not found (${file})`);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const candidate = isPlugin(mod.default) ? mod.default : mod[exportName];
  if (!isPlugin(candidate)) {
    throw new PluginSpecError(
      `${kind} module ${path}: exports no ${kind}: expected a default export or an export named "${exportName}" with name (string), description (string) and create(options) (function)`,
    );
  }
  const needs = candidate.needs ?? defaultNeeds;
  if (!Array.isArray(needs) || !needs.every((n) => (INPUT_KINDS as readonly string[]).includes(n))) {
    throw new PluginSpecError(`${kind} module ${path}: needs must list some of ${INPUT_KINDS.join(', ')}`);
  }
  return { ...(candidate as Plugin<Instance>), needs };
}

/** Whether a plugin spec names a JS module by path rather than a built-in. */
export function isModulePath(spec: string): boolean {
  return /\.(c|m)?js$/.test(spec) || spec.startsWith('.') || spec.startsWith('/');
}

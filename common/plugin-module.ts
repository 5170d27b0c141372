/**
 * Loads a plugin from a JS module given by path: its default export, or the named export
 * `exportName`, must be a factory `{ name, description, create(options) }`. Plain JS
 * (.js/.mjs/.cjs) runs as is; a .ts plugin must be compiled first (Node 20 does not load TypeScript).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface PluginFactory {
  name: string;
  description: string;
  create(options?: Record<string, unknown>): unknown;
}

export function isPluginFactory(x: unknown): x is PluginFactory {
  if (!x || typeof x !== 'object') return false;
  const f = x as Record<string, unknown>;
  return typeof f.name === 'string' && typeof f.description === 'string' && typeof f.create === 'function';
}

/** `kind` (detector, rca) names the plugin in errors; `exportName` is the accepted named export. */
export async function loadPluginModule(path: string, kind: string, exportName: string): Promise<PluginFactory> {
  const file = resolve(path);
  if (!existsSync(file)) throw new Error(`${kind} module ${path}: file not found (${file})`);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const candidate = isPluginFactory(mod.default) ? mod.default : mod[exportName];
  if (!isPluginFactory(candidate)) {
    throw new Error(
      `${kind} module ${path}: exports no ${kind}: expected a default export or an export named "${exportName}" with name (string), description (string) and create(options) (function)`,
    );
  }
  return candidate;
}

/** Whether a plugin spec names a JS module by path rather than a built-in. */
export function isModulePath(spec: string): boolean {
  return /\.(c|m)?js$/.test(spec) || spec.startsWith('.') || spec.startsWith('/');
}

/** `a=1,b=x` -> { a: 1, b: 'x' } (numbers parsed, the rest kept as strings). */
export function parsePluginOptions(kind: string, spec: string, text: string): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const part of text.split(',')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`${kind} ${spec}: option "${part}" is not key=value`);
    const value = part.slice(eq + 1);
    options[part.slice(0, eq)] = value !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
  }
  return options;
}

/**
 * A built-in by name, optionally with options (`ksigma:window=120,k=4`): the options are fixed
 * under whatever the caller passes to create(). `otherwise` says what else a spec may be.
 */
export function resolveBuiltIn<F extends PluginFactory>(kind: string, spec: string, builtIns: readonly F[], otherwise: string): F {
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const found = builtIns.find((f) => f.name === name);
  if (!found) throw new Error(`unknown ${kind} "${name}": built-ins are ${builtIns.map((f) => f.name).join(', ')}; ${otherwise}`);
  if (colon < 0) return found;
  const fixed = parsePluginOptions(kind, spec, spec.slice(colon + 1));
  return { ...found, name: spec, create: (options?: Record<string, unknown>) => found.create({ ...fixed, ...options }) };
}

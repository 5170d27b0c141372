/**
 * An RCA algorithm from a JS module given by path: its default export, or a named export `rca`,
 * must be an RcaFactory ({ name, description, create(options) } whose algorithm has
 * rank(input) -> Candidate[]). Plain JS (.js/.mjs/.cjs) runs as is; TypeScript must be compiled.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RcaFactory } from './types.js';

export function isRcaFactory(x: unknown): x is RcaFactory {
  if (!x || typeof x !== 'object') return false;
  const f = x as Record<string, unknown>;
  return typeof f.name === 'string' && typeof f.description === 'string' && typeof f.create === 'function';
}

export async function loadRcaModule(path: string): Promise<RcaFactory> {
  const file = resolve(path);
  if (!existsSync(file)) throw new Error(`rca module ${path}: file not found (${file})`);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const candidate = isRcaFactory(mod.default) ? mod.default : mod.rca;
  if (!isRcaFactory(candidate)) {
    throw new Error(
      `rca module ${path}: exports no algorithm: expected a default export or an export named "rca" with name (string), description (string) and create(options) (function)`,
    );
  }
  return candidate;
}

/**
 * A detector from a JS module given by path: its default export, or a named export `detector`,
 * must be a DetectorFactory ({ name, description, create(options) }). Plain JS (.js/.mjs/.cjs)
 * runs as is; a .ts plugin must be compiled first (Node 20 does not load TypeScript).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import type { DetectorFactory } from './types.js';

export function isDetectorFactory(x: unknown): x is DetectorFactory {
  if (!x || typeof x !== 'object') return false;
  const f = x as Record<string, unknown>;
  return typeof f.name === 'string' && typeof f.description === 'string' && typeof f.create === 'function';
}

export async function loadDetectorModule(path: string): Promise<DetectorFactory> {
  const file = resolve(path);
  if (!existsSync(file)) throw new Error(`detector module ${path}: file not found (${file})`);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const candidate = isDetectorFactory(mod.default) ? mod.default : mod.detector;
  if (!isDetectorFactory(candidate)) {
    throw new Error(
      `detector module ${path}: exports no detector: expected a default export or an export named "detector" with name (string), description (string) and create(options) (function)`,
    );
  }
  return candidate;
}

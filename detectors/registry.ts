/**
 * Detectors by name. A spec is one of:
 *   a built-in name, optionally with options: `ksigma` or `ksigma:window=120,k=4`
 *   a JS module path: `./my-detector.js` (plugin-module.ts)
 *   a subprocess: `cmd:python3 my_detector.py`, or a `.json` spec file (plugin-subprocess.ts)
 */
import type { Detection, Detector, DetectorFactory, Series } from './types.js';
import { thresholdDetector } from './threshold.js';
import { ksigmaDetector } from './ksigma.js';
import { madDetector } from './mad.js';
import { ewmaDetector } from './ewma.js';
import { seasonalDetector } from './seasonal.js';
import { holtWintersDetector } from './holt-winters.js';
import { spectralResidualDetector } from './spectral-residual.js';
import { binomialDetector } from './binomial.js';
import { kmeansWindowDetector } from './kmeans-window.js';
import { shituDetector } from './shitu.js';
import { loadDetectorModule } from './plugin-module.js';
import { parseCommandLine, readSubprocessSpec, subprocessFactory } from './plugin-subprocess.js';

const BUILT_INS: DetectorFactory[] = [
  thresholdDetector,
  ksigmaDetector,
  madDetector,
  ewmaDetector,
  seasonalDetector,
  holtWintersDetector,
  spectralResidualDetector,
  binomialDetector,
  kmeansWindowDetector,
  shituDetector,
];

export function listDetectors(): DetectorFactory[] {
  return [...BUILT_INS];
}

/** `a=1,b=x` -> { a: 1, b: 'x' } (numbers parsed, the rest kept as strings). */
function parseOptions(spec: string, text: string): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const part of text.split(',')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`detector ${spec}: option "${part}" is not key=value`);
    const value = part.slice(eq + 1);
    options[part.slice(0, eq)] = value !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
  }
  return options;
}

/** A factory whose create() merges fixed options under the caller's. */
function withOptions(base: DetectorFactory, name: string, fixed: Record<string, unknown>): DetectorFactory {
  return { name, description: base.description, create: (options) => base.create({ ...fixed, ...options }) };
}

export async function resolveDetector(spec: string): Promise<DetectorFactory> {
  const s = spec.trim();
  if (s.startsWith('cmd:')) {
    const { command, args } = parseCommandLine(s.slice(4));
    return subprocessFactory({ name: s, command, args });
  }
  if (s.endsWith('.json')) return subprocessFactory(await readSubprocessSpec(s));
  if (/\.(c|m)?js$/.test(s) || s.startsWith('.') || s.startsWith('/')) return loadDetectorModule(s);
  const colon = s.indexOf(':');
  const name = colon < 0 ? s : s.slice(0, colon);
  const found = BUILT_INS.find((f) => f.name === name);
  if (!found) {
    throw new Error(`unknown detector "${name}": built-ins are ${BUILT_INS.map((f) => f.name).join(', ')}; or give a .js module path, a .json spec or cmd:<command>`);
  }
  return colon < 0 ? found : withOptions(found, s, parseOptions(s, s.slice(colon + 1)));
}

/** Re-exported for plugin authors writing TypeScript against the contract. */
export type { Detection, Detector, DetectorFactory, Series };

/**
 * Detectors by name. A spec is one of:
 *   a built-in name, optionally with options: `ksigma` or `ksigma:window=120,k=4`
 *   a JS module path: `./my-detector.js` (common/plugin-module.ts)
 *   a subprocess: `cmd:python3 my_detector.py`, or a `.json` spec file (plugin-subprocess.ts)
 */
import type { Detection, Detector, DetectorFactory } from './types.js';
import type { Series } from '../data/types.js';
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
import { parseCommandLine } from '../common/json-lines-process.js';
import { isModulePath, loadPluginModule, resolveBuiltIn } from '../common/plugin-module.js';
import { readSubprocessSpec, subprocessFactory } from './plugin-subprocess.js';

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

export async function resolveDetector(spec: string): Promise<DetectorFactory> {
  const s = spec.trim();
  if (s.startsWith('cmd:')) {
    const { command, args } = parseCommandLine(s.slice(4));
    return subprocessFactory({ name: s, command, args });
  }
  if (s.endsWith('.json')) return subprocessFactory(await readSubprocessSpec(s));
  if (isModulePath(s)) return (await loadPluginModule(s, 'detector', 'detector')) as DetectorFactory;
  return resolveBuiltIn('detector', s, BUILT_INS, 'or give a .js module path, a .json spec or cmd:<command>');
}

/** Re-exported for plugin authors writing TypeScript against the contract. */
export type { Detection, Detector, DetectorFactory, Series };

/**
 * Detectors by name. A spec is one of:
 *   a built-in name, optionally with options: `ksigma` or `ksigma:window=120,floor=4`
 *   a JS module path: `./my-detector.js` (common/plugin-module.ts)
 *   a subprocess: `cmd:python3 my_detector.py`, or a `.json` spec file (plugin-subprocess.ts)
 * Plugins: docs/plugins.md.
 */
import type { Detector, DetectorPlugin } from './types.js';
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
import { bandDetector } from './band.js';
import { diffDetector } from './diff.js';
import { parseCommandLine } from '../common/json-lines-process.js';
import { isModulePath, loadPluginModule } from '../common/plugin-module.js';
import { Registry, type ResolveOptions, type Resolved } from '../common/plugin.js';
import { readSubprocessSpec, subprocessFactory } from './plugin-subprocess.js';
import { detectorModuleGuard } from './plugin-results.js';

export const detectorRegistry = new Registry<Detector>(
  'detector',
  [
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
    bandDetector,
    diffDetector,
  ],
  {
    accepts: (s) => s.startsWith('cmd:') || s.endsWith('.json') || isModulePath(s),
    async load(s, limits) {
      if (s.startsWith('cmd:')) {
        const { command, args } = parseCommandLine(s.slice(4));
        return subprocessFactory({ name: s, command, args }, limits);
      }
      if (s.endsWith('.json')) return subprocessFactory(readSubprocessSpec(s), limits);
      return loadPluginModule<Detector>(s, { kind: 'detector', exportName: 'detector', defaultNeeds: ['kpis'], limits, guard: detectorModuleGuard });
    },
    describe: 'a .js module path, a .json spec or cmd:<command>',
  },
);

export function listDetectors(): DetectorPlugin[] {
  return detectorRegistry.list();
}

/** `opts.limits` bound a plugin's calls (time limit, reply cap): docs/plugins.md. */
export function resolveDetector(spec: string, opts?: ResolveOptions): Promise<Resolved<Detector>> {
  return detectorRegistry.resolve(spec, opts);
}

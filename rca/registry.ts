/**
 * RCA methods by name. A spec is one of:
 *   a built-in name, optionally with options: `deepest-abnormal` or `deepest-abnormal:z=4`
 *   a JS module path: `./my-rca.js` (common/plugin-module.ts)
 *   a subprocess: `cmd:python3 my_rca.py` (plugin-subprocess.ts)
 * Plugins: docs/plugins.md.
 */
import { countRca } from './algorithms/count.js';
import { deepestAbnormalRca } from './algorithms/deepest-abnormal.js';
import { dstar2Rca } from './algorithms/dstar2.js';
import { kpiFirstRca } from './algorithms/kpi-first.js';
import { microrankRca } from './algorithms/microrank.js';
import { ochiaiRca } from './algorithms/ochiai.js';
import { simpleRulesRca } from './algorithms/simple-rules.js';
import { edgeLatencyRca } from './algorithms/edge-latency.js';
import { baroRca } from './algorithms/baro.js';
import { patternContrastRca } from './algorithms/pattern-contrast.js';
import { tarantulaRca } from './algorithms/tarantula.js';
import { isModulePath, loadPluginModule } from '../common/plugin-module.js';
import { Registry, type ResolveOptions, type Resolved } from '../common/plugin.js';
import { subprocessRca } from './plugin-subprocess.js';
import { rcaModuleGuard } from './plugin-results.js';
import type { RcaAlgorithm, RcaPlugin } from './types.js';

export const rcaRegistry = new Registry<RcaAlgorithm>('RCA method', [
  countRca,
  deepestAbnormalRca,
  ochiaiRca,
  tarantulaRca,
  dstar2Rca,
  microrankRca,
  kpiFirstRca,
  simpleRulesRca,
  edgeLatencyRca,
  baroRca,
  patternContrastRca,
], {
  accepts: (s) => s.startsWith('cmd:') || isModulePath(s),
  load: async (s, limits) =>
    s.startsWith('cmd:') ? subprocessRca(s, limits) : loadPluginModule<RcaAlgorithm>(s, { kind: 'RCA method', exportName: 'rca', defaultNeeds: [], limits, guard: rcaModuleGuard }),
  describe: 'a .js module path or cmd:<command>',
});

export function listRcaAlgorithms(): RcaPlugin[] {
  return rcaRegistry.list();
}

/** `opts.limits` bound a plugin's calls (time limit, reply cap): docs/plugins.md. */
export function resolveRcaAlgorithm(spec: string, opts?: ResolveOptions): Promise<Resolved<RcaAlgorithm>> {
  return rcaRegistry.resolve(spec, opts);
}

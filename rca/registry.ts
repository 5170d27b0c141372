/**
 * RCA algorithms by name. A spec is one of:
 *   a built-in name, optionally with options: `deepest-abnormal` or `deepest-abnormal:z=4`
 *   a JS module path: `./my-rca.js` (common/plugin-module.ts)
 *   a subprocess: `cmd:python3 my_rca.py` (plugin-subprocess.ts)
 */
import { countRca } from './algorithms/count.js';
import { deepestAbnormalRca } from './algorithms/deepest-abnormal.js';
import { dstar2Rca } from './algorithms/dstar2.js';
import { kpiFirstRca } from './algorithms/kpi-first.js';
import { microrankRca } from './algorithms/microrank.js';
import { ochiaiRca } from './algorithms/ochiai.js';
import { tarantulaRca } from './algorithms/tarantula.js';
import { isModulePath, loadPluginModule, resolveBuiltIn } from '../common/plugin-module.js';
import { subprocessRca } from './plugin-subprocess.js';
import type { RcaFactory } from './types.js';

const BUILT_INS: RcaFactory[] = [
  countRca,
  deepestAbnormalRca,
  ochiaiRca,
  tarantulaRca,
  dstar2Rca,
  microrankRca,
  kpiFirstRca,
];

export function listRcaAlgorithms(): RcaFactory[] {
  return [...BUILT_INS];
}

export async function resolveRcaAlgorithm(spec: string): Promise<RcaFactory> {
  const s = spec.trim();
  if (s.startsWith('cmd:')) return subprocessRca(s);
  if (isModulePath(s)) return (await loadPluginModule(s, 'rca algorithm', 'rca')) as RcaFactory;
  return resolveBuiltIn('rca algorithm', s, BUILT_INS, 'or give a .js module path or cmd:<command>');
}

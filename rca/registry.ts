/**
 * RCA algorithms by name. A spec is one of:
 *   a built-in name, optionally with options: `deepest-abnormal` or `deepest-abnormal:z=4`
 *   a JS module path: `./my-rca.js` (plugin-module.ts)
 *   a subprocess: `cmd:python3 my_rca.py` (plugin-subprocess.ts)
 */
import { countRca } from './algorithms/count.js';
import { deepestAbnormalRca } from './algorithms/deepest-abnormal.js';
import { dstar2Rca } from './algorithms/dstar2.js';
import { kpiFirstRca } from './algorithms/kpi-first.js';
import { microrankRca } from './algorithms/microrank.js';
import { ochiaiRca } from './algorithms/ochiai.js';
import { tarantulaRca } from './algorithms/tarantula.js';
import { loadRcaModule } from './plugin-module.js';
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

function parseOptions(spec: string, text: string): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const part of text.split(',')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`rca algorithm ${spec}: option "${part}" is not key=value`);
    const value = part.slice(eq + 1);
    options[part.slice(0, eq)] = value !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
  }
  return options;
}

export async function resolveRcaAlgorithm(spec: string): Promise<RcaFactory> {
  const s = spec.trim();
  if (s.startsWith('cmd:')) return subprocessRca(s);
  if (/\.(c|m)?js$/.test(s) || s.startsWith('.') || s.startsWith('/')) return loadRcaModule(s);
  const colon = s.indexOf(':');
  const name = colon < 0 ? s : s.slice(0, colon);
  const found = BUILT_INS.find((f) => f.name === name);
  if (!found) {
    throw new Error(
      `unknown rca algorithm "${name}": built-ins are ${BUILT_INS.map((f) => f.name).join(', ')}; or give a .js module path or cmd:<command>`,
    );
  }
  if (colon < 0) return found;
  const fixed = parseOptions(s, s.slice(colon + 1));
  return { name: s, description: found.description, create: (options) => found.create({ ...fixed, ...options }) };
}

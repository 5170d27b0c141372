/**
 * Root cause from metrics alone (and metrics with logs), without spans, across the simulator's
 * resource and network fault types: one fault per data set on several targets per type, its
 * per-instance metrics (metrics.arrow, the table `generate --export metrics-csv` writes) and
 * logs read back as `faultline rca --metrics ... [--logs ...] --incidents truth.json` reads them,
 * and ranked by the built-ins that run without spans. Prints AC@1 and AC@3 per fault type and
 * method, and over all types with 95% bootstrap intervals over the incidents. Synthetic data
 * only: nothing is held out.
 *
 *   npm run build && node dist/scripts/bench/rca-metrics-only.js \
 *     [--types cpu-saturation,...] [--targets 3] [--seeds 11,12] [--methods baro,baro:scale=floored,simple-rules] \
 *     [--inputs metrics,metrics+logs]
 *
 * Targets per type, spread evenly over the fault base's lists: instance faults on the first
 * instance of services that receive synchronous calls, edge faults on synchronous
 * service-to-service edges, database faults on the databases, channel faults on the channels;
 * the root cause is the one the data set's truth.json names. Each fault has its scenario's severity
 * (`scenarios/faults/<type>.yaml`), on the fault base for 1 h 40 min with the fault from 1 h for
 * 20 min, so each incident has the hour of fault-free metric rows before it as reference.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadSource } from '../../pipeline/load.js';
import { rankIncidents } from '../../rca/evaluate.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';
import type { RankedIncident } from '../../scores/rca.js';
import { acCell, arg, faultAimedAt, faultBaseTargets, hitsTable, list, machineLine, targetsOfType, withFaultData } from '../rca-bench-data.js';

const RESOURCE = ['cpu-saturation', 'noisy-neighbour', 'memory-leak', 'database-slow', 'slow-query'];
const NETWORK = ['network-delay', 'packet-loss', 'channel-slowdown'];
const TYPES = [...RESOURCE, ...NETWORK];
const INPUTS = ['metrics', 'metrics+logs'];
const types = list(arg('types', TYPES.join(',')));
const targetCount = Number(arg('targets', '3'));
const seeds = list(arg('seeds', '11,12')).map(Number);
const methods = list(arg('methods', 'baro,baro:scale=floored,simple-rules'));
const inputs = list(arg('inputs', INPUTS.join(',')));
for (const t of types) if (!TYPES.includes(t)) throw new Error(`--types: '${t}' is not one of ${TYPES.join(', ')}`);
for (const i of inputs) if (!INPUTS.includes(i)) throw new Error(`--inputs: '${i}' is not one of ${INPUTS.join(', ')}`);

const base = faultBaseTargets();
const callees = [...new Set(base.edges.map(([, to]) => to))];

const targetsOf = (type: string) => targetsOfType(type, { ...base, callees }, targetCount);

const ranked = new Map<string, RankedIncident[]>(); // `${inputs}\u0000${method}\u0000${type}` -> rankings
const algorithms = await Promise.all(methods.map((m) => resolveRcaAlgorithm(m)));

/** Ranks one data set's incidents from one input set, every method, and keeps the rankings. */
async function rankSet(out: string, set: string, label: string, type: string): Promise<void> {
  const withLogs = set === 'metrics+logs';
  const telemetry = await loadSource(
    { metrics: [join(out, 'metrics.arrow')], ...(withLogs ? { logs: [join(out, 'logs.arrow')] } : {}), incidents: join(out, 'truth.json') },
    { need: new Set(withLogs ? ['metrics', 'logs'] : ['metrics']) },
  );
  const line: string[] = [];
  for (const m of algorithms) {
    const r = await rankIncidents(m, telemetry.spans, telemetry.incidents, {
      ...(telemetry.metrics ? { metrics: telemetry.metrics } : {}),
      ...(telemetry.logs ? { logs: telemetry.logs } : {}),
      ...(telemetry.baselineLogs ? { baselineLogs: telemetry.baselineLogs } : {}),
    });
    const key = `${set}\u0000${m.name}\u0000${type}`;
    (ranked.get(key) ?? ranked.set(key, []).get(key)!).push(...r);
    line.push(`${m.name} ${r.map((x) => `${x.rank} (top ${x.candidates[0]?.instance ?? '-'})`).join('/')}`);
  }
  process.stderr.write(`${label} ${set}: ${line.join(', ')}\n`);
}

const scratch = mkdtempSync(join(tmpdir(), 'faultline-bench-metrics-'));
const wall0 = performance.now();
let dataSets = 0;
try {
  for (const type of types) {
    for (const { label, target } of targetsOf(type)) {
      for (const seed of seeds) {
        const description = `${type} on ${label}`;
        await withFaultData({ scratch, description, duration: '1h40m', faults: [faultAimedAt(type, target)], seed }, { logs: inputs.includes('metrics+logs'), metrics: true }, async (out) => {
          for (const set of inputs) await rankSet(out, set, `${description} seed ${seed}`, type);
        });
        dataSets++;
      }
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

console.log(`\n${types.length} fault types x ${targetCount} targets x ${seeds.length} seeds (${dataSets} data sets), seeds ${seeds.join(',')}; ${machineLine(performance.now() - wall0)}`);
for (const type of types) console.log(`${type}: ${targetsOf(type).map((t) => t.label).join(', ')}`);
for (const set of inputs) {
  console.log(`\n### ${set}, no spans: incidents at rank 1 / within rank 3\n`);
  console.log(hitsTable(methods, types, (m, type) => ranked.get(`${set}\u0000${m}\u0000${type}`) ?? []));
  const groups: [string, string[]][] = [
    ['resource types', types.filter((t) => RESOURCE.includes(t))],
    ['network types', types.filter((t) => NETWORK.includes(t))],
    ['all types', types],
  ];
  console.log(`\n| method | ${groups.map(([g]) => `AC@1 ${g}`).join(' | ')} | AC@3 all types |\n|---|${groups.map(() => '---|').join('')}---|`);
  for (const m of methods) {
    const of = (ts: string[]) => ts.flatMap((t) => ranked.get(`${set}\u0000${m}\u0000${t}`) ?? []);
    console.log(`| ${m} | ${groups.map(([, ts]) => acCell(of(ts), 1)).join(' | ')} | ${acCell(of(types), 3)} |`);
  }
}

/**
 * Root cause from traces alone, across the simulator's fault types: one fault per data set, on
 * several targets per type, exported as a tracing agent records calls (`generate --export
 * spans-csv`: a client span on the caller, a server span on the callee), read back as `--spans`
 * reads it (no message log, metrics or logs), and ranked by every RCA built-in that needs nothing
 * but spans. Two variants of the same data sets: spans with a status, and spans without one (as
 * on the Nezha day: the export's `spanStatus: false`). Prints AC@1 and AC@3 per fault type and
 * method with 95% bootstrap intervals over the incidents. Synthetic data only: nothing is held out.
 *
 *   npm run build && node dist/scripts/bench/rca-traces-only.js \
 *     [--types cpu-saturation,...] [--targets 3] [--seeds 11,12] [--methods edge-latency,...] \
 *     [--variants status,no-status] [--jitter nezha|none] [--min-rate 5] [--misses]
 *
 * Targets per type, spread evenly over the fault base's lists (the bench prints them), among those
 * that serve at least `--min-rate` (5) calls a minute in 20 fault-free minutes: instance faults on
 * the first instance of services that receive synchronous calls, edge faults on synchronous
 * service-to-service edges, database faults on the databases (their owners' calls), channel
 * faults on the channels, code-level faults (the control: they leave spans unchanged, or change
 * them only where a wrong value fails a later call) on services. Each fault has its scenario's severity
 * (`scenarios/faults/<type>.yaml`), on the fault base for 1 h 40 min with the fault from 1 h for
 * 20 min. `--jitter nezha` (default) gives the bus the time between client and server spans of the
 * Nezha Train-Ticket day's fault-free phase (median 2.6 ms, p95 22 ms, docs/results.md), through
 * the twin's leg fit; `none` keeps the fault base's quiet bus. For instance faults it also prints
 * how often the first candidate names the faulty instance.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fitLegs } from '../../pipeline/fit.js';
import { rankIncidents, type IncidentRanking } from '../../rca/evaluate.js';
import { listRcaAlgorithms, resolveRcaAlgorithm } from '../../rca/registry.js';
import { missingInputs } from '../../common/plugin.js';
import { loadScenario } from '../../sim/scenario.js';
import { acCell, arg, faultAimedAt, faultBaseTargets, generateFaultSpans, hitsTable, list, machineLine, targetsOfType } from '../rca-bench-data.js';

const TYPES = [
  'cpu-saturation',
  'memory-leak',
  'noisy-neighbour',
  'instance-down',
  'crash-loop',
  'network-delay',
  'packet-loss',
  'database-slow',
  'slow-query',
  'channel-slowdown',
  'code-exception',
  'wrong-return',
];
const types = list(arg('types', TYPES.join(',')));
const targetCount = Number(arg('targets', '3'));
const seeds = list(arg('seeds', '11,12')).map(Number);
const spanMethods = listRcaAlgorithms()
  .filter((p) => missingInputs(p, new Set(['spans'])) === undefined)
  .map((p) => p.name);
const methods = list(arg('methods', spanMethods.join(',')));
const variants = list(arg('variants', 'status,no-status'));
const jitter = arg('jitter', 'nezha');
const showMisses = process.argv.includes('--misses');
for (const v of variants) if (v !== 'status' && v !== 'no-status') throw new Error(`--variants: '${v}' is neither status nor no-status`);
if (jitter !== 'nezha' && jitter !== 'none') throw new Error(`--jitter: '${jitter}' is neither nezha nor none`);
for (const t of types) if (!TYPES.includes(t)) throw new Error(`--types: '${t}' is not one of ${TYPES.join(', ')}`);

// The Nezha day's fault-free gaps between client and server spans (docs/results.md, the twin's fit).
const legs = jitter === 'nezha' ? fitLegs(2.6, 22) : undefined;
const minRate = Number(arg('min-rate', '5'));
const base = faultBaseTargets();
// Calls per minute each service and edge serves, from 20 fault-free minutes (seed 1): a fault on
// a service that serves a handful of calls in the window leaves too few spans for any method.
const rate = new Map<string, number>();
{
  const scratch = mkdtempSync(join(tmpdir(), 'faultline-bench-traces-rates-'));
  try {
    const { tables } = await generateFaultSpans({ scratch, description: 'call rates', duration: '20m', faults: [], seed: 1, ...(legs ? { legs } : {}) });
    const t = tables[0]![1];
    for (let i = 0; i < t.length; i++) {
      const callee = t.strings[t.service[i]!]!;
      rate.set(callee, (rate.get(callee) ?? 0) + 1 / 20);
      const p = t.parent[i]!;
      if (p >= 0) rate.set(`${t.strings[t.service[p]!]} -> ${callee}`, (rate.get(`${t.strings[t.service[p]!]} -> ${callee}`) ?? 0) + 1 / 20);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
const busy = (name: string) => (rate.get(name) ?? 0) >= minRate;
const callees = [...new Set(base.edges.map(([, to]) => to))].filter(busy);
const edges = base.edges.filter(([from, to]) => busy(`${from} -> ${to}`));
const owner = new Map(loadScenario('fault-base').scenario.databases?.map((d) => [d.name, d.owner]) ?? []);
const databases = base.databases.filter((d) => busy(owner.get(d)!));
const channels = base.channels.filter(busy);
const targetsOf = (type: string) => targetsOfType(type, { callees, edges, databases, channels }, targetCount);

const ranked = new Map<string, IncidentRanking[]>(); // `${variant}\u0000${method}\u0000${type}` -> rankings
const labels: string[] = []; // per incident of a (variant, method), in the order of the rankings
const algorithms = await Promise.all(methods.map((m) => resolveRcaAlgorithm(m)));
const scratch = mkdtempSync(join(tmpdir(), 'faultline-bench-traces-'));
const wall0 = performance.now();
let dataSets = 0;
try {
  for (const type of types) {
    for (const { label, target } of targetsOf(type)) {
      const fault = faultAimedAt(type, target);
      for (const seed of seeds) {
        for (const variant of variants) {
          const { incidents, tables } = await generateFaultSpans({
            scratch,
            description: `${type} on ${label}`,
            duration: '1h40m',
            faults: [fault],
            seed,
            spanStatus: variant === 'status',
            ...(legs ? { legs } : {}),
          });
          dataSets++;
          if (variant === variants[0]) for (const _ of incidents) labels.push(`${type} ${label} seed ${seed}`);
          const spans = tables[0]![1];
          const line: string[] = [];
          for (const m of algorithms) {
            const key = `${variant}\u0000${m.name}\u0000${type}`;
            const r = await rankIncidents(m, spans, incidents);
            (ranked.get(key) ?? ranked.set(key, []).get(key)!).push(...r);
            line.push(`${m.name} ${r.map((x) => x.rank).join('/')}`);
          }
          process.stderr.write(`${type} ${label} seed ${seed} ${variant}: ${line.join(', ')}\n`);
        }
      }
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const all = (variant: string, method: string) => types.flatMap((t) => ranked.get(`${variant}\u0000${method}\u0000${t}`) ?? []);
console.log(
  `\n${types.length} fault types x ${targetCount} targets x ${seeds.length} seeds x ${variants.length} variants (${dataSets} data sets); jitter ${legs ? `nezha (leg ${legs.legMs.toFixed(3)} ms, shape ${legs.legSigma})` : 'none'}; ${machineLine(performance.now() - wall0)}`,
);
for (const type of types) console.log(`${type}: ${targetsOf(type).map((t) => t.label).join(', ')}`);
const title = (variant: string) => `spans ${variant === 'status' ? 'with' : 'without'} status`;
for (const variant of variants) {
  console.log(`\n### ${title(variant)}: incidents at rank 1 / within rank 3 (the best per type in bold)\n`);
  console.log(hitsTable(methods, types, (m, type) => ranked.get(`${variant}\u0000${m}\u0000${type}`) ?? [], true));
  console.log(`\n| method | AC@1 all types | AC@3 all types |\n|---|---|---|`);
  for (const m of methods) console.log(`| ${m} | ${acCell(all(variant, m), 1)} | ${acCell(all(variant, m), 3)} |`);
  // Instance faults: whether the first candidate names the faulty instance, not only its service.
  const instanceTypes = types.filter((t) => (ranked.get(`${variant}\u0000${methods[0]}\u0000${t}`) ?? []).some((r) => r.instanceRank !== undefined));
  if (instanceTypes.length) {
    console.log(`\n### ${title(variant)}, instance faults: the faulty instance at rank 1\n`);
    console.log(`| fault type | ${methods.join(' | ')} |`);
    console.log(`|---|${methods.map(() => '---|').join('')}`);
    for (const type of instanceTypes) {
      const cells = methods.map((m) => {
        const r = (ranked.get(`${variant}\u0000${m}\u0000${type}`) ?? []).filter((x) => x.instanceRank !== undefined);
        return `${r.filter((x) => x.instanceRank === 1).length} of ${r.length}`;
      });
      console.log(`| ${type} | ${cells.join(' | ')} |`);
    }
  }
}
// Per method and fault type, with 95% bootstrap intervals over the type's incidents.
for (const m of methods) {
  console.log(`\n### ${m}\n\n| fault type | ${variants.map((v) => `AC@1 ${title(v)} | AC@3 ${title(v)}`).join(' | ')} |`);
  console.log(`|---|${variants.map(() => '---|---|').join('')}`);
  for (const type of types) {
    const cells = variants.map((v) => {
      const r = ranked.get(`${v}\u0000${m}\u0000${type}`) ?? [];
      return `${acCell(r, 1)} | ${acCell(r, 3)}`;
    });
    console.log(`| ${type} | ${cells.join(' | ')} |`);
  }
}
if (showMisses) {
  for (const variant of variants) {
    for (const m of methods) {
      const misses = all(variant, m)
        .map((r, i) => ({ r, label: labels[i]! }))
        .filter(({ r }) => r.rank !== 1 || (r.instanceRank !== undefined && r.instanceRank !== 1))
        .map(({ r, label }) => `${label} (rank ${r.rank}${r.instanceRank !== undefined ? `, instance rank ${r.instanceRank}` : ''}; top ${r.candidates.slice(0, 2).map((c) => `${c.instance ?? c.service}: ${c.explanation}`).join(' | ')})`);
      console.log(`\nmisses of ${m} (${title(variant)}):\n  ${misses.join('\n  ')}`);
    }
  }
}

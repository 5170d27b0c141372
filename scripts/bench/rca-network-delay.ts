/**
 * Network delay found from client and server spans: one delayed bus edge per data set (the
 * simulator's network-delay fault, latency added to the request and reply legs of one caller ->
 * callee pair), exported as a tracing agent records calls (a client span on the caller, a server
 * span on the callee, `generate --export spans-csv`), and ranked by the RCA methods from those
 * spans alone. The same data sets' transaction trees from the message log (one row per call, with
 * the callee's own view) are ranked beside them with `--merged`. Prints AC@1 per method with its
 * 95% bootstrap interval over the incidents, and per severity; the root cause is the edge's callee
 * (the convention of fault-injection truth).
 *
 *   npm run build && node dist/scripts/bench/rca-network-delay.js \
 *     [--edges 12] [--severities 0.02,0.1,0.4] [--seeds 11,12] [--methods edge-latency,baro,...] [--merged]
 *
 * Edges: the synchronous calls between bank services of the fault base (`scenarios/fault-base.yaml`),
 * `--edges` of them spread evenly over the list in the order the scenario's transactions call them.
 * Each data set: the fault base for 1 h 40 min, the fault from 1 h for 20 min, no logs or metrics.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { rankIncidents } from '../../rca/evaluate.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';
import type { RankedIncident } from '../../scores/rca.js';
import { acCell, arg, faultBaseTargets, generateFaultSpans, list, machineLine, spread } from '../rca-bench-data.js';

const edgeCount = Number(arg('edges', '12'));
const severities = list(arg('severities', '0.02,0.1,0.4')).map(Number);
const seeds = list(arg('seeds', '11,12')).map(Number);
const methods = list(arg('methods', 'edge-latency,baro,pattern-contrast,deepest-abnormal,simple-rules'));
const merged = process.argv.includes('--merged');

const picked = spread(faultBaseTargets().edges, edgeCount);

const views = merged ? ['client and server spans', 'merged calls'] : ['client and server spans'];
const ranked = new Map<string, RankedIncident[]>(); // `${view}\u0000${method}` -> rankings
const severityOf: number[] = []; // per incident, in the order of the rankings
const algorithms = await Promise.all(methods.map((m) => resolveRcaAlgorithm(m)));
const scratch = mkdtempSync(join(tmpdir(), 'faultline-bench-delay-'));
const wall0 = performance.now();
try {
  for (const [from, to] of picked) {
    for (const severity of severities) {
      for (const seed of seeds) {
        const { incidents, tables } = await generateFaultSpans({
          scratch,
          description: `network delay ${from} -> ${to}, severity ${severity}`,
          duration: '1h40m',
          faults: [{ type: 'network-delay', target: { from, to }, start: '1h', duration: '20m', severity }],
          seed,
          merged,
        });
        for (const _ of incidents) severityOf.push(severity);
        for (const [view, spans] of tables) {
          for (const m of algorithms) {
            const key = `${view}\u0000${m.name}`;
            const r = await rankIncidents(m, spans, incidents);
            (ranked.get(key) ?? ranked.set(key, []).get(key)!).push(...r);
          }
        }
        process.stderr.write(`${from} -> ${to} severity ${severity} seed ${seed}: ${methods.map((m) => `${m} ${ranked.get(`${views[0]}\u0000${m}`)!.at(-1)!.rank}`).join(', ')}\n`);
      }
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

console.log(`\n${picked.length} edges x ${severities.length} severities x ${seeds.length} seeds; ${machineLine(performance.now() - wall0)}`);
console.log(`edges: ${picked.map(([a, b]) => `${a} -> ${b}`).join(', ')}\n`);
console.log(`| method | ${views.map((v) => `AC@1 ${v}`).join(' | ')} | ${severities.map((s) => `severity ${s}`).join(' | ')} |`);
console.log(`|---|${views.map(() => '---|').join('')}${severities.map(() => '---|').join('')}`);
for (const m of algorithms) {
  const cells = views.map((v) => acCell(ranked.get(`${v}\u0000${m.name}`)!, 1));
  const own = ranked.get(`${views[0]}\u0000${m.name}`)!;
  const bySeverity = severities.map((sev) => {
    const of = own.filter((_, i) => severityOf[i] === sev);
    return `${of.filter((r) => r.rank === 1).length}/${of.length}`;
  });
  console.log(`| ${m.name} | ${cells.join(' | ')} | ${bySeverity.join(' | ')} |`);
}

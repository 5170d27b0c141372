/**
 * Network delay found from client and server spans, on a link and on an instance's network
 * interface: one delayed target per data set (the simulator's network-delay fault: latency added
 * to the request and reply legs of one caller -> callee pair, or to everything one instance sends,
 * as netem on a pod's egress does), exported as a tracing agent records calls (a client span on
 * the caller, a server span on the callee, `generate --export spans-csv`), and ranked by the RCA
 * methods from those spans alone. The same data sets' transaction trees from the message log (one
 * row per call, with the callee's own view) are ranked beside them with `--merged`. Prints AC@1
 * per method with its 95% bootstrap interval over the incidents, per kind of target and per
 * severity; the root cause is the link's callee (the convention of fault-injection truth) or the
 * delayed instance's service.
 *
 *   npm run build && node dist/scripts/bench/rca-network-delay.js \
 *     [--edges 12] [--interfaces 12] [--severities 0.02,0.1,0.4] [--seeds 11,12] [--methods edge-latency,baro,...] [--merged] [--no-kind]
 *     [--type packet-loss]
 *
 * Links: the synchronous calls between bank services of the fault base (`scenarios/fault-base.yaml`),
 * `--edges` of them spread evenly over the list in the order the scenario's transactions call them.
 * Interfaces: the first instance of `--interfaces` services that receive synchronous calls, spread
 * evenly over the same order. Each data set: the fault base for 1 h 40 min, the fault from 1 h for
 * 20 min, no logs or metrics. `--type packet-loss`: the same targets losing packets in place of
 * delaying them (a lost request leaves a client span without its server span). `--no-kind`: the spans carry no kind (as the Nezha day's), so a call
 * reads as a client span and the server span under it, unpaired.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { rankIncidents } from '../../rca/evaluate.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';
import type { RankedIncident } from '../../scores/rca.js';
import { acCell, arg, faultBaseTargets, generateFaultSpans, list, machineLine, spread } from '../rca-bench-data.js';
import type { TargetSpec } from '../../sim/scenario-schema.js';

const edgeCount = Number(arg('edges', '12'));
const severities = list(arg('severities', '0.02,0.1,0.4')).map(Number);
const seeds = list(arg('seeds', '11,12')).map(Number);
const methods = list(arg('methods', 'edge-latency,baro,pattern-contrast,deepest-abnormal,simple-rules'));
const faultType = arg('type', 'network-delay');
if (faultType !== 'network-delay' && faultType !== 'packet-loss') throw new Error(`--type ${faultType}: network-delay or packet-loss`);
const merged = process.argv.includes('--merged');
// Spans without a kind, as the Nezha day's: the gap is read from a client span and the server span under it.
const noKind = process.argv.includes('--no-kind');

const interfaceCount = Number(arg('interfaces', '12'));
const base = faultBaseTargets();
// Services that receive synchronous calls, in the order the transactions first call them.
const callees = [...new Set(base.edges.map(([, to]) => to))];
const links = spread(base.edges, edgeCount).map(([from, to]) => ({ kind: 'link', label: `${from} -> ${to}`, target: { from, to } as TargetSpec }));
const interfaces = spread(callees, interfaceCount).map((service) => ({ kind: 'interface', label: `${service} #1`, target: { service, instance: 1 } as TargetSpec }));
const picked = [...links, ...interfaces];
const kinds = [...new Set(picked.map((p) => p.kind))];

const views = merged ? ['client and server spans', 'merged calls'] : ['client and server spans'];
const ranked = new Map<string, RankedIncident[]>(); // `${view}\u0000${method}` -> rankings
const severityOf: number[] = []; // per incident, in the order of the rankings
const kindOf: string[] = [];
const algorithms = await Promise.all(methods.map((m) => resolveRcaAlgorithm(m)));
const scratch = mkdtempSync(join(tmpdir(), 'faultline-bench-delay-'));
const wall0 = performance.now();
try {
  for (const { kind, label, target } of picked) {
    for (const severity of severities) {
      for (const seed of seeds) {
        const { incidents, tables } = await generateFaultSpans({
          scratch,
          description: `${faultType} on ${label}, severity ${severity}`,
          duration: '1h40m',
          faults: [{ type: faultType, target, start: '1h', duration: '20m', severity }],
          seed,
          merged,
          ...(noKind ? { spanKind: false as const } : {}),
        });
        for (const _ of incidents) {
          severityOf.push(severity);
          kindOf.push(kind);
        }
        for (const [view, spans] of tables) {
          for (const m of algorithms) {
            const key = `${view}\u0000${m.name}`;
            const r = await rankIncidents(m, spans, incidents);
            (ranked.get(key) ?? ranked.set(key, []).get(key)!).push(...r);
          }
        }
        process.stderr.write(`${label} severity ${severity} seed ${seed}: ${methods.map((m) => `${m} ${ranked.get(`${views[0]}\u0000${m}`)!.at(-1)!.rank}`).join(', ')}\n`);
      }
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

console.log(`\n${faultType}: ${links.length} links and ${interfaces.length} interfaces x ${severities.length} severities x ${seeds.length} seeds; ${machineLine(performance.now() - wall0)}`);
for (const kind of kinds) console.log(`${kind}s: ${picked.filter((p) => p.kind === kind).map((p) => p.label).join(', ')}`);
console.log('');
const count = (of: RankedIncident[]) => `${of.filter((r) => r.rank === 1).length}/${of.length}`;
console.log(`| method | ${views.map((v) => `AC@1 ${v}`).join(' | ')} | ${kinds.map((k) => `${k}s`).join(' | ')} | ${severities.map((s) => `severity ${s}`).join(' | ')} |`);
console.log(`|---|${views.map(() => '---|').join('')}${kinds.map(() => '---|').join('')}${severities.map(() => '---|').join('')}`);
for (const m of algorithms) {
  const cells = views.map((v) => acCell(ranked.get(`${v}\u0000${m.name}`)!, 1));
  const own = ranked.get(`${views[0]}\u0000${m.name}`)!;
  const byKind = kinds.map((k) => count(own.filter((_, i) => kindOf[i] === k)));
  const bySeverity = severities.map((sev) => count(own.filter((_, i) => severityOf[i] === sev)));
  console.log(`| ${m.name} | ${cells.join(' | ')} | ${byKind.join(' | ')} | ${bySeverity.join(' | ')} |`);
}

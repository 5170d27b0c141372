/**
 * The RCA figures of the README: every built-in over the simulated fault suite (every scenario
 * under scenarios/faults and scenarios/hard) for the given seeds, pooled over all incidents.
 *
 *   node dist/scripts/rca-suite.js --seeds 2,3 [--data-root /tmp/faultline-suite] [--algorithm a,b]
 *
 * Data sets are generated under the data root (kept, and reused when already there), trees built
 * once per data set, then each algorithm ranks each fault. Prints AC@1, AC@3, Avg@5, MRR and PR@5
 * overall and AC@1 by fault type, and writes suite-metrics.json in the data root.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '../sim/generate.js';
import { readKpis, readTruth } from '../sim/read.js';
import { listScenarios } from '../sim/scenario.js';
import { writeFileAtomic } from '../common/atomic-file.js';
import { kpiFrameFromTable, rankIncidents, type IncidentRanking } from '../rca/evaluate.js';
import { incidentsFromTruth } from '../data/incidents.js';
import { scoreRankings } from '../scores/rca.js';
import { listRcaAlgorithms, resolveRcaAlgorithm } from '../rca/registry.js';
import { buildSpans } from '../trees/index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const seeds = (arg('seeds') ?? '2').split(',').map(Number);
const root = arg('data-root') ?? '/tmp/faultline-suite';
const specs = arg('algorithm')?.split(',') ?? listRcaAlgorithms().map((f) => f.name);
const scenarios = listScenarios().filter((s) => s.startsWith('faults/') || s.startsWith('hard/'));
const factories = await Promise.all(specs.map((s) => resolveRcaAlgorithm(s)));
const pooled = new Map<string, IncidentRanking[]>(specs.map((s) => [s, []]));
for (const seed of seeds) {
  for (const scenario of scenarios) {
    const dir = join(root, `s${seed}`, scenario.replace('/', '_'));
    if (!existsSync(join(dir, 'manifest.json'))) await generate({ scenario, seed, out: dir });
    const spans = await buildSpans(join(dir, 'messages.arrow'));
    const truth = await readTruth(dir);
    const incidents = incidentsFromTruth(truth).map((i) => ({
      ...i,
      // Hard cases are scored under their own label as well as their fault type.
      type: truth.faults.find((f) => f.id === i.id)!.tags.length ? `hard/${scenario.split('/')[1]}` : i.type,
    }));
    const kpis = kpiFrameFromTable(await readKpis(join(dir, 'kpis.arrow')));
    const line: string[] = [];
    for (const [k, f] of factories.entries()) {
      const r = await rankIncidents(f, spans, incidents, { kpis });
      pooled.get(specs[k])!.push(...r);
      line.push(`${specs[k]}=${r.map((x) => x.rank).join('/')}`);
    }
    process.stdout.write(`seed ${seed} ${scenario}: ${line.join(' ')}\n`);
  }
}
const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '-');
const out: Record<string, unknown> = {};
const rows = specs.map((s) => {
  const m = scoreRankings(pooled.get(s)!);
  out[s] = m;
  return {
    algorithm: s,
    incidents: m.incidents,
    'AC@1 %': pct(m.ac1),
    'AC@3 %': pct(m.ac3),
    'Avg@5 %': pct(m.avg5),
    MRR: m.mrr.toFixed(3),
    'PR@5': m.prAt[5].toFixed(3),
  };
});
console.table(rows);
const types = [...new Set(specs.flatMap((s) => Object.keys((out[s] as ReturnType<typeof scoreRankings>).byType)))].sort();
console.table(
  types.map((t) => ({
    type: t,
    ...Object.fromEntries(specs.map((s) => [s, pct((out[s] as ReturnType<typeof scoreRankings>).byType[t]?.ac1 ?? NaN)])),
  })),
);
writeFileAtomic(join(root, 'suite-metrics.json'), JSON.stringify({ seeds, scenarios, algorithms: out }, null, 1) + '\n');

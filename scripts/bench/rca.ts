/**
 * Tree building throughput: messages per second through TransactionTreeBuilder (pairing,
 * linking, merging, emitting spans) on one core, on a generated scenario's messages held in
 * memory (so the Arrow read is not timed), plus the RCA algorithms' time per incident.
 *
 *   npm run build && node dist/scripts/bench/rca.js [--duration 1h]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Bench } from 'tinybench';
import { generate } from '../../sim/generate.js';
import type { MessageBatch } from '../../sim/formats.js';
import { readTruth, scanMessages } from '../../sim/read.js';
import { rankIncidents } from '../../rca/evaluate.js';
import { incidentsFromTruth } from '../../data/incidents.js';
import { rcaRegistry } from '../../rca/registry.js';
import { TransactionTreeBuilder } from '../../trees/builder.js';
import { loadTreeRules } from '../../trees/rules.js';
import { benchRows } from '../bench-table.js';

const durationArg = process.argv.indexOf('--duration');
const duration = durationArg > 0 ? process.argv[durationArg + 1] : '3h';
const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-rca-'));
try {
  await generate({ scenario: 'faults/database-slow', seed: 1, out: dir, duration });
  const batches: MessageBatch[] = [];
  await scanMessages(join(dir, 'messages.arrow'), (b) => void batches.push(b));
  const messages = batches.reduce((s, b) => s + b.length, 0);
  const rules = loadTreeRules();
  let spans = new TransactionTreeBuilder(rules).finish();
  const bench = new Bench({ iterations: 5, warmupIterations: 1, time: 0 });
  bench.add(`build trees (${messages} messages)`, () => {
    const builder = new TransactionTreeBuilder(rules);
    for (const b of batches) builder.push(b);
    spans = builder.finish();
  });
  await bench.run();
  const rows = benchRows(bench, (_, r) => ({
    'mean ms': r.latency.mean.toFixed(1),
    'messages/s': `${((messages / r.latency.mean) * 1000 / 1e6).toFixed(2)} M`,
    'calls/s': `${((spans.length / r.latency.mean) * 1000 / 1e6).toFixed(2)} M`,
    samples: String(r.latency.samplesCount),
  }));
  // CPU time as well as wall time: on a shared machine the wall clock also counts waiting for a core.
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const runs = 3;
  for (let k = 0; k < runs; k++) {
    const builder = new TransactionTreeBuilder(rules);
    for (const b of batches) builder.push(b);
    spans = builder.finish();
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / runs;
  const wallMs = (performance.now() - wall0) / runs;
  rows.push({
    task: `same, ${runs} runs: CPU time (wall ${wallMs.toFixed(1)} ms)`,
    'mean ms': cpuMs.toFixed(1),
    'messages/s': `${((messages / cpuMs) * 1000 / 1e6).toFixed(2)} M`,
    'calls/s': `${((spans.length / cpuMs) * 1000 / 1e6).toFixed(2)} M`,
    samples: String(runs),
  });
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  console.table(rows);
  console.log(`${spans.length} calls; heap in use after building ${heapMb.toFixed(0)} MB (batches held in memory)`);
  console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores (wall times include waiting for a core)`);

  const incidents = incidentsFromTruth(await readTruth(dir));
  const algos: Record<string, string>[] = [];
  for (const f of await rcaRegistry.resolveAll(['all'], new Set(['spans']))) {
    const ranked = await rankIncidents(f, spans, incidents);
    algos.push({ algorithm: f.name, 'ms per incident': (ranked.reduce((s, x) => s + x.computeMs, 0) / ranked.length).toFixed(1) });
  }
  console.table(algos);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

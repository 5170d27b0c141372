/**
 * Scenario-engine throughput: messages per second, one core, for
 *   - generate():   the whole data set (messages.arrow, kpis.arrow, truth.json with its
 *                   counterfactual runs, manifest.json with sha256);
 *   - engine+write: the simulation streaming messages.arrow (the Arrow write included);
 *   - engine only:  the simulation in KPI-only mode (no message rows);
 * and the peak resident memory (maxRSS) of the process. Targets (issue 2): >= 5M messages/s on one
 * core and < 500 MB peak for a 100M-message scenario.
 *
 *   npm run build && node dist/scripts/bench/sim.js
 *   FL_BENCH_SCENARIO=default FL_BENCH_DURATION=1d FL_BENCH_SCALE=1 FL_BENCH_ITERATIONS=5 node dist/scripts/bench/sim.js
 *   node dist/scripts/bench/sim.js --big    # one generate() of ~100M messages; prints maxRSS
 *
 * Output goes to $TMPDIR/faultline-bench-sim and is removed afterwards.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { Engine } from '../../sim/engine.js';
import { compileFaults } from '../../sim/faults.js';
import { generate } from '../../sim/generate.js';
import { KpiAccumulator } from '../../sim/kpi-accumulator.js';
import { MessageLogWriter } from '../../sim/message-writer.js';
import { MessageRows, messageDictionaries } from '../../sim/message-rows.js';
import { compileModel } from '../../sim/model.js';
import { loadScenario } from '../../sim/scenario.js';
import { parseDuration } from '../../common/duration.js';
import { benchRows } from '../bench-table.js';

const out = join(tmpdir(), 'faultline-bench-sim');
mkdirSync(out, { recursive: true });
const big = process.argv.includes('--big');
const scenarioName = process.env.FL_BENCH_SCENARIO ?? (big ? 'default' : 'faults/database-slow');
// default: 24h is ~24.8M messages at its own scale, so x4.1 gives ~100M.
const duration = process.env.FL_BENCH_DURATION ?? (big ? '1d' : undefined);
const trafficScale = Number(process.env.FL_BENCH_SCALE ?? (big ? 4.1 : 1));
const mb = () => (process.resourceUsage().maxRSS / 1024).toFixed(0);

try {
  if (big) {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const r = await generate({ scenario: scenarioName, seed: 1, out, duration, trafficScale });
    const s = (performance.now() - started) / 1000;
    const cpuUsed = process.cpuUsage(cpuBefore);
    const cpuS = (cpuUsed.user + cpuUsed.system) / 1e6;
    const n = r.manifest.counts.messages;
    console.log(`generate ${scenarioName} ${duration ?? ''} x${trafficScale}: ${n.toLocaleString('en')} messages in ${s.toFixed(1)} s`);
    console.table([
      {
        messages: n.toLocaleString('en'),
        'seconds': s.toFixed(1),
        'messages/s': `${(n / s / 1e6).toFixed(2)} M`,
        'CPU s': cpuS.toFixed(1),
        'messages/CPU-s': `${(n / cpuS / 1e6).toFixed(2)} M`,
        'messages.arrow MB': (r.manifest.files['messages.arrow']!.bytes / 1e6).toFixed(0),
        'peak RSS MB': mb(),
      },
    ]);
  } else {
    const { scenario } = loadScenario(scenarioName);
    const model = compileModel(scenario, { durationMs: duration ? parseDuration(duration) : undefined, trafficScale });
    const faults = compileFaults(model, scenario.faults ?? []);
    const counts: Record<string, number> = {};
    // CPU seconds (user + system) per task run as well as wall time: on a shared machine the wall
    // time also measures the neighbours.
    const cpu: Record<string, number[]> = {};
    // The previous iteration's files are deleted before each run, untimed: freeing a few hundred
    // MB of page cache is not generation work.
    const clean = () => {
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out, { recursive: true });
    };
    const task = (name: string, fn: () => Promise<number> | number) =>
      bench.add(
        name,
        async () => {
          const before = process.cpuUsage();
          counts[name] = await fn();
          const used = process.cpuUsage(before);
          (cpu[name] ??= []).push((used.user + used.system) / 1e6);
        },
        { beforeEach: clean },
      );
    const bench = new Bench({ iterations: Number(process.env.FL_BENCH_ITERATIONS ?? 5), warmupIterations: 1, time: 0 });
    task('generate() (all files + truth)', async () => (await generate({ scenario: scenarioName, seed: 1, out, duration, trafficScale })).manifest.counts.messages);
    task('engine + messages.arrow write', async () => {
      const writer = await MessageLogWriter.open(join(out, 'bench.arrow'), messageDictionaries(model), { fitIndices: true });
      const r = new Engine(model, faults, 1, new KpiAccumulator(model), new MessageRows(writer, model)).run();
      await writer.close();
      return r.messages;
    });
    task('engine only (KPI mode)', () => new Engine(model, faults, 1, new KpiAccumulator(model)).run().messages);
    await bench.run();
    const rows = benchRows(bench, (name, r) => {
      const n = counts[name]!;
      const cpuRuns = cpu[name]!.slice(-r.latency.samplesCount); // measured runs, not warm-up
      const cpuMean = cpuRuns.reduce((x, y) => x + y, 0) / cpuRuns.length;
      // The least CPU of the runs: on a shared machine, cache and frequency interference only add.
      const cpuBest = Math.min(...cpuRuns);
      return {
        messages: n.toLocaleString('en'),
        'mean ms': r.latency.mean.toFixed(0),
        'messages/s': `${((n / r.latency.mean) * 1000 / 1e6).toFixed(2)} M`,
        'CPU s': cpuMean.toFixed(2),
        'messages/CPU-s': `${(n / cpuMean / 1e6).toFixed(2)} M`,
        'best CPU s': cpuBest.toFixed(2),
        'messages/best CPU-s': `${(n / cpuBest / 1e6).toFixed(2)} M`,
        samples: String(r.latency.samplesCount),
      };
    });
    console.log(`scenario ${scenarioName}${duration ? ` for ${duration}` : ''} x${trafficScale}, one core:`);
    console.table(rows);
    console.log(`peak RSS: ${mb()} MB`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}

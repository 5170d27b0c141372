/**
 * Scenario-engine costs, one core:
 *   - throughput (tinybench, in this process): messages per second for
 *       generate():   the whole data set without logs and metrics (messages.arrow, kpis.arrow,
 *                     truth.json with its counterfactual runs, manifest.json with sha256);
 *       engine+write: the simulation streaming messages.arrow (the Arrow write included);
 *       engine only:  the simulation in KPI-only mode (no message rows);
 *   - telemetry cost: generate() without logs and metrics against generate() with logs.arrow and
 *     metrics.arrow (target: within 2x), each variant in its own child process (a shared call site
 *     would skew the JIT), alternated, CPU seconds per run;
 *   - memory in the run length: peak RSS of generate() with logs and metrics for a run and for a
 *     run four times as long (target: flat), each in its own child process.
 * Targets (issues 2 and 13): >= 5M messages/s on one core; < 500 MB peak for a 100M-message
 * scenario; logs and metrics within 2x; memory flat in the run length.
 *
 *   npm run build && node dist/scripts/bench/sim.js
 *   FL_BENCH_SCENARIO=default FL_BENCH_DURATION=1d FL_BENCH_SCALE=1 FL_BENCH_ITERATIONS=5 node dist/scripts/bench/sim.js
 *   node dist/scripts/bench/sim.js --big    # generate() of ~100M messages without, then with logs and metrics (one process each, no warm-up); peak RSS
 *
 * Output goes to $TMPDIR/faultline-bench-sim-<pid> and is removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { Engine } from '../../sim/engine.js';
import { compileFaults } from '../../sim/faults.js';
import { generate } from '../../sim/generate.js';
import { KpiAccumulator } from '../../sim/kpi-accumulator.js';
import { MessageLogWriter } from '../../sim/message-writer.js';
import { MessageRows, messageDictionaries, messageOperations } from '../../sim/message-rows.js';
import { compileModel } from '../../sim/model.js';
import { loadScenario } from '../../sim/scenario.js';
import { parseDuration } from '../../common/duration.js';
import { benchRows } from '../bench-table.js';

const out = join(tmpdir(), `faultline-bench-sim-${process.pid}`);
mkdirSync(out, { recursive: true });
const args = process.argv.slice(2);
const big = args.includes('--big');
const child = args[0] === '--child' ? args.slice(1) : undefined;
const scenarioName = process.env.FL_BENCH_SCENARIO ?? (big ? 'default' : 'faults/database-slow');
// default: 24h is ~24.8M messages at its own scale, so x4.1 gives ~100M.
const duration = process.env.FL_BENCH_DURATION ?? (big ? '1d' : undefined);
const trafficScale = Number(process.env.FL_BENCH_SCALE ?? (big ? 4.1 : 1));
const iterations = Number(process.env.FL_BENCH_ITERATIONS ?? 5);
const mb = () => (process.resourceUsage().maxRSS / 1024).toFixed(0);
const cpuSeconds = (before: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
};

try {
  if (child) await runChild(child);
  else if (big) runBig();
  else {
    await runThroughput();
    runTelemetryCost();
    runMemory();
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}

/**
 * A child: `--child telemetry|plain <scenario> <duration|-> <scale> <runs> [cold]` runs generate()
 * once to warm up (not with `cold`), then `runs` times, and prints {cpu, wall, messages, logLines,
 * metricRows, logBytes, messageBytes, rss} as JSON.
 */
async function runChild([mode, scenario, dur, scale, runs, cold]: string[]): Promise<void> {
  const telemetry = mode === 'telemetry';
  const cpu: number[] = [];
  const wall: number[] = [];
  let counts = { messages: 0, logLines: 0, metricRows: 0, logBytes: 0, messageBytes: 0 };
  for (let k = cold === 'cold' ? 1 : 0; k <= Number(runs); k++) {
    rmSync(join(out, 'data'), { recursive: true, force: true });
    const before = process.cpuUsage();
    const t0 = performance.now();
    const r = await generate({ scenario: scenario!, seed: 1, out: join(out, 'data'), ...(dur !== '-' ? { duration: dur } : {}), trafficScale: Number(scale), logs: telemetry, metrics: telemetry });
    if (k === 0) continue; // warm-up
    wall.push((performance.now() - t0) / 1000);
    cpu.push(cpuSeconds(before));
    counts = { ...r.manifest.counts, logBytes: r.manifest.files['logs.arrow']?.bytes ?? 0, messageBytes: r.manifest.files['messages.arrow']!.bytes };
  }
  process.stdout.write(JSON.stringify({ cpu, wall, ...counts, rss: Number(mb()) }) + '\n');
}

interface ChildResult {
  cpu: number[];
  wall: number[];
  messages: number;
  logLines: number;
  metricRows: number;
  logBytes: number;
  messageBytes: number;
  rss: number;
}

function spawnChild(mode: string, scenario: string, dur: string, scale: number, runs: number, cold = false): ChildResult {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, scenario, dur, String(scale), String(runs), cold ? 'cold' : 'warm'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`bench child (${mode}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** ~100M messages, without and then with logs and metrics, each in its own process. */
function runBig(): void {
  const rows = (['plain', 'telemetry'] as const).map((mode) => {
    const r = spawnChild(mode, scenarioName, duration ?? '-', trafficScale, 1, true);
    return {
      mode,
      cpu: r.cpu[0]!,
      row: {
        task: mode === 'plain' ? 'without logs and metrics' : 'with logs and metrics',
        messages: r.messages.toLocaleString('en'),
        'log lines': r.logLines.toLocaleString('en'),
        'metric rows': r.metricRows.toLocaleString('en'),
        seconds: r.wall[0]!.toFixed(1),
        'messages/s': `${(r.messages / r.wall[0]! / 1e6).toFixed(2)} M`,
        'CPU s': r.cpu[0]!.toFixed(1),
        'messages/CPU-s': `${(r.messages / r.cpu[0]! / 1e6).toFixed(2)} M`,
        'messages.arrow MB': (r.messageBytes / 1e6).toFixed(0),
        'logs.arrow MB': (r.logBytes / 1e6).toFixed(0),
        'peak RSS MB': String(r.rss),
      },
    };
  });
  console.log(`generate ${scenarioName} ${duration ?? ''} x${trafficScale}, one process each:`);
  console.table(rows.map((r) => r.row));
  console.log(`cost of logs and metrics: x${(rows[1]!.cpu / rows[0]!.cpu).toFixed(2)} CPU; target <= x2`);
}

async function runThroughput(): Promise<void> {
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
    rmSync(join(out, 'data'), { recursive: true, force: true });
    rmSync(join(out, 'bench.arrow'), { force: true });
  };
  const bench = new Bench({ iterations, warmupIterations: 1, time: 0 });
  const task = (name: string, fn: () => Promise<number> | number) =>
    bench.add(
      name,
      async () => {
        const before = process.cpuUsage();
        counts[name] = await fn();
        (cpu[name] ??= []).push(cpuSeconds(before));
      },
      { beforeEach: clean },
    );
  task('generate() (all files + truth, no logs or metrics)', async () => {
    const r = await generate({ scenario: scenarioName, seed: 1, out: join(out, 'data'), duration, trafficScale, logs: false, metrics: false });
    return r.manifest.counts.messages;
  });
  task('engine + messages.arrow write', async () => {
    const writer = await MessageLogWriter.open(join(out, 'bench.arrow'), messageDictionaries(model), { fitIndices: true, operations: messageOperations(model) });
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
      'messages/s': `${(((n / r.latency.mean) * 1000) / 1e6).toFixed(2)} M`,
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

/** generate() with and without logs and metrics, in alternating child processes. */
function runTelemetryCost(): void {
  const runs: Record<'plain' | 'telemetry', ChildResult[]> = { plain: [], telemetry: [] };
  for (let k = 0; k < 2; k++) {
    for (const mode of ['plain', 'telemetry'] as const) runs[mode].push(spawnChild(mode, scenarioName, duration ?? '-', trafficScale, Math.max(1, Math.ceil(iterations / 2))));
  }
  const summary = (mode: 'plain' | 'telemetry') => {
    const cpu = runs[mode].flatMap((r) => r.cpu);
    const wall = runs[mode].flatMap((r) => r.wall);
    return { cpuMean: cpu.reduce((a, b) => a + b, 0) / cpu.length, cpuBest: Math.min(...cpu), wallMean: wall.reduce((a, b) => a + b, 0) / wall.length, n: cpu.length, last: runs[mode].at(-1)! };
  };
  const plain = summary('plain');
  const tel = summary('telemetry');
  console.log(`\ngenerate() with logs.arrow and metrics.arrow against without (${scenarioName}, ${plain.n} runs each, alternating child processes):`);
  console.table(
    [
      ['without logs and metrics', plain],
      ['with logs and metrics', tel],
    ].map(([name, s]) => {
      const x = s as typeof plain;
      return {
        task: name as string,
        messages: x.last.messages.toLocaleString('en'),
        'log lines': x.last.logLines.toLocaleString('en'),
        'metric rows': x.last.metricRows.toLocaleString('en'),
        'CPU s (mean)': x.cpuMean.toFixed(2),
        'CPU s (best)': x.cpuBest.toFixed(2),
        'wall s (mean)': x.wallMean.toFixed(2),
      };
    }),
  );
  console.log(`cost of logs and metrics: x${(tel.cpuMean / plain.cpuMean).toFixed(2)} CPU (mean), x${(tel.cpuBest / plain.cpuBest).toFixed(2)} (best runs); target <= x2`);
}

/** Peak RSS of generate() with logs and metrics for a run and one four times as long, each in its own process. */
function runMemory(): void {
  const base = duration ? parseDuration(duration) : parseDuration(loadScenario(scenarioName).scenario.duration);
  const rows = [1, 4].map((k) => {
    const dur = `${Math.round((k * base) / 60_000)}m`;
    const r = spawnChild('telemetry', scenarioName, dur, trafficScale, 1);
    return { duration: dur, messages: r.messages.toLocaleString('en'), 'log lines': r.logLines.toLocaleString('en'), 'peak RSS MB': String(r.rss) };
  });
  console.log('\nmemory in the run length (generate() with logs and metrics, one process each):');
  console.table(rows);
}

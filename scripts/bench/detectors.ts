/**
 * Detector throughput: points per second through detect() for every built-in, on one core, on a
 * seasonal minute series with noise (fitted once on a training day; fitting is not timed), plus
 * the time to score one detection with every metric (own threshold) and with the oracle sweep.
 * Targets: >= 10M points/s for ksigma and ewma, >= 1M for spectral-residual.
 *
 * Besides wall time it reports CPU time per point (process.cpuUsage), which other processes on a
 * shared machine disturb much less; `--only a,b` runs a subset (e.g. one detector in its own
 * process, so no shared call site skews the JIT).
 *
 *   npm run build && node dist/scripts/bench/detectors.js [--points 1000000] [--only spectral-residual]
 */
import seedrandom from 'seedrandom';
import { Bench } from 'tinybench';
import { detectorRegistry, listDetectors } from '../../detectors/registry.js';
import { scoreDetection } from '../../scores/detection/evaluate.js';
import type { Detection, Detector } from '../../detectors/types.js';
import type { Series } from '../../data/types.js';

const pointsArg = process.argv.indexOf('--points');
const N = pointsArg > 0 ? Number(process.argv[pointsArg + 1]) : 1_000_000;
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1].split(',')) : undefined;
const DAY = 1440;

function series(id: string, n: number): Series {
  const r = seedrandom.alea(`bench:${id}`);
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  const volume = new Float64Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    timestamps[i] = Date.UTC(2026, 0, 5) + i * 60_000;
    const season = Math.sin((2 * Math.PI * i) / DAY);
    volume[i] = Math.round(1000 + 800 * season);
    // A success rate near 0.99 for the binomial detector; other detectors see the same values.
    values[i] = 0.99 + 0.002 * season + 0.001 * (r() - 0.5) - (i % 5000 === 4000 ? 0.05 : 0);
    if (i % 5000 >= 4000 && i % 5000 < 4010) labels[i] = 1;
  }
  return { id, timestamps, values, volume, labels, kpi: 'systemSuccessRate' };
}

const train = series('train', 3 * DAY);
const test = series('test', N);
const rows: Record<string, string>[] = [];
const bench = new Bench({ iterations: 3, warmupIterations: 1, time: 0 });
let last: Detection | undefined;
const cpu = new Map<string, { micros: number; calls: number }>();
for (const f of listDetectors()) {
  if (only && !only.has(f.name)) continue;
  const detector: Detector = (await detectorRegistry.resolve(f.name)).create();
  await detector.fit?.(train);
  const used = { micros: 0, calls: 0 };
  cpu.set(f.name, used);
  bench.add(f.name, async () => {
    const start = process.cpuUsage();
    last = await detector.detect(test);
    const u = process.cpuUsage(start);
    used.micros += u.user + u.system;
    used.calls++;
  });
}
await bench.run();
for (const task of bench.tasks) {
  const r = task.result;
  if (r.state !== 'completed') {
    rows.push({ detector: task.name, state: r.state });
    continue;
  }
  const ms = r.latency.mean;
  const used = cpu.get(task.name)!;
  const cpuMs = used.micros / used.calls / 1000;
  rows.push({
    detector: task.name,
    'mean ms': ms.toFixed(1),
    'points/s': `${((N / ms) * 1000 / 1e6).toFixed(2)} M`,
    'CPU ms': cpuMs.toFixed(1),
    'points/s (CPU)': `${((N / cpuMs) * 1000 / 1e6).toFixed(2)} M`,
    samples: String(r.latency.samplesCount),
  });
}
console.log(`detect() on ${N.toLocaleString('en')} points (fitted on ${train.values.length} points), one core:`);
console.table(rows);

if (!last) process.exit(0);
const detection = last;
const scoring = new Bench({ iterations: 3, warmupIterations: 1, time: 0 });
scoring.add('score, own threshold', () => void scoreDetection([test], [detection], { threshold: 'own' }));
scoring.add('score, oracle sweep', () => void scoreDetection([test], [detection], { threshold: 'oracle' }));
await scoring.run();
const srows: Record<string, string>[] = [];
for (const task of scoring.tasks) {
  const r = task.result;
  if (r.state !== 'completed') srows.push({ metric: task.name, state: r.state });
  else srows.push({ metric: task.name, 'mean ms': r.latency.mean.toFixed(1), 'points/s': `${((N / r.latency.mean) * 1000 / 1e6).toFixed(2)} M` });
}
console.table(srows);

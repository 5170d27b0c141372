/**
 * Scoring throughput: one detection of 3 million points (300 minute series of 10 000 points, each
 * with anomaly segments, a few gaps and repeated timestamps) scored with every metric: the own
 * threshold, the oracle (exact best point-adjusted F1 over every distinct score and NAB's optimiser
 * for three profiles), and the threshold-free figures (AUC-PR and AUC-ROC point-wise and
 * point-adjusted, VUS-PR and VUS-ROC with TSB-AD's per-series window). Target: under 5 s
 * on one core. Reports wall and CPU time.
 *
 * `--out <file>` writes every figure of the three steps as JSON, so two builds can be compared byte
 * for byte (`cmp before.json after.json`): a faster scorer must give the same numbers.
 *
 *   npm run build && node dist/scripts/bench/scores.js [--points 3000000] [--out figures.json]
 */
import fs from 'node:fs';
import seedrandom from 'seedrandom';
import { scoreDetection, thresholdFreeMetrics } from '../../scores/detection/evaluate.js';
import type { Detection } from '../../detectors/types.js';
import type { Series } from '../../data/types.js';

const pointsArg = process.argv.indexOf('--points');
const TOTAL = pointsArg > 0 ? Number(process.argv[pointsArg + 1]) : 3_000_000;
const outArg = process.argv.indexOf('--out');
const OUT = outArg > 0 ? process.argv[outArg + 1] : undefined;
const PER_SERIES = 10_000;
const TARGET_S = 5;

function make(k: number): { s: Series; d: Detection } {
  const r = seedrandom.alea(`bench-scores:${k}`);
  const n = PER_SERIES;
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  const labels = new Uint8Array(n);
  const scores = new Float64Array(n);
  const alarms = new Uint8Array(n);
  let t = Date.UTC(2026, 0, 5);
  for (let i = 0; i < n; i++) {
    // A gap now and then, and a repeated row (kept 1 ms later, as the readers do).
    t += r() < 0.002 ? 3 * 60_000 : r() < 0.001 ? 1 : 60_000;
    timestamps[i] = t;
    values[i] = Math.sin((2 * Math.PI * i) / 1440) + 0.1 * r();
    labels[i] = i % 2000 >= 1500 && i % 2000 < 1530 ? 1 : 0;
    scores[i] = r() + (labels[i] ? 0.6 * r() : 0);
    alarms[i] = scores[i] > 0.97 ? 1 : 0;
  }
  return { s: { id: `s${k}`, timestamps, values, labels }, d: { scores, alarms } };
}

const made = Array.from({ length: Math.ceil(TOTAL / PER_SERIES) }, (_, k) => make(k));
const series = made.map((x) => x.s);
const detections = made.map((x) => x.d);
const points = series.length * PER_SERIES;

const figures: Record<string, unknown> = {};
const time = (label: string, f: () => unknown) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  figures[label] = f();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  process.stdout.write(`| ${label.padEnd(52)} | ${wall.toFixed(2).padStart(6)} s | ${cpu.toFixed(2).padStart(6)} s |\n`);
  return cpu;
};

process.stdout.write(`scoring ${points} points in ${series.length} series\n\n| step | wall | CPU |\n|---|---|---|\n`);
let cpu = 0;
cpu += time('own threshold: every threshold-dependent metric', () => scoreDetection(series, detections, { threshold: 'own' }));
cpu += time('oracle: exact best PA-F1 and NAB optimiser x 3 profiles', () => scoreDetection(series, detections, { threshold: 'oracle' }));
cpu += time('threshold-free: AUC-PR/ROC (point, PA), VUS-PR/ROC', () => thresholdFreeMetrics(series, detections));
process.stdout.write(`\ntotal CPU ${cpu.toFixed(2)} s for ${points} points (target < ${TARGET_S} s): ${cpu < TARGET_S ? 'met' : 'NOT met'}\n`);
if (OUT) {
  fs.writeFileSync(OUT, JSON.stringify(figures, null, 1) + '\n');
  process.stdout.write(`figures written to ${OUT}\n`);
}

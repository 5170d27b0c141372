/**
 * The cost of a run beyond the algorithms themselves: one real item's phases (generate, build
 * spans, series, detect, RCA), then the roll-up and rendering over many copies of its result
 * (summarize, report.html with every chart, junit.xml) and the chart downsampling.
 *
 *   npm run build && node dist/scripts/bench/reports.js [--items 32]
 */
import { Bench } from 'tinybench';
import { downsampleMinMax } from '../../reports/downsample.js';
import { renderReport } from '../../reports/html.js';
import { renderJunit } from '../../reports/junit.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evaluateScenarioItem } from '../../pipeline/scenario-item.js';
import { resolveMethods } from '../../pipeline/methods.js';
import { summarize } from '../../reports/summarize.js';
import { buildSweep } from '../../pipeline/sweep.js';
import type { ItemResult } from '../../scores/item-result.js';
import { benchRows } from '../bench-table.js';

const itemsArg = process.argv.indexOf('--items');
const copies = itemsArg > 0 ? Number(process.argv[itemsArg + 1]) : 32;

const [item] = buildSweep(['faults/database-slow'], [1]);
const methods = await resolveMethods({ detectors: ['ksigma', 'spectral-residual'], rca: ['count', 'deepest-abnormal', 'ochiai'] });
const scratch = mkdtempSync(path.join(os.tmpdir(), 'faultline-bench-'));
const t0 = performance.now();
const one = await evaluateScenarioItem(item!, methods, { scratch });
rmSync(scratch, { recursive: true, force: true });
const wall = performance.now() - t0;
console.log(`one item (${item!.key}, 2 detectors, 3 RCA algorithms): ${wall.toFixed(0)} ms wall`);
console.table(Object.fromEntries(Object.entries(one.timings).map(([phase, ms]) => [phase, { ms: Math.round(ms) }])));

// Copies under distinct keys stand in for a sweep of that many items.
const results: ItemResult[] = Array.from({ length: copies }, (_, k) => ({ ...one, key: `${one.key}#${String(k).padStart(3, '0')}` }));
const gate = { best: 0.5 };
const summary = summarize(results, { gate });
let html = '';
const n = 100_000;
const t = Float64Array.from({ length: n }, (_, i) => i * 60_000);
const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 300) + (i % 9973 === 0 ? 5 : 0));

const bench = new Bench({ iterations: 5, warmupIterations: 1, time: 0 });
bench
  .add(`summarize ${copies} items`, () => void summarize(results))
  .add(`report.html for ${copies} items`, () => {
    html = renderReport(summary, results);
  })
  .add(`junit.xml for ${copies} items`, () => void renderJunit(results, summary, gate))
  .add(`downsample ${n} points to 800`, () => void downsampleMinMax(t, v, 800));
await bench.run();

const rows = benchRows(bench, (_, r) => ({
  'mean ms': r.latency.mean.toFixed(2),
  'p99 ms': r.latency.p99.toFixed(2),
  samples: String(r.latency.samplesCount),
}));
console.table(rows);
console.log(`report.html for ${copies} items: ${(html.length / 1024).toFixed(0)} KiB; heap in use ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB`);

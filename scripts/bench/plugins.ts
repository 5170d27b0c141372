/**
 * Subprocess detector plugins: one process per run (protocol 2) against one per series (protocol
 * 1), on many short series with a plugin that imports a library at start, as real plugins do.
 * The same plugin (detectors/examples/zscore_detector.py, run after `import <module>`) answers
 * either version (`--protocol 1`), so the difference is the protocol alone; the detections of the
 * two runs must be identical. The built-in ksigma over the same series is the in-process reference.
 *
 *   npm run build && node dist/scripts/bench/plugins.js [--series 188] [--points 240] [--import numpy]
 *
 * Each variant runs once (a run of protocol 1 starts one process per series: minutes, not
 * milliseconds); wall time is what a user waits.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { resolveDetector } from '../../detectors/registry.js';
import { runDetector } from '../../detectors/evaluate.js';
import { packageRoot } from '../../common/package-root.js';
import type { Series } from '../../data/types.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const SERIES = Number(arg('series', '188'));
const POINTS = Number(arg('points', '240'));
let imported = arg('import', 'numpy');
if (imported && spawnSync('python3', ['-c', `import ${imported}`]).status !== 0) {
  console.log(`python3 cannot import ${imported}: the plugin imports nothing`);
  imported = '';
}

const rng = seedrandom.alea('bench:plugins');
const series: Series[] = Array.from({ length: SERIES }, (_, k) => {
  const timestamps = Float64Array.from({ length: POINTS }, (_, i) => Date.UTC(2026, 0, 5) + i * 60_000);
  const values = Float64Array.from({ length: POINTS }, (_, i) => 100 + 10 * Math.sin(i / 20 + k) + (rng() - 0.5) * 3 + (i === POINTS - 30 ? 30 : 0));
  return { id: `s${String(k).padStart(3, '0')}`, timestamps, values };
});

const example = join(packageRoot(), 'detectors/examples/zscore_detector.py');
const plugin = `cmd:python3 -c "${imported ? `import ${imported}; ` : ''}import runpy; runpy.run_path('${example}', run_name='__main__')"`;

async function time(spec: string) {
  const resolved = await resolveDetector(spec);
  const t0 = performance.now();
  try {
    const detections = await runDetector(resolved, series);
    return { detections, ms: performance.now() - t0 };
  } finally {
    await resolved.close();
  }
}

const rows: Record<string, string>[] = [];
const row = (variant: string, processes: number, ms: number) =>
  rows.push({ variant, processes: String(processes), 'wall s': (ms / 1000).toFixed(2), 'ms per series': (ms / SERIES).toFixed(1) });

const builtIn = await time('ksigma');
row('built-in ksigma (in process)', 0, builtIn.ms);
const v2 = await time(plugin);
row('subprocess, protocol 2', 1, v2.ms);
const v1 = await time(`${plugin} --protocol 1`);
row('subprocess, protocol 1', SERIES, v1.ms);

console.log(`${SERIES} series of ${POINTS} points, fitted on the first 15% of each; plugin: zscore_detector.py${imported ? ` after import ${imported}` : ''}`);
console.table(rows);
console.log(`protocol 1 / protocol 2 wall time: ${(v1.ms / v2.ms).toFixed(1)}x; detections identical: ${isDeepStrictEqual(v1.detections, v2.detections)}`);

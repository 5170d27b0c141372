/**
 * Merging many shards in bounded memory: synthetic item results (the size and shape of a real
 * item: 4 KPI curves of 240 minutes, 3 detectors, 7 RCA methods with 10 candidates per incident)
 * written as 4 shards' partial.json, then `merge` (streamed: a k-way merge, the report's share of
 * each item kept) against reading every file whole and merging in memory, each in its own process
 * (peak memory is the process's maximum resident set).
 *
 *   npm run build && node dist/scripts/bench/merge.js [--items 10000]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';
import { merge, mergeResults } from '../../reports/merge.js';
import { readResultsFile, writeResultsFile, ResultsWriter, type RunConfig } from '../../reports/results-file.js';
import { writeReport } from '../../reports/write.js';
import { emptyLatencyHistogram } from '../../reports/latency.js';
import { DEFAULT_MTTR_MODEL } from '../../scores/mttr.js';
import type { ItemResult } from '../../scores/item-result.js';

const arg = (name: string, fallback: number) => {
  const k = process.argv.indexOf(`--${name}`);
  return k > 0 ? Number(process.argv[k + 1]) : fallback;
};

const DETECTORS = ['ksigma', 'spectral-residual', 'shitu'];
const RCA = ['count', 'ochiai', 'dstar2', 'deepest-abnormal', 'tarantula', 'pagerank', 'microrank'];
const T0 = Date.UTC(2026, 0, 5, 9);
const MIN = 60_000;

/** A synthetic item as `evaluate` makes them, seeded by its index. */
function syntheticItem(k: number, key: string): ItemResult {
  const rng = seedrandom.alea(`merge-bench:${k}`);
  const services = Array.from({ length: 34 }, (_, i) => `service-${i}`);
  const faultStart = T0 + 150 * MIN;
  const timestamps = Array.from({ length: 240 }, (_, i) => T0 + i * MIN);
  const rootCause = [services[Math.floor(rng() * services.length)]!];
  const figures = Object.fromEntries(['pointAdjustedF1', 'precision', 'recall', 'pointF1', 'rangePrecision', 'rangeRecall', 'falseAlarmsPerDay', 'nabStandard', 'nabLowFP', 'nabLowFN', 'events', 'detectedEvents'].map((f) => [f, rng()]));
  return {
    key,
    scenario: 'faults/database-slow',
    seed: 1,
    generatorSeed: k,
    start: T0,
    end: T0 + 240 * MIN,
    faults: [{ id: 'f1', type: 'database-slow', start: faultStart, end: faultStart + 30 * MIN, rootCause, tags: [], moved: ['ledger-service/volume', 'ledger-service/latency'] }],
    detectors: DETECTORS.map((name) => ({ name, figures: figures as never, faults: [{ faultId: 'f1', firstAlarm: faultStart + Math.floor(rng() * 10) * MIN }], computeMs: rng() * 100 })),
    rca: RCA.map((name) => ({
      name,
      incidents: [{
        id: 'f1', faultId: 'f1', type: 'database-slow', start: faultStart, end: faultStart + 30 * MIN, rootCause,
        rank: 1 + Math.floor(rng() * 5), computeMs: rng() * 50,
        candidates: Array.from({ length: 10 }, (_, c) => ({ service: services[(c * 7 + k) % services.length]!, score: 1 - c / 10, explanation: 'abnormal calls 0.42 of 120' })),
      }],
    })),
    kpiCurves: ['volume', 'latency', 'systemSuccessRate', 'businessSuccessRate'].map((kpi) => ({
      series: `ledger-service/${kpi}`,
      faultIds: ['f1'],
      timestamps,
      values: timestamps.map(() => Math.round(rng() * 1e4) / 100),
      alarms: DETECTORS.map((detector) => ({ detector, times: [faultStart + 2 * MIN], values: [Math.round(rng() * 1e4) / 100] })),
    })),
    latency: emptyLatencyHistogram(),
    timings: { generate: rng() * 1000, detect: rng() * 100, rca: rng() * 100 },
  } as ItemResult;
}

const child = process.argv[2];
if (child === '--child') {
  // One merge in this process; prints its figures as JSON.
  const [mode, out, ...inputs] = process.argv.slice(3);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (mode === 'stream') await merge({ inputs, out: out! });
  else {
    mkdirSync(out!, { recursive: true });
    const merged = mergeResults(await Promise.all(inputs.map((p) => readResultsFile(p))));
    writeResultsFile(out!, merged);
    await writeReport(merged.items, out!, { title: merged.config.title, mttr: merged.config.mttr });
  }
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ wallS: (performance.now() - t0) / 1000, cpuS: (cpu.user + cpu.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
} else {
  const n = arg('items', 10_000);
  const shards = 4;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-merge-bench-'));
  try {
    const keys = Array.from({ length: n }, (_, k) => `faults/database-slow[n=${String(k).padStart(6, '0')}]@1`);
    const config: RunConfig = { suite: 'bench', title: 'merge bench', scenarios: ['faults/database-slow'], seeds: [1], duration: null, trafficScale: null, detectors: DETECTORS, rca: RCA, mttr: DEFAULT_MTTR_MODEL, minAc1: null, sweep: keys };
    const inputs: string[] = [];
    let bytes = 0;
    for (let s = 0; s < shards; s++) {
      const out = path.join(dir, `shard-${s + 1}`);
      mkdirSync(out);
      const writer = new ResultsWriter(out, { schema: 'faultline/results', version: 1, config, shard: { index: s + 1, count: shards } });
      for (let k = s; k < n; k += shards) writer.add(syntheticItem(k, keys[k]!));
      bytes += statSync(writer.commit()).size;
      inputs.push(out);
    }
    console.log(`${n.toLocaleString('en-US')} synthetic items in ${shards} partial.json files, ${(bytes / 2 ** 20).toFixed(0)} MiB (${(bytes / n / 1024).toFixed(1)} KiB an item)`);
    const rows: Record<string, Record<string, string>> = {};
    for (const mode of ['stream', 'whole']) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, path.join(dir, `merged-${mode}`), ...inputs], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (r.status !== 0) {
        rows[mode] = { result: `failed: ${r.stderr.trim().split('\n').pop()}` };
        continue;
      }
      const f = JSON.parse(r.stdout) as { wallS: number; cpuS: number; maxRssMiB: number };
      rows[mode === 'stream' ? 'faultline merge (streamed)' : 'every file read whole, merged in memory'] = { 'wall s': f.wallS.toFixed(1), 'CPU s': f.cpuS.toFixed(1), 'peak RSS MiB': f.maxRssMiB.toFixed(0) };
    }
    console.table(rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

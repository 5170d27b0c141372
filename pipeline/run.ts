/**
 * `faultline run`: a suite's sweep of (scenario, seed) items through every chosen detector and RCA
 * method, spread over a worker pool, written as a report (or, with a shard, as partial.json). The
 * items generate their data under the output's staging folder, and the report replaces the old
 * one only when complete (common/output-dir.ts).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { doing } from '../common/errors.js';
import { checkOutputDir, publishDir } from '../common/output-dir.js';
import { packageRoot } from '../common/package-root.js';
import { Progress } from '../common/progress.js';
import { listScenarios } from '../sim/scenario.js';
import { writeResultsFile, type RunConfig } from '../reports/results-file.js';
import { summarize, sortItems } from '../reports/summarize.js';
import type { Summary } from '../reports/summary-schema.js';
import { writeReport } from '../reports/write.js';
import { parseAcGate, type AcGate } from '../scores/gate.js';
import type { ItemResult } from '../scores/item-result.js';
import type { Methods } from './evaluate.js';
import { closeMethods, resolveMethods, type MethodSpecs } from './methods.js';
import { evaluateScenarioItem, type ScenarioItemConfig } from './scenario-item.js';
import { loadSuite, DEFAULT_SUITE } from './suite.js';
import { buildSweep, expandScenarios, parseShard, selectShard, type SweepItem } from './sweep.js';
import type { WorkerTask } from './worker.js';

export interface RunOptions {
  suite?: string;
  detectors?: string[];
  rca?: string[];
  seeds?: number[];
  out: string;
  minAc1?: AcGate | string | number;
  /** Per-incident time limit of an RCA method, ms. */
  rcaTimeoutMs?: number;
  /** Per-call time limit of an external plugin, ms. */
  pluginTimeoutMs?: number;
  /** Write beside files in `out` that faultline did not write (they are kept). */
  force?: boolean;
  /** `i/n`: evaluate every n-th item of the sorted sweep from the i-th, write partial.json only. */
  shard?: string;
  /** Progress on stderr (a bar on a terminal, else a line per item); default on. */
  progress?: boolean;
  /** Worker threads; default min(items, cores). 1 evaluates in this thread. */
  workers?: number;
}

export interface RunResult {
  /** Summary of the evaluated items (for a shard: of its items only; the gate is left to merge). */
  summary: Summary;
  gatePassed: boolean;
  out: string;
  partial: boolean;
  items: number;
}

/**
 * Piscina tries require() on the worker file before import(). With require(esm) on (Node >= 20.19)
 * a require that fails part-way leaves the module half-loaded and the import() then dies with
 * "Unexpected status of a module that is imported again after being required" (seen
 * intermittently here); with it off, require fails cleanly and import() loads the worker.
 */
const WORKER_EXEC_ARGV = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module')
  ? ['--no-experimental-require-module']
  : [];

/** The compiled worker: beside this file when running from dist/, else dist/pipeline/worker.js. */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const file = here.endsWith('.js') ? path.join(path.dirname(here), 'worker.js') : path.join(packageRoot(), 'dist', 'pipeline', 'worker.js');
  if (!existsSync(file)) throw new Error(`worker ${file} is missing: run \`npm run build\` first (or use one worker)`);
  return file;
}

async function evaluateAll(
  items: SweepItem[],
  specs: MethodSpecs,
  methods: Methods,
  config: ScenarioItemConfig,
  workers: number,
  onDone: (item: SweepItem) => void,
): Promise<ItemResult[]> {
  const evaluate = async (item: SweepItem, run: () => Promise<ItemResult>) => {
    try {
      const result = await run();
      onDone(item);
      return result;
    } catch (err) {
      throw new Error(`item ${item.key} (generator seed ${item.generatorSeed}): ${(err as Error).message}`, { cause: err });
    }
  };
  if (workers <= 1) {
    const results: ItemResult[] = [];
    for (const item of items) {
      doing(`evaluating ${item.key}`);
      results.push(await evaluate(item, () => evaluateScenarioItem(item, methods, config)));
    }
    return results;
  }
  const pool = new Piscina({
    filename: pathToFileURL(workerFile()).href,
    minThreads: workers,
    maxThreads: workers,
    execArgv: WORKER_EXEC_ARGV,
  });
  try {
    doing(`evaluating ${items.length} items on ${workers} workers`);
    return await Promise.all(items.map((item) => evaluate(item, () => pool.run({ item, methods: specs, config } satisfies WorkerTask) as Promise<ItemResult>)));
  } finally {
    await pool.destroy();
  }
}

export async function run(opts: RunOptions): Promise<RunResult> {
  checkOutputDir(opts.out, { command: 'run', force: opts.force ?? false });
  const shard = opts.shard !== undefined ? parseShard(opts.shard) : null;
  const suite = loadSuite(opts.suite ?? DEFAULT_SUITE);
  const scenarios = expandScenarios(suite.scenarios, listScenarios());
  const seeds = opts.seeds ?? suite.seeds;
  const pluginLimit = opts.pluginTimeoutMs !== undefined ? { pluginTimeoutMs: opts.pluginTimeoutMs } : {};
  const methods = await resolveMethods({ detectors: opts.detectors ?? suite.detectors, rca: opts.rca ?? suite.rca, ...pluginLimit });
  try {
    const detectors = methods.detectors.map((m) => m.name);
    const rca = methods.rca.map((m) => m.name);
    const specs: MethodSpecs = { detectors: methods.detectors.map((m) => m.spec), rca: methods.rca.map((m) => m.spec), ...pluginLimit };
    const sweep = buildSweep(scenarios, seeds);
    const items = shard ? selectShard(sweep, shard) : sweep;
    const gate = typeof opts.minAc1 === 'object' ? opts.minAc1 : (parseAcGate(opts.minAc1) ?? (suite.minAc1 !== undefined ? { best: suite.minAc1 } : undefined));
    const title = `faultline run: ${suite.name}`;
    const config: RunConfig = {
      suite: suite.name,
      title,
      scenarios,
      seeds,
      duration: suite.duration ?? null,
      trafficScale: suite.trafficScale ?? null,
      detectors,
      rca,
      mttr: suite.mttr,
      minAc1: gate === undefined ? null : 'best' in gate ? gate.best : gate.methods,
      sweep: sweep.map((i) => i.key),
    };
    // Subprocess plugins hold a process per resolution: they run in this thread, where it is closed.
    const inThread = [...methods.detectors, ...methods.rca].some((m) => m.plugin.close !== undefined);
    const workers = inThread ? 1 : Math.max(1, Math.min(items.length, opts.workers ?? os.availableParallelism()));
    const progress = new Progress('faultline run', opts.progress === undefined ? {} : { enabled: opts.progress });
    const partial = shard !== null && shard.count > 1;
    return await publishDir(
      opts.out,
      async (stage) => {
        const scratch = path.join(stage, '.items');
        mkdirSync(scratch);
        const itemConfig: ScenarioItemConfig = {
          scratch,
          ...(suite.duration !== undefined ? { duration: suite.duration } : {}),
          ...(suite.trafficScale !== undefined ? { trafficScale: suite.trafficScale } : {}),
          ...(opts.rcaTimeoutMs !== undefined ? { rcaTimeoutMs: opts.rcaTimeoutMs } : {}),
        };
        await progress.start(items.length);
        let results: ItemResult[];
        try {
          results = sortItems(await evaluateAll(items, specs, methods, itemConfig, workers, (item) => progress.tick(item.key)));
        } finally {
          progress.stop();
          rmSync(scratch, { recursive: true, force: true });
        }
        writeResultsFile(stage, { schema: 'faultline/results', version: 1, config, shard, items: results });
        if (partial) {
          const summary = summarize(results, { title, suite: suite.name, mttr: suite.mttr });
          return { summary, gatePassed: true, out: opts.out, partial, items: results.length };
        }
        const { summary, gatePassed } = await writeReport(results, stage, { title, suite: suite.name, mttr: suite.mttr, ...(gate !== undefined ? { gate } : {}) });
        return { summary, gatePassed, out: opts.out, partial, items: results.length };
      },
      { command: 'run', force: opts.force ?? false },
    );
  } finally {
    await closeMethods(methods);
  }
}

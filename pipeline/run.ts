/**
 * `faultline run`: a suite's sweep of (scenario, seed) items through every chosen detector and RCA
 * algorithm, spread over a worker pool, written as a report (or, with a shard, as partial.json)
 * under a temporary directory that replaces `out` only when complete.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import cliProgress from 'cli-progress';
import { Piscina } from 'piscina';
import { listDetectors, resolveDetector } from '../detectors/registry.js';
import { listRcaAlgorithms, resolveRcaAlgorithm } from '../rca/registry.js';
import { listScenarios } from '../sim/scenario.js';
import { publishDir } from '../common/output-dir.js';
import { writeResultsFile, type RunConfig } from '../reports/results-file.js';
import { evaluateScenarioItem, type ScenarioItemConfig } from './scenario-item.js';
import { loadSuite, DEFAULT_SUITE } from './suite.js';
import { packageRoot } from '../common/package-root.js';
import { summarize, sortItems } from '../reports/summarize.js';
import type { Summary } from '../reports/summary-schema.js';
import { buildSweep, expandScenarios, parseShard, selectShard, type SweepItem } from './sweep.js';
import type { ItemResult } from '../reports/types.js';
import type { WorkerTask } from './worker.js';
import { writeReport } from '../reports/write.js';

export interface RunOptions {
  suite?: string;
  detectors?: string[];
  rca?: string[];
  seeds?: number[];
  out: string;
  minAc1?: number;
  /** `i/n`: evaluate every n-th item of the sorted sweep from the i-th, write partial.json only. */
  shard?: string;
  /** Progress bar on stderr; default: when stderr is a terminal and CI is not set. */
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

/** `all` expands to every registered name; names are checked to resolve before any work starts. */
async function resolveSpecs(
  specs: string[],
  all: () => { name: string }[],
  resolve: (spec: string) => Promise<{ name: string }>,
): Promise<string[]> {
  const expanded = specs.flatMap((s) => (s === 'all' ? all().map((f) => f.name) : [s]));
  for (const spec of expanded) await resolve(spec);
  return [...new Set(expanded)];
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
  config: ScenarioItemConfig,
  workers: number,
  onDone: (item: SweepItem) => void,
): Promise<ItemResult[]> {
  const evaluate = async (item: SweepItem, run: (task: WorkerTask) => Promise<ItemResult>) => {
    try {
      const result = await run({ item, config });
      onDone(item);
      return result;
    } catch (err) {
      throw new Error(`item ${item.key} (generator seed ${item.generatorSeed}): ${(err as Error).message}`, { cause: err });
    }
  };
  if (workers <= 1) {
    const results: ItemResult[] = [];
    for (const item of items) results.push(await evaluate(item, (t) => evaluateScenarioItem(t.item, t.config)));
    return results;
  }
  const pool = new Piscina({
    filename: pathToFileURL(workerFile()).href,
    minThreads: workers,
    maxThreads: workers,
    execArgv: WORKER_EXEC_ARGV,
  });
  try {
    return await Promise.all(items.map((item) => evaluate(item, (t) => pool.run(t) as Promise<ItemResult>)));
  } finally {
    await pool.destroy();
  }
}

export async function run(opts: RunOptions): Promise<RunResult> {
  const shard = opts.shard !== undefined ? parseShard(opts.shard) : null;
  const suite = loadSuite(opts.suite ?? DEFAULT_SUITE);
  const scenarios = expandScenarios(suite.scenarios, listScenarios());
  const seeds = opts.seeds ?? suite.seeds;
  const detectors = await resolveSpecs(opts.detectors ?? suite.detectors, listDetectors, resolveDetector);
  const rca = await resolveSpecs(opts.rca ?? suite.rca, listRcaAlgorithms, resolveRcaAlgorithm);
  const sweep = buildSweep(scenarios, seeds);
  const items = shard ? selectShard(sweep, shard) : sweep;
  const minAc1 = opts.minAc1 ?? suite.minAc1;
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
    minAc1: minAc1 ?? null,
    sweep: sweep.map((i) => i.key),
  };
  const itemConfig: ScenarioItemConfig = {
    detectors,
    rca,
    ...(suite.duration !== undefined ? { duration: suite.duration } : {}),
    ...(suite.trafficScale !== undefined ? { trafficScale: suite.trafficScale } : {}),
  };
  const workers = Math.max(1, Math.min(items.length, opts.workers ?? os.availableParallelism()));
  const showProgress = opts.progress ?? (Boolean(process.stderr.isTTY) && !process.env.CI);
  const bar = showProgress
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: 'faultline run |{bar}| {value}/{total} items | ETA {eta_formatted} | {item}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(items.length, 0, { item: '' });
  let results: ItemResult[];
  try {
    results = sortItems(await evaluateAll(items, itemConfig, workers, (item) => bar?.increment({ item: item.key })));
  } finally {
    bar?.stop();
  }
  const partial = shard !== null && shard.count > 1;
  return publishDir(opts.out, async (tmp) => {
    writeResultsFile(tmp, { schema: 'faultline/results', version: 1, config, shard, items: results });
    if (partial) {
      const summary = summarize(results, { title, suite: suite.name, mttr: suite.mttr });
      return { summary, gatePassed: true, out: opts.out, partial, items: results.length };
    }
    const { summary, gatePassed } = await writeReport(results, tmp, {
      title,
      suite: suite.name,
      mttr: suite.mttr,
      ...(minAc1 !== undefined ? { minAc1 } : {}),
    });
    return { summary, gatePassed, out: opts.out, partial, items: results.length };
  });
}

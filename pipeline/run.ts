/**
 * `faultline run`: a suite's sweep through every chosen detector and RCA method, on a worker pool
 * in this process or on workers pulling from a shared queue, written as a report (or, for one
 * shard, as partial.json).
 *
 * Each finished item is written at once to `<out>/items/` (pipeline/item-store.ts), so a killed
 * run restarted with the same command evaluates only what is left. Items generate their data in
 * the output's staging folder; the report and results file are published whole at the end
 * (common/output-dir.ts), which also removes items/.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { doing } from '../common/errors.js';
import { checkOutputDir, publishDir } from '../common/output-dir.js';
import { packageRoot } from '../common/package-root.js';
import { Progress } from '../common/progress.js';
import { ReportItems } from '../reports/merge.js';
import { RESULTS_SCHEMA_ID, RESULTS_VERSION, resultsFileName, ResultsWriter, type RunConfig } from '../reports/results-file.js';
import { summarize } from '../reports/summarize.js';
import type { Summary } from '../reports/summary-schema.js';
import { writeReport } from '../reports/write.js';
import { methodFacts, runFacts } from '../reports/run-facts.js';
import { parseAcGate, type AcGate } from '../scores/gate.js';
import type { ItemResult } from '../scores/item-result.js';
import type { Methods } from './evaluate.js';
import { ItemStore, ITEMS_DIR } from './item-store.js';
import { closeMethods, resolveMethods, type MethodSpecs } from './methods.js';
import { evaluateScenarioItem, type ScenarioItemConfig } from './scenario-item.js';
import { loadSuite, DEFAULT_SUITE, type Suite } from './suite.js';
import { itemScenario, planSweep, selectShard, shardFrom, type Shard, type SweepItem, type SweepPlan } from './sweep.js';
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
  /** n shards, this one from JOB_COMPLETION_INDEX (0-based): a Kubernetes Indexed Job. */
  shards?: number;
  /** Progress on stderr (a bar on a terminal, else a line per item); default on. */
  progress?: boolean;
  /** Worker threads; default min(items, cores). 1 evaluates in this thread. */
  workers?: number;
  /** A Redis URL: put the items on a shared queue for `faultline worker` processes instead. */
  queue?: string;
  /** The environment (JOB_COMPLETION_INDEX); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Also write the result tables as Parquet. */
  parquet?: boolean;
  /** The command line that started the run (the CLI's arguments), for the report's run facts. */
  commandLine?: readonly string[];
}

export interface RunResult {
  /** Summary of the evaluated items (for a shard: of its items only; the gate is left to merge). */
  summary: Summary;
  gatePassed: boolean;
  out: string;
  partial: boolean;
  items: number;
  /** Items found finished in `out` from an earlier, interrupted run of the same command. */
  resumed: number;
}

/** Evaluates items, handing each result over as it finishes; the first failure stops it. */
export type Evaluator = (items: SweepItem[], onResult: (item: SweepItem, result: ItemResult) => void) => Promise<void>;

/** What an item needs to be evaluated anywhere: its scenario as data, the methods, the settings. */
export type TaskFor = (item: SweepItem) => WorkerTask;

/**
 * Piscina tries require() on the worker file before import(). With require(esm) on (Node >= 20.19)
 * a require that fails part-way leaves the module half-loaded and the import() then dies with
 * "Unexpected status of a module that is imported again after being required" (seen
 * intermittently here); with it off, require fails cleanly and import() loads the worker.
 */
export const WORKER_EXEC_ARGV = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module')
  ? ['--no-experimental-require-module']
  : [];

/** The compiled worker, dist/pipeline/worker.js: from sources, dist/ and the bundled CLI (dist/cli/) alike. */
export function workerFile(): string {
  const file = path.join(packageRoot(), 'dist', 'pipeline', 'worker.js');
  if (!existsSync(file)) throw new Error(`worker ${file} is missing: run \`npm run build\` first (or use one worker)`);
  return file;
}

export function itemError(item: SweepItem, err: unknown): Error {
  return new Error(`item ${item.key} (generator seed ${item.generatorSeed}): ${(err as Error).message}`, { cause: err });
}

/**
 * Runs `evaluate` on every item with at most `lanes` in flight (so a sweep of any size holds a
 * few tasks, not all of them); after a failure no new item starts, and the first failure is thrown
 * once the items under way have finished.
 */
export async function inLanes(items: SweepItem[], lanes: number, evaluate: (item: SweepItem) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: Error | undefined;
  const lane = async () => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await evaluate(item);
      } catch (err) {
        failure ??= itemError(item, err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
  if (failure) throw failure;
}

function inThread(methods: Methods, taskFor: TaskFor): Evaluator {
  return (items, onResult) =>
    inLanes(items, 1, async (item) => {
      doing(`evaluating ${item.key}`);
      const task = taskFor(item);
      onResult(item, await evaluateScenarioItem(item, methods, task.config, task.scenario));
    });
}

function onPool(workers: number, taskFor: TaskFor): Evaluator {
  return async (items, onResult) => {
    const pool = new Piscina({ filename: pathToFileURL(workerFile()).href, minThreads: workers, maxThreads: workers, execArgv: WORKER_EXEC_ARGV });
    try {
      doing(`evaluating ${items.length} items on ${workers} workers`);
      // Two tasks per thread keep every thread busy while a result is being written.
      await inLanes(items, workers * 2, async (item) => onResult(item, (await pool.run(taskFor(item))) as ItemResult));
    } finally {
      await pool.destroy();
    }
  };
}

/** The run configuration recorded in results files: what shards must agree on to be merged. */
export function runConfig(suite: Suite, plan: SweepPlan, methods: { detectors: string[]; rca: string[] }, seeds: number[], gate: AcGate | undefined): RunConfig {
  return {
    suite: suite.name,
    title: `faultline run: ${suite.name}`,
    scenarios: plan.scenarios.map((s) => s.name),
    scenarioSha256: Object.fromEntries(plan.scenarios.map((s) => [s.name, s.sha256])),
    seeds,
    axes: suite.axes,
    sample: suite.sample ?? null,
    duration: suite.duration ?? null,
    trafficScale: suite.trafficScale ?? null,
    detectors: methods.detectors,
    rca: methods.rca,
    mttr: suite.mttr,
    minAc1: gate === undefined ? null : 'best' in gate ? gate.best : gate.methods,
    sweep: plan.items.map((i) => i.key),
  };
}

export async function run(opts: RunOptions): Promise<RunResult> {
  const output = { command: 'run', force: opts.force ?? false };
  checkOutputDir(opts.out, output);
  const shard: Shard | null = shardFrom(opts, opts.env);
  const suite = loadSuite(opts.suite ?? DEFAULT_SUITE);
  const seeds = opts.seeds ?? suite.seeds;
  const plan = planSweep(suite, seeds);
  const pluginLimit = opts.pluginTimeoutMs !== undefined ? { pluginTimeoutMs: opts.pluginTimeoutMs } : {};
  // A suite's own specs are named by their place in it; those given as flags are named as flags are.
  const inSuite = (field: 'detectors' | 'rca') => (k: number) => `${suite.at([field, k])}: ${field}[${k}]`;
  const methods = await resolveMethods(
    { detectors: opts.detectors ?? suite.detectors, rca: opts.rca ?? suite.rca, ...pluginLimit },
    undefined,
    { ...(opts.detectors ? {} : { detectors: inSuite('detectors') }), ...(opts.rca ? {} : { rca: inSuite('rca') }) },
  );
  try {
    const specs: MethodSpecs = { detectors: methods.detectors.map((m) => m.spec), rca: methods.rca.map((m) => m.spec), ...pluginLimit };
    const items = shard ? selectShard(plan.items, shard) : plan.items;
    const gate = typeof opts.minAc1 === 'object' ? opts.minAc1 : (parseAcGate(opts.minAc1) ?? (suite.minAc1 !== undefined ? { best: suite.minAc1 } : undefined));
    const config: RunConfig = {
      ...runConfig(suite, plan, { detectors: methods.detectors.map((m) => m.name), rca: methods.rca.map((m) => m.name) }, seeds, gate),
      methods: methodFacts(methods),
    };
    const progress = new Progress('faultline run', opts.progress === undefined ? {} : { enabled: opts.progress });
    const say = (line: string) => opts.progress !== false && process.stderr.write(`faultline run: ${line}\n`);
    const partial = shard !== null && shard.count > 1;
    return await publishDir(
      opts.out,
      async (stage) => {
        const { store, resumed, discarded } = ItemStore.open(opts.out, { config, shard }, items.map((i) => i.key), output);
        const where = path.join(opts.out, ITEMS_DIR);
        if (discarded > 0) say(`${where} held ${discarded} items of another run configuration: removed`);
        if (resumed > 0) say(`resuming: ${resumed} of ${items.length} items are done in ${where}; evaluating the other ${items.length - resumed}`);
        const todo = items.filter((i) => !store.has(i.key));
        const scratch = path.join(stage, '.items');
        mkdirSync(scratch);
        const itemConfig: ScenarioItemConfig = {
          scratch,
          ...(suite.duration !== undefined ? { duration: suite.duration } : {}),
          ...(suite.trafficScale !== undefined ? { trafficScale: suite.trafficScale } : {}),
          ...(opts.rcaTimeoutMs !== undefined ? { rcaTimeoutMs: opts.rcaTimeoutMs } : {}),
        };
        const taskFor: TaskFor = (item) => ({ item, scenario: itemScenario(plan, item), methods: specs, config: itemConfig });
        let evaluator: Evaluator;
        if (opts.queue !== undefined) {
          const { onQueue } = await import('./queue.js');
          evaluator = onQueue(opts.queue, { config, shard }, taskFor);
        } else {
          // Subprocess plugins hold a process per resolution: they run in this thread, where it is closed.
          const pinned = [...methods.detectors, ...methods.rca].some((m) => m.plugin.close !== undefined);
          const workers = pinned ? 1 : Math.max(1, Math.min(todo.length, opts.workers ?? os.availableParallelism()));
          evaluator = workers <= 1 ? inThread(methods, taskFor) : onPool(workers, taskFor);
        }
        await progress.start(todo.length);
        try {
          await evaluator(todo, (item, result) => {
            store.write(result);
            progress.tick(item.key);
          });
        } finally {
          progress.stop();
          rmSync(scratch, { recursive: true, force: true });
        }

        // Every item is in the store: the results file and the report, from the items in key order.
        doing(`writing ${resultsFileName(shard)}`);
        const writer = new ResultsWriter(stage, { schema: RESULTS_SCHEMA_ID, version: RESULTS_VERSION, config, shard });
        const report = new ReportItems();
        try {
          for (const item of items) {
            const text = store.text(item.key);
            writer.add(text);
            report.add(JSON.parse(text) as ItemResult);
          }
          writer.commit();
        } catch (err) {
          writer.abort();
          throw err;
        }
        const done = { out: opts.out, partial, items: items.length, resumed };
        if (partial) return { summary: summarize(report.items, { title: config.title, suite: suite.name, mttr: suite.mttr }), gatePassed: true, ...done };
        const facts = runFacts({ ...(opts.commandLine ? { command: opts.commandLine } : {}), suite: suite.name, seeds, methods: config.methods ?? [] });
        const { summary, gatePassed } = await writeReport(report.items, stage, { title: config.title, suite: suite.name, mttr: suite.mttr, ...(gate !== undefined ? { gate } : {}), facts, parquet: opts.parquet ?? false });
        return { summary, gatePassed, ...done };
      },
      output,
    );
  } finally {
    await closeMethods(methods);
  }
}

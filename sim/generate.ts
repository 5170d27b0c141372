import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest, Truth } from './formats.js';
import { writeFileAtomic } from '../common/atomic-file.js';
import { Engine } from './engine.js';
import { compileFaults } from './faults.js';
import { KpiAccumulator } from './kpi-accumulator.js';
import { MessageLogWriter, writeKpis } from './message-writer.js';
import { MessageRows, messageDictionaries } from './message-rows.js';
import { compileModel } from './model.js';
import { packageRoot } from '../common/package-root.js';
import { loadScenario } from './scenario.js';
import { parseDuration } from '../common/duration.js';
import { CounterfactualForks, movedKpis, truthFault } from './truth.js';

export interface GenerateOptions {
  /** Scenario name relative to scenarios/ (e.g. `faults/database-slow`) or a YAML file path. */
  scenario: string;
  seed: number;
  /** Output directory (created if missing). */
  out: string;
  /** Overrides the scenario's duration: `6h`, `90m`, `1d`, or milliseconds. */
  duration?: string | number;
  /** Multiplies every rate and capacity on top of the scenario's own scale. */
  trafficScale?: number;
}

export interface GenerateResult {
  dir: string;
  manifest: Manifest;
  truth: Truth;
}

const DEPENDENCIES = ['apache-arrow', 'seedrandom', 'yaml', 'zod'];

/**
 * Generate one data set: messages.arrow (streamed batch by batch), kpis.arrow, truth.json (with
 * the KPI series each fault actually moved, from fault-free counterfactual runs forked off the
 * real run at each fault's start) and
 * manifest.json. Same scenario, options and seed give byte-identical files.
 */
export async function generate(opts: GenerateOptions): Promise<GenerateResult> {
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0) throw new Error(`seed must be a non-negative integer (got ${opts.seed})`);
  if (opts.trafficScale !== undefined && !(opts.trafficScale > 0)) throw new Error(`traffic scale must be a positive number (got ${opts.trafficScale})`);
  const loaded = loadScenario(opts.scenario);
  const durationMs = opts.duration === undefined ? undefined : parseDuration(opts.duration);
  const model = compileModel(loaded.scenario, { durationMs, trafficScale: opts.trafficScale });
  const end = model.start + model.durationMs;
  // Faults scheduled after a shortened run's end were never injected.
  const faults = compileFaults(model, loaded.scenario.faults ?? []).filter((f) => f.start < end);
  try {
    mkdirSync(opts.out, { recursive: true });
  } catch (err) {
    throw new Error(`${opts.out}: cannot create the output directory: ${(err as Error).message}`);
  }

  const writer = await MessageLogWriter.open(join(opts.out, 'messages.arrow'), messageDictionaries(model), { fitIndices: true });
  const kpis = new KpiAccumulator(model);
  let result;
  let forks: CounterfactualForks;
  try {
    const engine = new Engine(model, faults, opts.seed, kpis, new MessageRows(writer, model));
    forks = new CounterfactualForks(model, faults, engine);
    result = engine.run(Infinity, forks.beforeMinute);
  } catch (err) {
    writer.abort();
    throw err;
  }
  await writer.close();
  const files: Manifest['files'] = { 'messages.arrow': writer.file };
  const kpiTable = kpis.toTable();
  files['kpis.arrow'] = await writeKpis(join(opts.out, 'kpis.arrow'), kpiTable);

  const truth: Truth = {
    scenario: loaded.name,
    seed: opts.seed,
    start: model.start,
    end,
    faults: faults.map((f) => truthFault(f, movedKpis(model, kpis, forks.finish(f), f))),
  };
  files['truth.json'] = writeFileAtomic(join(opts.out, 'truth.json'), JSON.stringify(truth, null, 2) + '\n');
  const root = packageRoot();
  const version = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const manifest: Manifest = {
    tool: 'faultline',
    version: version(root),
    scenario: loaded.name,
    scenarioSha256: createHash('sha256')
      .update(JSON.stringify({ scenario: loaded.scenario, duration: opts.duration ?? null, trafficScale: opts.trafficScale ?? null }))
      .digest('hex'),
    seed: opts.seed,
    durationMs: model.durationMs,
    start: model.start,
    node: process.version,
    dependencies: Object.fromEntries(DEPENDENCIES.map((d) => [d, version(join(root, 'node_modules', d))])),
    counts: { messages: result.messages, transactions: result.transactions, kpiRows: kpiTable.length, faults: faults.length },
    files,
  };
  writeFileAtomic(join(opts.out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { dir: opts.out, manifest, truth };
}

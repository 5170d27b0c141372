/**
 * The sweep of a run: every (scenario, axis values, seed) item of a suite, or a seeded sample of
 * them, sorted by key, and static sharding over it. Each item's generator seed depends only on its
 * own seed and key, so how the sweep is split over workers, shards, queues or machines never
 * changes a result.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../common/errors.js';
import { stream } from '../sim/rng.js';
import { listScenarios, loadScenario, ScenarioError } from '../sim/scenario.js';
import type { ScenarioFile } from '../sim/scenario-schema.js';
import { applySettings, axisValues, checkAxisValue, type AxisValue, type Setting } from './axes.js';
import { SuiteError, type Suite } from './suite.js';

export interface SweepItem {
  /** `scenario@seed`, or `scenario[axis=label,...]@seed` in a suite with axes. */
  key: string;
  scenario: string;
  seed: number;
  generatorSeed: number;
  /** The axis values of the item: fields set on its scenario. */
  settings?: Setting[];
}

export interface Shard {
  index: number; // 1-based
  count: number;
}

/** A scenario of the suite, loaded (`extends` resolved) and validated. */
export interface BaseScenario {
  /** Its name in item keys: a name under scenarios/, or a file path relative to the suite file. */
  name: string;
  file: string;
  scenario: ScenarioFile;
  /** sha256 of the loaded scenario: shards of one run must agree on it. */
  sha256: string;
}

export interface SweepPlan {
  scenarios: BaseScenario[];
  /** Items of the cross product (before sampling). */
  size: number;
  /** The items, sorted by key. */
  items: SweepItem[];
}

/** A 32-bit seed from (base seed, purpose): the first draw of the (base, purpose) stream. */
export function deriveSeed(base: number, purpose: string): number {
  return stream(base, purpose).int32() >>> 0;
}

/**
 * Expand scenario patterns against the known scenario names: a name is taken as is, `folder/*`
 * takes every scenario directly under that folder. Unknown names are an error.
 */
export function expandScenarios(patterns: string[], known: string[]): string[] {
  const out = new Set<string>();
  for (const pattern of patterns) {
    if (pattern.endsWith('/*')) {
      const prefix = pattern.slice(0, -1);
      const matches = known.filter((n) => n.startsWith(prefix) && !n.slice(prefix.length).includes('/'));
      if (matches.length === 0) throw new Error(`scenario pattern "${pattern}" matches no scenario`);
      for (const m of matches) out.add(m);
    } else if (known.includes(pattern)) out.add(pattern);
    else throw new Error(`unknown scenario "${pattern}" (known: ${known.join(', ') || 'none'})`);
  }
  return [...out];
}

const YAML_FILE = /\.ya?ml$/i;

/**
 * A suite's scenario entries as names: package names as they are (`faults/*` expanded), YAML
 * files relative to the suite file's folder (`twins/*.yaml` takes every YAML file of the folder),
 * named by that relative path with `/` separators, so keys are the same on every machine.
 */
function scenarioNames(suite: Suite): { name: string; file?: string }[] {
  const dir = path.dirname(suite.file);
  const out = new Map<string, { name: string; file?: string }>();
  const known = listScenarios();
  suite.scenarios.forEach((entry, k) => {
    const fail = (problem: string): never => {
      throw new SuiteError(`${suite.at(['scenarios', k])}: scenarios.${k}: ${problem}`);
    };
    if (!YAML_FILE.test(entry)) {
      let names: string[] = [];
      try {
        names = expandScenarios([entry], known);
      } catch (err) {
        fail(`${(err as Error).message}; a scenario file outside scenarios/ is named by its path, e.g. ./twin.yaml`);
      }
      for (const name of names) out.set(name, { name });
      return;
    }
    const abs = path.resolve(dir, entry);
    let files = [abs];
    if (path.basename(entry).includes('*')) {
      const folder = path.dirname(abs);
      if (entry.slice(0, -path.basename(entry).length).includes('*')) fail('only the file name may hold *');
      const pattern = new RegExp(`^${path.basename(entry).split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      files = existsSync(folder) ? readdirSync(folder).filter((f) => pattern.test(f) && YAML_FILE.test(f)).sort().map((f) => path.join(folder, f)) : [];
      if (files.length === 0) fail(`${entry} matches no file in ${folder}`);
    } else if (!existsSync(abs) || !statSync(abs).isFile()) fail(`no scenario file ${abs}`);
    for (const file of files) {
      const name = path.relative(dir, file).split(path.sep).join('/');
      out.set(name, { name, file });
    }
  });
  return [...out.values()];
}

function loadBase(suite: Suite, entry: { name: string; file?: string }): BaseScenario {
  try {
    const loaded = loadScenario(entry.file ?? entry.name);
    const sha256 = createHash('sha256').update(JSON.stringify(loaded.scenario)).digest('hex');
    return { name: entry.name, file: loaded.file, scenario: loaded.scenario, sha256 };
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    throw new SuiteError(`${suite.at(['scenarios'])}: scenario ${entry.name}: ${(err as Error).message}`);
  }
}

const compareKeys = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function itemOf(scenario: string, labels: string[], seed: number, settings: Setting[]): SweepItem {
  const key = `${scenario}${labels.length ? `[${labels.join(',')}]` : ''}@${seed}`;
  return { key, scenario, seed, generatorSeed: deriveSeed(seed, key), ...(settings.length ? { settings } : {}) };
}

/** The plain sweep: every (scenario, seed) item, sorted by key. */
export function buildSweep(scenarios: string[], seeds: number[]): SweepItem[] {
  const items: SweepItem[] = [];
  for (const scenario of new Set(scenarios)) for (const seed of new Set(seeds)) items.push(itemOf(scenario, [], seed, []));
  return items.sort(compareKeys);
}

/**
 * `count` distinct indices of [0, n), seeded (Floyd's algorithm: `count` draws, memory in `count`,
 * however large the cross product).
 */
function sampleIndices(n: number, count: number, seed: number): number[] {
  const rng = stream(seed, 'sweep-sample');
  const chosen = new Set<number>();
  for (let j = n - count; j < n; j++) {
    const t = Math.floor(rng() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen];
}

/**
 * The suite's sweep: scenarios x axes x seeds (or a seeded sample), each axis value checked
 * against the scenario schema on every scenario it applies to, errors naming the suite file, line
 * and field.
 */
export function planSweep(suite: Suite, seedsOverride?: number[]): SweepPlan {
  const seeds = [...new Set(seedsOverride ?? suite.seeds)];
  const axes = Object.entries(suite.axes);
  const scenarios = scenarioNames(suite).map((entry) => loadBase(suite, entry));
  // Per scenario: each axis's values (`every` reads the scenario's own topology).
  const values: AxisValue[][][] = scenarios.map((base) =>
    axes.map(([name, spec]) => {
      let list: AxisValue[];
      try {
        list = axisValues(spec, base.scenario);
      } catch (err) {
        throw new SuiteError(`${suite.at(['axes', name])}: axes.${name}: ${(err as Error).message}`);
      }
      if (list.length === 0) throw new SuiteError(`${suite.at(['axes', name])}: axes.${name}: no ${spec.every} in scenario ${base.name}`);
      const labels = new Set<string>();
      list.forEach((v, k) => {
        const where = spec.values ? ['axes', name, 'values', k] : ['axes', name];
        if (labels.has(v.label)) throw new SuiteError(`${suite.at(where)}: axes.${name}: two values have the label ${v.label}`);
        labels.add(v.label);
        try {
          checkAxisValue(base.scenario, spec.field, v.value);
        } catch (err) {
          throw new SuiteError(`${suite.at(where)}: axes.${name}${spec.values ? `.values.${k}` : ''}: on scenario ${base.name}: ${(err as Error).message}`);
        }
      });
      return list;
    }),
  );
  const perScenario = values.map((lists) => lists.reduce((n, l) => n * l.length, 1) * seeds.length);
  const size = perScenario.reduce((a, b) => a + b, 0);
  if (!Number.isSafeInteger(size)) throw new SuiteError(`${suite.file}: the cross product is too large to count; sample it`);

  const decode = (index: number): SweepItem => {
    let s = 0;
    while (index >= perScenario[s]!) index -= perScenario[s++]!;
    const seed = seeds[index % seeds.length]!;
    index = Math.floor(index / seeds.length);
    const labels: string[] = [];
    const settings: Setting[] = [];
    for (let a = axes.length - 1; a >= 0; a--) {
      const list = values[s]![a]!;
      const v = list[index % list.length]!;
      index = Math.floor(index / list.length);
      labels.unshift(`${axes[a]![0]}=${v.label}`);
      settings.unshift({ field: axes[a]![1].field, value: v.value });
    }
    return itemOf(scenarios[s]!.name, labels, seed, settings);
  };
  const sample = suite.sample;
  if (!sample && size > 1_000_000) throw new SuiteError(`${suite.file}: ${size} items in the cross product; sample it (sample: { count, seed })`);
  const indices = sample && sample.count < size ? sampleIndices(size, sample.count, sample.seed) : Array.from({ length: size }, (_, i) => i);
  const items = indices.map(decode).sort(compareKeys);
  for (let k = 1; k < items.length; k++) {
    if (items[k]!.key === items[k - 1]!.key) throw new SuiteError(`${suite.file}: two items have the key ${items[k]!.key}`);
  }
  return { scenarios, size, items };
}

/** An item's scenario, its settings applied, ready to write and generate from. */
export function itemScenario(plan: Pick<SweepPlan, 'scenarios'>, item: SweepItem): ScenarioFile {
  const base = plan.scenarios.find((s) => s.name === item.scenario);
  if (!base) throw new Error(`item ${item.key}: scenario ${item.scenario} is not in the sweep`);
  return applySettings(base.scenario, item.settings ?? []);
}

/** Parse `i/n` (1 <= i <= n). */
export function parseShard(spec: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard must be i/n with 1 <= i <= n (e.g. 2/4), got "${spec}"`);
  }
  return { index, count };
}

/**
 * The shard of this process: `--shard i/n`, or `--shards n` with the 0-based index of a batch
 * array job in JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).
 */
export function shardFrom(opts: { shard?: string; shards?: number }, env: NodeJS.ProcessEnv = process.env): Shard | null {
  if (opts.shard !== undefined && opts.shards !== undefined) throw new UsageError('give --shard i/n or --shards n, not both');
  if (opts.shard !== undefined) return parseShard(opts.shard);
  if (opts.shards === undefined) return null;
  if (!(Number.isInteger(opts.shards) && opts.shards >= 1)) throw new UsageError(`--shards must be a positive integer, got ${opts.shards}`);
  const index = env.JOB_COMPLETION_INDEX;
  if (index === undefined || !/^\d+$/.test(index.trim())) {
    throw new UsageError(`--shards ${opts.shards} takes the shard from JOB_COMPLETION_INDEX (0-based, set by a Kubernetes Indexed Job), which is ${index === undefined ? 'not set' : `"${index}"`}`);
  }
  if (Number(index) >= opts.shards) throw new UsageError(`JOB_COMPLETION_INDEX ${index} is not below --shards ${opts.shards}`);
  return { index: Number(index) + 1, count: opts.shards };
}

/** Shard i of n takes items i-1, i-1+n, i-1+2n, ... of the sorted sweep. */
export function selectShard<T>(items: T[], shard: Shard): T[] {
  return items.filter((_, k) => k % shard.count === shard.index - 1);
}

/**
 * `faultline merge`: combine the results of shards (or of whole runs of the same configuration)
 * into the report a single run would have written. Results files are streamed an item at a time,
 * k-way merged by key (each file is in key order), and written straight to the merged
 * results.json; only what the report needs of each item stays in memory.
 */
import { checkOutputDir, publishDir } from '../common/output-dir.js';
import type { AcGate } from '../scores/gate.js';
import { openResultsFile, parseItem, ResultsWriter, type ItemText, type ResultsFile, type ResultsHeader, type ResultsReader, type RunConfig } from './results-file.js';
import type { Summary } from './summary-schema.js';
import type { ItemResult } from '../scores/item-result.js';
import { MAX_CURVE_ITEMS } from './html.js';
import { writeReport } from './write.js';
import { runFacts } from './run-facts.js';
import { FaultlineError, firstNames } from '../common/errors.js';

export class MergeError extends FaultlineError {}

/** The configuration all inputs share (the first's); throws naming the input that differs. */
function commonConfig(inputs: { path: string; header: ResultsHeader }[]): RunConfig {
  if (inputs.length === 0) throw new MergeError('nothing to merge: name at least one run directory');
  const first = inputs[0]!;
  const { sweep: _sweep, ...firstConfig } = first.header.config;
  const reference = JSON.stringify(firstConfig);
  const sweep = JSON.stringify(first.header.config.sweep);
  for (const f of inputs) {
    const { sweep: _s, ...config } = f.header.config;
    if (JSON.stringify(config) !== reference) {
      throw new MergeError(`${f.path}: run configuration differs from ${first.path} (suite, scenarios, axes, seeds, detectors, RCA or MTTR model)`);
    }
    if (JSON.stringify(f.header.config.sweep) !== sweep) throw new MergeError(`${f.path}: its sweep differs from ${first.path}`);
  }
  return first.header.config;
}

/** Shards of one split must all be there: said from the headers, before any item is read. */
function checkShards(inputs: { header: ResultsHeader }[]): void {
  const shards = inputs.map((f) => f.header.shard);
  if (shards.every((s) => s !== null && s.count === shards[0]!.count)) {
    const count = shards[0]!.count;
    const given = new Set(shards.map((s) => s!.index));
    const missing = Array.from({ length: count }, (_, k) => k + 1).filter((i) => !given.has(i));
    if (missing.length > 0) throw new MergeError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} not given`);
  }
}

/** Checks that items cover the sweep exactly once, as they come. */
class Coverage {
  private readonly from = new Map<string, string>();
  private readonly inSweep: Set<string>;

  constructor(private readonly sweep: string[]) {
    this.inSweep = new Set(sweep);
  }

  add(key: string, source: string): void {
    const seen = this.from.get(key);
    if (seen !== undefined) throw new MergeError(`item ${key} is in both ${seen} and ${source}`);
    if (!this.inSweep.has(key)) throw new MergeError(`${source}: item ${key} is outside the sweep`);
    this.from.set(key, source);
  }

  finish(): void {
    const missing = this.sweep.filter((k) => !this.from.has(k));
    if (missing.length > 0) {
      throw new MergeError(`${missing.length} of ${this.sweep.length} items missing (a shard not given?): ${firstNames(missing, 5)}`);
    }
  }
}

/** In memory: results files already read whole (small runs, tests). */
export function mergeResults(files: (ResultsFile & { path: string })[]): ResultsFile {
  const config = commonConfig(files.map((f) => ({ path: f.path, header: f })));
  const coverage = new Coverage(config.sweep);
  const byKey = new Map<string, ItemResult>();
  for (const f of files) {
    for (const item of f.items) {
      coverage.add(item.key, f.path);
      byKey.set(item.key, item);
    }
  }
  coverage.finish();
  return { schema: files[0]!.schema, version: files[0]!.version, config, shard: null, items: config.sweep.map((k) => byKey.get(k)!) };
}

/**
 * Items as the report needs them, kept in memory: every item's figures, and the KPI curves only of
 * the first MAX_CURVE_ITEMS items that have any (the report draws no others). Add in key order.
 */
export class ReportItems {
  readonly items: ItemResult[] = [];
  private drawn = 0;

  add(item: ItemResult): void {
    if (item.kpiCurves.length > 0) {
      if (this.drawn < MAX_CURVE_ITEMS) this.drawn++;
      else item.kpiCurves = [];
    }
    this.items.push(item);
  }
}

/**
 * Every item of the inputs in key order (a k-way merge: each input is in key order), checked to
 * cover the sweep exactly once.
 */
export async function* mergeItems(readers: ResultsReader[], sweep: string[]): AsyncGenerator<ItemText> {
  const coverage = new Coverage(sweep);
  const streams = readers.map((r) => ({ path: r.path, it: r.items(), head: undefined as ItemText | undefined, last: '' }));
  const advance = async (s: (typeof streams)[number]) => {
    const next = await s.it.next();
    s.head = next.done ? undefined : next.value;
    if (s.head) {
      if (s.head.key <= s.last) throw new MergeError(`${s.path}: items are not in key order at ${s.head.key} (not written by faultline?)`);
      s.last = s.head.key;
    }
  };
  await Promise.all(streams.map(advance));
  for (;;) {
    let min: (typeof streams)[number] | undefined;
    for (const s of streams) if (s.head && (!min || s.head.key < min.head!.key)) min = s;
    if (!min) break;
    const item = min.head!;
    coverage.add(item.key, min.path);
    yield item;
    await advance(min);
  }
  coverage.finish();
}

/**
 * `minAc1` overrides the gate the shards were run with; `parquet` also writes the result tables as
 * Parquet; `commandLine` goes into the report's run facts.
 */
export async function merge(opts: { inputs: string[]; out: string; force?: boolean; minAc1?: AcGate; parquet?: boolean; commandLine?: readonly string[] }): Promise<{ summary: Summary; gatePassed: boolean; out: string }> {
  const output = { command: 'merge', force: opts.force ?? false, inputs: opts.inputs };
  checkOutputDir(opts.out, output);
  const readers = await Promise.all(opts.inputs.map((p) => openResultsFile(p)));
  const c = commonConfig(readers);
  checkShards(readers);
  const gate = opts.minAc1 ?? (c.minAc1 === null ? undefined : typeof c.minAc1 === 'number' ? { best: c.minAc1 } : { methods: c.minAc1 });
  const res = await publishDir(
    opts.out,
    async (stage) => {
      const writer = new ResultsWriter(stage, { schema: readers[0]!.header.schema, version: readers[0]!.header.version, config: c, shard: null });
      const report = new ReportItems();
      try {
        for await (const item of mergeItems(readers, c.sweep)) {
          writer.add(item.text);
          report.add(parseItem(item));
        }
        writer.commit();
      } catch (err) {
        writer.abort();
        throw err;
      }
      return writeReport(report.items, stage, {
        title: c.title,
        ...(c.suite !== null ? { suite: c.suite } : {}),
        mttr: c.mttr,
        ...(gate !== undefined ? { gate } : {}),
        facts: runFacts({ ...(opts.commandLine ? { command: opts.commandLine } : {}), suite: c.suite, seeds: c.seeds, methods: c.methods ?? [] }),
        parquet: opts.parquet ?? false,
      });
    },
    output,
  );
  return { ...res, out: opts.out };
}

/**
 * `faultline merge`: combine the partial results of shards (or whole runs of the same
 * configuration) into the report a single run would have written.
 */
import { checkOutputDir, publishDir } from '../common/output-dir.js';
import type { AcGate } from '../scores/gate.js';
import { readResultsFile, writeResultsFile, type ResultsFile } from './results-file.js';
import type { Summary } from './summary-schema.js';
import type { ItemResult } from '../scores/item-result.js';
import { writeReport } from './write.js';
import { FaultlineError } from '../common/errors.js';

export class MergeError extends FaultlineError {}

export function mergeResults(files: (ResultsFile & { path: string })[]): ResultsFile {
  if (files.length === 0) throw new MergeError('nothing to merge: name at least one run directory');
  const first = files[0]!;
  const { sweep: _sweep, ...firstConfig } = first.config;
  const reference = JSON.stringify(firstConfig);
  const byKey = new Map<string, { item: ItemResult; from: string }>();
  for (const f of files) {
    const { sweep: _s, ...config } = f.config;
    if (JSON.stringify(config) !== reference) {
      throw new MergeError(`${f.path}: run configuration differs from ${first.path} (suite, scenarios, seeds, detectors, RCA or MTTR model)`);
    }
    if (JSON.stringify(f.config.sweep) !== JSON.stringify(first.config.sweep)) {
      throw new MergeError(`${f.path}: its sweep differs from ${first.path}`);
    }
    for (const item of f.items) {
      const seen = byKey.get(item.key);
      if (seen) throw new MergeError(`item ${item.key} is in both ${seen.from} and ${f.path}`);
      byKey.set(item.key, { item, from: f.path });
    }
  }
  const missing = first.config.sweep.filter((k) => !byKey.has(k));
  if (missing.length > 0) {
    throw new MergeError(`${missing.length} of ${first.config.sweep.length} items missing (a shard not given?): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  }
  const extra = [...byKey.keys()].filter((k) => !first.config.sweep.includes(k));
  if (extra.length > 0) throw new MergeError(`items outside the sweep: ${extra.join(', ')}`);
  const items = first.config.sweep.map((k) => byKey.get(k)!.item);
  return { schema: first.schema, version: first.version, config: first.config, shard: null, items };
}

/** `minAc1` overrides the gate the shards were run with. */
export async function merge(opts: { inputs: string[]; out: string; force?: boolean; minAc1?: AcGate }): Promise<{ summary: Summary; gatePassed: boolean; out: string }> {
  const output = { command: 'merge', force: opts.force ?? false, inputs: opts.inputs };
  checkOutputDir(opts.out, output);
  const merged = mergeResults(opts.inputs.map((p) => readResultsFile(p)));
  const c = merged.config;
  const gate = opts.minAc1 ?? (c.minAc1 === null ? undefined : typeof c.minAc1 === 'number' ? { best: c.minAc1 } : { methods: c.minAc1 });
  const res = await publishDir(
    opts.out,
    async (stage) => {
      writeResultsFile(stage, merged);
      return writeReport(merged.items, stage, {
        title: c.title,
        ...(c.suite !== null ? { suite: c.suite } : {}),
        mttr: c.mttr,
        ...(gate !== undefined ? { gate } : {}),
      });
    },
    output,
  );
  return { ...res, out: opts.out };
}

/**
 * results.json (a complete run) and partial.json (one shard): every item's raw results plus the
 * run configuration, enough to rebuild the report without re-running (`faultline merge`).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../common/atomic-file.js';
import type { MttrModel } from '../scores/mttr.js';
import type { Shard } from '../pipeline/sweep.js';
import type { ItemResult } from '../scores/item-result.js';

export const RESULTS_SCHEMA_ID = 'faultline/results';
export const RESULTS_VERSION = 1;
export const RESULTS_FILE = 'results.json';
export const PARTIAL_FILE = 'partial.json';

/** What must agree between shards for their union to be one run. */
export interface RunConfig {
  suite: string | null;
  title: string;
  scenarios: string[];
  seeds: number[];
  duration: string | number | null;
  trafficScale: number | null;
  detectors: string[];
  rca: string[];
  mttr: MttrModel;
  /** The `--min-ac1` gate: one bar for the best method, or a bar per named method. */
  minAc1: number | Record<string, number> | null;
  /** Every item key of the whole sweep, sorted: merge checks the shards cover it exactly. */
  sweep: string[];
}

export interface ResultsFile {
  schema: typeof RESULTS_SCHEMA_ID;
  version: typeof RESULTS_VERSION;
  config: RunConfig;
  shard: Shard | null;
  items: ItemResult[];
}

// Checks the envelope; the items are this tool's own output and are trusted as written.
const EnvelopeSchema = z.object({
  schema: z.literal(RESULTS_SCHEMA_ID),
  version: z.literal(RESULTS_VERSION),
  config: z.object({
    sweep: z.array(z.string()),
    detectors: z.array(z.string()),
    rca: z.array(z.string()),
  }).loose(),
  shard: z.object({ index: z.number().int(), count: z.number().int() }).nullable(),
  items: z.array(z.object({ key: z.string() }).loose()),
});

export function writeResultsFile(dir: string, file: ResultsFile): string {
  const name = file.shard && file.shard.count > 1 ? PARTIAL_FILE : RESULTS_FILE;
  const target = path.join(dir, name);
  writeFileAtomic(target, JSON.stringify(file) + '\n');
  return target;
}

/** Read a results.json / partial.json file, or the one inside a run directory. */
export function readResultsFile(fileOrDir: string): ResultsFile & { path: string } {
  let file = fileOrDir;
  if (existsSync(fileOrDir) && statSync(fileOrDir).isDirectory()) {
    const found = [PARTIAL_FILE, RESULTS_FILE].map((n) => path.join(fileOrDir, n)).find((p) => existsSync(p));
    if (!found) throw new Error(`${fileOrDir}: no ${PARTIAL_FILE} or ${RESULTS_FILE} in this directory`);
    file = found;
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not readable JSON: ${(err as Error).message}`);
  }
  const parsed = EnvelopeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return { ...(json as ResultsFile), path: file };
}

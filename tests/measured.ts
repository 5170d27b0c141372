/**
 * What differs between two runs of the same inputs: measured wall-clock times (and the figures
 * built on them), the run's date and the checkout's commit when it moved between them. Everything else in summary.json and results.json is
 * byte-identical, so tests compare runs without these keys.
 */
import { readFileSync } from 'node:fs';

const MEASURED = new Set(['computeMs', 'identifyComputeMs', 'identifyMs', 'mttrMs', 'availability', 'timings', 'date', 'commit']);

/** A JSON value without its measured keys. */
export function withoutMeasured(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (k, v) => (MEASURED.has(k) ? undefined : v));
}

/** A JSON file's content without its measured keys. */
export function deterministicFile(file: string): unknown {
  return withoutMeasured(JSON.parse(readFileSync(file, 'utf8')));
}

/**
 * What happens to a malformed input row: `reject` (the default) stops the import with an error
 * naming the file, the line and the problem; `skip` drops the row, counts it and keeps the first
 * few reasons for the import report. Rows are never repaired silently.
 */
import { FaultlineError } from './errors.js';
export const BAD_ROW_POLICIES = ['reject', 'skip'] as const;
export type BadRowPolicy = (typeof BAD_ROW_POLICIES)[number];

/** An import error that points at a place in a file. */
export class ImportError extends FaultlineError {
  constructor(
    readonly file: string,
    readonly place: string,
    readonly problem: string,
  ) {
    super(`${file}${place ? `:${place}` : ''}: ${problem}`);
  }
}

const EXAMPLES_KEPT = 20;

export class BadRows {
  skipped = 0;
  readonly examples: string[] = [];

  constructor(readonly policy: BadRowPolicy = 'reject') {}

  /** Report a bad row (or `rows` rows with one problem): throws under `reject`, counts them under `skip`. */
  report(file: string, place: string, problem: string, rows = 1): void {
    const error = new ImportError(file, place, problem);
    if (this.policy === 'reject') throw error;
    this.skipped += rows;
    if (this.examples.length < EXAMPLES_KEPT) this.examples.push(error.message);
  }

  summary(): { policy: BadRowPolicy; skipped: number; examples: string[] } {
    return { policy: this.policy, skipped: this.skipped, examples: [...this.examples] };
  }
}

/** What stderr says of the rows skipped: their count and the first reasons ('' when none were). */
export function skippedRowsMessage(skipped: number, examples: readonly string[]): string {
  return skipped ? `skipped ${skipped} malformed rows, e.g.:\n${examples.map((e) => `  ${e}\n`).join('')}` : '';
}

export function parseBadRowPolicy(value: string | undefined): BadRowPolicy {
  if (value === undefined) return 'reject';
  if ((BAD_ROW_POLICIES as readonly string[]).includes(value)) return value as BadRowPolicy;
  throw new Error(`--on-bad-row must be one of ${BAD_ROW_POLICIES.join(', ')} (got '${value}')`);
}

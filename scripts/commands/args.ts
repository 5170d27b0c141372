import { parseColumnMapping } from '../../data/column-mapping.js';
import { UsageError } from './errors.js';

/** `--min-ac1`: an AC@1 bar between 0 and 1, or none. */
export function minAc1Arg(value: number | undefined): number | undefined {
  if (value !== undefined && !(value >= 0 && value <= 1)) throw new UsageError('--min-ac1 must be between 0 and 1');
  return value;
}

/** A column mapping flag (`--columns ours=theirs,...`), or none; a malformed one is a usage error. */
export function columnMappingArg(flag: string, text: string | undefined): Record<string, string> | undefined {
  try {
    return text ? parseColumnMapping(text) : undefined;
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

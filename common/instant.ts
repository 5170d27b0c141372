/**
 * Instants in imported files: a number in a stated unit, or ISO 8601. An ISO time without a zone is
 * read as UTC (never the machine's local zone, so results do not depend on where they run).
 */
import { parseDuration } from './duration.js';

export type NumericTimeUnit = 's' | 'ms' | 'us' | 'ns';

export const UNIT_TO_MS: Record<NumericTimeUnit, number> = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 };
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Unix ms, or NaN when `text` is neither a number nor an ISO 8601 date-time. */
export function parseInstant(text: string, numericUnit: NumericTimeUnit): number {
  const t = text.trim();
  if (NUMBER_RE.test(t)) return Number(t) * UNIT_TO_MS[numericUnit];
  const m = ISO_RE.exec(t);
  if (!m) return NaN;
  const iso = t.replace(' ', 'T');
  return Date.parse(m[1] ? iso : `${iso}${iso.length === 10 ? 'T00:00:00' : ''}Z`);
}

/** A signed duration such as `-30d`, `+2h`, `1h30m` in ms (sim's units, with an optional sign). */
export function parseSignedDuration(text: string): number {
  const t = text.trim();
  const sign = t.startsWith('-') ? -1 : 1;
  return sign * parseDuration(t.replace(/^[+-]/, ''));
}

/**
 * A point in time given as an ISO 8601 timestamp (zone-less means UTC), or as a duration offset
 * from `origin` (`2h30m`): how scenario files and `--train-until` name times.
 */
export function parseInstantOrOffset(input: string | number, origin: number): number {
  if (typeof input === 'string' && /^\d{4}-\d\d-\d\d/.test(input.trim())) {
    const t = parseInstant(input, 'ms');
    if (Number.isNaN(t)) throw new Error(`invalid timestamp '${input}'`);
    return t;
  }
  return origin + parseDuration(input);
}

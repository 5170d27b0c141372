/**
 * Instants in imported files: a number in a stated unit, or ISO 8601. An ISO time must be a real
 * calendar time (no 30 February, no hour 25); without a zone it is read as UTC (never the machine's
 * local zone, so results do not depend on where they run). Numbers are checked against a sanity
 * range that catches a time given in another unit than the one declared.
 */
import { parseDuration } from './duration.js';
import { parseDecimal } from './bytes.js';

export type NumericTimeUnit = 's' | 'ms' | 'us' | 'ns';

export const UNIT_TO_MS: Record<NumericTimeUnit, number> = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 };
export const UNIT_NAMES: Record<NumericTimeUnit, string> = { s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds' };

/** No telemetry time is at or after 2100-01-01: a larger number is in a finer unit than declared. */
export const LATEST_INSTANT_MS = Date.UTC(2100, 0, 1);
/**
 * A number in milliseconds or finer is at or after 1980-01-01: a time in a coarser unit read as one
 * of these lands in the first weeks of 1970 (2023 in milliseconds read as nanoseconds is 1970-01-01
 * 00:27). Seconds, the coarsest unit, may start at 1970 itself (series with relative times do).
 */
export const EARLIEST_FINE_INSTANT_MS = Date.UTC(1980, 0, 1);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  return month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : DAYS_IN_MONTH[month - 1];
}

function digitsAt(b: Uint8Array, i: number, n: number, end: number): number {
  if (i + n > end) return -1;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const d = b[i + k] - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * ISO 8601 `YYYY-MM-DD[(T| )hh:mm[:ss[.fff...]]][Z|±hh[:]mm]` (case-insensitive) as unix ms, NaN
 * when the text is not one or names a time that does not exist. Fractions finer than a millisecond
 * are kept.
 */
export function parseIsoBytes(b: Uint8Array, start: number, end: number): number {
  while (start < end && (b[start] === 32 || b[start] === 9)) start++;
  while (end > start && (b[end - 1] === 32 || b[end - 1] === 9)) end--;
  const year = digitsAt(b, start, 4, end);
  if (year < 0 || b[start + 4] !== 45 || b[start + 7] !== 45) return NaN;
  const month = digitsAt(b, start + 5, 2, end);
  const day = digitsAt(b, start + 8, 2, end);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return NaN;
  let i = start + 10;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let fraction = 0;
  if (i < end && (b[i] === 84 || b[i] === 116 || b[i] === 32) && i + 1 < end && b[i + 1] >= 48 && b[i + 1] <= 57) {
    hour = digitsAt(b, i + 1, 2, end);
    minute = b[i + 3] === 58 ? digitsAt(b, i + 4, 2, end) : -1;
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return NaN;
    i += 6;
    if (i < end && b[i] === 58) {
      second = digitsAt(b, i + 1, 2, end);
      if (second < 0 || second > 59) return NaN;
      i += 3;
      if (i < end && b[i] === 46) {
        let scale = 100;
        const from = ++i;
        for (; i < end && b[i] >= 48 && b[i] <= 57; i++) {
          fraction += (b[i] - 48) * scale;
          scale /= 10;
        }
        if (i === from) return NaN;
      }
    }
  } else if (i < end && (b[i] === 84 || b[i] === 116)) return NaN;
  let offsetMin = 0;
  if (i < end) {
    if (b[i] === 90 || b[i] === 122) i++;
    else if (b[i] === 43 || b[i] === 45) {
      const sign = b[i] === 45 ? -1 : 1;
      const oh = digitsAt(b, i + 1, 2, end);
      const colon = b[i + 3] === 58 ? 1 : 0;
      const om = digitsAt(b, i + 3 + colon, 2, end);
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
      offsetMin = sign * (oh * 60 + om);
      i += 5 + colon;
    } else return NaN;
  }
  if (i !== end) return NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second) + fraction - offsetMin * 60_000;
}

/** Digits of a unit below a millisecond. */
const SUB_MS_DIGITS: Record<NumericTimeUnit, number> = { s: 0, ms: 0, us: 3, ns: 6 };
/** Units per millisecond below it, to divide by (1e-3 is no exact double; a division rounds once, as the nanosecond reader's does). */
const PER_MS: Record<NumericTimeUnit, number> = { s: 1, ms: 1, us: 1e3, ns: 1e6 };

/**
 * A time or duration read from a number in a unit, held as whole milliseconds plus the nanoseconds
 * below them: exact for an integer (unix nanoseconds past 2^53 too), so that a start plus a
 * duration gives the very double an integer end in any unit reads as. A decimal (`12.5` ms) or an
 * exponent is read as a number of the unit. One instance is reused across rows.
 */
export class SplitTime {
  /** Whole ms (fractional for a decimal input); NaN when the text is not a number. */
  ms = NaN;
  /** Nanoseconds below `ms`, 0 to 999999. */
  ns = 0;

  read(b: Uint8Array, start: number, end: number, unit: NumericTimeUnit): void {
    while (start < end && (b[start] === 32 || b[start] === 9)) start++;
    while (end > start && (b[end - 1] === 32 || b[end - 1] === 9)) end--;
    const below = SUB_MS_DIGITS[unit];
    this.ns = 0;
    // The whole ms must stay below 2^53: at most 15 digits above the split.
    if (end > start && end - start <= 15 + below) {
      const split = Math.max(start, end - below);
      let high = 0;
      let low = 0;
      let i = start;
      for (; i < split; i++) {
        const d = b[i] - 48;
        if (d < 0 || d > 9) break;
        high = high * 10 + d;
      }
      if (i === split) {
        for (; i < end; i++) {
          const d = b[i] - 48;
          if (d < 0 || d > 9) break;
          low = low * 10 + d;
        }
        if (i === end) {
          this.ms = unit === 's' ? high * 1000 : high;
          this.ns = below === 3 ? low * 1000 : low;
          return;
        }
      }
    }
    const v = parseDecimal(b, start, end);
    this.ms = unit === 's' ? v * 1000 : v / PER_MS[unit];
  }

  /** Add another split time (a duration), carrying whole milliseconds. */
  add(other: SplitTime): void {
    this.ms += other.ms;
    this.ns += other.ns;
    if (this.ns >= 1e6) {
      this.ms++;
      this.ns -= 1e6;
    }
  }

  /** The time in (unix) ms. */
  value(): number {
    return this.ms + this.ns / 1e6;
  }
}

const FINE = new SplitTime();

/**
 * Unix nanoseconds as unix milliseconds, keeping the sub-millisecond digits that a double of the
 * nanoseconds would round away (integers past 2^53). Anything but an integer (a decimal, an
 * exponent) is read as a decimal number of nanoseconds; NaN when it is neither.
 */
export function parseNanosAsMs(b: Uint8Array, start: number, end: number): number {
  return parseFineTime(b, start, end, 'ns');
}

/** Unix ms of a number in `unit` (SplitTime: an integer exactly, a decimal or exponent as a number of the unit); NaN when it is no number. */
export function parseFineTime(b: Uint8Array, start: number, end: number, unit: NumericTimeUnit): number {
  FINE.read(b, start, end, unit);
  return FINE.value();
}

/**
 * Unix ms from a number in `numericUnit` or an ISO 8601 time (see parseIsoBytes); NaN when neither.
 * Integer micro- and nanoseconds are read exactly (SplitTime): a double of unix nanoseconds is not.
 */
export function parseInstantBytes(b: Uint8Array, start: number, end: number, numericUnit: NumericTimeUnit): number {
  if (numericUnit === 's' || numericUnit === 'ms') {
    const n = parseDecimal(b, start, end);
    return Number.isNaN(n) ? parseIsoBytes(b, start, end) : n * UNIT_TO_MS[numericUnit];
  }
  // One read of the digits: SplitTime falls back to a decimal number itself, and is NaN for text.
  const t = parseFineTime(b, start, end, numericUnit);
  return Number.isNaN(t) ? parseIsoBytes(b, start, end) : t;
}

const SCRATCH = Buffer.alloc(64);

/** Unix ms, or NaN when `text` is neither a number nor an ISO 8601 date-time (see parseInstantBytes). */
export function parseInstant(text: string, numericUnit: NumericTimeUnit): number {
  // Every valid form is short ASCII; anything else is not an instant.
  if (text.length > SCRATCH.length || /[^\x00-\x7f]/.test(text)) return NaN;
  const n = SCRATCH.write(text, 0, 'latin1');
  return parseInstantBytes(SCRATCH, 0, n, numericUnit);
}

/**
 * What is wrong with a time in unix ms read from a number in `unit` (or from ISO 8601 when `unit`
 * is undefined), '' when nothing: not finite, or outside the plausible range, naming the unit it
 * more likely is in.
 */
export function instantProblem(ms: number, unit?: NumericTimeUnit): string {
  if (!Number.isFinite(ms)) return 'not a finite time';
  const earliest = unit === undefined || unit === 's' ? 0 : EARLIEST_FINE_INSTANT_MS;
  if (ms >= earliest && ms < LATEST_INSTANT_MS) return '';
  const range = `${new Date(earliest).getUTCFullYear()}-2099`;
  if (unit === undefined) return `${isoOrNumber(ms)} is outside ${range}`;
  const value = ms / UNIT_TO_MS[unit];
  const guess = (['s', 'ms', 'us', 'ns'] as const).find((u) => {
    const t = value * UNIT_TO_MS[u];
    return u !== unit && t >= EARLIEST_FINE_INSTANT_MS && t < LATEST_INSTANT_MS;
  });
  return `${isoOrNumber(ms)} as unix ${UNIT_NAMES[unit]}, outside ${range}${guess ? ` (is it in ${UNIT_NAMES[guess]}? that would be ${new Date(value * UNIT_TO_MS[guess]).toISOString()})` : ''}`;
}

function isoOrNumber(ms: number): string {
  return Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`;
}

/** A signed duration such as `-30d`, `+2h`, `1h30m` in ms (sim's units, with an optional sign). */
export function parseSignedDuration(text: string): number {
  const t = text.trim();
  const sign = t.startsWith('-') ? -1 : 1;
  return sign * parseDuration(t.replace(/^[+-]/, ''));
}

/** Whether a time as parseInstantOrOffset reads it is an ISO 8601 timestamp rather than an offset. */
export function namesInstant(text: string): boolean {
  return /^\d{4}-\d\d-\d\d/.test(text.trim());
}

/**
 * A point in time given as an ISO 8601 timestamp (zone-less means UTC), or as a duration offset
 * from `origin` (`2h30m`): how scenario files and `--train-until` name times.
 */
export function parseInstantOrOffset(input: string | number, origin: number): number {
  if (typeof input === 'string' && namesInstant(input)) {
    const t = parseIsoBytes(Buffer.from(input, 'latin1'), 0, Buffer.byteLength(input, 'latin1'));
    if (Number.isNaN(t) || /[^\x00-\x7f]/.test(input)) throw new Error(`invalid timestamp '${input}'`);
    return t;
  }
  return origin + parseDuration(input);
}

export const DAY_MS = 86_400_000;
// The last day formatted: row writers format millions of times that share a few days.
let lastDay = NaN;
let lastDayPrefix = '';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/**
 * `new Date(ms).toISOString()`, the same text, without a Date per call: the date part is formatted
 * once per day and the time of day from the number itself.
 */
export function isoInstant(ms: number): string {
  if (!Number.isInteger(ms) || Math.abs(ms) > 8.64e15) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== lastDay) {
    lastDay = day;
    lastDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, -13);
  }
  let rest = ms - day * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  const f = rest - s * 1000;
  return `${lastDayPrefix}${pad2(h)}:${pad2(m)}:${pad2(s)}.${f < 10 ? '00' : f < 100 ? '0' : ''}${f}Z`;
}

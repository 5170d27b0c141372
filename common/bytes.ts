/**
 * Values read straight from UTF-8 bytes (a CSV field, a JSON token), so that readers of large files
 * create a string only when they keep one: numbers, trimming, text, byte comparison.
 */
import { isUtf8 } from 'node:buffer';

/** Largest mantissa that can take one more digit and stay below 2^53. */
const EXACT_LIMIT = Math.floor((2 ** 53 - 9) / 10);

/** Exact powers of ten as doubles (10^22 is the largest exactly representable). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** [start, end) without leading and trailing spaces and tabs, packed as start * 2^32 + end. */
export function trimSpaces(b: Uint8Array, start: number, end: number): number {
  while (start < end && (b[start] === 32 || b[start] === 9)) start++;
  while (end > start && (b[end - 1] === 32 || b[end - 1] === 9)) end--;
  return start * 4294967296 + end;
}

export function trimmedStart(packed: number): number {
  return Math.floor(packed / 4294967296);
}

export function trimmedEnd(packed: number): number {
  return packed % 4294967296;
}

/**
 * A decimal number (`-12`, `3.5`, `.5`, `1e-3`, surrounding spaces allowed) or NaN for anything
 * else: unlike Number(), an empty field, `Infinity`, `0x10` and `1_000` are not numbers. A value
 * beyond the double range (`1e400`) is ±Infinity; callers that need finite numbers check.
 */
export function parseDecimal(b: Uint8Array, start: number, end: number): number {
  while (start < end && (b[start] === 32 || b[start] === 9)) start++;
  while (end > start && (b[end - 1] === 32 || b[end - 1] === 9)) end--;
  let i = start;
  let negative = false;
  if (i < end && (b[i] === 45 || b[i] === 43)) negative = b[i++] === 45;
  // Digits are taken into the mantissa while it stays an exact integer (below 2^53).
  let mantissa = 0;
  let intDigits = 0;
  let scale = 0; // decimal exponent of the mantissa's last digit
  let exact = true;
  for (; i < end; i++) {
    const d = b[i] - 48;
    if (d < 0 || d > 9) break;
    intDigits++;
    if (mantissa < EXACT_LIMIT) mantissa = mantissa * 10 + d;
    else {
      exact = false;
      scale++;
    }
  }
  let fracDigits = 0;
  if (i < end && b[i] === 46) {
    for (i++; i < end; i++) {
      const d = b[i] - 48;
      if (d < 0 || d > 9) break;
      fracDigits++;
      if (mantissa < EXACT_LIMIT) {
        mantissa = mantissa * 10 + d;
        scale--;
      } else if (d !== 0) exact = false;
    }
  }
  if (intDigits + fracDigits === 0) return NaN;
  let exponent = 0;
  if (i < end && (b[i] === 101 || b[i] === 69)) {
    i++;
    let expNegative = false;
    if (i < end && (b[i] === 45 || b[i] === 43)) expNegative = b[i++] === 45;
    const expStart = i;
    for (; i < end; i++) {
      const d = b[i] - 48;
      if (d < 0 || d > 9) break;
      if (exponent < 100000) exponent = exponent * 10 + d;
    }
    if (i === expStart) return NaN;
    if (expNegative) exponent = -exponent;
  }
  if (i !== end) return NaN;
  scale += exponent;
  // Clinger's fast path: a mantissa below 2^53 scaled by an exact power of ten rounds once, as Number() does.
  if (exact && scale >= -22 && scale <= 22) {
    const v = scale < 0 ? mantissa / POW10[-scale] : mantissa * POW10[scale];
    return negative ? -v : v;
  }
  return Number(latin1(b, start, end));
}

/** The bytes as a string, read as Latin-1 (for ASCII such as numbers and dates: no decoding). */
export function latin1(b: Uint8Array, start: number, end: number): string {
  return (b instanceof Buffer ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)).toString('latin1', start, end);
}

/** The bytes as a string, decoded as UTF-8 (a fresh flat string: it keeps no larger buffer alive). */
export function utf8(b: Uint8Array, start: number, end: number): string {
  return (b instanceof Buffer ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)).toString('utf8', start, end);
}

/** True when b[start, end) holds exactly the ASCII text `ascii` (compared case-insensitively when `fold`). */
export function bytesEqual(b: Uint8Array, start: number, end: number, ascii: string, fold = false): boolean {
  if (end - start !== ascii.length) return false;
  for (let i = 0; i < ascii.length; i++) {
    let c = b[start + i];
    if (fold && c >= 65 && c <= 90) c += 32;
    if (c !== ascii.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The 0-based numbers of the lines (split at \n) of `b` that are not UTF-8, ascending. For a
 * buffer that failed a whole-buffer check: one check per line.
 */
export function notUtf8Lines(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let from = 0, line = 0; from <= b.length; line++) {
    let to = b.indexOf(10, from);
    if (to < 0) to = b.length;
    if (!isUtf8(b.subarray(from, to))) out.push(line);
    from = to + 1;
  }
  return out;
}

/** Bytes of a string as UTF-8 (for lookups keyed by text). */
export function utf8Bytes(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/**
 * A few fields of a record held as bytes until the record is complete (a streamed JSON object's
 * values arrive in any order, and the input buffer they lie in may be gone by its end).
 */
export class ByteFields {
  bytes: Buffer = Buffer.allocUnsafe(1024);
  private used = 0;
  readonly start: Int32Array;
  readonly end: Int32Array;

  constructor(count: number) {
    this.start = new Int32Array(count).fill(-1);
    this.end = new Int32Array(count).fill(-1);
  }

  set(field: number, b: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.used + n > this.bytes.length) {
      const bytes = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + n));
      this.bytes.copy(bytes, 0, 0, this.used);
      this.bytes = bytes;
    }
    // Fields are short (ids, names): a loop beats making a view to copy from.
    const to = this.bytes;
    for (let i = 0, w = this.used; i < n; i++, w++) to[w] = b[start + i];
    this.start[field] = this.used;
    this.used += n;
    this.end[field] = this.used;
  }

  has(field: number): boolean {
    return this.start[field] >= 0;
  }

  /** Forget every field. */
  clear(): void {
    this.start.fill(-1);
    this.end.fill(-1);
    this.used = 0;
  }
}

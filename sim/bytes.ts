/**
 * Text built as bytes: the generated data sets hold millions of log lines, ids and CSV rows, so they
 * are written digit by digit into reused byte buffers rather than as per-row JS strings.
 */

const encoder = new TextEncoder();

/** UTF-8 bytes of a string (for constant texts, encoded once). */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** `value` as `width` decimal digits (zero-padded on the left) at buf[at..at+width). */
export function writeDigits(buf: Uint8Array, at: number, width: number, value: number): void {
  for (let k = at + width - 1; k >= at; k--) {
    const q = Math.floor(value / 10);
    buf[k] = 48 + (value - q * 10);
    value = q;
  }
}

const HEX = utf8('0123456789abcdef');

/** A growable byte buffer with number formatting that allocates nothing per call. */
export class ByteBuilder {
  buf: Uint8Array;
  n = 0;

  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
  }

  /** Make room for `k` more bytes. */
  ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.n + k) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  bytes(b: Uint8Array): void {
    const len = b.length;
    this.ensure(len);
    const buf = this.buf;
    const n = this.n;
    // Most runs are a few bytes: a loop beats set()'s call overhead there.
    if (len < 32) for (let k = 0; k < len; k++) buf[n + k] = b[k]!;
    else buf.set(b, n);
    this.n = n + len;
  }

  /** Bytes [from, to) of another buffer. */
  range(src: Uint8Array, from: number, to: number): void {
    const len = to - from;
    this.ensure(len);
    const buf = this.buf;
    const n = this.n;
    for (let k = 0; k < len; k++) buf[n + k] = src[from + k]!;
    this.n = n + len;
  }

  byte(c: number): void {
    this.ensure(1);
    this.buf[this.n++] = c;
  }

  /** A non-negative integer (rounded), without padding. */
  uint(value: number): void {
    let v = Math.round(value);
    if (!(v >= 0)) v = 0;
    let width = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) width++;
    this.ensure(width);
    writeDigits(this.buf, this.n, width, v);
    this.n += width;
  }

  /** A signed integer (rounded). */
  int(value: number): void {
    const v = Math.round(value);
    if (v < 0) {
      this.byte(45);
      this.uint(-v);
    } else this.uint(v);
  }

  /** A non-negative integer zero-padded to `width` digits (its low `width` digits if longer). */
  padded(value: number, width: number): void {
    this.ensure(width);
    writeDigits(this.buf, this.n, width, Math.max(0, Math.round(value)) % 10 ** width);
    this.n += width;
  }

  /** A non-negative number with a fixed number of decimals (1..6), e.g. 12.5 or 1234.56. */
  fixed(value: number, decimals: number): void {
    const scale = 10 ** decimals;
    let v = Math.round(value * scale);
    if (!(v >= 0)) v = 0;
    this.uint(Math.floor(v / scale));
    this.byte(46);
    this.padded(v % scale, decimals);
  }

  /** The low 32 bits of `value` as 8 lower-case hex digits. */
  hex8(value: number): void {
    this.ensure(8);
    const v = value >>> 0;
    for (let k = 7; k >= 0; k--) this.buf[this.n + 7 - k] = HEX[(v >>> (k * 4)) & 15]!;
    this.n += 8;
  }

  /** The bytes so far (a view, valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.n);
  }

  clear(): void {
    this.n = 0;
  }
}

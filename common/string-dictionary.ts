/**
 * An intern table that takes its keys as UTF-8 bytes: a reader hashes a field where it lies in the
 * input buffer and creates a string only the first time it meets that text. Codes are dense
 * (0, 1, 2, ...) in first-seen order; `strings[code]` is the text.
 */
import { utf8 } from './bytes.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a of b[start, end), 32 bits. */
export function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], FNV_PRIME);
  return h | 0;
}

/** The dictionary that owns each intern table, so that tables sharing one keep adding to it. */
const owners = new WeakMap<string[], StringDictionary>();

export class StringDictionary {
  /** The interned texts, by code. Append-only: a code, once given, names the same text forever. */
  readonly strings: string[];
  /**
   * Open addressing, two numbers per slot: code + 1 (0 for an empty slot) and the text's hash, side
   * by side so that a probe reads one cache line, and a rebuild needs no hash per code besides.
   */
  private slots = new Int32Array(2 * 2048);
  private mask = 2047;
  /** Encodes the argument of internString. */
  private scratch: Buffer = Buffer.alloc(256);

  /**
   * A new dictionary, or one over an existing intern table (`strings` is then the same array and
   * grows with it; a text it holds twice keeps its first code).
   */
  constructor(strings: string[] = []) {
    this.strings = strings;
    owners.set(strings, this);
    if (strings.length) this.adopt();
  }

  /** The dictionary that owns an intern table (made over it on first use). */
  static of(strings: string[]): StringDictionary {
    return owners.get(strings) ?? new StringDictionary(strings);
  }

  get size(): number {
    return this.strings.length;
  }

  /** Make room for about `count` strings in all, so that the table is not rebuilt as it fills. */
  reserve(count: number): void {
    if (2 * count > this.mask + 1) this.rehash(1 << Math.ceil(Math.log2(2 * count + 1)));
  }

  /** The code of the text in b[start, end), adding it if new. */
  intern(b: Uint8Array, start: number, end: number): number {
    const h = hashBytes(b, start, end);
    let slot = h & this.mask;
    for (;;) {
      const entry = this.slots[2 * slot];
      if (entry === 0) break;
      if (this.slots[2 * slot + 1] === h && sameText(this.strings[entry - 1], b, start, end)) return entry - 1;
      slot = (slot + 1) & this.mask;
    }
    const code = this.strings.length;
    this.strings.push(utf8(b, start, end));
    this.place(code, h, slot);
    return code;
  }

  /** The code of the text in b[start, end), or -1 when it is not interned. */
  find(b: Uint8Array, start: number, end: number): number {
    const h = hashBytes(b, start, end);
    let slot = h & this.mask;
    for (;;) {
      const entry = this.slots[2 * slot];
      if (entry === 0) return -1;
      if (this.slots[2 * slot + 1] === h && sameText(this.strings[entry - 1], b, start, end)) return entry - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** The code of a string, adding it if new (the same code its UTF-8 bytes get). */
  internString(text: string): number {
    const n = this.encode(text);
    return this.intern(this.scratch, 0, n);
  }

  /** Writes a string's UTF-8 bytes into scratch; returns their length. */
  private encode(text: string): number {
    const n = Buffer.byteLength(text, 'utf8');
    if (n > this.scratch.length) this.scratch = Buffer.alloc(Math.max(n, this.scratch.length * 2));
    this.scratch.write(text, 0, 'utf8');
    return n;
  }

  private place(code: number, h: number, slot: number): void {
    this.slots[2 * slot] = code + 1;
    this.slots[2 * slot + 1] = h;
    // Keep the table at most half full, so probes stay short.
    if (2 * (code + 1) > this.mask + 1) this.rehash(2 * (this.mask + 1));
  }

  /** Rebuild the table at `size` slots, moving every entry with its hash. */
  private rehash(size: number): void {
    const old = this.slots;
    const slots = new Int32Array(2 * size);
    const mask = size - 1;
    for (let k = 0; k < old.length; k += 2) {
      if (old[k] === 0) continue;
      let slot = old[k + 1] & mask;
      while (slots[2 * slot] !== 0) slot = (slot + 1) & mask;
      slots[2 * slot] = old[k];
      slots[2 * slot + 1] = old[k + 1];
    }
    this.slots = slots;
    this.mask = mask;
  }

  /** Index an existing intern table; a text it holds twice keeps its first code. */
  private adopt(): void {
    const size = Math.max(2048, 1 << Math.ceil(Math.log2(this.strings.length * 2 + 1)));
    this.slots = new Int32Array(2 * size);
    this.mask = size - 1;
    for (let code = 0; code < this.strings.length; code++) {
      const n = this.encode(this.strings[code]);
      const h = hashBytes(this.scratch, 0, n);
      let slot = h & this.mask;
      let duplicate = false;
      for (let entry = this.slots[2 * slot]; entry !== 0; entry = this.slots[2 * slot]) {
        if (this.slots[2 * slot + 1] === h && this.strings[entry - 1] === this.strings[code]) duplicate = true;
        slot = (slot + 1) & this.mask;
      }
      if (!duplicate) {
        this.slots[2 * slot] = code + 1;
        this.slots[2 * slot + 1] = h;
      }
    }
  }
}

/** True when `text` is the UTF-8 decoding of b[start, end) (compared without decoding for ASCII). */
function sameText(text: string, b: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (text.length !== n) {
    // Only a text with characters beyond ASCII can be shorter than its bytes.
    return text.length < n && utf8(b, start, end) === text;
  }
  for (let i = 0; i < n; i++) {
    const c = b[start + i];
    if (c !== text.charCodeAt(i)) return c >= 0x80 && utf8(b, start, end) === text;
  }
  return true;
}

/**
 * One column's values interned through a dictionary, the previous row's code reused when the text
 * repeats: exports grouped by trace, transaction or pod repeat a column's value row after row, and a
 * byte comparison is cheaper than a hash lookup.
 */
export class RunInterner {
  private bytes: Uint8Array = new Uint8Array(0);
  private start = 0;
  private end = 0;
  private code = -1;

  constructor(private readonly dict: StringDictionary) {}

  intern(b: Uint8Array, start: number, end: number): number {
    const n = end - start;
    if (this.code >= 0 && n === this.end - this.start) {
      const prev = this.bytes;
      const from = this.start;
      let i = 0;
      while (i < n && prev[from + i] === b[start + i]) i++;
      if (i === n) {
        this.bytes = b;
        this.start = start;
        this.end = end;
        return this.code;
      }
    }
    this.code = this.dict.intern(b, start, end);
    this.bytes = b;
    this.start = start;
    this.end = end;
    return this.code;
  }
}

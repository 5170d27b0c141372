/**
 * A streaming JSON reader over bytes, for files too large to JSON.parse whole (a Jaeger export, an
 * OTLP file, JSON lines of messages): it checks the grammar and tells a handler what it meets,
 * without building objects. The handler names a context for each object or array it cares about
 * and SKIP for the rest, whose contents it is then not told about; keys arrive as indexes into the
 * list of keys the handler asked for (-1 for any other key), values as byte ranges.
 */
import { isUtf8 } from 'node:buffer';
import type { BadRows } from './bad-rows.js';
import { ImportError } from './bad-rows.js';
import { StringDictionary } from './string-dictionary.js';
import { finishStraddling, NOT_UTF8, readByteChunks } from './text-lines.js';
import { latin1 } from './bytes.js';

export const JSON_STRING = 1;
export const JSON_NUMBER = 2;
export const JSON_TRUE = 3;
export const JSON_FALSE = 4;
export const JSON_NULL = 5;
export const JSON_OBJECT = 6;
export const JSON_ARRAY = 7;

/** Context of the top level, and of contents the handler ignores. */
export const ROOT = 0;
export const SKIP = -1;
/** The key of an array element (and of a top-level value). */
export const ELEMENT = -2;

export interface JsonHandler {
  /** An object or array opens on `line` as the value of `key` in `context`; returns its context (SKIP to ignore its contents). */
  open(context: number, key: number, type: typeof JSON_OBJECT | typeof JSON_ARRAY, line: number): number;
  /** A key not in the handler's list, inside `context` (for objects keyed by data, such as Jaeger's processes). */
  otherKey?(context: number, bytes: Uint8Array, start: number, end: number): void;
  /** The object or array of `context` closes. */
  close(context: number): void;
  /** A scalar: JSON_STRING (bytes unescaped), JSON_NUMBER (its literal), JSON_TRUE, JSON_FALSE or JSON_NULL. */
  value(context: number, key: number, type: number, bytes: Uint8Array, start: number, end: number): void;
  /** A top-level value (a whole document, or one line of JSON lines) is complete. */
  endDocument(line: number): void;
  /** The document being read is broken (invalid, or cut short): forget what it started. */
  abortDocument(line: number): void;
  /**
   * A string (key or value) in `context`, on `line`, is not UTF-8: true when the handler drops
   * what holds it (a span, say), and reading goes on without the string (a key reads as any other
   * key, -1); false, or without this method, the document is dropped as a bad row.
   */
  notUtf8?(context: number, line: number): boolean;
}

const S_VALUE = 0; // a value is expected
const S_VALUE_OR_CLOSE = 1; // just after '['
const S_KEY = 2; // a key is expected (after ',')
const S_KEY_OR_CLOSE = 3; // just after '{'
const S_COLON = 4;
const S_AFTER = 5; // after a value inside a container: ',' or the closing bracket
const S_RESYNC = 6; // JSON lines: skipping the rest of a broken line
const S_DEAD = 7; // a document broke: the rest of the file is not read

const IS_OBJECT = 1;
const IS_ARRAY = 2;

export interface JsonStreamOptions {
  /**
   * JSON lines: one document per line, a broken line is a bad row and reading goes on with the next.
   * Otherwise a file holds one document or several in a row, and a broken one ends the read.
   */
  lines: boolean;
  /** Where a broken line (JSON lines) or a document cut short goes; a malformed row stops the read under `reject`. */
  badRows: BadRows;
}

export class JsonStream {
  private readonly keyIds = new StringDictionary();
  private state = S_VALUE;
  private depth = 0;
  private containers = new Uint8Array(64);
  private contexts = new Int32Array(64);
  private key = ELEMENT;
  private line = 1;
  private documentLine = 1;
  private documents = 0;
  private carry: Buffer | undefined;
  /** Unescaped text of the last string that had escapes, in scratch[0, scratchLength). */
  private scratch = Buffer.alloc(1024);
  private scratchLength = 0;
  /** Whether the string stringEnd last found holds a backslash escape. */
  private escaped = false;
  /** Whether it holds a byte above 0x7f (then it must be checked for UTF-8 before it is read). */
  private high = false;

  constructor(
    private readonly file: string,
    private readonly handler: JsonHandler,
    keys: readonly string[],
    private readonly opts: JsonStreamOptions,
  ) {
    for (const k of keys) this.keyIds.internString(k);
    this.contexts[0] = ROOT;
  }

  /** Read a whole file through the handler. */
  static async readFile(file: string, handler: JsonHandler, keys: readonly string[], opts: JsonStreamOptions): Promise<number> {
    const stream = new JsonStream(file, handler, keys, opts);
    for await (const chunk of readByteChunks(file)) stream.write(chunk);
    stream.end();
    return stream.documents;
  }

  write(chunk: Buffer): void {
    let from = 0;
    const carry = this.carry;
    this.carry = undefined;
    if (carry) {
      // A token cut by the chunk boundary: finish it in a small copy, then read the chunk in place.
      const consumed = finishStraddling(carry, chunk, (buf) => this.scan(buf, 0, false));
      if (consumed < 0) {
        this.carry = Buffer.concat([carry, chunk]);
        return;
      }
      from = consumed;
    }
    const consumed = this.scan(chunk, from, false);
    if (consumed < chunk.length) this.carry = Buffer.from(chunk.subarray(consumed));
  }

  end(): void {
    if (this.carry?.length) {
      const buf = this.carry;
      this.carry = undefined;
      this.scan(buf, 0, true);
    }
    if (this.state === S_DEAD || this.state === S_RESYNC) return;
    if (this.depth > 0) {
      this.fail('unexpected end of file (the file is cut short)', this.documentLine);
    } else if (!this.opts.lines && this.documents === 0) {
      throw new ImportError(this.file, '', 'empty file (no JSON document)');
    }
  }

  /** A grammar error: the document is dropped and reported; a whole document stops the read. */
  private fail(problem: string, line = this.line): void {
    this.drop(`invalid JSON: ${problem}`, line);
  }

  private drop(problem: string, line: number): void {
    this.handler.abortDocument(line);
    this.depth = 0;
    this.state = this.opts.lines ? S_RESYNC : S_DEAD;
    this.opts.badRows.report(this.file, `line ${line}`, problem);
  }

  /**
   * Whether the string b[start, end) that the handler is to read is UTF-8: decoded, other bytes
   * would become U+FFFD and invent a name (see JsonHandler.notUtf8).
   */
  private utf8(b: Uint8Array, start: number, end: number): boolean {
    return !this.high || isUtf8(b.subarray(start, end));
  }

  /** Whether the handler drops what holds a string that is not UTF-8; else the document is dropped. */
  private passOver(context: number): boolean {
    if (this.handler.notUtf8?.(context, this.line)) return true;
    this.drop(NOT_UTF8, this.line);
    return false;
  }

  private unexpected(b: Uint8Array, i: number, expected: string): void {
    const c = b[i];
    const found = c >= 33 && c < 127 ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
    this.fail(`expected ${expected}, found ${found}`);
  }

  private open(type: typeof JSON_OBJECT | typeof JSON_ARRAY): void {
    const parent = this.contexts[this.depth];
    if (this.depth === 0) this.documentLine = this.line;
    const context = parent === SKIP ? SKIP : this.handler.open(parent, this.key, type, this.line);
    if (++this.depth >= this.containers.length) {
      const containers = new Uint8Array(this.containers.length * 2);
      containers.set(this.containers);
      this.containers = containers;
      const contexts = new Int32Array(this.contexts.length * 2);
      contexts.set(this.contexts);
      this.contexts = contexts;
    }
    this.containers[this.depth] = type === JSON_OBJECT ? IS_OBJECT : IS_ARRAY;
    this.contexts[this.depth] = context;
    this.key = ELEMENT;
    this.state = type === JSON_OBJECT ? S_KEY_OR_CLOSE : S_VALUE_OR_CLOSE;
  }

  private close(): void {
    const context = this.contexts[this.depth];
    this.depth--;
    if (context !== SKIP) this.handler.close(context);
    this.afterValue();
  }

  private afterValue(): void {
    if (this.depth > 0) {
      this.state = S_AFTER;
      return;
    }
    this.documents++;
    this.handler.endDocument(this.documentLine);
    this.state = S_VALUE;
  }

  private scalar(type: number, b: Uint8Array, start: number, end: number): void {
    if (this.depth === 0) this.documentLine = this.line;
    const context = this.contexts[this.depth];
    if (context !== SKIP) this.handler.value(context, this.key, type, b, start, end);
    this.afterValue();
  }

  /** Scan `b` from `from`; returns where an incomplete token starts (b.length when none). */
  private scan(b: Uint8Array, from: number, final: boolean): number {
    const n = b.length;
    let i = from;
    while (i < n) {
      const c = b[i];
      if (this.state >= S_RESYNC) {
        if (this.state === S_DEAD) return n;
        while (i < n && b[i] !== 10) i++;
        if (i < n) {
          i++;
          this.line++;
          this.state = S_VALUE;
        }
        continue;
      }
      if (c === 32 || c === 10 || c === 13 || c === 9) {
        if (c === 10) {
          if (this.opts.lines && this.depth > 0) {
            // A JSON line ends with its document: this one is cut short. Resync consumes the newline.
            this.fail('the line ends inside the document (cut short?)', this.documentLine);
            continue;
          }
          this.line++;
        }
        i++;
        continue;
      }
      switch (this.state) {
        case S_VALUE:
        case S_VALUE_OR_CLOSE: {
          if (c === 123) {
            this.open(JSON_OBJECT);
            i++;
          } else if (c === 91) {
            this.open(JSON_ARRAY);
            i++;
          } else if (c === 34) {
            const end = this.stringEnd(b, i, final);
            if (end === -1) return i;
            if (end === -2) continue;
            const context = this.contexts[this.depth];
            if (context === SKIP) this.scalar(JSON_STRING, b, i + 1, end);
            else if (this.utf8(b, i + 1, end)) this.stringValue(b, i + 1, end);
            else if (this.passOver(context)) this.afterValue();
            i = end + 1;
          } else if (c === 45 || (c >= 48 && c <= 57)) {
            let j = i + 1;
            while (j < n && ((b[j] >= 48 && b[j] <= 57) || b[j] === 46 || b[j] === 101 || b[j] === 69 || b[j] === 43 || b[j] === 45)) j++;
            if (j >= n && !final) return i;
            if (!validNumber(b, i, j)) {
              this.fail(`'${latin1(b, i, j)}' is not a number`);
              continue;
            }
            this.scalar(JSON_NUMBER, b, i, j);
            i = j;
          } else if (c === 116 || c === 102 || c === 110) {
            const word = c === 116 ? 'true' : c === 102 ? 'false' : 'null';
            if (i + word.length > n && !final) return i;
            let ok = i + word.length <= n;
            for (let k = 1; ok && k < word.length; k++) ok = b[i + k] === word.charCodeAt(k);
            if (!ok) {
              this.unexpected(b, i, 'a value');
              continue;
            }
            this.scalar(c === 116 ? JSON_TRUE : c === 102 ? JSON_FALSE : JSON_NULL, b, i, i + word.length);
            i += word.length;
          } else if (c === 93 && this.state === S_VALUE_OR_CLOSE) {
            this.close();
            i++;
          } else {
            this.unexpected(b, i, 'a value');
          }
          break;
        }
        case S_KEY:
        case S_KEY_OR_CLOSE: {
          if (c === 34) {
            const end = this.stringEnd(b, i, final);
            if (end === -1) return i;
            if (end === -2) continue;
            const from = i + 1;
            i = end + 1;
            const context = this.contexts[this.depth];
            if (context === SKIP || this.utf8(b, from, end)) {
              if (this.keyOf(b, from, end)) this.state = S_COLON;
            } else if (this.passOver(context)) {
              this.key = -1;
              this.state = S_COLON;
            }
          } else if (c === 125 && this.state === S_KEY_OR_CLOSE) {
            this.close();
            i++;
          } else {
            this.unexpected(b, i, this.state === S_KEY ? 'a key' : "a key or '}'");
          }
          break;
        }
        case S_COLON:
          if (c === 58) {
            this.state = S_VALUE;
            i++;
          } else this.unexpected(b, i, "':'");
          break;
        case S_AFTER: {
          const container = this.containers[this.depth];
          if (c === 44) {
            if (container === IS_OBJECT) this.state = S_KEY;
            else {
              this.state = S_VALUE;
              this.key = ELEMENT;
            }
            i++;
          } else if ((c === 125 && container === IS_OBJECT) || (c === 93 && container === IS_ARRAY)) {
            this.close();
            i++;
          } else {
            this.unexpected(b, i, container === IS_OBJECT ? "',' or '}'" : "',' or ']'");
          }
          break;
        }
      }
    }
    return n;
  }

  /**
   * Index of the closing quote of the string opening at `i`; -1 when the input ends first (more is
   * needed), -2 when the string is invalid (already reported).
   */
  private stringEnd(b: Uint8Array, i: number, final: boolean): number {
    const n = b.length;
    let j = i + 1;
    this.escaped = false;
    this.high = false;
    while (j < n) {
      const c = b[j];
      if (c === 34) return j;
      if (c === 92) {
        this.escaped = true;
        j += 2;
      } else if (c < 32) {
        this.fail('a control character inside a string (a string cannot span lines)');
        return -2;
      } else {
        if (c > 127) this.high = true;
        j++;
      }
    }
    if (!final) return -1;
    this.fail('unexpected end of file inside a string (the file is cut short)');
    return -2;
  }

  /** Sets the key of the next value; false when the key is invalid (already reported). */
  private keyOf(b: Uint8Array, start: number, end: number): boolean {
    if (this.contexts[this.depth] === SKIP) return true;
    const u = this.unescape(b, start, end);
    if (u === null) return false;
    const kb = u === b ? b : this.scratch;
    const ks = u === b ? start : 0;
    const ke = u === b ? end : this.scratchLength;
    this.key = this.keyIds.find(kb, ks, ke);
    if (this.key < 0) this.handler.otherKey?.(this.contexts[this.depth], kb, ks, ke);
    return true;
  }

  private stringValue(b: Uint8Array, start: number, end: number): void {
    const u = this.unescape(b, start, end);
    if (u === null) return;
    if (u === b) this.scalar(JSON_STRING, b, start, end);
    else this.scalar(JSON_STRING, this.scratch, 0, this.scratchLength);
  }

  /** `b` itself when the string has no escapes; else the scratch buffer holding it unescaped; null when invalid. */
  private unescape(b: Uint8Array, start: number, end: number): Uint8Array | null {
    if (!this.escaped) return b;
    if (this.scratch.length < end - start) this.scratch = Buffer.alloc(Math.max(end - start, this.scratch.length * 2));
    const out = this.scratch;
    let w = 0;
    for (let r = start; r < end; ) {
      const c = b[r];
      if (c !== 92) {
        out[w++] = c;
        r++;
        continue;
      }
      const e = b[r + 1];
      r += 2;
      if (e === 34 || e === 92 || e === 47) out[w++] = e;
      else if (e === 110) out[w++] = 10;
      else if (e === 116) out[w++] = 9;
      else if (e === 114) out[w++] = 13;
      else if (e === 98) out[w++] = 8;
      else if (e === 102) out[w++] = 12;
      else if (e === 117) {
        let code = hex4(b, r, end);
        r += 4;
        if (code >= 0xd800 && code <= 0xdbff && b[r] === 92 && b[r + 1] === 117) {
          const low = hex4(b, r + 2, end);
          if (low >= 0xdc00 && low <= 0xdfff) {
            code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
            r += 6;
          }
        }
        if (code < 0) {
          this.fail('a \\u escape needs four hex digits');
          return null;
        }
        w += out.write(String.fromCodePoint(code), w, 'utf8');
      } else {
        this.fail(`'\\${String.fromCharCode(e)}' is not a JSON escape`);
        return null;
      }
    }
    this.scratchLength = w;
    return out;
  }
}

function hex4(b: Uint8Array, i: number, end: number): number {
  if (i + 4 > end) return -1;
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const c = b[i + k];
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
function validNumber(b: Uint8Array, start: number, end: number): boolean {
  let i = start;
  if (b[i] === 45) i++;
  if (i >= end) return false;
  if (b[i] === 48) i++;
  else if (b[i] >= 49 && b[i] <= 57) while (i < end && b[i] >= 48 && b[i] <= 57) i++;
  else return false;
  if (i < end && b[i] === 46) {
    const from = ++i;
    while (i < end && b[i] >= 48 && b[i] <= 57) i++;
    if (i === from) return false;
  }
  if (i < end && (b[i] === 101 || b[i] === 69)) {
    i++;
    if (i < end && (b[i] === 43 || b[i] === 45)) i++;
    const from = i;
    while (i < end && b[i] >= 48 && b[i] <= 57) i++;
    if (i === from) return false;
  }
  return i === end;
}

/**
 * CSV (RFC 4180: quoted fields, doubled quotes, newlines inside quotes; CRLF or LF) read as byte
 * ranges, batch by batch, without a string or an object per row: a reader looks at each field
 * where it lies in the input buffer and converts it with common/bytes.ts, common/instant.ts or a
 * StringDictionary. Blank lines are skipped.
 *
 *   for await (const rows of readCsvBatches(file)) {
 *     for (let r = 0; r < rows.length; r++) {
 *       const f = rows.first[r]; // fields of row r: f .. rows.first[r + 1] - 1
 *       const value = parseDecimal(rows.bytes, rows.start[f + 2], rows.end[f + 2]);
 *     }
 *   }
 */
import { isUtf8 } from 'node:buffer';
import { BadRows, ImportError } from './bad-rows.js';
import { finishStraddling, readByteChunks, reportNotUtf8Record } from './text-lines.js';
import { utf8 } from './bytes.js';
import { grown } from './typed-array.js';

/** The complete records of one chunk of input; valid until the next batch is read. */
export interface CsvBatch {
  /** The bytes the field ranges index into. */
  bytes: Uint8Array;
  /** Records in the batch. */
  length: number;
  /** Record r's fields are start/end[first[r] .. first[r + 1] - 1]. */
  first: Int32Array;
  /** Byte range of each field's value: quotes removed, doubled quotes undone. */
  start: Int32Array;
  end: Int32Array;
  /** The 1-based line each record starts on. */
  line: Int32Array;
}

/** The number of fields of record r. */
export function fieldCount(rows: CsvBatch, r: number): number {
  return rows.first[r + 1] - rows.first[r];
}

/** Field f (an index into start/end) as a string. */
export function fieldText(rows: CsvBatch, f: number): string {
  return utf8(rows.bytes, rows.start[f], rows.end[f]);
}

/** The fields of record r as strings (for a header, or an error message). */
export function recordTexts(rows: CsvBatch, r: number): string[] {
  const out: string[] = [];
  for (let f = rows.first[r]; f < rows.first[r + 1]; f++) out.push(fieldText(rows, f));
  return out;
}

/**
 * The first of `names` that `header` holds more than once: a reader could not tell which column
 * holds it, so a header like that is refused rather than read from either.
 */
export function repeatedColumn(header: readonly string[], names: Iterable<string>): string | undefined {
  for (const name of names) if (header.indexOf(name) !== header.lastIndexOf(name)) return name;
  return undefined;
}

class CsvScanner {
  readonly batch: CsvBatch = {
    bytes: new Uint8Array(0),
    length: 0,
    first: new Int32Array(1025),
    start: new Int32Array(8192),
    end: new Int32Array(8192),
    line: new Int32Array(1024),
  };
  /** Fields of the record being scanned that need their quotes undone once it is complete. */
  private quoted: number[] = [];
  private lineNo = 1;

  constructor(private readonly file: string) {}

  /**
   * Scan the complete records of `buf` from `from`; returns where the incomplete last record starts
   * (buf.length when none). With `final`, the last record may end without a newline.
   */
  scan(buf: Uint8Array, from: number, final: boolean): number {
    const b = this.batch;
    b.bytes = buf;
    b.length = 0;
    const n = buf.length;
    let nf = 0;
    let i = from;
    let line = this.lineNo;
    records: while (i < n) {
      const recordStart = i;
      const recordLine = line;
      const fieldsStart = nf;
      this.quoted.length = 0;
      for (;;) {
        if (nf + 1 >= b.start.length) this.growFields();
        let c = i < n ? buf[i] : -1;
        if (c === 34) {
          // A quoted field: its value runs to the quote not followed by another.
          let j = i + 1;
          let escaped = false;
          for (;;) {
            while (j < n && buf[j] !== 34) {
              if (buf[j] === 10) line++;
              j++;
            }
            if (j >= n) {
              if (!final) {
                this.lineNo = recordLine;
                return this.finish(recordStart, fieldsStart);
              }
              throw new ImportError(this.file, `line ${recordLine}`, 'quoted field never closes');
            }
            if (j + 1 < n && buf[j + 1] === 34) {
              escaped = true;
              j += 2;
              continue;
            }
            if (j + 1 >= n && !final) {
              // The next chunk may start with the second quote of a doubled one.
              this.lineNo = recordLine;
              return this.finish(recordStart, fieldsStart);
            }
            break;
          }
          // Characters between the closing quote and the separator are kept (as the value's tail).
          let k = j + 1;
          while (k < n && buf[k] !== 44 && buf[k] !== 10) k++;
          if (k >= n && !final) {
            this.lineNo = recordLine;
            return this.finish(recordStart, fieldsStart);
          }
          let tailEnd = k;
          if (k < n && buf[k] === 10 && tailEnd > j + 1 && buf[tailEnd - 1] === 13) tailEnd--;
          b.start[nf] = i + 1;
          b.end[nf] = tailEnd;
          if (escaped || tailEnd > j + 1) this.quoted.push(nf, j);
          else b.end[nf] = j;
          nf++;
          i = k;
          c = i < n ? buf[i] : -1;
        } else {
          let j = i;
          while (j < n) {
            c = buf[j];
            if (c === 44 || c === 10) break;
            j++;
          }
          if (j >= n) {
            if (!final) {
              this.lineNo = recordLine;
              return this.finish(recordStart, fieldsStart);
            }
            c = -1;
          }
          b.start[nf] = i;
          b.end[nf] = c !== 44 && j > i && buf[j - 1] === 13 ? j - 1 : j;
          nf++;
          i = j;
        }
        if (c === 44) {
          i++;
          continue;
        }
        // End of record: a newline, or the end of the input.
        if (c === 10) {
          i++;
          line++;
        }
        break;
      }
      if (this.quoted.length) this.unquote(buf);
      // A blank line is one empty unquoted field.
      if (nf - fieldsStart === 1 && b.start[fieldsStart] === b.end[fieldsStart] && buf[recordStart] !== 34) {
        nf = fieldsStart;
        continue records;
      }
      if (b.length + 1 >= b.first.length) this.growRecords();
      b.first[b.length] = fieldsStart;
      b.line[b.length] = recordLine;
      b.length++;
    }
    this.lineNo = line;
    return this.finish(n, nf);
  }

  private finish(consumed: number, nf: number): number {
    this.batch.first[this.batch.length] = nf;
    return consumed;
  }

  /** Undo quoting in place: drop the closing quote, and one of each doubled quote. */
  private unquote(buf: Uint8Array): void {
    const b = this.batch;
    for (let q = 0; q < this.quoted.length; q += 2) {
      const f = this.quoted[q];
      const close = this.quoted[q + 1];
      let w = b.start[f];
      let r = b.start[f];
      while (r < close) {
        buf[w++] = buf[r];
        r += buf[r] === 34 ? 2 : 1;
      }
      for (r = close + 1; r < b.end[f]; r++) buf[w++] = buf[r];
      b.end[f] = w;
    }
  }

  private growFields(): void {
    const b = this.batch;
    b.start = grown(b.start, b.start.length * 2);
    b.end = grown(b.end, b.end.length * 2);
  }

  private growRecords(): void {
    const b = this.batch;
    b.first = grown(b.first, b.first.length * 2);
    b.line = grown(b.line, b.line.length * 2);
  }

}

/**
 * The records of a CSV file (gunzipped when it ends in .gz; a byte-order mark dropped) in batches
 * of field byte ranges. A record that is not UTF-8 is a bad row (the header an error whatever the
 * policy): decoding would turn its bytes into U+FFFD, a name that exists nowhere. The batch object
 * is reused: read it before asking for the next one.
 */
export async function* readCsvBatches(file: string, badRows = new BadRows('reject')): AsyncGenerator<CsvBatch> {
  const scanner = new CsvScanner(file);
  let carry: Buffer | undefined;
  let line1 = true;
  for await (const chunk of readByteChunks(file)) {
    let from = 0;
    if (carry) {
      // The record cut by the chunk boundary is finished in a small copy; the chunk is read in place.
      from = finishStraddling(carry, chunk, (buf) => scanner.scan(buf, 0, false));
      if (from < 0) {
        carry = Buffer.concat([carry, chunk]);
        continue;
      }
      if (scanner.batch.length) yield* utf8Records(scanner.batch, file, badRows, line1);
      line1 &&= !scanner.batch.length;
    }
    const consumed = scanner.scan(chunk, from, false);
    carry = consumed < chunk.length ? Buffer.from(chunk.subarray(consumed)) : undefined;
    if (scanner.batch.length) yield* utf8Records(scanner.batch, file, badRows, line1);
    line1 &&= !scanner.batch.length;
  }
  if (carry?.length) {
    scanner.scan(carry, 0, true);
    if (scanner.batch.length) yield* utf8Records(scanner.batch, file, badRows, line1);
  }
}

/**
 * A batch without its records that are not UTF-8, reported as bad rows, in the parts between them.
 * The batch's bytes are checked at once (a native pass), its records one by one only when that
 * fails: unquoting leaves stale bytes between fields, so a record is judged by its fields alone.
 */
function* utf8Records(b: CsvBatch, file: string, badRows: BadRows, startsFile: boolean): Generator<CsvBatch> {
  if (isUtf8(b.bytes.subarray(b.start[b.first[0]], b.end[b.first[b.length] - 1]))) {
    yield b;
    return;
  }
  let from = 0;
  for (let r = 0; r < b.length; r++) {
    let valid = true;
    for (let f = b.first[r]; f < b.first[r + 1] && valid; f++) valid = isUtf8(b.bytes.subarray(b.start[f], b.end[f]));
    if (valid) continue;
    if (r > from) yield { ...b, length: r - from, first: b.first.subarray(from), line: b.line.subarray(from) };
    reportNotUtf8Record(file, b.line[r], startsFile && r === 0, badRows);
    from = r + 1;
  }
  if (from < b.length) yield from ? { ...b, length: b.length - from, first: b.first.subarray(from), line: b.line.subarray(from) } : b;
}

/** The records of CSV text already in memory, as one batch. */
export function csvBatchOf(file: string, bytes: Uint8Array): CsvBatch {
  const scanner = new CsvScanner(file);
  scanner.scan(bytes, 0, true);
  return scanner.batch;
}

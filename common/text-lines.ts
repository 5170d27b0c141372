/**
 * Streamed input files: raw bytes (gunzipped when the name ends in .gz, a leading UTF-8 byte-order
 * mark dropped), text lines with 1-based line numbers, and CSV records as strings for small files
 * (common/csv.ts reads large CSV files without making strings).
 */
import fs from 'node:fs';
import { pipeline } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import { BadRows, ImportError } from './bad-rows.js';
import { notUtf8Lines } from './bytes.js';

/** The problem of a row whose bytes are not UTF-8. */
export const NOT_UTF8 = 'not UTF-8';

/**
 * A CSV record that is not UTF-8 is a bad row; the header is an error whatever the policy:
 * skipping it would read the next record as the header.
 */
export function reportNotUtf8Record(file: string, line: number, isHeader: boolean, badRows: BadRows): void {
  if (isHeader) throw new ImportError(file, `line ${line}`, NOT_UTF8);
  badRows.report(file, `line ${line}`, NOT_UTF8);
}

const READ_CHUNK = 1 << 20;
const MIN_READ_CHUNK = 1 << 12;

/**
 * The bytes of a file in chunks of up to about 1 MB, gunzipped when its name ends in .gz, without a
 * leading byte-order mark (an encoding artefact, not part of the first value). A read or gunzip
 * failure (a missing file, a truncated .gz) is an ImportError naming the file.
 */
export async function* readByteChunks(file: string): AsyncGenerator<Buffer> {
  const ahead = started.get(file);
  if (!ahead) {
    yield* byteChunks(file);
    return;
  }
  started.delete(file);
  try {
    for (let r = await ahead.first; !r.done; r = await ahead.chunks.next()) yield r.value;
  } finally {
    await ahead.chunks.return(undefined);
  }
}

/** Reads of files started ahead of readByteChunks asking for them (see readInTurn), by file. */
const started = new Map<string, { chunks: AsyncGenerator<Buffer>; first: Promise<IteratorResult<Buffer>> }>();

/**
 * Reads files one after the other, each file's bytes requested (read and gunzipped on libuv's
 * threads) while the one before is read: a folder of small files (one per minute) is not read
 * with a wait for every file's first chunk. A read started and not taken is closed.
 */
export async function readInTurn(files: readonly string[], read: (file: string) => Promise<void>): Promise<void> {
  for (let i = 0; i < files.length; i++) {
    const next = files[i + 1];
    if (next !== undefined && !started.has(next)) {
      const chunks = byteChunks(next);
      const first = chunks.next();
      // A failure is reported when the file is read, as it would have been without reading ahead.
      first.catch(() => undefined);
      started.set(next, { chunks, first });
    }
    try {
      await read(files[i]!);
    } catch (err) {
      if (next !== undefined) dropStarted(next);
      throw err;
    } finally {
      dropStarted(files[i]!);
    }
  }
}

function dropStarted(file: string): void {
  const ahead = started.get(file);
  if (!ahead) return;
  started.delete(file);
  void ahead.chunks.return(undefined);
}

async function* byteChunks(file: string): AsyncGenerator<Buffer> {
  // A read buffer no larger than the file: the stream copies a short read into a buffer of its
  // size, which for a folder of small files (one per minute) is a copy of every file.
  const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? READ_CHUNK;
  const raw = fs.createReadStream(file, { highWaterMark: Math.max(MIN_READ_CHUNK, Math.min(READ_CHUNK, size)) });
  // pipeline destroys both streams on an error and reports it on the last one, which ends the loop.
  const input = file.endsWith('.gz') ? pipeline(raw, createGunzip({ chunkSize: 256 << 10 }), () => undefined) : raw;
  let head: Buffer | undefined = Buffer.alloc(0);
  let bytes = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (head) {
        // Hold the first bytes until the three of a byte-order mark can be checked.
        head = head.length ? Buffer.concat([head, chunk]) : chunk;
        if (head.length < 3) continue;
        const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
        const first: Buffer = bom ? head.subarray(3) : head;
        head = undefined;
        const problem = notText(first, file);
        if (problem) throw new ImportError(file, 'line 1', problem);
        if (first.length) yield first;
        continue;
      }
      yield chunk;
    }
  } catch (err) {
    if (err instanceof ImportError) throw err;
    const where = bytes ? `after ${bytes} bytes${file.endsWith('.gz') ? ' of its unzipped text' : ''}` : 'at its start';
    throw new ImportError(file, '', `cannot read ${where}: ${(err as Error).message}`);
  } finally {
    raw.destroy();
  }
  if (head?.length && !(head.length <= 2 && head[0] === 0xef && (head.length === 1 || head[1] === 0xbb))) yield head;
}

/** Bytes of the first line looked at for a NUL: text never holds one, binary data soon does. */
const FIRST_LINE_BYTES = 64 << 10;

/**
 * Why the first bytes of a file are no UTF-8 text, in the words a user can act on; undefined when
 * they may be. A UTF-16 file (an export from a Windows tool) and a gzip file without `.gz` in its
 * name are common mistakes, and would otherwise be read as one unreadable column.
 */
function notText(first: Buffer, file: string): string | undefined {
  if ((first[0] === 0xff && first[1] === 0xfe) || (first[0] === 0xfe && first[1] === 0xff)) {
    return 'UTF-16 text (it starts with a UTF-16 byte-order mark); faultline reads UTF-8: convert it, e.g. iconv -f UTF-16 -t UTF-8';
  }
  if (first[0] === 0x1f && first[1] === 0x8b && !file.endsWith('.gz')) return 'gzip-compressed data in a file whose name does not end in .gz: name it .gz or unzip it';
  const lineEnd = first.indexOf(0x0a);
  const nul = first.subarray(0, Math.min(lineEnd >= 0 ? lineEnd : first.length, FIRST_LINE_BYTES)).indexOf(0);
  return nul >= 0 ? `binary data, not text (a NUL byte at byte ${nul + 1})` : undefined;
}

/**
 * Scan `carry` (an input's unfinished tail) followed by the start of `chunk`, in a small buffer,
 * growing it until the scan gets past the carry; returns where in `chunk` scanning goes on, or -1
 * when the whole chunk did not finish the carry (the caller keeps both as the new carry).
 */
export function finishStraddling(carry: Uint8Array, chunk: Uint8Array, scan: (buf: Buffer) => number): number {
  for (let take = 4096; ; take *= 2) {
    const n = Math.min(take, chunk.length);
    const small = Buffer.concat([carry, chunk.subarray(0, n)]);
    const consumed = scan(small);
    if (consumed > carry.length || (consumed === carry.length && n > 0)) return consumed - carry.length;
    if (n === chunk.length) return -1;
  }
}

/**
 * The bytes a file holds once gunzipped: a .gz file's trailer states it (modulo 4 GiB, and for its
 * last member only, so this can fall short: it only sizes the columns' first allocation).
 */
export function uncompressedSize(file: string): number {
  const size = fs.statSync(file).size;
  if (!/\.gz$/i.test(file) || size < 18) return size;
  const fd = fs.openSync(file, 'r');
  try {
    const trailer = Buffer.alloc(4);
    fs.readSync(fd, trailer, 0, 4, size - 4);
    return trailer.readUInt32LE(0);
  } finally {
    fs.closeSync(fd);
  }
}

/** Complete lines as text, and the indices of those that are not UTF-8 (undefined when none). */
interface LineChunk {
  lines: string[];
  notUtf8: Set<number> | undefined;
}

function lineChunk(bytes: Buffer): LineChunk {
  const lines = bytes.toString('utf8').split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
  // Decoding would turn a byte that is not UTF-8 into U+FFFD (a name that exists nowhere): such a
  // line is a bad row. \n never occurs inside a UTF-8 sequence, so the lines match the byte lines.
  return { lines, notUtf8: isUtf8(bytes) ? undefined : new Set(notUtf8Lines(bytes)) };
}

/** The lines of a file, one batch per chunk read (a line is yielded once it is complete). */
async function* lineChunks(file: string): AsyncGenerator<LineChunk> {
  // A line's bytes until its newline arrives.
  let pending: Buffer[] = [];
  for await (const chunk of readByteChunks(file)) {
    const end = chunk.lastIndexOf(10);
    if (end < 0) {
      pending.push(chunk);
      continue;
    }
    const complete = pending.length ? Buffer.concat([...pending, chunk.subarray(0, end)]) : chunk.subarray(0, end);
    pending = end + 1 < chunk.length ? [Buffer.from(chunk.subarray(end + 1))] : [];
    yield lineChunk(complete);
  }
  const last = Buffer.concat(pending);
  if (last.length) {
    const chunk = lineChunk(last);
    if (chunk.lines[0]) yield chunk;
  }
}

/** The lines of a file with their numbers; a line that is not UTF-8 is a bad row. */
export async function* readLines(file: string, badRows = new BadRows('reject')): AsyncGenerator<{ line: string; lineNo: number }> {
  let lineNo = 0;
  for await (const { lines, notUtf8 } of lineChunks(file)) {
    for (let i = 0; i < lines.length; i++) {
      lineNo++;
      if (notUtf8?.has(i)) badRows.report(file, `line ${lineNo}`, NOT_UTF8);
      else yield { line: lines[i], lineNo };
    }
  }
}

/**
 * CSV records as strings (RFC 4180: quoted fields, doubled quotes, newlines inside quotes) in
 * batches, each with the line it starts on; blank lines are skipped. A record whose quote never
 * closes is reported with its first line. For small files: large ones go through common/csv.ts.
 */
export async function* readCsvRecordBatches(file: string, badRows = new BadRows('reject')): AsyncGenerator<{ fields: string[]; lineNo: number }[]> {
  let pending = '';
  let pendingNotUtf8 = false;
  let startLine = 0;
  let lineNo = 0;
  let records = 0;
  for await (const { lines, notUtf8 } of lineChunks(file)) {
    const batch: { fields: string[]; lineNo: number }[] = [];
    for (let i = 0; i < lines.length; i++) {
      lineNo++;
      const line = lines[i];
      const text = pending ? `${pending}\n${line}` : line;
      if (!pending) startLine = lineNo;
      const bad: boolean = pendingNotUtf8 || notUtf8?.has(i) === true;
      const fields = parseCsvRecord(text);
      if (fields === null) {
        pending = text;
        pendingNotUtf8 = bad;
        continue;
      }
      pending = '';
      pendingNotUtf8 = false;
      if (fields.length === 1 && fields[0] === '') continue;
      if (bad) {
        reportNotUtf8Record(file, startLine, records === 0, badRows);
        continue;
      }
      records++;
      batch.push({ fields, lineNo: startLine });
    }
    if (batch.length) yield batch;
  }
  if (pending) throw new ImportError(file, `line ${startLine}`, 'quoted field never closes');
}

/** One CSV record at a time (see readCsvRecordBatches). */
export async function* readCsvRecords(file: string, badRows = new BadRows('reject')): AsyncGenerator<{ fields: string[]; lineNo: number }> {
  for await (const batch of readCsvRecordBatches(file, badRows)) yield* batch;
}

/** Split one CSV record; null when a quoted field is still open (the record continues on the next line). */
export function parseCsvRecord(text: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return null;
        value += text.slice(j, q);
        if (text.charCodeAt(q + 1) === 34) {
          value += '"';
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      const comma = text.indexOf(',', j);
      // Characters between a closing quote and the comma are kept rather than dropped.
      value += text.slice(j, comma < 0 ? text.length : comma);
      fields.push(value);
      if (comma < 0) return fields;
      i = comma + 1;
    } else {
      const comma = text.indexOf(',', i);
      if (comma < 0) {
        fields.push(text.slice(i));
        return fields;
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** Quote a CSV field only when it needs it. */
export function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

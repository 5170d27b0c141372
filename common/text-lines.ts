/** Streamed text input: lines of a file (gunzipped when it ends in .gz), with 1-based line numbers. */
import fs from 'node:fs';
import { pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { ImportError } from './bad-rows.js';

/** The lines of a file, one array per 1 MB read (a line is yielded once it is complete). */
async function* lineChunks(file: string): AsyncGenerator<string[]> {
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  // pipeline destroys both streams on an error and reports it on the last one, which ends the loop.
  const input = file.endsWith('.gz') ? pipeline(raw, createGunzip(), () => undefined) : raw;
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let first = true;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let text = rest + decoder.write(chunk);
      if (first && text) {
        // A byte-order mark is an encoding artefact, not part of the first header name.
        text = text.replace(/^\uFEFF/, '');
        first = false;
      }
      const lines = text.split('\n');
      rest = lines.pop()!;
      for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
      if (lines.length) yield lines;
    }
  } catch (err) {
    throw new ImportError(file, '', `cannot read: ${(err as Error).message}`);
  } finally {
    raw.destroy();
  }
  rest += decoder.end();
  if (rest.endsWith('\r')) rest = rest.slice(0, -1);
  if (rest) yield [rest];
}

export async function* readLines(file: string): AsyncGenerator<{ line: string; lineNo: number }> {
  let lineNo = 0;
  for await (const lines of lineChunks(file)) for (const line of lines) yield { line, lineNo: ++lineNo };
}

/**
 * CSV records (RFC 4180: quoted fields, doubled quotes, newlines inside quotes) in batches, each
 * with the line it starts on; blank lines are skipped. A record whose quote never closes is
 * reported with its first line.
 */
export async function* readCsvRecordBatches(file: string): AsyncGenerator<{ fields: string[]; lineNo: number }[]> {
  let pending = '';
  let startLine = 0;
  let lineNo = 0;
  for await (const lines of lineChunks(file)) {
    const batch: { fields: string[]; lineNo: number }[] = [];
    for (const line of lines) {
      lineNo++;
      const text = pending ? `${pending}\n${line}` : line;
      if (!pending) startLine = lineNo;
      const fields = parseCsvRecord(text);
      if (fields === null) {
        pending = text;
        continue;
      }
      pending = '';
      if (fields.length === 1 && fields[0] === '') continue;
      batch.push({ fields, lineNo: startLine });
    }
    if (batch.length) yield batch;
  }
  if (pending) throw new ImportError(file, `line ${startLine}`, 'quoted field never closes');
}

/** One CSV record at a time (see readCsvRecordBatches). */
export async function* readCsvRecords(file: string): AsyncGenerator<{ fields: string[]; lineNo: number }> {
  for await (const batch of readCsvRecordBatches(file)) yield* batch;
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

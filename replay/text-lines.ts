/** Streamed text input: lines of a file (gunzipped when it ends in .gz), with 1-based line numbers. */
import fs from 'node:fs';
import readline from 'node:readline';
import { createGunzip } from 'node:zlib';
import { ImportError } from './bad-rows.js';

export async function* readLines(file: string): AsyncGenerator<{ line: string; lineNo: number }> {
  const raw = fs.createReadStream(file);
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const failure = new Promise<never>((_, reject) => {
    const fail = (err: Error) => reject(new ImportError(file, '', `cannot read: ${err.message}`));
    raw.on('error', fail);
    input.on('error', fail);
  });
  failure.catch(() => undefined);
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  const lines = rl[Symbol.asyncIterator]();
  let lineNo = 0;
  try {
    for (;;) {
      const next = await Promise.race([lines.next(), failure]);
      if (next.done) break;
      lineNo++;
      // A byte-order mark is an encoding artefact, not part of the first header name.
      yield { line: lineNo === 1 ? next.value.replace(/^\uFEFF/, '') : next.value, lineNo };
    }
  } finally {
    rl.close();
    raw.destroy();
  }
}

/**
 * One CSV record per yielded value (RFC 4180: quoted fields, doubled quotes, newlines inside quotes),
 * with the line it starts on. A record whose quote never closes is reported with its first line.
 */
export async function* readCsvRecords(file: string): AsyncGenerator<{ fields: string[]; lineNo: number }> {
  let pending = '';
  let startLine = 0;
  for await (const { line, lineNo } of readLines(file)) {
    const text = pending ? `${pending}\n${line}` : line;
    if (!pending) startLine = lineNo;
    const fields = parseCsvRecord(text);
    if (fields === null) {
      pending = text;
      continue;
    }
    pending = '';
    if (fields.length === 1 && fields[0] === '') continue; // blank line
    yield { fields, lineNo: startLine };
  }
  if (pending) throw new ImportError(file, `line ${startLine}`, 'quoted field never closes');
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

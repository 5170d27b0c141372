/**
 * The one way faultline reads a JSON or YAML file it is given: a byte-order mark is accepted, a
 * syntax error names the file, line and column, and a value the schema refuses names the file,
 * the line and the field path (`transactions[0].root.calls`) with the problem. JSON is parsed with
 * JSON.parse (fast, for large files); only when it fails the schema is it re-read as YAML (JSON is
 * YAML) to find the line of the field.
 */
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { FaultlineError } from './errors.js';
import { notUtf8Lines } from './bytes.js';

/** A problem at a place in a file: `file:line: field: problem`. */
export class FileError extends FaultlineError {
  override name = 'FileError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly problem: string,
    readonly line?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${field ? `${field}: ` : ''}${problem}`);
  }
}

export type FieldPath = readonly (string | number)[];

/** `a.b[0].c`, as errors show a field. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : String(p);
  return out;
}

/** A parsed YAML (or JSON) document that can say where a field is. */
export interface ParsedDocument {
  file: string;
  data: unknown;
  /** The line where the deepest existing part of `path` is written, and whether it is all of it. */
  lineOf(path: FieldPath): { line: number; exact: boolean } | undefined;
}

const stripBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/** A text file's content; bytes that are not UTF-8 are an error naming their line, never decoded to U+FFFD. */
export function readText(file: string, what = 'file'): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new FileError(file, '', e.code === 'ENOENT' ? `no such ${what}` : e.code === 'EISDIR' ? `is a folder, not a ${what}` : `cannot read the ${what}: ${e.message}`);
  }
  if (!isUtf8(bytes)) throw new FileError(file, '', 'not UTF-8', notUtf8Lines(bytes)[0]! + 1);
  return stripBom(bytes.toString('utf8'));
}

/** Parses YAML (or JSON) text; a syntax error names the line and column. */
export function parseYamlText(text: string, file: string): ParsedDocument {
  const lines = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(stripBom(text), { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    // The YAML parser recurses per level of nesting.
    if (err instanceof RangeError) throw new FileError(file, '', 'nested too deeply to read');
    throw err;
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const { line, col } = lines.linePos(e.pos[0]);
    throw new FileError(file, '', `not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'} at column ${col}: ${e.message.split('\n')[0]}`, line);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new FileError(file, '', err instanceof RangeError ? 'nested too deeply to read' : `YAML aliases: ${(err as Error).message}`);
  }
  return {
    file,
    data,
    lineOf(path) {
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n), true);
        if (isNode(node) && node.range) return { line: lines.linePos(node.range[0]).line, exact: n === path.length };
      }
      return undefined;
    },
  };
}

/** Checks parsed data against a schema; the first problem is thrown with its line and field. */
export function validateDocument<S extends z.ZodType>(doc: ParsedDocument, schema: S): z.output<S> {
  const result = schema.safeParse(doc.data);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path as (string | number)[];
  throw new FileError(doc.file, formatFieldPath(path) || '(top level)', issue.message, doc.lineOf(path)?.line);
}

/**
 * Parses JSON text fast. A syntax error says `file: line L, column C: not valid JSON (reason at
 * "text there…")` on one line: V8's reason without its own quote of the input, which may run over
 * lines, nor its offset. `firstLine`: the file's line the text starts on (an item line of a
 * results file).
 */
export function parseJsonText(text: string, file: string, firstLine = 1): unknown {
  const clean = stripBom(text);
  try {
    return JSON.parse(clean);
  } catch (err) {
    const message = (err as Error).message;
    const position = /at position (\d+)/.exec(message);
    // A text cut short is pointed at where it stops, not past its last line break.
    const at = Math.min(position ? Number(position[1]) : /^Unexpected end of JSON input/.test(message) ? Infinity : firstBadOffset(clean), clean.trimEnd().length);
    let line = firstLine;
    let lineStart = 0;
    for (let i = clean.indexOf('\n'); i >= 0 && i < at; i = clean.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    const reason = message.replace(/, (\.\.\.)?".*$/s, '').replace(/ (in JSON )?at position \d+.*$/s, '');
    const rest = clean.slice(at).split(/\r?\n/)[0]!;
    const near = rest ? ` at "${rest.slice(0, QUOTED)}${rest.length > QUOTED ? '…' : ''}"` : '';
    throw new FileError(file, `line ${line}, column ${at - lineStart + 1}`, `not valid JSON (${oneLine(reason + near)})`);
  }
}

/** Characters of the input an error quotes. */
const QUOTED = 24;

/** Control characters escaped, so that a message stays on one line. */
const oneLine = (text: string) => text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));

/**
 * Where JSON.parse first fails on `text`, for the errors V8 gives no position for ("Unexpected
 * token"): the longest prefix it reads as cut short rather than as wrong. Only on a failure.
 */
function firstBadOffset(text: string): number {
  const cutShort = (prefix: string) => {
    try {
      JSON.parse(prefix);
      return true;
    } catch (err) {
      const message = (err as Error).message;
      const position = /at position (\d+)/.exec(message);
      return /^Unexpected end of JSON input/.test(message) || (position !== null && Number(position[1]) >= prefix.length);
    }
  };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (cutShort(text.slice(0, mid))) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Nesting deeper than this is not re-read as YAML for a field's line (its parser recurses per level). */
const MAX_LINE_LOOKUP_DEPTH = 1000;

/** The deepest nesting of JSON arrays and objects in `text` (strings skipped). */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === 91 || c === 123) max = Math.max(max, ++depth);
    else if (c === 93 || c === 125) depth--;
  }
  return max;
}

/** A JSON file checked against a schema (large files stay on the fast path). */
export function readJsonFile<S extends z.ZodType>(file: string, schema: S, what = 'JSON file'): z.output<S> {
  const text = readText(file, what);
  const data = parseJsonText(text, file);
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  if (jsonDepth(text) > MAX_LINE_LOOKUP_DEPTH) {
    // Too deep to look the line up: the field path still says where.
    const issue = result.error.issues[0]!;
    throw new FileError(file, formatFieldPath(issue.path as FieldPath) || '(top level)', issue.message);
  }
  return validateDocument(parseYamlText(text, file), schema);
}

/** A YAML file checked against a schema. */
export function readYamlFile<S extends z.ZodType>(file: string, schema: S, what = 'YAML file'): z.output<S> {
  return validateDocument(parseYamlText(readText(file, what), file), schema);
}

/**
 * results.json (a complete run) and partial.json (one shard): every item's raw results plus the
 * run configuration, enough to rebuild the report without re-running (`faultline merge`).
 *
 * The file is one JSON document laid out a line per item, so that it can be read and written an
 * item at a time in bounded memory and still be read whole by any JSON tool:
 *
 *     {"schema":"faultline/results","version":1,"config":{...},"shard":null,"items":[
 *     {"key":"faults/bad-release@1",...},
 *     {"key":"faults/database-slow@1",...}
 *     ]}
 *
 * JSON.stringify never writes a raw line break inside a value, so a line is an item. Items are in
 * key order. A file in any other layout (reformatted by another tool) is read whole.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { AtomicFile } from '../common/atomic-file.js';
import { FaultlineError } from '../common/errors.js';
import { parseJsonText } from '../common/validated-file.js';
import type { MttrModel } from '../scores/mttr.js';
import type { Shard } from '../pipeline/sweep.js';
import type { ItemResult } from '../scores/item-result.js';
import type { MethodFacts } from './summary-schema.js';

export const RESULTS_SCHEMA_ID = 'faultline/results';
export const RESULTS_VERSION = 1;
export const RESULTS_FILE = 'results.json';
export const PARTIAL_FILE = 'partial.json';

/** What must agree between shards for their union to be one run. */
export interface RunConfig {
  suite: string | null;
  title: string;
  scenarios: string[];
  /** sha256 of each loaded scenario: shards run from different scenario files are not one run. */
  scenarioSha256?: Record<string, string>;
  seeds: number[];
  /** The suite's sweep axes and sample, as written. */
  axes?: Record<string, unknown>;
  sample?: { count: number; seed: number } | null;
  duration: string | number | null;
  trafficScale: number | null;
  detectors: string[];
  rca: string[];
  mttr: MttrModel;
  /** The `--min-ac1` gate: one bar for the best method, or a bar per named method. */
  minAc1: number | Record<string, number> | null;
  /** Every method with its effective options (absent in results files of a faultline that did not record them). */
  methods?: MethodFacts[];
  /** Every item key of the whole sweep, sorted: merge checks the shards cover it exactly. */
  sweep: string[];
}

export interface ResultsHeader {
  schema: typeof RESULTS_SCHEMA_ID;
  version: typeof RESULTS_VERSION;
  config: RunConfig;
  shard: Shard | null;
}

export interface ResultsFile extends ResultsHeader {
  items: ItemResult[];
}

export class ResultsFileError extends FaultlineError {}

// Checks the envelope; the items are this tool's own output and are trusted as written.
const HeaderSchema = z.object({
  schema: z.literal(RESULTS_SCHEMA_ID),
  version: z.literal(RESULTS_VERSION),
  config: z
    .object({
      sweep: z.array(z.string()),
      detectors: z.array(z.string()),
      rca: z.array(z.string()),
    })
    .loose(),
  shard: z.object({ index: z.number().int(), count: z.number().int() }).nullable(),
});

const ITEMS_OPEN = '"items":[';
const ITEMS_CLOSE = ']}';

export function resultsFileName(shard: Shard | null): string {
  return shard && shard.count > 1 ? PARTIAL_FILE : RESULTS_FILE;
}

/** Writes a results file an item at a time, atomically: it appears whole on `commit` or not at all. */
export class ResultsWriter {
  private file: AtomicFile;
  private first = true;

  constructor(dir: string, header: ResultsHeader) {
    this.file = AtomicFile.open(path.join(dir, resultsFileName(header.shard)));
    const head = JSON.stringify({ ...header, items: [] });
    this.write(`${head.slice(0, -`[]}`.length)}[\n`);
  }

  /** An item, or its JSON text as read from an item file or another results file. */
  add(item: ItemResult | string): void {
    const text = typeof item === 'string' ? item.trimEnd() : JSON.stringify(item);
    this.write(this.first ? text : `,\n${text}`);
    this.first = false;
  }

  commit(): string {
    this.write(`${this.first ? '' : '\n'}${ITEMS_CLOSE}\n`);
    this.file.commit();
    return this.file.path;
  }

  abort(): void {
    this.file.abort();
  }

  private write(text: string): void {
    this.file.write(Buffer.from(text, 'utf8'));
  }
}

export function writeResultsFile(dir: string, file: ResultsFile): string {
  const { items, ...header } = file;
  const writer = new ResultsWriter(dir, header);
  try {
    for (const item of items) writer.add(item);
    return writer.commit();
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/** The results file named, or the one inside a run directory. */
export function resultsFilePath(fileOrDir: string): string {
  if (existsSync(fileOrDir) && statSync(fileOrDir).isDirectory()) {
    const found = [PARTIAL_FILE, RESULTS_FILE].map((n) => path.join(fileOrDir, n)).find((p) => existsSync(p));
    if (!found) throw new ResultsFileError(`${fileOrDir}: no ${PARTIAL_FILE} or ${RESULTS_FILE} in this directory`);
    return found;
  }
  if (!existsSync(fileOrDir)) throw new ResultsFileError(`${fileOrDir}: no such file or directory`);
  return fileOrDir;
}

function checkHeader(file: string, json: unknown): ResultsHeader {
  const parsed = HeaderSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ResultsFileError(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return json as ResultsHeader;
}

/** One item of a results file: its key and JSON text (parse it only when needed: parseItem), and where it is. */
export interface ItemText {
  key: string;
  text: string;
  file: string;
  line: number;
}

export function parseItem(item: ItemText): ItemResult {
  return parseJsonText(item.text, item.file, item.line) as ItemResult;
}

/** A results file opened for reading: its header, and its items streamed in file order. */
export interface ResultsReader {
  path: string;
  header: ResultsHeader;
  items(): AsyncGenerator<ItemText>;
}

function keyOf(file: string, line: number, item: unknown): string {
  const key = (item as { key?: unknown } | null)?.key;
  if (typeof key !== 'string') throw new ResultsFileError(`${file}:${line}: an item without a key`);
  return key;
}

/** Opens a results file (or the one in a run directory): reads its first line only. */
export async function openResultsFile(fileOrDir: string): Promise<ResultsReader> {
  const file = resultsFilePath(fileOrDir);
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  const it = lines[Symbol.asyncIterator]();
  const first = await it.next();
  const head = first.done ? '' : first.value;
  if (!head.endsWith(ITEMS_OPEN)) {
    // Not in the line layout: read whole (a small or reformatted file).
    lines.close();
    const whole = parseJsonText(readFileSync(file, 'utf8'), file);
    const header = checkHeader(file, whole);
    const items = (whole as { items?: unknown }).items;
    if (!Array.isArray(items)) throw new ResultsFileError(`${file}: items: expected an array`);
    return {
      path: file,
      header,
      async *items() {
        for (const item of items) yield { key: keyOf(file, 1, item), text: JSON.stringify(item), file, line: 1 };
      },
    };
  }
  const header = checkHeader(file, parseJsonText(head + ITEMS_CLOSE, file));
  return {
    path: file,
    header,
    async *items() {
      let line = 1;
      let closed = false;
      try {
        for (let next = await it.next(); !next.done; next = await it.next()) {
          line++;
          const raw = next.value;
          if (raw === ITEMS_CLOSE) {
            closed = true;
            continue;
          }
          if (closed) {
            if (raw.trim() === '') continue;
            throw new ResultsFileError(`${file}:${line}: text after the end of the items`);
          }
          const text = raw.endsWith(',') ? raw.slice(0, -1) : raw;
          const key = /^\{"key":("(?:[^"\\]|\\.)*")/.exec(text);
          yield { key: key ? (JSON.parse(key[1]!) as string) : keyOf(file, line, parseJsonText(text, file, line)), text, file, line };
        }
      } finally {
        lines.close();
      }
      if (!closed) throw new ResultsFileError(`${file}: ends before its items do (a file cut short)`);
    },
  };
}

/** Reads a whole results file into memory (small files and tests; `merge` streams). */
export async function readResultsFile(fileOrDir: string): Promise<ResultsFile & { path: string }> {
  const reader = await openResultsFile(fileOrDir);
  const items: ItemResult[] = [];
  for await (const item of reader.items()) items.push(parseItem(item));
  return { ...reader.header, items, path: reader.path };
}

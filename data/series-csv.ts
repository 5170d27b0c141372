/**
 * Real series from disk:
 *  - a folder of CSVs, one series per file (searched recursively; id = path relative to the folder
 *    without .csv), header `timestamp,value[,label]`, timestamp in unix seconds or ISO 8601 (a time
 *    without a zone is UTC; 1970-2099), label 1 marking an anomalous point, an empty value meaning
 *    no data, any other value a finite number;
 *  - the NAB layout: a folder holding data/<group>/<name>.csv and labels/combined_windows.json (or
 *    its data/ folder itself). Points inside a NAB window are labelled 1 and the windows are kept
 *    for the NAB score.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { Series } from './types.js';
import { instantProblem, LATEST_INSTANT_MS, parseInstant, parseIsoBytes } from '../common/instant.js';
import { csvBatchOf, fieldCount, readCsvBatches, recordTexts, repeatedColumn, type CsvBatch } from '../common/csv.js';
import { bytesEqual, parseDecimal, trimSpaces, trimmedEnd, trimmedStart } from '../common/bytes.js';
import { stableOrder } from '../common/argsort.js';
import { uncompressedSize } from '../common/text-lines.js';
import { BadRows, ImportError } from '../common/bad-rows.js';
import { firstNames, preview, previewBytes, UsageError } from '../common/errors.js';
import { FileError, readJsonFile } from '../common/validated-file.js';
import { z } from 'zod';

export interface SeriesSet {
  /** How the series were stored: `csv` (one file per series), `nab`, `kpis.arrow`, `long csv`, or several joined by +. */
  layout: string;
  series: Series[];
  /** Repairs made while reading (e.g. repeated timestamps), one line per file. */
  notes: string[];
  /** NAB windows per series id, inclusive [start, end] unix ms. */
  windows?: Record<string, Array<[number, number]>>;
}

/** Unix seconds (a plain number) or ISO 8601 (zone-less means UTC) to unix ms; NaN if neither. */
export function parseTimestamp(text: string): number {
  return parseInstant(text, 's');
}

/** One series CSV (timestamp,value[,label]) read batch by batch into growing typed columns. */
class SeriesCsv {
  private tCol = -1;
  private vCol = -1;
  private lCol = -1;
  private width = 0;
  private n = 0;
  private ts = new Float64Array(1024);
  private vs = new Float64Array(1024);
  private ls: Uint8Array | undefined;

  constructor(
    private readonly path: string,
    private readonly id: string,
    private readonly badRows: BadRows,
    /** The file's bytes (once gunzipped), to size the columns from the first rows; 0 when unknown. */
    private readonly bytes = 0,
  ) {}

  add(rows: CsvBatch): void {
    let r = 0;
    const path = this.path;
    if (this.width === 0) {
      if (rows.length === 0) return;
      const names = recordTexts(rows, 0);
      const header = names.map((h) => h.trim().toLowerCase());
      this.tCol = header.indexOf('timestamp');
      this.vCol = header.indexOf('value');
      this.lCol = header.indexOf('label');
      const twice = repeatedColumn(header, ['timestamp', 'value', 'label']);
      if (twice) throw new ImportError(path, 'line 1', `column "${twice}" appears twice`);
      if (this.tCol < 0 || this.vCol < 0) throw new ImportError(path, 'line 1', `header must name timestamp and value columns (timestamp,value[,label]), got "${preview(names.join(','))}"`);
      this.width = header.length;
      r = 1;
      if (this.bytes && rows.length > 100) {
        const last = rows.first[rows.length] - 1;
        this.grow(Math.ceil((this.bytes / ((rows.end[last] - rows.start[rows.first[1]]) / (rows.length - 1))) * 1.05));
      }
      if (this.lCol >= 0) this.ls = new Uint8Array(this.ts.length);
    }
    for (; r < rows.length; r++) {
      const problem = this.addRow(rows, r);
      if (problem) this.badRows.report(path, `line ${rows.line[r]}`, problem);
    }
  }

  /** Adds row r, or returns its problem ('' when added). */
  private addRow(rows: CsvBatch, r: number): string {
    const b = rows.bytes;
    if (fieldCount(rows, r) !== this.width) return `${fieldCount(rows, r)} fields, header has ${this.width}`;
    const f = rows.first[r];
    const ts = rows.start[f + this.tCol];
    const te = rows.end[f + this.tCol];
    const seconds = parseDecimal(b, ts, te);
    const t = Number.isNaN(seconds) ? parseIsoBytes(b, ts, te) : seconds * 1000;
    if (Number.isNaN(t)) return `field timestamp: "${previewBytes(b, ts, te)}" is neither unix seconds nor ISO 8601`;
    const range = t >= 0 && t < LATEST_INSTANT_MS ? '' : instantProblem(t, Number.isNaN(seconds) ? undefined : 's');
    if (range) return `field timestamp: "${previewBytes(b, ts, te)}": ${range}`;
    let v = parseDecimal(b, rows.start[f + this.vCol], rows.end[f + this.vCol]);
    if (!Number.isFinite(v)) {
      // Empty or `nan` is a missing value; anything else that is not a finite number is an error.
      const vt = trimSpaces(b, rows.start[f + this.vCol], rows.end[f + this.vCol]);
      const vs = trimmedStart(vt);
      const ve = trimmedEnd(vt);
      if (!Number.isNaN(v) || (ve > vs && !bytesEqual(b, vs, ve, 'nan', true))) return `field value: "${previewBytes(b, vs, ve)}" is not a number`;
      v = NaN;
    }
    let label = 0;
    if (this.lCol >= 0) {
      const lt = trimSpaces(b, rows.start[f + this.lCol], rows.end[f + this.lCol]);
      const s = trimmedStart(lt);
      const e = trimmedEnd(lt);
      if (e > s && !(e - s === 1 && (b[s] === 48 || b[s] === 49))) return `field label: "${previewBytes(b, s, e)}" must be 0 or 1`;
      label = e > s ? b[s] - 48 : 0;
    }
    this.push(t, v, label);
    return '';
  }

  private grow(cap: number): void {
    if (cap <= this.ts.length) return;
    const ts = new Float64Array(cap);
    ts.set(this.ts.subarray(0, this.n));
    this.ts = ts;
    const vs = new Float64Array(cap);
    vs.set(this.vs.subarray(0, this.n));
    this.vs = vs;
    if (this.ls) {
      const ls = new Uint8Array(cap);
      ls.set(this.ls.subarray(0, this.n));
      this.ls = ls;
    }
  }

  private push(t: number, v: number, label: number): void {
    if (this.n === this.ts.length) this.grow(Math.ceil(this.n * 1.5));
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    if (this.ls) this.ls[this.n] = label;
    this.n++;
  }

  finish(notes?: string[]): Series {
    if (this.width === 0) throw new ImportError(this.path, 'line 1', 'header must name timestamp and value columns (timestamp,value[,label]), got ""');
    const n = this.n;
    // Cut to length one column at a time, letting each grown one go before the next.
    const timestamps = this.ts.slice(0, n);
    this.ts = new Float64Array(0);
    const values = this.vs.slice(0, n);
    this.vs = new Float64Array(0);
    const series: Series = { id: this.id, timestamps, values };
    if (this.ls) series.labels = this.ls.slice(0, n);
    this.ls = undefined;
    return ordered(this.path, series, notes);
  }
}

/** One series from CSV text (timestamp,value[,label]); errors name the file, the line and the field. */
export function parseSeriesCsv(path: string, text: string, id: string, notes?: string[], badRows = new BadRows('reject')): Series {
  const reader = new SeriesCsv(path, id, badRows);
  reader.add(csvBatchOf(path, Buffer.from(text.replace(/^\uFEFF/, ''), 'utf8')));
  return reader.finish(notes);
}

/** One series CSV file, streamed (gunzipped when it ends in .gz). */
export async function readSeriesCsv(path: string, id: string, notes?: string[], badRows = new BadRows('reject')): Promise<Series> {
  const reader = new SeriesCsv(path, id, badRows, uncompressedSize(path));
  for await (const rows of readCsvBatches(path, badRows)) reader.add(rows);
  return reader.finish(notes);
}

/**
 * Real exports repeat or step back a timestamp (NAB has both, around DST changes). Every row is
 * kept: rows are stably sorted by time and a repeated time is moved 1 ms after the previous row,
 * so the series stays strictly increasing. Linear in the number of rows (a radix order of the
 * times). `order` is the input row placed at each position (undefined when the rows were in time
 * order already); `timestamps` the repaired times (`ts` itself, changed, when `inPlace` and in
 * order); null when nothing needed repair.
 */
function repairOrder(ts: Float64Array, inPlace: boolean): { order: Int32Array | undefined; timestamps: Float64Array; moved: number; sorted: boolean } | null {
  let sorted = true;
  let repeats = 0;
  for (let i = 1; i < ts.length; i++) {
    if (ts[i] < ts[i - 1]) sorted = false;
    else if (ts[i] === ts[i - 1]) repeats++;
  }
  if (sorted && repeats === 0) return null;
  const order = sorted ? undefined : stableOrder(ts);
  let timestamps: Float64Array;
  if (order) {
    timestamps = new Float64Array(ts.length);
    for (let k = 0; k < order.length; k++) timestamps[k] = ts[order[k]];
  } else timestamps = inPlace ? ts : ts.slice();
  let moved = 0;
  for (let i = 1; i < timestamps.length; i++) {
    if (timestamps[i] <= timestamps[i - 1]) {
      timestamps[i] = timestamps[i - 1] + 1;
      moved++;
    }
  }
  return { order, timestamps, moved, sorted };
}

/**
 * The repair the series reader makes (see repairOrder), for every reader that must line rows up
 * with a series read here (e.g. scores made elsewhere): `order[k]` is the input row placed at
 * position k; null when the times were already strictly increasing.
 */
export function strictlyIncreasing(ts: Float64Array): { order: number[]; timestamps: Float64Array; moved: number; sorted: boolean } | null {
  const fixed = repairOrder(ts, false);
  if (!fixed) return null;
  return { ...fixed, order: fixed.order ? Array.from(fixed.order) : Array.from(ts.keys()) };
}

/** The series with its rows in strictly increasing time, each file's repair noted. The columns are the reader's own. */
function ordered(path: string, s: Series, notes?: string[]): Series {
  const fixed = repairOrder(s.timestamps, true);
  if (!fixed) return s;
  const { order, timestamps, moved, sorted } = fixed;
  const pick = <T extends Float64Array | Uint8Array>(a: T): T => {
    if (!order) return a;
    const out = new (a.constructor as new (n: number) => T)(a.length);
    for (let to = 0; to < order.length; to++) out[to] = a[order[to]];
    return out;
  };
  notes?.push(`${path}: ${sorted ? '' : 'rows out of time order were sorted; '}${moved} repeated timestamp(s) moved 1 ms after the previous row`);
  return { ...s, timestamps, values: pick(s.values), ...(s.labels ? { labels: pick(s.labels) } : {}) };
}

async function csvFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await csvFiles(p)));
    else if (e.isFile() && e.name.endsWith('.csv')) out.push(p);
  }
  return out.sort();
}

const exists = (p: string) => stat(p).then(() => true, () => false);

/** NAB's labels/combined_windows.json: per series file, its anomaly windows as [start, end] timestamps. */
const nabWindowsSchema = z.record(z.string(), z.array(z.tuple([z.union([z.string(), z.number()]), z.union([z.string(), z.number()])])));

/** The NAB root (holding data/ and labels/combined_windows.json) for a folder, if it is one. */
async function nabRoot(dir: string): Promise<string | undefined> {
  if ((await exists(join(dir, 'labels', 'combined_windows.json'))) && (await exists(join(dir, 'data')))) return dir;
  if (basename(dir) === 'data' && (await exists(join(dirname(dir), 'labels', 'combined_windows.json')))) return dirname(dir);
  return undefined;
}

function idOf(root: string, file: string): string {
  return relative(root, file).split(sep).join('/').replace(/\.csv$/, '');
}

export async function readSeriesDir(dir: string, badRows = new BadRows('reject')): Promise<SeriesSet> {
  if (!(await exists(dir))) throw new Error(`${dir}: series folder not found`);
  const root = await nabRoot(dir);
  const dataDir = root ? join(root, 'data') : dir;
  const files = await csvFiles(dataDir);
  if (files.length === 0) throw new Error(`${dataDir}: no .csv files (expected one CSV per series with header timestamp,value[,label])`);
  const series: Series[] = [];
  const notes: string[] = [];
  for (const f of files) series.push(await readSeriesCsv(f, idOf(dataDir, f), notes, badRows));
  if (!root) return { layout: 'csv', series, notes };

  const windowsPath = join(root, 'labels', 'combined_windows.json');
  const raw = readJsonFile(windowsPath, nabWindowsSchema, 'NAB windows file');
  const windows: Record<string, Array<[number, number]>> = {};
  for (const s of series) {
    const list = raw[`${s.id}.csv`];
    if (list === undefined) throw new FileError(windowsPath, '', `no entry "${s.id}.csv" for ${join(dataDir, s.id)}.csv`);
    const ws: Array<[number, number]> = list.map((pair, k) => {
      const [a, b] = pair.map((t) => parseTimestamp(String(t)));
      if (!Number.isFinite(a) || !Number.isFinite(b) || b < a) throw new FileError(windowsPath, `${s.id}.csv[${k}]`, `expected [start, end] timestamps, got ${JSON.stringify(pair)}`);
      return [a, b];
    });
    windows[s.id] = ws;
    const labels = new Uint8Array(s.timestamps.length);
    for (const [a, b] of ws) for (let i = 0; i < labels.length; i++) if (s.timestamps[i] >= a && s.timestamps[i] <= b) labels[i] = 1;
    s.labels = labels;
  }
  return { layout: 'nab', series, notes, windows };
}

/** Series ids as a message names them: the first 3, then how many more. */
export function namedSeries(ids: readonly string[]): string {
  return firstNames(ids, 3);
}

/** The error of a run whose series hold no rows (figures of nothing would read as a result). */
export function noRowsToScore(where: string, series: readonly Series[], skipped: number): UsageError {
  return new UsageError(`${where}: no points to score: the series (${namedSeries(series.map((s) => s.id))}) hold no rows${skipped ? ` once ${skipped} malformed rows were skipped` : ''}`);
}

/**
 * Real series from disk:
 *  - a folder of CSVs, one series per file (searched recursively; id = path relative to the folder
 *    without .csv), header `timestamp,value[,label]`, timestamp in unix seconds or ISO 8601 (a time
 *    without a zone is UTC), label 1 marking an anomalous point, an empty value meaning no data;
 *  - the NAB layout: a folder holding data/<group>/<name>.csv and labels/combined_windows.json (or
 *    its data/ folder itself). Points inside a NAB window are labelled 1 and the windows are kept
 *    for the NAB score.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { Series } from './types.js';
import { parseInstant } from '../common/instant.js';

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

export function parseSeriesCsv(path: string, text: string, id: string, notes?: string[]): Series {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.trim().toLowerCase().split(',').map((h) => h.trim()) ?? [];
  const tCol = header.indexOf('timestamp');
  const vCol = header.indexOf('value');
  const lCol = header.indexOf('label');
  if (tCol < 0 || vCol < 0) throw new Error(`${path}: line 1: header must name timestamp and value columns (timestamp,value[,label]), got "${lines[0] ?? ''}"`);
  const ts: number[] = [];
  const vs: number[] = [];
  const ls: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    const f = line.split(',');
    const t = parseTimestamp(f[tCol] ?? '');
    if (!Number.isFinite(t)) throw new Error(`${path}: line ${i + 1}: field timestamp: "${f[tCol] ?? ''}" is neither unix seconds nor ISO 8601`);
    const raw = (f[vCol] ?? '').trim();
    const v = raw === '' || raw.toLowerCase() === 'nan' ? NaN : Number(raw);
    if (raw !== '' && raw.toLowerCase() !== 'nan' && !Number.isFinite(v)) throw new Error(`${path}: line ${i + 1}: field value: "${raw}" is not a number`);
    ts.push(t);
    vs.push(v);
    if (lCol >= 0) {
      const l = (f[lCol] ?? '').trim();
      if (l !== '' && l !== '0' && l !== '1') throw new Error(`${path}: line ${i + 1}: field label: "${l}" must be 0 or 1`);
      ls.push(l === '1' ? 1 : 0);
    }
  }
  return ordered(path, { id, timestamps: Float64Array.from(ts), values: Float64Array.from(vs), ...(lCol >= 0 ? { labels: Uint8Array.from(ls) } : {}) }, notes);
}

/**
 * Real exports repeat or step back a timestamp (NAB has both, around DST changes). Every row is
 * kept: rows are stably sorted by time and a repeated time is moved 1 ms after the previous row,
 * so the series stays strictly increasing. `order[k]` is the input row placed at position k; null
 * when the times were already strictly increasing. Shared by every reader that must line rows up
 * with a series read here (e.g. scores made elsewhere).
 */
export function strictlyIncreasing(ts: Float64Array): { order: number[]; timestamps: Float64Array; moved: number; sorted: boolean } | null {
  let sorted = true;
  let repeats = 0;
  for (let i = 1; i < ts.length; i++) {
    if (ts[i] < ts[i - 1]) sorted = false;
    else if (ts[i] === ts[i - 1]) repeats++;
  }
  if (sorted && repeats === 0) return null;
  const order = Array.from(ts.keys()).sort((a, b) => ts[a] - ts[b] || a - b);
  const timestamps = Float64Array.from(order, (k) => ts[k]);
  let moved = 0;
  for (let i = 1; i < timestamps.length; i++) {
    if (timestamps[i] <= timestamps[i - 1]) {
      timestamps[i] = timestamps[i - 1] + 1;
      moved++;
    }
  }
  return { order, timestamps, moved, sorted };
}

function ordered(path: string, s: Series, notes?: string[]): Series {
  const fixed = strictlyIncreasing(s.timestamps);
  if (!fixed) return s;
  const { order, timestamps, moved, sorted } = fixed;
  const pick = <T extends Float64Array | Uint8Array>(a: T): T => {
    const out = a.slice() as T;
    order.forEach((from, to) => (out[to] = a[from]));
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

/** The NAB root (holding data/ and labels/combined_windows.json) for a folder, if it is one. */
async function nabRoot(dir: string): Promise<string | undefined> {
  if ((await exists(join(dir, 'labels', 'combined_windows.json'))) && (await exists(join(dir, 'data')))) return dir;
  if (basename(dir) === 'data' && (await exists(join(dirname(dir), 'labels', 'combined_windows.json')))) return dirname(dir);
  return undefined;
}

function idOf(root: string, file: string): string {
  return relative(root, file).split(sep).join('/').replace(/\.csv$/, '');
}

export async function readSeriesDir(dir: string): Promise<SeriesSet> {
  if (!(await exists(dir))) throw new Error(`${dir}: series folder not found`);
  const root = await nabRoot(dir);
  const dataDir = root ? join(root, 'data') : dir;
  const files = await csvFiles(dataDir);
  if (files.length === 0) throw new Error(`${dataDir}: no .csv files (expected one CSV per series with header timestamp,value[,label])`);
  const series: Series[] = [];
  const notes: string[] = [];
  for (const f of files) series.push(parseSeriesCsv(f, await readFile(f, 'utf8'), idOf(dataDir, f), notes));
  if (!root) return { layout: 'csv', series, notes };

  const windowsPath = join(root, 'labels', 'combined_windows.json');
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(windowsPath, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${windowsPath}: ${(err as Error).message}`);
  }
  const windows: Record<string, Array<[number, number]>> = {};
  for (const s of series) {
    const list = raw[`${s.id}.csv`];
    if (list === undefined) throw new Error(`${windowsPath}: no entry "${s.id}.csv" for ${join(dataDir, s.id)}.csv`);
    if (!Array.isArray(list)) throw new Error(`${windowsPath}: "${s.id}.csv": expected an array of [start, end] pairs`);
    const ws: Array<[number, number]> = list.map((pair: unknown, k: number) => {
      const p = pair as unknown[];
      const a = Array.isArray(p) ? parseTimestamp(String(p[0])) : NaN;
      const b = Array.isArray(p) ? parseTimestamp(String(p[1])) : NaN;
      if (!Number.isFinite(a) || !Number.isFinite(b) || b < a) throw new Error(`${windowsPath}: "${s.id}.csv"[${k}]: expected [start, end] timestamps, got ${JSON.stringify(pair)}`);
      return [a, b];
    });
    windows[s.id] = ws;
    const labels = new Uint8Array(s.timestamps.length);
    for (const [a, b] of ws) for (let i = 0; i < labels.length; i++) if (s.timestamps[i] >= a && s.timestamps[i] <= b) labels[i] = 1;
    s.labels = labels;
  }
  return { layout: 'nab', series, notes, windows };
}

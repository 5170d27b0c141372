/**
 * Loading each kind of input from the paths a user gives, whatever its format: the format is told
 * by the file name (and, for folders, by what they hold); each reader is called, not copied.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readSeriesDir, type SeriesSet } from './series-csv.js';
import { seriesFromKpis } from './kpi-series.js';
import type { Series } from './types.js';
import { addSpanCsv, spanCsvSettings } from './span-csv.js';
import { SpanAssembler, type SpanAssemblyOptions } from './span-assembly.js';
import type { Incident, SpanTable } from './types.js';
import { readKpis, readTruth } from '../sim/read.js';
import type { BadRows } from '../common/bad-rows.js';
import { readIncidentsFile } from './incidents-io.js';
import { incidentsFromTruth } from './incidents.js';
import { attachVolumes, kpiOfSeriesId, readLongKpiCsv } from './kpi-csv.js';
import { readInTurn, readLines } from '../common/text-lines.js';
import { addTraceJson } from './trace-json.js';

export interface SpanSourceOptions extends SpanAssemblyOptions {
  badRows: BadRows;
  /** Span CSV: our column -> the file's column. */
  columns?: Record<string, string>;
  /** Span CSV: regex whose first capture group is the service, applied to the instance name. */
  serviceFromInstance?: string;
}

const TRACE_JSON_RE = /\.(json|jsonl|ndjson)(\.gz)?$/i;
const CSV_RE = /\.csv(\.gz)?$/i;

/** A folder's files (a symbolic link to a file counts) whose names are wanted, in name order. */
function filesIn(dir: string, wanted: (name: string) => boolean): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => wanted(e.name) && (e.isFile() || (e.isSymbolicLink() && fs.statSync(path.join(dir, e.name), { throwIfNoEntry: false })?.isFile())))
    .map((e) => path.join(dir, e.name))
    .sort();
}

/**
 * Spans from files or folders: span CSV (.csv, .csv.gz), OTLP, Jaeger and Zipkin JSON (.json,
 * .jsonl, .ndjson, optionally .gz), all read into one table (parents resolved across files, client
 * and server spans folded). With `keep`, only spans starting in those windows are kept; `stats`
 * counts what was read, dropped and folded.
 */
export async function loadSpans(paths: string[], opts: SpanSourceOptions): Promise<SpanTable> {
  const assembler = new SpanAssembler(opts);
  const files: string[] = [];
  for (const p of paths) {
    if (!fs.existsSync(p)) throw new Error(`${p}: no such file or folder`);
    if (fs.statSync(p).isDirectory()) {
      const found = filesIn(p, (name) => CSV_RE.test(name) || TRACE_JSON_RE.test(name));
      if (!found.length) throw new Error(`${p}: no span files (.csv, .csv.gz, .json, .jsonl)`);
      files.push(...found);
    } else if (TRACE_JSON_RE.test(p) || CSV_RE.test(p)) files.push(p);
    else throw new Error(`${p}: not a span file: expected .csv, .csv.gz (span CSV) or .json, .jsonl (OTLP, Jaeger, Zipkin)`);
  }
  const csv = spanCsvSettings(opts, files);
  await readInTurn(files, (file) => (CSV_RE.test(file) ? addSpanCsv(assembler, file, csv, opts.badRows) : addTraceJson(assembler, file, opts.badRows)));
  return assembler.finish();
}

/** The first non-empty line of a (possibly gzipped) text file. */
async function firstLine(file: string): Promise<string> {
  for await (const { line } of readLines(file)) if (line.trim() !== '') return line;
  return '';
}

/**
 * KPI series from: a long CSV (`series,timestamp,value[,label]`), a folder of per-series CSVs or
 * the NAB layout (readSeriesDir, which also gives NAB's windows), or kpis.arrow (labelled from a
 * truth.json beside it). Series ids must be unique overall.
 */
export async function loadKpiSeries(paths: string[], badRows: BadRows): Promise<SeriesSet> {
  const all: Series[] = [];
  const notes: string[] = [];
  const layouts = new Set<string>();
  let windows: SeriesSet['windows'];
  for (const p of paths) {
    if (!fs.existsSync(p)) throw new Error(`${p}: no such file or folder`);
    if (fs.statSync(p).isDirectory()) {
      const set = await readSeriesDir(p, badRows);
      all.push(...set.series);
      notes.push(...set.notes);
      layouts.add(set.layout);
      if (set.windows) windows = { ...windows, ...set.windows };
    } else if (p.endsWith('.arrow')) {
      // Beside a generated truth.json, points inside the faults' moved windows are labelled, as in `run`.
      const truthFile = path.join(path.dirname(p), 'truth.json');
      const incidents = fs.existsSync(truthFile) ? incidentsFromTruth(await readTruth(path.dirname(p))) : undefined;
      all.push(...seriesFromKpis(await readKpis(p), incidents));
      layouts.add('kpis.arrow');
    } else if (CSV_RE.test(p)) {
      const header = (await firstLine(p)).split(',').map((h) => h.trim().replace(/^"(.*)"$/, '$1'));
      if (!header.includes('series')) throw new Error(`${p}: line 1: a KPI CSV file needs the header series,timestamp,value[,label] (a folder holds one timestamp,value[,label] CSV per series)`);
      all.push(...(await readLongKpiCsv(p, badRows)));
      layouts.add('long csv');
    } else throw new Error(`${p}: not a KPI input: expected a long .csv, a folder of per-series CSVs, a NAB folder or kpis.arrow`);
  }
  const seen = new Set<string>();
  for (const s of all) {
    if (seen.has(s.id)) throw new Error(`KPI series '${s.id}' is given twice (${paths.join(', ')})`);
    seen.add(s.id);
    if (!s.kpi) {
      const kpi = kpiOfSeriesId(s.id);
      if (kpi) s.kpi = kpi;
    }
  }
  return { layout: [...layouts].join('+'), series: attachVolumes(all), notes, ...(windows ? { windows } : {}) };
}

/** Incidents from rca's JSON format, CSV or a Nezha fault list (pods mapped by `serviceFromInstance`). */
export async function loadIncidents(file: string, badRows: BadRows, serviceFromInstance?: string): Promise<Incident[]> {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such incidents file`);
  return readIncidentsFile(file, badRows, serviceFromInstance);
}

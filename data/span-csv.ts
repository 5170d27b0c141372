import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BadRows } from '../common/bad-rows.js';
import { fieldCount, readCsvBatches, recordTexts, repeatedColumn } from '../common/csv.js';
import { trimSpaces, trimmedEnd, trimmedStart, utf8 } from '../common/bytes.js';
import { instantProblem, LATEST_INSTANT_MS, SplitTime, UNIT_NAMES, type NumericTimeUnit } from '../common/instant.js';
import { readInTurn, uncompressedSize } from '../common/text-lines.js';
import { SpanAssembler, spanKindOf, spanStatusOf, type SpanAssemblyOptions } from './span-assembly.js';
import { RunInterner } from '../common/string-dictionary.js';
import { preview, previewBytes } from '../common/errors.js';
import { SPAN_CSV_COLUMNS as SPAN_COLUMNS, SPAN_STATUS, type SpanCsvColumn as SpanColumn } from '../sim/formats.js';
import type { SpanTable } from './types.js';

/** Numeric time units a span CSV's times may be in: the unit is in our column's name. */
const TIME_UNITS = ['ns', 'us', 'ms', 's'] as const satisfies readonly NumericTimeUnit[];
/** The start column: exactly one of these. */
export const SPAN_CSV_START_COLUMNS = TIME_UNITS.map((u) => `start_${u}` as const);
/** The end column, or a duration from the start: exactly one of these. */
export const SPAN_CSV_END_COLUMNS = [...TIME_UNITS.map((u) => `end_${u}` as const), ...TIME_UNITS.map((u) => `duration_${u}` as const)];
/** Every column of SPAN_CSV_COLUMNS but the times, which may come in other units (above). */
const ID_COLUMNS = SPAN_COLUMNS.filter((c): c is Exclude<SpanColumn, 'start_ns' | 'end_ns'> => c !== 'start_ns' && c !== 'end_ns');
type IdColumn = (typeof ID_COLUMNS)[number];
/** The keys --columns may map. */
export const SPAN_CSV_MAPPING_KEYS: readonly string[] = [...ID_COLUMNS, ...SPAN_CSV_START_COLUMNS, ...SPAN_CSV_END_COLUMNS];

export interface ReadSpansOptions extends SpanAssemblyOptions {
  /** ours -> theirs, e.g. { trace_id: 'TraceID', instance: 'PodName', start_us: 'startTime', duration_us: 'duration' }. */
  columns?: Record<string, string>;
  /** Regex applied to the instance; its first capture group is the service (e.g. a pod name). */
  serviceFromInstance?: string;
  /** What to do with a malformed row (default: reject, naming the file, line and problem). */
  badRows?: BadRows;
}

const SPAN_FILE = /\.csv(\.gz)?$/i;

/** The span files a path names: the file itself, or a folder's .csv/.csv.gz files in name order. */
export function spanFiles(path: string): string[] {
  if (!statSync(path, { throwIfNoEntry: false })) throw new Error(`${path}: no such file or folder`);
  if (!statSync(path).isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((f) => SPAN_FILE.test(f))
    .sort()
    .map((f) => join(path, f));
  if (!files.length) throw new Error(`${path}: no .csv or .csv.gz span files`);
  return files;
}

/** The span CSV options checked once: the column mapping and the service pattern; the bytes the files hold. */
export interface SpanCsvSettings {
  theirs: (ours: string) => string;
  /** Whether --columns maps this column of ours. */
  mapped: (ours: string) => boolean;
  serviceRe: RegExp | undefined;
  /** The CSV files' bytes once gunzipped, in all, to size the columns from the first rows read. */
  totalBytes: number;
}

export function spanCsvSettings(opts: Pick<ReadSpansOptions, 'columns' | 'serviceFromInstance'>, files: string[]): SpanCsvSettings {
  for (const k of Object.keys(opts.columns ?? {})) {
    if (!SPAN_CSV_MAPPING_KEYS.includes(k)) {
      throw new Error(`--columns: unknown column "${k}" (ours are ${SPAN_CSV_MAPPING_KEYS.join(', ')})`);
    }
  }
  let serviceRe: RegExp | undefined;
  if (opts.serviceFromInstance) {
    try {
      serviceRe = new RegExp(opts.serviceFromInstance);
    } catch (err) {
      throw new Error(`--service-from-instance: ${(err as Error).message}`);
    }
  }
  const totalBytes = files.filter((f) => SPAN_FILE.test(f)).reduce((sum, f) => sum + uncompressedSize(f), 0);
  const columns = opts.columns ?? {};
  return { theirs: (ours) => columns[ours] ?? ours, mapped: (ours) => ours in columns, serviceRe, totalBytes };
}

/** Where a span CSV's start and end are, and in what unit: told from the header once per file. */
interface SpanTimes {
  /** Our names of the two columns (start_us, duration_us, ...). */
  startKey: string;
  endKey: string;
  start: number;
  startUnit: NumericTimeUnit;
  /** The end's column, or the duration's. */
  end: number;
  endUnit: NumericTimeUnit;
  isDuration: boolean;
}

/**
 * The one column of `keys` a header has: among those --columns maps when it maps any, else among
 * our own names. None, or more than one, is an error naming the file and what to map.
 */
function oneOf(header: string[], file: string, keys: readonly string[], what: string, settings: SpanCsvSettings): string {
  const { theirs, mapped } = settings;
  const byMapping = keys.filter(mapped);
  const pool = byMapping.length ? byMapping : keys;
  const found = pool.filter((k) => header.includes(theirs(k)));
  const named = (ks: readonly string[]) => ks.map((k) => (mapped(k) ? `${k}=${theirs(k)}` : k)).join(', ');
  if (byMapping.length > 1) throw new Error(`${file}:1: --columns maps more than one ${what} (${named(byMapping)}); map exactly one`);
  if (found.length > 1) throw new Error(`${file}:1: more than one ${what} column (${named(found)}); map exactly one with --columns`);
  if (!found.length) {
    if (byMapping.length) throw new Error(`${file}:1: no column "${theirs(byMapping[0])}" (for ${byMapping[0]}, as --columns maps it)`);
    throw new Error(`${file}:1: no ${what} column (none of ${keys.join(', ')}); map one with --columns, e.g. ${keys[1]}=<name>`);
  }
  return found[0];
}

function spanTimes(header: string[], file: string, settings: SpanCsvSettings): SpanTimes {
  const start = oneOf(header, file, SPAN_CSV_START_COLUMNS, 'start time', settings);
  const end = oneOf(header, file, SPAN_CSV_END_COLUMNS, 'end time or duration', settings);
  const unitOf = (key: string) => key.slice(key.indexOf('_') + 1) as NumericTimeUnit;
  return {
    startKey: start,
    endKey: end,
    start: header.indexOf(settings.theirs(start)),
    startUnit: unitOf(start),
    end: header.indexOf(settings.theirs(end)),
    endUnit: unitOf(end),
    isDuration: end.startsWith('duration_'),
  };
}

/**
 * Reads already-linked spans from a CSV or CSV.gz file, or a folder of them, streamed. A parent_id
 * that is empty or "root" marks a root; parents are resolved across files of the same trace, and
 * a parent never seen makes the span a root. Without a status column every status is unknown
 * (255). A client span and its server span become one call (see SpanAssembler). Errors name the
 * file, the line and the column.
 */
export async function readSpans(path: string, opts: ReadSpansOptions = {}): Promise<SpanTable> {
  const files = spanFiles(path);
  const settings = spanCsvSettings(opts, files);
  const assembler = new SpanAssembler(opts);
  const badRows = opts.badRows ?? new BadRows('reject');
  await readInTurn(files, (file) => addSpanCsv(assembler, file, settings, badRows));
  return assembler.finish();
}

/** Stream one span CSV file into an assembler. */
export async function addSpanCsv(a: SpanAssembler, file: string, settings: SpanCsvSettings, badRows: BadRows): Promise<void> {
  const { theirs, serviceRe } = settings;
  const dict = a.dict;
  let col: Record<IdColumn, number> | undefined;
  let times: SpanTimes | undefined;
  let width = 0;
  const startAt = new SplitTime();
  const endAt = new SplitTime();
  const runs: Partial<Record<'trace' | 'instance' | 'service' | 'operation', RunInterner>> = {};
  // Per instance code: its service code, -1 not yet known, -2 when the pattern does not match it.
  let serviceOf: Int32Array = new Int32Array(0);
  for await (const rows of readCsvBatches(file, badRows)) {
    const b = rows.bytes;
    let r = 0;
    if (!col) {
      const header = recordTexts(rows, 0).map((h) => h.trim());
      width = header.length;
      const c = Object.fromEntries(ID_COLUMNS.map((name) => [name, header.indexOf(theirs(name))])) as Record<IdColumn, number>;
      const twice = repeatedColumn(header, SPAN_CSV_MAPPING_KEYS.map(theirs));
      if (twice) throw new Error(`${file}:1: column "${twice}" appears twice`);
      for (const need of ['trace_id', 'span_id', 'parent_id'] as const) {
        if (c[need] < 0) throw new Error(`${file}:1: no column "${theirs(need)}" (for ${need}; map it with --columns ${need}=<name>)`);
      }
      if (c.service < 0 && c.instance < 0) {
        throw new Error(`${file}:1: needs a "${theirs('service')}" or "${theirs('instance')}" column`);
      }
      times = spanTimes(header, file, settings);
      col = c;
      r = 1;
      // The first rows tell the bytes per row: size the columns for every file once.
      if (a.length === 0 && rows.length > 100) {
        const last = rows.first[rows.length] - 1;
        const bytesPerRow = (rows.end[last] - rows.start[rows.first[1]]) / (rows.length - 1);
        a.expect((settings.totalBytes / bytesPerRow) * 1.05);
      }
    }
    const { trace_id, span_id, parent_id, service, instance, operation, status, kind } = col;
    const { start: startCol, startUnit, end: endCol, endUnit, isDuration, startKey, endKey } = times!;
    const startName = theirs(startKey);
    const endName = theirs(endKey);
    const instanceCol = instance >= 0 ? instance : service;
    const noOperation = dict.internString('');
    const traces = (runs.trace ??= new RunInterner(dict));
    const instances = (runs.instance ??= new RunInterner(dict));
    const services = (runs.service ??= new RunInterner(dict));
    const operations = (runs.operation ??= new RunInterner(dict));
    for (; r < rows.length; r++) {
      const f = rows.first[r];
      const line = rows.line[r];
      if (fieldCount(rows, r) !== width) {
        badRows.report(file, `line ${line}`, `${fieldCount(rows, r)} fields, header has ${width}`);
        continue;
      }
      const startF = f + startCol;
      const endF = f + endCol;
      startAt.read(b, rows.start[startF], rows.end[startF], startUnit);
      endAt.read(b, rows.start[endF], rows.end[endF], endUnit);
      const startMs = startAt.value();
      let timesProblem = timeProblem(startName, startMs, startUnit, b, rows.start[startF], rows.end[startF]);
      let endMs: number;
      if (isDuration) {
        timesProblem ||= durationProblem(endName, endAt.ms, endUnit, b, rows.start[endF], rows.end[endF]);
        endAt.add(startAt);
        endMs = endAt.value();
        if (!timesProblem && !(endMs < LATEST_INSTANT_MS)) timesProblem = `${endName}: ${previewBytes(b, rows.start[endF], rows.end[endF])} ${UNIT_NAMES[endUnit]} ends the span after 2099`;
      } else {
        endMs = endAt.value();
        timesProblem ||= timeProblem(endName, endMs, endUnit, b, rows.start[endF], rows.end[endF]);
      }
      const problem =
        timesProblem ||
        (endMs < startMs ? `${endName} is before ${startName}` : '') ||
        (rows.start[f + trace_id] === rows.end[f + trace_id] ? `empty ${theirs('trace_id')}` : '') ||
        (rows.start[f + span_id] === rows.end[f + span_id] ? `empty ${theirs('span_id')}` : '');
      if (problem) {
        badRows.report(file, `line ${line}`, problem);
        continue;
      }
      const statusCode = status >= 0 ? spanStatusOf(b, rows.start[f + status], rows.end[f + status]) : SPAN_STATUS.unknown;
      if (statusCode < 0) {
        badRows.report(file, `line ${line}`, `${theirs('status')} '${previewBytes(b, rows.start[f + status], rows.end[f + status])}' is not ok, business, error (or 0, 1, 2), an HTTP status code or empty`);
        continue;
      }
      const kindCode = kind >= 0 ? spanKindOf(b, rows.start[f + kind], rows.end[f + kind]) : 0;
      if (kindCode < 0) {
        badRows.report(file, `line ${line}`, `${theirs('kind')} '${previewBytes(b, rows.start[f + kind], rows.end[f + kind])}' is not client, server or empty`);
        continue;
      }
      // Everything below interns strings: only for a span that is kept.
      const instanceCode = instances.intern(b, rows.start[f + instanceCol], rows.end[f + instanceCol]);
      let serviceCode: number;
      if (service >= 0) serviceCode = services.intern(b, rows.start[f + service], rows.end[f + service]);
      else {
        if (instanceCode >= serviceOf.length) serviceOf = grownCodes(serviceOf, instanceCode + 1);
        serviceCode = serviceOf[instanceCode];
        if (serviceCode === -1) {
          const name = dict.strings[instanceCode];
          const hit = serviceRe?.exec(name);
          serviceCode = serviceRe && !hit?.[1] ? -2 : dict.internString(hit?.[1] ?? name);
          serviceOf[instanceCode] = serviceCode;
        }
        if (serviceCode === -2) {
          badRows.report(file, `line ${line}`, `${theirs('instance')} "${preview(dict.strings[instanceCode])}" does not match --service-from-instance ${serviceRe!.source}`);
          continue;
        }
      }
      if (!a.keeps(startMs)) continue;
      const row = a.next();
      a.trace[row] = traces.intern(b, rows.start[f + trace_id], rows.end[f + trace_id]);
      const p = trimSpaces(b, rows.start[f + parent_id], rows.end[f + parent_id]);
      const ps = trimmedStart(p);
      const pe = trimmedEnd(p);
      const isRoot = ps === pe || (pe - ps === 4 && b[ps] === 114 && b[ps + 1] === 111 && b[ps + 2] === 111 && b[ps + 3] === 116);
      a.setIds(row, b, rows.start[f + span_id], rows.end[f + span_id], isRoot ? -1 : ps, pe);
      a.service[row] = serviceCode;
      a.instance[row] = instanceCode;
      a.operation[row] = operation >= 0 ? operations.intern(b, rows.start[f + operation], rows.end[f + operation]) : noOperation;
      a.start[row] = startMs;
      a.end[row] = endMs;
      a.status[row] = statusCode;
      a.kind[row] = kindCode;
      a.commit();
    }
  }
  if (!col) throw new Error(`${file}: empty file (no header)`);
}

/** A time's problem ('' when none): empty, not a number, or outside the plausible range for its unit. */
function timeProblem(name: string, ms: number, unit: NumericTimeUnit, b: Uint8Array, start: number, end: number): string {
  if (Number.isNaN(ms)) return notANumber(name, b, start, end);
  const problem = instantProblem(ms, unit);
  return problem ? `${name}: ${problem}` : '';
}

/** A duration's problem ('' when none): empty, not a number, not finite, or negative. */
function durationProblem(name: string, ms: number, unit: NumericTimeUnit, b: Uint8Array, start: number, end: number): string {
  if (Number.isNaN(ms)) return notANumber(name, b, start, end);
  if (!Number.isFinite(ms)) return `${name}: not a finite duration: ${previewBytes(b, start, end)}`;
  return ms < 0 ? `${name}: negative duration: ${previewBytes(b, start, end)} ${UNIT_NAMES[unit]}` : '';
}

function notANumber(name: string, b: Uint8Array, start: number, end: number): string {
  const text = utf8(b, start, end);
  return text.trim() === '' ? `${name}: empty` : `${name}: not a number: ${preview(text)}`;
}

function grownCodes(a: Int32Array, atLeast: number): Int32Array {
  const b = new Int32Array(Math.max(atLeast, a.length * 2, 64)).fill(-1);
  b.set(a);
  return b;
}

import { instantProblem } from '../common/instant.js';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RecordBatchReader, type Data, type RecordBatch, type Vector } from 'apache-arrow';
import { z } from 'zod';
import { readJsonFile } from '../common/validated-file.js';
import { ImportError } from '../common/bad-rows.js';
import { FAULT_TYPES, KPI_COLUMNS, KPI_NAMES, KPI_SCOPES, LOG_COLUMNS, type FaultTarget, MESSAGE_COLUMNS, MESSAGE_OPERATION_COLUMN, METRIC_COLUMNS, METRIC_NAMES, type DictColumn, type KpiTable, type LogBatch, type MessageBatch, type MetricFrame, type Manifest, type MetricName, type Truth } from './formats.js';
import { MESSAGE_DICT_COLUMNS } from './message-schema.js';
import { KPI_FLOAT_COLUMNS } from './kpi-writer.js';

/** The single Data chunk of a column of one record batch, or a clear error naming file and column. */
function column(path: string, batch: RecordBatch, name: string): Data {
  const child = batch.getChild(name);
  if (!child) throw new Error(`${path}: column '${name}' is missing (have: ${batch.schema.fields.map((f) => f.name).join(', ')})`);
  if (child.data.length !== 1) throw new Error(`${path}: column '${name}' has ${child.data.length} chunks in one record batch`);
  return child.data[0]!;
}

/**
 * Decoded dictionaries, cached by their Arrow Vector: the file writer emits delta dictionaries, so
 * a dictionary only changes when strings were added and most batches reuse the previous strings.
 */
class DictionaryDecoder {
  private cache = new Map<string, { dict: Vector; values: string[] }>();
  decode(path: string, name: string, data: Data): DictColumn {
    if (!data.dictionary) throw new Error(`${path}: column '${name}' is not dictionary-encoded`);
    if (data.nullCount > 0) throw new Error(`${path}: column '${name}' has ${data.nullCount} null values`);
    let hit = this.cache.get(name);
    if (!hit || hit.dict !== data.dictionary) {
      hit = { dict: data.dictionary, values: data.dictionary.toArray() as string[] };
      this.cache.set(name, hit);
    }
    const v: unknown = data.values;
    if (v instanceof Int32Array) return { codes: rows(data, v), values: hit.values };
    // Narrow indices (Int8/Int16, see formats.ts) are widened: readers always hand out Int32 codes.
    if (v instanceof Int8Array || v instanceof Int16Array) {
      const codes = new Int32Array(data.length);
      codes.set(v.subarray(data.offset, data.offset + data.length));
      return { codes, values: hit.values };
    }
    throw new Error(`${path}: column '${name}' must have Int8, Int16 or Int32 dictionary codes`);
  }
}

/** The batch's own rows of a value buffer (buffers are padded and may be shared by slices). */
function rows<T extends Int32Array | Float64Array>(data: Data, values: T): T {
  return values.subarray(data.offset, data.offset + data.length) as T;
}

function utf8Strings(path: string, name: string, data: Data): string[] {
  if (!data.valueOffsets) throw new Error(`${path}: column '${name}' is not a Utf8 string column`);
  const offsets = (data.valueOffsets as Int32Array).subarray(data.offset, data.offset + data.length + 1);
  const bytes = data.values as Uint8Array;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<string>(data.length);
  for (let i = 0; i < data.length; i++) out[i] = buf.toString('utf8', offsets[i]!, offsets[i + 1]!);
  return out;
}

function float64(path: string, name: string, data: Data): Float64Array {
  if (!(data.values instanceof Float64Array)) throw new Error(`${path}: column '${name}' is not Float64`);
  return rows(data, data.values);
}

/**
 * Stream messages.arrow one record batch at a time (bounded memory: the file is never loaded
 * whole). `onBatch` is awaited before the next batch is read.
 */
export async function scanMessages(path: string, onBatch: (b: MessageBatch) => void | Promise<void>): Promise<void> {
  await scanArrow(path, 'messages', async (batch, dicts) => {
    const b = { length: batch.numRows } as MessageBatch;
    b.bizSeqNo = utf8Strings(path, 'bizSeqNo', column(path, batch, MESSAGE_COLUMNS.bizSeqNo));
    b.uniqueId = utf8Strings(path, 'uniqueId', column(path, batch, MESSAGE_COLUMNS.uniqueId));
    for (const c of MESSAGE_DICT_COLUMNS) b[c] = dicts.decode(path, c, column(path, batch, MESSAGE_COLUMNS[c]));
    b.sendTime = float64(path, 'sendTime', column(path, batch, MESSAGE_COLUMNS.sendTime));
    b.recvTime = float64(path, 'recvTime', column(path, batch, MESSAGE_COLUMNS.recvTime));
    const ttl = column(path, batch, MESSAGE_COLUMNS.ttl);
    if (!(ttl.values instanceof Int32Array)) throw new Error(`${path}: column 'ttl' is not Int32`);
    b.ttl = rows(ttl, ttl.values);
    if (batch.getChild(MESSAGE_OPERATION_COLUMN)) b.operation = dicts.decode(path, MESSAGE_OPERATION_COLUMN, column(path, batch, MESSAGE_OPERATION_COLUMN));
    await onBatch(b);
  });
}

/** Stream logs.arrow one record batch at a time (bounded memory). */
export async function scanLogs(path: string, onBatch: (b: LogBatch) => void | Promise<void>): Promise<void> {
  await scanArrow(path, 'log', async (batch, dicts) => {
    const b: LogBatch = {
      length: batch.numRows,
      time: float64(path, 'time', column(path, batch, LOG_COLUMNS.time)),
      service: dicts.decode(path, 'service', column(path, batch, LOG_COLUMNS.service)),
      instance: dicts.decode(path, 'instance', column(path, batch, LOG_COLUMNS.instance)),
      bizSeqNo: utf8Strings(path, 'bizSeqNo', column(path, batch, LOG_COLUMNS.bizSeqNo)),
      uniqueId: utf8Strings(path, 'uniqueId', column(path, batch, LOG_COLUMNS.uniqueId)),
      level: dicts.decode(path, 'level', column(path, batch, LOG_COLUMNS.level)),
      message: utf8Strings(path, 'message', column(path, batch, LOG_COLUMNS.message)),
    };
    await onBatch(b);
  });
}

/**
 * Read metrics.arrow whole (minutes x instances rows) into one column-wise frame. A scenario's
 * `metricFamilies` choose the columns written: the metrics the file lacks are NaN throughout.
 */
export async function readMetricFrame(path: string): Promise<MetricFrame> {
  const parts: MetricFrame[] = [];
  let names: MetricName[] | undefined;
  await scanArrow(path, 'metrics', (batch, dicts) => {
    names ??= METRIC_NAMES.filter((n) => batch.schema.fields.some((f) => f.name === METRIC_COLUMNS[n]));
    const values = {} as Record<MetricName, Float64Array>;
    for (const n of names) values[n] = float64(path, n, column(path, batch, METRIC_COLUMNS[n])).slice();
    parts.push({
      length: batch.numRows,
      names,
      time: float64(path, 'time', column(path, batch, METRIC_COLUMNS.time)).slice(),
      service: dicts.decode(path, 'service', column(path, batch, METRIC_COLUMNS.service)),
      instance: dicts.decode(path, 'instance', column(path, batch, METRIC_COLUMNS.instance)),
      values,
    });
  });
  const length = parts.reduce((n, p) => n + p.length, 0);
  const present = names ?? [];
  const out: MetricFrame = { length, names: present, time: new Float64Array(length), service: { codes: new Int32Array(length), values: [] }, instance: { codes: new Int32Array(length), values: [] }, values: {} as Record<MetricName, Float64Array> };
  for (const n of METRIC_NAMES) out.values[n] = new Float64Array(length).fill(present.includes(n) ? 0 : NaN);
  const intern = { service: new Map<string, number>(), instance: new Map<string, number>() };
  let at = 0;
  for (const p of parts) {
    out.time.set(p.time, at);
    for (const n of present) out.values[n].set(p.values[n], at);
    for (const c of ['service', 'instance'] as const) {
      const remap = p[c].values.map((v) => {
        let code = intern[c].get(v);
        if (code === undefined) intern[c].set(v, (code = out[c].values.push(v) - 1));
        return code;
      });
      for (let i = 0; i < p.length; i++) out[c].codes[at + i] = remap[p[c].codes[i]!]!;
    }
    at += p.length;
  }
  return out;
}

/** Every non-empty record batch of an Arrow IPC file, streamed; errors name the file. */
async function scanArrow(path: string, what: string, onBatch: (b: RecordBatch, dicts: DictionaryDecoder) => void | Promise<void>): Promise<void> {
  const manifest = await checkManifest(path);
  const handle = await open(path, 'r').catch((err: Error) => {
    throw new Error(`${path}: cannot open ${what} file: ${err.message}`);
  });
  let rowCount = 0;
  try {
    await checkArrowWhole(handle, path, what);
    const reader = await RecordBatchReader.from(handle);
    const dicts = new DictionaryDecoder();
    for await (const batch of reader) {
      rowCount += batch.numRows;
      if (batch.numRows > 0) await onBatch(batch, dicts);
    }
  } catch (err) {
    if (err instanceof Error && !err.message.startsWith(path)) err.message = `${path}: ${err.message}`;
    throw err;
  } finally {
    await handle.close();
  }
  const listed = manifest ? manifestRows(manifest, basename(path)) : undefined;
  if (listed !== undefined && listed !== rowCount) {
    throw new Error(`${path}: has ${rowCount} rows where ${join(dirname(path), 'manifest.json')} records ${listed}: the data set is not the one its manifest describes`);
  }
}

const ARROW_MAGIC = Buffer.from('ARROW1');

/**
 * An Arrow IPC file starts and ends with ARROW1: an empty, truncated or foreign file is refused
 * here with its name, not read as "no data". With `streams`, a file that does not start with
 * ARROW1 passes: it may be an Arrow IPC stream, which has no footer.
 */
export async function checkArrowWhole(handle: FileHandle, file: string, what: string, opts: { streams?: boolean } = {}): Promise<void> {
  const { size } = await handle.stat();
  if (size === 0) throw new ImportError(file, '', `the ${what} file is empty (0 bytes): not an Arrow IPC file`);
  const head = Buffer.alloc(6);
  const tail = Buffer.alloc(6);
  await handle.read(head, 0, 6, 0);
  if (size >= 12) await handle.read(tail, 0, 6, size - 6);
  if (!head.equals(ARROW_MAGIC)) {
    if (opts.streams) return;
    throw new ImportError(file, '', 'not an Arrow IPC file (it does not start with ARROW1)');
  }
  if (size < 12 || !tail.equals(ARROW_MAGIC)) throw new ImportError(file, '', `the ${what} file is truncated (${size} bytes, no ARROW1 footer): written incompletely or cut short`);
}

/** Rows of a file as the manifest records them, when it does. */
function manifestRows(m: CheckedManifest, file: string): number | undefined {
  const key = ({ 'messages.arrow': 'messages', 'kpis.arrow': 'kpiRows', 'logs.arrow': 'logLines', 'metrics.arrow': 'metricRows' } as const)[file];
  return key ? m.counts?.[key] : undefined;
}

const count = z.number().int().nonnegative();

/** What readers rely on in manifest.json (Manifest): every file's size, and the row counts when given. */
const manifestSchema = z.looseObject({
  files: z.record(z.string(), z.looseObject({ bytes: count, sha256: z.string() })),
  counts: z.record(z.string(), count).optional(),
});
export type CheckedManifest = z.output<typeof manifestSchema> & Partial<Omit<Manifest, 'files' | 'counts'>>;

// A time in unix ms, in the plausible range (common/instant.ts): seconds or nanoseconds are refused.
const unixMs = z.number().refine((v) => instantProblem(v, 'ms') === '', { error: (issue) => instantProblem(issue.input as number, 'ms') });
const movedSchema = z.looseObject({
  series: z.string().min(1),
  scope: z.enum(KPI_SCOPES),
  name: z.string(),
  kpi: z.enum(KPI_NAMES),
  direction: z.enum(['up', 'down']),
  start: unixMs,
  end: unixMs,
});
const faultSchema = z
  .looseObject({
    id: z.string().min(1),
    type: z.enum(FAULT_TYPES),
    target: z.custom<FaultTarget>((v) => typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string', 'a target object with a kind'),
    rootCause: z.array(z.string()),
    rootCauseInstance: z.string().optional(),
    start: unixMs,
    end: unixMs,
    severity: z.number(),
    tags: z.array(z.string()),
    moved: z.array(movedSchema),
  })
  .refine((f) => f.end > f.start, { path: ['end'], message: 'the fault ends before it starts' });
const truthSchema = z
  .looseObject({ scenario: z.string(), seed: z.number(), start: unixMs, end: unixMs, faults: z.array(faultSchema) })
  .refine((t) => t.end > t.start, { path: ['end'], message: 'the data set ends before it starts' });

/**
 * The manifest.json beside a data set file, when there is one, after checking that the set is the
 * one it describes: the file is listed, and every listed file is there with its recorded size. A
 * folder mixed from two runs, or a file replaced or cut since, is refused.
 */
export async function checkManifest(path: string): Promise<CheckedManifest | undefined> {
  const dir = dirname(path);
  const manifestPath = join(dir, 'manifest.json');
  // An imported set has none.
  if (!(await stat(manifestPath).then(() => true, () => false))) return undefined;
  const manifest: CheckedManifest = readJsonFile(manifestPath, manifestSchema, 'data set manifest');
  const name = basename(path);
  if (name !== 'manifest.json' && !(name in manifest.files)) throw new Error(`${path}: not listed in ${manifestPath}: the file does not belong to this data set`);
  for (const [file, entry] of Object.entries(manifest.files)) {
    const p = join(dir, file);
    const size = await stat(p).then(
      (s) => s.size,
      () => -1,
    );
    if (size < 0) throw new Error(`${p}: missing, though ${manifestPath} lists it: the data set is incomplete`);
    if (size !== entry.bytes) throw new Error(`${p}: ${size} bytes where ${manifestPath} records ${entry.bytes}: the file was replaced or cut short`);
  }
  return manifest;
}

/** Read kpis.arrow whole (it is small: minutes x series) into one column-wise table. */
export async function readKpis(path: string): Promise<KpiTable> {
  const batches: RecordBatch[] = [];
  await scanArrow(path, 'KPI', (batch) => void batches.push(batch));
  const length = batches.reduce((s, b) => s + b.numRows, 0);
  const table = { length } as KpiTable;
  for (const c of KPI_FLOAT_COLUMNS) table[c] = new Float64Array(length);
  // Batches may carry different dictionaries: re-intern scope and name into one table dictionary.
  for (const c of ['scope', 'name'] as const) table[c] = { codes: new Int32Array(length), values: [] };
  const intern = { scope: new Map<string, number>(), name: new Map<string, number>() };
  const dicts = new DictionaryDecoder();
  let at = 0;
  for (const batch of batches) {
    for (const c of KPI_FLOAT_COLUMNS) table[c].set(float64(path, c, column(path, batch, KPI_COLUMNS[c])), at);
    for (const c of ['scope', 'name'] as const) {
      const col = dicts.decode(path, c, column(path, batch, KPI_COLUMNS[c]));
      const remap = col.values.map((v) => {
        let code = intern[c].get(v);
        if (code === undefined) intern[c].set(v, (code = table[c].values.push(v) - 1));
        return code;
      });
      for (let i = 0; i < batch.numRows; i++) table[c].codes[at + i] = remap[col.codes[i]!]!;
    }
    at += batch.numRows;
  }
  return table;
}

/**
 * Read `<dir>/truth.json`, checked: every fault has its fields, a window that ends after it starts
 * and finite times; the data set matches its manifest.
 */
export async function readTruth(dir: string): Promise<Truth> {
  const path = join(dir, 'truth.json');
  await checkManifest(path);
  return readJsonFile(path, truthSchema, 'ground truth file');
}

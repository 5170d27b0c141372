/**
 * Message logs from outside faultline into MessageBatch (the in-memory form of messages.arrow):
 * Arrow IPC (messages.arrow itself, or any schema with a column mapping), Parquet, CSV and JSON
 * lines. Streams record batches; each malformed row is rejected or skipped by the BadRows policy.
 */
import fs from 'node:fs';
import * as arrow from 'apache-arrow';
import { LOG_POINTS, MESSAGE_COLUMNS, MSG_TYPES, RET_CLASSES, type MessageBatch, type MessageColumn } from '../sim/formats.js';
import { MESSAGE_DICT_COLUMNS, type MessageDictColumn } from '../sim/message-schema.js';
import { scanMessages } from '../sim/read.js';
import { BadRows, ImportError } from '../common/bad-rows.js';
import { parseInstant, UNIT_TO_MS, type NumericTimeUnit } from '../common/instant.js';
import { scanParquet } from './parquet.js';
import type { MessageFormat } from '../sim/formats.js';
import { readCsvRecordBatches, readLines } from '../common/text-lines.js';

export { MESSAGE_FORMATS, type MessageFormat } from '../sim/formats.js';

const ALL_COLUMNS = Object.keys(MESSAGE_COLUMNS) as MessageColumn[];
/** Without these a message cannot be placed in a transaction tree. */
export const REQUIRED_MESSAGE_COLUMNS: readonly MessageColumn[] = ['bizSeqNo', 'uniqueId', 'msgType', 'senderService', 'receiverService', 'logPoint', 'sendTime'];
const ENUMS: Partial<Record<MessageColumn, readonly string[]>> = { msgType: MSG_TYPES, logPoint: LOG_POINTS, retClass: ['', ...RET_CLASSES] };

export interface MessageImportOptions {
  format?: MessageFormat;
  /** Our column name -> the file's column name, for the columns named differently. */
  columns?: Record<string, string>;
  /** Unit of numeric times (ISO 8601 strings are always accepted). Default ms. */
  timeUnit?: NumericTimeUnit;
  badRows?: BadRows;
  batchSize?: number;
}

export interface MessageImportResult {
  format: MessageFormat;
  rows: number;
  /** Columns of the file that have no place in the message schema (message bodies, for one) and were not read. */
  droppedColumns: string[];
}

/** The format a file name implies (.arrow/.ipc/.feather, .parquet, .csv[.gz], .jsonl/.ndjson[.gz]). */
export function messageFormatOf(file: string): MessageFormat {
  const name = file.toLowerCase().replace(/\.gz$/, '');
  if (/\.(arrow|ipc|feather|arrows)$/.test(name)) return 'arrow';
  if (name.endsWith('.parquet')) return 'parquet';
  if (name.endsWith('.csv')) return 'csv';
  if (/\.(jsonl|ndjson|json)$/.test(name)) return 'jsonl';
  throw new ImportError(file, '', 'cannot tell the format from the file name: use .arrow, .parquet, .csv, .jsonl (or pass a format)');
}

/** Check a column mapping names only our columns; returns our column -> source column name. */
export function sourceColumns(columns: Record<string, string> | undefined): Record<MessageColumn, string> {
  const out = {} as Record<MessageColumn, string>;
  for (const c of ALL_COLUMNS) out[c] = c;
  for (const [ours, theirs] of Object.entries(columns ?? {})) {
    if (!(ALL_COLUMNS as string[]).includes(ours)) throw new Error(`--columns: '${ours}' is not a message column (have: ${ALL_COLUMNS.join(', ')})`);
    out[ours as MessageColumn] = theirs;
  }
  return out;
}

/** Stream one message file as MessageBatches. */
export async function importMessages(
  file: string,
  onBatch: (batch: MessageBatch) => void | Promise<void>,
  opts: MessageImportOptions = {},
): Promise<MessageImportResult> {
  const format = opts.format ?? messageFormatOf(file);
  const badRows = opts.badRows ?? new BadRows('reject');
  const source = sourceColumns(opts.columns);
  const builder = new MessageBatchBuilder(opts.batchSize ?? 65_536, opts.timeUnit ?? 'ms', badRows, file);
  let rows = 0;
  const flush = async () => {
    const batch = builder.take();
    if (batch.length) {
      rows += batch.length;
      await onBatch(batch);
    }
  };
  const dropped = new Set<string>();
  const known = new Set(Object.values(source));

  if (format === 'arrow' && !opts.columns && (await isMessageArrow(file))) {
    // Already messages.arrow: the reader hands over typed columns; only the enum values need checking.
    await scanMessages(file, async (batch) => {
      rows += batch.length;
      await onBatch(builder.checkBatch(batch));
    });
    return { format, rows, droppedColumns: [] };
  }

  if (format === 'arrow' || format === 'parquet') {
    let batchNo = 0;
    const onArrowBatch = async (batch: arrow.RecordBatch) => {
      batchNo++;
      for (const f of batch.schema.fields) if (!known.has(f.name)) dropped.add(f.name);
      const cols = {} as Record<MessageColumn, ArrayLike<unknown> | undefined>;
      const valid = {} as Record<MessageColumn, arrow.Vector | undefined>;
      for (const c of ALL_COLUMNS) {
        const v = batch.getChild(source[c]);
        if (!v && REQUIRED_MESSAGE_COLUMNS.includes(c)) throw new ImportError(file, `batch ${batchNo}`, `column '${source[c]}' (${c}) is missing`);
        cols[c] = v ? columnValues(v) : undefined;
        valid[c] = v && v.nullCount > 0 ? v : undefined;
      }
      let row = 0;
      const get = (c: MessageColumn) => (cols[c] === undefined || (valid[c] && !valid[c]!.isValid(row)) ? undefined : cols[c]![row]);
      for (row = 0; row < batch.numRows; row++) {
        builder.add(get, `batch ${batchNo} row ${row + 1}`);
        if (builder.full) await flush();
      }
    };
    if (format === 'parquet') await scanParquet(file, onArrowBatch);
    else await scanArrow(file, onArrowBatch);
  } else if (format === 'csv') {
    let index: Record<MessageColumn, number> | null = null;
    let width = 0;
    let fields: string[] = [];
    const get = (c: MessageColumn) => (index![c] < 0 ? undefined : fields[index![c]]);
    for await (const records of readCsvRecordBatches(file)) {
      for (const record of records) {
        if (!index) {
          const header = record.fields.map((h) => h.trim());
          width = header.length;
          index = {} as Record<MessageColumn, number>;
          for (const c of ALL_COLUMNS) index[c] = header.indexOf(source[c]);
          const missing = REQUIRED_MESSAGE_COLUMNS.filter((c) => index![c] < 0);
          if (missing.length) throw new ImportError(file, 'line 1', `header lacks ${missing.map((c) => `'${source[c]}' (${c})`).join(', ')}`);
          for (const h of header) if (!known.has(h)) dropped.add(h);
          continue;
        }
        if (record.fields.length !== width) {
          badRows.report(file, `line ${record.lineNo}`, `${record.fields.length} fields, header has ${width}`);
          continue;
        }
        fields = record.fields;
        builder.add(get, `line ${record.lineNo}`);
        if (builder.full) await flush();
      }
    }
    if (!index) throw new ImportError(file, '', 'empty file (a CSV needs a header line)');
  } else {
    let obj: Record<string, unknown> = {};
    const get = (c: MessageColumn) => obj[source[c]];
    for await (const { line, lineNo } of readLines(file)) {
      if (line.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (err) {
        badRows.report(file, `line ${lineNo}`, `invalid JSON: ${(err as Error).message}`);
        continue;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        badRows.report(file, `line ${lineNo}`, 'each line must be one JSON object');
        continue;
      }
      obj = parsed as Record<string, unknown>;
      for (const k of Object.keys(obj)) if (!known.has(k)) dropped.add(k);
      builder.add(get, `line ${lineNo}`);
      if (builder.full) await flush();
    }
  }
  await flush();
  return { format, rows, droppedColumns: [...dropped].sort() };
}

/** A column as a JS array; dictionary strings are looked up by code (Vector.toArray decodes row by row). */
function columnValues(v: arrow.Vector): ArrayLike<unknown> {
  const data = v.data[0];
  const codesOk = data.values instanceof Int32Array || data.values instanceof Int16Array || data.values instanceof Int8Array;
  if (v.data.length === 1 && data.dictionary && arrow.DataType.isUtf8(data.dictionary.type) && codesOk) {
    const strings = data.dictionary.toArray() as string[];
    const codes = (data.values as Int32Array | Int16Array | Int8Array).subarray(data.offset, data.offset + data.length);
    const out = new Array<string>(codes.length);
    for (let i = 0; i < codes.length; i++) out[i] = strings[codes[i]];
    return out;
  }
  return v.toArray() as ArrayLike<unknown>;
}

async function scanArrow(file: string, onBatch: (b: arrow.RecordBatch) => Promise<void>): Promise<void> {
  const handle = await fs.promises.open(file).catch((err: Error) => {
    throw new ImportError(file, '', `cannot open: ${err.message}`);
  });
  try {
    const reader = await arrow.RecordBatchReader.from(handle);
    for await (const batch of reader) await onBatch(batch);
  } catch (err) {
    if (err instanceof ImportError) throw err;
    throw new ImportError(file, '', `not a readable Arrow IPC file: ${(err as Error).message}`);
  } finally {
    await handle.close();
  }
}

/** True when the file's schema is exactly messages.arrow's (names and physical types). */
async function isMessageArrow(file: string): Promise<boolean> {
  const handle = await fs.promises.open(file).catch((err: Error) => {
    throw new ImportError(file, '', `cannot open: ${err.message}`);
  });
  try {
    const reader = await arrow.RecordBatchReader.from(handle);
    await reader.open();
    const fields = new Map(reader.schema.fields.map((f) => [f.name, f.type]));
    return ALL_COLUMNS.every((c) => {
      const t = fields.get(MESSAGE_COLUMNS[c]);
      if (!t) return false;
      if (c === 'bizSeqNo' || c === 'uniqueId') return arrow.DataType.isUtf8(t);
      if (c === 'sendTime' || c === 'recvTime') return arrow.DataType.isFloat(t) && t.precision === arrow.Precision.DOUBLE;
      if (c === 'ttl') return arrow.DataType.isInt(t) && t.bitWidth === 32;
      // sim's reader widens Int8/Int16 codes (narrow indices keep small dictionaries small on disk).
      return arrow.DataType.isDictionary(t) && arrow.DataType.isUtf8(t.dictionary) && t.indices.isSigned && t.indices.bitWidth <= 32;
    });
  } catch (err) {
    throw new ImportError(file, '', `not a readable Arrow IPC file: ${(err as Error).message}`);
  } finally {
    await handle.close();
  }
}

interface GrowingDict {
  index: Map<string, number>;
  values: string[];
  /** The last string and its code: consecutive rows mostly repeat a column's value. */
  last: string | undefined;
  lastCode: number;
}

const DICT_ENUMS = MESSAGE_DICT_COLUMNS.map((c) => ENUMS[c]);

/** Fills one MessageBatch row by row from any source, interning dictionary columns per batch. */
class MessageBatchBuilder {
  private n = 0;
  private batch!: MessageBatch;
  // Indexed by position in MESSAGE_DICT_COLUMNS: arrays keep the per-row loop monomorphic.
  private dicts: GrowingDict[] = [];
  private codes: Int32Array[] = [];
  private readonly strings: string[] = new Array<string>(MESSAGE_DICT_COLUMNS.length);
  private sendTime = NaN;
  private recvTime = NaN;
  private ttl = 0;

  constructor(
    private readonly capacity: number,
    private readonly timeUnit: NumericTimeUnit,
    private readonly badRows: BadRows,
    private readonly file: string,
  ) {
    this.reset();
  }

  get full(): boolean {
    return this.n >= this.capacity;
  }

  private reset(): void {
    const cap = this.capacity;
    this.n = 0;
    this.batch = { length: 0, bizSeqNo: [], uniqueId: [], sendTime: new Float64Array(cap), recvTime: new Float64Array(cap), ttl: new Int32Array(cap) } as unknown as MessageBatch;
    this.dicts = MESSAGE_DICT_COLUMNS.map(() => ({ index: new Map(), values: [], last: undefined, lastCode: -1 }));
    this.codes = MESSAGE_DICT_COLUMNS.map(() => new Int32Array(cap));
    MESSAGE_DICT_COLUMNS.forEach((c, k) => (this.batch[c] = { codes: this.codes[k], values: this.dicts[k].values }));
  }

  /** Validate and append one row; a bad row goes to the BadRows policy and is not appended. */
  add(get: (c: MessageColumn) => unknown, place: string): void {
    const problem = this.stage(get);
    if (problem) {
      this.badRows.report(this.file, place, problem);
      return;
    }
    const i = this.n++;
    const b = this.batch;
    b.bizSeqNo.push(text(get('bizSeqNo')));
    b.uniqueId.push(text(get('uniqueId')));
    for (let k = 0; k < this.dicts.length; k++) {
      const d = this.dicts[k];
      const v = this.strings[k];
      if (v !== d.last) {
        let code = d.index.get(v);
        if (code === undefined) {
          code = d.values.push(v) - 1;
          d.index.set(v, code);
        }
        d.last = v;
        d.lastCode = code;
      }
      this.codes[k][i] = d.lastCode;
    }
    b.sendTime[i] = this.sendTime;
    b.recvTime[i] = this.recvTime;
    b.ttl[i] = this.ttl;
  }

  /** Returns the problem with a row, or '' when it is good (its values are kept for `add`). */
  private stage(get: (c: MessageColumn) => unknown): string {
    for (const c of REQUIRED_MESSAGE_COLUMNS) if (isAbsent(get(c))) return `${c} is empty`;
    for (let k = 0; k < MESSAGE_DICT_COLUMNS.length; k++) {
      const v = text(get(MESSAGE_DICT_COLUMNS[k]));
      const allowed = DICT_ENUMS[k];
      if (allowed && !allowed.includes(v)) return `${MESSAGE_DICT_COLUMNS[k]} '${v}' is not one of ${allowed.filter(Boolean).join(', ')}`;
      this.strings[k] = v;
    }
    const send = get('sendTime');
    this.sendTime = this.time(send);
    if (!Number.isFinite(this.sendTime)) return `sendTime '${String(send)}' is not a time (unix ${this.timeUnit} or ISO 8601)`;
    const recv = get('recvTime');
    this.recvTime = isAbsent(recv) ? NaN : this.time(recv);
    if (!isAbsent(recv) && !Number.isFinite(this.recvTime)) return `recvTime '${String(recv)}' is not a time (unix ${this.timeUnit} or ISO 8601)`;
    const ttl = get('ttl');
    this.ttl = isAbsent(ttl) ? 0 : Number(ttl);
    if (!(Number.isInteger(this.ttl) && this.ttl >= 0 && this.ttl < 2 ** 31)) return `ttl '${String(ttl)}' is not a non-negative integer of ms`;
    return '';
  }

  private time(v: unknown): number {
    if (typeof v === 'number') return v * UNIT_TO_MS[this.timeUnit];
    if (typeof v === 'bigint') return Number(v) * UNIT_TO_MS[this.timeUnit];
    if (v instanceof Date) return v.getTime();
    return typeof v === 'string' ? parseInstant(v, this.timeUnit) : NaN;
  }

  /** Hand over the rows so far as one batch and start a new one. */
  take(): MessageBatch {
    const b = this.batch;
    const n = this.n;
    b.length = n;
    b.sendTime = b.sendTime.subarray(0, n);
    b.recvTime = b.recvTime.subarray(0, n);
    b.ttl = b.ttl.subarray(0, n);
    for (const c of MESSAGE_DICT_COLUMNS) b[c].codes = b[c].codes.subarray(0, n);
    this.reset();
    return b;
  }

  /** A batch read from messages.arrow: check the enum columns' values, which the schema cannot. */
  checkBatch(batch: MessageBatch): MessageBatch {
    for (const [c, allowed] of Object.entries(ENUMS) as [MessageDictColumn, readonly string[]][]) {
      const col = batch[c];
      const bad = col.values.findIndex((v) => !allowed.includes(v));
      if (bad < 0) continue;
      // Only a value some row actually uses is an error.
      const row = col.codes.indexOf(bad);
      if (row >= 0) throw new ImportError(this.file, `${c}`, `value '${col.values[bad]}' is not one of ${allowed.filter(Boolean).join(', ')}`);
    }
    return batch;
  }
}

function isAbsent(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : String(v);
}

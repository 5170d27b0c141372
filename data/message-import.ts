/**
 * Message logs from outside faultline into MessageBatch (the in-memory form of messages.arrow):
 * Arrow IPC (messages.arrow itself, or any schema with a column mapping), Parquet, CSV and JSON
 * lines. Every source is streamed and read column by column or straight from its bytes: strings
 * are interned per column from the input bytes, never built per row and field; each malformed row
 * is rejected or skipped by the BadRows policy.
 */
import fs from 'node:fs';
import * as arrow from 'apache-arrow';
import { LOG_POINTS, MESSAGE_COLUMNS, MSG_TYPES, RET_CLASSES, type MessageBatch, type MessageColumn } from '../sim/formats.js';
import { MESSAGE_DICT_COLUMNS, type MessageDictColumn } from '../sim/message-schema.js';
import { checkArrowWhole, scanMessages } from '../sim/read.js';
import { BadRows, ImportError } from '../common/bad-rows.js';
import { ByteFields, parseDecimal, utf8 } from '../common/bytes.js';
import { previewBytes } from '../common/errors.js';
import { fieldCount, readCsvBatches, recordTexts, repeatedColumn } from '../common/csv.js';
import { instantProblem, parseInstantBytes, UNIT_TO_MS, type NumericTimeUnit } from '../common/instant.js';
import { JSON_ARRAY, JSON_FALSE, JSON_NULL, JSON_NUMBER, JSON_OBJECT, JSON_STRING, JSON_TRUE, JsonStream, ROOT, SKIP, type JsonHandler } from '../common/json-stream.js';
import { RunInterner, StringDictionary } from '../common/string-dictionary.js';
import { scanParquet } from './parquet.js';
import type { MessageFormat } from '../sim/formats.js';

export { MESSAGE_FORMATS, type MessageFormat } from '../sim/formats.js';

const ALL_COLUMNS = Object.keys(MESSAGE_COLUMNS) as MessageColumn[];
/** Without these a message cannot be placed in a transaction tree. */
export const REQUIRED_MESSAGE_COLUMNS: readonly MessageColumn[] = ['bizSeqNo', 'uniqueId', 'msgType', 'senderService', 'receiverService', 'logPoint', 'sendTime'];
const ENUMS: Partial<Record<MessageColumn, readonly string[]>> = { msgType: MSG_TYPES, logPoint: LOG_POINTS, retClass: ['', ...RET_CLASSES] };

export interface MessageImportOptions {
  format?: MessageFormat;
  /** Our column name -> the file's column name, for the columns named differently. */
  columns?: Record<string, string>;
  /** Unit of numeric times (ISO 8601 strings are always accepted; Arrow timestamps carry their own). Default ms. */
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

const DICTS = MESSAGE_DICT_COLUMNS.length;
const DICT_INDEX = new Map<MessageColumn, number>(MESSAGE_DICT_COLUMNS.map((c, k) => [c, k]));
const ID_COLUMNS = ['bizSeqNo', 'uniqueId'] as const;
/** The dictionary columns with a fixed set of values, by index into MESSAGE_DICT_COLUMNS. */
const ENUM_AT = MESSAGE_DICT_COLUMNS.flatMap((c, k) => (ENUMS[c] ? [k] : []));
const BIZ_SEQ_NO_AT = -1;
const UNIQUE_ID_AT = -2;
const SEND_TIME_AT = -3;
/** Where each required column's value is held: its dictionary column index, or one of the *_AT. */
const REQUIRED_AT = REQUIRED_MESSAGE_COLUMNS.map((c) =>
  c === 'bizSeqNo' ? BIZ_SEQ_NO_AT : c === 'uniqueId' ? UNIQUE_ID_AT : c === 'sendTime' ? SEND_TIME_AT : DICT_INDEX.get(c)!,
);

/** Stream one message file as MessageBatches. */
export async function importMessages(
  file: string,
  onBatch: (batch: MessageBatch) => void | Promise<void>,
  opts: MessageImportOptions = {},
): Promise<MessageImportResult> {
  const format = opts.format ?? messageFormatOf(file);
  const badRows = opts.badRows ?? new BadRows('reject');
  const source = sourceColumns(opts.columns);
  const timeUnit = opts.timeUnit ?? 'ms';

  if (format === 'arrow' && !opts.columns && (await isMessageArrow(file))) {
    // Already messages.arrow: the reader hands over typed columns; only the values need checking.
    let rows = 0;
    await scanMessages(file, async (batch) => {
      rows += batch.length;
      await onBatch(checkMessageBatch(file, batch));
    });
    return { format, rows, droppedColumns: [] };
  }

  const rows = new MessageRows(opts.batchSize ?? 65_536, timeUnit, badRows, file, onBatch);
  const known = new Set(Object.values(source));
  const dropped = new Set<string>();
  if (format === 'arrow' || format === 'parquet') {
    let batchNo = 0;
    const onArrowBatch = async (batch: arrow.RecordBatch) => {
      batchNo++;
      for (const f of batch.schema.fields) if (!known.has(f.name)) dropped.add(f.name);
      await addArrowBatch(rows, batch, source, batchNo, file);
    };
    if (format === 'parquet') await scanParquet(file, onArrowBatch);
    else await scanArrow(file, onArrowBatch);
  } else if (format === 'csv') {
    for (const name of await addCsv(rows, file, source, badRows)) if (!known.has(name)) dropped.add(name);
  } else {
    const handler = new MessageJsonHandler(rows, source, file, badRows);
    await JsonStream.readFile(file, handler, handler.keys, { lines: true, badRows });
    for (const name of handler.otherKeys.strings) dropped.add(name);
  }
  await rows.flush();
  return { format, rows: rows.total, droppedColumns: [...dropped].sort() };
}

const PLACE_LINE = 0;
const PLACE_BATCH_ROW = 1;

/**
 * One message row at a time from any source, into MessageBatches: the source sets the row's values
 * (codes in per-column dictionaries, id bytes, times, the problem with any value it could not
 * read), then `add` checks the row and appends it, or hands it to the bad-row policy.
 */
class MessageRows {
  total = 0;
  /** Per dictionary column: every distinct value of the import (code 0 is ''), and whether each is allowed. */
  readonly dicts = MESSAGE_DICT_COLUMNS.map(() => new StringDictionary());
  private readonly allowed: Uint8Array[] = MESSAGE_DICT_COLUMNS.map(() => new Uint8Array(0));

  // The row being read, set by the source.
  readonly codes = new Int32Array(DICTS);
  readonly idBytes: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];
  readonly idStart = new Int32Array(2);
  readonly idEnd = new Int32Array(2);
  /** An id given as a string (Arrow dictionaries, numbers), else undefined and the bytes hold it. */
  readonly idText: Array<string | undefined> = [undefined, undefined];
  sendTime = NaN;
  recvTime = NaN;
  ttl = 0;
  /** The first value of the row that has the wrong type or cannot be read, '' when none. */
  typeProblem = '';
  sendProblem = '';
  recvProblem = '';
  ttlProblem = '';

  // The batch being filled.
  private n = 0;
  private batchCodes: Int32Array[] = [];
  private batchValues: string[][] = [];
  private remap: Int32Array[] = MESSAGE_DICT_COLUMNS.map(() => new Int32Array(64).fill(-1));
  private remapped: number[][] = MESSAGE_DICT_COLUMNS.map(() => []);
  private ids: StringDictionary[] = [];
  private idColumns: string[][] = [];
  private send = new Float64Array(0);
  private recv = new Float64Array(0);
  private ttls = new Int32Array(0);
  private readonly emptyId = new Uint8Array(0);

  constructor(
    private readonly capacity: number,
    readonly timeUnit: NumericTimeUnit,
    private readonly badRows: BadRows,
    private readonly file: string,
    private readonly onBatch: (batch: MessageBatch) => void | Promise<void>,
  ) {
    for (const d of this.dicts) d.internString('');
    this.reset();
  }

  get full(): boolean {
    return this.n >= this.capacity;
  }

  /** Clear the row's values before the source sets them. */
  clearRow(): void {
    this.codes.fill(-1);
    this.idText[0] = this.idText[1] = undefined;
    this.idBytes[0] = this.idBytes[1] = this.emptyId;
    this.idStart[0] = this.idStart[1] = this.idEnd[0] = this.idEnd[1] = 0;
    this.sendTime = NaN;
    this.recvTime = NaN;
    this.ttl = 0;
    this.typeProblem = this.sendProblem = this.recvProblem = this.ttlProblem = '';
  }

  /** A time value: a number in the import's unit, or ISO 8601 text; NaN when neither. */
  timeOf(b: Uint8Array, start: number, end: number): number {
    return parseInstantBytes(b, start, end, this.timeUnit);
  }

  /** Check the row and append it; `a`, `b` place it for an error (a line, or a batch and row). */
  add(placeKind: number, a: number, b: number): void {
    const problem = this.problem();
    if (problem) {
      this.badRows.report(this.file, placeKind === PLACE_LINE ? `line ${a}` : `batch ${a} row ${b}`, problem);
      return;
    }
    const i = this.n++;
    for (let k = 0; k < DICTS; k++) {
      const c = this.codes[k] < 0 ? 0 : this.codes[k];
      let remap = this.remap[k];
      if (c >= remap.length) {
        const grown = new Int32Array(Math.max(c + 1, remap.length * 2)).fill(-1);
        grown.set(remap);
        this.remap[k] = remap = grown;
      }
      let code = remap[c];
      if (code < 0) {
        code = remap[c] = this.batchValues[k].push(this.dicts[k].strings[c]) - 1;
        this.remapped[k].push(c);
      }
      this.batchCodes[k][i] = code;
    }
    for (let j = 0; j < 2; j++) {
      const text = this.idText[j];
      const d = this.ids[j];
      this.idColumns[j].push(d.strings[text !== undefined ? d.internString(text) : d.intern(this.idBytes[j], this.idStart[j], this.idEnd[j])]);
    }
    this.send[i] = this.sendTime;
    this.recv[i] = this.recvTime;
    this.ttls[i] = this.ttl;
  }

  /** The first problem with the row, in the order: types, required values, allowed values, times, ttl. */
  private problem(): string {
    if (this.typeProblem) return this.typeProblem;
    for (let r = 0; r < REQUIRED_MESSAGE_COLUMNS.length; r++) if (this.isEmpty(REQUIRED_AT[r])) return `${REQUIRED_MESSAGE_COLUMNS[r]} is empty`;
    for (const k of ENUM_AT) {
      const code = this.codes[k] < 0 ? 0 : this.codes[k];
      if (!this.isAllowed(k, code)) {
        const allowed = ENUMS[MESSAGE_DICT_COLUMNS[k]]!;
        return `${MESSAGE_DICT_COLUMNS[k]} '${this.dicts[k].strings[code]}' is not one of ${allowed.filter(Boolean).join(', ')}`;
      }
    }
    if (this.sendProblem) return this.sendProblem;
    const sendRange = instantProblem(this.sendTime, this.timeUnit);
    if (sendRange) return `sendTime ${sendRange}`;
    if (this.recvProblem) return this.recvProblem;
    if (!Number.isNaN(this.recvTime)) {
      const recvRange = instantProblem(this.recvTime, this.timeUnit);
      if (recvRange) return `recvTime ${recvRange}`;
    }
    return this.ttlProblem;
  }

  /** Whether a required value is missing: `at` is a dictionary column's index, or ID_AT_*, SEND_TIME_AT. */
  private isEmpty(at: number): boolean {
    if (at >= 0) return this.codes[at] <= 0;
    if (at === SEND_TIME_AT) return Number.isNaN(this.sendTime) && !this.sendProblem;
    const j = at === BIZ_SEQ_NO_AT ? 0 : 1;
    const text = this.idText[j];
    return text !== undefined ? text === '' : this.idEnd[j] === this.idStart[j];
  }

  /** Whether code `code` of enum column k is an allowed value; decided once per code. */
  private isAllowed(k: number, code: number): boolean {
    const allowed = ENUMS[MESSAGE_DICT_COLUMNS[k]]!;
    let flags = this.allowed[k];
    if (code >= flags.length) {
      const grown = new Uint8Array(Math.max(code + 1, flags.length * 2, 16));
      grown.set(flags);
      this.allowed[k] = flags = grown;
    }
    if (flags[code] === 0) flags[code] = allowed.includes(this.dicts[k].strings[code]) ? 1 : 2;
    return flags[code] === 1;
  }

  private reset(): void {
    const cap = this.capacity;
    this.n = 0;
    this.batchCodes = MESSAGE_DICT_COLUMNS.map(() => new Int32Array(cap));
    this.batchValues = MESSAGE_DICT_COLUMNS.map(() => []);
    for (let k = 0; k < DICTS; k++) {
      for (const c of this.remapped[k]) this.remap[k][c] = -1;
      this.remapped[k].length = 0;
    }
    this.ids = [new StringDictionary(), new StringDictionary()];
    this.idColumns = [[], []];
    this.send = new Float64Array(cap);
    this.recv = new Float64Array(cap);
    this.ttls = new Int32Array(cap);
  }

  /** Hand over the rows so far as one batch and start a new one. */
  async flush(): Promise<void> {
    const n = this.n;
    if (n === 0) return;
    const batch = {
      length: n,
      bizSeqNo: this.idColumns[0],
      uniqueId: this.idColumns[1],
      sendTime: this.send.subarray(0, n),
      recvTime: this.recv.subarray(0, n),
      ttl: this.ttls.subarray(0, n),
    } as MessageBatch;
    MESSAGE_DICT_COLUMNS.forEach((c, k) => (batch[c] = { codes: this.batchCodes[k].subarray(0, n), values: this.batchValues[k] }));
    this.total += n;
    this.reset();
    await this.onBatch(batch);
  }
}

/** A CSV file's rows; returns its header's names. */
async function addCsv(rows: MessageRows, file: string, source: Record<MessageColumn, string>, badRows: BadRows): Promise<string[]> {
  let header: string[] | undefined;
  const index = new Int32Array(ALL_COLUMNS.length).fill(-1);
  const dictField = new Int32Array(DICTS).fill(-1);
  const idField = new Int32Array(2).fill(-1);
  let sendField = -1;
  let recvField = -1;
  let ttlField = -1;
  const unit = rows.timeUnit;
  // A transaction's messages are mostly adjacent and share most values.
  const runs = rows.dicts.map((d) => new RunInterner(d));
  for await (const batch of readCsvBatches(file, badRows)) {
    const b = batch.bytes;
    let r = 0;
    if (!header) {
      header = recordTexts(batch, 0).map((h) => h.trim());
      ALL_COLUMNS.forEach((c, i) => (index[i] = header!.indexOf(source[c])));
      const twice = repeatedColumn(header, ALL_COLUMNS.map((c) => source[c]));
      if (twice) throw new ImportError(file, 'line 1', `column "${twice}" appears twice`);
      const missing = REQUIRED_MESSAGE_COLUMNS.filter((c) => index[ALL_COLUMNS.indexOf(c)] < 0);
      if (missing.length) throw new ImportError(file, 'line 1', `header lacks ${missing.map((c) => `'${source[c]}' (${c})`).join(', ')}`);
      MESSAGE_DICT_COLUMNS.forEach((c, k) => (dictField[k] = index[ALL_COLUMNS.indexOf(c)]));
      ID_COLUMNS.forEach((c, j) => (idField[j] = index[ALL_COLUMNS.indexOf(c)]));
      sendField = index[ALL_COLUMNS.indexOf('sendTime')];
      recvField = index[ALL_COLUMNS.indexOf('recvTime')];
      ttlField = index[ALL_COLUMNS.indexOf('ttl')];
      r = 1;
    }
    const width = header.length;
    for (; r < batch.length; r++) {
      const line = batch.line[r];
      if (fieldCount(batch, r) !== width) {
        badRows.report(file, `line ${line}`, `${fieldCount(batch, r)} fields, header has ${width}`);
        continue;
      }
      const f = batch.first[r];
      rows.clearRow();
      for (let k = 0; k < DICTS; k++) {
        const x = dictField[k];
        if (x >= 0) rows.codes[k] = runs[k].intern(b, batch.start[f + x], batch.end[f + x]);
      }
      for (let j = 0; j < 2; j++) {
        rows.idBytes[j] = b;
        rows.idStart[j] = batch.start[f + idField[j]];
        rows.idEnd[j] = batch.end[f + idField[j]];
      }
      const ss = batch.start[f + sendField];
      const se = batch.end[f + sendField];
      if (se > ss) {
        rows.sendTime = rows.timeOf(b, ss, se);
        if (Number.isNaN(rows.sendTime)) rows.sendProblem = `sendTime '${previewBytes(b, ss, se)}' is not a time (unix ${unit} or ISO 8601)`;
      }
      if (recvField >= 0) {
        const rs = batch.start[f + recvField];
        const re = batch.end[f + recvField];
        if (re > rs) {
          rows.recvTime = rows.timeOf(b, rs, re);
          if (Number.isNaN(rows.recvTime)) rows.recvProblem = `recvTime '${previewBytes(b, rs, re)}' is not a time (unix ${unit} or ISO 8601)`;
        }
      }
      if (ttlField >= 0) {
        const ts = batch.start[f + ttlField];
        const te = batch.end[f + ttlField];
        if (te > ts) setTtl(rows, parseDecimal(b, ts, te), () => utf8(b, ts, te));
      }
      rows.add(PLACE_LINE, line, 0);
      if (rows.full) await rows.flush();
    }
  }
  if (!header) throw new ImportError(file, '', 'empty file (a CSV needs a header line)');
  return header;
}

function setTtl(rows: MessageRows, ttl: number, raw: () => string): void {
  rows.ttl = ttl;
  if (!(Number.isInteger(ttl) && ttl >= 0 && ttl < 2 ** 31)) rows.ttlProblem = `ttl '${raw()}' is not a non-negative integer of ms`;
}

const TYPE_NAMES: Record<number, string> = { [JSON_STRING]: 'text', [JSON_NUMBER]: 'a number', [JSON_TRUE]: 'true', [JSON_FALSE]: 'false', [JSON_OBJECT]: 'an object', [JSON_ARRAY]: 'an array' };

const M_ROW = 1;

/** JSON lines: one flat object per line, keyed by the source column names. */
class MessageJsonHandler implements JsonHandler {
  readonly keys: string[];
  /** Names of the keys that are none of ours (columns not read). */
  readonly otherKeys = new StringDictionary();
  private readonly columnOfKey: MessageColumn[];
  private readonly ids = new ByteFields(2);
  private line = 0;
  private notObject = 0;

  constructor(
    private readonly rows: MessageRows,
    source: Record<MessageColumn, string>,
    private readonly file: string,
    private readonly badRows: BadRows,
  ) {
    // Keys in source-name order; a source name mapped twice reads into the first of our columns.
    this.keys = [...new Set(ALL_COLUMNS.map((c) => source[c]))];
    this.columnOfKey = this.keys.map((name) => ALL_COLUMNS.find((c) => source[c] === name)!);
  }

  open(context: number, key: number, type: number, line: number): number {
    if (context === ROOT) {
      this.line = line;
      if (type !== JSON_OBJECT) {
        this.notObject = type;
        return SKIP;
      }
      this.rows.clearRow();
      this.ids.clear();
      return M_ROW;
    }
    if (key >= 0) this.wrongType(this.columnOfKey[key], type);
    return SKIP;
  }

  otherKey(context: number, b: Uint8Array, start: number, end: number): void {
    if (context === M_ROW) this.otherKeys.intern(b, start, end);
  }

  private wrongType(c: MessageColumn, type: number): void {
    if (!this.rows.typeProblem) this.rows.typeProblem = `${c} is ${TYPE_NAMES[type]}, not ${c === 'sendTime' || c === 'recvTime' || c === 'ttl' ? 'a number or a time' : 'text'}`;
  }

  value(context: number, key: number, type: number, b: Uint8Array, start: number, end: number): void {
    if (context === ROOT) {
      this.notObject = type;
      return;
    }
    if (key < 0 || type === JSON_NULL) return;
    const rows = this.rows;
    const c = this.columnOfKey[key];
    const k = DICT_INDEX.get(c);
    if (k !== undefined) {
      // Numbers and booleans of a text column are read as their text (a return code 500 is '500').
      if (type === JSON_STRING || type === JSON_NUMBER || type === JSON_TRUE || type === JSON_FALSE) rows.codes[k] = rows.dicts[k].intern(b, start, end);
      else this.wrongType(c, type);
      return;
    }
    const j = c === 'bizSeqNo' ? 0 : c === 'uniqueId' ? 1 : -1;
    if (j >= 0) {
      // An id is text, or an integer written as a number.
      if (type === JSON_STRING || (type === JSON_NUMBER && Number.isInteger(parseDecimal(b, start, end)))) this.ids.set(j, b, start, end);
      else this.wrongType(c, type);
      return;
    }
    if (c === 'sendTime' || c === 'recvTime') {
      let t = NaN;
      if (type === JSON_NUMBER) t = parseDecimal(b, start, end) * UNIT_TO_MS[rows.timeUnit];
      else if (type === JSON_STRING) t = rows.timeOf(b, start, end);
      else return this.wrongType(c, type);
      if (c === 'sendTime') rows.sendTime = t;
      else rows.recvTime = t;
      if (Number.isNaN(t)) {
        const problem = `${c} '${previewBytes(b, start, end)}' is not a time (unix ${rows.timeUnit} or ISO 8601)`;
        if (c === 'sendTime') rows.sendProblem = problem;
        else rows.recvProblem = problem;
      }
      return;
    }
    if (c === 'ttl') {
      if (type === JSON_NUMBER || type === JSON_STRING) setTtl(rows, parseDecimal(b, start, end), () => utf8(b, start, end));
      else this.wrongType(c, type);
    }
  }

  close(): void {}

  endDocument(line: number): void {
    if (this.notObject) {
      this.notObject = 0;
      this.badRows.report(this.file, `line ${line}`, 'each line must be one JSON object');
      return;
    }
    const rows = this.rows;
    for (let j = 0; j < 2; j++) {
      if (!this.ids.has(j)) continue;
      rows.idBytes[j] = this.ids.bytes;
      rows.idStart[j] = this.ids.start[j];
      rows.idEnd[j] = this.ids.end[j];
    }
    rows.add(PLACE_LINE, this.line, 0);
  }

  abortDocument(): void {
    this.notObject = 0;
  }
}

/** One Arrow record batch: each column converted once (types checked per column, not per row). */
async function addArrowBatch(rows: MessageRows, batch: arrow.RecordBatch, source: Record<MessageColumn, string>, batchNo: number, file: string): Promise<void> {
  const n = batch.numRows;
  const column = (c: MessageColumn): arrow.Vector | undefined => {
    const v = batch.getChild(source[c]);
    if (!v && REQUIRED_MESSAGE_COLUMNS.includes(c)) throw new ImportError(file, `batch ${batchNo}`, `column '${source[c]}' (${c}) is missing`);
    return v ?? undefined;
  };
  const codes = MESSAGE_DICT_COLUMNS.map((c, k) => {
    const v = column(c);
    return v ? textCodes(v, rows.dicts[k], file, c, source[c]) : undefined;
  });
  const ids = ID_COLUMNS.map((c) => idTexts(column(c)!, file, c, source[c]));
  const send = times(column('sendTime')!, rows.timeUnit, file, 'sendTime', source.sendTime);
  const recvVector = column('recvTime');
  const recv = recvVector ? times(recvVector, rows.timeUnit, file, 'recvTime', source.recvTime) : undefined;
  const ttlVector = column('ttl');
  const ttl = ttlVector ? numbers(ttlVector, file, 'ttl', source.ttl) : undefined;
  for (let i = 0; i < n; i++) {
    rows.clearRow();
    for (let k = 0; k < DICTS; k++) {
      const c = codes[k];
      if (c) rows.codes[k] = c[i];
    }
    for (let j = 0; j < 2; j++) {
      const id = ids[j];
      if (id.texts) rows.idText[j] = id.texts[i] ?? '';
      else {
        rows.idBytes[j] = id.bytes!;
        rows.idStart[j] = id.starts![i];
        rows.idEnd[j] = id.ends![i];
      }
    }
    rows.sendTime = send.values[i];
    if (send.bad[i]) rows.sendProblem = `sendTime '${send.text(i)}' is not a time (unix ${rows.timeUnit} or ISO 8601)`;
    if (recv) {
      rows.recvTime = recv.values[i];
      if (recv.bad[i]) rows.recvProblem = `recvTime '${recv.text(i)}' is not a time (unix ${rows.timeUnit} or ISO 8601)`;
    }
    if (ttl && !Number.isNaN(ttl[i])) setTtl(rows, ttl[i], () => String(ttl[i]));
    rows.add(PLACE_BATCH_ROW, batchNo, i + 1);
    if (rows.full) await rows.flush();
  }
}

/** The single chunk of a column (record batches from files have one per column). */
function dataOf(v: arrow.Vector): arrow.Data {
  if (v.data.length !== 1) return arrow.makeVector(v.toArray()).data[0];
  return v.data[0];
}

/** One byte per row, 1 where a value is present; undefined when the chunk has no nulls. */
function validity(d: arrow.Data): Uint8Array | undefined {
  const bitmap = d.nullBitmap;
  if (!d.nullCount || !bitmap || bitmap.length === 0) return undefined;
  const present = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const bit = d.offset + i;
    present[i] = (bitmap[bit >> 3] >> (bit & 7)) & 1;
  }
  return present;
}

function typeError(file: string, c: MessageColumn, name: string, type: arrow.DataType, expected: string): ImportError {
  return new ImportError(file, `column '${name}' (${c})`, `is ${String(type)}, not ${expected}`);
}

/** Text column codes in an import-wide dictionary, -1 for a null; UTF-8 strings are interned from their bytes. */
function textCodes(v: arrow.Vector, dict: StringDictionary, file: string, c: MessageColumn, name: string): Int32Array {
  const d = dataOf(v);
  const n = d.length;
  const out = new Int32Array(n).fill(-1);
  const t = d.type;
  if (arrow.DataType.isUtf8(t) || arrow.DataType.isLargeUtf8(t)) {
    const offsets = d.valueOffsets as Int32Array | BigInt64Array;
    const bytes = d.values as Uint8Array;
    const ok = validity(d);
    for (let i = 0; i < n; i++) if (!ok || ok[i]) out[i] = dict.intern(bytes, Number(offsets[d.offset + i]), Number(offsets[d.offset + i + 1]));
    return out;
  }
  if (arrow.DataType.isDictionary(t) && (arrow.DataType.isUtf8(t.dictionary) || arrow.DataType.isLargeUtf8(t.dictionary))) {
    const dictData = d.dictionary!.data;
    const map: number[] = [];
    for (const chunk of dictData) {
      const offsets = chunk.valueOffsets as Int32Array | BigInt64Array;
      const bytes = chunk.values as Uint8Array;
      const present = validity(chunk);
      for (let i = 0; i < chunk.length; i++) map.push(!present || present[i] ? dict.intern(bytes, Number(offsets[chunk.offset + i]), Number(offsets[chunk.offset + i + 1])) : -1);
    }
    const indices = d.values as Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;
    const ok = validity(d);
    for (let i = 0; i < n; i++) if (!ok || ok[i]) out[i] = map[indices[d.offset + i]] ?? -1;
    return out;
  }
  if (arrow.DataType.isInt(t) || arrow.DataType.isFloat(t) || arrow.DataType.isBool(t)) {
    // A number as its text (a return code 500 is '500'), each distinct value converted once.
    const values = v.toArray() as ArrayLike<number | bigint | boolean>;
    const seen = new Map<number | bigint | boolean, number>();
    const ok = validity(d);
    for (let i = 0; i < n; i++) {
      if (ok && !ok[i]) continue;
      const x = values[i];
      let code = seen.get(x);
      if (code === undefined) seen.set(x, (code = dict.internString(String(x))));
      out[i] = code;
    }
    return out;
  }
  throw typeError(file, c, name, t, 'text');
}

/** An id column: texts, or UTF-8 bytes with each row's range (empty for a null). */
interface IdColumn {
  texts?: Array<string | undefined>;
  bytes?: Uint8Array;
  starts?: Int32Array;
  ends?: Int32Array;
}

/** An id column: UTF-8 bytes to intern per batch, or texts (dictionary strings, integers). */
function idTexts(v: arrow.Vector, file: string, c: MessageColumn, name: string): IdColumn {
  const d = dataOf(v);
  const t = d.type;
  if (arrow.DataType.isUtf8(t)) {
    const offsets = d.valueOffsets as Int32Array;
    const starts = offsets.slice(d.offset, d.offset + d.length);
    const ends = offsets.slice(d.offset + 1, d.offset + d.length + 1);
    const ok = validity(d);
    if (ok) for (let i = 0; i < d.length; i++) if (!ok[i]) ends[i] = starts[i];
    return { bytes: d.values as Uint8Array, starts, ends };
  }
  if (arrow.DataType.isLargeUtf8(t) || (arrow.DataType.isDictionary(t) && (arrow.DataType.isUtf8(t.dictionary) || arrow.DataType.isLargeUtf8(t.dictionary)))) {
    return { texts: Array.from(v.toArray() as ArrayLike<string | null>, (s) => s ?? undefined) };
  }
  if (arrow.DataType.isInt(t)) {
    const values = v.toArray() as ArrayLike<number | bigint>;
    const ok = validity(d);
    return { texts: Array.from({ length: d.length }, (_, i) => (!ok || ok[i] ? String(values[i]) : undefined)) };
  }
  throw typeError(file, c, name, t, 'text or an integer');
}

interface TimeColumn {
  values: Float64Array;
  /** 1 where a value is present but not a time. */
  bad: Uint8Array;
  /** A row's value as it was written, for an error. */
  text: (i: number) => string;
}

const ARROW_TIME_UNIT_MS = { [arrow.TimeUnit.SECOND]: 1000, [arrow.TimeUnit.MILLISECOND]: 1, [arrow.TimeUnit.MICROSECOND]: 1e-3, [arrow.TimeUnit.NANOSECOND]: 1e-6 };

/** A time column as unix ms (NaN for a null): numbers in `unit`, Arrow timestamps and dates in their own unit, text as numbers or ISO 8601. */
function times(v: arrow.Vector, unit: NumericTimeUnit, file: string, c: MessageColumn, name: string): TimeColumn {
  const d = dataOf(v);
  const n = d.length;
  const t = d.type;
  const out = new Float64Array(n).fill(NaN);
  if (arrow.DataType.isUtf8(t)) {
    const offsets = d.valueOffsets as Int32Array;
    const bytes = d.values as Uint8Array;
    const bad = new Uint8Array(n);
    const ok = validity(d);
    for (let i = 0; i < n; i++) {
      if (ok && !ok[i]) continue;
      const s = offsets[d.offset + i];
      const e = offsets[d.offset + i + 1];
      if (e === s) continue;
      out[i] = parseInstantBytes(bytes, s, e, unit);
      if (Number.isNaN(out[i])) bad[i] = 1;
    }
    return { values: out, bad, text: (i) => utf8(bytes, offsets[d.offset + i], offsets[d.offset + i + 1]) };
  }
  let scale: number;
  if (arrow.DataType.isTimestamp(t)) scale = ARROW_TIME_UNIT_MS[t.unit];
  else if (arrow.DataType.isDate(t)) scale = t.unit === arrow.DateUnit.DAY ? 86_400_000 : 1;
  else if (arrow.DataType.isInt(t) || arrow.DataType.isFloat(t)) scale = UNIT_TO_MS[unit];
  else throw typeError(file, c, name, t, 'a number, a timestamp or text');
  const raw = numericValues(d);
  const ok = validity(d);
  const bad = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (ok && !ok[i]) continue;
    out[i] = Number(raw[i]) * scale;
    if (!Number.isFinite(out[i])) bad[i] = 1;
  }
  return { values: out, bad, text: (i) => String(raw[i]) };
}

/** A numeric column as doubles (NaN for a null). */
function numbers(v: arrow.Vector, file: string, c: MessageColumn, name: string): Float64Array {
  const d = dataOf(v);
  const t = d.type;
  if (!(arrow.DataType.isInt(t) || arrow.DataType.isFloat(t))) throw typeError(file, c, name, t, 'a number');
  const raw = numericValues(d);
  const out = new Float64Array(d.length).fill(NaN);
  const ok = validity(d);
  for (let i = 0; i < d.length; i++) if (!ok || ok[i]) out[i] = Number(raw[i]);
  return out;
}

/** The values of a numeric column's chunk, offset applied (64-bit integers, timestamps included, as bigint). */
function numericValues(d: arrow.Data): ArrayLike<number | bigint> {
  if (arrow.DataType.isFloat(d.type) && d.type.precision === arrow.Precision.HALF) return arrow.makeVector(d).toArray() as ArrayLike<number>;
  const values = d.values as Int32Array | Float64Array | BigInt64Array;
  return values.subarray(d.offset, d.offset + d.length);
}

/**
 * Reads an Arrow IPC file or stream with `use`. One cut short is named as such, as generated data
 * sets' are, before the Arrow reader trips on it; any other failure to read names the file.
 */
async function withArrowReader<T>(file: string, use: (reader: arrow.RecordBatchReader) => Promise<T>): Promise<T> {
  const handle = await fs.promises.open(file).catch((err: Error) => {
    throw new ImportError(file, '', `cannot open: ${err.message}`);
  });
  try {
    await checkArrowWhole(handle, file, 'Arrow', { streams: true });
    return await use(await arrow.RecordBatchReader.from(handle));
  } catch (err) {
    if (err instanceof ImportError) throw err;
    throw new ImportError(file, '', `not a readable Arrow IPC file (corrupt or cut short?): ${(err as Error).message}`);
  } finally {
    await handle.close();
  }
}

async function scanArrow(file: string, onBatch: (b: arrow.RecordBatch) => Promise<void>): Promise<void> {
  await withArrowReader(file, async (reader) => {
    for await (const batch of reader) await onBatch(batch);
  });
}

/** True when the file's schema is exactly messages.arrow's (names and physical types). */
async function isMessageArrow(file: string): Promise<boolean> {
  return withArrowReader(file, async (reader) => {
    await reader.open();
    if (!reader.schema) throw new Error('no schema');
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
  });
}

/** A batch read from messages.arrow: check what its schema cannot (allowed values, required values, times). */
export function checkMessageBatch(file: string, batch: MessageBatch): MessageBatch {
  for (const [c, allowed] of Object.entries(ENUMS) as [MessageDictColumn, readonly string[]][]) {
    const col = batch[c];
    const bad = col.values.findIndex((v) => !allowed.includes(v));
    if (bad < 0) continue;
    // Only a value some row actually uses is an error.
    const row = col.codes.indexOf(bad);
    if (row >= 0) throw new ImportError(file, `${c}`, `value '${col.values[bad]}' is not one of ${allowed.filter(Boolean).join(', ')}`);
  }
  for (let i = 0; i < batch.length; i++) {
    const send = instantProblem(batch.sendTime[i], 'ms');
    if (send) throw new ImportError(file, `row ${i + 1} of a batch`, `sendTime ${send}`);
    const recv = Number.isNaN(batch.recvTime[i]) ? '' : instantProblem(batch.recvTime[i], 'ms');
    if (recv) throw new ImportError(file, `row ${i + 1} of a batch`, `recvTime ${recv}`);
  }
  return batch;
}

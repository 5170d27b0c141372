import {
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  Struct,
  Vector,
  vectorFromArray,
  Utf8,
  type Data,
} from 'apache-arrow';
import type { DictColumn, MessageBatch } from './formats.js';
import { AtomicFile } from '../common/atomic-file.js';
import { FileSink } from './file-sink.js';
import {
  indexTypeFor,
  MESSAGE_DICT_COLUMNS,
  messageArrowTypes,
  type DictCodes,
  type DictIndex,
  type MessageArrowTypes,
  type MessageDictColumn,
} from './message-schema.js';

export { writeKpis } from './kpi-writer.js';

/**
 * A record batch already encoded in the writer's own dictionary codes, with the two id columns as
 * raw Utf8 (offsets + bytes). The simulator fills these straight from its hot loop, so no per-row
 * JS string ever exists on the generation path.
 */
export interface EncodedMessageBatch {
  length: number;
  bizSeqNo: { offsets: Int32Array; bytes: Uint8Array };
  uniqueId: { offsets: Int32Array; bytes: Uint8Array };
  /** Codes in each column's index type (see MessageLogWriter.codesArray). */
  codes: Record<MessageDictColumn, DictCodes>;
  sendTime: Float64Array;
  recvTime: Float64Array;
  ttl: Int32Array;
  /** Codes of the optional operation column (see MessageLogWriter.open `operations`). */
  operation?: DictCodes;
}

/** One growing dictionary; new strings go out as Arrow delta dictionary batches. */
class GrowingDictionary {
  readonly values: string[] = [];
  /** Most strings the column's index type can address. */
  limit = 0x80000000;
  constructor(private readonly column: string) {}

  private readonly index = new Map<string, number>();
  private vector: Vector<Utf8> = vectorFromArray([] as string[], new Utf8());
  private inVector = 0;

  code(value: string): number {
    let code = this.index.get(value);
    if (code === undefined) {
      code = this.values.length;
      if (code >= this.limit) throw new Error(`messages.arrow: column '${this.column}' has more than ${this.limit} strings, more than its dictionary index type holds`);
      this.values.push(value);
      this.index.set(value, code);
    }
    return code;
  }

  /** The dictionary as of now; appends a chunk (a delta) only when strings were added. */
  current(): Vector<Utf8> {
    if (this.inVector < this.values.length) {
      const chunk = vectorFromArray(this.values.slice(this.inVector), this.vector.type).data[0]!;
      this.vector = new Vector([...this.vector.data, chunk]);
      this.inVector = this.values.length;
    }
    return this.vector;
  }
}

/**
 * Streams messages.arrow (Arrow IPC file format) to disk, one record batch at a time, written
 * synchronously so memory does not grow with the file. Written under a temporary name and renamed
 * on close.
 */
export class MessageLogWriter {
  private readonly dicts = {} as Record<MessageDictColumn, GrowingDictionary>;
  private readonly writer: RecordBatchFileWriter;
  private readonly remapCache = new Map<MessageDictColumn, { values: string[]; remap: Int32Array }>();
  /** The optional operation column's dictionary, when the writer was opened with `operations`. */
  private readonly operationDict?: GrowingDictionary;
  rows = 0;

  private constructor(
    private readonly out: AtomicFile,
    private readonly types: MessageArrowTypes,
  ) {
    for (const c of MESSAGE_DICT_COLUMNS) {
      this.dicts[c] = new GrowingDictionary(c);
      this.dicts[c].limit = 2 ** (types.dict[c].indices.bitWidth - 1);
    }
    if (types.operation) {
      this.operationDict = new GrowingDictionary('operation');
      this.operationDict.limit = 2 ** (types.operation.indices.bitWidth - 1);
    }
    this.writer = new RecordBatchFileWriter();
    this.writer.reset(new FileSink(out), this.types.schema);
  }

  /**
   * @param dictionaries strings known up front (the simulator's topology): they get codes 0..n-1
   *   in the given order, so `appendEncoded` can use them directly.
   * @param options.fitIndices give each dictionary column the smallest signed index type that
   *   holds `dictionaries` (Int8 up to 128 strings, Int16 up to 32768, else Int32): fewer bytes to
   *   write and hash. For closed dictionaries only: a column that later outgrows its type throws.
   *   Without it every index is Int32, for dictionaries that grow with the data.
   * @param options.operations write the optional operation column (MESSAGE_OPERATION_COLUMN), with
   *   these strings as codes 0..n-1 (a closed dictionary: its index type fits them).
   */
  static async open(
    path: string,
    dictionaries?: Partial<Record<MessageDictColumn, readonly string[]>>,
    options: { fitIndices?: boolean; operations?: readonly string[] } = {},
  ): Promise<MessageLogWriter> {
    let indexTypes: Partial<Record<MessageDictColumn, DictIndex>> | undefined;
    if (options.fitIndices) {
      indexTypes = {};
      for (const c of MESSAGE_DICT_COLUMNS) indexTypes[c] = indexTypeFor(dictionaries?.[c]?.length ?? 0);
    }
    const ops = options.operations;
    const w = new MessageLogWriter(AtomicFile.open(path), messageArrowTypes(indexTypes, ops ? indexTypeFor(ops.length) : undefined));
    for (const c of MESSAGE_DICT_COLUMNS) for (const v of dictionaries?.[c] ?? []) w.dicts[c].code(v);
    for (const v of ops ?? []) w.operationDict!.code(v);
    return w;
  }

  /** A zeroed code array of `length` in the column's index type, for EncodedMessageBatch.codes. */
  codesArray(column: MessageDictColumn, length: number): DictCodes {
    return new this.types.dict[column].indices.ArrayType(length);
  }

  /** A zeroed code array for the operation column, or undefined when the writer has none. */
  operationCodes(length: number): DictCodes | undefined {
    return this.types.operation ? new this.types.operation.indices.ArrayType(length) : undefined;
  }

  /** The writer's code for a string of a dictionary column (adding it if new). */
  code(column: MessageDictColumn, value: string): number {
    return this.dicts[column].code(value);
  }

  /** Append a batch whose dictionaries may differ from batch to batch: codes are remapped. */
  append(batch: MessageBatch): void {
    const codes = {} as Record<MessageDictColumn, DictCodes>;
    for (const c of MESSAGE_DICT_COLUMNS) codes[c] = this.remap(c, batch[c], batch.length);
    this.appendEncoded({
      length: batch.length,
      bizSeqNo: encodeUtf8Column(batch.bizSeqNo, batch.length),
      uniqueId: encodeUtf8Column(batch.uniqueId, batch.length),
      codes,
      sendTime: batch.sendTime.subarray(0, batch.length),
      recvTime: batch.recvTime.subarray(0, batch.length),
      ttl: batch.ttl.subarray(0, batch.length),
    });
  }

  appendEncoded(b: EncodedMessageBatch): void {
    if (b.length > 0) this.writeBatch(b);
  }

  private writeBatch(b: EncodedMessageBatch): void {
    const t = this.types;
    const n = b.length;
    const children: Data[] = [
      makeData({ type: t.utf8, length: n, nullCount: 0, valueOffsets: b.bizSeqNo.offsets.subarray(0, n + 1), data: b.bizSeqNo.bytes }),
      makeData({ type: t.utf8, length: n, nullCount: 0, valueOffsets: b.uniqueId.offsets.subarray(0, n + 1), data: b.uniqueId.bytes }),
    ];
    for (const c of MESSAGE_DICT_COLUMNS) {
      children.push(
        makeData({ type: t.dict[c], length: n, nullCount: 0, data: b.codes[c].subarray(0, n), dictionary: this.dicts[c].current() }),
      );
    }
    children.push(
      makeData({ type: t.float64, length: n, nullCount: 0, data: b.sendTime.subarray(0, n) }),
      makeData({ type: t.float64, length: n, nullCount: 0, data: b.recvTime.subarray(0, n) }),
      makeData({ type: t.int32, length: n, nullCount: 0, data: b.ttl.subarray(0, n) }),
    );
    if (t.operation) {
      // A batch without operations (appended from another log) has none on any row: code of ''.
      const codes = b.operation?.subarray(0, n) ?? new t.operation.indices.ArrayType(n).fill(this.operationDict!.code(''));
      children.push(makeData({ type: t.operation, length: n, nullCount: 0, data: codes, dictionary: this.operationDict!.current() }));
    }
    const data = makeData({ type: new Struct(t.schema.fields), length: n, nullCount: 0, children });
    this.writer.write(new RecordBatch(t.schema, data));
    this.rows += n;
  }

  /** Size and sha256 of the finished file (after close). */
  get file(): { bytes: number; sha256: string } {
    return { bytes: this.out.bytes, sha256: this.out.sha256 };
  }

  async close(): Promise<void> {
    try {
      // A file with no batches still needs its schema to be a valid Arrow file.
      if (this.rows === 0) this.writeBatch(this.emptyBatch());
      this.writer.finish();
      await this.writer.close();
      this.out.commit();
    } catch (err) {
      this.out.abort();
      throw err;
    }
  }

  /** Drop the partial file (e.g. after an error upstream). */
  abort(): void {
    this.out.abort();
  }

  private emptyBatch(): EncodedMessageBatch {
    const ids = { offsets: new Int32Array(1), bytes: new Uint8Array(0) };
    const codes = {} as Record<MessageDictColumn, DictCodes>;
    for (const c of MESSAGE_DICT_COLUMNS) codes[c] = this.codesArray(c, 0);
    return { length: 0, bizSeqNo: ids, uniqueId: ids, codes, sendTime: new Float64Array(0), recvTime: new Float64Array(0), ttl: new Int32Array(0) };
  }

  private remap(c: MessageDictColumn, col: DictColumn, n: number): DictCodes {
    let cached = this.remapCache.get(c);
    if (!cached || cached.values !== col.values || cached.remap.length !== col.values.length) {
      const remap = new Int32Array(col.values.length);
      for (let i = 0; i < col.values.length; i++) remap[i] = this.dicts[c].code(col.values[i]!);
      cached = { values: col.values, remap };
      this.remapCache.set(c, cached);
    }
    const out = this.codesArray(c, n);
    const { remap } = cached;
    for (let i = 0; i < n; i++) out[i] = remap[col.codes[i]!]!;
    return out;
  }
}

function encodeUtf8Column(values: string[], n: number): { offsets: Int32Array; bytes: Uint8Array } {
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += Buffer.byteLength(values[i]!, 'utf8');
    offsets[i + 1] = total;
  }
  const bytes = Buffer.allocUnsafe(total);
  for (let i = 0; i < n; i++) bytes.write(values[i]!, offsets[i]!, 'utf8');
  return { offsets, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, total) };
}

import {
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  Struct,
  Vector,
  vectorFromArray,
  type Data,
  type Utf8,
} from 'apache-arrow';
import type { DictColumn, MessageBatch } from './formats.js';
import { AtomicFile } from './atomic-file.js';
import { FileSink } from './file-sink.js';
import { MESSAGE_DICT_COLUMNS, messageArrowTypes, type MessageArrowTypes, type MessageDictColumn } from './message-schema.js';

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
  codes: Record<MessageDictColumn, Int32Array>;
  sendTime: Float64Array;
  recvTime: Float64Array;
  ttl: Int32Array;
}

/** One growing dictionary; new strings go out as Arrow delta dictionary batches. */
class GrowingDictionary {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();
  private vector: Vector<Utf8> = vectorFromArray([] as string[], messageArrowTypes().utf8);
  private inVector = 0;

  code(value: string): number {
    let code = this.index.get(value);
    if (code === undefined) {
      code = this.values.length;
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
  private readonly types: MessageArrowTypes = messageArrowTypes();
  private readonly dicts = {} as Record<MessageDictColumn, GrowingDictionary>;
  private readonly writer: RecordBatchFileWriter;
  private readonly remapCache = new Map<MessageDictColumn, { values: string[]; remap: Int32Array }>();
  rows = 0;

  private constructor(private readonly out: AtomicFile) {
    for (const c of MESSAGE_DICT_COLUMNS) this.dicts[c] = new GrowingDictionary();
    this.writer = new RecordBatchFileWriter();
    this.writer.reset(new FileSink(out), this.types.schema);
  }

  /**
   * @param dictionaries strings known up front (the simulator's topology): they get codes 0..n-1
   *   in the given order, so `appendEncoded` can use them directly.
   */
  static async open(path: string, dictionaries?: Partial<Record<MessageDictColumn, readonly string[]>>): Promise<MessageLogWriter> {
    const w = new MessageLogWriter(AtomicFile.open(path));
    for (const c of MESSAGE_DICT_COLUMNS) for (const v of dictionaries?.[c] ?? []) w.dicts[c].code(v);
    return w;
  }

  /** The writer's code for a string of a dictionary column (adding it if new). */
  code(column: MessageDictColumn, value: string): number {
    return this.dicts[column].code(value);
  }

  /** Append a batch whose dictionaries may differ from batch to batch: codes are remapped. */
  append(batch: MessageBatch): void {
    const codes = {} as Record<MessageDictColumn, Int32Array>;
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
      if (this.rows === 0) this.writeBatch(emptyEncodedBatch());
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

  private remap(c: MessageDictColumn, col: DictColumn, n: number): Int32Array {
    let cached = this.remapCache.get(c);
    if (!cached || cached.values !== col.values || cached.remap.length !== col.values.length) {
      const remap = new Int32Array(col.values.length);
      for (let i = 0; i < col.values.length; i++) remap[i] = this.dicts[c].code(col.values[i]!);
      cached = { values: col.values, remap };
      this.remapCache.set(c, cached);
    }
    const out = new Int32Array(n);
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

function emptyEncodedBatch(): EncodedMessageBatch {
  const ids = { offsets: new Int32Array(1), bytes: new Uint8Array(0) };
  const codes = {} as Record<MessageDictColumn, Int32Array>;
  for (const c of MESSAGE_DICT_COLUMNS) codes[c] = new Int32Array(0);
  return { length: 0, bizSeqNo: ids, uniqueId: ids, codes, sendTime: new Float64Array(0), recvTime: new Float64Array(0), ttl: new Int32Array(0) };
}

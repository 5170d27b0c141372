import { Dictionary, Field, Float64, Int32, makeData, RecordBatch, RecordBatchFileWriter, Schema, Struct, Utf8, vectorFromArray, type Data, type Vector } from 'apache-arrow';
import { AtomicFile } from '../common/atomic-file.js';
import { FileSink } from './file-sink.js';
import { indexTypeFor, type DictCodes, type DictIndex } from './message-schema.js';

/** One column of a fixed-schema Arrow file: its name and how it is stored. */
export type ColumnSpec =
  | { name: string; kind: 'f64' }
  | { name: string; kind: 'utf8' }
  /** Dictionary-encoded strings with a dictionary known up front (codes index `values`). */
  | { name: string; kind: 'dict'; values: readonly string[] };

/** A Utf8 column's rows as raw bytes: row i is bytes[offsets[i]..offsets[i+1]). */
export interface Utf8Column {
  offsets: Int32Array;
  bytes: Uint8Array;
}

export type ColumnData = Float64Array | Utf8Column | DictCodes;

/**
 * Streams an Arrow IPC file of a fixed schema, one record batch per write, straight to the file
 * descriptor (memory does not grow with the file); written under a temporary name, renamed on
 * close. Dictionary columns get the smallest signed index type that holds their dictionary unless
 * `int32Indices` (kpis.arrow keeps Int32).
 */
export class ColumnarFileWriter {
  private readonly writer = new RecordBatchFileWriter();
  private readonly schema: Schema;
  private readonly types: (Float64 | Utf8 | Dictionary<Utf8, DictIndex>)[];
  private readonly dictionaries: (Vector<Utf8> | undefined)[];
  rows = 0;

  private constructor(
    private readonly file: AtomicFile,
    private readonly columns: readonly ColumnSpec[],
    int32Indices: boolean,
  ) {
    let dictId = 0;
    this.types = columns.map((c) =>
      c.kind === 'f64' ? new Float64() : c.kind === 'utf8' ? new Utf8() : new Dictionary(new Utf8(), int32Indices ? new Int32() : indexTypeFor(c.values.length), dictId++),
    );
    this.dictionaries = columns.map((c) => (c.kind === 'dict' ? vectorFromArray(c.values as string[], new Utf8()) : undefined));
    this.schema = new Schema(columns.map((c, i) => new Field(c.name, this.types[i]!, false)));
    this.writer.reset(new FileSink(file), this.schema);
  }

  static open(path: string, columns: readonly ColumnSpec[], options: { int32Indices?: boolean } = {}): ColumnarFileWriter {
    return new ColumnarFileWriter(AtomicFile.open(path), columns, options.int32Indices ?? false);
  }

  /** A zeroed code array of `length` in a dictionary column's index type. */
  codesArray(column: string, length: number): DictCodes {
    const type = this.types[this.columns.findIndex((c) => c.name === column)];
    if (!(type instanceof Dictionary)) throw new Error(`column '${column}' is not dictionary-encoded`);
    return new type.indices.ArrayType(length);
  }

  /** One record batch of `n` rows; `data` holds every column by name (arrays may be longer than n). */
  write(n: number, data: Record<string, ColumnData>): void {
    const children: Data[] = this.columns.map((c, i) => {
      const d = data[c.name];
      if (d === undefined) throw new Error(`column '${c.name}' has no data`);
      const type = this.types[i]!;
      if (c.kind === 'utf8') {
        const u = d as Utf8Column;
        return makeData({ type: type as Utf8, length: n, nullCount: 0, valueOffsets: u.offsets.subarray(0, n + 1), data: u.bytes });
      }
      if (c.kind === 'dict') {
        return makeData({ type: type as Dictionary<Utf8, DictIndex>, length: n, nullCount: 0, data: (d as DictCodes).subarray(0, n), dictionary: this.dictionaries[i]! });
      }
      return makeData({ type: type as Float64, length: n, nullCount: 0, data: (d as Float64Array).subarray(0, n) });
    });
    this.writer.write(new RecordBatch(this.schema, makeData({ type: new Struct(this.schema.fields), length: n, nullCount: 0, children })));
    this.rows += n;
  }

  /** Finish the file (an empty one still gets its schema and one empty batch) and rename it into place. */
  async close(): Promise<{ bytes: number; sha256: string }> {
    try {
      if (this.rows === 0) this.write(0, this.emptyData());
      this.writer.finish();
      await this.writer.close();
      this.file.commit();
      return { bytes: this.file.bytes, sha256: this.file.sha256 };
    } catch (err) {
      this.file.abort();
      throw err;
    }
  }

  abort(): void {
    this.file.abort();
  }

  private emptyData(): Record<string, ColumnData> {
    const out: Record<string, ColumnData> = {};
    for (const c of this.columns) {
      out[c.name] = c.kind === 'f64' ? new Float64Array(0) : c.kind === 'utf8' ? { offsets: new Int32Array(1), bytes: new Uint8Array(0) } : this.codesArray(c.name, 0);
    }
    return out;
  }
}

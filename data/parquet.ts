/**
 * Arrow IPC <-> Parquet through parquet-wasm, batch by batch so memory stays bounded by one record
 * batch (writing), or one row group's compressed bytes and one record batch (reading), rather than
 * the whole file. Page checksums are neither
 * written nor verified by parquet-wasm: a corrupt page that still decodes is caught only by the
 * row-count checks here and the readers' value checks (docs/formats.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import * as pw from 'parquet-wasm';
import { ImportError } from '../common/bad-rows.js';

/**
 * NaN in a floating-point column becomes NULL: Arrow files keep "undefined" (a rate of a minute
 * without traffic) as NaN, but SQL readers of Parquet take NaN for a number and expect NULL.
 */
function nanAsNull(batch: arrow.RecordBatch): arrow.RecordBatch {
  let changed = false;
  const children = batch.data.children.map((d) => {
    if (!arrow.DataType.isFloat(d.type)) return d;
    const values = d.values as Float64Array | Float32Array;
    let nans = 0;
    for (let i = 0; i < d.length; i++) if (Number.isNaN(values[d.offset + i])) nans++;
    if (nans === 0) return d;
    changed = true;
    const bitmap = new Uint8Array((d.length + 7) >> 3);
    let nulls = 0;
    for (let i = 0; i < d.length; i++) {
      if (d.getValid(i) && !Number.isNaN(values[d.offset + i])) bitmap[i >> 3]! |= 1 << (i & 7);
      else nulls++;
    }
    return arrow.makeData({ type: d.type, length: d.length, nullCount: nulls, nullBitmap: bitmap, data: values.subarray(d.offset, d.offset + d.length) } as never) as arrow.Data;
  });
  if (!changed) return batch;
  const schema = new arrow.Schema(
    batch.schema.fields.map((f, k) => (children[k] !== batch.data.children[k] ? f.clone({ nullable: true }) : f)),
    batch.schema.metadata,
  );
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: batch.numRows, nullCount: 0, children }));
}

/**
 * Convert an Arrow IPC file (or stream) to a Parquet file, zstd-compressed, in row groups of at
 * most PARQUET_ROW_GROUP_ROWS rows, NaN written as NULL. Written under a temporary name, renamed
 * when complete.
 */
export async function arrowFileToParquet(arrowPath: string, parquetPath: string): Promise<{ rows: number }> {
  const handle = await fs.promises.open(arrowPath);
  let rows = 0;
  const tmp = `${parquetPath}.tmp-${process.pid}`;
  try {
    const reader = await arrow.RecordBatchReader.from(handle);
    await reader.open();
    const iterator = reader[Symbol.asyncIterator]();
    // parquet-wasm's streaming writer pulls wasm record batches; each JS batch crosses as IPC bytes.
    const source = new ReadableStream<pw.RecordBatch>({
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) {
          controller.close();
          return;
        }
        rows += next.value.numRows;
        const wasmTable = pw.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table([nanAsNull(next.value)]), 'stream'));
        for (const batch of wasmTable.recordBatches()) controller.enqueue(batch);
      },
    });
    const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).setMaxRowGroupSize(PARQUET_ROW_GROUP_ROWS).build();
    const bytes = await pw.transformParquetStream(source, props);
    const out = await fs.promises.open(tmp, 'w');
    try {
      for await (const chunk of bytes as unknown as AsyncIterable<Uint8Array>) await out.write(chunk);
    } finally {
      await out.close();
    }
    await fs.promises.rename(tmp, parquetPath);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw new Error(`${arrowPath}: cannot convert to Parquet: ${(err as Error).message}`);
  } finally {
    await handle.close();
  }
  return { rows };
}

/** Convert every `*.arrow` file directly in `dir` to a `.parquet` sibling; returns the files written. */
export async function arrowDirToParquet(dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const name of (await fs.promises.readdir(dir)).sort()) {
    if (!name.endsWith('.arrow')) continue;
    const target = path.join(dir, name.replace(/\.arrow$/, '.parquet'));
    await arrowFileToParquet(path.join(dir, name), target);
    written.push(target);
  }
  return written;
}

/**
 * The Parquet decoder runs in a worker thread: parquet-wasm panics on some corrupt files (a wasm
 * `unreachable` trap, thrown outside any promise the caller could catch, which would end the
 * process with a stack trace). In a worker it ends the worker, which becomes an error naming the
 * file. The worker decodes one row group per request and hands it over as Arrow IPC bytes.
 */
const DECODER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const pw = require(workerData.wasm);
let file;
let batches;
parentPort.on('message', async (msg) => {
  try {
    if (msg.type === 'open') {
      file = await pw.ParquetFile.fromFile(await fs.openAsBlob(workerData.path));
      const meta = file.metadata();
      const groups = [];
      for (let g = 0; g < meta.numRowGroups(); g++) groups.push(meta.rowGroup(g).numRows());
      parentPort.postMessage({ type: 'opened', rows: meta.fileMetadata().numRows(), groups });
    } else if (msg.type === 'group') {
      batches = (await file.stream({ rowGroups: [msg.group], batchSize: workerData.batchSize })).getReader();
      parentPort.postMessage({ type: 'ready' });
    } else {
      const next = await batches.read();
      if (next.done) return parentPort.postMessage({ type: 'end' });
      const ipc = next.value.intoIPCStream();
      const whole = ipc.byteOffset === 0 && ipc.byteLength === ipc.buffer.byteLength;
      parentPort.postMessage({ type: 'batch', ipc }, whole ? [ipc.buffer] : []);
    }
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: String((err && err.message) || err) });
  }
});
`;

type DecoderReply =
  | { type: 'opened'; rows: number; groups: number[] }
  | { type: 'ready' }
  | { type: 'batch'; ipc: Uint8Array }
  | { type: 'end' }
  | { type: 'error'; message: string };

/** Rows per record batch read from Parquet: memory holds one row group's compressed bytes and one batch. */
const PARQUET_BATCH_ROWS = 65_536;
/** Rows per row group written: a reader that decodes a row group at once holds only this many. */
const PARQUET_ROW_GROUP_ROWS = 131_072;

/** A Parquet decoder worker: one request at a time, each answered or failed (the worker dying fails it). */
class ParquetDecoder {
  private readonly worker: Worker;
  private pending: { resolve: (r: DecoderReply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(private readonly path: string) {
    this.worker = new Worker(DECODER, { eval: true, workerData: { path, batchSize: PARQUET_BATCH_ROWS, wasm: createRequire(import.meta.url).resolve('parquet-wasm') } });
    this.worker.on('message', (reply: DecoderReply) => {
      const p = this.pending;
      this.pending = undefined;
      p?.resolve(reply);
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(err);
    };
    this.worker.on('error', (err) => fail(new Error(`the decoder crashed (${err.message})`)));
    this.worker.on('exit', (code) => fail(new Error(`the decoder stopped (exit code ${code})`)));
  }

  request(message: { type: 'open' } | { type: 'group'; group: number } | { type: 'next' }): Promise<DecoderReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(message);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  corrupt(problem: string): ImportError {
    return new ImportError(this.path, '', `not a readable Parquet file (corrupt or cut short?): ${problem}`);
  }
}

/**
 * Stream a Parquet file as Arrow JS record batches of up to PARQUET_BATCH_ROWS rows, row group by
 * row group. A file the decoder
 * cannot read, or whose row groups decode to other row counts than its footer states, is an
 * ImportError naming the file.
 */
export async function scanParquet(
  parquetPath: string,
  onBatch: (batch: arrow.RecordBatch) => void | Promise<void>,
): Promise<void> {
  const size = (await fs.promises.stat(parquetPath).catch((err: Error) => {
    throw new ImportError(parquetPath, '', `cannot open: ${err.message}`);
  })).size;
  if (size === 0) throw new ImportError(parquetPath, '', 'empty file (0 bytes): not a Parquet file');
  const decoder = new ParquetDecoder(parquetPath);
  try {
    const opened = await decoder.request({ type: 'open' }).catch((err: Error) => {
      throw decoder.corrupt(err.message);
    });
    if (opened.type !== 'opened') throw decoder.corrupt(opened.type === 'error' ? opened.message : 'no footer');
    const stated = opened.groups.reduce((s, n) => s + n, 0);
    if (stated !== opened.rows) throw decoder.corrupt(`the footer states ${opened.rows} rows but its row groups hold ${stated}`);
    for (let g = 0; g < opened.groups.length; g++) {
      const where = `row group ${g + 1}`;
      const ask = async (message: { type: 'group'; group: number } | { type: 'next' }) => {
        const reply = await decoder.request(message).catch((err: Error) => {
          throw decoder.corrupt(`${where}: ${err.message}`);
        });
        if (reply.type === 'error') throw decoder.corrupt(`${where}: ${reply.message}`);
        return reply;
      };
      await ask({ type: 'group', group: g });
      let rows = 0;
      for (let reply = await ask({ type: 'next' }); reply.type === 'batch'; reply = await ask({ type: 'next' })) {
        let table: arrow.Table;
        try {
          table = arrow.tableFromIPC(reply.ipc);
        } catch (err) {
          throw decoder.corrupt(`${where}: ${(err as Error).message}`);
        }
        for (const batch of table.batches) {
          for (const child of batch.data.children) {
            if (child.length !== batch.numRows) throw decoder.corrupt(`${where}: a column has ${child.length} values for ${batch.numRows} rows`);
          }
          rows += batch.numRows;
          if (rows > opened.groups[g]) throw decoder.corrupt(`${where} decodes to more rows than the ${opened.groups[g]} its footer states`);
          await onBatch(batch);
        }
      }
      if (rows !== opened.groups[g]) throw decoder.corrupt(`${where} decodes to ${rows} rows, its footer states ${opened.groups[g]}`);
    }
  } finally {
    await decoder.close();
  }
}

/** Write an in-memory Arrow table as a Parquet file (temporary name, then rename). */
export function writeParquetTable(table: arrow.Table, parquetPath: string): void {
  const tmp = `${parquetPath}.tmp-${process.pid}`;
  const wasmTable = pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).setMaxRowGroupSize(PARQUET_ROW_GROUP_ROWS).build();
  try {
    fs.writeFileSync(tmp, pw.writeParquet(wasmTable, props));
    fs.renameSync(tmp, parquetPath);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`${parquetPath}: cannot write Parquet: ${(err as Error).message}`);
  }
}

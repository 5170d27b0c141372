/**
 * Arrow IPC <-> Parquet through parquet-wasm, batch by batch so memory stays bounded by one record
 * batch (writing) or one row group (reading) rather than the whole file.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';

/**
 * Convert an Arrow IPC file (or stream) to a Parquet file, zstd-compressed, one row group per
 * record batch. Written under a temporary name, renamed when complete.
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
        const wasmTable = pw.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table([next.value]), 'stream'));
        for (const batch of wasmTable.recordBatches()) controller.enqueue(batch);
      },
    });
    const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).build();
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

/** Stream a Parquet file as Arrow JS record batches, one row group at a time. */
export async function scanParquet(
  parquetPath: string,
  onBatch: (batch: arrow.RecordBatch) => void | Promise<void>,
): Promise<void> {
  let file: pw.ParquetFile;
  try {
    file = await pw.ParquetFile.fromFile(await fs.openAsBlob(parquetPath));
  } catch (err) {
    throw new Error(`${parquetPath}: not a readable Parquet file: ${String((err as Error).message ?? err)}`);
  }
  try {
    const groups = file.metadata().numRowGroups();
    for (let g = 0; g < groups; g++) {
      const table = arrow.tableFromIPC((await file.read({ rowGroups: [g] })).intoIPCStream());
      for (const batch of table.batches) await onBatch(batch);
    }
  } finally {
    file.free();
  }
}

/** Write an in-memory Arrow table as a Parquet file (temporary name, then rename). */
export function writeParquetTable(table: arrow.Table, parquetPath: string): void {
  const tmp = `${parquetPath}.tmp-${process.pid}`;
  const wasmTable = pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).build();
  try {
    fs.writeFileSync(tmp, pw.writeParquet(wasmTable, props));
    fs.renameSync(tmp, parquetPath);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`${parquetPath}: cannot write Parquet: ${(err as Error).message}`);
  }
}

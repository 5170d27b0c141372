/**
 * Output CSV files keyed by a pseudonym (one per instance), filled as rows stream in from any
 * number of inputs, then gzipped. Rows of one key keep their input order; how the input
 * interleaved keys (often sorted by the original names) does not survive. Memory is bounded by
 * one small buffer per open key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

const FLUSH_CHARS = 1 << 16;

interface Sink {
  file: string;
  buffer: string;
  rows: number;
}

export class KeyedCsvSinks {
  private readonly sinks = new Map<string, Sink>();
  private readonly names = new Set<string>();

  /** `dir` must exist and be empty of other sinks' files. */
  constructor(private readonly dir: string) {}

  /**
   * Append `line` (no newline) under `key` with `header`. A key seen with another header (another
   * input's metric columns) gets a file of its own: `<key>.2`, `<key>.3`, ...
   */
  append(key: string, header: string, line: string): void {
    const slot = `${key}\0${header}`;
    let sink = this.sinks.get(slot);
    if (!sink) {
      let name = key || 'none';
      for (let k = 2; this.names.has(name); k++) name = `${key || 'none'}.${k}`;
      this.names.add(name);
      sink = { file: path.join(this.dir, `${name}.csv`), buffer: `${header}\n`, rows: 0 };
      this.sinks.set(slot, sink);
    }
    sink.buffer += `${line}\n`;
    sink.rows++;
    if (sink.buffer.length >= FLUSH_CHARS) this.flush(sink);
  }

  private flush(sink: Sink): void {
    fs.appendFileSync(sink.file, sink.buffer);
    sink.buffer = '';
  }

  /** Flush, gzip every file (`.csv.gz`) and return the rows written per file name. */
  async close(): Promise<Record<string, number>> {
    const rows: Record<string, number> = {};
    for (const sink of [...this.sinks.values()].sort((a, b) => (a.file < b.file ? -1 : 1))) {
      this.flush(sink);
      await pipeline(fs.createReadStream(sink.file), createGzip(), fs.createWriteStream(`${sink.file}.gz`));
      fs.rmSync(sink.file);
      rows[`${path.basename(sink.file)}.gz`] = sink.rows;
    }
    this.sinks.clear();
    this.names.clear();
    return rows;
  }
}

import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/**
 * A file written under a temporary name beside its final path and renamed into place only when
 * complete, so a crashed or interrupted run never leaves a truncated output that looks finished.
 */
export class AtomicFile {
  readonly tmpPath: string;
  private fd: number;
  private done = false;
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  /** Hex sha256 of everything written, set on commit (hashed on the way out: no re-read). */
  sha256 = '';

  private constructor(readonly path: string) {
    this.tmpPath = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    this.fd = openSync(this.tmpPath, 'w');
  }

  static open(path: string): AtomicFile {
    return new AtomicFile(path);
  }

  /** Synchronous so that memory stays flat: no queue of pending chunks can build up. */
  write(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.byteLength) off += writeSync(this.fd, chunk, off, chunk.byteLength - off);
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
  }

  commit(): void {
    if (this.done) return;
    this.done = true;
    closeSync(this.fd);
    renameSync(this.tmpPath, this.path);
    this.sha256 = this.hash.digest('hex');
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    closeSync(this.fd);
    rmSync(this.tmpPath, { force: true });
  }
}

/** Write a whole small file (JSON, etc.) atomically; returns its size and sha256. */
export function writeFileAtomic(path: string, content: string | Uint8Array): { bytes: number; sha256: string } {
  const file = AtomicFile.open(path);
  try {
    file.write(typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    file.commit();
    return { bytes: file.bytes, sha256: file.sha256 };
  } catch (err) {
    file.abort();
    throw err;
  }
}

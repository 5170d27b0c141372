import { AsyncByteQueue } from 'apache-arrow';
import type { AtomicFile } from '../common/atomic-file.js';

/**
 * Arrow's writer queue turned into a synchronous file sink: each chunk goes straight to the file
 * descriptor, so nothing accumulates in memory (STACK.md: throughNode has no backpressure).
 */
export class FileSink extends AsyncByteQueue {
  constructor(private readonly file: AtomicFile) {
    super();
  }
  override write(value: Uint8Array): void {
    if (value.byteLength > 0) this.file.write(value);
  }
}

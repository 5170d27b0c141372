/**
 * A run's finished items, kept in its output folder as they finish (`<out>/items/`), so that a
 * killed run or shard loses at most the items it was evaluating: one file per item, written
 * atomically (whole or not at all), beside `run.json`, which says which run they belong to. A run
 * restarted with the same configuration and shard skips the items it finds; a different run
 * starts afresh. Publishing the run's report removes the folder (its items are then in
 * results.json or partial.json).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../common/atomic-file.js';
import { FaultlineError } from '../common/errors.js';
import { claimEntry, type OutputOptions } from '../common/output-dir.js';
import type { ItemResult } from '../scores/item-result.js';

export const ITEMS_DIR = 'items';
const RUN_FILE = 'run.json';

/** An item's file name: readable, and unique however long or odd its key. */
export function itemFileName(key: string): string {
  const slug = key.replace(/[^A-Za-z0-9@._=-]+/g, '_').slice(0, 80);
  return `${slug}.${createHash('sha256').update(key).digest('hex').slice(0, 12)}.json`;
}

export interface OpenedStore {
  store: ItemStore;
  /** Items of this run already finished (by an earlier, killed process). */
  resumed: number;
  /** Item files of another run configuration that were removed. */
  discarded: number;
}

export class ItemStore {
  private readonly done = new Set<string>();

  private constructor(readonly dir: string) {}

  /**
   * The store of a run in `out`; `identity` (the run's configuration and shard) decides whether
   * items already there are this run's. `keys` are the run's items.
   */
  static open(out: string, identity: unknown, keys: readonly string[], output: OutputOptions): OpenedStore {
    const dir = claimEntry(out, ITEMS_DIR, output);
    const store = new ItemStore(dir);
    const runFile = path.join(dir, RUN_FILE);
    const wanted = JSON.stringify(identity);
    const previous = existsSync(runFile) ? readFileSync(runFile, 'utf8').trimEnd() : undefined;
    let discarded = 0;
    if (previous === wanted) {
      for (const key of keys) if (existsSync(path.join(dir, itemFileName(key)))) store.done.add(key);
    }
    for (const name of readdirSync(dir)) {
      // Temporary files of writes cut short, and every file of another run's items.
      const keep = previous === wanted && (name === RUN_FILE || !name.startsWith('.'));
      if (keep) continue;
      if (name !== RUN_FILE && !name.startsWith('.')) discarded++;
      rmSync(path.join(dir, name), { recursive: true, force: true });
    }
    if (previous !== wanted) writeFileAtomic(runFile, wanted + '\n');
    return { store, resumed: store.done.size, discarded };
  }

  has(key: string): boolean {
    return this.done.has(key);
  }

  /** Writes a finished item (atomically: a kill leaves the whole file or none). */
  write(item: ItemResult): void {
    writeFileAtomic(path.join(this.dir, itemFileName(item.key)), JSON.stringify(item) + '\n');
    this.done.add(item.key);
  }

  /** A finished item's JSON text (one line). */
  text(key: string): string {
    const file = path.join(this.dir, itemFileName(key));
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new FaultlineError(`${file}: item ${key} cannot be read: ${(err as Error).message}`);
    }
  }
}

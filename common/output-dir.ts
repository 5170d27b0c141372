/**
 * Build an output directory under a temporary name beside it and swap it into place only when
 * complete, so a crashed or interrupted run never leaves a half-written report where the last good
 * one was.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

export async function publishDir<T>(out: string, fill: (tmpDir: string) => Promise<T>): Promise<T> {
  const target = path.resolve(out);
  mkdirSync(path.dirname(target), { recursive: true });
  const tmp = mkdtempSync(path.join(path.dirname(target), `.${path.basename(target)}.tmp-`));
  let result: T;
  try {
    result = await fill(tmp);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  // A directory cannot be renamed over a non-empty one: move the old one aside first.
  let old: string | undefined;
  if (existsSync(target)) {
    old = `${tmp}.old`;
    renameSync(target, old);
  }
  renameSync(tmp, target);
  if (old) rmSync(old, { recursive: true, force: true });
  return result;
}

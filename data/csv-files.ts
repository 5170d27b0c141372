import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const CSV_FILE = /\.csv(\.gz)?$/i;

/**
 * The CSV files a path names: the file itself, or a folder's `.csv` / `.csv.gz` files in name
 * order. `what` names the input in errors ("metric", "log").
 */
export function csvFilesOf(path: string, what: string): string[] {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new Error(`${path}: no such file or folder`);
  if (!st.isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((f) => CSV_FILE.test(f))
    .sort()
    .map((f) => join(path, f));
  if (!files.length) throw new Error(`${path}: no .csv or .csv.gz ${what} files`);
  return files;
}

/** A time window [start, end) in unix ms. */
export interface TimeWindow {
  start: number;
  end: number;
}

/** Whether `t` lies in one of the windows (all rows are kept when there are none). */
export function inWindows(t: number, windows: readonly TimeWindow[] | undefined): boolean {
  if (!windows) return true;
  for (const w of windows) if (t >= w.start && t < w.end) return true;
  return false;
}

/**
 * Where faultline writes: an `--out` folder that is new, empty, or one faultline wrote before. A
 * marker file (OUTPUT_MARKER) lists what faultline wrote there; anything else in the folder is the
 * user's and is never deleted or overwritten. Files named one by one rather than a folder (fit's
 * scenario and report) follow the same rule: their folder's marker lists them apart, with a hash of
 * their content (writeOutputFiles). They are no folder output's entries: a later output into the
 * same folder keeps them as it keeps the user's files, and one edited since is the user's.
 *
 * An output is built whole in a staging folder inside the target (`.faultline-tmp-<pid>-...`),
 * then each entry is renamed into place (one atomic rename each), the marker next, and the commit
 * entries last (a data set's manifest.json, which readers check the other files against). So the
 * target folder is never missing, the previous output stays until the new one is complete, and a
 * run killed while publishing leaves a set whose manifest does not match, which readers refuse.
 * Staging folders of killed runs are removed by the next run into the same place.
 *
 * An entry that must outlive a killed run (a resumable run's items/, filled a file at a time) is
 * claimed first (`claimEntry`): the marker lists it before anything is written into it, and the
 * publish that replaces it removes it before the new marker is written, so a kill at any moment
 * leaves nothing of ours unlisted.
 *
 * FAULTLINE_CRASH_BEFORE_RENAME=n kills the process (SIGKILL) just before the n-th rename of a
 * publish: the crash tests use it to stop a run at every step.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { firstNames, UsageError } from './errors.js';

export const OUTPUT_MARKER = '.faultline-output.json';
const STAGING_PREFIX = '.faultline-tmp-';

interface Marker {
  tool: 'faultline';
  command: string;
  /** Top-level entries (files or folders) faultline wrote. */
  entries: string[];
  /** Each top-level file's size, so a reader can tell a whole output from one cut short. */
  bytes: Record<string, number>;
  /** Files a command wrote where the user named them (writeOutputFiles), with the SHA-256 of their content as written. */
  files?: Record<string, string>;
}

export interface OutputOptions {
  /** The command writing (recorded in the marker), e.g. `run`. */
  command: string;
  /** Write into a folder that holds other files too; they are kept, and one of ours may not share their names. */
  force?: boolean;
  /** Input paths: the output folder may neither be nor hold one of them. */
  inputs?: (string | undefined)[];
  /** Entries renamed into place last, after the marker (a data set's manifest.json). */
  commitLast?: string[];
}

function readMarker(dir: string): Marker | undefined {
  const file = path.join(dir, OUTPUT_MARKER);
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Marker;
    if (m.tool === 'faultline' && Array.isArray(m.entries)) return m;
  } catch {
    // An unreadable marker proves nothing: the folder is treated as the user's.
  }
  return undefined;
}

/** Whether a process of this machine with that id is alive (one we may not signal counts). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes staging folders left by killed runs; refuses while another live run stages here. */
function cleanStaleStaging(target: string): void {
  for (const name of readdirSync(target)) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const pid = Number(name.slice(STAGING_PREFIX.length).split('-')[0]);
    if (pid !== process.pid && Number.isInteger(pid) && pidAlive(pid)) {
      throw new UsageError(`--out ${target}: another faultline (pid ${pid}) is writing there; wait for it or choose another folder`);
    }
    rmSync(path.join(target, name), { recursive: true, force: true });
  }
}

function crashPoint(rename: number): void {
  if (Number(process.env.FAULTLINE_CRASH_BEFORE_RENAME) === rename) process.kill(process.pid, 'SIGKILL');
}

/**
 * Whether `dir` holds a whole faultline output: its marker, and every file it lists at the size
 * written. A run killed while publishing leaves a folder that fails this.
 */
export function isWholeOutput(dir: string): boolean {
  const marker = readMarker(dir);
  if (!marker) return false;
  return marker.entries.every((name) => {
    const st = lstatSync(path.join(dir, name), { throwIfNoEntry: false });
    return st !== undefined && (marker.bytes?.[name] === undefined || (st.isFile() && st.size === marker.bytes[name]));
  });
}

/**
 * Makes `name` an entry of faultline's output in `out` and creates it as a folder, to be filled
 * in place. The next `publishDir` into `out` removes it unless its stage has an entry of that name.
 */
export function claimEntry(out: string, name: string, opts: OutputOptions): string {
  const target = path.resolve(out);
  checkOutputDir(out, opts);
  const dir = path.join(target, name);
  const marker = existsSync(target) ? readMarker(target) : undefined;
  if (!marker?.entries.includes(name)) {
    if (existsSync(dir)) throw new UsageError(`--out ${out}: ${name} is there and was not written by faultline; move it away (--force never replaces a file faultline did not write)`);
    mkdirSync(target, { recursive: true });
    listInMarker(target, marker, name, opts.command);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes the marker of `dir` whole. */
function writeMarker(dir: string, marker: Marker): void {
  writeFileAtomic(path.join(dir, OUTPUT_MARKER), JSON.stringify(marker, null, 1) + '\n');
}

/** Adds `name` to the marker of `dir` (written before the entry itself, so nothing of ours is ever unlisted). */
function listInMarker(dir: string, marker: Marker | undefined, name: string, command: string): void {
  // A size recorded for an earlier entry of that name no longer holds.
  const { [name]: _old, ...bytes } = marker?.bytes ?? {};
  writeMarker(dir, { tool: 'faultline', command, entries: [...new Set([...(marker?.entries ?? []), name])].sort(), bytes, ...filesOf(marker) });
}

const sha256 = (content: string | Buffer) => createHash('sha256').update(content).digest('hex');

const filesOf = (marker: Marker | undefined) => (marker?.files && Object.keys(marker.files).length ? { files: marker.files } : {});

/** A file a command writes where the user names it, and the flag that names it. */
export interface OutputFile {
  flag: string;
  path: string;
  content: string;
}

/**
 * Checks that files named by the user rather than a folder (fit's scenario YAML and its report)
 * may be written, before any long work starts. A file there already is replaced only with `force`,
 * and only when faultline wrote it (its folder's marker lists it); any other is the user's.
 */
export function checkOutputFiles(files: readonly Omit<OutputFile, 'content'>[], opts: OutputOptions): void {
  for (const { flag, path: file } of files) {
    checkParents(flag, file);
    const st = lstatSync(file, { throwIfNoEntry: false });
    if (!st) continue;
    const written = readMarker(path.dirname(path.resolve(file)))?.files?.[path.basename(file)];
    if (!st.isFile() || written === undefined) throw new UsageError(`${flag} ${file}: it is there and was not written by faultline; choose another path or move it away (--force never replaces a file faultline did not write)`);
    if (sha256(readFileSync(file)) !== written) throw new UsageError(`${flag} ${file}: it was changed since faultline wrote it; choose another path or move it away (--force never replaces a file faultline did not write)`);
    if (!opts.force) throw new UsageError(`${flag} ${file}: it exists (written by faultline); choose another path, or pass --force to replace it`);
  }
}

/**
 * Writes each file whole (atomically), listed first with its hash in its folder's marker, so that
 * a later `force` may replace it, unchanged, and nothing else (checkOutputFiles, checked again
 * here).
 */
export function writeOutputFiles(files: readonly OutputFile[], opts: OutputOptions): void {
  checkOutputFiles(files, opts);
  for (const file of files) {
    const dir = path.dirname(path.resolve(file.path));
    const name = path.basename(file.path);
    mkdirSync(dir, { recursive: true });
    const marker = readMarker(dir);
    writeMarker(dir, {
      tool: 'faultline',
      command: marker?.command ?? opts.command,
      entries: marker?.entries ?? [],
      bytes: marker?.bytes ?? {},
      files: { ...marker?.files, [name]: sha256(file.content) },
    });
    writeFileAtomic(file.path, file.content);
  }
}

/** Refuses a path whose folder cannot be made because a parent of it is a file. */
function checkParents(flag: string, file: string): void {
  for (let dir = path.dirname(path.resolve(file)); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    try {
      if (!statSync(dir).isDirectory()) throw new UsageError(`${flag} ${file}: a parent is a file, not a folder (${dir})`);
      return;
    } catch (err) {
      // Missing, or under a file: the file is further up.
      if (!['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
}

/**
 * Checks that `out` may be written, before any long work starts: the errors a user can fix come
 * first. Returns the entries of the previous faultline output there.
 */
export function checkOutputDir(out: string, opts: OutputOptions): { previous: string[]; foreign: string[] } {
  const target = path.resolve(out);
  for (const input of opts.inputs ?? []) {
    if (!input) continue;
    const rel = path.relative(target, path.resolve(input));
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) throw new UsageError(`--out ${out} holds the input ${input}: choose another folder`);
  }
  checkParents('--out', out);
  if (!existsSync(target)) return { previous: [], foreign: [] };
  if (!lstatSync(target).isDirectory()) throw new UsageError(`--out ${out} is a file, not a folder`);
  const marker = readMarker(target);
  const ours = new Set([...(marker?.entries ?? []), OUTPUT_MARKER]);
  const foreign = readdirSync(target).filter((n) => !ours.has(n) && !n.startsWith(STAGING_PREFIX));
  if (foreign.length && !opts.force) {
    // Files another command wrote by name (fit's twin) are kept as the user's are, but are not the user's.
    const named = foreign.filter((n) => marker?.files?.[n] !== undefined);
    const users = foreign.filter((n) => marker?.files?.[n] === undefined);
    const held = [...(users.length ? [`files faultline did not write (${firstNames(users, 5)})`] : []), ...(named.length ? [`files faultline wrote there by name (${firstNames(named, 5)}), which an output folder keeps`] : [])];
    throw new UsageError(`--out ${out} holds ${held.join(' and ')}; choose a new or empty folder, or pass --force to write beside them (they are kept)`);
  }
  return { previous: marker?.entries ?? [], foreign };
}

/**
 * Builds an output with `fill(stage)` in a staging folder inside `out` and publishes it (see the
 * module comment). On failure nothing of the new output is published and the old one is intact.
 */
export async function publishDir<T>(out: string, fill: (stage: string) => Promise<T>, opts: OutputOptions = { command: 'faultline' }): Promise<T> {
  const target = path.resolve(out);
  const { foreign } = checkOutputDir(out, opts);
  const created = !existsSync(target);
  mkdirSync(target, { recursive: true });
  cleanStaleStaging(target);
  const stage = path.join(target, `${STAGING_PREFIX}${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(stage);
  try {
    const result = await fill(stage);
    const entries = readdirSync(stage).filter((n) => n !== OUTPUT_MARKER).sort();
    const clash = entries.find((n) => foreign.includes(n));
    if (clash) throw new UsageError(`--out ${out}: ${clash} is there and was not written by faultline; move it away (--force never replaces a file faultline did not write)`);
    const last = new Set(opts.commitLast ?? []);
    const trash = path.join(stage, '.replaced');
    const bytes: Record<string, number> = {};
    for (const name of entries) {
      const st = lstatSync(path.join(stage, name));
      if (st.isFile()) bytes[name] = st.size;
    }
    // Read now: `fill` may have claimed entries.
    const previous = readMarker(target)?.entries ?? [];
    let renames = 0;
    for (const name of [...entries.filter((n) => !last.has(n)), '', ...entries.filter((n) => last.has(n))]) {
      crashPoint(++renames);
      if (name === '') {
        // What the previous output had and this one has not goes once the new entries are in
        // place, and before the marker stops listing it.
        for (const gone of previous) if (!entries.includes(gone)) rmSync(path.join(target, gone), { recursive: true, force: true });
        writeMarker(target, { tool: 'faultline', command: opts.command, entries, bytes, ...filesOf(readMarker(target)) });
        continue;
      }
      const dest = path.join(target, name);
      // A folder cannot be renamed over a non-empty one: the old (ours) moves into the stage first.
      if (existsSync(dest) && lstatSync(dest).isDirectory()) {
        mkdirSync(trash, { recursive: true });
        renameSync(dest, path.join(trash, name));
      }
      renameSync(path.join(stage, name), dest);
    }
    return result;
  } catch (err) {
    rmSync(stage, { recursive: true, force: true });
    // A folder this run created stays only if something is in it: a failed run writes nothing.
    if (created && readdirSync(target).length === 0) rmSync(target, { recursive: true, force: true });
    throw err;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

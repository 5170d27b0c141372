/**
 * Exit codes and the kinds of error behind them. An error a user can act on (a bad flag, a missing
 * or malformed file, a failing plugin) is a plain Error or a FaultlineError with a message that
 * names the file, the place and the problem: exit 2. Anything else (a TypeError, a library's
 * panic) is a bug of ours: exit 3, reported in one line with what faultline was doing, the stack
 * only with --debug.
 */
import { utf8 } from './bytes.js';

export const EXIT = {
  /** Done; every gate passed. */
  ok: 0,
  /** A gate failed (`--min-ac1`, `compare --fail-on-worse`). */
  gateFailed: 1,
  /** Usage or input error. */
  usage: 2,
  /** Internal error. */
  internal: 3,
} as const;

/** An error meant for the user: its message says what to fix. */
export class FaultlineError extends Error {
  override name = 'FaultlineError';
}

/** At most `n` characters of a text, on one line, for an error message. */
export function preview(text: string, n = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > n ? `${flat.slice(0, n)}... (${text.length} characters)` : flat;
}

/** The first `n` of `names` for a message, then how many more: one wording for every list a message cuts short. */
export function firstNames(names: readonly string[], n: number): string {
  return names.length > n ? `${names.slice(0, n).join(', ')} and ${names.length - n} more` : names.join(', ');
}

/** `preview` of the text in b[start, end), read as UTF-8. */
export function previewBytes(b: Uint8Array, start: number, end: number): string {
  return preview(utf8(b, start, end));
}

/** A problem with how a command was called. */
export class UsageError extends FaultlineError {
  override name = 'UsageError';
}

/** Whether an error is one of ours to fix rather than the user's (see the module comment). */
export function isInternalError(err: unknown): boolean {
  if (!(err instanceof Error)) return true;
  if (err instanceof FaultlineError) return false;
  // Node's system errors (ENOENT, EACCES, ENOSPC...) name the path: the user can act on them.
  if (typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).syscall) return false;
  return Object.getPrototypeOf(err) !== Error.prototype;
}

let activity = 'starting';

/** Says what faultline is doing now, for the one line an internal error prints. */
export function doing(what: string): void {
  activity = what;
}

export function currentActivity(): string {
  return activity;
}

/** A note kept with a run's results, said at once on stderr as a warning. */
export function warnNote(notes: string[], note: string): void {
  notes.push(note);
  warn(note);
}

/** A warning on stderr, as every command words one. */
export function warn(text: string): void {
  process.stderr.write(`faultline: warning: ${text}\n`);
}

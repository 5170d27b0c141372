/**
 * The facts of a run for summary.json and the report: which faultline (version, and git commit
 * when it runs from a checkout), when, the command line, the suite and seeds, and every method
 * with its effective options. The commit is read from .git's files (HEAD, the ref it names, or
 * packed-refs), never by spawning git.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Resolved } from '../common/plugin.js';
import { packageRoot } from '../common/package-root.js';
import type { MethodFacts, RunFacts } from './summary-schema.js';

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The commit checked out in the git repository at `root` (a worktree's .git file followed), or null. */
export function gitCommit(root: string): string | null {
  const dotGit = path.join(root, '.git');
  if (!existsSync(dotGit)) return null;
  let gitDir = dotGit;
  if (statSync(dotGit).isFile()) {
    const pointer = /^gitdir:\s*(.+)$/m.exec(readText(dotGit) ?? '');
    if (!pointer) return null;
    gitDir = path.resolve(root, pointer[1]!.trim());
  }
  const head = readText(path.join(gitDir, 'HEAD'))?.trim();
  if (!head) return null;
  if (/^[0-9a-f]{40}$/.test(head)) return head;
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
  if (!ref) return null;
  // A worktree keeps its refs in the repository's common folder.
  const common = readText(path.join(gitDir, 'commondir'))?.trim();
  const dirs = [gitDir, ...(common ? [path.resolve(gitDir, common)] : [])];
  for (const dir of dirs) {
    const loose = readText(path.join(dir, ref))?.trim();
    if (loose && /^[0-9a-f]{40}$/.test(loose)) return loose;
    for (const line of (readText(path.join(dir, 'packed-refs')) ?? '').split('\n')) {
      const [hash, name] = line.trim().split(/\s+/);
      if (name === ref && hash && /^[0-9a-f]{40}$/.test(hash)) return hash;
    }
  }
  return null;
}

export function faultlineVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** Options as JSON holds them: numbers that JSON cannot spell become strings ("Infinity"), functions and undefined are left out. */
function jsonOptions(options: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(options, (_k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof RegExp) return v.source;
      return v;
    }),
  ) as Record<string, unknown>;
}

/** The facts of resolved methods: name, spec, effective options, and whether the plugin is a reference floor. */
export function methodFacts(methods: { detectors: Resolved<unknown>[]; rca: Resolved<unknown>[] }): MethodFacts[] {
  const one = (kind: MethodFacts['kind'], m: Resolved<unknown>): MethodFacts => ({
    kind,
    name: m.name,
    spec: m.spec,
    options: jsonOptions(m.options),
    reference: m.plugin.reference === true,
  });
  return [...methods.detectors.map((m) => one('detector', m)), ...methods.rca.map((m) => one('rca', m))];
}

/** When the report is written: SOURCE_DATE_EPOCH (reproducible builds) when set, else now. */
function reportDate(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch.trim())) return new Date(Number(epoch) * 1000).toISOString();
  return new Date().toISOString();
}

/** A shell-readable command line: arguments with spaces or quotes are single-quoted. */
export function commandLine(args: readonly string[]): string {
  return ['faultline', ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function runFacts(input: { command?: readonly string[]; suite?: string | null; seeds?: number[] | null; methods: MethodFacts[] }): RunFacts {
  const root = packageRoot();
  return {
    faultline: faultlineVersion(),
    commit: gitCommit(root),
    date: reportDate(),
    command: input.command ? commandLine(input.command) : null,
    suite: input.suite ?? null,
    seeds: input.seeds ?? null,
    methods: input.methods,
  };
}

/**
 * The input fuzz suite: generated malformed and odd inputs for every format faultline reads
 * (tests/fuzz/cases.ts), each given to the command that reads it. Every case must end within the
 * time limit in exit 0 (only a case meant to be accepted), 1 or 2, never 3 (an internal error);
 * stderr holds no stack trace; a refusal names the file, and the place where the mutation has one.
 *
 * Every case runs through the CLI's own entry point (scripts/cli-run.ts: the same commands, flag
 * parsing and error-to-exit-code mapping) in this process, which keeps the suite fast; a seeded
 * sample of each format (and every case with FAULTLINE_FUZZ_CLI=all) also runs as a real
 * `faultline` process, killed past its time limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../scripts/cli-run.js';
import { fuzzCases, sampleCases, type Fixtures, type FuzzCase } from './cases.js';
import { rngFor, sample } from './mutate.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = path.join(ROOT, 'dist/cli/faultline.js');
/** Per case, in process; a real process gets more for its start-up on a loaded machine. */
const LIMIT_MS = 30_000;
const PROCESS_LIMIT_MS = 60_000;
/** Real processes: one refusal from each of this many formats (seeded), two at a time. */
const CLI_FORMATS = 12;
const ALL_THROUGH_CLI = process.env.FAULTLINE_FUZZ_CLI === 'all';
/** Cases run per format: a seeded sample by default; FAULTLINE_FUZZ_ALL=1 runs every generated case. */
const PER_FORMAT = process.env.FAULTLINE_FUZZ_ALL === '1' ? Infinity : 24;
let generated = 0;
/** With FAULTLINE_FUZZ_REPORT=<file>, each format's failing cases are appended there. */
const REPORT = process.env.FAULTLINE_FUZZ_REPORT;

const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\)|\(<anonymous>\))$/m;

let work: string;
let cases: FuzzCase[];
const CASE_SCENARIO = (root: string) => `extends: ${path.join(root, 'scenarios', 'fault-base.yaml')}
description: the fuzz suite's data set
duration: 12m
traffic: { scale: 0.0006, campaigns: [] }
faults:
  - { type: database-slow, target: { database: ledger-db }, start: 7m, duration: 3m, severity: 0.6 }
`;

/** Runs a command line in process from `cwd`: exit code, stdout and stderr. */
async function inProcess(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const out = { stdout: '', stderr: '' };
  const write = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (to: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      out[to] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  const here = process.cwd();
  const t0 = performance.now();
  process.exitCode = undefined;
  process.chdir(cwd);
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  let timer: NodeJS.Timeout | undefined;
  try {
    const code = await Promise.race([
      runCli(args),
      new Promise<number>((resolve) => {
        timer = setTimeout(() => resolve(-1), LIMIT_MS);
      }),
    ]);
    return { code, ...out, ms: performance.now() - t0 };
  } finally {
    clearTimeout(timer);
    process.stdout.write = write.stdout;
    process.stderr.write = write.stderr;
    process.chdir(here);
    process.exitCode = undefined;
  }
}

/** Runs `faultline` as a process from `cwd`, killed past the limit (code -1). */
function asProcess(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, FAULTLINE_QUIET: '1', CI: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROCESS_LIMIT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** Writes a case's files into a fresh folder. */
function materialise(c: FuzzCase, index: number): string {
  const dir = path.join(work, 'cases', String(index));
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [rel, content] of Object.entries(c.files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (Buffer.isBuffer(content)) fs.writeFileSync(p, content);
    else fs.copyFileSync(content.copy, p);
  }
  return dir;
}

/** What is wrong with a case's outcome, '' when nothing. */
function problem(c: FuzzCase, r: { code: number; stdout: string; stderr: string }): string {
  const first = r.stderr.trim().split('\n').slice(0, 3).join(' | ').slice(0, 400);
  if (r.code === -1) return 'did not finish within the time limit';
  if (r.code === 3) return `internal error: ${first}`;
  if (![0, 1, 2].includes(r.code)) return `exit ${r.code}: ${first}`;
  if (STACK_LINE.test(r.stderr)) return `a stack trace on stderr: ${first}`;
  if (c.expect === 'accept') {
    if (r.code !== 0) return `refused a valid input (exit ${r.code}): ${first}`;
    if (c.says && !c.says.test(r.stdout + r.stderr)) return `accepted without saying ${c.says}: ${first || '(stderr empty)'}`;
    return '';
  }
  if (r.code === 0) return 'accepted a malformed input (exit 0)';
  if (r.code !== 2) return `exit ${r.code}, not 2: ${first}`;
  if (!r.stderr.includes(c.file)) return `the message does not name ${c.file}: ${first}`;
  if (c.place && !c.place.test(r.stderr)) return `the message does not name the place ${c.place}: ${first}`;
  return '';
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-fuzz-'));
  const fx: Fixtures = { root: work, dataSet: path.join(work, 'dataset'), keyFile: path.join(work, 'key') };
  fs.writeFileSync(path.join(work, 'scenario.yaml'), CASE_SCENARIO(ROOT));
  const made = await inProcess(['generate', '--scenario', 'scenario.yaml', '--seed', '3', '--out', 'dataset'], work);
  expect(made.code, made.stderr).toBe(0);
  const key = await inProcess(['anonymise', '--new-key', 'key'], work);
  expect(key.code, key.stderr).toBe(0);
  const all = fuzzCases(fx, ROOT);
  generated = all.length;
  cases = PER_FORMAT === Infinity ? all : sampleCases(all, PER_FORMAT, 'fuzz-sample');
  fs.mkdirSync(path.join(work, 'cases'));
});
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const FORMATS = [
  'span CSV',
  'span CSV.gz',
  'OTLP JSON',
  'OTLP JSON lines',
  'Jaeger JSON',
  'Zipkin v2 JSON',
  'message-log CSV',
  'message-log JSON lines',
  'message-log Parquet',
  'Arrow data set',
  'truth.json',
  'series CSV folder',
  'NAB folder',
  'NAB windows JSON',
  'long KPI CSV',
  'metric CSV',
  'log CSV',
  'incidents JSON',
  'incidents CSV',
  'incidents Nezha fault_list',
  'scenario YAML',
  'suite YAML',
  'tree rules YAML',
  'NAB thresholds JSON',
  'plugin spec',
];

describe('every input format, malformed', () => {
  it('has at least 20 cases per format, each meant to be accepted or refused', () => {
    const counts = new Map<string, number>();
    for (const c of cases) counts.set(c.format, (counts.get(c.format) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([...FORMATS].sort());
    for (const f of FORMATS) expect(counts.get(f), f).toBeGreaterThanOrEqual(20);
    if (REPORT) fs.appendFileSync(REPORT, `${generated} cases generated, ${cases.length} run\n`);
    expect(cases.filter((c) => c.expect === 'accept').length).toBeGreaterThan(100);
    expect(generated).toBeGreaterThan(1000);
  });

  it.each(FORMATS)('%s: through the CLI entry point, in process', async (format) => {
    const failures: string[] = [];
    for (const [i, c] of cases.entries()) {
      if (c.format !== format) continue;
      const r = await inProcess(c.args, materialise(c, i));
      const p = problem(c, r);
      if (p) failures.push(`${c.name}: ${p}`);
      fs.rmSync(path.join(work, 'cases', String(i)), { recursive: true, force: true });
    }
    if (REPORT && failures.length) fs.appendFileSync(REPORT, `## ${format}\n${failures.join('\n')}\n`);
    expect(failures, `${failures.length} cases of ${format}:\n${failures.join('\n')}`).toEqual([]);
  });

  it('a sample of every format as a real faultline process', { timeout: 600_000 }, async () => {
    const rng = rngFor('cli-sample');
    const chosen = ALL_THROUGH_CLI
      ? cases.map((_, i) => i)
      : sample(rng, FORMATS, CLI_FORMATS).flatMap((f) => sample(rng, [...cases.keys()].filter((i) => cases[i]!.format === f && cases[i]!.expect === 'reject'), 1));
    const failures: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < chosen.length) {
        const i = chosen[next++]!;
        const c = cases[i]!;
        const r = await asProcess(c.args, materialise(c, i));
        const p = problem(c, r);
        if (p) failures.push(`${c.format}: ${c.name}: ${p}`);
      }
    };
    await Promise.all([lane(), lane()]);
    expect(failures, failures.join('\n')).toEqual([]);
  });
});

/**
 * Killed runs: a command killed at each rename of its publish, and at random moments, never leaves
 * the output folder missing, never leaves a mix that looks whole, and the next run into the same
 * place cleans up and gives the same output as an undisturbed run. Needs dist/ (`npm test` builds).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isWholeOutput, OUTPUT_MARKER } from '../../common/output-dir.js';

const CLI = fileURLToPath(new URL('../../dist/cli/faultline.js', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-crash-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const series = path.join(tmp, 'kpis.csv');
{
  const rows = ['series,timestamp,value'];
  for (let s = 0; s < 4; s++) for (let i = 0; i < 2000; i++) rows.push(`service:s${s}:volume,${1_700_000_000 + i * 60},${100 + ((i * (s + 3)) % 11) + (i === 1500 ? 80 : 0)}`);
  writeFileSync(series, rows.join('\n') + '\n');
}
const detect = (out: string, detectors: string) => ['detect', '--series', series, '--detectors', detectors, '--out', out];
const env = (extra: Record<string, string> = {}) => ({ ...process.env, FAULTLINE_QUIET: '1', ...extra });
const run = (args: string[], extra: Record<string, string> = {}) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: env(extra) });
const files = (dir: string) => Object.fromEntries(readdirSync(dir).filter((n) => !n.startsWith('.')).sort().map((n) => [n, readFileSync(path.join(dir, n), 'utf8')]));

describe('a killed run', () => {
  const clean = path.join(tmp, 'clean');
  it('gives the reference output undisturbed', () => {
    expect(run(detect(clean, 'ksigma,mad')).status).toBe(0);
    expect(isWholeOutput(clean)).toBe(true);
  });

  it.each([1, 2, 3])('killed before rename %i of its publish: the folder stays, is not taken for whole, and the next run repairs it', (n) => {
    const out = path.join(tmp, `at-${n}`);
    expect(run(detect(out, 'ksigma')).status).toBe(0); // an earlier output to replace
    const old = files(out);
    const killed = run(detect(out, 'ksigma,mad'), { FAULTLINE_CRASH_BEFORE_RENAME: String(n) });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(out)).toBe(true);
    const now = files(out);
    if (n === 1) expect(now).toEqual(old); // nothing renamed yet: the old output, whole
    else expect(isWholeOutput(out)).toBe(false); // a mix: refused as incomplete
    expect(readdirSync(out).some((e) => e.startsWith('.faultline-tmp-'))).toBe(true);
    const again = run(detect(out, 'ksigma,mad'));
    expect(again.status, again.stderr).toBe(0);
    expect(files(out)).toEqual(files(clean));
    expect(readdirSync(out).filter((e) => e.startsWith('.faultline-tmp-'))).toEqual([]);
    expect(isWholeOutput(out)).toBe(true);
  });

  it('killed at random moments, then rerun: the same output as undisturbed, nothing left behind', async () => {
    const out = path.join(tmp, 'random');
    for (const delayMs of [150, 400, 700, 1000, 1400]) {
      const child = spawn(process.execPath, [CLI, ...detect(out, 'ksigma,mad')], { env: env(), stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      // On an idle machine the run may have ended before the kill: its exit was already emitted.
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.on('exit', r));
      if (existsSync(out)) expect(readdirSync(out).every((e) => e === OUTPUT_MARKER || e.startsWith('.faultline-tmp-') || ['alarms.csv', 'metrics.json'].includes(e))).toBe(true);
    }
    expect(run(detect(out, 'ksigma,mad')).status).toBe(0);
    expect(files(out)).toEqual(files(clean));
    expect(readdirSync(out).filter((e) => e.startsWith('.faultline-tmp-'))).toEqual([]);
  });
});

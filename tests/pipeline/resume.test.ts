/**
 * Resumable shards, with real kills: the CLI runs a shard and is sent SIGKILL at seeded random
 * moments and right after an item file appears, then restarted until it finishes. The killed
 * shard merged with the other gives what one unkilled run gives, measured times aside. Needs the
 * compiled code (dist/): `npm test` builds first.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { OUTPUT_MARKER } from '../../common/output-dir.js';
import { ITEMS_DIR } from '../../pipeline/item-store.js';
import { run } from '../../pipeline/run.js';
import { merge } from '../../reports/merge.js';
import { stream } from '../../sim/rng.js';
import { deterministicFile } from '../measured.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SUITE = fileURLToPath(new URL('./suites/kill.yaml', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-resume-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Fields that carry measured wall-clock time. */

const itemFiles = (out: string) => (existsSync(path.join(out, ITEMS_DIR)) ? readdirSync(path.join(out, ITEMS_DIR)).filter((n) => !n.startsWith('.') && n !== 'run.json') : []);

interface Attempt {
  exit: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the shard's CLI; `killWhen` resolves when to send SIGKILL (or never). */
function attempt(out: string, killWhen: (child: { exited: boolean }) => Promise<void>): Promise<Attempt> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/cli/faultline.js'), 'run', '--suite', SUITE, '--shard', '1/2', '--workers', '1', '--out', out], {
    env: { ...process.env, CI: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const state = { exited: false };
  const done = new Promise<Attempt>((resolve) => child.on('exit', (exit, signal) => {
    state.exited = true;
    resolve({ exit, signal, stderr });
  }));
  void killWhen(state).then(() => state.exited || child.kill('SIGKILL'));
  return done;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves as soon as the shard's output holds more finished items than `before` (polled every 5 ms). */
async function nextItemFile(out: string, before: number, state: { exited: boolean }): Promise<void> {
  while (!state.exited && itemFiles(out).length <= before) await sleep(5);
}

describe('a shard killed at any moment', () => {
  it('resumes where it stopped and merges to the unkilled result', async () => {
    const whole = path.join(tmp, 'whole');
    const other = path.join(tmp, 'shard-2');
    const killed = path.join(tmp, 'shard-1');
    await Promise.all([
      run({ suite: SUITE, out: whole, workers: 1, progress: false }),
      run({ suite: SUITE, out: other, shard: '2/2', workers: 1, progress: false }),
    ]);

    // Random kill moments fall in the first 10-40% of an unkilled attempt's time, timed here: a
    // restart with one of its three items left still runs past them, however fast the machine.
    const t0 = performance.now();
    const unkilled = await attempt(path.join(tmp, 'timing'), () => new Promise(() => {}));
    expect(unkilled.exit, unkilled.stderr).toBe(0);
    const attemptMs = performance.now() - t0;
    const rng = stream(16, 'kill-moments');
    const plan: ('random' | 'after-item')[] = ['random', 'after-item', 'random', 'after-item', 'random'];
    const log: string[] = [];
    for (const kind of plan) {
      const before = itemFiles(killed).length;
      const delay = Math.round(attemptMs * (0.1 + 0.3 * rng()));
      const a = await attempt(killed, (state) => (kind === 'random' ? sleep(delay) : nextItemFile(killed, before, state)));
      log.push(`${kind}${kind === 'random' ? ` ${delay} ms` : ''}: ${a.signal ?? `exit ${a.exit}`}, ${itemFiles(killed).length} items done`);
      if (a.signal === null) {
        expect(a.exit, a.stderr).toBe(0);
        break;
      }
      // What a kill leaves: whole item files only, each this run's.
      for (const name of itemFiles(killed)) expect(JSON.parse(readFileSync(path.join(killed, ITEMS_DIR, name), 'utf8')).key).toMatch(/^twin\/small-bank\.yaml\[severity=/);
      if (kind === 'after-item') expect(itemFiles(killed).length).toBe(before + 1);
    }
    const left = itemFiles(killed).length;
    const last = await attempt(killed, () => new Promise(() => {}));
    expect(last.exit, `${log.join('\n')}\n${last.stderr}`).toBe(0);
    if (left > 0) expect(last.stderr).toContain(`resuming: ${left} of 3 items are done in ${path.join(killed, ITEMS_DIR)}; evaluating the other ${3 - left}`);
    expect(log.filter((l) => l.includes('SIGKILL')).length, log.join('\n')).toBeGreaterThanOrEqual(3);
    // Finished: the items are in partial.json, the items folder and staging are gone.
    expect(readdirSync(killed).sort()).toEqual([OUTPUT_MARKER, 'partial.json']);

    const merged = path.join(tmp, 'merged');
    await merge({ inputs: [killed, other], out: merged });
    expect(deterministicFile(path.join(merged, 'results.json'))).toEqual(deterministicFile(path.join(whole, 'results.json')));
    expect(deterministicFile(path.join(merged, 'summary.json'))).toEqual(deterministicFile(path.join(whole, 'summary.json')));
  }, 300_000);
});

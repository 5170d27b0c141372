/**
 * End to end on a tiny suite: a run through the worker pool, the same sweep as two shards merged,
 * and the CLI's exit codes. Needs the compiled code (dist/): `npm test` builds first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { merge } from '../../reports/merge.js';
import { run } from '../../pipeline/run.js';
import { SummarySchema } from '../../reports/summary-schema.js';
import { withoutMeasured } from '../measured.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SUITE = fileURLToPath(new URL('./suites/tiny.yaml', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-run-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


function cli(...args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/faultline.js'), ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
}

describe('faultline run', () => {
  let whole: Awaited<ReturnType<typeof run>>;

  it('runs the suite over a worker pool and writes the report files', async () => {
    whole = await run({ suite: SUITE, out: path.join(tmp, 'whole'), workers: 2, progress: false });
    for (const f of ['report.html', 'summary.json', 'junit.xml', 'results.json']) expect(existsSync(path.join(tmp, 'whole', f))).toBe(true);
    const summary = SummarySchema.parse(JSON.parse(readFileSync(path.join(tmp, 'whole', 'summary.json'), 'utf8')));
    expect(summary.items.map((i) => i.key)).toEqual(['faults/bad-release@3', 'faults/database-slow@3']);
    expect(summary.rca.map((a) => a.name)).toEqual(['count', 'ochiai']);
    expect((summary.rca[0] as Record<string, unknown>).incidents).toBeGreaterThanOrEqual(2);
    expect(summary.mttr.pairings).toHaveLength(2);
    expect((summary.detectors[0] as Record<string, unknown>).faults).toBeGreaterThan(0);
    expect(readdirSync(tmp)).toEqual(['whole']); // no temporary directory left behind
  });

  it('gives the same summary from two shards merged, evaluated in this thread', async () => {
    const a = await run({ suite: SUITE, out: path.join(tmp, 's1'), shard: '1/2', workers: 1, progress: false });
    const b = await run({ suite: SUITE, out: path.join(tmp, 's2'), shard: '2/2', workers: 1, progress: false });
    expect(a.partial && b.partial).toBe(true);
    expect(readdirSync(path.join(tmp, 's1')).sort()).toEqual(['.faultline-output.json', 'partial.json']);
    const merged = await merge({ inputs: [path.join(tmp, 's2'), path.join(tmp, 's1')], out: path.join(tmp, 'merged') });
    expect(withoutMeasured(merged.summary)).toEqual(withoutMeasured(whole.summary));
    const read = (d: string) => withoutMeasured(JSON.parse(readFileSync(path.join(tmp, d, 'summary.json'), 'utf8')));
    expect(read('merged')).toEqual(read('whole'));
  });

  it('exits 1 with the reason when the gate fails, 2 on a usage error', () => {
    const failed = cli('run', '--suite', SUITE, '--shard', '3/2');
    expect(failed.status).toBe(2);
    expect(failed.stderr).toMatch(/--shard must be i\/n/);
    const nobody = fileURLToPath(new URL('./plugins/nobody-rca.mjs', import.meta.url));
    const r = cli('run', '--suite', SUITE, '--rca', nobody, '--out', path.join(tmp, 'gate'), '--min-ac1', '0.5');
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('AC@1 gate failed: best RCA method nobody has AC@1 0.000 < required 0.500');
    expect(JSON.parse(readFileSync(path.join(tmp, 'gate', 'summary.json'), 'utf8')).gate.passed).toBe(false);
  });
});

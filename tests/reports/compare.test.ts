/**
 * `compare`: paired tests over the units two runs share (read from results.json), the untested
 * fallback without it, and the CLI's gate (--fail-on-worse, --gate) with its reason on stderr.
 * The CLI cases need the compiled code (dist/): `npm test` builds first.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRunFigures, compareSummaries, formatComparison, parseGateFigures, readRun, type ComparisonRow } from '../../reports/compare.js';
import { writeResultsFile, type RunConfig } from '../../reports/results-file.js';
import { summarize } from '../../reports/summarize.js';
import { writeReport } from '../../reports/write.js';
import { DEFAULT_MTTR_MODEL } from '../../scores/mttr.js';
import type { ItemResult } from '../../scores/item-result.js';
import { sampleResults } from './fixtures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-compare-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** n copies of the sample items under distinct keys: enough incidents for a test to separate methods. */
function copies(n: number, change?: (items: ItemResult[]) => void): ItemResult[] {
  const items = Array.from({ length: n }, (_, k) => sampleResults().map((r) => ({ ...r, key: `${r.key}#${k}` }))).flat();
  change?.(items);
  return items;
}

/** beta finds every cause first, at the same compute cost. */
const betaPerfect = (items: ItemResult[]) => {
  for (const item of items) for (const inc of item.rca.find((r) => r.name === 'beta')!.incidents) inc.rank = 1;
};

async function writeRun(name: string, items: ItemResult[]): Promise<string> {
  const dir = path.join(tmp, name);
  await writeReport(items, dir);
  const config: RunConfig = {
    suite: 'test', title: 'test', scenarios: [], seeds: [1, 2], duration: null, trafficScale: null,
    detectors: ['ksigma', 'spot'], rca: ['alpha', 'beta'], mttr: DEFAULT_MTTR_MODEL, minAc1: null, sweep: items.map((i) => i.key).sort(),
  };
  writeResultsFile(dir, { schema: 'faultline/results', version: 1, config, shard: null, items });
  return dir;
}

const row = (rows: ComparisonRow[], section: string, subject: string, metric: string) => rows.find((r) => r.section === section && r.subject === subject && r.metric === metric)!;

describe('compare with paired tests', () => {
  let before: string;
  let after: string;
  let small: [string, string];

  beforeAll(async () => {
    before = await writeRun('before', copies(30));
    after = await writeRun('after', copies(30, betaPerfect));
    small = [await writeRun('small-before', copies(1)), await writeRun('small-after', copies(1, betaPerfect))];
  });

  it('calls a difference better or worse only when the paired test finds it, and says which test', async () => {
    const c = compareRunFigures(await readRun(before), await readRun(after));
    expect(c.paired).toBe(true);
    expect(c.notes).toEqual([]);
    // beta: 30 + 60 incidents it missed at rank 1 now hit; none lost.
    expect(row(c.rows, 'rca', 'beta', 'ac1')).toMatchObject({ verdict: 'better', test: 'McNemar exact', shared: 90, units: 'incidents', a: 1 / 3, b: 1 });
    expect(row(c.rows, 'rca', 'beta', 'ac1').pValue).toBeLessThan(1e-15);
    expect(row(c.rows, 'rca', 'beta', 'mrr')).toMatchObject({ verdict: 'better', test: 'paired bootstrap', shared: 90 });
    expect(row(c.rows, 'rca', 'alpha', 'ac1').verdict).toBe('same');
    expect(row(c.rows, 'pairing', 'ksigma + beta', 'mttrMs')).toMatchObject({ verdict: 'better', test: 'paired bootstrap', units: 'faults', shared: 60 });
    const back = compareRunFigures(await readRun(after), await readRun(before));
    expect(row(back.rows, 'rca', 'beta', 'ac1').verdict).toBe('worse');
    expect(row(back.rows, 'pairing', 'ksigma + beta', 'mttrMs').verdict).toBe('worse');
    expect(formatComparison(c)).toMatch(/^Paired tests over the units both runs share/);
    expect(formatComparison(c)).toMatch(/rca\s+beta\s+ac1\s+0\.3333\s+1\.0000\s+\+0\.6667\s+better\s+McNemar p<0\.001 n=90/);
  });

  it('calls a difference on three incidents within noise', async () => {
    const c = compareRunFigures(await readRun(small[0]), await readRun(small[1]));
    // Two incidents where only B hits: McNemar p = 2 x 1/4 = 0.5.
    expect(row(c.rows, 'rca', 'beta', 'ac1')).toMatchObject({ verdict: 'within noise', test: 'McNemar exact', pValue: 0.5, shared: 3 });
  });

  it('falls back to point figures without results.json, and says so', async () => {
    const bare = path.join(tmp, 'bare');
    mkdirSync(bare);
    copyFileSync(path.join(before, 'summary.json'), path.join(bare, 'summary.json'));
    const c = compareRunFigures(await readRun(bare), await readRun(after));
    expect(c.paired).toBe(false);
    expect(c.notes).toEqual([`no results.json beside ${bare}: point figures only, differences untested`]);
    expect(row(c.rows, 'rca', 'beta', 'ac1')).toMatchObject({ verdict: 'better (untested)' });
    expect(row(c.rows, 'rca', 'beta', 'ac1').test).toBeUndefined();
    expect(formatComparison(c)).toMatch(/^POINT FIGURES ONLY: no results\.json beside/);
  });

  it('counts compute-time noise inside MTTR as the same, and reports subjects of one run only', () => {
    const noisy = sampleResults();
    for (const item of noisy) for (const alg of item.rca) for (const inc of alg.incidents) inc.computeMs += 7;
    const rows = compareSummaries(summarize(sampleResults()), summarize(noisy));
    expect(rows.filter((r) => r.section === 'pairing').every((r) => r.verdict === 'same')).toBe(true);
    expect(compareSummaries(summarize(sampleResults()), summarize(noisy), { tolerance: 0 }).some((r) => r.verdict === 'worse (untested)')).toBe(true);
    const fewer = sampleResults().map((r) => ({ ...r, rca: r.rca.filter((x) => x.name === 'alpha') }));
    expect(compareSummaries(summarize(sampleResults()), summarize(fewer)).filter((r) => r.subject === 'beta').every((r) => r.verdict === 'only in A')).toBe(true);
  });

  it('parses --gate figures by key or label', () => {
    expect([...parseGateFigures('ac1, MTTR,PA-F1')]).toEqual(['ac1', 'mttrMs', 'pointAdjustedF1']);
    expect(() => parseGateFigures('ac1,speed')).toThrow(/--gate: "speed" is not a compared figure \(use one of .*ac1.*mttrMs/);
  });

  describe('CLI', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/faultline.js'), 'compare', ...args], { encoding: 'utf8' });

    it('--fail-on-worse exits 1 with the reason and the test on stderr, 0 when nothing got worse', () => {
      const ok = cli(before, after, '--fail-on-worse');
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stderr).toContain('faultline compare: gate passed: nothing got worse (every compared figure)');
      const bad = cli(after, before, '--fail-on-worse');
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('faultline compare: B is worse than A on');
      expect(bad.stderr).toMatch(/rca beta AC@1: 1\.0000 -> 0\.3333 \(McNemar exact, p<0\.001, 90 shared incidents\)/);
    });

    it('--gate restricts the gate to the chosen figures', () => {
      const mttr = cli(after, before, '--gate', 'mttr');
      expect(mttr.status).toBe(1);
      expect(mttr.stderr).toMatch(/on \d+ gated figure\(s\) \(mttrMs\)/);
      expect(mttr.stderr).not.toContain('AC@1');
    });

    it('without results.json, gates on the untested point figures and says so', () => {
      const bare = path.join(tmp, 'bare-after');
      mkdirSync(bare);
      copyFileSync(path.join(after, 'summary.json'), path.join(bare, 'summary.json'));
      const r = cli(bare, before, '--gate', 'ac1');
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/^POINT FIGURES ONLY/);
      expect(r.stderr).toContain(`faultline compare: no results.json beside ${bare}: point figures only, differences untested`);
      expect(r.stderr).toContain('(untested: no paired data)');
    });
  });
});

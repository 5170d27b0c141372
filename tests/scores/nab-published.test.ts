/**
 * NAB's own published results (shared/data/nab-results: numenta/NAB at ea702d75): `faultline score`
 * on the anomaly_score columns, NAB's windows and NAB's thresholds.json must give NAB's scoreboard
 * (final_results.json) within 0.5 points per profile; NAB's optimiser (the oracle) must reach at
 * least the published score. Skips loudly without the shared data (FAULTLINE_SHARED_DATA overrides).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { scoreFromFiles } from '../../pipeline/score.js';
import { NAB_PROFILE_NAMES, NAB_PUBLISHED_PROFILE } from '../../scores/detection/nab.js';

const __dirname = path.dirname(fileURLToPath(import.meta.url));
const DATA = process.env.FAULTLINE_SHARED_DATA ?? path.resolve(__dirname, '../../../shared/data');
const NAB = path.join(DATA, 'nab');
const RESULTS = path.join(DATA, 'nab-results');
const HAVE_DATA = fs.existsSync(path.join(NAB, 'labels')) && fs.existsSync(path.join(RESULTS, 'final_results.json'));
if (!HAVE_DATA && !process.env.CI) console.warn(`NAB scoreboard test SKIPPED: no NAB data or results under ${DATA} (set FAULTLINE_SHARED_DATA)`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-nab-score-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!HAVE_DATA && !process.env.CI)("NAB's published scoreboard", () => {
  it('is reproduced from the published per-point scores and thresholds, and the optimiser reaches it', async () => {
    const published = JSON.parse(fs.readFileSync(path.join(RESULTS, 'final_results.json'), 'utf8')) as Record<string, Record<string, number>>;
    const { metrics } = await scoreFromFiles({ series: NAB, scores: RESULTS, nabThresholds: path.join(RESULTS, 'thresholds.json'), sources: ['oracle'], out: path.join(tmp, 'out') });
    expect(Object.keys(metrics.detectors).sort()).toEqual(Object.keys(published).sort());
    for (const [detector, d] of Object.entries(metrics.detectors)) {
      for (const p of NAB_PROFILE_NAMES) {
        const want = published[detector][NAB_PUBLISHED_PROFILE[p]];
        expect(Math.abs(d.overall.given!.nab[p] - want), `${detector} ${p}: ${d.overall.given!.nab[p]} vs published ${want}`).toBeLessThan(0.5);
        expect(d.overall.oracle!.nab[p]).toBeGreaterThan(want - 0.5);
      }
    }
  }, 120_000);
});

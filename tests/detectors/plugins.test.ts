import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDetector } from '../../detectors/registry.js';
import { runDetector } from '../../detectors/evaluate.js';
import type { Series } from '../../data/types.js';
import { baseSeries, inject } from './synthetic.js';

const EXAMPLES = join(import.meta.dirname, '../../detectors/examples');
const series = (): Series => {
  const s = inject(baseSeries('plug', { days: 1 }), 'spike', 1000, 40);
  s.values[1100] = NaN; // travels as null and comes back as NaN
  return s;
};
const trainUntil = baseSeries('plug', { days: 1 }).timestamps[300];

describe('JS module plugin', () => {
  it('loads the example by path and finds the spike', async () => {
    const f = await resolveDetector(join(EXAMPLES, 'last-value-detector.js'));
    expect(f.name).toBe('js-step');
    const [d] = await runDetector(f, [series()], { trainUntil });
    expect(d.alarms[1000]).toBe(1);
    expect(d.alarms.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4);
  });
  it('rejects a module without a detector export, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-plugin-'));
    const file = join(dir, 'empty.mjs');
    writeFileSync(file, 'export const x = 1;\n');
    await expect(resolveDetector(file)).rejects.toThrow(/empty\.mjs: exports no detector/);
  });
});

describe('subprocess plugin (Python example)', () => {
  it('runs over the JSON-lines protocol via cmd: and finds the spike', async () => {
    const f = await resolveDetector(`cmd:python3 ${join(EXAMPLES, 'zscore_detector.py')}`);
    const s = series();
    const [d] = await runDetector(f, [s], { trainUntil });
    expect(d.scores.length).toBe(s.values.length);
    expect(d.alarms[1000]).toBe(1);
    expect(d.scores[1100]).toBeNaN();
    expect(d.threshold).toBeGreaterThanOrEqual(3);
    // The same z-score computed here: the protocol must carry values and scores without loss.
    const train = Array.from(s.values.subarray(0, 300));
    const mean = train.reduce((a, b) => a + b, 0) / train.length;
    const std = Math.sqrt(train.reduce((a, b) => a + (b - mean) ** 2, 0) / (train.length - 1));
    expect(d.scores[1000]).toBeCloseTo(Math.abs(s.values[1000] - mean) / std, 9);
  });
  it('reads a .json spec (cwd = the spec folder) and runs several series, one process each', async () => {
    const f = await resolveDetector(join(EXAMPLES, 'zscore_detector.json'));
    expect(f.name).toBe('py-zscore');
    const ds = await runDetector(f, [series(), { ...series(), id: 'other' }], { trainUntil });
    expect(ds.map((d) => d.alarms[1000])).toEqual([1, 1]);
  });
  it("surfaces the plugin's error message", async () => {
    const f = await resolveDetector(`cmd:python3 ${join(EXAMPLES, 'zscore_detector.py')}`);
    // No training points: detect comes before any fit, which this plugin refuses.
    await expect(runDetector(f, [series()], { trainUntil: 0 })).rejects.toThrow(/detect before fit/);
  });
  it('reports a command that cannot start', async () => {
    const f = await resolveDetector('cmd:./no-such-detector-binary');
    await expect(runDetector(f, [series()], { trainUntil })).rejects.toThrow(/could not start|exited early/);
  });
});

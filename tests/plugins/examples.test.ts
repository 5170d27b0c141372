/** The worked plugin examples (docs/plugins.md), run as users run them: JS modules and Python subprocesses. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveDetector } from '../../detectors/registry.js';
import { runDetector } from '../../detectors/evaluate.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';
import { rankIncidents } from '../../rca/evaluate.js';
import { LOG_LEVEL, type LogTable, type Series } from '../../data/types.js';
import { baseSeries, inject } from '../detectors/synthetic.js';
import { plantedSpans } from '../rca/scenario.js';

const DETECTORS = resolve('detectors/examples');
const RCA = resolve('rca/examples');
const series = (id = 'plug'): Series => {
  const s = inject(baseSeries('plug', { days: 1 }), 'spike', 1000, 40);
  s.id = id;
  s.values[1100] = NaN; // travels as null and comes back as NaN
  return s;
};
const trainUntil = baseSeries('plug', { days: 1 }).timestamps[300];

describe('JS module detector (last-value-detector.js)', () => {
  it('loads the example by path and finds the spike', async () => {
    const f = await resolveDetector(join(DETECTORS, 'last-value-detector.js'));
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

describe('subprocess detector (zscore_detector.py)', () => {
  it('speaks protocol 2 over cmd: and computes the z-score exactly', async () => {
    const f = await resolveDetector(`cmd:python3 ${join(DETECTORS, 'zscore_detector.py')}`);
    try {
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
    } finally {
      await f.close();
    }
  });
  it('gives the same detections over protocol 1 (one process per series) as over protocol 2 (one per run)', async () => {
    const input = [series('a'), series('b'), { ...series('c'), values: series().values.map((v) => v * 2) }];
    const run = async (spec: string) => {
      const f = await resolveDetector(spec);
      try {
        return await runDetector(f, input, { trainUntil });
      } finally {
        await f.close();
      }
    };
    const v2 = await run(`cmd:python3 ${join(DETECTORS, 'zscore_detector.py')}`);
    const v1 = await run(`cmd:python3 ${join(DETECTORS, 'zscore_detector.py')} --protocol 1`);
    expect(v2.map((d) => d.alarms[1000])).toEqual([1, 1, 1]);
    expect(v1).toEqual(v2);
  });
  it('reads a .json spec (cwd = the spec folder)', async () => {
    const f = await resolveDetector(join(DETECTORS, 'zscore_detector.json'));
    expect(f.name).toBe('py-zscore');
    try {
      const ds = await runDetector(f, [series(), series('other')], { trainUntil });
      expect(ds.map((d) => d.alarms[1000])).toEqual([1, 1]);
    } finally {
      await f.close();
    }
  });
  it("surfaces the plugin's own error, naming the plugin and the series", async () => {
    const f = await resolveDetector(`cmd:python3 ${join(DETECTORS, 'zscore_detector.py')}`);
    // No training points: detect comes before any fit, which this plugin refuses.
    await expect(runDetector(f, [series('lonely')], { trainUntil: 0 }).finally(() => f.close())).rejects.toThrow(
      /^detector cmd:python3 \S+zscore_detector\.py: series lonely: reported an error: series lonely: detect before fit/,
    );
  });
});

/** Log lines per service: `errors` of them at error level in `service`, the rest info. */
function logTable(start: number, lines: Array<[service: string, level: number]>): LogTable {
  const strings = [...new Set(lines.map(([s]) => s))];
  return {
    length: lines.length,
    strings,
    time: Float64Array.from(lines, (_, i) => start + i),
    service: Int32Array.from(lines, ([s]) => strings.indexOf(s)),
    instance: Int32Array.from(lines, ([s]) => strings.indexOf(s)),
    traceId: new Int32Array(lines.length).fill(-1),
    spanId: new Int32Array(lines.length).fill(-1),
    level: Uint8Array.from(lines, ([, l]) => l),
    template: new Int32Array(lines.length),
    templates: ['request <*> done'],
  };
}

describe('RCA plugins', () => {
  it('runs the module example (slowest-service.mjs)', async () => {
    const { spans, incident } = await plantedSpans({ service: 'ledger', kind: 'error' }, 12, 8);
    const mod = await resolveRcaAlgorithm(join(RCA, 'slowest-service.mjs'));
    expect(mod.name).toBe('slowest-service');
    const [m] = await rankIncidents(mod, spans, [incident]);
    expect(m.candidates.length).toBeGreaterThan(3);
  });
  it('runs the Python example over protocol 2', async () => {
    const { spans, incident } = await plantedSpans({ service: 'ledger', kind: 'error' }, 12, 8);
    const sub = await resolveRcaAlgorithm(`cmd:python3 ${join(RCA, 'rca_plugin.py')}`);
    try {
      const [p] = await rankIncidents(sub, spans, [incident]);
      expect(p.candidates[0]).toMatchObject({ service: 'ledger' });
      expect(p.candidates[0].explanation).toMatch(/calls failed/);
      expect(p.candidates[0].explanation).not.toMatch(/error log share/);
    } finally {
      await sub.close();
    }
  });
  it('hands the Python example the incident logs and baseline logs, and it reads them', async () => {
    const { spans, incident } = await plantedSpans({ service: 'ledger', kind: 'slow' }, 12, 8);
    const sub = await resolveRcaAlgorithm(`cmd:python3 ${join(RCA, 'rca_plugin.py')}`);
    const algorithm = sub.create();
    try {
      const window = { id: incident.id, start: incident.start, end: incident.end };
      const quiet = logTable(incident.start, [['risk', LOG_LEVEL.info], ['ledger', LOG_LEVEL.info], ['cache', LOG_LEVEL.info]]);
      const noisy = logTable(incident.start, [['risk', LOG_LEVEL.error], ['risk', LOG_LEVEL.fatal], ['ledger', LOG_LEVEL.info]]);
      const input = { incident: window, spans, baseline: spans };
      const withLogs = await algorithm.rank({ ...input, logs: noisy, baselineLogs: quiet });
      const risk = withLogs.find((c) => c.service === 'risk')!;
      expect(risk.explanation).toMatch(/error log share 100%/);
      const without = await algorithm.rank(input);
      // The error lines raise risk's score by 0.1 x the rise in its error-line share (from 0 to 1).
      expect(risk.score - without.find((c) => c.service === 'risk')!.score).toBeCloseTo(0.1, 12);
    } finally {
      await algorithm.close?.();
      await sub.close();
    }
  });
  it('reports a subprocess that exits at once, with its exit code', async () => {
    const { spans, incident } = await plantedSpans({ service: 'ledger', kind: 'error' }, 12, 8);
    const bad = await resolveRcaAlgorithm('cmd:node -e "process.exit(3)"');
    const [r] = await rankIncidents(bad, spans, [incident, { ...incident, id: 'later' }]);
    // The run's first request is the reference data (fit): that is where it fails, and the rest are not asked.
    expect(r!.failure).toMatch(/^RCA method cmd:node -e "process.exit\(3\)": reference data: exited with code 3 before answering "hello"/);
    const ranked = await rankIncidents(bad, spans, [incident, { ...incident, id: 'later' }]);
    expect(ranked[1]).toMatchObject({ rank: 0, failure: 'not ranked: cmd:node -e "process.exit(3)" failed on the reference data' });
  });
});

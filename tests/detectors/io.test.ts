import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seriesFromKpis } from '../../data/kpi-series.js';
import { incidentsFromTruth } from '../../data/incidents.js';
import { detect } from '../../pipeline/detect.js';
import { writeKpis } from '../../sim/message-writer.js';
import type { KpiTable, Truth } from '../../sim/formats.js';
import { MINUTE, T0, baseSeries, inject } from './synthetic.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'fl-detect-'));

describe('series from kpis.arrow', () => {
  const dict = (values: string[], codes: number[]) => ({ values, codes: Int32Array.from(codes) });
  // Two services x 3 minutes, rows deliberately out of order.
  const minutes = [2, 0, 1, 0, 1, 2].map((m) => T0 + m * MINUTE);
  const name = [0, 0, 0, 1, 1, 1];
  const volume = [10, 20, 0, 5, 5, 5];
  const ok = [9, 20, 0, 5, 4, 5];
  const table: KpiTable = {
    length: 6,
    minute: Float64Array.from(minutes),
    scope: dict(['service'], [0, 0, 0, 0, 0, 0]),
    name: dict(['a', 'b'], name),
    volume: Float64Array.from(volume),
    businessSuccessCount: Float64Array.from(ok),
    systemSuccessCount: Float64Array.from(ok),
    latencySum: Float64Array.from(volume, (v) => v * 10),
    businessSuccessRate: Float64Array.from(volume, (v, i) => (v ? ok[i] / v : NaN)),
    systemSuccessRate: Float64Array.from(volume, (v, i) => (v ? ok[i] / v : NaN)),
    avgLatency: Float64Array.from(volume, (v) => (v ? 10 : NaN)),
  };
  const truth: Truth = {
    scenario: 't',
    seed: 1,
    start: T0,
    end: T0 + 3 * MINUTE,
    faults: [
      {
        id: 'f1', type: 'database-slow', target: { kind: 'service', service: 'a' }, rootCause: ['a'], start: T0 + MINUTE, end: T0 + 3 * MINUTE, severity: 1, tags: [],
        moved: [{ series: 'service:a:systemSuccessRate', scope: 'service', name: 'a', kpi: 'systemSuccessRate', direction: 'down', start: T0 + 2 * MINUTE, end: T0 + 2 * MINUTE }],
      },
    ],
  };

  it('one series per scope:name:kpi in time order, rates carrying volume, labels from moved windows', () => {
    const series = seriesFromKpis(table, incidentsFromTruth(truth));
    expect(series.map((s) => s.id)).toEqual([
      'service:a:volume', 'service:a:businessSuccessRate', 'service:a:systemSuccessRate', 'service:a:avgLatency',
      'service:b:volume', 'service:b:businessSuccessRate', 'service:b:systemSuccessRate', 'service:b:avgLatency',
    ]);
    const rate = series[2];
    expect(Array.from(rate.timestamps)).toEqual([T0, T0 + MINUTE, T0 + 2 * MINUTE]);
    expect(Array.from(rate.volume!)).toEqual([20, 0, 10]);
    expect(rate.values[1]).toBeNaN();
    expect(rate.values[2]).toBeCloseTo(0.9, 12);
    expect(Array.from(rate.labels!)).toEqual([0, 0, 1]);
    expect(series[0].volume).toBeUndefined();
    expect(Array.from(series[4].labels!)).toEqual([0, 0, 0]);
  });

  it('detect --data: fits on the fault-free prefix and scores the rest', async () => {
    const dir = tmp();
    await writeKpis(join(dir, 'kpis.arrow'), table);
    writeFileSync(join(dir, 'truth.json'), JSON.stringify(truth));
    const out = join(dir, 'out');
    const res = await detect({ sources: [{ in: dir }], detectors: ['ksigma'], out });
    expect(res.metrics.training).toMatch(/before .* \(the first incident's start\)/);
    expect(res.metrics.input.seriesCount).toBe(8);
    expect(res.metrics.detectors.ksigma.overall.own.points).toBe(8 * 2); // minutes 1 and 2 scored
    expect(res.metrics.detectors.ksigma.overall.own.events).toBe(1);
  });
});

describe('detect --series end to end', () => {
  function writeSet(dir: string, train: boolean): void {
    mkdirSync(dir, { recursive: true });
    const s = inject(baseSeries(train ? 'train' : 'test', { days: 1 }), 'spike', 900, 30);
    const rows = Array.from(s.timestamps, (t, i) => `${t / 1000},${s.values[i]},${train ? 0 : s.labels![i]}`);
    // Gaps: drop a stretch of minutes.
    writeFileSync(join(dir, 'cpu.csv'), 'timestamp,value,label\n' + rows.filter((_, i) => i < 500 || i > 520).join('\n') + '\n');
  }

  it('writes alarms.csv and metrics.json, byte-identical on a rerun, no temporary files left', async () => {
    const dir = tmp();
    writeSet(join(dir, 'test'), false);
    writeSet(join(dir, 'train'), true);
    const outs = [join(dir, 'o1'), join(dir, 'o2')];
    for (const out of outs) await detect({ sources: [{ series: [join(dir, 'test')], train: join(dir, 'train') }], detectors: ['ksigma', 'mad:window=30'], out });
    const alarms = readFileSync(join(outs[0], 'alarms.csv'), 'utf8').split('\n');
    expect(alarms[0]).toBe('series,timestamp,score,alarm,detector');
    expect(alarms.length - 2).toBe(2 * (1440 - 21));
    expect(alarms.find((l) => l.startsWith('cpu,') && l.includes('T15:00:00.000Z') && l.endsWith(',ksigma'))).toMatch(/,1,ksigma$/);
    for (const f of ['alarms.csv', 'metrics.json']) expect(readFileSync(join(outs[1], f))).toEqual(readFileSync(join(outs[0], f)));
    expect(readdirSync(outs[0]).sort()).toEqual(['.faultline-output.json', 'alarms.csv', 'metrics.json']);
    const m = JSON.parse(readFileSync(join(outs[0], 'metrics.json'), 'utf8'));
    expect(Object.keys(m.detectors)).toEqual(['ksigma', 'mad:window=30']); // a spec with options is its own entry
    expect(m.detectors.ksigma.overall.own.threshold.source).toBe('own');
    expect(m.detectors.ksigma.overall.train.threshold.source).toBe('train');
    expect(m.detectors.ksigma.overall.oracle.threshold.objective).toMatch(/ORACLE/);
    expect(m.detectors.ksigma.overall.own.eventRecall).toBe(1);
    expect(m.detectors.ksigma.series.cpu.pointAdjustedF1).toBeGreaterThan(0);
  });

  it('rejects both or neither input, and an unknown detector, before writing anything', async () => {
    const out = join(tmp(), 'o');
    await expect(detect({ sources: [], detectors: ['ksigma'], out })).rejects.toThrow(/give a data set \(--in\) or series \(--series\)/);
    await expect(detect({ sources: [{ series: ['/nonexistent'] }], detectors: ['nope'], out })).rejects.toThrow(/unknown detector "nope"/);
    await expect(detect({ sources: [{ series: ['/nonexistent'] }], detectors: ['ksigma'], out })).rejects.toThrow(/\/nonexistent: no such file or folder/);
  });
});

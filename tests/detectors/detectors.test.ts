import { describe, expect, it } from 'vitest';
import { listDetectors, resolveDetector } from '../../detectors/registry.js';
import { runDetector } from '../../detectors/evaluate.js';
import type { Detection } from '../../detectors/types.js';
import type { Series } from '../../data/types.js';
import { DAY_POINTS, MINUTE, T0, baseSeries, dailyVolume, inject, rateSeries } from './synthetic.js';

const TRAIN_DAYS = 2;
const trainUntil = T0 + TRAIN_DAYS * DAY_POINTS * MINUTE;
const AT = TRAIN_DAYS * DAY_POINTS + 600; // the anomaly starts 10 h into the scored part

/** Every built-in except the success-rate one, which needs volume (tested below). */
const VALUE_DETECTORS = listDetectors()
  .map((d) => d.name)
  .filter((n) => n !== 'binomial');

async function run(name: string, s: Series): Promise<Detection> {
  const [d] = await runDetector(await resolveDetector(name), [s], { trainUntil });
  return d;
}

/** First alarm at or after `from`, as an offset from `from` (-1 if none before `to`). */
function firstAlarmAfter(d: Detection, from: number, to: number): number {
  for (let i = from; i < to; i++) if (d.alarms[i]) return i - from;
  return -1;
}

function alarmsBetween(d: Detection, from: number, to: number): number {
  let c = 0;
  for (let i = from; i < to; i++) c += d.alarms[i];
  return c;
}

describe('every built-in is registered', () => {
  it('lists the ten names of the issue and the two trivial references', () => {
    expect(listDetectors().map((d) => d.name)).toEqual([
      'threshold', 'ksigma', 'mad', 'ewma', 'seasonal', 'holt-winters', 'spectral-residual', 'binomial', 'kmeans-window', 'shitu', 'band', 'diff',
    ]);
  });
  it('rejects an unknown name and bad options clearly', async () => {
    await expect(resolveDetector('nope')).rejects.toThrow(/unknown detector "nope"/);
    await expect(resolveDetector('ksigma:window=abc')).rejects.toThrow(/detector ksigma: option window must be a number, got "abc"/);
    await expect(resolveDetector('ksigma:windw=120')).rejects.toThrow(/detector ksigma: unknown option windw \(did you mean window\?\); options are window, rarity, floor, threshold/);
    await expect(resolveDetector('ksigma:window=1')).rejects.toThrow(/option window must be >= 2, got "1"/);
    expect((await resolveDetector('ksigma:k=4')).options).toMatchObject({ floor: 4, window: 60 });
    await expect(resolveDetector('shitu:holt-winters.flor=4')).rejects.toThrow(/unknown option holt-winters.flor \(did you mean holt-winters.floor\?\)/);
    await expect(resolveDetector('spectral-residual:size=100')).rejects.toThrow(/option size must be a power of two/);
  });
});

describe.each(VALUE_DETECTORS)('%s', (name) => {
  const base = baseSeries('noise', { noise: 1 });

  it('finds an injected spike', async () => {
    const d = await run(name, inject(base, 'spike', AT, 30));
    expect(firstAlarmAfter(d, AT, AT + 3)).toBeGreaterThanOrEqual(0);
  });

  it('finds a level shift within 7 points', async () => {
    const d = await run(name, inject(base, 'shift', AT, 10));
    expect(firstAlarmAfter(d, AT, AT + 8)).toBeGreaterThanOrEqual(0);
  });

  it('finds a drift (ramp to 20 sigma over 100 points), except spectral residual and diff', async () => {
    // The last-value difference sees steps of 0.2 sigma, inside the noise's own changes: on a ramp
    // it alarms at its noise rate (1%) only, so there is nothing to pin down either way.
    const d = await run(name, inject(base, 'drift', AT, 20));
    if (name === 'diff') {
      // Pinned as the limitation it is: no more alarms on the ramp than the noise rate allows.
      expect(alarmsBetween(d, AT, AT + 100)).toBeLessThanOrEqual(5);
      return;
    }
    // Spectral residual scores saliency against the local context, and a ramp has none: as
    // published, it misses drifts (docs/detectors.md). The test pins that limitation down.
    if (name === 'spectral-residual') expect(firstAlarmAfter(d, AT, AT + 100)).toBe(-1);
    else expect(firstAlarmAfter(d, AT, AT + 100)).toBeGreaterThanOrEqual(0);
  });

  it('stays quiet on a clean seasonal series', async () => {
    const s = baseSeries('clean-seasonal', { seasonal: 20, noise: 1 });
    const d = await run(name, s);
    const scored = s.values.length - TRAIN_DAYS * DAY_POINTS;
    // "Rare means abnormal": at most 0.5% of the scored points may alarm on clean data; the
    // trivial references alarm on the share they are built to (band 2%, diff 1%), and no more.
    const share = name === 'band' ? 0.03 : name === 'diff' ? 0.015 : 0.005;
    expect(alarmsBetween(d, TRAIN_DAYS * DAY_POINTS, s.values.length)).toBeLessThanOrEqual(scored * share);
  });

  it('is causal: changing the future does not change past scores', async () => {
    const s = baseSeries('causal', { seasonal: 10 });
    const cut = AT;
    const changed = { ...s, values: s.values.slice() };
    for (let i = cut; i < changed.values.length; i++) changed.values[i] = 1e6 - changed.values[i];
    const a = await run(name, s);
    const b = await run(name, changed);
    expect(Array.from(b.scores.subarray(0, cut))).toEqual(Array.from(a.scores.subarray(0, cut)));
    expect(Array.from(b.alarms.subarray(0, cut))).toEqual(Array.from(a.alarms.subarray(0, cut)));
  });

  it('is deterministic', async () => {
    const s = inject(baseSeries('det', { seasonal: 5 }), 'shift', AT, 5);
    const a = await run(name, s);
    const b = await run(name, s);
    expect(Buffer.from(b.scores.buffer)).toEqual(Buffer.from(a.scores.buffer));
  });

  it('survives gaps and NaN values', async () => {
    const s = inject(baseSeries('gappy'), 'spike', AT, 30);
    // Drop every 7th point (irregular sampling) and blank a run of values.
    const keep = Array.from(s.timestamps.keys()).filter((i) => i % 7 !== 3 || i === AT);
    const g: Series = {
      id: 'gappy',
      timestamps: Float64Array.from(keep, (i) => s.timestamps[i]),
      values: Float64Array.from(keep, (i) => (i > 3000 && i < 3020 ? NaN : s.values[i])),
    };
    const [d] = await runDetector(await resolveDetector(name), [g], { trainUntil });
    expect(d.scores.length).toBe(g.values.length);
    const at = keep.indexOf(AT);
    expect(firstAlarmAfter(d, at, at + 3)).toBeGreaterThanOrEqual(0);
  });
});

describe('binomial', () => {
  const p = 0.01;
  const alarmAt = async (s: Series) => (await runDetector(await resolveDetector('binomial'), [s], { trainUntil }))[0];

  it('finds a failure spike, a shift and a drift in the failure share', async () => {
    const spike = rateSeries('spike', (i) => (i === AT ? 0.2 : p), dailyVolume);
    expect(firstAlarmAfter(await alarmAt(spike), AT, AT + 1)).toBe(0);
    const shift = rateSeries('shift', (i) => (i >= AT ? 0.05 : p), dailyVolume);
    expect(firstAlarmAfter(await alarmAt(shift), AT, AT + 8)).toBeGreaterThanOrEqual(0);
    const drift = rateSeries('drift', (i) => (i >= AT ? p + 0.1 * Math.min(1, (i - AT) / 100) : p), dailyVolume);
    expect(firstAlarmAfter(await alarmAt(drift), AT, AT + 100)).toBeGreaterThanOrEqual(0);
  });

  it('stays quiet on a clean seasonal volume', async () => {
    const s = rateSeries('clean', () => p, dailyVolume);
    const d = await alarmAt(s);
    expect(alarmsBetween(d, TRAIN_DAYS * DAY_POINTS, s.values.length)).toBeLessThanOrEqual(5);
  });

  it('judges the same rate on 20 and on 20,000 transactions differently', async () => {
    const s = rateSeries('volumes', () => p, () => 1000);
    const n = s.values.length;
    s.values[n - 2] = 0.9; // 2 failures out of 20
    s.volume![n - 2] = 20;
    s.values[n - 1] = 0.9; // 2,000 out of 20,000
    s.volume![n - 1] = 20_000;
    const d = await alarmAt(s);
    expect(d.scores[n - 1]).toBeGreaterThan(100 * d.scores[n - 2]);
    expect(d.alarms[n - 1]).toBe(1);
    expect(d.alarms[n - 2]).toBe(0);
  });

  it('gives no judgement on a series without volume', async () => {
    const d = await alarmAt(inject(baseSeries('novol'), 'spike', AT, 30));
    expect(d.scores.every((x) => Number.isNaN(x))).toBe(true);
    expect(d.alarms.every((a) => a === 0)).toBe(true);
  });
});

describe('shitu', () => {
  it('routes a success rate with volume to the binomial model', async () => {
    const s = rateSeries('rate', (i) => (i === AT ? 0.2 : 0.01), dailyVolume);
    const [d] = await runDetector(await resolveDetector('shitu'), [s], { trainUntil });
    const [b] = await runDetector(await resolveDetector('binomial'), [s], { trainUntil });
    expect(Array.from(d.alarms)).toEqual(Array.from(b.alarms));
    expect(d.alarms[AT]).toBe(1);
  });
});

describe('binomial tail', () => {
  it('equals the direct sum of the binomial pmf', async () => {
    const { logBinomialUpperTail } = await import('../../detectors/stats.js');
    const choose = (n: number, k: number) => {
      let c = 1;
      for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
      return c;
    };
    for (const [k, n, p] of [[0, 10, 0.1], [3, 10, 0.1], [10, 10, 0.1], [7, 40, 0.05], [25, 60, 0.5]]) {
      let tail = 0;
      for (let j = k; j <= n; j++) tail += choose(n, j) * p ** j * (1 - p) ** (n - j);
      expect(Math.exp(logBinomialUpperTail(k, n, p))).toBeCloseTo(tail, 12);
    }
    // Far in the tail the log stays finite where the probability itself underflows.
    expect(logBinomialUpperTail(2000, 20_000, 0.01)).toBeLessThan(-1000);
    expect(Number.isFinite(logBinomialUpperTail(2000, 20_000, 0.01))).toBe(true);
  });
});

/**
 * Volume-aware noise (detectors/kpi-noise.ts): an average latency over few calls is noisier than
 * one over many, a count's noise grows with its level; holt-winters, kmeans-window and shitu
 * judge each point in those units, and the binomial detector leaves latency series alone.
 */
import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { runDetector } from '../../detectors/evaluate.js';
import { resolveDetector } from '../../detectors/registry.js';
import { anscombe, noiseWeight, stabilised } from '../../detectors/kpi-noise.js';
import { chiSquare4Quantile } from '../../detectors/kmeans-window.js';
import { normalQuantile } from '../../common/normal.js';
import { shituMembers } from '../../detectors/shitu.js';
import type { Detection } from '../../detectors/types.js';
import type { Series } from '../../data/types.js';
import { MINUTE, T0, gaussian } from './synthetic.js';

const N = 600;
const TRAIN = 400;
const trainUntil = T0 + TRAIN * MINUTE;

/** Poisson(lambda) by inversion (small lambda only), seeded. */
function poisson(random: () => number, lambda: number): number {
  let k = 0;
  let p = Math.exp(-lambda);
  let cdf = p;
  const u = random();
  while (u > cdf && k < 1000) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

/**
 * A service whose calls come in a quiet/busy rhythm (2 or 200 a minute); each call takes 100 ms
 * +- 30 ms, so a minute's average wobbles by 30 / sqrt(calls).
 */
function latencySeries(id: string): Series {
  const g = gaussian(id);
  const r = seedrandom.alea(`${id}:calls`);
  const timestamps = new Float64Array(N);
  const values = new Float64Array(N);
  const volume = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    timestamps[i] = T0 + i * MINUTE;
    volume[i] = Math.floor(i / 10) % 2 === 0 ? 1 + poisson(r, 1) : 150 + poisson(r, 50);
    values[i] = 100 + (30 / Math.sqrt(volume[i])) * g();
  }
  return { id, kpi: 'avgLatency', timestamps, values, volume, labels: new Uint8Array(N) };
}

async function run(name: string, s: Series): Promise<Detection> {
  const [d] = await runDetector(await resolveDetector(name), [s], { trainUntil });
  return d;
}

function alarmsFrom(d: Detection, from: number): number {
  let c = 0;
  for (let i = from; i < d.alarms.length; i++) c += d.alarms[i];
  return c;
}

describe('noise weights', () => {
  it('stabilising scales: Anscombe for volume, log(1 + ms) for latency; weights sqrt(calls) for latency only', () => {
    const ts = Float64Array.from([0, MINUTE, 2 * MINUTE]);
    const latency: Series = { id: 'l', kpi: 'avgLatency', timestamps: ts, values: Float64Array.from([0, Math.E - 1, NaN]), volume: Float64Array.from([4, 100, 0]) };
    expect(Array.from(stabilised(latency).values)).toEqual([0, 1, NaN]);
    expect([0, 1, 2].map((i) => noiseWeight(latency, i))).toEqual([2, 10, 0]);
    const volume: Series = { id: 'v', kpi: 'volume', timestamps: ts, values: Float64Array.from([0, 1.625, NaN]) };
    expect(Array.from(stabilised(volume).values)).toEqual([2 * Math.sqrt(0.375), 2 * Math.sqrt(2), NaN]);
    expect(noiseWeight(volume, 0)).toBe(1);
    const plain: Series = { id: 'x', timestamps: ts, values: new Float64Array(3) };
    expect(stabilised(plain)).toBe(plain);
    expect(noiseWeight({ ...latency, volume: undefined }, 1)).toBe(1);
  });

  it('anscombe makes Poisson counts of any level unit-variance', () => {
    const r = seedrandom.alea('anscombe');
    for (const lambda of [3, 30, 300]) {
      const counts = Float64Array.from({ length: 20000 }, () => (lambda < 100 ? poisson(r, lambda) : Math.round(lambda + Math.sqrt(lambda) * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()))));
      const y = anscombe(counts);
      let m = 0;
      for (const v of y) m += v / y.length;
      let ss = 0;
      for (const v of y) ss += (v - m) ** 2 / (y.length - 1);
      expect(Math.sqrt(ss)).toBeGreaterThan(0.9);
      expect(Math.sqrt(ss)).toBeLessThan(1.1);
    }
  });

  it('the holt-winters floor is the two-sided Gaussian tail of the rarity (3.29 at 1e-3)', () => {
    expect(normalQuantile(1 - 0.001 / 2)).toBeCloseTo(3.2905, 4);
    expect(normalQuantile(0.975)).toBeCloseTo(1.96, 3);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.3263, 4);
    expect(normalQuantile(0.5)).toBe(0);
  });

  it('the kmeans-window floor is the chi-square(4) quantile at the rarity (18.47 at 0.999)', () => {
    expect(chiSquare4Quantile(0.999)).toBeCloseTo(18.4668, 3);
    expect(chiSquare4Quantile(0.95)).toBeCloseTo(9.4877, 3);
  });
});

describe('volume-aware detectors on a service with quiet and busy minutes', () => {
  it('holt-winters scores a 15 ms shift at busy minutes far above the same shift at quiet ones', async () => {
    const clean = latencySeries('lat-clean');
    // +15 ms on every minute from 450: half a call's spread, 20 standard errors at 200 calls.
    const shifted = { ...clean, values: clean.values.map((v, i) => (i >= 450 ? v + 15 : v)) };
    const s = await run('holt-winters', shifted);
    let busy = 0;
    let quiet = 0;
    for (let i = 450; i < 470; i++) {
      if (clean.volume![i] > 100) busy = Math.max(busy, s.scores[i]);
      else quiet = Math.max(quiet, s.scores[i]);
    }
    expect(busy).toBeGreaterThan(2 * quiet);
    expect(alarmsFrom(s, 450)).toBeGreaterThan(0);
    // Blind to the volume, one spread for all minutes: the busy minutes' shift is lost in it.
    const { volume: _dropped, ...blind } = shifted;
    const b = await run('holt-winters', blind);
    let blindBusy = 0;
    for (let i = 450; i < 470; i++) if (clean.volume![i] > 100) blindBusy = Math.max(blindBusy, b.scores[i] / (b.threshold ?? 1));
    expect(busy / (s.threshold ?? 1)).toBeGreaterThan(2 * blindBusy);
  });

  it('kmeans-window on a low-volume count (2 calls a minute) stays quiet, and finds the service going silent', async () => {
    const r = seedrandom.alea('low-volume');
    const timestamps = Float64Array.from({ length: N }, (_, i) => T0 + i * MINUTE);
    const values = Float64Array.from({ length: N }, () => poisson(r, 2));
    const s: Series = { id: 'v', kpi: 'volume', timestamps, values, labels: new Uint8Array(N) };
    expect(alarmsFrom(await run('kmeans-window', s), TRAIN)).toBe(0);
    const silent = { ...s, values: values.map((v, i) => (i >= 500 ? 0 : v)) };
    expect(alarmsFrom(await run('kmeans-window', silent), 500)).toBeGreaterThan(0);
  });

  it('shitu routes latency to the forecast only, volume to forecast + k-means; binomial ignores latency', async () => {
    const clean = latencySeries('lat-route');
    expect(shituMembers(clean).map((f) => f.name)).toEqual(['holt-winters']);
    expect(shituMembers({ ...clean, kpi: 'volume' }).map((f) => f.name)).toEqual(['holt-winters', 'kmeans-window']);
    const b = await run('binomial', clean);
    expect(b.scores.every((v) => Number.isNaN(v))).toBe(true);
  });
});

describe('robust holt-winters', () => {
  it('does not adopt a fault as its forecast: no alarms once the series recovers', async () => {
    const g = gaussian('robust-hw');
    const timestamps = Float64Array.from({ length: N }, (_, i) => T0 + i * MINUTE);
    // Level 100 +- 1; from 450 to 480 a fault adds 20; then back to normal.
    const values = Float64Array.from({ length: N }, (_, i) => 100 + g() + (i >= 450 && i < 480 ? 20 : 0));
    const s: Series = { id: 'r', timestamps, values };
    const d = await run('holt-winters', s);
    let during = 0;
    let duringScore = 0;
    for (let i = 450; i < 480; i++) {
      during += d.alarms[i];
      duringScore += d.scores[i] / 30;
    }
    expect(during).toBe(30); // the forecast stays near the normal level all through the fault
    // ... so the recovery is not a second anomaly of the same size (a plain forecast that had
    // adopted the fault would score the return to 100 as high as the fault itself).
    let after = 0;
    for (let i = 480; i < N; i++) after = Math.max(after, d.scores[i]);
    expect(after).toBeLessThan(duringScore / 2);
  });
});

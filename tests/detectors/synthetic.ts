/** Synthetic minute series for detector tests: seeded Gaussian noise, optional daily season, injected anomalies. */
import seedrandom from 'seedrandom';
import type { Series } from '../../data/types.js';

export const MINUTE = 60_000;
export const DAY_POINTS = 1440;
export const T0 = Date.UTC(2026, 0, 5);

export function gaussian(seed: string): () => number {
  const r = seedrandom.alea(seed);
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

export interface Shape {
  days?: number;
  seasonal?: number; // amplitude of the daily sine
  level?: number;
  noise?: number;
  seed?: string;
}

export function baseSeries(id: string, shape: Shape = {}): Series {
  const n = (shape.days ?? 4) * DAY_POINTS;
  const g = gaussian(shape.seed ?? id);
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    timestamps[i] = T0 + i * MINUTE;
    values[i] = (shape.level ?? 100) + (shape.seasonal ?? 0) * Math.sin((2 * Math.PI * i) / DAY_POINTS) + (shape.noise ?? 1) * g();
  }
  return { id, timestamps, values, labels: new Uint8Array(n) };
}

/** Anomaly kinds injected from `at` (labels set on the affected points). */
export function inject(s: Series, kind: 'spike' | 'shift' | 'drift', at: number, size: number): Series {
  const values = s.values.slice();
  const labels = new Uint8Array(values.length);
  if (kind === 'spike') {
    values[at] += size;
    labels[at] = 1;
  } else if (kind === 'shift') {
    for (let i = at; i < values.length; i++) values[i] += size;
    labels.fill(1, at);
  } else {
    // A ramp that reaches `size` after 100 points and stays there.
    for (let i = at; i < values.length; i++) values[i] += size * Math.min(1, (i - at + 1) / 100);
    labels.fill(1, at);
  }
  return { ...s, id: `${s.id}-${kind}`, values, labels };
}

/** A success-rate series with its volume: failures ~ Binomial(volume, p(t)). */
export function rateSeries(id: string, failureShare: (i: number) => number, volume: (i: number) => number, days = 4): Series {
  const n = days * DAY_POINTS;
  const r = seedrandom.alea(id);
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  const vol = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    timestamps[i] = T0 + i * MINUTE;
    const v = Math.round(volume(i));
    let fails = 0;
    const p = failureShare(i);
    for (let k = 0; k < v; k++) if (r() < p) fails++;
    vol[i] = v;
    values[i] = v > 0 ? (v - fails) / v : NaN;
  }
  return { id, timestamps, values, volume: vol, kpi: 'systemSuccessRate', labels: new Uint8Array(n) };
}

export const dailyVolume = (i: number) => 200 + 180 * Math.sin((2 * Math.PI * i) / DAY_POINTS);

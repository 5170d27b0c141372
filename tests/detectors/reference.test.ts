/** The trivial reference detectors: exactly the band and the difference they are defined by. */
import { describe, expect, it } from 'vitest';
import { resolveDetector } from '../../detectors/registry.js';
import type { Series } from '../../data/types.js';
import { MINUTE, T0 } from './synthetic.js';

function series(values: number[]): Series {
  return { id: 's', timestamps: Float64Array.from(values, (_, i) => T0 + i * MINUTE), values: Float64Array.from(values) };
}

/** 0, 1, ..., 100: the p1 is 1 and the p99 is 99 (linear interpolation over 101 points). */
const ramp = series(Array.from({ length: 101 }, (_, i) => i));

describe('band', () => {
  it('alarms outside the training p1..p99, scored in half-band units around the median', async () => {
    const d = (await resolveDetector('band')).create();
    await d.fit!(ramp);
    const out = await d.detect(series([50, 99, 99.5, 1, 0.5, 2]));
    expect(out.threshold).toBe(1);
    expect(Array.from(out.alarms)).toEqual([0, 0, 1, 0, 1, 0]);
    expect(Array.from(out.scores)).toEqual([0, 1, 49.5 / 49, 1, 49.5 / 49, 48 / 49]);
  });

  it('takes another quantile', async () => {
    const d = (await resolveDetector('band:quantile=0.1')).create();
    await d.fit!(ramp);
    expect(Array.from((await d.detect(series([10, 9, 90, 91]))).alarms)).toEqual([0, 1, 0, 1]);
  });
});

describe('diff', () => {
  it('alarms when the change from the last value exceeds the training p99 of changes', async () => {
    // Training changes: 99 steps of 1 and one of 10; their p99 is 1 + 0.01 x 98... (linear): 1.09.
    const d = (await resolveDetector('diff')).create();
    await d.fit!(series([...Array.from({ length: 100 }, (_, i) => i), 109]));
    const out = await d.detect(series([0, 1, 3, NaN, 3.5, 5, 4]));
    expect(out.threshold).toBeCloseTo(1.09, 12);
    // NaN has no change; after it the change is from the last value seen (3 -> 3.5).
    expect(Array.from(out.scores)).toEqual([NaN, 1, 2, NaN, 0.5, 1.5, 1]);
    expect(Array.from(out.alarms)).toEqual([0, 0, 1, 0, 0, 1, 0]);
  });
});

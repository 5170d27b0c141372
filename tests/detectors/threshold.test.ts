/** The static band scores in half-band units, so level 1 is the band on both sides, asymmetric or not. */
import { describe, expect, it } from 'vitest';
import { resolveDetector } from '../../detectors/registry.js';
import type { Series } from '../../data/types.js';
import { MINUTE, T0 } from './synthetic.js';

function series(values: number[]): Series {
  return { id: 's', timestamps: Float64Array.from(values, (_, i) => T0 + i * MINUTE), values: Float64Array.from(values) };
}

describe('threshold band', () => {
  it('an asymmetric training band (median 10, min 8, max 20) is level 1 on both sides', async () => {
    const d = (await resolveDetector('threshold')).create();
    await d.fit!(series([8, 10, 10, 10, 20]));
    const out = await d.detect(series([10, 20, 21, 8, 7, 15, 9]));
    expect(out.threshold).toBe(1);
    expect(Array.from(out.scores)).toEqual([0, 1, 1.1, 1, 1.5, 0.5, 0.5]);
    expect(Array.from(out.alarms)).toEqual([0, 0, 1, 0, 1, 0, 0]);
    for (let i = 0; i < out.scores.length; i++) expect(out.alarms[i]).toBe(out.scores[i] > 1 ? 1 : 0);
  });

  it('an upper option with the lower edge from training (min 8)', async () => {
    const d = (await resolveDetector('threshold:upper=12')).create();
    await d.fit!(series([8, 10, 10, 10, 11]));
    const out = await d.detect(series([-1000, 10, 11, 14]));
    expect(Array.from(out.scores)).toEqual([505, 0, 0.5, 2]);
    expect(Array.from(out.alarms)).toEqual([1, 0, 0, 1]);
  });
});

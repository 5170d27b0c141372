import { describe, expect, it } from 'vitest';
import { isoInstant } from '../../common/instant.js';
import { stream } from '../../sim/rng.js';

describe('isoInstant', () => {
  it('is the text of Date#toISOString for any time a Date holds', () => {
    const rng = stream(20261202, 'iso-instant');
    const from2000 = Date.UTC(2000, 0, 1);
    for (let k = 0; k < 20_000; k++) {
      const u = rng();
      // Whole milliseconds around today, over the whole Date range, and fractional ones.
      const ms = k % 3 === 0 ? from2000 + Math.floor(u * 4e12) : k % 3 === 1 ? Math.round((2 * u - 1) * 8.64e15) : (2 * u - 1) * 1e13;
      expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('formats day boundaries, leap days and the last millisecond of a day', () => {
    for (const ms of [0, -1, 86_399_999, 86_400_000, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2000, 0, 1), -62198755200000, 8.64e15, -8.64e15, -0.5, 0.5]) {
      expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('throws as Date does on a time outside its range', () => {
    expect(() => isoInstant(8.64e15 + 1)).toThrow(RangeError);
    expect(() => isoInstant(NaN)).toThrow(RangeError);
  });
});

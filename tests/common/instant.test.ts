import { describe, expect, it } from 'vitest';
import { isoInstant, parseNanosAsMs } from '../../common/instant.js';
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

describe('parseNanosAsMs', () => {
  const text = (s: string) => new TextEncoder().encode(s);
  const read = (s: string) => parseNanosAsMs(text(s), 0, s.length);

  it('reads integer unix nanoseconds as the whole ms plus the nanoseconds below, exactly', () => {
    const rng = stream(20261203, 'nanos');
    for (let k = 0; k < 20_000; k++) {
      // 1 to 21 digits: short integers, today's unix nanoseconds, and the longest a ms double holds.
      const digits = 1 + Math.floor(rng() * 21);
      let s = '';
      for (let d = 0; d < digits; d++) s += Math.floor(rng() * 10);
      const n = BigInt(s);
      expect(read(` ${s}\t`), s).toBe(Number(n / 1_000_000n) + Number(n % 1_000_000n) / 1e6);
    }
    // A double of the nanoseconds would give ...800123.45677 here.
    expect(read('1674982800123456789')).toBe(1674982800123 + 456789 / 1e6);
  });

  it('reads anything else as a decimal number of nanoseconds, and NaN when it is no number', () => {
    expect(read('1.5e6')).toBe(1.5);
    expect(read('-2000000')).toBe(-2);
    expect(read('123456789012345678901234')).toBe(123456789012345678901234 / 1e6);
    expect(read('')).toBeNaN();
    expect(read('soon')).toBeNaN();
  });
});

import { describe, expect, it } from 'vitest';
import { shiftIsoText, shiftTimeCell, unixSecondsToIso } from '../../anonymise/time-text.js';

const DAY = 86_400_000;

describe('times written as text', () => {
  it('shift by whole milliseconds and keep every digit of precision', () => {
    expect(shiftIsoText('2023-01-29T08:42:22.383150913Z', -7 * DAY)).toBe('2023-01-22T08:42:22.383150913Z');
    expect(shiftIsoText('2023-01-29 16:42:22.5+08:00', 0)).toBe('2023-01-29T08:42:22.500Z');
    expect(shiftIsoText('2023-01-29T08:42:22', DAY)).toBe('2023-01-30T08:42:22Z');
    expect(shiftIsoText('29/01/2023', 0)).toBeNull();
    expect(unixSecondsToIso('1674981670', -DAY)).toBe('2023-01-28T08:41:10Z');
  });

  it("read a time cell as the readers do (ISO 8601, or a number in the layout's unit or told by magnitude)", () => {
    expect(shiftTimeCell('1674981742383150913', 'magnitude', 0)).toBe('2023-01-29T08:42:22.383150913Z');
    expect(shiftTimeCell('1674981742383150', 'magnitude', 0)).toBe('2023-01-29T08:42:22.383150Z');
    expect(shiftTimeCell('1674981742383.25', 'magnitude', 1000)).toBe('1674981743383.25');
    expect(shiftTimeCell('1674981670', 'magnitude', -DAY)).toBe('2023-01-28T08:41:10Z');
    expect(shiftTimeCell('1674981670', 's', 0)).toBe('2023-01-29T08:41:10Z');
    expect(shiftTimeCell('2023-01-29T08:42:22.5Z', 'magnitude', DAY)).toBe('2023-01-30T08:42:22.500Z');
    expect(shiftTimeCell('soon', 'magnitude', 0)).toBeNull();
    expect(shiftTimeCell('', 's', 0)).toBeNull();
  });
});

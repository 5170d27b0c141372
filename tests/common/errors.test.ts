import { describe, expect, it } from 'vitest';
import { firstNames } from '../../common/errors.js';

describe('firstNames', () => {
  it('lists every name up to n, and past n the first n and how many more', () => {
    expect(firstNames(['a', 'b', 'c'], 3)).toBe('a, b, c');
    expect(firstNames(['a', 'b', 'c', 'd'], 3)).toBe('a, b, c and 1 more');
    expect(firstNames(['a', 'b', 'c', 'd', 'e'], 3)).toBe('a, b, c and 2 more');
    expect(firstNames([], 3)).toBe('');
  });
});

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { publishDir } from '../../common/output-dir.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-publish-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('publishDir', () => {
  const out = path.join(tmp, 'report');

  it('swaps a complete directory in place of the old one', async () => {
    await publishDir(out, async (dir) => writeFileSync(path.join(dir, 'a.txt'), 'first'));
    await publishDir(out, async (dir) => writeFileSync(path.join(dir, 'b.txt'), 'second'));
    expect(readdirSync(out)).toEqual(['b.txt']);
    expect(readdirSync(tmp)).toEqual(['report']);
  });

  it('leaves the last good report untouched when building the new one fails', async () => {
    await expect(
      publishDir(out, async (dir) => {
        writeFileSync(path.join(dir, 'half.txt'), 'half');
        throw new Error('item failed');
      }),
    ).rejects.toThrow('item failed');
    expect(readdirSync(out)).toEqual(['b.txt']);
    expect(readFileSync(path.join(out, 'b.txt'), 'utf8')).toBe('second');
    expect(readdirSync(tmp)).toEqual(['report']);
  });
});

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AnonymisationKey, keyWeakness, MIN_PASSPHRASE_CHARS, writeNewKey } from '../../anonymise/key.js';
import { testKeyBytes, writeTestKey } from './keys.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-key-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const ROOT = path.resolve(__dirname, '../..');
const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/faultline.js'), ...args], { encoding: 'utf8' });
const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('key strength', () => {
  it('refuses short, repeated, patterned, skewed and short-text keys, each with its reason', () => {
    expect(keyWeakness(Buffer.alloc(31, 7))).toBe('is 31 bytes; at least 32 are required');
    expect(keyWeakness(Buffer.alloc(32))).toBe('is one byte repeated');
    expect(keyWeakness(bytes('0123456789abcdef'.repeat(4)))).toBe('repeats a pattern of 16 bytes');
    expect(keyWeakness(bytes('passwordpassword1passwordpassword1'))).toBe('repeats a pattern of 17 bytes');
    expect(keyWeakness(bytes(testKeyBytes('hex16').subarray(0, 16).toString('hex')))).toBe('is 32 hex digits (16 bytes of randomness); at least 64 are required');
    expect(keyWeakness(bytes(testKeyBytes('b64').subarray(0, 24).toString('base64')))).toBe('is 32 base64 characters; at least 43 (32 bytes) are required');
    expect(keyWeakness(bytes('correct horse battery staple, again'))).toBe(`is text of 35 characters; a passphrase needs at least ${MIN_PASSPHRASE_CHARS}`);
    const skewed = Buffer.concat([Buffer.alloc(40, 0), testKeyBytes('tail').subarray(0, 8)]);
    expect(keyWeakness(skewed)).toMatch(/^has too little variety \(\d+ bits by its byte counts; at least 128\)$/);
  });

  it('accepts what the usual tools make: 32 random bytes, as raw bytes, hex or base64, and a long passphrase', () => {
    for (const label of ['a', 'b', 'c', 'd', 'e']) {
      const raw = testKeyBytes(label);
      expect(keyWeakness(raw), label).toBeNull();
      expect(keyWeakness(bytes(raw.toString('hex'))), label).toBeNull();
      expect(keyWeakness(bytes(raw.toString('base64'))), label).toBeNull();
    }
    expect(keyWeakness(bytes('tram grizzly oboe pixel lantern sequoia velvet mumble quarry dagger'))).toBeNull();
  });

  it('reads a key file (a trailing newline is not key material) and names the file in every refusal', async () => {
    await expect(AnonymisationKey.fromFile(undefined)).rejects.toThrow(/without a key: pass --key-file/);
    await expect(AnonymisationKey.fromFile(path.join(dir, 'nope'))).rejects.toThrow(`${path.join(dir, 'nope')}: cannot read key file: ENOENT`);
    const weak = path.join(dir, 'weak');
    fs.writeFileSync(weak, Buffer.alloc(32));
    await expect(AnonymisationKey.fromFile(weak)).rejects.toThrow(`${weak}: the key is one byte repeated: write a fresh one with \`faultline anonymise --new-key <file>\``);
    const file = writeTestKey(dir, 'file');
    const bare = path.join(dir, 'bare');
    fs.writeFileSync(bare, testKeyBytes('file').toString('hex'));
    expect((await AnonymisationKey.fromFile(file)).fingerprint()).toBe((await AnonymisationKey.fromFile(bare)).fingerprint());
  });
});

describe('what the key gives away', () => {
  it('a fingerprint of 64 bits, unrelated to the key bytes, different per key', async () => {
    const a = await AnonymisationKey.fromBytes(testKeyBytes('a'));
    const b = await AnonymisationKey.fromBytes(testKeyBytes('b'));
    expect(a.fingerprint()).toMatch(/^[0-9a-f]{16}$/);
    expect(a.fingerprint()).not.toBe(b.fingerprint());
    expect(testKeyBytes('a').toString('hex')).not.toContain(a.fingerprint().slice(0, 8));
    // Not the plain HMAC or hash a guess could be checked against without paying for scrypt.
    expect(a.fingerprint()).not.toBe(createHash('sha256').update(testKeyBytes('a')).digest('hex').slice(0, 16));
  });

  it('a secret time shift: whole weeks, one to ten years back, fixed per key, different across keys', async () => {
    const shifts = await Promise.all(['a', 'b', 'c'].map(async (l) => (await AnonymisationKey.fromBytes(testKeyBytes(l))).timeShiftMs()));
    const week = 7 * 86_400_000;
    for (const s of shifts) {
      expect(Number.isInteger(s / week)).toBe(true);
      expect(-s / week).toBeGreaterThanOrEqual(52);
      expect(-s / week).toBeLessThan(521);
    }
    expect(new Set(shifts).size).toBeGreaterThan(1);
    expect((await AnonymisationKey.fromBytes(testKeyBytes('a'))).timeShiftMs()).toBe(shifts[0]);
  });
});

describe('a new key', () => {
  it('is 32 fresh random bytes readable by its owner only, and never replaces a file', () => {
    const file = path.join(dir, 'new.key');
    writeNewKey(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const key = fs.readFileSync(file, 'utf8');
    expect(key).toMatch(/^[0-9a-f]{64}\n$/);
    expect(keyWeakness(bytes(key.trim()))).toBeNull();
    const other = path.join(dir, 'other.key');
    writeNewKey(other);
    expect(fs.readFileSync(other, 'utf8')).not.toBe(key);
    // From the command line: exit 2, the reason, the file untouched.
    const again = cli('anonymise', '--new-key', file);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(`${file} exists: a new key never replaces a file`);
    expect(fs.readFileSync(file, 'utf8')).toBe(key);
  });
});

import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OUTPUT_MARKER, publishDir, writeOutputFiles } from '../../common/output-dir.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-publish-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const write = (name: string, text: string) => async (stage: string) => writeFileSync(path.join(stage, name), text);
const listing = (dir: string) => readdirSync(dir).sort();

describe('output folders (publishDir)', () => {
  it('writes into a new folder with the umask, not 0700, and marks it as faultline output', async () => {
    const out = path.join(tmp, 'new', 'report');
    await publishDir(out, write('a.txt', 'first'), { command: 'test' });
    expect(listing(out)).toEqual([OUTPUT_MARKER, 'a.txt']);
    const umask = process.umask();
    expect(statSync(out).mode & 0o777).toBe(0o777 & ~umask);
    expect(statSync(path.join(out, 'a.txt')).mode & 0o777).toBe(0o666 & ~umask);
    expect(JSON.parse(readFileSync(path.join(out, OUTPUT_MARKER), 'utf8'))).toMatchObject({ tool: 'faultline', command: 'test', entries: ['a.txt'] });
  });

  it('replaces its own earlier output, folders included, and drops what the new one lacks', async () => {
    const out = path.join(tmp, 'own');
    await publishDir(out, async (stage) => {
      writeFileSync(path.join(stage, 'a.txt'), 'first');
      mkdirSync(path.join(stage, 'spans'));
      writeFileSync(path.join(stage, 'spans', 'x.csv'), 'old');
    });
    await publishDir(out, async (stage) => {
      writeFileSync(path.join(stage, 'b.txt'), 'second');
      mkdirSync(path.join(stage, 'spans'));
      writeFileSync(path.join(stage, 'spans', 'y.csv'), 'new');
    });
    expect(listing(out)).toEqual([OUTPUT_MARKER, 'b.txt', 'spans']);
    expect(listing(path.join(out, 'spans'))).toEqual(['y.csv']);
  });

  it('writes into an empty folder, including the current one', async () => {
    const out = path.join(tmp, 'empty');
    mkdirSync(out);
    await publishDir(out, write('a.txt', 'x'));
    expect(listing(out)).toEqual([OUTPUT_MARKER, 'a.txt']);
  });

  it('refuses a folder of other files, and --force writes beside them without touching them', async () => {
    const out = path.join(tmp, 'users');
    mkdirSync(out);
    writeFileSync(path.join(out, 'notes.txt'), 'keep me');
    await expect(publishDir(out, write('a.txt', 'x'))).rejects.toThrow(/holds files faultline did not write \(notes\.txt\).*--force/);
    expect(listing(out)).toEqual(['notes.txt']);
    await publishDir(out, write('a.txt', 'x'), { command: 'test', force: true });
    await publishDir(out, write('b.txt', 'y'), { command: 'test', force: true });
    expect(listing(out)).toEqual([OUTPUT_MARKER, 'b.txt', 'notes.txt']);
    expect(readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('keep me');
    // Even with --force, a file of the user's is never replaced by one of ours.
    await expect(publishDir(out, write('notes.txt', 'ours'), { command: 'test', force: true })).rejects.toThrow(/notes\.txt is there and was not written by faultline/);
    expect(readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('names the first five of the files it refuses, then how many more', async () => {
    const out = path.join(tmp, 'many');
    mkdirSync(out);
    for (let k = 0; k < 7; k++) writeFileSync(path.join(out, `n${k}.txt`), 'keep me');
    await expect(publishDir(out, write('a.txt', 'x'))).rejects.toThrow(/did not write \((n\d\.txt, ){4}n\d\.txt and 2 more\)/);
  });

  it('refuses --out . in a folder of other files (the current directory is never emptied)', async () => {
    const cwd = process.cwd();
    const here = path.join(tmp, 'cwd');
    mkdirSync(here);
    writeFileSync(path.join(here, 'src.ts'), 'code');
    process.chdir(here);
    try {
      await expect(publishDir('.', write('report.html', 'x'))).rejects.toThrow(/--out \. holds files faultline did not write \(src\.ts\)/);
    } finally {
      process.chdir(cwd);
    }
    expect(listing(here)).toEqual(['src.ts']);
  });

  it('refuses an output folder that is or holds an input', async () => {
    const out = path.join(tmp, 'holds');
    await expect(publishDir(out, write('a', 'x'), { command: 'test', inputs: [path.join(out, 'spans.csv')] })).rejects.toThrow(/holds the input/);
    await expect(publishDir(out, write('a', 'x'), { command: 'test', inputs: [out] })).rejects.toThrow(/holds the input/);
    expect(existsSync(out)).toBe(false);
  });

  it('names the file that stands where a parent folder of --out would be', async () => {
    const file = path.join(tmp, 'user.txt');
    writeFileSync(file, 'mine');
    const out = path.join(file, 'run', 'sub');
    await expect(publishDir(out, write('a', 'x'), { command: 'test' })).rejects.toThrow(`--out ${out}: a parent is a file, not a folder (${file})`);
    expect(readFileSync(file, 'utf8')).toBe('mine');
  });

  it('leaves the last good output untouched when building the new one fails, and a new folder absent', async () => {
    const out = path.join(tmp, 'own');
    const before = listing(out);
    await expect(
      publishDir(out, async (stage) => {
        writeFileSync(path.join(stage, 'half.txt'), 'half');
        throw new Error('item failed');
      }),
    ).rejects.toThrow('item failed');
    expect(listing(out)).toEqual(before);
    expect(readFileSync(path.join(out, 'b.txt'), 'utf8')).toBe('second');
    const fresh = path.join(tmp, 'fresh');
    await expect(publishDir(fresh, async () => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
    expect(existsSync(fresh)).toBe(false);
  });

  it('cleans the staging folder a killed run left, and refuses while a live run stages there', async () => {
    const out = path.join(tmp, 'stale');
    await publishDir(out, write('a.txt', 'x'));
    const dead = path.join(out, '.faultline-tmp-999999999-abc');
    mkdirSync(dead);
    writeFileSync(path.join(dead, 'big.arrow'), 'partial');
    await publishDir(out, write('a.txt', 'y'));
    expect(listing(out)).toEqual([OUTPUT_MARKER, 'a.txt']);
    const live = path.join(out, `.faultline-tmp-${process.ppid}-abc`);
    mkdirSync(live);
    await expect(publishDir(out, write('a.txt', 'z'))).rejects.toThrow(new RegExp(`another faultline \\(pid ${process.ppid}\\) is writing there`));
    rmSync(live, { recursive: true });
  });

  it('renames the commit entries last, after the marker', async () => {
    const out = path.join(tmp, 'commit');
    await publishDir(
      out,
      async (stage) => {
        writeFileSync(path.join(stage, 'manifest.json'), '{}');
        writeFileSync(path.join(stage, 'messages.arrow'), 'x');
      },
      { command: 'generate', commitLast: ['manifest.json'] },
    );
    expect(listing(out)).toEqual([OUTPUT_MARKER, 'manifest.json', 'messages.arrow']);
    // A read-only output folder is an error that names it, not a crash.
    chmodSync(out, 0o555);
    try {
      if (process.getuid?.() !== 0) await expect(publishDir(out, write('a', 'x'))).rejects.toThrow(/EACCES/);
    } finally {
      chmodSync(out, 0o755);
    }
  });
});

describe('output files named one by one (writeOutputFiles)', () => {
  it("lists each in its folder's marker; --force replaces those, never the user's", () => {
    const dir = path.join(tmp, 'files');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'notes.txt'), 'keep me');
    const files = (text: string) => [{ flag: '--out', path: path.join(dir, 'twin.yaml'), content: text }];
    writeOutputFiles(files('first'), { command: 'fit' });
    expect(listing(dir)).toEqual([OUTPUT_MARKER, 'notes.txt', 'twin.yaml']);
    expect(JSON.parse(readFileSync(path.join(dir, OUTPUT_MARKER), 'utf8'))).toEqual({ tool: 'faultline', command: 'fit', entries: [], bytes: {}, files: { 'twin.yaml': createHash('sha256').update('first').digest('hex') } });
    expect(() => writeOutputFiles(files('second'), { command: 'fit' })).toThrow(/twin\.yaml: it exists \(written by faultline\); choose another path, or pass --force/);
    writeOutputFiles(files('second'), { command: 'fit', force: true });
    expect(readFileSync(path.join(dir, 'twin.yaml'), 'utf8')).toBe('second');
    // Edited since it was written, even to the same size: the user's now.
    writeFileSync(path.join(dir, 'twin.yaml'), 'secunD');
    expect(() => writeOutputFiles(files('third'), { command: 'fit', force: true })).toThrow(/twin\.yaml: it was changed since faultline wrote it/);
    expect(readFileSync(path.join(dir, 'twin.yaml'), 'utf8')).toBe('secunD');
    const user = [{ flag: '--report', path: path.join(dir, 'notes.txt'), content: 'ours' }];
    expect(() => writeOutputFiles(user, { command: 'fit', force: true })).toThrow(/--report .*notes\.txt: it is there and was not written by faultline/);
    expect(readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('keep me');
  });
});

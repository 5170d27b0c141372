import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsvBatches, recordTexts } from '../../common/csv.js';
import { JSON_NUMBER, JSON_STRING, JsonStream, ROOT, SKIP, type JsonHandler } from '../../common/json-stream.js';
import { BadRows } from '../../common/bad-rows.js';
import { parseDecimal, utf8 } from '../../common/bytes.js';
import { parseInstant } from '../../common/instant.js';
import { RunInterner, StringDictionary } from '../../common/string-dictionary.js';
import { readByteChunks, readInTurn } from '../../common/text-lines.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-streams-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Deterministic awkward text: commas, quotes, CR/LF, non-ASCII, long runs. */
function awkward(i: number): string {
  const parts = ['plain', 'with,comma', 'with "quotes"', 'two\nlines', 'crlf\r\nend', 'naïve café ✓', 'x'.repeat(i % 300), ''];
  return parts[i % parts.length] + (i % 7 === 0 ? `#${i}` : '');
}
const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

describe('reading in chunks', () => {
  // About 4 MB: records, quoted fields and escapes fall across the 1 MB (and 256 KB gunzip) chunk boundaries.
  const rows = Array.from({ length: 40_000 }, (_, i) => [String(i), awkward(i), awkward(i + 3), String(i * 0.5)]);
  const text = `id,a,b,v\r\n${rows.map((r) => r.map(quote).join(',')).join('\r\n')}\r\n`;

  for (const name of ['big.csv', 'big.csv.gz']) {
    it(`reads every CSV record of ${name} exactly, wherever the chunks split it`, async () => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, name.endsWith('.gz') ? gzipSync(`\uFEFF${text}`) : text);
      const got: string[][] = [];
      const lines: number[] = [];
      for await (const batch of readCsvBatches(file)) {
        for (let r = 0; r < batch.length; r++) {
          got.push(recordTexts(batch, r));
          lines.push(batch.line[r]);
        }
      }
      expect(got[0]).toEqual(['id', 'a', 'b', 'v']);
      expect(got.length).toBe(rows.length + 1);
      for (let i = 0; i < rows.length; i += 997) expect(got[i + 1]).toEqual(rows[i]);
      expect(got.slice(1)).toEqual(rows);
      // Line numbers count the newlines inside quoted fields.
      const newlinesBefore = (i: number) => rows.slice(0, i).reduce((s, r) => s + r.join('').split('\n').length - 1, 0);
      expect(lines[30_001]).toBe(30_002 + newlinesBefore(30_000));
    });
  }

  it('streams a JSON document of several MB with escapes cut by chunk boundaries', async () => {
    const values = Array.from({ length: 30_000 }, (_, i) => ({ name: awkward(i), n: i * 1.25, big: 1e300 * (i % 3) }));
    const file = path.join(dir, 'big.json');
    fs.writeFileSync(file, JSON.stringify({ items: values, tail: 'end' }));
    const got: { name: string; n: number }[] = [];
    const OBJ = 1;
    const LIST = 2;
    const ITEM = 3;
    const handler: JsonHandler = {
      open: (context, key) => (context === ROOT ? OBJ : context === OBJ && key === 0 ? LIST : context === LIST ? (got.push({ name: '', n: NaN }), ITEM) : SKIP),
      close: () => undefined,
      value: (context, key, type, b, start, end) => {
        if (context !== ITEM) return;
        if (key === 1 && type === JSON_STRING) got[got.length - 1].name = utf8(b, start, end);
        if (key === 2 && type === JSON_NUMBER) got[got.length - 1].n = parseDecimal(b, start, end);
      },
      endDocument: () => undefined,
      abortDocument: () => undefined,
    };
    await JsonStream.readFile(file, handler, ['items', 'name', 'n'], { lines: false, badRows: new BadRows() });
    expect(got).toEqual(values.map((v) => ({ name: v.name, n: v.n })));
  });
});

describe('files read in turn, each requested while the one before is read', () => {
  const bytesOf = async (file: string) => {
    const parts: Buffer[] = [];
    for await (const chunk of readByteChunks(file)) parts.push(chunk);
    return Buffer.concat(parts).toString('utf8');
  };

  it('gives every file its own bytes, in order, gzipped or not', async () => {
    const files = Array.from({ length: 6 }, (_, k) => path.join(dir, `turn-${k}.csv${k % 2 ? '.gz' : ''}`));
    files.forEach((f, k) => fs.writeFileSync(f, k % 2 ? gzipSync(`file ${k}\n`.repeat(50_000 + k)) : `file ${k}\n`.repeat(k)));
    const got: string[] = [];
    await readInTurn(files, async (f) => void got.push(await bytesOf(f)));
    expect(got).toEqual(files.map((_, k) => `file ${k}\n`.repeat(k % 2 ? 50_000 + k : k)));
  });

  it("opens the next file while the reader is on the one before, and hands the read it started to the next turn", async () => {
    // Files larger than one read: a read started and not yet taken holds its file open.
    const files = [0, 1, 2].map((k) => path.join(dir, `turn-ahead-${k}.csv`));
    files.forEach((f, k) => fs.writeFileSync(f, `${k}`.repeat(3 << 20)));
    const open = (name: string) => fs.readdirSync('/proc/self/fd').some((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`, { encoding: 'utf8' }).endsWith(name);
      } catch {
        return false; // closed meanwhile
      }
    });
    const aheadOpen: boolean[] = [];
    const got: string[] = [];
    await readInTurn(files, async (f) => {
      got.push(await bytesOf(f));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const k = files.indexOf(f);
      if (k + 1 < files.length && fs.existsSync('/proc/self/fd')) aheadOpen.push(open(path.basename(files[k + 1]!)));
    });
    expect(got).toEqual(files.map((_, k) => `${k}`.repeat(3 << 20)));
    if (fs.existsSync('/proc/self/fd')) expect(aheadOpen).toEqual([true, true]);
  });

  it('reports a file that cannot be read when its turn comes, after the files before it, naming it', async () => {
    const good = path.join(dir, 'turn-good.csv');
    fs.writeFileSync(good, 'a\n');
    const truncated = path.join(dir, 'turn-truncated.csv.gz');
    fs.writeFileSync(truncated, gzipSync('x\n'.repeat(1000)).subarray(0, 20));
    const missing = path.join(dir, 'turn-missing.csv');
    const read: string[] = [];
    await expect(readInTurn([good, truncated, good], async (f) => void read.push(await bytesOf(f)))).rejects.toThrow(/turn-truncated\.csv\.gz.*cannot read/);
    expect(read).toEqual(['a\n']);
    await expect(readInTurn([good, missing], async (f) => void read.push(await bytesOf(f)))).rejects.toThrow(/turn-missing\.csv.*cannot read/);
    expect(read).toEqual(['a\n', 'a\n']);
  });

  it('tells UTF-16 text, gzip data under a plain name and binary data from text, naming the file and line 1', async () => {
    const header = 'trace_id,span_id\nt1,s1\n';
    const cases: [string, Buffer, RegExp][] = [
      ['utf16le.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(header, 'utf16le')]), /utf16le\.csv:line 1: UTF-16 text .*iconv -f UTF-16 -t UTF-8/],
      ['utf16be.csv', Buffer.from([0xfe, 0xff, 0, 0x74]), /utf16be\.csv:line 1: UTF-16 text/],
      ['zipped.csv', gzipSync(header), /zipped\.csv:line 1: gzip-compressed data in a file whose name does not end in \.gz/],
      ['binary.csv.gz', gzipSync(Buffer.from([0x50, 0x4b, 3, 4, 0, 0, 0x0a])), /binary\.csv\.gz:line 1: binary data, not text \(a NUL byte at byte 5\)/],
    ];
    for (const [name, bytes, message] of cases) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, bytes);
      await expect(bytesOf(file), name).rejects.toThrow(message);
    }
    // Text with a UTF-8 byte-order mark, and a NUL past the first line (a value, not the file's kind), read as they are.
    const bom = path.join(dir, 'bom.csv');
    fs.writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(header)]));
    expect(await bytesOf(bom)).toBe(header);
    const later = path.join(dir, 'later-nul.csv');
    fs.writeFileSync(later, `${header}t2,s\u00002\n`);
    expect(await bytesOf(later)).toBe(`${header}t2,s\u00002\n`);
  });

  it('says how far a cut-short .gz file was read', async () => {
    let x = 7;
    const text = Array.from({ length: 200_000 }, () => ((x = (x * 1103515245 + 12345) >>> 0), `${x},${x >>> 7}`)).join('\n');
    const whole = gzipSync(text);
    const cut = path.join(dir, 'cut-short.csv.gz');
    fs.writeFileSync(cut, whole.subarray(0, whole.length >> 1));
    const err = await readInTurn([cut], async (f) => void (await bytesOf(f))).catch((e: Error) => e);
    expect(String(err)).toMatch(/cut-short\.csv\.gz.*cannot read after \d+ bytes of its unzipped text: unexpected end of file/);
    const at = Number(/after (\d+) bytes/.exec(String(err))![1]);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(text.length);
  });

  it('closes a read started for a file whose reader stops early or fails', async () => {
    // Text that hardly compresses: the files are larger than one read, so a started read holds its file open.
    let x = 1;
    const noise = Array.from({ length: 300_000 }, () => ((x = (x * 48271) % 2147483647).toString(36))).join('\n');
    const files = [0, 1, 2].map((k) => path.join(dir, `turn-stop-${k}.csv.gz`));
    for (const f of files) fs.writeFileSync(f, gzipSync(noise));
    // The reader takes one chunk of each file and fails on the second: the third file's read, started ahead, is closed.
    const target = (fd: string) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`, { encoding: 'utf8' });
      } catch {
        return ''; // closed meanwhile
      }
    };
    const openFiles = () => fs.readdirSync('/proc/self/fd').filter((fd) => target(fd).includes('turn-stop-')).length;
    let n = 0;
    await expect(
      readInTurn(files, async (f) => {
        for await (const chunk of readByteChunks(f)) {
          expect(chunk.length).toBeGreaterThan(0);
          break;
        }
        if (++n === 2) throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (fs.existsSync('/proc/self/fd')) expect(openFiles()).toBe(0);
    // Nothing is left over: a later read of the same files starts afresh and gives them whole.
    for (const f of files) expect(await bytesOf(f)).toBe(noise);
  });
});

describe('numbers and instants from bytes', () => {
  const b = (s: string) => Buffer.from(s, 'latin1');
  it('reads what Number() reads, and refuses what is not a decimal number', () => {
    for (const s of ['0', '-0', '12', ' 3.5 ', '.5', '5.', '1e-3', '-2.5E+10', '123456789012345678901234', '0.1000000000000000055511151231257827', '1e400', '4.9e-324']) {
      expect(parseDecimal(b(s), 0, s.length)).toBe(Number(s));
    }
    for (const s of ['', ' ', '-', '.', 'e5', '1e', '0x10', 'Infinity', 'NaN', '1_000', '1.2.3', '--1']) expect(parseDecimal(b(s), 0, s.length)).toBeNaN();
  });

  it('reads only real calendar times', () => {
    expect(parseInstant('2024-02-29T23:59:59.999Z', 'ms')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    expect(parseInstant('2024-03-01 01:00:00+01:00', 'ms')).toBe(Date.UTC(2024, 2, 1));
    expect(parseInstant('2023-01-29T08:43:04.123456Z', 'ms')).toBeCloseTo(Date.UTC(2023, 0, 29, 8, 43, 4, 123) + 0.456, 6);
    for (const s of ['2026-02-30', '2026-02-29T00:00:00Z', '2026-13-45T99:99Z', '2026-01-01T24:00:00Z', '2026-01-01T10:60Z', '2026-01-01T10:00:60Z', '2026-01-01T10:00+25:00', '2026-1-1']) {
      expect([s, parseInstant(s, 'ms')]).toEqual([s, NaN]);
    }
  });
});

describe('string dictionary', () => {
  it('gives each text one code however it arrives: bytes, strings, after growing, adopted, repeated', () => {
    const d = new StringDictionary();
    const texts = Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? `naïve-${i}` : `id-${i.toString(16)}`));
    const codes = texts.map((t, i) => {
      if (i === 2500) d.reserve(100_000);
      return i % 2 ? d.internString(t) : d.intern(Buffer.from(t), 0, Buffer.byteLength(t));
    });
    expect(codes).toEqual(texts.map((_, i) => i));
    expect(texts.every((t, i) => d.internString(t) === i && d.strings[i] === t)).toBe(true);
    expect(d.find(Buffer.from('absent'), 0, 6)).toBe(-1);
    // A table built elsewhere (with a repeat) is adopted in place: first codes kept, new texts appended.
    const table = ['a', 'b', 'a', 'c'];
    const adopted = StringDictionary.of(table);
    expect([adopted.internString('a'), adopted.internString('c'), adopted.internString('d')]).toEqual([0, 3, 4]);
    expect(table).toEqual(['a', 'b', 'a', 'c', 'd']);
    expect(StringDictionary.of(table)).toBe(adopted);
    const run = new RunInterner(d);
    const row = Buffer.from('xx,xx,yy');
    expect([run.intern(row, 0, 2), run.intern(row, 3, 5), run.intern(row, 6, 8)]).toEqual([5000, 5000, 5001]);
  });
});

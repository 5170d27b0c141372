import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseSeriesCsv, parseTimestamp, readSeriesCsv, readSeriesDir } from '../../data/series-csv.js';
import { readLongKpiCsv } from '../../data/kpi-csv.js';
import { BadRows } from '../../common/bad-rows.js';
import { stableOrder, stableOrderU32 } from '../../common/argsort.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'fl-series-'));

describe('series CSVs', () => {
  it('parses unix seconds and ISO 8601 (zone-less = UTC)', () => {
    expect(parseTimestamp('1700000000')).toBe(1_700_000_000_000);
    expect(parseTimestamp('2014-02-19 10:50:00')).toBe(Date.UTC(2014, 1, 19, 10, 50));
    expect(parseTimestamp('2014-02-19 10:50:00.000000')).toBe(Date.UTC(2014, 1, 19, 10, 50));
    expect(parseTimestamp('2014-02-19T10:50:00+01:00')).toBe(Date.UTC(2014, 1, 19, 9, 50));
    expect(parseTimestamp('2014-02-19')).toBe(Date.UTC(2014, 1, 19));
    expect(parseTimestamp('yesterday')).toBeNaN();
  });
  it('reads labels and blank values, and names file, line and field on bad input', () => {
    const s = parseSeriesCsv('a.csv', 'timestamp,value,label\n60,1.5,0\n120,,1\n180,2,0\n', 'a');
    expect(Array.from(s.timestamps)).toEqual([60_000, 120_000, 180_000]);
    expect(s.values[1]).toBeNaN();
    expect(Array.from(s.labels!)).toEqual([0, 1, 0]);
    expect(() => parseSeriesCsv('b.csv', 'time,v\n1,2\n', 'b')).toThrow(/b\.csv:line 1: header must name timestamp and value/);
    expect(() => parseSeriesCsv('c.csv', 'timestamp,value\n60,1\n120,x\n', 'c')).toThrow(/c\.csv:line 3: field value: "x" is not a number/);
    expect(() => parseSeriesCsv('d.csv', 'timestamp,value\nnoon,1\n', 'd')).toThrow(/d\.csv:line 2: field timestamp/);
    expect(() => parseSeriesCsv('e.csv', 'timestamp,value,label\n60,1,2\n', 'e')).toThrow(/e\.csv:line 2: field label: "2" must be 0 or 1/);
  });
  it('keeps every row of a file with repeated or backward timestamps, noting the repair', () => {
    const notes: string[] = [];
    const s = parseSeriesCsv('f.csv', 'timestamp,value\n60,1\n120,2\n120,3\n90,4\n', 'f', notes);
    expect(Array.from(s.timestamps)).toEqual([60_000, 90_000, 120_000, 120_001]);
    expect(Array.from(s.values)).toEqual([1, 4, 2, 3]);
    expect(notes[0]).toMatch(/f\.csv: rows out of time order were sorted; 1 repeated timestamp/);
  });
  it('reads the NAB layout (root or its data/ folder): windows become labels and are kept for NAB', async () => {
    const root = tmp();
    mkdirSync(join(root, 'data', 'g'), { recursive: true });
    mkdirSync(join(root, 'labels'));
    writeFileSync(join(root, 'data', 'g', 'x.csv'), 'timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,2\n2014-01-01 00:10:00,3\n');
    writeFileSync(join(root, 'labels', 'combined_windows.json'), JSON.stringify({ 'g/x.csv': [['2014-01-01 00:05:00.000000', '2014-01-01 00:10:00.000000']] }));
    for (const dir of [root, join(root, 'data')]) {
      const set = await readSeriesDir(dir);
      expect(set.layout).toBe('nab');
      expect(set.series.map((s) => s.id)).toEqual(['g/x']);
      expect(Array.from(set.series[0].labels!)).toEqual([0, 1, 1]);
      expect(set.windows!['g/x']).toEqual([[Date.UTC(2014, 0, 1, 0, 5), Date.UTC(2014, 0, 1, 0, 10)]]);
    }
    writeFileSync(join(root, 'labels', 'combined_windows.json'), '{}');
    await expect(readSeriesDir(root)).rejects.toThrow(/combined_windows\.json: no entry "g\/x\.csv"/);
  });
});


describe('series input validation', () => {
  it('rejects infinite values, times in the wrong unit, impossible dates and cut-short rows, naming the line and field', () => {
    expect(() => parseSeriesCsv('a.csv', 'timestamp,value\n60,1e400\n', 'a')).toThrow('a.csv:line 2: field value: "1e400" is not a number');
    expect(() => parseSeriesCsv('b.csv', 'timestamp,value\n60,Infinity\n', 'b')).toThrow('b.csv:line 2: field value: "Infinity" is not a number');
    expect(() => parseSeriesCsv('c.csv', 'timestamp,value\n1700000000000000000,1\n', 'c')).toThrow(/c\.csv:line 2: field timestamp: "1700000000000000000": .* as unix seconds, outside 1970-2099 \(is it in nanoseconds\? that would be 2023-11-14T22:13:20\.000Z\)/);
    expect(() => parseSeriesCsv('d.csv', 'timestamp,value\n2026-02-30T00:00:00Z,1\n', 'd')).toThrow('d.csv:line 2: field timestamp: "2026-02-30T00:00:00Z" is neither unix seconds nor ISO 8601');
    expect(() => parseSeriesCsv('e.csv', 'timestamp,value\n2026-13-45T99:99Z,1\n', 'e')).toThrow(/e\.csv:line 2: field timestamp/);
    expect(() => parseSeriesCsv('f.csv', 'timestamp,value\n60,1\n120', 'f')).toThrow('f.csv:line 3: 1 fields, header has 2');
    expect(parseTimestamp('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
  });

  it('follows --on-bad-row in a series folder: reject names the file, line and field; skip drops and counts the rows', async () => {
    const dir = tmp();
    const file = join(dir, 's.csv');
    writeFileSync(file, 'timestamp,value\n60,1\n120,abc\n180\n240,4\n');
    await expect(readSeriesDir(dir)).rejects.toThrow(`${file}:line 3: field value: "abc" is not a number`);
    const badRows = new BadRows('skip');
    const set = await readSeriesDir(dir, badRows);
    expect(Array.from(set.series[0].values)).toEqual([1, 4]);
    expect(badRows.skipped).toBe(2);
    expect(badRows.examples).toEqual([`${file}:line 3: field value: "abc" is not a number`, `${file}:line 4: 1 fields, header has 2`]);
  });

  it('quotes a long bad value cut short', () => {
    const long = '9'.repeat(3_000_000);
    expect(() => parseSeriesCsv('g.csv', `timestamp,value\n60,${long}\n`, 'g')).toThrow(/^g\.csv:line 2: field value: "9{120}\.\.\. \(3000000 characters\)" is not a number$/);
  });

  it('reads a gzipped series with a byte-order mark', async () => {
    const file = join(tmp(), 's.csv.gz');
    writeFileSync(file, gzipSync('\uFEFFtimestamp,value\n60,1\n120,2\n'));
    const s = await readSeriesCsv(file, 's');
    expect(Array.from(s.values)).toEqual([1, 2]);
  });

  it('repairs a series where every row is repeated in one linear pass, noting it', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `${1_700_000_000 + 60 * Math.floor(i / 2)},${i}`);
    const notes: string[] = [];
    const s = parseSeriesCsv('rep.csv', `timestamp,value\n${rows.join('\n')}\n`, 'rep', notes);
    expect(s.timestamps.length).toBe(20_000);
    expect(s.timestamps[1] - s.timestamps[0]).toBe(1);
    expect(notes).toEqual(['rep.csv: 10000 repeated timestamp(s) moved 1 ms after the previous row']);
  });
});

describe('long KPI CSV validation', () => {
  const header = 'series,timestamp,value,label';
  it.each([
    ['an infinite value', 'service:a:volume,1700000000,Infinity,0', "line 2: value 'Infinity' is not a number"],
    ['a value beyond the double range', 'service:a:volume,1700000000,1e400,0', "line 2: value '1e400' is not a finite number"],
    ['nanoseconds given as seconds', 'service:a:volume,1700000000000000000,1,0', /line 2: timestamp '1700000000000000000': .* as unix seconds, outside 1970-2099 \(is it in nanoseconds\?/],
    ['a row cut short', 'service:a:volume,17000', 'line 2: 2 fields, header has 4'],
  ])('rejects %s, or skips and counts it', async (_, row, error) => {
    const file = join(tmp(), 'long.csv');
    writeFileSync(file, `${header}\n${row}\nservice:a:volume,1700000060,2,0`);
    await expect(readLongKpiCsv(file, new BadRows())).rejects.toThrow(error);
    const badRows = new BadRows('skip');
    const [s] = await readLongKpiCsv(file, badRows);
    expect(Array.from(s.values)).toEqual([2]);
    expect(badRows.skipped).toBe(1);
  });
});

describe('stable order of times', () => {
  it('matches a stable comparison sort, repeats and negatives included', () => {
    let x = 7;
    const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const values = Float64Array.from({ length: 5000 }, () => Math.round((rnd() - 0.3) * 50) * 1e9 + (rnd() < 0.5 ? 0.25 : 0));
    const expected = Array.from(values.keys()).sort((a, b) => values[a] - values[b] || a - b);
    expect(Array.from(stableOrder(values))).toEqual(expected);
  });
  it('orders unsigned 32-bit keys (hashes) stably, ties in row order', () => {
    let x = 7;
    const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    // Keys over the whole 32-bit range, many repeated, so that every 11-bit digit matters.
    const keys = Uint32Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? 0xffffffff : i % 7 === 0 ? 5 : rnd()));
    const expected = Array.from(keys.keys()).sort((a, b) => keys[a] - keys[b] || a - b);
    expect(Array.from(stableOrderU32(keys))).toEqual(expected);
  });
});

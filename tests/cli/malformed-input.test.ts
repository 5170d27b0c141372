/**
 * Malformed input as the CLI meets it: bad rows follow --on-bad-row for every series layout and are
 * reported, a run that would score nothing is refused, a score file obeys the CSV rules, flag
 * errors name the flag, and an error quotes a long value cut short. Needs dist/ (`npm test` builds).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from './run-cli.js';
import { afterAll, describe, expect, it } from 'vitest';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-malformed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const T0 = Date.UTC(2014, 3, 1);
const time = (i: number) => new Date(T0 + i * 300_000).toISOString();
/** A series of 300 five-minute points, `bad` replacing row i's line (1-based line i + 2). */
function seriesRows(bad: Record<number, string> = {}): string[] {
  return Array.from({ length: 300 }, (_, i) => bad[i] ?? `${time(i)},${100 + (i % 7)}`);
}
/** A folder holding s.csv with these rows (made once per name). */
function seriesFolder(name: string, rows: string[]): string {
  const dir = path.join(tmp, name);
  if (existsSync(dir)) return dir;
  mkdirSync(dir);
  writeFileSync(path.join(dir, 's.csv'), ['timestamp,value', ...rows, ''].join('\n'));
  return dir;
}

describe('detect and malformed series', () => {
  it('skips bad rows of a series folder and of a long CSV under --on-bad-row skip, reporting count and reasons; stops on them by default', () => {
    const folder = seriesFolder('nonnum', seriesRows({ 9: `${time(9)},abc` }));
    const file = path.join(folder, 's.csv');
    const rejected = cli(['detect', '--series', folder, '--detectors', 'ksigma', '--out', path.join(tmp, 'nonnum-reject'), '--no-progress']);
    expect(rejected.status).toBe(2);
    expect(rejected.stderr).toBe(`faultline: ${file}:line 11: field value: "abc" is not a number\n`);
    const skipped = cli(['detect', '--series', folder, '--detectors', 'ksigma', '--out', path.join(tmp, 'nonnum-skip'), '--on-bad-row', 'skip', '--no-progress']);
    expect(skipped.status, skipped.stderr).toBe(0);
    expect(skipped.stdout).toMatch(/^1 series, 299 points/);
    expect(skipped.stderr).toBe(`skipped 1 malformed rows, e.g.:\n  ${file}:line 11: field value: "abc" is not a number\n`);
    expect(JSON.parse(readFileSync(path.join(tmp, 'nonnum-skip', 'metrics.json'), 'utf8')).notes).toEqual(['1 malformed rows skipped (--on-bad-row skip)']);

    const long = path.join(tmp, 'long.csv');
    writeFileSync(long, ['series,timestamp,value', ...seriesRows({ 9: `${time(9)},abc` }).map((r) => `s,${r}`), ''].join('\n'));
    const fromLong = cli(['detect', '--series', long, '--detectors', 'ksigma', '--out', path.join(tmp, 'long-skip'), '--on-bad-row', 'skip', '--no-progress']);
    expect(fromLong.status, fromLong.stderr).toBe(0);
    expect(fromLong.stderr).toBe(`skipped 1 malformed rows, e.g.:\n  ${long}:line 11: value 'abc' is not a number\n`);
  });

  it('refuses to score nothing: series without rows, or --train-until after the last point, naming the flag and the input', () => {
    const empty = seriesFolder('header-only', []);
    const none = cli(['detect', '--series', empty, '--detectors', 'ksigma', '--out', path.join(tmp, 'none'), '--no-progress']);
    expect(none.status).toBe(2);
    expect(none.stderr).toBe(`faultline: ${empty}: no points to score: the series (s) hold no rows\n`);
    const good = seriesFolder('good', seriesRows());
    const detect = (trainUntil: string, out: string) => cli(['detect', '--series', good, '--train-until', trainUntil, '--detectors', 'ksigma', '--out', path.join(tmp, out), '--no-progress']);
    const late = detect('2030-01-01T00:00:00Z', 'late');
    expect(late.status).toBe(2);
    expect(late.stderr).toBe(`faultline: ${good}: no points to score: --train-until 2030-01-01T00:00:00Z is after the last point (${time(299)}), so training takes every point\n`);
    // One millisecond past the last point; an offset is shown as the time it names (300 points of 5 min end at 24 h 55 min).
    const justAfter = new Date(Date.parse(time(299)) + 1).toISOString();
    expect(detect(justAfter, 'just-after').stderr).toBe(`faultline: ${good}: no points to score: --train-until ${justAfter} is after the last point (${time(299)}), so training takes every point\n`);
    expect(detect('25h', 'offset').stderr).toBe(`faultline: ${good}: no points to score: --train-until 25h (${time(300)}) is after the last point (${time(299)}), so training takes every point\n`);
    expect(['none', 'late', 'just-after', 'offset'].some((d) => existsSync(path.join(tmp, d)))).toBe(false);
    // At exactly the last point, that point is scored: points at or after --train-until are.
    const last = detect(time(299), 'at-last');
    expect(last.status, last.stderr).toBe(0);
    expect(last.stderr).toBe('');
    const alarms = readFileSync(path.join(tmp, 'at-last', 'alarms.csv'), 'utf8').trim().split('\n');
    expect(alarms.at(-1)).toMatch(new RegExp(`^s,${time(299)},`));
  });

  it('warns of series --train-until leaves nothing to score while others are scored', () => {
    const dir = path.join(tmp, 'two-lengths');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'long.csv'), ['timestamp,value', ...seriesRows(), ''].join('\n'));
    writeFileSync(path.join(dir, 'short.csv'), ['timestamp,value', ...seriesRows().slice(0, 100), ''].join('\n'));
    const r = cli(['detect', '--series', dir, '--train-until', '10h', '--detectors', 'ksigma', '--out', path.join(tmp, 'two-lengths-out'), '--no-progress']);
    expect(r.status, r.stderr).toBe(0);
    const note = `${dir}: 1 of 2 series have no points to score (short): fitted on points before ${time(120)} (--train-until); scored from there`;
    expect(r.stderr).toBe(`faultline: warning: ${note}\n`);
    expect(JSON.parse(readFileSync(path.join(tmp, 'two-lengths-out', 'metrics.json'), 'utf8')).notes).toEqual([note]);
  });

  it('quotes a huge bad value cut short', () => {
    const folder = seriesFolder('long-line', seriesRows({ 9: `${time(9)},${'9'.repeat(3_000_000)}` }));
    const r = cli(['detect', '--series', folder, '--detectors', 'ksigma', '--out', path.join(tmp, 'long-line-out'), '--no-progress']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/line 11: field value: "9{120}\.\.\. \(3000000 characters\)" is not a number\n$/);
    expect(r.stderr.length).toBeLessThan(400);
  });

  it('refuses a span CSV row that is not UTF-8, naming its line', () => {
    const spans = path.join(tmp, 'nonutf8.csv');
    const row = (id: string, service: string) => Buffer.from(`t1,${id},,${service},${Date.UTC(2023, 0, 29, 8, 43)},${Date.UTC(2023, 0, 29, 8, 43) + 10}\n`, 'latin1');
    writeFileSync(spans, Buffer.concat([Buffer.from('trace_id,span_id,parent_id,service,start_ms,end_ms\n'), row('a', 'ts-auth'), row('b', 'ts-\xff\xfeauth')]));
    const incidents = path.join(tmp, 'incidents.json');
    writeFileSync(incidents, JSON.stringify([{ id: 'i1', start: '2023-01-29T08:42:30Z', end: '2023-01-29T08:45:00Z', rootCause: ['ts-auth'] }]));
    const r = cli(['rca', '--spans', spans, '--incidents', incidents, '--rca', 'count', '--out', path.join(tmp, 'nonutf8-out'), '--no-progress']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`faultline: ${spans}:line 3: not UTF-8\n`);
  });
});

describe('score files obey the CSV rules', () => {
  const scores = (name: string, header: string, rows: string[]) => {
    const f = path.join(tmp, name);
    writeFileSync(f, [header, ...rows, ''].join('\n'));
    return f;
  };
  const rows = seriesRows().map((r) => `s,${r.split(',')[0]},0.5,0,ksigma`);

  it.each([
    ['a row with more fields than the header', 'too-many.csv', 'series,timestamp,score,alarm,detector', rows.map((r, i) => (i === 99 ? `${r},x` : r)), ':line 101: 6 fields, header has 5'],
    ['a column named twice', 'dup-header.csv', 'series,timestamp,score,alarm,alarm', rows, ':line 1: column "alarm" appears twice'],
    ['a header without rows', 'header-only.csv', 'series,timestamp,score,alarm,detector', [], ': no score rows (only a header)'],
  ])('refuses %s, naming the file (exit 2)', (_, name, header, lines, error) => {
    const f = scores(name, header, lines);
    const r = cli(['score', '--series', seriesFolder('good', seriesRows()), '--scores', f, '--out', path.join(tmp, `${name}-out`)]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`faultline: ${f}${error}\n`);
  });
});

describe('score and --on-bad-row', () => {
  const lines = seriesRows().map((r) => `s,${r.split(',')[0]},0.5,0,ksigma`);
  const scoreFile = (name: string, rows: (string | Buffer)[]) => {
    const f = path.join(tmp, name);
    writeFileSync(f, Buffer.concat([Buffer.from('series,timestamp,score,alarm,detector\n'), ...rows.map((r) => Buffer.concat([Buffer.from(r), Buffer.from('\n')]))]));
    return f;
  };
  const score = (series: string, scores: string, out: string, ...more: string[]) => cli(['score', '--series', series, '--scores', scores, '--out', path.join(tmp, out), ...more]);
  const notes = (out: string) => JSON.parse(readFileSync(path.join(tmp, out, 'metrics.json'), 'utf8')).notes;

  it('skips malformed score rows and reports them as detect does; a note counts the points left without a score', () => {
    const good = seriesFolder('good', seriesRows());
    // Line 12 is not UTF-8; line 22 holds no number.
    const f = scoreFile('bad-scores.csv', lines.map((r, i) => (i === 10 ? Buffer.concat([Buffer.from(r), Buffer.from([0xff])]) : i === 20 ? r.replace(',0.5,', ',zz,') : r)));
    const rejected = score(good, f, 'bad-scores-reject');
    expect(rejected.status).toBe(2);
    expect(rejected.stderr).toBe(`faultline: ${f}:line 12: not UTF-8\n`);
    const skipped = score(good, f, 'bad-scores-skip', '--on-bad-row', 'skip');
    expect(skipped.status, skipped.stderr).toBe(0);
    expect(skipped.stderr).toBe(`skipped 2 malformed rows, e.g.:\n  ${f}:line 12: not UTF-8\n  ${f}:line 22: score "zz" is not a number\n`);
    expect(notes('bad-scores-skip')).toEqual([`detector ksigma: 2 points of ${good} without a score row have no score (malformed rows skipped)`, '2 malformed rows skipped (--on-bad-row skip)']);
  });

  it('skips malformed series rows; the score rows at their times are left out', () => {
    const folder = seriesFolder('nonnum', seriesRows({ 9: `${time(9)},abc` }));
    const f = scoreFile('all-scores.csv', lines);
    const skipped = score(folder, f, 'bad-series-skip', '--on-bad-row', 'skip');
    expect(skipped.status, skipped.stderr).toBe(0);
    expect(skipped.stdout).toMatch(/^1 series, 299 points/);
    expect(skipped.stderr).toBe(`skipped 1 malformed rows, e.g.:\n  ${path.join(folder, 's.csv')}:line 11: field value: "abc" is not a number\n`);
    expect(notes('bad-series-skip')).toEqual([`detector ksigma: 1 score rows at no point of ${folder} are left out (malformed rows skipped)`, '1 malformed rows skipped (--on-bad-row skip)']);
  });

  it('still refuses rows that miss more points than rows were skipped, and files left without rows', () => {
    const good = seriesFolder('good', seriesRows());
    // One bad row and one row missing: two points unmatched, one row skipped.
    const f = scoreFile('short-scores.csv', lines.filter((_, i) => i !== 50).map((r, i) => (i === 20 ? r.replace(',0.5,', ',zz,') : r)));
    const r = score(good, f, 'short-scores-out', '--on-bad-row', 'skip');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`faultline: ${f}: detector ksigma: 298 score rows for series s, which has 300 points\n`);
    const none = scoreFile('no-good-rows.csv', [lines[0]!.replace(',0.5,', ',zz,')]);
    expect(score(good, none, 'no-good-rows-out', '--on-bad-row', 'skip').stderr).toBe(`faultline: ${none}: no score rows once 1 malformed rows were skipped\n`);
    const empty = seriesFolder('all-bad', [`${time(0)},abc`]);
    expect(score(empty, f, 'all-bad-out', '--on-bad-row', 'skip').stderr).toBe(`faultline: ${empty}: no points to score: the series (s) hold no rows once 1 malformed rows were skipped\n`);
  });

  it("allows a detector only the rows skipped where its own rows could have been", () => {
    // NAB's layout, two detectors: alpha's file has a malformed row, beta's simply lacks one.
    const series = path.join(tmp, 'nested');
    mkdirSync(path.join(series, 'g'), { recursive: true });
    writeFileSync(path.join(series, 'g', 's.csv'), ['timestamp,value', ...seriesRows(), ''].join('\n'));
    const rows = seriesRows().map((r) => `${r.split(',')[0]},0.5`);
    const scores = path.join(tmp, 'two-detectors');
    for (const [det, body] of [['alpha', rows.map((r, i) => (i === 20 ? r.replace(',0.5', ',zz') : r))], ['beta', rows.filter((_, i) => i !== 50)]] as const) {
      mkdirSync(path.join(scores, det, 'g'), { recursive: true });
      writeFileSync(path.join(scores, det, 'g', `${det}_s.csv`), ['timestamp,anomaly_score', ...body, ''].join('\n'));
    }
    const r = score(series, scores, 'two-detectors-out', '--on-bad-row', 'skip');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`detector beta: 299 score rows for series g/s, which has 300 points`);
  });
});

describe('flag errors name the flag', () => {
  it('an unknown flag is named as typed, once', () => {
    const r = cli(['score', '--series', 'x', '--scores', 'y', '--out', path.join(tmp, 'unknown'), '--train-untl', '2h']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('faultline: unknown flag --train-untl\n(run faultline score --help for usage)\n');
    expect(cli(['score', '--series', 'x', '--scores', 'y', '--out', path.join(tmp, 'unknown'), '--threshhold', '1']).stderr).toMatch(/^faultline: unknown flag --threshhold \(did you mean --threshold\?\)\n/);
  });

  it('--train-until, --time-shift and a negative --duration', () => {
    const trainUntil = cli(['detect', '--series', seriesFolder('good', seriesRows()), '--train-until', 'banana', '--detectors', 'ksigma', '--out', path.join(tmp, 'tu'), '--no-progress']);
    expect(trainUntil.status).toBe(2);
    expect(trainUntil.stderr).toMatch(/^faultline: --train-until: invalid duration or time 'banana'/);
    const key = path.join(tmp, 'key');
    expect(cli(['anonymise', '--new-key', key]).status).toBe(0);
    const spans = path.join(tmp, 'spans.csv');
    writeFileSync(spans, 'trace_id,span_id,parent_id,service,start_ms,end_ms\nt1,a,,auth,1700000000000,1700000000010\n');
    const shift = cli(['anonymise', '--key-file', key, '--spans', spans, '--time-shift=banana', '--out', path.join(tmp, 'anon')]);
    expect(shift.status).toBe(2);
    expect(shift.stderr).toMatch(/^faultline: --time-shift: invalid value 'banana'/);
    const duration = cli(['generate', '--scenario', 'default', '--duration', '-15m', '--out', path.join(tmp, 'gen')]);
    expect(duration.status).toBe(2);
    expect(duration.stderr).toBe("faultline: --duration: must be positive: '-15m'\n");
  });
});

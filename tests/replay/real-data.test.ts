/**
 * Proof on real data: a slice of the Nezha Train-Ticket day and of the NAB corpus, replayed raw
 * and replayed after anonymisation, give the same scores, and every ranking maps one to one
 * through the pseudonyms; and no original identifier survives anywhere in the anonymised output.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymise } from '../../anonymise/anonymise.js';
import { replay } from '../../pipeline/replay.js';
import { loadSpans } from '../../data/inputs.js';
import { BadRows } from '../../common/bad-rows.js';
import { Pseudonymiser } from '../../anonymise/pseudonymise.js';
import { AnonymisationKey } from '../../anonymise/key.js';
import { anonymiseSeriesId } from '../../anonymise/tables.js';
import { readSpans } from '../../data/span-csv.js';
import { writeTestKey } from '../anonymise/keys.js';

// The real data sets sit in shared/ beside the clone (as in CI), or where FAULTLINE_SHARED_DATA says.
const DATA = process.env.FAULTLINE_SHARED_DATA ?? path.resolve(__dirname, '../../../shared/data');
const NEZHA = path.join(DATA, 'nezha-tt-2023-01-29');
const NAB = path.join(DATA, 'nab');
const NEZHA_COLUMNS = { trace_id: 'TraceID', span_id: 'SpanID', parent_id: 'ParentID', instance: 'PodName', operation: 'OperationName', start_ns: 'StartTimeUnixNano', end_ns: 'EndTimeUnixNano' };
const POD_RE = '^(.+)-[a-z0-9]+-[a-z0-9]+$';
const NAB_FILES = ['realTraffic/speed_7578.csv', 'realAWSCloudwatch/iio_us-east-1_i-a2eb1cd9_NetworkIn.csv', 'realAdExchange/exchange-3_cpc_results.csv'];
const RCA = ['count', 'deepest-abnormal', 'ochiai', 'microrank'];
const DETECTORS = ['ksigma', 'mad', 'ewma'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-replay-real-'));
const keyFile = writeTestKey(tmp, 'real-data');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every file under `dir` with its path relative to it. */
function walk(dir: string): { rel: string; bytes: Buffer }[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const full = path.join(e.parentPath, e.name);
      return { rel: path.relative(dir, full), bytes: fs.readFileSync(full) };
    });
}

/**
 * Fail on the first original found in the output: names by substring anywhere (file names
 * included); ids (many, fixed length) by every substring of that length of every output token.
 */
function expectNoOriginal(dir: string, names: Set<string>, ids: Set<string>) {
  const files = walk(dir);
  expect(files.length).toBeGreaterThan(0);
  const lengths = [...new Set([...ids].map((s) => s.length))];
  for (const { rel, bytes } of files) {
    const text = `${rel}\n${bytes.toString('latin1')}`;
    for (const name of names) if (text.includes(name)) throw new Error(`${rel} contains the original '${name}'`);
    for (const token of text.split(/[^A-Za-z0-9]+/)) {
      for (const L of lengths) {
        for (let i = 0; i + L <= token.length; i++) {
          const sub = token.slice(i, i + L);
          if (ids.has(sub)) throw new Error(`${rel} contains the original id '${sub}'`);
        }
      }
    }
  }
}

/** Same shape and values, numbers equal to 1e-9 relative (null and NaN only match themselves). */
function expectClose(actual: unknown, expected: unknown, where: string): void {
  if (typeof expected === 'number' && typeof actual === 'number' && Number.isFinite(expected)) {
    expect(Math.abs(actual - expected), `${where}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
  } else if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), where).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[k], v, `${where}.${k}`);
  } else {
    expect(actual, where).toEqual(expected);
  }
}

const HAVE_DATA = fs.existsSync(NEZHA) && fs.existsSync(NAB);
// Outside CI a checkout without shared/ skips, loudly; in CI the data must be there.
if (!HAVE_DATA && !process.env.CI) console.warn(`real-data tests SKIPPED: no Nezha/NAB data under ${DATA} (set FAULTLINE_SHARED_DATA)`);

describe.skipIf(!HAVE_DATA && !process.env.CI)('Nezha and NAB, raw and anonymised', () => {
  const nezhaTrace = path.join(tmp, 'nezha', 'trace');
  const faultList = path.join(tmp, 'nezha', 'fault_list.json');
  const nab = path.join(tmp, 'nab');
  const anonDir = path.join(tmp, 'anon');
  const shapeDir = path.join(tmp, 'anon-shape');
  let p: Pseudonymiser;

  beforeAll(async () => {
    p = new Pseudonymiser(await AnonymisationKey.fromFile(keyFile));
    // Two minutes of traces around the first fault of the day, and that fault.
    fs.mkdirSync(nezhaTrace, { recursive: true });
    for (const f of ['08_43_trace.csv.gz', '08_44_trace.csv.gz']) fs.copyFileSync(path.join(NEZHA, 'trace', f), path.join(nezhaTrace, f));
    const faults = JSON.parse(fs.readFileSync(path.join(NEZHA, 'fault_list.json'), 'utf8')) as Record<string, unknown[]>;
    fs.writeFileSync(faultList, JSON.stringify({ '08': faults['08'].slice(0, 1) }));
    const windows = JSON.parse(fs.readFileSync(path.join(NAB, 'labels', 'combined_windows.json'), 'utf8')) as Record<string, unknown>;
    fs.mkdirSync(path.join(nab, 'labels'), { recursive: true });
    fs.writeFileSync(path.join(nab, 'labels', 'combined_windows.json'), JSON.stringify(Object.fromEntries(NAB_FILES.map((f) => [f, windows[f]]))));
    for (const f of NAB_FILES) {
      fs.mkdirSync(path.dirname(path.join(nab, 'data', f)), { recursive: true });
      fs.copyFileSync(path.join(NAB, 'data', f), path.join(nab, 'data', f));
    }
    await anonymise({
      out: anonDir,
      keyFile,
      spans: [nezhaTrace],
      baseline: [path.join(NEZHA, 'normal')],
      columns: NEZHA_COLUMNS,
      serviceFromInstance: POD_RE,
      incidents: faultList,
      kpis: [nab],
      timeShift: '-400d',
    });
    // Operation names with their route shape kept: the same scores too.
    await anonymise({ out: shapeDir, keyFile, spans: [nezhaTrace], baseline: [path.join(NEZHA, 'normal')], columns: NEZHA_COLUMNS, serviceFromInstance: POD_RE, incidents: faultList, operations: 'keep-shape' });
  }, 120_000);

  it('gives the same RCA scores, rankings mapping one to one through the pseudonyms, operation names included', async () => {
    const raw = await replay({ spans: [nezhaTrace], baseline: [path.join(NEZHA, 'normal')], columns: NEZHA_COLUMNS, serviceFromInstance: POD_RE, incidents: faultList, rca: RCA, detectors: [], out: path.join(tmp, 'raw-nezha') });
    expect(raw.item.rca.map((a) => a.name)).toEqual(RCA);
    for (const dir of [anonDir, shapeDir]) {
      const anon = await replay({ in: dir, rca: RCA, detectors: [], out: path.join(tmp, `${path.basename(dir)}-nezha`) });
      for (const [k, algorithm] of raw.item.rca.entries()) {
        const other = anon.item.rca[k];
        expect(other.incidents).toHaveLength(algorithm.incidents.length);
        for (const [i, incident] of algorithm.incidents.entries()) {
          const mapped = other.incidents[i];
          expect(mapped.id).toBe(p.map('incident', incident.id));
          // Ties fall back to first appearance in the spans, which anonymisation keeps: every
          // candidate maps one to one, in order, and the root cause sits at the same rank.
          expect(mapped.rank).toBe(incident.rank);
          expect(mapped.rootCause).toEqual(incident.rootCause.map((s) => p.map('service', s)));
          expect(mapped.candidates.length).toBeGreaterThan(1);
          expect(mapped.candidates.map((c) => [c.service, c.score])).toEqual(incident.candidates.map((c) => [p.map('service', c.service), c.score]));
        }
      }
      const figures = (s: typeof raw.summary) => s.rca.map((a) => [a.name, a.incidents, a.ac1, a.ac3, a.avg5, a.mrr]);
      expect(figures(anon.summary)).toEqual(figures(raw.summary));
    }
    // Operation names were pseudonymised too, one to one (MicroRank and the spectrum methods rank by them).
    const rawSpans = await loadSpans([nezhaTrace], { badRows: new BadRows(), columns: NEZHA_COLUMNS, serviceFromInstance: POD_RE });
    const anonSpans = await readSpans(path.join(anonDir, 'spans'));
    expect(Array.from(anonSpans.operation, (o) => anonSpans.strings[o])).toEqual(Array.from(rawSpans.operation, (o) => p.map('operation', rawSpans.strings[o])));
    expect(new Set(Array.from(anonSpans.operation, (o) => anonSpans.strings[o])).size).toBe(new Set(Array.from(rawSpans.operation, (o) => rawSpans.strings[o])).size);
  }, 120_000);

  it('gives the same detection scores on NAB files', async () => {
    const raw = await replay({ series: [nab], detectors: DETECTORS, rca: [], out: path.join(tmp, 'raw-nab') });
    const anon = await replay({ series: [path.join(anonDir, 'kpis')], detectors: DETECTORS, rca: [], out: path.join(tmp, 'anon-nab') });
    expect(raw.item.detectors.map((d) => d.name)).toEqual(DETECTORS);
    expect(raw.item.detectors.some((d) => d.figures.events > 0)).toBe(true);
    expect(anon.item.detectors.map((d) => d.name)).toEqual(DETECTORS);
    // Series are summed in file order, which the pseudonyms change: equal up to float rounding.
    for (const [k, d] of raw.item.detectors.entries()) expectClose(anon.item.detectors[k].figures, d.figures, d.name);
    for (const [k, d] of raw.summary.detectors.entries()) expectClose({ ...anon.summary.detectors[k], computeMs: 0 }, { ...d, computeMs: 0 }, d.name);
    expect(fs.readdirSync(path.join(anonDir, 'kpis')).sort()).toEqual(NAB_FILES.map((f) => `${anonymiseSeriesId(f.replace(/\.csv$/, ''), p)}.csv`).sort());
  }, 120_000);

  it('leaves no original identifier anywhere in the output bytes', async () => {
    const spans = await loadSpans([nezhaTrace, path.join(NEZHA, 'normal')], { badRows: new BadRows(), columns: NEZHA_COLUMNS, serviceFromInstance: POD_RE });
    const names = new Set<string>();
    const ids = new Set<string>();
    for (let i = 0; i < spans.length; i++) {
      names.add(spans.strings[spans.service[i]]);
      names.add(spans.strings[spans.instance[i]]);
      ids.add(spans.strings[spans.traceId[i]]);
      ids.add(spans.strings[spans.spanId[i]]);
    }
    for (const f of NAB_FILES) {
      names.add(f.replace(/\.csv$/, ''));
      names.add(path.basename(f, '.csv'));
    }
    names.add('i-a2eb1cd9');
    // The incident's original id is its time, which the time shift also hides.
    names.add('2023-01-29T08:43:04');
    expect(names.size).toBeGreaterThan(20);
    expect(ids.size).toBeGreaterThan(10_000);
    expectNoOriginal(anonDir, names, ids);
    // The scan can fail: the raw traces hold every id.
    const control = path.join(tmp, 'control');
    fs.mkdirSync(control);
    fs.writeFileSync(path.join(control, 'spans.csv'), zlib.gunzipSync(fs.readFileSync(path.join(nezhaTrace, '08_43_trace.csv.gz'))));
    expect(() => expectNoOriginal(control, new Set(), ids)).toThrow(/contains the original id/);
  }, 120_000);
});

/**
 * The Parquet tables every command can write (--parquet), queried with DuckDB: rows match the
 * results, undefined figures are NULL (never NaN), times are TIMESTAMP.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detect } from '../../pipeline/detect.js';
import { scoreFromFiles } from '../../pipeline/score.js';
import { PARQUET_FILES } from '../../reports/results-parquet.js';
import { writeReport } from '../../reports/write.js';
import { HOSTILE, sampleResults } from './fixtures.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-parquet-test-'));
let db: DuckDBConnection;
beforeAll(async () => {
  db = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function query(sql: string): Promise<Record<string, unknown>[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}
const file = (dir: string, name: string) => `'${path.join(dir, name).replace(/'/g, "''")}'`;

describe('run, replay and merge tables', () => {
  const out = path.join(tmp, 'report');
  beforeAll(async () => {
    await writeReport(sampleResults(), out, { parquet: true });
  });

  it('one row per detector and item, undefined figures NULL', async () => {
    const [counts] = await query(`SELECT count(*) AS n, count(*) FILTER (WHERE meanTimeToDetectMs IS NULL) AS undefinedDelay, count(*) FILTER (WHERE isnan(meanTimeToDetectMs)) AS nan, count(*) FILTER (WHERE aucPr IS NULL) AS noAuc FROM ${file(out, PARQUET_FILES.detectors)}`);
    expect(counts).toEqual({ n: '4', undefinedDelay: '1', nan: '0', noAuc: '1' });
    const rows = await query(`SELECT item, detector, pointAdjustedF1, events FROM ${file(out, PARQUET_FILES.detectors)} ORDER BY item, detector`);
    expect(rows[0]).toEqual({ item: 'faults/database-slow@1', detector: 'ksigma', pointAdjustedF1: 0.8, events: 2 });
  });

  it('per series and per fault, with NULL for a fault never alarmed and TIMESTAMP times', async () => {
    const [series] = await query(`SELECT sum(tp) AS tp, count(*) FILTER (WHERE aucPr IS NULL) AS undefinedAuc FROM ${file(out, PARQUET_FILES.detectorSeries)} WHERE detector = 'spot'`);
    expect(series).toEqual({ tp: '10', undefinedAuc: '2' });
    const faults = await query(`SELECT detector, fault, typeof(start) AS t, firstAlarm, delayMs FROM ${file(out, PARQUET_FILES.detectorFaults)} WHERE fault = 'f2' ORDER BY detector`);
    expect(faults).toEqual([
      { detector: 'ksigma', fault: 'f2', t: 'TIMESTAMP', firstAlarm: null, delayMs: null },
      { detector: 'spot', fault: 'f2', t: 'TIMESTAMP', firstAlarm: '2026-01-05 09:01:00', delayMs: 60000 },
    ]);
  });

  it('incidents with NULL rank when the cause is absent, candidates with hits and evidence', async () => {
    const absent = await query(`SELECT method, incident, rank FROM ${file(out, PARQUET_FILES.rcaIncidents)} WHERE rank IS NULL`);
    expect(absent).toEqual([{ method: 'alpha', incident: 'f2', rank: null }]);
    const [hits] = await query(`SELECT count(*) FILTER (WHERE hit) AS hits, count(*) AS n FROM ${file(out, PARQUET_FILES.rcaCandidates)}`);
    expect(hits).toEqual({ hits: '5', n: '12' });
    const [evidence] = await query(`SELECT json_extract_string(evidence, '$[0].subject') AS subject FROM ${file(out, PARQUET_FILES.rcaCandidates)} WHERE evidence IS NOT NULL`);
    expect(evidence).toEqual({ subject: HOSTILE });
  });

  it('the summary per method, intervals as columns', async () => {
    const rows = await query(`SELECT method, ac1, ac1Low, ac1High, prAt3 FROM ${file(out, PARQUET_FILES.summaryRca)} ORDER BY method`);
    expect(rows.map((r) => r.method)).toEqual(['alpha', 'beta']);
    expect(rows[1]!.ac1).toBeCloseTo(1 / 3, 12);
    expect(rows[1]!.ac1Low as number).toBeLessThanOrEqual(rows[1]!.ac1 as number);
    const [d] = await query(`SELECT count(*) AS n FROM ${file(out, PARQUET_FILES.summaryDetectors)} WHERE pointAdjustedF1Low IS NOT NULL AND aucPr IS NOT NULL`);
    expect(d).toEqual({ n: '2' });
  });

  it('the MTTR of every pairing with its interval, as summary.json has it', async () => {
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { mttr: { pairings: { detector: string; rca: string; mttrMs: number; intervals: { mttrMs: { low: number; high: number } } }[] } };
    const rows = await query(`SELECT detector, rca, mttrMs, mttrMsLow, mttrMsHigh FROM ${file(out, PARQUET_FILES.summaryMttr)} ORDER BY detector, rca`);
    const expected = summary.mttr.pairings
      .map((p) => ({ detector: p.detector, rca: p.rca, mttrMs: p.mttrMs, mttrMsLow: p.intervals.mttrMs.low, mttrMsHigh: p.intervals.mttrMs.high }))
      .sort((a, b) => (a.detector !== b.detector ? (a.detector < b.detector ? -1 : 1) : a.rca < b.rca ? -1 : 1));
    expect(rows).toEqual(expected);
    for (const r of rows) expect(r.mttrMsLow as number).toBeLessThan(r.mttrMsHigh as number);
  });
});

describe('detect and score tables', () => {
  const series = path.join(tmp, 'series');
  const detected = path.join(tmp, 'detected');
  beforeAll(async () => {
    mkdirSync(series);
    for (const name of ['a', 'b']) {
      const rows = ['timestamp,value,label'];
      for (let i = 0; i < 400; i++) rows.push(`${1_700_000_000 + i * 60},${(i % 7) + (i >= 300 && i < 310 ? 40 : 0)},${i >= 300 && i < 310 ? 1 : 0}`);
      writeFileSync(path.join(series, `${name}.csv`), rows.join('\n') + '\n');
    }
    await detect({ sources: [{ series: [series] }], detectors: ['ksigma'], out: detected, parquet: true, progress: false, trainUntil: '2h' });
  });

  it('alarms.parquet holds alarms.csv row for row, with NULL where the detector gave no score', async () => {
    const csv = readFileSync(path.join(detected, 'alarms.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const [t] = await query(
      `SELECT count(*) AS n, count(*) FILTER (WHERE score IS NULL) AS blank, count(*) FILTER (WHERE alarm) AS alarms, typeof(min(timestamp)) AS t FROM ${file(detected, PARQUET_FILES.alarms)}`,
    );
    expect(t).toEqual({ n: String(csv.length), blank: String(csv.filter((r) => r[2] === '').length), alarms: String(csv.filter((r) => r[3] === '1').length), t: 'TIMESTAMP' });
    expect(Number((t as { blank: string }).blank)).toBeGreaterThan(0);
  });

  it('metrics.parquet per detector and threshold source, series-metrics.parquet per series; score writes the same', async () => {
    const sources = await query(`SELECT source FROM ${file(detected, PARQUET_FILES.metrics)} ORDER BY source`);
    expect(sources.map((r) => r.source)).toEqual(['oracle', 'own', 'train']);
    const perSeries = await query(`SELECT series, pointAdjustedF1, tp + fn AS labelled FROM ${file(detected, PARQUET_FILES.seriesMetrics)} ORDER BY series`);
    expect(perSeries.map((r) => [r.series, r.labelled])).toEqual([['a', 10], ['b', 10]]);
    const scored = path.join(tmp, 'scored');
    const res = await scoreFromFiles({ series, scores: path.join(detected, 'alarms.csv'), out: scored, parquet: true });
    expect(res.parquet.map((f) => path.basename(f))).toEqual([PARQUET_FILES.metrics, PARQUET_FILES.seriesMetrics]);
    const [own] = await query(`SELECT count(*) AS n FROM ${file(scored, PARQUET_FILES.metrics)} WHERE detector = 'ksigma' AND source = 'own'`);
    expect(own).toEqual({ n: '1' });
  });
});

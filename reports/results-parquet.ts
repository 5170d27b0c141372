/**
 * Results as Parquet tables (`--parquet`), for teams that query them in their own tools (DuckDB,
 * Spark, pandas). An undefined figure is NULL, never NaN; times are TIMESTAMP (ms, UTC). Figure
 * columns come from the figure tables (scores/figures.ts), so a new figure is a new column.
 * docs/reports.md lists every table and column.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { writeParquetTable } from '../data/parquet.js';
import type { Series } from '../data/types.js';
import type { Detection } from '../detectors/types.js';
import { THRESHOLD_FREE_FIGURES, type DetectionMetrics, type ThresholdFreeMetrics } from '../scores/detection/evaluate.js';
import { DETECTION_FIGURES, MTTR_FIGURES, RCA_FIGURES, type Figure } from '../scores/figures.js';
import type { ItemResult } from '../scores/item-result.js';
import { impactingFaults } from '../scores/mttr.js';
import type { IntervalJson, Summary } from './summary-schema.js';

export const PARQUET_FILES = {
  detectors: 'detectors.parquet',
  detectorSeries: 'detector-series.parquet',
  detectorFaults: 'detector-faults.parquet',
  rcaIncidents: 'rca-incidents.parquet',
  rcaCandidates: 'rca-candidates.parquet',
  summaryDetectors: 'summary-detectors.parquet',
  summaryRca: 'summary-rca.parquet',
  summaryMttr: 'summary-mttr.parquet',
  alarms: 'alarms.parquet',
  metrics: 'metrics.parquet',
  seriesMetrics: 'series-metrics.parquet',
} as const;

type Num = number | null | undefined;
const defined = (x: Num): x is number => x !== null && x !== undefined && Number.isFinite(x);

/** A nullable DOUBLE column: null, undefined, NaN and infinities are NULL. */
function doubles(values: Num[]): arrow.Vector {
  return arrow.vectorFromArray(values.map((x) => (defined(x) ? x : null)), new arrow.Float64());
}
function ints(values: Num[]): arrow.Vector {
  return arrow.vectorFromArray(values.map((x) => (defined(x) ? x : null)), new arrow.Int32());
}
function strings(values: (string | null | undefined)[]): arrow.Vector {
  return arrow.vectorFromArray(values.map((x) => x ?? null), new arrow.Utf8());
}
function timestamps(values: Num[]): arrow.Vector {
  return arrow.vectorFromArray(values.map((x) => (defined(x) ? x : null)), new arrow.TimestampMillisecond());
}
function booleans(values: boolean[]): arrow.Vector {
  return arrow.vectorFromArray(values, new arrow.Bool());
}

/** Columns built row by row: one array per column, in insertion order. */
class Columns {
  private readonly cols = new Map<string, { kind: 'double' | 'int' | 'string' | 'timestamp' | 'bool'; values: unknown[] }>();
  rows = 0;
  push(row: Record<string, { kind: 'double' | 'int' | 'string' | 'timestamp' | 'bool'; value: unknown }>): void {
    for (const [name, { kind, value }] of Object.entries(row)) {
      let col = this.cols.get(name);
      if (!col) this.cols.set(name, (col = { kind, values: new Array(this.rows).fill(null) }));
      col.values.push(value);
    }
    this.rows++;
    for (const col of this.cols.values()) if (col.values.length < this.rows) col.values.push(null);
  }
  table(): arrow.Table {
    const vectors: Record<string, arrow.Vector> = {};
    for (const [name, { kind, values }] of this.cols) {
      vectors[name] =
        kind === 'double' ? doubles(values as Num[]) : kind === 'int' ? ints(values as Num[]) : kind === 'timestamp' ? timestamps(values as Num[]) : kind === 'bool' ? booleans(values as boolean[]) : strings(values as string[]);
    }
    return new arrow.Table(vectors);
  }
}

const dbl = (value: Num) => ({ kind: 'double' as const, value });
const int = (value: Num) => ({ kind: 'int' as const, value });
const str = (value: string | null | undefined) => ({ kind: 'string' as const, value });
const ts = (value: Num) => ({ kind: 'timestamp' as const, value });
const bool = (value: boolean) => ({ kind: 'bool' as const, value });

/** A figure's column: counts as INTEGER, the rest as DOUBLE. */
const figureCell = (f: Figure, value: Num) => (f.unit === 'count' ? int(value) : dbl(value));

function write(columns: Columns, dir: string, file: string, out: string[]): void {
  if (columns.rows === 0) return;
  const target = path.join(dir, file);
  writeParquetTable(columns.table(), target);
  out.push(target);
}

/**
 * The tables of a set of item results (run, replay, merge, rca): per detector and item, per series,
 * per fault; per RCA method and incident, per candidate; and, given the summary, one row per method
 * with its run figures and intervals. Tables with no row are not written. Returns the files written.
 */
export function writeItemsParquet(items: ItemResult[], dir: string, summary?: Summary): string[] {
  const out: string[] = [];
  const detectors = new Columns();
  const series = new Columns();
  const faults = new Columns();
  const incidents = new Columns();
  const candidates = new Columns();
  const itemFigures = DETECTION_FIGURES.filter((f) => 'perItem' in f);
  for (const item of items) {
    for (const d of item.detectors) {
      const figures = d.figures as unknown as Record<string, Num>;
      detectors.push({
        item: str(item.key),
        detector: str(d.name),
        ...Object.fromEntries(itemFigures.map((f) => [f.key, figureCell(f, figures[f.key])])),
        computeMs: dbl(d.computeMs),
        error: str(d.error),
      });
      const s = d.series;
      s?.ids.forEach((id, j) => {
        series.push({
          item: str(item.key),
          detector: str(d.name),
          series: str(id),
          tp: int(s.tp[j]),
          fp: int(s.fp[j]),
          fn: int(s.fn[j]),
          ...Object.fromEntries(THRESHOLD_FREE_FIGURES.map((f) => [f, dbl(s[f][j])])),
        });
      });
      for (const fault of impactingFaults(item)) {
        const first = d.faults.find((x) => x.faultId === fault.id)?.firstAlarm ?? null;
        faults.push({
          item: str(item.key),
          detector: str(d.name),
          fault: str(fault.id),
          type: str(fault.type),
          start: ts(fault.start),
          end: ts(fault.end),
          firstAlarm: ts(first),
          delayMs: dbl(first === null ? null : Math.max(0, first - fault.start)),
        });
      }
    }
    for (const a of item.rca) {
      for (const inc of a.incidents) {
        const failure = inc.failure ?? a.error;
        incidents.push({
          item: str(item.key),
          method: str(a.name),
          incident: str(inc.id),
          type: str(inc.type),
          start: ts(inc.start),
          end: ts(inc.end),
          rootCause: str(inc.rootCause.join(';')),
          rank: int(failure !== undefined || inc.rank === 0 ? null : inc.rank),
          failure: str(failure),
          computeMs: dbl(inc.computeMs),
        });
        inc.candidates.forEach((c, k) => {
          candidates.push({
            item: str(item.key),
            method: str(a.name),
            incident: str(inc.id),
            position: int(k + 1),
            service: str(c.service),
            instance: str(c.instance),
            faultType: str(c.faultType),
            score: dbl(c.score),
            hit: bool(inc.rootCause.includes(c.service)),
            explanation: str(c.explanation),
            evidence: str(c.evidence ? JSON.stringify(c.evidence) : null),
          });
        });
      }
    }
  }
  write(detectors, dir, PARQUET_FILES.detectors, out);
  write(series, dir, PARQUET_FILES.detectorSeries, out);
  write(faults, dir, PARQUET_FILES.detectorFaults, out);
  write(incidents, dir, PARQUET_FILES.rcaIncidents, out);
  write(candidates, dir, PARQUET_FILES.rcaCandidates, out);
  if (summary) {
    const method = (m: { name: string; reference?: boolean }) => ({ method: str(m.name), reference: bool(m.reference === true) });
    write(summaryTable(summary.detectors, method, DETECTION_FIGURES), dir, PARQUET_FILES.summaryDetectors, out);
    write(summaryTable(summary.rca, method, RCA_FIGURES), dir, PARQUET_FILES.summaryRca, out);
    write(summaryTable(summary.mttr.pairings, (p) => ({ detector: str(p.detector), rca: str(p.rca) }), MTTR_FIGURES), dir, PARQUET_FILES.summaryMttr, out);
  }
  return out;
}

/**
 * One row per method or pairing: the columns naming it, its run figures (PR@k as prAt1, prAt3...),
 * and each interval as <key>Low/<key>High.
 */
function summaryTable<M extends { intervals?: unknown }>(methods: M[], names: (m: M) => Parameters<Columns['push']>[0], table: readonly Figure[]): Columns {
  const cols = new Columns();
  for (const m of methods) {
    const row: Parameters<Columns['push']>[0] = names(m);
    const values = m as unknown as Record<string, unknown>;
    const intervals = (m.intervals ?? {}) as Record<string, IntervalJson>;
    for (const f of table) {
      if (f.itemOnly) continue;
      if (f.perK) {
        for (const [k, v] of Object.entries((values[f.key] ?? {}) as Record<string, Num>)) row[`${f.key}${k}`] = dbl(v);
        continue;
      }
      row[f.key] = figureCell(f, values[f.key] as Num);
      if (f.interval) {
        row[`${f.key}Low`] = dbl(intervals[f.key]?.low);
        row[`${f.key}High`] = dbl(intervals[f.key]?.high);
      }
    }
    cols.push(row);
  }
  return cols;
}

type SeriesFigures = Omit<DetectionMetrics, 'eventDetails'> & { thresholdFree?: ThresholdFreeMetrics['perSeries'][string] };

/** A metrics.json figure set as columns: the figure table's per-item figures, plus the grid counts. */
function metricsCells(m: Omit<DetectionMetrics, 'eventDetails'>): Parameters<Columns['push']>[0] {
  const value: Record<string, Num> = { ...(m as unknown as Record<string, Num>), nabStandard: m.nab.standard, nabLowFP: m.nab.lowFP, nabLowFN: m.nab.lowFN };
  const row: Parameters<Columns['push']>[0] = {};
  for (const f of DETECTION_FIGURES) if ('perItem' in f && f.rollup !== 'seriesMean') row[f.key] = figureCell(f, value[f.key]);
  row.tp = int(m.pointAdjustedCounts.tp);
  row.fp = int(m.pointAdjustedCounts.fp);
  row.fn = int(m.pointAdjustedCounts.fn);
  return row;
}

/**
 * The tables of `detect` and `score` (their metrics.json): metrics.parquet, one row per detector
 * and threshold source, and series-metrics.parquet, one row per detector and series with the
 * figures under the per-series threshold and the threshold-free figures.
 */
export function writeMetricsParquet(
  detectors: Record<string, { overall: Partial<Record<string, DetectionMetrics>>; thresholdFree: Omit<ThresholdFreeMetrics, 'perSeries'>; series: Record<string, SeriesFigures> }>,
  dir: string,
): string[] {
  const out: string[] = [];
  const overall = new Columns();
  const perSeries = new Columns();
  for (const [name, d] of Object.entries(detectors)) {
    for (const [source, m] of Object.entries(d.overall)) {
      if (!m) continue;
      overall.push({
        detector: str(name),
        source: str(source),
        level: dbl(m.threshold.level),
        ...metricsCells(m),
        ...Object.fromEntries(THRESHOLD_FREE_FIGURES.map((f) => [f, dbl(d.thresholdFree[f])])),
      });
    }
    for (const [id, m] of Object.entries(d.series)) {
      perSeries.push({
        detector: str(name),
        series: str(id),
        source: str(m.threshold.source),
        ...metricsCells(m),
        ...Object.fromEntries(THRESHOLD_FREE_FIGURES.map((f) => [f, dbl(m.thresholdFree?.[f])])),
      });
    }
  }
  write(overall, dir, PARQUET_FILES.metrics, out);
  write(perSeries, dir, PARQUET_FILES.seriesMetrics, out);
  return out;
}

/** Score NaN as NULL: a validity bitmap over a typed array, no per-row object. */
function nullableScores(scores: Float64Array): arrow.Data {
  const bitmap = new Uint8Array((scores.length + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) nulls++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return arrow.makeData({ type: new arrow.Float64(), length: scores.length, nullCount: nulls, nullBitmap: bitmap, data: scores });
}

/** One record batch per (detector, series): constant columns as one-entry dictionaries. */
function alarmBatch(detector: string, s: Series, d: Detection): arrow.RecordBatch {
  const n = s.timestamps.length;
  const dict = (value: string) => {
    const dictionary = arrow.vectorFromArray([value], new arrow.Utf8());
    return arrow.makeData({ type: new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), length: n, nullCount: 0, data: new Int32Array(n), dictionary });
  };
  const times = BigInt64Array.from(s.timestamps, (t) => BigInt(Math.round(t)));
  const schema = new arrow.Schema([
    new arrow.Field('series', new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), false),
    new arrow.Field('timestamp', new arrow.TimestampMillisecond(), false),
    new arrow.Field('score', new arrow.Float64(), true),
    new arrow.Field('alarm', new arrow.Bool(), false),
    new arrow.Field('detector', new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), false),
  ]);
  const alarmBits = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (d.alarms[i]) alarmBits[i >> 3]! |= 1 << (i & 7);
  const children = [
    dict(s.id),
    arrow.makeData({ type: new arrow.TimestampMillisecond(), length: n, nullCount: 0, data: times }),
    nullableScores(Float64Array.from(d.scores)),
    arrow.makeData({ type: new arrow.Bool(), length: n, nullCount: 0, data: alarmBits }),
    dict(detector),
  ];
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, nullCount: 0, children }));
}

/**
 * `detect`'s alarms.csv as alarms.parquet (series, timestamp, score NULL where the detector gave
 * none, alarm, detector), streamed one (detector, series) batch at a time.
 */
export async function writeAlarmsParquet(dir: string, series: Series[], detections: { detector: string; detections: Detection[] }[]): Promise<string> {
  const target = path.join(dir, PARQUET_FILES.alarms);
  const tmp = `${target}.tmp-${process.pid}`;
  const jobs = detections.flatMap(({ detector, detections: det }) => series.map((s, k) => ({ detector, s, d: det[k]! })));
  let next = 0;
  const source = new ReadableStream<pw.RecordBatch>({
    pull(controller) {
      const job = jobs[next++];
      if (!job) {
        controller.close();
        return;
      }
      const wasm = pw.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table([alarmBatch(job.detector, job.s, job.d)]), 'stream'));
      for (const batch of wasm.recordBatches()) controller.enqueue(batch);
    },
  });
  try {
    const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).build();
    const bytes = await pw.transformParquetStream(source, props);
    const file = await fs.promises.open(tmp, 'w');
    try {
      for await (const chunk of bytes as unknown as AsyncIterable<Uint8Array>) await file.write(chunk);
    } finally {
      await file.close();
    }
    await fs.promises.rename(tmp, target);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw new Error(`${target}: cannot write Parquet: ${(err as Error).message}`);
  }
  return target;
}

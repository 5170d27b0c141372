/**
 * Per-instance resource metrics from wide CSV (`.csv`, `.csv.gz`, or folders of them) or a
 * generated data set's `metrics.arrow` into a MetricTable, streamed into typed columns: one row per (instance, time), one column per metric.
 * Files may carry different metrics (a column missing from a file is NaN there). Layouts are
 * recognised from the header (telemetry-layouts.ts).
 */
import { BadRows } from '../common/bad-rows.js';
import { readCsvRecordBatches } from '../common/text-lines.js';
import { grown } from '../common/typed-array.js';
import { StringDictionary } from '../common/string-dictionary.js';
import { csvFilesOf, inWindows, type TimeWindow } from './csv-files.js';
import { metricLayout, ServiceFromInstance, timeOfCell } from './telemetry-layouts.js';
import type { MetricTable } from './types.js';
import { readMetricFrame } from '../sim/read.js';
import { METRIC_NAMES } from '../sim/formats.js';

export interface ReadMetricsOptions {
  /** ours -> theirs (`--metric-columns`): time, service, instance, and `metrics` (`a|b`: only these). */
  columns?: Record<string, string>;
  /** Regex whose first capture group is the service, applied to the instance (pod) name. */
  serviceFromInstance?: string;
  badRows?: BadRows;
  /** Keep only rows inside these windows; the rest are counted and forgotten. */
  keep?: readonly TimeWindow[];
}

export interface MetricReadStats {
  rows: number;
  kept: number;
  dropped: number;
  files: number;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A metric cell: a number, NaN for an empty or NaN cell, undefined when it is neither. */
function metricValue(text: string): number | undefined {
  const t = text.trim();
  if (t === '' || t === 'NaN' || t === 'nan' || t === 'null') return NaN;
  return NUMBER.test(t) ? Number(t) : undefined;
}

class MetricTableBuilder {
  length = 0;
  private cap = 4096;
  private readonly dictionary = new StringDictionary();
  readonly strings = this.dictionary.strings;
  readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  time = new Float64Array(this.cap);
  service = new Int32Array(this.cap);
  instance = new Int32Array(this.cap);
  values: Float64Array[] = [];

  intern(s: string): number {
    return this.dictionary.internString(s);
  }

  /** The column of a metric, created NaN-filled for the rows before it appeared. */
  metric(name: string): number {
    let m = this.nameIds.get(name);
    if (m === undefined) {
      m = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, m);
      this.values.push(new Float64Array(this.cap).fill(NaN));
    }
    return m;
  }

  /** A new row, every metric NaN until set. */
  row(time: number, service: number, instance: number): number {
    if (this.length === this.cap) {
      const old = this.cap;
      this.cap *= 2;
      this.time = grown(this.time, this.cap);
      this.service = grown(this.service, this.cap);
      this.instance = grown(this.instance, this.cap);
      this.values = this.values.map((v) => grown(v, this.cap).fill(NaN, old));
    }
    const i = this.length++;
    this.time[i] = time;
    this.service[i] = service;
    this.instance[i] = instance;
    return i;
  }

  /** Rows sorted by instance name, then time (ties in reading order). */
  finish(): MetricTable {
    const n = this.length;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const rankOf = new Int32Array(this.strings.length);
    [...this.strings.keys()].sort((a, b) => (this.strings[a] < this.strings[b] ? -1 : this.strings[a] > this.strings[b] ? 1 : 0)).forEach((id, r) => (rankOf[id] = r));
    order.sort((a, b) => rankOf[this.instance[a]] - rankOf[this.instance[b]] || this.time[a] - this.time[b] || a - b);
    const pick = <T extends Int32Array | Float64Array>(a: T): T => {
      const out = new (a.constructor as new (k: number) => T)(n);
      for (let i = 0; i < n; i++) out[i] = a[order[i]];
      return out;
    };
    return {
      length: n,
      strings: this.strings,
      time: pick(this.time),
      service: pick(this.service),
      instance: pick(this.instance),
      names: this.names,
      values: this.values.map(pick),
    };
  }
}

const ARROW_FILE = /\.arrow$/i;

/** A generated data set's metrics.arrow (sim/formats.ts METRIC_COLUMNS), every metric of METRIC_NAMES. */
async function addMetricsArrow(file: string, b: MetricTableBuilder, keep: readonly TimeWindow[] | undefined, counts: MetricReadStats): Promise<void> {
  const frame = await readMetricFrame(file);
  const service = frame.service.values.map((s) => b.intern(s));
  const instance = frame.instance.values.map((s) => b.intern(s));
  const columns = METRIC_NAMES.map((name) => b.metric(name));
  for (let i = 0; i < frame.length; i++) {
    counts.rows++;
    if (!inWindows(frame.time[i], keep)) {
      counts.dropped++;
      continue;
    }
    const row = b.row(frame.time[i], service[frame.service.codes[i]], instance[frame.instance.codes[i]]);
    for (let k = 0; k < METRIC_NAMES.length; k++) b.values[columns[k]][row] = frame.values[METRIC_NAMES[k]][i];
    counts.kept++;
  }
}

/**
 * Reads metric rows from CSV files or folders of them (several paths make one table). Without an
 * instance column a row's instance is its service. A metric cell that is neither a number nor
 * empty is a bad row; errors name the file, the line and the column.
 */
export async function readMetrics(paths: string | readonly string[], opts: ReadMetricsOptions = {}, stats?: MetricReadStats): Promise<MetricTable> {
  const list = typeof paths === 'string' ? [paths] : paths;
  const services = new ServiceFromInstance(opts.serviceFromInstance);
  const badRows = opts.badRows ?? new BadRows('reject');
  const b = new MetricTableBuilder();
  const counts: MetricReadStats = { rows: 0, kept: 0, dropped: 0, files: 0 };
  const parsed: number[] = [];
  for (const path of list) {
    for (const file of csvFilesOf(path, 'metric')) {
      counts.files++;
      if (ARROW_FILE.test(file)) {
        await addMetricsArrow(file, b, opts.keep, counts);
        continue;
      }
      let header: string[] | undefined;
      let layout: ReturnType<typeof metricLayout> | undefined;
      let columnOf: number[] = [];
      for await (const records of readCsvRecordBatches(file)) {
        for (const { fields, lineNo } of records) {
          if (!layout) {
            header = fields.map((f) => f.trim());
            layout = metricLayout(header, file, opts.columns);
            columnOf = layout.metrics.map((m) => b.metric(m.name));
            continue;
          }
          counts.rows++;
          const where = `line ${lineNo}`;
          if (fields.length !== header!.length) {
            badRows.report(file, where, `${fields.length} fields, header has ${header!.length}`);
            continue;
          }
          const time = timeOfCell(fields[layout.time], layout.timeUnit);
          if (!Number.isFinite(time)) {
            badRows.report(file, where, `${header![layout.time]}: not a time: "${fields[layout.time]}"`);
            continue;
          }
          if (!inWindows(time, opts.keep)) {
            counts.dropped++;
            continue;
          }
          const keyColumn = layout.instance >= 0 ? layout.instance : layout.service;
          const instanceName = fields[keyColumn].trim();
          if (!instanceName) {
            badRows.report(file, where, `empty ${header![keyColumn]}`);
            continue;
          }
          let bad = -1;
          parsed.length = 0;
          for (const m of layout.metrics) {
            const v = metricValue(fields[m.column]);
            if (v === undefined) {
              bad = m.column;
              break;
            }
            parsed.push(v);
          }
          if (bad >= 0) {
            badRows.report(file, where, `${header![bad]}: not a number: "${fields[bad]}"`);
            continue;
          }
          const serviceName = layout.service >= 0 ? fields[layout.service].trim() : services.of(instanceName);
          if (serviceName === undefined) {
            badRows.report(file, where, services.mismatch(header![layout.instance], instanceName));
            continue;
          }
          const service = b.intern(serviceName);
          const row = b.row(time, service, b.intern(instanceName));
          for (let k = 0; k < parsed.length; k++) b.values[columnOf[k]][row] = parsed[k];
          counts.kept++;
        }
      }
      if (!layout) throw new Error(`${file}: empty file (no header)`);
    }
  }
  if (stats) Object.assign(stats, counts);
  return b.finish();
}

/**
 * Per-instance resource metrics from wide CSV (`.csv`, `.csv.gz`, or folders of them) or a
 * generated data set's `metrics.arrow` into a MetricTable, streamed into typed columns: one row per (instance, time), one column per metric.
 * Files may carry different metrics (a column missing from a file is NaN there). Layouts are
 * recognised from the header (telemetry-layouts.ts).
 */
import { BadRows } from '../common/bad-rows.js';
import { fieldText, readCsvBatches, recordTexts } from '../common/csv.js';
import { bytesEqual, parseDecimal, trimSpaces, trimmedEnd, trimmedStart } from '../common/bytes.js';
import { grown } from '../common/typed-array.js';
import { StringDictionary } from '../common/string-dictionary.js';
import { preview } from '../common/errors.js';
import { csvFilesOf, inWindows, type TimeWindow } from './csv-files.js';
import { columnInstances, InstanceServices, metricLayout, ServiceFromInstance, startRow, type RowStart } from './telemetry-layouts.js';
import type { MetricTable } from './types.js';
import { readMetricFrame } from '../sim/read.js';

export interface ReadMetricsOptions {
  /** ours -> theirs (`--metric-columns`): time, service, instance, `metrics` (`a|b`: only these), `instance_metric` (a regex). */
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
  /** Per file whose `instance_metric` pattern left columns unread: the file and those columns. */
  ignored?: { file: string; columns: string[] }[];
}

/** A metric cell's bytes: a finite decimal number, NaN for an empty, `NaN`, `nan` or `null` cell, undefined when it is neither. */
export function metricCellValue(b: Uint8Array, start: number, end: number): number | undefined {
  const v = parseDecimal(b, start, end);
  // 1e400 is a number in the text and Infinity in a double: not a measurement.
  if (!Number.isNaN(v)) return Number.isFinite(v) ? v : undefined;
  const t = trimSpaces(b, start, end);
  const s = trimmedStart(t);
  const e = trimmedEnd(t);
  return s === e || bytesEqual(b, s, e, 'NaN') || bytesEqual(b, s, e, 'nan') || bytesEqual(b, s, e, 'null') ? NaN : undefined;
}

class MetricTableBuilder {
  length = 0;
  private cap = 4096;
  readonly dictionary = new StringDictionary();
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

/** A generated data set's metrics.arrow (sim/formats.ts METRIC_COLUMNS): the metrics its scenario's families export. */
async function addMetricsArrow(file: string, b: MetricTableBuilder, keep: readonly TimeWindow[] | undefined, counts: MetricReadStats): Promise<void> {
  const frame = await readMetricFrame(file);
  const service = frame.service.values.map((s) => b.intern(s));
  const instance = frame.instance.values.map((s) => b.intern(s));
  const columns = frame.names.map((name) => b.metric(name));
  for (let i = 0; i < frame.length; i++) {
    counts.rows++;
    if (!inWindows(frame.time[i], keep)) {
      counts.dropped++;
      continue;
    }
    const row = b.row(frame.time[i], service[frame.service.codes[i]], instance[frame.instance.codes[i]]);
    for (let k = 0; k < frame.names.length; k++) b.values[columns[k]][row] = frame.values[frame.names[k]][i];
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
  for (const path of list) {
    for (const file of csvFilesOf(path, 'metric')) {
      counts.files++;
      if (ARROW_FILE.test(file)) {
        await addMetricsArrow(file, b, opts.keep, counts);
        continue;
      }
      let header: string[] = [];
      let layout: ReturnType<typeof metricLayout> | undefined;
      let columnOf: number[] = [];
      let parsed = new Float64Array(0);
      let derived: InstanceServices | undefined;
      let perColumn: { service: number; instance: number; metrics: number[] }[] | undefined;
      for await (const rows of readCsvBatches(file, badRows)) {
        const bytes = rows.bytes;
        let r = 0;
        if (!layout) {
          header = recordTexts(rows, 0).map((f) => f.trim());
          layout = metricLayout(header, file, opts.columns);
          columnOf = layout.metrics.map((m) => b.metric(m.name));
          parsed = new Float64Array(layout.metrics.length);
          if (layout.metrics[0].instance !== undefined) {
            perColumn = columnInstances(layout, header, file, services).map((c) => ({ service: b.intern(c.service), instance: b.intern(c.instance), metrics: c.metrics }));
            if (layout.unmatched.length) (counts.ignored ??= []).push({ file, columns: layout.unmatched });
          } else if (layout.service < 0) derived = new InstanceServices(services, b.dictionary);
          r = 1;
        }
        const keyColumn = perColumn ? -1 : layout.instance >= 0 ? layout.instance : layout.service;
        const rowStart: RowStart = { time: 0, keyStart: 0, keyEnd: 0 };
        for (; r < rows.length; r++) {
          counts.rows++;
          const started = startRow(bytes, rows, r, header, layout, keyColumn, opts.keep, { file, badRows }, rowStart);
          if (started !== 'ok') {
            if (started === 'dropped') counts.dropped++;
            continue;
          }
          const f = rows.first[r];
          const { time, keyStart, keyEnd } = rowStart;
          let bad = -1;
          for (let k = 0; k < parsed.length; k++) {
            const c = f + layout.metrics[k].column;
            const v = metricCellValue(bytes, rows.start[c], rows.end[c]);
            if (v === undefined) {
              bad = layout.metrics[k].column;
              break;
            }
            parsed[k] = v;
          }
          if (bad >= 0) {
            badRows.report(file, `line ${rows.line[r]}`, `${header[bad]}: not a number: "${preview(fieldText(rows, f + bad))}"`);
            continue;
          }
          if (perColumn) {
            for (const at of perColumn) {
              const row = b.row(time, at.service, at.instance);
              for (const k of at.metrics) b.values[columnOf[k]][row] = parsed[k];
            }
            counts.kept++;
            continue;
          }
          let service: number;
          let instance: number;
          if (derived) {
            const local = derived.local(bytes, keyStart, keyEnd);
            service = derived.serviceOf(local);
            if (service < 0) {
              badRows.report(file, `line ${rows.line[r]}`, services.mismatch(header[layout.instance], derived.name(local)));
              continue;
            }
            instance = derived.instanceOf(local);
          } else {
            const s = trimSpaces(bytes, rows.start[f + layout.service], rows.end[f + layout.service]);
            service = b.dictionary.intern(bytes, trimmedStart(s), trimmedEnd(s));
            instance = b.dictionary.intern(bytes, keyStart, keyEnd);
          }
          const row = b.row(time, service, instance);
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

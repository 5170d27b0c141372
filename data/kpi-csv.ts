/**
 * KPI series as text: the long CSV `series,timestamp,value[,label]` (one row per point, series in
 * any order), and the per-series folder faultline writes (`<series id>.csv` with
 * `timestamp,value[,label]`, the layout `faultline detect --series` reads).
 */
import fs from 'node:fs';
import path from 'node:path';
import { KPI_NAMES, type KpiName } from '../sim/formats.js';
import { AtomicFile } from '../common/atomic-file.js';
import type { Series } from './types.js';
import type { BadRows } from '../common/bad-rows.js';
import { ImportError } from '../common/bad-rows.js';
import { fieldCount, readCsvBatches, recordTexts, repeatedColumn } from '../common/csv.js';
import { bytesEqual, parseDecimal, trimSpaces, trimmedEnd, trimmedStart } from '../common/bytes.js';
import { instantProblem, isoInstant, LATEST_INSTANT_MS, parseIsoBytes } from '../common/instant.js';
import { StringDictionary } from '../common/string-dictionary.js';
import { previewBytes } from '../common/errors.js';
import { isNonDecreasing, stableOrder } from '../common/argsort.js';

const SERIES_ID_RE = /^([^:]+):(.+):([^:]+)$/;

/** The golden KPI a `scope:name:kpi` id names, if any. */
export function kpiOfSeriesId(id: string): KpiName | undefined {
  const m = SERIES_ID_RE.exec(id);
  return m && (KPI_NAMES as readonly string[]).includes(m[3]) ? (m[3] as KpiName) : undefined;
}

/** One series' points as they are read, in growing typed columns. */
class GrowingSeries {
  n = 0;
  t = new Float64Array(64);
  v = new Float64Array(64);
  l = new Uint8Array(64);

  push(t: number, v: number, l: number): void {
    if (this.n === this.t.length) {
      const cap = Math.ceil(this.n * 1.5);
      const t2 = new Float64Array(cap);
      t2.set(this.t);
      const v2 = new Float64Array(cap);
      v2.set(this.v);
      const l2 = new Uint8Array(cap);
      l2.set(this.l);
      this.t = t2;
      this.v = v2;
      this.l = l2;
    }
    this.t[this.n] = t;
    this.v[this.n] = v;
    this.l[this.n] = l;
    this.n++;
  }
}

/**
 * Read a long CSV, streamed. Timestamps as in detectors' per-series CSVs: unix seconds or ISO
 * 8601 (UTC when no zone is given), between 1970 and 2099; value may be empty or NaN for "no data",
 * else a finite number; label is 0 or 1. Each series is sorted by time (in linear time); a
 * repeated timestamp within a series is a bad row.
 */
export async function readLongKpiCsv(file: string, badRows: BadRows): Promise<Series[]> {
  const names = new StringDictionary();
  const points: Array<GrowingSeries | undefined> = [];
  let header: string[] | null = null;
  let cols = { series: -1, timestamp: -1, value: -1, label: -1 };
  for await (const rows of readCsvBatches(file, badRows)) {
    const b = rows.bytes;
    let r = 0;
    if (!header) {
      header = recordTexts(rows, 0).map((f) => f.trim());
      cols = { series: header.indexOf('series'), timestamp: header.indexOf('timestamp'), value: header.indexOf('value'), label: header.indexOf('label') };
      const twice = repeatedColumn(header, Object.keys(cols));
      if (twice) throw new ImportError(file, 'line 1', `column "${twice}" appears twice`);
      const missing = (['series', 'timestamp', 'value'] as const).filter((c) => cols[c] < 0);
      if (missing.length) throw new ImportError(file, 'line 1', `header lacks ${missing.join(', ')} (need series,timestamp,value[,label])`);
      r = 1;
    }
    const width = header.length;
    for (; r < rows.length; r++) {
      const place = rows.line[r];
      if (fieldCount(rows, r) !== width) {
        badRows.report(file, `line ${place}`, `${fieldCount(rows, r)} fields, header has ${width}`);
        continue;
      }
      const f = rows.first[r];
      const ss = rows.start[f + cols.series];
      const se = rows.end[f + cols.series];
      const ts = rows.start[f + cols.timestamp];
      const te = rows.end[f + cols.timestamp];
      const seconds = parseDecimal(b, ts, te);
      const t = Number.isNaN(seconds) ? parseIsoBytes(b, ts, te) : seconds * 1000;
      const vs = rows.start[f + cols.value];
      const ve = rows.end[f + cols.value];
      const v = parseDecimal(b, vs, ve);
      // Empty or NaN means no data at that time.
      const missingValue = Number.isNaN(v) && isMissing(b, vs, ve);
      const label = cols.label >= 0 ? labelOf(b, rows.start[f + cols.label], rows.end[f + cols.label]) : 0;
      const timeRange = Number.isNaN(t) || (t >= 0 && t < LATEST_INSTANT_MS) ? '' : instantProblem(t, Number.isNaN(seconds) ? undefined : 's');
      const problem =
        se === ss
          ? 'empty series name'
          : Number.isNaN(t)
            ? `timestamp '${previewBytes(b, ts, te)}' is neither unix seconds nor ISO 8601`
            : timeRange
              ? `timestamp '${previewBytes(b, ts, te)}': ${timeRange}`
              : !missingValue && !Number.isFinite(v)
                ? `value '${previewBytes(b, vs, ve)}' is not ${Number.isNaN(v) ? 'a number' : 'a finite number'}`
                : label < 0
                  ? `label '${previewBytes(b, rows.start[f + cols.label], rows.end[f + cols.label])}' is not 0 or 1`
                  : '';
      if (problem) {
        badRows.report(file, `line ${place}`, problem);
        continue;
      }
      const code = names.intern(b, ss, se);
      (points[code] ??= new GrowingSeries()).push(t, v, label);
    }
  }
  if (!header) throw new ImportError(file, '', 'empty file (need a header series,timestamp,value[,label])');
  const out: Series[] = [];
  const byName = names.strings.map((name, code) => [name, code] as const).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  for (const [id, code] of byName) {
    const series = toSeries(id, points[code]!, cols.label >= 0, file, badRows);
    points[code] = undefined; // let each series' buffers go once copied
    if (series) out.push(series);
  }
  return attachVolumes(out);
}

/** An empty field or `NaN`: no data. */
function isMissing(b: Uint8Array, start: number, end: number): boolean {
  const t = trimSpaces(b, start, end);
  return trimmedStart(t) === trimmedEnd(t) || bytesEqual(b, trimmedStart(t), trimmedEnd(t), 'NaN');
}

/** 0 or 1 (empty is 0), -1 for anything else. */
function labelOf(b: Uint8Array, start: number, end: number): number {
  const t = trimSpaces(b, start, end);
  const s = trimmedStart(t);
  const n = trimmedEnd(t) - s;
  if (n === 0) return 0;
  return n === 1 && (b[s] === 48 || b[s] === 49) ? b[s] - 48 : -1;
}

function toSeries(id: string, g: GrowingSeries, hasLabels: boolean, file: string, badRows: BadRows): Series | null {
  const n = g.n;
  const times = g.t.subarray(0, n);
  const order = isNonDecreasing(times) ? undefined : stableOrder(times);
  const keep = new Int32Array(n);
  let m = 0;
  let last = NaN;
  for (let k = 0; k < n; k++) {
    const i = order ? order[k] : k;
    const t = times[i];
    if (t === last) {
      badRows.report(file, `series '${id}'`, `timestamp ${new Date(t).toISOString()} appears twice`);
      continue;
    }
    last = t;
    keep[m++] = i;
  }
  if (!m) return null;
  const timestamps = new Float64Array(m);
  const values = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    timestamps[k] = g.t[keep[k]];
    values[k] = g.v[keep[k]];
  }
  const series: Series = { id, timestamps, values };
  const kpi = kpiOfSeriesId(id);
  if (kpi) series.kpi = kpi;
  if (hasLabels) {
    const labels = new Uint8Array(m);
    for (let k = 0; k < m; k++) labels[k] = g.l[keep[k]];
    series.labels = labels;
  }
  return series;
}

/**
 * Give each success-rate series the volume behind it (the binomial detector's trials): the
 * `scope:name:volume` series of the same scope and name, when its timestamps match.
 */
export function attachVolumes(series: Series[]): Series[] {
  const byId = new Map(series.map((s) => [s.id, s]));
  for (const s of series) {
    if (s.volume || (s.kpi !== 'businessSuccessRate' && s.kpi !== 'systemSuccessRate')) continue;
    const volume = byId.get(s.id.replace(/:[^:]+$/, ':volume'));
    if (!volume || volume.timestamps.length !== s.timestamps.length) continue;
    if (volume.timestamps.every((t, i) => t === s.timestamps[i])) s.volume = volume.values;
  }
  return series;
}

/** A series id as a relative file path: `/` separates folders (NAB groups), other characters stay. */
export function seriesFileName(id: string): string {
  if (id.split('/').some((part) => part === '' || part === '.' || part === '..')) throw new Error(`series id '${id}' cannot be a file path`);
  return `${id}.csv`;
}

/**
 * Write one `timestamp,value[,label]` CSV per series under `dir` (ISO 8601 UTC timestamps with
 * milliseconds, values in shortest round-trip form, so reading them back gives the same numbers).
 */
export async function writeSeriesDir(dir: string, series: Series[]): Promise<string[]> {
  const written: string[] = [];
  for (const s of series) {
    const file = path.join(dir, seriesFileName(s.id));
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const out = AtomicFile.open(file);
    try {
      const labels = s.labels;
      const lines: string[] = [labels ? 'timestamp,value,label' : 'timestamp,value'];
      for (let i = 0; i < s.timestamps.length; i++) {
        const v = s.values[i];
        const value = Number.isNaN(v) ? '' : String(v);
        lines.push(`${isoInstant(s.timestamps[i])},${value}${labels ? `,${labels[i]}` : ''}`);
      }
      out.write(Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
      out.commit();
    } catch (err) {
      out.abort();
      throw err;
    }
    written.push(file);
  }
  return written;
}

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
import { parseTimestamp } from './series-csv.js';
import { readCsvRecords } from '../common/text-lines.js';

const SERIES_ID_RE = /^([^:]+):(.+):([^:]+)$/;

/** The golden KPI a `scope:name:kpi` id names, if any. */
export function kpiOfSeriesId(id: string): KpiName | undefined {
  const m = SERIES_ID_RE.exec(id);
  return m && (KPI_NAMES as readonly string[]).includes(m[3]) ? (m[3] as KpiName) : undefined;
}

interface Growing {
  t: number[];
  v: number[];
  l: number[];
}

/**
 * Read a long CSV. Timestamps as in detectors' per-series CSVs: unix seconds or ISO 8601 (UTC when
 * no zone is given); value may
 * be empty or NaN for "no data"; label is 0 or 1. Each series is sorted by time; a repeated
 * timestamp within a series is a bad row.
 */
export async function readLongKpiCsv(file: string, badRows: BadRows): Promise<Series[]> {
  const bySeries = new Map<string, Growing>();
  let header: string[] | null = null;
  let cols = { series: -1, timestamp: -1, value: -1, label: -1 };
  for await (const { fields, lineNo } of readCsvRecords(file)) {
    if (!header) {
      header = fields.map((f) => f.trim());
      cols = { series: header.indexOf('series'), timestamp: header.indexOf('timestamp'), value: header.indexOf('value'), label: header.indexOf('label') };
      const missing = (['series', 'timestamp', 'value'] as const).filter((c) => cols[c] < 0);
      if (missing.length) throw new ImportError(file, 'line 1', `header lacks ${missing.join(', ')} (need series,timestamp,value[,label])`);
      continue;
    }
    const place = `line ${lineNo}`;
    if (fields.length !== header.length) {
      badRows.report(file, place, `${fields.length} fields, header has ${header.length}`);
      continue;
    }
    const id = fields[cols.series];
    const t = parseTimestamp(fields[cols.timestamp]);
    const rawValue = fields[cols.value].trim();
    const v = rawValue === '' || rawValue === 'NaN' ? NaN : Number(rawValue);
    const rawLabel = cols.label >= 0 ? fields[cols.label].trim() : '0';
    const problem = !id
      ? 'empty series name'
      : !Number.isFinite(t)
        ? `timestamp '${fields[cols.timestamp]}' is neither unix seconds nor ISO 8601`
        : Number.isNaN(v) && rawValue !== '' && rawValue !== 'NaN'
          ? `value '${rawValue}' is not a number`
          : rawLabel !== '0' && rawLabel !== '1' && rawLabel !== ''
            ? `label '${rawLabel}' is not 0 or 1`
            : '';
    if (problem) {
      badRows.report(file, place, problem);
      continue;
    }
    let g = bySeries.get(id);
    if (!g) bySeries.set(id, (g = { t: [], v: [], l: [] }));
    g.t.push(t);
    g.v.push(v);
    g.l.push(rawLabel === '1' ? 1 : 0);
  }
  if (!header) throw new ImportError(file, '', 'empty file (need a header series,timestamp,value[,label])');
  const out: Series[] = [];
  for (const id of [...bySeries.keys()].sort()) {
    const series = toSeries(id, bySeries.get(id)!, cols.label >= 0, file, badRows);
    if (series) out.push(series);
  }
  return attachVolumes(out);
}

function toSeries(id: string, g: Growing, hasLabels: boolean, file: string, badRows: BadRows): Series | null {
  const order = g.t.map((_, i) => i).sort((a, b) => g.t[a] - g.t[b] || a - b);
  const keep: number[] = [];
  for (const i of order) {
    if (keep.length && g.t[keep[keep.length - 1]] === g.t[i]) {
      badRows.report(file, `series '${id}'`, `timestamp ${new Date(g.t[i]).toISOString()} appears twice`);
      continue;
    }
    keep.push(i);
  }
  if (!keep.length) return null;
  const series: Series = {
    id,
    timestamps: Float64Array.from(keep, (i) => g.t[i]),
    values: Float64Array.from(keep, (i) => g.v[i]),
  };
  const kpi = kpiOfSeriesId(id);
  if (kpi) series.kpi = kpi;
  if (hasLabels) series.labels = Uint8Array.from(keep, (i) => g.l[i]);
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
        lines.push(`${new Date(s.timestamps[i]).toISOString()},${value}${labels ? `,${labels[i]}` : ''}`);
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

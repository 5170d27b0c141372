/**
 * Application logs and resource metrics, anonymised as streams (one CSV batch at a time, bounded
 * memory) from any layout the readers take (data/telemetry-layouts.ts, with --log-columns and
 * --metric-columns) into faultline's own, one gzipped file per
 * instance pseudonym (sinks.ts). Each has a `learn…` pass that only registers names.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BadRows, ImportError } from '../common/bad-rows.js';
import { fieldCount, fieldText, readCsvBatches, recordTexts, type CsvBatch } from '../common/csv.js';
import { preview } from '../common/errors.js';
import { csvField } from '../common/text-lines.js';
import { LOG_CSV_COLUMNS, METRIC_CSV_KEY_COLUMNS } from '../sim/formats.js';
import { levelOf, splitLogLine } from '../data/log-templates.js';
import { metricCellValue } from '../data/metric-csv.js';
import { columnInstances, logLayout, metricLayout, type ServiceFromInstance, type TimeUnitRule } from '../data/telemetry-layouts.js';
import { LOG_LEVEL } from '../data/types.js';
import type { Pseudonymiser } from './pseudonymise.js';
import type { KeyedCsvSinks } from './sinks.js';
import { shiftTimeCell } from './time-text.js';

export interface TelemetryContext {
  p: Pseudonymiser;
  shiftMs: number;
  badRows: BadRows;
  /** The service of an instance (pod) where the layout names only instances. */
  services: ServiceFromInstance;
  /** `--log-columns` and `--metric-columns`, as the readers take them. */
  logColumns?: Record<string, string>;
  metricColumns?: Record<string, string>;
}

/** Rows written, input columns dropped, the layout recognised, and whether messages lost a leading time or level. */
export interface TelemetryResult {
  rows: number;
  dropped: string[];
  layout: string;
  trimmedMessages: boolean;
}

const CSV_RE = /\.csv(\.gz)?$/i;

/** The CSV files the paths name: files as given, folders' .csv and .csv.gz files in name order. */
export function telemetryFiles(paths: readonly string[], flag: string): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!fs.existsSync(p)) throw new Error(`${flag} ${p}: no such file or folder`);
    if (!fs.statSync(p).isDirectory()) {
      out.push(p);
      continue;
    }
    const files = fs.readdirSync(p).filter((f) => CSV_RE.test(f)).sort();
    if (!files.length) throw new Error(`${flag} ${p}: no .csv or .csv.gz files`);
    out.push(...files.map((f) => path.join(p, f)));
  }
  return out;
}

/** What a layout reads a row's keys from. */
interface KeyColumns {
  service: number;
  instance: number;
}

/**
 * Each record after the header of a metric or log CSV, with the layout its header names (the
 * readers' recognition, data/telemetry-layouts.ts); a record whose field count is not the header's
 * is a bad row, as the readers have it. The batch is valid during the call only.
 */
async function eachRecord<L>(file: string, ctx: TelemetryContext, layoutOf: (header: string[]) => L, each: (layout: L, header: string[], rows: CsvBatch, r: number) => void): Promise<L> {
  let layout: L | undefined;
  let header: string[] = [];
  for await (const rows of readCsvBatches(file, ctx.badRows)) {
    let r = 0;
    if (layout === undefined) {
      header = recordTexts(rows, 0).map((f) => f.trim());
      layout = layoutOf(header);
      r = 1;
    }
    for (; r < rows.length; r++) {
      const n = fieldCount(rows, r);
      if (n !== header.length) ctx.badRows.report(file, `line ${rows.line[r]}`, `${n} fields, header has ${header.length}`);
      else each(layout, header, rows, r);
    }
  }
  if (layout === undefined) throw new ImportError(file, '', 'empty file (no header)');
  return layout;
}

/** Field `column` of record r, without surrounding spaces. */
function cell(rows: CsvBatch, r: number, column: number): string {
  return fieldText(rows, rows.first[r] + column).trim();
}

/**
 * The service and instance (originals) a row names, as the readers take them: the instance
 * column, else the service; the service column, else derived from the instance. A problem, as
 * the readers word it, when the key is empty or no service can be derived.
 */
function rowKeys(layout: KeyColumns, header: string[], rows: CsvBatch, r: number, ctx: TelemetryContext): { service: string; instance: string } | string {
  const key = layout.instance >= 0 ? layout.instance : layout.service;
  const instance = cell(rows, r, key);
  if (!instance) return `empty ${header[key]}`;
  const service = layout.service >= 0 ? cell(rows, r, layout.service) : ctx.services.of(instance);
  return service === undefined ? ctx.services.mismatch(header[layout.instance], instance) : { service, instance };
}

/** The row's time cell shifted, or the problem as the readers word it. */
function shiftedTime(layout: { time: number; timeUnit: TimeUnitRule }, header: string[], rows: CsvBatch, r: number, shiftMs: number): string | { problem: string } {
  const text = fieldText(rows, rows.first[r] + layout.time);
  return shiftTimeCell(text, layout.timeUnit, shiftMs) ?? { problem: `${header[layout.time]}: not a time: "${preview(text)}"` };
}

/** Header columns a layout does not read. */
function droppedColumns(header: string[], used: number[]): string[] {
  return header.filter((_, i) => !used.includes(i));
}

/** Register a log file's services and instances. */
export async function learnLogNames(file: string, ctx: TelemetryContext): Promise<void> {
  await eachRecord(file, quiet(ctx), (h) => logLayout(h, file, ctx.logColumns), (layout, header, rows, r) => {
    const keys = rowKeys(layout, header, rows, r, ctx);
    if (typeof keys === 'string') return; // reported by the anonymising pass
    ctx.p.map('service', keys.service);
    if (layout.instance >= 0) ctx.p.map('instance', keys.instance);
  });
}

/** Bad rows are reported by the anonymising pass only. */
function quiet(ctx: TelemetryContext): TelemetryContext {
  return { ...ctx, badRows: new BadRows('skip') };
}

const LOG_HEADER = LOG_CSV_COLUMNS.join(',');
const LEVEL_NAMES = new Map<number, string>(Object.entries(LOG_LEVEL).filter(([, v]) => v !== LOG_LEVEL.unknown).map(([k, v]) => [v, k.toUpperCase()]));

/**
 * One log file into the sinks in faultline's log layout; `field` names the output in the report's
 * counts. The level is the one the readers find (a level column's word, else the message's
 * leading one) and the message is the line without its leading time and level (data/log-templates.ts
 * splitLogLine), so that the copy mines to the same templates.
 */
export async function anonymiseLogFile(file: string, sinks: KeyedCsvSinks, ctx: TelemetryContext, field = 'logs'): Promise<TelemetryResult> {
  const { p } = ctx;
  let rows = 0;
  let trimmed = false;
  const ids = { service: 0, instance: 0, trace: 0, span: 0 };
  let header: string[] = [];
  const layout = await eachRecord(file, ctx, (h) => logLayout((header = h), file, ctx.logColumns), (layout, header, batch, r) => {
    const where = `line ${batch.line[r]}`;
    const time = shiftedTime(layout, header, batch, r, ctx.shiftMs);
    if (typeof time !== 'string') return ctx.badRows.report(file, where, time.problem);
    const keys = rowKeys(layout, header, batch, r, ctx);
    if (typeof keys === 'string') return ctx.badRows.report(file, where, keys);
    const traceId = layout.traceId >= 0 ? cell(batch, r, layout.traceId) : '';
    const spanId = layout.spanId >= 0 ? cell(batch, r, layout.spanId) : '';
    const raw = fieldText(batch, batch.first[r] + layout.message);
    const line = splitLogLine(raw);
    if (line.message !== raw) trimmed = true;
    const stated = layout.level >= 0 ? levelOf(cell(batch, r, layout.level)) : LOG_LEVEL.unknown;
    const level = LEVEL_NAMES.get(stated === LOG_LEVEL.unknown ? line.level : stated) ?? '';
    if (keys.service) ids.service++;
    if (layout.instance >= 0) ids.instance++;
    if (traceId) ids.trace++;
    if (spanId) ids.span++;
    const svc = p.map('service', keys.service);
    // Where only services are known the instance is the service's name, as the readers have it.
    const inst = layout.instance >= 0 ? p.map('instance', keys.instance) : svc;
    const row = [time, svc, inst, p.map('traceId', traceId), p.map('spanId', spanId), level, p.scrubText(line.message.trimEnd(), `${field}.message`)];
    sinks.append(inst, LOG_HEADER, row.map(csvField).join(','));
    rows++;
  });
  p.tally(`${field}.service`, ids.service);
  p.tally(`${field}.instance`, ids.instance);
  p.tally(`${field}.trace_id`, ids.trace);
  p.tally(`${field}.span_id`, ids.span);
  const used = [layout.time, layout.service, layout.instance, layout.traceId, layout.spanId, layout.level, layout.message];
  return { rows, dropped: droppedColumns(header, used), layout: layout.name, trimmedMessages: trimmed };
}

/** Register a metric file's services and instances (from its column names in an `instance_metric` layout). */
export async function learnMetricNames(file: string, ctx: TelemetryContext): Promise<void> {
  await eachRecord(
    file,
    quiet(ctx),
    (h) => {
      const layout = metricLayout(h, file, ctx.metricColumns);
      for (const g of columnInstances(layout, h, file, ctx.services)) {
        ctx.p.map('service', g.service);
        ctx.p.map('instance', g.instance);
      }
      return layout;
    },
    (layout, header, rows, r) => {
      if (layout.metrics[0]?.instance !== undefined) return;
      const keys = rowKeys(layout, header, rows, r, ctx);
      if (typeof keys === 'string') return;
      ctx.p.map('service', keys.service);
      if (layout.instance >= 0) ctx.p.map('instance', keys.instance);
    },
  );
}

/**
 * One metric file into the sinks in faultline's wide metric layout; metric names scrubbed as text.
 * An `instance_metric` file (instances in column names) gives one row per instance and input row,
 * with a column per metric name (empty where the instance has no such column).
 */
export async function anonymiseMetricFile(file: string, sinks: KeyedCsvSinks, ctx: TelemetryContext, field = 'metrics'): Promise<TelemetryResult> {
  const { p } = ctx;
  let rows = 0;
  let header: string[] = [];
  let outHeader = '';
  // Per instance: its pseudonym, its service and instance cells, and per output metric its column (-1: none).
  let groups: { instance: string; keys: string; columns: number[] }[] = [];
  const ids = { service: 0, instance: 0 };
  const layout = await eachRecord(
    file,
    ctx,
    (h) => {
      const layout = metricLayout((header = h), file, ctx.metricColumns);
      const byInstance = columnInstances(layout, header, file, ctx.services);
      const names = byInstance.length ? [...new Set(layout.metrics.map((m) => m.name))] : layout.metrics.map((m) => m.name);
      outHeader = metricHeader(names, file, p, `${field}.name`);
      groups = byInstance.map((g) => {
        const columns = new Map(g.metrics.map((k) => [layout.metrics[k].name, layout.metrics[k].column]));
        const instance = p.map('instance', g.instance);
        return { instance, keys: `${csvField(p.map('service', g.service))},${csvField(instance)}`, columns: names.map((n) => columns.get(n) ?? -1) };
      });
      return layout;
    },
    (layout, header, batch, r) => {
      const where = `line ${batch.line[r]}`;
      const time = shiftedTime(layout, header, batch, r, ctx.shiftMs);
      if (typeof time !== 'string') return ctx.badRows.report(file, where, time.problem);
      const f = batch.first[r];
      const bad = layout.metrics.find((m) => metricCellValue(batch.bytes, batch.start[f + m.column], batch.end[f + m.column]) === undefined);
      if (bad) return ctx.badRows.report(file, where, `${header[bad.column]}: not a number: "${preview(fieldText(batch, f + bad.column))}"`);
      if (groups.length) {
        const at = csvField(time);
        for (const g of groups) {
          let line = `${at},${g.keys}`;
          for (const c of g.columns) line += c < 0 ? ',' : `,${csvField(cell(batch, r, c))}`;
          sinks.append(g.instance, outHeader, line);
          rows++;
        }
        ids.service += groups.length;
        ids.instance += groups.length;
        return;
      }
      const key = layout.instance >= 0 ? layout.instance : layout.service;
      if (!cell(batch, r, key)) return ctx.badRows.report(file, where, `empty ${header[key]}`);
      const keys = rowKeys(layout, header, batch, r, ctx);
      if (typeof keys === 'string') return ctx.badRows.report(file, where, keys);
      const svc = p.map('service', keys.service);
      // Where only services are known the instance is the service's name, as the readers have it.
      const inst = layout.instance >= 0 ? p.map('instance', keys.instance) : svc;
      if (keys.service) ids.service++;
      if (layout.instance >= 0) ids.instance++;
      const row = [time, svc, inst, ...layout.metrics.map((m) => cell(batch, r, m.column))];
      sinks.append(inst, outHeader, row.map(csvField).join(','));
      rows++;
    },
  );
  p.tally(`${field}.service`, ids.service);
  p.tally(`${field}.instance`, ids.instance);
  const used = [layout.time, layout.service, layout.instance, ...layout.metrics.map((m) => m.column)];
  return { rows, dropped: droppedColumns(header, used), layout: layout.name, trimmedMessages: false };
}

/** faultline's metric header with each metric name scrubbed; two names may not become one. */
function metricHeader(metrics: readonly string[], file: string, p: Pseudonymiser, field: string): string {
  const names = metrics.map((m) => p.scrubText(m, field));
  const all = [...METRIC_CSV_KEY_COLUMNS, ...names];
  if (new Set(all).size !== all.length) throw new ImportError(file, 'line 1', 'two metric columns have the same name (or a key column\'s) after anonymisation');
  return all.map(csvField).join(',');
}

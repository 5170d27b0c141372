/**
 * Application logs and resource metrics, anonymised as streams (one CSV record at a time, bounded
 * memory) from any recognised layout (layouts.ts) into faultline's own, one gzipped file per
 * instance pseudonym (sinks.ts). Each has a `learn…` pass that only registers names.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BadRows } from '../common/bad-rows.js';
import { ImportError } from '../common/bad-rows.js';
import { csvField, readCsvRecordBatches } from '../common/text-lines.js';
import { LOG_CSV_COLUMNS, METRIC_CSV_KEY_COLUMNS } from '../sim/formats.js';
import { LOG_LAYOUT_HINT, METRIC_LAYOUT_HINT, parseNezhaLog, recogniseLogLayout, recogniseMetricLayout, type LogLayout, type MetricLayout } from './layouts.js';
import type { Pseudonymiser } from './pseudonymise.js';
import type { KeyedCsvSinks } from './sinks.js';
import { shiftIsoText, shiftTimeText, unixNsToIso, unixSecondsToIso } from './time-text.js';
import { LOG_LEVELS } from './vocabulary.js';

export interface TelemetryContext {
  p: Pseudonymiser;
  shiftMs: number;
  badRows: BadRows;
  /** The service of an instance (pod) where the layout names only instances. */
  serviceOf: (instance: string) => string | undefined;
}

/** Rows written, input columns dropped, and the layout recognised. */
export interface TelemetryResult {
  rows: number;
  dropped: string[];
  layout: string;
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

/** Records after the header, with the layout the header names (or an error naming the file). */
async function* layoutRecords<L>(
  file: string,
  recognise: (h: string[]) => L | null,
  hint: string,
): AsyncGenerator<{ layout: L; header: string[]; fields: string[]; lineNo: number }> {
  let layout: L | null = null;
  let header: string[] = [];
  for await (const batch of readCsvRecordBatches(file)) {
    for (const { fields, lineNo } of batch) {
      if (!layout) {
        layout = recognise(fields);
        if (!layout) throw new ImportError(file, `line ${lineNo}`, `unrecognised header: ${hint}`);
        header = fields;
        continue;
      }
      yield { layout, header, fields, lineNo };
    }
  }
  if (!layout) throw new ImportError(file, '', `empty file: ${hint}`);
}

function reportNoService(ctx: TelemetryContext, pod: string, file: string, lineNo: number): void {
  ctx.badRows.report(file, `line ${lineNo}`, `cannot derive a service from the instance '${pod}' (see --service-from-instance)`);
}

/** Register a log file's services and instances. */
export async function learnLogNames(file: string, ctx: TelemetryContext): Promise<void> {
  for await (const { layout, fields } of layoutRecords(file, recogniseLogLayout, LOG_LAYOUT_HINT)) {
    if (layout.name === 'faultline') {
      ctx.p.map('service', fields[layout.columns.service] ?? '');
      ctx.p.map('instance', fields[layout.columns.instance] ?? '');
    } else {
      const pod = fields[layout.pod] ?? '';
      const service = ctx.serviceOf(pod);
      // A pod without a service is reported by the anonymising pass.
      if (service !== undefined) ctx.p.map('service', service);
      ctx.p.map('instance', pod);
    }
  }
}

const LOG_HEADER = LOG_CSV_COLUMNS.join(',');
const LEVELS = new Set<string>(LOG_LEVELS);

/** A level kept as the enumeration (WARNING read as WARN), anything else scrubbed as text. */
function logLevel(level: string, p: Pseudonymiser, field: string): string {
  const upper = level.trim().toUpperCase();
  if (LEVELS.has(upper)) return upper;
  if (upper === 'WARNING') return 'WARN';
  return p.scrubText(level, field);
}

/** One log file into the sinks in faultline's log layout; `field` names the output in the report's counts. */
export async function anonymiseLogFile(file: string, sinks: KeyedCsvSinks, ctx: TelemetryContext, field = 'logs'): Promise<TelemetryResult> {
  const { p } = ctx;
  let rows = 0;
  let dropped: string[] = [];
  let seen: LogLayout | null = null;
  const ids = { service: 0, instance: 0, trace: 0, span: 0 };
  for await (const { layout, fields, lineNo } of layoutRecords(file, recogniseLogLayout, LOG_LAYOUT_HINT)) {
    if (!seen) {
      seen = layout;
      dropped = layout.dropped;
    }
    let time: string | null;
    let service: string;
    let instance: string;
    let traceId: string;
    let spanId: string;
    let level: string;
    let message: string;
    if (layout.name === 'faultline') {
      const c = layout.columns;
      const raw = fields[c.time] ?? '';
      time = shiftTimeText(raw, ctx.shiftMs);
      if (time === null) {
        ctx.badRows.report(file, `line ${lineNo}`, `time '${raw}' is neither ISO 8601 nor Unix ms`);
        continue;
      }
      service = fields[c.service] ?? '';
      instance = fields[c.instance] ?? '';
      traceId = fields[c.trace_id] ?? '';
      spanId = fields[c.span_id] ?? '';
      level = fields[c.level] ?? '';
      message = fields[c.message] ?? '';
    } else {
      const ns = layout.timeNs >= 0 ? (fields[layout.timeNs] ?? '') : '';
      const iso = layout.timestamp >= 0 ? (fields[layout.timestamp] ?? '') : '';
      time = unixNsToIso(ns, ctx.shiftMs) ?? shiftIsoText(iso, ctx.shiftMs);
      if (time === null) {
        ctx.badRows.report(file, `line ${lineNo}`, `neither TimeUnixNano '${ns}' nor Timestamp '${iso}' is a time`);
        continue;
      }
      instance = fields[layout.pod] ?? '';
      const derived = ctx.serviceOf(instance);
      if (derived === undefined) {
        reportNoService(ctx, instance, file, lineNo);
        continue;
      }
      service = derived;
      traceId = layout.traceId >= 0 ? (fields[layout.traceId] ?? '') : '';
      spanId = layout.spanId >= 0 ? (fields[layout.spanId] ?? '') : '';
      ({ level, message } = parseNezhaLog(fields[layout.log] ?? ''));
    }
    if (service) ids.service++;
    if (instance) ids.instance++;
    if (traceId) ids.trace++;
    if (spanId) ids.span++;
    const svc = p.map('service', service);
    const inst = p.map('instance', instance);
    const row = [time, svc, inst, p.map('traceId', traceId), p.map('spanId', spanId), level ? logLevel(level, p, `${field}.level`) : '', p.scrubText(message, `${field}.message`)];
    sinks.append(inst || svc, LOG_HEADER, row.map(csvField).join(','));
    rows++;
  }
  p.tally(`${field}.service`, ids.service);
  p.tally(`${field}.instance`, ids.instance);
  p.tally(`${field}.trace_id`, ids.trace);
  p.tally(`${field}.span_id`, ids.span);
  return { rows, dropped, layout: seen?.name ?? '' };
}

/**
 * The service and instance a metric row names (originals), the instance undefined where only
 * services are known; the service undefined where it cannot be derived from the pod.
 */
function metricKeys(layout: MetricLayout, fields: string[], ctx: TelemetryContext): { service: string | undefined; instance: string | undefined } {
  if (layout.name === 'faultline') return { service: fields[layout.service] ?? '', instance: fields[layout.instance] ?? '' };
  if (layout.name === 'nezha-service') return { service: fields[layout.service] ?? '', instance: undefined };
  const pod = fields[layout.pod] ?? '';
  return { service: ctx.serviceOf(pod), instance: pod };
}

/** Register a metric file's services and instances. */
export async function learnMetricNames(file: string, ctx: TelemetryContext): Promise<void> {
  for await (const { layout, fields } of layoutRecords(file, recogniseMetricLayout, METRIC_LAYOUT_HINT)) {
    const { service, instance } = metricKeys(layout, fields, ctx);
    if (service !== undefined) ctx.p.map('service', service);
    if (instance !== undefined) ctx.p.map('instance', instance);
  }
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$|^[+-]?(?:nan|inf|infinity)$/i;

/** One metric file into the sinks in faultline's wide metric layout; metric names scrubbed as text. */
export async function anonymiseMetricFile(file: string, sinks: KeyedCsvSinks, ctx: TelemetryContext, field = 'metrics'): Promise<TelemetryResult> {
  const { p } = ctx;
  let rows = 0;
  let header = '';
  let dropped: string[] = [];
  let layoutName = '';
  const ids = { service: 0, instance: 0 };
  for await (const { layout, header: cells, fields, lineNo } of layoutRecords(file, recogniseMetricLayout, METRIC_LAYOUT_HINT)) {
    if (!header) {
      header = metricHeader(layout, cells, file, p, `${field}.name`);
      dropped = layout.dropped;
      layoutName = layout.name;
    }
    const time = layout.name === 'faultline' ? shiftTimeText(fields[layout.time] ?? '', ctx.shiftMs) : unixSecondsToIso(fields[layout.timestamp] ?? '', ctx.shiftMs);
    if (time === null) {
      ctx.badRows.report(file, `line ${lineNo}`, `time '${fields[layout.name === 'faultline' ? layout.time : layout.timestamp] ?? ''}' is not a time`);
      continue;
    }
    const keys = metricKeys(layout, fields, ctx);
    if (keys.service === undefined) {
      reportNoService(ctx, fields[layout.name === 'nezha-pod' ? layout.pod : 0] ?? '', file, lineNo);
      continue;
    }
    const bad = layout.metrics.find((i) => (fields[i] ?? '') !== '' && !NUMBER_RE.test(fields[i].trim()));
    if (bad !== undefined) {
      ctx.badRows.report(file, `line ${lineNo}`, `column ${bad + 1}: '${fields[bad]}' is not a number`);
      continue;
    }
    const svc = p.map('service', keys.service);
    // Where only services are known the instance is the service's name, as in MetricTable.
    const inst = keys.instance === undefined ? svc : p.map('instance', keys.instance);
    if (keys.service) ids.service++;
    if (keys.instance) ids.instance++;
    const row = [time, svc, inst, ...layout.metrics.map((i) => (fields[i] ?? '').trim())];
    sinks.append(inst || svc, header, row.map(csvField).join(','));
    rows++;
  }
  p.tally(`${field}.service`, ids.service);
  p.tally(`${field}.instance`, ids.instance);
  return { rows, dropped, layout: layoutName };
}

/** faultline's metric header with each metric name scrubbed; two names may not become one. */
function metricHeader(layout: MetricLayout, cells: string[], file: string, p: Pseudonymiser, field: string): string {
  const names = layout.metrics.map((i) => p.scrubText(cells[i].trim(), field));
  const all = [...METRIC_CSV_KEY_COLUMNS, ...names];
  if (new Set(all).size !== all.length) throw new ImportError(file, 'line 1', 'two metric columns have the same name (or a key column\'s) after anonymisation');
  return all.map(csvField).join(',');
}

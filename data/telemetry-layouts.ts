/**
 * Which column of a metric or log CSV holds what, told from the file's header: faultline's own
 * layouts (sim/formats.ts LOG_CSV_COLUMNS, METRIC_CSV_KEY_COLUMNS), the published Nezha layouts
 * (per-pod metric files; log files whose message is the container's JSON line), or a user's
 * `ours=theirs` mapping (`--metric-columns`, `--log-columns`). Readers (metric-csv.ts,
 * log-csv.ts) and anonymisation share this one recognition.
 */
import { fieldCount, fieldText, repeatedColumn, type CsvBatch } from '../common/csv.js';
import { LOG_CSV_COLUMNS, METRIC_CSV_KEY_COLUMNS, type LogCsvColumn } from '../sim/formats.js';
import { instantProblem, parseFineTime, parseInstantBytes, parseIsoBytes, type NumericTimeUnit } from '../common/instant.js';
import { parseDecimal, trimSpaces, trimmedEnd, trimmedStart } from '../common/bytes.js';
import { RunInterner, StringDictionary } from '../common/string-dictionary.js';
import { ImportError, type BadRows } from '../common/bad-rows.js';
import { inWindows, type TimeWindow } from './csv-files.js';
import { preview } from '../common/errors.js';

/** Where a numeric time's unit is not stated, it is told by magnitude (see `timeOfCell`). */
export type TimeUnitRule = NumericTimeUnit | 'magnitude';

export interface MetricLayout {
  /** `faultline`, `nezha`, `nezha-front` or `mapped`. */
  name: string;
  time: number;
  timeUnit: TimeUnitRule;
  service: number; // header index, -1 when absent
  instance: number; // header index, -1 when absent
  /**
   * Every metric column: its header index, the metric's name, and in an `instance_metric` layout
   * the instance the column's name gives (the row's instance is then per column, not per row).
   */
  metrics: { column: number; name: string; instance?: string }[];
  /** Header names an `instance_metric` pattern does not match (not read); empty otherwise. */
  unmatched: string[];
}

export interface LogLayout {
  /** `faultline`, `nezha` or `mapped`. */
  name: string;
  time: number;
  timeUnit: TimeUnitRule;
  service: number;
  instance: number;
  traceId: number;
  spanId: number;
  level: number;
  message: number;
}

/**
 * Keys `--metric-columns` may map: the key columns; `metrics` (`a|b|c`: only these columns are
 * metrics); `instance_metric` (a regex: each column whose name it matches holds one instance's
 * metric, the first capture group naming the instance and the second the metric).
 */
export const METRIC_MAPPING_KEYS = [...METRIC_CSV_KEY_COLUMNS, 'metrics', 'instance_metric'] as const;

interface KnownMetricLayout {
  name: string;
  /** How errors name it. */
  label: string;
  /** Headers that identify the layout (all present). */
  signature: string[];
  time: string;
  timeUnit: TimeUnitRule;
  service?: string;
  instance?: string;
  /** Columns that are neither keys nor metrics. */
  ignore: string[];
}

/**
 * Nezha (FSE'23) metric files: `metric/<pod>_metric.csv` with `Time` (Go's time.String(), not
 * parsed: `TimeStamp` is the same instant in unix seconds), `TimeStamp`, `PodName`, then one column
 * per metric; `front_service.csv` has `ServiceName` instead of `PodName`.
 */
const KNOWN_METRIC_LAYOUTS: KnownMetricLayout[] = [
  { name: 'nezha', label: "Nezha's per-pod metric layout", signature: ['Time', 'TimeStamp', 'PodName'], time: 'TimeStamp', timeUnit: 's', instance: 'PodName', ignore: ['Time'] },
  { name: 'nezha-front', label: "Nezha's front-end metric layout", signature: ['Time', 'TimeStamp', 'ServiceName'], time: 'TimeStamp', timeUnit: 's', service: 'ServiceName', ignore: ['Time'] },
];

interface KnownLogLayout {
  name: string;
  label: string;
  signature: string[];
  columns: Partial<Record<LogCsvColumn, string>>;
  timeUnit: TimeUnitRule;
}

/**
 * Nezha log files: `Timestamp` (ISO 8601; `TimeUnixNano` is the same instant but overflows on some
 * rows of the published data, so it is not read), `Node`, `PodName`, `Container`, `TraceID`,
 * `SpanID`, and `Log`, the container runtime's JSON line whose `log` field is the message.
 */
const KNOWN_LOG_LAYOUTS: KnownLogLayout[] = [
  {
    name: 'nezha',
    label: "Nezha's log layout",
    signature: ['Timestamp', 'PodName', 'TraceID', 'SpanID', 'Log'],
    columns: { time: 'Timestamp', instance: 'PodName', trace_id: 'TraceID', span_id: 'SpanID', message: 'Log' },
    timeUnit: 'magnitude',
  },
];

function checkMappingKeys(flag: string, mapping: Record<string, string>, allowed: readonly string[]): void {
  for (const k of Object.keys(mapping)) {
    if (!allowed.includes(k)) throw new Error(`${flag}: unknown column "${k}" (ours are ${allowed.join(', ')})`);
  }
}

/**
 * Why a header fits no layout, when faultline's own needs columns it lacks: the columns missing
 * from a known layout whose signature it mostly holds (a renamed column of Nezha's files), else
 * what faultline's layout needs beside the columns the header has.
 */
function unrecognised(h: string[], known: readonly { label: string; signature: string[] }[], missing: 'time' | 'message' | 'instance', needs: string, flag: string): string {
  const present = known.map((l) => l.signature.filter((s) => h.includes(s)).length);
  const best = Math.max(...present);
  const near = known.filter((l, k) => present[k] === best && best >= 2 && best * 2 > l.signature.length);
  if (near.length) {
    const lacks = near.map((l) => `${l.signature.filter((s) => !h.includes(s)).map((s) => `"${s}"`).join(', ')} (${l.label}: ${l.signature.join(', ')})`);
    return `no column ${lacks.join(' or ')}; if the file is in another layout, map its columns with ${flag}`;
  }
  const problem = missing === 'instance' ? 'needs a "service" or "instance" column' : `no column "${missing}"`;
  return `${problem}: ${needs}; the header has ${preview(h.join(', '))} (map yours with ${flag} ${missing}=<name>)`;
}

/**
 * What a header lacking a column the layout needs is told: the column as `theirs` names it (a
 * user's mapping, else ours), and the flag that maps it.
 */
function lacksColumn(missing: 'time' | 'message' | 'instance', theirs: (ours: 'time' | 'message' | 'service' | 'instance') => string | undefined, flag: string): string {
  return missing === 'instance'
    ? `needs a "${theirs('service')}" or "${theirs('instance')}" column (map one with ${flag} instance=<name>)`
    : `no column "${theirs(missing)}" (for ${missing}; map it with ${flag} ${missing}=<name>)`;
}

/**
 * The metric layout of a file from its header: a user mapping (`--metric-columns`) first, then a
 * known layout by its signature, then faultline's own (`time`, `service` and/or `instance`, then
 * one column per metric). Errors name the file and what is missing.
 */
export function metricLayout(header: string[], file: string, mapping?: Record<string, string>): MetricLayout {
  const h = header.map((x) => x.trim());
  const twice = repeatedColumn(h, h);
  if (twice) throw new ImportError(file, 'line 1', `column "${twice}" appears twice`);
  const at = (name: string | undefined) => (name === undefined ? -1 : h.indexOf(name));
  const known = mapping ? undefined : KNOWN_METRIC_LAYOUTS.find((l) => l.signature.every((s) => h.includes(s)));
  if (mapping) checkMappingKeys('--metric-columns', mapping, METRIC_MAPPING_KEYS);
  let layout: MetricLayout;
  let ignore = new Set<number>();
  let only: Set<string> | undefined;
  if (known) {
    layout = { name: known.name, time: at(known.time), timeUnit: known.timeUnit, service: at(known.service), instance: at(known.instance), metrics: [], unmatched: [] };
    ignore = new Set(known.ignore.map(at));
  } else if (mapping?.instance_metric !== undefined) {
    return instanceMetricLayout(h, file, mapping);
  } else {
    const theirs = (ours: string) => mapping?.[ours] ?? ours;
    layout = {
      name: mapping ? 'mapped' : 'faultline',
      time: at(theirs('time')),
      timeUnit: 'magnitude',
      service: at(theirs('service')),
      instance: at(theirs('instance')),
      metrics: [],
      unmatched: [],
    };
    const missing = layout.time < 0 ? 'time' : layout.service < 0 && layout.instance < 0 ? 'instance' : undefined;
    if (missing && !mapping) {
      const needs = `faultline's metric layout needs time and service and/or instance, then one column per metric`;
      throw new ImportError(file, 'line 1', unrecognised(h, KNOWN_METRIC_LAYOUTS, missing, needs, '--metric-columns'));
    }
    if (missing) throw new ImportError(file, 'line 1', lacksColumn(missing, theirs, '--metric-columns'));
    if (mapping?.metrics) {
      only = new Set(mapping.metrics.split('|').map((s) => s.trim()));
      for (const m of only) if (!h.includes(m)) throw new ImportError(file, 'line 1', `no metric column "${m}" (named in --metric-columns metrics=...)`);
    }
  }
  const keys = new Set([layout.time, layout.service, layout.instance]);
  h.forEach((name, column) => {
    if (keys.has(column) || ignore.has(column) || (only && !only.has(name))) return;
    layout.metrics.push({ column, name });
  });
  if (!layout.metrics.length) throw new ImportError(file, 'line 1', 'no metric columns besides the time and instance columns');
  return layout;
}

/**
 * A file with one column per (instance, metric), its name matched by `instance_metric`'s regex
 * (RCAEval's `ts-auth-service_cpu`, `adservice_latency-50` with `^(.+?)_(.+)$`), beside a time
 * column. Columns the regex does not match are not read (listed in `unmatched`, for a warning); with
 * `metrics=a|b` only those metric names are read. Two columns naming one (instance, metric), or no
 * column matching, is an error.
 */
function instanceMetricLayout(h: string[], file: string, mapping: Record<string, string>): MetricLayout {
  const flag = `--metric-columns instance_metric=${mapping.instance_metric}`;
  for (const key of ['service', 'instance'] as const) {
    if (mapping[key] !== undefined) throw new ImportError(file, 'line 1', `${flag} takes the instance from each column's name: drop ${key}=${mapping[key]}`);
  }
  let re: RegExp;
  try {
    re = new RegExp(mapping.instance_metric);
  } catch (err) {
    throw new Error(`${flag}: ${(err as Error).message}`);
  }
  // An alternative that matches the empty text shows how many groups the regex has.
  if (new RegExp(`${re.source}|`).exec('')!.length - 1 < 2) throw new Error(`${flag}: needs two capture groups, the instance then the metric, e.g. '^(.+?)_(.+)$'`);
  const timeName = mapping.time ?? 'time';
  const time = h.indexOf(timeName);
  if (time < 0) throw new ImportError(file, 'line 1', lacksColumn('time', () => timeName, '--metric-columns'));
  const only = mapping.metrics === undefined ? undefined : new Set(mapping.metrics.split('|').map((m) => m.trim()));
  const layout: MetricLayout = { name: 'instance-metric', time, timeUnit: 'magnitude', service: -1, instance: -1, metrics: [], unmatched: [] };
  const seen = new Map<string, string>();
  const named = new Set<string>();
  h.forEach((name, column) => {
    if (column === time) return;
    const m = re.exec(name);
    if (!m?.[1] || !m[2]) {
      layout.unmatched.push(name);
      return;
    }
    const [, instance, metric] = m;
    named.add(metric);
    if (only && !only.has(metric)) return;
    const key = `${instance}\u0000${metric}`;
    const other = seen.get(key);
    if (other !== undefined) throw new ImportError(file, 'line 1', `columns "${other}" and "${name}" both name instance "${instance}", metric "${metric}" (${flag})`);
    seen.set(key, name);
    layout.metrics.push({ column, name: metric, instance });
  });
  for (const m of only ?? []) if (!named.has(m)) throw new ImportError(file, 'line 1', `no column holds metric "${m}" (named in --metric-columns metrics=...; ${flag})`);
  if (!layout.metrics.length) throw new ImportError(file, 'line 1', `no column besides "${timeName}" matches ${flag}`);
  return layout;
}

/**
 * The log layout of a file from its header: a user mapping (`--log-columns`) first, then a known
 * layout, then faultline's own (LOG_CSV_COLUMNS; `time`, `message` and `service` or `instance`
 * required, the rest optional).
 */
export function logLayout(header: string[], file: string, mapping?: Record<string, string>): LogLayout {
  const h = header.map((x) => x.trim());
  const known = mapping ? undefined : KNOWN_LOG_LAYOUTS.find((l) => l.signature.every((s) => h.includes(s)));
  if (mapping) checkMappingKeys('--log-columns', mapping, LOG_CSV_COLUMNS);
  const theirs = (ours: LogCsvColumn) => (known ? known.columns[ours] : (mapping?.[ours] ?? ours));
  const at = (ours: LogCsvColumn) => {
    const name = theirs(ours);
    return name === undefined ? -1 : h.indexOf(name);
  };
  const layout: LogLayout = {
    name: known?.name ?? (mapping ? 'mapped' : 'faultline'),
    time: at('time'),
    timeUnit: known?.timeUnit ?? 'magnitude',
    service: at('service'),
    instance: at('instance'),
    traceId: at('trace_id'),
    spanId: at('span_id'),
    level: at('level'),
    message: at('message'),
  };
  const twice = repeatedColumn(h, LOG_CSV_COLUMNS.map(theirs).filter((n): n is string => n !== undefined));
  if (twice) throw new ImportError(file, 'line 1', `column "${twice}" appears twice`);
  // A known layout's signature holds every column it reads: only a mapping or ours can lack one.
  const missing = layout.time < 0 ? 'time' : layout.message < 0 ? 'message' : layout.service < 0 && layout.instance < 0 ? 'instance' : undefined;
  if (missing && !mapping) {
    const needs = "faultline's log layout needs time, message and service and/or instance (trace_id, span_id, level optional)";
    throw new ImportError(file, 'line 1', unrecognised(h, KNOWN_LOG_LAYOUTS, missing, needs, '--log-columns'));
  }
  if (missing) throw new ImportError(file, 'line 1', lacksColumn(missing, theirs, '--log-columns'));
  return layout;
}

/**
 * Unix ms of a time cell, read from its bytes: ISO 8601 (zone-less is UTC), or a number in the
 * layout's unit; where the unit is not stated it is told by magnitude: below 1e11 seconds, below
 * 1e14 milliseconds, below 1e17 microseconds, else nanoseconds (any instant from 1973 to 5138 reads
 * correctly). NaN when neither.
 */
export function timeOfBytes(b: Uint8Array, start: number, end: number, unit: TimeUnitRule): number {
  if (unit !== 'magnitude') return parseInstantBytes(b, start, end, unit);
  const n = parseDecimal(b, start, end);
  if (Number.isNaN(n)) return parseIsoBytes(b, start, end);
  if (!Number.isFinite(n)) return n;
  const u = unitByMagnitude(n);
  return u === 's' ? n * 1000 : u === 'ms' ? n : parseFineTime(b, start, end, u);
}

/** The unit of a numeric time told by its magnitude (see timeOfBytes). */
export function unitByMagnitude(n: number): NumericTimeUnit {
  const a = Math.abs(n);
  return a < 1e11 ? 's' : a < 1e14 ? 'ms' : a < 1e17 ? 'us' : 'ns';
}

/** timeOfBytes of a string. */
export function timeOfCell(text: string, unit: TimeUnitRule): number {
  const bytes = Buffer.from(text, 'utf8');
  return timeOfBytes(bytes, 0, bytes.length, unit);
}

/** In an `instance_metric` layout, one instance named by column names: its service and its metrics (indices into `layout.metrics`). */
export interface ColumnInstance {
  instance: string;
  service: string;
  metrics: number[];
}

/**
 * The instances an `instance_metric` layout's columns name, in the order their columns first
 * appear, each with its service, derived once (a name no service comes from is refused, naming its
 * column); none for a layout with key columns.
 */
export function columnInstances(layout: MetricLayout, header: string[], file: string, services: ServiceFromInstance): ColumnInstance[] {
  const byName = new Map<string, ColumnInstance>();
  for (let k = 0; k < layout.metrics.length; k++) {
    const m = layout.metrics[k];
    if (m.instance === undefined) return [];
    let at = byName.get(m.instance);
    if (!at) {
      const service = services.of(m.instance);
      if (service === undefined) throw new ImportError(file, 'line 1', services.mismatch(`column "${header[m.column]}": instance`, m.instance));
      byName.set(m.instance, (at = { instance: m.instance, service, metrics: [] }));
    }
    at.metrics.push(k);
  }
  return [...byName.values()];
}

/**
 * `--service-from-instance`: the service of an instance (pod) name is the regex's first capture
 * group; without a regex, the `fallback` regex's (when given), else the instance name itself.
 * Answers are cached per name.
 */
export class ServiceFromInstance {
  private readonly re: RegExp | undefined;
  private readonly cache = new Map<string, string | undefined>();

  constructor(text: string | undefined, fallback?: RegExp) {
    try {
      this.re = text ? new RegExp(text) : fallback;
    } catch (err) {
      throw new Error(`--service-from-instance: ${(err as Error).message}`);
    }
  }

  /** The service, or undefined when the name does not match (a bad row). */
  of(instance: string): string | undefined {
    if (!this.re) return instance;
    let s = this.cache.get(instance);
    if (s === undefined && !this.cache.has(instance)) {
      s = this.re.exec(instance)?.[1] || undefined;
      this.cache.set(instance, s);
    }
    return s;
  }

  /** What a non-matching name is told. */
  mismatch(column: string, instance: string): string {
    return `${column} "${instance}" does not match --service-from-instance ${this.re?.source}`;
  }
}

/**
 * The service and instance codes, in a table's dictionary, of rows that name only an instance:
 * the instance cell's bytes are looked up in a small dictionary of their own (a run of one pod's
 * rows costs a byte comparison), and each instance's service is derived once. An instance enters
 * the table's dictionary when its first row is kept, its service first.
 */
export class InstanceServices {
  private readonly names = new StringDictionary();
  private readonly run = new RunInterner(this.names);
  /** Per local code: the service's table code, -1 not derived yet, -2 no match. */
  private service = new Int32Array(64).fill(-1);
  private instance = new Int32Array(64);

  constructor(
    private readonly services: ServiceFromInstance,
    private readonly table: StringDictionary,
  ) {}

  /** The local code of the instance name in b[start, end). */
  local(b: Uint8Array, start: number, end: number): number {
    const code = this.run.intern(b, start, end);
    if (code >= this.service.length) {
      const service = new Int32Array(this.service.length * 2).fill(-1);
      service.set(this.service);
      this.service = service;
      const instance = new Int32Array(service.length);
      instance.set(this.instance);
      this.instance = instance;
    }
    return code;
  }

  /** The instance name of a local code. */
  name(local: number): string {
    return this.names.strings[local];
  }

  /** The table code of the instance's service, interning it and the instance; -1 when the name does not match. */
  serviceOf(local: number): number {
    let s = this.service[local];
    if (s === -1) {
      const name = this.names.strings[local];
      const service = this.services.of(name);
      if (service === undefined) s = -2;
      else {
        s = this.table.internString(service);
        this.instance[local] = this.table.internString(name);
      }
      this.service[local] = s;
    }
    return s < 0 ? -1 : s;
  }

  /** The table code of an instance whose service was asked for (and matched). */
  instanceOf(local: number): number {
    return this.instance[local];
  }
}

/** Where a metric or log CSV row's time and key (instance, else service) are, once its first checks pass. */
export interface RowStart {
  time: number;
  keyStart: number;
  keyEnd: number;
}

/**
 * The checks every metric and log CSV row starts with, in order: its field count, a plausible time
 * in the layout's unit, the keep windows, a non-empty key (none when `keyColumn` is -1: the
 * columns name the instances). A failing row is reported (`'bad'`), a
 * row outside the windows is only counted by the caller (`'dropped'`); otherwise `out` is filled.
 */
export function startRow(
  bytes: Uint8Array,
  rows: CsvBatch,
  r: number,
  header: readonly string[],
  layout: { time: number; timeUnit: TimeUnitRule },
  keyColumn: number,
  keep: readonly TimeWindow[] | undefined,
  where: { file: string; badRows: BadRows },
  out: RowStart,
): 'ok' | 'bad' | 'dropped' {
  const line = `line ${rows.line[r]}`;
  const n = fieldCount(rows, r);
  if (n !== header.length) {
    where.badRows.report(where.file, line, `${n} fields, header has ${header.length}`);
    return 'bad';
  }
  const f = rows.first[r];
  const time = timeOfBytes(bytes, rows.start[f + layout.time], rows.end[f + layout.time], layout.timeUnit);
  const timeProblem = Number.isFinite(time) ? instantProblem(time) : '';
  if (!Number.isFinite(time) || timeProblem) {
    const text = preview(fieldText(rows, f + layout.time));
    where.badRows.report(where.file, line, timeProblem ? `${header[layout.time]}: "${text}": ${timeProblem}` : `${header[layout.time]}: not a time: "${text}"`);
    return 'bad';
  }
  if (!inWindows(time, keep)) return 'dropped';
  out.time = time;
  if (keyColumn < 0) return 'ok';
  const key = trimSpaces(bytes, rows.start[f + keyColumn], rows.end[f + keyColumn]);
  out.keyStart = trimmedStart(key);
  out.keyEnd = trimmedEnd(key);
  if (out.keyStart === out.keyEnd) {
    where.badRows.report(where.file, line, `empty ${header[keyColumn]}`);
    return 'bad';
  }
  return 'ok';
}

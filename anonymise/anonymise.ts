/**
 * `faultline anonymise`: real incident data in, the same data with every identifier replaced by a
 * keyed pseudonym out, in faultline's own formats (spans/, baseline/, messages.arrow, kpis/,
 * logs/, baseline-logs/, metrics/, incidents.json) plus anonymise-report.json, which counts what changed, lists
 * what was kept verbatim and holds no originals (nor the time shift).
 *
 * Two passes: the first only learns every name (services, instances, subsystems, DCNs, topics,
 * transaction types) from every input, so that free text anywhere is scrubbed of all of them; the
 * second writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MessageLogWriter } from '../sim/message-writer.js';
import { writeFileAtomic } from '../common/atomic-file.js';
import { checkOutputDir, publishDir } from '../common/output-dir.js';
import { anonymiseIncidents, anonymiseMessageBatch, anonymiseSeries, anonymiseSpans, learnIncidentNames, learnMessageNames, learnSeriesNames, learnSpanNames } from './tables.js';
import { BAD_ROW_POLICIES, BadRows, type BadRowPolicy } from '../common/bad-rows.js';
import { writeIncidentsJson } from '../data/incidents-io.js';
import { POD_SERVICE_RE } from '../data/incidents.js';
import { loadIncidents, loadKpiSeries, loadSpans, type SpanSourceOptions } from '../data/inputs.js';
import { parseSignedDuration, type NumericTimeUnit } from '../common/instant.js';
import { writeSeriesDir } from '../data/kpi-csv.js';
import { importMessages, type MessageFormat, type MessageImportOptions } from '../data/message-import.js';
import { readLines } from '../common/text-lines.js';
import { writeSpanCsv } from '../data/span-csv-writer.js';
import { DEFAULT_ERROR_OPERATION } from '../data/span-status.js';
import { AnonymisationKey } from './key.js';
import { OPERATION_MODES, Pseudonymiser, type OperationMode } from './pseudonymise.js';
import { KeyedCsvSinks } from './sinks.js';
import { anonymiseLogFile, anonymiseMetricFile, learnLogNames, learnMetricNames, telemetryFiles, type TelemetryContext } from './telemetry.js';
import { ServiceFromInstance } from '../data/telemetry-layouts.js';

export interface AnonymiseOptions {
  out: string;
  keyFile: string;
  /** Message logs: messages.arrow, Arrow IPC, Parquet, CSV or JSON lines files. */
  messages?: string[];
  messageColumns?: Record<string, string>;
  messageFormat?: MessageFormat;
  /** Unit of numeric message times (default ms). */
  messageTimeUnit?: NumericTimeUnit;
  /** Span files or folders (span CSV, Jaeger or OTLP JSON). */
  spans?: string[];
  /** Fault-free spans, the same formats: written to baseline/. */
  baseline?: string[];
  /** Span CSV column mapping and service derivation, as `faultline rca --spans` takes them. */
  columns?: Record<string, string>;
  /** Regex whose first group is the service of an instance (spans, and Nezha logs and metrics). */
  serviceFromInstance?: string;
  /** KPI long CSVs, per-series CSV folders, NAB-layout folders or kpis.arrow files. */
  kpis?: string[];
  /** Log CSV files or folders: faultline's log layout, Nezha's, or one mapped with `logColumns`. */
  logs?: string[];
  /** Fault-free log lines, the same layouts: written to baseline-logs/. */
  baselineLogs?: string[];
  /** Metric CSV files or folders: faultline's wide metric layout, Nezha's, or one mapped with `metricColumns`. */
  metrics?: string[];
  /** Log and metric CSV column mappings (ours=theirs), as `faultline rca --log-columns / --metric-columns` take them. */
  logColumns?: Record<string, string>;
  metricColumns?: Record<string, string>;
  /** Incidents JSON (rca's format), CSV or a Nezha fault_list.json. */
  incidents?: string;
  /** A file of further sensitive names, one per line (the bank's, products', partners'). */
  names?: string;
  /** Operation names: one pseudonym each (default) or their route/method shape kept. */
  operations?: OperationMode;
  /** Operations whose span marks its parent failed where statuses are unknown (regex; default Spring's error handler, as RCA). */
  errorOperation?: string;
  /** `keyed` (default): a secret whole number of weeks from the key; `none`; or a signed duration. */
  timeShift?: string;
  onBadRow?: BadRowPolicy;
  /** Write into a folder that holds other files too (they are kept, never replaced). */
  force?: boolean;
}

export const ANONYMISE_REPORT = 'anonymise-report.json';

/** How times moved: the report says that, never by how much. */
export const TIME_SHIFT_NOTES = {
  keyed: 'shifted by a secret whole number of weeks derived from the key (weekday and time of day kept)',
  given: 'shifted by the secret amount given with --time-shift',
  none: 'not shifted',
} as const;

/** Names the report is built from (its keys, output folders): format vocabulary, not data. */
export const REPORT_KEYS = [
  'tool', 'keyFingerprint', 'times', 'operations', 'outputs', 'rows', 'files', 'replaced', 'distinct', 'keptVerbatim', 'fields',
  'words', 'shapes', 'droppedColumns', 'droppedFields', 'badRows', 'policy', 'skipped', 'spans', 'baseline', 'messages', 'kpis',
  'logs', 'baseline-logs', 'metrics', 'incidents',
];

export interface AnonymiseReport {
  tool: 'faultline anonymise';
  /** A fingerprint of the key (not the key): equal fingerprints mean pseudonyms line up across outputs. */
  keyFingerprint: string;
  times: (typeof TIME_SHIFT_NOTES)[keyof typeof TIME_SHIFT_NOTES];
  operations: OperationMode;
  outputs: Record<string, { rows: number; files?: number }>;
  /** Values replaced per field (free text: values that changed). */
  replaced: Record<string, number>;
  /** Distinct originals pseudonymised, per kind of name. */
  distinct: Record<string, number>;
  /** Everything written verbatim: whole fields, generic words per field, and shapes of text. */
  keptVerbatim: { fields: string[]; words: Record<string, string[]>; shapes: string[] };
  /** Input columns with no place in faultline's formats (message bodies among them): not copied. Scrubbed. */
  droppedColumns: string[];
  /** Parts of fields not copied. */
  droppedFields: string[];
  badRows: { policy: BadRowPolicy; skipped: number };
}

/** Shapes of free text kept as written (vocabulary.ts KEPT_PIECE_PATTERNS and the scrubber's rules). */
const KEPT_SHAPES = [
  'punctuation and spacing of free text',
  'numbers of up to 5 digits, and decimals with up to 5 integer digits',
  'single ASCII letters',
  'API versions (v1, v2beta) and percentiles (p50, p99.9)',
];

/** Fields kept verbatim per output (enumerations, numbers, structure). */
const KEPT_FIELDS: Record<string, string[]> = {
  spans: ['spans: status, parent links (as pseudonymised span ids), durations'],
  messages: ['messages: msgType, logPoint, retClass (enumerations), ttl, durations'],
  kpis: ['kpis: values, labels, the KPI part of scope:name:kpi ids'],
  logs: ['logs: level (TRACE, DEBUG, INFO, WARN, ERROR, FATAL)'],
  metrics: ['metrics: values'],
  incidents: ['incidents: durations'],
};

const LOG_LINE_DROPPED = "log messages: a JSON-wrapped line's fields other than its text (a container runtime's stream and time), and the text's leading time of day and level word (the level is written to the level column)";

/** Every fixed sentence the report may hold: they carry no data. */
export const REPORT_CONSTANT_TEXTS: ReadonlySet<string> = new Set([
  'faultline anonymise',
  ...Object.values(TIME_SHIFT_NOTES),
  ...OPERATION_MODES,
  ...Object.values(KEPT_FIELDS).flat(),
  ...KEPT_SHAPES,
  LOG_LINE_DROPPED,
  ...BAD_ROW_POLICIES,
]);

function timeShiftOf(spec: string | undefined, key: AnonymisationKey): { ms: number; note: AnonymiseReport['times'] } {
  if (spec === undefined || spec === 'keyed') return { ms: key.timeShiftMs(), note: TIME_SHIFT_NOTES.keyed };
  if (spec === 'none') return { ms: 0, note: TIME_SHIFT_NOTES.none };
  let ms = NaN;
  try {
    ms = Math.round(parseSignedDuration(spec));
  } catch {
    // Said below, naming the flag.
  }
  if (!Number.isFinite(ms)) throw new Error(`--time-shift: invalid value '${spec}': expected keyed, none or a signed duration such as -28d`);
  return { ms, note: ms === 0 ? TIME_SHIFT_NOTES.none : TIME_SHIFT_NOTES.given };
}

/** Where anonymise writes (common/output-dir.ts): never over an input or the key. */
function outputOptions(opts: AnonymiseOptions) {
  const inputs = [
    ...(opts.messages ?? []), ...(opts.spans ?? []), ...(opts.baseline ?? []), ...(opts.kpis ?? []), ...(opts.logs ?? []), ...(opts.baselineLogs ?? []),
    ...(opts.metrics ?? []), opts.incidents, opts.names, opts.keyFile,
  ];
  return { command: 'anonymise', inputs, ...(opts.force ? { force: true } : {}) };
}

async function readNames(file: string): Promise<string[]> {
  if (!fs.existsSync(file)) throw new Error(`--names ${file}: no such file`);
  const names: string[] = [];
  for await (const { line } of readLines(file)) if (line.trim()) names.push(line.trim());
  return names;
}

export async function anonymise(opts: AnonymiseOptions): Promise<{ report: AnonymiseReport; out: string; badRowExamples: string[] }> {
  // The key is checked before any input is read: without it nothing may be written.
  const key = await AnonymisationKey.fromFile(opts.keyFile);
  const p = new Pseudonymiser(key);
  if (!opts.messages?.length && !opts.spans?.length && !opts.kpis?.length && !opts.logs?.length && !opts.baselineLogs?.length && !opts.metrics?.length && !opts.incidents) {
    throw new Error('nothing to anonymise: give --messages, --spans, --kpis, --logs, --metrics and/or --incidents');
  }
  const output = outputOptions(opts);
  checkOutputDir(opts.out, output);
  const operations = opts.operations ?? 'pseudonymise';
  let errorOperation = DEFAULT_ERROR_OPERATION;
  if (opts.errorOperation !== undefined) {
    try {
      errorOperation = new RegExp(opts.errorOperation);
    } catch (err) {
      throw new Error(`--error-operation: ${(err as Error).message}`);
    }
  }
  const shift = timeShiftOf(opts.timeShift, key);
  const badRows = new BadRows(opts.onBadRow ?? 'reject');
  const spanOpts: SpanSourceOptions = { badRows, ...(opts.columns ? { columns: opts.columns } : {}), ...(opts.serviceFromInstance ? { serviceFromInstance: opts.serviceFromInstance } : {}) };
  const messageOpts: MessageImportOptions = {
    ...(opts.messageColumns ? { columns: opts.messageColumns } : {}),
    ...(opts.messageFormat ? { format: opts.messageFormat } : {}),
    ...(opts.messageTimeUnit ? { timeUnit: opts.messageTimeUnit } : {}),
  };
  const logFiles = telemetryFiles(opts.logs ?? [], '--logs');
  const baselineLogFiles = telemetryFiles(opts.baselineLogs ?? [], '--baseline-logs');
  const metricFiles = telemetryFiles(opts.metrics ?? [], '--metrics');
  const ctx: TelemetryContext = {
    p,
    shiftMs: shift.ms,
    badRows,
    services: new ServiceFromInstance(opts.serviceFromInstance, POD_SERVICE_RE),
    ...(opts.logColumns ? { logColumns: opts.logColumns } : {}),
    ...(opts.metricColumns ? { metricColumns: opts.metricColumns } : {}),
  };

  // Pass 1: every name, from every input. Bad rows are reported by pass 2 only.
  const spanTables: [string, Awaited<ReturnType<typeof loadSpans>>][] = [];
  for (const [dir, paths] of [['spans', opts.spans], ['baseline', opts.baseline]] as const) {
    if (!paths?.length) continue;
    const table = await loadSpans(paths, spanOpts);
    learnSpanNames(table, p);
    spanTables.push([dir, table]);
  }
  const incidents = opts.incidents ? await loadIncidents(opts.incidents, badRows, opts.serviceFromInstance) : undefined;
  if (incidents) learnIncidentNames(incidents, p);
  const series = opts.kpis?.length ? (await loadKpiSeries(opts.kpis, badRows)).series : undefined;
  if (series) learnSeriesNames(series, p);
  if (opts.names) for (const name of await readNames(opts.names)) p.map('name', name);
  for (const file of opts.messages ?? []) await importMessages(file, (batch) => learnMessageNames(batch, p), { ...messageOpts, badRows: new BadRows('skip') });
  for (const file of [...logFiles, ...baselineLogFiles]) await learnLogNames(file, ctx);
  for (const file of metricFiles) await learnMetricNames(file, ctx);

  // Pass 2: write.
  const outputs: AnonymiseReport['outputs'] = {};
  const dropped = new Set<string>();
  const droppedFields = new Set<string>();
  const report = await publishDir(opts.out, async (tmp) => {
    for (const [dir, table] of spanTables) {
      const anon = anonymiseSpans(table, p, shift.ms, dir, operations, errorOperation);
      fs.mkdirSync(path.join(tmp, dir));
      writeSpanCsv(anon, path.join(tmp, dir, 'spans.csv'));
      outputs[`${dir}/spans.csv`] = { rows: anon.length };
    }
    if (opts.messages?.length) {
      const writer = await MessageLogWriter.open(path.join(tmp, 'messages.arrow'));
      try {
        for (const file of opts.messages) {
          const result = await importMessages(file, (batch) => writer.append(anonymiseMessageBatch(batch, p, shift.ms)), { ...messageOpts, badRows });
          for (const c of result.droppedColumns) dropped.add(c);
        }
      } finally {
        await writer.close();
      }
      outputs['messages.arrow'] = { rows: writer.rows };
    }
    if (series) {
      const anon = anonymiseSeries(series, p, shift.ms);
      await writeSeriesDir(path.join(tmp, 'kpis'), anon);
      outputs['kpis/'] = { rows: anon.reduce((s, x) => s + x.timestamps.length, 0), files: anon.length };
    }
    const streams = [['logs', logFiles, anonymiseLogFile], ['baseline-logs', baselineLogFiles, anonymiseLogFile], ['metrics', metricFiles, anonymiseMetricFile]] as const;
    for (const [dir, files, write] of streams) {
      if (!files.length) continue;
      fs.mkdirSync(path.join(tmp, dir));
      const sinks = new KeyedCsvSinks(path.join(tmp, dir));
      for (const file of files) {
        const result = await write(file, sinks, ctx, dir);
        for (const c of result.dropped) dropped.add(c);
        if (result.trimmedMessages) droppedFields.add(LOG_LINE_DROPPED);
      }
      const written = await sinks.close();
      outputs[`${dir}/`] = { rows: Object.values(written).reduce((s, n) => s + n, 0), files: Object.keys(written).length };
    }
    if (incidents) {
      const anon = anonymiseIncidents(incidents, p, shift.ms);
      writeIncidentsJson(path.join(tmp, 'incidents.json'), anon);
      outputs['incidents.json'] = { rows: anon.length };
    }
    // Column names are scrubbed like free text: a header can embed a host or service name.
    const droppedColumns = [...new Set([...dropped].map((c) => p.scrubText(c, 'droppedColumns')))].sort();
    const { replaced, distinct, keptWords } = p.report();
    // baseline/spans.csv is spans, baseline-logs/ is logs.
    const present = new Set(Object.keys(outputs).map((o) => ({ baseline: 'spans', 'baseline-logs': 'logs' })[o.split(/[/.]/)[0]] ?? o.split(/[/.]/)[0]));
    const report: AnonymiseReport = {
      tool: 'faultline anonymise',
      keyFingerprint: key.fingerprint(),
      times: shift.note,
      operations,
      outputs,
      replaced,
      distinct,
      keptVerbatim: { fields: Object.keys(KEPT_FIELDS).filter((k) => present.has(k)).flatMap((k) => KEPT_FIELDS[k]), words: keptWords, shapes: KEPT_SHAPES },
      droppedColumns,
      droppedFields: [...droppedFields],
      badRows: { policy: badRows.policy, skipped: badRows.skipped },
    };
    writeFileAtomic(path.join(tmp, ANONYMISE_REPORT), `${JSON.stringify(report, null, 2)}\n`);
    return report;
  }, output);
  // Skipped-row examples quote the input: they go to the caller (stderr), never into the output.
  return { report, out: opts.out, badRowExamples: badRows.examples };
}

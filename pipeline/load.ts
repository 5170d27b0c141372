/**
 * The one loader: every command reads its inputs through `loadSource`, whatever the format. A
 * source is a data set folder (generated: messages.arrow, kpis.arrow, truth.json; imported or
 * anonymised: spans/, baseline/, kpis/ or kpis.csv, incidents.json or .csv) and/or explicit parts,
 * which override what the folder holds. Only the inputs the chosen methods need are read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { InputKind } from '../common/plugin.js';
import { BadRows } from '../common/bad-rows.js';
import { doing, FaultlineError, firstNames, UsageError, warn, warnNote } from '../common/errors.js';
import { lowerBound } from '../common/sorted.js';
import { isoInstant, parseInstant, parseInstantOrOffset } from '../common/instant.js';
import { loadIncidents, loadKpiSeries, loadSpans } from '../data/inputs.js';
import { kpiOfSeriesId } from '../data/kpi-csv.js';
import { incidentsFromTruth } from '../data/incidents.js';
import { emptySpanTable, hasTraces } from '../data/span-table.js';
import { emptySpanReadStats, keepWindowsFor } from '../data/span-assembly.js';
import type { Incident, LogTable, MetricTable, Series, SpanTable } from '../data/types.js';
import type { TimeWindow } from '../data/csv-files.js';
import { readMetrics, type MetricReadStats } from '../data/metric-csv.js';
import { readLogSets } from '../data/log-csv.js';
import { DEFAULT_LOCAL_BASELINE_MS, DEFAULT_METRIC_LOOKBACK_MS } from '../rca/evaluate.js';
import { DATA_SET_FILES, SPAN_STATUS } from '../sim/formats.js';
import { checkManifest, readTruth } from '../sim/read.js';
import { buildSpans } from '../trees/index.js';
import type { TreeStats } from '../trees/calls.js';

/** Where one item's telemetry comes from. */
export interface SourceSpec {
  /** A data set folder; the parts below override what it holds. */
  in?: string;
  /** Span files or folders (span CSV, Jaeger, OTLP JSON). */
  spans?: string[];
  /** A message log (messages.arrow) to build transaction trees from. */
  messages?: string;
  /** Fault-free spans for reference. */
  baseline?: string[];
  /** KPI or other series: a long CSV, a folder of per-series CSVs, the NAB layout, or kpis.arrow. */
  series?: string[];
  /** Same-named series used only for fitting detectors. */
  train?: string;
  /** Incidents: JSON, CSV, a Nezha fault_list.json or a truth.json. */
  incidents?: string;
  /** Only the incidents starting at or after this time (ISO 8601), e.g. to hold a later part of the data out. */
  incidentsFrom?: string;
  /** Only the incidents starting before this time (ISO 8601). */
  incidentsUntil?: string;
  /** Per-instance metric CSV files or folders. */
  metrics?: string[];
  /** Log CSV files or folders. */
  logs?: string[];
  /** Fault-free log lines for reference. */
  baselineLogs?: string[];
}

/** How to read files in someone else's column names and instance naming. */
export interface InputMapping {
  /** Span CSV: our column -> the file's. */
  columns?: Record<string, string>;
  /** Metric and log CSV: our column -> the file's. */
  metricColumns?: Record<string, string>;
  logColumns?: Record<string, string>;
  /** Regex whose first capture group is the service, applied to instance (pod) names. */
  serviceFromInstance?: string;
}

/** The mapping options that are set, from options that may hold more. */
export function inputMapping(opts: InputMapping): InputMapping {
  return {
    ...(opts.columns ? { columns: opts.columns } : {}),
    ...(opts.metricColumns ? { metricColumns: opts.metricColumns } : {}),
    ...(opts.logColumns ? { logColumns: opts.logColumns } : {}),
    ...(opts.serviceFromInstance ? { serviceFromInstance: opts.serviceFromInstance } : {}),
  };
}

export interface LoadOptions extends InputMapping {
  /** The inputs the chosen methods read; others are not loaded. */
  need: ReadonlySet<InputKind>;
  /** Shared over the sources of a run, so skipped rows are counted once. */
  badRows?: BadRows;
  /** Tree rules YAML and collection window, for message logs. */
  rules?: string;
  windowMs?: number;
  /** End of detector training: ISO 8601 or an offset from the data's start such as `2h`. */
  trainUntil?: string;
}

/** Everything an item is evaluated on, in memory. */
export interface Telemetry {
  /** The source's name (its folder's), e.g. for the item key. */
  name: string;
  /** The files read, by kind, for the run's record. */
  read: Record<string, string | string[]>;
  spans: SpanTable;
  baseline?: SpanTable;
  series: Series[];
  train?: Series[];
  /** The series that are KPIs of a service or transaction type (`scope:name:kpi`), for RCA methods. */
  kpis?: Series[];
  /** Per-instance metrics and log lines, only those near an incident (see `telemetryWindows`). */
  metrics?: MetricTable;
  logs?: LogTable;
  baselineLogs?: LogTable;
  /** The incidents to explain; a generated data set's carry the KPI series each fault moved. */
  incidents: Incident[];
  /** The data's time span (unix ms), when known from a generated data set. */
  start?: number;
  end?: number;
  /** Detectors fit on the points before this time (per series id, or one for all); absent: the first 15%. */
  trainUntil?: number | Record<string, number>;
  /** How the training split was chosen, in words. */
  training: string;
  /** How the series were stored (csv, nab, kpis.arrow, ...). */
  layout: string;
  /** NAB's anomaly windows, when the series came in its layout. */
  windows?: Record<string, Array<[number, number]>>;
  /** Repairs made while reading (e.g. repeated timestamps). */
  notes: string[];
  treeStats?: TreeStats;
  /** The inputs this source holds. */
  available: Set<InputKind>;
  /** Wall-clock ms of each loading phase. */
  timings: Record<string, number>;
}

interface Parts extends Omit<SourceSpec, 'in'> {
  truth?: string;
}

/** Explicit parts first, then what the folder holds under faultline's names. */
function resolveParts(spec: SourceSpec): Parts {
  const parts: Parts = {};
  if (spec.spans?.length) parts.spans = spec.spans;
  if (spec.messages) parts.messages = spec.messages;
  if (spec.baseline?.length) parts.baseline = spec.baseline;
  if (spec.series?.length) parts.series = spec.series;
  if (spec.train) parts.train = spec.train;
  if (spec.incidents) parts.incidents = spec.incidents;
  if (spec.metrics?.length) parts.metrics = spec.metrics;
  if (spec.logs?.length) parts.logs = spec.logs;
  if (spec.baselineLogs?.length) parts.baselineLogs = spec.baselineLogs;
  const dir = spec.in;
  if (dir !== undefined) {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: not a folder`);
    const at = (name: string) => (fs.existsSync(path.join(dir, name)) ? path.join(dir, name) : undefined);
    if (!parts.spans && !parts.messages) {
      const spans = at('spans');
      if (spans) parts.spans = [spans];
      else if (at('messages.arrow')) parts.messages = at('messages.arrow')!;
    }
    if (!parts.baseline && at('baseline')) parts.baseline = [at('baseline')!];
    const series = at('kpis') ?? at('kpis.csv') ?? at('kpis.arrow');
    if (!parts.series && series) parts.series = [series];
    if (at('truth.json')) parts.truth = at('truth.json')!;
    // A generated data set's metrics and logs, the CSV that `generate --export` writes of them, or
    // the folders that `anonymise` writes.
    const metrics = at(DATA_SET_FILES.metrics) ?? at(DATA_SET_FILES.metricsCsv) ?? at('metrics');
    const logs = at(DATA_SET_FILES.logs) ?? at(DATA_SET_FILES.logsCsv) ?? at('logs');
    if (!parts.metrics && metrics) parts.metrics = [metrics];
    if (!parts.logs && logs) parts.logs = [logs];
    if (!parts.baselineLogs && at('baseline-logs')) parts.baselineLogs = [at('baseline-logs')!];
    if (!parts.incidents) {
      const incidents = at('incidents.json') ?? at('incidents.csv');
      if (incidents) parts.incidents = incidents;
    }
  }
  if (!parts.spans && !parts.messages && !parts.series && !parts.metrics && !parts.logs) {
    throw new Error(
      `nothing to read: ${dir ? `${dir} holds no spans/, messages.arrow, kpis/, kpis.csv, kpis.arrow, metrics or logs, and ` : ''}no spans, messages, series, metrics or logs were given`,
    );
  }
  return parts;
}

function timed<T>(timings: Record<string, number>, phase: string, what: string, f: () => Promise<T>): Promise<T> {
  doing(what);
  const t0 = performance.now();
  return f().finally(() => (timings[phase] = (timings[phase] ?? 0) + performance.now() - t0));
}

/** The inputs a source holds, without reading them: what `all` may expand to. */
export function availableInputs(spec: SourceSpec): Set<InputKind> {
  const parts = resolveParts(spec);
  const kinds = new Set<InputKind>();
  if (parts.spans || parts.messages) kinds.add('spans');
  if (parts.series) kinds.add('kpis');
  if (parts.metrics) kinds.add('metrics');
  if (parts.logs) kinds.add('logs');
  return kinds;
}

/** Reads one source into memory: what the methods need, in faultline's in-memory forms. */
export async function loadSource(spec: SourceSpec, opts: LoadOptions): Promise<Telemetry> {
  const parts = resolveParts(spec);
  const badRows = opts.badRows ?? new BadRows('reject');
  const skippedAtStart = badRows.skipped;
  const spanOpts = { badRows, ...(opts.columns ? { columns: opts.columns } : {}), ...(opts.serviceFromInstance ? { serviceFromInstance: opts.serviceFromInstance } : {}) };
  const timings: Record<string, number> = {};
  const notes: string[] = [];
  const read: Telemetry['read'] = {};
  const available = availableInputs(spec);
  const wantSpans = opts.need.has('spans');
  const wantSeries = opts.need.has('kpis');

  const truth = parts.truth ? await timed(timings, 'series', `reading ${parts.truth}`, () => readTruth(path.dirname(parts.truth!))) : undefined;
  if (truth) read.truth = parts.truth!;
  const outsideRun = new Set<string>();
  for (const f of truth?.faults ?? []) {
    // Scored as an incident all the same: the data may still show it (a fault running into the set).
    if (f.end <= truth!.start || f.start >= truth!.end) {
      warnNote(notes, `${parts.truth}: fault ${f.id} (${isoInstant(f.start)} - ${isoInstant(f.end)}) lies outside the run (${isoInstant(truth!.start)} - ${isoInstant(truth!.end)})`);
      outsideRun.add(f.id);
    }
  }

  const incidents = selectIncidents(
    parts.incidents
      ? await timed(timings, 'incidents', `reading incidents from ${parts.incidents}`, () => loadIncidents(parts.incidents!, badRows, opts.serviceFromInstance))
      : truth
        ? incidentsFromTruth(truth)
        : [],
    spec,
  );
  if (parts.incidents) read.incidents = parts.incidents;

  // With a fault-free baseline given, a ranking reads only the spans near incidents: the rest are
  // counted and dropped while streaming (memory grows with the incidents, not the files).
  const spanStats = emptySpanReadStats();
  const nearIncidents = parts.baseline && incidents.length ? keepWindowsFor(incidents, DEFAULT_LOCAL_BASELINE_MS + TRACE_MARGIN_MS, TRACE_MARGIN_MS) : undefined;
  let spans = emptySpanTable();
  let baseline: SpanTable | undefined;
  let treeStats: TreeStats | undefined;
  if (wantSpans && parts.spans) {
    read.spans = parts.spans;
    const skippedBefore = badRows.skipped;
    spans = await timed(timings, 'spans', `reading spans from ${parts.spans.join(', ')}`, () =>
      loadSpans(parts.spans!, { ...spanOpts, stats: spanStats, ...(nearIncidents ? { keep: nearIncidents } : {}) }),
    );
    if (spanStats.outsideWindows) notes.push(`${spanStats.outsideWindows} of ${spanStats.read} spans were not near an incident and were dropped while reading`);
    const skipped = badRows.skipped - skippedBefore;
    if (spanStats.read === 0) throw new FaultlineError(`${parts.spans.join(', ')}: no spans${skipped ? ` (${skipped} malformed rows skipped)` : ''}: the methods that read spans have nothing to rank`);
  } else if (wantSpans && parts.messages) {
    read.messages = parts.messages;
    const messages = parts.messages;
    spans = await timed(timings, 'spans', `building transaction trees from ${messages}`, () =>
      buildSpans(messages, { ...(opts.rules ? { rules: opts.rules } : {}), ...(opts.windowMs !== undefined ? { windowMs: opts.windowMs } : {}), onStats: (s) => (treeStats = s) }),
    );
    // A simulated system whose spans record no status (its manifest says so): its trees show none
    // either, whatever the engine's return codes say.
    if ((await checkManifest(messages))?.spanStatus === false) {
      spans.status.fill(SPAN_STATUS.unknown);
      spans.callerFault?.fill(0);
    }
    if (spans.length === 0) throw new FaultlineError(`${messages}: no transactions to build spans from: the methods that read spans have nothing to rank`);
  }
  if (wantSpans && parts.baseline) {
    read.baseline = parts.baseline;
    baseline = await timed(timings, 'spans', `reading baseline spans from ${parts.baseline.join(', ')}`, () => loadSpans(parts.baseline!, spanOpts));
  }

  let series: Series[] = [];
  let train: Series[] | undefined;
  let kpis: Series[] = [];
  let layout = 'none';
  let windows: Telemetry['windows'];
  if ((wantSeries || opts.need.has('spans')) && parts.series) {
    // RCA methods that read KPIs get them too (`kpis` is both the detectors' and kpi-first's input).
    read.series = parts.series;
    const set = await timed(timings, 'series', `reading series from ${parts.series.join(', ')}`, () => loadKpiSeries(parts.series!, badRows));
    series = set.series;
    layout = set.layout;
    notes.push(...set.notes);
    if (set.windows) windows = set.windows;
    kpis = series.filter((s) => kpiOfSeriesId(s.id));
  }
  if (parts.train && parts.series) {
    read.train = parts.train;
    const set = await timed(timings, 'series', `reading training series from ${parts.train}`, () => loadKpiSeries([parts.train!], badRows));
    train = set.series;
    notes.push(...set.notes);
  }


  // Metrics and logs: only what lies near an incident is kept (memory grows with the incidents, not the files).
  const keep = incidents.length ? telemetryWindows(incidents) : undefined;
  let metrics: MetricTable | undefined;
  let logs: LogTable | undefined;
  let baselineLogs: LogTable | undefined;
  const telemetryOpts = { badRows, ...(opts.serviceFromInstance ? { serviceFromInstance: opts.serviceFromInstance } : {}), ...(keep ? { keep } : {}) };
  if (opts.need.has('metrics') && parts.metrics) {
    read.metrics = parts.metrics;
    const metricStats: MetricReadStats = { rows: 0, kept: 0, dropped: 0, files: 0 };
    metrics = await timed(timings, 'metrics', `reading metrics from ${parts.metrics.join(', ')}`, () =>
      readMetrics(parts.metrics!, { ...telemetryOpts, ...(opts.metricColumns ? { columns: opts.metricColumns } : {}) }, metricStats),
    );
    // Said once per file: a pattern that misses columns it was meant to read would lose them silently.
    // The names go to stderr only: like bad rows' reasons, they quote the input.
    for (const { file, columns } of metricStats.ignored ?? []) {
      const note = `${file}: ${columns.length} column(s) not matched by --metric-columns instance_metric, not read`;
      notes.push(note);
      warn(`${note}: ${firstNames(columns, 10)}`);
    }
  }
  if (opts.need.has('logs') && parts.logs) {
    read.logs = parts.logs;
    if (parts.baselineLogs) read.baselineLogs = parts.baselineLogs;
    const sets = await timed(timings, 'logs', `reading logs from ${parts.logs.join(', ')} and mining templates`, () =>
      readLogSets(parts.logs!, parts.baselineLogs, { ...telemetryOpts, ...(opts.logColumns ? { columns: opts.logColumns } : {}) }),
    );
    logs = sets.logs;
    baselineLogs = sets.baselineLogs;
  }

  // The count only: the reasons quote the input, and go to stderr alone.
  if (badRows.skipped > skippedAtStart) notes.push(`${badRows.skipped - skippedAtStart} malformed rows skipped (--on-bad-row skip)`);
  // Per input read: with metrics and no spans, a window without spans is no problem.
  const inRun = incidents.filter((i) => !outsideRun.has(i.id));
  if (inRun.length) {
    const ranked: WindowInput[] = [];
    if (wantSpans && (parts.spans || parts.messages)) ranked.push(spanInput(spans, nearIncidents !== undefined));
    if (metrics) ranked.push(timedInput('metrics', metrics.time, keep !== undefined, false));
    if (logs) ranked.push(timedInput('logs', logs.time, keep !== undefined, true));
    checkWindows(inRun, ranked, notes);
  }

  const firstIncident = incidents.length ? incidents.reduce((m, i) => Math.min(m, i.start), Infinity) : undefined;
  const dataStart = truth?.start ?? firstSeriesTime(series);
  let trainUntil: Telemetry['trainUntil'];
  let training: string;
  if (train) training = `fitted on same-named series in ${parts.train}; every point of the series scored`;
  else if (opts.trainUntil !== undefined) {
    if (dataStart === undefined) throw new Error('--train-until needs series with a start time');
    trainUntil = parseTrainUntil(opts.trainUntil, dataStart);
    training = `fitted on points before ${new Date(trainUntil).toISOString()} (--train-until); scored from there`;
  } else if (firstIncident !== undefined) {
    if (dataStart !== undefined && firstIncident <= dataStart) {
      throw new Error(`${spec.in ?? parts.series?.join(', ') ?? 'the data'}: no fault-free prefix to train on (the first incident starts at the data's start, ${new Date(firstIncident).toISOString()}); give --train-until or a --train set`);
    }
    trainUntil = firstIncident;
    training = `fitted on points before ${new Date(firstIncident).toISOString()} (the first incident's start); scored from there`;
  } else training = 'fitted on the first 15% of each series (NAB probationary period); scored after it';

  const name = spec.in ? path.basename(path.resolve(spec.in)) : 'data';
  return {
    name,
    read,
    spans,
    ...(baseline ? { baseline } : {}),
    series,
    ...(train ? { train } : {}),
    ...(kpis.length ? { kpis } : {}),
    ...(metrics ? { metrics } : {}),
    ...(logs ? { logs } : {}),
    ...(baselineLogs ? { baselineLogs } : {}),
    incidents,
    ...(truth ? { start: truth.start, end: truth.end } : {}),
    ...(trainUntil !== undefined ? { trainUntil } : {}),
    training,
    layout,
    ...(windows ? { windows } : {}),
    notes,
    ...(treeStats ? { treeStats } : {}),
    available,
    timings,
  };
}

/** `--train-until` (an ISO 8601 time, or an offset from the data's start `origin`) in unix ms. */
export function parseTrainUntil(text: string, origin: number): number {
  try {
    return parseInstantOrOffset(text, origin);
  } catch {
    throw new UsageError(`--train-until: invalid duration or time '${text}': expected ISO 8601 or an offset from the data's start such as 2h`);
  }
}

/** An input read for the methods, as far as checkWindows looks at it. */
interface WindowInput {
  what: string;
  /** Whether it holds anything a method takes for the window [from, to). */
  has: (from: number, to: number) => boolean;
  /** The time it covers; undefined when it holds nothing. */
  range: [number, number] | undefined;
  /** Only what lies near an incident was kept while reading. */
  near: boolean;
}

function spanInput(spans: SpanTable, near: boolean): WindowInput {
  let start = Infinity;
  let end = -Infinity;
  for (let i = 0; i < spans.length; i++) {
    start = Math.min(start, spans.start[i]!);
    end = Math.max(end, spans.end[i]!);
  }
  // The traces that start in a window are what a method ranks it on (rca/evaluate.ts).
  return { what: 'spans', has: (from, to) => hasTraces(spans, from, to), range: spans.length ? [start, end] : undefined, near };
}

/** An input with a time per row; `inOrder` when its rows are in time order already (a log table), else a sorted copy is searched (metrics run per instance). */
function timedInput(what: string, time: Float64Array, near: boolean, inOrder: boolean): WindowInput {
  const sorted = inOrder ? time : Float64Array.from(time).sort();
  return { what, has: (from, to) => lowerBound(sorted, to) > lowerBound(sorted, from), range: sorted.length ? [sorted[0]!, sorted[sorted.length - 1]!] : undefined, near };
}

/**
 * Names the incidents whose window holds none of an input the methods read, with the time that
 * input covers: their rankings have nothing to go on and score as misses, which is otherwise
 * indistinguishable from a method's miss (an incident file in another year or time zone).
 */
function checkWindows(incidents: Incident[], inputs: WindowInput[], notes: string[]): void {
  for (const { what, has, range, near } of inputs) {
    const empty = incidents.filter((i) => !has(i.start, i.end));
    if (!empty.length) continue;
    const covered = range ? `the ${what} ${near ? 'kept near incidents' : 'read'} run from ${isoInstant(range[0])} to ${isoInstant(range[1])}` : `none of the ${what} read lies near an incident`;
    warnNote(notes, `${empty.length} of ${incidents.length} incidents have no ${what} in their window, so their rankings have nothing to go on: ${empty.map((i) => `${i.id} (${isoInstant(i.start)} - ${isoInstant(i.end)})`).join(', ')}; ${covered}`);
  }
}

/**
 * Names the incidents without a root cause in a warning and the notes: they are ranked but not
 * scored (scores/rca.ts), and a score over fewer incidents than given would otherwise pass unsaid.
 */
export function noteUnscoredIncidents(t: Telemetry): void {
  const unscored = t.incidents.filter((i) => i.rootCause.length === 0);
  if (unscored.length) warnNote(t.notes, `${unscored.length} of ${t.incidents.length} incidents have no root cause (rootCause), so they are ranked but not scored: ${unscored.map((i) => i.id).join(', ')}`);
}

/** The incidents that start in [--incidents-from, --incidents-until). */
function selectIncidents(incidents: Incident[], spec: SourceSpec): Incident[] {
  if (spec.incidentsFrom === undefined && spec.incidentsUntil === undefined) return incidents;
  const at = (flag: string, text: string) => {
    const t = parseInstant(text.trim(), 's');
    if (!Number.isFinite(t)) throw new UsageError(`--${flag}: not an ISO 8601 time or unix seconds: '${text}'`);
    return t;
  };
  const from = spec.incidentsFrom !== undefined ? at('incidents-from', spec.incidentsFrom) : -Infinity;
  const until = spec.incidentsUntil !== undefined ? at('incidents-until', spec.incidentsUntil) : Infinity;
  return incidents.filter((i) => i.start >= from && i.start < until);
}

/**
 * How far a trace may reach past the edge of a window and still be read whole: with a baseline,
 * a ranking reads each incident's window and the recent reference before it, widened by this.
 */
const TRACE_MARGIN_MS = 5 * 60_000;


/**
 * The time metrics and log lines are kept for: from an hour before each incident (the metric
 * methods' reference, which also covers the recent log reference) to its end.
 */
export function telemetryWindows(incidents: Incident[]): TimeWindow[] {
  return incidents.map((i) => ({ start: i.start - DEFAULT_METRIC_LOOKBACK_MS, end: i.end }));
}

function firstSeriesTime(series: Series[]): number | undefined {
  let t = Infinity;
  for (const s of series) if (s.timestamps.length) t = Math.min(t, s.timestamps[0]!);
  return Number.isFinite(t) ? t : undefined;
}

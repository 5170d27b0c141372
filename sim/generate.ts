import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DATA_SET_FILES, type Manifest, type Truth } from './formats.js';
import { writeFileAtomic } from '../common/atomic-file.js';
import { publishDir } from '../common/output-dir.js';
import { FaultlineError } from '../common/errors.js';
import { Engine, type Telemetry } from './engine.js';
import { checkSize, estimateSize } from './estimate.js';
import { compileFaults } from './faults.js';
import { KpiAccumulator } from './kpi-accumulator.js';
import { buildLogCatalog } from './log-catalog.js';
import { LogRows } from './log-rows.js';
import { MessageLogWriter, writeKpis } from './message-writer.js';
import { MessageRows, messageDictionaries, messageOperations } from './message-rows.js';
import { compileModel, type Model } from './model.js';
import { InstanceMonitor } from './monitor.js';
import { TelemetryExport, type ExportOptions } from './export/telemetry-export.js';
import { packageRoot } from '../common/package-root.js';
import { loadScenario, type LoadedScenario } from './scenario.js';
import { parseDuration } from '../common/duration.js';
import { CounterfactualForks, movedKpis, truthFault } from './truth.js';

export interface GenerateOptions {
  /** Scenario name relative to scenarios/ (e.g. `faults/database-slow`) or a YAML file path, or one loadScenario read already. */
  scenario: string | LoadedScenario;
  seed: number;
  /** Output folder: new, empty, or one faultline wrote before (see common/output-dir.ts). */
  out: string;
  /** Write into a folder that holds other files too (they are kept, never replaced). */
  force?: boolean;
  /** Overrides the scenario's duration: `6h`, `90m`, `1d`, or milliseconds. */
  duration?: string | number;
  /** Multiplies every rate and capacity on top of the scenario's own scale. */
  trafficScale?: number;
  /** Write logs.arrow (default true). */
  logs?: boolean;
  /** Write metrics.arrow (default true). */
  metrics?: boolean;
  /** Go past the documented size limits (estimate.ts). */
  allowLarge?: boolean;
  /** Also write the telemetry in exchange formats (spans as CSV or OTLP, logs and metrics as CSV), as imperfect as asked. */
  export?: ExportOptions;
  /**
   * Writes more files into the data set before it is published (e.g. Parquet copies of the Arrow
   * files) and returns their paths; they are listed in the manifest like the others.
   */
  addFiles?: (dir: string) => Promise<string[]>;
}

export interface GenerateResult {
  dir: string;
  manifest: Manifest;
  truth: Truth;
  /** Things the caller should tell the user, e.g. a fault scheduled outside the run. */
  warnings: string[];
}

/** An option of generate() out of range (a usage error, like a bad scenario). */
export class GenerateOptionsError extends FaultlineError {
  override name = 'GenerateOptionsError';
}

/** Traffic scale beyond which the data would be absurd for any scenario (the size limits apply too). */
const MAX_TRAFFIC_SCALE = 1e4;
const DEPENDENCIES = ['apache-arrow', 'seedrandom', 'yaml', 'zod'];

/**
 * Generate one data set: messages.arrow (streamed batch by batch), kpis.arrow, logs.arrow and
 * metrics.arrow (unless turned off), truth.json (with the KPI series each fault actually moved,
 * from fault-free counterfactual runs forked off the real run at each fault's start) and
 * manifest.json. The files are written into a staging folder and published by publishDir, the
 * manifest last: `out` holds the whole new data set or the previous one, and a run killed while
 * publishing leaves a set whose manifest does not match it, which the readers refuse. Logs and metrics
 * draw from random streams of their own: messages, KPIs and truth do not depend on them. Same
 * scenario, options and seed give byte-identical files.
 */
export async function generate(opts: GenerateOptions): Promise<GenerateResult> {
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0) throw new GenerateOptionsError(`seed must be a non-negative integer (got ${opts.seed})`);
  if (opts.trafficScale !== undefined && !(opts.trafficScale > 0 && opts.trafficScale <= MAX_TRAFFIC_SCALE)) {
    throw new GenerateOptionsError(`traffic scale must be a number above 0 and at most ${MAX_TRAFFIC_SCALE} (got ${opts.trafficScale})`);
  }
  const loaded = typeof opts.scenario === 'string' ? loadScenario(opts.scenario) : opts.scenario;
  const durationMs = opts.duration === undefined ? undefined : parseDuration(opts.duration);
  if (durationMs !== undefined && !(durationMs >= 60_000)) throw new GenerateOptionsError(`duration must be at least one minute (got ${opts.duration})`);
  const model = compileModel(loaded.scenario, { durationMs, trafficScale: opts.trafficScale });
  checkSize(estimateSize(model), opts.allowLarge ?? false);
  const end = model.start + model.durationMs;
  const warnings: string[] = [];
  const faults = compileFaults(model, loaded.scenario.faults ?? []).filter((f) => {
    const when = `${new Date(f.start).toISOString()} - ${new Date(f.end).toISOString()}`;
    const run = `the run (${new Date(model.start).toISOString()} - ${new Date(end).toISOString()})`;
    if (f.start >= end || f.end <= model.start) {
      warnings.push(`fault ${f.id} (${when}) lies outside ${run}: not injected`);
      return false;
    }
    if (f.start < model.start || f.end > end) warnings.push(`fault ${f.id} (${when}) is cut by ${run}: injected only inside it`);
    return true;
  });
  const withLogs = opts.logs ?? true;
  const withMetrics = opts.metrics ?? true;
  checkExport(opts.export ?? {}, withLogs, withMetrics);
  const publish = { command: 'generate', commitLast: [DATA_SET_FILES.manifest], ...(opts.force ? { force: true } : {}) };

  return publishDir(opts.out, async (dir) => {
    const files: Manifest['files'] = {};
    const writer = await MessageLogWriter.open(join(dir, DATA_SET_FILES.messages), messageDictionaries(model), { fitIndices: true, operations: messageOperations(model) });
    const kpis = new KpiAccumulator(model);
    const exporter = opts.export && (opts.export.spans || opts.export.logsCsv || opts.export.metricsCsv) ? new TelemetryExport(model, opts.seed, dir, opts.export) : undefined;
    const { telemetry, logRows, monitor } = openTelemetry(model, opts.seed, dir, withLogs, withMetrics, exporter);
    let result;
    let forks: CounterfactualForks;
    try {
      const engine = new Engine(model, faults, opts.seed, kpis, new MessageRows(writer, model), telemetry);
      forks = new CounterfactualForks(model, faults, engine);
      result = engine.run(Infinity, forks.beforeMinute);
    } catch (err) {
      writer.abort();
      logRows?.abort();
      monitor?.abort();
      exporter?.abort();
      throw err;
    }
    await writer.close();
    files[DATA_SET_FILES.messages] = writer.file;
    if (logRows) files[DATA_SET_FILES.logs] = await logRows.close();
    const metricsFile = await monitor?.close();
    if (metricsFile) files[DATA_SET_FILES.metrics] = metricsFile;
    if (exporter) Object.assign(files, exporter.close());
    const kpiTable = kpis.toTable();
    files[DATA_SET_FILES.kpis] = await writeKpis(join(dir, DATA_SET_FILES.kpis), kpiTable);

    const truth: Truth = {
      scenario: loaded.name,
      seed: opts.seed,
      start: model.start,
      end,
      faults: faults.map((f) => truthFault(f, movedKpis(model, kpis, forks.finish(f), f))),
    };
    files[DATA_SET_FILES.truth] = writeFileAtomic(join(dir, DATA_SET_FILES.truth), JSON.stringify(truth, null, 2) + '\n');
    for (const path of (await opts.addFiles?.(dir)) ?? []) files[basename(path)] = fileDigest(path);
    const manifest: Manifest = {
      tool: 'faultline',
      version: version(packageRoot()),
      scenario: loaded.name,
      scenarioSha256: createHash('sha256')
        .update(JSON.stringify({ scenario: loaded.scenario, duration: opts.duration ?? null, trafficScale: opts.trafficScale ?? null }))
        .digest('hex'),
      seed: opts.seed,
      durationMs: model.durationMs,
      start: model.start,
      node: process.version,
      dependencies: Object.fromEntries(DEPENDENCIES.map((d) => [d, version(join(packageRoot(), 'node_modules', d))])),
      counts: {
        messages: result.messages,
        transactions: result.transactions,
        kpiRows: kpiTable.length,
        logLines: logRows?.total ?? 0,
        metricRows: monitor?.rowsWritten ?? 0,
        faults: faults.length,
      },
      ...(model.spanStatus ? {} : { spanStatus: false as const }),
      files: Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b))),
    };
    writeFileAtomic(join(dir, DATA_SET_FILES.manifest), JSON.stringify(manifest, null, 2) + '\n');
    return { dir: opts.out, manifest, truth, warnings };
  }, publish);
}

/** The log and metric writers of a run (feeding the exports), as the engine takes them. */
function openTelemetry(m: Model, seed: number, dir: string, logs: boolean, metrics: boolean, exporter: TelemetryExport | undefined) {
  const catalog = logs ? buildLogCatalog(m) : undefined;
  const logRows = catalog ? new LogRows(join(dir, DATA_SET_FILES.logs), m, catalog, exporter?.onLogs) : undefined;
  const logsOf = logRows && catalog ? { rows: logRows, catalog } : undefined;
  // The monitor also drives the instances' background log lines, so it runs when either is on.
  const monitor =
    logs || metrics
      ? new InstanceMonitor(m, seed, {
          ...(metrics ? { metricsPath: join(dir, DATA_SET_FILES.metrics) } : {}),
          ...(logsOf ? { logs: logsOf } : {}),
          ...(exporter ? { onMetrics: exporter.onMetrics } : {}),
        })
      : undefined;
  const telemetry: Telemetry = { ...(logsOf ? { logs: logsOf } : {}), ...(monitor ? { monitor } : {}), ...(exporter?.calls ? { calls: exporter.calls } : {}) };
  return { telemetry, logRows, monitor };
}

/** Export options in range, and the outputs they export turned on. */
function checkExport(e: ExportOptions, logs: boolean, metrics: boolean): void {
  if (e.spans !== undefined && e.spans !== 'csv' && e.spans !== 'otlp') throw new GenerateOptionsError(`export spans must be 'csv' or 'otlp' (got '${e.spans}')`);
  if (e.sampling !== undefined && !(e.sampling > 0 && e.sampling <= 1)) throw new GenerateOptionsError(`export sampling must be a share above 0 and at most 1 (got ${e.sampling})`);
  if (e.uninstrumented !== undefined && !(e.uninstrumented >= 0 && e.uninstrumented < 1)) throw new GenerateOptionsError(`export uninstrumented must be a share from 0 to below 1 (got ${e.uninstrumented})`);
  if (e.clockSkewMs !== undefined && !(e.clockSkewMs >= 0 && e.clockSkewMs <= 3_600_000)) throw new GenerateOptionsError(`export clock skew must be 0 to 3600000 ms (got ${e.clockSkewMs})`);
  if (e.logsCsv && !logs) throw new GenerateOptionsError('the log CSV export needs the logs: do not turn them off');
  if (e.metricsCsv && !metrics) throw new GenerateOptionsError('the metric CSV export needs the metrics: do not turn them off');
}

function version(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Size and sha256 of a file another step wrote into the data set, read in chunks. */
function fileDigest(path: string): { bytes: number; sha256: string } {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  let bytes = 0;
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; bytes += n) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Application logs from CSV (`.csv`, `.csv.gz`, or folders of them) or a generated data set's
 * `logs.arrow` into a LogTable, streamed:
 * each line's message is mined into a Drain template as it is read (log-templates.ts) and only the
 * template id is kept, so memory grows with the lines kept (a few typed columns) and the distinct
 * templates, not with the text. Layouts are recognised from the header (telemetry-layouts.ts).
 */
import { BadRows } from '../common/bad-rows.js';
import { readCsvRecordBatches } from '../common/text-lines.js';
import { grown } from '../common/typed-array.js';
import { StringDictionary } from '../common/string-dictionary.js';
import { csvFilesOf, inWindows, type TimeWindow } from './csv-files.js';
import { LogTemplateMiner, levelOf, type DrainOptions } from './log-templates.js';
import { logLayout, ServiceFromInstance, timeOfCell } from './telemetry-layouts.js';
import { LOG_LEVEL, type LogTable } from './types.js';
import { scanLogs } from '../sim/read.js';

export interface ReadLogsOptions {
  /** ours -> theirs (`--log-columns`), e.g. { time: 'ts', instance: 'pod' }. */
  columns?: Record<string, string>;
  /** Regex whose first capture group is the service, applied to the instance (pod) name. */
  serviceFromInstance?: string;
  /** What to do with a malformed row (default: reject, naming the file, line and problem). */
  badRows?: BadRows;
  /** Keep only lines inside these windows; the rest are counted in `dropped` and forgotten. */
  keep?: readonly TimeWindow[];
  /**
   * The template miner: share one between tables that are compared (an incident's logs and the
   * fault-free ones) so that their template ids agree. Default: a new one with `templates`.
   */
  miner?: LogTemplateMiner;
  /** Drain settings for a new miner. */
  templates?: DrainOptions;
}

/** Lines read but outside the keep windows, by the last readLogs call (for import reports). */
export interface LogReadStats {
  lines: number;
  kept: number;
  dropped: number;
  files: number;
}

class LogTableBuilder {
  length = 0;
  private cap = 1 << 14;
  private readonly dictionary = new StringDictionary();
  readonly strings = this.dictionary.strings;
  time = new Float64Array(this.cap);
  service = new Int32Array(this.cap);
  instance = new Int32Array(this.cap);
  traceId = new Int32Array(this.cap);
  spanId = new Int32Array(this.cap);
  level = new Uint8Array(this.cap);
  template = new Int32Array(this.cap);

  intern(s: string): number {
    return this.dictionary.internString(s);
  }

  add(time: number, service: number, instance: number, traceId: number, spanId: number, level: number, template: number): void {
    if (this.length === this.cap) {
      this.cap *= 2;
      this.time = grown(this.time, this.cap);
      this.service = grown(this.service, this.cap);
      this.instance = grown(this.instance, this.cap);
      this.traceId = grown(this.traceId, this.cap);
      this.spanId = grown(this.spanId, this.cap);
      this.level = grown(this.level, this.cap);
      this.template = grown(this.template, this.cap);
    }
    const i = this.length++;
    this.time[i] = time;
    this.service[i] = service;
    this.instance[i] = instance;
    this.traceId[i] = traceId;
    this.spanId[i] = spanId;
    this.level[i] = level;
    this.template[i] = template;
  }

  /** The table with rows in time order (ties in reading order). */
  finish(templates: string[]): LogTable {
    const n = this.length;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const t = this.time;
    order.sort((a, b) => t[a] - t[b] || a - b);
    const pick = <T extends Int32Array | Float64Array | Uint8Array>(a: T): T => {
      const out = new (a.constructor as new (k: number) => T)(n);
      for (let i = 0; i < n; i++) out[i] = a[order[i]];
      return out;
    };
    return {
      length: n,
      strings: this.strings,
      time: pick(t),
      service: pick(this.service),
      instance: pick(this.instance),
      traceId: pick(this.traceId),
      spanId: pick(this.spanId),
      level: pick(this.level),
      template: pick(this.template),
      templates,
    };
  }
}

const ARROW_FILE = /\.arrow$/i;

/**
 * A generated data set's logs.arrow (sim/formats.ts LOG_COLUMNS): the line's bizSeqNo is its trace
 * and its uniqueId its span, as in the trees built from the message log.
 */
async function addLogsArrow(file: string, b: LogTableBuilder, miner: LogTemplateMiner, keep: readonly TimeWindow[] | undefined, counts: LogReadStats): Promise<void> {
  await scanLogs(file, (batch) => {
    const service = batch.service.values.map((s) => b.intern(s));
    const instance = batch.instance.values.map((s) => b.intern(s));
    const level = batch.level.values.map(levelOf);
    for (let i = 0; i < batch.length; i++) {
      counts.lines++;
      const time = batch.time[i];
      if (!inWindows(time, keep)) {
        counts.dropped++;
        continue;
      }
      const trace = batch.bizSeqNo[i];
      const span = batch.uniqueId[i];
      const mined = miner.mine(batch.message[i]);
      const stated = level[batch.level.codes[i]];
      b.add(time, service[batch.service.codes[i]], instance[batch.instance.codes[i]], trace ? b.intern(trace) : -1, span ? b.intern(span) : -1, stated === LOG_LEVEL.unknown ? mined.level : stated, mined.template);
      counts.kept++;
    }
  });
}

/**
 * Reads log lines from CSV files or folders of them (several paths make one table). Each line's
 * message is mined into a template (Drain); its level comes from the level column, else from the
 * message's leading level word; its trace and span ids (empty for none) tie it to a span. Rows are
 * in time order. Errors name the file, the line and the field.
 */
export async function readLogs(paths: string | readonly string[], opts: ReadLogsOptions = {}, stats?: LogReadStats): Promise<LogTable> {
  const list = typeof paths === 'string' ? [paths] : paths;
  const services = new ServiceFromInstance(opts.serviceFromInstance);
  const badRows = opts.badRows ?? new BadRows('reject');
  const miner = opts.miner ?? new LogTemplateMiner(opts.templates);
  const b = new LogTableBuilder();
  const counts: LogReadStats = { lines: 0, kept: 0, dropped: 0, files: 0 };
  for (const path of list) {
    for (const file of csvFilesOf(path, 'log')) {
      counts.files++;
      if (ARROW_FILE.test(file)) {
        await addLogsArrow(file, b, miner, opts.keep, counts);
        continue;
      }
      let header: string[] | undefined;
      let layout: ReturnType<typeof logLayout> | undefined;
      for await (const records of readCsvRecordBatches(file)) {
        for (const { fields, lineNo } of records) {
          if (!layout) {
            header = fields.map((f) => f.trim());
            layout = logLayout(header, file, opts.columns);
            continue;
          }
          counts.lines++;
          const where = `line ${lineNo}`;
          if (fields.length !== header!.length) {
            badRows.report(file, where, `${fields.length} fields, header has ${header!.length}`);
            continue;
          }
          const timeText = fields[layout.time];
          const time = timeOfCell(timeText, layout.timeUnit);
          if (!Number.isFinite(time)) {
            badRows.report(file, where, `${header![layout.time]}: not a time: "${timeText}"`);
            continue;
          }
          if (!inWindows(time, opts.keep)) {
            counts.dropped++;
            continue;
          }
          const instanceName = layout.instance >= 0 ? fields[layout.instance].trim() : fields[layout.service].trim();
          if (!instanceName) {
            badRows.report(file, where, `empty ${header![layout.instance >= 0 ? layout.instance : layout.service]}`);
            continue;
          }
          const serviceName = layout.service >= 0 ? fields[layout.service].trim() : services.of(instanceName);
          if (serviceName === undefined) {
            badRows.report(file, where, services.mismatch(header![layout.instance], instanceName));
            continue;
          }
          const service = b.intern(serviceName);
          const mined = miner.mine(fields[layout.message]);
          // A level column wins where it holds a level word; else the message's own.
          const stated = layout.level >= 0 ? levelOf(fields[layout.level].trim()) : LOG_LEVEL.unknown;
          const id = (k: number) => {
            const v = k >= 0 ? fields[k].trim() : '';
            return v ? b.intern(v) : -1;
          };
          b.add(time, service, b.intern(instanceName), id(layout.traceId), id(layout.spanId), stated === LOG_LEVEL.unknown ? mined.level : stated, mined.template);
          counts.kept++;
        }
      }
      if (!layout) throw new Error(`${file}: empty file (no header)`);
    }
  }
  if (stats) Object.assign(stats, counts);
  return b.finish(miner.templates());
}

/**
 * An incident's logs and the fault-free ones, mined with one miner so that their template ids
 * agree. `baseline` paths are optional (fault-free logs given apart, e.g. Nezha's normal-log).
 */
export async function readLogSets(
  logs: string | readonly string[],
  baseline: string | readonly string[] | undefined,
  opts: ReadLogsOptions = {},
): Promise<{ logs: LogTable; baselineLogs?: LogTable }> {
  const miner = opts.miner ?? new LogTemplateMiner(opts.templates);
  const main = await readLogs(logs, { ...opts, miner });
  if (!baseline) return { logs: main };
  const base = await readLogs(baseline, { ...opts, miner, keep: undefined });
  // Templates generalise as lines arrive: both tables name the final ones.
  const templates = miner.templates();
  return { logs: { ...main, templates }, baselineLogs: { ...base, templates } };
}

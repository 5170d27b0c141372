/**
 * Application logs from CSV (`.csv`, `.csv.gz`, or folders of them) or a generated data set's
 * `logs.arrow` into a LogTable, streamed:
 * each line's message is mined into a Drain template as it is read (log-templates.ts) and only the
 * template id is kept, so memory grows with the lines kept (a few typed columns) and the distinct
 * templates, not with the text. Layouts are recognised from the header (telemetry-layouts.ts).
 */
import { BadRows } from '../common/bad-rows.js';
import { fieldText, readCsvBatches, recordTexts, type CsvBatch } from '../common/csv.js';
import { trimSpaces, trimmedEnd, trimmedStart } from '../common/bytes.js';
import { grown } from '../common/typed-array.js';
import { StringDictionary } from '../common/string-dictionary.js';
import { csvFilesOf, inWindows, type TimeWindow } from './csv-files.js';
import { LogTemplateMiner, levelOf, type DrainOptions } from './log-templates.js';
import { InstanceServices, logLayout, ServiceFromInstance, startRow, type RowStart } from './telemetry-layouts.js';
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
  readonly dictionary = new StringDictionary();
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

/** The code of field f's text without surrounding spaces; with `emptyIsNone`, -1 for an empty field. */
function internTrimmed(dictionary: StringDictionary, rows: CsvBatch, f: number, emptyIsNone = false): number {
  const t = trimSpaces(rows.bytes, rows.start[f], rows.end[f]);
  const start = trimmedStart(t);
  const end = trimmedEnd(t);
  return emptyIsNone && start === end ? -1 : dictionary.intern(rows.bytes, start, end);
}

/** LOG_LEVEL of level cells, told once per distinct cell text (a level column holds a handful). */
class LevelCells {
  private readonly texts = new StringDictionary();
  private readonly levels: number[] = [];

  of(rows: CsvBatch, f: number): number {
    const t = trimSpaces(rows.bytes, rows.start[f], rows.end[f]);
    const code = this.texts.intern(rows.bytes, trimmedStart(t), trimmedEnd(t));
    if (code === this.levels.length) this.levels.push(levelOf(this.texts.strings[code]));
    return this.levels[code];
  }
}

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
  const levels = new LevelCells();
  for (const path of list) {
    for (const file of csvFilesOf(path, 'log')) {
      counts.files++;
      if (ARROW_FILE.test(file)) {
        await addLogsArrow(file, b, miner, opts.keep, counts);
        continue;
      }
      let header: string[] = [];
      let layout: ReturnType<typeof logLayout> | undefined;
      let derived: InstanceServices | undefined;
      for await (const rows of readCsvBatches(file, badRows)) {
        const bytes = rows.bytes;
        let r = 0;
        if (!layout) {
          header = recordTexts(rows, 0).map((f) => f.trim());
          layout = logLayout(header, file, opts.columns);
          if (layout.service < 0) derived = new InstanceServices(services, b.dictionary);
          r = 1;
        }
        const keyColumn = layout.instance >= 0 ? layout.instance : layout.service;
        const rowStart: RowStart = { time: 0, keyStart: 0, keyEnd: 0 };
        for (; r < rows.length; r++) {
          counts.lines++;
          const started = startRow(bytes, rows, r, header, layout, keyColumn, opts.keep, { file, badRows }, rowStart);
          if (started !== 'ok') {
            if (started === 'dropped') counts.dropped++;
            continue;
          }
          const f = rows.first[r];
          const { time, keyStart, keyEnd } = rowStart;
          let service: number;
          let local = -1;
          if (derived) {
            local = derived.local(bytes, keyStart, keyEnd);
            service = derived.serviceOf(local);
            if (service < 0) {
              badRows.report(file, `line ${rows.line[r]}`, services.mismatch(header[layout.instance], derived.name(local)));
              continue;
            }
          } else service = internTrimmed(b.dictionary, rows, f + layout.service);
          // Only the message becomes a string: Drain mines its text.
          const mined = miner.mine(fieldText(rows, f + layout.message));
          // A level column wins where it holds a level word; else the message's own.
          const stated = layout.level >= 0 ? levels.of(rows, f + layout.level) : LOG_LEVEL.unknown;
          const instance = derived ? derived.instanceOf(local) : b.dictionary.intern(bytes, keyStart, keyEnd);
          const trace = layout.traceId >= 0 ? internTrimmed(b.dictionary, rows, f + layout.traceId, true) : -1;
          const span = layout.spanId >= 0 ? internTrimmed(b.dictionary, rows, f + layout.spanId, true) : -1;
          b.add(time, service, instance, trace, span, stated === LOG_LEVEL.unknown ? mined.level : stated, mined.template);
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

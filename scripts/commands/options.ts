/**
 * Every flag of the CLI, defined once: what it takes, its older spelling (kept as an alias), and
 * the one line `--help` shows. Commands pick the flags they take by name, and the parsers below
 * turn them into the library's options with clear usage errors.
 */
import type { Argv, Options } from 'yargs';
import { UsageError } from '../../common/errors.js';
import { parseBadRowPolicy, type BadRowPolicy } from '../../common/bad-rows.js';
import { parseColumnMapping } from '../../data/column-mapping.js';
import type { SourceSpec } from '../../pipeline/load.js';

const SOURCE = 'Inputs:';
const METHODS = 'Methods:';
const OUTPUT = 'Output:';

export const FLAGS = {
  in: {
    type: 'string',
    alias: 'data',
    group: SOURCE,
    describe: 'data set folder: generated (messages.arrow, kpis.arrow, truth.json) or imported (spans/, baseline/, kpis/ or kpis.csv, incidents.json or .csv)',
  },
  spans: { type: 'string', array: true, group: SOURCE, describe: 'span files or folders: span CSV (.csv, .csv.gz), OTLP, Jaeger or Zipkin v2 JSON (.json, .jsonl, optionally .gz)' },
  messages: { type: 'string', group: SOURCE, describe: 'a message log (messages.arrow) to build transaction trees from' },
  baseline: { type: 'string', array: true, group: SOURCE, describe: 'fault-free spans for reference (default: the traces before each incident)' },
  series: {
    type: 'string',
    array: true,
    alias: 'kpis',
    group: SOURCE,
    describe: 'KPI or other series: a long CSV (series,timestamp,value[,label]), a folder of timestamp,value[,label] CSVs, the NAB layout, or kpis.arrow',
  },
  train: { type: 'string', group: SOURCE, describe: 'folder of same-named series used only for fitting detectors' },
  incidents: { type: 'string', group: SOURCE, describe: 'incidents: JSON [{id,start,end?,rootCause,type?}], CSV, a Nezha fault_list.json or a truth.json' },
  'incidents-from': { type: 'string', group: SOURCE, describe: 'only the incidents starting at or after this time (ISO 8601), e.g. to score a held-out part of the data' },
  'incidents-until': { type: 'string', group: SOURCE, describe: 'only the incidents starting before this time (ISO 8601)' },
  metrics: { type: 'string', array: true, group: SOURCE, describe: 'per-instance metric CSV files or folders (time, service and/or instance, one column per metric; Nezha per-pod files as they are)' },
  logs: { type: 'string', array: true, group: SOURCE, describe: 'log CSV files or folders (time, service and/or instance, trace_id, span_id, level, message; Nezha log files as they are)' },
  'baseline-logs': { type: 'string', array: true, group: SOURCE, describe: 'fault-free log lines for reference (default: the lines before each incident)' },
  'metric-columns': { type: 'string', group: SOURCE, describe: "metric CSV column mapping ours=theirs,... (ours: time,service,instance; metrics=a|b picks the metric columns; instance_metric='^(.+?)_(.+)$' reads one column per instance and metric, the groups naming them)" },
  'log-columns': { type: 'string', group: SOURCE, describe: 'log CSV column mapping ours=theirs,... (ours: time,service,instance,trace_id,span_id,level,message)' },
  columns: { type: 'string', group: SOURCE, describe: 'span CSV column mapping ours=theirs,... (ours: trace_id,span_id,parent_id,service,instance,operation,status,kind; one start_ns|start_us|start_ms|start_s; one end_<unit> or duration_<unit>)' },
  'service-from-instance': { type: 'string', group: SOURCE, describe: "regex whose first group is the service, applied to instance (pod) names, e.g. '^(.*?)-[0-9a-f]{8,10}-[0-9a-z]{5}$'" },
  'on-bad-row': { type: 'string', choices: ['reject', 'skip'], default: 'reject', group: SOURCE, describe: 'a malformed input row stops the command (reject) or is skipped and counted (skip)' },
  rules: { type: 'string', group: SOURCE, describe: 'transaction tree rules YAML (default trees/rules/wemq.yaml)' },
  'window-ms': { type: 'number', group: SOURCE, describe: 'per-bizSeqNo collection window for trees (overrides the rules)' },
  'train-until': { type: 'string', group: SOURCE, describe: 'end of detector training: ISO 8601, or an offset from the data start such as 2h' },
  detectors: {
    type: 'string',
    array: true,
    alias: 'detector',
    group: METHODS,
    describe: 'detector specs, comma-separated or repeated: name[:key=value,...], all, none, ./module.js, spec.json, cmd:<command> (faultline detectors lists them)',
  },
  rca: {
    type: 'string',
    array: true,
    alias: 'algorithm',
    group: METHODS,
    describe: 'RCA method specs, comma-separated or repeated: name[:key=value,...], all (every built-in the data can feed), none, ./module.js, cmd:<command> (faultline rca-methods lists them)',
  },
  'min-ac1': {
    type: 'string',
    group: METHODS,
    describe: "gate, exit 1 below it: 0.8 = the best RCA method's AC@1 must reach 0.8; name=0.8,other=0.7 = each named method its own bar",
  },
  'plugin-timeout': { type: 'number', group: METHODS, describe: 'seconds a plugin may take per call (default 60); a plugin past it is stopped and its items count as misses' },
  'rca-timeout': { type: 'number', group: METHODS, describe: 'seconds an RCA method may take per incident; an incident not ranked by then is a miss' },
  delay: { type: 'number', default: 7, group: METHODS, describe: 'point-adjustment delay in grid slots (points)' },
  out: { type: 'string', group: OUTPUT, describe: 'output folder: new, empty, or one faultline wrote before' },
  force: { type: 'boolean', default: false, group: OUTPUT, describe: 'write into a folder holding other files too (they are kept, never replaced)' },
  parquet: { type: 'boolean', default: false, group: OUTPUT, describe: 'also write the tables as Parquet' },
  progress: { type: 'boolean', group: OUTPUT, describe: 'progress on stderr (default on; a bar on a terminal, else a line per item); --no-progress to hide' },
} as const satisfies Record<string, Options>;

export type FlagName = keyof typeof FLAGS;

/** The flags each command takes, every spelling mapped to the one --help shows, for "did you mean". */
export const COMMAND_FLAGS = new Map<string, Map<string, string>>();

function remember(command: string, name: string, flag: Options): void {
  let known = COMMAND_FLAGS.get(command);
  if (!known) COMMAND_FLAGS.set(command, (known = new Map()));
  for (const spelling of [name, ...[flag.alias ?? []].flat()]) known.set(spelling, name);
}

/** Adds the named flags to a command's builder; `required` ones must be given. */
export function withFlags<T>(y: Argv<T>, command: string, names: readonly FlagName[], required: readonly FlagName[] = []): Argv<T> {
  let out = y;
  for (const name of names) {
    const flag: Options = { ...FLAGS[name] };
    if (required.includes(name)) flag.demandOption = true;
    out = out.option(name, flag);
    remember(command, name, flag);
  }
  return out;
}

/** Adds a command's own flag, also known to "did you mean". */
export function withOption<T>(y: Argv<T>, command: string, name: string, flag: Options): Argv<T> {
  remember(command, name, flag);
  return y.option(name, flag);
}

/**
 * Split comma-separated specs, repeated or not. A spec may carry its own comma-separated options
 * (`ksigma:window=120,floor=4`), so a part that is only `key=value` continues the spec before it.
 */
export function splitSpecs(values: string | readonly (string | number)[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const out: string[] = [];
  for (const raw of [values].flat().flatMap((v) => String(v).split(','))) {
    const part = raw.trim();
    if (!part) continue;
    if (out.length > 0 && /^[A-Za-z_][\w.-]*=/.test(part)) out[out.length - 1] += `,${part}`;
    else out.push(part);
  }
  return out;
}

/** A column mapping flag (`--columns ours=theirs,...`), or none. */
export function columnMapping(flag: string, text: string | undefined): Record<string, string> | undefined {
  try {
    return text ? parseColumnMapping(text) : undefined;
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

/** Seconds from a flag as milliseconds, or none. */
export function secondsFlag(flag: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!(value > 0 && Number.isFinite(value))) throw new UsageError(`${flag} must be a positive number of seconds`);
  return value * 1000;
}

/** The source flags of a command, as the loader's SourceSpec (`--in` may be given once here). */
export function sourceOf(argv: Omit<SourceSpec, 'in'> & { in?: string | string[] | undefined }): SourceSpec {
  const dirs = [argv.in ?? []].flat();
  if (dirs.length > 1) throw new UsageError(`--in takes one data set folder here (got ${dirs.length})`);
  const { in: _in, ...parts } = argv;
  const spec: SourceSpec = dirs[0] !== undefined ? { in: dirs[0] } : {};
  // yargs gives a dashed flag in camel case too: --baseline-logs is argv.baselineLogs.
  for (const key of ['spans', 'messages', 'baseline', 'series', 'train', 'incidents', 'incidentsFrom', 'incidentsUntil', 'metrics', 'logs', 'baselineLogs'] as const) {
    const value = parts[key];
    if (value !== undefined && value.length) (spec as Record<string, unknown>)[key] = value;
  }
  return spec;
}

/** The parts of a source that hold data to analyse (a baseline, truth or incident list alone does not). */
type DataPart = 'spans' | 'messages' | 'series' | 'metrics' | 'logs';

/** Refuses a source with no data: neither `--in <inName>` nor any of `parts` given. */
export function requireData(source: SourceSpec, inName: string, parts: readonly DataPart[]): void {
  if (source.in !== undefined || parts.some((p) => source[p] !== undefined)) return;
  const flags = parts.map((p) => `--${p}`);
  throw new UsageError(`give --in <${inName}>, ${flags.slice(0, -1).join(', ')} or ${flags.at(-1)}`);
}

/** The flags naming a source and how to read it, as yargs gives them. */
export interface SourceArgs {
  in?: string;
  spans?: string[];
  messages?: string;
  baseline?: string[];
  series?: string[];
  incidents?: string;
  metrics?: string[];
  logs?: string[];
  'baseline-logs'?: string[];
  columns?: string;
  'metric-columns'?: string;
  'log-columns'?: string;
  'service-from-instance'?: string;
  'on-bad-row': string;
}

/** The flags of SourceArgs, for withFlags. */
export const SOURCE_FLAGS = ['in', 'spans', 'messages', 'baseline', 'series', 'incidents', 'incidents-from', 'incidents-until', 'metrics', 'logs', 'baseline-logs', 'columns', 'metric-columns', 'log-columns', 'service-from-instance', 'on-bad-row'] as const;

/** How to read the source: column mappings, instance naming and the bad-row policy. */
export function readingOf(argv: SourceArgs): { onBadRow: BadRowPolicy; columns?: Record<string, string>; metricColumns?: Record<string, string>; logColumns?: Record<string, string>; serviceFromInstance?: string } {
  return {
    onBadRow: parseBadRowPolicy(argv['on-bad-row']),
    ...given({
      columns: columnMapping('--columns', argv.columns),
      metricColumns: columnMapping('--metric-columns', argv['metric-columns']),
      logColumns: columnMapping('--log-columns', argv['log-columns']),
      serviceFromInstance: argv['service-from-instance'],
    }),
  };
}

/** Only the options a user gave: the library's defaults apply to the rest. */
export function given<T extends Record<string, unknown>>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}

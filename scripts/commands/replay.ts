import type { CommandModule } from 'yargs';
import { parseBadRowPolicy } from '../../common/bad-rows.js';
import { UsageError } from '../../common/errors.js';
import { columnMapping, given, secondsFlag, sourceOf, splitSpecs, withFlags, withOption } from './options.js';

interface ReplayArgs {
  in?: string;
  spans?: string[];
  messages?: string;
  baseline?: string[];
  series?: string[];
  incidents?: string;
  metrics?: string[];
  logs?: string[];
  'baseline-logs'?: string[];
  'metric-columns'?: string;
  'log-columns'?: string;
  out: string;
  force: boolean;
  detectors?: string[];
  rca?: string[];
  'min-ac1'?: string;
  'rca-timeout'?: number;
  'plugin-timeout'?: number;
  parquet: boolean;
  columns?: string;
  'service-from-instance'?: string;
  'on-bad-row': string;
  title?: string;
  progress?: boolean;
}

export const replayCommand: CommandModule<object, ReplayArgs> = {
  command: 'replay',
  describe: 'Run detectors and RCA over an imported, anonymised or generated data set and write the run report',
  builder: (y) => {
    const b = withFlags(
      y,
      'replay',
      ['in', 'spans', 'messages', 'baseline', 'series', 'incidents', 'incidents-from', 'incidents-until', 'metrics', 'logs', 'baseline-logs', 'columns', 'metric-columns', 'log-columns', 'service-from-instance', 'on-bad-row', 'detectors', 'rca', 'min-ac1', 'rca-timeout', 'plugin-timeout', 'out', 'force', 'parquet', 'progress'],
      ['out'],
    );
    return withOption(b, 'replay', 'title', { type: 'string', describe: "the report's title" }) as never;
  },
  handler: async (argv) => {
    const source = sourceOf(argv);
    if (!source.in && !source.spans && !source.messages && !source.series) throw new UsageError('give --in <folder>, or --spans, --messages or --series');
    const { replay } = await import('../../pipeline/replay.js');
    const res = await replay({
      ...source,
      out: argv.out,
      force: argv.force,
      parquet: argv.parquet,
      onBadRow: parseBadRowPolicy(argv['on-bad-row']),
      ...given({
        detectors: splitSpecs(argv.detectors),
        rca: splitSpecs(argv.rca),
        minAc1: argv['min-ac1'],
        rcaTimeoutMs: secondsFlag('--rca-timeout', argv['rca-timeout']),
        pluginTimeoutMs: secondsFlag('--plugin-timeout', argv['plugin-timeout']),
        columns: columnMapping('--columns', argv.columns),
        metricColumns: columnMapping('--metric-columns', argv['metric-columns']),
        logColumns: columnMapping('--log-columns', argv['log-columns']),
        serviceFromInstance: argv['service-from-instance'],
        title: argv.title,
        progress: argv.progress,
      }),
    });
    process.stdout.write(`replayed ${Object.entries(res.read).map(([k, v]) => `${k}=${[v].flat().join(',')}`).join(' ')}\n`);
    if (res.skippedRows) process.stderr.write(`skipped ${res.skippedRows} malformed rows, e.g.:\n${res.badRowExamples.map((e) => `  ${e}\n`).join('')}`);
    const { printSummary } = await import('./summary-lines.js');
    printSummary(res.summary, argv.out);
    if (!res.gatePassed) {
      process.stderr.write(`faultline: ${res.summary.gate.message}\n`);
      process.exitCode = 1;
    }
  },
};

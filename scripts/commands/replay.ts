import type { CommandModule } from 'yargs';
import { skippedRowsMessage } from '../../common/bad-rows.js';
import { given, readingOf, requireData, secondsFlag, SOURCE_FLAGS, sourceOf, splitSpecs, withFlags, withOption, type SourceArgs } from './options.js';

interface ReplayArgs extends SourceArgs {
  out: string;
  force: boolean;
  detectors?: string[];
  rca?: string[];
  'min-ac1'?: string;
  'rca-timeout'?: number;
  'plugin-timeout'?: number;
  parquet: boolean;
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
      [...SOURCE_FLAGS, 'detectors', 'rca', 'min-ac1', 'rca-timeout', 'plugin-timeout', 'out', 'force', 'parquet', 'progress'],
      ['out'],
    );
    return withOption(b, 'replay', 'title', { type: 'string', describe: "the report's title" }) as never;
  },
  handler: async (argv) => {
    const source = sourceOf(argv);
    requireData(source, 'folder', ['spans', 'messages', 'series', 'metrics', 'logs']);
    const { replay } = await import('../../pipeline/replay.js');
    const res = await replay({
      ...source,
      out: argv.out,
      force: argv.force,
      parquet: argv.parquet,
      ...readingOf(argv),
      commandLine: process.argv.slice(2),
      ...given({
        detectors: splitSpecs(argv.detectors),
        rca: splitSpecs(argv.rca),
        minAc1: argv['min-ac1'],
        rcaTimeoutMs: secondsFlag('--rca-timeout', argv['rca-timeout']),
        pluginTimeoutMs: secondsFlag('--plugin-timeout', argv['plugin-timeout']),
        title: argv.title,
        progress: argv.progress,
      }),
    });
    process.stdout.write(`replayed ${Object.entries(res.read).map(([k, v]) => `${k}=${[v].flat().join(',')}`).join(' ')}\n`);
    process.stderr.write(skippedRowsMessage(res.skippedRows, res.badRowExamples));
    const { printSummary } = await import('./summary-lines.js');
    printSummary(res.summary, argv.out);
    if (!res.gatePassed) {
      process.stderr.write(`faultline: ${res.summary.gate.message}\n`);
      process.exitCode = 1;
    }
  },
};

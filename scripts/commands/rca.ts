import type { CommandModule } from 'yargs';
import { skippedRowsMessage } from '../../common/bad-rows.js';
import { given, readingOf, requireData, secondsFlag, SOURCE_FLAGS, sourceOf, splitSpecs, withFlags, type SourceArgs } from './options.js';

interface RcaArgs extends SourceArgs {
  rules?: string;
  'window-ms'?: number;
  rca?: string[];
  'min-ac1'?: string;
  'rca-timeout'?: number;
  'plugin-timeout'?: number;
  out: string;
  force: boolean;
  progress?: boolean;
  parquet: boolean;
}

export const rcaCommand: CommandModule<object, RcaArgs> = {
  command: 'rca',
  describe: 'Rank root-cause candidates for incidents (trees from a message log, or replayed spans) and score them',
  builder: (y) =>
    withFlags(
      y,
      'rca',
      [...SOURCE_FLAGS, 'rules', 'window-ms', 'rca', 'min-ac1', 'rca-timeout', 'plugin-timeout', 'out', 'force', 'parquet', 'progress'],
      ['rca', 'out'],
    )
      .alias('rca', 'a')
      .example('$0 rca --in out/db --rca all --out runs/db', 'a generated data set')
      .example('$0 rca --spans trace/ --baseline normal/ --incidents fault_list.json --service-from-instance "^(.*?)-[0-9a-f]{8,10}-[0-9a-z]{5}$" --rca all --out runs/tt', 'real spans') as never,
  handler: async (argv) => {
    const source = sourceOf(argv);
    requireData(source, 'data set', ['spans', 'messages', 'metrics', 'logs']);
    const { rca } = await import('../../pipeline/rca.js');
    const res = await rca({
      ...source,
      rca: splitSpecs(argv.rca) ?? [],
      out: argv.out,
      force: argv.force,
      ...readingOf(argv),
      parquet: argv.parquet,
      ...given({
        rules: argv.rules,
        windowMs: argv['window-ms'],
        minAc1: argv['min-ac1'],
        rcaTimeoutMs: secondsFlag('--rca-timeout', argv['rca-timeout']),
        pluginTimeoutMs: secondsFlag('--plugin-timeout', argv['plugin-timeout']),
        progress: argv.progress,
      }),
    });
    if (res.treeStats) {
      const t = res.treeStats;
      process.stdout.write(
        `trees: ${t.messages} messages, ${t.transactions} transactions, ${t.calls} calls (${t.timeouts} timeouts, ` +
          `${t.duplicateLegs} duplicate legs, ${t.orphanReplies} orphan replies, ${t.skewLinked} linked beyond skew tolerance)\n`,
      );
    }
    process.stdout.write(`${res.spans} spans, ${res.incidents} incidents\n`);
    process.stderr.write(skippedRowsMessage(res.skippedRows, res.badRowExamples));
    const { rcaLines, rcaScoreFigures } = await import('./print.js');
    process.stdout.write(rcaLines(res.results.map((r) => ({ name: r.name, ...rcaScoreFigures(r.metrics), error: r.error }))));
    process.stdout.write(`wrote ${[res.files.ranking, res.files.metrics, ...res.files.parquet].join(', ')}\n`);
    if (!res.gate.passed) {
      process.stderr.write(`faultline: ${res.gate.message}\n`);
      for (const m of res.misses) {
        process.stderr.write(`  ${m.method} missed at rank 1:\n`);
        for (const x of m.missed) process.stderr.write(`    ${x.id}${x.type ? ` (${x.type})` : ''}: root cause ${x.rootCause.join('|')}, top-1 ${x.top ?? '(none)'}, rank ${x.rank || 'absent'}\n`);
      }
      process.exitCode = 1;
    }
  },
};

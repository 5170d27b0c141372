import type { CommandModule } from 'yargs';
import { compareSummaries, DEFAULT_TOLERANCE, formatComparison, readSummary } from '../../reports/compare.js';
import { UsageError } from './errors.js';

interface CompareArgs {
  runA: string;
  runB: string;
  tolerance: number;
  json: boolean;
  'fail-on-worse': boolean;
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare <runA> <runB>',
  describe: 'Per metric and pairing, what got better or worse from run A to run B',
  builder: (y) =>
    y
      .positional('runA', { type: 'string', demandOption: true, describe: 'baseline run directory or summary.json' })
      .positional('runB', { type: 'string', demandOption: true, describe: 'new run directory or summary.json' })
      .option('tolerance', { type: 'number', default: DEFAULT_TOLERANCE, describe: 'relative change still counted as the same' })
      .option('json', { type: 'boolean', default: false, describe: 'print the rows as JSON' })
      .option('fail-on-worse', { type: 'boolean', default: false, describe: 'exit 1 when any metric got worse' }),
  handler: (argv) => {
    if (!(argv.tolerance >= 0)) throw new UsageError('--tolerance must be >= 0');
    const rows = compareSummaries(readSummary(argv.runA), readSummary(argv.runB), { tolerance: argv.tolerance });
    process.stdout.write(argv.json ? JSON.stringify(rows, null, 2) + '\n' : formatComparison(rows));
    if (argv['fail-on-worse'] && rows.some((r) => r.verdict === 'worse')) process.exitCode = 1;
  },
};

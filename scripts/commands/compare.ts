import type { CommandModule, Options } from 'yargs';
import { withOption } from './options.js';
import { UsageError } from '../../common/errors.js';

interface CompareArgs {
  runA: string;
  runB: string;
  tolerance?: number;
  json: boolean;
  'fail-on-worse': boolean;
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare <runA> <runB>',
  describe: 'Per figure and method, what got better or worse from run A to run B',
  builder: (y) =>
    [
      ['tolerance', { type: 'number', describe: 'relative change still counted as the same (default 0.001)' }],
      ['json', { type: 'boolean', default: false, describe: 'print the rows as JSON' }],
      ['fail-on-worse', { type: 'boolean', default: false, describe: 'exit 1 when any figure got worse, saying which on stderr' }],
    ].reduce(
      (b, [name, flag]) => withOption(b, 'compare', name as string, flag as Options),
      y
        .positional('runA', { type: 'string', demandOption: true, describe: 'baseline run folder or summary.json' })
        .positional('runB', { type: 'string', demandOption: true, describe: 'new run folder or summary.json' }),
    ) as never,
  handler: async (argv) => {
    if (argv.tolerance !== undefined && !(argv.tolerance >= 0)) throw new UsageError('--tolerance must be >= 0');
    const { compareSummaries, formatComparison, readSummary } = await import('../../reports/compare.js');
    const rows = compareSummaries(readSummary(argv.runA), readSummary(argv.runB), argv.tolerance !== undefined ? { tolerance: argv.tolerance } : {});
    process.stdout.write(argv.json ? JSON.stringify(rows, null, 2) + '\n' : formatComparison(rows));
    const worse = rows.filter((r) => r.verdict === 'worse');
    if (argv['fail-on-worse'] && worse.length) {
      process.stderr.write(`faultline: ${worse.length} figure(s) got worse from A to B: ${worse.map((r) => `${r.subject} ${r.metric}`).join(', ')}\n`);
      process.exitCode = 1;
    }
  },
};

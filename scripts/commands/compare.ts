import type { CommandModule, Options } from 'yargs';
import { withOption } from './options.js';
import { UsageError } from '../../common/errors.js';

interface CompareArgs {
  runA: string;
  runB: string;
  tolerance?: number;
  json: boolean;
  'fail-on-worse': boolean;
  gate?: string;
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare <runA> <runB>',
  describe: 'Per figure and method, what got better or worse from run A to run B, by paired tests over the shared incidents, faults and series',
  builder: (y) =>
    [
      ['tolerance', { type: 'number', describe: 'relative change still counted as the same, untested (default 0.001)' }],
      ['json', { type: 'boolean', default: false, describe: 'print the comparison as JSON' }],
      ['fail-on-worse', { type: 'boolean', default: false, describe: 'exit 1 when a figure got significantly worse (untested when results.json is missing), saying which on stderr' }],
      ['gate', { type: 'string', describe: 'the figures --fail-on-worse looks at, comma-separated keys or labels (e.g. ac1,mttr); implies --fail-on-worse' }],
    ].reduce(
      (b, [name, flag]) => withOption(b, 'compare', name as string, flag as Options),
      y
        .positional('runA', { type: 'string', demandOption: true, describe: 'baseline run folder or summary.json (its results.json, when beside it, enables the paired tests)' })
        .positional('runB', { type: 'string', demandOption: true, describe: 'new run folder or summary.json' }),
    ) as never,
  handler: async (argv) => {
    if (argv.tolerance !== undefined && !(argv.tolerance >= 0)) throw new UsageError('--tolerance must be >= 0');
    const { compareRunFigures, describeRow, formatComparison, parseGateFigures, readRun } = await import('../../reports/compare.js');
    const gated = argv.gate !== undefined ? parseGateFigures(argv.gate) : null;
    const cmp = compareRunFigures(await readRun(argv.runA), await readRun(argv.runB), argv.tolerance !== undefined ? { tolerance: argv.tolerance } : {});
    process.stdout.write(argv.json ? JSON.stringify(cmp, null, 2) + '\n' : formatComparison(cmp));
    for (const note of cmp.notes) process.stderr.write(`faultline compare: ${note}\n`);
    if (!argv['fail-on-worse'] && gated === null) return;
    const watched = cmp.rows.filter((r) => gated === null || gated.has(r.metric));
    const worse = watched.filter((r) => r.verdict === 'worse' || r.verdict === 'worse (untested)');
    const scope = gated === null ? 'every compared figure' : [...gated].join(', ');
    if (worse.length) {
      process.stderr.write(`faultline compare: B is worse than A on ${worse.length} gated figure(s) (${scope}):\n${worse.map((r) => `  ${describeRow(r)}\n`).join('')}`);
      process.exitCode = 1;
    } else {
      const noise = watched.filter((r) => r.verdict === 'within noise').length;
      process.stderr.write(`faultline compare: gate passed: nothing got worse (${scope})${noise ? `; ${noise} difference(s) within noise` : ''}\n`);
    }
  },
};

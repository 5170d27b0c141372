import type { CommandModule } from 'yargs';
import { withFlags } from './options.js';

interface MergeArgs {
  dirs: string[];
  out: string;
  force: boolean;
  'min-ac1'?: string;
  parquet: boolean;
}

export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <dirs..>',
  describe: 'Combine the partial results of shards (faultline run --shard i/n) into one report',
  builder: (y) =>
    withFlags(
      y.positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'shard output folders or partial.json files' }),
      'merge',
      ['out', 'force', 'min-ac1', 'parquet'],
      ['out'],
    ) as never,
  handler: async (argv) => {
    const [{ merge }, { parseAcGate }] = await Promise.all([import('../../reports/merge.js'), import('../../scores/gate.js')]);
    const gate = parseAcGate(argv['min-ac1']);
    const res = await merge({ inputs: argv.dirs, out: argv.out, force: argv.force, parquet: argv.parquet, commandLine: process.argv.slice(2), ...(gate ? { minAc1: gate } : {}) });
    process.stdout.write(`merged ${res.summary.items.length} items from ${argv.dirs.length} inputs\n`);
    const { printSummary } = await import('./summary-lines.js');
    printSummary(res.summary, argv.out);
    if (!res.gatePassed) {
      process.stderr.write(`faultline: ${res.summary.gate.message}\n`);
      process.exitCode = 1;
    }
  },
};

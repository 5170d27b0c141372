import path from 'node:path';
import type { CommandModule } from 'yargs';
import { merge } from '../../reports/merge.js';
import { REPORT_FILES } from '../../reports/write.js';
import { minAc1Arg } from './args.js';

interface MergeArgs {
  dirs: string[];
  out: string;
  'min-ac1'?: number;
}

export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <dirs..>',
  describe: 'Combine the partial results of shards (faultline run --shard i/n) into one report',
  builder: (y) =>
    y
      .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'shard output directories or partial.json files' })
      .option('out', { type: 'string', demandOption: true, describe: 'output directory of the merged report' })
      .option('min-ac1', { type: 'number', describe: "exit 1 when the best RCA algorithm's AC@1 is below this (default: the run's own)" }),
  handler: async (argv) => {
    const minAc1 = minAc1Arg(argv['min-ac1']);
    const res = await merge({ inputs: argv.dirs, out: argv.out, ...(minAc1 !== undefined ? { minAc1 } : {}) });
    process.stdout.write(`merged ${res.summary.items.length} items from ${argv.dirs.length} inputs\n`);
    process.stdout.write(`report: ${path.join(argv.out, REPORT_FILES.html)}\n`);
    if (!res.gatePassed) {
      process.stderr.write(`faultline: ${res.summary.gate.message}\n`);
      process.exitCode = 1;
    }
  },
};

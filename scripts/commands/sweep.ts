import type { CommandModule } from 'yargs';
import { given, withOption } from './options.js';
import { parseSeeds } from './run.js';

interface SweepArgs {
  suite: string;
  list: boolean;
  seeds?: string;
  shard?: string;
  shards?: number;
}

export const sweepCommand: CommandModule<object, SweepArgs> = {
  command: 'sweep',
  describe: "A suite's items (scenarios x axes x seeds, or its sample) and their count, without running them",
  builder: (y) => {
    let b = withOption(y, 'sweep', 'suite', { type: 'string', default: 'ci', describe: 'suite name under scenarios/suites/ or a .yaml path' });
    b = withOption(b, 'sweep', 'list', { type: 'boolean', default: false, describe: 'print every item key, one a line, before the count' });
    b = withOption(b, 'sweep', 'seeds', { type: 'string', describe: 'comma-separated seeds (overrides the suite)' });
    b = withOption(b, 'sweep', 'shard', { type: 'string', describe: 'i/n: the items of one shard' });
    return withOption(b, 'sweep', 'shards', { type: 'number', describe: 'n shards, this one from JOB_COMPLETION_INDEX' }) as never;
  },
  handler: async (argv) => {
    const [{ loadSuite }, { planSweep, selectShard, shardFrom }] = await Promise.all([import('../../pipeline/suite.js'), import('../../pipeline/sweep.js')]);
    const shard = shardFrom(given({ shard: argv.shard, shards: argv.shards }));
    const suite = loadSuite(argv.suite);
    const plan = planSweep(suite, parseSeeds(argv.seeds));
    const items = shard ? selectShard(plan.items, shard) : plan.items;
    if (argv.list) process.stdout.write(items.map((i) => `${i.key}\n`).join(''));
    const n = (x: number) => x.toLocaleString('en-US');
    const axes = Object.keys(suite.axes);
    const seedCount = (parseSeeds(argv.seeds) ?? suite.seeds).length;
    const product = `${plan.scenarios.length} scenario${plan.scenarios.length === 1 ? '' : 's'}${axes.length ? ` x axes ${axes.join(', ')}` : ''} x ${seedCount} seed${seedCount === 1 ? '' : 's'}`;
    const of = plan.items.length < plan.size ? `a sample (seed ${suite.sample!.seed}) of the ${n(plan.size)} in the cross product of ${product}` : `the cross product of ${product}`;
    const part = shard ? ` in shard ${shard.index}/${shard.count} of ${n(plan.items.length)}` : '';
    process.stdout.write(`${n(items.length)} items${part}: ${of}\n`);
  },
};

import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UsageError } from '../../common/errors.js';
import { given, secondsFlag, splitSpecs, withFlags, withOption } from './options.js';

interface RunArgs {
  suite: string;
  detectors?: string[];
  rca?: string[];
  seeds?: string;
  out?: string;
  force: boolean;
  'min-ac1'?: string;
  'rca-timeout'?: number;
  'plugin-timeout'?: number;
  shard?: string;
  shards?: number;
  queue?: string;
  workers?: number;
  progress?: boolean;
  parquet: boolean;
}

/** `--seeds 1,2,3`. */
export function parseSeeds(text: string | undefined): number[] | undefined {
  return text?.split(',').map((p) => {
    if (!/^\d+$/.test(p.trim())) throw new UsageError(`--seeds: "${p}" is not a non-negative integer`);
    return Number(p);
  });
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'Run a suite of scenarios through detectors and RCA methods and write the report',
  builder: (y) => {
    let b = withOption(y, 'run', 'suite', { type: 'string', default: 'ci', describe: 'suite name under scenarios/suites/ or a .yaml path' });
    b = withFlags(b, 'run', ['detectors', 'rca', 'min-ac1', 'rca-timeout', 'plugin-timeout', 'out', 'force', 'parquet', 'progress']);
    b = withOption(b, 'run', 'seeds', { type: 'string', describe: 'comma-separated seeds (overrides the suite)' });
    b = withOption(b, 'run', 'shard', { type: 'string', describe: 'i/n: run every n-th item from the i-th and write partial.json' });
    b = withOption(b, 'run', 'shards', { type: 'number', describe: 'n shards, this one from JOB_COMPLETION_INDEX (0-based; a Kubernetes Indexed Job)' });
    b = withOption(b, 'run', 'queue', { type: 'string', describe: 'redis://host:port: put the items on a shared queue served by `faultline worker` processes' });
    return withOption(b, 'run', 'workers', { type: 'number', describe: 'worker threads (default: min(items, cores))' }) as never;
  },
  handler: async (argv) => {
    if (argv.workers !== undefined && !(Number.isInteger(argv.workers) && argv.workers >= 1)) throw new UsageError('--workers must be a positive integer');
    const seeds = parseSeeds(argv.seeds);
    const out = argv.out ?? path.join('out', path.basename(argv.suite).replace(/\.ya?ml$/i, ''));
    const { run } = await import('../../pipeline/run.js');
    const rcaTimeoutMs = secondsFlag('--rca-timeout', argv['rca-timeout']);
    const res = await run({
      suite: argv.suite,
      out,
      force: argv.force,
      parquet: argv.parquet,
      commandLine: process.argv.slice(2),
      ...given({ detectors: splitSpecs(argv.detectors), rca: splitSpecs(argv.rca), seeds, minAc1: argv['min-ac1'], rcaTimeoutMs, pluginTimeoutMs: secondsFlag('--plugin-timeout', argv['plugin-timeout']), shard: argv.shard, shards: argv.shards, queue: argv.queue, workers: argv.workers, progress: argv.progress }),
    });
    if (res.partial) {
      process.stdout.write(`partial results of ${res.items} items: ${path.join(out, 'partial.json')}\ncombine the shards with: faultline merge <shard dirs...> --out <dir>\n`);
      return;
    }
    const { printSummary } = await import('./summary-lines.js');
    printSummary(res.summary, out);
    if (!res.gatePassed) {
      process.stderr.write(`faultline: ${res.summary.gate.message}\n`);
      process.exitCode = 1;
    }
  },
};

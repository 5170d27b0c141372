import path from 'node:path';
import type { CommandModule } from 'yargs';
import { run } from '../../pipeline/run.js';
import { splitSpecs } from './spec-list.js';
import { REPORT_FILES } from '../../reports/write.js';
import { UsageError } from './errors.js';
import { minAc1Arg } from './args.js';

interface RunArgs {
  suite: string;
  detectors?: string;
  rca?: string;
  seeds?: string;
  out?: string;
  'min-ac1'?: number;
  shard?: string;
  workers?: number;
  progress?: boolean;
}


function seeds(s: string | undefined): number[] | undefined {
  if (s === undefined) return undefined;
  const parts = s.split(',').map((x) => x.trim()).filter(Boolean);
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`--seeds: "${p}" is not a non-negative integer`);
    return Number(p);
  });
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'Run a suite of scenarios through detectors and RCA algorithms and write the report',
  builder: (y) =>
    y
      .option('suite', { type: 'string', default: 'ci', describe: 'suite name under scenarios/suites/ or a .yaml path' })
      .option('detectors', { type: 'string', describe: 'comma-separated detector specs (overrides the suite)' })
      .option('rca', { type: 'string', describe: 'comma-separated RCA algorithm specs, or all (overrides the suite)' })
      .option('seeds', { type: 'string', describe: 'comma-separated seeds (overrides the suite)' })
      .option('out', { type: 'string', describe: 'output directory (default out/<suite>)' })
      .option('min-ac1', { type: 'number', describe: 'exit 1 when the best RCA algorithm has AC@1 below this' })
      .option('shard', { type: 'string', describe: 'i/n: run every n-th item from the i-th and write partial.json' })
      .option('workers', { type: 'number', describe: 'worker threads (default: min(items, cores))' })
      .option('progress', { type: 'boolean', describe: 'progress bar (default: on a terminal outside CI)' }),
  handler: async (argv) => {
    const minAc1 = minAc1Arg(argv['min-ac1']);
    if (argv.workers !== undefined && !(Number.isInteger(argv.workers) && argv.workers >= 1)) {
      throw new UsageError('--workers must be a positive integer');
    }
    const out = argv.out ?? path.join('out', path.basename(argv.suite).replace(/\.ya?ml$/i, ''));
    const seedList = seeds(argv.seeds);
    const detectors = argv.detectors !== undefined ? splitSpecs(argv.detectors) : undefined;
    const rca = argv.rca !== undefined ? splitSpecs(argv.rca) : undefined;
    const res = await run({
      suite: argv.suite,
      out,
      ...(detectors ? { detectors } : {}),
      ...(rca ? { rca } : {}),
      ...(seedList ? { seeds: seedList } : {}),
      ...(minAc1 !== undefined ? { minAc1 } : {}),
      ...(argv.shard !== undefined ? { shard: argv.shard } : {}),
      ...(argv.workers !== undefined ? { workers: argv.workers } : {}),
      ...(argv.progress !== undefined ? { progress: argv.progress } : {}),
    });
    if (res.partial) {
      process.stdout.write(`partial results of ${res.items} items: ${path.join(out, 'partial.json')}\n`);
      process.stdout.write(`combine the shards with: faultline merge <shard dirs...> --out <dir>\n`);
      return;
    }
    const s = res.summary;
    for (const a of s.rca) process.stdout.write(`rca ${a.name}: AC@1 ${a.ac1?.toFixed(3) ?? '-'} AC@3 ${a.ac3?.toFixed(3) ?? '-'} over ${a.incidents} incidents\n`);
    for (const d of s.detectors) {
      process.stdout.write(`detector ${d.name}: PA-F1 ${d.pointAdjustedF1?.toFixed(3) ?? '-'}, faults detected ${d.detectedFaults}/${d.faults}\n`);
    }
    process.stdout.write(`report: ${path.join(out, REPORT_FILES.html)}\n`);
    if (!res.gatePassed) {
      process.stderr.write(`faultline: ${s.gate.message}\n`);
      process.exitCode = 1;
    }
  },
};

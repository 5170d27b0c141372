import type { CommandModule } from 'yargs';
import { parseDuration } from '../../common/duration.js';
import { UsageError } from '../../common/errors.js';

interface GenerateArgs {
  scenario: string;
  seed: number;
  out: string;
  duration?: string;
  'traffic-scale'?: number;
  parquet?: boolean;
}

export const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe: 'Simulate a scenario: writes messages.arrow, kpis.arrow, truth.json and manifest.json',
  builder: (y) =>
    y
      .option('scenario', { type: 'string', default: 'default', describe: 'scenario name under scenarios/ (see `faultline scenarios`) or a YAML path' })
      .option('seed', { type: 'number', default: 1, describe: 'random seed; same scenario and seed give byte-identical files' })
      .option('out', { type: 'string', demandOption: true, describe: 'output directory' })
      .option('duration', { type: 'string', describe: "override the scenario's duration, e.g. 90m, 6h, 1d" })
      .option('traffic-scale', { type: 'number', describe: 'multiply all rates and capacities (data volume), e.g. 0.1' })
      .option('parquet', { type: 'boolean', default: false, describe: 'also write messages.parquet and kpis.parquet (converted from the Arrow files)' })
      .example('faultline generate --scenario faults/database-slow --seed 7 --out out/db-slow', '')
      .example('faultline generate --scenario default --duration 6h --traffic-scale 0.5 --out out/day', ''),
  handler: async (args) => {
    if (!Number.isSafeInteger(args.seed) || args.seed < 0) throw new UsageError(`--seed must be a non-negative integer (got ${args.seed})`);
    if (args.duration !== undefined) {
      try {
        parseDuration(args.duration);
      } catch (err) {
        throw new UsageError(`--duration: ${(err as Error).message}`);
      }
    }
    const scale = args['traffic-scale'];
    if (scale !== undefined && !(scale > 0)) throw new UsageError(`--traffic-scale must be a positive number (got ${scale})`);
    const [{ generate }, { ScenarioError }] = await Promise.all([import('../../sim/generate.js'), import('../../sim/scenario.js')]);
    const started = process.hrtime.bigint();
    let result;
    try {
      result = await generate({ scenario: args.scenario, seed: args.seed, out: args.out, duration: args.duration, trafficScale: scale });
    } catch (err) {
      // A bad scenario is a usage problem (exit 2) with the file, field path and line in the message.
      if (err instanceof ScenarioError || (err instanceof Error && err.message.startsWith('unknown scenario'))) throw new UsageError(err.message);
      throw err;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const { counts } = result.manifest;
    process.stdout.write(
      `${result.manifest.scenario} seed ${args.seed}: ${counts.messages} messages, ${counts.transactions} transactions, ` +
        `${counts.kpiRows} KPI rows, ${counts.faults} faults in ${seconds.toFixed(1)} s -> ${result.dir}\n`,
    );
    for (const f of result.truth.faults) {
      process.stdout.write(`  ${f.id}: ${f.type} at ${f.rootCause.join(',')}${f.rootCauseInstance ? ` (${f.rootCauseInstance})` : ''}, ${new Date(f.start).toISOString()} - ${new Date(f.end).toISOString()}, moved ${f.moved.length} KPI series\n`);
    }
    if (args.parquet) {
      const { arrowDirToParquet } = await import('../../data/parquet.js');
      for (const file of await arrowDirToParquet(result.dir)) process.stdout.write(`  also ${file}\n`);
    }
  },
};

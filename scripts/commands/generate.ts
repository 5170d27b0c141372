import type { CommandModule } from 'yargs';
import { parseDuration } from '../../common/duration.js';
import { UsageError, warn } from '../../common/errors.js';
import { withFlags, withOption } from './options.js';

interface GenerateArgs {
  scenario: string;
  seed: number;
  out: string;
  force: boolean;
  duration?: string;
  'traffic-scale'?: number;
  parquet: boolean;
  logs: boolean;
  metrics: boolean;
  'allow-large': boolean;
  export?: string[];
  sampling?: number;
  uninstrumented?: number;
  'clock-skew'?: number;
  'span-status': boolean;
}

const EXPORTS = ['spans-csv', 'spans-otlp', 'logs-csv', 'metrics-csv'] as const;

export const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe: 'Simulate a scenario: writes messages.arrow, kpis.arrow, logs.arrow, metrics.arrow, truth.json and manifest.json',
  builder: (y) => {
    let b = withOption(y, 'generate', 'scenario', { type: 'string', default: 'default', describe: 'scenario name under scenarios/ (see `faultline scenarios`) or a YAML path' });
    b = withOption(b, 'generate', 'seed', { type: 'number', default: 1, describe: 'random seed; same scenario and seed give byte-identical files' });
    b = withFlags(b, 'generate', ['out', 'force', 'parquet'], ['out']);
    b = withOption(b, 'generate', 'duration', { type: 'string', describe: "override the scenario's duration, e.g. 90m, 6h, 1d" });
    b = withOption(b, 'generate', 'traffic-scale', { type: 'number', describe: 'multiply all rates and capacities (data volume), e.g. 0.1' });
    b = withOption(b, 'generate', 'logs', { type: 'boolean', default: true, describe: "write logs.arrow, the services' application logs (--no-logs to skip)" });
    b = withOption(b, 'generate', 'metrics', { type: 'boolean', default: true, describe: 'write metrics.arrow, per-instance resource metrics (--no-metrics to skip)' });
    b = withOption(b, 'generate', 'allow-large', { type: 'boolean', default: false, describe: 'generate past the size limits (250M messages, 20M minute-level cells)' });
    b = withOption(b, 'generate', 'export', { type: 'string', array: true, choices: EXPORTS, describe: 'also write spans.csv or spans.otlp.jsonl (a client and a server span per call), logs.csv, metrics.csv' });
    b = withOption(b, 'generate', 'sampling', { type: 'number', describe: 'exported spans: head sampling, the share of transactions kept (default 1)' });
    b = withOption(b, 'generate', 'uninstrumented', { type: 'number', describe: 'exported spans: the share of services that record none (default 0)' });
    b = withOption(b, 'generate', 'clock-skew', { type: 'number', describe: "exported spans and logs: standard deviation (ms) of each host's clock offset (default 0)" });
    b = withOption(b, 'generate', 'span-status', { type: 'boolean', default: true, describe: 'exported spans carry a status (--no-span-status: none)' });
    return b
      .example('faultline generate --scenario faults/database-slow --seed 7 --out out/db-slow', '')
      .example('faultline generate --scenario default --duration 6h --traffic-scale 0.5 --out out/day', '')
      .example('faultline generate --scenario faults/code-exception --export spans-otlp logs-csv --sampling 0.2 --uninstrumented 0.1 --clock-skew 20 --out out/otel', '') as never;
  },
  handler: async (args) => {
    if (!Number.isSafeInteger(args.seed) || args.seed < 0) throw new UsageError(`--seed must be a non-negative integer (got ${args.seed})`);
    if (args.duration !== undefined) {
      if (/^\s*-/.test(args.duration)) throw new UsageError(`--duration: must be positive: '${args.duration}'`);
      try {
        parseDuration(args.duration);
      } catch (err) {
        throw new UsageError(`--duration: ${(err as Error).message}`);
      }
    }
    const scale = args['traffic-scale'];
    if (scale !== undefined && !(scale > 0 && scale <= 1e4)) throw new UsageError(`--traffic-scale must be a number above 0 and at most 10000 (got ${scale})`);
    const exports = new Set(args.export ?? []);
    if (exports.has('spans-csv') && exports.has('spans-otlp')) throw new UsageError('--export: choose one of spans-csv and spans-otlp');
    const [{ generate }, parquet] = await Promise.all([import('../../sim/generate.js'), args.parquet ? import('../../data/parquet.js') : undefined]);
    const started = process.hrtime.bigint();
    // Scenario, option and size errors are FaultlineErrors (exit 2) naming the file, line and field.
    const result = await generate({
      scenario: args.scenario,
      seed: args.seed,
      out: args.out,
      force: args.force,
      duration: args.duration,
      trafficScale: scale,
      logs: args.logs,
      metrics: args.metrics,
      allowLarge: args['allow-large'],
      export: {
        ...(exports.has('spans-csv') ? { spans: 'csv' as const } : exports.has('spans-otlp') ? { spans: 'otlp' as const } : {}),
        logsCsv: exports.has('logs-csv'),
        metricsCsv: exports.has('metrics-csv'),
        ...(args.sampling !== undefined ? { sampling: args.sampling } : {}),
        ...(args.uninstrumented !== undefined ? { uninstrumented: args.uninstrumented } : {}),
        ...(args['clock-skew'] !== undefined ? { clockSkewMs: args['clock-skew'] } : {}),
        spanStatus: args['span-status'],
      },
      ...(parquet ? { addFiles: parquet.arrowDirToParquet } : {}),
    });
    for (const w of result.warnings) warn(w);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const { counts } = result.manifest;
    process.stdout.write(
      `${result.manifest.scenario} seed ${args.seed}: ${counts.messages} messages, ${counts.transactions} transactions, ` +
        `${counts.kpiRows} KPI rows, ${counts.logLines} log lines, ${counts.metricRows} metric rows, ${counts.faults} faults in ${seconds.toFixed(1)} s -> ${result.dir}\n`,
    );
    for (const f of result.truth.faults) {
      process.stdout.write(`  ${f.id}: ${f.type} at ${f.rootCause.join(',')}${f.rootCauseInstance ? ` (${f.rootCauseInstance})` : ''}, ${new Date(f.start).toISOString()} - ${new Date(f.end).toISOString()}, moved ${f.moved.length} KPI series\n`);
    }
    for (const file of Object.keys(result.manifest.files).filter((f) => /\.(parquet|csv|jsonl)$/.test(f))) process.stdout.write(`  also ${file}\n`);
  },
};

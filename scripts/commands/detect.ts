import path from 'node:path';
import type { CommandModule } from 'yargs';
import { parseBadRowPolicy, skippedRowsMessage } from '../../common/bad-rows.js';
import { UsageError } from '../../common/errors.js';
import { given, secondsFlag, splitSpecs, withFlags } from './options.js';

interface DetectArgs {
  in?: string[];
  series?: string[];
  train?: string;
  detectors?: string[];
  out: string;
  force: boolean;
  delay: number;
  'train-until'?: string;
  'on-bad-row': string;
  'plugin-timeout'?: number;
  progress?: boolean;
  parquet: boolean;
}

export const detectCommand: CommandModule<object, DetectArgs> = {
  command: 'detect',
  describe: 'Run KPI anomaly detectors on generated KPIs or real series; write alarms.csv and metrics.json',
  builder: (y) =>
    withFlags(y, 'detect', ['in', 'series', 'train', 'train-until', 'on-bad-row', 'detectors', 'plugin-timeout', 'delay', 'out', 'force', 'parquet', 'progress'], ['detectors', 'out'])
      .option('in', { array: true, describe: 'data set folder(s) holding kpis.arrow (+ truth.json) or kpis/; several are scored as one corpus' })
      .example('$0 detect --series ../shared/data/nab --detectors ksigma,shitu --out runs/nab', 'the NAB corpus')
      .example('$0 detect --in out/db --detectors shitu --out runs/db', 'a generated data set') as never,
  handler: async (argv) => {
    const dirs = argv.in ?? [];
    if (!dirs.length === !argv.series?.length) throw new UsageError('give --in <data set folder(s)> or --series <series>, not both');
    if (argv.train && !argv.series) throw new UsageError('--train goes with --series');
    if (!(Number.isInteger(argv.delay) && argv.delay >= 0)) throw new UsageError('--delay must be a non-negative integer');
    const sources = dirs.length ? dirs.map((d) => ({ in: d })) : [{ series: argv.series!, ...(argv.train ? { train: argv.train } : {}) }];
    const { detect } = await import('../../pipeline/detect.js');
    const res = await detect({
      sources,
      detectors: splitSpecs(argv.detectors) ?? [],
      out: argv.out,
      force: argv.force,
      delay: argv.delay,
      parquet: argv.parquet,
      onBadRow: parseBadRowPolicy(argv['on-bad-row']),
      ...given({ trainUntil: argv['train-until'], pluginTimeoutMs: secondsFlag('--plugin-timeout', argv['plugin-timeout']), progress: argv.progress }),
    });
    const m = res.metrics;
    process.stderr.write(skippedRowsMessage(res.skippedRows, res.badRowExamples));
    process.stdout.write(`${m.input.seriesCount} series, ${m.input.points} points (${m.input.layout}); ${m.training}\n`);
    const { detectorLines } = await import('./print.js');
    const rows = Object.entries(m.detectors).flatMap(([name, d]) =>
      (['own', 'train', 'oracle'] as const).map((src) => ({
        name: `${name} [${src}]`,
        figures: { ...d.overall[src], nabStandard: d.overall[src].nab.standard, aucPr: d.thresholdFree.aucPr },
        intervals: { pointAdjustedF1: d.overall[src].pointAdjustedF1Interval, aucPr: d.thresholdFree.intervals.aucPr },
        ...(d.error ? { tail: `FAILED: ${d.error}` } : {}),
      })),
    );
    process.stdout.write(detectorLines(rows));
    process.stdout.write(`wrote ${[...['alarms.csv', 'metrics.json'].map((f) => path.join(res.out, f)), ...res.parquet].join(', ')} ([oracle] rows use the best threshold on the scored data itself)\n`);
  },
};

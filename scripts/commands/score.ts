import path from 'node:path';
import type { CommandModule, Options } from 'yargs';
import type { ScoreSource } from '../../pipeline/score.js';
import { SCORE_SOURCES } from '../../scores/figures.js';
import { UsageError } from '../../common/errors.js';
import { parseBadRowPolicy, skippedRowsMessage } from '../../common/bad-rows.js';
import { columnMapping as columnMappingArg, withFlags, withOption } from './options.js';

interface ScoreArgs {
  series: string;
  scores: string;
  threshold?: number;
  'threshold-source'?: string[];
  'nab-thresholds'?: string;
  'train-series'?: string;
  'train-scores'?: string;
  columns?: string;
  delay: number;
  out: string;
  force: boolean;
  parquet: boolean;
  'on-bad-row': string;
}

const fmt = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

export const scoreCommand: CommandModule<object, ScoreArgs> = {
  command: 'score',
  describe: 'Score per-point scores or alarms made elsewhere (alarms.csv, NAB results) against labelled series; write metrics.json',
  builder: (y) => {
    const own: Record<string, Options> = {
      series: { type: 'string', demandOption: true, describe: 'labelled series folder (timestamp,value,label CSVs) or the NAB root' },
      scores: { type: 'string', demandOption: true, describe: "a score CSV (faultline's alarms.csv) or folder (NAB results layout, or one CSV per series)" },
      threshold: { type: 'number', describe: 'alarm where score >= this level (reported as threshold source "given")' },
      'threshold-source': { type: 'string', array: true, describe: `threshold sources to report: ${SCORE_SOURCES.join(', ')} (default: own where alarms exist, and oracle)` },
      'nab-thresholds': { type: 'string', describe: "NAB's thresholds.json: the NAB figures at each detector's level per profile" },
      'train-series': { type: 'string', describe: 'labelled training series for --threshold-source train-labels' },
      'train-scores': { type: 'string', describe: 'scores of the training series, same layout as --scores' },
      columns: { type: 'string', describe: 'column names: ours=theirs for series, timestamp, score, alarm, detector (e.g. score=raw_score)' },
      delay: { type: 'number', default: 7, describe: 'point-adjustment max delay in grid slots' },
    };
    let b = y;
    for (const [name, flag] of Object.entries(own)) b = withOption(b, 'score', name, flag);
    return withFlags(b, 'score', ['on-bad-row', 'out', 'force', 'parquet'], ['out'])
      .example('$0 score --series ../shared/data/nab --scores ../shared/data/nab-results --nab-thresholds ../shared/data/nab-results/thresholds.json --out runs/nab-score', "NAB's published results")
      .example('$0 score --series data/kpis --scores runs/x/alarms.csv --out runs/x-score', "re-score faultline's alarms") as never;
  },
  handler: async (argv) => {
    if (!(Number.isInteger(argv.delay) && argv.delay >= 0)) throw new UsageError('--delay must be a non-negative integer');
    if (argv.threshold !== undefined && !Number.isFinite(argv.threshold)) throw new UsageError('--threshold must be a number');
    const sources = argv['threshold-source']?.flatMap((s) => String(s).split(',')).map((s) => s.trim());
    for (const s of sources ?? []) if (!(SCORE_SOURCES as readonly string[]).includes(s)) throw new UsageError(`--threshold-source must be one of ${SCORE_SOURCES.join(', ')} (got '${s}')`);
    if (!!argv['train-series'] !== !!argv['train-scores']) throw new UsageError('--train-series and --train-scores go together');
    const columns = columnMappingArg('--columns', argv.columns);
    const { scoreFromFiles } = await import('../../pipeline/score.js');
    const res = await scoreFromFiles({
      series: argv.series,
      scores: argv.scores,
      out: argv.out,
      force: argv.force,
      delay: argv.delay,
      parquet: argv.parquet,
      onBadRow: parseBadRowPolicy(argv['on-bad-row']),
      ...(argv.threshold !== undefined ? { threshold: argv.threshold } : {}),
      ...(sources ? { sources: sources as ScoreSource[] } : {}),
      ...(argv['nab-thresholds'] ? { nabThresholds: argv['nab-thresholds'] } : {}),
      ...(argv['train-series'] ? { trainSeries: argv['train-series'], trainScores: argv['train-scores'] } : {}),
      ...(columns ? { columns } : {}),
    });
    const m = res.metrics;
    process.stderr.write(skippedRowsMessage(res.skippedRows, res.badRowExamples));
    process.stdout.write(`${m.input.seriesCount} series, ${m.input.points} points (${m.input.layout}; scores: ${m.input.scoresLayout})\n`);
    process.stdout.write('detector            threshold     PA-F1  point-F1  NAB std  NAB lowFP  NAB lowFN  AUC-PR  VUS-PR\n');
    for (const [name, d] of Object.entries(m.detectors)) {
      for (const [src, x] of Object.entries(d.overall)) {
        if (!x) continue;
        process.stdout.write(
          `${name.padEnd(19)} ${src.padEnd(12)} ${fmt(x.pointAdjustedF1).padStart(6)} ${fmt(x.pointF1).padStart(9)} ${fmt(x.nab.standard, 1).padStart(8)} ${fmt(x.nab.lowFP, 1).padStart(10)} ${fmt(x.nab.lowFN, 1).padStart(10)} ${fmt(d.thresholdFree.aucPr).padStart(7)} ${fmt(d.thresholdFree.vusPr).padStart(7)}\n`,
        );
      }
    }
    process.stdout.write(`wrote ${[path.join(res.out, 'metrics.json'), ...res.parquet].join(', ')} (oracle rows use the best threshold on the scored data; NAB's oracle is NAB's optimiser)\n`);
  },
};

import path from 'node:path';
import type { CommandModule } from 'yargs';
import { detect } from '../../pipeline/detect.js';
import { splitSpecs } from './spec-list.js';
import { UsageError } from './errors.js';

interface DetectArgs {
  data?: string[];
  series?: string;
  train?: string;
  detector: string[];
  out: string;
  delay: number;
  'train-until'?: string;
}

const fmt = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

export const detectCommand: CommandModule<object, DetectArgs> = {
  command: 'detect',
  describe: 'Run KPI anomaly detectors on generated KPIs or real series; write alarms.csv and metrics.json',
  builder: (y) =>
    y
      .option('data', { type: 'string', array: true, describe: 'generated data set folder(s) (kpis.arrow + truth.json); several are scored as one corpus' })
      .option('series', { type: 'string', describe: 'folder of CSVs timestamp,value[,label], or the NAB layout' })
      .option('train', { type: 'string', describe: 'with --series: folder of same-named CSVs used only for fitting' })
      .option('detector', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'detector spec(s), comma-separated or repeated: name[:k=v,...], ./module.js, spec.json, cmd:<command>',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
      .option('delay', { type: 'number', default: 7, describe: 'point-adjustment max delay in points' })
      .option('train-until', { type: 'string', describe: 'with --data: end of training (ISO 8601, or offset from start like 2h)' })
      .example('$0 detect --series ../shared/data/nab --detector ksigma,shitu --out runs/nab', 'NAB corpus')
      .example('$0 detect --data out/db --detector shitu --out runs/db', 'a generated data set'),
  handler: async (argv) => {
    if (!!argv.data?.length === !!argv.series) throw new UsageError('give exactly one of --data <generated dir> or --series <dir>');
    if (argv.train && !argv.series) throw new UsageError('--train goes with --series');
    if (argv['train-until'] && !argv.data) throw new UsageError('--train-until goes with --data');
    if (!(Number.isInteger(argv.delay) && argv.delay >= 0)) throw new UsageError('--delay must be a non-negative integer');
    const detectors = argv.detector.flatMap((d) => splitSpecs(String(d)));
    const res = await detect({
      detectors,
      out: argv.out,
      delay: argv.delay,
      ...(argv.data?.length ? { data: argv.data.length === 1 ? argv.data[0] : argv.data } : {}),
      ...(argv.series ? { series: argv.series } : {}),
      ...(argv.train ? { train: argv.train } : {}),
      ...(argv['train-until'] ? { trainUntil: argv['train-until'] } : {}),
    });
    const m = res.metrics;
    process.stdout.write(`${m.input.seriesCount} series, ${m.input.points} points (${m.input.layout}); ${m.training}\n`);
    process.stdout.write('detector            threshold  PA-F1  point-F1  event-recall  FA/day  NAB std  NAB lowFP  NAB lowFN\n');
    for (const [name, d] of Object.entries(m.detectors)) {
      for (const src of ['own', 'train', 'oracle'] as const) {
        const x = d.overall[src];
        process.stdout.write(
          `${name.padEnd(19)} ${src.padEnd(9)} ${fmt(x.pointAdjustedF1).padStart(6)} ${fmt(x.pointF1).padStart(9)} ${fmt(x.eventRecall).padStart(13)} ${fmt(x.falseAlarmsPerDay, 1).padStart(7)} ${fmt(x.nab.standard, 1).padStart(8)} ${fmt(x.nab.lowFP, 1).padStart(10)} ${fmt(x.nab.lowFN, 1).padStart(10)}\n`,
        );
      }
    }
    process.stdout.write(`wrote ${path.join(res.out, 'alarms.csv')} and ${path.join(res.out, 'metrics.json')} (oracle rows use the best threshold on the scored data)\n`);
  },
};

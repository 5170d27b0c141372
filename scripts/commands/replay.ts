import path from 'node:path';
import type { CommandModule } from 'yargs';
import { parseBadRowPolicy } from '../../common/bad-rows.js';
import { replay } from '../../pipeline/replay.js';
import { splitSpecs } from './spec-list.js';
import { REPORT_FILES } from '../../reports/write.js';
import { UsageError } from './errors.js';
import { columnMappingArg, minAc1Arg } from './args.js';

interface ReplayArgs {
  in?: string;
  spans?: string[];
  messages?: string;
  baseline?: string[];
  kpis?: string[];
  incidents?: string;
  out: string;
  detectors?: string;
  rca?: string;
  'min-ac1'?: number;
  parquet?: boolean;
  columns?: string;
  'service-from-instance'?: string;
  'on-bad-row'?: string;
}

export const replayCommand: CommandModule<object, ReplayArgs> = {
  command: 'replay',
  describe: 'Run detectors and RCA over an imported or anonymised incident set and write the run report',
  builder: (y) =>
    y
      .option('in', { type: 'string', describe: 'data folder: spans/ or messages.arrow, [baseline/], kpis/ (or kpis.csv, kpis.arrow), incidents.json (or .csv, truth.json)' })
      .option('spans', { type: 'string', array: true, describe: 'span files or folders (span CSV, Jaeger, OTLP JSON); overrides --in' })
      .option('messages', { type: 'string', describe: 'a messages.arrow to build transaction trees from; overrides --in' })
      .option('baseline', { type: 'string', array: true, describe: 'fault-free spans; overrides --in' })
      .option('kpis', { type: 'string', array: true, describe: 'KPI long CSV, per-series CSV folder, NAB folder or kpis.arrow; overrides --in' })
      .option('incidents', { type: 'string', describe: 'incidents JSON, CSV or a Nezha fault_list.json; overrides --in' })
      .option('out', { type: 'string', demandOption: true, describe: 'report folder (report.html, summary.json, junit.xml)' })
      .option('detectors', { type: 'string', describe: 'comma-separated detector specs, or all (default: the ci suite)' })
      .option('rca', { type: 'string', describe: 'comma-separated RCA algorithm specs, or all (default: the ci suite)' })
      .option('min-ac1', { type: 'number', describe: 'exit 1 when the best RCA algorithm has AC@1 below this' })
      .option('parquet', { type: 'boolean', default: false, describe: 'also write rca-candidates.parquet and detectors.parquet' })
      .option('columns', { type: 'string', describe: 'span CSV column mapping ours=theirs,... for a spans/ folder in foreign columns' })
      .option('service-from-instance', { type: 'string', describe: 'regex whose first group is the service, applied to instance names' })
      .option('on-bad-row', { type: 'string', choices: ['reject', 'skip'], default: 'reject', describe: 'a malformed row stops the replay (reject) or is skipped and counted (skip)' }),
  handler: async (argv) => {
    const minAc1 = minAc1Arg(argv['min-ac1']);
    const columns = columnMappingArg('--columns', argv.columns);
    if (!argv.in && !argv.spans && !argv.messages && !argv.kpis) throw new UsageError('give --in <folder>, or --spans, --messages or --kpis');
    const res = await replay({
      ...(argv.in ? { in: argv.in } : {}),
      ...(argv.spans ? { spans: argv.spans } : {}),
      ...(argv.messages ? { messages: argv.messages } : {}),
      ...(argv.baseline ? { baseline: argv.baseline } : {}),
      ...(argv.kpis ? { kpis: argv.kpis } : {}),
      ...(argv.incidents ? { incidents: argv.incidents } : {}),
      out: argv.out,
      parquet: argv.parquet ?? false,
      onBadRow: parseBadRowPolicy(argv['on-bad-row']),
      ...(argv.detectors !== undefined ? { detectors: splitSpecs(argv.detectors) } : {}),
      ...(argv.rca !== undefined ? { rca: splitSpecs(argv.rca) } : {}),
      ...(minAc1 !== undefined ? { minAc1 } : {}),
      ...(columns ? { columns } : {}),
      ...(argv['service-from-instance'] ? { serviceFromInstance: argv['service-from-instance'] } : {}),
    });
    const found = Object.entries(res.sources).filter(([, v]) => v).map(([k, v]) => `${k}=${[v].flat().join(',')}`);
    process.stdout.write(`replayed ${found.join(' ')}\n`);
    if (res.skippedRows) process.stderr.write(`skipped ${res.skippedRows} malformed rows, e.g.:\n${res.badRowExamples.map((e) => `  ${e}\n`).join('')}`);
    const s = res.summary;
    for (const a of s.rca) process.stdout.write(`rca ${a.name}: AC@1 ${a.ac1?.toFixed(3) ?? '-'} AC@3 ${a.ac3?.toFixed(3) ?? '-'} over ${a.incidents} incidents\n`);
    for (const d of s.detectors) process.stdout.write(`detector ${d.name}: PA-F1 ${d.pointAdjustedF1?.toFixed(3) ?? '-'}\n`);
    process.stdout.write(`report: ${path.join(argv.out, REPORT_FILES.html)}\n`);
    if (!res.gatePassed) {
      process.stderr.write(`faultline: ${s.gate.message}\n`);
      process.exitCode = 1;
    }
  },
};

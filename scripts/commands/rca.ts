import type { CommandModule } from 'yargs';
import { rca } from '../../pipeline/rca.js';
import { listRcaAlgorithms } from '../../rca/registry.js';
import { splitSpecs } from './spec-list.js';
import { UsageError } from './errors.js';
import { columnMappingArg, minAc1Arg } from './args.js';

interface RcaArgs {
  data?: string;
  spans?: string;
  baseline?: string;
  columns?: string;
  'service-from-instance'?: string;
  incidents?: string;
  algorithm: string;
  out: string;
  rules?: string;
  'window-ms'?: number;
  'min-ac1'?: number;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');

export const rcaCommand: CommandModule<object, RcaArgs> = {
  command: 'rca',
  describe: 'Rank root-cause candidates for incidents (trees from a data set, or replayed spans) and score them',
  builder: (y) =>
    y
      .option('data', { type: 'string', describe: 'generated data set: trees from messages.arrow, incidents from truth.json' })
      .option('spans', { type: 'string', describe: 'span CSV/CSV.gz file or folder (already-linked spans)' })
      .option('baseline', { type: 'string', describe: 'fault-free spans for reference (default: traces before the first incident)' })
      .option('columns', { type: 'string', describe: 'ours=theirs,... (ours: trace_id,span_id,parent_id,service,instance,operation,start_ns,end_ns,status)' })
      .option('service-from-instance', { type: 'string', describe: "regex whose first group is the service, e.g. '^(.*?)-[0-9a-f]{8,10}-[0-9a-z]{5}$'" })
      .option('incidents', { type: 'string', describe: 'incidents JSON [{id,start,end?,rootCause,type?}]' })
      .option('algorithm', { type: 'string', demandOption: true, alias: 'a', describe: 'comma-separated algorithm specs, or all (all span-based ones with --spans)' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder for ranking.json and metrics.json' })
      .option('rules', { type: 'string', describe: 'tree rules YAML (default trees/rules/wemq.yaml)' })
      .option('window-ms', { type: 'number', describe: 'per-bizSeqNo collection window (overrides the rules)' })
      .option('min-ac1', { type: 'number', describe: 'exit 1 when an algorithm has AC@1 below this, listing its misses' }),
  handler: async (argv) => {
    if (!argv.data === !argv.spans) throw new UsageError('give exactly one of --data or --spans');
    if (argv.spans && !argv.incidents) throw new UsageError('--spans needs --incidents');
    const minAc1 = minAc1Arg(argv['min-ac1']);
    const columns = columnMappingArg('--columns', argv.columns);
    // `all` over span files leaves out kpi-first, which needs a data set's KPIs.
    const algorithms =
      argv.algorithm.trim() === 'all'
        ? listRcaAlgorithms().map((f) => f.name).filter((n) => argv.data || n !== 'kpi-first')
        : splitSpecs(argv.algorithm);
    const res = await rca({
      ...(argv.data ? { data: argv.data } : {}),
      ...(argv.spans ? { spans: argv.spans } : {}),
      ...(argv.baseline ? { baseline: argv.baseline } : {}),
      ...(columns ? { columns } : {}),
      ...(argv['service-from-instance'] ? { serviceFromInstance: argv['service-from-instance'] } : {}),
      ...(argv.incidents ? { incidents: argv.incidents } : {}),
      ...(argv.rules ? { rules: argv.rules } : {}),
      ...(argv['window-ms'] !== undefined ? { windowMs: argv['window-ms'] } : {}),
      ...(minAc1 !== undefined ? { minAc1 } : {}),
      algorithms,
      out: argv.out,
    });
    if (res.treeStats) {
      const t = res.treeStats;
      process.stdout.write(
        `trees: ${t.messages} messages, ${t.transactions} transactions, ${t.calls} calls (${t.timeouts} timeouts, ` +
          `${t.duplicateLegs} duplicate legs, ${t.orphanReplies} orphan replies, ${t.skewLinked} linked beyond skew tolerance)\n`,
      );
    }
    process.stdout.write(`${res.spans} spans, ${res.incidents} incidents\n`);
    for (const r of res.results) {
      const m = r.metrics;
      process.stdout.write(
        `${r.name.padEnd(18)} AC@1 ${pct(m.ac1)}  AC@3 ${pct(m.ac3)}  Avg@5 ${pct(m.avg5)}  MRR ${m.mrr.toFixed(3)}  ` +
          `(${m.incidents} incidents, ${m.computeMs.toFixed(1)} ms each)\n`,
      );
    }
    process.stdout.write(`wrote ${res.files.ranking} and ${res.files.metrics}\n`);
    for (const f of res.failures) {
      process.stderr.write(`faultline: ${f.algorithm}: AC@1 ${pct(f.ac1)} is below --min-ac1 ${pct(minAc1!)}; missed:\n`);
      for (const m of f.missed) {
        process.stderr.write(
          `  ${m.id}${m.type ? ` (${m.type})` : ''}: root cause ${m.rootCause.join('|')}, top-1 ${m.top ?? '(none)'}, rank ${m.rank || 'absent'}\n`,
        );
      }
    }
    if (!res.gatePassed) process.exitCode = 1;
  },
};

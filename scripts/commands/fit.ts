import path from 'node:path';
import type { CommandModule } from 'yargs';
import { skippedRowsMessage } from '../../common/bad-rows.js';
import { UsageError } from '../../common/errors.js';
import { readingOf, withFlags, withOption, type SourceArgs } from './options.js';

interface FitArgs extends SourceArgs {
  spans: string[];
  out: string;
  force: boolean;
  report?: string;
  name?: string;
  seed: number;
}

export const fitCommand: CommandModule<object, FitArgs> = {
  command: 'fit',
  describe: "Learn a scenario (a digital twin) from a system's traces, and write fit-report.json on how well it reproduces them",
  builder: (y) => {
    let b = withFlags(y, 'fit', ['spans', 'metrics', 'logs', 'columns', 'metric-columns', 'log-columns', 'service-from-instance', 'on-bad-row'], ['spans']);
    b = withOption(b, 'fit', 'out', { type: 'string', demandOption: true, describe: 'the scenario YAML to write, e.g. my-system.yaml' });
    b = withOption(b, 'fit', 'report', { type: 'string', describe: 'fit-report.json to write, with fit-report.html beside it (default: fit-report.json beside --out)' });
    b = withOption(b, 'fit', 'name', { type: 'string', describe: "the scenario's name (default twin)" });
    b = withOption(b, 'fit', 'force', { type: 'boolean', default: false, describe: 'replace the scenario and report files an earlier fit wrote there (a file faultline did not write is never replaced)' });
    b = withOption(b, 'fit', 'seed', { type: 'number', default: 1, describe: 'seed of the twin generated for the fit report' });
    return b.example("faultline fit --spans traces/ --metrics metrics/ --logs logs/ --service-from-instance '^(.*?)-[0-9a-f]{8,10}-[0-9a-z]{5}$' --out my-system.yaml", '') as never;
  },
  handler: async (argv) => {
    if (!/\.ya?ml$/i.test(argv.out)) throw new UsageError(`--out ${argv.out}: the scenario is written as YAML: give a .yaml path`);
    const report = argv.report ?? path.join(path.dirname(argv.out), 'fit-report.json');
    if (!/\.json$/i.test(report)) throw new UsageError(`--report ${report}: the fit report is written as JSON: give a .json path`);
    const page = report.replace(/\.json$/i, '.html');
    const output = { command: 'fit', force: argv.force };
    const files = [
      { flag: '--out', path: argv.out },
      { flag: '--report', path: report },
      { flag: '--report', path: page },
    ];
    const [{ checkOutputFiles, writeOutputFiles }, { fitTwin }, { fitReport }, { renderFitReport }] = await Promise.all([
      import('../../common/output-dir.js'),
      import('../../pipeline/fit.js'),
      import('../../pipeline/fit-report.js'),
      import('../../reports/fit-html.js'),
    ]);
    checkOutputFiles(files, output);
    const twin = await fitTwin({
      spans: argv.spans,
      ...(argv.metrics?.length ? { metrics: argv.metrics } : {}),
      ...(argv.logs?.length ? { logs: argv.logs } : {}),
      ...readingOf(argv),
      ...(argv.name !== undefined ? { name: argv.name } : {}),
    });
    process.stderr.write(skippedRowsMessage(twin.skippedRows, twin.badRowExamples));
    const fit = await fitReport(twin.spans, twin.scenario, twin.estimates, { seed: argv.seed });
    const contents = [twin.yaml, JSON.stringify(fit, null, 1) + '\n', renderFitReport(fit, path.resolve(argv.out))];
    writeOutputFiles(files.map((f, k) => ({ ...f, content: contents[k]! })), output);
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    process.stdout.write(
      `${argv.out}: ${twin.scenario.subsystems[0]!.services.length} services, ${twin.scenario.transactions.length} transaction types from ${twin.estimates.traces} traces\n` +
        `${report}: edges Jaccard ${fit.edges.jaccard} (target ${fit.targets.edgeJaccard}), p50 within 15% on ${pct(fit.latency.p50Within)} and p95 on ${pct(fit.latency.p95Within)} of ${fit.latency.scored} operations ` +
        `(inside the real figure's sampling interval: ${pct(fit.latency.p50InSampling)} and ${pct(fit.latency.p95InSampling)}), ` +
        `mix off by at most ${pct(fit.mix.maxDifference)} (target ${pct(fit.targets.mixWithin)}); ${page}\n`,
    );
  },
};

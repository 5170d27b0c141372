import type { CommandModule } from 'yargs';
import { columnMapping, withFlags, withOption } from './options.js';
import { warn } from '../../common/errors.js';

interface FidelityArgs {
  sim: string[];
  real: string;
  out: string;
  force: boolean;
  'type-map'?: string;
  'fit-report'?: string;
}

export const fidelityCommand: CommandModule<object, FidelityArgs> = {
  command: 'fidelity',
  describe: "Whether a simulated run's verdict on methods holds on real data: rank agreement with intervals, telemetry distances, fidelity.html",
  builder: (y) => {
    let b = withOption(y, 'fidelity', 'sim', { type: 'string', array: true, demandOption: true, describe: 'the simulated run: a run folder or its results.json; several (e.g. sweeps of other seeds) are pooled' });
    b = withOption(b, 'fidelity', 'real', { type: 'string', demandOption: true, describe: 'the real run: a replay or run folder, or its results.json' });
    b = withFlags(b, 'fidelity', ['out', 'force'], ['out']);
    b = withOption(b, 'fidelity', 'fit-report', { type: 'string', describe: "the twin's fit-report.json (faultline fit): its figures against their bars join the page" });
    return withOption(b, 'fidelity', 'type-map', { type: 'string', describe: "real fault type = simulated type, comma-separated, in place of the default: the public data sets' names, docs/twin.md" }) as never;
  },
  handler: async (argv) => {
    const { fidelity } = await import('../../pipeline/fidelity.js');
    const { calibrationSentence, seedSentence, windowNote } = await import('../../reports/fidelity-html.js');
    const typeMap = columnMapping('--type-map', argv['type-map']);
    const r = await fidelity({ sim: argv.sim, real: argv.real, out: argv.out, force: argv.force, ...(typeMap ? { typeMap } : {}), ...(argv['fit-report'] ? { fitReport: argv['fit-report'] } : {}) });
    const windows = windowNote(r.windows);
    if (windows?.warns) warn(windows.text);
    for (const a of r.rca.filter((x) => x.figure === 'ac1')) {
      process.stdout.write(`AC@1 ${a.type}: Kendall tau ${a.tau} (95% ${a.interval ? `${a.interval.low} to ${a.interval.high}` : 'n/a'}) over ${a.methods.length} methods, ${a.simIncidents} simulated and ${a.realIncidents} real incidents\n`);
    }
    const seeds = seedSentence(r.bySeed);
    if (seeds) process.stdout.write(`${seeds}\n`);
    const calibration = calibrationSentence(r.calibration);
    if (calibration) process.stdout.write(`${calibration}\n`);
    process.stdout.write(`-> ${argv.out}/fidelity.html\n`);
  },
};

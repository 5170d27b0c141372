import type { CommandModule } from 'yargs';
import { UsageError } from '../../common/errors.js';
import { given, splitSpecs, withFlags, withOption } from './options.js';
import { parseSeeds } from './run.js';
import type { FaultTargetKind } from '../../sim/formats.js';

interface SweepFaultsArgs {
  scenario: string;
  out: string;
  force: boolean;
  types?: string;
  severities?: string;
  seeds?: string;
  detectors?: string[];
  rca?: string[];
  'all-instances': boolean;
  'target-kinds'?: string;
  'exception-handlers'?: string;
  duration?: string;
  'fault-start'?: string;
  'fault-duration'?: string;
  'window-from'?: string;
}

export const sweepFaultsCommand: CommandModule<object, SweepFaultsArgs> = {
  command: 'sweep-faults',
  describe: 'Write a suite that tries every applicable fault type on every service, instance or edge of a scenario (e.g. a fitted twin)',
  builder: (y) => {
    let b = withOption(y, 'sweep-faults', 'scenario', { type: 'string', demandOption: true, describe: 'the scenario: a YAML path (e.g. from faultline fit) or a name under scenarios/' });
    b = withFlags(b, 'sweep-faults', ['out', 'force', 'detectors', 'rca'], ['out']);
    b = withOption(b, 'sweep-faults', 'types', { type: 'string', describe: 'comma-separated fault types (default: every type with a target in the scenario)' });
    b = withOption(b, 'sweep-faults', 'severities', {
      type: 'string',
      describe: 'comma-separated severities in (0, 1] (default 0.5); <type>=<severity> entries set a type\'s own (e.g. 0.5,cpu-saturation=0.9; fidelity names the one matching real faults)',
    });
    b = withOption(b, 'sweep-faults', 'seeds', { type: 'string', describe: 'comma-separated seeds of the suite (default 1)' });
    b = withOption(b, 'sweep-faults', 'exception-handlers', {
      type: 'string',
      describe: 'code-exception: comma-separated handlers, one fault each: catches (logged, reply unchanged), logs-and-throws, throws (the exception aborts the handler; default catches)',
    });
    b = withOption(b, 'sweep-faults', 'all-instances', { type: 'boolean', default: false, describe: 'instance faults on every instance (default: the first of each service)' });
    b = withOption(b, 'sweep-faults', 'target-kinds', {
      type: 'string',
      describe: 'comma-separated target kinds to keep: service, instance, database, edge, channel, txType (default every kind a type takes; network faults take edges and instances)',
    });
    b = withOption(b, 'sweep-faults', 'duration', { type: 'string', describe: "each item's length (default 2h)" });
    b = withOption(b, 'sweep-faults', 'fault-start', { type: 'string', describe: 'when the fault starts (default 1h30m)' });
    b = withOption(b, 'sweep-faults', 'fault-duration', { type: 'string', describe: 'how long it lasts (default 20m)' });
    return withOption(b, 'sweep-faults', 'window-from', {
      type: 'string',
      describe: "a real run or replay (folder or results.json): the faults last its incidents' median window, the one the methods judge them over (in place of --fault-duration)",
    })
      .example('faultline sweep-faults --scenario my-system.yaml --types code-exception,cpu-saturation --severities 0.3,0.8 --out my-faults && faultline run --suite my-faults/suite.yaml --out runs/my-faults', '') as never;
  },
  handler: async (argv) => {
    const number = (x: string) => {
      const v = Number(x.trim());
      if (x.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--severities: '${x}' is not a number`);
      return v;
    };
    const entries = argv.severities?.split(',') ?? [];
    const plain = entries.filter((x) => !x.includes('=')).map(number);
    const severitiesByType: Record<string, number[]> = {};
    for (const x of entries.filter((e) => e.includes('='))) {
      const [type, value] = x.split('=') as [string, string];
      (severitiesByType[type.trim()] ??= []).push(number(value));
    }
    const { writeFaultSweep } = await import('../../pipeline/sweep-faults.js');
    const res = await writeFaultSweep({
      scenario: argv.scenario,
      out: argv.out,
      force: argv.force,
      allInstances: argv['all-instances'],
      ...given({
        types: argv.types?.split(',').map((t) => t.trim()).filter(Boolean),
        severities: plain.length ? plain : undefined,
        severitiesByType: Object.keys(severitiesByType).length ? severitiesByType : undefined,
        targetKinds: argv['target-kinds']?.split(',').map((t) => t.trim()).filter(Boolean) as FaultTargetKind[] | undefined,
        exceptionHandlers: argv['exception-handlers']?.split(',').map((t) => t.trim()).filter(Boolean),
        seeds: parseSeeds(argv.seeds),
        detectors: splitSpecs(argv.detectors),
        rca: splitSpecs(argv.rca),
        duration: argv.duration,
        faultStart: argv['fault-start'],
        faultDuration: argv['fault-duration'],
        windowFrom: argv['window-from'],
      }),
    });
    const byType = new Map<string, number>();
    for (const f of res.faults) byType.set(f.fault.type, (byType.get(f.fault.type) ?? 0) + 1);
    const window = res.window ? `; each fault lasts ${res.window.faultDuration}, the median window of ${res.window.incidents} incidents in ${argv['window-from']}` : '';
    process.stdout.write(`${res.suite}: ${res.faults.length} fault scenarios (${[...byType].map(([t, n]) => `${t} ${n}`).join(', ')})${window}\nrun it: faultline run --suite ${res.suite} --out <run dir>\n`);
  },
};

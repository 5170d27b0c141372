import type { CommandModule } from 'yargs';

export const detectorsCommand: CommandModule = {
  command: 'detectors',
  describe: 'List the built-in KPI anomaly detectors and their options',
  handler: async () => {
    const { builtinListing } = await import('./methods-list.js');
    process.stdout.write(await builtinListing('detectors'));
    process.stdout.write('\nOptions go after the name: --detectors ksigma:window=120,floor=4. Plugins: ./my-detector.js, spec.json, cmd:<command> (docs/plugins.md).\n');
  },
};

import type { CommandModule } from 'yargs';

export const rcaMethodsCommand: CommandModule = {
  command: 'rca-methods',
  aliases: ['rca-algorithms'],
  describe: 'List the built-in RCA methods, what they read, and their options',
  handler: async () => {
    const { builtinListing } = await import('./methods-list.js');
    process.stdout.write(await builtinListing('rcaMethods'));
    process.stdout.write('\nOptions go after the name: --rca deepest-abnormal:z=4. Plugins: ./my-rca.js, cmd:<command> (docs/plugins.md).\n');
  },
};

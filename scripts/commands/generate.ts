import type { CommandModule } from 'yargs';

export const generateCommand: CommandModule = {
  command: 'generate',
  describe: 'Generate a synthetic bank data set (placeholder until sim lands)',
  handler: () => {
    throw new Error('not yet implemented');
  },
};

import type { CommandModule } from 'yargs';

export const scenariosCommand: CommandModule = {
  command: 'scenarios',
  describe: 'List the built-in scenarios (names for generate --scenario)',
  handler: async () => {
    const { listScenarios, loadScenario } = await import('../../sim/scenario.js');
    const names = listScenarios();
    const width = Math.max(...names.map((n) => n.length));
    for (const name of names) process.stdout.write(`${name.padEnd(width)}  ${loadScenario(name).scenario.description ?? ''}\n`);
  },
};

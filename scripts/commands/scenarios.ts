import type { CommandModule } from 'yargs';
import { listScenarios, loadScenario } from '../../sim/scenario.js';

export const scenariosCommand: CommandModule = {
  command: 'scenarios',
  describe: 'List the built-in scenarios (names for generate --scenario)',
  handler: () => {
    const names = listScenarios();
    const width = Math.max(...names.map((n) => n.length));
    for (const name of names) process.stdout.write(`${name.padEnd(width)}  ${loadScenario(name).scenario.description ?? ''}\n`);
  },
};

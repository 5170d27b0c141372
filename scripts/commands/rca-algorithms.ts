import type { CommandModule } from 'yargs';
import { listRcaAlgorithms } from '../../rca/registry.js';

export const rcaAlgorithmsCommand: CommandModule = {
  command: 'rca-algorithms',
  describe: 'List the built-in RCA algorithms',
  handler: () => {
    const all = listRcaAlgorithms();
    const w = Math.max(...all.map((f) => f.name.length));
    for (const f of all) process.stdout.write(`${f.name.padEnd(w)}  ${f.description}\n`);
    process.stdout.write('\nPlugins: a JS module path (./my-rca.js) or a subprocess (cmd:python3 my_rca.py); see README.\n');
  },
};

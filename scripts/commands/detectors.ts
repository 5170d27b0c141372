import type { CommandModule } from 'yargs';
import { listDetectors } from '../../detectors/registry.js';

export const detectorsCommand: CommandModule = {
  command: 'detectors',
  describe: 'List the built-in KPI anomaly detectors',
  handler: () => {
    const detectors = listDetectors();
    const width = Math.max(...detectors.map((d) => d.name.length));
    for (const d of detectors) process.stdout.write(`${d.name.padEnd(width)}  ${d.description}\n`);
    process.stdout.write('plugins: --detector ./my-detector.js | --detector spec.json | --detector "cmd:python3 my_detector.py" (README, Detectors)\n');
  },
};

import type { CommandModule } from 'yargs';
import { generateCommand } from './generate.js';
import { scenariosCommand } from './scenarios.js';
import { runCommand } from './run.js';
import { mergeCommand } from './merge.js';
import { sweepCommand } from './sweep.js';
import { workerCommand } from './worker.js';
import { compareCommand } from './compare.js';
import { detectCommand } from './detect.js';
import { detectorsCommand } from './detectors.js';
import { rcaCommand } from './rca.js';
import { rcaMethodsCommand } from './rca-methods.js';
import { anonymiseCommand } from './anonymise.js';
import { replayCommand } from './replay.js';
import { scoreCommand } from './score.js';
import { fitCommand } from './fit.js';
import { sweepFaultsCommand } from './sweep-faults.js';
import { fidelityCommand } from './fidelity.js';

// One entry per command; each module parses flags and loads the library only when it runs.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  generateCommand,
  scenariosCommand,
  runCommand,
  sweepCommand,
  workerCommand,
  mergeCommand,
  compareCommand,
  detectCommand,
  detectorsCommand,
  scoreCommand,
  rcaCommand,
  rcaMethodsCommand,
  anonymiseCommand,
  replayCommand,
  fitCommand,
  sweepFaultsCommand,
  fidelityCommand,
];

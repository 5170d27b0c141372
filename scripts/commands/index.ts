import type { CommandModule } from 'yargs';
import { generateCommand } from './generate.js';
import { scenariosCommand } from './scenarios.js';
import { runCommand } from './run.js';
import { mergeCommand } from './merge.js';
import { compareCommand } from './compare.js';
import { detectCommand } from './detect.js';
import { detectorsCommand } from './detectors.js';
import { rcaCommand } from './rca.js';
import { rcaAlgorithmsCommand } from './rca-algorithms.js';
import { anonymiseCommand } from './anonymise.js';
import { replayCommand } from './replay.js';
import { scoreCommand } from './score.js';

// One entry per command; each module is a thin wrapper over the library API.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [generateCommand, scenariosCommand, runCommand, mergeCommand, compareCommand, detectCommand, detectorsCommand, rcaCommand, rcaAlgorithmsCommand, anonymiseCommand, replayCommand, scoreCommand];

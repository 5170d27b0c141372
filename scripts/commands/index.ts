import type { CommandModule } from 'yargs';
import { generateCommand } from './generate.js';

// One entry per command; each module is a thin wrapper over the library API.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [generateCommand];

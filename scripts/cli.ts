#!/usr/bin/env node
/**
 * `faultline`: a thin yargs layer over the library API. Each command lives in scripts/commands/
 * and only parses flags, calls the library, prints and sets the exit code (see README, Exit codes).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';
import { UsageError } from './commands/errors.js';

const cli = yargs(hideBin(process.argv))
  .scriptName('faultline')
  .strict()
  .demandCommand(1, 'Name a command: faultline <command> --help')
  .recommendCommands()
  .help()
  .alias('h', 'help')
  .version()
  .wrap(Math.min(110, process.stdout.columns || 100))
  .fail((msg, err) => {
    if (err && !(err instanceof UsageError)) throw err;
    process.stderr.write(`faultline: ${err?.message ?? msg}\n(run with --help for usage)\n`);
    process.exit(2);
  });
for (const command of commands) cli.command(command);

try {
  await cli.parseAsync();
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`faultline: ${message}\n`);
  process.exitCode = 2;
}

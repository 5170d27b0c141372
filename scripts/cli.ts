#!/usr/bin/env node
/**
 * `faultline`: a thin yargs layer over the library API. Each command lives in scripts/commands/,
 * parses its flags, loads the library only when it runs, prints, and sets the exit code:
 * 0 done, 1 a gate failed, 2 usage or input error, 3 internal error (common/errors.ts).
 */
import { hideBin } from 'yargs/helpers';
import { cliParser, reportError, runCli } from './cli-run.js';

const argv = hideBin(process.argv);

// `faultline ... | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

if (argv.length === 0) {
  // A bare `faultline` lists the commands.
  cliParser(argv).showHelp('log');
} else {
  process.on('unhandledRejection', (err) => process.exit(reportError(err, argv.includes('--debug'))));
  const code = await runCli(argv);
  // An error ends the process at once (a plugin's pipes may still be open); success lets stdout drain.
  if (code >= 2) process.exit(code);
  process.exitCode = code;
}

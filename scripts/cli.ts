#!/usr/bin/env node
/**
 * `faultline`: a thin yargs layer over the library API. Each command lives in scripts/commands/,
 * parses its flags, loads the library only when it runs, prints, and sets the exit code:
 * 0 done, 1 a gate failed, 2 usage or input error, 3 internal error (common/errors.ts).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';
import { COMMAND_FLAGS } from './commands/options.js';
import { currentActivity, EXIT, isInternalError } from '../common/errors.js';
import { nearest } from '../common/plugin.js';

const argv = hideBin(process.argv);
const debug = argv.includes('--debug');

// `faultline ... | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

function report(err: unknown): never {
  if (isInternalError(err)) {
    const e = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(`faultline: internal error while ${currentActivity()}: ${e.name}: ${e.message}\n`);
    process.stderr.write(debug ? `${e.stack}\n` : '(a bug in faultline: run again with --debug for the stack trace, and report it)\n');
    process.exit(EXIT.internal);
  }
  process.stderr.write(`faultline: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(EXIT.usage);
}

/** Suggests the closest flag of the command for each unknown one yargs names. */
function withSuggestions(message: string): string {
  const m = /^Unknown arguments?: (.+)$/.exec(message);
  const known = COMMAND_FLAGS.get(argv[0] ?? '');
  if (!m || !known) return message;
  const hints = m[1]!.split(', ').map((flag) => {
    const near = nearest(flag, [...known.keys()]);
    return near ? `--${flag} (did you mean --${known.get(near)}?)` : `--${flag}`;
  });
  return `unknown flag${hints.length > 1 ? 's' : ''} ${hints.join(', ')}`;
}

const cli = yargs(argv)
  .scriptName('faultline')
  .strict()
  .demandCommand(1, 'name a command (faultline --help lists them)')
  .recommendCommands()
  .option('debug', { type: 'boolean', describe: 'print the stack trace of an internal error', global: true })
  .help()
  .alias('h', 'help')
  .version()
  .wrap(Math.min(110, process.stdout.columns || 100))
  .fail((msg, err) => {
    if (err) report(err);
    process.stderr.write(`faultline: ${withSuggestions(msg)}\n(run faultline ${argv[0] && !argv[0].startsWith('-') ? `${argv[0]} ` : ''}--help for usage)\n`);
    process.exit(EXIT.usage);
  });
for (const command of commands) cli.command(command);

if (argv.length === 0) {
  // A bare `faultline` lists the commands.
  cli.showHelp('log');
} else {
  process.on('unhandledRejection', report);
  try {
    await cli.parseAsync();
  } catch (err) {
    report(err);
  }
}

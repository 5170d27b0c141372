/**
 * The CLI as a function: parse `argv`, run the command, and map any error to its exit code and its
 * one message on stderr (common/errors.ts). scripts/cli.ts is the process around it; the input
 * fuzz suite calls it in-process for most cases, so that both go through the same commands, flag
 * parsing and error reporting.
 */
import yargs from 'yargs';
import { commands } from './commands/index.js';
import { COMMAND_FLAGS } from './commands/options.js';
import { currentActivity, doing, EXIT, isInternalError, UsageError } from '../common/errors.js';
import { nearest } from '../common/plugin.js';

/** Writes an error's message to stderr and returns its exit code: 2 for the user's, 3 for ours. */
export function reportError(err: unknown, debug: boolean): number {
  if (isInternalError(err)) {
    const e = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(`faultline: internal error while ${currentActivity()}: ${e.name}: ${e.message}\n`);
    process.stderr.write(debug ? `${e.stack}\n` : '(a bug in faultline: run again with --debug for the stack trace, and report it)\n');
    return EXIT.internal;
  }
  process.stderr.write(`faultline: ${err instanceof Error ? err.message : String(err)}\n`);
  return EXIT.usage;
}

/** Suggests the closest flag of the command for each unknown one yargs names. */
function withSuggestions(argv: string[], message: string): string {
  const m = /^Unknown arguments?: (.+)$/.exec(message);
  const known = COMMAND_FLAGS.get(argv[0] ?? '');
  if (!m || !known) return message;
  const named = m[1]!.split(', ');
  // yargs lists an unknown --foo-bar twice, as foo-bar and fooBar: the user typed only the first.
  const camel = new Set(named.filter((f) => f.includes('-')).map((f) => f.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())));
  const hints = named.filter((f) => !camel.has(f)).map((flag) => {
    const near = nearest(flag, [...known.keys()]);
    return near ? `--${flag} (did you mean --${known.get(near)}?)` : `--${flag}`;
  });
  return `unknown flag${hints.length > 1 ? 's' : ''} ${hints.join(', ')}`;
}

/**
 * `--flag -15m` as `--flag=-15m`: yargs takes a value that starts with a dash for short flags
 * (`-1 -5 -m`) unless it is a plain number, and no flag of ours starts with a digit.
 */
function negativeValuesAttached(argv: string[]): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    const prev = out[out.length - 1];
    if (/^-\d/.test(arg) && prev !== undefined && /^--[^=]+$/.test(prev)) out[out.length - 1] = `${prev}=${arg}`;
    else out.push(arg);
  }
  return out;
}

export function cliParser(argv: string[]) {
  const cli = yargs(negativeValuesAttached(argv))
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
      if (err) throw err;
      throw new UsageError(`${withSuggestions(argv, msg)}\n(run faultline ${argv[0] && !argv[0].startsWith('-') ? `${argv[0]} ` : ''}--help for usage)`);
    });
  for (const command of commands) cli.command(command);
  return cli;
}

/**
 * Runs one command line and returns its exit code: the code the command set (1 when a gate
 * failed), else 0; on an error, 2 or 3 after its message.
 */
export async function runCli(argv: string[]): Promise<number> {
  doing('starting');
  try {
    await cliParser(argv).parseAsync();
    return Number(process.exitCode ?? EXIT.ok);
  } catch (err) {
    return reportError(err, argv.includes('--debug'));
  }
}

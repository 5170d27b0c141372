import fs from 'node:fs';
import type { CommandModule } from 'yargs';
import { OPERATION_MODES, type OperationMode } from '../../anonymise/pseudonymise.js';
import { parseBadRowPolicy, skippedRowsMessage } from '../../common/bad-rows.js';
import { EXIT, UsageError } from '../../common/errors.js';
import { MESSAGE_FORMATS, type MessageFormat } from '../../sim/formats.js';
import type { NumericTimeUnit } from '../../common/instant.js';
import { columnMapping, given, withFlags, withOption } from './options.js';

interface AnonymiseArgs {
  out?: string;
  force: boolean;
  'key-file'?: string;
  'new-key'?: string;
  audit?: string;
  originals?: string;
  messages?: string[];
  'message-columns'?: string;
  'message-format'?: string;
  'time-unit'?: string;
  spans?: string[];
  baseline?: string[];
  columns?: string;
  'metric-columns'?: string;
  'log-columns'?: string;
  'service-from-instance'?: string;
  series?: string[];
  logs?: string[];
  'baseline-logs'?: string[];
  metrics?: string[];
  incidents?: string;
  names?: string;
  operations: string;
  'error-operation'?: string;
  'time-shift': string;
  'on-bad-row': string;
}

const KEY_HINT = 'faultline anonymise --new-key key';
const COMMAND = 'anonymise';

/** `--audit`: the re-identification attack on an output; exit 1 when any service is recovered or any name fragment exposed. */
async function audit(argv: AnonymiseArgs): Promise<void> {
  if (!argv.originals) throw new UsageError('--audit needs --originals <file>: the original service names, one per line');
  if (!argv['key-file']) throw new UsageError('--audit needs the --key-file the output was made with (to know which pseudonym is which service)');
  if (!fs.existsSync(argv.originals)) throw new UsageError(`--originals ${argv.originals}: no such file`);
  const { AnonymisationKey } = await import('../../anonymise/key.js');
  const { Pseudonymiser } = await import('../../anonymise/pseudonymise.js');
  const { reidentify } = await import('../../anonymise/reidentify.js');
  const originals = fs.readFileSync(argv.originals, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  const p = new Pseudonymiser(await AnonymisationKey.fromFile(argv['key-file']));
  const result = await reidentify({ dir: argv.audit!, originals, pseudonymOf: (s) => p.map('service', s) });
  for (const r of result.recovered) process.stdout.write(`recovered ${r.original} (${r.pseudonym}) from ${r.fragments.join(', ')}\n`);
  for (const e of result.exposed) process.stdout.write(`exposed '${e.fragment}' in ${e.file}: ${e.tokens.join(', ')}\n`);
  process.stdout.write(`${result.recovered.length} of ${result.services} services recovered; ${result.exposed.length} name fragments exposed (${result.files} files)\n`);
  if (result.recovered.length || result.exposed.length) process.exitCode = EXIT.gateFailed;
}

export const anonymiseCommand: CommandModule<object, AnonymiseArgs> = {
  command: COMMAND,
  describe: 'Replace every identifier in real incident data by a keyed pseudonym, in faultline formats; or make a key, or audit an output',
  builder: (y) => {
    let b = withFlags(y, COMMAND, ['spans', 'baseline', 'series', 'logs', 'baseline-logs', 'metrics', 'incidents', 'columns', 'metric-columns', 'log-columns', 'service-from-instance', 'on-bad-row', 'out', 'force']);
    const own = (name: string, flag: Parameters<typeof withOption>[3]) => (b = withOption(b, COMMAND, name, flag));
    own('key-file', { type: 'string', group: 'Key:', describe: `file holding the secret key (at least 32 random bytes; make one with ${KEY_HINT}). Required` });
    own('new-key', { type: 'string', group: 'Key:', describe: 'write a fresh random key to this file (mode 0600; never replaces a file) and stop' });
    own('audit', { type: 'string', group: 'Audit:', describe: 'attack an anonymise output instead: try to recover each service name from it (with --originals and --key-file)' });
    own('originals', { type: 'string', group: 'Audit:', describe: 'with --audit: the original service names, one per line' });
    own('messages', { type: 'string', array: true, group: 'Inputs:', describe: 'message logs: .arrow, .parquet, .csv[.gz], .jsonl[.gz]' });
    own('message-columns', { type: 'string', group: 'Inputs:', describe: 'message column mapping ours=theirs,... (e.g. bizSeqNo=seq_no,sendTime=ts)' });
    own('message-format', { type: 'string', group: 'Inputs:', choices: MESSAGE_FORMATS as unknown as string[], describe: 'message format when the file name does not tell it' });
    own('time-unit', { type: 'string', group: 'Inputs:', choices: ['s', 'ms', 'us', 'ns'], describe: 'unit of numeric message times (default ms; ISO 8601 always accepted)' });
    own('names', { type: 'string', group: 'Anonymisation:', describe: "more sensitive names, one per line (the bank's, products', partners'): pseudonymised wherever they appear" });
    own('operations', { type: 'string', group: 'Anonymisation:', choices: OPERATION_MODES as unknown as string[], default: 'pseudonymise', describe: 'operation names: one keyed pseudonym each, or keep-shape (route and method words kept, every other segment pseudonymised)' });
    own('error-operation', { type: 'string', group: 'Anonymisation:', describe: "regex of operations whose span marks its parent failed where spans carry no status (default: Spring's BasicErrorController.error and /error, as RCA); written out as statuses before names are pseudonymised" });
    own('time-shift', { type: 'string', group: 'Anonymisation:', default: 'keyed', describe: 'keyed (a secret whole number of weeks from the key), none, or a signed duration such as --time-shift=-28d; never written to the output' });
    return b as never;
  },
  handler: async (argv) => {
    if (argv['new-key']) {
      const { writeNewKey } = await import('../../anonymise/key.js');
      writeNewKey(argv['new-key']);
      process.stdout.write(`${argv['new-key']}: new key (32 random bytes, readable by you only); keep it inside the bank\n`);
      return;
    }
    if (argv.audit) return audit(argv);
    if (!argv.out) throw new UsageError('--out <folder> is required');
    if (!argv['key-file']) throw new UsageError(`refusing to anonymise without a key: pass --key-file <file> (make one with ${KEY_HINT})`);
    const { anonymise, ANONYMISE_REPORT } = await import('../../anonymise/anonymise.js');
    const { report, out, badRowExamples } = await anonymise({
      out: argv.out,
      force: argv.force,
      keyFile: argv['key-file'],
      onBadRow: parseBadRowPolicy(argv['on-bad-row']),
      operations: argv.operations as OperationMode,
      timeShift: argv['time-shift'],
      ...given({
        messages: argv.messages,
        messageColumns: columnMapping('--message-columns', argv['message-columns']),
        messageFormat: argv['message-format'] as MessageFormat | undefined,
        messageTimeUnit: argv['time-unit'] as NumericTimeUnit | undefined,
        spans: argv.spans,
        baseline: argv.baseline,
        columns: columnMapping('--columns', argv.columns),
        metricColumns: columnMapping('--metric-columns', argv['metric-columns']),
        logColumns: columnMapping('--log-columns', argv['log-columns']),
        serviceFromInstance: argv['service-from-instance'],
        kpis: argv.series,
        logs: argv.logs,
        baselineLogs: argv['baseline-logs'],
        metrics: argv.metrics,
        incidents: argv.incidents,
        names: argv.names,
        errorOperation: argv['error-operation'],
      }),
    });
    for (const [file, { rows, files }] of Object.entries(report.outputs)) process.stdout.write(`${out}/${file}: ${rows} rows${files !== undefined ? ` in ${files} files` : ''}\n`);
    process.stderr.write(skippedRowsMessage(report.badRows.skipped, badRowExamples));
    process.stdout.write(`times ${report.times}; what changed and what was kept: ${out}/${ANONYMISE_REPORT} (key fingerprint ${report.keyFingerprint})\n`);
  },
};

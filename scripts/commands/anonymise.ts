import type { CommandModule } from 'yargs';
import { parseBadRowPolicy } from '../../common/bad-rows.js';
import { MESSAGE_FORMATS, type MessageFormat } from '../../sim/formats.js';
import type { NumericTimeUnit } from '../../common/instant.js';
import { UsageError } from '../../common/errors.js';
import { columnMapping as columnMappingArg } from './options.js';

interface AnonymiseArgs {
  out: string;
  'key-file'?: string;
  messages?: string[];
  'message-columns'?: string;
  'message-format'?: string;
  'time-unit'?: string;
  spans?: string[];
  baseline?: string[];
  columns?: string;
  'service-from-instance'?: string;
  kpis?: string[];
  incidents?: string;
  'time-shift'?: string;
  'on-bad-row'?: string;
}

export const anonymiseCommand: CommandModule<object, AnonymiseArgs> = {
  command: 'anonymise',
  describe: 'Replace every identifier in real incident data by a keyed pseudonym (HMAC-SHA256), in faultline formats',
  builder: (y) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'output folder (spans/, baseline/, messages.arrow, kpis/, incidents.json, anonymise-report.json)' })
      .option('key-file', { type: 'string', describe: 'file holding the secret key (at least 32 bytes; e.g. openssl rand -hex 32 > key). Required' })
      .option('messages', { type: 'string', array: true, describe: 'message logs: .arrow, .parquet, .csv[.gz], .jsonl[.gz]' })
      .option('message-columns', { type: 'string', describe: 'message column mapping ours=theirs,... (e.g. bizSeqNo=seq_no,sendTime=ts)' })
      .option('message-format', { type: 'string', choices: MESSAGE_FORMATS as unknown as string[], describe: 'message format when the file name does not tell it' })
      .option('time-unit', { type: 'string', choices: ['s', 'ms', 'us', 'ns'], describe: 'unit of numeric message times (default ms; ISO 8601 always accepted)' })
      .option('spans', { type: 'string', array: true, describe: 'span files or folders: span CSV (.csv, .csv.gz), Jaeger or OTLP JSON (.json, .jsonl)' })
      .option('baseline', { type: 'string', array: true, describe: 'fault-free spans, same formats (written to baseline/)' })
      .option('columns', { type: 'string', describe: 'span CSV column mapping ours=theirs,... as for faultline rca --spans' })
      .option('service-from-instance', { type: 'string', describe: 'regex whose first group is the service, applied to instance names' })
      .option('kpis', { type: 'string', array: true, describe: 'KPI series: long CSV (series,timestamp,value[,label]), a folder of per-series CSVs, a NAB folder, kpis.arrow' })
      .option('incidents', { type: 'string', describe: 'incidents: JSON (as faultline rca reads) or CSV (id,start[,end],rootCause[,rootCauseInstance][,type])' })
      .option('time-shift', { type: 'string', describe: 'add this signed duration to every time, e.g. --time-shift=-30d (write a negative shift with =) or +2h' })
      .option('on-bad-row', { type: 'string', choices: ['reject', 'skip'], default: 'reject', describe: 'a malformed row stops the run (reject) or is skipped and counted (skip)' }),
  handler: async (argv) => {
    if (!argv['key-file']) throw new UsageError('refusing to anonymise without a key: pass --key-file <file> (e.g. openssl rand -hex 32 > key)');
    const { anonymise, ANONYMISE_REPORT } = await import('../../anonymise/anonymise.js');
    const messageColumns = columnMappingArg('--message-columns', argv['message-columns']);
    const columns = columnMappingArg('--columns', argv.columns);
    const { report, out, badRowExamples } = await anonymise({
      out: argv.out,
      keyFile: argv['key-file'],
      onBadRow: parseBadRowPolicy(argv['on-bad-row']),
      ...(argv.messages ? { messages: argv.messages } : {}),
      ...(messageColumns ? { messageColumns } : {}),
      ...(argv['message-format'] ? { messageFormat: argv['message-format'] as MessageFormat } : {}),
      ...(argv['time-unit'] ? { messageTimeUnit: argv['time-unit'] as NumericTimeUnit } : {}),
      ...(argv.spans ? { spans: argv.spans } : {}),
      ...(argv.baseline ? { baseline: argv.baseline } : {}),
      ...(columns ? { columns } : {}),
      ...(argv['service-from-instance'] ? { serviceFromInstance: argv['service-from-instance'] } : {}),
      ...(argv.kpis ? { kpis: argv.kpis } : {}),
      ...(argv.incidents ? { incidents: argv.incidents } : {}),
      ...(argv['time-shift'] ? { timeShift: argv['time-shift'] } : {}),
    });
    for (const [file, { rows }] of Object.entries(report.outputs)) process.stdout.write(`${out}/${file}: ${rows} rows\n`);
    if (report.badRows.skipped) {
      process.stderr.write(`skipped ${report.badRows.skipped} malformed rows, e.g.:\n${badRowExamples.map((e) => `  ${e}\n`).join('')}`);
    }
    process.stdout.write(`what changed: ${out}/${ANONYMISE_REPORT} (key fingerprint ${report.keyFingerprint})\n`);
  },
};

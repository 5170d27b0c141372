/**
 * `faultline anonymise`: real incident data in, the same data with every identifier replaced by a
 * keyed pseudonym out, in faultline's own formats (spans/, baseline/, messages.arrow, kpis/,
 * incidents.json) plus anonymise-report.json, which counts what changed and holds no originals.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MessageLogWriter } from '../sim/message-writer.js';
import { writeFileAtomic } from '../common/atomic-file.js';
import { checkOutputDir, publishDir } from '../common/output-dir.js';
import { anonymiseIncidents, anonymiseMessageBatch, anonymiseSeries, anonymiseSpans } from './tables.js';
import { BadRows, type BadRowPolicy } from '../common/bad-rows.js';
import { writeIncidentsJson } from '../data/incidents-io.js';
import { loadIncidents, loadKpiSeries, loadSpans, type SpanSourceOptions } from '../data/inputs.js';
import { parseSignedDuration, type NumericTimeUnit } from '../common/instant.js';
import { writeSeriesDir } from '../data/kpi-csv.js';
import { importMessages, type MessageFormat } from '../data/message-import.js';
import { Pseudonymiser } from './pseudonymise.js';
import { writeSpanCsv } from '../data/span-csv-writer.js';

export interface AnonymiseOptions {
  out: string;
  keyFile: string;
  /** Message logs: messages.arrow, Arrow IPC, Parquet, CSV or JSON lines files. */
  messages?: string[];
  messageColumns?: Record<string, string>;
  messageFormat?: MessageFormat;
  /** Unit of numeric message times (default ms). */
  messageTimeUnit?: NumericTimeUnit;
  /** Span files or folders (span CSV, Jaeger or OTLP JSON). */
  spans?: string[];
  /** Fault-free spans, the same formats: written to baseline/. */
  baseline?: string[];
  /** Span CSV column mapping and service derivation, as `faultline rca --spans` takes them. */
  columns?: Record<string, string>;
  serviceFromInstance?: string;
  /** KPI long CSVs, per-series CSV folders, NAB-layout folders or kpis.arrow files. */
  kpis?: string[];
  /** Incidents JSON (rca's format), CSV or a Nezha fault_list.json. */
  incidents?: string;
  /** e.g. `-30d`: added to every time. */
  timeShift?: string;
  onBadRow?: BadRowPolicy;
}

export const ANONYMISE_REPORT = 'anonymise-report.json';

export interface AnonymiseReport {
  tool: 'faultline anonymise';
  /** A fingerprint of the key (not the key): equal fingerprints mean pseudonyms line up across outputs. */
  keyFingerprint: string;
  timeShiftMs: number;
  outputs: Record<string, { rows: number }>;
  /** Values replaced per field (for free text: distinct texts that changed). */
  replaced: Record<string, number>;
  /** Distinct originals pseudonymised, per kind of name. */
  distinct: Record<string, number>;
  /** Input columns with no place in faultline's formats (message bodies among them): not copied. */
  droppedColumns: string[];
  badRows: { policy: BadRowPolicy; skipped: number };
}

/** Where anonymise writes (common/output-dir.ts): never over an input or the key. */
function outputOptions(opts: AnonymiseOptions) {
  return { command: 'anonymise', inputs: [...(opts.messages ?? []), ...(opts.spans ?? []), ...(opts.baseline ?? []), ...(opts.kpis ?? []), opts.incidents, opts.keyFile] };
}

export async function anonymise(opts: AnonymiseOptions): Promise<{ report: AnonymiseReport; out: string; badRowExamples: string[] }> {
  // The key is checked before any input is read: without it nothing may be written.
  const p = await Pseudonymiser.fromKeyFile(opts.keyFile);
  if (!opts.messages?.length && !opts.spans?.length && !opts.kpis?.length && !opts.incidents) {
    throw new Error('nothing to anonymise: give --messages, --spans, --kpis and/or --incidents');
  }
  const output = outputOptions(opts);
  checkOutputDir(opts.out, output);
  const shiftMs = opts.timeShift ? parseSignedDuration(opts.timeShift) : 0;
  const badRows = new BadRows(opts.onBadRow ?? 'reject');
  const spanOpts: SpanSourceOptions = { badRows, ...(opts.columns ? { columns: opts.columns } : {}), ...(opts.serviceFromInstance ? { serviceFromInstance: opts.serviceFromInstance } : {}) };
  const outputs: Record<string, { rows: number }> = {};
  const dropped = new Set<string>();

  const report = await publishDir(opts.out, async (tmp) => {
    // Names from spans first: they are the services and instances free text gets scrubbed of.
    for (const [key, paths] of [['spans', opts.spans], ['baseline', opts.baseline]] as const) {
      if (!paths?.length) continue;
      const table = anonymiseSpans(await loadSpans(paths, spanOpts), p, shiftMs, key);
      fs.mkdirSync(path.join(tmp, key));
      writeSpanCsv(table, path.join(tmp, key, 'spans.csv'));
      outputs[`${key}/spans.csv`] = { rows: table.length };
    }
    if (opts.messages?.length) {
      const writer = await MessageLogWriter.open(path.join(tmp, 'messages.arrow'));
      try {
        for (const file of opts.messages) {
          const result = await importMessages(file, (batch) => writer.append(anonymiseMessageBatch(batch, p, shiftMs)), {
            badRows,
            ...(opts.messageColumns ? { columns: opts.messageColumns } : {}),
            ...(opts.messageFormat ? { format: opts.messageFormat } : {}),
            ...(opts.messageTimeUnit ? { timeUnit: opts.messageTimeUnit } : {}),
          });
          for (const c of result.droppedColumns) dropped.add(c);
        }
      } finally {
        await writer.close();
      }
      outputs['messages.arrow'] = { rows: writer.rows };
    }
    if (opts.kpis?.length) {
      const series = anonymiseSeries((await loadKpiSeries(opts.kpis, badRows)).series, p, shiftMs);
      await writeSeriesDir(path.join(tmp, 'kpis'), series);
      outputs['kpis/'] = { rows: series.reduce((s, x) => s + x.timestamps.length, 0) };
    }
    if (opts.incidents) {
      const incidents = anonymiseIncidents(await loadIncidents(opts.incidents, badRows, opts.serviceFromInstance), p, shiftMs);
      writeIncidentsJson(path.join(tmp, 'incidents.json'), incidents);
      outputs['incidents.json'] = { rows: incidents.length };
    }
    const droppedColumns = [...dropped].map((c) => p.scrubText(c, 'droppedColumns')).sort();
    const { fields, distinct } = p.report();
    const report: AnonymiseReport = {
      tool: 'faultline anonymise',
      keyFingerprint: p.keyFingerprint(),
      timeShiftMs: shiftMs,
      outputs,
      replaced: fields,
      distinct,
      // Column names are scrubbed like free text: a header can embed a host or service name.
      droppedColumns,
      badRows: { policy: badRows.policy, skipped: badRows.skipped },
    };
    writeFileAtomic(path.join(tmp, ANONYMISE_REPORT), `${JSON.stringify(report, null, 2)}\n`);
    return report;
  }, output);
  // Skipped-row examples quote the input: they go to the caller (stderr), never into the output.
  return { report, out: opts.out, badRowExamples: badRows.examples };
}

/**
 * Conversion and anonymisation throughput on one core: Arrow -> Parquet conversion; pseudonymising
 * message batches and span tables; writing span CSV; anonymising application log lines (a log CSV
 * written from the messages, one line per message with ids, an account number and an address in
 * the text). Input: a generated scenario's messages (and the spans built from them). Reading every
 * input format is measured in ingest.ts.
 *
 *   npm run build && node dist/scripts/bench/replay.js [--duration 1h]
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Bench } from 'tinybench';
import { generate } from '../../sim/generate.js';
import type { MessageBatch } from '../../sim/formats.js';
import { scanMessages } from '../../sim/read.js';
import { buildSpans } from '../../trees/index.js';
import { anonymiseMessageBatch, anonymiseSpans } from '../../anonymise/tables.js';
import { arrowFileToParquet } from '../../data/parquet.js';
import { Pseudonymiser } from '../../anonymise/pseudonymise.js';
import { AnonymisationKey } from '../../anonymise/key.js';
import { KeyedCsvSinks } from '../../anonymise/sinks.js';
import { anonymiseLogFile, learnLogNames } from '../../anonymise/telemetry.js';
import { BadRows } from '../../common/bad-rows.js';
import { writeSpanCsv } from '../../data/span-csv-writer.js';
import { ServiceFromInstance } from '../../data/telemetry-layouts.js';
import { csvField } from '../../common/text-lines.js';

const durationArg = process.argv.indexOf('--duration');
const duration = durationArg > 0 ? process.argv[durationArg + 1] : '1h';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-bench-replay-'));

/** One faultline-layout log line per message, its text carrying the identifiers a real log line does. */
function writeLogCsv(batches: MessageBatch[], file: string): void {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'time,service,instance,trace_id,span_id,level,message\n');
  let n = 0;
  for (const b of batches) {
    const lines: string[] = [];
    for (let i = 0; i < b.length; i++, n++) {
      const v = (c: 'senderService' | 'senderInstance' | 'txType' | 'logPoint' | 'receiverIp' | 'retCode') => b[c].values[b[c].codes[i]];
      const text = `${v('txType')} ${v('logPoint')} for acct ${6222020000000000 + (n % 997)} via ${v('receiverIp')} took ${n % 500} ms ret ${v('retCode') || 'none'}`;
      lines.push([new Date(b.sendTime[i]).toISOString(), v('senderService'), v('senderInstance'), b.bizSeqNo[i], b.uniqueId[i], n % 50 ? 'INFO' : 'ERROR', csvField(text)].join(','));
    }
    fs.writeSync(fd, `${lines.join('\n')}\n`);
  }
  fs.closeSync(fd);
}

try {
  await generate({ scenario: 'faults/database-slow', seed: 1, out: dir, duration });
  const arrowFile = path.join(dir, 'messages.arrow');
  const batches: MessageBatch[] = [];
  await scanMessages(arrowFile, (b) => void batches.push(b));
  const messages = batches.reduce((s, b) => s + b.length, 0);
  const parquetFile = path.join(dir, 'messages.parquet');
  await arrowFileToParquet(arrowFile, parquetFile);
  const spans = await buildSpans(arrowFile);
  // A fresh pseudonymiser per run, so no run profits from the previous run's id cache.
  const key = await AnonymisationKey.fromBytes(createHash('sha256').update('faultline bench key').digest());

  const bench = new Bench({ iterations: 3, warmupIterations: 1, time: 0 });
  const rowsOf: Record<string, number> = {};
  const add = (name: string, rows: number, fn: () => unknown) => {
    rowsOf[name] = rows;
    bench.add(name, fn as () => Promise<void>);
  };
  add('messages.arrow -> Parquet', messages, () => arrowFileToParquet(arrowFile, path.join(dir, 'out.parquet')));
  add('pseudonymise message batches', messages, () => {
    const p = new Pseudonymiser(key);
    for (const b of batches) anonymiseMessageBatch(b, p, 0);
  });
  add('pseudonymise spans', spans.length, () => anonymiseSpans(spans, new Pseudonymiser(key), 0, 'spans', 'pseudonymise'));
  add('write span CSV', spans.length, () => writeSpanCsv(spans, path.join(dir, 'spans.csv')));
  const logFile = path.join(dir, 'logs.csv');
  writeLogCsv(batches, logFile);
  let logRun = 0;
  add('anonymise log lines (learn names, scrub, gzip per instance)', messages, async () => {
    const out = path.join(dir, `logs-${logRun++}`);
    fs.mkdirSync(out);
    const ctx = { p: new Pseudonymiser(key), shiftMs: 0, badRows: new BadRows(), services: new ServiceFromInstance(undefined) };
    await learnLogNames(logFile, ctx);
    const sinks = new KeyedCsvSinks(out);
    await anonymiseLogFile(logFile, sinks, ctx);
    await sinks.close();
    fs.rmSync(out, { recursive: true });
  });
  await bench.run();

  const rows: Record<string, string>[] = [];
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed') {
      rows.push({ task: task.name, state: r.state });
      continue;
    }
    const ms = r.latency.mean;
    rows.push({ task: task.name, rows: String(rowsOf[task.name]), 'mean ms': ms.toFixed(0), 'rows/s': `${((rowsOf[task.name] / ms) * 1000 / 1e6).toFixed(2)} M`, samples: String(r.latency.samplesCount) });
  }
  console.table(rows);
  console.log(`${messages} messages (${(fs.statSync(parquetFile).size / 2 ** 20).toFixed(0)} MB as Parquet, ${(fs.statSync(arrowFile).size / 2 ** 20).toFixed(0)} MB as Arrow), ${spans.length} spans`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

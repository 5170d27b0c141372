/**
 * Reading telemetry, each reader in its own Node process (so that its peak RSS is its own), beside
 * DuckDB reading the same file into a table with one thread in the same run; faultline's time and
 * peak memory are reported as ratios to DuckDB's. Inputs: the shared Nezha Train-Ticket day (spans
 * as CSV.gz, and converted to OTLP, Jaeger and Zipkin JSON), that day replicated 6 and 10 times with
 * shifted times and ids (made here, not kept), a generated scenario's message log (CSV, JSON lines,
 * Parquet, Arrow), the day's per-pod metric and log CSV.gz, a 5-million-point long KPI CSV and a 10-million-point series CSV (with and
 * without every row repeated). Also: the whole replay of the Nezha day with one algorithm, and
 * the memory each kept span costs.
 *
 *   npm run build && node dist/scripts/bench/ingest.js [task ...]
 *
 * The Nezha tasks need the shared data (FAULTLINE_SHARED_DATA, default ../shared/data beside the
 * clone) and are skipped, saying so, without it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip, createGzip, constants as zlibConstants } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { readSpans } from '../../data/span-csv.js';
import { readTraceJson } from '../../data/trace-json.js';
import { importMessages } from '../../data/message-import.js';
import { arrowFileToParquet } from '../../data/parquet.js';
import { readLongKpiCsv } from '../../data/kpi-csv.js';
import { readSeriesCsv } from '../../data/series-csv.js';
import { readMetrics } from '../../data/metric-csv.js';
import { readLogs } from '../../data/log-csv.js';
import { BadRows } from '../../common/bad-rows.js';
import { emptySpanReadStats } from '../../data/span-assembly.js';
import { msToNsString } from '../../data/span-csv-writer.js';
import { readNezhaFaultList } from '../../data/incidents.js';
import type { SpanTable } from '../../data/types.js';
import type { MessageBatch } from '../../sim/formats.js';

const SHARED = process.env.FAULTLINE_SHARED_DATA ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/data');
const NEZHA = path.join(SHARED, 'nezha-tt-2023-01-29');
const NEZHA_COLUMNS = { trace_id: 'TraceID', span_id: 'SpanID', parent_id: 'ParentID', instance: 'PodName', operation: 'OperationName', start_ns: 'StartTimeUnixNano', end_ns: 'EndTimeUnixNano' };
const NEZHA_POD = '^(.*?)-[0-9a-f]{8,10}-[0-9a-z]{5}$';
const NEZHA_DUCKDB_COLUMNS = "{'TraceID': 'VARCHAR', 'SpanID': 'VARCHAR', 'ParentID': 'VARCHAR', 'PodName': 'VARCHAR', 'OperationName': 'VARCHAR', 'StartTimeUnixNano': 'BIGINT', 'EndTimeUnixNano': 'BIGINT', 'Duration': 'BIGINT'}";
const NEZHA_LOG_DUCKDB_COLUMNS = "{'Timestamp': 'TIMESTAMP', 'TimeUnixNano': 'VARCHAR', 'Node': 'VARCHAR', 'PodName': 'VARCHAR', 'Container': 'VARCHAR', 'TraceID': 'VARCHAR', 'SpanID': 'VARCHAR', 'Log': 'VARCHAR'}";
const DAY_MS = 86_400_000;
const MESSAGES_DURATION = '2h';
const KPI_POINTS = 5_000_000;
const SERIES_POINTS = 10_000_000;

interface Inputs {
  dir: string;
  nezha: boolean;
}
const at = (inputs: Inputs, name: string) => path.join(inputs.dir, name);
const csvGzFiles = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.csv.gz')).sort().map((f) => path.join(dir, f));

interface TaskResult {
  rows: number;
  extra?: Record<string, string | number>;
}

/** DuckDB with one thread, in memory; `sql` creates the table whose rows are counted. */
async function duckdb(sql: string): Promise<TaskResult & Timed> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run('SET threads = 1');
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await c.run(`CREATE TABLE t AS ${sql}`);
  const cpu = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  const rows = Number((await c.runAndReadAll('SELECT count(*) FROM t')).getRows()[0][0]);
  return { rows, ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Wall and CPU (user + system, every thread of the process) time of the measured work. */
interface Timed {
  ms: number;
  cpuMs: number;
}

const quote = (files: string[]) => `[${files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ')}]`;

const nezhaSpans = (dir: string) => readSpans(dir, { columns: NEZHA_COLUMNS, serviceFromInstance: NEZHA_POD });

/** The tasks, each run in a child process; a DuckDB task names the faultline task it is the peer of. */
const TASKS: Record<string, { nezha?: boolean; peerOf?: string; runs: number; run: (inputs: Inputs) => Promise<TaskResult | (TaskResult & Timed)> }> = {
  'spans CSV.gz (Nezha day)': { nezha: true, runs: 3, run: async () => ({ rows: (await nezhaSpans(path.join(NEZHA, 'trace'))).length }) },
  'duckdb spans CSV.gz (Nezha day)': {
    nezha: true,
    peerOf: 'spans CSV.gz (Nezha day)',
    runs: 3,
    run: () => duckdb(`SELECT * FROM read_csv(${quote(csvGzFiles(path.join(NEZHA, 'trace')))}, header = true, auto_detect = false, columns = ${NEZHA_DUCKDB_COLUMNS})`),
  },
  'spans OTLP JSON (Nezha day)': { nezha: true, runs: 3, run: async (i) => ({ rows: (await readTraceJson([at(i, 'spans.otlp.json')])).length }) },
  'spans Jaeger JSON (Nezha day)': { nezha: true, runs: 3, run: async (i) => ({ rows: (await readTraceJson([at(i, 'spans.jaeger.json')])).length }) },
  'spans Zipkin JSON (Nezha day)': { nezha: true, runs: 3, run: async (i) => ({ rows: (await readTraceJson([at(i, 'spans.zipkin.json')])).length }) },
  'duckdb spans Zipkin JSON (Nezha day)': {
    nezha: true,
    peerOf: 'spans Zipkin JSON (Nezha day)',
    runs: 3,
    run: (i) => duckdb(`SELECT * FROM read_json('${at(i, 'spans.zipkin.json')}', format = 'array')`),
  },
  'spans CSV.gz (Nezha day x10)': { nezha: true, runs: 1, run: async (i) => ({ rows: (await nezhaSpans(at(i, 'x10'))).length }) },
  'duckdb spans CSV.gz (Nezha day x10)': {
    nezha: true,
    peerOf: 'spans CSV.gz (Nezha day x10)',
    runs: 1,
    run: (i) => duckdb(`SELECT * FROM read_csv('${at(i, 'x10')}/*.csv.gz', header = true, auto_detect = false, columns = ${NEZHA_DUCKDB_COLUMNS})`),
  },
  'spans CSV.gz, incident windows kept (Nezha day x10)': {
    nezha: true,
    runs: 1,
    run: async (i) => {
      // Keep what a replay of the first copy's incidents needs: each window and the 10 minutes before it.
      const incidents = JSON.parse(fs.readFileSync(at(i, 'incidents.x6.json'), 'utf8')) as { start: string; end: string }[];
      const keep = incidents.slice(0, 28).map((x) => [Date.parse(x.start) - 600_000, Date.parse(x.end)] as [number, number]);
      const stats = emptySpanReadStats();
      const t = await readSpans(at(i, 'x10'), { columns: NEZHA_COLUMNS, serviceFromInstance: NEZHA_POD, keep, stats });
      return { rows: t.length, extra: { 'spans read': stats.read, 'outside windows': stats.outsideWindows } };
    },
  },
  'replay, one algorithm (Nezha day)': {
    nezha: true,
    runs: 3,
    run: async (i) => {
      const { replay } = await import('../../pipeline/replay.js');
      const out = at(i, `replay-${process.pid}`);
      const res = await replay({ spans: [path.join(NEZHA, 'trace')], baseline: [path.join(NEZHA, 'normal')], incidents: path.join(NEZHA, 'fault_list.json'), columns: NEZHA_COLUMNS, serviceFromInstance: NEZHA_POD, rca: ['deepest-abnormal'], detectors: [], out });
      fs.rmSync(out, { recursive: true, force: true });
      return { rows: res.item.rca[0]?.incidents.length ?? 0, extra: { unit: 'incidents' } };
    },
  },
  'replay, one algorithm (Nezha day x6, 2 million spans)': {
    nezha: true,
    runs: 1,
    run: async (i) => {
      const { replay } = await import('../../pipeline/replay.js');
      const out = at(i, `replay6-${process.pid}`);
      const res = await replay({ spans: [at(i, 'x6')], baseline: [path.join(NEZHA, 'normal')], incidents: at(i, 'incidents.x6.json'), columns: NEZHA_COLUMNS, serviceFromInstance: NEZHA_POD, rca: ['deepest-abnormal'], detectors: [], out });
      fs.rmSync(out, { recursive: true, force: true });
      return { rows: res.item.rca[0]?.incidents.length ?? 0, extra: { unit: 'incidents' } };
    },
  },
  'memory per kept span (Nezha day)': {
    nezha: true,
    runs: 1,
    run: async () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) throw new Error('run with --expose-gc');
      gc();
      const used = () => {
        const m = process.memoryUsage();
        return m.heapUsed + m.arrayBuffers;
      };
      const before = used();
      const t = await nezhaSpans(path.join(NEZHA, 'trace'));
      gc();
      const total = used() - before;
      const columns = columnBytes(t);
      return {
        rows: t.length,
        extra: {
          'column bytes per span': (columns / t.length).toFixed(1),
          'retained bytes per span, strings included': (total / t.length).toFixed(1),
          'distinct strings': t.strings.length,
          'bytes per distinct string': ((total - columns) / t.strings.length).toFixed(1),
        },
      };
    },
  },
  'metrics CSV.gz (Nezha day)': { nezha: true, runs: 3, run: async () => ({ rows: (await readMetrics(path.join(NEZHA, 'metric'), { serviceFromInstance: NEZHA_POD })).length }) },
  'duckdb metrics CSV.gz (Nezha day)': {
    nezha: true,
    peerOf: 'metrics CSV.gz (Nezha day)',
    runs: 3,
    // The pod files and the front end's share no header: columns are matched by name.
    run: () => duckdb(`SELECT * FROM read_csv(${quote(csvGzFiles(path.join(NEZHA, 'metric')))}, header = true, union_by_name = true)`),
  },
  // Each message is mined into a Drain template as it is read; DuckDB only stores the text.
  'logs CSV.gz, templates mined (Nezha day)': {
    nezha: true,
    runs: 3,
    run: async () => {
      const t = await readLogs(path.join(NEZHA, 'log'), { serviceFromInstance: NEZHA_POD, badRows: new BadRows('skip') });
      return { rows: t.length, extra: { templates: t.templates.length } };
    },
  },
  'duckdb logs CSV.gz (Nezha day)': {
    nezha: true,
    peerOf: 'logs CSV.gz, templates mined (Nezha day)',
    runs: 3,
    run: () => duckdb(`SELECT * FROM read_csv(${quote(csvGzFiles(path.join(NEZHA, 'log')))}, header = true, auto_detect = false, columns = ${NEZHA_LOG_DUCKDB_COLUMNS}, ignore_errors = true)`),
  },
  'messages CSV': { runs: 3, run: async (i) => ({ rows: await countMessages(at(i, 'messages.csv')) }) },
  'duckdb messages CSV': { peerOf: 'messages CSV', runs: 3, run: (i) => duckdb(`SELECT * FROM read_csv('${at(i, 'messages.csv')}', header = true)`) },
  'messages JSON lines': { runs: 3, run: async (i) => ({ rows: await countMessages(at(i, 'messages.jsonl')) }) },
  'duckdb messages JSON lines': { peerOf: 'messages JSON lines', runs: 3, run: (i) => duckdb(`SELECT * FROM read_json('${at(i, 'messages.jsonl')}', format = 'newline_delimited')`) },
  'messages Parquet': { runs: 3, run: async (i) => ({ rows: await countMessages(at(i, 'messages.parquet')) }) },
  'duckdb messages Parquet': { peerOf: 'messages Parquet', runs: 3, run: (i) => duckdb(`SELECT * FROM read_parquet('${at(i, 'messages.parquet')}')`) },
  'messages.arrow': { runs: 3, run: async (i) => ({ rows: await countMessages(at(i, 'messages.arrow')) }) },
  'long KPI CSV, 5 million points': { runs: 1, run: async (i) => ({ rows: (await readLongKpiCsv(at(i, 'kpi5m.csv'), new BadRows())).reduce((s, x) => s + x.timestamps.length, 0) }) },
  'duckdb long KPI CSV, 5 million points': { peerOf: 'long KPI CSV, 5 million points', runs: 1, run: (i) => duckdb(`SELECT * FROM read_csv('${at(i, 'kpi5m.csv')}', header = true)`) },
  'series CSV, 10 million points': { runs: 1, run: async (i) => ({ rows: (await readSeriesCsv(at(i, 'series10m.csv'), 's')).timestamps.length }) },
  'duckdb series CSV, 10 million points': { peerOf: 'series CSV, 10 million points', runs: 1, run: (i) => duckdb(`SELECT * FROM read_csv('${at(i, 'series10m.csv')}', header = true)`) },
  'series CSV, 10 million points, every row repeated': {
    runs: 1,
    run: async (i) => {
      const notes: string[] = [];
      const s = await readSeriesCsv(at(i, 'series10m-repeated.csv'), 's', notes);
      return { rows: s.timestamps.length, extra: { repairs: notes.length } };
    },
  },
};

function columnBytes(t: SpanTable): number {
  let bytes = 0;
  for (const v of Object.values(t)) if (ArrayBuffer.isView(v)) bytes += v.byteLength;
  return bytes;
}

async function countMessages(file: string): Promise<number> {
  const r = await importMessages(file, () => undefined);
  return r.rows;
}

// ---- child: run one task, print its figures as one JSON line ----
const taskArg = process.argv.indexOf('--task');
if (taskArg > 0) {
  const name = process.argv[taskArg + 1];
  const inputs: Inputs = JSON.parse(process.argv[taskArg + 2]);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const result = await TASKS[name].run(inputs);
  const cpu = process.cpuUsage(c0);
  const timed = 'ms' in result ? result : { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
  process.stdout.write(`${JSON.stringify({ ms: timed.ms, cpuMs: timed.cpuMs, rows: result.rows, peakMB: process.resourceUsage().maxRSS / 1024, extra: result.extra ?? {} })}\n`);
  process.exit(0);
}

// ---- parent: make the inputs, run every task in its own process, print the table ----
async function writeGz(file: string, chunks: AsyncIterable<string> | Iterable<string>): Promise<void> {
  await pipeline(Readable.from(chunks), createGzip({ level: zlibConstants.Z_BEST_SPEED }), fs.createWriteStream(file));
}

async function* gunzipLines(file: string): AsyncGenerator<string[]> {
  let rest = '';
  for await (const chunk of fs.createReadStream(file).pipe(createGunzip())) {
    const lines = (rest + (chunk as Buffer).toString('utf8')).split('\n');
    rest = lines.pop()!;
    yield lines;
  }
  if (rest) yield [rest];
}

/** The Nezha day `copies` times: each copy's ids suffixed with its number and its times shifted by that many days. */
async function replicateNezha(out: string, copies: number): Promise<void> {
  fs.mkdirSync(out, { recursive: true });
  for (const file of csvGzFiles(path.join(NEZHA, 'trace'))) {
    for (let k = 0; k < copies; k++) {
      const shiftNs = BigInt(k) * BigInt(DAY_MS) * 1_000_000n;
      const suffix = k.toString(16);
      async function* rows(): AsyncGenerator<string> {
        let header = true;
        for await (const lines of gunzipLines(file)) {
          const outLines: string[] = [];
          for (const line of lines) {
            if (header) {
              outLines.push(line);
              header = false;
              continue;
            }
            if (!line) continue;
            const f = line.split(',');
            f[0] += suffix;
            f[1] += suffix;
            if (f[2] !== 'root') f[2] += suffix;
            f[5] = String(BigInt(f[5]) + shiftNs);
            f[6] = String(BigInt(f[6]) + shiftNs);
            outLines.push(f.join(','));
          }
          yield `${outLines.join('\n')}\n`;
        }
      }
      await writeGz(path.join(out, `${String(k).padStart(2, '0')}_${path.basename(file)}`), rows());
    }
  }
}

/** The Nezha day's spans written as OTLP/JSON, Jaeger JSON and Zipkin v2 JSON (one file each). */
async function writeTraceJson(t: SpanTable, dir: string): Promise<void> {
  const s = (codes: Int32Array, i: number) => t.strings[codes[i]];
  const us = (ms: number) => Math.round(ms * 1000);
  const byInstance = new Map<number, number[]>();
  for (let i = 0; i < t.length; i++) {
    const rows = byInstance.get(t.instance[i]) ?? [];
    rows.push(i);
    byInstance.set(t.instance[i], rows);
  }
  const parentId = (i: number) => (t.parent[i] >= 0 ? s(t.spanId, t.parent[i]) : '');
  const otlp = fs.createWriteStream(path.join(dir, 'spans.otlp.json'));
  otlp.write('{"resourceSpans":[');
  let first = true;
  for (const rows of byInstance.values()) {
    const i0 = rows[0];
    const spans = rows.map((i) =>
      JSON.stringify({ traceId: s(t.traceId, i), spanId: s(t.spanId, i), parentSpanId: parentId(i), name: s(t.operation, i), kind: 1, startTimeUnixNano: msToNsString(t.start[i]), endTimeUnixNano: msToNsString(t.end[i]), status: {} }),
    );
    const resource = { attributes: [{ key: 'service.name', value: { stringValue: s(t.service, i0) } }, { key: 'k8s.pod.name', value: { stringValue: s(t.instance, i0) } }] };
    otlp.write(`${first ? '' : ','}{"resource":${JSON.stringify(resource)},"scopeSpans":[{"spans":[${spans.join(',')}]}]}`);
    first = false;
  }
  otlp.write(']}');
  await new Promise<void>((r) => otlp.end(() => r()));

  const byTrace = new Map<number, number[]>();
  for (let i = 0; i < t.length; i++) {
    const rows = byTrace.get(t.traceId[i]) ?? [];
    rows.push(i);
    byTrace.set(t.traceId[i], rows);
  }
  const jaeger = fs.createWriteStream(path.join(dir, 'spans.jaeger.json'));
  jaeger.write('{"data":[');
  first = true;
  for (const rows of byTrace.values()) {
    const processes = new Map<number, string>();
    for (const i of rows) if (!processes.has(t.instance[i])) processes.set(t.instance[i], `p${processes.size + 1}`);
    const trace = {
      traceID: s(t.traceId, rows[0]),
      spans: rows.map((i) => ({
        traceID: s(t.traceId, i),
        spanID: s(t.spanId, i),
        operationName: s(t.operation, i),
        references: t.parent[i] >= 0 ? [{ refType: 'CHILD_OF', traceID: s(t.traceId, i), spanID: parentId(i) }] : [],
        startTime: us(t.start[i]),
        duration: us(t.end[i]) - us(t.start[i]),
        tags: [],
        processID: processes.get(t.instance[i]),
      })),
      processes: Object.fromEntries([...processes].map(([inst, id]) => [id, { serviceName: t.strings[t.service[byInstance.get(inst)![0]]], tags: [{ key: 'hostname', type: 'string', value: t.strings[inst] }] }])),
    };
    if (!jaeger.write(`${first ? '' : ','}${JSON.stringify(trace)}`)) await new Promise<void>((r) => jaeger.once('drain', () => r()));
    first = false;
  }
  jaeger.write(']}');
  await new Promise<void>((r) => jaeger.end(() => r()));

  const zipkin = fs.createWriteStream(path.join(dir, 'spans.zipkin.json'));
  zipkin.write('[');
  for (let i = 0; i < t.length; i++) {
    const span = {
      traceId: s(t.traceId, i),
      id: s(t.spanId, i),
      ...(t.parent[i] >= 0 ? { parentId: parentId(i) } : {}),
      name: s(t.operation, i),
      timestamp: us(t.start[i]),
      duration: us(t.end[i]) - us(t.start[i]),
      localEndpoint: { serviceName: s(t.service, i), ipv4: `10.0.${(t.instance[i] >> 8) & 255}.${t.instance[i] & 255}` },
    };
    if (!zipkin.write(`${i ? ',' : ''}${JSON.stringify(span)}`)) await new Promise<void>((r) => zipkin.once('drain', () => r()));
  }
  zipkin.write(']');
  await new Promise<void>((r) => zipkin.end(() => r()));
}

async function writeMessages(dir: string): Promise<number> {
  const { generate } = await import('../../sim/generate.js');
  const { scanMessages } = await import('../../sim/read.js');
  const gen = path.join(dir, 'gen');
  await generate({ scenario: 'faults/database-slow', seed: 1, out: gen, duration: MESSAGES_DURATION });
  fs.renameSync(path.join(gen, 'messages.arrow'), path.join(dir, 'messages.arrow'));
  fs.rmSync(gen, { recursive: true, force: true });
  await arrowFileToParquet(path.join(dir, 'messages.arrow'), path.join(dir, 'messages.parquet'));
  const cols = ['bizSeqNo', 'uniqueId', 'msgType', 'topic', 'txType', 'senderSubsystem', 'senderService', 'senderInstance', 'senderIp', 'senderDcn', 'receiverSubsystem', 'receiverService', 'receiverInstance', 'receiverIp', 'receiverDcn', 'logPoint', 'sendTime', 'recvTime', 'ttl', 'retCode', 'retClass'] as const;
  const csv = fs.openSync(path.join(dir, 'messages.csv'), 'w');
  const jsonl = fs.openSync(path.join(dir, 'messages.jsonl'), 'w');
  fs.writeSync(csv, `${cols.join(',')}\n`);
  let n = 0;
  await scanMessages(path.join(dir, 'messages.arrow'), (b: MessageBatch) => {
    const csvLines: string[] = [];
    const jsonLines: string[] = [];
    for (let i = 0; i < b.length; i++) {
      const row = cols.map((c) => {
        const v = b[c];
        if (Array.isArray(v)) return v[i];
        if (ArrayBuffer.isView(v)) return (v as Float64Array)[i];
        return v.values[v.codes[i]];
      });
      csvLines.push(row.map((x) => (typeof x === 'number' && Number.isNaN(x) ? '' : String(x))).join(','));
      jsonLines.push(JSON.stringify(Object.fromEntries(cols.map((c, k) => [c, typeof row[k] === 'number' && Number.isNaN(row[k]) ? null : row[k]]))));
    }
    fs.writeSync(csv, `${csvLines.join('\n')}\n`);
    fs.writeSync(jsonl, `${jsonLines.join('\n')}\n`);
    n += b.length;
  });
  fs.closeSync(csv);
  fs.closeSync(jsonl);
  return n;
}

function writeLines(file: string, header: string, n: number, line: (i: number) => string): void {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, `${header}\n`);
  const chunk: string[] = [];
  for (let i = 0; i < n; i++) {
    chunk.push(line(i));
    if (chunk.length === 100_000 || i === n - 1) {
      fs.writeSync(fd, `${chunk.join('\n')}\n`);
      chunk.length = 0;
    }
  }
  fs.closeSync(fd);
}

async function prepare(dir: string, wanted: string[]): Promise<Inputs> {
  const nezha = fs.existsSync(path.join(NEZHA, 'trace'));
  const need = (re: RegExp) => wanted.some((w) => re.test(w));
  if (nezha && need(/Nezha/)) {
    if (need(/JSON \(Nezha day\)/)) await writeTraceJson(await nezhaSpans(path.join(NEZHA, 'trace')), dir);
    if (need(/x6|x10/)) {
      // The first six copies of the tenfold set are the sixfold one.
      await replicateNezha(path.join(dir, 'x10'), 10);
      fs.mkdirSync(path.join(dir, 'x6'));
      for (const f of fs.readdirSync(path.join(dir, 'x10'))) if (Number(f.slice(0, 2)) < 6) fs.symlinkSync(path.join(dir, 'x10', f), path.join(dir, 'x6', f));
      const base = readNezhaFaultList(path.join(NEZHA, 'fault_list.json'), undefined, 3 * 60_000);
      const iso = (t: number) => new Date(t).toISOString();
      const copies = Array.from({ length: 6 }, (_, k) => base.map((x) => ({ ...x, id: `${x.id}-${k}`, start: iso(x.start + k * DAY_MS), end: iso(x.end + k * DAY_MS) }))).flat();
      fs.writeFileSync(path.join(dir, 'incidents.x6.json'), JSON.stringify(copies));
    }
  }
  if (need(/messages/)) await writeMessages(dir);
  if (need(/KPI/)) {
    const series = 100;
    const per = KPI_POINTS / series;
    const kpis = ['volume', 'systemSuccessRate', 'businessSuccessRate', 'avgLatency'];
    writeLines(path.join(dir, 'kpi5m.csv'), 'series,timestamp,value,label', KPI_POINTS, (i) => {
      const s = Math.floor(i / per);
      return `service:svc${Math.floor(s / 4)}:${kpis[s % 4]},${1_700_000_000 + 60 * (i % per)},${((i * 7919) % 1000) / 10},0`;
    });
  }
  if (need(/series/)) {
    writeLines(path.join(dir, 'series10m.csv'), 'timestamp,value', SERIES_POINTS, (i) => `${1_000_000_000 + 60 * i},${(i * 7919) % 1000}`);
    writeLines(path.join(dir, 'series10m-repeated.csv'), 'timestamp,value', SERIES_POINTS, (i) => `${1_000_000_000 + 60 * Math.floor(i / 2)},${(i * 7919) % 1000}`);
  }
  return { dir, nezha };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const names = Object.keys(TASKS).filter((n) => !wanted.length || wanted.some((w) => n.includes(w)));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-bench-ingest-'));
try {
  const t0 = performance.now();
  const inputs = await prepare(dir, names);
  process.stdout.write(`inputs made in ${((performance.now() - t0) / 1000).toFixed(0)} s; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}\n`);
  if (!inputs.nezha) process.stdout.write(`SKIPPED the Nezha tasks: ${NEZHA} not found (set FAULTLINE_SHARED_DATA)\n`);
  type Result = Timed & { rows: number; peakMB: number; extra: Record<string, string | number> };
  const results = new Map<string, Result>();
  for (const name of names) {
    const task = TASKS[name];
    if (task.nezha && !inputs.nezha) continue;
    const runs: Result[] = [];
    for (let r = 0; r < task.runs; r++) {
      const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--task', name, JSON.stringify(inputs)], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (child.status !== 0) {
        process.stdout.write(`${name}: FAILED\n${child.stderr}\n`);
        break;
      }
      runs.push(JSON.parse(child.stdout.trim().split('\n').pop()!));
    }
    if (!runs.length) continue;
    results.set(name, { ms: median(runs.map((x) => x.ms)), cpuMs: median(runs.map((x) => x.cpuMs)), rows: runs[0].rows, peakMB: Math.max(...runs.map((x) => x.peakMB)), extra: runs[0].extra });
  }
  const table: Record<string, string>[] = [];
  for (const [name, r] of results) {
    if (TASKS[name].peerOf) continue;
    const peer = [...results].find(([n]) => TASKS[n].peerOf === name)?.[1];
    table.push({
      task: name,
      rows: String(r.rows),
      'wall s': (r.ms / 1000).toFixed(2),
      'cpu s': (r.cpuMs / 1000).toFixed(2),
      'peak MB': r.peakMB.toFixed(0),
      'DuckDB wall s': peer ? (peer.ms / 1000).toFixed(2) : '',
      'DuckDB cpu s': peer ? (peer.cpuMs / 1000).toFixed(2) : '',
      'DuckDB peak MB': peer ? peer.peakMB.toFixed(0) : '',
      'wall / DuckDB': peer ? (r.ms / peer.ms).toFixed(2) : '',
      'cpu / DuckDB': peer ? (r.cpuMs / peer.cpuMs).toFixed(2) : '',
      'memory / DuckDB': peer ? (r.peakMB / peer.peakMB).toFixed(2) : '',
    });
  }
  console.table(table);
  for (const [name, r] of results) if (Object.keys(r.extra).length) process.stdout.write(`${name}: ${Object.entries(r.extra).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * The input fuzz suite's cases: for every input format, a small valid input, the command that
 * reads it, and its malformed and odd variants (tests/fuzz/mutate.ts), seeded per format.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import {
  csvText,
  csvVariants,
  enumKind,
  FINITE,
  garbage,
  gzipVariants,
  ID,
  jsonVariants,
  rngFor,
  sample,
  timeKind,
  yamlVariants,
  type ColumnKind,
  type Expect,
  type Rng,
  type Variant,
} from './mutate.js';
import { writeParquetTable } from '../../data/parquet.js';

/** One case: files to write into its folder, the command line (paths relative to the folder). */
export interface FuzzCase {
  format: string;
  name: string;
  files: Record<string, Buffer | { copy: string }>;
  args: string[];
  expect: Expect;
  /** The file the error must name (relative to the case folder). */
  file: string;
  place?: RegExp;
  /** Something an accepted case must say on stdout or stderr (a warning, a failed method). */
  says?: RegExp;
}

/** What the cases are built from: a tiny generated data set and an anonymisation key. */
export interface Fixtures {
  /** A generated data set folder (messages.arrow, kpis.arrow, logs.arrow, metrics.arrow, truth.json, manifest.json). */
  dataSet: string;
  keyFile: string;
  root: string;
}

const T0 = Date.UTC(2026, 0, 5, 9);
const ns = (ms: number) => String(BigInt(Math.round(ms)) * 1_000_000n);
const text = (s: string) => Buffer.from(s, 'utf8');

/** Two traces: frontend calls orders, which fails in trace 2 and calls its database. */
const SPANS = [0, 1].flatMap((t) => {
  const at = T0 + 60_000 + t * 30_000;
  const trace = `tr${t}`;
  return [
    { trace, id: `${t}a`, parent: '', service: 'frontend', kind: 'server', name: 'GET /', start: at, end: at + 100, error: false },
    { trace, id: `${t}b`, parent: `${t}a`, service: 'frontend', kind: 'client', name: 'GET /orders', start: at + 10, end: at + 90, error: false },
    { trace, id: `${t}c`, parent: `${t}b`, service: 'orders', kind: 'server', name: 'GET /orders', start: at + 15, end: at + 85, error: t === 1 },
    { trace, id: `${t}d`, parent: `${t}c`, service: 'orders', kind: 'client', name: 'SELECT', start: at + 20, end: at + 40, error: false },
    { trace, id: `${t}e`, parent: `${t}c`, service: 'orders', kind: 'internal', name: 'render', start: at + 61, end: at + 70, error: false },
  ];
});
const INCIDENTS = [{ id: 'i1', start: new Date(T0).toISOString(), end: new Date(T0 + 600_000).toISOString(), rootCause: ['orders'], type: 'error' }];
const incidentsFile = { 'incidents.json': text(JSON.stringify(INCIDENTS)) };
const rcaArgs = (spans: string, method = 'count') => ['rca', '--rca', method, '--spans', spans, '--incidents', 'incidents.json', '--out', 'out', '--no-progress'];

const SPAN_HEADER = ['trace_id', 'span_id', 'parent_id', 'service', 'instance', 'operation', 'status', 'kind', 'start_ns', 'end_ns'];
const SPAN_ROWS = SPANS.map((s) => [s.trace, s.id, s.parent, s.service, `${s.service}-0`, s.name, s.error ? 'error' : 'ok', s.kind, ns(s.start), ns(s.end)]);
const spanTime = timeKind('ns', SPAN_ROWS[0]![8]!);

function spanCsv(rng: Rng): Variant[] {
  return csvVariants(
    {
      header: SPAN_HEADER,
      rows: SPAN_ROWS,
      kinds: {
        trace_id: ID,
        span_id: ID,
        status: enumKind(['', 'unknown', 'STATUS_CODE_ERROR', '2']),
        kind: enumKind(['', 'SPAN_KIND_SERVER']),
        // Span CSV times are numbers of nanoseconds only.
        start_ns: { bad: [...spanTime.bad, new Date(SPANS[0]!.start).toISOString()], good: spanTime.good!.slice(3) },
        end_ns: { bad: spanTime.bad },
      },
      required: ['trace_id', 'span_id', 'parent_id', 'start_ns', 'end_ns'],
      interval: ['start_ns', 'end_ns'],
      // A valid CSV without rows: spans that hold none at all are refused (one file of a folder may hold none).
      headerOnly: 'reject',
    },
    rng,
  );
}

const hex = (id: string) => id.padStart(16, '0');
const traceHex = (t: string) => t.padStart(32, '0');
const OTLP = {
  resourceSpans: ['frontend', 'orders'].map((service) => ({
    resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }, { key: 'k8s.pod.name', value: { stringValue: `${service}-0` } }] },
    scopeSpans: [
      {
        scope: { name: 'fuzz' },
        spans: SPANS.filter((s) => s.service === service).map((s) => ({
          traceId: traceHex(s.trace),
          spanId: hex(s.id),
          parentSpanId: s.parent ? hex(s.parent) : '',
          name: s.name,
          kind: { server: 2, client: 3, internal: 1 }[s.kind],
          startTimeUnixNano: ns(s.start),
          endTimeUnixNano: ns(s.end),
          status: s.error ? { code: 2 } : {},
          attributes: [],
        })),
      },
    ],
  })),
};
const span0 = ['resourceSpans', 0, 'scopeSpans', 0, 'spans', 0];
const jsonTime = (unit: 'ns' | 'us', sample: string): ColumnKind => {
  const k = timeKind(unit === 'us' ? 'ms' : 'ns', unit === 'us' ? String(Number(sample) / 1000) : sample);
  // JSON span times are numbers in their unit only (no ISO 8601); microseconds for Jaeger and Zipkin.
  const ms = unit === 'us' ? Number(sample) / 1000 : Number(BigInt(sample) / 1_000_000n);
  return { bad: [...k.bad.filter((b) => !/^\d{4}-/.test(b)), ...(unit === 'us' ? [String(ms), `${ms}000000`] : [String(ms)])], good: [] };
};

const JAEGER = {
  data: [0, 1].map((t) => ({
    traceID: traceHex(`tr${t}`),
    spans: SPANS.filter((s) => s.trace === `tr${t}`).map((s) => ({
      traceID: traceHex(s.trace),
      spanID: hex(s.id),
      operationName: s.name,
      references: s.parent ? [{ refType: 'CHILD_OF', traceID: traceHex(s.trace), spanID: hex(s.parent) }] : [],
      startTime: s.start * 1000,
      duration: (s.end - s.start) * 1000,
      tags: [{ key: 'span.kind', type: 'string', value: s.kind }, ...(s.error ? [{ key: 'error', type: 'bool', value: true }] : [])],
      processID: s.service === 'frontend' ? 'p1' : 'p2',
    })),
    processes: { p1: { serviceName: 'frontend', tags: [] }, p2: { serviceName: 'orders', tags: [] } },
  })),
};

const ZIPKIN = SPANS.map((s) => ({
  traceId: traceHex(s.trace),
  id: hex(s.id),
  ...(s.parent ? { parentId: hex(s.parent) } : {}),
  name: s.name,
  ...(s.kind === 'internal' ? {} : { kind: s.kind.toUpperCase() }),
  timestamp: s.start * 1000,
  duration: (s.end - s.start) * 1000,
  localEndpoint: { serviceName: s.service, ipv4: '10.0.0.1' },
  tags: s.error ? { error: 'reset' } : {},
}));

const WRONG_TEXT = [{}, [1], true];
const WRONG_NUMBER = [{}, [1], true, 'soon'];

function spanJsonCases(fx: Fixtures): FuzzCase[] {
  const out: FuzzCase[] = [];
  const add = (format: string, file: string, variants: Variant[]) => {
    for (const v of variants) out.push({ format, name: v.name, files: { ...incidentsFile, [file]: v.bytes }, args: rcaArgs(file), expect: v.expect, file, place: v.place });
  };
  const startNs = OTLP.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.startTimeUnixNano;
  add(
    'OTLP JSON',
    'trace.otlp.json',
    jsonVariants(
      {
        value: OTLP,
        fields: [
          { path: [...span0, 'traceId'], kind: { bad: [''], wrongTypes: WRONG_TEXT }, required: true },
          { path: [...span0, 'spanId'], kind: { bad: [''], wrongTypes: WRONG_TEXT }, required: true },
          { path: [...span0, 'startTimeUnixNano'], kind: { ...jsonTime('ns', startNs), wrongTypes: [{}, [1], true, null] }, required: true },
          { path: [...span0, 'endTimeUnixNano'], kind: { bad: ['-1', '1e400', String(Number(BigInt(startNs) / 1_000_000n))], wrongTypes: [{}, true] }, required: true },
          { path: [...span0, 'kind'], kind: { bad: ['9', 'SPAN_KIND_BOGUS'], wrongTypes: [{}, [1]] } },
          { path: ['resourceSpans', 0, 'resource', 'attributes', 0, 'value', 'stringValue'], kind: { bad: [''], wrongTypes: [{}, [1], 5] }, place: /resourceSpans\[0\]/ },
        ],
        interval: [
          [...span0, 'startTimeUnixNano'],
          [...span0, 'endTimeUnixNano'],
        ],
        extraKey: { at: span0, expect: 'accept' },
      },
      rngFor('otlp'),
    ),
  );
  // The collector's file exporter: one document per line.
  const otlpLines = [0, 1].map((k) => ({ resourceSpans: [OTLP.resourceSpans[k]!] }));
  add(
    'OTLP JSON lines',
    'trace.otlp.jsonl',
    jsonVariants(
      {
        value: otlpLines,
        lines: true,
        // A span file with no document is refused: the spans named are missing.
        empty: 'reject',
        fields: [
          { path: [1, 'resourceSpans', 0, 'scopeSpans', 0, 'spans', 1, 'traceId'], kind: { bad: [''], wrongTypes: WRONG_TEXT } },
          { path: [1, 'resourceSpans', 0, 'scopeSpans', 0, 'spans', 1, 'startTimeUnixNano'], kind: jsonTime('ns', startNs) },
        ],
      },
      rngFor('otlp-lines'),
    ).filter((v) => !/twice|nested arrays, unclosed/.test(v.name)),
  );
  const j0 = ['data', 0, 'spans', 0];
  add(
    'Jaeger JSON',
    'trace.jaeger.json',
    jsonVariants(
      {
        value: JAEGER,
        fields: [
          { path: [...j0, 'traceID'], kind: { bad: [''], wrongTypes: WRONG_TEXT }, required: true },
          { path: [...j0, 'spanID'], kind: { bad: [''], wrongTypes: WRONG_TEXT }, required: true },
          { path: [...j0, 'startTime'], kind: { ...jsonTime('us', String(JAEGER.data[0]!.spans[0]!.startTime)), wrongTypes: WRONG_NUMBER }, required: true },
          { path: [...j0, 'duration'], kind: { bad: ['-5', '1e400', '1e30'], wrongTypes: WRONG_NUMBER }, required: true },
          { path: [...j0, 'processID'], kind: { bad: ['p9'], wrongTypes: WRONG_TEXT } },
          { path: ['data', 0, 'processes', 'p1', 'serviceName'], kind: { bad: [''], wrongTypes: WRONG_TEXT }, required: true },
        ],
        extraKey: { at: j0, expect: 'accept' },
      },
      rngFor('jaeger'),
    ),
  );
  add(
    'Zipkin v2 JSON',
    'trace.zipkin.json',
    jsonVariants(
      {
        value: ZIPKIN,
        fields: [
          { path: [0, 'traceId'], kind: { bad: [''], wrongTypes: WRONG_TEXT }, required: true },
          { path: [0, 'id'], kind: { bad: [''], wrongTypes: WRONG_TEXT }, required: true },
          { path: [0, 'timestamp'], kind: { ...jsonTime('us', String(ZIPKIN[0]!.timestamp)), wrongTypes: WRONG_NUMBER }, required: true },
          { path: [0, 'duration'], kind: { bad: ['-5', '1e400', '1e30'], wrongTypes: WRONG_NUMBER }, required: true },
          { path: [0, 'kind'], kind: { bad: ['SIDEWAYS'], wrongTypes: WRONG_TEXT } },
          { path: [0, 'localEndpoint', 'serviceName'], kind: { bad: [''], wrongTypes: WRONG_TEXT }, required: true },
        ],
        extraKey: { at: [0], expect: 'accept' },
      },
      rngFor('zipkin'),
    ),
  );
  void fx;
  return out;
}

/** The first messages of the generated data set, as text rows in MESSAGE_COLUMNS order. */
function messageRows(fx: Fixtures, n: number): { header: string[]; rows: string[][]; table: Table } {
  const table = tableFromIPC(fs.readFileSync(path.join(fx.dataSet, 'messages.arrow')));
  const header = table.schema.fields.map((f) => f.name);
  const rows: string[][] = [];
  for (let i = 0; i < n; i++) {
    const row = table.get(i)!.toJSON() as Record<string, unknown>;
    rows.push(header.map((h) => (row[h] === null ? '' : String(row[h]))));
  }
  return { header, rows, table: table.slice(0, n) };
}

function messageCases(fx: Fixtures): FuzzCase[] {
  const { header, rows, table } = messageRows(fx, 40);
  const sendTime = timeKind('ms', rows[0]![header.indexOf('sendTime')]!);
  const kinds: Record<string, ColumnKind> = {
    bizSeqNo: ID,
    uniqueId: { bad: [''] },
    msgType: enumKind(['async']),
    logPoint: enumKind([]),
    senderService: { bad: [''] },
    sendTime,
    recvTime: { bad: sendTime.bad.filter((b) => b !== ''), good: [''] },
    ttl: { bad: ['-1', '1.5', 'x', '4294967296', 'Infinity'], good: ['', '0'] },
    retClass: enumKind(['', 'system']),
  };
  const args = (file: string) => ['anonymise', '--messages', file, '--key-file', fx.keyFile, '--out', 'out'];
  const out: FuzzCase[] = [];
  const add = (format: string, file: string, variants: Variant[]) => {
    for (const v of variants) out.push({ format, name: v.name, files: { [file]: v.bytes }, args: args(file), expect: v.expect, file, place: v.place });
  };
  add('message-log CSV', 'messages.csv', csvVariants({ header, rows, kinds, required: ['bizSeqNo', 'uniqueId', 'msgType', 'senderService', 'receiverService', 'logPoint', 'sendTime'], interval: undefined, headerOnly: 'accept' }, rngFor('messages-csv')));
  const objects = rows.map((r) => Object.fromEntries(header.map((h, i) => [h, h === 'sendTime' || h === 'recvTime' || h === 'ttl' ? Number(r[i]) : r[i]])));
  add(
    'message-log JSON lines',
    'messages.jsonl',
    jsonVariants(
      {
        value: objects,
        lines: true,
        fields: [
          { path: [3, 'bizSeqNo'], kind: { bad: [''], wrongTypes: [{ id: 1 }, [1], true] }, required: true },
          { path: [5, 'msgType'], kind: { bad: ['bogus'], wrongTypes: [{}, [1]] }, required: true },
          { path: [7, 'sendTime'], kind: { ...sendTime, bad: sendTime.bad.filter((b) => b !== ''), wrongTypes: [{}, [1], true] }, required: true },
          { path: [9, 'ttl'], kind: { bad: ['-1', '1.5', '4294967296'], wrongTypes: [{}, [1]] } },
          { path: [11, 'logPoint'], kind: { bad: ['SIDEWAYS'], wrongTypes: [{}, 7] }, required: true },
        ],
      },
      rngFor('messages-jsonl'),
    ).filter((v) => !/twice/.test(v.name)),
  );
  // Parquet: the real file, then damage to its bytes.
  const pq = path.join(fx.root, 'base-messages.parquet');
  if (!fs.existsSync(pq)) writeParquetTable(table, pq);
  const bytes = fs.readFileSync(pq);
  const rng = rngFor('messages-parquet');
  const parquet: Variant[] = [
    { name: 'as written', bytes, expect: 'accept' },
    { name: 'empty file', bytes: Buffer.alloc(0), expect: 'reject' },
    { name: 'only the magic', bytes: Buffer.from('PAR1'), expect: 'reject' },
    { name: 'magic twice', bytes: Buffer.from('PAR1PAR1'), expect: 'reject' },
    { name: 'garbage', bytes: garbage(rng, 3000), expect: 'reject' },
    { name: 'garbage between the magic', bytes: Buffer.concat([Buffer.from('PAR1'), garbage(rng, 3000), Buffer.from('PAR1')]), expect: 'reject' },
    { name: 'a CSV named .parquet', bytes: text(csvText(header, rows)), expect: 'reject' },
    { name: 'an Arrow file named .parquet', bytes: fs.readFileSync(path.join(fx.dataSet, 'kpis.arrow')), expect: 'reject' },
  ];
  for (const f of [0.1, 0.3, 0.5, 0.7, 0.9, 0.99]) {
    const cut = Math.floor(bytes.length * f);
    parquet.push({ name: `cut at ${cut} of ${bytes.length} bytes`, bytes: bytes.subarray(0, cut), expect: 'reject' });
  }
  // The footer (schema, row counts, offsets) is the last bytes before the length and magic.
  const footerLength = bytes.readUInt32LE(bytes.length - 8);
  for (let k = 0; k < 8; k++) {
    const b = Buffer.from(bytes);
    b.writeUInt32LE(k < 4 ? footerLength + 1 + k * 1000 : bytes.length * (k - 2), bytes.length - 8);
    parquet.push({ name: `footer length ${b.readUInt32LE(bytes.length - 8)}`, bytes: b, expect: 'reject' });
  }
  add('message-log Parquet', 'messages.parquet', parquet);
  return out;
}

/** A copy of the data set with `file` replaced, and the manifest updated to it when `manifest`. */
function dataSetCase(fx: Fixtures, file: string, bytes: Buffer | null, manifest: boolean): Record<string, Buffer | { copy: string }> {
  const files: Record<string, Buffer | { copy: string }> = {};
  for (const name of fs.readdirSync(fx.dataSet)) if (!name.startsWith('.')) files[`ds/${name}`] = { copy: path.join(fx.dataSet, name) };
  if (bytes === null) delete files[`ds/${file}`];
  else files[`ds/${file}`] = bytes;
  if (manifest && bytes !== null) {
    const m = JSON.parse(fs.readFileSync(path.join(fx.dataSet, 'manifest.json'), 'utf8')) as { files: Record<string, { bytes: number }> };
    m.files[file]!.bytes = bytes.length;
    files['ds/manifest.json'] = text(JSON.stringify(m, null, 2));
  }
  return files;
}

const ARROW_READERS: Record<string, string[]> = {
  'messages.arrow': ['rca', '--in', 'ds', '--rca', 'count', '--out', 'out', '--no-progress'],
  'kpis.arrow': ['detect', '--in', 'ds', '--detectors', 'ksigma', '--out', 'out', '--no-progress'],
  'logs.arrow': ['rca', '--in', 'ds', '--rca', 'pattern-contrast', '--out', 'out', '--no-progress'],
  'metrics.arrow': ['rca', '--in', 'ds', '--rca', 'baro', '--out', 'out', '--no-progress'],
};

function arrowCases(fx: Fixtures): FuzzCase[] {
  const out: FuzzCase[] = [];
  const rng = rngFor('arrow');
  for (const [file, args] of Object.entries(ARROW_READERS)) {
    const bytes = fs.readFileSync(path.join(fx.dataSet, file));
    const other = fs.readFileSync(path.join(fx.dataSet, file === 'kpis.arrow' ? 'metrics.arrow' : 'kpis.arrow'));
    const variants: Array<[string, Buffer | null, boolean, Expect]> = [
      ['as generated', bytes, false, 'accept'],
      ['0 bytes', Buffer.alloc(0), true, 'reject'],
      ['0 bytes, manifest not updated', Buffer.alloc(0), false, 'reject'],
      ['only the magic', Buffer.from('ARROW1\0\0'), true, 'reject'],
      ['cut after the schema', bytes.subarray(0, 600), true, 'reject'],
      [`cut at ${Math.floor(bytes.length * 0.5)}`, bytes.subarray(0, Math.floor(bytes.length * 0.5)), true, 'reject'],
      ['cut 3 bytes short', bytes.subarray(0, bytes.length - 3), true, 'reject'],
      ['garbage of the same size', garbage(rng, bytes.length), false, 'reject'],
      ['another table of the data set', other, true, 'reject'],
      ['missing, though the manifest lists it', null, false, 'reject'],
    ];
    // A file missing from the set: the data set is named (its methods' inputs are checked first).
    for (const [name, b, manifest, expect] of variants) out.push({ format: 'Arrow data set', name: `${file}: ${name}`, files: dataSetCase(fx, file, b, manifest), args, expect, file: b === null ? 'ds' : `ds/${file}` });
  }
  const manifest = fs.readFileSync(path.join(fx.dataSet, 'manifest.json'), 'utf8');
  const m = JSON.parse(manifest) as Record<string, unknown> & { files: Record<string, { bytes: number }> };
  const manifestVariants: Array<[string, string, Expect]> = [
    ['manifest.json: empty', '', 'reject'],
    ['manifest.json: byte-order mark', `\ufeff${manifest}`, 'accept'],
    ['manifest.json: cut short', manifest.slice(0, manifest.length >> 1), 'reject'],
    ['manifest.json: files is a list', JSON.stringify({ ...m, files: [] }), 'reject'],
    ['manifest.json: a size off by one', JSON.stringify({ ...m, files: { ...m.files, 'messages.arrow': { ...m.files['messages.arrow']!, bytes: m.files['messages.arrow']!.bytes + 1 } } }), 'reject'],
    ['manifest.json: lists a file that is not there', JSON.stringify({ ...m, files: { ...m.files, 'extra.arrow': { bytes: 5, sha256: '' } } }), 'reject'],
  ];
  for (const [name, t, expect] of manifestVariants) {
    const files = dataSetCase(fx, 'manifest.json', text(t), false);
    out.push({ format: 'Arrow data set', name, files, args: ARROW_READERS['messages.arrow']!, expect, file: 'ds/manifest.json' });
  }
  return out;
}

function truthCases(fx: Fixtures): FuzzCase[] {
  const truth = JSON.parse(fs.readFileSync(path.join(fx.dataSet, 'truth.json'), 'utf8')) as { start: number; end: number; faults: Array<Record<string, unknown>> };
  const variants = jsonVariants(
    {
      value: truth,
      fields: [
        { path: ['start'], kind: { bad: ['-1', '1e400', '1e24', String(truth.start / 1000)], wrongTypes: [{}, 'soon', null] }, required: true },
        { path: ['faults'], kind: { bad: [], wrongTypes: [{}, 'none', 5] }, required: true },
        { path: ['faults', 0, 'start'], kind: { bad: ['-1', '1e400', '1e24', String((truth.faults[0]!.start as number) * 1e6)], wrongTypes: [{}, null, '2026-02-30T10:00:00Z'] }, required: true },
        { path: ['faults', 0, 'end'], kind: { bad: ['1e400'], wrongTypes: [{}, null] }, required: true },
        { path: ['faults', 0, 'rootCause'], kind: { bad: [], wrongTypes: ['ledger', 5, [5]] }, required: true },
        { path: ['faults', 0, 'id'], kind: { bad: [''], wrongTypes: [{}, [1]] }, required: true },
      ],
      interval: [
        ['faults', 0, 'start'],
        ['faults', 0, 'end'],
      ],
    },
    rngFor('truth'),
  );
  const out: FuzzCase[] = variants.map((v) => ({
    format: 'truth.json',
    name: v.name,
    files: dataSetCase(fx, 'truth.json', v.bytes, true),
    args: ARROW_READERS['messages.arrow']!,
    expect: v.expect,
    file: 'ds/truth.json',
    place: v.place,
  }));
  // A fault outside the run is kept, with a warning.
  const late = structuredClone(truth);
  late.faults[0]!.start = truth.end + 3_600_000;
  late.faults[0]!.end = truth.end + 7_200_000;
  out.push({ format: 'truth.json', name: 'a fault after the run', files: dataSetCase(fx, 'truth.json', text(JSON.stringify(late)), true), args: ARROW_READERS['messages.arrow']!, expect: 'accept', file: 'ds/truth.json', says: /warning:.*outside the run/i });
  return out;
}

const SERIES_START_S = T0 / 1000;
function seriesRows(n: number, spike: number): string[][] {
  return Array.from({ length: n }, (_, i) => [String(SERIES_START_S + i * 60), String(100 + ((i * 7) % 5) + (i === spike ? 80 : 0)), i === spike ? '1' : '0']);
}
const seriesTime = timeKind('s', String(SERIES_START_S));
const SERIES_KINDS: Record<string, ColumnKind> = {
  timestamp: { bad: seriesTime.bad.filter((b) => !/^-1$/.test(b)), good: seriesTime.good },
  value: { bad: FINITE.bad, good: [...FINITE.good!, '', 'NaN'] },
  label: { bad: ['2', 'x', '-1', '0.5'], good: [''] },
};
const detectArgs = (series: string) => ['detect', '--series', series, '--detectors', 'ksigma', '--out', 'out', '--no-progress'];

function seriesCases(): FuzzCase[] {
  const out: FuzzCase[] = [];
  const header = ['timestamp', 'value', 'label'];
  const other = text(csvText(header, seriesRows(60, 50)));
  for (const v of csvVariants({ header, rows: seriesRows(60, 40), kinds: SERIES_KINDS, required: ['timestamp', 'value'], headerOnly: 'accept' }, rngFor('series-csv'))) {
    out.push({ format: 'series CSV folder', name: v.name, files: { 'kpis/a.csv': v.bytes, 'kpis/sub/b.csv': other }, args: detectArgs('kpis'), expect: v.expect, file: 'kpis/a.csv', place: v.place });
  }
  // Every row repeated: repaired (a repeated time moves 1 ms on) and reported.
  const rows = seriesRows(60, 40);
  out.push({ format: 'series CSV folder', name: 'every row twice', files: { 'kpis/a.csv': text(csvText(header, rows.flatMap((r) => [r, r]))) }, args: detectArgs('kpis'), expect: 'accept', file: 'kpis/a.csv' });
  out.push({ format: 'series CSV folder', name: 'rows in reverse order', files: { 'kpis/a.csv': text(csvText(header, [...rows].reverse())) }, args: detectArgs('kpis'), expect: 'accept', file: 'kpis/a.csv' });

  // NAB layout: data/<group>/<name>.csv with its windows.
  const nabTime = (s: string) => new Date(Number(s) * 1000).toISOString().replace('T', ' ').replace('.000Z', '');
  const nabRows = seriesRows(60, 40).map((r) => [nabTime(r[0]!), r[1]!]);
  const nabCsv = text(csvText(['timestamp', 'value'], nabRows));
  const windows = { 'g/a.csv': [[`${nabRows[35]![0]}.000000`, `${nabRows[45]![0]}.000000`]], 'g/b.csv': [] };
  const nabFiles = (csv: Buffer, w: Buffer) => ({ 'nab/data/g/a.csv': csv, 'nab/data/g/b.csv': nabCsv, 'nab/labels/combined_windows.json': w });
  const nabKinds = { timestamp: { bad: SERIES_KINDS.timestamp!.bad, good: [] }, value: SERIES_KINDS.value! };
  for (const v of sample(rngFor('nab-csv'), csvVariants({ header: ['timestamp', 'value'], rows: nabRows, kinds: nabKinds, required: ['timestamp', 'value'], headerOnly: 'accept' }, rngFor('nab-csv')), 24)) {
    out.push({ format: 'NAB folder', name: v.name, files: nabFiles(v.bytes, text(JSON.stringify(windows))), args: detectArgs('nab'), expect: v.expect, file: 'nab/data/g/a.csv', place: v.place });
  }
  const w0 = windows['g/a.csv'][0]!;
  for (const v of jsonVariants(
    {
      value: windows,
      fields: [
        // A window bound may be a timestamp text or a number (unix seconds).
        { path: ['g/a.csv', 0, 0], kind: { bad: ['2014-02-30 00:00:00.000000', 'soon', ''], wrongTypes: [{}, null, true] } },
        { path: ['g/a.csv', 0], kind: { bad: [], wrongTypes: [[w0[0]], 'x', [w0[0], w0[1], w0[1]]] } },
        { path: ['g/a.csv'], kind: { bad: [], wrongTypes: [{}, 'x', [5]] } },
      ],
      interval: [
        ['g/a.csv', 0, 0],
        ['g/a.csv', 0, 1],
      ],
      extraKey: { at: [], expect: 'reject' },
    },
    rngFor('nab-windows'),
  )) {
    out.push({ format: 'NAB windows JSON', name: v.name, files: nabFiles(nabCsv, v.bytes), args: detectArgs('nab'), expect: v.expect, file: 'nab/labels/combined_windows.json', place: v.place });
  }

  // Long KPI CSV.
  const longHeader = ['series', 'timestamp', 'value', 'label'];
  const longRows = ['service:orders:volume', 'service:orders:systemSuccessRate'].flatMap((id, k) => seriesRows(60, 40 + k).map((r) => [id, ...r]));
  const longKinds = { ...SERIES_KINDS, series: { bad: [''] } };
  for (const v of csvVariants({ header: longHeader, rows: longRows, kinds: longKinds, required: ['series', 'timestamp', 'value'], headerOnly: 'reject' }, rngFor('long-kpi'))) {
    out.push({ format: 'long KPI CSV', name: v.name, files: { 'kpis.csv': v.bytes }, args: detectArgs('kpis.csv'), expect: v.expect, file: 'kpis.csv', place: v.place });
  }
  const dupRow = longRows[7]!;
  out.push({ format: 'long KPI CSV', name: 'a timestamp repeated within a series', files: { 'kpis.csv': text(csvText(longHeader, [...longRows, dupRow])) }, args: detectArgs('kpis.csv'), expect: 'reject', file: 'kpis.csv', place: /appears twice/ });
  return out;
}

function metricAndLogCases(): FuzzCase[] {
  const out: FuzzCase[] = [];
  const spans = { ...incidentsFile, 'spans.csv': text(csvText(SPAN_HEADER, SPAN_ROWS)) };
  const args = (flag: string, file: string, method: string) => [...rcaArgs('spans.csv', method), flag, file];
  // Inside the incident's window: rows outside it are dropped unread.
  const times = Array.from({ length: 12 }, (_, i) => T0 + 60_000 + i * 20_000);
  const metricHeader = ['time', 'service', 'instance', 'cpu', 'heap_mb'];
  const metricRows = times.flatMap((t, i) => ['frontend', 'orders'].map((s) => [String(t), s, `${s}-0`, String(0.2 + (i % 3) / 10), String(300 + i)]));
  // Metric and log times without a stated unit are read by magnitude (seconds to nanoseconds), then range-checked.
  const msTime = timeKind('ms', String(T0));
  const magnitudeTime: ColumnKind = { bad: msTime.bad.filter((b) => b !== String(T0 / 1000) && b !== `${T0}000000`), good: [...msTime.good!, String(T0 / 1000 + 60), `${T0 + 60_000}000000`] };
  for (const v of csvVariants(
    { header: metricHeader, rows: metricRows, kinds: { time: magnitudeTime, cpu: { bad: FINITE.bad, good: [...FINITE.good!, ''] } }, required: ['time'], headerOnly: 'accept', extraValue: '7' },
    rngFor('metric-csv'),
  )) {
    out.push({ format: 'metric CSV', name: v.name, files: { ...spans, 'metrics.csv': v.bytes }, args: args('--metrics', 'metrics.csv', 'baro'), expect: v.expect, file: 'metrics.csv', place: v.place });
  }
  const logHeader = ['time', 'service', 'instance', 'trace_id', 'span_id', 'level', 'message'];
  const logRows = times.flatMap((t, i) => [
    [String(t + 5), 'orders', 'orders-0', 'tr1', '1c', i > 6 ? 'ERROR' : 'INFO', i > 6 ? `[main] com.shop.Orders - failed order ${i}: timeout` : `[main] com.shop.Orders - order ${i} done`],
    [String(t + 9), 'frontend', 'frontend-0', '', '', 'INFO', `[http] web - GET / 200 in ${i} ms`],
  ]);
  for (const v of csvVariants(
    // A level column holds a level word or anything else (then the message's own level counts).
    { header: logHeader, rows: logRows, kinds: { time: magnitudeTime, level: { bad: [], good: ['warn', 'FATAL', 'bogus'] }, message: { bad: [], good: ['multi\nline\n\tat frame', ''] } }, required: ['time', 'message'], headerOnly: 'accept' },
    rngFor('log-csv'),
  )) {
    out.push({ format: 'log CSV', name: v.name, files: { ...spans, 'logs.csv': v.bytes }, args: args('--logs', 'logs.csv', 'pattern-contrast'), expect: v.expect, file: 'logs.csv', place: v.place });
  }
  return out;
}

function incidentCases(): FuzzCase[] {
  const out: FuzzCase[] = [];
  const spans = { 'spans.csv': text(csvText(SPAN_HEADER, SPAN_ROWS)) };
  const args = (file: string) => ['rca', '--rca', 'count', '--spans', 'spans.csv', '--incidents', file, '--out', 'out', '--no-progress'];
  const add = (format: string, file: string, variants: Variant[]) => {
    for (const v of variants) out.push({ format, name: v.name, files: { ...spans, [file]: v.bytes }, args: args(file), expect: v.expect, file, place: v.place });
  };
  const incidents = [
    { id: 'i1', start: T0, end: T0 + 600_000, rootCause: ['orders'], type: 'error' },
    { id: 'i2', start: new Date(T0 + 60_000).toISOString(), rootCause: ['frontend'] },
  ];
  const msTime = timeKind('ms', String(T0));
  add(
    'incidents JSON',
    'incidents.json',
    jsonVariants(
      {
        value: incidents,
        fields: [
          { path: [0, 'id'], kind: { bad: [''], wrongTypes: [{}, [1], null] }, required: true },
          { path: [0, 'start'], kind: { bad: msTime.bad.filter((b) => b !== '' && !/^\s/.test(b)), good: msTime.good!.slice(0, 3), wrongTypes: [{}, [1], null, true] }, required: true },
          { path: [0, 'end'], kind: { bad: ['1e400', String(T0 * 1e6)], wrongTypes: [{}, null] } },
          { path: [0, 'rootCause'], kind: { bad: [], wrongTypes: ['orders', [5], { a: 1 }] } },
        ],
        interval: [
          [0, 'start'],
          [0, 'end'],
        ],
        extraKey: { at: [0], expect: 'reject' },
      },
      rngFor('incidents-json'),
    ),
  );
  const header = ['id', 'start', 'end', 'rootCause', 'type'];
  const rows = Array.from({ length: 6 }, (_, i) => [`i${i}`, String(T0 + i * 120_000), String(T0 + i * 120_000 + 90_000), i % 2 ? 'orders' : 'frontend;orders', 'error']);
  add(
    'incidents CSV',
    'incidents.csv',
    csvVariants({ header, rows, kinds: { id: { bad: [''] }, start: msTime, end: { bad: msTime.bad.filter((b) => b !== ''), good: [''] } }, required: ['id', 'start', 'rootCause'], interval: ['start', 'end'], headerOnly: 'reject' }, rngFor('incidents-csv')),
  );
  const nezha = { '2026-01-05 09': [{ inject_time: '2026-01-05 09:00:30', inject_pod: 'ts-order-service-7d4c8f9b5c-x2x9z', inject_type: 'cpu' }], '2026-01-05 10': [{ inject_time: '2026-01-05 09:05:30', inject_pod: 'ts-user-service-6b8d9f7c4d-k8vqf', inject_type: 'network_delay' }] };
  const k0 = ['2026-01-05 09', 0];
  add(
    'incidents Nezha fault_list',
    'fault_list.json',
    jsonVariants(
      {
        value: nezha,
        fields: [
          { path: [...k0, 'inject_time'], kind: { bad: ['2026-02-30 09:00:30', '2026-01-05 25:00:30', 'soon', '1e400', '-1'], good: ['2026-01-05T09:00:30Z'], wrongTypes: [{}, [1], null] } },
          { path: [...k0, 'inject_pod'], kind: { bad: ['', 'no-hash-suffix'], wrongTypes: [{}, 5] } },
          { path: ['2026-01-05 10'], kind: { bad: [], wrongTypes: [{ a: 1 }, 'x'] }, place: null },
        ],
      },
      rngFor('nezha'),
    ),
  );
  return out;
}

const SCENARIO = (base: string) => `# A tiny scenario for the fuzz suite.
extends: ${base}
description: fuzz
duration: 12m
traffic:
  scale: 0.0006
  campaigns: []
faults:
  - { type: database-slow, target: { database: ledger-db }, start: 8m, duration: 2m, severity: 0.5 }
`;

function yamlCases(fx: Fixtures, root: string): FuzzCase[] {
  const out: FuzzCase[] = [];
  const base = path.join(root, 'scenarios', 'fault-base.yaml');
  const scenario = SCENARIO(base);
  const genArgs = ['generate', '--scenario', 'scenario.yaml', '--seed', '1', '--no-logs', '--no-metrics', '--out', 'out'];
  for (const v of yamlVariants(
    {
      text: scenario,
      strict: true,
      empty: 'reject',
      bad: [
        [['duration'], '-5m'],
        [['duration'], '100000d'],
        [['duration'], 'soon'],
        [['start'], '2026-02-30T09:00:00Z'],
        [['start'], '2026-13-45T99:99:00Z'],
        [['traffic', 'scale'], -1],
        [['traffic', 'scale'], 'Infinity'],
        [['traffic', 'scale'], 1e300],
        [['faults', 0, 'start'], '1h'],
        [['faults', 0, 'duration'], '-2m'],
        [['faults', 0, 'severity'], 7],
        [['faults', 0, 'type'], 'meteor-strike'],
        [['faults', 0, 'target'], 'ledger'],
        [['faults'], 'none'],
      ],
      good: [[['description'], 'ünïcødé: "quoted" \\ text']],
    },
    rngFor('scenario'),
  )) {
    const expect = v.name === 'faults.0.start = "1h"' ? 'accept' : v.expect;
    out.push({
      format: 'scenario YAML',
      name: v.name,
      files: { 'scenario.yaml': v.bytes },
      args: genArgs,
      expect,
      file: 'scenario.yaml',
      place: v.place,
      ...(v.name === 'faults.0.start = "1h"' ? { says: /warning:.*outside/i } : {}),
    });
  }
  const suite = `name: fuzz\ndescription: fuzz suite\nscenarios: [faults/database-slow, hard/*]\nseeds: [1, 2]\ndetectors: [ksigma]\nrca: [count]\nmttr:\n  topK: 5\n  notFoundMinutes: 60\n`;
  for (const v of yamlVariants(
    {
      text: suite,
      strict: true,
      empty: 'reject',
      bad: [
        [['seeds'], [-1]],
        [['seeds'], [1.5]],
        [['seeds'], 'many'],
        [['scenarios'], []],
        [['scenarios'], ['nowhere/*']],
        [['scenarios'], [5]],
        [['name'], ''],
        [['trafficScale'], -1],
        [['trafficScale'], 'Infinity'],
      ],
    },
    rngFor('suite'),
  )) {
    out.push({ format: 'suite YAML', name: v.name, files: { 'suite.yaml': v.bytes }, args: ['sweep', '--suite', 'suite.yaml'], expect: v.expect, file: 'suite.yaml', place: v.place });
  }
  const rules = fs.readFileSync(path.join(root, 'trees', 'rules', 'wemq.yaml'), 'utf8');
  for (const v of yamlVariants(
    {
      text: rules,
      strict: true,
      empty: 'reject',
      bad: [
        [['windowMs'], -1],
        [['windowMs'], 'long'],
        [['windowMs'], 1e300],
        [['skewToleranceMs'], -5],
        [['pairBy'], 'colour'],
        [['pairFallback'], 'guess'],
        [['request', 'first'], 'REQ_NOWHERE'],
        [['request', 'legs'], 'REQ_CLIENT_MESH'],
        [['reply', 'legs'], []],
        [['services', 'patterns'], ['([unclosed']],
        [['operation'], 'colour'],
      ],
    },
    rngFor('rules'),
  )) {
    out.push({ format: 'tree rules YAML', name: v.name, files: { ...dataSetCase(fx, 'truth.json', fs.readFileSync(path.join(fx.dataSet, 'truth.json')), false), 'rules.yaml': v.bytes }, args: [...ARROW_READERS['messages.arrow']!, '--rules', 'rules.yaml'], expect: v.expect, file: 'rules.yaml', place: v.place });
  }
  return out;
}

function thresholdAndPluginCases(root: string): FuzzCase[] {
  const out: FuzzCase[] = [];
  // NAB thresholds for `score`: NAB's results layout beside a NAB series folder.
  const rows = seriesRows(60, 40).map((r, i) => [new Date(Number(r[0]) * 1000).toISOString().replace('T', ' ').replace('.000Z', ''), r[1]!, i === 40 ? '0.9' : '0.1', r[2]!]);
  const nab = {
    'nab/data/g/a.csv': text(csvText(['timestamp', 'value'], rows.map((r) => [r[0]!, r[1]!]))),
    'nab/labels/combined_windows.json': text(JSON.stringify({ 'g/a.csv': [[`${rows[38]![0]}.000000`, `${rows[42]![0]}.000000`]] })),
    'results/det/g/det_a.csv': text(csvText(['timestamp', 'value', 'anomaly_score', 'label'], rows)),
  };
  const thresholds = { det: { standard: { score: 10, threshold: 0.5 }, reward_low_FP_rate: { score: 5, threshold: 0.6 }, reward_low_FN_rate: { score: 12, threshold: 0.4 } } };
  for (const v of jsonVariants(
    {
      value: thresholds,
      fields: [
        { path: ['det', 'standard', 'threshold'], kind: { bad: ['NaN', 'Infinity', '1e400'], wrongTypes: [{}, 'half', null] }, required: true },
        { path: ['det', 'reward_low_FP_rate'], kind: { bad: [], wrongTypes: [5, 'x', [0.5]] } },
        { path: ['det'], kind: { bad: [], wrongTypes: [5, 'x', [1]] } },
      ],
    },
    rngFor('nab-thresholds'),
  )) {
    out.push({ format: 'NAB thresholds JSON', name: v.name, files: { ...nab, 'thresholds.json': v.bytes }, args: ['score', '--series', 'nab', '--scores', 'results', '--nab-thresholds', 'thresholds.json', '--out', 'out'], expect: v.expect, file: 'thresholds.json', place: v.place });
  }
  // A detector plugin spec.
  const series = { 'kpis/a.csv': text(csvText(['timestamp', 'value', 'label'], seriesRows(60, 40))) };
  const script = path.join(root, 'detectors', 'examples', 'last-value-detector.js');
  const spec = { name: 'fuzz-detector', command: process.execPath, args: [script], description: 'a plugin spec under test', options: { window: 5 } };
  for (const v of jsonVariants(
    {
      value: spec,
      fields: [
        { path: ['name'], kind: { bad: [''], wrongTypes: [{}, [1], 5] } },
        { path: ['command'], kind: { bad: [''], wrongTypes: [{}, [1], 5] }, required: true },
        { path: ['args'], kind: { bad: [], wrongTypes: ['--x', [{}], 5] } },
        { path: ['options'], kind: { bad: [], wrongTypes: [[1, 2], 'x', 5] } },
        { path: ['cwd'], kind: { bad: ['no/such/folder'], wrongTypes: [{}, 5] } },
      ],
      extraKey: { at: [], expect: 'reject' },
    },
    rngFor('plugin-spec'),
  )) {
    out.push({ format: 'plugin spec', name: v.name, files: { ...series, 'spec.json': v.bytes }, args: ['detect', '--series', 'kpis', '--detectors', './spec.json', '--out', 'out', '--no-progress'], expect: v.expect, file: 'spec.json', place: v.place });
  }
  // A program that does not exist: the method fails, is reported, and the run goes on without it.
  out.push({
    format: 'plugin spec',
    name: 'command names no program',
    files: { ...series, 'spec.json': text(JSON.stringify({ ...spec, command: '/no/such/program' })) },
    args: ['detect', '--series', 'kpis', '--detectors', './spec.json,ksigma', '--out', 'out', '--no-progress'],
    expect: 'accept',
    file: 'spec.json',
    says: /\/no\/such\/program/,
  });
  return out;
}

/** Every case, in a fixed order. */
export function fuzzCases(fx: Fixtures, root: string): FuzzCase[] {
  const spanCsvVariants = spanCsv(rngFor('span-csv'));
  return [
    ...spanCsvVariants.map((v) => ({ format: 'span CSV', name: v.name, files: { ...incidentsFile, 'spans.csv': v.bytes }, args: rcaArgs('spans.csv'), expect: v.expect, file: 'spans.csv', place: v.place })),
    ...gzipVariants(spanCsvVariants, rngFor('span-csv-gz')).map((v) => ({ format: 'span CSV.gz', name: v.name, files: { ...incidentsFile, 'spans.csv.gz': v.bytes }, args: rcaArgs('spans.csv.gz'), expect: v.expect, file: 'spans.csv.gz', place: v.place })),
    ...spanJsonCases(fx),
    ...messageCases(fx),
    ...arrowCases(fx),
    ...truthCases(fx),
    ...seriesCases(),
    ...metricAndLogCases(),
    ...incidentCases(),
    ...yamlCases(fx, root),
    ...thresholdAndPluginCases(root),
  ];
}

/**
 * A seeded sample of at most `perFormat` cases of each format, in the original order: every case
 * meant to be accepted (a false refusal is as wrong as a false acceptance) and refusals to fill.
 */
export function sampleCases(cases: FuzzCase[], perFormat: number, seed: string): FuzzCase[] {
  const rng = rngFor(seed);
  const keep = new Set<FuzzCase>();
  for (const format of new Set(cases.map((c) => c.format))) {
    const mine = cases.filter((c) => c.format === format);
    const accepted = mine.filter((c) => c.expect === 'accept');
    const refused = mine.filter((c) => c.expect === 'reject');
    const nAccept = Math.min(accepted.length, Math.ceil(perFormat / 3));
    for (const c of [...sample(rng, accepted, nAccept), ...sample(rng, refused, perFormat - nAccept)]) keep.add(c);
  }
  return cases.filter((c) => keep.has(c));
}

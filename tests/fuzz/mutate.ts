/**
 * Seeded mutators for the input fuzz suite: each takes a valid input (a CSV table, a JSON value, a
 * YAML text, bytes) and makes malformed or odd variants, each with what must happen to it:
 * `accept` (exit 0), `reject` (exit 2 with a message naming the file, and the place when the
 * mutation has one). The same seed gives the same cases.
 */
import seedrandom from 'seedrandom';
import { gzipSync } from 'node:zlib';
import { parseDocument, stringify } from 'yaml';

export type Rng = () => number;
export const rngFor = (seed: string): Rng => seedrandom.alea(seed);
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
export const between = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
/** `n` distinct items of `xs`, in a seeded order. */
export function sample<T>(rng: Rng, xs: readonly T[], n: number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

export type Expect = 'accept' | 'reject';

/** One generated input variant: the bytes of the file under test and what must happen. */
export interface Variant {
  name: string;
  bytes: Buffer;
  expect: Expect;
  /** The place the error must name (a line, a field), when the mutation has one. */
  place?: RegExp;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const text = (s: string) => Buffer.from(s, 'utf8');
export const garbage = (rng: Rng, n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rng() * 256)));
const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

/** What a column holds: values that must be refused, and odd values that must be accepted. */
export interface ColumnKind {
  bad: readonly string[];
  /** Odd but valid values: text, or made from the value they replace (the same time written otherwise). */
  good?: readonly (string | ((value: string) => string))[];
}
const goodValue = (g: string | ((value: string) => string), value: string) => (typeof g === 'string' ? g : g(value));
const goodName = (g: string | ((value: string) => string)) => (typeof g === 'string' ? JSON.stringify(g.slice(0, 40)) : g.name);

/** Bad times for a column in unix `unit`, from a valid value `v` of that unit. */
export function timeKind(unit: 's' | 'ms' | 'ns', sample: string): ColumnKind {
  const toMs = (v: string) => (unit === 'ns' ? Number(BigInt(v.trim()) / 1_000_000n) : unit === 's' ? Number(v) * 1000 : Number(v));
  const ms = Math.round(toMs(sample));
  const coarser = unit === 'ns' ? String(ms) : unit === 'ms' ? String(ms / 1000) : null;
  const finer = unit === 's' ? String(ms) : unit === 'ms' ? `${ms}000000` : null;
  const iso = (v: string) => new Date(toMs(v)).toISOString();
  return {
    bad: [
      '',
      'x',
      'NaN',
      'Infinity',
      '-Infinity',
      '-1',
      '1e400',
      '1e24',
      '0x10',
      '1_000',
      '2026-02-30T00:00:00Z',
      '2023-02-29 10:00:00',
      '2026-13-01T00:00:00Z',
      '2026-01-05T24:00:00Z',
      '2026-01-05T10:60:00Z',
      '2026-01-05T10:00:00+25:00',
      ...(coarser ? [coarser] : []),
      ...(finer ? [finer] : []),
    ],
    good: [
      function isoUtc(v: string) {
        return iso(v);
      },
      function isoOffset(v: string) {
        return iso(v).replace('Z', '+00:00');
      },
      function isoNoZone(v: string) {
        return iso(v).replace('T', ' ').replace('Z', '');
      },
      function spaced(v: string) {
        return ` ${v} `;
      },
    ],
  };
}

export const ID: ColumnKind = { bad: [''], good: ['x'.repeat(5000), 'ünïcødé-€', '"quoted, with comma"'] };
export const enumKind = (good: readonly string[]): ColumnKind => ({ bad: ['bogus', 'ERR0R', '-1'], good });
export const FINITE: ColumnKind = { bad: ['x', 'Infinity', '-Infinity', '1e400', '0x10', '1_000', '3.5.1'], good: [' 3.5 ', '-0', '1e-3', '.5'] };

export interface CsvSpec {
  header: string[];
  rows: string[][];
  kinds: Record<string, ColumnKind>;
  /** Columns whose absence must be refused. */
  required: string[];
  /** [start, end] columns: end before start must be refused. */
  interval?: [string, string];
  /** What a file holding only the header must give. */
  headerOnly: Expect;
  /** The value of an extra, unread column (every other column is read as a metric in metric CSV). */
  extraValue?: string;
  /** Line numbers are the file's (1 = header); the reader counts lines, so places are checked. */
  linePlaces?: boolean;
}

function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}
export const csvLine = (fields: string[]) => fields.map(quote).join(',');
export const csvText = (header: string[], rows: string[][]) => [header, ...rows].map(csvLine).join('\n') + '\n';

/** The malformed and odd variants of a CSV table (at least 30). */
export function csvVariants(spec: CsvSpec, rng: Rng): Variant[] {
  const { header, rows } = spec;
  const base = csvText(header, rows);
  const line = (r: number) => (spec.linePlaces === false ? undefined : new RegExp(`line ${r + 2}\\b`));
  const out: Variant[] = [
    { name: 'empty file', bytes: Buffer.alloc(0), expect: 'reject' },
    { name: 'only a byte-order mark', bytes: BOM, expect: 'reject' },
    { name: 'byte-order mark', bytes: Buffer.concat([BOM, text(base)]), expect: 'accept' },
    { name: 'CRLF line ends', bytes: text(crlf(base)), expect: 'accept' },
    { name: 'byte-order mark and CRLF', bytes: Buffer.concat([BOM, text(crlf(base))]), expect: 'accept' },
    { name: 'no newline at the end', bytes: text(base.trimEnd()), expect: 'accept' },
    { name: 'blank lines between rows', bytes: text(base.replace(/\n/g, '\n\n')), expect: 'accept' },
    { name: 'every field quoted', bytes: text([header, ...rows].map((f) => f.map((v) => `"${v.replace(/"/g, '""')}"`).join(',')).join('\n') + '\n'), expect: 'accept' },
    { name: 'header only', bytes: text(csvLine(header) + '\n'), expect: spec.headerOnly },
    { name: 'binary garbage', bytes: garbage(rng, 700), expect: 'reject' },
    { name: 'NUL bytes', bytes: Buffer.concat([text(csvLine(header) + '\n'), Buffer.alloc(300)]), expect: 'reject' },
  ];
  // Truncated inside a row, before its last separator: a short record.
  for (let k = 0; k < 3; k++) {
    const r = between(rng, 0, rows.length - 1);
    const before = csvText(header, rows.slice(0, r)).length;
    const l = csvLine(rows[r]!);
    const cut = between(rng, 0, l.lastIndexOf(',') - 1);
    out.push({ name: `cut short in line ${r + 2}`, bytes: text(base.slice(0, before + cut)), expect: 'reject', place: line(r) });
  }
  for (const c of spec.required) {
    const i = header.indexOf(c);
    const drop = <T>(xs: T[]) => xs.filter((_, j) => j !== i);
    out.push({ name: `no ${c} column`, bytes: text(csvText(drop(header), rows.map(drop))), expect: 'reject' });
  }
  const dup = pick(rng, spec.required);
  out.push({ name: `column ${dup} twice`, bytes: text(csvText([...header, dup], rows.map((r) => [...r, r[header.indexOf(dup)]!]))), expect: 'reject' });
  out.push({ name: 'an extra column', bytes: text(csvText([...header, 'note'], rows.map((r, k) => [...r, spec.extraValue ?? `n${k}`]))), expect: 'accept' });
  const order = sample(rng, header.map((_, i) => i), header.length);
  out.push({ name: 'columns reordered', bytes: text(csvText(order.map((i) => header[i]!), rows.map((r) => order.map((i) => r[i]!)))), expect: 'accept' });
  const edit = (r: number, f: (row: string[]) => string[]) => rows.map((row, k) => (k === r ? f([...row]) : row));
  {
    const r = between(rng, 0, rows.length - 1);
    out.push({ name: `line ${r + 2} with an extra field`, bytes: text(csvText(header, edit(r, (row) => [...row, 'extra']))), expect: 'reject', place: line(r) });
  }
  {
    const r = between(rng, 0, rows.length - 1);
    out.push({ name: `line ${r + 2} with a field missing`, bytes: text(csvText(header, edit(r, (row) => row.slice(0, -1)))), expect: 'reject', place: line(r) });
  }
  {
    const r = between(rng, 0, rows.length - 1);
    const lines = base.split('\n');
    lines[r + 1] = `"${lines[r + 1]}`;
    out.push({ name: `unterminated quote in line ${r + 2}`, bytes: text(lines.join('\n')), expect: 'reject', place: line(r) });
  }
  {
    const r = between(rng, 0, rows.length - 1);
    const lines = base.split('\n');
    lines.splice(r + 1, 0, 'y'.repeat(2_000_000));
    out.push({ name: `a 2 MB line at line ${r + 2}`, bytes: text(lines.join('\n')), expect: 'reject', place: line(r) });
  }
  // Values: every bad value of every column somewhere, and the odd good ones.
  for (const [column, kind] of Object.entries(spec.kinds)) {
    const i = header.indexOf(column);
    for (const bad of kind.bad) {
      const r = between(rng, 0, rows.length - 1);
      out.push({ name: `${column} ${JSON.stringify(bad)} in line ${r + 2}`, bytes: text(csvText(header, edit(r, (row) => ((row[i] = bad), row)))), expect: 'reject', place: line(r) });
    }
    for (const good of kind.good ?? []) {
      const r = between(rng, 0, rows.length - 1);
      out.push({ name: `${column} ${goodName(good)} in line ${r + 2}`, bytes: text(csvText(header, edit(r, (row) => ((row[i] = goodValue(good, row[i]!)), row)))), expect: 'accept' });
    }
  }
  if (spec.interval) {
    const [s, e] = spec.interval.map((c) => header.indexOf(c));
    const r = between(rng, 0, rows.length - 1);
    out.push({ name: `end before start in line ${r + 2}`, bytes: text(csvText(header, edit(r, (row) => (([row[s!], row[e!]] = [row[e!]!, row[s!]!]), row)))), expect: 'reject', place: line(r) });
  }
  return out;
}

/** Gzip-level damage, and a sample of the CSV variants gzipped. */
export function gzipVariants(csv: Variant[], rng: Rng): Variant[] {
  const good = csv.find((v) => v.name === 'byte-order mark')!.bytes;
  const gz = gzipSync(good);
  const flip = Buffer.from(gz);
  const at = between(rng, 12, gz.length - 9);
  flip[at] = flip[at]! ^ 0x5a;
  return [
    { name: 'gzip: cut at half', bytes: gz.subarray(0, gz.length >> 1), expect: 'reject' },
    { name: 'gzip: trailer cut', bytes: gz.subarray(0, gz.length - 4), expect: 'reject' },
    { name: 'gzip: header only', bytes: gz.subarray(0, 10), expect: 'reject' },
    { name: `gzip: byte ${at} flipped`, bytes: flip, expect: 'reject' },
    { name: 'gzip: not gzip at all', bytes: good, expect: 'reject' },
    { name: 'gzip: 0 bytes', bytes: Buffer.alloc(0), expect: 'reject' },
    { name: 'gzip: garbage after the stream', bytes: Buffer.concat([gz, garbage(rng, 40)]), expect: 'reject' },
    { name: 'gzip: two members', bytes: Buffer.concat([gzipSync(good.subarray(0, good.indexOf(10) + 1)), gzipSync(good.subarray(good.indexOf(10) + 1))]), expect: 'accept' },
    ...sample(rng, csv, 16).map((v) => ({ ...v, name: `gzipped ${v.name}`, bytes: gzipSync(v.bytes) })),
  ];
}

/** A field of a JSON document and what it holds. */
export interface JsonField {
  path: (string | number)[];
  /** The place an error about this field names, when not the field's own name (null: none). */
  place?: RegExp | null;
  kind: ColumnKind & { wrongTypes?: unknown[] };
  /** Removing it must be refused. */
  required?: boolean;
}

export interface JsonSpec {
  value: unknown;
  fields: JsonField[];
  /** [start path, end path] whose swap must be refused. */
  interval?: [(string | number)[], (string | number)[]];
  /** Where an unknown key may go, and whether it must be refused. */
  extraKey?: { at: (string | number)[]; expect: Expect };
  /** A field path is named in errors (`[0].start`); whole-document places are lines. */
  fieldPlaces?: boolean;
  /** JSON lines: one document per line. */
  lines?: boolean;
  /** What an empty file gives (default: accepted as JSON lines, refused as a document). */
  empty?: Expect;
}

const clone = <T>(v: T): T => structuredClone(v);
function setIn(root: unknown, path: (string | number)[], value: unknown): void {
  let o = root as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) o = o[p] as Record<string | number, unknown>;
  o[path[path.length - 1]!] = value;
}
function getIn(root: unknown, path: (string | number)[]): unknown {
  let o = root as Record<string | number, unknown>;
  for (const p of path) o = o[p] as Record<string | number, unknown>;
  return o;
}
function deleteIn(root: unknown, path: (string | number)[]): void {
  const parent = getIn(root, path.slice(0, -1)) as Record<string | number, unknown>;
  delete parent[path[path.length - 1]!];
}
const RAW = '\u0000raw:';
/** JSON text where strings `RAW + text` are written as the bare text (NaN, 1e400, deep nesting). */
function jsonText(v: unknown, pretty = false): string {
  const s = pretty ? JSON.stringify(v, null, 2) : JSON.stringify(v);
  return s.replace(/"\\u0000raw:((?:[^"\\]|\\.)*)"/g, (_, t: string) => JSON.parse(`"${t}"`) as string);
}
const raw = (t: string) => RAW + t;
const fieldName = (path: (string | number)[]) => String(path.filter((p) => typeof p === 'string').pop() ?? path[path.length - 1]);

/** The malformed and odd variants of a JSON document (or JSON lines). */
export function jsonVariants(spec: JsonSpec, rng: Rng): Variant[] {
  const write = (v: unknown, pretty = false) => (spec.lines ? (v as unknown[]).map((d) => jsonText(d)).join('\n') + '\n' : jsonText(v, pretty) + '\n');
  const base = write(spec.value, true);
  const placeOf = (path: (string | number)[]) => (spec.fieldPlaces === false ? undefined : new RegExp(fieldName(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  const lastBrace = base.trimEnd().length - 1;
  // JSON lines without a line is a valid empty file; a whole document cannot be empty.
  const empty: Expect = spec.empty ?? (spec.lines ? 'accept' : 'reject');
  const out: Variant[] = [
    { name: 'empty file', bytes: Buffer.alloc(0), expect: empty },
    { name: 'only a byte-order mark', bytes: BOM, expect: empty },
    { name: 'byte-order mark', bytes: Buffer.concat([BOM, text(base)]), expect: 'accept' },
    { name: 'CRLF line ends', bytes: text(crlf(base)), expect: 'accept' },
    { name: 'byte-order mark and CRLF', bytes: Buffer.concat([BOM, text(crlf(base))]), expect: 'accept' },
    { name: 'binary garbage', bytes: garbage(rng, 600), expect: 'reject' },
    { name: 'the document twice as text: "}{"', bytes: text(base.trimEnd() + '}\n'), expect: 'reject' },
    { name: 'top level is a number', bytes: text('42\n'), expect: 'reject' },
    { name: 'top level is null', bytes: text('null\n'), expect: 'reject' },
    { name: 'top level is a string', bytes: text('"spans"\n'), expect: 'reject' },
    { name: '200,000 nested arrays', bytes: text('['.repeat(200_000) + ']'.repeat(200_000)), expect: 'reject' },
    { name: '200,000 nested arrays, unclosed', bytes: text('['.repeat(200_000)), expect: 'reject' },
    { name: 'single quotes', bytes: text(base.replace(/"/g, "'")), expect: 'reject' },
  ];
  for (let k = 0; k < 3; k++) {
    const cut = between(rng, 1, lastBrace - 1);
    out.push({ name: `cut short at byte ${cut}`, bytes: text(base.slice(0, cut)), expect: 'reject' });
  }
  for (const f of spec.fields) {
    const place = (path: (string | number)[]) => (f.place === null ? undefined : (f.place ?? placeOf(path)));
    const wrong = f.kind.wrongTypes ?? [{}, [1], true, null];
    for (const w of sample(rng, wrong, 2)) {
      const v = clone(spec.value);
      setIn(v, f.path, w);
      out.push({ name: `${f.path.join('.')} = ${JSON.stringify(w)}`, bytes: text(write(v)), expect: 'reject', place: place(f.path) });
    }
    for (const bad of f.kind.bad) {
      const v = clone(spec.value);
      // Numbers and number-like literals are written bare (NaN, 1e400, 0x10 are then not JSON); text stays text.
      const bare = /^(-?(\d[\d.eE+-]*|Infinity|NaN)|0x10|1_000)$/.test(bad);
      setIn(v, f.path, bare ? raw(bad) : bad);
      const literal = bare && /Infinity|NaN|0x|_/.test(bad);
      out.push({ name: `${f.path.join('.')} = ${bare ? bad : JSON.stringify(bad)}`, bytes: text(write(v)), expect: 'reject', place: literal ? undefined : place(f.path) });
    }
    for (const good of f.kind.good ?? []) {
      const v = clone(spec.value);
      setIn(v, f.path, goodValue(good, String(getIn(v, f.path))));
      out.push({ name: `${f.path.join('.')} = ${goodName(good)}`, bytes: text(write(v)), expect: 'accept' });
    }
    if (f.required) {
      const v = clone(spec.value);
      deleteIn(v, f.path);
      out.push({ name: `no ${f.path.join('.')}`, bytes: text(write(v)), expect: 'reject' });
    }
  }
  {
    const f = pick(rng, spec.fields);
    const v = clone(spec.value);
    setIn(v, f.path, raw('['.repeat(100_000) + ']'.repeat(100_000)));
    out.push({ name: `${f.path.join('.')} nested 100,000 deep`, bytes: text(write(v)), expect: 'reject' });
  }
  if (spec.interval) {
    const v = clone(spec.value);
    const [s, e] = spec.interval;
    const a = getIn(v, s);
    setIn(v, s, getIn(v, e));
    setIn(v, e, a);
    out.push({ name: 'end before start', bytes: text(write(v)), expect: 'reject' });
  }
  if (spec.extraKey) {
    const v = clone(spec.value);
    setIn(v, [...spec.extraKey.at, 'unexpectedField'], 1);
    out.push({ name: `unknown field at ${spec.extraKey.at.join('.') || 'top'}`, bytes: text(write(v)), expect: spec.extraKey.expect });
  }
  return out;
}

export interface YamlSpec {
  text: string;
  /** Field edits that must be refused: path, value. */
  bad: Array<[(string | number)[], unknown]>;
  /** Field edits that must be accepted. */
  good?: Array<[(string | number)[], unknown]>;
  /** Unknown keys are refused. */
  strict: boolean;
  /** What an empty file gives. */
  empty: Expect;
}

/** The malformed and odd variants of a YAML file. */
export function yamlVariants(spec: YamlSpec, rng: Rng): Variant[] {
  const edit = (path: (string | number)[], value: unknown) => {
    const doc = parseDocument(spec.text);
    doc.setIn(path, value);
    return doc.toString();
  };
  const lines = spec.text.split('\n');
  const flowAt = spec.text.indexOf('{') >= 0 ? spec.text.indexOf('{') : spec.text.indexOf('[');
  const out: Variant[] = [
    { name: 'empty file', bytes: Buffer.alloc(0), expect: spec.empty },
    { name: 'byte-order mark', bytes: Buffer.concat([BOM, text(spec.text)]), expect: 'accept' },
    { name: 'CRLF line ends', bytes: text(crlf(spec.text)), expect: 'accept' },
    { name: 'byte-order mark and CRLF', bytes: Buffer.concat([BOM, text(crlf(spec.text))]), expect: 'accept' },
    { name: 'binary garbage', bytes: garbage(rng, 500), expect: 'reject' },
    { name: 'top level is a list', bytes: text('- a\n- b\n'), expect: 'reject' },
    { name: 'top level is a number', bytes: text('42\n'), expect: 'reject' },
    { name: 'a tab for indentation', bytes: text(spec.text.replace(/\n {2}(\w+:)/, '\n\t$1')), expect: 'reject' },
    { name: 'a key twice', bytes: text(`${lines.find((l) => /^\w+:/.test(l))}\n${spec.text}`), expect: 'reject' },
    { name: 'an alias to no anchor', bytes: text(`${spec.text}\nbogus: *nowhere\n`), expect: 'reject' },
    {
      name: 'billion laughs',
      bytes: text(`a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n`),
      expect: 'reject',
    },
    { name: '100,000 nested flow lists', bytes: text(`${spec.text}\nnested: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`), expect: 'reject' },
    { name: 'unclosed flow collection', bytes: text(spec.text.slice(0, flowAt + between(rng, 1, 8))), expect: 'reject' },
    { name: 'unterminated quote', bytes: text(`${spec.text}\nx: "open\n`), expect: 'reject' },
    { name: 'comments everywhere', bytes: text(lines.map((l) => (l.trim() ? `${l} # note` : l)).join('\n').replace(/^/, '# head\n')), expect: 'accept' },
  ];
  // A mutation that changed nothing (no indented key to put a tab before) is no case.
  const unchanged = out.findIndex((v) => v.expect === 'reject' && v.bytes.equals(text(spec.text)));
  if (unchanged >= 0) out.splice(unchanged, 1);
  if (spec.strict) out.push({ name: 'an unknown top-level key', bytes: text(`${spec.text}\nunexpectedField: 1\n`), expect: 'reject' });
  for (const [path, value] of spec.bad) out.push({ name: `${path.join('.')} = ${JSON.stringify(value)?.slice(0, 40)}`, bytes: text(edit(path, value)), expect: 'reject', place: new RegExp(String(path[path.length - 1]).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) });
  for (const [path, value] of spec.good ?? []) out.push({ name: `${path.join('.')} = ${JSON.stringify(value)?.slice(0, 40)}`, bytes: text(edit(path, value)), expect: 'accept' });
  return out;
}

export { stringify as yamlText };

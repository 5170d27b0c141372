/**
 * The attacker, as a test and an audit: given an anonymised output and the list of original
 * service names (public for an open benchmark, guessable for a bank), recover each pseudonymised
 * service's name from everything in the output: operations, log messages and templates, metric
 * names, KPI ids, file names, the report.
 *
 * Evidence for a service pseudonym is every token of every record (CSV row, Arrow row, JSON
 * object) and file path it appears in, and of those its instances appear in. A token matches a
 * name's fragment (text.ts nameFragments: its pieces, adjacent pieces written together) when one of
 * the token's pieces equals it (camel, kebab, snake, path boundaries, any case), or, for fragments
 * of four characters or more, when the token written without separators contains it. Each name
 * scores the inverse document frequency of its matched fragments (a piece every name has says
 * nothing); a service is recovered when its own name alone has the top score. Separately, every
 * fragment found anywhere in the output's values is listed as exposed.
 *
 * What the attacker skips, because the format fixes it: pseudonyms themselves, CSV header cells
 * and JSON keys that are format vocabulary, enumeration values, the scope and KPI parts of
 * `scope:name:kpi` ids, and the report's fixed sentences.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataType, RecordBatchReader, type Vector } from 'apache-arrow';
import { readCsvRecordBatches } from '../common/text-lines.js';
import { KPI_NAMES, KPI_SCOPES, LOG_CSV_COLUMNS, LOG_POINTS, MESSAGE_COLUMNS, METRIC_CSV_KEY_COLUMNS, MSG_TYPES, RET_CLASSES, SPAN_CSV_COLUMNS } from '../sim/formats.js';
import { ANONYMISE_REPORT, REPORT_CONSTANT_TEXTS, REPORT_KEYS } from './anonymise.js';
import { PSEUDONYM_KINDS } from './pseudonymise.js';
import { detached, identifierPieces, nameFragments } from './text.js';
import { LOG_LEVELS } from './vocabulary.js';
import { parseJsonText, readText } from '../common/validated-file.js';

export interface ReidentificationOptions {
  /** An anonymised output folder. */
  dir: string;
  /** The original service names the attacker chooses among. */
  originals: readonly string[];
  /** The evaluator's ground truth: each original's pseudonym. */
  pseudonymOf: (original: string) => string;
}

export interface Recovery {
  original: string;
  pseudonym: string;
  /** The fragments that gave it away. */
  fragments: string[];
}

export interface Exposure {
  fragment: string;
  /** Output tokens holding it (a few). */
  tokens: string[];
  /** Where it was first seen. */
  file: string;
}

export interface ReidentificationResult {
  /** Originals whose pseudonym occurs in the output. */
  services: number;
  recovered: Recovery[];
  exposed: Exposure[];
  files: number;
}

const PSEUDONYM_RE = new RegExp(`(?<![A-Za-z0-9])(?:${Object.values(PSEUDONYM_KINDS).join('|')})-[0-9a-z]{12,16}(?![A-Za-z0-9])`, 'g');
const TOKEN_RE = /[\p{L}\p{N}_]+(?:-[\p{L}\p{N}_]+)*/gu;
const KPI_ID_RE = new RegExp(`^(?:${KPI_SCOPES.join('|')}):(.+):(?:${KPI_NAMES.join('|')})$`);
const INCIDENT_FIELDS = ['id', 'start', 'end', 'rootCause', 'rootCauseInstance', 'type'];
const FORMAT_KEYS = new Set<string>([
  ...SPAN_CSV_COLUMNS, ...LOG_CSV_COLUMNS, ...METRIC_CSV_KEY_COLUMNS, ...Object.keys(MESSAGE_COLUMNS), ...INCIDENT_FIELDS,
  ...Object.keys(PSEUDONYM_KINDS), ...REPORT_KEYS, path.basename(ANONYMISE_REPORT, '.json'),
]);
const ENUM_VALUES = new Set<string>([...LOG_POINTS, ...MSG_TYPES, ...RET_CLASSES, ...LOG_LEVELS, 'error']);

/** A key or header cell that is only format vocabulary (`messages.senderService`, `spans/spans.csv`). */
function isFormatKey(key: string): boolean {
  const parts = key.split(/[./ ()]+/).filter(Boolean);
  return parts.length > 0 && parts.every((p) => FORMAT_KEYS.has(p) || /^\w+\.(csv|arrow|json)$/.test(p) || p === 'csv' || p === 'arrow' || p === 'json' || p === 'gz');
}

class Evidence {
  /** Distinct value tokens per service or instance pseudonym. */
  readonly byPseudonym = new Map<string, Set<string>>();
  /** Instances seen in a record with each service. */
  readonly instancesOf = new Map<string, Set<string>>();
  /** Every distinct value token, with the first file it was seen in. */
  readonly tokens = new Map<string, string>();

  /** One record: its value texts and the pseudonyms of its file path. */
  add(values: string[], file: string, pathPseudonyms: string[]): void {
    const pseudonyms = new Set(pathPseudonyms);
    const tokens = new Set<string>();
    for (const value of values) {
      if (ENUM_VALUES.has(value) || REPORT_CONSTANT_TEXTS.has(value)) continue;
      const kpi = KPI_ID_RE.exec(value);
      const text = kpi ? kpi[1] : value;
      for (const m of text.matchAll(PSEUDONYM_RE)) pseudonyms.add(detached(m[0]));
      for (const m of text.replace(PSEUDONYM_RE, ' ').matchAll(TOKEN_RE)) tokens.add(detached(m[0]));
    }
    for (const t of tokens) if (!this.tokens.has(t)) this.tokens.set(t, file);
    const services = [...pseudonyms].filter((p) => p.startsWith(`${PSEUDONYM_KINDS.service}-`));
    const instances = [...pseudonyms].filter((p) => p.startsWith(`${PSEUDONYM_KINDS.instance}-`));
    for (const p of [...services, ...instances]) {
      let set = this.byPseudonym.get(p);
      if (!set) this.byPseudonym.set(p, (set = new Set()));
      for (const t of tokens) set.add(t);
    }
    for (const s of services) {
      let set = this.instancesOf.get(s);
      if (!set) this.instancesOf.set(s, (set = new Set()));
      for (const i of instances) set.add(i);
    }
  }
}

/** The path's own tokens and pseudonyms (file names are output too). */
function pathValues(rel: string): string[] {
  return rel.split(path.sep).map((part) => part.replace(/\.(csv|json|arrow)(\.gz)?$/, ''));
}

async function scanCsv(file: string, rel: string, ev: Evidence, pathPs: string[]): Promise<void> {
  let header = true;
  for await (const batch of readCsvRecordBatches(file)) {
    for (const { fields } of batch) {
      ev.add(header ? fields.filter((f) => !isFormatKey(f)) : fields, rel, pathPs);
      header = false;
    }
  }
}

function scanJson(value: unknown, rel: string, ev: Evidence, pathPs: string[]): void {
  if (Array.isArray(value)) {
    const strings = value.filter((v): v is string => typeof v === 'string');
    if (strings.length) ev.add(strings, rel, pathPs);
    for (const v of value) if (v !== null && typeof v === 'object') scanJson(v, rel, ev, pathPs);
  } else if (value !== null && typeof value === 'object') {
    const texts: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      if (!isFormatKey(k)) texts.push(k);
      if (typeof v === 'string') texts.push(v);
      else if (Array.isArray(v)) texts.push(...v.filter((x): x is string => typeof x === 'string'));
    }
    ev.add(texts, rel, pathPs);
    for (const v of Object.values(value)) if (v !== null && typeof v === 'object') scanJson(v, rel, ev, pathPs);
  }
}

async function scanArrow(file: string, rel: string, ev: Evidence, pathPs: string[]): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const reader = await RecordBatchReader.from(handle);
    for await (const batch of reader) {
      const names = batch.schema.fields.map((f) => f.name).filter((n) => !isFormatKey(n));
      if (names.length) ev.add(names, rel, pathPs);
      const columns: Vector[] = batch.schema.fields.filter((f) => DataType.isUtf8(f.type) || DataType.isDictionary(f.type)).map((f) => batch.getChild(f.name)!);
      for (let i = 0; i < batch.numRows; i++) ev.add(columns.map((c) => (c.get(i) as string | null) ?? ''), rel, pathPs);
    }
  } finally {
    await handle.close();
  }
}

/** Read every file under `dir` into evidence. */
async function collect(dir: string): Promise<{ ev: Evidence; files: number }> {
  if (!fs.existsSync(path.join(dir, ANONYMISE_REPORT))) throw new Error(`${dir}: no ${ANONYMISE_REPORT}: not an anonymise output`);
  const ev = new Evidence();
  let files = 0;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    files++;
    const full = path.join(entry.parentPath, entry.name);
    const rel = path.relative(dir, full);
    const pathPs: string[] = [];
    for (const part of pathValues(rel)) for (const m of part.matchAll(PSEUDONYM_RE)) pathPs.push(m[0]);
    ev.add(pathValues(rel).filter((part) => !isFormatKey(part)), rel, pathPs);
    if (/\.csv(\.gz)?$/.test(entry.name)) await scanCsv(full, rel, ev, pathPs);
    else if (/\.json$/.test(entry.name)) scanJson(parseJsonText(readText(full, 'JSON file'), full), rel, ev, pathPs);
    else if (/\.arrow$/.test(entry.name)) await scanArrow(full, rel, ev, pathPs);
    else ev.add([fs.readFileSync(full).toString('latin1')], rel, pathPs);
  }
  return { ev, files };
}

/** The fragments of `fragments` a token gives away. Hex ids (trace ids, the fingerprint) are not words. */
function matches(token: string, fragments: readonly string[]): string[] {
  if (/^(?=.*\d)[0-9a-f]{8,}$/i.test(token)) return [];
  const pieces = new Set(identifierPieces(token));
  const joined = [...identifierPieces(token)].join('');
  return fragments.filter((f) => pieces.has(f) || (f.length >= 4 && joined.includes(f)));
}

export async function reidentify(opts: ReidentificationOptions): Promise<ReidentificationResult> {
  const { ev, files } = await collect(opts.dir);
  const originals = [...new Set(opts.originals)];
  const featuresOf = new Map(originals.map((o) => [o, nameFragments(o)]));
  const df = new Map<string, number>();
  for (const fs_ of featuresOf.values()) for (const f of fs_) df.set(f, (df.get(f) ?? 0) + 1);
  const fragments = [...df.keys()];
  const weight = (f: string) => Math.log(originals.length / df.get(f)!);

  const tokenMatches = new Map<string, string[]>();
  const exposed = new Map<string, Exposure>();
  for (const [token, file] of ev.tokens) {
    const found = matches(token, fragments);
    tokenMatches.set(token, found);
    for (const f of found) {
      let e = exposed.get(f);
      if (!e) exposed.set(f, (e = { fragment: f, tokens: [], file }));
      if (e.tokens.length < 5) e.tokens.push(token);
    }
  }

  const recovered: Recovery[] = [];
  let services = 0;
  for (const original of originals) {
    const pseudonym = opts.pseudonymOf(original);
    const own = ev.byPseudonym.get(pseudonym);
    if (!own) continue;
    services++;
    const tokens = new Set(own);
    for (const inst of ev.instancesOf.get(pseudonym) ?? []) for (const t of ev.byPseudonym.get(inst) ?? []) tokens.add(t);
    const matched = new Set<string>();
    for (const t of tokens) for (const f of tokenMatches.get(t) ?? []) matched.add(f);
    let best = 0;
    let winners: string[] = [];
    for (const [name, features] of featuresOf) {
      const score = features.filter((f) => matched.has(f)).reduce((s, f) => s + weight(f), 0);
      if (score > best + 1e-12) {
        best = score;
        winners = [name];
      } else if (best > 0 && Math.abs(score - best) <= 1e-12) winners.push(name);
    }
    if (winners.length === 1 && winners[0] === original) {
      recovered.push({ original, pseudonym, fragments: featuresOf.get(original)!.filter((f) => matched.has(f) && weight(f) > 0).sort() });
    }
  }
  return { services, recovered, exposed: [...exposed.values()].sort((a, b) => (a.fragment < b.fragment ? -1 : 1)), files };
}

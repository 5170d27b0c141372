/**
 * Keyed pseudonyms: HMAC-SHA256(subkey, kind NUL value), prefixed by kind. The same key gives the
 * same pseudonym for a value in every file and every run, so incidents, spans, messages, logs,
 * metrics and KPI series still line up after anonymisation, while nobody without the key can
 * recompute (or dictionary-attack) the originals.
 *
 * Free text goes through the same pseudonyms token by token: every identifier the tokenizer finds
 * (text.ts) and every word that is not generic vocabulary (vocabulary.ts) is replaced; a generic
 * word that is, or contains, a piece of a known name is replaced too.
 */
import { createHmac } from 'node:crypto';
import type { AnonymisationKey } from './key.js';
import { detached, identifierPieces, isCardNumber, isSingleToken, nameFragments, TextSegmenter, wholeNamesSource } from './text.js';
import { KEPT_PIECE_PATTERNS, ROUTE_WORDS, TEXT_WORDS } from './vocabulary.js';

/** What a value is; the kind is part of the HMAC input and the pseudonym's prefix. */
export const PSEUDONYM_KINDS = {
  service: 'svc',
  instance: 'inst',
  subsystem: 'sys',
  dcn: 'dcn',
  topic: 'topic',
  txType: 'tx',
  name: 'name',
  series: 'series',
  ip: 'ip',
  incident: 'inc',
  operation: 'op',
  bizSeqNo: 'biz',
  uniqueId: 'uid',
  traceId: 'trace',
  spanId: 'span',
  word: 'w',
  url: 'url',
  email: 'email',
  host: 'host',
  uuid: 'uuid',
  hex: 'hex',
  number: 'num',
  card: 'card',
} as const;
export type PseudonymKind = keyof typeof PSEUDONYM_KINDS;

/** Names: few distinct values, kept in memory so collisions are caught and free text can be scrubbed of them. */
const NAME_KINDS = ['service', 'instance', 'subsystem', 'dcn', 'topic', 'txType', 'name', 'series', 'incident'] as const satisfies readonly PseudonymKind[];
type NameKind = (typeof NAME_KINDS)[number];
/** Names that say who or what a component is: their pieces are never kept in free text. */
const IDENTITY_KINDS: readonly NameKind[] = ['service', 'instance', 'subsystem', 'dcn', 'topic', 'txType', 'name', 'series'];

/** Names get 12 characters (about 48 bits); everything else, with no bound on distinct values, 16. */
const NAME_LENGTH = 12;
const OTHER_LENGTH = 16;
const RECENT = 1 << 17;
/** Distinct texts remembered scrubbed (a text is a few hundred bytes: about 20 MB). */
const RECENT_TEXTS = 1 << 14;

/** Which word list free text is judged against. */
export type Vocabulary = 'text' | 'route';
const VOCABULARIES: Record<Vocabulary, readonly string[]> = { text: TEXT_WORDS, route: ROUTE_WORDS };

/** How operation (span) names are anonymised. */
export const OPERATION_MODES = ['pseudonymise', 'keep-shape'] as const;
export type OperationMode = (typeof OPERATION_MODES)[number];

/** Placeholders for dates and times written inside free text: they would undo the time shift. */
const TIME_PLACEHOLDER = { datetime: '<datetime>', date: '<date>', time: '<time>' } as const;

/**
 * The pseudonym's body has a digit exactly when the original has one (lower-case letters
 * otherwise), so tokenizers that treat digit-bearing tokens as variables (log template miners)
 * see the same tokens as variables before and after.
 */
function body(mac: Buffer, length: number, digits: boolean): string {
  if (digits) return String(mac[31] % 10) + mac.toString('hex').slice(0, length - 1);
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(97 + (mac.readUInt16BE(2 * i) % 26));
  return s;
}

/** Which words may stay verbatim, given the pieces of every known name. */
class KeptWords {
  private readonly cache = new Map<string, boolean>();
  private readonly long: string[];

  constructor(
    private readonly words: ReadonlySet<string>,
    private readonly fragments: ReadonlySet<string>,
  ) {
    this.long = [...fragments].filter((f) => f.length >= 4);
  }

  /** Every piece generic and not a name's piece, and no name's piece of 4+ characters inside. */
  keeps(token: string): boolean {
    let kept = this.cache.get(token);
    if (kept !== undefined) return kept;
    const pieces = identifierPieces(token);
    kept = pieces.length > 0 && pieces.every((p) => !this.fragments.has(p) && (this.words.has(p) || KEPT_PIECE_PATTERNS.some((re) => re.test(p))));
    if (kept) {
      const joined = pieces.join('');
      kept = !this.long.some((f) => joined.includes(f));
    }
    if (this.cache.size >= RECENT) this.cache.clear();
    this.cache.set(detached(token), kept);
    return kept;
  }

  /** The list words among a kept token's pieces (shape-kept pieces such as numbers are not words). */
  listed(token: string): string[] {
    return identifierPieces(token).filter((p) => this.words.has(p));
  }
}

export class Pseudonymiser {
  private readonly secret: Buffer;
  private readonly names = new Map<NameKind, Map<string, string>>();
  private readonly taken = new Map<string, string>();
  private readonly recent = new Map<PseudonymKind, Map<string, string>>();
  private readonly counts = new Map<string, number>();
  private readonly keptWords = new Map<string, Set<string>>();
  /** Identity names of every kind in one lookup, the earlier kind of IDENTITY_KINDS first. */
  private readonly identities = new Map<string, { rank: number; pseudonym: string }>();
  /** Scrubbed texts by vocabulary: log lines repeat their templates with few distinct values. */
  private readonly scrubbed: Record<Vocabulary, Map<string, { out: string; field: string }>> = { text: new Map(), route: new Map() };
  private kept: Record<Vocabulary, KeptWords> | null = null;
  private segmenter: TextSegmenter | null = null;

  constructor(key: AnonymisationKey) {
    this.secret = key.subkey('pseudonyms');
    for (const kind of NAME_KINDS) this.names.set(kind, new Map());
  }

  private digest(kind: PseudonymKind, value: string, length: number): string {
    const mac = createHmac('sha256', this.secret).update(kind).update('\0').update(value).digest();
    return `${PSEUDONYM_KINDS[kind]}-${body(mac, length, /\d/.test(value))}`;
  }

  /** The pseudonym of `value` as a `kind`. The empty string stays empty (it means "absent" everywhere). */
  map(kind: PseudonymKind, value: string): string {
    if (value === '') return '';
    const known = this.names.get(kind as NameKind);
    if (!known) {
      // Ids repeat over a transaction's messages and a trace's log lines, which arrive close
      // together: a bounded cache saves most HMACs without holding every id of a large file.
      let recent = this.recent.get(kind);
      if (!recent) this.recent.set(kind, (recent = new Map()));
      let id = recent.get(value);
      if (id === undefined) {
        if (recent.size >= RECENT) recent.clear();
        id = this.digest(kind, value, OTHER_LENGTH);
        recent.set(detached(value), id);
      }
      return id;
    }
    let pseudonym = known.get(value);
    if (pseudonym === undefined) {
      value = detached(value);
      pseudonym = this.digest(kind, value, NAME_LENGTH);
      const owner = this.taken.get(pseudonym);
      if (owner !== undefined && owner !== `${kind}\0${value}`) {
        // 48-bit pseudonyms collide with negligible odds; failing beats silently merging two names.
        throw new Error(`pseudonym collision for a ${kind} name; use a different key`);
      }
      this.taken.set(pseudonym, `${kind}\0${value}`);
      known.set(value, pseudonym);
      const rank = (IDENTITY_KINDS as readonly string[]).indexOf(kind);
      if (rank >= 0) {
        const held = this.identities.get(value);
        if (!held || held.rank > rank) this.identities.set(value, { rank, pseudonym });
        this.kept = null;
        this.scrubbed.text.clear();
        this.scrubbed.route.clear();
        if (!isSingleToken(value)) this.segmenter = null;
      }
    }
    return pseudonym;
  }

  /** Count `n` replaced values of `field` for the change report. */
  tally(field: string, n: number): void {
    if (n > 0) this.counts.set(field, (this.counts.get(field) ?? 0) + n);
  }

  private keptFor(vocabulary: Vocabulary): KeptWords {
    if (!this.kept) {
      const fragments = new Set<string>();
      for (const kind of IDENTITY_KINDS) for (const name of this.names.get(kind)!.keys()) for (const f of nameFragments(name)) fragments.add(f);
      this.kept = {
        text: new KeptWords(new Set(VOCABULARIES.text), fragments),
        route: new KeptWords(new Set(VOCABULARIES.route), fragments),
      };
    }
    return this.kept[vocabulary];
  }

  private textSegmenter(): TextSegmenter {
    if (!this.segmenter) {
      const multi: string[] = [];
      for (const kind of IDENTITY_KINDS) for (const name of this.names.get(kind)!.keys()) if (!isSingleToken(name)) multi.push(name);
      this.segmenter = new TextSegmenter(wholeNamesSource(multi));
    }
    return this.segmenter;
  }

  /** The pseudonym of a known name of any identity kind, or undefined. */
  private knownName(text: string): string | undefined {
    return this.identities.get(text)?.pseudonym;
  }

  /**
   * Free text with every identifier replaced (see the file comment); dates and times become
   * placeholders; generic words of `vocabulary` stay. Counts one changed value under `field`.
   */
  scrubText(text: string, field: string, vocabulary: Vocabulary = 'text'): string {
    if (text === '') return text;
    const cache = this.scrubbed[vocabulary];
    const hit = cache.get(text);
    // The kept words are noted per field: a text first seen under another field is scrubbed again.
    if (hit !== undefined && hit.field === field) {
      if (hit.out !== text) this.tally(field, 1);
      return hit.out;
    }
    const kept = this.keptFor(vocabulary);
    let out = '';
    for (const { kind, text: s } of this.textSegmenter().segments(text)) {
      switch (kind) {
        case 'other':
          out += s;
          break;
        case 'known':
          out += this.knownName(s) ?? this.map('word', s);
          break;
        case 'url':
        case 'email':
          out += this.map(kind, s);
          break;
        case 'uuid':
        case 'hex':
        case 'host':
          out += this.map(kind, s.toLowerCase());
          break;
        case 'ipv4':
        case 'ipv6':
          out += this.map('ip', s.toLowerCase());
          break;
        case 'datetime':
        case 'date':
        case 'time':
          out += TIME_PLACEHOLDER[kind];
          break;
        case 'digits': {
          const digits = s.replace(/[ -]/g, '');
          out += this.map(isCardNumber(digits) ? 'card' : 'number', digits);
          break;
        }
        case 'decimal':
          // A measurement (0.5, 123.456) stays; a long integer part is an id with a fraction.
          out += s.indexOf('.') <= 5 ? s : this.map('number', s);
          break;
        case 'token': {
          const name = this.knownName(s);
          if (name !== undefined) out += name;
          else if (kept.keeps(s)) {
            out += s;
            this.noteKept(field, kept.listed(s));
          } else out += this.map(/^\d+$/.test(s) ? (isCardNumber(s) ? 'card' : 'number') : 'word', s);
          break;
        }
      }
    }
    if (out !== text) this.tally(field, 1);
    if (cache.size >= RECENT_TEXTS) cache.clear();
    out = detached(out);
    cache.set(detached(text), { out, field });
    return out;
  }

  /** An operation (span) name: one pseudonym for the whole name, or its shape kept (route words only). */
  operation(name: string, mode: OperationMode, field: string): string {
    if (mode === 'keep-shape') return this.scrubText(name, field, 'route');
    if (name !== '') this.tally(field, 1);
    return this.map('operation', name);
  }

  private noteKept(field: string, words: string[]): void {
    if (!words.length) return;
    let set = this.keptWords.get(field);
    if (!set) this.keptWords.set(field, (set = new Set()));
    for (const w of words) set.add(w);
  }

  /**
   * Values replaced per field; distinct names pseudonymised per kind; the list words kept
   * verbatim per field. No originals.
   */
  report(): { replaced: Record<string, number>; distinct: Record<string, number>; keptWords: Record<string, string[]> } {
    const replaced: Record<string, number> = {};
    for (const [field, n] of [...this.counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) replaced[field] = n;
    const distinct: Record<string, number> = {};
    for (const kind of NAME_KINDS) {
      const n = this.names.get(kind)!.size;
      if (n > 0) distinct[kind] = n;
    }
    const keptWords: Record<string, string[]> = {};
    for (const [field, words] of [...this.keptWords].sort((a, b) => (a[0] < b[0] ? -1 : 1))) keptWords[field] = [...words].sort();
    return { replaced, distinct, keptWords };
  }
}

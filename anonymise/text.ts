/**
 * Pure text analysis for anonymisation: where the identifiers are in a piece of free text (URLs,
 * e-mail addresses, UUIDs and hex ids, dates and times, IP addresses, host names, long digit runs
 * and card numbers), how an identifier splits into its pieces, and which pieces of known names an
 * attacker would look for. No keys here: scrub.ts decides what each segment becomes.
 */

/** What a stretch of text is. `token`: a word or compound identifier; `other`: punctuation, space. */
export type SegmentKind =
  | 'known'
  | 'url'
  | 'email'
  | 'uuid'
  | 'datetime'
  | 'date'
  | 'time'
  | 'ipv4'
  | 'ipv6'
  | 'host'
  | 'hex'
  | 'digits'
  | 'decimal'
  | 'token'
  | 'other';

export interface Segment {
  kind: SegmentKind;
  text: string;
}

// Word characters in any script; a recogniser never starts or ends inside a run of them.
const W = '\\p{L}\\p{N}_';
const RECOGNISERS: readonly [SegmentKind, string][] = [
  ['url', `(?<![${W}])[a-zA-Z][a-zA-Z0-9+.-]*://[^\\s"'<>\\\\^\`{|}]+`],
  ['email', `(?<![${W}.+-])[${W}.+-]+@[${W}-]+(?:\\.[${W}-]+)+`],
  ['uuid', `(?<![${W}-])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![${W}-])`],
  ['datetime', `(?<![${W}])\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?(?: ?(?:Z|[+-]\\d{2}:?\\d{2}))?(?: ?UTC)?(?![${W}])`],
  ['date', `(?<![${W}/.-])(?:\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}|\\d{1,2}[-/.]\\d{1,2}[-/.]\\d{4})(?![${W}]|[/.-]\\d)`],
  ['time', `(?<![${W}:.])\\d{1,2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?(?![${W}]|:\\d)`],
  ['ipv4', `(?<![${W}.])(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)(?:\\.(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}(?![${W}]|\\.\\d)`],
  // Eight groups, or a `::` with at least one digit somewhere (`Repo.add::cafe` is code, not an address).
  ['ipv6', `(?<![${W}:])(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|(?=[0-9a-fA-F:]*\\d)(?:[0-9a-fA-F]{1,4}:)*:(?::|(?:[0-9a-fA-F]{1,4}:)*[0-9a-fA-F]{1,4}))(?![${W}:])`],
  // Lower-case dotted names: three labels or more, or two with a common top-level domain.
  ['host', `(?<![${W}.-])(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.){2,}[a-z](?:[a-z0-9-]*[a-z0-9])?|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.(?:com|net|org|io|cn|local|internal|lan|corp|intra|bank))(?![${W}-]|\\.[${W}])`],
  ['hex', `(?<![${W}-])(?=[0-9a-fA-F]*\\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}(?![${W}-])`],
  // Six or more digits, optionally grouped by single spaces or dashes (card and account numbers).
  ['digits', `(?<![${W}.-])\\d(?:[ -]?\\d){5,}(?![${W}]|\\.\\d)`],
  ['decimal', `(?<![${W}.])\\d+\\.\\d+(?![${W}]|\\.\\d)`],
];
const TOKEN = `[${W}]+(?:-[${W}]+)*`;

/**
 * Splits free text into segments whose texts concatenate back to it. `known` (a regular
 * expression source, optional) is tried first: names that are not single tokens (dotted topics,
 * host names) match as a whole.
 */
export class TextSegmenter {
  private readonly re: RegExp;
  private readonly kinds: SegmentKind[];

  constructor(known?: string) {
    const alternatives = known ? [['known', known] as const, ...RECOGNISERS] : RECOGNISERS;
    this.kinds = alternatives.map(([k]) => k);
    this.re = new RegExp(`${alternatives.map(([, source]) => `(${source})`).join('|')}|(${TOKEN})`, 'gu');
  }

  segments(text: string): Segment[] {
    const out: Segment[] = [];
    let last = 0;
    this.re.lastIndex = 0;
    for (let m = this.re.exec(text); m !== null; m = this.re.exec(text)) {
      if (m.index > last) out.push({ kind: 'other', text: text.slice(last, m.index) });
      let kind: SegmentKind = 'token';
      for (let g = 0; g < this.kinds.length; g++) {
        if (m[g + 1] !== undefined) {
          kind = this.kinds[g];
          break;
        }
      }
      out.push({ kind, text: m[0] });
      last = m.index + m[0].length;
    }
    if (last < text.length) out.push({ kind: 'other', text: text.slice(last) });
    return out;
  }
}

const SEPARATORS = /[^\p{L}\p{N}]+/u;
// lower|Upper, UPPER|Upper-lower (HTTPServer), digit|Upper-lower (V1Routes).
const CAMEL = /(?<=\p{Ll})(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})|(?<=\p{N})(?=\p{Lu}\p{Ll})/u;

/**
 * The pieces of an identifier, lower case: split on every non-alphanumeric character (kebab,
 * snake, dots, paths, spaces) and on camel-case boundaries. Letters and digits that touch stay
 * together (`travel2`, `p99`, `v1`).
 */
export function identifierPieces(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(SEPARATORS)) {
    if (!part) continue;
    for (const piece of part.split(CAMEL)) if (piece) out.push(piece.toLowerCase());
  }
  return out;
}

/**
 * What an attacker matches a name by: its pieces (`ts`, `travel`, `service` of ts-travel-service),
 * runs of adjacent pieces written together (`travelservice`, `tstravel`), and the whole name
 * without separators. Pieces without a letter or shorter than two characters identify nobody and
 * are left out.
 */
export function nameFragments(name: string): string[] {
  const pieces = identifierPieces(name).filter((p) => p.length >= 2 && /\p{L}/u.test(p));
  const out = new Set(pieces);
  const all = identifierPieces(name);
  for (let i = 0; i < all.length; i++) {
    let run = all[i];
    for (let j = i + 1; j < all.length; j++) {
      run += all[j];
      out.add(run);
    }
  }
  return [...out];
}

/** Luhn (mod 10) check digit, as payment card numbers carry it. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** A payment card number: 13 to 19 digits passing the Luhn check (ISO/IEC 7812). */
export function isCardNumber(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && luhnValid(digits);
}

/** The regular-expression source matching any of `names` as a whole (not inside a longer name). */
export function wholeNamesSource(names: Iterable<string>): string | undefined {
  const sorted = [...new Set(names)].filter((n) => n.length > 0).sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  if (!sorted.length) return undefined;
  const alternation = sorted.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|');
  return `(?<![${W}.-])(?:${alternation})(?![${W}-]|\\.[${W}])`;
}

const SINGLE_TOKEN = new RegExp(`^${TOKEN}$`, 'u');

/** A single token as TextSegmenter finds them (a name of this shape is matched by lookup). */
export function isSingleToken(text: string): boolean {
  return SINGLE_TOKEN.test(text);
}

/**
 * A copy of `s` that does not keep alive the text it was cut from: V8 represents a slice of a
 * long string (a CSV field of a 1 MB chunk) as a view of it, so caching the slice would cache
 * the chunk.
 */
export function detached(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}

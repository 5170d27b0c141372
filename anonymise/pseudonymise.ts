/**
 * Keyed pseudonyms: HMAC-SHA256(key, kind NUL value). The same key gives the same pseudonym for a
 * value in every file, so incidents, spans, messages and KPI series still line up after
 * anonymisation, while nobody without the key can recompute (or dictionary-attack) the originals.
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';

/** Shortest key accepted: HMAC-SHA256 keys shorter than the 32-byte hash output weaken it (RFC 2104). */
export const MIN_KEY_BYTES = 32;

/** What a value is; the kind is part of the HMAC input and the pseudonym's prefix. */
export const PSEUDONYM_KINDS = {
  service: 'svc',
  instance: 'inst',
  subsystem: 'sys',
  dcn: 'dcn',
  topic: 'topic',
  ip: 'ip',
  bizSeqNo: 'biz',
  uniqueId: 'uid',
  traceId: 'trace',
  spanId: 'span',
  account: 'acct',
  series: 'series',
  incident: 'inc',
} as const;
export type PseudonymKind = keyof typeof PSEUDONYM_KINDS;

/** Near-unique per-row ids get 64 bits (no birthday collisions at 1e9 values); names get 48. */
const ID_KINDS: ReadonlySet<PseudonymKind> = new Set(['bizSeqNo', 'uniqueId', 'traceId', 'spanId', 'account']);
/** Names kept in memory (few distinct values) so collisions are caught and free text can be scrubbed. */
const NAME_KINDS: readonly PseudonymKind[] = ['service', 'instance', 'subsystem', 'dcn', 'topic', 'ip', 'series'];

const RECENT_IDS = 1 << 18;

const IPV4_RE = /(?<![\d.])(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?![\d.])/g;
// IPv6 with at least two groups and a double colon or all eight groups.
const IPV6_RE = /(?<![\w:])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\w:])|(?<![\w:])(?:[0-9a-f]{1,4}:)+:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?(?![\w:])/gi;
/** Account-like: six or more digits, optionally grouped by single spaces or dashes (card numbers). */
const ACCOUNT_RE = /(?<!\d)\d(?:[ -]?\d){5,}(?!\d)/g;

export class Pseudonymiser {
  private readonly key: Buffer;
  private readonly names = new Map<PseudonymKind, Map<string, string>>();
  private readonly taken = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  private readonly recentIds = new Map<PseudonymKind, Map<string, string>>();
  private nameRe: RegExp | null = null;
  private nameReSize = -1;

  constructor(key: Buffer) {
    if (key.length < MIN_KEY_BYTES) {
      throw new Error(`anonymisation key is ${key.length} bytes; at least ${MIN_KEY_BYTES} are required (e.g. openssl rand -hex 32 > key)`);
    }
    this.key = Buffer.from(key);
    for (const kind of NAME_KINDS) this.names.set(kind, new Map());
  }

  /** Read a key file; trailing whitespace (a newline from `echo` or `openssl rand -hex`) is not key material. */
  static async fromKeyFile(keyFile: string | undefined): Promise<Pseudonymiser> {
    if (!keyFile) throw new Error('refusing to anonymise without a key: pass --key-file <file>');
    let raw: Buffer;
    try {
      raw = await fs.promises.readFile(keyFile);
    } catch (err) {
      throw new Error(`${keyFile}: cannot read key file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let end = raw.length;
    while (end > 0 && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d || raw[end - 1] === 0x20 || raw[end - 1] === 0x09)) end--;
    try {
      return new Pseudonymiser(raw.subarray(0, end));
    } catch (err) {
      throw new Error(`${keyFile}: ${(err as Error).message}`);
    }
  }

  private digest(kind: PseudonymKind, value: string): string {
    const hex = createHmac('sha256', this.key).update(kind).update('\0').update(value).digest('hex');
    return `${PSEUDONYM_KINDS[kind]}-${hex.slice(0, ID_KINDS.has(kind) ? 16 : 12)}`;
  }

  /** The pseudonym of `value` as a `kind`. The empty string stays empty (it means "absent" everywhere). */
  map(kind: PseudonymKind, value: string): string {
    if (value === '') return '';
    const known = this.names.get(kind);
    if (!known) {
      // Ids repeat over a transaction's messages, which arrive close together: a bounded cache
      // saves most HMACs without holding every id of a large file.
      let recent = this.recentIds.get(kind);
      if (!recent) this.recentIds.set(kind, (recent = new Map()));
      let id = recent.get(value);
      if (id === undefined) {
        if (recent.size >= RECENT_IDS) recent.clear();
        id = this.digest(kind, value);
        recent.set(value, id);
      }
      return id;
    }
    let pseudonym = known.get(value);
    if (pseudonym === undefined) {
      pseudonym = this.digest(kind, value);
      const owner = this.taken.get(pseudonym);
      if (owner !== undefined && owner !== `${kind}\0${value}`) {
        // 48-bit pseudonyms collide with negligible odds; failing beats silently merging two names.
        throw new Error(`pseudonym collision for a ${kind} name; use a different key`);
      }
      this.taken.set(pseudonym, `${kind}\0${value}`);
      known.set(value, pseudonym);
    }
    return pseudonym;
  }

  /** Count `n` replaced values of `field` for the change report. */
  tally(field: string, n: number): void {
    if (n > 0) this.counts.set(field, (this.counts.get(field) ?? 0) + n);
  }

  /**
   * Free text (operation names, transaction types, return codes): every name already pseudonymised
   * as a whole value, every IP address and every account-like digit run is replaced in place.
   * Counts one change per distinct text under `field`.
   */
  scrubText(text: string, field: string): string {
    if (text === '') return text;
    let out = text.replace(this.knownNamesRe(), (m) => this.replaceKnown(m));
    out = out.replace(IPV4_RE, (m) => this.map('ip', m));
    // Words of hex letters around `::` (e.g. `add::`) are code, not addresses: an address has a digit.
    out = out.replace(IPV6_RE, (m) => (/\d/.test(m) ? this.map('ip', m.toLowerCase()) : m));
    out = out.replace(ACCOUNT_RE, (m) => this.map('account', m.replace(/[ -]/g, '')));
    if (out !== text) this.tally(`${field} (texts scrubbed)`, 1);
    return out;
  }

  /** A short fingerprint of the key, so two outputs can be checked to share a key without revealing it. */
  keyFingerprint(): string {
    return createHmac('sha256', this.key).update('faultline key fingerprint').digest('hex').slice(0, 16);
  }

  private replaceKnown(name: string): string {
    for (const kind of NAME_KINDS) {
      const p = this.names.get(kind)!.get(name);
      if (p !== undefined) return p;
    }
    return name;
  }

  /** One alternation of every known name, longest first, bounded by non-name characters. */
  private knownNamesRe(): RegExp {
    let size = 0;
    for (const kind of NAME_KINDS) size += this.names.get(kind)!.size;
    if (this.nameRe && size === this.nameReSize) return this.nameRe;
    const all = new Set<string>();
    for (const kind of NAME_KINDS) for (const name of this.names.get(kind)!.keys()) if (name.length >= 3) all.add(name);
    const alternation = [...all]
      .sort((a, b) => b.length - a.length || (a < b ? -1 : 1))
      .map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
      .join('|');
    this.nameRe = alternation ? new RegExp(`(?<![\\w-])(?:${alternation})(?![\\w-])`, 'g') : /$^/g;
    this.nameReSize = size;
    return this.nameRe;
  }

  /** Values replaced per field; distinct names pseudonymised per kind. No originals. */
  report(): { fields: Record<string, number>; distinct: Record<string, number> } {
    const fields: Record<string, number> = {};
    for (const [field, n] of [...this.counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) fields[field] = n;
    const distinct: Record<string, number> = {};
    for (const kind of NAME_KINDS) {
      const n = this.names.get(kind)!.size;
      if (n > 0) distinct[kind] = n;
    }
    return { fields, distinct };
  }
}

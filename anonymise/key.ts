/**
 * The anonymisation key: read, judged for strength, stretched, and split into independent
 * secrets (pseudonyms, the key fingerprint, the keyed time shift). Nothing derived from it leaves
 * the process except pseudonyms and the fingerprint, and both cost one scrypt per key guess to test.
 */
import { createHmac, randomBytes, scrypt } from 'node:crypto';
import fs from 'node:fs';
import { FaultlineError } from '../common/errors.js';

/** Shortest key accepted: HMAC-SHA256 keys shorter than the 32-byte hash output weaken it (RFC 2104). */
export const MIN_KEY_BYTES = 32;
/** A key file holds a key, not a document: a larger file is a wrong path. */
const MAX_KEY_BYTES = 4096;
/** A key file written as text: hex needs 64 characters and base64 43 for 32 random bytes. */
const MIN_HEX_CHARS = 64;
const MIN_BASE64_CHARS = 43;
/** Any other text is a passphrase: at least this many characters (about eight random words). */
export const MIN_PASSPHRASE_CHARS = 64;
/** Empirical entropy floor (bits over the whole key, from its byte histogram): catches skewed keys. */
const MIN_HISTOGRAM_BITS = 128;
const NEW_KEY_HINT = 'write a fresh one with `faultline anonymise --new-key <file>` (or openssl rand -hex 32 > <file>)';

/**
 * scrypt (RFC 7914) with N = 2^17, r = 8, p = 1 (128 MiB, about a second): the cost of every key
 * guess. The salt is fixed (the key is the secret; a salt only separates faultline from other uses).
 */
const SCRYPT = { N: 1 << 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 } as const;
const SCRYPT_SALT = 'faultline anonymise v1';

/** Keyed time shift: a whole number of weeks back (weekday and time of day stay), 1 to 10 years. */
const SHIFT_MIN_WEEKS = 52;
const SHIFT_SPAN_WEEKS = 469;
const WEEK_MS = 7 * 86_400_000;

/** A missing, unreadable or weak key, or a key file that may not be written: the user's to fix. */
export class KeyError extends FaultlineError {
  override name = 'KeyError';
}

/** Why `raw` is not a usable key, or null. `raw` excludes trailing whitespace. */
export function keyWeakness(raw: Uint8Array): string | null {
  const n = raw.length;
  if (n < MIN_KEY_BYTES) return `is ${n} bytes; at least ${MIN_KEY_BYTES} are required`;
  if (n > MAX_KEY_BYTES) return `is ${n} bytes: a key file holds at most ${MAX_KEY_BYTES} (is this the right file?)`;
  if (raw.every((b) => b === raw[0])) return 'is one byte repeated';
  for (let period = 1; period <= n / 2; period++) {
    let repeats = true;
    for (let i = period; i < n && repeats; i++) repeats = raw[i] === raw[i - period];
    if (repeats) return `repeats a pattern of ${period} bytes`;
  }
  let printable = 0;
  for (const b of raw) if (b >= 0x20 && b < 0x7f) printable++;
  if (printable >= 0.9 * n) {
    const text = Buffer.from(raw).toString('latin1');
    if (/^[0-9a-f]+$/i.test(text)) {
      if (n < MIN_HEX_CHARS) return `is ${n} hex digits (${n / 2} bytes of randomness); at least ${MIN_HEX_CHARS} are required`;
    } else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text) && /[A-Z]/.test(text) && /[a-z]/.test(text)) {
      if (n < MIN_BASE64_CHARS) return `is ${n} base64 characters; at least ${MIN_BASE64_CHARS} (32 bytes) are required`;
    } else if (n < MIN_PASSPHRASE_CHARS) {
      return `is text of ${n} characters; a passphrase needs at least ${MIN_PASSPHRASE_CHARS}`;
    }
  }
  const counts = new Map<number, number>();
  for (const b of raw) counts.set(b, (counts.get(b) ?? 0) + 1);
  let bits = 0;
  for (const c of counts.values()) bits -= c * Math.log2(c / n);
  if (bits < MIN_HISTOGRAM_BITS) return `has too little variety (${Math.floor(bits)} bits by its byte counts; at least ${MIN_HISTOGRAM_BITS})`;
  return null;
}

/**
 * A text key's trailing whitespace (a newline from `echo` or `openssl rand -hex`) is not key
 * material; a binary key is used as it is (its last byte may happen to be a newline).
 */
function trimKey(raw: Buffer): Buffer {
  let end = raw.length;
  while (end > 0 && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d || raw[end - 1] === 0x20 || raw[end - 1] === 0x09)) end--;
  for (let i = 0; i < end; i++) if (raw[i] < 0x20 || raw[i] > 0x7e) return raw;
  return raw.subarray(0, end);
}

const derived = new Map<string, Promise<Buffer>>();

function stretch(raw: Buffer): Promise<Buffer> {
  // One derivation per key per process: repeated runs in one process (tests, sweeps) pay it once.
  const id = createHmac('sha256', 'faultline key cache').update(raw).digest('base64');
  let master = derived.get(id);
  if (!master) {
    master = new Promise<Buffer>((resolve, reject) => scrypt(raw, SCRYPT_SALT, 32, SCRYPT, (err, out) => (err ? reject(err) : resolve(out))));
    derived.set(id, master);
  }
  return master;
}

export class AnonymisationKey {
  private constructor(private readonly master: Buffer) {}

  /** A key from its bytes (trailing whitespace trimmed); throws KeyError naming the weakness. */
  static async fromBytes(bytes: Buffer, source = 'the anonymisation key'): Promise<AnonymisationKey> {
    const raw = trimKey(bytes);
    const weakness = keyWeakness(raw);
    if (weakness) throw new KeyError(`${source} ${weakness}: ${NEW_KEY_HINT}`);
    return new AnonymisationKey(await stretch(raw));
  }

  static async fromFile(keyFile: string | undefined): Promise<AnonymisationKey> {
    if (!keyFile) throw new KeyError('refusing to anonymise without a key: pass --key-file <file>');
    let raw: Buffer;
    try {
      raw = await fs.promises.readFile(keyFile);
    } catch (err) {
      throw new KeyError(`${keyFile}: cannot read key file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return AnonymisationKey.fromBytes(raw, `${keyFile}: the key`);
  }

  /** An independent secret for one purpose (HMAC of the stretched key with a label). */
  subkey(purpose: string): Buffer {
    return createHmac('sha256', this.master).update(`faultline ${purpose}`).digest();
  }

  /**
   * 64 bits that show whether two outputs share a key (their pseudonyms then line up). It reveals
   * nothing about a random 256-bit key (2^192 keys share each value) and, like any pseudonym, lets
   * someone holding a candidate key confirm it, at one scrypt per guess.
   */
  fingerprint(): string {
    return this.subkey('key fingerprint').toString('hex').slice(0, 16);
  }

  /** The keyed time shift in ms (negative): secret, the same for every run with this key. */
  timeShiftMs(): number {
    const weeks = SHIFT_MIN_WEEKS + (this.subkey('time shift').readUInt32BE(0) % SHIFT_SPAN_WEEKS);
    return -weeks * WEEK_MS;
  }
}

/**
 * Write a fresh random key (32 bytes as 64 hex digits and a newline) readable by its owner only.
 * Never replaces an existing file.
 */
export function writeNewKey(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new KeyError(`${file} exists: a new key never replaces a file (an old key would be lost)`);
    throw new KeyError(`${file}: cannot create key file: ${code ?? (err as Error).message}`);
  }
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, `${randomBytes(MIN_KEY_BYTES).toString('hex')}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

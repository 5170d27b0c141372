/** Test keys: 32 bytes that look random, derived from a label (deterministic, and strong by keyWeakness). */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AnonymisationKey } from '../../anonymise/key.js';
import { Pseudonymiser } from '../../anonymise/pseudonymise.js';

export function testKeyBytes(label: string): Buffer {
  return createHash('sha256').update(`faultline test key: ${label}`).digest();
}

/** A key file holding the label's key as 64 hex digits and a newline, as `--new-key` writes it. */
export function writeTestKey(dir: string, label: string): string {
  const file = path.join(dir, `key-${label}`);
  fs.writeFileSync(file, `${testKeyBytes(label).toString('hex')}\n`);
  return file;
}

/** The pseudonymiser of the key writeTestKey(…, label) writes. */
export async function testPseudonymiser(label = 'unit'): Promise<Pseudonymiser> {
  return new Pseudonymiser(await AnonymisationKey.fromBytes(Buffer.from(testKeyBytes(label).toString('hex'))));
}

/**
 * Split a comma-separated list of detector or RCA specs. A spec may carry its own comma-separated
 * options (`ksigma:window=120,k=4`), so a part that is only `key=value` continues the spec before it.
 */
export function splitSpecs(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (!part) continue;
    if (out.length > 0 && /^[A-Za-z_][\w.-]*=/.test(part)) out[out.length - 1] += `,${part}`;
    else out.push(part);
  }
  return out;
}

/** `ours=theirs,ours=theirs` (the --columns syntax of `faultline rca --spans`) as a record. */
export function parseColumnMapping(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (!part.trim()) continue;
    const m = /^\s*([^=\s]+)\s*=\s*(.+?)\s*$/.exec(part);
    if (!m) throw new Error(`column mapping '${part}' is not ours=theirs`);
    if (m[1] in out) throw new Error(`column mapping names '${m[1]}' twice`);
    out[m[1]] = m[2];
  }
  return out;
}

import path from 'node:path';

/** An output folder is replaced when complete: refuse one that is, or holds, an input. */
export function assertOutputHoldsNoInput(out: string, inputs: (string | undefined)[]): void {
  const target = path.resolve(out);
  for (const input of inputs) {
    if (!input) continue;
    const rel = path.relative(target, path.resolve(input));
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) throw new Error(`--out ${out} holds the input ${input}: choose a new folder`);
  }
}

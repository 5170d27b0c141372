import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The faultline package root (holds package.json), found from this module in sim/ or dist/sim/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'scenarios'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the faultline package root above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export function scenariosDir(): string {
  return join(packageRoot(), 'scenarios');
}

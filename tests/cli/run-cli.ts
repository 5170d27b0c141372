/** The built CLI (dist/, which `npm test` builds) run as a user runs it, for the CLI tests. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = path.join(ROOT, 'dist/cli/faultline.js');

/** Runs `faultline <args>` in `cwd`, without progress output. */
export function cli(args: string[], cwd = ROOT) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1', FAULTLINE_QUIET: '1' } });
}

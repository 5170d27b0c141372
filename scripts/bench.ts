/**
 * `npm run bench`: runs every benchmark in scripts/bench/ in its own Node process (a shared call
 * site would skew the JIT between implementations) and prints their tables. Pass names to run a
 * subset: `npm run bench -- sim detectors`; `--help` lists the names.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), 'bench');
const wanted = process.argv.slice(2);
const names = readdirSync(benchDir)
  .filter((f) => f.endsWith('.js'))
  .map((f) => f.replace(/\.js$/, ''))
  .sort();
if (wanted.includes('--help')) {
  process.stdout.write(`npm run bench [-- name ...]: every benchmark, or the named ones\n  ${names.join('\n  ')}\n`);
  process.exit(0);
}
const unknown = wanted.filter((w) => !names.includes(w));
if (unknown.length) {
  process.stderr.write(`no benchmark named ${unknown.join(', ')} (there are: ${names.join(', ')})\n`);
  process.exit(2);
}
const files = names.filter((n) => wanted.length === 0 || wanted.includes(n)).map((n) => `${n}.js`);
let failed = 0;
for (const file of files) {
  process.stdout.write(`\n## ${file.replace(/\.js$/, '')}\n`);
  const result = spawnSync(process.execPath, ['--expose-gc', join(benchDir, file)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;

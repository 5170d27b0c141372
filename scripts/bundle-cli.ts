/**
 * Bundles the compiled CLI (dist/scripts/cli.js) into dist/cli/: the `faultline` the package's
 * `bin` runs. Node's ESM loader resolves and compiles every module file on its own, and the CLI's
 * shell (yargs and its layout helpers, zod, the command modules) is about a hundred of them: one
 * file for the shell and one chunk per lazily loaded part bring `faultline --help` and the listings
 * under 0.3 s of CPU (scripts/bench/cli.ts). Each command still loads the library only when it
 * runs (dynamic imports become chunks). The built-in detector and RCA listings are rendered here,
 * from the compiled registries, and carried in the bundle: listing them then loads no plugin code
 * (tests/cli checks that the bundle prints what the registries say). Packages that are large,
 * native, WebAssembly or spawn their own workers stay outside the bundle, loaded from
 * node_modules.
 *
 *   npm run build   (tsc, then this)
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../common/package-root.js';
import { renderBuiltinListings } from './commands/methods-list.js';

const root = packageRoot();
const outdir = join(root, 'dist', 'cli');

/** Kept out of the bundle: each loads only in the commands that use it. */
const EXTERNAL = [
  '@duckdb/node-api',
  '@observablehq/plot',
  'apache-arrow',
  'bullmq',
  'ioredis',
  'parquet-wasm',
  'piscina',
  'playwright-core',
];

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { faultline: join(root, 'dist', 'scripts', 'cli.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  define: { FAULTLINE_BUILTIN_LISTINGS: JSON.stringify(JSON.stringify(await renderBuiltinListings())) },
  // Bundled CommonJS packages call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __faultlineRequire } from 'node:module'; const require = __faultlineRequire(import.meta.url);" },
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  legalComments: 'linked',
});

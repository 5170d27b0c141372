/**
 * What a command costs before it does anything: CPU time (user + system) of `faultline --help`,
 * `faultline detectors` and `faultline rca-methods`, each in a fresh process, measured inside the
 * child at exit (process.cpuUsage covers every thread), best and median of 7 runs, through the
 * bundled CLI users run (dist/cli/faultline.js, scripts/bundle-cli.ts). Target: under 0.3 s of CPU
 * for --help and the listings. Node itself (`node -e 0`) is measured alongside: under load every
 * figure grows, and the floor says by how much.
 *
 *   npm run build && node dist/scripts/bench/cli.js
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../cli/faultline.js', import.meta.url));
// Written by the child as it exits: its own user + system CPU time, microseconds.
const PROBE = "process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('\\ncpu-us '+(u.user+u.system)+'\\n')})";
const RUNS = 7;

function cpuSeconds(args: string[], script: string[] = [CLI]): number[] {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(PROBE)}`, ...script, ...args], { encoding: 'utf8' });
    const m = /cpu-us (\d+)/.exec(r.stderr);
    if (r.status !== 0 || !m) throw new Error(`faultline ${args.join(' ')} failed: ${r.stderr}`);
    out.push(Number(m[1]) / 1e6);
  }
  return out.sort((a, b) => a - b);
}

const rows = [['--help'], ['detectors'], ['rca-methods'], ['run', '--help']].map((args) => {
  const s = cpuSeconds(args);
  return { command: `faultline ${args.join(' ')}`, 'best CPU s': s[0]!.toFixed(3), 'median CPU s': s[Math.floor(RUNS / 2)]!.toFixed(3), target: '< 0.300' };
});
const shell = cpuSeconds(['--version']);
const node = cpuSeconds([], ['-e', '0']);
console.table(rows);
console.log(`the CLI's shell alone (faultline --version): best ${shell[0]!.toFixed(3)} s CPU; node alone (node -e 0): best ${node[0]!.toFixed(3)} s`);
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);

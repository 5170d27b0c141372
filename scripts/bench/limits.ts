/**
 * Inputs that once ran without bound, each through the real CLI in its own process, with its wall
 * time, CPU time and peak RSS (measured inside the child at exit: process.resourceUsage().maxRSS):
 *
 * - repeated timestamps: one series CSV with every row written twice (the repeats are repaired 1 ms
 *   apart and counted), at 1M and 10M points: `detect --detectors ksigma`;
 * - a 10-million-point series (long KPI CSV) and a 5-million-point one: `detect`;
 * - 10,000 and 100,000 incidents over 200,000 spans: `rca --rca count`;
 * - the shared Nezha day's spans replicated 10 times (ids suffixed, times shifted by whole days,
 *   its fault list likewise: 10x spans and 10x incidents) beside the day itself: `rca --rca count`.
 *
 * Time should grow linearly with the input and peak RSS stay bounded (docs/formats.md, Limits).
 * Inputs are generated under the system temp folder and removed at the end.
 *
 *   npm run build && node dist/scripts/bench/limits.js [repeats|series|incidents|nezha ...]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createGzip, gunzipSync } from 'node:zlib';
import { once } from 'node:events';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const PROBE = "process.on('exit',()=>{const u=process.resourceUsage();process.stderr.write('\\nprobe '+(u.userCPUTime+u.systemCPUTime)+' '+u.maxRSS+'\\n')})";
const work = mkdtempSync(join(tmpdir(), 'faultline-bench-limits-'));
const wanted = process.argv.slice(2);
const rows: Record<string, string>[] = [];
const T0 = Date.UTC(2026, 0, 5);

/** Runs `faultline args`: wall s, CPU s, peak RSS MB; throws on a non-zero exit. */
function measure(name: string, args: string[], points: number): void {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(PROBE)}`, CLI, ...args, '--out', join(work, `out-${rows.length}`)], {
    encoding: 'utf8',
    env: { ...process.env, FAULTLINE_QUIET: '1' },
    maxBuffer: 1 << 26,
  });
  const wall = (performance.now() - t) / 1000;
  const m = /probe (\d+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${name}: faultline ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const cpu = Number(m[1]) / 1e6;
  rows.push({ case: name, 'wall s': wall.toFixed(1), 'CPU s': cpu.toFixed(1), 'CPU µs per unit': ((cpu / points) * 1e6).toFixed(2), 'peak RSS MB': (Number(m[2]) / 1024).toFixed(0) });
}

/** Writes a text file line by line through a stream (gzipped when the name ends in .gz). */
async function writeLines(file: string, header: string, n: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(file);
  const gz = file.endsWith('.gz') ? createGzip({ level: 1 }) : undefined;
  if (gz) gz.pipe(out);
  const sink = gz ?? out;
  let buf = `${header}\n`;
  for (let i = 0; i < n; i++) {
    buf += `${line(i)}\n`;
    if (buf.length > 1 << 20) {
      if (!sink.write(buf)) await once(sink, 'drain');
      buf = '';
    }
  }
  sink.end(buf);
  await once(out, 'close');
}

const value = (i: number) => (100 + ((i * 7919) % 13) + (i % 1440 === 700 ? 60 : 0)).toFixed(1);

if (!wanted.length || wanted.includes('repeats')) {
  for (const n of [1_000_000, 10_000_000]) {
    const dir = join(work, `repeats-${n}`);
    mkdirSync(dir);
    // Every minute written twice: n points, n/2 distinct times.
    await writeLines(join(dir, 'a.csv'), 'timestamp,value', n, (i) => `${T0 / 1000 + Math.floor(i / 2) * 60},${value(i >> 1)}`);
    measure(`series CSV, every row twice, ${n / 1e6}M rows`, ['detect', '--series', dir, '--detectors', 'ksigma', '--no-progress'], n);
  }
}
if (!wanted.length || wanted.includes('series')) {
  for (const n of [5_000_000, 10_000_000]) {
    const file = join(work, `long-${n}.csv`);
    await writeLines(file, 'series,timestamp,value', n, (i) => `service:ledger:volume,${T0 / 1000 + i * 60},${value(i)}`);
    measure(`long KPI CSV, one series of ${n / 1e6}M points`, ['detect', '--series', file, '--detectors', 'ksigma', '--no-progress'], n);
  }
}
if (!wanted.length || wanted.includes('incidents')) {
  // 200,000 spans: 20,000 traces of a gateway calling a ledger, one every 100 ms.
  const spans = join(work, 'spans.csv');
  await writeLines(spans, 'trace_id,span_id,parent_id,service,start_ns,end_ns,status', 200_000, (i) => {
    const trace = Math.floor(i / 10);
    const k = i % 10;
    const t = BigInt(T0 + trace * 100 + k) * 1_000_000n;
    return `t${trace},s${i},${k ? `s${i - k}` : ''},${k ? 'ledger' : 'gateway'},${t},${t + 5_000_000n},${k === 3 && trace % 50 === 0 ? 'error' : 'ok'}`;
  });
  for (const n of [10_000, 100_000]) {
    const file = join(work, `incidents-${n}.csv`);
    // Spread over the spans' 2,000 s, overlapping one another.
    await writeLines(file, 'id,start,end,rootCause', n, (i) => `i${i},${T0 + 60_000 + Math.floor((i * 1_800_000) / n)},${T0 + 120_000 + Math.floor((i * 1_800_000) / n)},ledger`);
    measure(`${n / 1000}k incidents over 200k spans`, ['rca', '--rca', 'count', '--spans', spans, '--incidents', file, '--no-progress'], n);
  }
}
if (!wanted.length || wanted.includes('nezha')) {
  const shared = process.env.FAULTLINE_SHARED_DATA ?? resolve(fileURLToPath(import.meta.url), '../../../../../shared/data');
  const N = join(shared, 'nezha-tt-2023-01-29');
  if (!existsSync(join(N, 'fault_list.json'))) console.log(`nezha: skipped: no Nezha data set at ${N} (set FAULTLINE_SHARED_DATA)`);
  else {
    const POD = '^(.*?)-[0-9a-f]{8,10}-[0-9a-z]{5}$';
    const COLUMNS = 'trace_id=TraceID,span_id=SpanID,parent_id=ParentID,instance=PodName,operation=OperationName,start_ns=StartTimeUnixNano,end_ns=EndTimeUnixNano';
    const DAY_NS = 86_400_000_000_000n;
    const faults = JSON.parse(readFileSync(join(N, 'fault_list.json'), 'utf8')) as Record<string, Array<Record<string, string>>>;
    const files = readdirSync(join(N, 'trace')).filter((f) => f.endsWith('.csv.gz'));
    for (const copies of [1, 10]) {
      const dir = join(work, `nezha-${copies}x`);
      mkdirSync(join(dir, 'trace'), { recursive: true });
      const list: Record<string, Array<Record<string, string>>> = {};
      let spans = 0;
      for (let k = 0; k < copies; k++) {
        for (const [hour, fs] of Object.entries(faults)) {
          list[`${hour}-${k}`] = fs.map((f) => ({ ...f, inject_time: new Date(Date.parse(`${f.inject_time!.replace(' ', 'T')}Z`) + k * 86_400_000).toISOString() }));
        }
        for (const f of files) {
          const lines = gunzipSync(readFileSync(join(N, 'trace', f))).toString('utf8').split('\n');
          const header = lines[0]!.split(',');
          const at = (name: string) => header.indexOf(name);
          const [ti, si, pi, st, en] = ['TraceID', 'SpanID', 'ParentID', 'StartTimeUnixNano', 'EndTimeUnixNano'].map(at) as [number, number, number, number, number];
          const body = lines.slice(1).filter((l) => l.trim());
          spans += body.length;
          await writeLines(join(dir, 'trace', `${k}_${f}`), lines[0]!, body.length, (i) => {
            const c = body[i]!.split(',');
            c[ti] = `${c[ti]}-${k}`;
            c[si] = `${c[si]}-${k}`;
            if (c[pi] !== 'root') c[pi] = `${c[pi]}-${k}`;
            c[st] = String(BigInt(c[st]!) + BigInt(k) * DAY_NS);
            c[en] = String(BigInt(c[en]!) + BigInt(k) * DAY_NS);
            return c.join(',');
          });
        }
      }
      writeFileSync(join(dir, 'fault_list.json'), JSON.stringify(list));
      measure(`Nezha day x${copies}: ${(spans / 1e6).toFixed(2)}M spans, ${Object.values(list).flat().length} incidents`, ['rca', '--rca', 'count', '--spans', join(dir, 'trace'), '--incidents', join(dir, 'fault_list.json'), '--columns', COLUMNS, '--service-from-instance', POD, '--no-progress'], spans);
    }
  }
}
console.table(rows);
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores (wall times include waiting for a core; CPU times do not)`);
rmSync(work, { recursive: true, force: true });

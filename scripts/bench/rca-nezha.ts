/**
 * The shared Nezha Train-Ticket day with all three inputs (spans with the fault-free phase, per-pod
 * metrics, logs with the fault-free phase) and every built-in RCA method that runs on them, end to
 * end in one process: load, then rank all 28 incidents with each method. Target: under 60 s and
 * under 1 GB peak RSS on this machine. Prints time (wall and CPU) per stage and per method, and
 * the peak RSS; no accuracy (docs/results.md has that, with the morning and afternoon apart).
 *
 *   npm run build && node dist/scripts/bench/rca-nezha.js
 *
 * The data set is read from ../shared/data beside the clone or FAULTLINE_SHARED_DATA; the bench
 * says so and exits 0 when it is absent.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BadRows } from '../../common/bad-rows.js';
import { readNezhaFaultList } from '../../data/incidents.js';
import { readLogSets } from '../../data/log-csv.js';
import { readMetrics } from '../../data/metric-csv.js';
import { readSpans } from '../../data/span-csv.js';
import { rankIncidents } from '../../rca/evaluate.js';
import { rcaRegistry } from '../../rca/registry.js';

const shared = process.env.FAULTLINE_SHARED_DATA ?? resolve(fileURLToPath(import.meta.url), '../../../../../shared/data');
const N = join(shared, 'nezha-tt-2023-01-29');
if (!existsSync(join(N, 'fault_list.json'))) {
  console.log(`rca-nezha: skipped: no Nezha data set at ${N} (set FAULTLINE_SHARED_DATA)`);
  process.exit(0);
}
const POD = '^(.*?)-[0-9a-f]{8,10}-[0-9a-z]{5}$';
const COLUMNS = { trace_id: 'TraceID', span_id: 'SpanID', parent_id: 'ParentID', instance: 'PodName', operation: 'OperationName', start_ns: 'StartTimeUnixNano', end_ns: 'EndTimeUnixNano' };
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const rows: Record<string, string>[] = [];
const wall0 = performance.now();
const cpu0 = cpuMs();
async function stage<T>(name: string, run: () => Promise<T>): Promise<T> {
  const w = performance.now();
  const c = cpuMs();
  const out = await run();
  rows.push({ stage: name, 'wall ms': (performance.now() - w).toFixed(0), 'CPU ms': (cpuMs() - c).toFixed(0) });
  return out;
}

const incidents = readNezhaFaultList(join(N, 'fault_list.json'), POD, 3 * 60_000);
const spans = await stage('read spans', () => readSpans(join(N, 'trace'), { columns: COLUMNS, serviceFromInstance: POD }));
const baseline = await stage('read fault-free spans', () => readSpans(join(N, 'normal'), { columns: COLUMNS, serviceFromInstance: POD }));
const metrics = await stage('read metrics', () => readMetrics(join(N, 'metric'), { serviceFromInstance: POD }));
// The published log files hold rows cut short and run together: skipped, as --on-bad-row skip does.
const badRows = new BadRows('skip');
const { logs, baselineLogs } = await stage('read logs, mine templates', () => readLogSets(join(N, 'log'), join(N, 'normal-log'), { serviceFromInstance: POD, badRows }));
const methods = await rcaRegistry.resolveAll(['all'], new Set(['spans', 'metrics', 'logs']));
for (const m of methods) {
  const r = await stage(`rank: ${m.name}`, () => rankIncidents(m, spans, incidents, { baseline, metrics, logs, baselineLogs: baselineLogs! }));
  rows[rows.length - 1]['ms per incident'] = (r.reduce((s, x) => s + x.computeMs, 0) / r.length).toFixed(1);
}
const wall = performance.now() - wall0;
const rssMb = process.resourceUsage().maxRSS / 1024;
rows.push({ stage: 'total', 'wall ms': wall.toFixed(0), 'CPU ms': (cpuMs() - cpu0).toFixed(0) });
console.table(rows);
console.log(
  `${spans.length} spans, ${metrics.length} metric rows, ${logs.length} log lines (${badRows.skipped} malformed rows skipped), ` +
    `${logs.templates.length} templates; ${incidents.length} incidents x ${methods.length} methods`,
);
console.log(`peak RSS ${rssMb.toFixed(0)} MB; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores (wall times include waiting for a core)`);
const ok = wall < 60_000 && rssMb < 1024;
console.log(`target (under 60 s and 1 GB): ${ok ? 'met' : 'NOT met'}`);

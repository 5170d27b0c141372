/**
 * Turns a Nezha fault_list.json ({hour: [{inject_time, inject_timestamp, inject_pod, inject_type}]})
 * into a faultline incidents JSON file, for `faultline rca --incidents`.
 *
 *   node dist/scripts/nezha-incidents.js <fault_list.json> <incidents.json> [windowMinutes=3]
 *
 * Times: the trace timestamps of the published Nezha data are the wall-clock `inject_time`
 * written as if it were UTC, while `inject_timestamp` is inconsistent (8 h earlier for some
 * entries, duplicated for others), so the start is `inject_time` read as UTC. Each fault's trace
 * files cover about 2 minutes after the injection: the window is 3 minutes by default. The root
 * cause is the pod's service (the pod name minus its two hash suffixes); the pod is the instance.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../common/atomic-file.js';
import { incidentsFromNezhaFaultList } from '../data/incidents.js';

const [input, output, minutes] = process.argv.slice(2);
if (!input || !output) {
  process.stderr.write('usage: node dist/scripts/nezha-incidents.js <fault_list.json> <incidents.json> [windowMinutes]\n');
  process.exit(2);
}
const incidents = incidentsFromNezhaFaultList(JSON.parse(readFileSync(input, 'utf8')), input, undefined, (Number(minutes) || 3) * 60_000);
const iso = (t: number) => new Date(t).toISOString();
writeFileAtomic(output, JSON.stringify(incidents.map((i) => ({ ...i, start: iso(i.start), end: iso(i.end) })), null, 1) + '\n');
process.stdout.write(`${incidents.length} incidents -> ${output}\n`);

/**
 * Turns a Nezha fault_list.json ({hour: [{inject_time, inject_timestamp, inject_pod, inject_type}]})
 * into a faultline incidents JSON file.
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
import { writeFileAtomic } from '../sim/atomic-file.js';
import type { Incident } from '../rca/types.js';

export const POD_SERVICE = /^(.*?)-[0-9a-f]{8,10}-[0-9a-z]{5}$/;

interface NezhaFault {
  inject_time: string;
  inject_pod: string;
  inject_type: string;
}

export function nezhaIncidents(faultList: unknown, file: string, windowMs = 3 * 60_000): Incident[] {
  if (!faultList || typeof faultList !== 'object') throw new Error(`${file}: expected an object of hours`);
  const out: Incident[] = [];
  for (const [hour, list] of Object.entries(faultList as Record<string, unknown>)) {
    if (!Array.isArray(list)) throw new Error(`${file}: ${hour}: expected an array`);
    list.forEach((f: NezhaFault, i) => {
      const where = `${file}: ${hour}[${i}]`;
      const start = Date.parse(`${String(f?.inject_time).replace(' ', 'T')}Z`);
      if (!Number.isFinite(start)) throw new Error(`${where}.inject_time: not "YYYY-MM-DD hh:mm:ss": ${f?.inject_time}`);
      const service = POD_SERVICE.exec(String(f.inject_pod))?.[1];
      if (!service) throw new Error(`${where}.inject_pod: not a pod name (service-hash-hash): ${f.inject_pod}`);
      out.push({
        id: `${f.inject_time.replace(/[-: ]/g, '').slice(8)}-${service}-${f.inject_type}`,
        start,
        end: start + windowMs,
        rootCause: [service],
        rootCauseInstance: f.inject_pod,
        type: f.inject_type,
      });
    });
  }
  return out.sort((a, b) => a.start - b.start);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [input, output, minutes] = process.argv.slice(2);
  if (!input || !output) {
    process.stderr.write('usage: node dist/scripts/nezha-incidents.js <fault_list.json> <incidents.json> [windowMinutes]\n');
    process.exit(2);
  }
  const incidents = nezhaIncidents(JSON.parse(readFileSync(input, 'utf8')), input, (Number(minutes) || 3) * 60_000);
  writeFileAtomic(output, JSON.stringify(incidents.map((i) => ({ ...i, start: new Date(i.start).toISOString(), end: new Date(i.end).toISOString() })), null, 1) + '\n');
  process.stdout.write(`${incidents.length} incidents -> ${output}\n`);
}

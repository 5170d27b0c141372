/**
 * The fault-strength measure of a long replay: 500 incidents (3 minutes each, one every 9 s, so
 * windows overlap) over 1 million calls of 40 services in 92 minutes, the reference the calls before
 * the first incident; then the same incidents, each on one of 200 services, against a fault-free
 * baseline of 1 million calls given apart. It runs for every item with spans (results.json
 * `faultEffects`), so its cost must stay small beside the RCA methods'. Target: under 2 s each.
 * Reports wall and CPU time.
 *
 *   npm run build && node dist/scripts/bench/fault-effects.js
 */
import seedrandom from 'seedrandom';
import { buildCallView } from '../../data/call-view.js';
import { faultEffects, type FaultEffect } from '../../data/fault-effect.js';
import { SpanTableBuilder } from '../../data/span-table.js';
import type { Incident } from '../../data/types.js';

const CALLS = 1_000_000;
const SERVICES = 40;
const WIDE_SERVICES = 200;
const INCIDENTS = 500;
const TARGET_S = 2;

const r = seedrandom.alea('bench-fault-effects');

/** A gateway call and the call it makes, every 11 ms, over `services` services. */
function calls(services: number) {
  const b = new SpanTableBuilder();
  const names = Array.from({ length: services }, (_, i) => b.intern(`svc-${i}`));
  const instances = Array.from({ length: services }, (_, i) => b.intern(`svc-${i}-1`));
  const operation = b.intern('op');
  for (let t = 0; t < CALLS / 2; t++) {
    const trace = b.intern(`t${t}`);
    const at = t * 11;
    const s1 = Math.floor(r() * services);
    const s2 = Math.floor(r() * services);
    const root = b.add(trace, b.intern(`a${t}`), -1, names[s1]!, instances[s1]!, operation, at, at + 20 + 10 * r(), 0);
    b.add(trace, b.intern(`b${t}`), root, names[s2]!, instances[s2]!, operation, at + 2, at + 12 + 5 * r(), 0);
  }
  return buildCallView(b.finish());
}

function incidents(services: number): Incident[] {
  return Array.from({ length: INCIDENTS }, (_, i) => ({
    id: `i${i}`,
    start: 600_000 + i * 9000,
    end: 600_000 + i * 9000 + 180_000,
    rootCause: [`svc-${i % services}`],
    rootCauseInstance: `svc-${i % services}-1`,
  }));
}

function timed(label: string, f: () => FaultEffect[]): void {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const effects = f();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const measured = effects.filter((e) => e.self !== null).length;
  process.stdout.write(`${label}: ${wall.toFixed(2)} s wall, ${((c.user + c.system) / 1e6).toFixed(2)} s CPU (target under ${TARGET_S} s); ${measured} of ${effects.length} with a measured own time\n`);
}

const view = calls(SERVICES);
timed(`${INCIDENTS} incidents over ${view.length} calls, reference before the first`, () => faultEffects(view, incidents(SERVICES)));
const wide = calls(WIDE_SERVICES);
const baseline = calls(WIDE_SERVICES);
timed(`${INCIDENTS} incidents on ${WIDE_SERVICES} services, a ${baseline.length}-call baseline given apart`, () => faultEffects(wide, incidents(WIDE_SERVICES), baseline));

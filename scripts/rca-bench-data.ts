/**
 * What the RCA benches on generated spans share (scripts/bench/rca-network-delay.ts,
 * scripts/bench/rca-traces-only.ts): their command-line flags, the fault base's targets, one data
 * set per fault generated into a scratch folder and read back as `--spans` reads it, and the
 * AC@k cells of their tables.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { BadRows } from '../common/bad-rows.js';
import { loadSpans } from '../data/inputs.js';
import { incidentsFromTruth } from '../data/incidents.js';
import type { Incident, SpanTable } from '../data/types.js';
import { scoreRankings, type RankedIncident } from '../scores/rca.js';
import { generate } from '../sim/generate.js';
import { readTruth } from '../sim/read.js';
import { loadScenario, resolveScenarioPath } from '../sim/scenario.js';
import type { CallTemplate, FaultSpec } from '../sim/scenario-schema.js';
import { buildSpans } from '../trees/index.js';

/** The value after `--name` on the command line, else the fallback. */
export const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
/** A comma-separated flag value as a list. */
export const list = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** `n` items spread evenly over the list, in its order. */
export function spread<T>(items: readonly T[], n: number): T[] {
  const k = Math.min(n, items.length);
  return Array.from({ length: k }, (_, j) => items[Math.floor((j * items.length) / k)]!);
}

/** The fault base (`scenarios/fault-base.yaml`): its bank services, synchronous edges, databases and channels. */
export function faultBaseTargets(): { services: string[]; edges: [string, string][]; databases: string[]; channels: string[] } {
  const base = loadScenario('fault-base').scenario;
  const services = new Set(base.subsystems.flatMap((s) => s.services.map((x) => x.name)));
  // Synchronous service-to-service calls, in the order the transactions make them.
  const edges: [string, string][] = [];
  const seen = new Set<string>();
  const walk = (c: CallTemplate, caller: string | undefined) => {
    const key = `${caller}>${c.call}`;
    if (caller && services.has(caller) && services.has(c.call) && c.mode !== 'async' && !seen.has(key)) {
      seen.add(key);
      edges.push([caller, c.call]);
    }
    for (const child of c.children ?? []) walk(child, c.call);
  };
  for (const t of base.transactions) walk(t.root, undefined);
  return { services: [...services], edges, databases: (base.databases ?? []).map((d) => d.name), channels: (base.channels ?? []).map((c) => c.name) };
}

export interface FaultSpansOptions {
  /** Scratch folder the data set is written into (and removed from). */
  scratch: string;
  description: string;
  faults: FaultSpec[];
  seed: number;
  duration: string;
  /** Whether the exported spans carry a status (default true). */
  spanStatus?: boolean;
  /** The bus legs' median (ms) and lognormal shape, where they differ from the fault base's. */
  legs?: { legMs: number; legSigma: number };
  /** Also the transaction trees built from the message log. */
  merged?: boolean;
}

/**
 * One data set of the fault base with the given faults, its spans exported as a tracing agent
 * records calls (`generate --export spans-csv`: a client span on the caller, a server span on the
 * callee) and read back as `--spans` reads them; with `merged`, the trees of the message log
 * beside them. No logs or metrics are generated. The data set is removed once read.
 */
export async function generateFaultSpans(o: FaultSpansOptions): Promise<{ incidents: Incident[]; tables: [string, SpanTable][] }> {
  const scenarioFile = join(o.scratch, 'scenario.yaml');
  // JSON is YAML: the scenario loader reads it.
  writeFileSync(
    scenarioFile,
    JSON.stringify({ extends: resolveScenarioPath('fault-base'), description: o.description, duration: o.duration, ...(o.legs ?? {}), faults: o.faults }),
  );
  const out = join(o.scratch, 'data');
  rmSync(out, { recursive: true, force: true });
  try {
    await generate({ scenario: scenarioFile, seed: o.seed, out, logs: false, metrics: false, export: { spans: 'csv', spanStatus: o.spanStatus ?? true } });
    const incidents = incidentsFromTruth(await readTruth(out));
    const tables: [string, SpanTable][] = [['client and server spans', await loadSpans([join(out, 'spans.csv')], { badRows: new BadRows('reject') })]];
    if (o.merged) tables.push(['merged calls', await buildSpans(join(out, 'messages.arrow'))]);
    return { incidents, tables };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const pct = (x: number) => (100 * x).toFixed(1);

/** `AC@k% (hits/incidents) [95% bootstrap interval]` of a list of rankings. */
export function acCell(ranked: RankedIncident[], k: number): string {
  if (!ranked.length) return '–';
  const s = scoreRankings(ranked);
  const i = s.intervals.acAt[k]!;
  return `${pct(s.acAt[k]!)}% (${Math.round(s.acAt[k]! * s.incidents)}/${s.incidents}) [${pct(i.low)}, ${pct(i.high)}]`;
}

/** Wall time and the machine's load, for the line above a bench's table. */
export function machineLine(wallMs: number): string {
  return `${(wallMs / 1000).toFixed(0)} s wall, ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)}`;
}

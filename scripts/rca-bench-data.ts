/**
 * What the RCA benches on generated data share (scripts/bench/rca-network-delay.ts,
 * rca-traces-only.ts, rca-metrics-only.ts): their command-line flags, the fault base's targets and
 * each fault type's targets among them, the fault of a type aimed at one, one data set per fault
 * generated into a scratch folder and read back as `--spans` reads it, and the AC@k cells of their
 * tables.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { BadRows } from '../common/bad-rows.js';
import { loadSpans } from '../data/inputs.js';
import { incidentsFromTruth } from '../data/incidents.js';
import type { Incident, SpanTable } from '../data/types.js';
import { scoreRankings, type RankedIncident } from '../scores/rca.js';
import { generate, type GenerateOptions } from '../sim/generate.js';
import { readTruth } from '../sim/read.js';
import { loadScenario, resolveScenarioPath } from '../sim/scenario.js';
import type { CallTemplate, FaultSpec, TargetSpec } from '../sim/scenario-schema.js';
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

/** Targets of each kind a bench aims faults at (lists of the fault base's, possibly narrowed). */
export interface TargetLists {
  /** Services that receive synchronous calls. */
  callees: readonly string[];
  edges: readonly (readonly [string, string])[];
  databases: readonly string[];
  channels: readonly string[];
}

/**
 * `count` targets of a fault type, spread evenly over its list, each with a label: edge faults on
 * edges, database faults on databases, channel faults on channels, code-level faults on services,
 * and instance faults on the first instance of services.
 */
export function targetsOfType(type: string, lists: TargetLists, count: number): { label: string; target: TargetSpec }[] {
  switch (type) {
    case 'network-delay':
    case 'packet-loss':
      return spread(lists.edges, count).map(([from, to]) => ({ label: `${from} -> ${to}`, target: { from, to } }));
    case 'database-slow':
    case 'slow-query':
      return spread(lists.databases, count).map((database) => ({ label: database, target: { database } }));
    case 'channel-slowdown':
      return spread(lists.channels, count).map((channel) => ({ label: channel, target: { channel } }));
    case 'code-exception':
    case 'wrong-return':
      return spread(lists.callees, count).map((service) => ({ label: service, target: { service } }));
    default:
      return spread(lists.callees, count).map((service) => ({ label: `${service} #1`, target: { service, instance: 1 } }));
  }
}

/** The type's own scenario's fault (its severity, handler), aimed at `target` from 1 h for 20 min (its operations belong to its own target). */
export function faultAimedAt(type: string, target: TargetSpec): FaultSpec {
  const own = loadScenario(`faults/${type}`).scenario.faults![0]!;
  const { operations: _, repeat: __, ...rest } = own;
  return { ...rest, target, start: '1h', duration: '20m' };
}

export interface FaultDataOptions {
  /** Scratch folder the data set is written into (and removed from). */
  scratch: string;
  description: string;
  faults: FaultSpec[];
  seed: number;
  duration: string;
  /** The bus legs' median (ms) and lognormal shape, where they differ from the fault base's. */
  legs?: { legMs: number; legSigma: number };
  /** false: exported spans carry no kind, so a call reads as a client and a server span, unpaired (the Nezha day's spans). */
  spanKind?: false;
}

/**
 * One data set of the fault base with the given faults, generated with `what` (logs, metrics,
 * exports) into the scratch folder, handed to `read`, and removed once read.
 */
export async function withFaultData<T>(o: FaultDataOptions, what: Pick<GenerateOptions, 'logs' | 'metrics' | 'export'>, read: (out: string) => Promise<T>): Promise<T> {
  const scenarioFile = join(o.scratch, 'scenario.yaml');
  // JSON is YAML: the scenario loader reads it.
  writeFileSync(
    scenarioFile,
    JSON.stringify({ extends: resolveScenarioPath('fault-base'), description: o.description, duration: o.duration, ...(o.legs ?? {}), ...(o.spanKind === false ? { spanKind: false } : {}), faults: o.faults }),
  );
  const out = join(o.scratch, 'data');
  rmSync(out, { recursive: true, force: true });
  try {
    await generate({ scenario: scenarioFile, seed: o.seed, out, ...what });
    return await read(out);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export interface FaultSpansOptions extends FaultDataOptions {
  /** Whether the exported spans carry a status (default true). */
  spanStatus?: boolean;
  /** Also the transaction trees built from the message log. */
  merged?: boolean;
}

/**
 * A fault data set's spans exported as a tracing agent records calls (`generate --export
 * spans-csv`: a client span on the caller, a server span on the callee) and read back as `--spans`
 * reads them; with `merged`, the trees of the message log beside them. No logs or metrics.
 */
export function generateFaultSpans(o: FaultSpansOptions): Promise<{ incidents: Incident[]; tables: [string, SpanTable][] }> {
  return withFaultData(o, { logs: false, metrics: false, export: { spans: 'csv', spanStatus: o.spanStatus ?? true } }, async (out) => {
    const incidents = incidentsFromTruth(await readTruth(out));
    const tables: [string, SpanTable][] = [['client and server spans', await loadSpans([join(out, 'spans.csv')], { badRows: new BadRows('reject') })]];
    if (o.merged) tables.push(['merged calls', await buildSpans(join(out, 'messages.arrow'))]);
    return { incidents, tables };
  });
}

/** Incidents ranked within the top k. */
const hits = (r: readonly RankedIncident[], k: number) => r.filter((x) => x.rank >= 1 && x.rank <= k).length;

/**
 * A markdown table of incidents at rank 1 / within rank 3, a row per fault type and a column per
 * method; with `bold`, the best rank-1 count of each row in bold.
 */
export function hitsTable(methods: readonly string[], types: readonly string[], rankingsOf: (method: string, type: string) => readonly RankedIncident[], bold = false): string {
  const lines = [`| fault type | ${methods.join(' | ')} |`, `|---|${methods.map(() => '---|').join('')}`];
  for (const type of types) {
    const rows = methods.map((m) => rankingsOf(m, type));
    const top = Math.max(...rows.map((r) => hits(r, 1)));
    const cells = rows.map((r) => {
      const cell = `${hits(r, 1)} / ${hits(r, 3)} of ${r.length}`;
      return bold && hits(r, 1) === top && top > 0 ? `**${cell}**` : cell;
    });
    lines.push(`| ${type} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
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

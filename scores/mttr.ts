/**
 * The MTTR model (README, "MTTR model"). For every fault with visible impact and every
 * (detector, RCA algorithm) pairing:
 *   detect   = first alarm raised on any series the fault moved - fault start; a never-alarmed fault
 *              is reported another way (customers, other teams) after `undetectedMinutes`;
 *   identify = RCA compute time + operatorMinutesPerCandidate x rank of the true cause when it is in
 *              the top k, else topK x operatorMinutesPerCandidate + notFoundMinutes (manual search);
 *   repair   = a per-fault-type constant (suite `mttr.repairMinutes`, defaults below);
 *   MTTR     = mean(detect) + mean(identify) + mean(repair).
 * MTBF comes from the fault schedule: fault-free operating time / number of impacting faults.
 */
import type { FaultType } from '../sim/formats.js';
import type { FaultRecord, ItemResult } from './item-result.js';

export interface MttrModel {
  operatorMinutesPerCandidate: number;
  topK: number;
  notFoundMinutes: number;
  undetectedMinutes: number;
  repairMinutes: Partial<Record<FaultType, number>>;
}

/**
 * Default repair times (minutes): the usual remedy for each fault type, from restart/rollback
 * (minutes) to waiting on a third party (longest). A modelling choice, overridable per suite.
 */
export const DEFAULT_REPAIR_MINUTES: Record<FaultType, number> = {
  'instance-down': 10, // fail over / restart the instance
  'crash-loop': 20, // find the crashing change, roll back
  'cpu-saturation': 15, // scale out
  'memory-leak': 20, // restart, then patch
  'database-slow': 30, // kill the runaway query, rebuild an index, fail over
  'network-delay': 20, // reroute around the link
  'packet-loss': 20, // reroute around the link
  'broker-backlog': 15, // add consumers, drain the queue
  'channel-outage': 45, // switch channel or wait for the third party
  'channel-slowdown': 30, // throttle or switch channel
  'bad-release': 15, // roll back the release
  'config-error': 10, // revert the config change
  'traffic-surge': 15, // scale out, rate-limit
  'code-exception': 30, // find the failing code path in the logs, patch
  'wrong-return': 45, // trace the bad value back through its consumers, patch, repair data
  'slow-query': 30, // find the query, add the index or kill the job
  'noisy-neighbour': 15, // move the instance off the host
  'rolling-restart': 10, // let it finish or pause the rollout
  'batch-job': 20, // reschedule or throttle the job
  'drift': 30, // find the growing cost, archive or fix
};
/** Repair time of a fault type the table does not know (e.g. imported incidents). */
export const DEFAULT_UNKNOWN_REPAIR_MINUTES = 30;

export const DEFAULT_MTTR_MODEL: MttrModel = {
  operatorMinutesPerCandidate: 5,
  topK: 5,
  notFoundMinutes: 60,
  undetectedMinutes: 30,
  repairMinutes: {},
};

const MINUTE = 60_000;

export function repairMs(type: string, model: MttrModel): number {
  const table: Record<string, number | undefined> = { ...DEFAULT_REPAIR_MINUTES, ...model.repairMinutes };
  return (table[type] ?? DEFAULT_UNKNOWN_REPAIR_MINUTES) * MINUTE;
}

export function detectMs(fault: FaultRecord, firstAlarm: number | null, model: MttrModel): number {
  if (firstAlarm === null) return model.undetectedMinutes * MINUTE;
  return Math.max(0, firstAlarm - fault.start);
}

/** Operator part of identify: candidates read until the true cause (rank is 1-based, 0 = absent). */
export function operatorIdentifyMs(rank: number, model: MttrModel): number {
  const perCandidate = model.operatorMinutesPerCandidate * MINUTE;
  if (rank >= 1 && rank <= model.topK) return rank * perCandidate;
  return model.topK * perCandidate + model.notFoundMinutes * MINUTE;
}

export interface MttrPhases {
  faults: number;
  detectMs: number;
  identifyMs: number; // identifyComputeMs + operator time
  identifyComputeMs: number; // measured RCA compute time (varies run to run)
  repairMs: number;
  mttrMs: number;
}

export interface PairingMttr extends MttrPhases {
  detector: string;
  rca: string;
  /** MTBF / (MTBF + MTTR): the share of time in service under this pairing. */
  availability: number | null;
  byType: Record<string, MttrPhases>;
}

interface Accumulator {
  faults: number;
  detect: number;
  identify: number;
  compute: number;
  repair: number;
}

function phases(a: Accumulator): MttrPhases {
  const mean = (x: number) => (a.faults > 0 ? x / a.faults : NaN);
  return {
    faults: a.faults,
    detectMs: mean(a.detect),
    identifyMs: mean(a.identify),
    identifyComputeMs: mean(a.compute),
    repairMs: mean(a.repair),
    mttrMs: mean(a.detect + a.identify + a.repair),
  };
}

/** Faults that count for MTTR and MTBF: those that moved at least one KPI. */
export function impactingFaults(item: ItemResult): FaultRecord[] {
  return item.faults.filter((f) => f.moved.length > 0);
}

/** The first entry per fault id. */
function firstById<T extends { faultId?: string | null }>(list: T[]): Map<string | null | undefined, T> {
  const out = new Map<string | null | undefined, T>();
  for (const x of list) if (!out.has(x.faultId)) out.set(x.faultId, x);
  return out;
}

export function pairingMttr(
  items: ItemResult[],
  detector: string,
  rca: string,
  model: MttrModel,
  mtbf: number | null,
): PairingMttr {
  const total: Accumulator = { faults: 0, detect: 0, identify: 0, compute: 0, repair: 0 };
  const byType = new Map<string, Accumulator>();
  for (const item of items) {
    const det = item.detectors.find((d) => d.name === detector);
    const alg = item.rca.find((r) => r.name === rca);
    // By fault id, so that an item with many faults is paired in linear time.
    const alarms = firstById(det?.faults ?? []);
    const incidents = firstById(alg?.incidents ?? []);
    for (const fault of impactingFaults(item)) {
      const firstAlarm = alarms.get(fault.id)?.firstAlarm ?? null;
      const incident = incidents.get(fault.id);
      const compute = incident?.computeMs ?? 0;
      const d = detectMs(fault, firstAlarm, model);
      const i = compute + operatorIdentifyMs(incident?.rank ?? 0, model);
      const r = repairMs(fault.type, model);
      let acc = byType.get(fault.type);
      if (!acc) byType.set(fault.type, (acc = { faults: 0, detect: 0, identify: 0, compute: 0, repair: 0 }));
      for (const a of [total, acc]) {
        a.faults++;
        a.detect += d;
        a.identify += i;
        a.compute += compute;
        a.repair += r;
      }
    }
  }
  const all = phases(total);
  const byTypeOut: Record<string, MttrPhases> = {};
  for (const type of [...byType.keys()].sort()) byTypeOut[type] = phases(byType.get(type)!);
  const availability = mtbf !== null && Number.isFinite(all.mttrMs) ? mtbf / (mtbf + all.mttrMs) : null;
  return { detector, rca, ...all, availability, byType: byTypeOut };
}

/** Fault-free operating time over the number of impacting faults, across all items; null if none. */
export function mtbfMs(items: ItemResult[]): number | null {
  let upTime = 0;
  let failures = 0;
  for (const item of items) {
    const faults = impactingFaults(item);
    failures += faults.length;
    // Union of the fault windows, clipped to the run.
    const windows = faults
      .map((f) => [Math.max(item.start, f.start), Math.min(item.end, f.end)] as const)
      .filter(([s, e]) => e > s)
      .sort((a, b) => a[0] - b[0]);
    let down = 0;
    let curStart = -Infinity;
    let curEnd = -Infinity;
    for (const [s, e] of windows) {
      if (s > curEnd) {
        if (curEnd > curStart) down += curEnd - curStart;
        curStart = s;
        curEnd = e;
      } else curEnd = Math.max(curEnd, e);
    }
    if (curEnd > curStart) down += curEnd - curStart;
    upTime += item.end - item.start - down;
  }
  return failures > 0 ? upTime / failures : null;
}

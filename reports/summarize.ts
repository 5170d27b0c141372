/**
 * Roll item results up into summary.json figures. Items are taken in key order, so the same
 * items give byte-identical figures however they were computed (workers, shards, merge).
 */
import type { IncidentRanking } from '../rca/evaluate.js';
import { scoreRca } from '../rca/evaluate.js';
import { DEFAULT_MTTR_MODEL, DEFAULT_REPAIR_MINUTES, impactingFaults, mtbfMs, pairingMttr, type MttrModel, type MttrPhases } from '../scores/mttr.js';
import {
  SUMMARY_SCHEMA_ID,
  SUMMARY_VERSION,
  type DetectorSummary,
  type RcaSummary,
  type Summary,
} from './summary-schema.js';
import type { DetectionFigures, ItemResult } from '../scores/item-result.js';
import { judgeGate, type AcGate } from '../scores/gate.js';

export interface SummarizeOptions {
  title?: string;
  suite?: string;
  mttr?: MttrModel;
  gate?: AcGate;
}

export function sortItems(results: ItemResult[]): ItemResult[] {
  return [...results].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Names in first-seen order over the sorted items. */
function names(results: ItemResult[], pick: (r: ItemResult) => { name: string }[]): string[] {
  const seen = new Set<string>();
  for (const r of results) for (const x of pick(r)) seen.add(x.name);
  return [...seen];
}

function finiteMean(values: (number | null)[]): number | null {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (v !== null && Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  return n > 0 ? sum / n : null;
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

function phasesJson(x: MttrPhases) {
  return {
    faults: x.faults,
    detectMs: finiteOrNull(x.detectMs),
    identifyMs: finiteOrNull(x.identifyMs),
    identifyComputeMs: finiteOrNull(x.identifyComputeMs),
    repairMs: finiteOrNull(x.repairMs),
    mttrMs: finiteOrNull(x.mttrMs),
  };
}

function summarizeDetector(results: ItemResult[], name: string): DetectorSummary {
  const perItem = results.flatMap((r) => r.detectors.filter((d) => d.name === name));
  const mean = (k: keyof DetectionFigures) => finiteMean(perItem.map((d) => d.figures[k] as number | null));
  let events = 0;
  let detectedEvents = 0;
  for (const d of perItem) {
    events += d.figures.events;
    detectedEvents += d.figures.detectedEvents;
  }
  const byTypeAcc = new Map<string, { faults: number; detected: number; delay: number }>();
  const total = { faults: 0, detected: 0, delay: 0 };
  for (const item of results) {
    const det = item.detectors.find((d) => d.name === name);
    for (const fault of impactingFaults(item)) {
      const firstAlarm = det?.faults.find((f) => f.faultId === fault.id)?.firstAlarm ?? null;
      let acc = byTypeAcc.get(fault.type);
      if (!acc) byTypeAcc.set(fault.type, (acc = { faults: 0, detected: 0, delay: 0 }));
      for (const a of [total, acc]) {
        a.faults++;
        if (firstAlarm !== null) {
          a.detected++;
          a.delay += Math.max(0, firstAlarm - fault.start);
        }
      }
    }
  }
  const byType: DetectorSummary['byType'] = {};
  for (const type of [...byTypeAcc.keys()].sort()) {
    const a = byTypeAcc.get(type)!;
    byType[type] = {
      faults: a.faults,
      detected: a.detected,
      detectionRate: ratio(a.detected, a.faults),
      meanTimeToDetectMs: ratio(a.delay, a.detected),
    };
  }
  return {
    name,
    pointAdjustedF1: mean('pointAdjustedF1'),
    precision: mean('precision'),
    recall: mean('recall'),
    pointF1: mean('pointF1'),
    rangePrecision: mean('rangePrecision'),
    rangeRecall: mean('rangeRecall'),
    falseAlarmsPerDay: mean('falseAlarmsPerDay'),
    nabStandard: mean('nabStandard'),
    nabLowFP: mean('nabLowFP'),
    nabLowFN: mean('nabLowFN'),
    events,
    detectedEvents,
    eventRecall: ratio(detectedEvents, events),
    faults: total.faults,
    detectedFaults: total.detected,
    faultDetectionRate: ratio(total.detected, total.faults),
    meanTimeToDetectMs: ratio(total.delay, total.detected),
    computeMs: finiteMean(perItem.map((d) => d.computeMs)),
    byType,
  };
}

/** Rebuild the rankings rca/evaluate scores from the kept incident results. */
function rankingsOf(results: ItemResult[], name: string): IncidentRanking[] {
  return results.flatMap((r) =>
    (r.rca.find((a) => a.name === name)?.incidents ?? []).map((i) => ({
      incident: {
        id: `${r.key}/${i.id}`,
        start: i.start,
        end: i.end,
        rootCause: i.rootCause,
        ...(i.rootCauseInstance !== undefined ? { rootCauseInstance: i.rootCauseInstance } : {}),
        type: i.type,
      },
      candidates: i.candidates,
      computeMs: i.computeMs,
      rank: i.rank,
    })),
  );
}

function summarizeRca(results: ItemResult[], name: string): RcaSummary {
  const rankings = rankingsOf(results, name);
  const m = scoreRca(rankings);
  const prAt: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(m.prAt)) prAt[k] = finiteOrNull(v);
  const byType: RcaSummary['byType'] = {};
  for (const type of Object.keys(m.byType).sort()) {
    const t = m.byType[type]!;
    byType[type] = {
      incidents: t.incidents,
      ac1: finiteOrNull(t.ac1),
      ac3: finiteOrNull(t.ac3),
      avg5: finiteOrNull(t.avg5),
      mrr: finiteOrNull(t.mrr),
    };
  }
  return {
    name,
    incidents: m.incidents,
    ac1: finiteOrNull(m.ac1),
    ac3: finiteOrNull(m.ac3),
    avg5: finiteOrNull(m.avg5),
    mrr: finiteOrNull(m.mrr),
    prAt,
    computeMs: finiteMean(rankings.map((r) => r.computeMs)),
    byType,
  };
}

export function summarize(results: ItemResult[], opts: SummarizeOptions = {}): Summary {
  const items = sortItems(results);
  const model = opts.mttr ?? DEFAULT_MTTR_MODEL;
  const detectors = names(items, (r) => r.detectors).map((n) => summarizeDetector(items, n));
  const rca = names(items, (r) => r.rca).map((n) => summarizeRca(items, n));
  const mtbf = mtbfMs(items);
  const pairings = detectors.flatMap((d) =>
    rca.map((a) => {
      const p = pairingMttr(items, d.name, a.name, model, mtbf);
      const byType: Record<string, ReturnType<typeof phasesJson>> = {};
      for (const [type, phases] of Object.entries(p.byType)) byType[type] = phasesJson(phases);
      return { detector: p.detector, rca: p.rca, ...phasesJson(p), availability: p.availability, byType };
    }),
  );
  let bestRca: Summary['bestRca'] = null;
  for (const a of rca) if (a.ac1 !== null && (bestRca === null || a.ac1 > bestRca.ac1)) bestRca = { name: a.name, ac1: a.ac1 };
  const faultTypes: Record<string, number> = {};
  let faults = 0;
  let impacting = 0;
  for (const item of items) {
    faults += item.faults.length;
    impacting += impactingFaults(item).length;
    for (const f of item.faults) faultTypes[f.type] = (faultTypes[f.type] ?? 0) + 1;
  }
  const sortedTypes: Record<string, number> = {};
  for (const t of Object.keys(faultTypes).sort()) sortedTypes[t] = faultTypes[t]!;
  return {
    schema: SUMMARY_SCHEMA_ID,
    version: SUMMARY_VERSION,
    title: opts.title ?? (opts.suite ? `faultline run: ${opts.suite}` : 'faultline run'),
    suite: opts.suite ?? null,
    items: items.map((r) => ({
      key: r.key,
      scenario: r.scenario,
      seed: r.seed ?? null,
      generatorSeed: r.generatorSeed ?? null,
      faults: r.faults.length,
    })),
    faults,
    impactingFaults: impacting,
    faultTypes: sortedTypes,
    detectors,
    rca,
    bestRca,
    mttr: {
      model: { ...model, repairMinutes: { ...DEFAULT_REPAIR_MINUTES, ...model.repairMinutes } },
      mtbfMs: mtbf,
      pairings,
    },
    gate: gateOf(rca, opts.gate),
  };
}

function gateOf(rca: RcaSummary[], gate: AcGate | undefined): Summary['gate'] {
  const judged = judgeGate(gate, new Map(rca.map((a) => [a.name, a.ac1])));
  const minAc1 = gate === undefined ? null : 'best' in gate ? gate.best : gate.methods;
  return { minAc1, passed: judged.passed, message: judged.message };
}

/**
 * Roll item results up into summary.json figures, each by its table's rollup (scores/figures.ts).
 * Items are taken in key order, so the same items give byte-identical figures however they were
 * computed (workers, shards, merge). Headline figures carry a seeded 95% bootstrap interval over
 * their units (reports/resample.ts) and, when the run has several seeds, their mean and sd over
 * seeds.
 */
import { DEFAULT_MTTR_MODEL, DEFAULT_REPAIR_MINUTES, impactingFaults, mtbfMs, pairingMttr, type MttrModel, type MttrPhases } from '../scores/mttr.js';
import { DETECTION_FIGURES, MTTR_FIGURES, RCA_FIGURES, type Figure } from '../scores/figures.js';
import { scoreRankings, type RankedIncident, type RcaScores } from '../scores/rca.js';
import { meanSd } from '../scores/uncertainty.js';
import {
  SUMMARY_SCHEMA_ID,
  SUMMARY_VERSION,
  type DetectorSummary,
  type IntervalJson,
  type PairingSummary,
  type RcaSummary,
  type RunFacts,
  type SeedStats,
  type Summary,
} from './summary-schema.js';
import type { ItemResult } from '../scores/item-result.js';
import { judgeGate, type AcGate } from '../scores/gate.js';
import { figureSample, intervalJson, ofType, sampleInterval, sampleIntervals, type Sample, type Subject } from './resample.js';

export interface SummarizeOptions {
  title?: string;
  suite?: string;
  mttr?: MttrModel;
  gate?: AcGate;
  /** How the run was made (reports/run-facts.ts); also marks the reference methods. */
  facts?: RunFacts;
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

function finiteMean(values: (number | null | undefined)[]): number | null {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (v !== null && v !== undefined && Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  return n > 0 ? sum / n : null;
}

const finiteOrNull = (x: number | null | undefined): number | null => (x !== null && x !== undefined && Number.isFinite(x) ? x : null);

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

/** The run's distinct sweep seeds, when it has several (mean and sd over seeds need two). */
export function seedsOf(items: ItemResult[]): number[] {
  const seeds = [...new Set(items.flatMap((r) => (r.seed === undefined ? [] : [r.seed])))].sort((a, b) => a - b);
  return seeds.length > 1 ? seeds : [];
}

/** Mean and sd over seeds of each headline figure, each seed's figure from its own items. */
function overSeeds(table: readonly Figure[], items: ItemResult[], seeds: number[], subject: Subject): Record<string, SeedStats> {
  const out: Record<string, SeedStats> = {};
  for (const f of table.filter((x) => x.interval)) {
    const values = seeds.map((seed) => figureSample(f, items.filter((r) => r.seed === seed), subject)?.value() ?? NaN);
    const m = meanSd(values);
    out[f.key] = { mean: finiteOrNull(m.mean), sd: finiteOrNull(m.sd), n: m.n };
  }
  return out;
}

/**
 * The intervals of a table's headline figures: the figures over the same units share one set of
 * resamples (`<section>:<units>` streams), so a thousand draws serve all of them.
 */
function headlineIntervals(table: readonly Figure[], items: ItemResult[], subject: Subject): Record<string, IntervalJson> {
  const out: Record<string, IntervalJson> = {};
  const groups = new Map<string, Map<string, Sample>>();
  for (const f of table.filter((x) => x.interval)) {
    out[f.key] = { low: null, high: null };
    const sample = figureSample(f, items, subject);
    if (!sample) continue;
    const group = groups.get(f.over!) ?? new Map<string, Sample>();
    groups.set(f.over!, group.set(f.key, sample));
  }
  for (const [over, samples] of groups) Object.assign(out, sampleIntervals(samples, `${subject.section}:${over}`));
  return out;
}

function isReference(facts: RunFacts | undefined, kind: 'detector' | 'rca', name: string): boolean {
  return facts?.methods.some((m) => m.kind === kind && m.name === name && m.reference) ?? false;
}

function summarizeDetector(items: ItemResult[], name: string, seeds: number[], facts: RunFacts | undefined): DetectorSummary {
  const subject: Subject = { section: 'detector', name };
  const perItem = items.flatMap((r) => r.detectors.filter((d) => d.name === name));
  const faults = items.reduce((n, item) => n + impactingFaults(item).length, 0);
  const out: Record<string, unknown> = { name };
  if (isReference(facts, 'detector', name)) out.reference = true;
  for (const f of DETECTION_FIGURES) {
    if ('itemOnly' in f) continue;
    const column = () => perItem.map((d) => (d.figures as unknown as Record<string, number | null | undefined>)[f.key]);
    switch (f.rollup) {
      case 'mean':
        out[f.key] = finiteMean(column());
        break;
      case 'sum':
        out[f.key] = column().reduce<number>((a, b) => a + (b ?? 0), 0);
        break;
      case 'measured':
        out[f.key] = finiteMean(perItem.map((d) => d.computeMs));
        break;
      default:
        // Pooled and per-series figures: the statistic over all of the run's units.
        out[f.key] = f.key === 'faults' ? faults : finiteOrNull(figureSample(f, items, subject)?.value());
    }
  }
  out.intervals = headlineIntervals(DETECTION_FIGURES, items, subject);
  if (seeds.length) out.overSeeds = overSeeds(DETECTION_FIGURES, items, seeds, subject);
  out.byType = detectorByType(items, subject);
  return out as DetectorSummary;
}

/** Per fault type: faults, detected, detection rate (with its interval) and time to detect. */
function detectorByType(items: ItemResult[], subject: Subject): DetectorSummary['byType'] {
  const byTypeFigures = DETECTION_FIGURES.filter((f) => 'byType' in f);
  const samples = new Map(byTypeFigures.map((f) => [f.key, f.key === 'faults' ? null : figureSample(f, items, subject)]));
  const types = [...new Set(items.flatMap((item) => impactingFaults(item).map((f) => f.type)))].sort();
  const byType: Record<string, Record<string, unknown>> = {};
  for (const type of types) {
    const entry: Record<string, unknown> = {};
    const intervals: Record<string, IntervalJson> = {};
    for (const f of byTypeFigures) {
      const name = 'byTypeKey' in f ? f.byTypeKey : f.key;
      const sample = samples.get(f.key);
      const typed = sample ? ofType(sample, type) : null;
      if (f.key === 'faults') entry[name] = items.reduce((n, item) => n + impactingFaults(item).filter((x) => x.type === type).length, 0);
      else entry[name] = f.unit === 'count' ? (typed?.value() ?? 0) : finiteOrNull(typed?.value());
      if ('interval' in f) intervals[name] = typed ? sampleInterval(typed, `detector:${f.key}:${type}`) : { low: null, high: null };
    }
    entry.intervals = intervals;
    byType[type] = entry;
  }
  return byType as DetectorSummary['byType'];
}

/** The kept incident results as scores/rca.ts ranks them (a failed method's incidents are failures). */
function rankingsOf(results: ItemResult[], name: string): (RankedIncident & { computeMs: number })[] {
  return results.flatMap((r) => {
    const method = r.rca.find((a) => a.name === name);
    return (method?.incidents ?? []).map((i) => {
      const failure = i.failure ?? method!.error;
      return {
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
        ...(failure !== undefined ? { failure } : {}),
      };
    });
  });
}

/** A figure of RCA_FIGURES from scores/rca.ts's scores (AC@k from acAt). */
function rcaValue(s: RcaScores, key: string): number {
  const ac = /^ac(\d)$/.exec(key);
  if (ac) return s.acAt[Number(ac[1])] ?? NaN;
  return (s as unknown as Record<string, number>)[key]!;
}

function rcaInterval(s: RcaScores, key: string): IntervalJson {
  const ac = /^ac(\d)$/.exec(key);
  return intervalJson(ac ? s.intervals.acAt[Number(ac[1])] : s.intervals[key as 'avg5' | 'mrr']);
}

function summarizeRca(items: ItemResult[], name: string, seeds: number[], facts: RunFacts | undefined): RcaSummary {
  const rankings = rankingsOf(items, name);
  const m = scoreRankings(rankings);
  /** The figures of a table row kind (overall or one fault type) from its scores. */
  const figures = (s: RcaScores, byType: boolean): Record<string, unknown> => {
    const row: Record<string, unknown> = {};
    const intervals: Record<string, IntervalJson> = {};
    for (const f of RCA_FIGURES) {
      if (byType && !('byType' in f)) continue;
      if (f.key === 'prAt') {
        const prAt: Record<string, number | null> = {};
        for (const [k, v] of Object.entries(s.prAt)) prAt[k] = finiteOrNull(v);
        row.prAt = prAt;
      } else if (f.key === 'computeMs') row.computeMs = finiteMean(rankings.map((r) => r.computeMs));
      else row[f.key] = f.unit === 'count' ? rcaValue(s, f.key) : finiteOrNull(rcaValue(s, f.key));
      if ('interval' in f) intervals[f.key] = rcaInterval(s, f.key);
    }
    row.intervals = intervals;
    return row;
  };
  const { intervals, ...overall } = figures(m, false);
  const byType: Record<string, unknown> = {};
  for (const type of Object.keys(m.byType).sort()) byType[type] = figures(m.byType[type]!, true);
  return {
    name,
    ...(isReference(facts, 'rca', name) ? { reference: true } : {}),
    ...overall,
    intervals,
    ...(seeds.length ? { overSeeds: overSeeds(RCA_FIGURES, items, seeds, { section: 'rca', name }) } : {}),
    byType,
  } as RcaSummary;
}

export function summarize(results: ItemResult[], opts: SummarizeOptions = {}): Summary {
  const items = sortItems(results);
  const model = opts.mttr ?? DEFAULT_MTTR_MODEL;
  const seeds = seedsOf(items);
  const detectors = names(items, (r) => r.detectors).map((n) => summarizeDetector(items, n, seeds, opts.facts));
  const rca = names(items, (r) => r.rca).map((n) => summarizeRca(items, n, seeds, opts.facts));
  const mtbf = mtbfMs(items);
  const pairings = detectors.flatMap((d) =>
    rca.map((a) => {
      const p = pairingMttr(items, d.name, a.name, model, mtbf);
      const byType: Record<string, ReturnType<typeof phasesJson>> = {};
      for (const [type, phases] of Object.entries(p.byType)) byType[type] = phasesJson(phases);
      const subject: Subject = { section: 'pairing', detector: p.detector, rca: p.rca, model, mtbfMs: mtbf };
      const intervals = headlineIntervals(MTTR_FIGURES, items, subject) as PairingSummary['intervals'];
      // Resampled on the modelled part; the method's measured compute time is added back as measured.
      const compute = Number.isFinite(p.identifyComputeMs) ? p.identifyComputeMs : 0;
      const shift = (x: number | null) => (x === null ? null : x + compute);
      intervals.mttrMs = { low: shift(intervals.mttrMs.low), high: shift(intervals.mttrMs.high) };
      return { detector: p.detector, rca: p.rca, ...phasesJson(p), availability: p.availability, intervals, byType };
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
      ...(r.notes?.length ? { notes: r.notes } : {}),
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
    ...(opts.facts ? { run: opts.facts } : {}),
  };
}

function gateOf(rca: RcaSummary[], gate: AcGate | undefined): Summary['gate'] {
  const judged = judgeGate(gate, new Map(rca.map((a) => [a.name, a.ac1])));
  const minAc1 = gate === undefined ? null : 'best' in gate ? gate.best : gate.methods;
  return { minAc1, passed: judged.passed, message: judged.message };
}

/**
 * A run's figures as statistics over resampling units: the one definition behind a headline
 * figure's bootstrap interval, its mean and sd over seeds, and the paired test between two methods
 * of a run or one method in two runs. The units are the ones a figure's table entry names
 * (`over`): the run's scored RCA incidents, its impacting faults, its KPI series or its items.
 * Each unit is keyed by its item and its own id, so the units of two runs pair up, and a figure is
 * recomputed from any multiplicity of units (all ones: the figure itself).
 */
import { precisionRecallF1 } from '../scores/detection/confusion.js';
import { THRESHOLD_FREE_FIGURES } from '../scores/detection/evaluate.js';
import type { Figure } from '../scores/figures.js';
import type { IncidentResult, ItemResult } from '../scores/item-result.js';
import { detectMs, impactingFaults, operatorIdentifyMs, repairMs, type MttrModel } from '../scores/mttr.js';
import { bootstrapInterval, mcnemarExact, pairedBootstrap, weightedMean, type Interval, type PairedTest } from '../scores/uncertainty.js';

export type Section = 'detector' | 'rca' | 'pairing';

/** What a sample is drawn for: a detector, an RCA method, or a detector + RCA pairing. */
export type Subject = { section: 'detector'; name: string } | { section: 'rca'; name: string } | { section: 'pairing'; detector: string; rca: string; model: MttrModel; mtbfMs: number | null };

/** One figure of one subject over its units. */
export interface Sample {
  keys: string[];
  /** Fault or incident type per unit (undefined for series and items). */
  types: (string | undefined)[];
  /** The figure from a multiplicity per unit (default all ones: the figure itself); NaN when undefined. */
  value(multiplicity?: Uint32Array): number;
  /** 1 where the unit hits, for hit-or-miss figures (McNemar). */
  hits?: Uint8Array;
  /** The same figure over the units at these indices, in this order. */
  pick(indices: number[]): Sample;
}

const ones = (n: number) => new Uint32Array(n).fill(1);

function weightedSum(values: ArrayLike<number>, m: Uint32Array): number {
  let sum = 0;
  for (let k = 0; k < values.length; k++) sum += m[k] * values[k];
  return sum;
}

/** A sample from per-unit rows and the statistic over them. */
function sampleOf<R>(rows: R[], keys: string[], types: (string | undefined)[], stat: (rows: R[], m: Uint32Array) => number, hit?: (row: R) => number): Sample {
  const s: Sample = {
    keys,
    types,
    value: (m) => stat(rows, m ?? ones(rows.length)),
    pick: (idx) => sampleOf(idx.map((i) => rows[i]!), idx.map((i) => keys[i]!), idx.map((i) => types[i]), stat, hit),
  };
  if (hit) s.hits = Uint8Array.from(rows, hit);
  return s;
}

// ---- RCA incidents -------------------------------------------------------------------------

interface IncidentRow {
  rank: number;
  failed: number;
}

/** The rank that counts (scores/rca.ts): an incident the method failed on is a miss. */
function effectiveRank(inc: IncidentResult, methodError: string | undefined): number {
  return inc.failure !== undefined || methodError !== undefined ? 0 : inc.rank;
}

function incidentRows(items: ItemResult[], name: string): { rows: IncidentRow[]; keys: string[]; types: string[] } {
  const rows: IncidentRow[] = [];
  const keys: string[] = [];
  const types: string[] = [];
  for (const item of items) {
    const method = item.rca.find((a) => a.name === name);
    for (const inc of method?.incidents ?? []) {
      if (inc.rootCause.length === 0) continue; // ranked, not scored
      const failed = inc.failure !== undefined || method!.error !== undefined;
      rows.push({ rank: effectiveRank(inc, method!.error), failed: failed ? 1 : 0 });
      keys.push(`${item.key}\u0000${inc.id}`);
      types.push(inc.type);
    }
  }
  return { rows, keys, types };
}

const hitAt = (k: number) => (r: IncidentRow) => (r.rank > 0 && r.rank <= k ? 1 : 0);

function rcaSample(key: string, items: ItemResult[], name: string): Sample | null {
  const { rows, keys, types } = incidentRows(items, name);
  const mean = (f: (r: IncidentRow) => number) => (rs: IncidentRow[], m: Uint32Array) => weightedMean(rs.map(f), m);
  const ac = /^ac([1-5])$/.exec(key);
  if (ac) return sampleOf(rows, keys, types, mean(hitAt(Number(ac[1]))), hitAt(Number(ac[1])));
  switch (key) {
    case 'failed':
      return sampleOf(rows, keys, types, (rs, m) => weightedSum(rs.map((r) => r.failed), m), (r) => r.failed);
    case 'avg5':
      return sampleOf(rows, keys, types, mean((r) => (r.rank > 0 && r.rank <= 5 ? (6 - r.rank) / 5 : 0)));
    case 'mrr':
      return sampleOf(rows, keys, types, mean((r) => (r.rank > 0 ? 1 / r.rank : 0)));
    default:
      return null;
  }
}

// ---- Faults (detection, and MTTR of a pairing) --------------------------------------------------

interface DetectionFaultRow {
  start: number;
  firstAlarm: number | null;
}

function detectionFaultSample(key: string, items: ItemResult[], name: string): Sample | null {
  const rows: DetectionFaultRow[] = [];
  const keys: string[] = [];
  const types: string[] = [];
  for (const item of items) {
    const det = item.detectors.find((d) => d.name === name);
    for (const fault of impactingFaults(item)) {
      rows.push({ start: fault.start, firstAlarm: det?.faults.find((f) => f.faultId === fault.id)?.firstAlarm ?? null });
      keys.push(`${item.key}\u0000${fault.id}`);
      types.push(fault.type);
    }
  }
  const detected = (r: DetectionFaultRow) => (r.firstAlarm !== null ? 1 : 0);
  switch (key) {
    case 'detectedFaults':
      return sampleOf(rows, keys, types, (rs, m) => weightedSum(rs.map(detected), m), detected);
    case 'faultDetectionRate':
      return sampleOf(rows, keys, types, (rs, m) => weightedMean(rs.map(detected), m), detected);
    case 'meanTimeToDetectMs':
      return sampleOf(rows, keys, types, (rs, m) => {
        let delay = 0;
        let n = 0;
        rs.forEach((r, k) => {
          if (r.firstAlarm === null) return;
          delay += m[k] * Math.max(0, r.firstAlarm - r.start);
          n += m[k];
        });
        return n > 0 ? delay / n : NaN;
      });
    default:
      return null;
  }
}

interface PairingFaultRow {
  detect: number;
  identify: number;
  repair: number;
}

function pairingSample(key: string, items: ItemResult[], s: Extract<Subject, { section: 'pairing' }>): Sample | null {
  const rows: PairingFaultRow[] = [];
  const keys: string[] = [];
  const types: string[] = [];
  for (const item of items) {
    const det = item.detectors.find((d) => d.name === s.detector);
    const alg = item.rca.find((r) => r.name === s.rca);
    for (const fault of impactingFaults(item)) {
      const incident = alg?.incidents.find((i) => i.faultId === fault.id);
      rows.push({
        detect: detectMs(fault, det?.faults.find((f) => f.faultId === fault.id)?.firstAlarm ?? null, s.model),
        identify: (incident?.computeMs ?? 0) + operatorIdentifyMs(incident?.rank ?? 0, s.model),
        repair: repairMs(fault.type, s.model),
      });
      keys.push(`${item.key}\u0000${fault.id}`);
      types.push(fault.type);
    }
  }
  const mean = (f: (r: PairingFaultRow) => number) => (rs: PairingFaultRow[], m: Uint32Array) => weightedMean(rs.map(f), m);
  const mttr = mean((r) => r.detect + r.identify + r.repair);
  switch (key) {
    case 'detectMs':
      return sampleOf(rows, keys, types, mean((r) => r.detect));
    case 'identifyMs':
      return sampleOf(rows, keys, types, mean((r) => r.identify));
    case 'mttrMs':
      return sampleOf(rows, keys, types, mttr);
    case 'availability': {
      const mtbf = s.mtbfMs;
      return sampleOf(rows, keys, types, (rs, m) => (mtbf === null ? NaN : mtbf / (mtbf + mttr(rs, m))));
    }
    default:
      return null;
  }
}

// ---- Series ---------------------------------------------------------------------------------------

interface SeriesRow {
  item: number;
  tp: number;
  fp: number;
  fn: number;
  free: Record<string, number | null>;
}

/** The detector's per-series results over the run; null when an item did not keep them. */
function seriesRows(items: ItemResult[], name: string): { rows: SeriesRow[]; keys: string[] } | null {
  const rows: SeriesRow[] = [];
  const keys: string[] = [];
  for (const [k, item] of items.entries()) {
    const det = item.detectors.find((d) => d.name === name);
    if (!det) continue;
    const s = det.series;
    if (!s) return null;
    s.ids.forEach((id, j) => {
      rows.push({ item: k, tp: s.tp[j]!, fp: s.fp[j]!, fn: s.fn[j]!, free: Object.fromEntries(THRESHOLD_FREE_FIGURES.map((f) => [f, s[f][j] ?? null])) });
      keys.push(`${item.key}\u0000${id}`);
    });
  }
  return { rows, keys };
}

/**
 * Point-adjusted precision, recall or F1 as the run reports it: each item's figure from its
 * resampled series' summed counts, then the mean over the items where it is defined.
 */
function pooledPerItem(pick: 'precision' | 'recall' | 'f1') {
  return (rows: SeriesRow[], m: Uint32Array): number => {
    const byItem = new Map<number, { tp: number; fp: number; fn: number }>();
    rows.forEach((r, k) => {
      if (!m[k]) return;
      let c = byItem.get(r.item);
      if (!c) byItem.set(r.item, (c = { tp: 0, fp: 0, fn: 0 }));
      c.tp += m[k] * r.tp;
      c.fp += m[k] * r.fp;
      c.fn += m[k] * r.fn;
    });
    return weightedMean([...byItem.values()].map((c) => precisionRecallF1(c)[pick]));
  };
}

function seriesSample(key: string, items: ItemResult[], name: string): Sample | null {
  const found = seriesRows(items, name);
  if (!found) return null;
  const { rows, keys } = found;
  const types = rows.map(() => undefined);
  switch (key) {
    case 'pointAdjustedF1':
      return sampleOf(rows, keys, types, pooledPerItem('f1'));
    case 'precision':
    case 'recall':
      return sampleOf(rows, keys, types, pooledPerItem(key));
    default:
      if (!(THRESHOLD_FREE_FIGURES as readonly string[]).includes(key)) return null;
      return sampleOf(rows, keys, types, (rs, m) => weightedMean(rs.map((r) => r.free[key] ?? NaN), m));
  }
}

// ---- Items ----------------------------------------------------------------------------------------

function itemSample(figure: Figure, items: ItemResult[], name: string): Sample | null {
  const rows: Record<string, number | null>[] = [];
  const keys: string[] = [];
  for (const item of items) {
    const det = item.detectors.find((d) => d.name === name);
    if (!det) continue;
    rows.push(det.figures as unknown as Record<string, number | null>);
    keys.push(item.key);
  }
  const types = rows.map(() => undefined);
  const column = (rs: Record<string, number | null>[], key: string) => rs.map((r) => r[key] ?? NaN);
  if (figure.key === 'eventRecall') {
    return sampleOf(rows, keys, types, (rs, m) => {
      const events = weightedSum(column(rs, 'events'), m);
      return events > 0 ? weightedSum(column(rs, 'detectedEvents'), m) / events : NaN;
    });
  }
  if (figure.rollup === 'sum') return sampleOf(rows, keys, types, (rs, m) => weightedSum(column(rs, figure.key), m));
  if (figure.rollup === 'mean') return sampleOf(rows, keys, types, (rs, m) => weightedMean(column(rs, figure.key), m));
  return null;
}

/**
 * The sample of a figure (a table entry with `over`) for one subject of a run, or null when the
 * run's results do not hold the units it needs (e.g. per-series results of an older results file).
 */
export function figureSample(figure: Figure, items: ItemResult[], subject: Subject): Sample | null {
  switch (figure.over) {
    case 'incidents':
      return subject.section === 'rca' ? rcaSample(figure.key, items, subject.name) : null;
    case 'faults':
      if (subject.section === 'pairing') return pairingSample(figure.key, items, subject);
      return subject.section === 'detector' ? detectionFaultSample(figure.key, items, subject.name) : null;
    case 'series':
      return subject.section === 'detector' ? seriesSample(figure.key, items, subject.name) : null;
    case 'items':
      return subject.section === 'detector' ? itemSample(figure, items, subject.name) : null;
    default:
      return null;
  }
}

/** The units of a sample whose type is `type` (faults and incidents). */
export function ofType(sample: Sample, type: string): Sample {
  const idx: number[] = [];
  sample.types.forEach((t, k) => {
    if (t === type) idx.push(k);
  });
  return sample.pick(idx);
}

export interface IntervalJson {
  low: number | null;
  high: number | null;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function intervalJson(i: Interval | undefined): IntervalJson {
  return { low: i ? finiteOrNull(i.low) : null, high: i ? finiteOrNull(i.high) : null };
}

/** The seeded 95% bootstrap interval of a sample's figure; `purpose` names the resampling stream. */
export function sampleInterval(sample: Sample, purpose: string): IntervalJson {
  if (sample.keys.length === 0) return { low: null, high: null };
  return intervalJson(bootstrapInterval(sample.keys.length, (m) => sample.value(m), purpose));
}

/** A paired test of figure B against figure A over the units both have; null when they share none. */
export function pairedTest(figure: Figure, a: Sample, b: Sample, purpose: string): PairedTest | null {
  const inB = new Map(b.keys.map((k, i) => [k, i]));
  const ia: number[] = [];
  const ib: number[] = [];
  a.keys.forEach((k, i) => {
    const j = inB.get(k);
    if (j === undefined) return;
    ia.push(i);
    ib.push(j);
  });
  if (ia.length === 0) return null;
  const sa = a.pick(ia);
  const sb = b.pick(ib);
  if (figure.hitOrMiss && sa.hits && sb.hits) return mcnemarExact(sa.hits, sb.hits);
  return pairedBootstrap(ia.length, (m) => sa.value(m), (m) => sb.value(m), purpose);
}

/** What a figure's units are called in sentences. */
export const UNIT_NAMES: Record<NonNullable<Figure['over']>, string> = { incidents: 'incidents', faults: 'faults', series: 'series', items: 'items' };

/**
 * A run's figures as statistics over resampling units: the one definition behind a headline
 * figure's bootstrap interval, its mean and sd over seeds, and the paired test between two methods
 * of a run or one method in two runs. The units are the ones a figure's table entry names
 * (`over`): the run's scored RCA incidents, its impacting faults, its KPI series or its items.
 * Each unit is keyed by its item and its own id, so the units of two runs pair up, and a figure is
 * recomputed from any multiplicity of units (all ones: the figure itself). Each statistic reads
 * typed columns built once per sample: a bootstrap evaluates it a thousand times.
 *
 * MTTR figures are resampled on their modelled part (detect, operator time, repair): the RCA
 * method's measured compute time they also carry varies with the machine, and measured values are
 * never compared.
 */
import { precisionRecallF1 } from '../scores/detection/confusion.js';
import { THRESHOLD_FREE_FIGURES } from '../scores/detection/evaluate.js';
import type { Figure } from '../scores/figures.js';
import type { IncidentResult, ItemResult } from '../scores/item-result.js';
import { detectMs, impactingFaults, operatorIdentifyMs, repairMs, type MttrModel } from '../scores/mttr.js';
import { bootstrapSamples, mcnemarExact, pairedBootstrap, percentileInterval, weightedMean, type Interval, type PairedTest } from '../scores/uncertainty.js';

export type Section = 'detector' | 'rca' | 'pairing';

/** What a sample is drawn for: a detector, an RCA method, or a detector + RCA pairing. */
export type Subject = { section: 'detector'; name: string } | { section: 'rca'; name: string } | { section: 'pairing'; detector: string; rca: string; model: MttrModel; mtbfMs: number | null };

/** One figure of one subject over its units. */
export interface Sample {
  /** What the units are (incidents, faults, series, items), for sentences. */
  units: string;
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

/** A figure's statistic over the multiplicity of each unit, built once from the units' rows. */
type Statistic<R> = (rows: R[]) => (m: Uint32Array) => number;

/** A sample from per-unit rows and the statistic over them. */
function sampleOf<R>(units: string, rows: R[], keys: string[], types: (string | undefined)[], build: Statistic<R>, hit?: (row: R) => number): Sample {
  let stat: ((m: Uint32Array) => number) | undefined;
  const s: Sample = {
    units,
    keys,
    types,
    value: (m) => (stat ??= build(rows))(m ?? ones(rows.length)),
    pick: (idx) => sampleOf(units, idx.map((i) => rows[i]!), idx.map((i) => keys[i]!), idx.map((i) => types[i]), build, hit),
  };
  if (hit) s.hits = Uint8Array.from(rows, hit);
  return s;
}

/** The mean of a per-unit value over the units, weighted by multiplicity (NaN units skipped). */
const meanOf =
  <R>(f: (r: R) => number): Statistic<R> =>
  (rows) => {
    const v = Float64Array.from(rows, f);
    return (m) => weightedMean(v, m);
  };

/** The weighted sum of a per-unit value. */
const sumOf =
  <R>(f: (r: R) => number): Statistic<R> =>
  (rows) => {
    const v = Float64Array.from(rows, f);
    return (m) => weightedSum(v, m);
  };

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
  const ac = /^ac([1-5])$/.exec(key);
  if (ac) return sampleOf('incidents', rows, keys, types, meanOf(hitAt(Number(ac[1]))), hitAt(Number(ac[1])));
  switch (key) {
    case 'failed':
      return sampleOf('incidents', rows, keys, types, sumOf((r) => r.failed), (r) => r.failed);
    case 'avg5':
      // Avg@5 = mean of AC@1..5: an incident found at rank r <= 5 hits for k = r..5.
      return sampleOf('incidents', rows, keys, types, meanOf((r) => (r.rank > 0 && r.rank <= 5 ? (6 - r.rank) / 5 : 0)));
    case 'mrr':
      return sampleOf('incidents', rows, keys, types, meanOf((r) => (r.rank > 0 ? 1 / r.rank : 0)));
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
      return sampleOf('faults', rows, keys, types, sumOf(detected), detected);
    case 'faultDetectionRate':
      return sampleOf('faults', rows, keys, types, meanOf(detected), detected);
    case 'meanTimeToDetectMs':
      // Over the detected faults only: an undetected fault has no delay (NaN, skipped).
      return sampleOf('faults', rows, keys, types, meanOf((r) => (r.firstAlarm === null ? NaN : Math.max(0, r.firstAlarm - r.start))));
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
        identify: operatorIdentifyMs(incident?.rank ?? 0, s.model),
        repair: repairMs(fault.type, s.model),
      });
      keys.push(`${item.key}\u0000${fault.id}`);
      types.push(fault.type);
    }
  }
  const mttr = meanOf<PairingFaultRow>((r) => r.detect + r.identify + r.repair);
  switch (key) {
    case 'detectMs':
      return sampleOf('faults', rows, keys, types, meanOf((r) => r.detect));
    case 'identifyMs':
      return sampleOf('faults', rows, keys, types, meanOf((r) => r.identify));
    case 'mttrMs':
      return sampleOf('faults', rows, keys, types, mttr);
    case 'availability': {
      const mtbf = s.mtbfMs;
      return sampleOf('faults', rows, keys, types, (rs) => {
        const f = mttr(rs);
        return (m) => (mtbf === null ? NaN : mtbf / (mtbf + f(m)));
      });
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
function pooledPerItem(pick: 'precision' | 'recall' | 'f1'): Statistic<SeriesRow> {
  return (rows) => {
    // Items renumbered densely in row order (rows come item by item).
    const index = new Map<number, number>();
    const item = Int32Array.from(rows, (r) => {
      let i = index.get(r.item);
      if (i === undefined) index.set(r.item, (i = index.size));
      return i;
    });
    const tp = Float64Array.from(rows, (r) => r.tp);
    const fp = Float64Array.from(rows, (r) => r.fp);
    const fn = Float64Array.from(rows, (r) => r.fn);
    const acc = new Float64Array(index.size * 3);
    const drawn = new Uint8Array(index.size);
    return (m) => {
      acc.fill(0);
      drawn.fill(0);
      for (let k = 0; k < rows.length; k++) {
        if (!m[k]) continue;
        const i = item[k]!;
        drawn[i] = 1;
        acc[3 * i] += m[k] * tp[k]!;
        acc[3 * i + 1] += m[k] * fp[k]!;
        acc[3 * i + 2] += m[k] * fn[k]!;
      }
      let sum = 0;
      let n = 0;
      for (let i = 0; i < drawn.length; i++) {
        if (!drawn[i]) continue;
        const v = precisionRecallF1({ tp: acc[3 * i]!, fp: acc[3 * i + 1]!, fn: acc[3 * i + 2]! })[pick];
        if (Number.isNaN(v)) continue;
        sum += v;
        n++;
      }
      return n > 0 ? sum / n : NaN;
    };
  };
}

interface ItemSeriesRow {
  tp: number;
  fp: number;
  fn: number;
  /** Per threshold-free figure, its sum and count over the item's series where defined. */
  sum: Record<string, number>;
  count: Record<string, number>;
}

/**
 * A detector's series figures. Over the series of a run of one item (one data set). Over the items
 * of a run of several, each item's series kept together (a cluster bootstrap): series of one item
 * share its faults and move together, so they are not independent units; the figures are the same
 * (PA-F1 the mean of the items' pooled F1, threshold-free figures the mean over all series).
 */
function seriesSample(key: string, items: ItemResult[], name: string): Sample | null {
  const found = seriesRows(items, name);
  if (!found) return null;
  const threshold = (THRESHOLD_FREE_FIGURES as readonly string[]).includes(key);
  if (!threshold && key !== 'pointAdjustedF1' && key !== 'precision' && key !== 'recall') return null;
  const pick = key === 'pointAdjustedF1' ? 'f1' : (key as 'precision' | 'recall');
  const { rows, keys } = found;
  const itemKeys = [...new Set(rows.map((r) => r.item))];
  if (itemKeys.length <= 1) {
    const types = rows.map(() => undefined);
    return threshold ? sampleOf('series', rows, keys, types, meanOf((r) => r.free[key] ?? NaN)) : sampleOf('series', rows, keys, types, pooledPerItem(pick));
  }
  const clusters = new Map<number, ItemSeriesRow>();
  for (const r of rows) {
    let c = clusters.get(r.item);
    if (!c) clusters.set(r.item, (c = { tp: 0, fp: 0, fn: 0, sum: {}, count: {} }));
    c.tp += r.tp;
    c.fp += r.fp;
    c.fn += r.fn;
    for (const f of THRESHOLD_FREE_FIGURES) {
      const v = r.free[f];
      if (v === null || v === undefined || Number.isNaN(v)) continue;
      c.sum[f] = (c.sum[f] ?? 0) + v;
      c.count[f] = (c.count[f] ?? 0) + 1;
    }
  }
  const cluster = [...clusters.entries()];
  const ckeys = cluster.map(([k]) => items[k]!.key);
  const ctypes = cluster.map(() => undefined);
  const crows = cluster.map(([, c]) => c);
  if (!threshold) return sampleOf('items', crows, ckeys, ctypes, meanOf((c) => precisionRecallF1(c)[pick]));
  return sampleOf('items', crows, ckeys, ctypes, (rs) => {
    const sums = sumOf<ItemSeriesRow>((c) => c.sum[key] ?? 0)(rs);
    const counts = sumOf<ItemSeriesRow>((c) => c.count[key] ?? 0)(rs);
    return (m) => {
      const n = counts(m);
      return n > 0 ? sums(m) / n : NaN;
    };
  });
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
  const value = (key: string) => (r: Record<string, number | null>) => r[key] ?? NaN;
  if (figure.key === 'eventRecall') {
    return sampleOf('items', rows, keys, types, (rs) => {
      const events = sumOf(value('events'))(rs);
      const detected = sumOf(value('detectedEvents'))(rs);
      return (m) => {
        const n = events(m);
        return n > 0 ? detected(m) / n : NaN;
      };
    });
  }
  if (figure.rollup === 'sum') return sampleOf('items', rows, keys, types, sumOf(value(figure.key)));
  if (figure.rollup === 'mean') return sampleOf('items', rows, keys, types, meanOf(value(figure.key)));
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

/** What a run's series figures resample, in words: its series, or its items with their series. */
export function seriesUnits(items: number): string {
  return items > 1 ? 'items, each with its series' : 'series';
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

/**
 * Seeded 95% bootstrap intervals of several figures over the same units, from one set of resamples
 * (`purpose` names the stream): each figure's interval is the percentile interval of its values
 * over the resamples where it is defined.
 */
export function sampleIntervals(samples: Map<string, Sample>, purpose: string): Record<string, IntervalJson> {
  const list = [...samples];
  const n = list[0]?.[1].keys.length ?? 0;
  for (const [key, s] of list) if (s.keys.length !== n) throw new Error(`sampleIntervals: ${key} has ${s.keys.length} units, not ${n}`);
  const draws = list.map(() => [] as number[]);
  if (n > 0) {
    bootstrapSamples(n, (m) => {
      list.forEach(([, s], j) => {
        const v = s.value(m);
        if (!Number.isNaN(v)) draws[j]!.push(v);
      });
      return 0;
    }, purpose);
  }
  return Object.fromEntries(list.map(([key], j) => [key, draws[j]!.length ? intervalJson(percentileInterval(Float64Array.from(draws[j]!))) : { low: null, high: null }]));
}

/** The seeded 95% bootstrap interval of one sample's figure. */
export function sampleInterval(sample: Sample, purpose: string): IntervalJson {
  return sampleIntervals(new Map([['figure', sample]]), purpose).figure!;
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

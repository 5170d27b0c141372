/**
 * `faultline fidelity`: whether a simulation's verdict on methods carries over to real data. From
 * a simulated run (results.json of `faultline run`, e.g. a twin's fault sweep) and a real one (a
 * replay's or a run's results.json):
 * - the rank agreement (Kendall tau-b) of the RCA methods both ran, on AC@1 and Avg@5, overall,
 *   overall with the simulated incidents weighted to the real fault types' mix (MIXED), and per
 *   fault type both have (real type names mapped onto the simulator's), and of the detectors
 *   on PA-F1 and AUC-PR; each with a percentile bootstrap interval that resamples the simulated
 *   and the real incidents (or items, for detectors) independently, through scores/uncertainty;
 *   and, for RCA, which methods carry signal on each side (above a random ranking's score) and
 *   tau-b over those alone;
 * - the telemetry itself: per-operation latency quantiles, fan-out, calls and errors per trace,
 *   and per-service volume and latency noise, each as a Kolmogorov-Smirnov distance between the
 *   real profile and each simulated item's (the median and range over the simulated items);
 * - the incident windows: the median length of each side's incidents, since methods judged over
 *   windows of different lengths face different problems;
 * - the faults' strength: per fault type both have, how much the incidents changed the latency,
 *   own time and edge gap of their root cause's calls (data/fault-effect.ts), as the median over
 *   each side's incidents. A simulation whose faults are much weaker or stronger than the real
 *   ones of a type judges the methods on a different problem. Where the sweep has a type at two or
 *   more severities, the severity whose strength matches the real incidents' (a rule on the
 *   telemetry, not on any method's score), to sweep again at.
 */
import path from 'node:path';
import { writeFileAtomic } from '../common/atomic-file.js';
import { FaultlineError, UsageError } from '../common/errors.js';
import { publishDir } from '../common/output-dir.js';
import { parseJsonText, readText } from '../common/validated-file.js';
import { EFFECT_MEASURES, type EffectMeasure } from '../data/fault-effect.js';
import { median } from '../detectors/stats.js';
import { OPERATION_LEVELS, round4, POOLED_LEVELS, type TelemetryProfile } from '../data/telemetry-profile.js';
import { renderFidelity } from '../reports/fidelity-html.js';
import type { FitFigures } from '../reports/fit-html.js';
import { readResultsFile } from '../reports/results-file.js';
import { seedsOf } from '../reports/summarize.js';
import { CALIBRATION_RESPONSE, incidentWindow, kendallTauB, ksFromCounts, ksFromSketches, MIXED } from '../scores/agreement.js';
import type { ItemResult } from '../scores/item-result.js';
import { AC_KS } from '../scores/rca.js';
import { bootstrapSamples, meanInterval, percentileInterval, type Interval } from '../scores/uncertainty.js';
import type { Agreement, Distance, EffectComparison, FidelityResult, MeasureCalibration, SeedAgreement, SeverityCalibration, SeverityEffect, WindowComparison } from '../scores/agreement.js';
import { stream } from '../sim/rng.js';
import type { FitReport } from './fit-report.js';

/**
 * Real fault type names of public data sets, as the simulator's types: Nezha's fault_list.json
 * (`cpu_consumed`, on its Online Boutique days, is a process in the pod burning CPU) and RCAEval's
 * short names. RCAEval's `disk` and `socket` stay unmapped: the simulator has no disk or socket
 * fault.
 */
export const DEFAULT_TYPE_MAP: Readonly<Record<string, string>> = {
  exception: 'code-exception',
  return: 'wrong-return',
  cpu_contention: 'cpu-saturation',
  cpu_consumed: 'cpu-saturation',
  network_delay: 'network-delay',
  cpu: 'cpu-saturation',
  mem: 'memory-leak',
  delay: 'network-delay',
  loss: 'packet-loss',
};

export interface FidelityOptions {
  /** The simulated run, or several (e.g. sweeps of other seeds) whose items are pooled. */
  sim: string | string[];
  real: string;
  out: string;
  force?: boolean;
  /** Real fault type -> simulated fault type (default DEFAULT_TYPE_MAP). */
  typeMap?: Record<string, string>;
  resamples?: number;
  /** The twin's fit-report.json: its figures join the page (how well the twin reproduces its data). */
  fitReport?: string;
}

/** Reads a fit-report.json written by `faultline fit`. */
async function readFitReport(file: string): Promise<FitFigures> {
  const r = parseJsonText(readText(file, 'fit report'), file) as Partial<FitReport> | null;
  if (!r || typeof r !== 'object' || r.schema !== 'faultline/fit-report') throw new FaultlineError(`${file}: not a fit report (field 'schema' is not 'faultline/fit-report')`);
  if (r.version !== 1) throw new FaultlineError(`${file}: fit report version ${String(r.version)}; this faultline reads version 1`);
  for (const key of ['targets', 'twin', 'estimates', 'edges', 'latency', 'mix', 'errors'] as const) if (r[key] === undefined) throw new FaultlineError(`${file}: field '${key}' is missing`);
  return r as FitReport;
}

interface Hit {
  method: string;
  incident: string;
  rank: number;
}

const avg5 = (rank: number) => (rank >= 1 && rank <= 5 ? (6 - rank) / 5 : 0);
const ac1 = (rank: number) => (rank === 1 ? 1 : 0);

/** One column per incident: its id, fault type and item's sweep seed; one row of ranks per method. */
type IncidentRanks = { ids: string[]; types: string[]; seeds: (number | undefined)[]; ranks: Map<string, number[]> };

function incidents(items: ItemResult[], typeMap: Record<string, string>): IncidentRanks {
  // One column per incident (item key + incident id), one row per method.
  const ids: string[] = [];
  const types: string[] = [];
  const seeds: (number | undefined)[] = [];
  const index = new Map<string, number>();
  const hits: Hit[] = [];
  for (const item of items) {
    for (const r of item.rca) {
      for (const inc of r.incidents) {
        const id = `${item.key} ${inc.id}`;
        if (!index.has(id)) {
          index.set(id, ids.length);
          ids.push(id);
          types.push(typeMap[inc.type] ?? inc.type);
          seeds.push(item.seed);
        }
        hits.push({ method: r.name, incident: id, rank: inc.rank });
      }
    }
  }
  const ranks = new Map<string, number[]>();
  for (const h of hits) {
    let row = ranks.get(h.method);
    if (!row) ranks.set(h.method, (row = new Array<number>(ids.length).fill(0)));
    row[index.get(h.incident)!] = h.rank;
  }
  return { ids, types, seeds, ranks };
}

/** The weighted mean of `values` over `cols`: each column's weight (1 by default) times its bootstrap multiplicity. */
function weighted(values: number[], cols: number[], m: Uint32Array | null, weights?: Float64Array): number {
  let s = 0;
  let n = 0;
  cols.forEach((c, k) => {
    const w = (m ? m[k]! : 1) * (weights ? weights[k]! : 1);
    s += w * values[c]!;
    n += w;
  });
  return n ? s / n : NaN;
}

/** Tau between the methods' figure (one row per method) over columns of each side, with bootstrap multiplicities and simulated weights where given. */
function tauOver(sim: number[][], simCols: number[], real: number[][], realCols: number[], ms: Uint32Array | null = null, mr: Uint32Array | null = null, simWeights?: Float64Array): number {
  return kendallTauB(
    sim.map((row) => weighted(row, simCols, ms, simWeights)),
    real.map((row) => weighted(row, realCols, mr)),
  );
}

/**
 * Tau between the methods' figure on two incident sets, with a two-sample bootstrap interval;
 * `simWeights` (per simulated column) reweigh the simulated incidents, e.g. to the real types' mix.
 */
function agreement(
  figure: string,
  type: string,
  methods: string[],
  sim: number[][],
  simCols: number[],
  real: number[][],
  realCols: number[],
  resamples: number,
  simWeights?: Float64Array,
): Agreement {
  const point = (ms: Uint32Array | null, mr: Uint32Array | null) => tauOver(sim, simCols, real, realCols, ms, mr, simWeights);
  const rows = methods.map((name, k) => ({ name, sim: round(weighted(sim[k]!, simCols, null, simWeights)), real: round(weighted(real[k]!, realCols, null)) }));
  let interval: Interval | null = null;
  if (methods.length >= 2 && simCols.length > 1 && realCols.length > 1) {
    // The real incidents are resampled from a stream of their own inside each simulated resample.
    const rng = stream(1, `fidelity:real:${figure}:${type}`);
    const mr = new Uint32Array(realCols.length);
    const samples = bootstrapSamples(
      simCols.length,
      (ms) => {
        mr.fill(0);
        for (let k = 0; k < realCols.length; k++) mr[Math.floor(rng() * realCols.length)]!++;
        return point(ms, mr);
      },
      `fidelity:sim:${figure}:${type}`,
      { resamples },
    );
    if (samples.length) interval = percentileInterval(samples);
  }
  return { figure, type, methods: rows, simIncidents: simCols.length, realIncidents: realCols.length, tau: round(point(null, null)), interval: interval && { low: round(interval.low), high: round(interval.high) } };
}

function round(x: number, digits = 4): number {
  return Number.isFinite(x) ? Number(x.toFixed(digits)) : NaN;
}

/** What ranking k candidates at random scores: AC@j is min(j, k) / k, Avg@5 the mean of AC@1..AC@5. */
export const CHANCE: Record<'ac1' | 'avg5', (k: number) => number> = {
  ac1: (k) => 1 / k,
  avg5: (k) => AC_KS.reduce((a, j) => a + Math.min(j, k) / k, 0) / AC_KS.length,
};

/** The methods whose figure over `cols` has its 95% interval's lower end above `chance`. */
function withSignal(methods: string[], rows: number[][], cols: number[], chance: number, purpose: string, resamples: number): string[] {
  return methods.filter((name, k) => {
    const values = cols.map((c) => rows[k]![c]!);
    return values.length > 1 && meanInterval(values, `${purpose}:${name}`, { resamples }).low > chance;
  });
}

/** Adds to an agreement the methods with signal and tau-b over them (Agreement.signal). */
function addSignal(a: Agreement, figure: 'ac1' | 'avg5', methods: string[], sim: number[][], simCols: number[], real: number[][], realCols: number[], services: { sim: number; real: number }, resamples: number): Agreement {
  const chanceSim = services.sim > 0 ? CHANCE[figure](services.sim) : 0;
  const chanceReal = services.real > 0 ? CHANCE[figure](services.real) : 0;
  const onSim = withSignal(methods, sim, simCols, chanceSim, `fidelity:signal:sim:${figure}:${a.type}`, resamples);
  const onReal = withSignal(methods, real, realCols, chanceReal, `fidelity:signal:real:${figure}:${a.type}`, resamples);
  const keep = methods.filter((m) => onSim.includes(m) || onReal.includes(m));
  const idx = keep.map((m) => methods.indexOf(m));
  const sub = agreement(figure, a.type, keep, idx.map((k) => sim[k]!), simCols, idx.map((k) => real[k]!), realCols, resamples);
  return { ...a, signal: { chanceSim: round(chanceSim), chanceReal: round(chanceReal), sim: onSim, real: onReal, tau: sub.tau, interval: sub.interval } };
}

/** The methods both sides ran, the fault types both have, and the incidents the overall figures take: those of the shared types when there are any, else all. */
function overall(s: IncidentRanks, r: IncidentRanks): { methods: string[]; sharedTypes: string[]; simAll: number[]; realAll: number[] } {
  const methods = [...s.ranks.keys()].filter((m) => r.ranks.has(m)).sort();
  const sharedTypes = [...new Set(s.types)].filter((t) => r.types.includes(t)).sort();
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  const simAll = sharedTypes.length ? all(s.ids.length).filter((i) => sharedTypes.includes(s.types[i]!)) : all(s.ids.length);
  const realAll = sharedTypes.length ? all(r.ids.length).filter((i) => sharedTypes.includes(r.types[i]!)) : all(r.ids.length);
  return { methods, sharedTypes, simAll, realAll };
}

const FIGURES = [['ac1', ac1], ['avg5', avg5]] as const;

/**
 * The RCA agreements, and the overall ones per sweep seed where the simulated items come from two
 * or more (each seed's incidents alone against every real one): how far the figure moves with the
 * seeds, which the bootstrap (resampling incidents within the sweep) does not show.
 */
function rcaAgreements(simItems: ItemResult[], realItems: ItemResult[], typeMap: Record<string, string>, resamples: number, services: { sim: number; real: number }): { agreements: Agreement[]; bySeed: SeedAgreement[] } {
  const s = incidents(simItems, {});
  const r = incidents(realItems, typeMap);
  const { methods, sharedTypes, simAll, realAll } = overall(s, r);
  // Each seed's incidents of the shared types.
  const seedCols = seedsOf(simItems).map((seed) => ({ seed, cols: simAll.filter((i) => s.seeds[i] === seed) }));
  const out: Agreement[] = [];
  const bySeed: SeedAgreement[] = [];
  for (const [figure, f] of FIGURES) {
    const sim = methods.map((m) => s.ranks.get(m)!.map(f));
    const real = methods.map((m) => r.ranks.get(m)!.map(f));
    if (seedCols.length) {
      const rows = seedCols.map(({ seed, cols }) => ({ seed, tau: round(tauOver(sim, cols, real, realAll)), simIncidents: cols.length }));
      const taus = rows.map((x) => x.tau).filter(Number.isFinite);
      bySeed.push({ figure, seeds: rows, min: taus.length ? Math.min(...taus) : NaN, max: taus.length ? Math.max(...taus) : NaN });
    }
    out.push(addSignal(agreement(figure, 'all', methods, sim, simAll, real, realAll, resamples), figure, methods, sim, simAll, real, realAll, services, resamples));
    if (sharedTypes.length > 1) {
      // The same incidents, the simulated ones weighted so that each type counts as much as on
      // the real side: a sweep's mix of types is its design, and pooled it weighs the methods by it.
      const counts = (types: string[], cols: number[]) => {
        const n = new Map<string, number>();
        for (const i of cols) n.set(types[i]!, (n.get(types[i]!) ?? 0) + 1);
        return n;
      };
      const realCount = counts(r.types, realAll);
      const simCount = counts(s.types, simAll);
      const weights = Float64Array.from(simAll, (i) => realCount.get(s.types[i]!)! / realAll.length / (simCount.get(s.types[i]!)! / simAll.length));
      out.push(agreement(figure, MIXED, methods, sim, simAll, real, realAll, resamples, weights));
    }
    for (const t of sharedTypes) {
      const sc = simAll.filter((i) => s.types[i] === t);
      const rc = realAll.filter((i) => r.types[i] === t);
      out.push(addSignal(agreement(figure, t, methods, sim, sc, real, rc, resamples), figure, methods, sim, sc, real, rc, services, resamples));
    }
  }
  return { agreements: out, bySeed };
}

function detectorAgreements(simItems: ItemResult[], realItems: ItemResult[], resamples: number): Agreement[] {
  const values = (items: ItemResult[], key: 'pointAdjustedF1' | 'aucPr') => {
    const names = new Map<string, number[]>();
    items.forEach((item, i) => {
      for (const d of item.detectors) {
        let row = names.get(d.name);
        if (!row) names.set(d.name, (row = new Array<number>(items.length).fill(NaN)));
        const v = (d.figures as unknown as Record<string, number | null>)[key];
        row[i] = typeof v === 'number' ? v : NaN;
      }
    });
    return names;
  };
  const out: Agreement[] = [];
  for (const key of ['pointAdjustedF1', 'aucPr'] as const) {
    const s = values(simItems, key);
    const r = values(realItems, key);
    const methods = [...s.keys()].filter((m) => r.has(m)).sort();
    if (methods.length < 2) continue;
    // Items where every shared detector has the figure.
    const cols = (rows: Map<string, number[]>, n: number) => Array.from({ length: n }, (_, i) => i).filter((i) => methods.every((m) => Number.isFinite(rows.get(m)![i]!)));
    out.push(agreement(key === 'aucPr' ? 'aucPr' : 'paF1', 'all', methods, methods.map((m) => s.get(m)!), cols(s, simItems.length), methods.map((m) => r.get(m)!), cols(r, realItems.length), resamples));
  }
  return out;
}

function spread(what: string, ds: number[], compared?: number): Distance {
  const f = ds.filter(Number.isFinite).sort((a, b) => a - b);
  return { what, median: round(f.length ? f[f.length >> 1]! : NaN), min: round(f[0] ?? NaN), max: round(f[f.length - 1] ?? NaN), ...(compared !== undefined ? { compared } : {}) };
}

/** Mean over shared keys of a per-key distance; the keys compared are counted. */
function perKey<T>(a: Record<string, T>, b: Record<string, T>, d: (x: T, y: T) => number): { mean: number; n: number } {
  const keys = Object.keys(a).filter((k) => k in b);
  const ds = keys.map((k) => d(a[k]!, b[k]!)).filter(Number.isFinite);
  return { mean: ds.length ? ds.reduce((s, x) => s + x, 0) / ds.length : NaN, n: ds.length };
}

/** |log ratio| of two noise levels: 0 when equal, ln 2 when one is twice the other. */
const noiseRatio = (x: number, y: number) => (x > 0 && y > 0 ? Math.abs(Math.log(x / y)) : NaN);

export function telemetryDistances(sims: TelemetryProfile[], real: TelemetryProfile): Distance[] {
  if (!sims.length) return [];
  const ops = sims.map((p) => perKey(p.operations, real.operations, (x, y) => ksFromSketches(x.latency, y.latency, OPERATION_LEVELS)));
  const self = sims.map((p) => perKey(p.operations, real.operations, (x, y) => ksFromSketches(x.self, y.self, OPERATION_LEVELS)));
  const vol = sims.map((p) => perKey(p.volumeNoise, real.volumeNoise, noiseRatio));
  const lat = sims.map((p) => perKey(p.latencyNoise, real.latencyNoise, noiseRatio));
  return [
    spread('call latency, all calls (KS)', sims.map((p) => ksFromSketches(p.latency, real.latency, POOLED_LEVELS))),
    spread('call latency per shared operation, mean (KS)', ops.map((o) => o.mean), Math.max(...ops.map((o) => o.n))),
    spread('own time per shared operation, mean (KS)', self.map((o) => o.mean), Math.max(...self.map((o) => o.n))),
    spread('fan-out: calls per call (KS)', sims.map((p) => ksFromCounts(p.fanout, real.fanout))),
    spread('calls per trace (KS)', sims.map((p) => ksFromCounts(p.callsPerTrace, real.callsPerTrace))),
    spread('errors per trace (KS)', sims.map((p) => ksFromCounts(p.errorsPerTrace, real.errorsPerTrace))),
    spread('per-minute volume noise per shared service, mean |log ratio|', vol.map((o) => o.mean), Math.max(...vol.map((o) => o.n))),
    spread('per-minute latency noise per shared service, mean |log ratio|', lat.map((o) => o.mean), Math.max(...lat.map((o) => o.n))),
  ];
}

/** One fault type's measured effects on a side, for one measure: all of them, and per severity where the faults carry one. */
interface MeasuredEffects {
  all: number[];
  bySeverity: Map<number, number[]>;
}

/** Per fault type (mapped) and measure, the measured effects of a side's incidents. */
function effectsByType(items: ItemResult[], typeMap: Record<string, string>): Map<string, Map<EffectMeasure, MeasuredEffects>> {
  const out = new Map<string, Map<EffectMeasure, MeasuredEffects>>();
  for (const item of items) {
    const faultOf = new Map(item.faults.map((f) => [f.id, f]));
    for (const effect of item.faultEffects ?? []) {
      const fault = faultOf.get(effect.faultId);
      if (fault === undefined) continue;
      const type = typeMap[fault.type] ?? fault.type;
      let measures = out.get(type);
      if (!measures) out.set(type, (measures = new Map()));
      for (const measure of EFFECT_MEASURES) {
        const x = effect[measure];
        if (x === null) continue;
        let e = measures.get(measure);
        if (!e) measures.set(measure, (e = { all: [], bySeverity: new Map() }));
        e.all.push(x);
        if (fault.severity === undefined) continue;
        let list = e.bySeverity.get(fault.severity);
        if (!list) e.bySeverity.set(fault.severity, (list = []));
        list.push(x);
      }
    }
  }
  return out;
}

type SideEffects = ReturnType<typeof effectsByType>;

/** Each (fault type, measure) both sides measured, in type order and the measures' documented order. */
function* sharedEffects(sim: SideEffects, real: SideEffects): Generator<{ type: string; measure: EffectMeasure; s: MeasuredEffects; r: MeasuredEffects }> {
  for (const type of [...real.keys()].sort()) {
    for (const measure of EFFECT_MEASURES) {
      const r = real.get(type)!.get(measure);
      const s = sim.get(type)?.get(measure);
      if (r && s) yield { type, measure, s, r };
    }
  }
}

/** Fault strength on both sides, per fault type and measure both have (see the module comment). */
function effectComparisons(sim: SideEffects, real: SideEffects): EffectComparison[] {
  return [...sharedEffects(sim, real)].map(({ type, measure, s, r }) => {
    const sm = median(s.all);
    const rm = median(r.all);
    return { type, measure, sim: { median: round4(sm), incidents: s.all.length }, real: { median: round4(rm), incidents: r.all.length }, factor: rm > 0 ? round4(sm / rm) : null };
  });
}

/** Simulated incidents a severity's median needs to take part in a calibration. */
const MIN_CALIBRATION_INCIDENTS = 3;

/**
 * Where on the swept severities (in order) one measure reaches the real median (MeasureCalibration).
 * Effects are ratios, so they are compared and interpolated as logarithms; the first pair of
 * neighbouring severities whose medians enclose the real one decides. A real effect beyond every
 * median bounds the severity at the end of the range the medians point to it from, where they rise
 * or fall steadily with severity; otherwise (not in order) it places no severity.
 */
export function calibrateMeasure(bySeverity: readonly { severity: number; median: number }[], real: number): { severity: number | null; fit: MeasureCalibration['fit'] } {
  const logs = bySeverity.map((p) => Math.log(p.median));
  if (Math.max(...logs) - Math.min(...logs) < Math.log(CALIBRATION_RESPONSE)) return { severity: null, fit: 'flat' };
  const r = Math.log(real);
  for (let i = 0; i + 1 < logs.length; i++) {
    const a = logs[i]!;
    const b = logs[i + 1]!;
    if ((r - a) * (r - b) > 0) continue;
    const share = a === b ? 0 : (r - a) / (b - a);
    const s0 = bySeverity[i]!.severity;
    return { severity: round(s0 + share * (bySeverity[i + 1]!.severity - s0), 2), fit: 'inside' };
  }
  let rises = true;
  let falls = true;
  for (let i = 0; i + 1 < logs.length; i++) {
    if (!(logs[i + 1]! > logs[i]!)) rises = false;
    if (!(logs[i + 1]! < logs[i]!)) falls = false;
  }
  if (!rises && !falls) return { severity: null, fit: 'flat' };
  // Beyond the largest median on a rising curve, or the smallest on a falling one, lies above the range.
  const high = r > logs[0]! === rises;
  return high ? { severity: bySeverity[logs.length - 1]!.severity, fit: 'above' } : { severity: bySeverity[0]!.severity, fit: 'below' };
}

/** Per fault type swept at two or more severities, the severity matching the real strength (see SeverityCalibration). */
function severityCalibrations(sim: SideEffects, real: SideEffects): SeverityCalibration[] {
  const byType = new Map<string, MeasureCalibration[]>();
  for (const { type, measure, s, r } of sharedEffects(sim, real)) {
    const points = [...s.bySeverity]
      .filter(([, xs]) => xs.length >= MIN_CALIBRATION_INCIDENTS)
      .map(([severity, xs]) => ({ severity, median: median(xs), incidents: xs.length }))
      .sort((a, b) => a.severity - b.severity);
    const rm = median(r.all);
    if (points.length < 2 || !(rm > 0) || points.some((p) => !(p.median > 0))) continue;
    const list = byType.get(type) ?? [];
    byType.set(type, list);
    const bySeverity: SeverityEffect[] = points.map((p) => ({ ...p, median: round4(p.median) }));
    list.push({ measure, real: { median: round4(rm), incidents: r.all.length }, bySeverity, ...calibrateMeasure(points, rm) });
  }
  return [...byType].map(([type, measures]) => ({ type, ...typeSeverity(measures), measures }));
}

/**
 * A type's matched severity: the median over its measures matched inside the swept range. A
 * measure beyond it bounds the severity without placing it (and may be one the simulator cannot
 * reach at any severity): where no measure is inside and all those beyond point to the same end,
 * the type lies beyond it, with no severity.
 */
function typeSeverity(measures: readonly MeasureCalibration[]): Pick<SeverityCalibration, 'severity' | 'fit' | 'bound'> {
  const inside = measures.flatMap((m) => (m.fit === 'inside' ? [m.severity!] : []));
  if (inside.length) return { severity: round(median(inside), 2), fit: 'inside' };
  const beyond = measures.filter((m) => m.fit === 'below' || m.fit === 'above');
  const fit = beyond[0]?.fit;
  if (fit === undefined || beyond.some((m) => m.fit !== fit)) return { severity: null, fit: 'none' };
  // The end the measures point past (an end a measure lacks for want of incidents may differ).
  const ends = beyond.map((m) => m.severity!);
  return { severity: null, fit: fit as 'below' | 'above', bound: fit === 'above' ? Math.max(...ends) : Math.min(...ends) };
}

/** Both sides' median incident window (see WindowComparison). */
function windowComparison(simItems: ItemResult[], realItems: ItemResult[]): WindowComparison {
  const sim = incidentWindow(simItems);
  const real = incidentWindow(realItems);
  // Incidents without length (end not after start) have no window to compare.
  return { sim, real, factor: sim.medianMs && sim.medianMs > 0 && real.medianMs && real.medianMs > 0 ? round4(sim.medianMs / real.medianMs) : null };
}

/** Services a telemetry profile has noise figures for (0 without a profile). */
function profileServices(p: TelemetryProfile | undefined): number {
  return p ? new Set([...Object.keys(p.volumeNoise), ...Object.keys(p.latencyNoise)]).size : 0;
}

/** Compares two runs' results (see the module comment). */
export function compareRuns(simItems: ItemResult[], realItems: ItemResult[], opts: { sim: string; real: string; typeMap?: Record<string, string>; resamples?: number }): FidelityResult {
  const typeMap = opts.typeMap ?? { ...DEFAULT_TYPE_MAP };
  const resamples = opts.resamples ?? 1000;
  const realProfile = realItems.find((i) => i.profile)?.profile;
  const simProfiles = simItems.flatMap((i) => (i.profile ? [i.profile] : []));
  // A random ranking's score needs the candidates: the services each side's telemetry has.
  const rca = rcaAgreements(simItems, realItems, typeMap, resamples, { sim: profileServices(simProfiles[0]), real: profileServices(realProfile) });
  const simEffects = effectsByType(simItems, typeMap);
  const realEffects = effectsByType(realItems, typeMap);
  return {
    schema: 'faultline/fidelity',
    version: 1,
    sim: opts.sim,
    real: opts.real,
    typeMap,
    windows: windowComparison(simItems, realItems),
    rca: rca.agreements,
    detectors: detectorAgreements(simItems, realItems, resamples),
    telemetry: realProfile ? telemetryDistances(simProfiles, realProfile) : [],
    effects: effectComparisons(simEffects, realEffects),
    calibration: severityCalibrations(simEffects, realEffects),
    bySeed: rca.bySeed,
  };
}

/** Reads both runs, compares them, and writes fidelity.json and fidelity.html into `out`. */
export async function fidelity(opts: FidelityOptions): Promise<FidelityResult> {
  // In path order, so that the pooled incidents (and their bootstrap) do not depend on the order given.
  const simRuns = (typeof opts.sim === 'string' ? [opts.sim] : opts.sim)
    .map((run) => ({ run, at: path.resolve(run) }))
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    .map((s) => s.run);
  if (!simRuns.length) throw new UsageError('--sim: give a simulated run');
  const [sims, real, fit] = await Promise.all([Promise.all(simRuns.map((s) => readResultsFile(s))), readResultsFile(opts.real), opts.fitReport ? readFitReport(opts.fitReport) : undefined]);
  const files = new Map<string, string>();
  // An incident is known by its item's key: items of one key in two runs would be taken for one.
  const keys = new Map<string, string>();
  for (const [k, s] of sims.entries()) {
    const file = path.resolve(s.path);
    if (files.has(file)) throw new UsageError(`--sim ${simRuns[k]}: the same results as --sim ${files.get(file)}; give each run once`);
    files.set(file, simRuns[k]!);
    if (!s.items.length) throw new FaultlineError(`${s.path}: no items`);
    for (const item of s.items) {
      const other = keys.get(item.key);
      if (other !== undefined && other !== simRuns[k]) throw new UsageError(`--sim ${simRuns[k]}: item ${item.key} is also in --sim ${other}; pool runs of other seeds or scenarios`);
      keys.set(item.key, simRuns[k]!);
    }
  }
  if (!real.items.length) throw new FaultlineError(`${real.path}: no items`);
  const result = compareRuns(
    sims.flatMap((s) => s.items),
    real.items,
    { sim: simRuns.map((s) => path.resolve(s)).join(', '), real: path.resolve(opts.real), ...(opts.typeMap ? { typeMap: opts.typeMap } : {}), ...(opts.resamples ? { resamples: opts.resamples } : {}) },
  );
  await publishDir(
    opts.out,
    async (stage) => {
      writeFileAtomic(path.join(stage, 'fidelity.json'), JSON.stringify(result, null, 1) + '\n');
      writeFileAtomic(path.join(stage, 'fidelity.html'), renderFidelity(result, fit));
    },
    { command: 'fidelity', force: opts.force ?? false, inputs: [...simRuns, opts.real, ...(opts.fitReport ? [opts.fitReport] : [])] },
  );
  return result;
}

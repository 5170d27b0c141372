import { KPI_NAMES, kpiSeriesId, type KpiName, type MovedKpi, type TruthFault } from './formats.js';
import { Engine } from './engine.js';
import type { CompiledFault } from './faults.js';
import { KpiAccumulator } from './kpi-accumulator.js';
import type { Model } from './model.js';

/**
 * Which KPI series a fault actually moved. The rule (documented in README):
 *  - counterfactual: the same scenario and seed without this one fault, simulated in KPI-only mode;
 *    common random numbers make it identical to the real run wherever the fault changed nothing;
 *  - a minute is moved when |real - counterfactual| exceeds max(3 sigma, 10% of the counterfactual,
 *    a floor), where sigma is the series' own noise: the binomial standard deviation for success
 *    rates (given the minute's volume), and for volume and average latency the robust (MAD)
 *    standard deviation of the counterfactual's minute-to-minute changes divided by sqrt(2);
 *    floors: 2 calls, 1 percentage point, 1 ms;
 *  - only minutes from the fault's start to 15 minutes after its end are examined, and a series
 *    counts as moved when at least 2 minutes are moved; direction is the sign of the summed
 *    differences; start/end are the first and last moved minutes.
 * A fault without business impact therefore moves nothing.
 */
export const RECOVERY_MS = 15 * 60_000;
const MIN_MOVED_MINUTES = 2;
const REL = 0.1;
const FLOOR: Record<KpiName, number> = { volume: 2, businessSuccessRate: 0.01, systemSuccessRate: 0.01, avgLatency: 1 };

/** The counterfactual without one fault, simulated from the scenario's start. */
export function counterfactual(m: Model, faults: readonly CompiledFault[], without: CompiledFault, seed: number): KpiAccumulator {
  const kpis = new KpiAccumulator(m);
  new Engine(m, faults.filter((f) => f !== without), seed, kpis).run(without.end + RECOVERY_MS);
  return kpis;
}

/**
 * The same counterfactuals without re-simulating what precedes each fault: up to the minute a
 * fault starts, its counterfactual equals the real run (common random numbers), so the real run is
 * forked there (engine state and KPI counts so far) and only the fork runs on, to the end of the
 * examined window. Pass `beforeMinute` to the real run's Engine.run, then call `finish` per fault.
 */
export class CounterfactualForks {
  private readonly forks = new Map<CompiledFault, Engine>();

  constructor(
    private readonly m: Model,
    private readonly faults: readonly CompiledFault[],
    private readonly real: Engine,
  ) {}

  readonly beforeMinute = (minute: number): void => {
    for (const f of this.faults) {
      if (minute === Math.max(0, Math.floor((f.start - this.m.start) / 60_000))) {
        this.forks.set(f, this.real.fork(this.faults.filter((x) => x !== f), this.real.kpis.clone()));
      }
    }
  };

  /** Run the fork of `without` to the end of its examined window and hand back its KPIs. */
  finish(without: CompiledFault): KpiAccumulator {
    const fork = this.forks.get(without);
    if (!fork) throw new Error(`fault ${without.id}: the real run never reached its start, so no counterfactual was forked`);
    this.forks.delete(without);
    fork.run(without.end + RECOVERY_MS);
    return fork.kpis;
  }
}

function values(k: KpiAccumulator, kpi: KpiName, series: number, minute: number): { v: number; n: number } {
  const i = minute * k.width + series;
  const n = k.volume[i]!;
  switch (kpi) {
    case 'volume':
      return { v: n, n };
    case 'businessSuccessRate':
      return { v: n > 0 ? k.businessOk[i]! / n : NaN, n };
    case 'systemSuccessRate':
      return { v: n > 0 ? k.systemOk[i]! / n : NaN, n };
    case 'avgLatency':
      return { v: n > 0 ? k.latencySum[i]! / n : NaN, n };
  }
}

/** Robust standard deviation of one minute's value from its first differences (MAD / 0.6745 / sqrt 2). */
function noiseSigma(k: KpiAccumulator, kpi: KpiName, series: number, minutes: number): number {
  const diffs: number[] = [];
  let prev = NaN;
  for (let t = 0; t < minutes; t++) {
    const { v } = values(k, kpi, series, t);
    if (Number.isFinite(v) && Number.isFinite(prev)) diffs.push(Math.abs(v - prev));
    prev = v;
  }
  if (diffs.length === 0) return 0;
  diffs.sort((a, b) => a - b);
  return diffs[Math.floor(diffs.length / 2)]! / 0.6745 / Math.SQRT2;
}

export function movedKpis(m: Model, real: KpiAccumulator, cf: KpiAccumulator, f: CompiledFault): MovedKpi[] {
  const first = Math.max(0, Math.floor((f.start - m.start) / 60_000));
  const last = Math.min(real.minutes, Math.ceil((f.end + RECOVERY_MS - m.start) / 60_000));
  // Noise is estimated on the fault-free counterfactual up to the end of the examined window.
  const noiseMinutes = last;
  const moved: MovedKpi[] = [];
  real.seriesNames.forEach(({ scope, name }, s) => {
    for (const kpi of KPI_NAMES) {
      const isRate = kpi === 'businessSuccessRate' || kpi === 'systemSuccessRate';
      const sigma = isRate ? 0 : noiseSigma(cf, kpi, s, noiseMinutes);
      let count = 0;
      let sum = 0;
      let from = -1;
      let to = -1;
      for (let t = first; t < last; t++) {
        const a = values(real, kpi, s, t);
        const b = values(cf, kpi, s, t);
        if (!Number.isFinite(a.v) || !Number.isFinite(b.v)) continue;
        const sd = isRate ? Math.sqrt(Math.max(b.v * (1 - b.v), 1 / (b.n + 1)) / Math.max(b.n, 1)) : sigma;
        const d = a.v - b.v;
        if (Math.abs(d) > Math.max(3 * sd, REL * Math.abs(b.v), FLOOR[kpi])) {
          count++;
          sum += d;
          if (from < 0) from = t;
          to = t;
        }
      }
      if (count >= MIN_MOVED_MINUTES) {
        moved.push({
          series: kpiSeriesId(scope, name, kpi),
          scope,
          name,
          kpi,
          direction: sum > 0 ? 'up' : 'down',
          start: m.start + from * 60_000,
          end: m.start + to * 60_000,
        });
      }
    }
  });
  return moved;
}

/** The truth.json entry of one fault. */
export function truthFault(f: CompiledFault, moved: MovedKpi[]): TruthFault {
  return {
    id: f.id,
    type: f.type,
    target: f.target,
    rootCause: f.rootCause,
    ...(f.rootCauseInstance ? { rootCauseInstance: f.rootCauseInstance } : {}),
    start: f.start,
    end: f.end,
    severity: f.severity,
    tags: f.tags,
    moved,
  };
}

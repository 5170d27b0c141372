/**
 * A compact profile of what a data set's telemetry looks like, kept with each item's results so
 * that simulated and real data can be compared without their raw files (`faultline fidelity`):
 * the calls' latency per operation and pooled, how many calls a call makes (fan-out), calls and
 * errors per trace, and how noisy each service's per-minute volume and latency are. Built on the
 * call view (data/call-view.ts), so one row per call and many spans per call compare alike.
 */
import { buildCallView, type CallView } from './call-view.js';
import { SPAN_STATUS, type Series, type SpanTable } from './types.js';

/** Quantile levels of the per-operation sketches: min, 5%, ..., 95%, 99%, max. */
export const OPERATION_LEVELS: readonly number[] = [...Array.from({ length: 20 }, (_, k) => k / 20), 0.99, 1];
/** Quantile levels of the pooled sketches: every percent. */
export const POOLED_LEVELS: readonly number[] = Array.from({ length: 101 }, (_, k) => k / 100);
/** Operations kept per profile (the most called): bounds the size of an item's results. */
export const MAX_PROFILE_OPERATIONS = 200;
/** Counts above this fall into the last bucket of the count histograms. */
export const MAX_COUNT = 1000;
/** Separates service and operation in the keys of `operations`. */
export const OPERATION_KEY_SEPARATOR = ' ';

export interface OperationProfile {
  calls: number;
  /** Call latency (the callee's handling, ms) at OPERATION_LEVELS. */
  latency: number[];
  /** Own time (handling minus waiting on its synchronous calls, ms) at OPERATION_LEVELS. */
  self: number[];
}

export interface TelemetryProfile {
  calls: number;
  traces: number;
  /** Share of calls whose status the data records (or implies). */
  statusKnown: number;
  /** Per `service operation`, the MAX_PROFILE_OPERATIONS most called. */
  operations: Record<string, OperationProfile>;
  /** Every call's latency, ms, at POOLED_LEVELS. */
  latency: number[];
  /** Calls per call made (fan-out of a call): [count, calls] pairs, count capped at MAX_COUNT. */
  fanout: [number, number][];
  /** Calls per trace: [count, traces] pairs. */
  callsPerTrace: [number, number][];
  /** Failed calls (system failures) per trace: [count, traces] pairs. */
  errorsPerTrace: [number, number][];
  /**
   * Per service: the noise of its per-minute call volume (robust sd of minute-to-minute changes
   * over the median volume) and of its per-minute mean latency (robust sd of the changes of log
   * latency), from the calls themselves, so that data sets without KPI series compare too.
   */
  volumeNoise: Record<string, number>;
  latencyNoise: Record<string, number>;
  /** The same robust noise of each KPI series, by id, where the data has KPIs. */
  kpiNoise: Record<string, number>;
}

/** Quantiles of the finite values at `levels` (linear interpolation), 4 significant digits. */
export function sketch(values: Float64Array, levels: readonly number[]): number[] {
  const s = values.filter((v) => Number.isFinite(v)).sort();
  if (s.length === 0) return [];
  return levels.map((p) => {
    const x = p * (s.length - 1);
    const lo = Math.floor(x);
    const hi = Math.min(s.length - 1, lo + 1);
    return round4(s[lo]! + (s[hi]! - s[lo]!) * (x - lo));
  });
}

/** x to 4 significant digits (0 and non-finite values as they are): figures kept in results files. */
export function round4(x: number): number {
  return x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(4));
}

/** A histogram of small counts as [value, frequency] pairs (values above MAX_COUNT pooled there). */
function countPairs(counts: Int32Array): [number, number][] {
  const h = new Map<number, number>();
  for (const c of counts) {
    const v = Math.min(c, MAX_COUNT);
    h.set(v, (h.get(v) ?? 0) + 1);
  }
  return [...h].sort((a, b) => a[0] - b[0]);
}

/** Robust sd (1.4826 MAD) of consecutive differences over sqrt(2): the noise of one point. */
export function differenceNoise(values: ArrayLike<number>): number {
  const d: number[] = [];
  for (let i = 1; i < values.length; i++) {
    const x = values[i]! - values[i - 1]!;
    if (Number.isFinite(x)) d.push(x);
  }
  if (d.length < 3) return NaN;
  d.sort((a, b) => a - b);
  const med = d[d.length >> 1]!;
  const dev = d.map((x) => Math.abs(x - med)).sort((a, b) => a - b);
  return (1.4826 * dev[dev.length >> 1]!) / Math.SQRT2;
}

function median(values: number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Per service: per-minute volume and log mean latency noise (see TelemetryProfile). */
function minuteNoise(v: CallView): { volume: Record<string, number>; latency: Record<string, number> } {
  const strings = v.table.strings;
  const byService = new Map<number, Map<number, [number, number]>>();
  for (let c = 0; c < v.length; c++) {
    const minute = Math.floor(v.start[c]! / 60_000);
    let minutes = byService.get(v.service[c]!);
    if (!minutes) byService.set(v.service[c]!, (minutes = new Map()));
    const cell = minutes.get(minute);
    const ms = v.end[c]! - v.start[c]!;
    if (cell) {
      cell[0]++;
      cell[1] += ms;
    } else minutes.set(minute, [1, ms]);
  }
  const volume: Record<string, number> = {};
  const latency: Record<string, number> = {};
  for (const [service, minutes] of [...byService].sort((a, b) => (strings[a[0]]! < strings[b[0]]! ? -1 : 1))) {
    const keys = [...minutes.keys()].sort((a, b) => a - b);
    if (keys.length < 4) continue;
    // Only consecutive minutes are differenced: data of separate windows (around incidents) has gaps.
    const vol: number[] = [];
    const lat: number[] = [];
    const dv: number[] = [];
    const dl: number[] = [];
    keys.forEach((k, i) => {
      const [n, sum] = minutes.get(k)!;
      vol.push(n);
      lat.push(Math.log1p(sum / n));
      if (i > 0 && keys[i - 1] === k - 1) {
        dv.push(n - vol[i - 1]!);
        dl.push(lat[i]! - lat[i - 1]!);
      }
    });
    const name = strings[service]!;
    const sv = differenceNoise([0, ...cumulative(dv)]);
    const level = median(vol);
    if (Number.isFinite(sv) && level > 0) volume[name] = round4(sv / level);
    const sl = differenceNoise([0, ...cumulative(dl)]);
    if (Number.isFinite(sl)) latency[name] = round4(sl);
  }
  return { volume, latency };
}

/** Running sums: differenceNoise of them gives back the noise of the differences given. */
function cumulative(d: number[]): number[] {
  let s = 0;
  return d.map((x) => (s += x));
}

/** The profile of a span table (and its KPI series, when there are some). */
export function profileTelemetry(spans: SpanTable, series: Series[] = [], view: CallView = buildCallView(spans)): TelemetryProfile {
  const v = view;
  const strings = spans.strings;
  const m = v.length;
  // Calls per operation key, then the most called.
  const opOf = new Int32Array(m);
  const keyIndex = new Map<string, number>();
  const keys: string[] = [];
  const opCalls: number[] = [];
  // Each (service, operation) code pair's key is made once, not per call.
  const pairKey = new Map<number, number>();
  for (let c = 0; c < m; c++) {
    const pair = v.service[c]! * strings.length + v.operation[c]!;
    let k = pairKey.get(pair);
    if (k === undefined) {
      const key = `${strings[v.service[c]!]}${OPERATION_KEY_SEPARATOR}${strings[v.operation[c]!]}`;
      k = keyIndex.get(key);
      if (k === undefined) {
        keyIndex.set(key, (k = keys.push(key) - 1));
        opCalls.push(0);
      }
      pairKey.set(pair, k);
    }
    opOf[c] = k;
    opCalls[k]!++;
  }
  const kept = keys
    .map((_, k) => k)
    .sort((a, b) => opCalls[b]! - opCalls[a]! || (keys[a]! < keys[b]! ? -1 : 1))
    .slice(0, MAX_PROFILE_OPERATIONS);
  const slot = new Int32Array(keys.length).fill(-1);
  kept.forEach((k, j) => (slot[k] = j));
  const latency = kept.map((k) => new Float64Array(opCalls[k]!));
  const self = kept.map((k) => new Float64Array(opCalls[k]!));
  const filled = new Int32Array(kept.length);
  const all = new Float64Array(m);
  const fanout = new Int32Array(m);
  let known = 0;
  const traceIndex = new Map<number, number>();
  const perTraceCalls: number[] = [];
  const perTraceErrors: number[] = [];
  for (let c = 0; c < m; c++) {
    const ms = v.end[c]! - v.start[c]!;
    all[c] = ms;
    const j = slot[opOf[c]!]!;
    if (j >= 0) {
      latency[j]![filled[j]!] = ms;
      self[j]![filled[j]!++] = v.selfMs[c]!;
    }
    fanout[c] = v.firstChild[c + 1]! - v.firstChild[c]!;
    if (v.status[c] !== SPAN_STATUS.unknown) known++;
    let t = traceIndex.get(v.trace[c]!);
    if (t === undefined) {
      traceIndex.set(v.trace[c]!, (t = perTraceCalls.length));
      perTraceCalls.push(0);
      perTraceErrors.push(0);
    }
    perTraceCalls[t]!++;
    if (v.status[c] === SPAN_STATUS.system) perTraceErrors[t]!++;
  }
  const operations: Record<string, OperationProfile> = {};
  for (const j of [...kept.keys()].sort((a, b) => (keys[kept[a]!]! < keys[kept[b]!]! ? -1 : 1))) {
    operations[keys[kept[j]!]!] = { calls: opCalls[kept[j]!]!, latency: sketch(latency[j]!, OPERATION_LEVELS), self: sketch(self[j]!, OPERATION_LEVELS) };
  }
  const noise = minuteNoise(v);
  const kpiNoise: Record<string, number> = {};
  for (const s of series) {
    const level = median(Array.from(s.values).filter((x) => Number.isFinite(x)).map(Math.abs));
    const sd = differenceNoise(s.values);
    if (Number.isFinite(sd) && level > 0) kpiNoise[s.id] = round4(sd / level);
  }
  return {
    calls: m,
    traces: perTraceCalls.length,
    statusKnown: m ? round4(known / m) : 0,
    operations,
    latency: sketch(all, POOLED_LEVELS),
    fanout: countPairs(fanout),
    callsPerTrace: countPairs(Int32Array.from(perTraceCalls)),
    errorsPerTrace: countPairs(Int32Array.from(perTraceErrors)),
    volumeNoise: noise.volume,
    latencyNoise: noise.latency,
    kpiNoise,
  };
}

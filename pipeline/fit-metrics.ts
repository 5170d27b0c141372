/**
 * What a system's metrics say about the twin's metrics: which metric families (sim/formats.ts
 * METRIC_FAMILIES) the system exports, recognised by name, so that the twin writes those and no
 * other (`metricFamilies`); and the minute-to-minute noise of request metrics, measured the same
 * way on the system's metrics and on the twin's (fit-report.json).
 *
 * Names are split into words (camelCase, digits and separators), and a name that speaks of a node,
 * host or machine is left out: the twin has instances, not nodes. Per family:
 * - cpu: `cpu`, not steal, throttling, limit or request (a container's settings);
 * - steal: `steal`;
 * - memory: `memory`, `mem`, `heap`, `rss`, `working set`, not limit or request;
 * - gc: `gc`, `garbage`;
 * - workers: `thread(s)`, `worker(s)`;
 * - dbPool: a database word (`db`, `database`, `jdbc`, `hikari...`, `datasource`) with a pool or
 *   connection word;
 * - network: `net`, `network`, `rx`, `tx`, `receive(d)`, `transmit(ted)`, `sent`;
 * - requests: a latency word (`latency`, `duration`, `rt`, `response time`) with a percentile
 *   (`p50`, `p99`, `p999`, `quantile` or `percentile` with its level), or a request volume
 *   (`qps`, `rps`, `tps`, `throughput`, `workload`, `ops`, or `request(s)` / `call(s)` with `count`,
 *   `total`, `rate`, `num`, `per`); error and success counts and rates of requests too.
 */
import { UNIT_TO_MS, type NumericTimeUnit } from '../common/instant.js';
import { round4 } from '../data/telemetry-profile.js';
import { madScale, median } from '../detectors/stats.js';
import type { MetricTable } from '../data/types.js';
import { METRIC_FAMILY_NAMES, REQUEST_QUANTILES, type MetricFamily, type MetricName } from '../sim/formats.js';

/** A request metric of the system's, and the twin's metric it is compared with. */
export interface RequestMetric {
  name: string;
  kind: 'latency' | 'volume' | 'errors';
  /** latency: the instance served the calls (server) or made them (client). */
  side: 'server' | 'client' | null;
  /** latency: the percentile's level (0.99 for p99). */
  quantile: number | null;
  /** The twin's counterpart (the nearest of its percentiles), null where it has none. */
  twin: MetricName | null;
}

export interface RecognisedMetrics {
  /** Families with at least one metric, in METRIC_FAMILY_NAMES order. */
  families: MetricFamily[];
  /** Family -> the system's metrics recognised as it. */
  byFamily: Partial<Record<MetricFamily, string[]>>;
  requests: RequestMetric[];
  /** Node- or host-level metrics (the twin has no nodes). */
  nodeLevel: string[];
  /** Metrics of no family. */
  unrecognised: string[];
}

/** A name's words: split at camelCase humps, after digits and at separators, lower-cased (`latencyP50Ms`: latency, p50, ms). */
export function metricWords(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/(\d)([A-Za-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9.]+|(?<=[a-z])\.|\.(?=[a-z])/)
    .filter((w) => w.length > 0);
}

const any = (words: string[], re: RegExp) => words.some((w) => re.test(w));

/** The percentile level a latency metric's words name (p99 -> 0.99, p999 -> 0.999, quantile 0.95 -> 0.95), or null. */
function percentileOf(words: string[]): number | null {
  for (const w of words) {
    const p = /^p(\d{2,3})$/.exec(w);
    if (p) return Number(`0.${p[1]}`);
  }
  if (any(words, /^(quantile|percentile)s?$/)) {
    for (const w of words) {
      const n = Number(w);
      if (/^0?\.\d+$/.test(w) || /^0\.\d+$/.test(w)) return n;
      if (/^\d{2}$/.test(w)) return n / 100;
    }
  }
  return null;
}

/** The twin's percentile nearest to a level. */
function nearestQuantile(q: number): number {
  return REQUEST_QUANTILES.reduce((best, x) => (Math.abs(x - q) < Math.abs(best - q) ? x : best), REQUEST_QUANTILES[0] as number);
}

/** The family of one metric name, or 'node' / null (see the module comment). */
function familyOf(words: string[]): MetricFamily | 'node' | null {
  if (any(words, /^(node|host|machine)s?$/)) return 'node';
  const setting = any(words, /^(limit|limits|request|requests)$/);
  if (any(words, /^steal$/)) return 'steal';
  if (any(words, /^cpu$/)) return any(words, /^(throttl|throttled|throttling)$/) || setting ? null : 'cpu';
  if (any(words, /^(memory|mem|heap|rss)$/) || (words.includes('working') && words.includes('set'))) return setting ? null : 'memory';
  if (any(words, /^(gc|garbage)$/)) return 'gc';
  if (any(words, /^(threads?|workers?)$/)) return 'workers';
  if (any(words, /^(db|database|jdbc|hikari\w*|datasource)$/) && any(words, /^(pool|pools|conn|connection|connections|active)$/)) return 'dbPool';
  if (any(words, /^(net|network|rx|tx|receive|received|transmit|transmitted|sent)$/)) return 'network';
  return null;
}

/** A request metric's kind, side and level, or null when the name is no request metric. */
function requestMetric(name: string, words: string[]): RequestMetric | null {
  const latency = any(words, /^(latency|latencies|duration|rt)$/) || (words.includes('response') && words.includes('time'));
  const side = any(words, /^(client|outbound|outgoing)$/) ? 'client' : 'server';
  if (latency) {
    const q = percentileOf(words);
    if (q === null) return null;
    const level = nearestQuantile(q);
    const label = `P${Math.round(level * 100)}`;
    return { name, kind: 'latency', side, quantile: q, twin: `${side === 'client' ? 'clientLatency' : 'latency'}${label}Ms` as MetricName };
  }
  const requests = any(words, /^(requests?|req|reqs|calls?)$/);
  if (any(words, /^(errors?|failures?|failed|success|successes|successful)$/) && (requests || any(words, /^(rate|count|total|ratio)$/))) {
    return { name, kind: 'errors', side: null, quantile: null, twin: 'errorCount' };
  }
  if (any(words, /^(qps|rps|tps|throughput|workload|ops)$/) || (requests && any(words, /^(count|total|rate|num|number|per)$/))) {
    return { name, kind: 'volume', side: null, quantile: null, twin: 'requestCount' };
  }
  return null;
}

/** The families a system's metric names show (see the module comment). */
export function recogniseMetrics(names: readonly string[]): RecognisedMetrics {
  const byFamily: Partial<Record<MetricFamily, string[]>> = {};
  const requests: RequestMetric[] = [];
  const nodeLevel: string[] = [];
  const unrecognised: string[] = [];
  for (const name of names) {
    const words = metricWords(name);
    const family = familyOf(words);
    if (family === 'node') {
      nodeLevel.push(name);
      continue;
    }
    const request = family === null ? requestMetric(name, words) : null;
    const f = request ? 'requests' : family;
    if (request) requests.push(request);
    if (f) (byFamily[f] ??= []).push(name);
    else unrecognised.push(name);
  }
  return { families: METRIC_FAMILY_NAMES.filter((f) => byFamily[f]), byFamily, requests, nodeLevel, unrecognised };
}

/** Minute-to-minute noise of a metric over instances' series. */
export interface MetricNoise {
  /** Instances with 2+ minutes, and the pairs of consecutive minutes with both values above 0. */
  series: number;
  pairs: number;
  /** Median over those pairs of |log(value / previous minute's value)|. */
  medianAbsLogRatio: number | null;
  /** Share of an instance's minutes more than 10 times its median (over its minutes above 0). */
  over10xMedian: number | null;
  /** Share of instance-minutes with no value (NaN: no calls, an exporter's gap), over the instances with any value. */
  gaps: number | null;
}


/**
 * The noise of one metric column, rows grouped by instance and ordered by time (any row order):
 * consecutive minutes only (a pair across a missing minute is not one step).
 */
export function metricNoise(time: ArrayLike<number>, instance: ArrayLike<number>, values: ArrayLike<number>, keep: (t: number) => boolean = () => true): MetricNoise {
  const rows: number[] = [];
  for (let r = 0; r < values.length; r++) if (keep(time[r]!)) rows.push(r);
  rows.sort((a, b) => instance[a]! - instance[b]! || time[a]! - time[b]!);
  const ratios: number[] = [];
  let series = 0;
  let over = 0;
  let positive = 0;
  let gaps = 0;
  let cells = 0;
  for (let a = 0; a < rows.length; ) {
    let b = a;
    while (b < rows.length && instance[rows[b]!] === instance[rows[a]!]) b++;
    if (b - a >= 2) series++;
    const own: number[] = [];
    let missing = 0;
    for (let k = a; k < b; k++) {
      const r = rows[k]!;
      const x = values[r]!;
      if (Number.isNaN(x)) missing++;
      if (x > 0) own.push(x);
      if (k > a) {
        const p = rows[k - 1]!;
        const y = values[p]!;
        if (x > 0 && y > 0 && Math.round((time[r]! - time[p]!) / 60_000) === 1) ratios.push(Math.abs(Math.log(x / y)));
      }
    }
    // An instance that never has the metric does not export it (another file's metric): no gaps.
    if (missing < b - a) {
      gaps += missing;
      cells += b - a;
    }
    if (own.length) {
      const med = median(own);
      for (const x of own) if (x > 10 * med) over++;
      positive += own.length;
    }
    a = b;
  }
  return {
    series,
    pairs: ratios.length,
    medianAbsLogRatio: ratios.length ? round4(median(ratios)) : null,
    over10xMedian: positive ? round4(over / positive) : null,
    gaps: cells ? round4(gaps / cells) : null,
  };
}

/** The time unit a latency metric's name gives, or undefined when it gives none. */
function namedUnit(words: string[]): NumericTimeUnit | undefined {
  for (const w of words) {
    if (/^(s|sec|secs|seconds?)$/.test(w)) return 's';
    if (/^(ms|millis|milliseconds?)$/.test(w)) return 'ms';
    if (/^(us|µs|micros|microseconds?)$/.test(w)) return 'us';
    if (/^(ns|nanos|nanoseconds?)$/.test(w)) return 'ns';
  }
  return undefined;
}

/**
 * Milliseconds per unit of a latency metric: the unit its name gives, else the one of seconds,
 * milliseconds, microseconds and nanoseconds that puts the metric's median nearest (in ratio) to
 * the median duration of the calls the traces show.
 */
export function latencyUnitMs(name: string, medianValue: number, tracedMedianMs: number): number {
  const named = namedUnit(metricWords(name));
  if (named !== undefined) return UNIT_TO_MS[named];
  const off = (u: number) => Math.abs(Math.log((medianValue * u) / tracedMedianMs));
  return Object.values(UNIT_TO_MS).reduce((best, u) => (off(u) < off(best) ? u : best));
}

/** The calls no trace records (the scenario's `untracedCalls`), as read from a client latency percentile. */
export interface UntracedCalls {
  perMinute: number;
  medianMs: number;
  sigma: number;
  /** The evidence: instance-minutes with a value, and the spikes among them (see untracedCallsOf). */
  instanceMinutes: number;
  spikes: number;
}

/** Fewest instance-minutes, and spikes among them, an estimate of untraced calls is made from. */
const UNTRACED_MIN_MINUTES = 20;
const UNTRACED_MIN_SPIKES = 3;

/**
 * How far beyond the longest traced call a percentile must lie to hold a call the traces do not
 * show: a histogram's interpolation can lift a percentile to its bucket's bound, and buckets are
 * commonly a factor 2 to 3 apart.
 */
export const BEYOND_TRACED = 3;

/**
 * Calls the traces do not show, from an instance's client-side latency percentile (a mesh's or
 * client library's exporter counts every call an instance makes; tracing records only the
 * instrumented ones). A minute whose percentile is over 10 times the instance's median, and over
 * BEYOND_TRACED times the longest call the traces show (a percentile of traced calls alone cannot
 * be), holds a call far longer than the instance's usual ones: a long poll or watch of a registry
 * or config server. Their rate per instance-minute is read as Poisson: a share `s` of minutes with
 * one gives `-ln(1 - s)` per minute (a floor: a busy instance's percentile hides one). Their length
 * is the spikes' values: median, and the robust spread of their logs (1.4826 MAD). Rows kept by
 * `keep` (the fault-free minutes); undefined with too few minutes or spikes to tell.
 */
export function untracedCallsOf(
  time: ArrayLike<number>,
  instance: ArrayLike<number>,
  values: ArrayLike<number>,
  unitMs: number,
  longestTracedMs: number,
  keep: (t: number) => boolean = () => true,
): UntracedCalls | undefined {
  const byInstance = new Map<number, number[]>();
  for (let r = 0; r < values.length; r++) {
    const x = values[r]!;
    if (!(x > 0) || !keep(time[r]!)) continue;
    let list = byInstance.get(instance[r]!);
    if (!list) byInstance.set(instance[r]!, (list = []));
    list.push(x);
  }
  const spikes: number[] = [];
  let minutes = 0;
  for (const list of byInstance.values()) {
    const med = median(list);
    minutes += list.length;
    for (const x of list) if (x > 10 * med && x * unitMs > BEYOND_TRACED * longestTracedMs) spikes.push(Math.log(x * unitMs));
  }
  if (minutes < UNTRACED_MIN_MINUTES || spikes.length < UNTRACED_MIN_SPIKES) return undefined;
  return {
    perMinute: round4(-Math.log(1 - spikes.length / minutes)),
    medianMs: round4(Math.exp(median(spikes))),
    sigma: round4(madScale(spikes)),
    instanceMinutes: minutes,
    spikes: spikes.length,
  };
}

/** Words of a CPU metric that is a share (of a limit or of cores), not an amount. */
const CPU_SHARE = /%|percent|rate|util/i;
/** Words of CPU metrics that are no instance's own usage: another's time, a node's, a setting, throttling. */
const CPU_NOT_USAGE = /steal|node|host|limit|request|throttl/i;

/**
 * The metric that is an instance's CPU use in percent: a name with `cpu` (not steal, node, host,
 * limit, request or throttling) that says it is a rate or percentage, or is plainly `cpuUsage`
 * (faultline's own, in percent). Millicores and seconds are not a share of anything: left out.
 */
export function cpuPercentMetric(names: readonly string[]): string | null {
  const cpu = names.filter((n) => /cpu/i.test(n) && !CPU_NOT_USAGE.test(n));
  return cpu.find((n) => CPU_SHARE.test(n)) ?? cpu.find((n) => /^cpu_?usage$/i.test(n)) ?? null;
}

/** The CFS period Linux (and so Kubernetes) enforces a CPU limit over, ms; the metrics do not show it. */
export const CFS_PERIOD_MS = 100;
/** Rows with usage above this percentage are compared: near 0 the ratio is rounding noise. */
const LIMIT_MIN_PERCENT = 0.5;
/** Relative robust spread of usage over percentage below which the percentage is of a fixed limit. */
const LIMIT_MAX_SPREAD = 0.01;
const LIMIT_MIN_ROWS = 20;

/** How the metrics show that the instances run under a CPU limit (the twin's `cpuQuota`). */
export interface CpuLimit {
  /** A throttling metric, or the absolute usage whose ratio to the percentage gives the limit. */
  evidence: 'throttling-metric' | 'usage-ratio';
  metric: string;
  /** usage-ratio: the percentage metric, the median limit in the usage metric's unit, and the rows compared. */
  percentMetric?: string;
  limit?: number;
  rows?: number;
}

/**
 * Whether the instances run under a CPU limit: a CPU throttling metric (cAdvisor's
 * `container_cpu_cfs_throttled_*`) says so, and so does an absolute CPU usage (cores, millicores)
 * beside the CPU percentage `percentMetric` whose ratio to it is the same on every row of an
 * instance: the percentage is then of a fixed limit, not of a node's cores, whose busy share moves
 * with its other pods. Null where neither holds.
 */
export function cpuLimitOf(m: MetricTable, percentMetric: string | null): CpuLimit | null {
  const cpuNames = m.names.filter((n) => any(metricWords(n), /^cpu$/) && !any(metricWords(n), /^(node|host|machine)$/));
  const throttling = cpuNames.find((n) => /throttl/i.test(n));
  if (throttling) return { evidence: 'throttling-metric', metric: throttling };
  if (!percentMetric) return null;
  const percent = m.values[m.names.indexOf(percentMetric)]!;
  for (const name of cpuNames) {
    if (name === percentMetric || CPU_SHARE.test(name) || CPU_NOT_USAGE.test(name)) continue;
    const usage = m.values[m.names.indexOf(name)]!;
    const ratios: number[] = [];
    const perInstance = new Map<number, number[]>();
    for (let r = 0; r < m.length; r++) {
      const p = percent[r]!;
      const u = usage[r]!;
      if (!(p > LIMIT_MIN_PERCENT) || !(u > 0)) continue;
      const limit = (100 * u) / p;
      let list = perInstance.get(m.instance[r]!);
      if (!list) perInstance.set(m.instance[r]!, (list = []));
      list.push(limit);
    }
    // The spread within each instance, relative to its own limit: instances may have different limits.
    let rows = 0;
    const limits: number[] = [];
    for (const list of perInstance.values()) {
      const med = median(list);
      limits.push(med);
      rows += list.length;
      for (const x of list) ratios.push(x / med - 1);
    }
    if (rows < LIMIT_MIN_ROWS || madScale(ratios) > LIMIT_MAX_SPREAD) continue;
    return { evidence: 'usage-ratio', metric: name, percentMetric, limit: round4(median(limits)), rows };
  }
  return null;
}

/**
 * Metric change points per instance, BARO-style (Pham et al., FSE 2024): each metric series is
 * scaled robustly on its reference (the rows before the incident: median and inter-quartile range)
 * and scored by its largest scaled deviation in the incident window. The classic three-sigma rule
 * (mean and standard deviation of the reference) is kept beside it for the simple-rules baseline.
 */
import type { MetricTable } from '../../data/types.js';
import type { IncidentWindow } from '../types.js';
import { quantileSorted } from '../../common/quantile.js';

export interface MetricChange {
  instance: string;
  service: string;
  metric: string;
  /** Largest |value - median| / scale in the window (scale: IQR / 1.349, floored; see `robustScale`). */
  z: number;
  /** +1 when that largest deviation is upwards, -1 downwards. */
  direction: 1 | -1;
  /** Median |value - median| / scale over the window's points: a sustained shift, where one spike is not. */
  shift: number;
  /** Some window value lies beyond the reference mean +- 3 standard deviations. */
  threeSigma: boolean;
  /** Largest |value - median| / scale among the reference points themselves: how far this series strays when nothing is wrong. */
  referenceZ: number;
  referencePoints: number;
  windowPoints: number;
}

/**
 * Robust scale of a reference: the IQR in standard-deviation units (IQR / 1.349), or 1.4826 MAD
 * when larger, floored at 5% of the typical magnitude of the metric (`magnitude`, across
 * instances) so that a metric flat in its reference does not turn a tiny change into a huge score;
 * 1 (in the metric's own unit) when even that is 0, as scikit-learn's RobustScaler does.
 */
export function robustScale(sorted: Float64Array, median: number, magnitude: number): number {
  const iqr = quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
  const dev = Float64Array.from(sorted, (x) => Math.abs(x - median)).sort();
  const mad = 1.4826 * quantileSorted(dev, 0.5);
  const s = Math.max(iqr / 1.349, mad, 0.05 * magnitude);
  return s > 0 ? s : 1;
}

/**
 * How a reference's spread becomes a series' scale: `floored` (`robustScale`), or `iqr`,
 * scikit-learn's RobustScaler as RCAEval's BARO applies it: the inter-quartile range, 1 (in the
 * series' unit) where that is 0. Under `iqr` a series constant over its reference is left out, as
 * RCAEval's preprocessing drops constant columns before scaling.
 */
export type ScaleRule = 'floored' | 'iqr';

/** The scale of a sorted reference under `rule`; undefined for a series the rule leaves out. */
export function referenceScale(rule: ScaleRule, sorted: Float64Array, median: number, magnitude: number): number | undefined {
  if (rule === 'floored') return robustScale(sorted, median, magnitude);
  if (sorted[0] === sorted[sorted.length - 1]) return undefined;
  const iqr = quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
  return iqr > 0 ? iqr : 1;
}

export interface MetricChangeOptions {
  /** Fewest reference points a series needs to be judged (default 5). */
  minReference?: number;
  /** How the reference's spread scales the deviations (default `floored`). */
  scale?: ScaleRule;
}

/**
 * Every (instance, metric) series of the slice that has reference points and window points,
 * scored. A series with no data in the window or too little before it is left out: unknown, not
 * normal.
 */
export function metricChanges(metrics: MetricTable, incident: IncidentWindow, opts: MetricChangeOptions = {}): MetricChange[] {
  const minReference = opts.minReference ?? 5;
  const rule = opts.scale ?? 'floored';
  const out: MetricChange[] = [];
  // Rows are sorted by instance, then time: walk each instance's run of rows.
  const runs: [number, number][] = [];
  for (let a = 0; a < metrics.length; ) {
    let b = a + 1;
    while (b < metrics.length && metrics.instance[b] === metrics.instance[a]) b++;
    runs.push([a, b]);
    a = b;
  }
  for (let m = 0; m < metrics.names.length; m++) {
    const v = metrics.values[m];
    // Typical magnitude of this metric across instances' references: the floor of its scale.
    const medians: number[] = [];
    const series: { a: number; b: number; ref: Float64Array; median: number }[] = [];
    for (const [a, b] of runs) {
      const ref: number[] = [];
      for (let i = a; i < b; i++) if (metrics.time[i] < incident.start && v[i] === v[i]) ref.push(v[i]);
      if (ref.length < minReference) continue;
      const sorted = Float64Array.from(ref).sort();
      const median = quantileSorted(sorted, 0.5);
      medians.push(Math.abs(median));
      series.push({ a, b, ref: sorted, median });
    }
    if (!series.length) continue;
    const magnitude = quantileSorted(Float64Array.from(medians).sort(), 0.5);
    for (const { a, b, ref, median } of series) {
      const scale = referenceScale(rule, ref, median, magnitude);
      if (scale === undefined) continue;
      let windowPoints = 0;
      let best = 0;
      let dir: 1 | -1 = 1;
      let mean = 0;
      for (const x of ref) mean += x;
      mean /= ref.length;
      let sd = 0;
      for (const x of ref) sd += (x - mean) ** 2;
      sd = Math.sqrt(sd / Math.max(1, ref.length - 1));
      let three = false;
      const referenceZ = Math.max(Math.abs(ref[0] - median), Math.abs(ref[ref.length - 1] - median)) / scale;
      const deviations: number[] = [];
      for (let i = a; i < b; i++) {
        const t = metrics.time[i];
        if (t < incident.start || t >= incident.end || v[i] !== v[i]) continue;
        windowPoints++;
        const d = (v[i] - median) / scale;
        deviations.push(Math.abs(d));
        if (Math.abs(d) > best) {
          best = Math.abs(d);
          dir = d >= 0 ? 1 : -1;
        }
        if (Math.abs(v[i] - mean) > 3 * sd && v[i] !== mean) three = true;
      }
      if (!windowPoints) continue;
      deviations.sort((x, y) => x - y);
      const mid = (deviations.length - 1) / 2;
      const shift = (deviations[Math.floor(mid)] + deviations[Math.ceil(mid)]) / 2;
      out.push({
        instance: metrics.strings[metrics.instance[a]],
        service: metrics.strings[metrics.service[a]],
        metric: metrics.names[m],
        z: best,
        direction: dir,
        shift,
        threeSigma: three,
        referenceZ,
        referencePoints: ref.length,
        windowPoints,
      });
    }
  }
  return out;
}

/**
 * How far beyond its own normal range a series went and stayed: its window's median deviation
 * (`shift`) over the largest deviation its reference shows (at least `floor` scales). Above 1, most
 * of the window left every value of the reference behind; one spike in the window, or a series
 * that is spiky when nothing is wrong, does not.
 */
export function surprise(c: MetricChange, floor = 3): number {
  return c.shift / Math.max(c.referenceZ, floor);
}

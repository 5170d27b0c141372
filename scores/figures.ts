/**
 * One table per kind of result: every figure faultline reports, with its label, which direction is
 * better, how it rolls up from items to a run, and how many digits it is printed with. The summary
 * schema, the roll-up, `compare`, the report and the CLI's tables all read these tables, so a new
 * figure is one entry here (and the code that computes it).
 */

/**
 * Where a detector's alarm level comes from, labelled as such everywhere: its own calibration,
 * a level given by the user, the rarity quantile of its training scores, the best level on
 * labelled training data, or the best level on the scored data itself (an oracle).
 */
export const THRESHOLD_SOURCES = ['own', 'given', 'train', 'train-labels', 'oracle'] as const;
export type ThresholdSource = (typeof THRESHOLD_SOURCES)[number];

/** The sources `faultline score` can report for scores made elsewhere. */
export const SCORE_SOURCES = ['own', 'oracle', 'train-labels'] as const;

/** How a figure of a run is made from its items' figures. */
export type Rollup =
  /** Mean over the items where it is defined. */
  | 'mean'
  /** Sum over items (a count). */
  | 'sum'
  /** A ratio of two pooled counts (`of` names them), or pooled over faults or incidents: computed by its own code. */
  | 'pooled'
  /** Mean over the run's series (of every item) where it is defined, as TSB-AD averages over series. */
  | 'seriesMean'
  /** Measured wall clock: varies run to run, never compared or gated. */
  | 'measured';

export interface Figure {
  key: string;
  /** Short label for tables and charts. */
  label: string;
  better: 'higher' | 'lower' | 'none';
  rollup: Rollup;
  digits: number;
  /** How values are shown: a share in [0, 1], milliseconds (shown in minutes where long), a count, a plain number. */
  unit: 'share' | 'ms' | 'count' | 'number' | 'per day';
  /** One line: what it is and how it is computed. */
  doc: string;
  /** Computed per item (kept in results.json) as well as per run. */
  perItem?: boolean;
  /** Not in summary.json (per item only). */
  itemOnly?: boolean;
  /** Shown per fault type too. */
  byType?: boolean;
  /** Its name in the per-type breakdown, where that differs. */
  byTypeKey?: string;
  /** A value per k (`prAt`: { '1': ..., '3': ... }) rather than one number. */
  perK?: boolean;
  /**
   * What a bootstrap interval and a paired test resample: the run's RCA incidents, its impacting
   * faults, its KPI series (in a run of several items, the items with their series kept together:
   * series of one item share its faults), or its items (reports/resample.ts computes the figure
   * from each).
   */
  over?: 'incidents' | 'faults' | 'series' | 'items';
  /** A count or share of units that hit (AC@k, detection rate): compared with McNemar's exact test, else a paired bootstrap. */
  hitOrMiss?: boolean;
  /** A headline figure: summary.json carries its 95% bootstrap interval, and its mean and sd over seeds. */
  interval?: boolean;
  /** May be absent from a summary.json of a faultline that did not compute it; readers take absent as undefined. */
  optional?: boolean;
  /** One of the few figures a one-line summary shows (the CLI's result lines, summary.md). */
  brief?: boolean;
}

/** Detection figures, in summary.json's order. Item figures use the detector's own alarms. */
export const DETECTION_FIGURES = [
  { key: 'pointAdjustedF1', label: 'PA-F1', better: 'higher', rollup: 'mean', digits: 3, unit: 'share', perItem: true, over: 'series', interval: true, brief: true, doc: 'point-adjusted F1 with delay 7 (AIOps Challenge 2018 protocol), mean over items' },
  { key: 'precision', label: 'PA precision', better: 'higher', rollup: 'mean', digits: 3, unit: 'share', perItem: true, over: 'series', doc: 'point-adjusted precision, mean over items' },
  { key: 'recall', label: 'PA recall', better: 'higher', rollup: 'mean', digits: 3, unit: 'share', perItem: true, over: 'series', doc: 'point-adjusted recall, mean over items' },
  { key: 'pointPrecision', label: 'point precision', better: 'higher', rollup: 'mean', digits: 3, unit: 'share', perItem: true, itemOnly: true, doc: 'point-wise precision' },
  { key: 'pointRecall', label: 'point recall', better: 'higher', rollup: 'mean', digits: 3, unit: 'share', perItem: true, itemOnly: true, doc: 'point-wise recall' },
  { key: 'pointF1', label: 'point F1', better: 'higher', rollup: 'mean', digits: 3, unit: 'share', perItem: true, over: 'items', brief: true, doc: 'point-wise F1, mean over items' },
  { key: 'rangePrecision', label: 'range precision', better: 'higher', rollup: 'mean', digits: 3, unit: 'share', perItem: true, over: 'items', doc: 'range-based precision (Tatbul et al. 2018), mean over items' },
  { key: 'rangeRecall', label: 'range recall', better: 'higher', rollup: 'mean', digits: 3, unit: 'share', perItem: true, over: 'items', doc: 'range-based recall (Tatbul et al. 2018), mean over items' },
  { key: 'falseAlarmsPerDay', label: 'false alarms/day', better: 'lower', rollup: 'mean', digits: 1, unit: 'per day', perItem: true, over: 'items', brief: true, doc: 'alarm events outside every labelled segment, per day of scored data' },
  { key: 'nabStandard', label: 'NAB standard', better: 'higher', rollup: 'mean', digits: 1, unit: 'number', perItem: true, over: 'items', brief: true, doc: 'NAB score, standard profile, normalised 0 (null) to 100 (perfect)' },
  { key: 'nabLowFP', label: 'NAB low FP', better: 'higher', rollup: 'mean', digits: 1, unit: 'number', perItem: true, over: 'items', doc: 'NAB score, reward-low-FP profile' },
  { key: 'nabLowFN', label: 'NAB low FN', better: 'higher', rollup: 'mean', digits: 1, unit: 'number', perItem: true, over: 'items', doc: 'NAB score, reward-low-FN profile' },
  { key: 'aucPr', label: 'AUC-PR', better: 'higher', rollup: 'seriesMean', digits: 3, unit: 'share', perItem: true, over: 'series', interval: true, optional: true, brief: true, doc: "threshold-free: average precision of the detector's scores, point-wise, per series" },
  { key: 'aucRoc', label: 'AUC-ROC', better: 'higher', rollup: 'seriesMean', digits: 3, unit: 'share', perItem: true, over: 'series', interval: true, optional: true, doc: 'threshold-free: area under the ROC curve, point-wise, per series' },
  { key: 'paAucPr', label: 'PA AUC-PR', better: 'higher', rollup: 'seriesMean', digits: 3, unit: 'share', perItem: true, over: 'series', interval: true, optional: true, doc: 'threshold-free: AUC-PR after point adjustment with the delay, per series' },
  { key: 'paAucRoc', label: 'PA AUC-ROC', better: 'higher', rollup: 'seriesMean', digits: 3, unit: 'share', perItem: true, over: 'series', interval: true, optional: true, doc: 'threshold-free: AUC-ROC after point adjustment with the delay, per series' },
  { key: 'vusPr', label: 'VUS-PR', better: 'higher', rollup: 'seriesMean', digits: 3, unit: 'share', perItem: true, over: 'series', interval: true, optional: true, doc: 'threshold-free: volume under the range-PR surface (Paparrizos et al., VLDB 2022; as TSB-AD ranks), per series' },
  { key: 'vusRoc', label: 'VUS-ROC', better: 'higher', rollup: 'seriesMean', digits: 3, unit: 'share', perItem: true, over: 'series', interval: true, optional: true, doc: 'threshold-free: volume under the range-ROC surface, per series' },
  { key: 'events', label: 'events', better: 'none', rollup: 'sum', digits: 0, unit: 'count', perItem: true, doc: 'labelled anomaly segments' },
  { key: 'detectedEvents', label: 'detected events', better: 'higher', rollup: 'sum', digits: 0, unit: 'count', perItem: true, over: 'items', doc: 'segments with an alarm inside them' },
  { key: 'eventRecall', label: 'event recall', better: 'higher', rollup: 'pooled', digits: 3, unit: 'share', perItem: true, over: 'items', brief: true, doc: 'detected events / events, pooled over items' },
  { key: 'faults', label: 'faults', better: 'none', rollup: 'pooled', digits: 0, unit: 'count', byType: true, doc: 'faults that moved at least one KPI series' },
  { key: 'detectedFaults', label: 'detected faults', better: 'higher', rollup: 'pooled', digits: 0, unit: 'count', byType: true, byTypeKey: 'detected', over: 'faults', hitOrMiss: true, doc: 'faults with an alarm on a series they moved, inside their impact' },
  { key: 'faultDetectionRate', label: 'detection rate', better: 'higher', rollup: 'pooled', digits: 3, unit: 'share', byType: true, byTypeKey: 'detectionRate', over: 'faults', hitOrMiss: true, interval: true, doc: 'detected faults / faults' },
  {
    key: 'meanTimeToDetectMs',
    label: 'time to detect',
    better: 'lower',
    rollup: 'pooled',
    digits: 1,
    unit: 'ms',
    perItem: true,
    byType: true,
    over: 'faults',
    interval: true,
    doc: "mean delay from a fault's start to the first alarm on a series it moved (per item: from each detected event's start)",
  },
  { key: 'computeMs', label: 'compute', better: 'lower', rollup: 'measured', digits: 0, unit: 'ms', doc: 'wall clock per item, measured' },
] as const satisfies readonly Figure[];

/** RCA figures, in summary.json's order (per incident: the rank of the first true root cause). */
export const RCA_FIGURES = [
  { key: 'incidents', label: 'incidents', better: 'none', rollup: 'sum', digits: 0, unit: 'count', byType: true, doc: 'incidents ranked' },
  { key: 'failed', label: 'failed', better: 'lower', rollup: 'pooled', digits: 0, unit: 'count', byType: true, over: 'incidents', hitOrMiss: true, optional: true, doc: 'incidents the method failed or timed out on (counted as misses)' },
  { key: 'ac1', label: 'AC@1', better: 'higher', rollup: 'pooled', digits: 3, unit: 'share', byType: true, over: 'incidents', hitOrMiss: true, interval: true, brief: true, doc: 'share of incidents whose true root cause ranks first' },
  { key: 'ac2', label: 'AC@2', better: 'higher', rollup: 'pooled', digits: 3, unit: 'share', byType: true, over: 'incidents', hitOrMiss: true, interval: true, optional: true, doc: 'share of incidents whose true root cause is in the top 2' },
  { key: 'ac3', label: 'AC@3', better: 'higher', rollup: 'pooled', digits: 3, unit: 'share', byType: true, over: 'incidents', hitOrMiss: true, interval: true, brief: true, doc: 'share of incidents whose true root cause is in the top 3' },
  { key: 'ac4', label: 'AC@4', better: 'higher', rollup: 'pooled', digits: 3, unit: 'share', byType: true, over: 'incidents', hitOrMiss: true, interval: true, optional: true, doc: 'share of incidents whose true root cause is in the top 4' },
  { key: 'ac5', label: 'AC@5', better: 'higher', rollup: 'pooled', digits: 3, unit: 'share', byType: true, over: 'incidents', hitOrMiss: true, interval: true, optional: true, doc: 'share of incidents whose true root cause is in the top 5' },
  { key: 'avg5', label: 'Avg@5', better: 'higher', rollup: 'pooled', digits: 3, unit: 'share', byType: true, over: 'incidents', interval: true, brief: true, doc: 'mean of AC@1..AC@5' },
  { key: 'mrr', label: 'MRR', better: 'higher', rollup: 'pooled', digits: 3, unit: 'number', byType: true, over: 'incidents', interval: true, brief: true, doc: 'mean of 1 / rank of the first true root cause (0 when absent)' },
  { key: 'prAt', label: 'PR@k', better: 'higher', rollup: 'pooled', digits: 3, unit: 'share', perK: true, doc: 'top-k hits / min(k, true root causes), for incidents with several root causes' },
  { key: 'computeMs', label: 'compute', better: 'lower', rollup: 'measured', digits: 1, unit: 'ms', doc: 'wall clock per incident, measured' },
] as const satisfies readonly Figure[];

/** MTTR figures of a detector + RCA pairing (scores/mttr.ts), in summary.json's order. */
export const MTTR_FIGURES = [
  { key: 'faults', label: 'faults', better: 'none', rollup: 'pooled', digits: 0, unit: 'count', byType: true, doc: 'impacting faults' },
  { key: 'detectMs', label: 'detect', better: 'lower', rollup: 'pooled', digits: 1, unit: 'ms', byType: true, over: 'faults', doc: 'mean fault start to first alarm (or to the fallback report when never alarmed)' },
  { key: 'identifyMs', label: 'identify', better: 'lower', rollup: 'pooled', digits: 1, unit: 'ms', byType: true, over: 'faults', doc: "mean time for an operator to reach the root cause down the method's ranking" },
  { key: 'identifyComputeMs', label: 'identify compute', better: 'lower', rollup: 'measured', digits: 1, unit: 'ms', byType: true, doc: "the RCA method's own compute time, measured" },
  { key: 'repairMs', label: 'repair', better: 'none', rollup: 'pooled', digits: 1, unit: 'ms', byType: true, doc: "the fault type's repair time (the MTTR model)" },
  { key: 'mttrMs', label: 'MTTR', better: 'lower', rollup: 'pooled', digits: 1, unit: 'ms', byType: true, over: 'faults', interval: true, doc: 'mean time to repair: detect + identify + repair' },
  { key: 'availability', label: 'availability', better: 'higher', rollup: 'pooled', digits: 5, unit: 'share', over: 'faults', doc: 'MTBF / (MTBF + MTTR)' },
] as const satisfies readonly Figure[];

export type DetectionFigureKey = (typeof DETECTION_FIGURES)[number]['key'];
export type RcaFigureKey = (typeof RCA_FIGURES)[number]['key'];
export type MttrFigureKey = (typeof MTTR_FIGURES)[number]['key'];

type KeysWithout<T extends readonly Figure[], P extends string> = Exclude<T[number], Record<P, true>>['key'];

/** Figures of one detector on one item (kept in results.json): counts are numbers, the rest may be undefined (null). */
export type DetectionItemFigures = {
  [F in (typeof DETECTION_FIGURES)[number] as F extends { perItem: true } ? F['key'] : never]: F extends { unit: 'count' } ? number : number | null;
};
/** Detection figure keys in summary.json. */
export type DetectionSummaryKey = KeysWithout<typeof DETECTION_FIGURES, 'itemOnly'>;

/** The figures of a table that a comparison or a gate may use: not measured times. */
export function comparable<T extends readonly Figure[]>(table: T): T[number][] {
  return table.filter((f) => f.rollup !== 'measured' && f.better !== 'none');
}

/** A figure's value as printed: shares and numbers to their digits, times in minutes or ms. */
export function formatFigure(f: Pick<Figure, 'unit' | 'digits'>, x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (f.unit === 'ms') return Math.abs(x) >= 60_000 ? `${(x / 60_000).toFixed(1)} min` : `${x.toFixed(f.digits)} ms`;
  return x.toFixed(f.digits);
}

export function figureOf<T extends readonly Figure[]>(table: T, key: string): T[number] {
  const f = table.find((x) => x.key === key);
  if (!f) throw new Error(`no figure ${key}`);
  return f;
}

/**
 * `faultline score`: score per-point scores or alarms made elsewhere against labelled series, and
 * write the same metrics.json as `detect`. Score files:
 *  - faultline's alarms.csv (series,timestamp,score,alarm,detector), or any CSV with a series
 *    column; the detector is the detector column, else the file name;
 *  - NAB's results layout: <detector>/<group>/<detector>_<name>.csv[.gz] with anomaly_score (the
 *    folder holding the detector folders, or one detector folder); series id = <group>/<name>;
 *  - a folder of per-series CSVs <series id>.csv[.gz] with timestamp and score columns; the
 *    detector is the folder name.
 * `columns` renames: series, timestamp, score, alarm, detector = the file's column names.
 * Rows are lined up with the series by time (sorted and repeated times moved as the series reader
 * does), and must cover every point of every series. Under `onBadRow: 'skip'` a malformed row of
 * any file is skipped, and a detector's rows may then miss or exceed the series' points at as many
 * times as rows were skipped in the series files and in the score files holding its rows: a point
 * without a row has no score, a row at no point is left out.
 */
import { readdir, stat } from 'node:fs/promises';
import { z } from 'zod';
import { basename, join, relative, sep } from 'node:path';
import { readCsvRecordBatches } from '../common/text-lines.js';
import { BadRows, ImportError, type BadRowPolicy } from '../common/bad-rows.js';
import { repeatedColumn } from '../common/csv.js';
import { preview } from '../common/errors.js';
import { writeFileAtomic } from '../common/atomic-file.js';
import { writeMetricsParquet } from '../reports/results-parquet.js';
import { readJsonFile } from '../common/validated-file.js';
import { checkOutputDir, publishDir } from '../common/output-dir.js';
import { noRowsToScore, readSeriesDir, parseTimestamp, strictlyIncreasing } from '../data/series-csv.js';
import type { Series } from '../data/types.js';
import type { Detection } from '../detectors/types.js';
import { NAB_PROFILE_NAMES, NAB_PUBLISHED_PROFILE, type NabProfileName } from '../scores/detection/nab.js';
import {
  DEFAULT_DELAY,
  SCORE_SOURCES,
  scoreDetection,
  thresholdFreeMetrics,
  type DetectionMetrics,
  type ScoreOptions,
  type ThresholdFreeMetrics,
  type ThresholdSource,
} from '../scores/detection/evaluate.js';

export type ScoreSource = (typeof SCORE_SOURCES)[number];

export interface ScoreFilesOptions {
  /** Labelled series folder, or the NAB root (data/ + labels/combined_windows.json). */
  series: string;
  /** A score CSV file or folder. */
  scores: string;
  /** Alarm where score >= this level (threshold source 'given'). */
  threshold?: number;
  /** NAB's thresholds.json: one level per detector and NAB profile for the NAB figures ('given'). */
  nabThresholds?: string;
  /** Threshold sources to report besides any given level (default: own where alarms exist, and oracle). */
  sources?: ScoreSource[];
  /** Labelled training series and their scores, for train-labels. */
  trainSeries?: string;
  trainScores?: string;
  columns?: Record<string, string>;
  delay?: number;
  out: string;
  force?: boolean;
  /** Also write metrics.parquet and series-metrics.parquet. */
  parquet?: boolean;
  onBadRow?: BadRowPolicy;
}

type SeriesFigures = Omit<DetectionMetrics, 'eventDetails'> & { thresholdFree: ThresholdFreeMetrics['perSeries'][string] };

export interface ScoreMetricsFile {
  tool: 'faultline score';
  input: { series: string; scores: string; layout: string; scoresLayout: string; seriesCount: number; points: number; train?: { series: string; scores: string } };
  training: string;
  notes: string[];
  delay: number;
  detectors: Record<
    string,
    {
      spec: string;
      unjudgedSeries: number;
      overall: Partial<Record<ThresholdSource, DetectionMetrics>>;
      thresholdFree: Omit<ThresholdFreeMetrics, 'perSeries'>;
      series: Record<string, SeriesFigures>;
    }
  >;
}

const COLUMN_NAMES = ['series', 'timestamp', 'score', 'alarm', 'detector'] as const;
type Column = (typeof COLUMN_NAMES)[number];

/** Score rows of one detector for one series, in file order. */
interface Rows {
  file: string;
  timestamps: number[];
  scores: number[];
  alarms: number[] | null;
}

type ScoreSet = Map<string, Map<string, Rows>>; // detector -> series id -> rows

const exists = (p: string) => stat(p).then(() => true, () => false);

async function scoreFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await scoreFiles(p)));
    else if (e.isFile() && /\.csv(\.gz)?$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

const stripCsv = (name: string) => name.replace(/\.csv(\.gz)?$/, '');

/** Read one score CSV; `fixed` gives the series and detector when the file itself does. Returns the rows it skipped. */
async function readScoreFile(file: string, columns: Record<string, string>, into: ScoreSet, fixed: { series?: string; detector?: string }, badRows: BadRows): Promise<number> {
  // Column positions, -1 where the file has none: resolved once from the header.
  let at: Record<Column, number> | undefined;
  let width = 0;
  let rowCount = 0;
  const skippedBefore = badRows.skipped;
  const fileDetector = stripCsv(basename(file));
  const cell = (fields: string[], k: number) => (k < 0 ? undefined : (fields[k] ?? '').trim());
  for await (const batch of readCsvRecordBatches(file, badRows)) {
    for (const { fields, lineNo } of batch) {
      if (!at) {
        const header = fields.map((h) => h.trim());
        width = header.length;
        const names = (c: Column) => [columns[c] ?? c, ...(columns[c] || c !== 'score' ? [] : ['anomaly_score'])];
        const twice = repeatedColumn(header, COLUMN_NAMES.flatMap(names));
        if (twice) throw new ImportError(file, 'line 1', `column "${twice}" appears twice`);
        const find = (c: Column) => {
          for (const name of names(c)) {
            const k = header.indexOf(name);
            if (k >= 0) return k;
          }
          return -1;
        };
        at = { series: find('series'), timestamp: find('timestamp'), score: find('score'), alarm: find('alarm'), detector: find('detector') };
        if (at.timestamp < 0) throw new ImportError(file, 'line 1', `no timestamp column (${columns.timestamp ?? 'timestamp'}) in header "${preview(header.join(','))}"`);
        if (at.score < 0 && at.alarm < 0) throw new ImportError(file, 'line 1', `no score (score or anomaly_score) or alarm column in header "${preview(header.join(','))}"; name them with --columns score=...,alarm=...`);
        if (fixed.series === undefined && at.series < 0) throw new ImportError(file, 'line 1', `no series column (${columns.series ?? 'series'}) in header "${preview(header.join(','))}"`);
        continue;
      }
      if (fields.length !== width) {
        badRows.report(file, `line ${lineNo}`, `${fields.length} fields, header has ${width}`);
        continue;
      }
      const rawTimestamp = cell(fields, at.timestamp)!;
      const t = parseTimestamp(rawTimestamp);
      if (!Number.isFinite(t)) {
        badRows.report(file, `line ${lineNo}`, `timestamp "${preview(rawTimestamp)}" is neither unix seconds nor ISO 8601`);
        continue;
      }
      const rawScore = cell(fields, at.score);
      const noScore = rawScore === undefined || rawScore === '' || rawScore.toLowerCase() === 'nan';
      const score = noScore ? NaN : Number(rawScore);
      if (!noScore && !Number.isFinite(score)) {
        badRows.report(file, `line ${lineNo}`, `score "${preview(rawScore)}" is not a number`);
        continue;
      }
      const rawAlarm = cell(fields, at.alarm);
      if (rawAlarm !== undefined && rawAlarm !== '0' && rawAlarm !== '1') {
        badRows.report(file, `line ${lineNo}`, `alarm "${preview(rawAlarm)}" must be 0 or 1`);
        continue;
      }
      rowCount++;
      const seriesId = fixed.series ?? cell(fields, at.series)!;
      const detector = fixed.detector ?? cell(fields, at.detector) ?? fileDetector;
      let bySeries = into.get(detector);
      if (!bySeries) into.set(detector, (bySeries = new Map()));
      let rows = bySeries.get(seriesId);
      if (!rows) bySeries.set(seriesId, (rows = { file, timestamps: [], scores: [], alarms: rawAlarm === undefined ? null : [] }));
      rows.timestamps.push(t);
      rows.scores.push(score);
      if (rows.alarms && rawAlarm !== undefined) rows.alarms.push(rawAlarm === '1' ? 1 : 0);
    }
  }
  if (!at) throw new ImportError(file, '', 'empty file (expected a header line)');
  const skipped = badRows.skipped - skippedBefore;
  if (!rowCount) throw new ImportError(file, '', skipped ? `no score rows once ${skipped} malformed rows were skipped` : 'no score rows (only a header)');
  return skipped;
}

/** The score rows read, by detector and series, and the rows each file skipped. */
interface Scores {
  layout: string;
  set: ScoreSet;
  skippedIn: Map<string, number>;
}

/** Read scores from a file or folder; returns the layout found. */
async function readScores(path: string, columns: Record<string, string>, badRows: BadRows): Promise<Scores> {
  if (!(await exists(path))) throw new Error(`${path}: scores not found`);
  const set: ScoreSet = new Map();
  const skippedIn = new Map<string, number>();
  const read = async (f: string, fixed: { series?: string; detector?: string }) => skippedIn.set(f, await readScoreFile(f, columns, set, fixed, badRows));
  if (!(await stat(path)).isDirectory()) {
    await read(path, {});
    return { layout: 'rows with a series column', set, skippedIn };
  }
  const files = await scoreFiles(path);
  if (files.length === 0) throw new Error(`${path}: no .csv or .csv.gz score files`);
  const rel = (f: string) => relative(path, f).split(sep);
  // NAB results: <detector>/<group>/<detector>_<name>.csv, or <group>/<detector>_<name>.csv inside one detector's folder.
  const nabOf = (f: string): { detector: string; series: string } | undefined => {
    const parts = rel(f);
    const [det, group, name] = parts.length === 3 ? parts : parts.length === 2 ? [basename(path), parts[0], parts[1]] : [];
    if (!det || !name.startsWith(`${det}_`)) return undefined;
    return { detector: det, series: `${group}/${stripCsv(name.slice(det.length + 1))}` };
  };
  const nab = files.map(nabOf);
  if (nab.some((x) => x !== undefined)) {
    for (const [k, f] of files.entries()) if (nab[k]) await read(f, nab[k]!);
    return { layout: 'NAB results (<detector>/<group>/<detector>_<name>.csv)', set, skippedIn };
  }
  for (const f of files) await read(f, { series: stripCsv(rel(f).join('/')), detector: basename(path) });
  return { layout: 'one CSV per series', set, skippedIn };
}

/** Score rows lined up with a series' points. */
interface LinedUp {
  detection: Detection;
  /** Points without a score row and score rows at no point (0 when every row has its point). */
  missing: number;
  extra: number;
  /** Why the rows do not line up one to one with the points (undefined when they do). */
  problem?: ImportError;
}

/**
 * Line score rows up with a series (same time order and repeat handling as the series reader),
 * matched by time: a point without a row has no score. When they do not line up one to one, the
 * problem is returned with the match.
 */
function lineUp(s: Series, rows: Rows, detector: string): LinedUp {
  const n = s.timestamps.length;
  const ts = Float64Array.from(rows.timestamps);
  const fixed = strictlyIncreasing(ts);
  const order = fixed?.order;
  const times = fixed?.timestamps ?? ts;
  const pick = (a: number[]) => (order ? order.map((k) => a[k]) : a);
  const scores = pick(rows.scores);
  const alarms = rows.alarms ? pick(rows.alarms) : null;
  const detection: Detection = { scores: new Float64Array(n).fill(NaN), alarms: new Uint8Array(n) };
  let matched = 0;
  // Where the times first differ: every point before had its row, so point and row share the index.
  let differs = -1;
  for (let i = 0, k = 0; i < n && k < times.length; ) {
    if (times[k] === s.timestamps[i]) {
      detection.scores[i] = scores[k];
      if (alarms) detection.alarms[i] = alarms[k];
      matched++;
      i++;
      k++;
      continue;
    }
    if (differs < 0) differs = i;
    if (times[k] < s.timestamps[i]) k++;
    else i++;
  }
  const problem =
    times.length !== n
      ? new ImportError(rows.file, '', `detector ${detector}: ${times.length} score rows for series ${s.id}, which has ${n} points`)
      : differs >= 0
        ? new ImportError(rows.file, '', `detector ${detector}: series ${s.id}: score row times differ from the series at point ${differs + 1} (${new Date(times[differs]).toISOString()} vs ${new Date(s.timestamps[differs]).toISOString()})`)
        : undefined;
  return { detection, missing: n - matched, extra: times.length - matched, problem };
}

/**
 * Each detector's detections on the series. Rows that do not line up with the points are an error,
 * unless rows were skipped where they could have been the detector's (`seriesSkipped` in the
 * series files, and those of the score files that hold its rows): then as many points and rows as
 * were skipped there may go unmatched, and a note says how many did.
 */
function detectionsFor(series: Series[], scores: Scores, where: string, seriesSkipped: number, notes: string[]): Map<string, { detections: Detection[]; hasAlarms: boolean }> {
  const out = new Map<string, { detections: Detection[]; hasAlarms: boolean }>();
  const ids = new Set(series.map((s) => s.id));
  for (const [detector, bySeries] of [...scores.set.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    for (const [id, rows] of bySeries) if (!ids.has(id)) throw new ImportError(rows.file, '', `detector ${detector}: series "${id}" is not in ${where}`);
    let missing = 0;
    let extra = 0;
    let problem: ImportError | undefined;
    const detections = series.map((s) => {
      const rows = bySeries.get(s.id);
      if (!rows) throw new Error(`detector ${detector}: no scores for series ${s.id} of ${where}`);
      const lined = lineUp(s, rows, detector);
      missing += lined.missing;
      extra += lined.extra;
      problem ??= lined.problem;
      return lined.detection;
    });
    let skipped = seriesSkipped;
    for (const file of new Set([...bySeries.values()].map((r) => r.file))) skipped += scores.skippedIn.get(file) ?? 0;
    if (problem && missing + extra > skipped) throw problem;
    if (problem) {
      const parts = [...(missing ? [`${missing} points of ${where} without a score row have no score`] : []), ...(extra ? [`${extra} score rows at no point of ${where} are left out`] : [])];
      notes.push(`detector ${detector}: ${parts.join('; ')} (malformed rows skipped)`);
    }
    out.set(detector, { detections, hasAlarms: series.every((s) => bySeries.get(s.id)!.alarms !== null) });
  }
  return out;
}

/** NAB's config/thresholds.json: per detector and profile, the threshold NAB's optimiser chose (and its score). */
const nabThresholdsSchema = z.record(z.string(), z.record(z.string(), z.looseObject({ threshold: z.number().finite().optional() })));

function readNabThresholds(path: string): Record<string, Partial<Record<NabProfileName, number>>> {
  const raw = readJsonFile(path, nabThresholdsSchema, 'NAB thresholds file');
  const out: Record<string, Partial<Record<NabProfileName, number>>> = {};
  for (const [det, profiles] of Object.entries(raw)) {
    out[det] = {};
    for (const p of NAB_PROFILE_NAMES) {
      const t = profiles[NAB_PUBLISHED_PROFILE[p]]?.threshold;
      if (t !== undefined) out[det][p] = t;
    }
  }
  return out;
}

/** NaN and infinities become null: JSON has no spelling for them. */
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

export async function scoreFromFiles(opts: ScoreFilesOptions): Promise<{ out: string; metrics: ScoreMetricsFile; parquet: string[]; skippedRows: number; badRowExamples: string[] }> {
  const output = { command: 'score', force: opts.force ?? false, inputs: [opts.series, opts.scores, opts.trainSeries, opts.trainScores, opts.nabThresholds] };
  checkOutputDir(opts.out, output);
  const columns = opts.columns ?? {};
  for (const c of Object.keys(columns)) if (!(COLUMN_NAMES as readonly string[]).includes(c)) throw new Error(`--columns: unknown column '${c}' (use ${COLUMN_NAMES.join(', ')})`);
  const sources = opts.sources ?? ['own', 'oracle'];
  const wantsTrain = sources.includes('train-labels');
  if (wantsTrain && !(opts.trainSeries && opts.trainScores)) throw new Error('threshold source train-labels needs --train-series and --train-scores (labelled training data and its scores)');
  const badRows = new BadRows(opts.onBadRow ?? 'reject');
  const set = await readSeriesDir(opts.series, badRows);
  if (set.series.every((s) => s.timestamps.length === 0)) throw noRowsToScore(opts.series, set.series, badRows.skipped);
  const seriesSkipped = badRows.skipped;
  const scores = await readScores(opts.scores, columns, badRows);
  const notes = [...set.notes];
  const byDetector = detectionsFor(set.series, scores, opts.series, seriesSkipped, notes);
  const nabThresholds = opts.nabThresholds ? readNabThresholds(opts.nabThresholds) : undefined;
  let train: { series: Series[]; byDetector: Map<string, { detections: Detection[] }> } | undefined;
  if (wantsTrain) {
    const skippedBefore = badRows.skipped;
    const trainSet = await readSeriesDir(opts.trainSeries!, badRows);
    notes.push(...trainSet.notes);
    const trainSeriesSkipped = badRows.skipped - skippedBefore;
    const trainScores = await readScores(opts.trainScores!, columns, badRows);
    train = { series: trainSet.series, byDetector: detectionsFor(trainSet.series, trainScores, opts.trainSeries!, trainSeriesSkipped, notes) };
  }
  // The count only: the reasons quote the input, and go to stderr alone.
  if (badRows.skipped) notes.push(`${badRows.skipped} malformed rows skipped (--on-bad-row skip)`);
  const delay = opts.delay ?? DEFAULT_DELAY;
  const metrics: ScoreMetricsFile = {
    tool: 'faultline score',
    input: {
      series: opts.series,
      scores: opts.scores,
      layout: set.layout,
      scoresLayout: scores.layout,
      seriesCount: set.series.length,
      points: set.series.reduce((a, s) => a + s.timestamps.length, 0),
      ...(train ? { train: { series: opts.trainSeries!, scores: opts.trainScores! } } : {}),
    },
    training: train
      ? `scores made elsewhere; every point scored; train-labels level chosen on ${opts.trainSeries} only`
      : 'scores made elsewhere; every point scored (the NAB score skips its probationary period)',
    notes,
    delay,
    detectors: {},
  };
  const base: ScoreOptions = { delay, ...(set.windows ? { windows: set.windows } : {}) };
  for (const [detector, { detections, hasAlarms }] of byDetector) {
    const overall: Partial<Record<ThresholdSource, DetectionMetrics>> = {};
    const nabLevels = nabThresholds?.[detector];
    if (opts.nabThresholds && !nabLevels) throw new Error(`${opts.nabThresholds}: no thresholds for detector ${detector}`);
    if (opts.threshold !== undefined || nabLevels) {
      const level = opts.threshold ?? nabLevels?.standard;
      if (level === undefined) throw new Error(`${opts.nabThresholds}: no standard-profile threshold for detector ${detector}`);
      overall.given = scoreDetection(set.series, detections, { ...base, threshold: 'given', level, ...(nabLevels ? { nabLevels } : {}) });
    }
    if (sources.includes('own')) {
      if (hasAlarms) overall.own = scoreDetection(set.series, detections, { ...base, threshold: 'own' });
      else if (opts.sources?.includes('own')) throw new Error(`detector ${detector}: threshold source own needs an alarm column in the scores`);
    }
    if (sources.includes('oracle')) overall.oracle = scoreDetection(set.series, detections, { ...base, threshold: 'oracle' });
    if (train) {
      const t = train.byDetector.get(detector);
      if (!t) throw new Error(`detector ${detector}: no training scores in ${opts.trainScores}`);
      overall['train-labels'] = scoreDetection(set.series, detections, { ...base, threshold: 'train-labels', train: { series: train.series, detections: t.detections } });
    }
    const { perSeries: freePerSeries, ...thresholdFree } = thresholdFreeMetrics(set.series, detections, base);
    // Per series: the detector's own alarms, else the first corpus-level threshold reported.
    const headline = overall.own ?? overall.given ?? overall.oracle ?? overall['train-labels'];
    const perSeries: Record<string, SeriesFigures> = {};
    set.series.forEach((s, k) => {
      const level = headline?.threshold.level;
      const figures: Partial<DetectionMetrics> =
        headline?.threshold.source === 'own' || level === undefined
          ? scoreDetection([s], [detections[k]], { ...base, threshold: 'own' })
          : scoreDetection([s], [detections[k]], { ...base, threshold: 'given', level });
      if (figures.threshold && headline && headline.threshold.source !== 'own') figures.threshold = { ...figures.threshold, objective: `the corpus level of the ${headline.threshold.source} source` };
      delete figures.eventDetails;
      perSeries[s.id] = { ...(figures as Omit<DetectionMetrics, 'eventDetails'>), thresholdFree: freePerSeries[s.id] };
    });
    const unjudgedSeries = detections.filter((d) => d.scores.every((x) => Number.isNaN(x))).length;
    metrics.detectors[detector] = { spec: detector, unjudgedSeries, overall, thresholdFree, series: perSeries };
  }
  const parquet: string[] = [];
  await publishDir(
    opts.out,
    async (stage) => {
      writeFileAtomic(join(stage, 'metrics.json'), JSON.stringify(metrics, jsonReplacer, 2) + '\n');
      if (opts.parquet) parquet.push(...writeMetricsParquet(metrics.detectors, stage).map((f) => join(opts.out, basename(f))));
    },
    output,
  );
  return { out: opts.out, metrics, parquet, skippedRows: badRows.skipped, badRowExamples: badRows.examples };
}

/**
 * `faultline detect`: detectors only, over the series of one or more data sets scored as one
 * corpus (series ids prefixed with the folder name when there are several). Writes alarms.csv
 * (every point's score and alarm) and metrics.json (detection figures overall under each threshold
 * source, and per series under the detector's own). The training split is the loader's: a
 * separate --train set, --train-until, the fault-free part before the first incident, or NAB's
 * first 15%. Training points are used for fitting and are not scored.
 */
import path from 'node:path';
import { AtomicFile, writeFileAtomic } from '../common/atomic-file.js';
import { BadRows, type BadRowPolicy } from '../common/bad-rows.js';
import { UsageError, warnNote } from '../common/errors.js';
import { checkOutputDir, publishDir } from '../common/output-dir.js';
import { Progress } from '../common/progress.js';
import { isoInstant, namesInstant } from '../common/instant.js';
import type { Series } from '../data/types.js';
import { namedSeries, noRowsToScore } from '../data/series-csv.js';
import { runDetector, trainBoundary } from '../detectors/evaluate.js';
import type { Detection } from '../detectors/types.js';
import { scoreDetection, thresholdFreeMetrics, trainingHasLabels, type DetectionMetrics, type ScoreOptions, type ThresholdFreeMetrics } from '../scores/detection/evaluate.js';
import { evaluate } from './evaluate.js';
import { loadSource, parseTrainUntil, type SourceSpec, type Telemetry } from './load.js';
import { closeMethods, resolveMethods } from './methods.js';
import { writeAlarmsParquet, writeMetricsParquet } from '../reports/results-parquet.js';

export interface DetectOptions {
  /** Data sets scored as one corpus (generated, imported, or a series folder via `series`). */
  sources: SourceSpec[];
  /** Detector specs (registry names with options, module paths, cmd: or .json plugins); `all` = every built-in. */
  detectors: string[];
  out: string;
  force?: boolean;
  /** Point-adjustment delay in points (default 7). */
  delay?: number;
  /** End of training: ISO 8601 or an offset from the data's start such as 2h. */
  trainUntil?: string;
  onBadRow?: BadRowPolicy;
  /** Per-call time limit of an external plugin, ms. */
  pluginTimeoutMs?: number;
  progress?: boolean;
  /** Also write alarms.parquet, metrics.parquet and series-metrics.parquet. */
  parquet?: boolean;
}

/** Figures per threshold source; train-labels only when the training data holds labels. */
type PerSource = { own: DetectionMetrics; train: DetectionMetrics; oracle: DetectionMetrics; 'train-labels'?: DetectionMetrics };
type SeriesFigures = Omit<DetectionMetrics, 'eventDetails'> & { thresholdFree: ThresholdFreeMetrics['perSeries'][string] };

export interface MetricsFile {
  tool: 'faultline detect';
  input: { read: Telemetry['read'][]; layout: string; seriesCount: number; points: number };
  training: string;
  /** Repairs made while reading the input (e.g. repeated timestamps). */
  notes: string[];
  delay: number;
  detectors: Record<string, { spec: string; unjudgedSeries: number; error?: string; overall: PerSource; thresholdFree: Omit<ThresholdFreeMetrics, 'perSeries'>; series: Record<string, SeriesFigures> }>;
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function writeAlarms(file: AtomicFile, detector: string, series: Series[], detections: Detection[]): void {
  const det = csvField(detector);
  series.forEach((s, k) => {
    const id = csvField(s.id);
    const d = detections[k]!;
    let chunk = '';
    for (let i = 0; i < s.timestamps.length; i++) {
      const score = d.scores[i]!;
      chunk += `${id},${isoInstant(s.timestamps[i]!)},${Number.isNaN(score) ? '' : score},${d.alarms[i]},${det}\n`;
      if (chunk.length > 1 << 16) {
        file.write(Buffer.from(chunk));
        chunk = '';
      }
    }
    if (chunk) file.write(Buffer.from(chunk));
  });
}

/** NaN and infinities become null: JSON has no spelling for them. */
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

/** Several data sets as one corpus: series ids prefixed with their folder's name. */
function corpus(sets: Telemetry[]): Telemetry {
  if (sets.length === 1) return sets[0]!;
  const names = sets.map((t) => t.name);
  if (new Set(names).size !== names.length) throw new UsageError(`data sets must have distinct folder names (series ids are prefixed with them): ${names.join(', ')}`);
  const prefix = (t: Telemetry, s: Series): Series => ({ ...s, id: `${t.name}/${s.id}` });
  const trainUntil: Record<string, number> = {};
  const windows: Record<string, Array<[number, number]>> = {};
  for (const t of sets) {
    for (const s of t.series) {
      const until = typeof t.trainUntil === 'number' ? t.trainUntil : t.trainUntil?.[s.id];
      if (until !== undefined) trainUntil[`${t.name}/${s.id}`] = until;
      const w = t.windows?.[s.id];
      if (w) windows[`${t.name}/${s.id}`] = w;
    }
  }
  const first = sets[0]!;
  return {
    ...first,
    name: 'corpus',
    series: sets.flatMap((t) => t.series.map((s) => prefix(t, s))),
    ...(sets.every((t) => t.train) ? { train: sets.flatMap((t) => t.train!.map((s) => prefix(t, s))) } : {}),
    ...(Object.keys(trainUntil).length ? { trainUntil } : {}),
    ...(Object.keys(windows).length ? { windows } : {}),
    training: [...new Set(sets.map((t) => t.training))].join('; '),
    layout: [...new Set(sets.map((t) => t.layout))].join('+'),
    notes: sets.flatMap((t) => t.notes),
    incidents: sets.flatMap((t) => t.incidents),
  };
}

/**
 * Refuses a run that would score no point (figures of nothing read as a result): the series hold
 * no rows, or the training split takes every point. Warns of series the split takes whole while
 * others are scored: they count for nothing in the figures.
 */
function checkScored(input: Telemetry, scoreFrom: Record<string, number> | undefined, opts: DetectOptions, skipped: number): void {
  const where = opts.sources.map((s) => s.in ?? s.series?.join(', ')).join(', ');
  const unscored: string[] = [];
  let last = -Infinity;
  for (const s of input.series) {
    const n = s.timestamps.length;
    if (!n) continue;
    last = Math.max(last, s.timestamps[n - 1]!);
    if (s.timestamps[n - 1]! < (scoreFrom?.[s.id] ?? -Infinity)) unscored.push(s.id);
  }
  if (last === -Infinity) throw noRowsToScore(where, input.series, skipped);
  const scored = input.series.filter((s) => s.timestamps.length).length - unscored.length;
  if (scored > 0) {
    if (unscored.length) {
      warnNote(input.notes, `${where}: ${unscored.length} of ${input.series.length} series have no points to score (${namedSeries(unscored)}): ${input.training}`);
    }
    return;
  }
  const lastPoint = isoInstant(last);
  if (opts.trainUntil !== undefined) {
    // An offset is shown as the time it names (a corpus has one such time per data set).
    const at = typeof input.trainUntil === 'number' && !namesInstant(opts.trainUntil) ? ` (${isoInstant(input.trainUntil)})` : '';
    throw new UsageError(`${where}: no points to score: --train-until ${opts.trainUntil}${at} is after the last point (${lastPoint}), so training takes every point`);
  }
  throw new UsageError(`${where}: no points to score: ${input.training}, and the last point is at ${lastPoint}`);
}

export async function detect(opts: DetectOptions): Promise<{ out: string; metrics: MetricsFile; parquet: string[]; skippedRows: number; badRowExamples: string[] }> {
  const inputs = opts.sources.flatMap((s) => [s.in, ...(s.series ?? []), s.train]);
  checkOutputDir(opts.out, { command: 'detect', force: opts.force ?? false, inputs });
  if (opts.detectors.length === 0) throw new UsageError('name at least one detector (--detectors)');
  if (opts.sources.length === 0) throw new UsageError('give a data set (--in) or series (--series)');
  // Checked before any data is read; the offset's origin, the data's start, is known only then.
  if (opts.trainUntil !== undefined) parseTrainUntil(opts.trainUntil, 0);
  const methods = await resolveMethods({ detectors: opts.detectors, ...(opts.pluginTimeoutMs !== undefined ? { pluginTimeoutMs: opts.pluginTimeoutMs } : {}) });
  const progress = new Progress('faultline detect', opts.progress === undefined ? {} : { enabled: opts.progress });
  await progress.start(0);
  try {
    const badRows = new BadRows(opts.onBadRow ?? 'reject');
    const sets: Telemetry[] = [];
    for (const source of opts.sources) {
      const t = await loadSource(source, { need: new Set(['kpis']), badRows, ...(opts.trainUntil !== undefined ? { trainUntil: opts.trainUntil } : {}) });
      if (!t.series.length) throw new UsageError(`${source.in ?? source.series?.join(', ')}: no series to watch`);
      sets.push(t);
    }
    const input = corpus(sets);
    progress.note(`read ${input.series.length} series`);
    const scoreFrom = input.train ? undefined : Object.fromEntries(input.series.map((s) => [s.id, trainBoundary(s, input.trainUntil)]));
    checkScored(input, scoreFrom, opts, badRows.skipped);
    const delay = opts.delay ?? 7;
    const { item, detections } = await evaluate(input, methods, { key: 'detect', scenario: 'detect' }, { delay, onMethod: (_, m) => progress.note(`${m} done`) });
    const metrics: MetricsFile = {
      tool: 'faultline detect',
      input: { read: sets.map((t) => t.read), layout: input.layout, seriesCount: input.series.length, points: input.series.reduce((a, s) => a + s.timestamps.length, 0) },
      training: input.training,
      notes: input.notes,
      delay,
      detectors: {},
    };
    for (const [k, method] of methods.detectors.entries()) {
      const det = detections.get(method.name)!;
      const base: ScoreOptions = { delay, ...(scoreFrom ? { scoreFrom } : {}), ...(input.windows ? { windows: input.windows } : {}) };
      const trainScore: ScoreOptions = { ...base };
      if (input.train) {
        // In-sample detections on the training set, for the 'train' and 'train-labels' threshold sources.
        trainScore.train = { series: input.train, detections: await runDetector(method, input.train, { train: input.train }) };
      }
      const overall: PerSource = {
        own: scoreDetection(input.series, det, { ...base, threshold: 'own' }),
        train: scoreDetection(input.series, det, { ...trainScore, threshold: 'train' }),
        oracle: scoreDetection(input.series, det, { ...base, threshold: 'oracle' }),
      };
      if (trainingHasLabels(input.series, trainScore)) overall['train-labels'] = scoreDetection(input.series, det, { ...trainScore, threshold: 'train-labels' });
      const { perSeries: freePerSeries, ...thresholdFree } = thresholdFreeMetrics(input.series, det, base);
      const perSeries: Record<string, SeriesFigures> = {};
      input.series.forEach((s, i) => {
        const figures: Partial<DetectionMetrics> = scoreDetection([s], [det[i]!], { ...base, threshold: 'own' });
        delete figures.eventDetails; // listed once, under overall
        perSeries[s.id] = { ...(figures as Omit<DetectionMetrics, 'eventDetails'>), thresholdFree: freePerSeries[s.id] };
      });
      // Series on which the detector gave no score at all (e.g. binomial on a series without volume).
      const unjudgedSeries = det.filter((d) => d.scores.every((x) => Number.isNaN(x))).length;
      const error = item.detectors[k]!.error;
      metrics.detectors[method.name] = { spec: method.spec, unjudgedSeries, ...(error !== undefined ? { error } : {}), overall, thresholdFree, series: perSeries };
    }
    const parquet: string[] = [];
    await publishDir(
      opts.out,
      async (stage) => {
        const alarms = AtomicFile.open(path.join(stage, 'alarms.csv'));
        try {
          alarms.write(Buffer.from('series,timestamp,score,alarm,detector\n'));
          for (const method of methods.detectors) writeAlarms(alarms, method.name, input.series, detections.get(method.name)!);
          alarms.commit();
        } catch (err) {
          alarms.abort();
          throw err;
        }
        writeFileAtomic(path.join(stage, 'metrics.json'), JSON.stringify(metrics, jsonReplacer, 2) + '\n');
        if (opts.parquet) {
          const written = [
            await writeAlarmsParquet(stage, input.series, methods.detectors.map((m) => ({ detector: m.name, detections: detections.get(m.name)! }))),
            ...writeMetricsParquet(metrics.detectors, stage),
          ];
          parquet.push(...written.map((f) => path.join(opts.out, path.basename(f))));
        }
      },
      { command: 'detect', force: opts.force ?? false, inputs },
    );
    return { out: opts.out, metrics, parquet, skippedRows: badRows.skipped, badRowExamples: badRows.examples };
  } finally {
    progress.stop();
    await closeMethods(methods);
  }
}


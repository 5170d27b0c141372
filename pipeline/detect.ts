/**
 * `faultline detect`: run detectors over simulated KPIs (--data) or real series (--series, with an
 * optional --train set), write alarms.csv and metrics.json (each under a temporary name, then
 * renamed). Training split, unless a separate training set is given:
 *   --data    the fault-free prefix, before the first fault starts (or --train-until);
 *   --series  the first 15% of each series (NAB's probationary period).
 * Training points are used for fitting and are not scored (NAB's probation rule applies on top).
 */
import { basename, join, resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { readKpis, readTruth } from '../sim/read.js';
import { parseInstantOrOffset } from '../common/instant.js';
import { AtomicFile, writeFileAtomic } from '../common/atomic-file.js';
import type { Detection, Detector } from '../detectors/types.js';
import type { Resolved } from '../common/plugin.js';
import type { Series } from '../data/types.js';
import { resolveDetector } from '../detectors/registry.js';
import { seriesFromKpis, faultFreeUntil } from '../data/kpi-series.js';
import { readSeriesDir } from '../data/series-csv.js';
import { runDetector, trainBoundary } from '../detectors/evaluate.js';
import { scoreDetection, thresholdFreeMetrics, trainingHasLabels, type DetectionMetrics, type ScoreOptions, type ThresholdFreeMetrics } from '../scores/detection/evaluate.js';

export interface DetectOptions {
  /**
   * Generated data set folder(s) (kpis.arrow + truth.json). Several are scored together as one
   * corpus (series ids prefixed with the folder name), e.g. a whole fault suite.
   */
  data?: string | string[];
  /** A folder of series CSVs, or the NAB layout. */
  series?: string;
  /** A folder of same-named training CSVs (fitting only). */
  train?: string;
  /** Detector specs (registry names with options, module paths, cmd: or .json plugins). */
  detectors: string[];
  out: string;
  /** Point-adjustment delay in points (default 7). */
  delay?: number;
  /** --data only: end of training, ISO 8601 or an offset from the run's start such as 2h. */
  trainUntil?: string;
}

/** Figures per threshold source; train-labels only when the training data holds labels. */
type PerSource = { own: DetectionMetrics; train: DetectionMetrics; oracle: DetectionMetrics; 'train-labels'?: DetectionMetrics };
type SeriesFigures = Omit<DetectionMetrics, 'eventDetails'> & { thresholdFree: ThresholdFreeMetrics['perSeries'][string] };

export interface MetricsFile {
  tool: 'faultline detect';
  input: { data?: string | string[]; series?: string; train?: string; layout: string; seriesCount: number; points: number };
  training: string;
  /** Repairs made while reading the input (e.g. repeated timestamps). */
  notes: string[];
  delay: number;
  detectors: Record<string, { spec: string; unjudgedSeries: number; overall: PerSource; thresholdFree: Omit<ThresholdFreeMetrics, 'perSeries'>; series: Record<string, SeriesFigures> }>;
}

interface Loaded {
  series: Series[];
  train?: Series[];
  layout: string;
  training: string;
  notes: string[];
  scoreFrom?: Record<string, number>;
  windows?: Record<string, Array<[number, number]>>;
}

async function load(opts: DetectOptions): Promise<Loaded> {
  if (!!opts.data === !!opts.series) throw new Error('give exactly one of --data <generated dir> or --series <dir>');
  if (opts.data) {
    if (opts.train) throw new Error('--train goes with --series; with --data the training part is the fault-free prefix (see --train-until)');
    const dirs = Array.isArray(opts.data) ? opts.data : [opts.data];
    const names = dirs.map((d) => basename(resolve(d)));
    if (new Set(names).size !== names.length) throw new Error(`--data folders must have distinct names (series ids are prefixed with them): ${names.join(', ')}`);
    const series: Series[] = [];
    const scoreFrom: Record<string, number> = {};
    const splits: string[] = [];
    for (const [k, dir] of dirs.entries()) {
      const truth = await readTruth(dir);
      const own = seriesFromKpis(await readKpis(join(dir, 'kpis.arrow')), truth);
      const until = opts.trainUntil !== undefined ? parseInstantOrOffset(opts.trainUntil, truth.start) : faultFreeUntil(truth);
      if (until !== undefined && until <= truth.start) {
        throw new Error(`${dir}: no fault-free prefix to train on (first fault at ${new Date(until).toISOString()}, the run's start); pass --train-until`);
      }
      for (const s of own) {
        if (dirs.length > 1) s.id = `${names[k]}/${s.id}`;
        scoreFrom[s.id] = until ?? trainBoundary(s);
        series.push(s);
      }
      splits.push(until !== undefined ? new Date(until).toISOString() : 'first 15% (no faults)');
    }
    const how = opts.trainUntil !== undefined ? '--train-until' : "each run's fault-free prefix, before its first fault";
    const ends = [...new Set(splits)].join(', ');
    const training = `fitted on points before ${ends} (${how}; a run without faults: its first 15%); scored from there`;
    return { series, layout: 'generated', training, notes: [], scoreFrom };
  }
  const set = await readSeriesDir(opts.series!);
  const loaded: Loaded = { series: set.series, layout: set.layout, training: '', notes: set.notes, ...(set.windows ? { windows: set.windows } : {}) };
  if (opts.train) {
    const train = await readSeriesDir(opts.train);
    loaded.train = train.series;
    loaded.notes.push(...train.notes);
    loaded.training = `fitted on same-named series in ${opts.train}; every point of --series scored`;
  } else {
    loaded.scoreFrom = Object.fromEntries(set.series.map((s) => [s.id, trainBoundary(s)]));
    loaded.training = 'fitted on the first 15% of each series (NAB probationary period); scored after it';
  }
  return loaded;
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function writeAlarms(file: AtomicFile, detector: string, series: Series[], detections: Detection[]): void {
  const det = csvField(detector);
  series.forEach((s, k) => {
    const id = csvField(s.id);
    const d = detections[k];
    let chunk = '';
    for (let i = 0; i < s.timestamps.length; i++) {
      const score = d.scores[i];
      chunk += `${id},${new Date(s.timestamps[i]).toISOString()},${Number.isNaN(score) ? '' : score},${d.alarms[i]},${det}\n`;
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

export async function detect(opts: DetectOptions): Promise<{ out: string; metrics: MetricsFile }> {
  if (opts.detectors.length === 0) throw new Error('name at least one detector (--detector)');
  const factories: Array<{ spec: string; factory: Resolved<Detector> }> = [];
  for (const spec of opts.detectors) factories.push({ spec, factory: await resolveDetector(spec) });
  const input = await load(opts);
  await mkdir(opts.out, { recursive: true });
  const delay = opts.delay ?? 7;
  const metrics: MetricsFile = {
    tool: 'faultline detect',
    input: {
      ...(opts.data ? { data: opts.data } : {}),
      ...(opts.series ? { series: opts.series } : {}),
      ...(opts.train ? { train: opts.train } : {}),
      layout: input.layout,
      seriesCount: input.series.length,
      points: input.series.reduce((a, s) => a + s.timestamps.length, 0),
    },
    training: input.training,
    notes: input.notes,
    delay,
    detectors: {},
  };
  const alarms = AtomicFile.open(join(opts.out, 'alarms.csv'));
  try {
    alarms.write(Buffer.from('series,timestamp,score,alarm,detector\n'));
    for (const { spec, factory } of factories) {
      const detections = await runDetector(factory, input.series, input.train ? { train: input.train } : { trainUntil: input.scoreFrom });
      writeAlarms(alarms, factory.name, input.series, detections);
      const base: ScoreOptions = {
        delay,
        ...(input.scoreFrom ? { scoreFrom: input.scoreFrom } : {}),
        ...(input.windows ? { windows: input.windows } : {}),
      };
      const trainScore: ScoreOptions = { ...base };
      if (input.train) {
        // In-sample detections on the training set, for the 'train' and 'train-labels' threshold sources.
        const trainDetections = await runDetector(factory, input.train, { train: input.train });
        trainScore.train = { series: input.train, detections: trainDetections };
      }
      const overall: PerSource = {
        own: scoreDetection(input.series, detections, { ...base, threshold: 'own' }),
        train: scoreDetection(input.series, detections, { ...trainScore, threshold: 'train' }),
        oracle: scoreDetection(input.series, detections, { ...base, threshold: 'oracle' }),
      };
      if (trainingHasLabels(input.series, trainScore)) overall['train-labels'] = scoreDetection(input.series, detections, { ...trainScore, threshold: 'train-labels' });
      const { perSeries: freePerSeries, ...thresholdFree } = thresholdFreeMetrics(input.series, detections, base);
      const perSeries: Record<string, SeriesFigures> = {};
      input.series.forEach((s, k) => {
        const figures: Partial<DetectionMetrics> = scoreDetection([s], [detections[k]], { ...base, threshold: 'own' });
        delete figures.eventDetails; // listed once, under overall
        perSeries[s.id] = { ...(figures as Omit<DetectionMetrics, 'eventDetails'>), thresholdFree: freePerSeries[s.id] };
      });
      // Series on which the detector gave no score at all (e.g. binomial on a series without volume).
      const unjudgedSeries = detections.filter((d) => d.scores.every((x) => Number.isNaN(x))).length;
      metrics.detectors[factory.name] = { spec, unjudgedSeries, overall, thresholdFree, series: perSeries };
    }
    alarms.commit();
  } catch (err) {
    alarms.abort();
    throw err;
  }
  writeFileAtomic(join(opts.out, 'metrics.json'), JSON.stringify(metrics, jsonReplacer, 2) + '\n');
  return { out: opts.out, metrics };
}

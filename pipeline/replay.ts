/**
 * `faultline replay`: an imported (or anonymised) incident set through the chosen detectors and
 * RCA algorithms, reported exactly as `faultline run` reports (report.html, summary.json,
 * junit.xml, and the --min-ac1 gate), through reports' evaluateItem and writeReport.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { listDetectors } from '../detectors/registry.js';
import { listRcaAlgorithms } from '../rca/registry.js';
import { incidentsFromTruth } from '../data/incidents.js';
import { buildSpans } from '../trees/index.js';
import { emptySpanTable } from '../data/span-table.js';
import type { KpiFrame } from '../data/types.js';
import type { Truth } from '../sim/formats.js';
import { readTruth } from '../sim/read.js';
import { evaluateItem, type EvaluationInput } from './evaluate-item.js';
import { publishDir } from '../common/output-dir.js';
import { loadSuite } from './suite.js';
import type { ItemResult } from '../reports/types.js';
import { writeReport } from '../reports/write.js';
import type { Summary } from '../reports/summary-schema.js';
import type { Series } from '../data/types.js';
import { BadRows, type BadRowPolicy } from '../common/bad-rows.js';
import { kpiFrameFromSeries, loadIncidents, loadKpiSeries, loadSpans } from '../data/inputs.js';
import { assertOutputHoldsNoInput } from '../common/output-guard.js';
import { writeResultsParquet } from '../reports/results-parquet.js';

export interface ReplayOptions {
  /** An imported or anonymised data set folder (see README: replay); parts given below override it. */
  in?: string;
  /** Span files or folders (span CSV, Jaeger, OTLP JSON). */
  spans?: string[];
  /** A messages.arrow to build transaction trees from (when no spans are given). */
  messages?: string;
  baseline?: string[];
  /** KPI long CSVs, per-series folders, NAB folders, or one kpis.arrow. */
  kpis?: string[];
  /** Incidents JSON, CSV or a Nezha fault list. */
  incidents?: string;
  out: string;
  /** Detector specs (registry names, module paths, subprocess commands); `all` = every built-in. Default: the ci suite's. */
  detectors?: string[];
  /** RCA algorithm specs; `all` = every built-in. Default: the ci suite's. */
  rca?: string[];
  minAc1?: number;
  /** Also write the result tables as Parquet (rca-candidates.parquet, detectors.parquet). */
  parquet?: boolean;
  /** Span CSV mapping for spans in someone else's column names (as `faultline rca`). */
  columns?: Record<string, string>;
  serviceFromInstance?: string;
  onBadRow?: BadRowPolicy;
  title?: string;
}

/** The inputs a replay read, as paths (for the caller to print). */
export interface ReplaySources {
  spans?: string[];
  messages?: string;
  baseline?: string[];
  kpis?: string[];
  incidents?: string;
  truth?: string;
}

type SourceOptions = Pick<ReplayOptions, 'in' | 'spans' | 'messages' | 'baseline' | 'kpis' | 'incidents'>;

/** Explicit parts first, then what the `in` folder holds under faultline's names. */
function resolveSources(opts: SourceOptions): ReplaySources {
  const src: ReplaySources = {};
  if (opts.spans?.length) src.spans = opts.spans;
  if (opts.messages) src.messages = opts.messages;
  if (opts.baseline?.length) src.baseline = opts.baseline;
  if (opts.kpis?.length) src.kpis = opts.kpis;
  if (opts.incidents) src.incidents = opts.incidents;
  const dir = opts.in;
  if (dir !== undefined) {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: not a folder`);
    const at = (name: string) => (fs.existsSync(path.join(dir, name)) ? path.join(dir, name) : undefined);
    if (!src.spans && !src.messages) {
      const spans = at('spans');
      if (spans) src.spans = [spans];
      else if (at('messages.arrow')) src.messages = at('messages.arrow');
    }
    if (!src.baseline && at('baseline')) src.baseline = [at('baseline')!];
    const kpis = at('kpis') ?? at('kpis.csv') ?? at('kpis.arrow');
    if (!src.kpis && kpis) src.kpis = [kpis];
    if (at('truth.json')) src.truth = at('truth.json');
    if (!src.incidents) src.incidents = at('incidents.json') ?? at('incidents.csv');
  }
  if (!src.spans && !src.messages && !src.kpis) {
    throw new Error(`nothing to replay: ${dir ? `${dir} holds no spans/, messages.arrow, kpis/, kpis.csv or kpis.arrow, and ` : ''}no --spans, --messages or --kpis given`);
  }
  return src;
}

/** Read the replay's inputs into the evaluation pipeline's input. */
export async function loadReplayInput(
  opts: SourceOptions & Pick<ReplayOptions, 'columns' | 'serviceFromInstance' | 'onBadRow'>,
): Promise<{ input: EvaluationInput; sources: ReplaySources; badRows: BadRows }> {
  const sources = resolveSources(opts);
  const badRows = new BadRows(opts.onBadRow ?? 'reject');
  const spanOpts = { badRows, ...(opts.columns ? { columns: opts.columns } : {}), ...(opts.serviceFromInstance ? { serviceFromInstance: opts.serviceFromInstance } : {}) };
  const timings: Record<string, number> = {};

  let t0 = performance.now();
  const spans = sources.spans ? await loadSpans(sources.spans, spanOpts) : sources.messages ? await buildSpans(sources.messages) : emptySpanTable();
  const baseline = sources.baseline ? await loadSpans(sources.baseline, spanOpts) : undefined;
  timings.spans = performance.now() - t0;

  t0 = performance.now();
  const truth: Truth | undefined = sources.truth ? await readTruth(path.dirname(sources.truth)) : undefined;
  let series: Series[] = [];
  let kpis: KpiFrame | undefined;
  if (sources.kpis) {
    // kpis.arrow beside a truth.json is labelled from it, exactly as `faultline run` labels it.
    series = await loadKpiSeries(sources.kpis, badRows);
    kpis = kpiFrameFromSeries(series);
  }
  timings.series = performance.now() - t0;

  const incidents = sources.incidents
    ? await loadIncidents(sources.incidents, badRows, opts.serviceFromInstance)
    : truth
      ? incidentsFromTruth(truth)
      : [];
  const name = opts.in ? path.basename(path.resolve(opts.in)) : 'data';
  // Detectors fit on the points before the first incident (evaluateItem's default), as in `run`.
  const input: EvaluationInput = {
    key: `replay:${name}`,
    scenario: `replay:${name}`,
    spans,
    incidents,
    series,
    timings,
    ...(baseline ? { baseline } : {}),
    ...(kpis && kpis.series.size ? { kpis } : {}),
    ...(truth && !sources.incidents ? { faults: truth.faults } : {}),
  };
  return { input, sources, badRows };
}

/** Built-in RCA algorithms that rank from KPIs alone: `all` leaves them out when there are none. */
const KPI_ONLY_RCA = new Set(['kpi-first']);

function expand(specs: string[], all: () => { name: string }[], skip: (name: string) => boolean = () => false): string[] {
  return [...new Set(specs.flatMap((s) => (s === 'all' ? all().map((f) => f.name).filter((n) => !skip(n)) : [s])))];
}

export async function replay(opts: ReplayOptions): Promise<{ summary: Summary; gatePassed: boolean; out: string; item: ItemResult; sources: ReplaySources; badRowExamples: string[]; skippedRows: number }> {
  assertOutputHoldsNoInput(opts.out, [opts.in, ...(opts.spans ?? []), opts.messages, ...(opts.baseline ?? []), ...(opts.kpis ?? []), opts.incidents]);
  const suite = loadSuite();
  const { input, sources, badRows } = await loadReplayInput(opts);
  const detectors = expand(opts.detectors ?? suite.detectors, listDetectors);
  const rca = expand(opts.rca ?? suite.rca, listRcaAlgorithms, (name) => !input.kpis && KPI_ONLY_RCA.has(name));
  const item = await evaluateItem(input, { detectors, rca });
  const minAc1 = opts.minAc1;
  return publishDir(opts.out, async (tmp) => {
    const { summary, gatePassed } = await writeReport([item], tmp, {
      title: opts.title ?? `faultline replay${opts.in ? `: ${path.basename(path.resolve(opts.in))}` : ''}`,
      ...(minAc1 !== undefined ? { minAc1 } : {}),
    });
    if (opts.parquet) writeResultsParquet(item, tmp);
    return { summary, gatePassed, out: opts.out, item, sources, badRowExamples: badRows.examples, skippedRows: badRows.skipped };
  });
}

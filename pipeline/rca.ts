/**
 * `faultline rca`: RCA methods only, over one data set's incidents (trees built from its message
 * log, or replayed spans). Writes ranking.json (every incident's ranked candidates; byte-identical
 * for the same inputs) and metrics.json (AC@k, Avg@5, MRR, PR@k overall and by type, the measured
 * mean compute time per incident, and the notes of reading the inputs).
 */
import path from 'node:path';
import { BadRows, type BadRowPolicy } from '../common/bad-rows.js';
import { writeFileAtomic } from '../common/atomic-file.js';
import { checkOutputDir, publishDir } from '../common/output-dir.js';
import { Progress } from '../common/progress.js';
import { UsageError } from '../common/errors.js';
import type { IncidentRanking } from '../rca/evaluate.js';
import { scoreRankings, type RcaMetrics } from '../scores/rca.js';
import { judgeGate, parseAcGate, type AcGate, type GateResult } from '../scores/gate.js';
import type { TreeStats } from '../trees/calls.js';
import { evaluate } from './evaluate.js';
import { availableInputs, inputMapping, loadSource, noteUnscoredIncidents, type InputMapping, type SourceSpec } from './load.js';
import { checkInputs, closeMethods, inputsRead, resolveMethods } from './methods.js';
import { writeItemsParquet } from '../reports/results-parquet.js';

export interface RcaOptions extends SourceSpec, InputMapping {
  /** RCA method specs; `all` = every built-in the data can feed. */
  rca: string[];
  out: string;
  force?: boolean;
  onBadRow?: BadRowPolicy;
  /** Tree rules YAML and collection window (message logs). */
  rules?: string;
  windowMs?: number;
  minAc1?: AcGate | string | number;
  rcaTimeoutMs?: number;
  /** Per-call time limit of an external plugin, ms. */
  pluginTimeoutMs?: number;
  progress?: boolean;
  /** Also write rca-incidents.parquet and rca-candidates.parquet. */
  parquet?: boolean;
}

export interface MethodResult {
  name: string;
  rankings: IncidentRanking[];
  metrics: RcaMetrics & { computeMs: number };
  error?: string;
}

export interface RcaResult {
  results: MethodResult[];
  treeStats?: TreeStats;
  spans: number;
  baselineSpans: number;
  incidents: number;
  gate: GateResult;
  /** Per gated method below its bar: the incidents it missed at rank 1. */
  misses: { method: string; missed: { id: string; type?: string; rootCause: string[]; top?: string; rank: number }[] }[];
  files: { ranking: string; metrics: string; parquet: string[] };
  /** Malformed rows skipped (`onBadRow: 'skip'`) and the first reasons, which quote the input. */
  skippedRows: number;
  badRowExamples: string[];
}

export const RANKING_FILE = 'ranking.json';
export const METRICS_FILE = 'metrics.json';

const json = (x: unknown) => JSON.stringify(x, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1) + '\n';

export async function rca(opts: RcaOptions): Promise<RcaResult> {
  const inputs = [opts.in, ...(opts.spans ?? []), opts.messages, ...(opts.baseline ?? []), ...(opts.series ?? []), opts.incidents, ...(opts.metrics ?? []), ...(opts.logs ?? []), ...(opts.baselineLogs ?? [])];
  checkOutputDir(opts.out, { command: 'rca', force: opts.force ?? false, inputs });
  if (!opts.rca.length) throw new UsageError('rca: name at least one RCA method (--rca)');
  const gate = typeof opts.minAc1 === 'object' ? opts.minAc1 : parseAcGate(opts.minAc1);
  const available = availableInputs(opts);
  const methods = await resolveMethods({ rca: opts.rca, ...(opts.pluginTimeoutMs !== undefined ? { pluginTimeoutMs: opts.pluginTimeoutMs } : {}) }, available);
  const progress = new Progress('faultline rca', opts.progress === undefined ? {} : { enabled: opts.progress });
  await progress.start(0);
  try {
    checkInputs(methods, available, opts.in ?? 'the data given');
    const badRows = new BadRows(opts.onBadRow ?? 'reject');
    const telemetry = await loadSource(opts, {
      need: inputsRead(methods),
      badRows,
      ...inputMapping(opts),
      ...(opts.rules ? { rules: opts.rules } : {}),
      ...(opts.windowMs !== undefined ? { windowMs: opts.windowMs } : {}),
    });
    if (!telemetry.incidents.length) throw new UsageError(`no incidents to explain: give --incidents (or a data set with truth.json or incidents.json)`);
    const given = telemetry.read.incidents ?? telemetry.read.truth ?? 'the incidents';
    if (telemetry.incidents.every((i) => i.rootCause.length === 0)) throw new UsageError(`${given}: no incident has a root cause (rootCause: [service...]): rca has nothing to score its rankings against`);
    noteUnscoredIncidents(telemetry);
    progress.note(`read ${telemetry.spans.length} spans and ${telemetry.incidents.length} incidents`);
    const name = opts.in ? path.basename(path.resolve(opts.in)) : 'data';
    const { item, rankings } = await evaluate(
      telemetry,
      methods,
      { key: name, scenario: name },
      { ...(opts.rcaTimeoutMs !== undefined ? { rcaTimeoutMs: opts.rcaTimeoutMs } : {}), onMethod: (_, m) => progress.note(`${m} done`) },
    );
    const results: MethodResult[] = item.rca.map((r) => {
      const ranked = rankings.get(r.name)!;
      const computeMs = ranked.reduce((s, x) => s + x.computeMs, 0) / Math.max(1, ranked.length);
      return { name: r.name, rankings: ranked, metrics: { ...scoreRankings(ranked), computeMs }, ...(r.error !== undefined ? { error: r.error } : {}) };
    });
    const judged = judgeGate(gate, new Map(results.map((r) => [r.name, Number.isFinite(r.metrics.ac1) ? r.metrics.ac1 : null])));
    const misses = judged.checked
      .filter((c) => !c.passed)
      .map((c) => ({
        method: c.method,
        missed: results
          .find((r) => r.name === c.method)!
          .rankings.filter((x) => x.rank !== 1 && x.incident.rootCause.length > 0)
          .map((x) => ({
            id: x.incident.id,
            ...(x.incident.type ? { type: x.incident.type } : {}),
            rootCause: x.incident.rootCause,
            ...(x.candidates[0] ? { top: x.candidates[0].service } : {}),
            rank: x.rank,
          })),
      }));
    const ranking = {
      algorithms: results.map((r) => ({
        name: r.name,
        ...(r.error !== undefined ? { error: r.error } : {}),
        incidents: r.rankings.map((x) => ({
          id: x.incident.id,
          type: x.incident.type,
          start: x.incident.start,
          end: x.incident.end,
          rootCause: x.incident.rootCause,
          rank: x.rank,
          candidates: x.candidates,
          ...(x.failure !== undefined ? { failure: x.failure } : {}),
        })),
      })),
    };
    const metrics = {
      source: telemetry.read,
      spans: telemetry.spans.length,
      baselineSpans: telemetry.baseline?.length ?? null,
      incidents: telemetry.incidents.length,
      notes: telemetry.notes,
      ...(telemetry.treeStats ? { trees: telemetry.treeStats } : {}),
      ...(gate !== undefined ? { gate: { minAc1: 'best' in gate ? gate.best : gate.methods, passed: judged.passed, message: judged.message } } : {}),
      algorithms: Object.fromEntries(results.map((r) => [r.name, r.metrics])),
    };
    const files = { ranking: path.join(opts.out, RANKING_FILE), metrics: path.join(opts.out, METRICS_FILE), parquet: [] as string[] };
    await publishDir(
      opts.out,
      async (stage) => {
        writeFileAtomic(path.join(stage, RANKING_FILE), JSON.stringify(ranking, null, 1) + '\n');
        writeFileAtomic(path.join(stage, METRICS_FILE), json(metrics));
        if (opts.parquet) files.parquet = writeItemsParquet([item], stage).map((f) => path.join(opts.out, path.basename(f)));
      },
      { command: 'rca', force: opts.force ?? false, inputs },
    );
    return {
      results,
      ...(telemetry.treeStats ? { treeStats: telemetry.treeStats } : {}),
      spans: telemetry.spans.length,
      baselineSpans: telemetry.baseline?.length ?? -1,
      incidents: telemetry.incidents.length,
      gate: judged,
      misses,
      files,
      skippedRows: badRows.skipped,
      badRowExamples: badRows.examples,
    };
  } finally {
    progress.stop();
    await closeMethods(methods);
  }
}

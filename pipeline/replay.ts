/**
 * `faultline replay`: one imported (or anonymised, or generated) data set through the chosen
 * detectors and RCA methods, reported exactly as `faultline run` reports a suite: report.html,
 * summary.json, summary.md, junit.xml, results.json (the item's raw results: `compare` pairs two
 * replays on it, `fidelity` and `merge` read it), and the --min-ac1 gate.
 */
import path from 'node:path';
import { BadRows, type BadRowPolicy } from '../common/bad-rows.js';
import { checkOutputDir, publishDir } from '../common/output-dir.js';
import { Progress } from '../common/progress.js';
import { loadSuite } from './suite.js';
import { RESULTS_SCHEMA_ID, RESULTS_VERSION, writeResultsFile } from '../reports/results-file.js';
import { methodFacts, runFacts } from '../reports/run-facts.js';
import type { Summary } from '../reports/summary-schema.js';
import { writeReport } from '../reports/write.js';
import type { ItemResult } from '../scores/item-result.js';
import { evaluate } from './evaluate.js';
import { parseAcGate, type AcGate } from '../scores/gate.js';
import { availableInputs, inputMapping, loadSource, noteUnscoredIncidents, type InputMapping, type SourceSpec, type Telemetry } from './load.js';
import { checkInputs, closeMethods, inputsRead, resolveMethods } from './methods.js';

export interface ReplayOptions extends SourceSpec, InputMapping {
  out: string;
  /** Write beside files in `out` that faultline did not write (they are kept). */
  force?: boolean;
  /** Detector specs; `all` = every built-in. Default: the ci suite's. */
  detectors?: string[];
  /** RCA method specs; `all` = every built-in the data can feed. Default: the ci suite's. */
  rca?: string[];
  minAc1?: AcGate | string | number;
  /** Per-incident time limit of an RCA method, ms. */
  rcaTimeoutMs?: number;
  /** Per-call time limit of an external plugin, ms. */
  pluginTimeoutMs?: number;
  /** Also write the result tables as Parquet (reports/results-parquet.ts). */
  parquet?: boolean;
  onBadRow?: BadRowPolicy;
  title?: string;
  progress?: boolean;
  /** The command line (the CLI's arguments), for the report's run facts. */
  commandLine?: readonly string[];
}

export interface ReplayResult {
  summary: Summary;
  gatePassed: boolean;
  out: string;
  item: ItemResult;
  read: Telemetry['read'];
  badRowExamples: string[];
  skippedRows: number;
}

export async function replay(opts: ReplayOptions): Promise<ReplayResult> {
  const inputs = [opts.in, ...(opts.spans ?? []), opts.messages, ...(opts.baseline ?? []), ...(opts.series ?? []), opts.train, opts.incidents, ...(opts.metrics ?? []), ...(opts.logs ?? []), ...(opts.baselineLogs ?? [])];
  checkOutputDir(opts.out, { command: 'replay', force: opts.force ?? false, inputs });
  const gate = typeof opts.minAc1 === 'object' ? opts.minAc1 : parseAcGate(opts.minAc1);
  const suite = loadSuite();
  const progress = new Progress('faultline replay', opts.progress === undefined ? {} : { enabled: opts.progress });
  await progress.start(0);
  const badRows = new BadRows(opts.onBadRow ?? 'reject');
  // What the data holds decides what `all` expands to, so resolve against the folder's inputs first.
  const available = availableInputs(opts);
  // The suite's default detectors apply where there are series to watch; named ones must find them.
  const detectors = opts.detectors ?? (available.has('kpis') ? suite.detectors : []);
  const methods = await resolveMethods({ detectors, rca: opts.rca ?? suite.rca, ...(opts.pluginTimeoutMs !== undefined ? { pluginTimeoutMs: opts.pluginTimeoutMs } : {}) }, available);
  try {
    checkInputs(methods, available, opts.in ?? 'the data given');
    const telemetry = await loadSource(opts, {
      need: inputsRead(methods),
      badRows,
      ...inputMapping(opts),
    });
    if (methods.rca.length) noteUnscoredIncidents(telemetry);
    progress.note(`read ${telemetry.spans.length} spans, ${telemetry.series.length} series, ${telemetry.incidents.length} incidents`);
    const name = opts.in ? path.basename(path.resolve(opts.in)) : 'data';
    const { item } = await evaluate(
      telemetry,
      methods,
      { key: `replay:${name}`, scenario: `replay:${name}` },
      { ...(opts.rcaTimeoutMs !== undefined ? { rcaTimeoutMs: opts.rcaTimeoutMs } : {}), onMethod: (kind, m) => progress.note(`${kind} ${m} done`) },
    );
    return await publishDir(
      opts.out,
      async (stage) => {
        const title = opts.title ?? `faultline replay${opts.in ? `: ${name}` : ''}`;
        const facts = runFacts({ ...(opts.commandLine ? { command: opts.commandLine } : {}), methods: methodFacts(methods) });
        const { summary, gatePassed } = await writeReport([item], stage, {
          title,
          ...(gate !== undefined ? { gate } : {}),
          facts,
          parquet: opts.parquet ?? false,
        });
        // The item's raw results, as a run writes them: `compare`, `fidelity` and `merge` read them.
        writeResultsFile(stage, {
          schema: RESULTS_SCHEMA_ID,
          version: RESULTS_VERSION,
          shard: null,
          config: {
            suite: null,
            title: summary.title,
            scenarios: [item.scenario],
            seeds: [],
            duration: null,
            trafficScale: null,
            detectors: item.detectors.map((d) => d.name),
            rca: item.rca.map((r) => r.name),
            mttr: suite.mttr,
            minAc1: summary.gate.minAc1,
            methods: facts.methods,
            sweep: [item.key],
          },
          items: [item],
        });
        return { summary, gatePassed, out: opts.out, item, read: telemetry.read, badRowExamples: badRows.examples, skippedRows: badRows.skipped };
      },
      { command: 'replay', force: opts.force ?? false, inputs },
    );
  } finally {
    progress.stop();
    await closeMethods(methods);
  }
}

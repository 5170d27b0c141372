/**
 * One simulated item of a run: write its scenario (the suite's scenario with the item's axis
 * values set) into a scratch folder, generate it, read it through the one loader, evaluate, and
 * delete the scratch data.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FaultlineError, warn } from '../common/errors.js';
import type { InputKind } from '../common/plugin.js';
import { DATA_SET_FILES } from '../sim/formats.js';
import { generate } from '../sim/generate.js';
import { loadScenario, ScenarioError } from '../sim/scenario.js';
import type { ScenarioFile } from '../sim/scenario-schema.js';
import type { ItemResult } from '../scores/item-result.js';
import { evaluate, type Methods } from './evaluate.js';
import { loadSource, type SourceSpec } from './load.js';
import { inputsRead } from './methods.js';
import type { SweepItem } from './sweep.js';

export interface ScenarioItemConfig {
  duration?: string | number;
  trafficScale?: number;
  rcaTimeoutMs?: number;
  /** Where items generate their data (under the run's output staging folder). */
  scratch: string;
}

/**
 * A generated data set read as a traced system's (`callsFrom: spans`): its exported spans, and its
 * exported log lines, whose span ids are those spans' (the native log names the bus's uniqueIds).
 */
export function tracedSource(data: string, need: ReadonlySet<InputKind>): SourceSpec {
  return { in: data, spans: [path.join(data, DATA_SET_FILES.spansCsv)], ...(need.has('logs') ? { logs: [path.join(data, DATA_SET_FILES.logsCsv)] } : {}) };
}

/**
 * `scenario` is the item's scenario as data (sweep.ts `itemScenario`); without it the item's
 * scenario name or file is generated as it is.
 */
export async function evaluateScenarioItem(item: SweepItem, methods: Methods, config: ScenarioItemConfig, scenario?: ScenarioFile): Promise<ItemResult> {
  const dir = path.join(config.scratch, `${item.generatorSeed}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir, { recursive: true });
  try {
    const t0 = performance.now();
    const data = path.join(dir, 'data');
    let source = item.scenario;
    if (scenario) {
      // JSON is YAML: the scenario loader reads it, and checks what the sweep's schema check cannot (targets exist).
      source = path.join(dir, 'scenario.yaml');
      await writeFile(source, JSON.stringify(scenario));
    }
    const need = inputsRead(methods);
    let traced = false;
    let warnings: string[] = [];
    try {
      // Loaded once here, for generate too: a twin's scenario takes tens of milliseconds to read.
      const loaded = loadScenario(source);
      // A system read through its tracing (a fitted twin): the methods read the spans it exports,
      // and its log lines as exported beside them, whose span ids are those spans'.
      traced = need.has('spans') && loaded.scenario.callsFrom === 'spans';
      ({ warnings } = await generate({
        scenario: loaded,
        seed: item.generatorSeed,
        out: data,
        ...(config.duration !== undefined ? { duration: config.duration } : {}),
        ...(config.trafficScale !== undefined ? { trafficScale: config.trafficScale } : {}),
        // Logs and metrics cost generation time: only when a method reads them.
        logs: need.has('logs'),
        metrics: need.has('metrics'),
        ...(traced ? { export: { spans: 'csv' as const, logsCsv: need.has('logs') } } : {}),
      }));
    } catch (err) {
      if (err instanceof ScenarioError && err.file === source) {
        const set = (item.settings ?? []).map((s) => `${s.field}=${JSON.stringify(s.value)}`).join(', ');
        throw new FaultlineError(`scenario ${item.scenario}${set ? ` with ${set}` : ''}: ${err.fieldPath || '(top level)'}: ${err.problem}`, { cause: err });
      }
      throw err;
    }
    const generated = performance.now() - t0;
    const telemetry = await loadSource(traced ? tracedSource(data, need) : { in: data }, { need });
    telemetry.timings = { generate: generated, ...telemetry.timings };
    // Said as `generate` says it (a fault outside the run is not injected), and kept with the item's results.
    for (const w of warnings) warn(`${item.key}: ${w}`);
    telemetry.notes.unshift(...warnings);
    const { item: result } = await evaluate(
      telemetry,
      methods,
      { key: item.key, scenario: item.scenario, seed: item.seed, generatorSeed: item.generatorSeed },
      config.rcaTimeoutMs !== undefined ? { rcaTimeoutMs: config.rcaTimeoutMs } : {},
    );
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

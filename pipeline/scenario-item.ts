/**
 * One simulated item of a run: generate the scenario into a scratch folder, read it through the
 * one loader, evaluate, and delete the scratch data.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { generate } from '../sim/generate.js';
import type { ItemResult } from '../scores/item-result.js';
import { evaluate, type Methods } from './evaluate.js';
import { loadSource } from './load.js';
import { inputsRead } from './methods.js';
import type { SweepItem } from './sweep.js';

export interface ScenarioItemConfig {
  duration?: string | number;
  trafficScale?: number;
  rcaTimeoutMs?: number;
  /** Where items generate their data (under the run's output staging folder). */
  scratch: string;
}

export async function evaluateScenarioItem(item: SweepItem, methods: Methods, config: ScenarioItemConfig): Promise<ItemResult> {
  const dir = path.join(config.scratch, `${item.generatorSeed}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir, { recursive: true });
  try {
    const t0 = performance.now();
    const data = path.join(dir, 'data');
    await generate({
      scenario: item.scenario,
      seed: item.generatorSeed,
      out: data,
      ...(config.duration !== undefined ? { duration: config.duration } : {}),
      ...(config.trafficScale !== undefined ? { trafficScale: config.trafficScale } : {}),
    });
    const generated = performance.now() - t0;
    const telemetry = await loadSource({ in: data }, { need: inputsRead(methods) });
    telemetry.timings = { generate: generated, ...telemetry.timings };
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

/** Piscina worker (compiled to dist/pipeline/worker.js): evaluates one simulated item per task. */
import { evaluateScenarioItem, type ScenarioItemConfig } from './scenario-item.js';
import type { Methods } from './evaluate.js';
import { resolveMethods, type MethodSpecs } from './methods.js';
import type { SweepItem } from './sweep.js';
import type { ItemResult } from '../scores/item-result.js';
import type { ScenarioFile } from '../sim/scenario-schema.js';

export interface WorkerTask {
  item: SweepItem;
  /** The item's scenario as data (its axis values set). */
  scenario: ScenarioFile;
  methods: MethodSpecs;
  config: ScenarioItemConfig;
}

// A worker resolves the run's methods once and keeps them for every item it is given.
let resolved: { key: string; methods: Promise<Methods> } | undefined;

export function methodsFor(specs: MethodSpecs): Promise<Methods> {
  const key = JSON.stringify(specs);
  if (resolved?.key !== key) resolved = { key, methods: resolveMethods(specs) };
  return resolved.methods;
}

export default function evaluate(task: WorkerTask): Promise<ItemResult> {
  return methodsFor(task.methods).then((methods) => evaluateScenarioItem(task.item, methods, task.config, task.scenario));
}

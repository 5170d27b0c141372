/** Piscina worker (compiled to dist/pipeline/worker.js): evaluates one simulated item per task. */
import { evaluateScenarioItem, type ScenarioItemConfig } from './scenario-item.js';
import type { Methods } from './evaluate.js';
import { resolveMethods, type MethodSpecs } from './methods.js';
import type { SweepItem } from './sweep.js';
import type { ItemResult } from '../scores/item-result.js';

export interface WorkerTask {
  item: SweepItem;
  methods: MethodSpecs;
  config: ScenarioItemConfig;
}

// A worker resolves the run's methods once and keeps them for every item it is given.
let resolved: { key: string; methods: Promise<Methods> } | undefined;

export default function evaluate(task: WorkerTask): Promise<ItemResult> {
  const key = JSON.stringify(task.methods);
  if (resolved?.key !== key) resolved = { key, methods: resolveMethods(task.methods) };
  return resolved.methods.then((methods) => evaluateScenarioItem(task.item, methods, task.config));
}

/** Piscina worker (compiled to dist/pipeline/worker.js): evaluates one simulated item per task. */
import { evaluateScenarioItem, type ScenarioItemConfig } from './scenario-item.js';
import type { SweepItem } from './sweep.js';
import type { ItemResult } from '../reports/types.js';

export interface WorkerTask {
  item: SweepItem;
  config: ScenarioItemConfig;
}

export default function evaluate(task: WorkerTask): Promise<ItemResult> {
  return evaluateScenarioItem(task.item, task.config);
}

/**
 * One simulated item of a run: generate the scenario into a scratch directory, turn its files into
 * the evaluation input (spans, KPI series, incidents), evaluate, and delete the scratch data.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { seriesFromKpis } from '../data/kpi-series.js';
import { generate } from '../sim/generate.js';
import { readKpis } from '../sim/read.js';
import { kpiFrameFromTable } from '../rca/evaluate.js';
import { incidentsFromTruth } from '../data/incidents.js';
import { buildSpans } from '../trees/index.js';
import { evaluateItem, type EvaluateOptions } from './evaluate-item.js';
import type { SweepItem } from './sweep.js';
import type { ItemResult } from '../reports/types.js';

export interface ScenarioItemConfig extends EvaluateOptions {
  duration?: string | number;
  trafficScale?: number;
}

export async function evaluateScenarioItem(item: SweepItem, config: ScenarioItemConfig): Promise<ItemResult> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'faultline-item-'));
  try {
    let t0 = performance.now();
    const { dir, truth } = await generate({
      scenario: item.scenario,
      seed: item.generatorSeed,
      out: path.join(scratch, 'data'),
      ...(config.duration !== undefined ? { duration: config.duration } : {}),
      ...(config.trafficScale !== undefined ? { trafficScale: config.trafficScale } : {}),
    });
    const timings: Record<string, number> = { generate: performance.now() - t0 };
    t0 = performance.now();
    const spans = await buildSpans(path.join(dir, 'messages.arrow'));
    timings.spans = performance.now() - t0;
    t0 = performance.now();
    const kpis = await readKpis(path.join(dir, 'kpis.arrow'));
    const series = seriesFromKpis(kpis, truth);
    timings.series = performance.now() - t0;
    return await evaluateItem(
      {
        key: item.key,
        scenario: item.scenario,
        seed: item.seed,
        generatorSeed: item.generatorSeed,
        spans,
        incidents: incidentsFromTruth(truth),
        series,
        kpis: kpiFrameFromTable(kpis),
        faults: truth.faults,
        start: truth.start,
        end: truth.end,
        timings,
      },
      config,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

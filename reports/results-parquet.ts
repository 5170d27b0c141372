/**
 * A replay's results as Parquet tables, for teams that query results in their own tools (DuckDB,
 * Spark, pandas): one row per (algorithm, incident, candidate) and one per detector.
 */
import path from 'node:path';
import * as arrow from 'apache-arrow';
import type { ItemResult } from '../scores/item-result.js';
import { writeParquetTable } from '../data/parquet.js';

export const RESULT_PARQUET_FILES = { rca: 'rca-candidates.parquet', detectors: 'detectors.parquet' } as const;

export function writeResultsParquet(item: ItemResult, dir: string): string[] {
  const rca = {
    algorithm: [] as string[],
    incident: [] as string[],
    type: [] as string[],
    start: [] as number[],
    end: [] as number[],
    rootCause: [] as string[],
    rankOfRootCause: [] as number[],
    computeMs: [] as number[],
    position: [] as number[],
    service: [] as string[],
    instance: [] as string[],
    faultType: [] as string[],
    score: [] as number[],
    explanation: [] as string[],
  };
  for (const algorithm of item.rca) {
    for (const inc of algorithm.incidents) {
      // An incident with no candidate still gets a row, so it is not lost from queries.
      const candidates = inc.candidates.length ? inc.candidates : [null];
      candidates.forEach((c, k) => {
        rca.algorithm.push(algorithm.name);
        rca.incident.push(inc.id);
        rca.type.push(inc.type);
        rca.start.push(inc.start);
        rca.end.push(inc.end);
        rca.rootCause.push(inc.rootCause.join(';'));
        rca.rankOfRootCause.push(inc.rank);
        rca.computeMs.push(inc.computeMs);
        rca.position.push(c ? k + 1 : 0);
        rca.service.push(c?.service ?? '');
        rca.instance.push(c?.instance ?? '');
        rca.faultType.push(c?.faultType ?? '');
        rca.score.push(c?.score ?? NaN);
        rca.explanation.push(c?.explanation ?? '');
      });
    }
  }
  const rcaTable = new arrow.Table({
    algorithm: arrow.vectorFromArray(rca.algorithm, new arrow.Utf8()),
    incident: arrow.vectorFromArray(rca.incident, new arrow.Utf8()),
    type: arrow.vectorFromArray(rca.type, new arrow.Utf8()),
    start: arrow.vectorFromArray(Float64Array.from(rca.start)),
    end: arrow.vectorFromArray(Float64Array.from(rca.end)),
    rootCause: arrow.vectorFromArray(rca.rootCause, new arrow.Utf8()),
    rankOfRootCause: arrow.vectorFromArray(Int32Array.from(rca.rankOfRootCause)),
    computeMs: arrow.vectorFromArray(Float64Array.from(rca.computeMs)),
    position: arrow.vectorFromArray(Int32Array.from(rca.position)),
    service: arrow.vectorFromArray(rca.service, new arrow.Utf8()),
    instance: arrow.vectorFromArray(rca.instance, new arrow.Utf8()),
    faultType: arrow.vectorFromArray(rca.faultType, new arrow.Utf8()),
    score: arrow.vectorFromArray(Float64Array.from(rca.score)),
    explanation: arrow.vectorFromArray(rca.explanation, new arrow.Utf8()),
  });
  const figures = item.detectors.map((d) => d.figures);
  const numeric = (key: keyof (typeof figures)[number]) =>
    arrow.vectorFromArray(Float64Array.from(figures, (f) => (f[key] === null ? NaN : (f[key] as number))));
  const detectorTable = new arrow.Table({
    detector: arrow.vectorFromArray(item.detectors.map((d) => d.name), new arrow.Utf8()),
    pointAdjustedF1: numeric('pointAdjustedF1'),
    precision: numeric('precision'),
    recall: numeric('recall'),
    pointF1: numeric('pointF1'),
    eventRecall: numeric('eventRecall'),
    rangePrecision: numeric('rangePrecision'),
    rangeRecall: numeric('rangeRecall'),
    meanTimeToDetectMs: numeric('meanTimeToDetectMs'),
    detectedEvents: numeric('detectedEvents'),
    events: numeric('events'),
    falseAlarmsPerDay: numeric('falseAlarmsPerDay'),
    nabStandard: numeric('nabStandard'),
    nabLowFP: numeric('nabLowFP'),
    nabLowFN: numeric('nabLowFN'),
    computeMs: arrow.vectorFromArray(Float64Array.from(item.detectors, (d) => d.computeMs)),
  });
  const files = [path.join(dir, RESULT_PARQUET_FILES.rca), path.join(dir, RESULT_PARQUET_FILES.detectors)];
  writeParquetTable(rcaTable, files[0]);
  writeParquetTable(detectorTable, files[1]);
  return files;
}

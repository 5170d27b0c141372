/**
 * Hand-built item results for testing the roll-up, the report and merge without running the
 * simulator. Values are chosen so that the expected figures can be worked out by hand.
 */
import { emptyLatencyHistogram } from '../../reports/latency.js';
import { THRESHOLD_FREE_FIGURES } from '../../scores/detection/evaluate.js';
import type { DetectorSeriesResults, ItemResult } from '../../scores/item-result.js';

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const MIN = 60_000;
export const HOSTILE = '<script>alert("x")</script>&\'';

function curve(series: string, faultId: string, faultStartMin: number) {
  const timestamps = Array.from({ length: 120 }, (_, i) => T0 + i * MIN);
  const values = timestamps.map((_, i) => (i >= faultStartMin && i < faultStartMin + 20 ? 400 : 100 + (i % 7)));
  return {
    series,
    faultIds: [faultId],
    timestamps,
    values,
    alarms: [
      { detector: 'ksigma', times: [timestamps[faultStartMin + 2]!], values: [400] },
      { detector: 'spot', times: [timestamps[faultStartMin + 5]!, timestamps[10]!], values: [400, 103] },
    ],
  };
}

/** Per-series results whose point-adjusted counts pool to the item's figures; one AUC value per series serves every threshold-free figure. */
function seriesOf(ids: string[], tp: number[], fp: number[], fn: number[], auc: (number | null)[]): DetectorSeriesResults {
  return { ids, tp, fp, fn, ...Object.fromEntries(THRESHOLD_FREE_FIGURES.map((f) => [f, auc])) } as DetectorSeriesResults;
}

/**
 * Item A: one database-slow fault at minute 40 (moved two series), ksigma alarms 3 min after
 * start, spot 6 min after; rca `alpha` ranks the cause 1st, `beta` 2nd.
 * Item B (hostile name): one bad-release at minute 60 (moved one series) and a no-impact fault;
 * ksigma never alarms, spot 1 minute after; alpha ranks the cause absent (0), beta 1st.
 */
export function sampleResults(): ItemResult[] {
  const latencyA = emptyLatencyHistogram();
  latencyA.normal[8] = 900;
  latencyA.normal[9] = 80;
  latencyA.fault[12] = 15;
  const latencyB = emptyLatencyHistogram();
  latencyB.normal[8] = 500;
  latencyB.fault[10] = 40;
  const figures = (f1: number, events: number, detected: number, auc: number | null) => ({
    pointAdjustedF1: f1,
    precision: f1,
    recall: f1,
    pointPrecision: f1 / 2,
    pointRecall: f1 / 2,
    pointF1: f1 / 2,
    eventRecall: detected / events,
    rangePrecision: 0.5,
    rangeRecall: 0.4,
    meanTimeToDetectMs: detected > 0 ? 3 * MIN : null,
    detectedEvents: detected,
    events,
    falseAlarmsPerDay: 2,
    nabStandard: 50,
    nabLowFP: 40,
    nabLowFN: 60,
    ...Object.fromEntries(THRESHOLD_FREE_FIGURES.map((f) => [f, auc])),
  }) as ItemResult['detectors'][number]['figures'];
  const cand = (service: string, score: number) => ({ service, score, explanation: `score ${score} for ${service}` });
  const a: ItemResult = {
    key: 'faults/database-slow@1',
    scenario: 'faults/database-slow',
    seed: 1,
    generatorSeed: 11,
    start: T0,
    end: T0 + 120 * MIN,
    faults: [
      {
        id: 'f1',
        type: 'database-slow',
        start: T0 + 40 * MIN,
        end: T0 + 60 * MIN,
        rootCause: ['account'],
        tags: [],
        moved: ['service:account:avgLatency', 'txType:transfer:avgLatency'],
      },
    ],
    detectors: [
      {
        name: 'ksigma', figures: figures(0.8, 2, 2, 0.8), faults: [{ faultId: 'f1', firstAlarm: T0 + 43 * MIN }], computeMs: 5,
        series: seriesOf(['service:account:avgLatency', 'txType:transfer:avgLatency'], [2, 2], [1, 0], [0, 1], [0.9, 0.7]),
      },
      {
        name: 'spot', figures: figures(0.6, 2, 1, 0.6), faults: [{ faultId: 'f1', firstAlarm: T0 + 46 * MIN }], computeMs: 7,
        series: seriesOf(['service:account:avgLatency', 'txType:transfer:avgLatency'], [3, 0], [1, 1], [0, 2], [0.6, null]),
      },
    ],
    rca: [
      {
        name: 'alpha',
        incidents: [
          {
            id: 'f1', faultId: 'f1', type: 'database-slow', start: T0 + 40 * MIN, end: T0 + 60 * MIN, rootCause: ['account'],
            rank: 1, computeMs: 12, candidates: [cand('account', 0.9), cand('gateway', 0.5), cand('ledger', 0.2)],
          },
        ],
      },
      {
        name: 'beta',
        incidents: [
          {
            id: 'f1', faultId: 'f1', type: 'database-slow', start: T0 + 40 * MIN, end: T0 + 60 * MIN, rootCause: ['account'],
            rank: 2, computeMs: 3, candidates: [cand('gateway', 0.9), cand('account', 0.5)],
          },
        ],
      },
    ],
    kpiCurves: [curve('service:account:avgLatency', 'f1', 40)],
    latency: latencyA,
    timings: { generate: 100, detect: 12, rca: 15 },
  };
  const b: ItemResult = {
    key: `hard/${HOSTILE}@2`,
    scenario: `hard/${HOSTILE}`,
    seed: 2,
    generatorSeed: 22,
    start: T0,
    end: T0 + 120 * MIN,
    faults: [
      {
        id: 'f2', type: 'bad-release', start: T0 + 60 * MIN, end: T0 + 80 * MIN, rootCause: [HOSTILE], tags: ['overlap'],
        moved: [`service:${HOSTILE}:systemSuccessRate`],
      },
      { id: 'f3', type: 'cpu-saturation', start: T0 + 70 * MIN, end: T0 + 90 * MIN, rootCause: ['ledger'], tags: ['no-impact'], moved: [] },
    ],
    detectors: [
      {
        name: 'ksigma', figures: figures(0.4, 1, 0, 0.5),
        faults: [{ faultId: 'f2', firstAlarm: null }, { faultId: 'f3', firstAlarm: null }], computeMs: 4,
        series: seriesOf([`service:${HOSTILE}:systemSuccessRate`], [2], [3], [3], [0.5]),
      },
      {
        name: 'spot', figures: figures(0.7, 1, 1, null),
        faults: [{ faultId: 'f2', firstAlarm: T0 + 61 * MIN }, { faultId: 'f3', firstAlarm: null }], computeMs: 6,
        series: seriesOf([`service:${HOSTILE}:systemSuccessRate`], [7], [3], [3], [null]),
      },
    ],
    rca: [
      {
        name: 'alpha',
        incidents: [
          {
            id: 'f2', faultId: 'f2', type: 'bad-release', start: T0 + 60 * MIN, end: T0 + 80 * MIN, rootCause: [HOSTILE],
            rank: 0, computeMs: 10, candidates: [cand('gateway', 0.4), cand(`${HOSTILE}x`, 0.3)],
          },
          {
            id: 'f3', faultId: 'f3', type: 'cpu-saturation', start: T0 + 70 * MIN, end: T0 + 90 * MIN, rootCause: ['ledger'],
            rank: 1, computeMs: 10, candidates: [cand('ledger', 0.8)],
          },
        ],
      },
      {
        name: 'beta',
        incidents: [
          {
            id: 'f2', faultId: 'f2', type: 'bad-release', start: T0 + 60 * MIN, end: T0 + 80 * MIN, rootCause: [HOSTILE],
            rank: 1, computeMs: 2,
            candidates: [{ ...cand(HOSTILE, 0.9), evidence: [{ kind: 'calls', subject: HOSTILE, value: 45, baseline: 0.2, unit: 'errors per 1000 calls', note: `45 errors of 3360 calls ${HOSTILE}` }] }],
          },
          {
            id: 'f3', faultId: 'f3', type: 'cpu-saturation', start: T0 + 70 * MIN, end: T0 + 90 * MIN, rootCause: ['ledger'],
            rank: 3, computeMs: 2, candidates: [cand('a', 0.8), cand('b', 0.7), cand('ledger', 0.6)],
          },
        ],
      },
    ],
    kpiCurves: [curve(`service:${HOSTILE}:systemSuccessRate`, 'f2', 60)], // drawn as an SVG axis label
    latency: latencyB,
    timings: { generate: 80, detect: 10, rca: 14 },
  };
  return [b, a];
}

import { describe, expect, it } from 'vitest';
import { detectorLines, rcaLines } from '../../scripts/commands/print.js';

describe('the CLI result lines', () => {
  it('print the bootstrap interval beside AC@1 and point-adjusted F1, and nothing where there is none', () => {
    const rca = rcaLines([
      { name: 'a', figures: { incidents: 4, ac1: 0.5, ac3: 0.75, avg5: 0.6, mrr: 0.57, computeMs: 12 }, intervals: { ac1: { low: 0, high: 1 } } },
      { name: 'bb', figures: { incidents: 0, ac1: null, ac3: null, avg5: null, mrr: null, computeMs: 0 }, intervals: { ac1: { low: null, high: null } } },
    ]);
    expect(rca).toContain('a   AC@1 0.500 [0.000, 1.000]  AC@3 0.750');
    expect(rca.split('\n')[1]).not.toContain('[');
    const det = detectorLines([{ name: 'ksigma', figures: { pointAdjustedF1: 0.8, pointF1: 0.2, eventRecall: 1, falseAlarmsPerDay: 2, nabStandard: 50 }, intervals: { pointAdjustedF1: { low: 0.7, high: 0.9 } } }]);
    expect(det).toContain('PA-F1 0.800 [0.700, 0.900]  point F1 0.200');
  });
});

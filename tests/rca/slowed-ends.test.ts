/** pattern-contrast's reading of a plain span end gone missing: latency when the slow end took its place, the failure's when the failed end rose more. */
import { describe, expect, it } from 'vitest';
import { slowedEnds } from '../../rca/algorithms/pattern-contrast.js';
import { EventCodes, FAILED_SUFFIX, SLOW_SUFFIX, type PatternChange } from '../../rca/signals/event-patterns.js';

const codes = new EventCodes();
const from = codes.code('start POST /pay');
const change = (to: string, z: number, instance?: string): PatternChange => ({ service: 'ledger', instance, from, to: codes.code(to), referenceShare: 0.5, windowShare: 0.5, z, windowSources: 100 });

describe('slowedEnds', () => {
  it('the plain end that fell as the slow end rose is latency', () => {
    const gone = change('end POST /pay', -6);
    expect(slowedEnds([gone, change(`end POST /pay${SLOW_SUFFIX}`, 5)], codes)).toEqual(new Set([gone]));
  });

  it('not where the failed end rose more than the slow end, nor without a slow end that rose', () => {
    const gone = change('end POST /pay', -6);
    expect(slowedEnds([gone, change(`end POST /pay${SLOW_SUFFIX}`, 3), change(`end POST /pay${FAILED_SUFFIX}`, 5)], codes).size).toBe(0);
    expect(slowedEnds([gone, change(`end POST /pay${SLOW_SUFFIX}`, -2)], codes).size).toBe(0);
    // The slow end rose more than the failed one: latency still.
    expect(slowedEnds([gone, change(`end POST /pay${SLOW_SUFFIX}`, 5), change(`end POST /pay${FAILED_SUFFIX}`, 3)], codes)).toEqual(new Set([gone]));
  });

  it('pairs ends of the same instance only, and never a missing slow or failed end itself', () => {
    const gone = change('end POST /pay', -6, 'ledger-1');
    expect(slowedEnds([gone, change(`end POST /pay${SLOW_SUFFIX}`, 5, 'ledger-2')], codes).size).toBe(0);
    expect(slowedEnds([change(`end POST /pay${SLOW_SUFFIX}`, -6), change(`end POST /pay${SLOW_SUFFIX}${SLOW_SUFFIX}`, 5)], codes).size).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { candidatesFrom } from '../../rca/plugin-results.js';

describe("an external method's candidate evidence", () => {
  it('is kept when well formed, each field checked', () => {
    const [c] = candidatesFrom(
      [{ service: 'api', score: 2, explanation: 'errors', evidence: [{ kind: 'calls', subject: 'api', value: 45, baseline: 0.2, unit: 'errors per 1000 calls', note: '45 of 3360', extra: 1 }] }],
      'rank() result',
    );
    expect(c!.evidence).toEqual([{ kind: 'calls', subject: 'api', value: 45, baseline: 0.2, unit: 'errors per 1000 calls', note: '45 of 3360' }]);
    expect(candidatesFrom([{ service: 'api', score: 1 }], 'r')[0]!.evidence).toBeUndefined();
  });

  it('is refused with its place when malformed', () => {
    const bad = (evidence: unknown) => () => candidatesFrom([{ service: 'api', score: 1, evidence }], 'rank() result');
    expect(bad('45 errors')).toThrow(/rank\(\) result\[0\]\.evidence is "45 errors"; it must be an array/);
    expect(bad([{ kind: 'trace', subject: 'a' }])).toThrow(/rank\(\) result\[0\]\.evidence\[0\]\.kind is "trace"; it must be one of calls, edge, log, metric/);
    expect(bad([{ kind: 'metric', subject: '' }])).toThrow(/evidence\[0\]\.subject is "".*non-empty string/);
    expect(bad([{ kind: 'metric', subject: 'cpu', value: Number.NaN }])).toThrow(/evidence\[0\]\.value is NaN; it must be a finite number/);
  });
});

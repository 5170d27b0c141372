import { describe, expect, it } from 'vitest';
import { rankIncidents } from '../../rca/evaluate.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';
import { SPAN_STATUS } from '../../data/types.js';
import { T0, tracesPerSecond } from './traces-per-second.js';

describe('spectrum methods work per operation', () => {
  it('blame a service whose failing operation is only part of its traffic', async () => {
    // loans: gateway -> broker (/apply) -> scoring (/score), failing from minute 30.
    // quotes (3x as many): gateway -> scoring (/quote), always fine. As a whole, scoring also
    // covers every normal quote trace and broker only the failing loans; per operation,
    // scoring /score and broker /apply tie and the deepest failure decides.
    const spans = tracesPerSecond('spectrum-ops', 40, SPAN_STATUS.ok, (span, k, t, j) => {
      const status = k >= 30 * 60 ? SPAN_STATUS.system : SPAN_STATUS.ok;
      if (k % 4 === 0) {
        const root = span(-1, 'gateway', '/', t, t + 30 * j(), status);
        const a = span(root, 'broker', '/apply', t + 1, t + 25, status);
        span(a, 'scoring', '/score', t + 2, t + 2 + 10 * j(), status);
      } else {
        const root = span(-1, 'gateway', '/', t, t + 20 * j());
        span(root, 'scoring', '/quote', t + 2, t + 2 + 8 * j());
      }
    });
    const incident = { id: 'scoring', start: T0 + 30 * 60_000, end: T0 + 40 * 60_000, rootCause: ['scoring'] };
    for (const name of ['ochiai', 'tarantula', 'dstar2', 'microrank']) {
      const [r] = await rankIncidents(await resolveRcaAlgorithm(name), spans, [incident]);
      expect([name, r.candidates[0]?.service]).toEqual([name, 'scoring']);
      expect(r.candidates[0].explanation).toContain('/score');
    }
  });
});

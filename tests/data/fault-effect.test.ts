import { describe, expect, it } from 'vitest';
import { buildCallView } from '../../data/call-view.js';
import { faultEffects, MIN_EFFECT_CALLS } from '../../data/fault-effect.js';
import type { Incident } from '../../data/types.js';
import { TraceBuilder, type CallSpec } from '../rca/telemetry.js';

/** gateway -> ledger calls, one trace a second from t0; ledger's work, and the network each way. */
function traces(b: TraceBuilder, t0: number, n: number, ledgerWork: number, hop: number, from = 0): void {
  for (let k = 0; k < n; k++) {
    const ledger: CallSpec = { service: 'ledger', work: ledgerWork + (k % 3) * 0.1, hop, children: [{ service: 'store', work: 2 }] };
    b.add(`t${from + k}`, t0 + k * 1000, { service: 'gateway', work: 1, children: [ledger] });
  }
}

const incident: Incident = { id: 'f1', start: 60_000, end: 120_000, rootCause: ['ledger'], type: 'cpu-saturation' };

describe('faultEffects', () => {
  it("measures the root cause's latency, own time and edge gap against the fault-free calls, alike in both span forms", () => {
    const b = new TraceBuilder();
    traces(b, 0, 40, 4, 1); // fault-free: 4 ms of own work, 1 ms each way
    traces(b, 60_000, 40, 12, 5, 40); // the incident: three times the work, five times the network
    const { merged, split } = b.tables();
    for (const table of [merged, split]) {
      const [e] = faultEffects(buildCallView(table), [incident]);
      expect(e!.faultId).toBe('f1');
      expect(e!.service).toBe('ledger');
      expect(e!.calls).toEqual([40, 40]);
      // Medians: own time 4.1 -> 12.1 ms plus the 0.5 ms the builder leaves after a child call;
      // handling adds the store call (2 ms, 1 ms each way).
      expect(e!.self).toBeCloseTo(12.6 / 4.6, 3);
      expect(e!.latency).toBeCloseTo(16.6 / 8.6, 3);
      // The caller waits 2 x hop beyond the callee's handling.
      expect(e!.gap).toBeCloseTo(5, 1);
    }
  });

  it('takes a reference given apart, and measures nothing from too few calls', () => {
    const before = new TraceBuilder();
    traces(before, 0, 20, 4, 1);
    const during = new TraceBuilder();
    traces(during, 60_000, MIN_EFFECT_CALLS - 1, 12, 1);
    const [e] = faultEffects(buildCallView(during.tables().split), [incident], buildCallView(before.tables().split));
    expect(e!.calls).toEqual([20, MIN_EFFECT_CALLS - 1]);
    expect([e!.latency, e!.self, e!.gap]).toEqual([null, null, null]);
    const enough = new TraceBuilder();
    traces(enough, 60_000, MIN_EFFECT_CALLS, 12, 1);
    const [f] = faultEffects(buildCallView(enough.tables().split), [incident], buildCallView(before.tables().split));
    expect(f!.self).toBeCloseTo(12.6 / 4.6, 3);
  });

  it("uses the named instance's calls, and skips incidents without a root cause", () => {
    const b = new TraceBuilder();
    for (let k = 0; k < 60; k++) {
      const slow = k >= 30 && k % 2 === 0; // in the window, only ledger-1 slows
      const ledger: CallSpec = { service: 'ledger', instance: `ledger-${(k % 2) + 1}`, work: slow ? 20 : 4 };
      b.add(`t${k}`, (k < 30 ? 0 : 60_000) + (k % 30) * 1000, { service: 'gateway', work: 1, children: [ledger] });
    }
    const view = buildCallView(b.tables().merged);
    const [one, service] = faultEffects(view, [{ ...incident, rootCauseInstance: 'ledger-1' }, { ...incident, id: 'f2' }, { ...incident, id: 'f3', rootCause: [] }]);
    expect(one!.instance).toBe('ledger-1');
    expect(one!.calls).toEqual([15, 15]);
    expect(one!.self).toBe(5);
    // The service as a whole: half its calls slowed, so its median barely moves.
    expect(service!.instance).toBeUndefined();
    expect(service!.calls).toEqual([30, 30]);
    expect(faultEffects(view, [{ ...incident, rootCause: [] }])).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { buildCallView } from '../../data/call-view.js';
import { TraceBuilder } from '../rca/telemetry.js';

/** gateway -> ledger, one trace; `hop` < 0 puts ledger's server span around the caller's client span, as a clock ahead of the caller's does. */
function view(hop: number, overrun?: number) {
  const b = new TraceBuilder();
  b.add('t1', 0, { service: 'gateway', work: 1, children: [{ service: 'ledger', work: 10, hop }] });
  const { split } = b.tables();
  if (overrun !== undefined) {
    // The ledger's server span runs on past the caller's client span (its parent row).
    const server = split.strings.indexOf('ledger.op');
    for (let r = 0; r < split.length; r++) if (split.operation[r] === server) split.end[r] = split.end[split.parent[r]!]! + overrun;
  }
  const v = buildCallView(split);
  const ledger = [...Array(v.length).keys()].find((c) => v.table.strings[v.service[c]!] === 'ledger')!;
  const gateway = v.parent[ledger]!;
  return { v, ledger, gateway };
}

describe('call view: one-way calls and own time', () => {
  it('a callee whose span ends just after its caller got the reply (clocks apart) was waited for', () => {
    const { v, ledger, gateway } = view(-0.3);
    expect(v.end[ledger]! - v.clientEnd[ledger]!).toBeCloseTo(0.3, 6);
    expect(v.async[ledger]).toBe(0);
    // The gateway's own time: its 1 ms of work and the 0.5 ms the builder leaves after a call, not the ledger's 10.
    expect(v.selfMs[gateway]).toBeCloseTo(1.5, 6);
  });

  it('a callee that runs on past the reply by over half its own time was not waited for', () => {
    const { v, ledger, gateway } = view(1, 40);
    expect(v.async[ledger]).toBe(1);
    expect(v.selfMs[gateway]).toBeGreaterThan(10);
    // Up to half its own time past the reply is the clocks, not a one-way call.
    const near = view(1, 4);
    expect(near.v.async[near.ledger]).toBe(0);
  });

  it('with calls in order, nothing changes', () => {
    const { v, ledger, gateway } = view(1);
    expect(v.async[ledger]).toBe(0);
    expect(v.selfMs[gateway]).toBeCloseTo(1.5, 6);
  });
});

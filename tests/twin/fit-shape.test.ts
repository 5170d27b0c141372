/** The shape of a call's own time where its node has few calls: its operation's, over every node. */
import { describe, expect, it } from 'vitest';
import { fitScenario } from '../../pipeline/fit.js';
import { TraceBuilder } from '../rca/telemetry.js';

describe('fit: own-time shape of a node with few calls', () => {
  it("takes its operation's shape over every node, not one outlier's", () => {
    const b = new TraceBuilder();
    // Type a: 60 calls into ledger, own time 10 ms spread evenly in log space (+-0.3).
    for (let k = 0; k < 60; k++) b.add(`a${k}`, k * 1000, { service: 'front', operation: 'a', work: 1, children: [{ service: 'ledger', operation: 'post', work: 10 * Math.exp(0.3 * (2 * (k / 59) - 1)) }] });
    // Type b: 10 calls into the same operation, one of them ten times as long.
    for (let k = 0; k < 10; k++) b.add(`b${k}`, 100_000 + k * 1000, { service: 'front', operation: 'b', work: 1, children: [{ service: 'ledger', operation: 'post', work: k === 9 ? 100 : 10 }] });
    const twin = fitScenario(b.tables().split);
    const node = (op: string) => twin.estimates.transactions.find((t) => t.root.endsWith(` ${op}`))!.nodes.find((n) => n.operation === 'post')!;
    // 60 calls: its own shape (log p95 - log p50 of its calls over 1.645: about 0.16).
    expect(node('a').sigma).toBeGreaterThan(0.1);
    expect(node('a').sigma).toBeLessThan(0.25);
    // 10 calls: the operation's over all 70, not the 0.77 its own tenth call would give.
    expect(node('b').sigma).toBeLessThan(0.5);
    expect(node('b').medianSelfMs).toBeCloseTo(10, 0);
  });
});

import { describe, expect, it } from 'vitest';
import { SpanTableBuilder } from '../../data/span-table.js';
import { SPAN_STATUS, type Incident } from '../../data/types.js';
import { rankIncidents } from '../../rca/evaluate.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';
import { edgeGaps } from '../../rca/signals/edge-latency.js';
import { indexSpans } from '../../rca/span-stats.js';

const T0 = 1_700_000_000_000;
const S = 1000;
const INCIDENT: Incident = { id: 'slow-limit', start: T0 + 600 * S, end: T0 + 900 * S, rootCause: ['limit'], type: 'cpu-saturation' };

/**
 * Calls as client and server spans folded into one row each (the callee's own view beside the
 * caller's), no status. Each request: gateway -> pay -> limit, and an audit -> limit check beside
 * it. From 600 s limit-1 is saturated: pay's call to it gives up after its 1 s timeout while limit-1
 * works on for 3 s, and pay backs off 50 ms and retries on limit-2. The audit checks stay quick.
 */
function table() {
  const b = new SpanTableBuilder();
  const id = (s: string) => b.intern(s);
  const unknown = SPAN_STATUS.unknown;
  for (let k = 0; k < 900; k++) {
    const t = T0 + k * S;
    const j = (k * 7) % 5;
    const slow = t >= INCIDENT.start;
    const tr = id(`t${k}`);
    const limitEnd = slow ? t + 3 + 1000 : t + 3 + 6 + j;
    const retryEnd = slow ? limitEnd + 50 + 7 + j : limitEnd;
    const payEnd = retryEnd + 4 + (j % 3);
    const root = b.add(tr, id(`g${k}`), -1, id('gateway'), id('gateway-1'), id('GET /pay'), t, payEnd + 2, unknown);
    const pay = b.add(tr, id(`p${k}`), root, id('pay'), id('pay-1'), id('POST /pay'), t + 1, payEnd + 1, unknown, 1, 1, 0, t + 1.5, payEnd + 0.5);
    b.add(tr, id(`l${k}`), pay, id('limit'), id('limit-1'), id('POST /limit'), t + 3, limitEnd, unknown, 1, 1, 0, t + 3.5, slow ? t + 3000 : limitEnd - 0.5);
    if (slow) b.add(tr, id(`r${k}`), pay, id('limit'), id('limit-2'), id('POST /limit'), limitEnd + 50, retryEnd, unknown, 1, 1, 0, limitEnd + 50.5, retryEnd - 0.5);
    const a = T0 + k * S + 500;
    const audit = id(`a${k}`);
    const ar = b.add(audit, id(`ar${k}`), -1, id('audit'), id('audit-1'), id('audit'), a, a + 20 + j, unknown);
    b.add(audit, id(`ac${k}`), ar, id('limit'), id('limit-1'), id('GET /check'), a + 2, a + 8 + j, unknown, 1, 1, 0, a + 2.5, a + 7.5 + j);
  }
  return b.finish();
}

describe('edge-latency: a caller waiting on a callee that timed out', () => {
  it("puts the callee first, not the caller whose time between calls grew for the callee's sake", async () => {
    const [r] = await rankIncidents(await resolveRcaAlgorithm('edge-latency'), table(), [INCIDENT]);
    expect(r!.candidates[0]).toMatchObject({ service: 'limit', instance: 'limit-1' });
    expect(r!.candidates.find((c) => c.service === 'pay')?.explanation).toMatch(/; 0% slow and 0% failed on its own/);
  });
});

describe('edge gaps: calls given up on', () => {
  it('are the calls whose callee worked longer than the caller waited, folded or as client and server spans', () => {
    const t = table();
    const g = edgeGaps(t, indexSpans(t));
    const marked: string[] = [];
    for (let i = 0; i < t.length; i++) if (g.abandoned[i]) marked.push(`${t.strings[t.instance[i]]} ${t.start[i] >= INCIDENT.start}`);
    // Every call pay gave up on, and nothing else: the retries and the audit checks were answered in time.
    expect(marked.length).toBe(300);
    expect(new Set(marked)).toEqual(new Set(['limit-1 true']));

    const b = new SpanTableBuilder();
    const id = (s: string) => b.intern(s);
    const unknown = SPAN_STATUS.unknown;
    const root = b.add(id('t'), id('r'), -1, id('pay'), id('pay-1'), id('POST /pay'), T0, T0 + 40, unknown);
    const gaveUp = b.add(id('t'), id('c1'), root, id('pay'), id('pay-1'), id('POST /limit'), T0 + 1, T0 + 11, unknown);
    b.add(id('t'), id('s1'), gaveUp, id('limit'), id('limit-1'), id('POST /limit'), T0 + 2, T0 + 30, unknown);
    const answered = b.add(id('t'), id('c2'), root, id('pay'), id('pay-1'), id('POST /limit'), T0 + 12, T0 + 22, unknown);
    const server = b.add(id('t'), id('s2'), answered, id('limit'), id('limit-2'), id('POST /limit'), T0 + 13, T0 + 21, unknown);
    const split = b.finish();
    const gs = edgeGaps(split, indexSpans(split));
    expect(Array.from(gs.clientSpan)).toEqual([0, 1, 0, 1, 0]);
    expect(Array.from(gs.abandoned)).toEqual([0, 1, 0, 0, 0]);
    expect(gs.gap[server]).toBeCloseTo(2, 9);
  });
});

import { describe, expect, it } from 'vitest';
import { SpanTableBuilder } from '../../data/span-table.js';
import { SPAN_STATUS, type Incident } from '../../data/types.js';
import { rankIncidents } from '../../rca/evaluate.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';
import { edgeGaps, ownTimes } from '../../rca/signals/edge-latency.js';
import { indexSpans, selfTimes } from '../../rca/span-stats.js';

const T0 = 1_700_000_000_000;
const S = 1000;
const FROM = T0 + 600 * S;
const incident = (rootCause: string): Incident => ({ id: 'delay', start: FROM, end: T0 + 900 * S, rootCause: [rootCause], type: 'network-delay' });

interface Delays {
  /** Added to every leg an instance sends (its requests and its replies), from FROM on. */
  iface?: string;
  /** Added to both legs of calls from one service to another, from FROM on. */
  link?: [string, string];
  /**
   * leaf runs two instances, two calls each in turn; from FROM on, leaf-2 is sent one call in ten
   * from mid-2 and one in forty from mid-1, leaf-1 the rest.
   */
  drained?: boolean;
}

/**
 * Calls folded into one row each (the callee's own view beside the caller's), no status. Each
 * second: front -> mid (mid-1 or mid-2) -> leaf; every 75 s an audit -> rare call
 * (rare-1 or rare-2, a service called a few times per incident).
 */
function table(d: Delays) {
  const b = new SpanTableBuilder();
  const id = (s: string) => b.intern(s);
  const unknown = SPAN_STATUS.unknown;
  const DELAY = 40;
  const sends = (inst: string, t: number) => (t >= FROM && d.iface === inst ? DELAY : 0);
  const linked = (from: string, to: string, t: number) => (t >= FROM && d.link?.[0] === from && d.link[1] === to ? DELAY : 0);
  /** A call's row: sent at t, handled for `work` ms once it arrives; the client and the server times. */
  const call = (caller: string, callerSvc: string, callee: string, calleeSvc: string, t: number, work: number) => {
    const ss = t + 1 + sends(caller, t) + linked(callerSvc, calleeSvc, t);
    const se = ss + work;
    return { start: t, ss, se, end: se + 1 + sends(callee, t) + linked(callerSvc, calleeSvc, t) };
  };
  for (let k = 0; k < 900; k++) {
    const t = T0 + k * S;
    const j = (k * 7) % 5;
    const mid = k % 2 ? 'mid-1' : 'mid-2';
    const leafInst = d.drained && (t >= FROM ? k % 10 === 0 || k % 40 === 1 : (k >> 1) % 2) ? 'leaf-2' : 'leaf-1';
    const tr = id(`t${k}`);
    // mid works 1 ms, calls leaf, works 2-4 ms more: its handling holds the leaf call.
    const ms = call('front-1', 'front', mid, 'mid', t + 1, 0).ss;
    const leaf = call(mid, 'mid', leafInst, 'leaf', ms + 1, 5 + j);
    const midCall = call('front-1', 'front', mid, 'mid', t + 1, leaf.end + 2 + (j % 3) - ms);
    const root = b.add(tr, id(`g${k}`), -1, id('front'), id('front-1'), id('GET /front'), t, midCall.end + 2, unknown);
    const m = b.add(tr, id(`m${k}`), root, id('mid'), id(mid), id('POST /mid'), midCall.start, midCall.end, unknown, 1, 1, 0, midCall.ss, midCall.se);
    b.add(tr, id(`l${k}`), m, id('leaf'), id(leafInst), id('POST /leaf'), leaf.start, leaf.end, unknown, 1, 1, 0, leaf.ss, leaf.se);
    if (k % 75 === 0) {
      const rare = (k / 75) % 2 ? 'rare-1' : 'rare-2';
      const a = t + 500;
      const r = call('audit-1', 'audit', rare, 'rare', a + 2, 6 + j);
      const ar = b.add(id(`a${k}`), id(`ar${k}`), -1, id('audit'), id('audit-1'), id('audit'), a, r.end + 3, unknown);
      b.add(id(`a${k}`), id(`ac${k}`), ar, id('rare'), id(rare), id('GET /rare'), r.start, r.end, unknown, 1, 1, 0, r.ss, r.se);
    }
  }
  return b.finish();
}

const top = async (d: Delays, rootCause: string, method = 'edge-latency') => {
  const [r] = await rankIncidents(await resolveRcaAlgorithm(method), table(d), [incident(rootCause)]);
  return r!;
};

describe("edge-latency: a delay on an instance's interface against one on a link", () => {
  it('puts an instance whose calls in and out both arrive late first, even when it calls one service only', async () => {
    const r = await top({ iface: 'mid-1' }, 'mid');
    expect(r.candidates[0]).toMatchObject({ service: 'mid', instance: 'mid-1' });
    // Its callee's calls arrive late too, but its own work is not slower: the gap is counted once, on the edge.
    expect(r.candidates.find((c) => c.service === 'leaf')!.explanation).toMatch(/; 0% slow and 0% failed on its own/);
  });

  it("puts a delayed link's callee first: the caller's calls out do not count while its own calls arrive on time", async () => {
    const r = await top({ link: ['mid', 'leaf'] }, 'leaf');
    expect(r.candidates[0]).toMatchObject({ service: 'leaf' });
    expect(r.candidates.find((c) => c.service === 'mid')!.score).toBe(0);
  });

  it("counts a rarely called service's late calls spread over its instances", async () => {
    const r = await top({ link: ['audit', 'rare'] }, 'rare');
    // 4 calls in the incident, 2 per instance: fewer than 3 late calls on each instance, 4 on the edge.
    expect(r.candidates[0]!.service).toBe('rare');
  });
});

describe("pattern-contrast: late arrivals from a caller whose own calls arrive late", () => {
  it('are the caller\'s evidence: the delayed interface first, its callee\'s late arrivals explained', async () => {
    const r = await top({ iface: 'mid-1' }, 'mid', 'pattern-contrast');
    expect(r.candidates[0]).toMatchObject({ service: 'mid', instance: 'mid-1' });
    const leaf = r.candidates.find((c) => c.service === 'leaf');
    expect(leaf === undefined || leaf.score === 0).toBe(true);
  });

  it('are explained by the late caller, not by a drained peer that explains less of them', async () => {
    // leaf-2, drained, shows a weaker change of its own (its few calls from mid-1 arrive late) than
    // mid-1's: on every late span of leaf-1, the late caller explains more than the peer does.
    const r = await top({ iface: 'mid-1', drained: true }, 'mid', 'pattern-contrast');
    expect(r.candidates[0]).toMatchObject({ service: 'mid', instance: 'mid-1' });
    const leaf = r.candidates.find((c) => c.service === 'leaf')!;
    expect(leaf).toMatchObject({ instance: 'leaf-1', score: 0 });
    expect(leaf.explanation).toMatch(/; 100% of it explained by late arrivals at the instances that sent its calls$/);
  });

  it("stay the callee's on a delayed link, whose caller's own calls arrive on time", async () => {
    const r = await top({ link: ['mid', 'leaf'] }, 'leaf', 'pattern-contrast');
    expect(r.candidates[0]).toMatchObject({ service: 'leaf' });
    expect(r.candidates[0]!.explanation).toMatch(/followed by "late POST \/leaf"/);
  });
});

/**
 * An entry service whose callers are not traced: each second entry-1 or entry-2 (in turn) calls a
 * and then b, 20 ms apart, one row per call; each entry span lasts 100 ms. From FROM on, everything
 * entry-1 sends is 40 ms late.
 */
function entryTable() {
  const b = new SpanTableBuilder();
  const id = (s: string) => b.intern(s);
  for (let second = 0; second < 900; second++) {
    const t = T0 + second * S;
    const entry = `entry-${1 + (second % 2)}`;
    const late = t >= FROM && entry === 'entry-1' ? 40 : 0;
    // Each call: sent at `at`, received 1 ms (+ late) later, handled for 5-9 ms, answered in 1 ms.
    const calls = ['a', 'b'].map((callee, n) => {
      const at = t + 1 + n * 20;
      const ss = at + 1 + late;
      return { callee, at, ss, se: ss + 5 + ((second * 7) % 5) };
    });
    const trace = id(`t${second}`);
    const root = b.add(trace, id(`e${second}`), -1, id('entry'), id(entry), id('GET /entry'), t, t + 100, SPAN_STATUS.unknown);
    for (const c of calls) b.add(trace, id(`${c.callee}${second}`), root, id(c.callee), id(`${c.callee}-1`), id(`POST /${c.callee}`), c.at, c.se + 1, SPAN_STATUS.unknown, 1, 1, 0, c.ss, c.se);
  }
  return b.finish();
}

describe('a delayed interface on an entry service, whose callers are not traced', () => {
  it('is found from its calls arriving late at two services, by both methods', async () => {
    for (const method of ['edge-latency', 'pattern-contrast']) {
      const [r] = await rankIncidents(await resolveRcaAlgorithm(method), entryTable(), [incident('entry')]);
      expect([method, r!.candidates[0]]).toMatchObject([method, { service: 'entry', instance: 'entry-1' }]);
    }
  });
});

describe('own time', () => {
  it("is a call row's self-time without its gap, and a client span's or a root's self-time as it is", () => {
    const t = table({ iface: 'mid-1' });
    const ix = indexSpans(t);
    const g = edgeGaps(t, ix);
    const self = selfTimes(t, ix);
    const own = ownTimes(self, g);
    for (let i = 0; i < t.length; i++) {
      if (t.parent[i] < 0) expect(own[i]).toBe(self[i]);
      else expect(own[i]).toBeCloseTo(self[i] - g.gap[i], 9);
    }
    // A leaf call of mid-1 in the incident: its request 40 ms late, its handling as before.
    const late = Array.from({ length: t.length }, (_, i) => i).find((i) => t.strings[t.service[i]] === 'leaf' && t.start[i] >= FROM && t.strings[t.instance[t.parent[i]]] === 'mid-1')!;
    expect(g.gap[late]).toBeCloseTo(42, 9);
    expect(own[late]).toBeCloseTo(t.serverEnd![late] - t.serverStart![late], 9);
  });
});

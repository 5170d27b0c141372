import { describe, expect, it } from 'vitest';
import { buildSpansFromBatches } from '../../trees/index.js';
import { TransactionTreeBuilder } from '../../trees/builder.js';
import { loadTreeRules } from '../../trees/rules.js';
import type { TreeStats } from '../../trees/calls.js';
import type { SpanTable } from '../../data/types.js';
import { batchOf, call, type Row } from './messages.js';

function rowsOf(t: SpanTable) {
  const s = t.strings;
  return Array.from({ length: t.length }, (_, i) => ({
    trace: s[t.traceId[i]],
    span: s[t.spanId[i]],
    service: s[t.service[i]],
    instance: s[t.instance[i]],
    parent: t.parent[i] < 0 ? null : s[t.service[t.parent[i]]],
    parentSpan: t.parent[i] < 0 ? null : s[t.spanId[t.parent[i]]],
    start: t.start[i],
    end: t.end[i],
    status: t.status[i],
    attempts: t.attempts![i],
    repeats: t.repeats![i],
  }));
}

async function build(rows: Row[], opts: { windowMs?: number } = {}) {
  let stats: TreeStats | undefined;
  const spans = await buildSpansFromBatches([batchOf(rows)], { ...opts, onStats: (s) => (stats = s) });
  return { spans, rows: rowsOf(spans), stats: stats! };
}

const T = 1_700_000_000_000;

/** channel -> gateway -> account -> (ledger, risk): a clean transfer. */
function cleanTx(biz: string, t0: number): Row[] {
  return [
    ...call({ biz, uid: `${biz}-1`, from: 'channel', to: 'gateway', start: t0, end: t0 + 100 }),
    ...call({ biz, uid: `${biz}-2`, from: 'gateway', to: 'account', start: t0 + 10, end: t0 + 90 }),
    ...call({ biz, uid: `${biz}-3`, from: 'account', to: 'ledger', start: t0 + 20, end: t0 + 50 }),
    ...call({ biz, uid: `${biz}-4`, from: 'account', to: 'risk', start: t0 + 55, end: t0 + 80 }),
  ];
}

describe('transaction tree builder', () => {
  it('pairs legs into calls and links them by upstream/downstream and time', async () => {
    const { rows, stats } = await build(cleanTx('b1', T));
    expect(rows.map((r) => [r.service, r.parent])).toEqual([
      ['gateway', null],
      ['account', 'gateway'],
      ['ledger', 'account'],
      ['risk', 'account'],
    ]);
    expect(rows[0]).toMatchObject({ start: T, end: T + 100, status: 0, instance: 'gateway-1' });
    expect(stats).toMatchObject({ messages: 32, transactions: 1, calls: 4, timeouts: 0, missingLegs: 0 });
  });

  it('copes with missing log points: start and end from the legs that remain', async () => {
    const rows = cleanTx('b1', T).filter(
      (r) => !(r.uniqueId === 'b1-3' && (r.logPoint === 'REQ_CLIENT_MESH' || r.logPoint === 'RSP_MESH_CLIENT')),
    );
    const out = await build(rows);
    const ledger = out.rows.find((r) => r.service === 'ledger')!;
    expect(ledger).toMatchObject({ parent: 'account', start: T + 21, end: T + 49, status: 0 });
    expect(out.stats.missingLegs).toBe(1);
  });

  it('turns a reply that never comes into a timeout: system failure ending at start + ttl', async () => {
    const rows = [
      ...call({ biz: 'b', uid: 'u1', from: 'channel', to: 'gateway', start: T, end: T + 400 }),
      ...call({ biz: 'b', uid: 'u2', from: 'gateway', to: 'account', start: T + 10, end: 0, ttl: 300, noReply: true }),
    ];
    const out = await build(rows);
    expect(out.rows[1]).toMatchObject({ service: 'account', parent: 'gateway', start: T + 10, end: T + 310, status: 2 });
    expect(out.stats.timeouts).toBe(1);
  });

  it('keeps a child that outlives its timed-out parent under that parent', async () => {
    const rows = [
      ...call({ biz: 'b', uid: 'u1', from: 'gateway', to: 'account', start: T, end: T + 900, ttl: 200 }),
      ...call({ biz: 'b', uid: 'u2', from: 'account', to: 'ledger', start: T + 20, end: T + 850 }),
    ];
    const out = await build(rows);
    expect(out.rows[0]).toMatchObject({ service: 'account', end: T + 200, status: 2 });
    expect(out.rows[1]).toMatchObject({ service: 'ledger', parent: 'account', end: T + 850, status: 0 });
  });

  it('links across clock skew within the tolerance, and beyond it to the nearest caller', async () => {
    // account's host clock runs 30 ms (then 400 ms) behind: its calls seem to start before their parent.
    for (const skew of [30, 400]) {
      const rows = [
        ...call({ biz: 'b', uid: 'u1', from: 'gateway', to: 'account', start: T, end: T + 100 }),
        ...call({ biz: 'b', uid: 'u2', from: 'gateway', to: 'fx', start: T + 120, end: T + 150 }),
        ...call({ biz: 'b', uid: 'u3', from: 'account', to: 'ledger', start: T + 10 - skew, end: T + 60 - skew }),
      ];
      const out = await build(rows);
      expect(out.rows.find((r) => r.service === 'ledger')!.parentSpan).toBe('u1');
      expect(out.stats.skewLinked).toBe(skew > 50 ? 1 : 0);
    }
  });

  it('drops duplicate legs and orphan replies, and counts them', async () => {
    const tx = cleanTx('b1', T);
    const dupes = tx.filter((r) => r.uniqueId === 'b1-2').slice(0, 3);
    const orphan = call({ biz: 'b1', uid: 'lost', from: 'account', to: 'ghost', start: T + 30, end: T + 40 }).filter(
      (r) => r.msgType === 'reply',
    );
    const out = await build([...tx, ...dupes, ...orphan]);
    expect(out.rows.map((r) => r.service)).toEqual(['gateway', 'account', 'ledger', 'risk']);
    expect(out.stats).toMatchObject({ duplicateLegs: 3, orphanReplies: 1 });
  });

  it('hangs an async branch under the one-way call that started it', async () => {
    const rows = [
      ...call({ biz: 'b', uid: 'u1', from: 'gateway', to: 'account', start: T, end: T + 100 }),
      ...call({ biz: 'b', uid: 'u2', from: 'account', to: 'notify', start: T + 40, end: 0, async: true }),
      // notify works long after the async message was delivered (and after the whole request ended).
      ...call({ biz: 'b', uid: 'u3', from: 'notify', to: 'sms', start: T + 500, end: T + 700 }),
    ];
    const out = await build(rows);
    expect(out.rows.map((r) => [r.service, r.parent, r.status])).toEqual([
      ['account', null, 0],
      ['notify', 'account', 0],
      ['sms', 'notify', 0],
    ]);
    expect(out.rows[1].end).toBe(T + 44); // delivered at the callee
  });

  it('merges retries vertically and repeated siblings horizontally', async () => {
    const rows = [
      ...call({ biz: 'b', uid: 'u1', from: 'gateway', to: 'account', start: T, end: T + 1000, ttl: 2000 }),
      // two timed-out attempts, then a success: one node, 3 attempts, worst status
      ...call({ biz: 'b', uid: 'r1', from: 'account', to: 'ledger', start: T + 10, end: 0, ttl: 100, noReply: true }),
      ...call({ biz: 'b', uid: 'r2', from: 'account', to: 'ledger', start: T + 115, end: 0, ttl: 100, noReply: true }),
      ...call({ biz: 'b', uid: 'r3', from: 'account', to: 'ledger', start: T + 220, end: T + 260 }),
      // children of the attempts fold under the merged node, and are merged in turn
      ...call({ biz: 'b', uid: 'd1', from: 'ledger', to: 'db', start: T + 20, end: T + 90 }),
      ...call({ biz: 'b', uid: 'd2', from: 'ledger', to: 'db', start: T + 230, end: T + 250 }),
      // a loop of three identical lookups
      ...call({ biz: 'b', uid: 'l1', from: 'account', to: 'fx', start: T + 300, end: T + 320 }),
      ...call({ biz: 'b', uid: 'l2', from: 'account', to: 'fx', start: T + 330, end: T + 350 }),
      ...call({ biz: 'b', uid: 'l3', from: 'account', to: 'fx', start: T + 360, end: T + 380 }),
    ];
    const out = await build(rows);
    expect(out.rows.map((r) => [r.service, r.parent, r.attempts, r.repeats, r.status])).toEqual([
      ['account', null, 1, 1, 0],
      ['ledger', 'account', 3, 1, 2],
      ['fx', 'account', 1, 3, 0],
      ['db', 'ledger', 1, 2, 0],
    ]);
    const ledger = out.rows[1];
    expect([ledger.start, ledger.end]).toEqual([T + 10, T + 260]);
    expect(out.stats).toMatchObject({ mergedRetries: 2, mergedRepeats: 3 });
  });

  it('re-pairs a reply whose uniqueId names another call, by its endpoints', async () => {
    const rows = [
      // the gateway's reply to the channel carries the uniqueId of the gateway's later async call
      ...call({ biz: 'b', uid: 'u1', from: 'channel', to: 'gateway', start: T, end: T + 100, replyUid: 'u3' }),
      ...call({ biz: 'b', uid: 'u2', from: 'gateway', to: 'account', start: T + 10, end: T + 60 }),
      ...call({ biz: 'b', uid: 'u3', from: 'gateway', to: 'audit', start: T + 70, end: 0, async: true }),
    ];
    const out = await build(rows);
    expect(out.rows.map((r) => [r.service, r.status, r.end])).toEqual([
      ['gateway', 0, T + 100],
      ['account', 0, T + 60],
      ['audit', 0, T + 74],
    ]);
    expect(out.stats).toMatchObject({ repairedPairs: 1, timeouts: 0, orphanReplies: 0 });
  });

  it('marks a failure with a caller-side return code as the caller\'s fault', async () => {
    const rows = [
      ...call({ biz: 'b', uid: 'u1', from: 'channel', to: 'gateway', start: T, end: T + 100, ret: 'system' }),
      // misrouted: never delivered, bounced by the broker with route-not-found
      ...call({ biz: 'b', uid: 'u2', from: 'gateway', to: 'account', start: T + 10, end: T + 20, ret: 'system', retCode: 'SYS_ROUTE_NOT_FOUND', drop: ['REQ_BROKER_MESH', 'REQ_MESH_CLIENT', 'RSP_CLIENT_MESH', 'RSP_MESH_BROKER'] }),
      ...call({ biz: 'b', uid: 'u3', from: 'gateway', to: 'risk', start: T + 30, end: T + 40, ret: 'system' }),
    ];
    const out = await build(rows);
    expect(Array.from(out.spans.callerFault!)).toEqual([0, 1, 0]);
    expect(out.rows[1]).toMatchObject({ service: 'account', status: 2 });
  });

  it("records the callee's own view: request delivered to reply sent, so the time between caller and callee is known", async () => {
    const { spans } = await build(cleanTx('b1', T));
    // call() delivers the request at start + 4 (REQ_MESH_CLIENT recvTime) and sends the reply at end - 4 (RSP_CLIENT_MESH).
    expect(Array.from(spans.serverStart!)).toEqual([T + 4, T + 14, T + 24, T + 59]);
    expect(Array.from(spans.serverEnd!)).toEqual([T + 96, T + 86, T + 46, T + 76]);
    // A call whose reply legs are missing has no known server end; a folded repeat spans both calls' server views.
    const partial = await build([
      ...call({ biz: 'b', uid: 'u1', from: 'gateway', to: 'account', start: T, end: T + 100 }),
      ...call({ biz: 'b', uid: 'u2', from: 'account', to: 'ledger', start: T + 10, end: T + 30, drop: ['RSP_CLIENT_MESH'] }),
      ...call({ biz: 'b', uid: 'u3', from: 'account', to: 'risk', start: T + 40, end: T + 50 }),
      ...call({ biz: 'b', uid: 'u4', from: 'account', to: 'risk', start: T + 60, end: T + 70 }),
    ]);
    const at = (svc: string) => partial.rows.findIndex((r) => r.service === svc);
    expect(partial.spans.serverStart![at('ledger')]).toBe(T + 14);
    expect(partial.spans.serverEnd![at('ledger')]).toBeNaN();
    expect(partial.rows[at('risk')].repeats).toBe(2);
    expect([partial.spans.serverStart![at('risk')], partial.spans.serverEnd![at('risk')]]).toEqual([T + 44, T + 66]);
  });

  it('streams: a transaction is built once the stream passes its window, holding only open ones', async () => {
    const rules = { ...loadTreeRules(), windowMs: 60_000 };
    const builder = new TransactionTreeBuilder(rules);
    builder.push(batchOf(cleanTx('a', T)));
    expect(builder.buffered).toBe(32);
    builder.push(batchOf(cleanTx('b', T + 30_000)));
    expect(builder.buffered).toBe(64);
    builder.push(batchOf(cleanTx('c', T + 61_000)));
    expect(builder.buffered).toBe(64); // 'a' closed
    const spans = builder.finish();
    expect(builder.buffered).toBe(0);
    expect(rowsOf(spans).map((r) => r.trace)).toEqual(['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b', 'c', 'c', 'c', 'c']);
  });

  it('splits a bizSeqNo whose messages straddle the window into separate groups', async () => {
    const late = call({ biz: 'a', uid: 'late', from: 'gateway', to: 'account', start: T + 200_000, end: T + 200_050 });
    const out = await build([...cleanTx('a', T), ...late], { windowMs: 180_000 });
    expect(out.stats.transactions).toBe(2);
  });

  it('is deterministic, and the trees do not depend on message order', async () => {
    const rows = [...cleanTx('a', T), ...cleanTx('b', T + 5)];
    const a = await build(rows);
    expect(rowsOf((await build(rows)).spans)).toEqual(rowsOf(a.spans));
    const b = await build([...rows].reverse());
    const key = (r: ReturnType<typeof rowsOf>[number]) => `${r.trace}/${r.span}`;
    const sorted = (x: ReturnType<typeof rowsOf>) => [...x].sort((p, q) => (key(p) < key(q) ? -1 : 1));
    expect(sorted(b.rows)).toEqual(sorted(a.rows));
  });

  it('rejects a rules file with a clear error', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const p = join(mkdtempSync(join(tmpdir(), 'rules-')), 'bad.yaml');
    writeFileSync(p, 'windowMs: -3\n');
    expect(() => loadTreeRules(p)).toThrow(/bad\.yaml:1: windowMs: /);
  });
});

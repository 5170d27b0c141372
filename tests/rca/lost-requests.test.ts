import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BadRows } from '../../common/bad-rows.js';
import { loadSpans } from '../../data/inputs.js';
import { selectTraces } from '../../data/span-table.js';
import type { Incident } from '../../data/types.js';
import { rankIncidents } from '../../rca/evaluate.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';
import { blameLostRequests, nameDownInstances, nameUnknownCallees } from '../../rca/unknown-callees.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-lost-requests-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const S = 1000;
const T0 = 1_700_000_000_000;
const incident = (rootCause: string): Incident => ({ id: 'loss', start: T0 + 600 * S, end: T0 + 900 * S, rootCause: [rootCause], type: 'packet-loss' });

/**
 * Client and server spans: each second a request to gateway-1 or gateway-2 (in turn), which calls
 * account and then ledger. From 600 s, `lost(k, callee)` says which calls never reach their callee:
 * the client span runs to the caller's 1 s timeout and fails, and no server span is written.
 */
function spansCsv(lost: (k: number, callee: string) => boolean): string {
  const rows = ['trace_id,span_id,parent_id,service,instance,operation,start_ns,end_ns,status,kind'];
  const ns = (ms: number) => String(Math.round(ms * 1e6));
  for (let k = 0; k < 900; k++) {
    const t = T0 + k * S;
    const gateway = `gateway-${1 + (k % 2)}`;
    const j = (k * 7) % 5;
    let at = t + 1;
    const calls: string[] = [];
    let failed = false;
    for (const callee of ['account', 'ledger']) {
      const gone = t >= T0 + 600 * S && lost(k, callee);
      const end = gone ? at + 1000 : at + 10 + j;
      calls.push(`t${k},c${callee}${k},g${k},gateway,${gateway},POST /${callee},${ns(at)},${ns(end)},${gone ? 'error' : 'ok'},client`);
      if (!gone) calls.push(`t${k},s${callee}${k},c${callee}${k},${callee},${callee}-1,POST /${callee},${ns(at + 1)},${ns(end - 1)},ok,server`);
      failed ||= gone;
      at = end + 2;
    }
    rows.push(`t${k},g${k},,gateway,${gateway},GET /pay,${ns(t)},${ns(at + 1)},${failed ? 'error' : 'ok'},server`, ...calls);
  }
  return rows.join('\n') + '\n';
}

async function read(name: string, lost: (k: number, callee: string) => boolean) {
  const file = join(dir, `${name}.csv`);
  writeFileSync(file, spansCsv(lost));
  return loadSpans([file], { badRows: new BadRows('reject') });
}

/** Rank 1 of each method on one incident. */
async function firsts(spans: Awaited<ReturnType<typeof read>>, rootCause: string, methods: string[]) {
  const out: Record<string, string> = {};
  for (const m of methods) {
    const [r] = await rankIncidents(await resolveRcaAlgorithm(m), spans, [incident(rootCause)]);
    const c = r!.candidates[0]!;
    out[m] = `${c.service} ${c.instance}`;
  }
  return out;
}

const METHODS = ['count', 'deepest-abnormal', 'edge-latency', 'pattern-contrast'];

describe('requests lost as they leave one caller instance', () => {
  it("are that caller's failures: every method names the instance whose interface drops what it sends", async () => {
    // gateway-2 loses every other request it sends, to both of its callees; gateway-1's arrive.
    const spans = await read('interface', (k) => k % 2 === 1 && k % 4 === 1);
    const [named] = nameUnknownCallees([spans]);
    const window = nameDownInstances(selectTraces(named!, T0 + 600 * S, T0 + 900 * S), named!, 300 * S);
    const blamed = blameLostRequests(window);
    let marked = 0;
    for (let i = 0; i < blamed.length; i++) {
      if (!blamed.callerFault?.[i]) continue;
      marked++;
      expect(blamed.strings[blamed.instance[blamed.parent[i]]]).toBe('gateway-2');
    }
    expect(marked).toBe(2 * 75);
    expect(await firsts(spans, 'gateway', METHODS)).toEqual(Object.fromEntries(METHODS.map((m) => [m, 'gateway gateway-2'])));
  });

  it("stay the callee's when every instance of the caller loses them alike (a lossy link)", async () => {
    // Every third request to account is lost, from both gateways alike.
    const link = await read('link', (k, callee) => callee === 'account' && k % 3 === 0);
    const window = nameDownInstances(selectTraces(nameUnknownCallees([link])[0]!, T0 + 600 * S, T0 + 900 * S), link, 300 * S);
    expect(blameLostRequests(window)).toBe(window);
    // (`count` adds the gateway's own failed spans, which its callee's failures failed, and is left out.)
    const methods = METHODS.filter((m) => m !== 'count');
    for (const [m, first] of Object.entries(await firsts(link, 'account', methods))) expect([m, first.split(' ')[0]]).toEqual([m, 'account']);
    // gateway-2 alone losing its requests to one callee is beyond its peer's share: its own.
    const one = await read('one', (k, callee) => callee === 'account' && k % 2 === 1 && k % 4 === 1);
    const w = nameDownInstances(selectTraces(nameUnknownCallees([one])[0]!, T0 + 600 * S, T0 + 900 * S), one, 300 * S);
    expect(blameLostRequests(w)).not.toBe(w);
  });
});

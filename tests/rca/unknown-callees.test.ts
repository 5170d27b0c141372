import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BadRows } from '../../common/bad-rows.js';
import { loadSpans } from '../../data/inputs.js';
import type { Incident, SpanTable } from '../../data/types.js';
import { rankIncidents } from '../../rca/evaluate.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';
import { nameDownInstances, nameUnknownCallees } from '../../rca/unknown-callees.js';
import { selectRows, selectTraces } from '../../data/span-table.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-unknown-callees-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const S = 1000; // ms
const T0 = 1_700_000_000_000; // unix ms
const INCIDENT: Incident = { id: 'down', start: T0 + 600 * S, end: T0 + 900 * S, rootCause: ['account'], type: 'instance-down' };

/**
 * Client and server spans as a tracing agent records them: a gateway server span per request,
 * calling account (instances account-1, account-2) and then ledger, each call a client span on the
 * gateway and a server span on the callee. From 600 s account-2 is down (with `crashLoop`, every
 * other call routed to it: up between crashes): the calls it misses leave a client span only,
 * which runs to the caller's 1 s timeout.
 */
function spansCsv(status: boolean, crashLoop = false): string {
  const rows = ['trace_id,span_id,parent_id,service,instance,operation,start_ns,end_ns,status,kind'];
  const ns = (ms: number) => String(Math.round(ms * 1e6));
  const st = (failed: boolean) => (status ? (failed ? 'error' : 'ok') : '');
  for (let k = 0; k < 900; k++) {
    const t = T0 + k * S;
    const down = t >= INCIDENT.start && k % 2 === 1 && (!crashLoop || k % 4 === 1);
    const jitter = (k * 7) % 5;
    const acctEnd = down ? t + 1 + 1000 : t + 12 + jitter;
    const end = acctEnd + 20;
    rows.push(`t${k},g${k},,gateway,gateway-1,GET /pay,${ns(t)},${ns(end)},${st(down)},server`);
    rows.push(`t${k},ca${k},g${k},gateway,gateway-1,POST /account,${ns(t + 1)},${ns(acctEnd)},${st(down)},client`);
    if (!down) rows.push(`t${k},sa${k},ca${k},account,account-${1 + (k % 2)},POST /account,${ns(t + 2)},${ns(t + 11 + jitter)},${st(false)},server`);
    rows.push(`t${k},cl${k},g${k},gateway,gateway-1,POST /ledger,${ns(acctEnd + 2)},${ns(acctEnd + 15 + jitter)},${st(false)},client`);
    rows.push(`t${k},sl${k},cl${k},ledger,ledger-1,POST /ledger,${ns(acctEnd + 3)},${ns(acctEnd + 14 + jitter)},${st(false)},server`);
  }
  return rows.join('\n') + '\n';
}

async function read(status: boolean, crashLoop = false) {
  const file = join(dir, `spans-${status}-${crashLoop}.csv`);
  writeFileSync(file, spansCsv(status, crashLoop));
  return loadSpans([file], { badRows: new BadRows('reject') });
}

/**
 * gateway -> account calls, `perSecond` a second for 900 s, each a server span on both sides:
 * call k goes to `route(k, late)`; from the incident's start account-2 fails every call it gets
 * and account-1's calls for which `slow(k)` holds take 400 ms more. Per method, the instance it
 * names for account.
 */
async function accountInstances(name: string, perSecond: number, route: (k: number, late: boolean) => string, slow: (k: number) => boolean, methods: string[]): Promise<[string, string | undefined][]> {
  const rows = ['trace_id,span_id,parent_id,service,instance,operation,start_ns,end_ns,status,kind'];
  const ns = (ms: number) => String(Math.round(ms * 1e6));
  for (let k = 0; k < 900 * perSecond; k++) {
    const t = T0 + Math.floor(k / perSecond) * S + (k % perSecond) * (S / perSecond);
    const late = t >= INCIDENT.start;
    const inst = route(k, late);
    const failed = late && inst === 'account-2';
    const end = t + 12 + ((k * 7) % 5) + (late && inst === 'account-1' && slow(k) ? 400 : 0);
    rows.push(`t${k},g${k},,gateway,gateway-1,GET /pay,${ns(t)},${ns(end + 2)},${failed ? 'error' : 'ok'},server`);
    rows.push(`t${k},sa${k},g${k},account,${inst},POST /account,${ns(t + 1)},${ns(end)},${failed ? 'error' : 'ok'},server`);
  }
  const file = join(dir, `${name}.csv`);
  writeFileSync(file, rows.join('\n') + '\n');
  const spans = await loadSpans([file], { badRows: new BadRows('reject') });
  const out: [string, string | undefined][] = [];
  for (const method of methods) {
    const [r] = await rankIncidents(await resolveRcaAlgorithm(method), spans, [{ ...INCIDENT, rootCauseInstance: 'account-2' }]);
    out.push([method, r!.candidates.find((c) => c.service === 'account')?.instance]);
  }
  return out;
}

describe('calls that left no server span', () => {
  it('are put on the one service that serves their operation, on an instance of its own per service', async () => {
    const t = await read(true);
    const named = nameUnknownCallees([t])[0]!;
    const callees = new Set<string>();
    for (let i = 0; i < named.length; i++) if (named.strings[named.operation[i]] === 'POST /account') callees.add(`${named.strings[named.service[i]]} ${named.strings[named.instance[i]]}`);
    expect([...callees].sort()).toEqual(['account account-1', 'account account-2', 'account account/unknown']);
    // The input is left as it was.
    expect(t.strings.includes('account/unknown')).toBe(false);
    // Every table given is named, from the operations all of them serve.
    const [, second] = nameUnknownCallees([named, t]);
    expect(second!.strings.includes('account/unknown')).toBe(true);
  });

  it('stay unknown where several services serve the operation', async () => {
    const t = await read(true);
    const other = await loadSpans(
      [join(dir, 'other.csv')].map((f) => {
        writeFileSync(f, 'trace_id,span_id,parent_id,service,instance,operation,start_ns,end_ns,status,kind\nx,c,,gateway,gateway-1,POST /account,1700000000000000000,1700000000005000000,ok,client\nx,s,c,billing,billing-1,POST /account,1700000000001000000,1700000000004000000,ok,server\n');
        return f;
      }),
      { badRows: new BadRows('reject') },
    );
    const named = nameUnknownCallees([t, other])[0]!;
    expect(named.strings.includes('account/unknown')).toBe(false);
  });

  for (const status of [true, false]) {
    it(`rank the callee of a dead instance first, and the instance that fell silent, spans ${status ? 'with' : 'without'} status`, async () => {
      const spans = await read(status);
      for (const method of ['edge-latency', 'deepest-abnormal']) {
        const [r] = await rankIncidents(await resolveRcaAlgorithm(method), spans, [{ ...INCIDENT, rootCauseInstance: 'account-2' }]);
        expect({ method, top: r!.candidates[0]?.service, instance: r!.candidates[0]?.instance, instanceRank: r!.instanceRank }).toEqual({ method, top: 'account', instance: 'account-2', instanceRank: 1 });
      }
    });
  }

  it('are the faulty instance where its survivor stands out more surely, for its share of abnormal spans is larger', async () => {
    // Three calls a second. From 600 s account-2 gets one call in 60 and fails it (15 calls); of
    // the rest account-1 takes half, two in five slow (the load it took over: about 177 abnormal
    // of 442, far beyond chance, and more surely so than account-2's 15 of 15), account-3 the
    // other half, all fine.
    const named = await accountInstances('few-dead-calls', 3, (k, late) => (late ? (k % 60 === 0 ? 'account-2' : k % 2 ? 'account-1' : 'account-3') : `account-${1 + (k % 3)}`), (k) => k % 5 < 2, [
      'count',
      'deepest-abnormal',
      'ochiai',
      'dstar2',
      'pattern-contrast',
    ]);
    for (const [method, instance] of named) expect({ method, instance }).toEqual({ method, instance: 'account-2' });
  });

  it('are the faulty instance for the methods that pick one by its abnormal spans, though its survivors have more of them', async () => {
    // From 600 s account-2 fails every call routed to it (1 in 5); account-1 takes the rest, one
    // call in four slow (the load it took over): more abnormal spans, a smaller share of its own.
    const named = await accountInstances('survivors', 1, (k, late) => (late ? (k % 5 === 0 ? 'account-2' : 'account-1') : `account-${1 + (k % 2)}`), (k) => k % 4 === 1, [
      'count',
      'deepest-abnormal',
      'ochiai',
      'pattern-contrast',
    ]);
    for (const [method, instance] of named) expect({ method, instance }).toEqual({ method, instance: 'account-2' });
  });

  for (const status of [true, false]) {
    it(`are the dead instance for pattern-contrast, not the survivors slowed by the calls it left them, spans ${status ? 'with' : 'without'} status`, async () => {
      // Three calls a second, client and server spans. From 600 s account-2 gets one call in 30 and
      // answers none (a client span to the 1 s timeout, failed where spans carry a status);
      // account-1 and account-3 take the rest, 9 in 10 of them 300 ms slower on their own (the
      // queue of the load they took over): far more changed spans than the dead instance's 30.
      const rows = ['trace_id,span_id,parent_id,service,instance,operation,start_ns,end_ns,status,kind'];
      const ns = (ms: number) => String(Math.round(ms * 1e6));
      const st = (failed: boolean) => (status ? (failed ? 'error' : 'ok') : '');
      for (let k = 0; k < 2700; k++) {
        const t = T0 + Math.floor(k / 3) * S + (k % 3) * (S / 3);
        const late = t >= INCIDENT.start;
        const inst = late ? (k % 30 === 0 ? 'account-2' : k % 2 ? 'account-1' : 'account-3') : `account-${1 + (k % 3)}`;
        const dead = late && inst === 'account-2';
        const work = 10 + ((k * 7) % 5) + (late && !dead && k % 10 !== 3 ? 300 : 0);
        const end = dead ? t + 1001 : t + 2 + work + 1;
        rows.push(`t${k},g${k},,gateway,gateway-1,GET /pay,${ns(t)},${ns(end + 1)},${st(dead)},server`);
        rows.push(`t${k},ca${k},g${k},gateway,gateway-1,POST /account,${ns(t + 1)},${ns(end)},${st(dead)},client`);
        if (!dead) rows.push(`t${k},sa${k},ca${k},account,${inst},POST /account,${ns(t + 2)},${ns(t + 2 + work)},${st(false)},server`);
      }
      const file = join(dir, `dead-and-loaded-${status}.csv`);
      writeFileSync(file, rows.join('\n') + '\n');
      const spans = await loadSpans([file], { badRows: new BadRows('reject') });
      const [r] = await rankIncidents(await resolveRcaAlgorithm('pattern-contrast'), spans, [{ ...INCIDENT, rootCauseInstance: 'account-2' }]);
      expect({ top: r!.candidates[0]?.service, instance: r!.candidates[0]?.instance }).toEqual({ top: 'account', instance: 'account-2' });
    });
  }

  it('are named to the instance that fell silent only where one did and its silence is telling', async () => {
    const spans = nameUnknownCallees([await read(true)])[0]!;
    const window = selectTraces(spans, INCIDENT.start, INCIDENT.end);
    const reference = selectTraces(spans, T0, INCIDENT.start);
    const instancesOf = (t: SpanTable) => new Set(Array.from(t.instance, (c) => t.strings[c]));
    const named = nameDownInstances(window, reference, INCIDENT.end - INCIDENT.start);
    expect(instancesOf(window).has('account/unknown')).toBe(true);
    expect(instancesOf(named).has('account/unknown')).toBe(false);
    expect(instancesOf(named).has('account-2')).toBe(true);
    // Its silence over a window that short (1 s: half a call expected) tells nothing.
    const short = selectTraces(spans, INCIDENT.start, INCIDENT.start + 2 * S);
    expect(nameDownInstances(short, reference, 1 * S)).toBe(short);
    // An instance down between its crashes serves a share of its service's calls far below its own.
    const looping = nameUnknownCallees([await read(true, true)])[0]!;
    const loopWindow = selectTraces(looping, INCIDENT.start, INCIDENT.end);
    const loopNamed = nameDownInstances(loopWindow, selectTraces(looping, T0, INCIDENT.start), INCIDENT.end - INCIDENT.start);
    expect(instancesOf(loopWindow).has('account-2')).toBe(true);
    expect(instancesOf(loopNamed).has('account/unknown')).toBe(false);
    // Every call on account/unknown went to account-2, none to account-1.
    const rowsOf = (t: SpanTable, name: string) => Array.from(t.instance).filter((c) => t.strings[c] === name).length;
    expect(rowsOf(loopNamed, 'account-2')).toBe(rowsOf(loopWindow, 'account-2') + rowsOf(loopWindow, 'account/unknown'));
    expect(rowsOf(loopNamed, 'account-1')).toBe(rowsOf(loopWindow, 'account-1'));
    // Its share of a window this short (10 s, 5 calls each) could be chance: the calls stay unnamed.
    const brief = selectTraces(looping, INCIDENT.start, INCIDENT.start + 10 * S);
    expect(nameDownInstances(brief, reference, 10 * S)).toBe(brief);
    // Both instances silent (no reference row of either in the window) is no one instance's fault.
    const both = selectRows(window, Uint8Array.from(window.instance, (c) => (window.strings[c]!.startsWith('account-') ? 0 : 1)));
    expect(instancesOf(nameDownInstances(both, reference, INCIDENT.end - INCIDENT.start)).has('account/unknown')).toBe(true);
  });
});

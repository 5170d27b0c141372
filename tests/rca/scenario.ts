/** A small synthetic bank for the algorithm tests: message logs with a planted fault, built into spans. */
import seedrandom from 'seedrandom';
import { buildSpansFromBatches } from '../../trees/index.js';
import type { Incident, SpanTable } from '../../data/types.js';
import { batchOf, call, type Row } from './messages.js';

export const T0 = 1_700_000_000_000;
export const MIN = 60_000;

export interface Planted {
  service: string;
  kind: 'slow' | 'error';
}

/**
 * One transaction per second for `minutes` minutes. transfer: gateway -> account -> (ledger, risk);
 * balance: gateway -> account -> cache; fx: gateway -> fx -> rates. From minute `faultAt` on, the
 * planted service gets 20x slower or fails (its callers then fail too: errors propagate up).
 */
export function plantedSpans(planted: Planted, minutes = 40, faultAt = 30): Promise<{ spans: SpanTable; incident: Incident }> {
  const key = `${planted.service}:${planted.kind}:${minutes}:${faultAt}`;
  if (!cache.has(key)) cache.set(key, build(planted, minutes, faultAt));
  return cache.get(key)!;
}

const cache = new Map<string, Promise<{ spans: SpanTable; incident: Incident }>>();

async function build(planted: Planted, minutes: number, faultAt: number): Promise<{ spans: SpanTable; incident: Incident }> {
  const rng = seedrandom.alea(`rca-test:${planted.service}:${planted.kind}`);
  const rows: Row[] = [];
  const jitter = (ms: number) => ms * (0.8 + 0.4 * rng());
  for (let k = 0; k < minutes * 60; k++) {
    const t = T0 + k * 1000;
    const faulty = t >= T0 + faultAt * MIN;
    const biz = `b${k}`;
    const type = ['transfer', 'balance', 'fx'][k % 3];
    let uid = 0;
    // Returns [end, failed] of a call and its subtree, children laid out sequentially.
    const node = (from: string, to: string, start: number, children: string[]): [number, boolean] => {
      const id = `${biz}-${++uid}`;
      let t1 = start + jitter(2);
      let childFailed = false;
      for (const c of children) {
        const [e, f] = node(to, c, t1, LEAVES[c] ?? []);
        t1 = e + jitter(1);
        childFailed ||= f;
      }
      const hit = faulty && planted.service === to;
      const self = jitter(5) * (hit && planted.kind === 'slow' ? 20 : 1);
      const end = t1 + self;
      const failed = childFailed || (hit && planted.kind === 'error');
      rows.push(...call({ biz, uid: id, from, to, start, end, txType: type, ttl: 5000, ret: failed ? 'system' : 'ok' }));
      return [end, failed];
    };
    const top = type === 'transfer' ? ['account'] : type === 'balance' ? ['account'] : ['fx'];
    LEAVES.account = type === 'transfer' ? ['ledger', 'risk'] : ['cache'];
    node('channel', 'gateway', t, top);
  }
  const spans = await buildSpansFromBatches([batchOf(rows)]);
  const incident: Incident = {
    id: 'planted',
    start: T0 + faultAt * MIN,
    end: T0 + minutes * MIN,
    rootCause: [planted.service],
    type: planted.kind,
  };
  return { spans, incident };
}

const LEAVES: Record<string, string[]> = { fx: ['rates'] };

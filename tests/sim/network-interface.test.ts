import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../sim/generate.js';
import { readTruth } from '../../sim/read.js';
import { loadScenario } from '../../sim/scenario.js';
import { median } from '../../detectors/stats.js';

const root = mkdtempSync(join(tmpdir(), 'fl-netif-'));
const START = Date.parse('2026-01-05T09:00:00Z');
const FAULT_FROM = START + 10 * 60_000;
const FAULT_TO = START + 20 * 60_000;

function scenario(name: string, fault: string): string {
  const file = join(root, `${name}.yaml`);
  writeFileSync(file, ['extends: fault-base', 'duration: 25m', 'traffic: { scale: 0.05 }', 'faults:', `  - ${fault}`].join('\n'));
  return file;
}

interface Call {
  caller: string;
  callee: string;
  start: number;
  /** Client duration minus server duration (ms): the time between the two sides. */
  gap: number;
  clientStatus: string;
  /** The server span's status, '' where there is none. */
  serverStatus: string;
  /** Whether the callee recorded a server span at all. */
  served: boolean;
}

/** Every call of an exported spans.csv: its client span and, where there is one, the server span under it. */
function calls(dir: string): Call[] {
  const [header, ...lines] = readFileSync(join(dir, 'spans.csv'), 'utf8').trimEnd().split('\n');
  const col = (n: string) => header!.split(',').indexOf(n);
  const [id, parent, inst, s0, s1, status, kind] = ['span_id', 'parent_id', 'instance', 'start_ns', 'end_ns', 'status', 'kind'].map(col) as number[];
  const client = new Map<string, string[]>();
  const server = new Map<string, string[]>();
  for (const line of lines) {
    const f = line.split(',');
    (f[kind!] === 'client' ? client.set(f[id!]!, f) : server.set(f[parent!]!, f));
  }
  const ms = (f: string[]) => Number(BigInt(f[s1!]!) - BigInt(f[s0!]!)) / 1e6;
  return [...client.entries()].map(([cid, c]) => {
    const s = server.get(cid);
    return {
      caller: c[inst!]!,
      callee: s?.[inst!] ?? '',
      start: Number(BigInt(c[s0!]!) / 1_000_000n),
      gap: s ? ms(c) - ms(s) : NaN,
      clientStatus: c[status!]!,
      serverStatus: s?.[status!] ?? '',
      served: s !== undefined,
    };
  });
}

const during = (c: Call) => c.start >= FAULT_FROM && c.start < FAULT_TO - 30_000;
const before = (c: Call) => c.start < FAULT_FROM - 30_000;
const medianGap = (list: Call[]) => median(list.map((c) => c.gap));

describe("network faults on an instance's interface (netem on the pod's egress)", () => {
  let delayed: Call[];
  let lossy: Call[];
  beforeAll(async () => {
    await generate({
      scenario: scenario('delay', '{ type: network-delay, target: { service: payment-service, instance: 1 }, start: 10m, duration: 10m, severity: 1 }'),
      seed: 3,
      out: join(root, 'delay'),
      logs: false,
      metrics: false,
      export: { spans: 'csv' },
    });
    await generate({
      scenario: scenario('loss', '{ type: packet-loss, target: { service: payment-service }, start: 10m, duration: 10m, severity: 1 }'),
      seed: 3,
      out: join(root, 'loss'),
      logs: false,
      metrics: false,
      export: { spans: 'csv' },
    });
    delayed = calls(join(root, 'delay'));
    lossy = calls(join(root, 'loss'));
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('delays what the instance sends: its replies to its callers and its requests to its callees, and nothing of its peers', () => {
    const into = delayed.filter((c) => c.callee === 'payment-service-01');
    const outOf = delayed.filter((c) => c.caller === 'payment-service-01');
    const peer = delayed.filter((c) => c.callee === 'payment-service-02' || c.caller === 'payment-service-02');
    for (const list of [into, outOf, peer]) expect(list.filter(during).length).toBeGreaterThan(10);
    // Severity 1 adds 500 ms to each leg the instance sends.
    expect(medianGap(into.filter(during))).toBeGreaterThan(450);
    expect(medianGap(outOf.filter(during))).toBeGreaterThan(450);
    for (const list of [into, outOf]) expect(medianGap(list.filter(before))).toBeLessThan(50);
    expect(medianGap(peer.filter(during))).toBeLessThan(50);
  });

  it("names the instance as the root cause, and the loss of a whole service's interface drops its replies and its requests", async () => {
    const truth = await readTruth(join(root, 'delay'));
    expect(truth.faults[0]).toMatchObject({ type: 'network-delay', target: { kind: 'instance', service: 'payment-service', instance: 'payment-service-01' }, rootCause: ['payment-service'], rootCauseInstance: 'payment-service-01' });
    const lossTruth = await readTruth(join(root, 'loss'));
    expect(lossTruth.faults[0]).toMatchObject({ type: 'packet-loss', target: { kind: 'service', service: 'payment-service' }, rootCause: ['payment-service'] });
    const intoPayment = (c: Call) => c.callee.startsWith('payment-service-');
    // A lost reply: the callee served the call, its caller timed out.
    const lostReplies = (pick: (c: Call) => boolean) => lossy.filter((c) => pick(c) && intoPayment(c) && c.serverStatus === 'ok' && c.clientStatus !== 'ok').length;
    expect(lostReplies(during)).toBeGreaterThan(3);
    expect(lostReplies(before)).toBe(0);
    // A lost request: a call from the service that never reached its callee.
    const lostRequests = (pick: (c: Call) => boolean) => lossy.filter((c) => pick(c) && c.caller.startsWith('payment-service-') && !c.served).length;
    expect(lostRequests(during)).toBeGreaterThan(3);
    expect(lostRequests(before)).toBe(0);
  });

  it('takes a link or an interface, not both, and says so', () => {
    const bad = (target: string) => () => loadScenario(scenario('bad', `{ type: network-delay, target: ${target}, start: 10m, duration: 10m, severity: 1 }`));
    expect(bad('{ service: payment-service, from: api-gateway, to: payment-service }')).toThrow(/bad\.yaml:5: faults\[0\]\.target.*a link \(target\.from and target\.to\) or an instance's interface/);
    expect(bad('{ instance: 1 }')).toThrow(/bad\.yaml:5: faults\[0\]\.target.*needs target\.from and target\.to .*or target\.service/);
    expect(bad('{ service: no-such-service }')).toThrow(/unknown service 'no-such-service'/);
  });
});

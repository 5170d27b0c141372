/**
 * Child calls marked `parallel` are made alongside the sibling before them: the caller waits for
 * the slowest of the run, then goes on; a failure in the run ends the handling once the whole run
 * has replied. Checked on the exported client and server spans of a deterministic tree.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { generate } from '../../sim/generate.js';
import type { ScenarioFile } from '../../sim/scenario-schema.js';

const root = mkdtempSync(join(tmpdir(), 'fl-par-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SELF_MS = 7;

function scenario(parallel: boolean): ScenarioFile {
  return {
    name: 'fan',
    start: '2026-01-05T09:00:00Z',
    duration: '3m',
    legMs: 0.2,
    dcns: ['dcn-01'],
    subsystems: [
      {
        name: 'fan',
        services: ['front', 'mid', 'a', 'b', 'c'].map((name) => ({ name, instances: 1, capacity: 1e6, serviceTimeMs: 1, sigma: 0 })),
      },
    ],
    transactions: [
      {
        name: 'fan',
        rate: 5,
        root: {
          call: 'front',
          operation: 'front-op',
          children: [
            {
              call: 'mid',
              operation: 'mid-op',
              serviceTimeMs: SELF_MS,
              sigma: 0,
              children: [
                { call: 'a', operation: 'a-op', serviceTimeMs: 20, sigma: 0.5, errorRate: 0.3 },
                { call: 'b', operation: 'b-op', serviceTimeMs: 20, sigma: 0.5, errorRate: 0.2, ...(parallel ? { parallel: true } : {}) },
                { call: 'c', operation: 'c-op', serviceTimeMs: 5, sigma: 0 },
              ],
            },
          ],
        },
      },
    ],
    traffic: { daily: Array(24).fill(1), weekly: Array(7).fill(1), noise: 0 },
  } as ScenarioFile;
}

interface Span { trace: string; id: string; parent: string; op: string; start: number; end: number; status: string; kind: string }

async function spansOf(name: string, parallel: boolean): Promise<Map<string, Span[]>> {
  const file = join(root, `${name}.yaml`);
  writeFileSync(file, stringify(scenario(parallel)));
  await generate({ scenario: file, seed: 5, out: join(root, name), logs: false, metrics: false, export: { spans: 'csv' } });
  const [head, ...lines] = readFileSync(join(root, name, 'spans.csv'), 'utf8').trim().split('\n');
  const col = Object.fromEntries(head!.split(',').map((c, i) => [c, i]));
  const byTrace = new Map<string, Span[]>();
  for (const line of lines) {
    const f = line.split(',');
    const s: Span = { trace: f[col.trace_id]!, id: f[col.span_id]!, parent: f[col.parent_id]!, op: f[col.operation]!, start: Number(f[col.start_ns]) / 1e6, end: Number(f[col.end_ns]) / 1e6, status: f[col.status]!, kind: f[col.kind]! };
    const list = byTrace.get(s.trace) ?? [];
    list.push(s);
    byTrace.set(s.trace, list);
  }
  return byTrace;
}

/** Per trace: mid's server span and the client spans of its calls by operation. */
function calls(trace: Span[]): { mid: Span; client: Map<string, Span> } {
  const mid = trace.find((s) => s.op === 'mid-op' && s.kind === 'server')!;
  const client = new Map(trace.filter((s) => s.kind === 'client' && s.parent === mid.id).map((s) => [s.op, s]));
  return { mid, client };
}

let par: Map<string, Span[]>;
let seq: Map<string, Span[]>;
beforeAll(async () => {
  par = await spansOf('parallel', true);
  seq = await spansOf('sequential', false);
}, 60_000);

describe('parallel child calls', () => {
  it('start together, and the parent lasts its own time plus the slowest of the run plus what follows', () => {
    let checked = 0;
    const failedIn = { a: 0, b: 0 };
    for (const trace of par.values()) {
      const { mid, client } = calls(trace);
      const a = client.get('a-op')!;
      const b = client.get('b-op')!;
      expect(b.start).toBeCloseTo(a.start, 3);
      // Own time (no queueing at this load) comes first, then the calls.
      expect(a.start - mid.start).toBeCloseTo(SELF_MS, 2);
      const c = client.get('c-op');
      if (a.status === 'ok' && b.status === 'ok') {
        expect(c!.start).toBeCloseTo(Math.max(a.end, b.end), 3);
        expect(mid.end - mid.start).toBeCloseTo(SELF_MS + Math.max(a.end - a.start, b.end - b.start) + (c!.end - c!.start), 2);
        expect(mid.status).toBe('ok');
      } else {
        // A failed call of the run, first or second: the sibling is still waited for, the call after it not made.
        if (a.status !== 'ok') failedIn.a++;
        else failedIn.b++;
        expect(c).toBeUndefined();
        expect(mid.end - mid.start).toBeCloseTo(SELF_MS + Math.max(a.end - a.start, b.end - b.start), 2);
        expect(mid.status).toBe('error');
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(500);
    expect(failedIn.a).toBeGreaterThan(50);
    expect(failedIn.b).toBeGreaterThan(50);
  });

  it('are made one after another by default, and a failure stops the calls after it', () => {
    for (const trace of seq.values()) {
      const { mid, client } = calls(trace);
      const a = client.get('a-op')!;
      const b = client.get('b-op');
      if (a.status !== 'ok') {
        expect(b).toBeUndefined();
        expect(mid.end).toBeCloseTo(a.end, 3);
        continue;
      }
      expect(b!.start).toBeCloseTo(a.end, 3);
      if (b!.status !== 'ok') {
        expect(client.get('c-op')).toBeUndefined();
        expect(mid.end).toBeCloseTo(b!.end, 3);
        continue;
      }
      expect(mid.end - mid.start).toBeCloseTo(SELF_MS + (a.end - a.start) + (b!.end - b!.start) + (client.get('c-op')!.end - client.get('c-op')!.start), 2);
    }
  });
});

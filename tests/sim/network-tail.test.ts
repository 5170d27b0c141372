/** A call's slow network mode (`networkTail`): a share of its replies held up once more between hosts. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generate } from '../../sim/generate.js';
import { writeCallChainScenario } from './call-chain-scenario.js';

const root = mkdtempSync(join(tmpdir(), 'fl-tail-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The gaps (client span minus server span, ms) of the calls into mid. */
async function gaps(name: string, tail: string): Promise<{ gaps: number[]; text: string }> {
  const file = writeCallChainScenario(join(root, `${name}.yaml`), {
    name,
    subsystem: 'nt',
    services: [['front', 1], ['mid', 5]],
    root: `{ call: front, operation: front-op, children: [{ call: mid, operation: mid-op${tail} }] }`,
    faults: [],
  });
  await generate({ scenario: file, seed: 2, out: join(root, name), metrics: false, export: { spans: 'csv' } });
  const text = readFileSync(join(root, name, 'spans.csv'), 'utf8');
  const [head, ...rows] = text.trim().split('\n');
  const col = Object.fromEntries(head!.split(',').map((c, i) => [c, i]));
  const span = new Map<string, string[]>();
  for (const row of rows) {
    const f = row.split(',');
    span.set(f[col.span_id]!, f);
  }
  const out: number[] = [];
  for (const f of span.values()) {
    if (f[col.operation] !== 'mid-op' || f[col.kind] !== 'server') continue;
    const client = span.get(f[col.parent_id]!)!;
    const length = (r: string[]) => (Number(r[col.end_ns]) - Number(r[col.start_ns])) / 1e6;
    out.push(length(client) - length(f));
  }
  return { gaps: out, text };
}

describe('networkTail', () => {
  it('holds up its share of replies by its lognormal, on top of the legs', async () => {
    const { gaps: g } = await gaps('tail', ', networkTail: { share: 0.25, medianMs: 150, sigma: 0 }');
    expect(g.length).toBeGreaterThan(1000);
    const held = g.filter((x) => x > 100);
    expect(Math.abs(held.length / g.length - 0.25)).toBeLessThan(0.03);
    // sigma 0: each held reply waits 150 ms beyond its legs (a few ms).
    for (const x of held) expect(x).toBeGreaterThan(150);
    for (const x of held) expect(x).toBeLessThan(170);
  });

  it('is absent by default, and the same seed writes the same bytes', async () => {
    const { gaps: g } = await gaps('none', '');
    expect(g.filter((x) => x > 100)).toEqual([]);
    const a = await gaps('again', ', networkTail: { share: 0.25, medianMs: 150 }');
    const b = await gaps('again2', ', networkTail: { share: 0.25, medianMs: 150 }');
    expect(a.text).toBe(b.text);
  });
});

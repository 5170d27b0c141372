/**
 * The loader reads only what a ranking reads: with a baseline given, spans far from every incident
 * are dropped while streaming, and the rankings are those of the whole table; incidents can be
 * chosen by time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadSource } from '../../pipeline/load.js';
import { loadSpans } from '../../data/inputs.js';
import { rankIncidents } from '../../rca/evaluate.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';
import { BadRows } from '../../common/bad-rows.js';
import { UsageError } from '../../common/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'fl-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.UTC(2026, 0, 5, 8);
const MIN = 60_000;

/** One trace every 20 s for `minutes`: gateway -> ledger -> ledger-db; ledger slow inside `slow`. */
function spanCsv(file: string, from: number, minutes: number, slow: Array<[number, number]> = []) {
  const rows = ['trace_id,span_id,parent_id,service,instance,operation,start_ns,end_ns,status'];
  for (let k = 0; k < minutes * 3; k++) {
    const t = from + k * 20_000;
    const extra = slow.some(([a, b]) => t >= a && t < b) ? 400 : 0;
    const ns = (ms: number) => String(BigInt(Math.round(ms * 1000)) * 1000n);
    const id = `${file.length}-${k}`;
    rows.push(`t${id},a${id},,gateway,gateway-1,pay,${ns(t)},${ns(t + 30 + extra + (k % 5))},ok`);
    rows.push(`t${id},b${id},a${id},ledger,ledger-1,post,${ns(t + 5)},${ns(t + 25 + extra + (k % 5))},ok`);
    rows.push(`t${id},c${id},b${id},ledger-db,ledger-db-1,insert,${ns(t + 10)},${ns(t + 20)},ok`);
  }
  writeFileSync(file, rows.join('\n') + '\n');
}

const spans = join(dir, 'spans.csv');
const baseline = join(dir, 'baseline.csv');
const incidents = join(dir, 'incidents.json');
const windows: Array<[number, number]> = [
  [T0 + 60 * MIN, T0 + 70 * MIN],
  [T0 + 300 * MIN, T0 + 310 * MIN],
];
spanCsv(spans, T0, 480, windows);
spanCsv(baseline, T0 - 24 * 60 * MIN, 60);
writeFileSync(
  incidents,
  JSON.stringify(windows.map(([s, e], i) => ({ id: `i${i}`, start: new Date(s).toISOString(), end: new Date(e).toISOString(), rootCause: ['ledger'] }))),
);

describe('loadSource', () => {
  it('with a baseline, keeps only the spans near incidents, and ranks as over the whole table', async () => {
    const t = await loadSource({ spans: [spans], baseline: [baseline], incidents }, { need: new Set(['spans']) });
    const whole = await loadSpans([spans], { badRows: new BadRows() });
    expect(whole.length).toBe(480 * 3 * 3);
    expect(t.spans.length).toBeGreaterThan(0);
    expect(t.spans.length).toBeLessThan(whole.length / 2);
    expect(t.notes.join('\n')).toMatch(/spans were not near an incident and were dropped while reading/);
    for (const name of ['deepest-abnormal', 'edge-latency', 'microrank']) {
      const method = await resolveRcaAlgorithm(name);
      const near = await rankIncidents(method, t.spans, t.incidents, { baseline: t.baseline! });
      const all = await rankIncidents(method, whole, t.incidents, { baseline: t.baseline! });
      expect(near.map((r) => r.candidates), name).toEqual(all.map((r) => r.candidates));
      expect(near[0]!.candidates.length, name).toBeGreaterThan(0);
    }
    const deepest = await rankIncidents(await resolveRcaAlgorithm('deepest-abnormal'), t.spans, t.incidents, { baseline: t.baseline! });
    expect(deepest.map((r) => r.rank)).toEqual([1, 1]);
  });

  it('without a baseline, keeps every span (the reference is what came before the first incident)', async () => {
    const t = await loadSource({ spans: [spans], incidents }, { need: new Set(['spans']) });
    expect(t.spans.length).toBe(480 * 3 * 3);
  });

  it('--incidents-from and --incidents-until choose incidents by their start', async () => {
    const later = await loadSource({ spans: [spans], incidents, incidentsFrom: new Date(T0 + 120 * MIN).toISOString() }, { need: new Set(['spans']) });
    expect(later.incidents.map((i) => i.id)).toEqual(['i1']);
    const earlier = await loadSource({ spans: [spans], incidents, incidentsUntil: new Date(T0 + 120 * MIN).toISOString() }, { need: new Set(['spans']) });
    expect(earlier.incidents.map((i) => i.id)).toEqual(['i0']);
    await expect(loadSource({ spans: [spans], incidents, incidentsFrom: '2026-02-30T00:00:00Z' }, { need: new Set(['spans']) })).rejects.toThrow(UsageError);
  });

  it('names the first ten metric columns --metric-columns does not match, then how many more', async () => {
    const unmatched = Array.from({ length: 12 }, (_, k) => `note${k + 1}`);
    const wide = join(dir, 'wide-metrics.csv');
    writeFileSync(wide, `time,ledger-1_cpu,${unmatched.join(',')}\n${(T0 + 60 * MIN) / 1000},0.5,${unmatched.map(() => 1).join(',')}\n`);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const t = await loadSource({ spans: [spans], incidents, metrics: [wide] }, { need: new Set(['spans', 'metrics']), metricColumns: { time: 'time', instance_metric: '^(.+?)_(.+)$' } });
      expect(t.notes).toContain(`${wide}: 12 column(s) not matched by --metric-columns instance_metric, not read`);
      expect(stderr.mock.calls.map(([text]) => String(text))).toContain(
        `faultline: warning: ${wide}: 12 column(s) not matched by --metric-columns instance_metric, not read: note1, note2, note3, note4, note5, note6, note7, note8, note9, note10 and 2 more\n`,
      );
    } finally {
      stderr.mockRestore();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { rankIncidents } from '../../rca/evaluate.js';
import { listRcaAlgorithms, resolveRcaAlgorithm } from '../../rca/registry.js';
import { missingInputs } from '../../common/plugin.js';
import { emptySpanTable } from '../../data/span-table.js';
import type { Series } from '../../data/types.js';
import { plantedSpans as planted20, MIN, T0, type Planted } from './scenario.js';

const plantedSpans = (p: Planted) => planted20(p, 20, 15);

const SPAN_ALGORITHMS = ['count', 'deepest-abnormal', 'ochiai', 'tarantula', 'dstar2', 'microrank'];

describe('built-in RCA algorithms find a planted root cause', () => {
  it('registers every built-in under its published name', () => {
    expect(listRcaAlgorithms().map((f) => f.name)).toEqual([...SPAN_ALGORITHMS, 'kpi-first', 'simple-rules', 'edge-latency', 'baro', 'pattern-contrast']);
  });

  const PLANTED = [
    { service: 'ledger', kind: 'slow' },
    { service: 'ledger', kind: 'error' },
    { service: 'rates', kind: 'error' },
  ] as const;
  /**
   * Planted faults a method cannot place from spans alone, and why. Each is run as a test that
   * must fail, so that a method that learns to place it is noticed.
   */
  const KNOWN_MISSES: Record<string, string> = {
    'simple-rules error': 'it reads span durations, not statuses: failures reach it through metrics and error logs',
    'baro error': "a callee's failure share recurs at each caller it fails, and the most deviant series does not tell the first",
  };
  // Every registered method that ranks from spans, on each planted fault: one case each.
  const cases = listRcaAlgorithms()
    .filter((m) => missingInputs(m, new Set(['spans'])) === undefined)
    .flatMap((m) => PLANTED.map((planted) => ({ name: m.name, ...planted })));
  const known = (c: { name: string; kind: string }) => `${c.name} ${c.kind}` in KNOWN_MISSES;
  const ranksFirst = async ({ name, service, kind }: (typeof cases)[number]) => {
    const { spans, incident } = await plantedSpans({ service, kind });
    const [r] = await rankIncidents(await resolveRcaAlgorithm(name), spans, [incident]);
    expect(r.candidates[0].explanation.length).toBeGreaterThan(0);
    // The count baseline sees a failing callee's errors at every caller too: top 3 only.
    if (name === 'count' && kind === 'error') expect(r.rank > 0 && r.rank <= 3).toBe(true);
    else expect(r.candidates[0]?.service).toBe(service);
  };
  it.each(cases.filter((c) => !known(c)))('$name ranks $service first when it is $kind', ranksFirst);
  it.fails.each(cases.filter(known))('$name does not rank $service first when it is $kind (a known miss)', ranksFirst);

  it('backs each candidate with the evidence its score comes from', async () => {
    const { spans, incident } = await plantedSpans({ service: 'ledger', kind: 'error' });
    const top = async (name: string) => (await rankIncidents(await resolveRcaAlgorithm(name), spans, [incident]))[0]!.candidates.find((c) => c.service === 'ledger')!;
    // count: errors and slow calls per 1000 calls, the window against the baseline's rate.
    const count = await top('count');
    const [errors, slow] = count.evidence!;
    const calls = Number(/of (\d+) calls/.exec(count.explanation)![1]);
    const errorCount = Number(/^(\d+) errors/.exec(count.explanation)![1]);
    expect(errors).toMatchObject({ kind: 'calls', subject: 'ledger', unit: 'errors per 1000 calls', note: `${errorCount} errors of ${calls} calls` });
    expect(errors!.value).toBeCloseTo((1000 * errorCount) / calls, 9);
    expect(errors!.value!).toBeGreaterThan(errors!.baseline!);
    expect(slow).toMatchObject({ kind: 'calls', subject: 'ledger', unit: 'slow calls per 1000 calls' });
    // deepest-abnormal: its deepest abnormal calls against what the baseline's rate predicts, the score's two terms.
    const deepest = await top('deepest-abnormal');
    expect(deepest.evidence).toHaveLength(1);
    expect(deepest.evidence![0]!.value! - deepest.evidence![0]!.baseline!).toBeCloseTo(deepest.score, 9);
    // Spectrum methods: the best operation's share of abnormal and of normal traces.
    for (const name of ['ochiai', 'tarantula', 'dstar2', 'microrank']) {
      const c = await top(name);
      const [ev] = c.evidence!;
      const [, ef, abnormal, ep, normal] = /(\d+) of (\d+) abnormal and (\d+) of (\d+) normal traces/.exec(ev!.note!)!.map(Number);
      expect([name, ev!.kind, ev!.subject.length > 0]).toEqual([name, 'calls', true]);
      expect(ev!.value).toBeCloseTo(ef! / abnormal!, 12);
      expect(ev!.baseline).toBeCloseTo(ep! / normal!, 12);
      expect(c.explanation).toContain(ev!.subject);
    }
  });

  it('deepest-abnormal blames the slow leaf, not its waiting callers', async () => {
    const { spans, incident } = await plantedSpans({ service: 'ledger', kind: 'slow' });
    const [r] = await rankIncidents(await resolveRcaAlgorithm('deepest-abnormal'), spans, [incident]);
    const score = (s: string) => r.candidates.find((c) => c.service === s)?.score ?? 0;
    expect(score('ledger')).toBeGreaterThan(10 * Math.max(score('account'), score('gateway'), 1));
  });

  it('passes options given in the spec (name:key=value)', async () => {
    const { spans, incident } = await plantedSpans({ service: 'ledger', kind: 'slow' });
    const strict = await resolveRcaAlgorithm('count:z=1000');
    const [r] = await rankIncidents(strict, spans, [incident]);
    expect(r.candidates.every((c) => c.score <= 0.5)).toBe(true); // nothing is slow at z = 1000
  });

  it('kpi-first ranks the service whose KPIs moved first', async () => {
    const minutes = Float64Array.from({ length: 120 }, (_, i) => T0 + i * MIN);
    const flat = (level: number, jumpAt: number, to: number) =>
      Float64Array.from(minutes, (_, i) => (i >= jumpAt ? to : level * (1 + 0.01 * Math.sin(i))));
    const kpis: Series[] = [
      { id: 'service:gateway:avgLatency', timestamps: minutes, values: flat(20, 92, 60) },
      { id: 'service:ledger:avgLatency', timestamps: minutes, values: flat(5, 90, 80) },
      { id: 'service:account:avgLatency', timestamps: minutes, values: flat(10, 91, 40) },
      { id: 'service:cache:avgLatency', timestamps: minutes, values: flat(2, 200, 2) },
    ];
    const incident = { id: 'k', start: T0 + 90 * MIN, end: T0 + 110 * MIN, rootCause: ['ledger'] };
    const ranked = await (await resolveRcaAlgorithm('kpi-first')).create().rank({ incident, spans: emptySpanTable(), baseline: emptySpanTable(), kpis });
    expect(ranked.map((c) => c.service)).toEqual(['ledger', 'account', 'gateway']);
    expect(ranked[0]!.evidence).toEqual([
      { kind: 'metric', subject: 'service:ledger:avgLatency', value: 80, baseline: expect.closeTo(5, 1), note: expect.stringMatching(/^\d+\.\d sigma from its median over the reference window, first at \S+Z$/) },
    ]);
  });

  it('kpi-first says clearly when it has no KPIs', async () => {
    const incident = { id: 'k', start: T0, end: T0 + MIN, rootCause: [] };
    const method = await resolveRcaAlgorithm('kpi-first');
    expect(() => method.create().rank({ incident, spans: emptySpanTable(), baseline: emptySpanTable() })).toThrow(/needs KPIs/);
  });

  it('rejects an unknown algorithm with the list of built-ins', async () => {
    await expect(resolveRcaAlgorithm('nope')).rejects.toThrow(/built-ins are count, deepest-abnormal/);
  });
});

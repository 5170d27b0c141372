import { describe, expect, it } from 'vitest';
import { DEFAULT_REPAIR_MINUTES, detectMs, mtbfMs, operatorIdentifyMs, repairMs, DEFAULT_MTTR_MODEL } from '../../scores/mttr.js';
import { splitSpecs } from '../../scripts/commands/options.js';
import { loadSuite, parseSuite, SuiteError } from '../../pipeline/suite.js';
import { buildSweep, deriveSeed, expandScenarios, parseShard, selectShard } from '../../pipeline/sweep.js';
import { downsampleMinMax } from '../../reports/downsample.js';
import { LATENCY_EDGES_MS, transactionLatency } from '../../reports/latency.js';
import type { SpanTable } from '../../data/types.js';
import { sampleResults } from './fixtures.js';

describe('suite files', () => {
  it('loads the default ci suite with MTTR defaults filled in', () => {
    const suite = loadSuite('ci');
    expect(suite.name).toBe('ci');
    expect(suite.scenarios).toEqual(expect.arrayContaining(['faults/*', 'hard/*']));
    expect(suite.detectors.length).toBeGreaterThan(0);
    expect(suite.mttr.topK).toBeGreaterThan(0);
  });

  it('names the file, line and field path of a bad value', () => {
    const text = ['scenarios: [default]', 'detectors: [ksigma]', 'rca: [all]', 'seeds: [1, -2]', 'mttr:', '  repairMinutes:', '    database-slow: fast'].join('\n');
    let message = '';
    try {
      parseSuite(text, 'bad.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(SuiteError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/bad\.yaml:4: seeds\.1: /);
    expect(message).toMatch(/bad\.yaml:7: mttr\.repairMinutes\.database-slow: /);
  });

  it('rejects unknown keys, fault types and broken YAML', () => {
    expect(() => parseSuite('scenarios: [a]\ndetectors: [x]\nrca: [y]\nseedz: [1]\n', 's.yaml')).toThrow(/seedz/);
    expect(() => parseSuite('scenarios: [a]\ndetectors: [x]\nrca: [y]\nmttr: {repairMinutes: {disk-fire: 3}}\n', 's.yaml')).toThrow(/disk-fire/);
    expect(() => parseSuite('scenarios: [a\n', 'y.yaml')).toThrow(/y\.yaml:\d+: not valid YAML at column \d+/);
    expect(() => loadSuite('no-such-suite')).toThrow(/not found/);
  });
});

describe('sweep and shards', () => {
  const known = ['default', 'faults/a', 'faults/b', 'faults/deep/c', 'hard/x'];

  it('expands folder patterns and refuses unknown names', () => {
    expect(expandScenarios(['faults/*', 'hard/x', 'faults/a'], known)).toEqual(['faults/a', 'faults/b', 'hard/x']);
    expect(() => expandScenarios(['nope'], known)).toThrow(/unknown scenario "nope"/);
    expect(() => expandScenarios(['empty/*'], known)).toThrow(/matches no scenario/);
  });

  it('sorts items by key and seeds each from its own key only', () => {
    const sweep = buildSweep(['hard/x', 'faults/a'], [2, 1]);
    expect(sweep.map((i) => i.key)).toEqual(['faults/a@1', 'faults/a@2', 'hard/x@1', 'hard/x@2']);
    const alone = buildSweep(['hard/x'], [2]);
    expect(alone[0]!.generatorSeed).toBe(sweep[3]!.generatorSeed);
    expect(deriveSeed(2, 'hard/x@2')).toBe(sweep[3]!.generatorSeed);
    expect(new Set(sweep.map((i) => i.generatorSeed)).size).toBe(4);
  });

  it('partitions the sweep: shards are disjoint and cover it', () => {
    const sweep = buildSweep(known, [1, 2, 3]);
    const shards = [1, 2, 3, 4].map((i) => selectShard(sweep, parseShard(`${i}/4`)));
    expect(shards.flat().map((i) => i.key).sort()).toEqual(sweep.map((i) => i.key));
    expect(shards.map((s) => s.length)).toEqual([4, 4, 4, 3]);
    expect(shards[1]![0]).toBe(sweep[1]);
  });

  it('parses i/n and refuses anything else', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1/0', 'a/b', '1', '1/2/3']) expect(() => parseShard(bad)).toThrow(/--shard/);
  });

  it('splits spec lists without breaking per-spec options', () => {
    expect(splitSpecs('ksigma:window=120,k=4, ewma ,cmd:python3 x.py')).toEqual(['ksigma:window=120,k=4', 'ewma', 'cmd:python3 x.py']);
  });
});

describe('MTTR model', () => {
  const m = DEFAULT_MTTR_MODEL;
  it('charges operator time per candidate up to k, then the manual search', () => {
    expect(operatorIdentifyMs(1, m)).toBe(5 * 60_000);
    expect(operatorIdentifyMs(5, m)).toBe(25 * 60_000);
    expect(operatorIdentifyMs(6, m)).toBe((25 + 60) * 60_000);
    expect(operatorIdentifyMs(0, m)).toBe((25 + 60) * 60_000);
  });
  it('falls back for undetected faults and unknown types', () => {
    const fault = sampleResults()[1]!.faults[0]!;
    expect(detectMs(fault, null, m)).toBe(30 * 60_000);
    expect(detectMs(fault, fault.start + 1000, m)).toBe(1000);
    expect(repairMs('bad-release', m)).toBe(DEFAULT_REPAIR_MINUTES['bad-release'] * 60_000);
    expect(repairMs('bad-release', { ...m, repairMinutes: { 'bad-release': 2 } })).toBe(2 * 60_000);
    expect(repairMs('imported-kind', m)).toBe(30 * 60_000);
  });
  it('MTBF merges overlapping fault windows', () => {
    const [item] = sampleResults();
    const twoOverlapping = { ...item!, faults: item!.faults.map((f) => ({ ...f, moved: ['x'] })) };
    // windows 60-80 and 70-90 of a 120 minute run: 90 up minutes over 2 failures.
    expect(mtbfMs([twoOverlapping])).toBe(45 * 60_000);
    expect(mtbfMs([{ ...item!, faults: [] }])).toBeNull();
  });
});

describe('chart data', () => {
  it('min-max downsampling keeps spikes and dips', () => {
    const n = 10_000;
    const t = Float64Array.from({ length: n }, (_, i) => i);
    const v = Float64Array.from({ length: n }, (_, i) => (i === 4321 ? 99 : i === 777 ? -5 : Math.sin(i / 50)));
    const d = downsampleMinMax(t, v, 400);
    expect(d.timestamps.length).toBeLessThanOrEqual(400);
    expect(d.values).toContain(99);
    expect(d.values).toContain(-5);
    expect(d.timestamps).toEqual([...d.timestamps].sort((a, b) => a - b));
  });

  it('bins root-call latency, split by fault window', () => {
    const spans = {
      length: 4,
      parent: Int32Array.from([-1, 0, -1, -1]),
      start: Float64Array.from([0, 1, 100, 200]),
      end: Float64Array.from([50, 20, 5100, 250]),
    } as unknown as SpanTable;
    const h = transactionLatency(spans, [[100, 150]]);
    const bin = (ms: number) => LATENCY_EDGES_MS.findIndex((e, k) => ms >= e && ms < LATENCY_EDGES_MS[k + 1]!);
    expect(h.normal.reduce((a, b) => a + b)).toBe(2);
    expect(h.fault.reduce((a, b) => a + b)).toBe(1);
    expect(h.normal[bin(50)]).toBe(2);
    expect(h.fault[bin(5000)]).toBe(1);
  });

  it('counts a root in a fault when any of many overlapping, unsorted windows holds its start, ends excluded', () => {
    const starts = [0, 99, 100, 149, 150, 160, 300, 399, 400, 1000];
    const spans = {
      length: starts.length,
      parent: new Int32Array(starts.length).fill(-1),
      start: Float64Array.from(starts),
      end: Float64Array.from(starts, (t) => t + 10),
    } as unknown as SpanTable;
    const h = transactionLatency(spans, [
      [300, 400],
      [100, 150],
      [120, 140],
      [350, 380],
      [500, 500],
    ]);
    // In: 100, 149, 300, 399. Out: 0, 99, 150, 160, 400, 1000.
    expect(h.fault.reduce((a, b) => a + b)).toBe(4);
    expect(h.normal.reduce((a, b) => a + b)).toBe(6);
  });
});

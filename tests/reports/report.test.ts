import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JSDOM } from 'jsdom';
import { afterAll, describe, expect, it } from 'vitest';
import { compareSummaries, formatComparison, readSummary } from '../../reports/compare.js';
import { escapeHtml } from '../../reports/escape.js';
import { renderJunit } from '../../reports/junit.js';
import { mergeResults, MergeError } from '../../reports/merge.js';
import { DEFAULT_MTTR_MODEL } from '../../scores/mttr.js';
import type { ResultsFile, RunConfig } from '../../reports/results-file.js';
import { summarize } from '../../reports/summarize.js';
import { SummarySchema } from '../../reports/summary-schema.js';
import { writeReport } from '../../reports/write.js';
import { HOSTILE, sampleResults } from './fixtures.js';

const MIN = 60_000;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-report-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('escapeHtml', () => {
  it('escapes the five HTML-special characters and nothing else', () => {
    expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;');
    expect(escapeHtml('plain ünïcode 1.5')).toBe('plain ünïcode 1.5');
  });
});

describe('summarize', () => {
  const s = summarize(sampleResults(), { suite: 'test', gate: { best: 0.5 } });

  it('matches its schema and orders items by key', () => {
    expect(() => SummarySchema.parse(JSON.parse(JSON.stringify(s)))).not.toThrow();
    expect(s.items.map((i) => i.key)).toEqual(['faults/database-slow@1', `hard/${HOSTILE}@2`]);
    expect(s.faults).toBe(3);
    expect(s.impactingFaults).toBe(2);
  });

  it('pools RCA ranks over all incidents (ac1, ac3, mrr) and by fault type', () => {
    const alpha = s.rca.find((a) => a.name === 'alpha')!;
    const beta = s.rca.find((a) => a.name === 'beta')!;
    expect(alpha.incidents).toBe(3);
    expect(alpha.ac1).toBeCloseTo(2 / 3, 12);
    expect(alpha.ac3).toBeCloseTo(2 / 3, 12);
    expect(alpha.mrr).toBeCloseTo(2 / 3, 12);
    expect(beta.ac1).toBeCloseTo(1 / 3, 12);
    expect(beta.ac3).toBe(1);
    expect(beta.mrr).toBeCloseTo((0.5 + 1 + 1 / 3) / 3, 12);
    expect(alpha.byType['bad-release']!.ac1).toBe(0);
    expect(beta.byType['cpu-saturation']!.ac3).toBe(1);
    expect(s.bestRca).toEqual({ name: 'alpha', ac1: alpha.ac1 });
  });

  it('times detection per impacting fault and pools events', () => {
    const ksigma = s.detectors.find((d) => d.name === 'ksigma')!;
    const spot = s.detectors.find((d) => d.name === 'spot')!;
    expect(ksigma.faults).toBe(2); // the no-impact fault is not counted
    expect(ksigma.detectedFaults).toBe(1);
    expect(ksigma.meanTimeToDetectMs).toBe(3 * MIN);
    expect(spot.meanTimeToDetectMs).toBe(3.5 * MIN);
    expect(ksigma.eventRecall).toBeCloseTo(2 / 3, 12);
    expect(ksigma.pointAdjustedF1).toBeCloseTo(0.6, 12);
    expect(ksigma.byType['bad-release']).toEqual({ faults: 1, detected: 0, detectionRate: 0, meanTimeToDetectMs: null });
  });

  it('applies the MTTR model per pairing', () => {
    const p = s.mttr.pairings.find((x) => x.detector === 'ksigma' && x.rca === 'alpha')!;
    // f1: detect 3 min, identify 12 ms + 1 x 5 min, repair 30; f2: undetected 30, absent 10 ms + 5 x 5 + 60, repair 15.
    expect(p.faults).toBe(2);
    expect(p.detectMs).toBe(16.5 * MIN);
    expect(p.identifyMs).toBe((5 * MIN + 12 + 85 * MIN + 10) / 2);
    expect(p.identifyComputeMs).toBe(11);
    expect(p.repairMs).toBe(22.5 * MIN);
    expect(p.mttrMs).toBeCloseTo(84 * MIN + 11, 6);
    expect(s.mttr.mtbfMs).toBe(100 * MIN);
    expect(p.availability).toBeCloseTo(100 / (100 + 84 + 11 / MIN), 9);
    expect(s.mttr.pairings).toHaveLength(4);
  });

  it('gates on the best method, or on named methods each with its bar, and says why', () => {
    expect(s.gate.passed).toBe(true);
    const failed = summarize(sampleResults(), { gate: { best: 0.9 } });
    expect(failed.gate.passed).toBe(false);
    expect(failed.gate.message).toContain('alpha');
    expect(failed.gate.message).toContain('0.667 < required 0.900');
    const named = summarize(sampleResults(), { gate: { methods: { alpha: 0.6, beta: 0.5 } } });
    expect(named.gate.minAc1).toEqual({ alpha: 0.6, beta: 0.5 });
    expect(named.gate.passed).toBe(named.rca.every((a) => a.ac1! >= (a.name === 'alpha' ? 0.6 : 0.5)));
    expect(() => summarize(sampleResults(), { gate: { methods: { nope: 0.5 } } })).toThrow(/--min-ac1: nope is not one of the run's RCA methods/);
  });
});

describe('writeReport', () => {
  const out = path.join(tmp, 'report');

  it('writes report.html with every user string escaped, summary.json and junit.xml', async () => {
    const { summary, gatePassed } = await writeReport(sampleResults(), out, { gate: { best: 0.9 }, title: `run ${HOSTILE}` });
    expect(gatePassed).toBe(false);
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).not.toContain('<script');
    expect(html).toContain(escapeHtml(HOSTILE));
    const doc = new JSDOM(html).window.document;
    expect(doc.querySelectorAll('script')).toHaveLength(0);
    expect(doc.title).toBe(`run ${HOSTILE}`);
    // Charts: 3 detector bars, RCA by type, MTTR, latency, delay, 2 KPI curves.
    expect(doc.querySelectorAll('svg').length).toBeGreaterThanOrEqual(9);
    const rows = doc.querySelectorAll('table.incidents tbody tr');
    expect(rows).toHaveLength(3);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/); // nothing to fetch
    expect(readSummary(out)).toEqual(JSON.parse(JSON.stringify(summary)));
  });

  it('junit.xml has one test case per incident and algorithm, failing top-1 misses', () => {
    const xml = readFileSync(path.join(out, 'junit.xml'), 'utf8');
    const doc = new JSDOM(xml, { contentType: 'text/xml' }).window.document;
    expect(doc.querySelector('parsererror')).toBeNull();
    expect(doc.querySelectorAll('testcase')).toHaveLength(6);
    expect(doc.querySelectorAll('testcase > failure')).toHaveLength(3);
    expect(doc.documentElement.getAttribute('failures')).toBe('3');
    const names = [...doc.querySelectorAll('testcase')].map((t) => t.getAttribute('classname'));
    expect(names).toContain(`alpha.hard/${HOSTILE}@2`);
    expect(names[0]).toBe('alpha.faults/database-slow@1'); // items in key order
    expect(renderJunit(sampleResults())).not.toBe(xml); // ... which the input was not
  });
});

describe('merge', () => {
  const config: RunConfig = {
    suite: 'test',
    title: 'test',
    scenarios: ['faults/database-slow', `hard/${HOSTILE}`],
    seeds: [1, 2],
    duration: null,
    trafficScale: null,
    detectors: ['ksigma', 'spot'],
    rca: ['alpha', 'beta'],
    mttr: DEFAULT_MTTR_MODEL,
    minAc1: null,
    sweep: ['faults/database-slow@1', `hard/${HOSTILE}@2`],
  };
  const [b, a] = sampleResults();
  const part = (items: typeof a[], index: number, p: string): ResultsFile & { path: string } => ({
    schema: 'faultline/results', version: 1, config, shard: { index, count: 2 }, items, path: p,
  });

  it('combines shards into the same summary as one run', () => {
    const merged = mergeResults([part([b!], 2, 'b'), part([a!], 1, 'a')]);
    expect(merged.items.map((i) => i.key)).toEqual(config.sweep);
    expect(JSON.stringify(summarize(merged.items))).toBe(JSON.stringify(summarize(sampleResults())));
  });

  it('refuses a missing shard, a duplicate item or a different configuration', () => {
    expect(() => mergeResults([part([a!], 1, 'a')])).toThrow(/1 of 2 items missing.*hard/);
    expect(() => mergeResults([part([a!], 1, 'a'), part([a!, b!], 2, 'b')])).toThrow(MergeError);
    const other = { ...part([b!], 2, 'b'), config: { ...config, detectors: ['ksigma'] } };
    expect(() => mergeResults([part([a!], 1, 'a'), other])).toThrow(/b: run configuration differs/);
  });
});

describe('compare', () => {
  it('is direction-aware: higher accuracy and lower MTTR are better', () => {
    const before = summarize(sampleResults());
    const improved = sampleResults();
    // beta now finds every cause first, at the same compute cost.
    for (const item of improved) for (const inc of item.rca.find((r) => r.name === 'beta')!.incidents) inc.rank = 1;
    const after = summarize(improved);
    const rows = compareSummaries(before, after);
    const row = (section: string, subject: string, metric: string) =>
      rows.find((r) => r.section === section && r.subject === subject && r.metric === metric)!;
    expect(row('rca', 'beta', 'ac1')).toMatchObject({ verdict: 'better', a: 1 / 3, b: 1 });
    expect(row('rca', 'alpha', 'ac1').verdict).toBe('same');
    expect(row('pairing', 'ksigma + beta', 'mttrMs').verdict).toBe('better');
    expect(row('pairing', 'ksigma + beta', 'mttrMs').delta!).toBeLessThan(0);
    expect(compareSummaries(after, before).find((r) => r.subject === 'ksigma + beta' && r.metric === 'mttrMs')!.verdict).toBe('worse');
    expect(row('detector', 'ksigma', 'meanTimeToDetectMs').verdict).toBe('same');
    const text = formatComparison(rows);
    expect(text).toMatch(/rca\s+beta\s+ac1\s+0\.3333\s+1\.0000\s+\+0\.6667\s+better/);
  });

  it('counts compute-time noise inside MTTR as the same', () => {
    const noisy = sampleResults();
    for (const item of noisy) for (const alg of item.rca) for (const inc of alg.incidents) inc.computeMs += 7;
    const rows = compareSummaries(summarize(sampleResults()), summarize(noisy));
    expect(rows.filter((r) => r.section === 'pairing').every((r) => r.verdict === 'same')).toBe(true);
    expect(compareSummaries(summarize(sampleResults()), summarize(noisy), { tolerance: 0 }).some((r) => r.verdict === 'worse')).toBe(true);
  });

  it('reports subjects present in one run only', () => {
    const before = summarize(sampleResults());
    const fewer = sampleResults().map((r) => ({ ...r, rca: r.rca.filter((x) => x.name === 'alpha') }));
    const rows = compareSummaries(before, summarize(fewer));
    expect(rows.filter((r) => r.subject === 'beta').every((r) => r.verdict === 'only in A')).toBe(true);
  });
});

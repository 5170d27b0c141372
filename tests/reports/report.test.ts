import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JSDOM } from 'jsdom';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { escapeHtml } from '../../reports/escape.js';
import { findings } from '../../reports/findings.js';
import { renderJunit } from '../../reports/junit.js';
import { escapeMarkdown, figureTablesMarkdown } from '../../reports/markdown.js';
import { mergeResults, MergeError } from '../../reports/merge.js';
import { figureSample } from '../../reports/resample.js';
import { DEFAULT_MTTR_MODEL } from '../../scores/mttr.js';
import type { ResultsFile, RunConfig } from '../../reports/results-file.js';
import { commandLine, gitCommit, runFacts } from '../../reports/run-facts.js';
import { sortItems, summarize } from '../../reports/summarize.js';
import { SummarySchema } from '../../reports/summary-schema.js';
import { renderReport } from '../../reports/html.js';
import { heatmap } from '../../reports/charts.js';
import { writeReport } from '../../reports/write.js';
import { readSummary } from '../../reports/compare.js';
import { DETECTION_FIGURES, figureOf } from '../../scores/figures.js';
import { appendStepSummary, printSummary } from '../../scripts/commands/summary-lines.js';
import { listDetectors } from '../../detectors/registry.js';
import { listRcaAlgorithms } from '../../rca/registry.js';
import type { ItemResult } from '../../scores/item-result.js';
import { HOSTILE, sampleResults } from './fixtures.js';

const MIN = 60_000;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-report-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const facts = runFacts({
  command: ['run', '--suite', `x ${HOSTILE}`],
  suite: 'test',
  seeds: [1, 2],
  methods: [
    { kind: 'detector', name: 'ksigma', spec: 'ksigma', options: { window: 60 }, reference: false },
    { kind: 'detector', name: 'spot', spec: 'spot', options: { note: HOSTILE }, reference: true },
    { kind: 'rca', name: 'alpha', spec: 'alpha', options: {}, reference: false },
    { kind: 'rca', name: 'beta', spec: 'beta', options: {}, reference: false },
  ],
});

describe('escaping', () => {
  it('escapes the five HTML-special characters and nothing else', () => {
    expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;');
    expect(escapeHtml('plain ünïcode 1.5')).toBe('plain ünïcode 1.5');
  });
  it('makes Markdown inert: no HTML, emphasis, links or table breaks survive', () => {
    expect(escapeMarkdown('<b>*x*</b> | [a](b)\nnext, 1 < 2')).toBe('\\<b>\\*x\\*\\</b> \\| \\[a\\](b) next, 1 < 2');
  });
});

describe('summarize', () => {
  const s = summarize(sampleResults(), { suite: 'test', gate: { best: 0.5 }, facts });

  it('matches its schema and orders items by key', () => {
    expect(() => SummarySchema.parse(JSON.parse(JSON.stringify(s)))).not.toThrow();
    expect(s.items.map((i) => i.key)).toEqual(['faults/database-slow@1', `hard/${HOSTILE}@2`]);
    expect(s.faults).toBe(3);
    expect(s.impactingFaults).toBe(2);
  });

  it('pools RCA ranks over all incidents: AC@1..5, Avg@5, MRR, by fault type', () => {
    const alpha = s.rca.find((a) => a.name === 'alpha')!;
    const beta = s.rca.find((a) => a.name === 'beta')!;
    expect(alpha.incidents).toBe(3);
    expect(alpha.failed).toBe(0);
    // alpha: ranks 1, absent, 1; beta: ranks 2, 1, 3.
    expect([alpha.ac1, alpha.ac2, alpha.ac3, alpha.ac4, alpha.ac5]).toEqual([2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3]);
    expect([beta.ac1, beta.ac2, beta.ac3, beta.ac4, beta.ac5]).toEqual([1 / 3, 2 / 3, 1, 1, 1]);
    expect(alpha.mrr).toBeCloseTo(2 / 3, 12);
    expect(beta.avg5).toBeCloseTo((1 / 3 + 2 / 3 + 1 + 1 + 1) / 5, 12);
    expect(beta.mrr).toBeCloseTo((0.5 + 1 + 1 / 3) / 3, 12);
    expect(alpha.byType['bad-release']!.ac1).toBe(0);
    expect(beta.byType['cpu-saturation']!).toMatchObject({ incidents: 1, failed: 0, ac2: 0, ac3: 1 });
    expect(s.bestRca).toEqual({ name: 'alpha', ac1: alpha.ac1 });
  });

  it('counts a failed incident as a miss and reports it', () => {
    const failing = sampleResults();
    const alphaB = failing[0]!.rca.find((a) => a.name === 'alpha')!;
    alphaB.incidents[1]!.failure = 'timed out after 1 s'; // ranked 1st, but the method failed
    const alpha = summarize(failing).rca.find((a) => a.name === 'alpha')!;
    expect(alpha.failed).toBe(1);
    expect(alpha.ac1).toBeCloseTo(1 / 3, 12);
    expect(alpha.byType['cpu-saturation']!.failed).toBe(1);
    // A method that failed on a whole item: all its incidents there are failures.
    const broken = sampleResults();
    broken[0]!.rca.find((a) => a.name === 'beta')!.error = 'could not start';
    expect(summarize(broken).rca.find((a) => a.name === 'beta')!).toMatchObject({ failed: 2, ac1: 0 });
  });

  it('puts a 95% bootstrap interval beside every headline figure, the same on every run', () => {
    for (const a of s.rca) {
      for (const key of ['ac1', 'ac2', 'ac3', 'ac4', 'ac5', 'avg5', 'mrr'] as const) {
        const i = a.intervals[key];
        expect(i.low! <= a[key]! + 1e-12 && a[key]! <= i.high! + 1e-12, `${a.name} ${key}`).toBe(true);
      }
      expect(Object.keys(a.byType['database-slow']!.intervals)).toEqual(['ac1', 'ac2', 'ac3', 'ac4', 'ac5', 'avg5', 'mrr']);
    }
    const ksigma = s.detectors.find((d) => d.name === 'ksigma')!;
    expect(Object.keys(ksigma.intervals)).toEqual(DETECTION_FIGURES.filter((f) => 'interval' in f).map((f) => f.key));
    // Detection rate over ksigma's two impacting faults (one hit): resamples give 0, 1/2 or 1.
    expect(ksigma.intervals.faultDetectionRate).toEqual({ low: 0, high: 1 });
    expect(ksigma.byType['database-slow']!.intervals.detectionRate).toEqual({ low: 1, high: 1 });
    // Time to detect over the detected faults: ksigma's one (3 min) always; spot's two (6 and 1 min) give 1, 3.5 or 6.
    expect(ksigma.intervals.meanTimeToDetectMs).toEqual({ low: 3 * 60_000, high: 3 * 60_000 });
    expect(s.detectors.find((d) => d.name === 'spot')!.intervals.meanTimeToDetectMs).toEqual({ low: 60_000, high: 6 * 60_000 });
    for (const p of s.mttr.pairings) {
      const i = p.intervals.mttrMs;
      expect(i.low! <= p.mttrMs! && p.mttrMs! <= i.high!, `${p.detector} + ${p.rca} MTTR`).toBe(true);
      expect(i.high! - i.low!, `${p.detector} + ${p.rca}: two faults of different repair times`).toBeGreaterThan(0);
    }
    expect(JSON.stringify(summarize(sampleResults(), { suite: 'test', gate: { best: 0.5 }, facts }))).toBe(JSON.stringify(s));
  });

  it('computes PA-F1 from per-series counts as the item figures do, and threshold-free figures over series', () => {
    const pa = figureOf(DETECTION_FIGURES, 'pointAdjustedF1');
    for (const d of s.detectors) {
      // The resampling definition, at the original sample, is the published figure.
      expect(figureSample(pa, sampleResults(), { section: 'detector', name: d.name })!.value()).toBeCloseTo(d.pointAdjustedF1!, 12);
      expect(d.intervals.pointAdjustedF1.low!).toBeLessThanOrEqual(d.pointAdjustedF1!);
      expect(d.intervals.pointAdjustedF1.high!).toBeGreaterThanOrEqual(d.pointAdjustedF1!);
    }
    const ksigma = s.detectors.find((d) => d.name === 'ksigma')!;
    const spot = s.detectors.find((d) => d.name === 'spot')!;
    // Mean over the run's series where defined: ksigma 0.9, 0.7, 0.5; spot 0.6 (its other series hold no labelled point).
    expect(ksigma.aucPr).toBeCloseTo(0.7, 12);
    expect(ksigma.vusRoc).toBeCloseTo(0.7, 12);
    expect(spot.aucPr).toBeCloseTo(0.6, 12);
    expect(spot.intervals.aucPr).toEqual({ low: 0.6, high: 0.6 });
  });

  it('resamples the series of one data set, and the items with their series in a run of several', () => {
    const pa = figureOf(DETECTION_FIGURES, 'pointAdjustedF1');
    const spot = { section: 'detector', name: 'spot' } as const;
    const one = figureSample(pa, [sampleResults()[1]!], spot)!;
    expect(one.units).toBe('series');
    expect(one.keys).toEqual(['faults/database-slow@1\u0000service:account:avgLatency', 'faults/database-slow@1\u0000txType:transfer:avgLatency']);
    // spot's series: (tp 3, fp 1, fn 0) and (0, 1, 2); the first alone: F1 6/7, the second alone: 0.
    expect(one.value(Uint32Array.from([1, 0]))).toBeCloseTo(6 / 7, 12);
    expect(one.value(Uint32Array.from([0, 1]))).toBe(0);
    const several = figureSample(pa, sortItems(sampleResults()), spot)!;
    expect(several.units).toBe('items');
    expect(several.keys).toEqual(['faults/database-slow@1', `hard/${HOSTILE}@2`]);
    // Item A pools to F1 0.6, item B to 0.7: drawing A twice gives 0.6.
    expect(several.value(Uint32Array.from([2, 0]))).toBeCloseTo(0.6, 12);
    expect(several.value()).toBeCloseTo(0.65, 12);
  });

  it('gives mean and sd over seeds when a run has several', () => {
    const alpha = s.rca.find((a) => a.name === 'alpha')!;
    // Seed 1: alpha ranks f1 first (AC@1 1); seed 2: f2 absent, f3 first (1/2).
    expect(alpha.overSeeds!.ac1).toEqual({ mean: 0.75, sd: Math.sqrt(0.125), n: 2 });
    expect(s.detectors[0]!.overSeeds!.pointAdjustedF1.n).toBe(2);
    const oneSeed = summarize(sampleResults().map((r) => ({ ...r, seed: 1 })));
    expect(oneSeed.rca[0]!.overSeeds).toBeUndefined();
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
    expect(ksigma.byType['bad-release']).toMatchObject({ faults: 1, detected: 0, detectionRate: 0, meanTimeToDetectMs: null });
  });

  it('marks reference floors and carries the run facts', () => {
    expect(s.detectors.find((d) => d.name === 'spot')!.reference).toBe(true);
    expect(s.detectors.find((d) => d.name === 'ksigma')!.reference).toBeUndefined();
    expect(s.run!.methods.map((m) => m.name)).toEqual(['ksigma', 'spot', 'alpha', 'beta']);
    expect(s.run!.command).toBe(`faultline run --suite 'x ${HOSTILE.replace(/'/g, `'\\''`)}'`);
    expect(s.run!.faultline).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('ships the trivial detectors band and diff and the simple RCA rules count and simple-rules as the floors, and nothing else', () => {
    expect(listDetectors().filter((p) => p.reference).map((p) => p.name).sort()).toEqual(['band', 'diff']);
    expect(listRcaAlgorithms().filter((p) => p.reference).map((p) => p.name)).toEqual(['count', 'simple-rules']);
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

  it('reads a summary.json written without the newer figures', () => {
    const old = JSON.parse(JSON.stringify(s)) as Record<string, unknown> & { rca: Record<string, unknown>[]; detectors: Record<string, unknown>[] };
    delete old.run;
    for (const a of old.rca) for (const k of ['failed', 'ac2', 'ac4', 'ac5', 'intervals', 'overSeeds']) delete a[k];
    for (const d of old.detectors) for (const k of ['aucPr', 'aucRoc', 'paAucPr', 'paAucRoc', 'vusPr', 'vusRoc', 'intervals', 'overSeeds', 'reference']) delete d[k];
    expect(SummarySchema.safeParse(old).success).toBe(true);
  });
});

describe('findings: what the run says', () => {
  it('names the best method and says what is within noise, by paired tests on the same units', () => {
    const f = findings(summarize(sampleResults(), { facts }), sampleResults());
    const text = f.overall.join(' ');
    expect(text).toContain('Best RCA method by AC@1: alpha, 0.667');
    expect(text).toContain('Within noise of it (McNemar exact test on the same incidents, p ≥ 0.05): beta 0.333');
    expect(text).toContain('Reference floor spot: PA-F1 0.650. Not significantly above it: ksigma.');
    expect(text).toContain('Best detector by point-adjusted F1: spot (floor), 0.650');
    expect(f.byType).toContain('RCA, bad-release (1 incident): beta, AC@1 1.000; no other method is separable from it on 1 incident.');
    // Thirty copies of the sample make alpha's lead on cpu-saturation (30 hits to 0) significant.
    const many = copies(30);
    const g = findings(summarize(many), many);
    expect(g.byType.find((x) => x.startsWith('RCA, cpu-saturation'))).toBe('RCA, cpu-saturation (30 incidents): alpha, AC@1 1.000; significantly above beta.');
  });

  it('says when no method ranks the cause first, and whether any has it in its top 5', () => {
    const withRank = (rank: number) => {
      const items = sampleResults();
      items.flatMap((r) => r.rca.filter((a) => a.name === 'beta').flatMap((a) => a.incidents)).find((i) => i.id === 'f2')!.rank = rank;
      return findings(summarize(items, { facts }), items).byType.find((x) => x.startsWith('RCA, bad-release'));
    };
    expect(withRank(0)).toBe('RCA, bad-release (1 incident): no method ranks the cause first, nor anywhere in its top 5.');
    expect(withRank(3)).toBe('RCA, bad-release (1 incident): no method ranks the cause first; best Avg@5 beta 0.600.');
  });

  it('says so when nothing can be said', () => {
    const quiet = sampleResults().map((r) => ({ ...r, faults: r.faults.map((f) => ({ ...f, moved: [] })), rca: [] }));
    expect(findings(summarize(quiet), quiet).overall[0]).toMatch(/^No fault in this run moved a KPI and no incident has a known root cause/);
  });
});

/** n copies of the sample items under distinct keys. */
function copies(n: number): ItemResult[] {
  return Array.from({ length: n }, (_, k) => sampleResults().map((r) => ({ ...r, key: `${r.key}#${k}` }))).flat();
}

describe('writeReport', () => {
  const out = path.join(tmp, 'report');
  let html = '';
  let doc: Document;

  it('writes report.html with every user string escaped, summary.json, summary.md and junit.xml', async () => {
    const { summary, gatePassed } = await writeReport(sampleResults(), out, { gate: { best: 0.9 }, title: `run ${HOSTILE}`, facts });
    expect(gatePassed).toBe(false);
    html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).not.toContain('<script');
    expect(html).toContain(escapeHtml(HOSTILE));
    doc = new JSDOM(html).window.document;
    expect(doc.querySelectorAll('script')).toHaveLength(0);
    expect(doc.title).toBe(`run ${HOSTILE}`);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/); // nothing to fetch
    expect(readSummary(out)).toEqual(JSON.parse(JSON.stringify(summary)));
    const md = readFileSync(path.join(out, 'summary.md'), 'utf8');
    expect(md).toContain('❌ AC@1 gate failed: best RCA method alpha has AC@1 0.667 < required 0.900');
    expect(md).toContain('| alpha | 3 | 0 | 0.667 [');
    expect(md).not.toMatch(/(^|[^\\])<script/);
  });

  it('prints each method with its figures and intervals, reference floors marked', () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    const page = process.env.GITHUB_STEP_SUMMARY; // this test's output is not the CI job's summary
    delete process.env.GITHUB_STEP_SUMMARY;
    try {
      printSummary(summarize(sampleResults(), { facts }), out);
    } finally {
      spy.mockRestore();
      if (page !== undefined) process.env.GITHUB_STEP_SUMMARY = page;
    }
    const text = written.join('');
    expect(text).toMatch(/^spot \(floor\)\s+PA-F1 0\.650 \[/m);
    expect(text).toMatch(/^ksigma\s+PA-F1 0\.600 \[/m);
    expect(text).toMatch(/^alpha\s+AC@1 0\.667 \[/m);
  });

  it("appends summary.md to the CI's step summary when $GITHUB_STEP_SUMMARY names one", () => {
    const page = path.join(tmp, 'step-summary.md');
    writeFileSync(page, '# earlier step\n');
    const before = process.env.GITHUB_STEP_SUMMARY;
    process.env.GITHUB_STEP_SUMMARY = page;
    try {
      appendStepSummary(path.join(out, 'summary.md'));
    } finally {
      if (before === undefined) delete process.env.GITHUB_STEP_SUMMARY;
      else process.env.GITHUB_STEP_SUMMARY = before;
    }
    expect(readFileSync(page, 'utf8')).toBe(`# earlier step\n${readFileSync(path.join(out, 'summary.md'), 'utf8')}\n`);
  });

  it('links every incident of the table to its section and back', () => {
    const rows = [...doc.querySelectorAll('table.incidents tbody tr')];
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const target = row.querySelector('a')!.getAttribute('href')!.slice(1);
      const section = doc.getElementById(target)!;
      expect(section.tagName).toBe('ARTICLE');
      expect(section.querySelector('a.back')!.getAttribute('href')).toBe(`#${row.id}`);
    }
  });

  it('shows each incident: truth, top candidates with explanation and evidence, and the moved series with alarms', () => {
    const f2 = [...doc.querySelectorAll('article.incident')].find((a) => a.querySelector('h3')!.textContent!.startsWith('f2'))!;
    expect(f2.querySelector('.truth')!.textContent).toContain(HOSTILE);
    expect(f2.querySelector('.truth')!.textContent).toContain('2026-01-05 09:00 UTC to 2026-01-05 09:20 UTC (20.0 min)');
    expect(f2.querySelector('.truth')!.textContent).toContain('spot: first alarm 1.0 min after the start');
    const beta = [...f2.querySelectorAll('.method')].find((m) => m.querySelector('h4')!.textContent!.startsWith('beta'))!;
    expect(beta.querySelector('li.hit')!.textContent).toContain('✓ root cause');
    expect(beta.querySelector('.evidence')!.textContent).toBe(`calls ${HOSTILE}: 45 errors per 1000 calls (reference 0.2 errors per 1000 calls) — 45 errors of 3360 calls ${HOSTILE}`);
    const alpha = [...f2.querySelectorAll('.method')].find((m) => m.querySelector('h4')!.textContent!.startsWith('alpha'))!;
    expect(alpha.querySelector('h4')!.textContent).toBe('alpha: true cause at rank absent');
    expect(f2.querySelectorAll('.curve').length).toBe(1);
    expect(f2.querySelectorAll('.curve g[aria-label="dot"] circle, .curve g[aria-label="dot"] path').length).toBeGreaterThan(0);
    const f3 = [...doc.querySelectorAll('article.incident')].find((a) => a.querySelector('h3')!.textContent!.startsWith('f3'))!;
    expect(f3.querySelector('.truth')!.textContent).toContain('none: this fault moved no KPI');
  });

  it("says how strongly an incident moved its root cause's calls, where the spans tell", () => {
    const items = sampleResults();
    const withEffect = items.map((item) =>
      item.faults.some((f) => f.id === 'f2')
        ? { ...item, faultEffects: [{ faultId: 'f2', service: HOSTILE, calls: [40, 12] as [number, number], latency: 4.44, self: 4.465, gap: null, failed: [0, 0.125] as [number, number] }] }
        : item,
    );
    const page = new JSDOM(renderReport(summarize(withEffect), sortItems(withEffect))).window.document;
    const f2 = [...page.querySelectorAll('article.incident')].find((a) => a.querySelector('h3')!.textContent!.startsWith('f2'))!;
    expect(f2.querySelector('.truth')!.textContent).toContain(
      `effect on ${HOSTILE}latency of the calls into the root cause 4.44×; the root cause's own time 4.465×; edge gap into the root cause –; failed calls 0.0% → 12.5%, window against the fault-free reference, over 12 and 40 calls (–: not measured: under 5 calls on a side, or for the edge gap no caller's view of the calls)`,
    );
    // Items without the measure (no spans) show no line.
    const f3 = [...page.querySelectorAll('article.incident')].find((a) => a.querySelector('h3')!.textContent!.startsWith('f3'))!;
    expect(f3.querySelector('.truth')!.textContent).not.toContain('effect on');
  });

  it('sorts tables by the figure that decides, with intervals and the reference floor marked', () => {
    const rcaRows = [...doc.querySelectorAll('#rca table')[0]!.querySelectorAll('tbody tr')].map((r) => r.querySelector('td')!.textContent);
    expect(rcaRows).toEqual(['alpha', 'beta']);
    const detectorRows = [...doc.querySelectorAll('#detectors table')[0]!.querySelectorAll('tbody tr')].map((r) => r.querySelector('td')!.textContent);
    expect(detectorRows).toEqual(['spot floor', 'ksigma']); // PA-F1 0.65 before 0.6
    expect(doc.querySelector('#rca table td:nth-child(4) .ci')!.textContent).toMatch(/^\[0\.\d{3}, 1\.000\]$/);
    const mttrRows = [...doc.querySelectorAll('#mttr table')[0]!.querySelectorAll('tbody tr')];
    const mttr = mttrRows.map((r) => parseFloat(r.querySelectorAll('td')[7]!.textContent!));
    expect(mttr).toEqual([...mttr].sort((a, b) => a - b));
    expect(mttrRows[0]!.querySelectorAll('td')[7]!.querySelector('.ci')!.textContent).toMatch(/^\[\d+\.\d min, \d+\.\d min\]$/);
    // The MTTR chart lists the pairings in the table's order.
    const drawn = [...doc.querySelectorAll('[data-chart="mttr"] g[aria-label="y-axis tick label"] text')].map((t) => t.textContent);
    expect(drawn).toEqual(mttrRows.map((r) => `${r.querySelectorAll('td')[0]!.textContent} + ${r.querySelectorAll('td')[1]!.textContent}`));
    expect(doc.querySelectorAll('[data-chart="mttr"] g[aria-label="rule"] line').length).toBeGreaterThan(0);
  });

  it('draws heatmaps with a colour legend and values in the cells, and the latency distributions overlaid', () => {
    const heat = doc.querySelector('[data-chart="rca-ac1-by-type"]')!;
    expect(heat.querySelector('svg[class$="-ramp"]')).not.toBeNull(); // the legend
    const cells = [...heat.querySelectorAll('g[aria-label="text"] text')].map((t) => t.textContent);
    expect(cells).toContain('0.00 0/1');
    expect(cells.filter((c) => c === '1.00 1/1')).toHaveLength(3);
    // Overlaid, not stacked: the drawn fill of each bin starts at zero, one outline per distribution.
    const latency = doc.querySelector('[data-chart="latency"]')!;
    expect(latency.querySelectorAll('g[aria-label="line"] path')).toHaveLength(2);
    expect(doc.querySelector('[data-chart="latency-log"] svg')).not.toBeNull();
    for (const axis of doc.querySelectorAll('.curve g[aria-label="x-axis label"] text')) expect(axis.textContent).toBe('time (UTC, 2026-01-05) →');
    const ticks = [...doc.querySelectorAll('.curve g[aria-label="x-axis tick label"] text')].map((t) => t.textContent);
    expect(ticks.length).toBeGreaterThan(0);
    for (const t of ticks) expect(t).toMatch(/^\d\d:\d\d$/); // 24-hour UTC clock, no AM/PM
    expect(doc.querySelector('.curve g[aria-label="y-axis label"] text')!.textContent).toContain('(ms)');
  });

  it('grows a heatmap downwards with the fault types, never past the page width', () => {
    const types = Array.from({ length: 24 }, (_, k) => `type-${k}`);
    const methods = ['alpha', 'beta', 'gamma'];
    const cells = types.flatMap((type) => methods.map((method) => ({ type, method, value: 0.5, text: '0.50 1/2' })));
    const svg = new JSDOM(heatmap(cells, { types, methods, methodLabel: 'RCA method', legend: 'AC@1' })).window.document.querySelector('svg[class^="plot"]:not([class$="-ramp"])')!;
    expect(Number(svg.getAttribute('width'))).toBeLessThan(700);
    expect(Number(svg.getAttribute('height'))).toBeGreaterThan(24 * 20);
    const rows = [...svg.querySelectorAll('g[aria-label="y-axis tick label"] text')].map((t) => t.textContent);
    expect(rows).toEqual(types);
  });

  it('states the run facts with every string escaped', () => {
    const facts = doc.querySelector('#facts')!;
    expect(facts.textContent).toContain(`faultline run --suite 'x`);
    expect(facts.querySelector('.methods-table')!.textContent).toContain(JSON.stringify({ note: HOSTILE }));
    expect(facts.innerHTML).not.toContain('<script');
  });
});

describe('empty states', () => {
  it('says a run without items or impacting faults has nothing to show, and draws no bar for undefined figures', () => {
    const none = new JSDOM(renderReport(summarize([]), [])).window.document;
    expect(none.querySelector('.empty')!.textContent).toBe('This run has no item: there is nothing to report.');
    const quiet = sampleResults().map((r) => ({
      ...r,
      faults: r.faults.map((f) => ({ ...f, moved: [] })),
      detectors: r.detectors.map((d) => ({ ...d, faults: [], figures: { ...d.figures, meanTimeToDetectMs: null } })),
    }));
    const doc = new JSDOM(renderReport(summarize(quiet), sortItems(quiet))).window.document;
    expect(doc.querySelector('.empty')!.textContent).toMatch(/^No fault in this run moved a KPI: detection rates and delays are undefined/);
    expect(doc.querySelector('[data-chart="detector-mttd"] svg')).toBeNull();
    expect(doc.querySelector('[data-chart="detector-mttd"]')!.textContent).toContain('Nothing defined to draw');
    expect(doc.querySelector('[data-chart="detection-by-type"]')).toBeNull();
    expect(doc.querySelector('#incidents')!.textContent).toContain(`Faults without visible impact only (no KPI moved; ranked for RCA, not counted for detection or MTTR): faults/database-slow@1, hard/${HOSTILE}@2.`);
    const idle = { ...sampleResults()[1]!, key: 'idle@1', faults: [], rca: [], kpiCurves: [] };
    const withIdle = new JSDOM(renderReport(summarize([...sampleResults(), idle]), [...sampleResults(), idle])).window.document;
    expect(withIdle.querySelector('#incidents')!.textContent).toContain('No fault injected (nothing to detect or explain): idle@1.');
  });
});

describe('junit.xml agrees with the gate', () => {
  const parse = (xml: string) => new JSDOM(xml, { contentType: 'text/xml' }).window.document;
  const junit = (gate: Parameters<typeof renderJunit>[2]) => parse(renderJunit(sortItems(sampleResults()), summarize(sampleResults(), gate ? { gate } : {}), gate));

  it('with no gate: one skipped test, no failure', () => {
    const doc = junit(undefined);
    expect(doc.querySelector('parsererror')).toBeNull();
    expect(doc.querySelectorAll('testcase')).toHaveLength(1);
    expect(doc.querySelector('testcase > skipped')!.getAttribute('message')).toBe('no --min-ac1 gate set');
    expect(doc.documentElement.getAttribute('failures')).toBe('0');
  });

  it('a passing gate shows no failure; only the gated method has incident cases, misses in system-out', () => {
    const doc = junit({ best: 0.5 });
    expect(doc.documentElement.getAttribute('failures')).toBe('0');
    expect([...doc.querySelectorAll('testsuite')].map((s) => s.getAttribute('name'))).toEqual(['gate', 'rca.alpha']);
    expect(doc.querySelector('testsuite[name="gate"] testcase')!.getAttribute('name')).toBe('AC@1 of the best RCA method (alpha) >= 0.500');
    const cases = doc.querySelectorAll('testsuite[name="rca.alpha"] testcase');
    expect(cases).toHaveLength(3);
    expect([...cases].map((c) => c.getAttribute('classname'))[0]).toBe('alpha.faults/database-slow@1'); // items in key order
    expect(doc.querySelector('testsuite[name="rca.alpha"] system-out')!.textContent).toContain('true cause at rank absent');
  });

  it('a failing gate fails its condition and the gated method misses', () => {
    const best = junit({ best: 0.9 });
    expect(best.documentElement.getAttribute('failures')).toBe('2'); // the condition, and alpha's miss on f2
    expect(best.querySelector('testsuite[name="gate"] failure')!.getAttribute('message')).toBe('AC@1 0.667 < required 0.900');
    const named = junit({ methods: { alpha: 0.6, beta: 0.5 } });
    // beta (0.333) fails its bar: its condition and its two misses; alpha passes.
    expect(named.documentElement.getAttribute('failures')).toBe('3');
    expect([...named.querySelectorAll('testsuite')].map((s) => `${s.getAttribute('name')}:${s.getAttribute('failures')}`)).toEqual(['gate:1', 'rca.alpha:0', 'rca.beta:2']);
    expect([...named.querySelectorAll('testcase')].some((c) => c.getAttribute('classname') === `beta.hard/${HOSTILE}@2`)).toBe(true);
  });
});

describe('docs/reports.md', () => {
  it('lists every figure as the tables define it (regenerate with figureTablesMarkdown())', () => {
    const doc = readFileSync(new URL('../../docs/reports.md', import.meta.url), 'utf8');
    const block = /<!-- figures:begin -->\n([\s\S]*?)\n<!-- figures:end -->/.exec(doc)?.[1];
    expect(block?.trim()).toBe(figureTablesMarkdown().trim());
  });
});

describe('run facts', () => {
  it('reads the commit from .git files, following a worktree, without spawning git', () => {
    const repo = path.join(tmp, 'repo');
    const hash = 'a'.repeat(40);
    mkdirSync(path.join(repo, '.git', 'refs', 'heads'), { recursive: true });
    writeFileSync(path.join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(path.join(repo, '.git', 'packed-refs'), `# pack-refs\n${hash} refs/heads/main\n`);
    expect(gitCommit(repo)).toBe(hash);
    writeFileSync(path.join(repo, '.git', 'refs', 'heads', 'main'), `${'b'.repeat(40)}\n`);
    expect(gitCommit(repo)).toBe('b'.repeat(40));
    const wt = path.join(tmp, 'wt');
    mkdirSync(path.join(repo, '.git', 'worktrees', 'wt'), { recursive: true });
    writeFileSync(path.join(repo, '.git', 'worktrees', 'wt', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(path.join(repo, '.git', 'worktrees', 'wt', 'commondir'), '../..\n');
    mkdirSync(wt);
    writeFileSync(path.join(wt, '.git'), `gitdir: ${path.join(repo, '.git', 'worktrees', 'wt')}\n`);
    expect(gitCommit(wt)).toBe('b'.repeat(40));
    expect(gitCommit(tmp)).toBeNull();
  });

  it('quotes the command line for a shell', () => {
    expect(commandLine(['run', '--suite', 'ci', '--out', "it's here"])).toBe(`faultline run --suite ci --out 'it'\\''s here'`);
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

  it('combines shards into the same summary as one run, intervals and spread over seeds included', () => {
    const merged = mergeResults([part([b!], 2, 'b'), part([a!], 1, 'a')]);
    expect(merged.items.map((i) => i.key)).toEqual(config.sweep);
    const whole = summarize(sampleResults());
    expect(whole.rca[0]!.overSeeds).toBeDefined();
    expect(JSON.stringify(summarize(merged.items))).toBe(JSON.stringify(whole));
  });

  it('refuses a missing shard, a duplicate item or a different configuration', () => {
    expect(() => mergeResults([part([a!], 1, 'a')])).toThrow(/1 of 2 items missing.*hard/);
    expect(() => mergeResults([part([a!], 1, 'a'), part([a!, b!], 2, 'b')])).toThrow(MergeError);
    const other = { ...part([b!], 2, 'b'), config: { ...config, detectors: ['ksigma'] } };
    expect(() => mergeResults([part([a!], 1, 'a'), other])).toThrow(/b: run configuration differs/);
  });

  it('names the first five missing items, then how many more', () => {
    const sweep = [...config.sweep, ...[3, 4, 5, 6, 7, 8].map((seed) => `faults/database-slow@${seed}`)];
    const given = { ...part([a!], 1, 'a'), config: { ...config, sweep } };
    expect(() => mergeResults([given])).toThrow(`7 of 8 items missing (a shard not given?): hard/${HOSTILE}@2, faults/database-slow@3, faults/database-slow@4, faults/database-slow@5, faults/database-slow@6 and 2 more`);
  });
});

/**
 * Opens report.html in headless Chromium (Debian's package, driven by playwright-core): no console
 * error, no network request, every chart rendered, the values the charts draw read back from their
 * geometry and checked against summary.json, incident links that land, and a screenshot saved.
 * FAULTLINE_REPORT_HTML=<file> checks an existing report (its summary.json beside it) instead of
 * one built from the fixtures; FAULTLINE_SCREENSHOT=<png> says where the screenshot goes (README:
 * docs/report.png).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../reports/summary-schema.js';
import { writeReport } from '../../reports/write.js';
import { sampleResults } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) {
  console.warn(`\n!!! SKIPPING the report browser test: ${CHROMIUM} is absent (apt-get install chromium). CI runs it. !!!\n`);
}

/**
 * The bars of a horizontal bar chart as drawn: per bar (named by its title), the value at its right
 * end and at its whisker's ends, read through the x axis's first and last tick labels.
 */
async function drawnBars(page: Page, chart: string): Promise<{ name: string; value: number; low: number | null; high: number | null }[]> {
  return page.$eval(`[data-chart="${chart}"]`, (root) => {
    const svg = root.querySelector('svg[class^="plot"]:not([class$="-ramp"])') ?? root.querySelector('svg')!;
    const ticks = [...svg.querySelectorAll('g[aria-label="x-axis tick label"] text')].map((t) => {
      const box = t.getBoundingClientRect();
      return { x: box.left + box.width / 2, v: Number(t.textContent) };
    });
    const first = ticks[0]!;
    const last = ticks[ticks.length - 1]!;
    const valueAt = (x: number) => first.v + ((x - first.x) * (last.v - first.v)) / (last.x - first.x);
    const center = (r: Element) => {
      const b = r.getBoundingClientRect();
      return b.top + b.height / 2;
    };
    const whiskers = [...svg.querySelectorAll('g[aria-label="rule"] line')].map((l) => {
      const b = l.getBoundingClientRect();
      return { y: b.top + b.height / 2, low: valueAt(b.left), high: valueAt(b.right) };
    });
    return [...svg.querySelectorAll('g[aria-label="bar"] rect')].map((r) => {
      const b = r.getBoundingClientRect();
      const w = whiskers.find((x) => Math.abs(x.y - center(r)) < 2);
      return { name: r.querySelector('title')!.textContent!.split(':')[0]!, value: valueAt(b.right), low: w?.low ?? null, high: w?.high ?? null };
    });
  });
}

describe.skipIf(!available && !process.env.CI)('report.html in Chromium', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-browser-test-'));
  let browser: Browser;
  let html: string;
  let summary: Summary;
  let page: Page;
  const errors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    html = process.env.FAULTLINE_REPORT_HTML ?? path.join(tmp, 'report.html');
    if (!process.env.FAULTLINE_REPORT_HTML) await writeReport(sampleResults(), tmp, { title: 'browser test', gate: { best: 0.5 } });
    summary = JSON.parse(readFileSync(path.join(path.dirname(html), 'summary.json'), 'utf8')) as Summary;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('renders every chart with no console error and no network request', async () => {
    const charts = await page.$$eval('div.chart, div.curve', (nodes) =>
      nodes.map((n) => {
        const svg = n.querySelector('svg[class^="plot"]') ?? n.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return {
          marks: svg ? svg.querySelectorAll('path, rect, circle, line').length : 0,
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          empty: n.textContent!.includes('Nothing defined to draw'),
        };
      }),
    );
    expect(charts.length).toBeGreaterThanOrEqual(12);
    for (const c of charts.filter((x) => !x.empty)) {
      expect(c.marks).toBeGreaterThan(0);
      expect(c.width).toBeGreaterThan(100);
      expect(c.height).toBeGreaterThan(30);
    }
    expect(await page.$$eval('script', (s) => s.length)).toBe(0);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('draws AC@1, PA-F1 and time-to-detect bars, and their 95% intervals, at the values of summary.json', async () => {
    const ac1 = await drawnBars(page, 'rca-ac1');
    expect(ac1.map((b) => b.name).sort()).toEqual(summary.rca.filter((a) => a.ac1 !== null).map((a) => a.name).sort());
    for (const bar of ac1) {
      const a = summary.rca.find((x) => x.name === bar.name)!;
      expect(Math.abs(bar.value - a.ac1!), `${bar.name} AC@1`).toBeLessThan(0.01);
      expect(Math.abs(bar.low! - a.intervals.ac1.low!), `${bar.name} AC@1 low`).toBeLessThan(0.01);
      expect(Math.abs(bar.high! - a.intervals.ac1.high!), `${bar.name} AC@1 high`).toBeLessThan(0.01);
    }
    const pa = await drawnBars(page, 'detector-pa-f1');
    expect(pa.length).toBe(summary.detectors.filter((d) => d.pointAdjustedF1 !== null).length);
    for (const bar of pa) {
      const d = summary.detectors.find((x) => x.name === bar.name)!;
      expect(Math.abs(bar.value - d.pointAdjustedF1!), `${bar.name} PA-F1`).toBeLessThan(0.01);
    }
    // Time to detect in minutes, with its interval over faults.
    const ttd = await drawnBars(page, 'detector-mttd');
    expect(ttd.length).toBe(summary.detectors.filter((d) => d.meanTimeToDetectMs !== null).length);
    for (const bar of ttd) {
      const d = summary.detectors.find((x) => x.name === bar.name)!;
      const scale = Math.max(1, d.intervals.meanTimeToDetectMs.high! / 60_000) * 0.01;
      expect(Math.abs(bar.value - d.meanTimeToDetectMs! / 60_000), `${bar.name} time to detect`).toBeLessThan(scale);
      expect(Math.abs(bar.low! - d.intervals.meanTimeToDetectMs.low! / 60_000), `${bar.name} time to detect low`).toBeLessThan(scale);
      expect(Math.abs(bar.high! - d.intervals.meanTimeToDetectMs.high! / 60_000), `${bar.name} time to detect high`).toBeLessThan(scale);
    }
  });

  it('writes each heatmap cell as summary.json has it, with a colour legend', async () => {
    const cells = await page.$eval('[data-chart="rca-ac1-by-type"]', (root) => ({
      legend: root.querySelectorAll('svg[class$="-ramp"] rect').length,
      texts: [...root.querySelectorAll('g[aria-label="cell"] rect')].map((r) => r.querySelector('title')!.textContent!),
    }));
    expect(cells.legend).toBe(5);
    const expected = summary.rca.flatMap((a) =>
      Object.entries(a.byType).flatMap(([type, t]) => (t.ac1 === null ? [] : [`${a.name}, ${type}: ${t.ac1.toFixed(2)} ${Math.round(t.ac1 * t.incidents)}/${t.incidents}`])),
    );
    expect(cells.texts.sort()).toEqual(expected.sort());
  });

  it('takes an incident link to its section and back', async () => {
    const first = page.locator('table.incidents tbody tr').first();
    const id = await first.getAttribute('id');
    await first.locator('a').first().click();
    const target = await page.evaluate(() => document.querySelector(':target')?.tagName);
    expect(target).toBe('ARTICLE');
    await page.locator('article.incident:target a.back').click();
    expect(await page.evaluate(() => document.querySelector(':target')?.id)).toBe(id);
    await page.evaluate(() => window.scrollTo(0, 0));
  });

  it('saves a screenshot', async () => {
    const shot = process.env.FAULTLINE_SCREENSHOT ?? path.join(tmp, 'report.png');
    await page.screenshot({ path: shot, fullPage: !process.env.FAULTLINE_SCREENSHOT });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  });
});

/**
 * Opens report.html in headless Chromium (Debian's package, driven by playwright-core): no console
 * error, no network request, every chart rendered, and a screenshot saved.
 * FAULTLINE_REPORT_HTML=<file> checks an existing report instead of one built from the fixtures;
 * FAULTLINE_SCREENSHOT=<png> says where the screenshot goes (README: docs/report.png).
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../reports/write.js';
import { sampleResults } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) {
  console.warn(`\n!!! SKIPPING the report browser test: ${CHROMIUM} is absent (apt-get install chromium). CI runs it. !!!\n`);
}

describe.skipIf(!available && !process.env.CI)('report.html in Chromium', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-browser-test-'));
  let browser: Browser;
  let html: string;

  beforeAll(async () => {
    html = process.env.FAULTLINE_REPORT_HTML ?? path.join(tmp, 'report.html');
    if (!process.env.FAULTLINE_REPORT_HTML) await writeReport(sampleResults(), tmp, { title: 'browser test' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('renders every chart with no console error and no network request', async () => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });

    const charts = await page.$$eval('div.chart, div.curve', (nodes) =>
      nodes.map((n) => {
        const svg = n.querySelector('svg[class^="plot"]') ?? n.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return {
          marks: svg ? svg.querySelectorAll('path, rect, circle, line').length : 0,
          width: box?.width ?? 0,
          height: box?.height ?? 0,
        };
      }),
    );
    expect(charts.length).toBeGreaterThanOrEqual(7);
    for (const c of charts) {
      expect(c.marks).toBeGreaterThan(0);
      expect(c.width).toBeGreaterThan(100);
      expect(c.height).toBeGreaterThan(30);
    }
    expect(await page.$$eval('script', (s) => s.length)).toBe(0);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);

    const shot = process.env.FAULTLINE_SCREENSHOT ?? path.join(tmp, 'report.png');
    await page.screenshot({ path: shot, fullPage: !process.env.FAULTLINE_SCREENSHOT });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    await page.close();
  });
});

/** Write the report of a set of item results: summary.json, report.html, junit.xml, summary.md, and the Parquet tables when asked. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../common/atomic-file.js';
import { renderReport } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { findings } from './findings.js';
import type { MttrModel } from '../scores/mttr.js';
import { sortItems, summarize } from './summarize.js';
import type { RunFacts, Summary } from './summary-schema.js';
import type { ItemResult } from '../scores/item-result.js';
import type { AcGate } from '../scores/gate.js';

export interface WriteReportOptions {
  gate?: AcGate;
  title?: string;
  suite?: string;
  mttr?: MttrModel;
  /** How the run was made (reports/run-facts.ts `runFacts`): shown in the report, kept in summary.json. */
  facts?: RunFacts;
  /** Also write the result tables as Parquet (reports/results-parquet.ts). */
  parquet?: boolean;
}

export const REPORT_FILES = { html: 'report.html', summary: 'summary.json', junit: 'junit.xml', markdown: 'summary.md' } as const;

export async function writeReport(
  results: ItemResult[],
  out: string,
  opts: WriteReportOptions = {},
): Promise<{ summary: Summary; gatePassed: boolean }> {
  const items = sortItems(results);
  const summary = summarize(items, opts);
  mkdirSync(out, { recursive: true });
  writeFileAtomic(path.join(out, REPORT_FILES.summary), JSON.stringify(summary, null, 2) + '\n');
  writeFileAtomic(path.join(out, REPORT_FILES.junit), renderJunit(items, summary, opts.gate));
  const says = findings(summary, items);
  writeFileAtomic(path.join(out, REPORT_FILES.markdown), renderMarkdown(summary, items, says));
  writeFileAtomic(path.join(out, REPORT_FILES.html), renderReport(summary, items, says));
  // Loaded only when asked for: Parquet's WebAssembly module is a large part of a report's start-up.
  if (opts.parquet) (await import('./results-parquet.js')).writeItemsParquet(items, out, summary);
  return { summary, gatePassed: summary.gate.passed };
}

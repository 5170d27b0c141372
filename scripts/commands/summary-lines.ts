import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Summary } from '../../reports/summary-schema.js';
import { REPORT_FILES } from '../../reports/write.js';
import { seriesUnits } from '../../reports/resample.js';
import { detectorLines, rcaLines } from './print.js';

/**
 * What `run`, `replay` and `merge` print: the figures of each method and where the report is.
 * On a CI page that collects step summaries ($GITHUB_STEP_SUMMARY), summary.md is appended to it.
 */
export function printSummary(s: Summary, out: string): void {
  const named = (m: { name: string; reference?: boolean }) => (m.reference ? `${m.name} (floor)` : m.name);
  const rca = [...s.rca].sort((a, b) => (b.ac1 ?? -1) - (a.ac1 ?? -1));
  if (rca.length) process.stdout.write(`RCA over ${rca[0]!.incidents} incidents (95% intervals over incidents):\n${rcaLines(rca.map((a) => ({ name: named(a), figures: a, intervals: a.intervals })))}`);
  if (s.detectors.length) {
    const detectors = [...s.detectors].sort((a, b) => (b.pointAdjustedF1 ?? -1) - (a.pointAdjustedF1 ?? -1));
    const rows = detectors.map((d) => ({ name: named(d), figures: d, intervals: d.intervals, tail: `faults detected ${d.detectedFaults}/${d.faults}` }));
    process.stdout.write(`detectors (95% intervals over ${seriesUnits(s.items.length)}):\n${detectorLines(rows)}`);
  }
  process.stdout.write(`report: ${path.join(out, REPORT_FILES.html)}\n`);
  appendStepSummary(path.join(out, REPORT_FILES.markdown));
}

/** Appends a Markdown file to the CI step summary when $GITHUB_STEP_SUMMARY names one. */
export function appendStepSummary(markdownFile: string): void {
  const target = process.env.GITHUB_STEP_SUMMARY;
  if (!target) return;
  try {
    appendFileSync(target, `${readFileSync(markdownFile, 'utf8')}\n`);
  } catch (err) {
    // The report is written; a CI page that cannot take the summary is worth a note, not a failure.
    process.stderr.write(`faultline: could not append ${markdownFile} to $GITHUB_STEP_SUMMARY (${target}): ${(err as Error).message}\n`);
  }
}

import path from 'node:path';
import type { Summary } from '../../reports/summary-schema.js';
import { REPORT_FILES } from '../../reports/write.js';
import { detectorLines, rcaLines } from './print.js';

/** What `run`, `replay` and `merge` print: the figures of each method and where the report is. */
export function printSummary(s: Summary, out: string): void {
  if (s.rca.length) process.stdout.write(`RCA over ${s.rca[0]!.incidents} incidents:\n${rcaLines(s.rca.map((a) => ({ name: a.name, figures: a })))}`);
  if (s.detectors.length) {
    const rows = s.detectors.map((d) => ({ name: d.name, figures: d, tail: `faults detected ${d.detectedFaults}/${d.faults}` }));
    process.stdout.write(`detectors:\n${detectorLines(rows)}`);
  }
  process.stdout.write(`report: ${path.join(out, REPORT_FILES.html)}\n`);
}

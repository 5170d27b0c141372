/**
 * `faultline compare <runA> <runB>`: per metric and subject (detector, RCA algorithm, pairing),
 * whether run B is better, worse or the same as run A, knowing which direction is better.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { SummarySchema, type Summary } from './summary-schema.js';
import { REPORT_FILES } from './write.js';
import { readJsonFile } from '../common/validated-file.js';

type Direction = 'higher' | 'lower';
export type Verdict = 'better' | 'worse' | 'same' | 'only in A' | 'only in B' | 'undefined';

export interface ComparisonRow {
  section: 'detector' | 'rca' | 'pairing';
  subject: string;
  metric: string;
  a: number | null;
  b: number | null;
  delta: number | null;
  verdict: Verdict;
}

/** Compared metrics and which way is better. Measured compute times are left out: they are noise. */
const DETECTOR_METRICS: Record<string, Direction> = {
  pointAdjustedF1: 'higher',
  precision: 'higher',
  recall: 'higher',
  pointF1: 'higher',
  rangePrecision: 'higher',
  rangeRecall: 'higher',
  eventRecall: 'higher',
  faultDetectionRate: 'higher',
  meanTimeToDetectMs: 'lower',
  falseAlarmsPerDay: 'lower',
  nabStandard: 'higher',
};
const RCA_METRICS: Record<string, Direction> = { ac1: 'higher', ac3: 'higher', avg5: 'higher', mrr: 'higher' };
const PAIRING_METRICS: Record<string, Direction> = {
  mttrMs: 'lower',
  detectMs: 'lower',
  identifyMs: 'lower',
  availability: 'higher',
};

export function readSummary(fileOrDir: string): Summary {
  const file =
    existsSync(fileOrDir) && statSync(fileOrDir).isDirectory() ? path.join(fileOrDir, REPORT_FILES.summary) : fileOrDir;
  if (!existsSync(file)) throw new Error(`${file}: no such summary file (give a run directory or its summary.json)`);
  return readJsonFile(file, SummarySchema, 'summary file') as Summary;
}

function compareSection<T>(
  section: ComparisonRow['section'],
  a: T[],
  b: T[],
  subject: (x: T) => string,
  metrics: Record<string, Direction>,
  tolerance: number,
): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  const bBy = new Map(b.map((x) => [subject(x), x]));
  const aBy = new Map(a.map((x) => [subject(x), x]));
  const subjects = [...aBy.keys(), ...[...bBy.keys()].filter((k) => !aBy.has(k))];
  for (const s of subjects) {
    const xa = aBy.get(s) as Record<string, unknown> | undefined;
    const xb = bBy.get(s) as Record<string, unknown> | undefined;
    for (const [metric, direction] of Object.entries(metrics)) {
      const va = xa ? ((xa[metric] as number | null) ?? null) : null;
      const vb = xb ? ((xb[metric] as number | null) ?? null) : null;
      let verdict: Verdict;
      let delta: number | null = null;
      if (!xa) verdict = 'only in B';
      else if (!xb) verdict = 'only in A';
      else if (va === null || vb === null) verdict = va === vb ? 'same' : 'undefined';
      else {
        delta = vb - va;
        const scale = Math.max(Math.abs(va), Math.abs(vb), 1e-12);
        if (Math.abs(delta) <= tolerance * scale) verdict = 'same';
        else verdict = (delta > 0) === (direction === 'higher') ? 'better' : 'worse';
      }
      rows.push({ section, subject: s, metric, a: va, b: vb, delta, verdict });
    }
  }
  return rows;
}

/**
 * Relative change that still counts as the same. identify and MTTR carry measured RCA compute time
 * (milliseconds inside minutes), so run-to-run noise there stays under this.
 */
export const DEFAULT_TOLERANCE = 1e-3;

/** `tolerance` is relative: |B - A| <= tolerance * max(|A|, |B|) counts as the same. */
export function compareSummaries(a: Summary, b: Summary, opts: { tolerance?: number } = {}): ComparisonRow[] {
  const tol = opts.tolerance ?? DEFAULT_TOLERANCE;
  return [
    ...compareSection('detector', a.detectors, b.detectors, (d) => d.name, DETECTOR_METRICS, tol),
    ...compareSection('rca', a.rca, b.rca, (r) => r.name, RCA_METRICS, tol),
    ...compareSection('pairing', a.mttr.pairings, b.mttr.pairings, (p) => `${p.detector} + ${p.rca}`, PAIRING_METRICS, tol),
  ];
}

function fmt(metric: string, x: number | null): string {
  if (x === null) return '–';
  if (metric.endsWith('Ms')) return `${(x / 60_000).toFixed(2)} min`;
  return x.toFixed(4);
}

/** A plain-text table, one row per (section, subject, metric), and a count line per verdict. */
export function formatComparison(rows: ComparisonRow[]): string {
  const table = [['section', 'subject', 'metric', 'A', 'B', 'delta', 'verdict']];
  for (const r of rows) {
    const delta = r.delta === null ? '' : (r.delta >= 0 ? '+' : '') + fmt(r.metric, r.delta);
    table.push([r.section, r.subject, r.metric, fmt(r.metric, r.a), fmt(r.metric, r.b), delta, r.verdict]);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const lines = table.map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1);
  const tally = [...counts].map(([v, n]) => `${n} ${v}`).join(', ');
  return `${lines.join('\n')}\n\nB vs A: ${tally}\n`;
}

/**
 * `faultline compare <runA> <runB>`: per figure and subject (detector, RCA method, pairing),
 * whether run B is better, worse or the same as run A. The figures are the comparable ones of the
 * figure tables (measured times left out), each knowing which direction is better.
 *
 * "better" and "worse" need a paired test over the units both runs share, read from the
 * results.json beside each summary.json: McNemar's exact test for hit-or-miss figures (AC@k,
 * detection rate, failed incidents), a paired bootstrap for the others (Avg@5, MRR, PA-F1, the
 * AUCs, MTTR on its modelled part...). A difference the test does not find significant (p >= 0.05)
 * is "within noise".
 * Without results.json the comparison falls back to the point figures, and says so: its
 * differences are "better (untested)" or "worse (untested)".
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../common/errors.js';
import { comparable, DETECTION_FIGURES, MTTR_FIGURES, RCA_FIGURES, type Figure } from '../scores/figures.js';
import type { ItemResult } from '../scores/item-result.js';
import type { MttrModel } from '../scores/mttr.js';
import { BOOTSTRAP_RESAMPLES, SIGNIFICANCE } from '../scores/uncertainty.js';
import { figureSample, pairedTest, type Subject } from './resample.js';
import { readResultsFile, RESULTS_FILE } from './results-file.js';
import { SummarySchema, type Summary } from './summary-schema.js';
import { REPORT_FILES } from './write.js';
import { readJsonFile } from '../common/validated-file.js';

export type Verdict = 'better' | 'worse' | 'within noise' | 'same' | 'better (untested)' | 'worse (untested)' | 'only in A' | 'only in B' | 'undefined';

export interface ComparisonRow {
  section: 'detector' | 'rca' | 'pairing';
  subject: string;
  metric: string;
  a: number | null;
  b: number | null;
  delta: number | null;
  verdict: Verdict;
  /** The paired test behind better, worse or within noise. */
  test?: 'McNemar exact' | 'paired bootstrap';
  pValue?: number;
  /** Units both runs share (incidents, faults, series or items) that the test used, and what they are. */
  shared?: number;
  units?: string;
}

/** A run to compare: its summary and, when results.json sits beside it, its item results. */
export interface RunData {
  summary: Summary;
  items: ItemResult[] | null;
  /** Why the item results are not used, when they are not. */
  note?: string;
  path: string;
}

export function readSummary(fileOrDir: string): Summary {
  const file =
    existsSync(fileOrDir) && statSync(fileOrDir).isDirectory() ? path.join(fileOrDir, REPORT_FILES.summary) : fileOrDir;
  if (!existsSync(file)) throw new Error(`${file}: no such summary file (give a run directory or its summary.json)`);
  return readJsonFile(file, SummarySchema, 'summary file') as Summary;
}

/** A run's summary.json and the results.json beside it (when present and of the same items). */
export async function readRun(fileOrDir: string): Promise<RunData> {
  const summary = readSummary(fileOrDir);
  const dir = existsSync(fileOrDir) && statSync(fileOrDir).isDirectory() ? fileOrDir : path.dirname(fileOrDir);
  const resultsPath = path.join(dir, RESULTS_FILE);
  if (!existsSync(resultsPath)) return { summary, items: null, note: `no ${RESULTS_FILE} beside ${fileOrDir}`, path: fileOrDir };
  const results = await readResultsFile(resultsPath);
  const keys = (xs: { key: string }[]) => JSON.stringify(xs.map((x) => x.key).sort());
  if (keys(results.items) !== keys(summary.items)) {
    return { summary, items: null, note: `${resultsPath} holds other items than its summary.json`, path: fileOrDir };
  }
  return { summary, items: results.items, path: fileOrDir };
}

/** The figures `compare` looks at, per section: comparable, one number each, in summary.json. */
const COMPARED: Record<ComparisonRow['section'], Figure[]> = {
  detector: comparable(DETECTION_FIGURES).filter((f) => !('itemOnly' in f)),
  rca: comparable(RCA_FIGURES).filter((f) => !('perK' in f)),
  pairing: comparable(MTTR_FIGURES),
};

/**
 * Relative change that still counts as the same. identify and MTTR carry measured RCA compute time
 * (milliseconds inside minutes), so run-to-run noise there stays under this.
 */
export const DEFAULT_TOLERANCE = 1e-3;

type Entry = { name?: string; detector?: string; rca?: string } & Record<string, unknown>;

function subjectOf(section: ComparisonRow['section'], x: Entry, run: RunData): Subject {
  if (section === 'pairing') {
    const m = run.summary.mttr;
    return { section, detector: x.detector!, rca: x.rca!, model: m.model as MttrModel, mtbfMs: m.mtbfMs };
  }
  return { section, name: x.name! };
}

function compareSection(section: ComparisonRow['section'], a: RunData, b: RunData, listA: Entry[], listB: Entry[], label: (x: Entry) => string, tolerance: number): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  const aBy = new Map(listA.map((x) => [label(x), x]));
  const bBy = new Map(listB.map((x) => [label(x), x]));
  const subjects = [...aBy.keys(), ...[...bBy.keys()].filter((k) => !aBy.has(k))];
  for (const s of subjects) {
    const xa = aBy.get(s);
    const xb = bBy.get(s);
    for (const f of COMPARED[section]) {
      const va = xa ? ((xa[f.key] as number | null | undefined) ?? null) : null;
      const vb = xb ? ((xb[f.key] as number | null | undefined) ?? null) : null;
      const row: ComparisonRow = { section, subject: s, metric: f.key, a: va, b: vb, delta: null, verdict: 'same' };
      if (!xa) row.verdict = 'only in B';
      else if (!xb) row.verdict = 'only in A';
      else if (va === null || vb === null) row.verdict = va === vb ? 'same' : 'undefined';
      else {
        row.delta = vb - va;
        const scale = Math.max(Math.abs(va), Math.abs(vb), 1e-12);
        const improves = (d: number) => (d > 0) === (f.better === 'higher');
        if (Math.abs(row.delta) <= tolerance * scale) row.verdict = 'same';
        else {
          const sa = a.items ? figureSample(f, a.items, subjectOf(section, xa, a)) : null;
          const sb = b.items ? figureSample(f, b.items, subjectOf(section, xb, b)) : null;
          const t = sa && sb ? pairedTest(f, sa, sb, `compare:${section}:${s}:${f.key}`) : null;
          if (!t) row.verdict = improves(row.delta) ? 'better (untested)' : 'worse (untested)';
          else {
            Object.assign(row, { test: t.test, pValue: t.pValue, shared: t.items, units: sa!.units });
            // No difference on the shared units in what is tested (MTTR's modelled part): the same.
            row.verdict = t.difference === 0 ? 'same' : !t.significant ? 'within noise' : improves(t.difference) ? 'better' : 'worse';
          }
        }
      }
      rows.push(row);
    }
  }
  return rows;
}

export interface Comparison {
  rows: ComparisonRow[];
  /** Whether paired tests were possible (both runs' results.json read). */
  paired: boolean;
  /** What limits the comparison (a missing results.json), for the reader. */
  notes: string[];
}

/**
 * Run B against run A, figure by figure, by paired tests over their shared units. `tolerance` is
 * relative: |B - A| <= tolerance * max(|A|, |B|) counts as the same, untested.
 */
export function compareRunFigures(a: RunData, b: RunData, opts: { tolerance?: number } = {}): Comparison {
  const tol = opts.tolerance ?? DEFAULT_TOLERANCE;
  const entries = (xs: unknown[]) => xs as Entry[];
  const rows = [
    ...compareSection('detector', a, b, entries(a.summary.detectors), entries(b.summary.detectors), (d) => d.name!, tol),
    ...compareSection('rca', a, b, entries(a.summary.rca), entries(b.summary.rca), (r) => r.name!, tol),
    ...compareSection('pairing', a, b, entries(a.summary.mttr.pairings), entries(b.summary.mttr.pairings), (p) => `${p.detector} + ${p.rca}`, tol),
  ];
  const notes = [a, b].flatMap((r) => (r.note ? [`${r.note}: point figures only, differences untested`] : []));
  return { rows, paired: a.items !== null && b.items !== null, notes };
}

/** Summaries alone: point figures, every difference untested. */
export function compareSummaries(a: Summary, b: Summary, opts: { tolerance?: number } = {}): ComparisonRow[] {
  return compareRunFigures({ summary: a, items: null, path: 'A' }, { summary: b, items: null, path: 'B' }, opts).rows;
}

const figureByKey = new Map(Object.values(COMPARED).flat().map((f) => [f.key, f]));

/** `--gate ac1,mttr`: figure keys or labels (case-insensitive; `mttr` for mttrMs); each must name a compared figure. */
export function parseGateFigures(text: string): Set<string> {
  const out = new Set<string>();
  for (const raw of text.split(',')) {
    const t = raw.trim().toLowerCase();
    if (!t) continue;
    const hits = [...figureByKey.values()].filter((f) => f.key.toLowerCase() === t || f.key.toLowerCase() === `${t}ms` || f.label.toLowerCase() === t);
    if (!hits.length) throw new UsageError(`--gate: "${raw.trim()}" is not a compared figure (use one of ${[...figureByKey.keys()].join(', ')})`);
    for (const f of hits) out.add(f.key);
  }
  return out;
}

function fmt(metric: string, x: number | null): string {
  const f = figureByKey.get(metric);
  if (x === null) return '–';
  if (f?.unit === 'ms') return `${(x / 60_000).toFixed(2)} min`;
  return x.toFixed(4);
}

const pText = (p: number) => (p < 0.001 ? 'p<0.001' : `p=${p.toFixed(3)}`);

/** One line for a row that got worse: the figure, A to B, and the test that says so. */
export function describeRow(r: ComparisonRow): string {
  const test = r.test ? `${r.test}, ${pText(r.pValue!)}, ${r.shared} shared ${r.units}` : 'untested: no paired data';
  return `${r.section} ${r.subject} ${figureByKey.get(r.metric)?.label ?? r.metric}: ${fmt(r.metric, r.a)} -> ${fmt(r.metric, r.b)} (${test})`;
}

/** A plain-text table, one row per (section, subject, metric), and a count line per verdict. */
export function formatComparison(c: Comparison | ComparisonRow[]): string {
  const { rows, notes, paired } = Array.isArray(c) ? { rows: c, notes: [], paired: false } : c;
  const table = [['section', 'subject', 'metric', 'A', 'B', 'delta', 'verdict', 'test']];
  for (const r of rows) {
    const delta = r.delta === null ? '' : (r.delta >= 0 ? '+' : '') + fmt(r.metric, r.delta);
    const test = r.test ? `${r.test === 'McNemar exact' ? 'McNemar' : 'bootstrap'} ${pText(r.pValue!)} n=${r.shared}` : '';
    table.push([r.section, r.subject, r.metric, fmt(r.metric, r.a), fmt(r.metric, r.b), delta, r.verdict, test]);
  }
  const widths = table[0]!.map((_, col) => Math.max(...table.map((row) => row[col]!.length)));
  const lines = table.map((row) => row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd());
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1);
  const tally = [...counts].map(([v, n]) => `${n} ${v}`).join(', ');
  const head = paired
    ? `Paired tests over the units both runs share (from each run's ${RESULTS_FILE}): McNemar's exact test for hit-or-miss figures (AC@k, detection rate, failed), a paired bootstrap (${BOOTSTRAP_RESAMPLES} resamples) for the others. better/worse: p < ${SIGNIFICANCE}; otherwise within noise.`
    : `POINT FIGURES ONLY: ${notes.join('; ') || `no ${RESULTS_FILE} read`}. Differences are untested.`;
  return `${head}\n\n${lines.join('\n')}\n\nB vs A: ${tally}\n`;
}


/**
 * The CLI's result lines, printed from the figure tables so every command shows a figure alike:
 * the table's brief figures, each with its 95% interval where known.
 */
import { DETECTION_FIGURES, formatFigure, RCA_FIGURES, type Figure } from '../../scores/figures.js';
import type { RcaScores } from '../../scores/rca.js';
import type { Interval } from '../../scores/uncertainty.js';

type Bounds = { low: number | null; high: number | null };

export interface FigureRow {
  name: string;
  /** Values by figure key. */
  figures: object;
  /** 95% intervals by figure key, where known. */
  intervals?: Record<string, Bounds> | undefined;
  tail?: string;
}

function line(row: FigureRow, width: number, shown: readonly Figure[], tail: string): string {
  const cells = shown.map((f) => {
    const x = (row.figures as Record<string, number | null | undefined>)[f.key];
    const i = row.intervals?.[f.key];
    const ci = i && i.low !== null && i.high !== null && x !== null && x !== undefined ? ` [${formatFigure(f, i.low)}, ${formatFigure(f, i.high)}]` : '';
    return `${f.label} ${formatFigure(f, x)}${ci}`;
  });
  return `${row.name.padEnd(width)}  ${cells.join('  ')}${tail ? `  ${tail}` : ''}\n`;
}

const RCA_SHOWN = RCA_FIGURES.filter((f) => 'brief' in f);
const DETECTION_SHOWN = DETECTION_FIGURES.filter((f) => 'brief' in f);

/** scores/rca.ts's scores as figure values and intervals under the RCA table's keys (AC@k from acAt). */
export function rcaScoreFigures(m: RcaScores & { computeMs?: number }): { figures: Record<string, number>; intervals: Record<string, Bounds> } {
  const figures: Record<string, number> = { incidents: m.incidents, failed: m.failed, avg5: m.avg5, mrr: m.mrr, ...(m.computeMs !== undefined ? { computeMs: m.computeMs } : {}) };
  const bounds = (i: Interval): Bounds => ({ low: Number.isFinite(i.low) ? i.low : null, high: Number.isFinite(i.high) ? i.high : null });
  const intervals: Record<string, Bounds> = { avg5: bounds(m.intervals.avg5), mrr: bounds(m.intervals.mrr) };
  for (const [k, v] of Object.entries(m.acAt)) {
    figures[`ac${k}`] = v;
    intervals[`ac${k}`] = bounds(m.intervals.acAt[Number(k)]!);
  }
  return { figures, intervals };
}

/** One line per RCA method: its brief figures, incidents, failures and compute; and its error when it failed. */
export function rcaLines(rows: (FigureRow & { error?: string | undefined })[]): string {
  const width = Math.max(0, ...rows.map((r) => r.name.length));
  const ms = RCA_FIGURES.find((f) => f.key === 'computeMs')!;
  return rows
    .map((r) => {
      const f = r.figures as { incidents: number; failed?: number; computeMs: number };
      const failed = f.failed ? `, ${f.failed} failed` : '';
      const tail = `(${f.incidents} incidents${failed}, ${formatFigure(ms, f.computeMs)} each)${r.error ? ` FAILED: ${r.error}` : ''}`;
      return line(r, width, RCA_SHOWN, tail);
    })
    .join('');
}

/** One line per detector with its brief detection figures. */
export function detectorLines(rows: FigureRow[]): string {
  const width = Math.max(0, ...rows.map((r) => r.name.length));
  return rows.map((r) => line(r, width, DETECTION_SHOWN, r.tail ?? '')).join('');
}

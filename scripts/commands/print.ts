/** The CLI's result lines, printed from the figure tables so every command shows a figure alike. */
import { comparable, DETECTION_FIGURES, formatFigure, RCA_FIGURES, type Figure } from '../../scores/figures.js';

interface Interval {
  low: number | null;
  high: number | null;
}

/** The bootstrap interval printed beside a headline figure, where the figures carry one. */
function intervalOf(key: string, values: object): Interval | undefined {
  const v = values as { pointAdjustedF1Interval?: Interval; intervals?: { acAt?: Record<string, Interval> } };
  if (key === 'pointAdjustedF1') return v.pointAdjustedF1Interval;
  if (key === 'ac1') return v.intervals?.acAt?.['1'];
  return undefined;
}

function line(name: string, width: number, table: readonly Figure[], keys: readonly string[], values: object, tail: string): string {
  const cells = keys.map((k) => {
    const f = table.find((x) => x.key === k)!;
    const ci = intervalOf(k, values);
    const range = ci && ci.low !== null && ci.high !== null ? ` [${formatFigure(f, ci.low)}, ${formatFigure(f, ci.high)}]` : '';
    return `${f.label} ${formatFigure(f, (values as Record<string, number | null>)[k])}${range}`;
  });
  return `${name.padEnd(width)}  ${cells.join('  ')}${tail ? `  ${tail}` : ''}\n`;
}

const RCA_SHOWN = comparable(RCA_FIGURES).filter((f) => !('perK' in f)).map((f) => f.key);

/** One line per RCA method: AC@k, Avg@5, MRR, incidents, compute; and its error when it failed. */
export function rcaLines(rows: { name: string; figures: object; error?: string | undefined }[]): string {
  const width = Math.max(0, ...rows.map((r) => r.name.length));
  const ms = RCA_FIGURES.find((f) => f.key === 'computeMs')!;
  return rows
    .map((r) => {
      const tail = `(${(r.figures as { incidents: number }).incidents} incidents, ${formatFigure(ms, (r.figures as { computeMs: number }).computeMs)} each)${r.error ? ` FAILED: ${r.error}` : ''}`;
      return line(r.name, width, RCA_FIGURES, RCA_SHOWN, r.figures, tail);
    })
    .join('');
}

const DETECTION_SHOWN = ['pointAdjustedF1', 'pointF1', 'eventRecall', 'falseAlarmsPerDay', 'nabStandard'] as const;

/** One line per detector with its headline detection figures. */
export function detectorLines(rows: { name: string; figures: object; tail?: string }[]): string {
  const width = Math.max(0, ...rows.map((r) => r.name.length));
  return rows.map((r) => line(r.name, width, DETECTION_FIGURES, DETECTION_SHOWN, r.figures, r.tail ?? '')).join('');
}

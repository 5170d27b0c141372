/**
 * summary.md: the run in a few lines of GitHub-flavoured Markdown for CI pages (the CLI also
 * appends it to $GITHUB_STEP_SUMMARY when that is set): the gate, what the run says, the items'
 * notes, and the headline figures of each method with their 95% intervals, best first.
 */
import { DETECTION_FIGURES, formatFigure, MTTR_FIGURES, RCA_FIGURES, type Figure } from '../scores/figures.js';
import type { ItemResult } from '../scores/item-result.js';
import { findings, type Findings } from './findings.js';
import { seriesUnits } from './resample.js';
import type { IntervalJson, Summary } from './summary-schema.js';

/** Markdown-inert text: characters that would format, open an HTML tag or break a table cell are escaped. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_[\]|~]|<(?=[A-Za-z/!?])/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, ' ');
}

const m = escapeMarkdown;

function cell(f: Figure, x: number | null | undefined, i?: IntervalJson): string {
  const v = formatFigure(f, x);
  return i && i.low !== null && i.high !== null && x !== null && x !== undefined ? `${v} [${formatFigure(f, i.low)}, ${formatFigure(f, i.high)}]` : v;
}

function mdTable(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map((_, k) => (k === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const RCA_SHOWN: Figure[] = RCA_FIGURES.filter((f) => 'brief' in f);
const DETECTION_SHOWN: Figure[] = DETECTION_FIGURES.filter((f) => 'brief' in f);

export function renderMarkdown(summary: Summary, items: ItemResult[], says: Findings = findings(summary, items)): string {
  const lines: string[] = [`## ${m(summary.title)}`, ''];
  const mark = summary.gate.minAc1 === null ? '' : summary.gate.passed ? '✅ ' : '❌ ';
  lines.push(`${mark}${m(summary.gate.message)}`, '');
  const facts = summary.run;
  lines.push(
    `${summary.items.length} items, ${summary.faults} faults (${summary.impactingFaults} with visible impact)` +
      (facts ? `; faultline ${m(facts.faultline)}${facts.commit ? ` at \`${facts.commit.slice(0, 12)}\`` : ''}${facts.seeds?.length ? `, seeds ${facts.seeds.join(', ')}` : ''}` : '') +
      '.',
    '',
  );
  if (says.overall.length) lines.push(says.overall.map(m).join(' '), '');
  const notes = summary.items.flatMap((i) => (i.notes ?? []).map((n) => `- ${m(i.key)}: ${m(n)}`));
  if (notes.length) lines.push('Notes:', '', ...notes, '');
  const rca = [...summary.rca].sort((a, b) => (b.ac1 ?? -1) - (a.ac1 ?? -1) || (b.avg5 ?? -1) - (a.avg5 ?? -1));
  if (rca.length) {
    lines.push(
      mdTable(
        ['RCA method', 'incidents', 'failed', ...RCA_SHOWN.map((f) => f.label)],
        rca.map((a) => [
          `${m(a.name)}${a.reference ? ' (floor)' : ''}`,
          String(a.incidents),
          String(a.failed ?? 0),
          ...RCA_SHOWN.map((f) => cell(f, (a as unknown as Record<string, number | null>)[f.key], (a.intervals as Record<string, IntervalJson> | undefined)?.[f.key])),
        ]),
      ),
      '',
    );
  }
  const detectors = [...summary.detectors].sort((a, b) => (b.pointAdjustedF1 ?? -1) - (a.pointAdjustedF1 ?? -1));
  if (detectors.length) {
    lines.push(
      mdTable(
        ['detector', ...DETECTION_SHOWN.map((f) => f.label)],
        detectors.map((d) => [
          `${m(d.name)}${d.reference ? ' (floor)' : ''}`,
          ...DETECTION_SHOWN.map((f) => cell(f, (d as unknown as Record<string, number | null>)[f.key], (d.intervals as Record<string, IntervalJson> | undefined)?.[f.key])),
        ]),
      ),
      '',
    );
  }
  if (rca.length || detectors.length) lines.push(`[95% bootstrap intervals]: over incidents (RCA), over ${seriesUnits(items.length)} (PA-F1, AUC-PR).`, '');
  if (says.byType.length) {
    lines.push('<details><summary>Best per fault type</summary>', '', ...says.byType.map((s) => `- ${m(s)}`), '', '</details>', '');
  }
  return lines.join('\n');
}

/**
 * The figure tables as Markdown, for docs/reports.md (a test keeps the page equal to this): per
 * figure its key, label, better direction, roll-up, resampling units of its interval and test, and
 * what it is.
 */
export function figureTablesMarkdown(): string {
  const section = (title: string, table: readonly Figure[]) => {
    const rows = table.map((f) => {
      const over = f.over ? `${f.over}${f.hitOrMiss ? ' (McNemar)' : ' (bootstrap)'}` : '–';
      const flags = [f.interval ? 'interval' : '', f.byType ? 'by type' : '', f.itemOnly ? 'per item only' : ''].filter(Boolean).join(', ');
      return `| \`${f.key}\` | ${f.label} | ${f.better} | ${f.rollup} | ${over} | ${flags || '–'} | ${escapeMarkdown(f.doc)} |`;
    });
    return [`### ${title}`, '', '| key | label | better | roll-up | units for intervals and tests | in summary.json | what it is |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
  };
  return [section('Detection (DETECTION_FIGURES)', DETECTION_FIGURES), section('RCA (RCA_FIGURES)', RCA_FIGURES), section('MTTR per detector and RCA pairing (MTTR_FIGURES)', MTTR_FIGURES)].join('\n\n');
}

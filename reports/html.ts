/**
 * report.html: one self-contained page (inline CSS and SVG, no script, no network). Every string
 * that comes from a scenario, a result, a plugin or the command line passes through escapeHtml.
 * Sections: what the run says, detectors, RCA, MTTR, latency, one section per incident (its truth,
 * each method's top candidates with their evidence, the KPI series it moved with the alarms), and
 * the run's facts. Tables list figures from the figure tables, sorted by the figure that decides.
 */
import { acAtChart, barChart, detectionDelayChart, heatmap, kpiCurveChart, latencyChart, mttrChart, type HeatCell } from './charts.js';
import { escapeHtml as e } from './escape.js';
import { findings, type Findings } from './findings.js';
import { seriesUnits } from './resample.js';
import { addLatency, emptyLatencyHistogram } from './latency.js';
import { impactingFaults } from '../scores/mttr.js';
import { DETECTION_FIGURES, figureOf, formatFigure, MTTR_FIGURES, RCA_FIGURES, type Figure } from '../scores/figures.js';
import type { DetectorSummary, IntervalJson, RcaSummary, Summary } from './summary-schema.js';
import type { FaultRecord, IncidentResult, ItemResult } from '../scores/item-result.js';
import type { Candidate } from '../rca/types.js';
import { EFFECT_LABELS, EFFECT_MEASURES, MIN_EFFECT_CALLS } from '../data/fault-effect.js';

/** Items whose KPI curves are drawn; the rest are in the tables only (keeps the page light). */
export const MAX_CURVE_ITEMS = 24;
/** Candidates shown per method and incident. */
export const CANDIDATES_SHOWN = 5;

const MINUTE = 60_000;
const value = (row: object, key: string) => (row as Record<string, number | null | undefined>)[key] ?? null;
const fmt = (f: Figure, x: number | null | undefined) => formatFigure(f, x);
const utc = (t: number) => new Date(t).toISOString().replace('T', ' ').replace(/:\d\d\.\d{3}Z$/, ' UTC');

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** A table header cell for a figure: its label, with what it is as the tooltip. */
const th = (f: Figure) => `<span title="${e(f.doc)}">${e(f.label)}</span>`;

/** A figure's value, with its 95% interval beside it when known. */
function withInterval(f: Figure, x: number | null, i: IntervalJson | undefined): string {
  const ci = i && i.low !== null && i.high !== null ? ` <span class="ci">[${fmt(f, i.low)}, ${fmt(f, i.high)}]</span>` : '';
  return `${fmt(f, x)}${x === null ? '' : ci}`;
}

/** A time in ms and its interval as a bar's value and whisker, in minutes. */
function minutes(ms: number | null, i: IntervalJson | undefined): { value: number | null; low: number | null; high: number | null } {
  const m = (x: number | null | undefined) => (x === null || x === undefined ? null : x / MINUTE);
  return { value: m(ms), low: m(i?.low), high: m(i?.high) };
}

function chart(title: string, svg: string, id?: string): string {
  const body = svg || '<p class="note">Nothing defined to draw.</p>';
  return `<div class="chart"${id ? ` data-chart="${e(id)}"` : ''}><h3>${e(title)}</h3>${body}</div>`;
}

const referenceTag = (m: { reference?: boolean }) => (m.reference ? ' <span class="ref" title="a trivial reference method: the floor others must clear">floor</span>' : '');

/** Best first by the figures given, in order; undefined values last. */
function sortBy<T>(rows: T[], keys: { key: (x: T) => number | null; better: 'higher' | 'lower' }[]): T[] {
  return [...rows].sort((a, b) => {
    for (const k of keys) {
      const x = k.key(a);
      const y = k.key(b);
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      return k.better === 'higher' ? y - x : x - y;
    }
    return 0;
  });
}

// ---- Detectors ----------------------------------------------------------------------------------

/** Threshold-dependent detector figures shown in the main table (counts are shown as hits/total). */
const DETECTOR_COLUMNS: Figure[] = DETECTION_FIGURES.filter((f) => !('itemOnly' in f) && f.rollup !== 'seriesMean' && f.rollup !== 'measured' && f.unit !== 'count');
const THRESHOLD_FREE: Figure[] = DETECTION_FIGURES.filter((f) => f.rollup === 'seriesMean');

function sortedDetectors(summary: Summary): DetectorSummary[] {
  return sortBy(summary.detectors, [
    { key: (d) => d.pointAdjustedF1, better: 'higher' },
    { key: (d) => d.aucPr ?? null, better: 'higher' },
  ]);
}

function detectorTable(detectors: DetectorSummary[]): string {
  return table(
    ['detector', ...DETECTOR_COLUMNS.map(th), 'events hit', 'faults hit', th(figureOf(DETECTION_FIGURES, 'computeMs'))],
    detectors.map((d) => [
      `${e(d.name)}${referenceTag(d)}`,
      ...DETECTOR_COLUMNS.map((f) => withInterval(f, value(d, f.key), (d.intervals as Record<string, IntervalJson> | undefined)?.[f.key])),
      `${d.detectedEvents}/${d.events}`,
      `${d.detectedFaults}/${d.faults}`,
      fmt(figureOf(DETECTION_FIGURES, 'computeMs'), d.computeMs),
    ]),
  );
}

function thresholdFreeTable(detectors: DetectorSummary[]): string {
  const shown = sortBy(
    detectors.filter((d) => THRESHOLD_FREE.some((f) => value(d, f.key) !== null)),
    [{ key: (d) => d.aucPr ?? null, better: 'higher' }],
  );
  if (!shown.length) return '<p class="note">No detector gave scores on a labelled series: no threshold-free figure is defined.</p>';
  return table(
    ['detector', ...THRESHOLD_FREE.map(th)],
    shown.map((d) => [`${e(d.name)}${referenceTag(d)}`, ...THRESHOLD_FREE.map((f) => withInterval(f, value(d, f.key), (d.intervals as Record<string, IntervalJson> | undefined)?.[f.key]))]),
  );
}

function detectorByType(detectors: DetectorSummary[]): string {
  const types = [...new Set(detectors.flatMap((d) => Object.keys(d.byType)))].sort();
  if (!types.length) return '<p class="note">No fault moved a KPI: detection by fault type is undefined.</p>';
  const mttd = figureOf(DETECTION_FIGURES, 'meanTimeToDetectMs');
  const rate = figureOf(DETECTION_FIGURES, 'faultDetectionRate');
  const cells: HeatCell[] = detectors.flatMap((d) =>
    types.flatMap((type) => {
      const t = d.byType[type];
      return t && t.detectionRate !== null ? [{ type, method: d.name, value: t.detectionRate, text: `${t.detectionRate.toFixed(2)} ${t.detected}/${t.faults}` }] : [];
    }),
  );
  const rows = types.map((type) => [
    e(type),
    String(detectors[0]?.byType[type]?.faults ?? 0),
    ...detectors.map((d) => {
      const t = d.byType[type];
      if (!t) return '–';
      const i = t.intervals?.detectionRate;
      const ci = i && i.low !== i.high ? ` <span class="ci">[${fmt(rate, i.low)}, ${fmt(rate, i.high)}]</span>` : '';
      return `${t.detected}/${t.faults}${ci}<br><span class="note">${t.meanTimeToDetectMs === null ? 'never alarmed' : `after ${fmt(mttd, t.meanTimeToDetectMs)}`}</span>`;
    }),
  ]);
  return `<div class="grid">${chart('Detection rate by fault type (rate and detected/faults in cells)', heatmap(cells, { types, methods: detectors.map((d) => d.name), methodLabel: 'detector', legend: 'detection rate (share of faults)' }), 'detection-by-type')}</div>
${table(['fault type', 'faults', ...detectors.map((d) => `${e(d.name)}${referenceTag(d)}`)], rows)}`;
}

// ---- RCA ------------------------------------------------------------------------------------------

const RCA_COLUMNS: Figure[] = RCA_FIGURES.filter((f) => !('perK' in f) && f.rollup !== 'measured');

function sortedRca(summary: Summary): RcaSummary[] {
  return sortBy(summary.rca, [
    { key: (a) => a.ac1, better: 'higher' },
    { key: (a) => a.avg5, better: 'higher' },
    { key: (a) => a.mrr, better: 'higher' },
  ]);
}

function rcaTable(rca: RcaSummary[]): string {
  const ks = Object.keys(rca[0]?.prAt ?? {});
  const pr = figureOf(RCA_FIGURES, 'prAt');
  const ms = figureOf(RCA_FIGURES, 'computeMs');
  return table(
    ['method', ...RCA_COLUMNS.map(th), ...ks.map((k) => `<span title="${e(pr.doc)}">PR@${e(k)}</span>`), th(ms)],
    rca.map((a) => [
      `${e(a.name)}${referenceTag(a)}`,
      ...RCA_COLUMNS.map((f) => (f.unit === 'count' ? String(value(a, f.key) ?? '–') : withInterval(f, value(a, f.key), (a.intervals as Record<string, IntervalJson> | undefined)?.[f.key]))),
      ...ks.map((k) => fmt(pr, a.prAt[k])),
      fmt(ms, a.computeMs),
    ]),
  );
}

function rcaByType(rca: RcaSummary[]): string {
  const types = [...new Set(rca.flatMap((a) => Object.keys(a.byType)))].sort();
  if (!types.length) return '';
  const cells = (key: 'ac1' | 'avg5'): HeatCell[] =>
    rca.flatMap((a) =>
      types.flatMap((type) => {
        const t = a.byType[type];
        const v = t?.[key];
        if (!t || v === null || v === undefined) return [];
        return [{ type, method: a.name, value: v, text: key === 'ac1' ? `${v.toFixed(2)} ${Math.round(v * t.incidents)}/${t.incidents}` : `${v.toFixed(2)} n=${t.incidents}` }];
      }),
    );
  const opts = { types, methods: rca.map((a) => a.name), methodLabel: 'RCA method' };
  return `<div class="grid">${chart('AC@1 by fault type (AC@1 and hits/incidents in cells)', heatmap(cells('ac1'), { ...opts, legend: 'AC@1 (share of incidents)' }), 'rca-ac1-by-type')}
${chart('Avg@5 by fault type', heatmap(cells('avg5'), { ...opts, legend: 'Avg@5 (mean of AC@1..5)' }), 'rca-avg5-by-type')}</div>`;
}

// ---- MTTR -----------------------------------------------------------------------------------------

function mttrTable(summary: Summary): string {
  const pairings = sortBy(summary.mttr.pairings, [{ key: (p) => p.mttrMs, better: 'lower' }]);
  const shown = MTTR_FIGURES.filter((f) => f.key !== 'faults');
  return table(
    ['detector', 'RCA method', 'faults', ...shown.map(th)],
    pairings.map((p) => [
      e(p.detector),
      e(p.rca),
      String(p.faults),
      ...shown.map((f) => {
        const x = value(p, f.key);
        if (f.key === 'availability') return x === null ? '–' : `${(x * 100).toFixed(3)}%`;
        return f.key === 'mttrMs' ? `<b>${withInterval(f, x, p.intervals?.mttrMs)}</b>` : fmt(f, x);
      }),
    ]),
  );
}

/** Per fault type, the phases of the pairing with the lowest overall MTTR. */
function mttrByTypeTable(summary: Summary): string {
  const best = sortBy(
    summary.mttr.pairings.filter((p) => p.mttrMs !== null),
    [{ key: (p) => p.mttrMs, better: 'lower' }],
  )[0];
  if (!best) return '';
  const phases = MTTR_FIGURES.filter((f) => 'byType' in f && f.rollup !== 'measured' && f.key !== 'faults');
  const rows = Object.entries(best.byType).map(([type, p]) => [e(type), String(p.faults), ...phases.map((f) => fmt(f, value(p, f.key)))]);
  return `<h3>By fault type, best pairing (${e(best.detector)} + ${e(best.rca)})</h3>${table(['fault type', 'faults', ...phases.map(th)], rows)}`;
}

// ---- Incidents ------------------------------------------------------------------------------------

interface IncidentView {
  anchor: string;
  item: ItemResult;
  id: string;
  fault: FaultRecord | undefined;
  type: string;
  start: number;
  end: number;
  rootCause: string[];
  rootCauseInstance?: string;
  /** Per RCA method of the item: its result for this incident, if it ranked it. */
  byMethod: { name: string; error?: string; incident?: IncidentResult }[];
}

/** Every incident of every item (RCA incidents, and faults no method was asked about), in item then time order. */
function incidentViews(items: ItemResult[]): IncidentView[] {
  const out: IncidentView[] = [];
  for (const item of items) {
    const ids = [...new Set([...item.rca.flatMap((a) => a.incidents.map((i) => i.id)), ...item.faults.map((f) => f.id)])];
    const views = ids.map((id) => {
      const first = item.rca.flatMap((a) => a.incidents).find((i) => i.id === id);
      const fault = item.faults.find((f) => f.id === (first?.faultId ?? id));
      return {
        anchor: '',
        item,
        id,
        fault,
        type: first?.type ?? fault?.type ?? 'unknown',
        start: first?.start ?? fault?.start ?? item.start,
        end: first?.end ?? fault?.end ?? item.end,
        rootCause: first?.rootCause ?? fault?.rootCause ?? [],
        ...(first?.rootCauseInstance !== undefined ? { rootCauseInstance: first.rootCauseInstance } : {}),
        byMethod: item.rca.map((a) => ({ name: a.name, ...(a.error !== undefined ? { error: a.error } : {}), incident: a.incidents.find((i) => i.id === id) })),
      } satisfies IncidentView;
    });
    views.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    out.push(...views);
  }
  out.forEach((v, k) => (v.anchor = `incident-${k + 1}`));
  return out;
}

/** A method's rank of the true cause, as a short verdict. */
function rankBadge(m: IncidentView['byMethod'][number]): string {
  const inc = m.incident;
  if (!inc) return '<span class="note">not ranked</span>';
  const failure = inc.failure ?? m.error;
  if (failure !== undefined) return `<span class="miss" title="${e(failure)}">failed</span>`;
  if (inc.rank === 0) return '<span class="miss">absent</span>';
  return `<span class="${inc.rank === 1 ? 'ok' : inc.rank <= 5 ? 'near' : 'miss'}">${inc.rank}</span>`;
}

function incidentTable(views: IncidentView[], methods: string[]): string {
  if (!views.length) return '<p class="note">No incident and no fault in this run.</p>';
  const rows = views.map((v) => {
    const ranks = methods.map((name) => {
      const m = v.byMethod.find((x) => x.name === name);
      return m ? `<a href="#${v.anchor}">${rankBadge(m)}</a>` : '–';
    });
    return `<tr id="row-${v.anchor}"><td><a href="#${v.anchor}">${e(v.id)}</a></td><td>${e(v.item.key)}</td><td>${e(v.type)}</td><td>${e((v.fault?.tags ?? []).join(', '))}</td><td>${e(v.rootCause.join(', ') || '(unknown)')}</td>${ranks.map((r) => `<td>${r}</td>`).join('')}</tr>`;
  });
  return `<table class="incidents"><thead><tr><th>incident</th><th>item</th><th>fault type</th><th>tags</th><th>true root cause</th>${methods.map((m) => `<th>${e(m)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** An observed value as read: integers whole, others to four significant digits. */
const evidenceNumber = (x: number) => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4))));

function evidenceList(c: Candidate): string {
  if (!c.evidence?.length) return '';
  const items = c.evidence.map((x) => {
    const measured = x.value !== undefined ? `${evidenceNumber(x.value)}${x.unit ? ` ${e(x.unit)}` : ''}` : '';
    const base = x.baseline !== undefined ? ` (reference ${evidenceNumber(x.baseline)}${x.unit ? ` ${e(x.unit)}` : ''})` : '';
    const note = x.note ? ` — ${e(x.note)}` : '';
    return `<li><span class="kind">${e(x.kind)}</span> ${e(x.subject)}${measured || base ? `: ${measured}${base}` : ''}${note}</li>`;
  });
  return `<ul class="evidence">${items.join('')}</ul>`;
}

function candidatesOf(m: IncidentView['byMethod'][number], truth: Set<string>): string {
  const inc = m.incident;
  const head = `<h4>${e(m.name)}: true cause at rank ${rankBadge(m)}</h4>`;
  if (!inc) return `${head}<p class="note">This method was not asked about this incident.</p>`;
  const failure = inc.failure ?? m.error;
  if (failure !== undefined) return `${head}<p class="miss">Failed: ${e(failure)} (counted as a miss).</p>`;
  if (!inc.candidates.length) return `${head}<p class="note">No candidate: the method could not judge this incident.</p>`;
  const rows = inc.candidates.slice(0, CANDIDATES_SHOWN).map((c) => {
    const hit = truth.has(c.service);
    const where = [c.instance, c.faultType].filter((x) => x !== undefined).map((x) => e(x)).join(', ');
    return `<li class="${hit ? 'hit' : ''}"><b>${e(c.service)}</b>${where ? ` <span class="note">(${where})</span>` : ''} <span class="score">score ${e(Number.isInteger(c.score) ? c.score : c.score.toPrecision(4))}</span>${hit ? ' <span class="ok">✓ root cause</span>' : ''}<div class="why">${e(c.explanation || '(no explanation given)')}</div>${evidenceList(c)}</li>`;
  });
  return `${head}<ol class="candidates">${rows.join('')}</ol>`;
}

/** How strongly the incident changed the calls into its root cause (data/fault-effect.ts), as read. */
function effectLine(v: IncidentView): string {
  const effect = v.item.faultEffects?.find((x) => x.faultId === v.id);
  if (!effect) return '';
  const where = effect.instance ?? effect.service;
  const measures = EFFECT_MEASURES.map((m) => `${EFFECT_LABELS[m]} ${effect[m] === null ? '–' : `${effect[m]}×`}`).join('; ');
  const failed = effect.failed ? `; failed calls ${(100 * effect.failed[0]).toFixed(1)}% → ${(100 * effect.failed[1]).toFixed(1)}%` : '';
  const few = EFFECT_MEASURES.some((m) => effect[m] === null) ? ` (–: not measured: under ${MIN_EFFECT_CALLS} calls on a side, or for the edge gap no caller's view of the calls)` : '';
  return `<dt>effect on ${e(where)}</dt><dd>${e(measures + failed)}, window against the fault-free reference, over ${effect.calls[1]} and ${effect.calls[0]} calls${e(few)}</dd>`;
}

function incidentSection(v: IncidentView, drawCurves: boolean, detectorNames: string[]): string {
  const truth = new Set(v.rootCause);
  const minutes = (v.end - v.start) / MINUTE;
  const detection = detectorNames.map((name) => {
    const d = v.item.detectors.find((x) => x.name === name);
    const first = d?.faults.find((f) => f.faultId === v.fault?.id)?.firstAlarm ?? null;
    if (!v.fault || v.fault.moved.length === 0) return null;
    return `${e(name)}: ${first === null ? '<span class="miss">no alarm</span>' : `first alarm ${((first - v.fault.start) / MINUTE).toFixed(1)} min after the start`}`;
  });
  const moved = v.fault ? (v.fault.moved.length ? v.fault.moved.map((s) => `<code>${e(s)}</code>`).join(', ') : '<span class="note">none: this fault moved no KPI (no visible impact)</span>') : '<span class="note">not known (a replayed incident)</span>';
  const curves = v.fault ? v.item.kpiCurves.filter((c) => c.faultIds.includes(v.fault!.id)) : [];
  const curveHtml = curves.length
    ? drawCurves
      ? `<div class="curves">${curves.map((c, k) => `<div class="curve">${kpiCurveChart(c, v.item.faults, k === 0)}</div>`).join('')}</div>`
      : `<p class="note">KPI curves are drawn for the first ${MAX_CURVE_ITEMS} items only.</p>`
    : '';
  const methods = v.byMethod.map((m) => `<div class="method">${candidatesOf(m, truth)}</div>`).join('');
  return `<article class="incident" id="${v.anchor}">
<h3>${e(v.id)} · ${e(v.type)} <span class="note">in ${e(v.item.key)}</span> <a class="back" href="#row-${v.anchor}">↑ incidents table</a></h3>
<dl class="truth">
<dt>true root cause</dt><dd><b>${e(v.rootCause.join(', ') || '(unknown)')}</b>${v.rootCauseInstance ? ` (instance ${e(v.rootCauseInstance)})` : ''}</dd>
<dt>window</dt><dd>${e(utc(v.start))} to ${e(utc(v.end))} (${minutes.toFixed(1)} min)</dd>
${v.fault?.tags.length ? `<dt>tags</dt><dd>${e(v.fault.tags.join(', '))}</dd>` : ''}
<dt>KPI series moved</dt><dd>${moved}</dd>
${effectLine(v)}
${detection.some((x) => x !== null) ? `<dt>detection</dt><dd>${detection.filter((x) => x !== null).join('; ')}</dd>` : ''}
</dl>
${methods ? `<div class="methods">${methods}</div>` : ''}
${curveHtml}
</article>`;
}

/** Items with nothing to detect: no fault at all, or faults that moved no KPI. */
function quietItems(items: ItemResult[]): string {
  const none = items.filter((i) => i.faults.length === 0).map((i) => e(i.key));
  const invisible = items.filter((i) => i.faults.length > 0 && impactingFaults(i).length === 0).map((i) => e(i.key));
  return [
    none.length ? `<p class="note">No fault injected (nothing to detect or explain): ${none.join(', ')}.</p>` : '',
    invisible.length ? `<p class="note">Faults without visible impact only (no KPI moved; ranked for RCA, not counted for detection or MTTR): ${invisible.join(', ')}.</p>` : '',
  ].join('');
}

// ---- Run facts ------------------------------------------------------------------------------------

function factsSection(summary: Summary): string {
  const f = summary.run;
  if (!f) return '<p class="note">This summary carries no run facts.</p>';
  const dl = [
    ['faultline', f.faultline],
    ['git commit', f.commit ?? 'unknown (not run from a git checkout)'],
    ['written', f.date],
    ['command', f.command ?? '(called as a library)'],
    ['suite', f.suite ?? '–'],
    ['seeds', f.seeds?.join(', ') || '–'],
  ];
  const methods = f.methods.length
    ? table(
        ['kind', 'method', 'spec', 'effective options'],
        f.methods.map((m) => [e(m.kind), `${e(m.name)}${m.reference ? ' <span class="ref">floor</span>' : ''}`, `<code>${e(m.spec)}</code>`, `<code class="options">${e(JSON.stringify(m.options))}</code>`]),
        'methods-table',
      )
    : '';
  return `<dl class="facts">${dl.map(([k, v]) => `<dt>${e(k)}</dt><dd>${k === 'command' ? `<code>${e(v)}</code>` : e(v)}</dd>`).join('')}</dl>${methods}`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1320px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #ddd}h3{font-size:14px;margin:10px 0 4px}h4{font-size:13px;margin:8px 0 2px}
nav{margin:8px 0;font-size:13px}nav a{margin-right:12px}
table{border-collapse:collapse;margin:8px 0;font-size:12px}th,td{border:1px solid #ddd;padding:3px 6px;text-align:right;vertical-align:top}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.incidents td,.incidents th,.methods-table td{text-align:left}
.grid{display:flex;flex-wrap:wrap;gap:16px}.chart{flex:0 0 auto}
.gate{padding:8px 12px;border-radius:4px;display:inline-block}.pass{background:#e6f4ea}.fail{background:#fce8e6}
.says{background:#f7f7fb;border-left:4px solid #4e79a7;padding:8px 14px}.says ul{margin:4px 0;padding-left:20px;font-size:13px}.says summary{font-size:13px;color:#444;cursor:pointer}
.empty{background:#fff8e1;border-left:4px solid #f2b600;padding:8px 14px}
.hit{font-weight:normal}.hit>b{color:#1a7f37}.ok{color:#1a7f37}.near{color:#a15c00}.miss{color:#c5221f}.note{color:#555;font-size:12px}
.ci{color:#666;font-size:11px;white-space:nowrap}.ref{background:#eee;border-radius:3px;padding:0 4px;font-size:11px;color:#555}
.incident{border-top:1px solid #ddd;padding:6px 0 12px}.incident:target{background:#fffbe6}tr:target{background:#fffbe6}
.truth{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0;font-size:13px}.truth dt{color:#555}.truth dd{margin:0}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}.facts dt{color:#555}.facts dd{margin:0}
.methods{display:flex;flex-wrap:wrap;gap:8px 28px}.method{flex:1 1 380px;max-width:620px}
.candidates{margin:2px 0;padding-left:22px;font-size:12px}.candidates li{margin:2px 0}.why{color:#333}.score{color:#666}
.evidence{margin:2px 0 4px;padding-left:16px;color:#444}.kind{font-variant:small-caps;color:#666}
.curves{display:flex;flex-wrap:wrap;gap:4px 28px}
.back{font-size:12px;font-weight:normal;margin-left:8px}code.options{font-size:11px;word-break:break-all}
svg{overflow:visible}figure{margin:0}`;

/** `says`: the run's findings when already computed (writeReport shares them with summary.md). */
export function renderReport(summary: Summary, results: ItemResult[], says: Findings = findings(summary, results)): string {
  const latency = emptyLatencyHistogram();
  for (const r of results) addLatency(latency, r.latency);
  const detectors = sortedDetectors(summary);
  const rca = sortedRca(summary);
  const detectorNames = detectors.map((d) => d.name);
  const delays = results.flatMap((item) =>
    item.detectors.flatMap((d) =>
      impactingFaults(item).flatMap((f) => {
        const t = d.faults.find((x) => x.faultId === f.id)?.firstAlarm;
        return t === null || t === undefined ? [] : [{ detector: d.name, minutes: Math.max(0, t - f.start) / MINUTE }];
      }),
    ),
  );
  const views = incidentViews(results);
  const curveItems = new Set(results.filter((r) => r.kpiCurves.length > 0).slice(0, MAX_CURVE_ITEMS).map((r) => r.key));
  const gateClass = summary.gate.passed ? 'pass' : 'fail';
  const faultTypes = Object.entries(summary.faultTypes).map(([t, n]) => `${e(t)} ${n}`).join(', ');
  const scoredIncidents = Math.max(0, ...summary.rca.map((a) => a.incidents));
  const empty =
    results.length === 0
      ? '<p class="empty">This run has no item: there is nothing to report.</p>'
      : summary.impactingFaults === 0
        ? `<p class="empty">No fault in this run moved a KPI${scoredIncidents ? '' : ' and no incident has a known root cause'}: detection rates and delays are undefined, and no bar is drawn for an undefined figure.</p>`
        : '';
  const mttrModel = summary.mttr.model;
  const rcaSection = summary.rca.length
    ? `${rcaTable(rca)}
<div class="grid">${chart('AC@1 with 95% interval', barChart(
        rca.map((a) => ({ name: a.name, value: a.ac1, low: a.intervals?.ac1?.low ?? null, high: a.intervals?.ac1?.high ?? null, ...(a.reference ? { reference: true } : {}) })),
        { label: 'AC@1 (share of incidents, higher is better) →', digits: 3, domain: [0, 1], yLabel: 'RCA method' },
      ), 'rca-ac1')}
${chart('AC@k: share found within the top k', acAtChart(rca.map((a) => ({ name: a.name, acAt: [a.ac1, a.ac2 ?? null, a.ac3, a.ac4 ?? null, a.ac5 ?? null] }))), 'rca-ac-at-k')}</div>
${rcaByType(rca)}`
    : '<p class="note">No RCA method in this run.</p>';
  const detectorSection = summary.detectors.length
    ? `<p class="note">Means over items of per-item scores with each detector's own threshold (point-adjusted with delay 7, as the AIOps Challenge 2018); events and faults pooled; [95% bootstrap interval] over ${seriesUnits(results.length)} (PA-F1, threshold-free figures) or faults (detection rate, time to detect). Time to detect: fault start to the first alarm on a series the fault moved.</p>
${detectorTable(detectors)}
<div class="grid">${chart('Point-adjusted F1 with 95% interval', barChart(
        detectors.map((d) => ({ name: d.name, value: d.pointAdjustedF1, low: d.intervals?.pointAdjustedF1?.low ?? null, high: d.intervals?.pointAdjustedF1?.high ?? null, ...(d.reference ? { reference: true } : {}) })),
        { label: 'point-adjusted F1 (share, higher is better) →', digits: 3, domain: [0, 1], yLabel: 'detector' },
      ), 'detector-pa-f1')}
${chart('Mean time to detect with 95% interval', barChart(detectors.map((d) => ({ name: d.name, ...minutes(d.meanTimeToDetectMs, d.intervals?.meanTimeToDetectMs), ...(d.reference ? { reference: true } : {}) })), { label: 'mean time to detect (minutes, lower is better) →', digits: 1, yLabel: 'detector' }), 'detector-mttd')}
${chart('False alarms per day', barChart(detectors.map((d) => ({ name: d.name, value: d.falseAlarmsPerDay, ...(d.reference ? { reference: true } : {}) })), { label: 'false alarms per day (lower is better) →', digits: 1, yLabel: 'detector' }), 'detector-false-alarms')}</div>
<h3>Threshold-free figures (from the detectors' scores, no threshold)</h3>
<p class="note">Per series, then the mean over series holding a labelled point (TSB-AD's convention); [95% bootstrap interval over ${seriesUnits(results.length)}].</p>
${thresholdFreeTable(detectors)}
<h3>By fault type</h3>
${detectorByType(detectors)}`
    : '<p class="note">No detector in this run.</p>';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(summary.title)}</title><style>${STYLE}</style></head><body>
<h1>${e(summary.title)}</h1>
<p>${summary.items.length} items, ${summary.faults} faults (${summary.impactingFaults} with visible impact): ${faultTypes || 'none'}.
MTBF ${formatFigure({ unit: 'ms', digits: 1 }, summary.mttr.mtbfMs)}.${summary.run ? ` faultline ${e(summary.run.faultline)}${summary.run.commit ? ` (${e(summary.run.commit.slice(0, 12))})` : ''}, ${e(summary.run.date)}.` : ''}</p>
<p class="gate ${gateClass}">${e(summary.gate.message)}</p>
<nav><a href="#says">What this run says</a><a href="#detectors">Detectors</a><a href="#rca">Root-cause analysis</a><a href="#mttr">MTTR</a><a href="#latency">Latency</a><a href="#incidents">Incidents</a><a href="#facts">Run facts</a></nav>
${empty}
<section id="says"><h2>What this run says</h2>
<div class="says"><p>${says.overall.map(e).join(' ') || 'Nothing to say: no method produced a defined figure.'}</p>
${says.byType.length ? `<details><summary>Best method per fault type (${says.byType.length} lines; paired tests on that type's units only, so with few of them most differences are within noise)</summary><ul>${says.byType.map((s) => `<li>${e(s)}</li>`).join('')}</ul></details>` : ''}</div></section>

<section id="detectors"><h2>Detectors</h2>
${detectorSection}</section>

<section id="rca"><h2>Root-cause analysis</h2>
<p class="note">RCAEval protocol: candidates de-duplicated by service before top-k; a failed or timed-out incident is a miss. [95% bootstrap interval over incidents]. Sorted by AC@1, then Avg@5, then MRR.</p>
${rcaSection}</section>

<section id="mttr"><h2>MTTR per detector and RCA pairing</h2>
<p class="note">detect + identify (RCA compute + ${mttrModel.operatorMinutesPerCandidate} min per candidate checked, top ${mttrModel.topK}, else +${mttrModel.notFoundMinutes} min) + repair per fault type; undetected faults count ${mttrModel.undetectedMinutes} min to detect. Sorted by MTTR.</p>
${summary.mttr.pairings.length ? `${mttrTable(summary)}
${chart('MTTR broken down by phase, with its 95% interval', mttrChart(sortBy(summary.mttr.pairings, [{ key: (p) => p.mttrMs, better: 'lower' }])), 'mttr')}
${mttrByTypeTable(summary)}` : '<p class="note">MTTR needs a detector and an RCA method.</p>'}</section>

<section id="latency"><h2>Latency</h2>
<p class="note">Root transactions by latency, those that started inside a fault window against the rest; each distribution is a share of its own transactions (overlaid, not stacked). The log-share view shows the timeout tail.</p>
<div class="grid">${chart('Transaction latency: normal vs under fault', latencyChart(latency, false), 'latency')}
${chart('Same, share on a log scale', latencyChart(latency, true), 'latency-log')}
${chart('Detection delay per detector', detectionDelayChart(delays, detectorNames), 'detection-delay')}</div></section>

<section id="incidents"><h2>Incidents</h2>
<p class="note">The rank of the true root cause per RCA method (among distinct services; green: first, amber: top 5). Each incident links to its section below: its truth, each method's top ${CANDIDATES_SHOWN} candidates with their explanation and evidence, and the KPI series it moved with every detector's alarms.</p>
${incidentTable(views, rca.map((a) => a.name))}
${quietItems(results)}
${views.map((v) => incidentSection(v, curveItems.has(v.item.key), detectorNames)).join('\n')}</section>

<section id="facts"><h2>Run facts</h2>
${factsSection(summary)}</section>
</body></html>
`;
}

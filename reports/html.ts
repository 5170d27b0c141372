/**
 * report.html: one self-contained page (inline CSS and SVG, no script, no network). Every string
 * that comes from a scenario, a result or the command line passes through escapeHtml.
 */
import {
  detectionDelayChart,
  detectorComparisonCharts,
  kpiCurveChart,
  latencyChart,
  mttrChart,
  rcaByTypeChart,
} from './charts.js';
import { escapeHtml as e } from './escape.js';
import { addLatency, emptyLatencyHistogram } from './latency.js';
import { impactingFaults } from '../scores/mttr.js';
import type { Summary } from './summary-schema.js';
import type { ItemResult } from '../scores/item-result.js';

/** Items whose KPI curves are drawn; the rest are in the tables only (keeps the page light). */
export const MAX_CURVE_ITEMS = 24;

const MINUTE = 60_000;
const num = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '–' : x.toFixed(digits));
const minutes = (ms: number | null | undefined) => (ms === null || ms === undefined ? '–' : (ms / MINUTE).toFixed(1));

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function chart(title: string, svg: string): string {
  return `<div class="chart"><h3>${e(title)}</h3>${svg}</div>`;
}

function detectorTable(summary: Summary): string {
  return table(
    ['detector', 'PA-F1', 'PA-P', 'PA-R', 'point F1', 'range P', 'range R', 'events hit', 'faults hit', 'MTTD min', 'FA/day', 'NAB std', 'NAB lowFP', 'NAB lowFN'],
    summary.detectors.map((d) => [
      e(d.name),
      num(d.pointAdjustedF1),
      num(d.precision),
      num(d.recall),
      num(d.pointF1),
      num(d.rangePrecision),
      num(d.rangeRecall),
      `${d.detectedEvents}/${d.events}`,
      `${d.detectedFaults}/${d.faults}`,
      minutes(d.meanTimeToDetectMs),
      num(d.falseAlarmsPerDay, 1),
      num(d.nabStandard, 1),
      num(d.nabLowFP, 1),
      num(d.nabLowFN, 1),
    ]),
  );
}

function rcaTable(summary: Summary): string {
  const ks = Object.keys(summary.rca[0]?.prAt ?? {});
  return table(
    ['algorithm', 'incidents', 'AC@1', 'AC@3', 'Avg@5', 'MRR', ...ks.map((k) => `PR@${e(k)}`), 'compute ms / incident'],
    summary.rca.map((a) => [
      e(a.name),
      String(a.incidents),
      num(a.ac1),
      num(a.ac3),
      num(a.avg5),
      num(a.mrr),
      ...ks.map((k) => num(a.prAt[k])),
      num(a.computeMs, 1),
    ]),
  );
}

function mttrTable(summary: Summary): string {
  return table(
    ['detector', 'RCA', 'faults', 'detect min', 'identify min', 'of which compute ms', 'repair min', 'MTTR min', 'availability'],
    summary.mttr.pairings.map((p) => [
      e(p.detector),
      e(p.rca),
      String(p.faults),
      minutes(p.detectMs),
      minutes(p.identifyMs),
      num(p.identifyComputeMs, 1),
      minutes(p.repairMs),
      `<b>${minutes(p.mttrMs)}</b>`,
      p.availability === null ? '–' : `${(p.availability * 100).toFixed(2)}%`,
    ]),
  );
}

/** Per fault type, the phases of the pairing with the lowest overall MTTR. */
function mttrByTypeTable(summary: Summary): string {
  const best = [...summary.mttr.pairings]
    .filter((p) => p.mttrMs !== null)
    .sort((a, b) => a.mttrMs! - b.mttrMs!)[0];
  if (!best) return '';
  const rows = Object.entries(best.byType).map(([type, p]) => [
    e(type),
    String(p.faults),
    minutes(p.detectMs),
    minutes(p.identifyMs),
    minutes(p.repairMs),
    `<b>${minutes(p.mttrMs)}</b>`,
  ]);
  return `<h3>By fault type, best pairing (${e(best.detector)} + ${e(best.rca)})</h3>${table(
    ['fault type', 'faults', 'detect min', 'identify min', 'repair min', 'MTTR min'],
    rows,
  )}`;
}

function incidentTable(results: ItemResult[]): string {
  const rows: string[][] = [];
  for (const item of results) {
    const incidentIds = [...new Set(item.rca.flatMap((a) => a.incidents.map((i) => i.id)))];
    for (const id of incidentIds) {
      const first = item.rca.flatMap((a) => a.incidents).find((i) => i.id === id)!;
      const fault = item.faults.find((f) => f.id === first.faultId);
      const truth = new Set(first.rootCause);
      const perAlgorithm = item.rca.map((a) => {
        const inc = a.incidents.find((i) => i.id === id);
        if (!inc) return `<b>${e(a.name)}</b>: –`;
        const top = inc.candidates
          .slice(0, 3)
          .map((c) => (truth.has(c.service) ? `<span class="hit">${e(c.service)}</span>` : e(c.service)))
          .join(', ');
        const cls = inc.rank === 1 ? 'ok' : 'miss';
        return `<b>${e(a.name)}</b> <span class="${cls}">rank ${inc.rank || '–'}</span>: ${top || '(none)'}`;
      });
      rows.push([
        e(item.key),
        e(id),
        e(first.type),
        e((fault?.tags ?? []).join(', ')),
        e(first.rootCause.join(', ') || '(unknown)'),
        perAlgorithm.join('<br>'),
      ]);
    }
  }
  return table(['item', 'incident', 'type', 'tags', 'true root cause', 'top 3 candidates per algorithm'], rows, 'incidents');
}

function curvesSection(results: ItemResult[]): string {
  const shown = results.filter((r) => r.kpiCurves.length > 0).slice(0, MAX_CURVE_ITEMS);
  const parts = shown.map((item) => {
    const faults = item.faults
      .map((f) => `${e(f.id)} <b>${e(f.type)}</b> on ${e(f.rootCause.join(', '))}${f.tags.length ? ` [${e(f.tags.join(', '))}]` : ''}`)
      .join('; ');
    const charts = item.kpiCurves.map((c, k) => `<div class="curve">${kpiCurveChart(c, item.faults, k === 0)}</div>`).join('');
    return `<div class="item"><h3>${e(item.key)}</h3><p class="faults">${faults || 'no fault'}</p>${charts}</div>`;
  });
  const more = results.length > shown.length ? `<p>${results.length - shown.length} more items are in the tables only.</p>` : '';
  return parts.join('') + more;
}

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1320px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}h3{font-size:14px;margin:8px 0 4px}
table{border-collapse:collapse;margin:8px 0;font-size:12px}th,td{border:1px solid #ddd;padding:3px 6px;text-align:right;vertical-align:top}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.incidents td,.incidents th{text-align:left}
.grid{display:flex;flex-wrap:wrap;gap:16px}.chart{flex:0 0 auto}.item{margin:10px 0 18px}.faults{margin:0;color:#555;font-size:12px}
.gate{padding:8px 12px;border-radius:4px;display:inline-block}.pass{background:#e6f4ea}.fail{background:#fce8e6}
.hit{font-weight:bold;color:#1a7f37}.ok{color:#1a7f37}.miss{color:#c5221f}.note{color:#555;font-size:12px}
svg{overflow:visible}figure{margin:0}`;

export function renderReport(summary: Summary, results: ItemResult[]): string {
  const latency = emptyLatencyHistogram();
  for (const r of results) addLatency(latency, r.latency);
  const detectorNames = summary.detectors.map((d) => d.name);
  const delays = results.flatMap((item) =>
    item.detectors.flatMap((d) =>
      impactingFaults(item).flatMap((f) => {
        const t = d.faults.find((x) => x.faultId === f.id)?.firstAlarm;
        return t === null || t === undefined ? [] : [{ detector: d.name, minutes: Math.max(0, t - f.start) / MINUTE }];
      }),
    ),
  );
  const gateClass = summary.gate.passed ? 'pass' : 'fail';
  const best = summary.bestRca ? `best RCA: <b>${e(summary.bestRca.name)}</b> AC@1 ${num(summary.bestRca.ac1)}` : 'no RCA result';
  const faultTypes = Object.entries(summary.faultTypes).map(([t, n]) => `${e(t)} ${n}`).join(', ');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(summary.title)}</title><style>${STYLE}</style></head><body>
<h1>${e(summary.title)}</h1>
<p>${summary.items.length} items, ${summary.faults} faults (${summary.impactingFaults} with visible impact): ${faultTypes || 'none'}.
${best}. MTBF ${minutes(summary.mttr.mtbfMs)} min.</p>
<p class="gate ${gateClass}">${e(summary.gate.message)}</p>

<h2>Detectors</h2>
<p class="note">Means over items of per-item scores with each detector's own threshold (point-adjusted with delay 7, as AIOps Challenge 2018); events and faults pooled. MTTD: fault start to the first alarm raised on a series the fault moved.</p>
${detectorTable(summary)}
<div class="grid">${detectorComparisonCharts(summary.detectors)
    .map((svg, k) => chart(['F1', 'time to detect', 'false alarms per day'][k]!, svg))
    .join('')}</div>

<h2>Root-cause analysis</h2>
${rcaTable(summary)}
<div class="grid">${chart('AC@1 by fault type', rcaByTypeChart(summary.rca, 'ac1'))}
${chart('AC@3 by fault type', rcaByTypeChart(summary.rca, 'ac3'))}</div>

<h2>MTTR per detector and RCA pairing</h2>
<p class="note">detect + identify (RCA compute + ${num(summary.mttr.model.operatorMinutesPerCandidate, 1)} min per candidate checked, top ${summary.mttr.model.topK}, else +${num(summary.mttr.model.notFoundMinutes, 0)} min) + repair per fault type; undetected faults count ${num(summary.mttr.model.undetectedMinutes, 0)} min to detect.</p>
${mttrTable(summary)}
${chart('MTTR broken down', mttrChart(summary.mttr.pairings))}
${mttrByTypeTable(summary)}

<h2>Latency</h2>
<div class="grid">${chart('Transaction latency: normal vs under fault', latencyChart(latency))}
${chart('Detection delay per detector', detectionDelayChart(delays, detectorNames))}</div>

<h2>KPI curves</h2>
<p class="note">Shaded: fault windows. Marks: alarms per detector.</p>
${curvesSection(results)}

<h2>Incidents</h2>
${incidentTable(results)}
</body></html>
`;
}

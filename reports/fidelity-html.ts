/**
 * fidelity.html: one self-contained page (no scripts, no external files) that says where a
 * simulation is a good stand-in for the real system and where it is not: the methods' figures on
 * both sides as a scatter per figure and fault type, the rank agreement with its interval, the
 * telemetry distances, how strong each fault type is on both sides and the severity that matches
 * the real strength. Every string from the runs goes through escapeHtml.
 */
import { formatDuration } from '../common/duration.js';
import { EFFECT_LABELS, type EffectMeasure } from '../data/fault-effect.js';
import { CALIBRATION_RESPONSE, MIXED, windowsDiffer, type Agreement, type Distance, type EffectComparison, type FidelityResult, type MeasureCalibration, type SeedAgreement, type SeverityCalibration, type WindowComparison } from '../scores/agreement.js';
import { MAX_SEVERITY } from '../sim/formats.js';
import { escapeHtml as e } from './escape.js';
import { FIT_STYLE, fitReportSection, type FitFigures } from './fit-html.js';

/** tau at or above this, with the interval above 0, is "a good stand-in" for the ranking. */
export const GOOD_TAU = 0.6;
/** KS distance at or below this is "close". */
export const CLOSE_KS = 0.2;
/** Fault effects within this factor of each other are "alike". */
export const ALIKE_EFFECT = 2;

const fmt = (x: number | null | undefined, d = 3) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '–');

function verdict(a: Agreement): string {
  if (!Number.isFinite(a.tau)) return 'not measurable (fewer than two methods differ)';
  if (a.tau >= GOOD_TAU && a.interval && a.interval.low > 0) return 'a good stand-in: the ranking carries over';
  if (a.tau >= GOOD_TAU) return 'agrees, but the interval reaches 0: too few incidents to be sure';
  if (a.tau > 0) return 'not a stand-in: the ranking carries over weakly';
  return 'not a stand-in: the ranking does not carry over';
}

/** A scatter of the methods' figure, simulated (x) against real (y), with the diagonal. */
function scatter(a: Agreement): string {
  const W = 260;
  const P = 30;
  const x = (v: number) => P + v * (W - 2 * P);
  const y = (v: number) => W - P - v * (W - 2 * P);
  const dots = a.methods
    .filter((m) => Number.isFinite(m.sim) && Number.isFinite(m.real))
    .map((m) => `<circle cx="${x(m.sim).toFixed(1)}" cy="${y(m.real).toFixed(1)}" r="4" fill="#3465a4"><title>${e(m.name)}: sim ${fmt(m.sim)}, real ${fmt(m.real)}</title></circle>`)
    .join('');
  return (
    `<svg width="${W}" height="${W}" viewBox="0 0 ${W} ${W}" role="img" aria-label="${e(a.figure)} ${e(a.type)}">` +
    `<rect x="${P}" y="${P}" width="${W - 2 * P}" height="${W - 2 * P}" fill="none" stroke="#999"/>` +
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#ccc" stroke-dasharray="4 3"/>${dots}` +
    `<text x="${W / 2}" y="${W - 6}" text-anchor="middle" font-size="11">simulated ${e(a.figure)}</text>` +
    `<text x="10" y="${W / 2}" font-size="11" transform="rotate(-90 10 ${W / 2})" text-anchor="middle">real ${e(a.figure)}</text></svg>`
  );
}

function agreementSection(title: string, list: Agreement[]): string {
  if (!list.length) return `<h2>${e(title)}</h2><p>Nothing to compare: the two runs share fewer than two methods with this figure.</p>`;
  const hasSignal = list.some((a) => a.signal);
  const signalCells = (a: Agreement) =>
    hasSignal
      ? a.signal
        ? `<td>${a.signal.sim.length} / ${a.signal.real.length}</td><td>${fmt(a.signal.tau, 2)}${a.signal.interval ? ` (${fmt(a.signal.interval.low, 2)} – ${fmt(a.signal.interval.high, 2)})` : ''}</td>`
        : '<td>–</td><td>–</td>'
      : '';
  const rows = list
    .map((a) => `<tr><td>${e(a.figure)}</td><td>${e(a.type)}</td><td>${a.methods.length}</td><td>${a.simIncidents}</td><td>${a.realIncidents}</td><td><b>${fmt(a.tau, 2)}</b></td><td>${a.interval ? `${fmt(a.interval.low, 2)} – ${fmt(a.interval.high, 2)}` : '–'}</td>${signalCells(a)}<td>${e(verdict(a))}</td></tr>`)
    .join('');
  const plots = list.map((a) => `<figure>${scatter(a)}<figcaption>${e(a.figure)}, ${e(a.type)}: tau ${fmt(a.tau, 2)}</figcaption></figure>`).join('');
  const methods = list[0]!.methods.map((m) => `<tr><td>${e(m.name)}</td>${list.map((a) => { const r = a.methods.find((x) => x.name === m.name); return `<td>${fmt(r?.sim)} / ${fmt(r?.real)}</td>`; }).join('')}</tr>`).join('');
  return (
    `<h2>${e(title)}</h2><table><tr><th>figure</th><th>fault type</th><th>methods</th><th>sim n</th><th>real n</th><th>Kendall tau</th><th>95% bootstrap</th>${hasSignal ? '<th>methods with signal, sim / real</th><th>tau over those (95%)</th>' : ''}<th>verdict</th></tr>${rows}</table>` +
    (hasSignal ? '<p>A method carries signal on a side when the lower end of its figure\'s 95% bootstrap interval is above what a random ranking of that side\'s services scores (AC@1 1/k, Avg@5 3/k); the order of the others is noise.</p>' : '') +
    `<div class="plots">${plots}</div><h3>Per method: simulated / real</h3><table><tr><th>method</th>${list.map((a) => `<th>${e(a.figure)} ${e(a.type)}</th>`).join('')}</tr>${methods}</table>`
  );
}

function telemetrySection(ds: Distance[]): string {
  if (!ds.length) return '<h2>Telemetry</h2><p>No telemetry profiles in the real run (it had no spans), so the telemetry is not compared.</p>';
  const rows = ds
    .map((d) => {
      const ks = d.what.includes('(KS)');
      const close = ks ? d.median <= CLOSE_KS : d.median <= Math.LN2;
      return `<tr><td>${e(d.what)}</td><td>${fmt(d.median)}</td><td>${fmt(d.min)} – ${fmt(d.max)}</td><td>${d.compared ?? ''}</td><td>${close ? 'close' : '<b>differs</b>'}</td></tr>`;
    })
    .join('');
  return `<h2>Telemetry</h2><p>Distances between the real data and each simulated item (median and range over items). KS distances at most ${CLOSE_KS} count as close; noise levels within a factor of 2.</p><table><tr><th>what</th><th>median</th><th>range</th><th>keys compared</th><th></th></tr>${rows}</table>`;
}

function strength(c: EffectComparison): 'alike' | 'weaker' | 'stronger' | 'not comparable' {
  if (c.factor === null) return 'not comparable';
  return c.factor < 1 / ALIKE_EFFECT ? 'weaker' : c.factor > ALIKE_EFFECT ? 'stronger' : 'alike';
}

const effectLabel = (measure: EffectMeasure) => EFFECT_LABELS[measure];

function effectSection(list: EffectComparison[]): string {
  const head = '<h2>Fault strength</h2>';
  if (!list.length) return `${head}<p>No fault type has a measured effect on both sides (it needs spans and at least 5 calls into the root cause in the incident window and in the reference).</p>`;
  const rows = list
    .map((c) => {
      const v = strength(c);
      return `<tr><td>${e(c.type)}</td><td>${e(effectLabel(c.measure))}</td><td>${fmt(c.sim.median, 2)}× (${c.sim.incidents})</td><td>${fmt(c.real.median, 2)}× (${c.real.incidents})</td><td>${fmt(c.factor, 2)}</td><td>${v === 'alike' ? v : `<b>${v}</b>`}</td></tr>`;
    })
    .join('');
  return (
    `${head}<p>How much each fault type changed its root cause's calls: the incident window's median over the fault-free reference's, then the median over each side's incidents (in brackets). ` +
    `Effects within a factor of ${ALIKE_EFFECT} count as alike. Where the simulated faults are much weaker or stronger than the real ones, the methods are judged on an easier or a harder problem than the real one: choose the sweep's severities to match.</p>` +
    `<table><tr><th>fault type</th><th>measure</th><th>simulated</th><th>real</th><th>sim / real</th><th></th></tr>${rows}</table>`
  );
}

const FIT_WORDS: Readonly<Record<MeasureCalibration['fit'], string>> = {
  inside: 'matched',
  below: 'below the swept severities',
  above: 'above the swept severities',
  flat: 'cannot tell (does not respond to severity, or not in order)',
};

function calibrationSection(list: SeverityCalibration[]): string {
  if (!list.length) return '';
  const typeCell = (c: SeverityCalibration) => (c.fit === 'inside' ? `<b>${fmt(c.severity, 2)}</b>` : c.fit === 'none' ? '–' : `${c.fit} ${fmt(c.bound, 2)}`);
  const rows = list
    .flatMap((c) =>
      c.measures.map(
        (m, k) =>
          `<tr>${k === 0 ? `<td rowspan="${c.measures.length}">${e(c.type)}</td><td rowspan="${c.measures.length}">${typeCell(c)}</td>` : ''}<td>${e(effectLabel(m.measure))}</td>` +
          `<td>${m.bySeverity.map((p) => `${fmt(p.severity, 2)}: ${fmt(p.median, 2)}× (${p.incidents})`).join('<br>')}</td><td>${fmt(m.real.median, 2)}× (${m.real.incidents})</td><td>${fmt(m.severity, 2)}</td><td>${e(FIT_WORDS[m.fit])}</td></tr>`,
      ),
    )
    .join('');
  return (
    `<h2>Severity matching the real strength</h2><p>For each fault type the sweep holds at two or more severities: where the simulated median effect (interpolated in log between neighbouring severities) meets the real one, per measure, and the median over the measures matched inside the swept range (a measure beyond it only bounds the severity; one whose medians span less than a factor ${CALIBRATION_RESPONSE} cannot tell). ` +
    `A rule on the telemetry, not on any method's score; the real incidents it reads are the ones scored, so a sweep at the matched severity is calibrated on them.</p>` +
    `<table><tr><th>fault type</th><th>severity</th><th>measure</th><th>simulated, per severity</th><th>real</th><th>matched at</th><th></th></tr>${rows}</table>`
  );
}

/** What to sweep next, from the calibration (fidelity.html has the table): null when no type tells. */
export function calibrationSentence(list: SeverityCalibration[]): string | null {
  const found = list.filter((c) => c.fit === 'inside');
  const beyond = list.filter((c) => c.fit === 'below' || c.fit === 'above');
  const parts = [
    found.length ? `The real incidents' strength is met at ${found.map((c) => `${c.type} ${fmt(c.severity, 2)}`).join(', ')}: sweep again with --severities ${found.map((c) => `${c.type}=${c.severity}`).join(',')}.` : '',
    ...beyond.map((c) =>
      // In severity's terms: an effect may rise or fall with it.
      c.fit === 'above'
        ? c.bound! >= MAX_SEVERITY
          ? `The strength of the real ${c.type} faults is met at no severity up to ${MAX_SEVERITY}, the highest.`
          : `The strength of the real ${c.type} faults is met above the highest severity swept, ${fmt(c.bound, 2)}: sweep above it.`
        : `The strength of the real ${c.type} faults is met below the lowest severity swept, ${fmt(c.bound, 2)}: sweep below it.`,
    ),
  ].filter(Boolean);
  return parts.length ? parts.join(' ') : null;
}

/** How far the overall AC@1 and Avg@5 agreement move with the sweep's seeds: null with fewer than two seeds. */
export function seedSentence(list: SeedAgreement[]): string | null {
  const parts = list.filter((a) => Number.isFinite(a.min)).map((a) => `${a.figure === 'ac1' ? 'AC@1' : 'Avg@5'} ${fmt(a.min, 2)} to ${fmt(a.max, 2)}`);
  if (!parts.length) return null;
  return `Each sweep seed's items alone against the real ones give Kendall tau ${parts.join(', ')} (${list[0]!.seeds.length} seeds): a difference smaller than that between two settings can be the seeds' noise, which the bootstrap intervals do not hold.`;
}

/** One line per fault type whose simulated faults are not as strong as the real ones. */
function strengthSummary(list: EffectComparison[]): string[] {
  const out: string[] = [];
  for (const kind of ['weaker', 'stronger'] as const) {
    const byType = new Map<string, EffectComparison[]>();
    for (const c of list) if (strength(c) === kind) byType.set(c.type, [...(byType.get(c.type) ?? []), c]);
    for (const [type, cs] of byType) {
      const what = cs.map((c) => `${effectLabel(c.measure)} ${fmt(c.sim.median, 2)}× against ${fmt(c.real.median, 2)}×`).join('; ');
      out.push(`The simulated ${type} faults are ${kind} than the real ones (${what}): on this type the simulation judges the methods on ${kind === 'weaker' ? 'a harder' : 'an easier'} problem than the real one.`);
    }
  }
  return out;
}

const minutes = (ms: number) => `${Number((ms / 60_000).toFixed(1))} min`;

/**
 * What the page says of the two sides' incident windows, null when a side has none: a warning
 * (`warns`) where they differ, a plain line otherwise.
 */
export function windowNote(w: WindowComparison): { text: string; warns: boolean } | null {
  if (w.factor === null || w.sim.medianMs === null || w.real.medianMs === null) return null;
  if (!windowsDiffer(w)) return { text: `Both sides judge their incidents over windows of about ${minutes(w.real.medianMs)} (median).`, warns: false };
  return {
    text:
      `The simulated incidents are judged over ${minutes(w.sim.medianMs)} windows, the real ones over ${minutes(w.real.medianMs)} (medians): ` +
      `a method sees more of the fault and more of the noise in a longer window, so the two sides rank the methods on different problems. ` +
      `Sweep the simulated faults with --fault-duration ${formatDuration(w.real.medianMs)}, or --window-from the real run.`,
    warns: true,
  };
}

/** A ranking's Kendall tau with its interval where there is one, then `after` and the verdict. */
const tauLine = (lead: string, a: Agreement, after = '') =>
  `${lead}: Kendall tau ${fmt(a.tau, 2)}${a.interval ? ` (95% ${fmt(a.interval.low, 2)} to ${fmt(a.interval.high, 2)})` : ''}${after}: ${verdict(a)}.`;

/** The page; with the twin's fit report, its figures too. */
export function renderFidelity(r: FidelityResult, fit?: FitFigures): string {
  const headline = r.rca.find((a) => a.figure === 'ac1' && a.type === 'all');
  const mixed = r.rca.find((a) => a.figure === 'ac1' && a.type === MIXED);
  const avg5 = r.rca.find((a) => a.figure === 'avg5' && a.type === 'all');
  const windows = windowNote(r.windows);
  const perType = r.rca.filter((a) => a.type !== 'all' && a.type !== MIXED && a.figure === 'ac1');
  const good = perType.filter((a) => a.tau >= GOOD_TAU).map((a) => a.type);
  const bad = perType.filter((a) => !(a.tau >= GOOD_TAU)).map((a) => a.type);
  const differs = r.telemetry.filter((d) => (d.what.includes('(KS)') ? d.median > CLOSE_KS : d.median > Math.LN2)).map((d) => d.what);
  const summary = [
    windows?.warns ? windows.text : '',
    headline ? tauLine('RCA AC@1 ranking, all shared fault types', headline, ` over ${headline.methods.length} methods`) : 'No RCA method ran on both sides.',
    mixed ? tauLine("With the simulated incidents weighted to the real fault types' mix", mixed) : '',
    seedSentence(r.bySeed) ?? '',
    // Ranks 2 to 5 decide what an operator reads next: a ranking that agrees at rank 1 only is said so.
    avg5 ? tauLine('RCA Avg@5 ranking, all shared fault types', avg5) : '',
    good.length ? `A good stand-in for: ${good.join(', ')}.` : '',
    bad.length ? `Not a stand-in for: ${bad.join(', ')}.` : '',
    differs.length ? `The telemetry differs in: ${differs.join('; ')}.` : r.telemetry.length ? 'The telemetry is close on every distance measured.' : '',
    ...strengthSummary(r.effects),
    calibrationSentence(r.calibration) ?? '',
  ].filter(Boolean);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>faultline fidelity</title><style>
body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
.plots{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}figcaption{font-size:12px;text-align:center}.lead{background:#f4f6f8;padding:.8em 1em;border-left:4px solid #3465a4}${FIT_STYLE}
</style></head><body><h1>Is the simulation a stand-in for the real system?</h1>
<p>Simulated: <code>${e(r.sim)}</code><br>Real: <code>${e(r.real)}</code><br>Real fault types read as: ${Object.entries(r.typeMap).map(([a, b]) => `${e(a)} → ${e(b)}`).join(', ')}${windows && !windows.warns ? `<br>${e(windows.text)}` : ''}</p>
<div class="lead">${summary.map((s) => `<p>${e(s)}</p>`).join('')}</div>
${agreementSection('RCA methods: AC@1 and Avg@5', r.rca)}${agreementSection('Detectors: PA-F1 and AUC-PR', r.detectors)}${telemetrySection(r.telemetry)}${effectSection(r.effects)}${calibrationSection(r.calibration)}${fit ? fitReportSection(fit) : ''}
<p>Kendall tau-b; intervals: percentile bootstrap, simulated and real incidents resampled independently (1000 resamples, seeded).</p></body></html>\n`;
}

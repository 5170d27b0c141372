/**
 * "What this run says": a few generated sentences naming the best method overall and per fault
 * type, and saying which differences are within noise. Two methods of one run are compared on the
 * units both were scored on (reports/resample.ts): McNemar's exact test for hit-or-miss figures
 * (AC@1, detection rate), a paired bootstrap for the others (PA-F1); "within noise" means p >= 0.05.
 * Plain text: the report and summary.md escape it for their formats.
 */
import { DETECTION_FIGURES, figureOf, formatFigure, RCA_FIGURES, type Figure } from '../scores/figures.js';
import type { ItemResult } from '../scores/item-result.js';
import type { PairedTest } from '../scores/uncertainty.js';
import { figureSample, ofType, pairedTest, type Sample, type Subject } from './resample.js';
import type { DetectorSummary, IntervalJson, RcaSummary, Summary } from './summary-schema.js';

export interface Findings {
  /** Sentences about the run as a whole. */
  overall: string[];
  /** One line per fault type: the best method and how separable it is. */
  byType: string[];
}

const AC1 = figureOf(RCA_FIGURES, 'ac1');
const AVG5 = figureOf(RCA_FIGURES, 'avg5');
const PA_F1 = figureOf(DETECTION_FIGURES, 'pointAdjustedF1');
const DETECTION_RATE = figureOf(DETECTION_FIGURES, 'faultDetectionRate');

const fmt = (f: Figure, x: number | null | undefined) => formatFigure(f, x);
const interval = (f: Figure, i: IntervalJson | undefined) => (i && i.low !== null && i.high !== null ? ` (95% CI ${fmt(f, i.low)}–${fmt(f, i.high)})` : '');
const p = (t: PairedTest) => (t.pValue < 0.001 ? 'p < 0.001' : `p = ${t.pValue.toFixed(3)}`);
const list = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
/** A method's name as the sentences give it: a reference floor says so wherever it is named. */
const namer = (methods: { name: string; reference?: boolean }[]) => {
  const floors = new Set(methods.filter((m) => m.reference).map((m) => m.name));
  return (name: string) => (floors.has(name) ? `${name} (floor)` : name);
};

/** Sort key of a method: its figures, best first, compared in order; undefined sorts last. */
function byFigures<T>(values: (x: T) => (number | null | undefined)[]): (a: T, b: T) => number {
  return (a, b) => {
    const va = values(a);
    const vb = values(b);
    for (let k = 0; k < va.length; k++) {
      const x = va[k] ?? -Infinity;
      const y = vb[k] ?? -Infinity;
      if (x !== y) return y - x;
    }
    return 0;
  };
}

/** The others split by a paired test against the best: within noise, or significantly below it. */
function separate(
  figure: Figure,
  best: string,
  others: string[],
  sample: (name: string) => Sample | null,
  purpose: string,
): { noise: string[]; below: { name: string; test: PairedTest }[]; test: string | null } {
  const noise: string[] = [];
  const below: { name: string; test: PairedTest }[] = [];
  let test: string | null = null;
  const sb = sample(best);
  for (const name of others) {
    const so = sample(name);
    const t = sb && so ? pairedTest(figure, so, sb, `${purpose}:${name}:${best}`) : null;
    if (!t) {
      noise.push(name);
      continue;
    }
    test = t.test;
    if (t.significant && t.difference > 0 === (figure.better === 'higher')) below.push({ name, test: t });
    else noise.push(name);
  }
  return { noise, below, test };
}

/** Per reference floor: the methods a paired test does not put significantly above it. */
function floorFindings(figure: Figure, methods: { name: string; reference?: boolean }[], sample: (name: string) => Sample | null, out: Findings): void {
  const value = (m: { name: string }) => (m as unknown as Record<string, number | null>)[figure.key];
  for (const floor of methods.filter((m) => m.reference && value(m) !== null)) {
    const fs = sample(floor.name);
    const others = methods.filter((m) => !m.reference && value(m) !== null).map((m) => m.name);
    const notAbove = others.filter((m) => {
      const ms = sample(m);
      const t = fs && ms ? pairedTest(figure, fs, ms, `findings:floor:${floor.name}:${m}`) : null;
      return !(t && t.significant && t.difference > 0 === (figure.better === 'higher'));
    });
    const verdict = notAbove.length ? ` Not significantly above it: ${list(notAbove)}.` : others.length ? ' Every other method is significantly above it.' : '';
    out.overall.push(`Reference floor ${floor.name}: ${figure.label} ${fmt(figure, value(floor))}.${verdict}`);
  }
}

function rcaFindings(summary: Summary, items: ItemResult[], out: Findings): void {
  const ranked = summary.rca.filter((a) => a.ac1 !== null).sort(byFigures((a: RcaSummary) => [a.ac1, a.avg5, a.mrr]));
  if (ranked.length === 0) return;
  const best = ranked[0]!;
  const named = namer(summary.rca);
  const samples = new Map(summary.rca.map((a) => [a.name, figureSample(AC1, items, { section: 'rca', name: a.name })]));
  out.overall.push(`Best RCA method by AC@1: ${named(best.name)}, ${fmt(AC1, best.ac1)}${interval(AC1, best.intervals?.ac1)} over ${best.incidents} incidents.`);
  const others = ranked.slice(1).map((a) => a.name);
  if (others.length) {
    const s = separate(AC1, best.name, others, (n) => samples.get(n) ?? null, 'findings:ac1');
    const value = (n: string) => `${named(n)} ${fmt(AC1, summary.rca.find((a) => a.name === n)!.ac1)}`;
    if (s.noise.length) out.overall.push(`Within noise of it (McNemar exact test on the same incidents, p ≥ 0.05): ${list(s.noise.map(value))}.`);
    if (s.below.length) out.overall.push(`Significantly below it: ${list(s.below.map((b) => `${value(b.name)} (${p(b.test)})`))}.`);
  }
  floorFindings(AC1, summary.rca, (n) => samples.get(n) ?? null, out);
  const types = [...new Set(summary.rca.flatMap((a) => Object.keys(a.byType)))].sort();
  for (const type of types) {
    const rows = summary.rca
      .map((a) => ({ name: a.name, t: a.byType[type] }))
      .filter((x) => x.t && x.t.ac1 !== null)
      .sort(byFigures((x: { t: RcaSummary['byType'][string] | undefined }) => [x.t!.ac1, x.t!.avg5, x.t!.mrr]));
    if (!rows.length) continue;
    const top = rows[0]!;
    const n = top.t!.incidents;
    const incidents = `${n} incident${n === 1 ? '' : 's'}`;
    if (top.t!.ac1 === 0) {
      const inTop5 = top.t!.avg5 !== null && top.t!.avg5 > 0;
      out.byType.push(`${type} (${incidents}): no method ranks the cause first${inTop5 ? `; best Avg@5 ${named(top.name)} ${fmt(AVG5, top.t!.avg5)}` : ', nor anywhere in its top 5'}.`);
      continue;
    }
    const tied = rows.filter((r) => r.t!.ac1 === top.t!.ac1 && r.t!.avg5 === top.t!.avg5 && r.t!.mrr === top.t!.mrr).map((r) => r.name);
    const head = tied.length > 1 ? `${list(tied.map(named))} tied at AC@1 ${fmt(AC1, top.t!.ac1)}` : `${named(top.name)}, AC@1 ${fmt(AC1, top.t!.ac1)}`;
    const it = tied.length > 1 ? 'them' : 'it';
    const rest = rows.filter((r) => !tied.includes(r.name)).map((r) => r.name);
    const s = separate(AC1, top.name, rest, (name) => {
      const all = samples.get(name);
      return all ? ofType(all, type) : null;
    }, `findings:ac1:${type}`);
    const tail =
      rest.length === 0
        ? ''
        : s.below.length === 0
          ? `; no other method is separable from ${it} on ${incidents}`
          : `; significantly above ${list(s.below.map((b) => named(b.name)))}${s.noise.length ? `, within noise of ${s.noise.length} other${s.noise.length === 1 ? '' : 's'}` : ''}`;
    out.byType.push(`${type} (${incidents}): ${head}${tail}.`);
  }
}

function detectorFindings(summary: Summary, items: ItemResult[], out: Findings): void {
  const subject = (name: string): Subject => ({ section: 'detector', name });
  const named = namer(summary.detectors);
  const ranked = summary.detectors.filter((d) => d.pointAdjustedF1 !== null).sort(byFigures((d: DetectorSummary) => [d.pointAdjustedF1, d.faultDetectionRate]));
  if (ranked.length) {
    const best = ranked[0]!;
    out.overall.push(`Best detector by point-adjusted F1: ${named(best.name)}, ${fmt(PA_F1, best.pointAdjustedF1)}${interval(PA_F1, best.intervals?.pointAdjustedF1)}.`);
    const others = ranked.slice(1).map((d) => d.name);
    if (others.length) {
      const s = separate(PA_F1, best.name, others, (n) => figureSample(PA_F1, items, subject(n)), 'findings:pa-f1');
      const value = (n: string) => `${named(n)} ${fmt(PA_F1, summary.detectors.find((d) => d.name === n)!.pointAdjustedF1)}`;
      const units = figureSample(PA_F1, items, subject(best.name))?.units ?? 'series';
      if (s.noise.length) out.overall.push(`Within noise of it (paired bootstrap over the same ${units}, p ≥ 0.05): ${list(s.noise.map(value))}.`);
      if (s.below.length) out.overall.push(`Significantly below it: ${list(s.below.map((b) => `${value(b.name)} (${p(b.test)})`))}.`);
    }
  }
  floorFindings(PA_F1, summary.detectors, (n) => figureSample(PA_F1, items, subject(n)), out);
  const types = [...new Set(summary.detectors.flatMap((d) => Object.keys(d.byType)))].sort();
  const samples = new Map(summary.detectors.map((d) => [d.name, figureSample(DETECTION_RATE, items, subject(d.name))]));
  for (const type of types) {
    const rows = summary.detectors
      .map((d) => ({ name: d.name, t: d.byType[type] }))
      .filter((x) => x.t && x.t.detectionRate !== null)
      .sort(byFigures((x: { t: DetectorSummary['byType'][string] | undefined }) => [x.t!.detectionRate, x.t!.meanTimeToDetectMs === null ? null : -x.t!.meanTimeToDetectMs]));
    if (!rows.length) continue;
    const top = rows[0]!;
    const n = top.t!.faults;
    const faults = `${n} fault${n === 1 ? '' : 's'}`;
    if (top.t!.detected === 0) {
      out.byType.push(`${type} (${faults}): no detector alarmed on a series these faults moved.`);
      continue;
    }
    const delay = top.t!.meanTimeToDetectMs === null ? '' : `, first alarm after ${formatFigure(figureOf(DETECTION_FIGURES, 'meanTimeToDetectMs'), top.t!.meanTimeToDetectMs)} on average`;
    const tied = rows.filter((r) => r.t!.detectionRate === top.t!.detectionRate && r.t!.meanTimeToDetectMs === top.t!.meanTimeToDetectMs).map((r) => r.name);
    const head = tied.length > 1 ? `${list(tied.map(named))} tied at ${top.t!.detected}/${n}${delay}` : `detected best by ${named(top.name)}, ${top.t!.detected}/${n}${delay}`;
    const rest = rows.filter((r) => !tied.includes(r.name)).map((r) => r.name);
    const s = separate(DETECTION_RATE, top.name, rest, (name) => {
      const all = samples.get(name);
      return all ? ofType(all, type) : null;
    }, `findings:detection:${type}`);
    const it = tied.length > 1 ? 'them' : 'it';
    const tail = rest.length === 0 ? '' : s.below.length === 0 ? `; no other detector is separable from ${it} on ${faults}` : `; significantly above ${list(s.below.map((b) => named(b.name)))}`;
    out.byType.push(`${type} (${faults}): ${head}${tail}.`);
  }
}

export function findings(summary: Summary, items: ItemResult[]): Findings {
  const out: Findings = { overall: [], byType: [] };
  const scored = summary.rca.some((a) => a.incidents > 0);
  if (summary.impactingFaults === 0 && !scored) {
    out.overall.push('No fault in this run moved a KPI and no incident has a known root cause: there is nothing to detect or explain, and every detection and RCA figure is undefined.');
    return out;
  }
  if (summary.impactingFaults === 0 && summary.detectors.length) out.overall.push('No fault in this run moved a KPI: detection rates and delays are undefined.');
  const rcaTypes: string[] = [];
  const detTypes: string[] = [];
  rcaFindings(summary, items, { overall: out.overall, byType: rcaTypes });
  detectorFindings(summary, items, { overall: out.overall, byType: detTypes });
  out.byType = [...rcaTypes.map((t) => `RCA, ${t}`), ...detTypes.map((t) => `Detection, ${t}`)];
  return out;
}

/**
 * junit.xml for CI systems, agreeing with the gate (scores/gate.ts):
 * - a testsuite "gate" with one test per gate condition (the best RCA method's AC@1 against the
 *   bar, or each named method against its own), failed exactly when that condition failed; with no
 *   gate, one skipped test says so;
 * - per gated method, a testsuite with one test per incident. A top-1 miss is a failure only when
 *   that method's condition failed; otherwise the test passes and the miss is written to its
 *   system-out. So a passing gate shows no failure, and a failing one shows why.
 */
import { escapeHtml as x } from './escape.js';
import type { ItemResult } from '../scores/item-result.js';
import { judgeGate, type AcGate } from '../scores/gate.js';
import type { Summary } from './summary-schema.js';

interface Case {
  classname: string;
  name: string;
  seconds: number;
  failure?: { message: string; type: string; body: string };
  skipped?: string;
  out?: string;
}

function renderCase(c: Case): string {
  const open = `<testcase classname="${x(c.classname)}" name="${x(c.name)}" time="${c.seconds.toFixed(3)}"`;
  const inner = [
    c.failure ? `      <failure message="${x(c.failure.message)}" type="${x(c.failure.type)}">${x(c.failure.body)}</failure>` : '',
    c.skipped !== undefined ? `      <skipped message="${x(c.skipped)}"/>` : '',
    c.out ? `      <system-out>${x(c.out)}</system-out>` : '',
  ].filter(Boolean);
  return inner.length ? `    ${open}>\n${inner.join('\n')}\n    </testcase>` : `    ${open}/>`;
}

function renderSuite(name: string, cases: Case[]): string {
  const failures = cases.filter((c) => c.failure).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const time = cases.reduce((a, c) => a + c.seconds, 0);
  return `  <testsuite name="${x(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time.toFixed(3)}">\n${cases.map(renderCase).join('\n')}\n  </testsuite>`;
}

const fmt = (v: number | null) => (v === null ? 'undefined' : v.toFixed(3));

export function renderJunit(results: ItemResult[], summary: Summary, gate: AcGate | undefined): string {
  const judged = judgeGate(gate, new Map(summary.rca.map((a) => [a.name, a.ac1])));
  const suites: { name: string; cases: Case[] }[] = [];
  if (gate === undefined) {
    suites.push({ name: 'gate', cases: [{ classname: 'gate', name: 'AC@1 gate', seconds: 0, skipped: 'no --min-ac1 gate set' }] });
  } else if (judged.checked.length === 0) {
    suites.push({ name: 'gate', cases: [{ classname: 'gate', name: 'AC@1 gate', seconds: 0, failure: { message: judged.message, type: 'gate', body: judged.message } }] });
  } else {
    suites.push({
      name: 'gate',
      cases: judged.checked.map((c) => {
        const what = 'best' in gate ? `AC@1 of the best RCA method (${c.method})` : `AC@1 of ${c.method}`;
        const name = `${what} >= ${c.bar.toFixed(3)}`;
        return c.passed
          ? { classname: 'gate', name, seconds: 0, out: `AC@1 ${fmt(c.ac1)}` }
          : { classname: 'gate', name, seconds: 0, failure: { message: `AC@1 ${fmt(c.ac1)} < required ${c.bar.toFixed(3)}`, type: 'gate', body: judged.message } };
      }),
    });
  }
  for (const c of judged.checked) {
    const cases: Case[] = [];
    for (const item of results) {
      const method = item.rca.find((a) => a.name === c.method);
      for (const inc of method?.incidents ?? []) {
        const seconds = inc.computeMs / 1000;
        const base = { classname: `${c.method}.${item.key}`, name: `${inc.id} ${inc.type}`, seconds };
        if (inc.rank === 1 && inc.failure === undefined && method!.error === undefined) {
          cases.push(base);
          continue;
        }
        const failure = inc.failure ?? method!.error;
        const top = inc.candidates[0]?.service ?? '(no candidate)';
        const message =
          failure !== undefined
            ? `the method failed on this incident: ${failure}`
            : `top-1 ${top} is not the root cause ${inc.rootCause.join(', ') || '(unknown)'}; true cause at rank ${inc.rank || 'absent'}`;
        const ranked = inc.candidates.slice(0, 5).map((cand, k) => `${k + 1}. ${cand.service} (${cand.score}): ${cand.explanation}`).join('\n');
        cases.push(c.passed ? { ...base, out: `${message}\n${ranked}` } : { ...base, failure: { message, type: 'rca-miss', body: ranked } });
      }
    }
    suites.push({ name: `rca.${c.method}`, cases });
  }
  const tests = suites.reduce((a, s) => a + s.cases.length, 0);
  const failures = suites.reduce((a, s) => a + s.cases.filter((k) => k.failure).length, 0);
  const skipped = suites.reduce((a, s) => a + s.cases.filter((k) => k.skipped !== undefined).length, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="faultline" tests="${tests}" failures="${failures}" skipped="${skipped}">\n${suites.map((s) => renderSuite(s.name, s.cases)).join('\n')}\n</testsuites>\n`;
}

/**
 * junit.xml for CI systems: one <testsuite> per RCA algorithm, one <testcase> per incident, failed
 * when the algorithm's top-1 candidate is not a true root cause.
 */
import { escapeHtml as x } from './escape.js';
import type { ItemResult } from '../scores/item-result.js';

export function renderJunit(results: ItemResult[]): string {
  const algorithms = [...new Set(results.flatMap((r) => r.rca.map((a) => a.name)))];
  let tests = 0;
  let failures = 0;
  const suites = algorithms.map((name) => {
    let suiteTests = 0;
    let suiteFailures = 0;
    let suiteTime = 0;
    const cases: string[] = [];
    for (const item of results) {
      for (const inc of item.rca.find((a) => a.name === name)?.incidents ?? []) {
        suiteTests++;
        suiteTime += inc.computeMs / 1000;
        const open = `<testcase classname="${x(`${name}.${item.key}`)}" name="${x(`${inc.id} ${inc.type}`)}" time="${(inc.computeMs / 1000).toFixed(3)}"`;
        if (inc.rank === 1) {
          cases.push(`    ${open}/>`);
          continue;
        }
        suiteFailures++;
        const top = inc.candidates[0]?.service ?? '(no candidate)';
        const message = `top-1 ${top} is not the root cause ${inc.rootCause.join(', ') || '(unknown)'}; true cause at rank ${inc.rank || 'absent'}`;
        const ranked = inc.candidates.slice(0, 5).map((c, k) => `${k + 1}. ${c.service} (${c.score}): ${c.explanation}`);
        cases.push(`    ${open}>\n      <failure message="${x(message)}" type="rca-miss">${x(ranked.join('\n'))}</failure>\n    </testcase>`);
      }
    }
    tests += suiteTests;
    failures += suiteFailures;
    return `  <testsuite name="${x(`rca.${name}`)}" tests="${suiteTests}" failures="${suiteFailures}" errors="0" skipped="0" time="${suiteTime.toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="faultline" tests="${tests}" failures="${failures}">\n${suites.join('\n')}\n</testsuites>\n`;
}

/**
 * `--min-ac1`, the one RCA gate of every command: `0.8` asks the best RCA method's AC@1 to reach
 * 0.8; `deepest-abnormal=0.8,edge-latency=0.7` asks each named method to reach its own bar. The
 * figure gated is the point estimate over all incidents of the run (failed incidents are misses).
 */
import { UsageError } from '../common/errors.js';

export type AcGate = { best: number } | { methods: Record<string, number> };

function bar(text: string, flag: string): number {
  const x = Number(text);
  if (text.trim() === '' || !(x >= 0 && x <= 1)) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not an AC@1 between 0 and 1`);
  return x;
}

export function parseAcGate(text: string | number | undefined, flag = '--min-ac1'): AcGate | undefined {
  if (text === undefined) return undefined;
  if (typeof text === 'number') return { best: bar(String(text), flag) };
  if (!text.includes('=')) return { best: bar(text, flag) };
  const methods: Record<string, number> = {};
  for (const part of text.split(',')) {
    const eq = part.lastIndexOf('=');
    if (eq <= 0) throw new UsageError(`${flag}: "${part}" is not method=bar`);
    methods[part.slice(0, eq).trim()] = bar(part.slice(eq + 1), flag);
  }
  return { methods };
}

export interface GateResult {
  passed: boolean;
  message: string;
  /** The methods the gate judged, with their AC@1 and bar. */
  checked: { method: string; ac1: number | null; bar: number; passed: boolean }[];
}

const fmt = (x: number) => x.toFixed(3);

/** Judges the RCA methods' AC@1 (by name) against the gate. */
export function judgeGate(gate: AcGate | undefined, ac1: ReadonlyMap<string, number | null>): GateResult {
  if (gate === undefined) return { passed: true, message: 'no AC@1 gate set', checked: [] };
  if ('best' in gate) {
    let best: { method: string; ac1: number } | undefined;
    for (const [method, x] of ac1) if (x !== null && (best === undefined || x > best.ac1)) best = { method, ac1: x };
    if (!best) return { passed: false, message: `AC@1 gate ${gate.best} failed: no RCA method produced an AC@1`, checked: [] };
    const passed = best.ac1 >= gate.best;
    return {
      passed,
      message: passed
        ? `AC@1 gate passed: best RCA method ${best.method} has AC@1 ${fmt(best.ac1)} >= ${fmt(gate.best)}`
        : `AC@1 gate failed: best RCA method ${best.method} has AC@1 ${fmt(best.ac1)} < required ${fmt(gate.best)}`,
      checked: [{ method: best.method, ac1: best.ac1, bar: gate.best, passed }],
    };
  }
  const checked = Object.entries(gate.methods).map(([method, bar]) => {
    if (!ac1.has(method)) throw new UsageError(`--min-ac1: ${method} is not one of the run's RCA methods (${[...ac1.keys()].join(', ') || 'none'})`);
    const x = ac1.get(method)!;
    return { method, ac1: x, bar, passed: x !== null && x >= bar };
  });
  const failed = checked.filter((c) => !c.passed);
  const describe = (c: (typeof checked)[number]) => `${c.method} has AC@1 ${c.ac1 === null ? 'undefined' : fmt(c.ac1)} ${c.passed ? '>=' : '<'} ${fmt(c.bar)}`;
  return {
    passed: failed.length === 0,
    message: failed.length === 0 ? `AC@1 gate passed: ${checked.map(describe).join('; ')}` : `AC@1 gate failed: ${failed.map(describe).join('; ')}`,
    checked,
  };
}

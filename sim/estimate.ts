import type { CallNode, Model } from './model.js';
import { SERVICE_KIND } from './model.js';
import { FaultlineError } from '../common/errors.js';

/**
 * How big a scenario's data set will be, from the model alone, before anything runs: so that a
 * fan-out of 64 four levels deep, a duration of 100,000 days or an enormous rate is refused at once
 * instead of filling the disk or never ending.
 */
export interface SizeEstimate {
  /** Expected transactions and message-log rows at the traffic profile's mean level. */
  transactions: number;
  messages: number;
  /** Cells of the minute-level tables held in memory while the run goes: minutes x KPI series, and minutes x instances. */
  kpiCells: number;
  metricCells: number;
}

/** Expected message rows past which `generate` needs `allowLarge` (~22 GB of messages.arrow). */
export const MAX_MESSAGES = 250_000_000;
/** Minute-level cells (minutes x series) past which `generate` needs `allowLarge` (~640 MB of KPI counts in memory). */
export const MAX_MINUTE_CELLS = 20_000_000;

/** A scenario whose data set would be past a documented limit (MAX_MESSAGES, MAX_MINUTE_CELLS). */
export class ScenarioSizeError extends FaultlineError {
  override name = 'ScenarioSizeError';
}

export function estimateSize(m: Model): SizeEstimate {
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const level = mean(m.traffic.daily) * mean(m.traffic.weekly);
  const seconds = m.durationMs / 1000;
  let transactions = 0;
  let messages = 0;
  for (const t of m.txTypes) {
    const n = t.rate * m.scale * level * seconds;
    transactions += n;
    messages += n * expectedMessages(t.root, 1);
  }
  const minutes = m.durationMs / 60_000;
  const series = m.services.filter((_, s) => m.serviceKind[s] !== SERVICE_KIND.client).length + m.txTypes.length;
  const bankInstances = m.instances.filter((_, i) => m.serviceKind[m.instanceService[i]!] === SERVICE_KIND.service).length;
  return { transactions, messages, kpiCells: minutes * series, metricCells: minutes * bankInstances };
}

/** Expected log rows of one call node and its subtree: 8 per request/reply call, 4 per one-way message. */
function expectedMessages(node: CallNode, mult: number): number {
  const m = mult * node.probability * node.fanout;
  let n = m * (node.async ? 4 : 8);
  for (const c of node.children) n += expectedMessages(c, m);
  return n;
}

/** Refuse a data set past the limits unless allowed; the message says what to change. */
export function checkSize(e: SizeEstimate, allowLarge: boolean): void {
  if (allowLarge) return;
  const fmt = (x: number) => (x >= 1e15 ? x.toExponential(2) : Math.round(x).toLocaleString('en'));
  if (!(e.messages <= MAX_MESSAGES)) {
    throw new ScenarioSizeError(
      `the scenario would generate about ${fmt(e.messages)} messages (${fmt(e.transactions)} transactions), more than the limit of ${fmt(MAX_MESSAGES)}: ` +
        'shorten the duration, lower the rates or the traffic scale, or pass --allow-large',
    );
  }
  const cells = Math.max(e.kpiCells, e.metricCells);
  if (!(cells <= MAX_MINUTE_CELLS)) {
    throw new ScenarioSizeError(
      `the scenario's minute-level tables would hold about ${fmt(cells)} cells (minutes x series), more than the limit of ${fmt(MAX_MINUTE_CELLS)}: ` +
        'shorten the duration or pass --allow-large',
    );
  }
}

/** Most calls one transaction can make, each call of the tree at its full fan-out and every retry taken. */
export function worstCaseCalls(node: { fanout?: number; retries?: number; children?: readonly unknown[] }, mult = 1): number {
  const m = mult * (node.fanout ?? 1) * ((node.retries ?? 0) + 1);
  let n = m;
  for (const c of (node.children ?? []) as (typeof node)[]) {
    n += worstCaseCalls(c, m);
    if (n > 1e12) return n; // far past any limit: stop before the tree's size becomes the cost
  }
  return n;
}

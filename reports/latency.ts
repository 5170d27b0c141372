/**
 * Transaction latency histograms: root calls (parent -1) of a SpanTable binned on fixed log-spaced
 * edges shared by every item, split into transactions that started inside a fault window and the
 * rest, so that histograms of many items merge by adding counts.
 */
import type { SpanTable } from '../data/types.js';
import { mergeWindows } from '../data/span-assembly.js';
import type { LatencyHistogram } from '../scores/item-result.js';
import { upperBound } from '../common/sorted.js';

/** 4 bins per decade from 1 ms to 100 s; bin 0 also takes < 1 ms, the last bin takes >= 100 s. */
export const LATENCY_EDGES_MS: number[] = Array.from({ length: 21 }, (_, k) => Math.round(10 ** (k / 4) * 1000) / 1000);

export function emptyLatencyHistogram(): LatencyHistogram {
  const bins = LATENCY_EDGES_MS.length - 1;
  return { normal: new Array<number>(bins).fill(0), fault: new Array<number>(bins).fill(0) };
}

function binOf(ms: number): number {
  const last = LATENCY_EDGES_MS.length - 2;
  if (!(ms > LATENCY_EDGES_MS[0]!)) return 0;
  const k = Math.floor(Math.log10(ms) * 4);
  return Math.min(last, Math.max(0, k));
}

/** `windows` are [start, end) fault windows in unix ms. */
export function transactionLatency(spans: SpanTable, windows: [number, number][]): LatencyHistogram {
  const h = emptyLatencyHistogram();
  // Merged and sorted once: each root's window is then a binary search, not a scan of every fault.
  const merged = mergeWindows(windows);
  const from = Float64Array.from(merged, (w) => w[0]);
  const to = Float64Array.from(merged, (w) => w[1]);
  for (let i = 0; i < spans.length; i++) {
    if (spans.parent[i] !== -1) continue;
    const start = spans.start[i]!;
    const latency = spans.end[i]! - start;
    if (!Number.isFinite(latency)) continue;
    const lo = upperBound(from, start);
    const inFault = lo > 0 && start < to[lo - 1]!;
    (inFault ? h.fault : h.normal)[binOf(latency)]!++;
  }
  return h;
}

export function addLatency(into: LatencyHistogram, from: LatencyHistogram): void {
  for (let b = 0; b < into.normal.length; b++) {
    into.normal[b]! += from.normal[b] ?? 0;
    into.fault[b]! += from.fault[b] ?? 0;
  }
}

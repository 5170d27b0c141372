/**
 * The sweep of a run: every (scenario, seed) item, sorted by key, and static sharding over it.
 * Each item's generator seed depends only on its own seed and key, so how the sweep is split over
 * workers, shards or machines never changes a result.
 */
import { stream } from '../sim/rng.js';

export interface SweepItem {
  key: string; // `${scenario}@${seed}`
  scenario: string;
  seed: number;
  generatorSeed: number;
}

export interface Shard {
  index: number; // 1-based
  count: number;
}

/** A 32-bit seed from (base seed, purpose): the first draw of the (base, purpose) stream. */
export function deriveSeed(base: number, purpose: string): number {
  return stream(base, purpose).int32() >>> 0;
}

/**
 * Expand scenario patterns against the known scenario names: a name is taken as is, `folder/*`
 * takes every scenario directly under that folder. Unknown names are an error.
 */
export function expandScenarios(patterns: string[], known: string[]): string[] {
  const out = new Set<string>();
  for (const pattern of patterns) {
    if (pattern.endsWith('/*')) {
      const prefix = pattern.slice(0, -1);
      const matches = known.filter((n) => n.startsWith(prefix) && !n.slice(prefix.length).includes('/'));
      if (matches.length === 0) throw new Error(`scenario pattern "${pattern}" matches no scenario`);
      for (const m of matches) out.add(m);
    } else if (known.includes(pattern)) out.add(pattern);
    else throw new Error(`unknown scenario "${pattern}" (known: ${known.join(', ') || 'none'})`);
  }
  return [...out];
}

export function buildSweep(scenarios: string[], seeds: number[]): SweepItem[] {
  const items: SweepItem[] = [];
  for (const scenario of new Set(scenarios)) {
    for (const seed of new Set(seeds)) {
      const key = `${scenario}@${seed}`;
      items.push({ key, scenario, seed, generatorSeed: deriveSeed(seed, key) });
    }
  }
  return items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Parse `i/n` (1 <= i <= n). */
export function parseShard(spec: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new Error(`--shard must be i/n with 1 <= i <= n (e.g. 2/4), got "${spec}"`);
  }
  return { index, count };
}

/** Shard i of n takes items i-1, i-1+n, i-1+2n, ... of the sorted sweep. */
export function selectShard<T>(items: T[], shard: Shard): T[] {
  return items.filter((_, k) => k % shard.count === shard.index - 1);
}

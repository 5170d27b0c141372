/**
 * The score order every threshold sweep walks: point indices from the highest score down, NaN
 * ranked as -Infinity (it alarms only at the lowest threshold), -0 as 0, ties in index order.
 * Sorted once per series (or corpus) and shared by every threshold-free figure.
 *
 * An LSD radix sort on the IEEE-754 bits of the scores (six passes of 11 bits; a pass is skipped
 * when every key has the same digit): linear, stable, and several times faster than a typed-array
 * sort on millions of points. Short inputs use an insertion sort with the same order.
 */

export interface ScoreOrder {
  /** Indices into the scores, highest score first, ties in index order. */
  order: Uint32Array;
  /** The scores in that order (NaN as -Infinity, -0 as 0). */
  sorted: Float64Array;
}

const RADIX_BITS = 11;
const BUCKETS = 1 << RADIX_BITS;
const INSERTION_MAX = 64;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The score as ranked: NaN is -Infinity and -0 is 0. */
export function rankedScore(x: number): number {
  return Number.isNaN(x) ? -Infinity : x === 0 ? 0 : x;
}

export function descendingOrder(scores: ArrayLike<number>): ScoreOrder {
  const n = scores.length;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = rankedScore(scores[i]);
  return n <= INSERTION_MAX ? insertionOrder(values) : radixOrder(values);
}

function insertionOrder(values: Float64Array): ScoreOrder {
  const n = values.length;
  const order = new Uint32Array(n);
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    let j = i;
    for (; j > 0 && sorted[j - 1] < v; j--) {
      sorted[j] = sorted[j - 1];
      order[j] = order[j - 1];
    }
    sorted[j] = v;
    order[j] = i;
  }
  return { order, sorted };
}

function radixOrder(values: Float64Array): ScoreOrder {
  const n = values.length;
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  const loAt = LITTLE_ENDIAN ? 0 : 1;
  // Keys that sort ascending as unsigned integers in descending score order: the bits of a
  // negative score as they are, of a positive one with every bit inverted but the sign.
  const hiKey = new Uint32Array(n);
  let key = new Uint32Array(n);
  let idx = new Uint32Array(n);
  const counts = new Uint32Array(6 * BUCKETS);
  for (let i = 0; i < n; i++) {
    let h = words[2 * i + 1 - loAt];
    let l = words[2 * i + loAt];
    if (!(h & 0x80000000)) {
      h = ~h & 0x7fffffff;
      l = ~l >>> 0;
    }
    hiKey[i] = h;
    key[i] = l;
    idx[i] = i;
    counts[l & 0x7ff]++;
    counts[BUCKETS + ((l >>> 11) & 0x7ff)]++;
    counts[2 * BUCKETS + (l >>> 22)]++;
    counts[3 * BUCKETS + (h & 0x7ff)]++;
    counts[4 * BUCKETS + ((h >>> 11) & 0x7ff)]++;
    counts[5 * BUCKETS + (h >>> 22)]++;
  }
  // Three passes on the low word carry (low word, index); the high word is then gathered once
  // and three passes on it carry (high word, index): two arrays moved per pass, not three.
  let key2 = new Uint32Array(n);
  let idx2 = new Uint32Array(n);
  const start = new Uint32Array(BUCKETS);
  for (let pass = 0; pass < 6; pass++) {
    if (pass === 3) for (let i = 0; i < n; i++) key[i] = hiKey[idx[i]];
    const base = pass * BUCKETS;
    const shift = (pass % 3) * RADIX_BITS;
    let sum = 0;
    let single = false;
    for (let b = 0; b < BUCKETS; b++) {
      const c = counts[base + b];
      if (c === n) single = true;
      start[b] = sum;
      sum += c;
    }
    if (single) continue;
    for (let i = 0; i < n; i++) {
      const k = key[i];
      const at = start[(k >>> shift) & 0x7ff]++;
      key2[at] = k;
      idx2[at] = idx[i];
    }
    [key, key2] = [key2, key];
    [idx, idx2] = [idx2, idx];
  }
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) sorted[i] = values[idx[i]];
  return { order: idx, sorted };
}

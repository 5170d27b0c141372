/**
 * Stable order of a column of doubles (times) or of unsigned 32-bit keys (hashes) in linear time:
 * an LSD radix sort on the keys' bit patterns, 16 or 11 bits per pass, passes where every key has
 * the same digit skipped. For millions of points this is several times faster than a comparison sort
 * and never degrades on repeats.
 */

/** Row indexes of `values` in ascending order, ties in row order; NaN sorts last. */
export function stableOrder(values: Float64Array): Int32Array {
  const n = values.length;
  let order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (n < 2) return order;
  // Keys as two unsigned 32-bit halves whose unsigned order is the doubles' order.
  const bits = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let l = bits[2 * i];
    let h = bits[2 * i + 1];
    if (Number.isNaN(values[i])) {
      l = 0xffffffff;
      h = 0xffffffff;
    } else if (h & 0x80000000) {
      l = ~l >>> 0;
      h = ~h >>> 0;
    } else h = (h | 0x80000000) >>> 0;
    lo[i] = l;
    hi[i] = h;
  }
  return radixSorted(order, [lo, hi], 16);
}

/** Row indexes of unsigned 32-bit `keys` in ascending order, ties in row order. */
export function stableOrderU32(keys: Uint32Array): Int32Array {
  const n = keys.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Three passes of 11 bits: 2048 counters and as many places written to stay in the cache.
  return n < 2 ? order : radixSorted(order, [keys], 11);
}

/** `order` sorted by the 32-bit words `words` (least significant first), `bits` bits per pass. */
function radixSorted(order: Int32Array, words: Uint32Array[], bits: number): Int32Array {
  const n = order.length;
  let next: Int32Array = new Int32Array(n);
  const digits = 1 << bits;
  const mask = digits - 1;
  const perWord = Math.ceil(32 / bits);
  const counts = new Uint32Array(digits);
  for (let pass = 0; pass < perWord * words.length; pass++) {
    const key = words[Math.floor(pass / perWord)];
    const shift = (pass % perWord) * bits;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(key[i] >>> shift) & mask]++;
    if (counts[(key[0] >>> shift) & mask] === n) continue;
    let sum = 0;
    for (let d = 0; d < digits; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let j = 0; j < n; j++) {
      const i = order[j];
      next[counts[(key[i] >>> shift) & mask]++] = i;
    }
    const t = order;
    order = next;
    next = t;
  }
  return order;
}

/** True when `values` never decreases. */
export function isNonDecreasing(values: Float64Array): boolean {
  for (let i = 1; i < values.length; i++) if (!(values[i] >= values[i - 1])) return false;
  return true;
}

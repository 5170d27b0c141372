/** Binary searches of an ascending column (times, sorted values), shared by the readers, detectors and RCA. */

/** First index k < n with a[k] >= t (n when none); n defaults to the whole array. */
export function lowerBound(a: ArrayLike<number>, t: number, n = a.length): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index k with a[k] > t (a.length when none). */
export function upperBound(a: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

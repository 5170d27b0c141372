import type { CallScratch, TreeStats } from './calls.js';

let state = new Uint8Array(64);
let path = new Int32Array(64);

/**
 * Links each call to the call that caused it (upstream/downstream): the parent is a call in the
 * same transaction whose callee is this call's caller, and whose interval contains this call's
 * start within the skew tolerance (an async parent only needs to start first, within tolerance).
 * Among several, the same caller instance wins, then the latest start (the tightest container).
 * When clock skew exceeds the tolerance, the nearest such call is taken and counted. Only the
 * start must be contained: a child may outlive its parent (the parent timed out). Any cycle that
 * skew could create is cut.
 */
export function linkParents(s: CallScratch, skewToleranceMs: number, stats: TreeStats): void {
  const n = s.n;
  for (let c = 0; c < n; c++) {
    const caller = s.callerService[c];
    const callerInst = s.callerInstance[c];
    const t = s.start[c];
    let best = -1;
    let bestSameInst = false;
    let bestContained = false;
    let bestKey = -Infinity;
    for (let p = 0; p < n; p++) {
      if (p === c || s.calleeService[p] !== caller) continue;
      const sameInst = s.calleeInstance[p] === callerInst;
      const contained =
        s.start[p] - skewToleranceMs <= t && (s.isAsync[p] === 1 || t <= s.end[p] + skewToleranceMs);
      // Contained candidates rank by latest start; the others by closeness to the interval.
      const key = contained
        ? s.start[p]
        : -(t < s.start[p] ? s.start[p] - t : t - s.end[p]);
      const better =
        best < 0 ||
        (contained && !bestContained) ||
        (contained === bestContained &&
          ((sameInst && !bestSameInst) || (sameInst === bestSameInst && key > bestKey)));
      if (better) {
        best = p;
        bestSameInst = sameInst;
        bestContained = contained;
        bestKey = key;
      }
    }
    s.parent[c] = best;
    if (best < 0) stats.unlinked++;
    else if (!bestContained) stats.skewLinked++;
  }
  breakCycles(s);
}

function breakCycles(s: CallScratch): void {
  const n = s.n;
  if (state.length < n) {
    state = new Uint8Array(n * 2);
    path = new Int32Array(n * 2);
  }
  state.fill(0, 0, n); // 0 unseen, 1 on the current walk, 2 settled
  for (let c = 0; c < n; c++) {
    let len = 0;
    let cur = c;
    while (cur >= 0 && state[cur] === 0) {
      state[cur] = 1;
      path[len++] = cur;
      const p = s.parent[cur];
      if (p >= 0 && state[p] === 1) {
        s.parent[cur] = -1; // the walk came back to itself: skew made a loop
        break;
      }
      cur = p;
    }
    for (let i = 0; i < len; i++) state[path[i]] = 2;
  }
}

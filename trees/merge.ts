import { SPAN_STATUS } from '../data/types.js';
import type { CallScratch, TreeStats } from './calls.js';

let kids = new Int32Array(64);

/**
 * Walks the linked tree top-down and folds sibling calls of the same callee operation (same
 * callee service, topic and transaction type) into one node. Vertical merge: an attempt that
 * follows a failed attempt is a retry and adds to `attempts`. Horizontal merge: any other repeat
 * adds to `repeats`. The kept node spans all folded calls, carries the worst status (and that
 * call's instance), and adopts their children, which are then merged in turn. Leaves the kept
 * nodes in `s.order`, parents before children (`s.kept` of them); `s.alias` maps every call to
 * the node it was folded into.
 */
export function mergeSiblings(s: CallScratch, vertical: boolean, horizontal: boolean, stats: TreeStats): void {
  const n = s.n;
  if (kids.length < n) kids = new Int32Array(n * 2);
  s.firstChild.fill(-1, 0, n);
  let roots = -1;
  for (let c = n - 1; c >= 0; c--) {
    const p = s.parent[c];
    if (p >= 0) {
      s.nextSibling[c] = s.firstChild[p];
      s.firstChild[p] = c;
    } else {
      s.nextSibling[c] = roots;
      roots = c;
    }
    s.memberNext[c] = -1;
    s.memberTail[c] = c;
  }
  let len = 0;
  for (let c = roots; c >= 0; c = s.nextSibling[c]) kids[len++] = c;
  let tail = fold(s, len, 0, vertical, horizontal, stats);
  for (let head = 0; head < tail; head++) {
    const node = s.order[head];
    len = 0;
    for (let m = node; m >= 0; m = s.memberNext[m]) {
      for (let c = s.firstChild[m]; c >= 0; c = s.nextSibling[c]) kids[len++] = c;
    }
    tail = fold(s, len, tail, vertical, horizontal, stats);
  }
  s.kept = tail;
}

/** Sorts kids[0..len) by operation then start, folds groups, appends kept nodes to s.order. */
function fold(
  s: CallScratch,
  len: number,
  tail: number,
  vertical: boolean,
  horizontal: boolean,
  stats: TreeStats,
): number {
  // Insertion sort: sibling lists are short.
  for (let i = 1; i < len; i++) {
    const x = kids[i];
    let j = i - 1;
    while (j >= 0 && compare(s, kids[j], x) > 0) {
      kids[j + 1] = kids[j];
      j--;
    }
    kids[j + 1] = x;
  }
  const first = tail;
  let rep = -1;
  let prevFailed = false;
  for (let i = 0; i < len; i++) {
    const c = kids[i];
    const same = rep >= 0 && sameOperation(s, rep, c);
    const retry = same && vertical && prevFailed;
    const repeat = same && !retry && horizontal;
    prevFailed = s.status[c] === SPAN_STATUS.system;
    if (!retry && !repeat) {
      rep = c;
      s.order[tail++] = c;
      continue;
    }
    if (retry) {
      s.attempts[rep]++;
      stats.mergedRetries++;
    } else {
      s.repeats[rep]++;
      stats.mergedRepeats++;
    }
    s.alias[c] = rep;
    if (s.start[c] < s.start[rep]) s.start[rep] = s.start[c];
    if (s.end[c] > s.end[rep]) s.end[rep] = s.end[c];
    // The callee's view of the folded calls spans theirs too (NaN, unknown, never wins).
    if (s.delivered[c] < s.delivered[rep] || s.delivered[rep] !== s.delivered[rep]) s.delivered[rep] = s.delivered[c];
    if (s.replied[c] > s.replied[rep] || s.replied[rep] !== s.replied[rep]) s.replied[rep] = s.replied[c];
    if (s.status[c] !== SPAN_STATUS.unknown && (s.status[rep] === SPAN_STATUS.unknown || s.status[c] > s.status[rep])) {
      s.status[rep] = s.status[c];
      s.calleeInstance[rep] = s.calleeInstance[c];
      s.callerSide[rep] = s.callerSide[c];
    }
    s.memberNext[s.memberTail[rep]] = c;
    s.memberTail[rep] = s.memberTail[c];
  }
  // Kept siblings in start order, so trees read in time order.
  for (let i = first + 1; i < tail; i++) {
    const x = s.order[i];
    let j = i - 1;
    while (j >= first && (s.start[s.order[j]] > s.start[x] || (s.start[s.order[j]] === s.start[x] && s.order[j] > x))) {
      s.order[j + 1] = s.order[j];
      j--;
    }
    s.order[j + 1] = x;
  }
  return tail;
}

function sameOperation(s: CallScratch, a: number, b: number): boolean {
  return s.calleeService[a] === s.calleeService[b] && s.topic[a] === s.topic[b] && s.txType[a] === s.txType[b];
}

function compare(s: CallScratch, a: number, b: number): number {
  return (
    s.calleeService[a] - s.calleeService[b] ||
    s.topic[a] - s.topic[b] ||
    s.txType[a] - s.txType[b] ||
    s.start[a] - s.start[b]
  );
}

/**
 * Scratch space for the calls of one transaction (bizSeqNo) while its tree is built: the rule
 * engine's request/reply pairing lands here, then linking and merging work on these columns.
 * Reused across transactions so that building a tree allocates nothing per call.
 */
import { grown, type GrowableArray } from '../common/typed-array.js';
import { SPAN_STATUS } from '../data/types.js';

export const SIDE_REQUEST = 0;
export const SIDE_REPLY = 1;

export class CallScratch {
  n = 0;
  private cap = 0;
  uid: string[] = [];
  legs = new Uint8Array(0); // bitmask of log points seen (duplicates are dropped)
  isAsync = new Uint8Array(0);
  hasRequest = new Uint8Array(0);
  hasReply = new Uint8Array(0);
  firstSend = new Float64Array(0); // sendTime of the rules' first request leg, NaN if missing
  minSend = new Float64Array(0); // earliest sendTime over request legs
  delivered = new Float64Array(0); // recvTime of the rules' delivered leg, NaN if missing: the callee receives the request
  replied = new Float64Array(0); // sendTime of the rules' first reply leg, NaN if missing: the callee sends its reply
  lastRecv = new Float64Array(0); // recvTime of the rules' last reply leg, NaN if missing
  maxRecv = new Float64Array(0); // latest recvTime over reply legs
  ttl = new Int32Array(0);
  callerService = new Int32Array(0);
  callerInstance = new Int32Array(0);
  calleeService = new Int32Array(0);
  calleeInstance = new Int32Array(0);
  topic = new Int32Array(0);
  txType = new Int32Array(0);
  /** The call's named operation (an interned string) where its messages carry one, else -1. */
  operation = new Int32Array(0);
  ret = new Uint8Array(0); // SPAN_STATUS of the reply (its RetClass), unknown until a reply leg is seen
  callerSide = new Uint8Array(0); // the reply's return code is a caller-side one (rules)
  // Filled by resolveCalls, linkParents and mergeSiblings.
  start = new Float64Array(0);
  end = new Float64Array(0);
  status = new Uint8Array(0);
  timedOut = new Uint8Array(0);
  parent = new Int32Array(0);
  alias = new Int32Array(0); // the node a call was merged into (itself when kept)
  attempts = new Uint16Array(0);
  repeats = new Uint16Array(0);
  // Tree walking scratch for mergeSiblings: child lists, merged-member lists, emit order.
  firstChild = new Int32Array(0);
  nextSibling = new Int32Array(0);
  memberNext = new Int32Array(0);
  memberTail = new Int32Array(0);
  order = new Int32Array(0);
  kept = 0;

  reset(): void {
    this.n = 0;
  }

  /** A fresh call slot for a new pairing key. */
  add(uid: string): number {
    if (this.n === this.cap) this.grow();
    const c = this.n++;
    this.uid[c] = uid;
    this.legs[c] = 0;
    this.isAsync[c] = 0;
    this.hasRequest[c] = 0;
    this.hasReply[c] = 0;
    this.firstSend[c] = NaN;
    this.minSend[c] = Infinity;
    this.delivered[c] = NaN;
    this.replied[c] = NaN;
    this.lastRecv[c] = NaN;
    this.maxRecv[c] = -Infinity;
    this.ttl[c] = 0;
    this.callerService[c] = -1;
    this.callerInstance[c] = -1;
    this.calleeService[c] = -1;
    this.calleeInstance[c] = -1;
    this.topic[c] = -1;
    this.txType[c] = -1;
    this.operation[c] = -1;
    this.ret[c] = SPAN_STATUS.unknown;
    this.callerSide[c] = 0;
    return c;
  }

  private grow(): void {
    this.cap = Math.max(64, this.cap * 2);
    const cap = this.cap;
    const g = <T extends GrowableArray>(a: T): T => grown(a, cap);
    this.legs = g(this.legs);
    this.isAsync = g(this.isAsync);
    this.hasRequest = g(this.hasRequest);
    this.hasReply = g(this.hasReply);
    this.firstSend = g(this.firstSend);
    this.minSend = g(this.minSend);
    this.delivered = g(this.delivered);
    this.replied = g(this.replied);
    this.lastRecv = g(this.lastRecv);
    this.maxRecv = g(this.maxRecv);
    this.ttl = g(this.ttl);
    this.callerService = g(this.callerService);
    this.callerInstance = g(this.callerInstance);
    this.calleeService = g(this.calleeService);
    this.calleeInstance = g(this.calleeInstance);
    this.topic = g(this.topic);
    this.txType = g(this.txType);
    this.operation = g(this.operation);
    this.ret = g(this.ret);
    this.callerSide = g(this.callerSide);
    this.start = g(this.start);
    this.end = g(this.end);
    this.status = g(this.status);
    this.timedOut = g(this.timedOut);
    this.parent = g(this.parent);
    this.alias = g(this.alias);
    this.attempts = g(this.attempts);
    this.repeats = g(this.repeats);
    this.firstChild = g(this.firstChild);
    this.nextSibling = g(this.nextSibling);
    this.memberNext = g(this.memberNext);
    this.memberTail = g(this.memberTail);
    this.order = g(this.order);
  }

  /** Moves call `from` into slot `to` (used to compact away orphans). */
  move(from: number, to: number): void {
    this.uid[to] = this.uid[from];
    this.legs[to] = this.legs[from];
    this.isAsync[to] = this.isAsync[from];
    this.hasRequest[to] = this.hasRequest[from];
    this.hasReply[to] = this.hasReply[from];
    this.firstSend[to] = this.firstSend[from];
    this.minSend[to] = this.minSend[from];
    this.delivered[to] = this.delivered[from];
    this.replied[to] = this.replied[from];
    this.lastRecv[to] = this.lastRecv[from];
    this.maxRecv[to] = this.maxRecv[from];
    this.ttl[to] = this.ttl[from];
    this.callerService[to] = this.callerService[from];
    this.callerInstance[to] = this.callerInstance[from];
    this.calleeService[to] = this.calleeService[from];
    this.calleeInstance[to] = this.calleeInstance[from];
    this.topic[to] = this.topic[from];
    this.txType[to] = this.txType[from];
    this.operation[to] = this.operation[from];
    this.ret[to] = this.ret[from];
    this.callerSide[to] = this.callerSide[from];
  }
}

/** Counters of the mess met while building trees; reported by `faultline rca`. */
export interface TreeStats {
  messages: number;
  transactions: number;
  calls: number;
  duplicateLegs: number;
  orphanReplies: number; // reply legs whose request was never logged: dropped
  repairedPairs: number; // calls whose reply carried another call's pairing key: paired by endpoints
  timeouts: number; // no reply, or a reply later than the caller's ttl
  missingLegs: number; // calls with at least one expected leg absent
  skewLinked: number; // parents found only beyond the skew tolerance
  unlinked: number; // calls whose caller is not a callee in the transaction (extra roots)
  mergedRetries: number;
  mergedRepeats: number;
}

export function emptyTreeStats(): TreeStats {
  return {
    messages: 0,
    transactions: 0,
    calls: 0,
    duplicateLegs: 0,
    orphanReplies: 0,
    repairedPairs: 0,
    timeouts: 0,
    missingLegs: 0,
    skewLinked: 0,
    unlinked: 0,
    mergedRetries: 0,
    mergedRepeats: 0,
  };
}

/**
 * Turns paired legs into calls: start = the caller's send (first request leg, else the earliest
 * request leg seen), end = the caller's receipt of the reply (last reply leg, else the latest seen).
 * No reply, or a reply at or after the caller's ttl (e.g. the mesh's own timeout notice), is a
 * timeout: a system failure ending at start + ttl (the callee may keep running: its own children
 * can outlive this call). Async calls expect no reply and end on delivery. Reply-only calls are
 * orphans and are dropped.
 */
export function resolveCalls(s: CallScratch, requestMask: number, replyMask: number, stats: TreeStats): void {
  let w = 0;
  for (let c = 0; c < s.n; c++) {
    if (!s.hasRequest[c]) {
      stats.orphanReplies++;
      continue;
    }
    if (w !== c) s.move(c, w);
    const start = Number.isNaN(s.firstSend[w]) ? s.minSend[w] : s.firstSend[w];
    const ttl = s.ttl[w];
    let end: number;
    let status: number;
    let timedOut = 0;
    if (s.isAsync[w]) {
      end = Number.isNaN(s.delivered[w]) ? start : Math.max(start, s.delivered[w]);
      status = SPAN_STATUS.ok;
    } else if (s.hasReply[w]) {
      end = Number.isNaN(s.lastRecv[w]) ? s.maxRecv[w] : s.lastRecv[w];
      status = s.ret[w] === SPAN_STATUS.unknown ? SPAN_STATUS.ok : s.ret[w];
      if (ttl > 0 && end >= start + ttl) {
        end = start + ttl;
        status = SPAN_STATUS.system;
        timedOut = 1;
      }
    } else {
      end = start + ttl;
      status = SPAN_STATUS.system;
      timedOut = 1;
    }
    if (timedOut) stats.timeouts++;
    const expected = s.isAsync[w] ? requestMask : requestMask | replyMask;
    if ((s.legs[w] & expected) !== expected && !timedOut) stats.missingLegs++;
    s.start[w] = start;
    s.end[w] = end < start ? start : end;
    s.status[w] = status;
    s.timedOut[w] = timedOut;
    s.parent[w] = -1;
    s.alias[w] = w;
    s.attempts[w] = 1;
    s.repeats[w] = 1;
    w++;
  }
  s.n = w;
  stats.calls += w;
}

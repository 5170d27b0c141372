import { LOG_POINTS, RET_CLASSES, type DictColumn, type MessageBatch } from '../sim/formats.js';
import { SpanTableBuilder } from '../data/span-table.js';
import {
  CallScratch,
  emptyTreeStats,
  resolveCalls,
  SIDE_REPLY,
  SIDE_REQUEST,
  type TreeStats,
} from './calls.js';
import { linkParents } from './link.js';
import { mergeSiblings } from './merge.js';
import type { TreeRules } from './rules.js';
import { SPAN_STATUS, type SpanTable } from '../data/types.js';
import { grown, type GrowableArray } from '../common/typed-array.js';

const NO_LEG = -1;

/**
 * Streams WEMQ message batches into transaction trees (docs/domain.md section 4): messages are grouped
 * by bizSeqNo; a transaction is built and forgotten once the stream time (latest send time seen)
 * passes its first message plus the window, so only open transactions are held. Messages are kept
 * in a pooled column store (typed arrays, free slots reused), never as per-row objects.
 */
export class TransactionTreeBuilder {
  readonly stats: TreeStats = emptyTreeStats();
  private readonly out = new SpanTableBuilder(1 << 14);
  private readonly scratch = new CallScratch();
  private readonly pairing = new Map<string, number>();
  private readonly legSide = new Int8Array(LOG_POINTS.length).fill(-1);
  private readonly firstRequestLeg: number;
  private readonly deliveredLeg: number;
  private readonly firstReplyLeg: number;
  private readonly lastReplyLeg: number;
  private readonly requestMask: number;
  private readonly replyMask: number;
  private readonly topicService = new Map<number, number>(); // topic id -> service id, -1 none
  private readonly opIds = new Map<number, number>(); // topic id * 2^20 + txType id -> operation id
  private readonly patterns: RegExp[];
  private readonly callerSideCodes: Set<string>;
  private streamTime = -Infinity;
  private lastUid = ''; // pairing-key cache: a call's legs tend to be adjacent
  private lastCall: number | undefined;

  // Message pool: one slot per buffered message; `next` chains a transaction's messages and the free list.
  private cap = 0;
  private free = -1;
  private used = 0;
  private mNext = new Int32Array(0);
  private mUid: string[] = [];
  private mLeg = new Int8Array(0);
  private mAsync = new Uint8Array(0);
  private mSend = new Float64Array(0);
  private mRecv = new Float64Array(0);
  private mTtl = new Int32Array(0);
  private mSenderService = new Int32Array(0);
  private mSenderInstance = new Int32Array(0);
  private mReceiverService = new Int32Array(0);
  private mReceiverInstance = new Int32Array(0);
  private mTopic = new Int32Array(0);
  private mTxType = new Int32Array(0);
  private mOperation = new Int32Array(0); // named operation (interned), -1 none
  private mRet = new Uint8Array(0);
  private mCallerSide = new Uint8Array(0);

  // Open transactions.
  private readonly open = new Map<string, number>();
  private txKey: string[] = [];
  private txHead = new Int32Array(0);
  private txTail = new Int32Array(0);
  private txFirst = new Float64Array(0);
  private txCap = 0;
  private txFree: number[] = [];
  private txCount = 0;
  private txGen = new Int32Array(0); // bumped when a slot is reused, so stale queue entries are skipped
  private txOpen = new Uint8Array(0);
  private queue: number[] = []; // transaction slots in creation order
  private queueGen: number[] = [];
  private queueHead = 0;

  constructor(private readonly rules: TreeRules) {
    const idx = (p: string) => LOG_POINTS.indexOf(p as (typeof LOG_POINTS)[number]);
    let rq = 0;
    let rp = 0;
    for (const p of rules.request.legs) {
      this.legSide[idx(p)] = SIDE_REQUEST;
      rq |= 1 << idx(p);
    }
    for (const p of rules.reply.legs) {
      this.legSide[idx(p)] = SIDE_REPLY;
      rp |= 1 << idx(p);
    }
    this.requestMask = rq;
    this.replyMask = rp;
    this.firstRequestLeg = idx(rules.request.first);
    this.deliveredLeg = idx(rules.request.delivered);
    this.firstReplyLeg = idx(rules.reply.first);
    this.lastReplyLeg = idx(rules.reply.last);
    this.patterns = rules.services.patterns.map((p) => new RegExp(p.match));
    this.callerSideCodes = new Set(rules.callerSideCodes);
  }

  /** Adds one batch; closes the transactions whose window the stream has passed. */
  push(b: MessageBatch): void {
    const out = this.out;
    const remap = (d: DictColumn): Int32Array => {
      const r = new Int32Array(d.values.length);
      for (let i = 0; i < r.length; i++) r[i] = out.intern(d.values[i]);
      return r;
    };
    const enumMap = (d: DictColumn, names: readonly string[], missing: number): Int8Array => {
      const r = new Int8Array(d.values.length);
      for (let i = 0; i < r.length; i++) {
        const k = names.indexOf(d.values[i]);
        r[i] = k < 0 ? missing : k;
      }
      return r;
    };
    const legOf = enumMap(b.logPoint, LOG_POINTS, NO_LEG);
    const asyncOf = new Uint8Array(b.msgType.values.map((v) => (v === 'async' ? 1 : 0)));
    const retOf = enumMap(b.retClass, RET_CLASSES, -1);
    const callerSideOf = new Uint8Array(b.retCode.values.map((v) => (this.callerSideCodes.has(v) ? 1 : 0)));
    const codeC = b.retCode.codes;
    const sSvc = remap(b.senderService);
    const sInst = remap(b.senderInstance);
    const rSvc = remap(b.receiverService);
    const rInst = remap(b.receiverInstance);
    const topic = remap(b.topic);
    const txType = remap(b.txType);
    // The optional operation column: '' (no named operation) maps to -1.
    const operation = b.operation ? Int32Array.from(b.operation.values, (v) => (v ? out.intern(v) : -1)) : undefined;
    const operationC = b.operation?.codes;
    const { bizSeqNo, uniqueId, sendTime, recvTime, ttl } = b;
    const legC = b.logPoint.codes;
    const typeC = b.msgType.codes;
    const retC = b.retClass.codes;
    const sSvcC = b.senderService.codes;
    const sInstC = b.senderInstance.codes;
    const rSvcC = b.receiverService.codes;
    const rInstC = b.receiverInstance.codes;
    const topicC = b.topic.codes;
    const txTypeC = b.txType.codes;
    let streamTime = this.streamTime;
    // Grow the pool once per batch, then write through local references (hot loop).
    while (this.cap - this.used < b.length) this.growPool();
    const { mNext, mUid, mLeg, mAsync, mSend, mRecv, mTtl, mRet, mCallerSide, mTopic, mTxType, mOperation } = this;
    const { mSenderService, mSenderInstance, mReceiverService, mReceiverInstance } = this;
    const windowMs = this.rules.windowMs;
    // A transaction's messages tend to be adjacent: skip the hash lookup for a repeated key.
    let lastKey = '';
    let lastTx = -1;
    for (let i = 0; i < b.length; i++) {
      const key = bizSeqNo[i];
      const send = sendTime[i];
      let tx = key === lastKey && this.txOpen[lastTx] ? lastTx : (this.open.get(key) ?? -1);
      if (tx >= 0 && send - this.txFirst[tx] > windowMs) {
        this.build(tx); // past its window: a late message starts a new group
        tx = -1;
      }
      if (tx < 0) tx = this.openTx(key, send);
      lastKey = key;
      lastTx = tx;
      const m = this.free;
      this.free = mNext[m];
      mUid[m] = uniqueId[i];
      mLeg[m] = legOf[legC[i]];
      mAsync[m] = asyncOf[typeC[i]];
      mSend[m] = send;
      mRecv[m] = recvTime[i];
      mTtl[m] = ttl[i];
      mSenderService[m] = sSvc[sSvcC[i]];
      mSenderInstance[m] = sInst[sInstC[i]];
      mReceiverService[m] = rSvc[rSvcC[i]];
      mReceiverInstance[m] = rInst[rInstC[i]];
      mTopic[m] = topic[topicC[i]];
      mTxType[m] = txType[txTypeC[i]];
      mOperation[m] = operation ? operation[operationC![i]] : -1;
      const r = retOf[retC[i]];
      mRet[m] = r < 0 ? SPAN_STATUS.unknown : r;
      mCallerSide[m] = callerSideOf[codeC[i]];
      mNext[m] = -1;
      const tail = this.txTail[tx];
      if (tail < 0) this.txHead[tx] = m;
      else mNext[tail] = m;
      this.txTail[tx] = m;
      if (send < this.txFirst[tx]) this.txFirst[tx] = send;
      if (send > streamTime) streamTime = send;
    }
    this.used += b.length;
    this.stats.messages += b.length;
    this.streamTime = streamTime;
    this.closeBefore(streamTime - this.rules.windowMs);
  }

  /** Builds every transaction still open and returns all calls as one SpanTable. */
  finish(): SpanTable {
    this.closeBefore(Infinity);
    return this.out.finish();
  }

  /** Messages currently buffered (bounded by the traffic of one window). */
  get buffered(): number {
    return this.used;
  }

  private closeBefore(limit: number): void {
    const q = this.queue;
    while (this.queueHead < q.length) {
      const tx = q[this.queueHead];
      const stale = !this.txOpen[tx] || this.txGen[tx] !== this.queueGen[this.queueHead];
      if (!stale && limit !== Infinity && this.txFirst[tx] >= limit) break;
      this.queueHead++;
      if (!stale) this.build(tx);
    }
    if (this.queueHead > 4096 && this.queueHead * 2 > q.length) {
      this.queue = q.slice(this.queueHead);
      this.queueGen = this.queueGen.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  private openTx(key: string, t: number): number {
    let tx = this.txFree.pop();
    if (tx === undefined) {
      if (this.txCount === this.txCap) this.growTx();
      tx = this.txCount++;
    }
    this.txKey[tx] = key;
    this.txHead[tx] = -1;
    this.txTail[tx] = -1;
    this.txFirst[tx] = t;
    this.txOpen[tx] = 1;
    this.txGen[tx]++;
    this.open.set(key, tx);
    this.queue.push(tx);
    this.queueGen.push(this.txGen[tx]);
    return tx;
  }

  /** Pairs, links, merges and emits one transaction's calls, then frees its messages. */
  private build(tx: number): void {
    const s = this.scratch;
    const pairing = this.pairing;
    s.reset();
    pairing.clear();
    this.lastUid = '';
    const stats = this.stats;
    // Requests first, so that every reply finds the request it answers whatever the log order.
    for (let m = this.txHead[tx]; m >= 0; m = this.mNext[m]) {
      if (this.mLeg[m] !== NO_LEG && this.legSide[this.mLeg[m]] === SIDE_REQUEST) this.absorb(m, s, pairing);
    }
    let m = this.txHead[tx];
    while (m >= 0) {
      const next = this.mNext[m];
      if (this.mLeg[m] === NO_LEG || this.legSide[this.mLeg[m]] !== SIDE_REQUEST) this.absorb(m, s, pairing);
      this.mNext[m] = this.free;
      this.mUid[m] = '';
      this.free = m;
      this.used--;
      m = next;
    }
    this.open.delete(this.txKey[tx]);
    const trace = this.out.appendString(this.txKey[tx]);
    this.txKey[tx] = '';
    this.txOpen[tx] = 0;
    this.txFree.push(tx);
    stats.transactions++;

    resolveCalls(s, this.requestMask, this.replyMask, stats);
    if (s.n === 0) return;
    linkParents(s, this.rules.skewToleranceMs, stats);
    mergeSiblings(s, this.rules.merge.vertical, this.rules.merge.horizontal, stats);
    this.emit(s, trace);
  }

  private absorb(m: number, s: CallScratch, pairing: Map<string, number>): void {
    const uid = this.mUid[m];
    const leg = this.mLeg[m];
    if (leg === NO_LEG) return;
    let c = uid === this.lastUid ? this.lastCall : pairing.get(uid);
    if (this.legSide[leg] === SIDE_REPLY && !(c !== undefined && this.answers(m, s, c))) {
      // The reply's pairing key names no request between these endpoints: mis-tagged or lost.
      const d = this.rules.pairFallback === 'endpoints' ? this.openRequestFor(m, s) : -1;
      if (d >= 0 && !s.hasReply[d]) this.stats.repairedPairs++;
      if (d >= 0) c = d;
      else {
        // Unmatched: its legs gather in a reply-only call, dropped later as one orphan.
        const key = `\u0000${uid}`;
        c = pairing.get(key);
        if (c === undefined) pairing.set(key, (c = s.add(uid)));
      }
    } else if (c === undefined) {
      c = s.add(uid);
      pairing.set(uid, c);
    }
    const bit = 1 << leg;
    if (s.legs[c] & bit) {
      this.stats.duplicateLegs++;
      return;
    }
    this.lastUid = uid;
    this.lastCall = c;
    s.legs[c] |= bit;
    const side = this.legSide[leg];
    if (side === SIDE_REQUEST) {
      s.hasRequest[c] = 1;
      if (this.mAsync[m]) s.isAsync[c] = 1;
      const send = this.mSend[m];
      if (leg === this.firstRequestLeg) s.firstSend[c] = send;
      if (send < s.minSend[c]) s.minSend[c] = send;
      if (leg === this.deliveredLeg) s.delivered[c] = this.mRecv[m];
      if (this.mTtl[m] > s.ttl[c]) s.ttl[c] = this.mTtl[m];
      s.callerService[c] = this.mSenderService[m];
      s.callerInstance[c] = this.mSenderInstance[m];
      s.calleeService[c] = this.serviceOf(this.mTopic[m], this.mReceiverService[m]);
      s.calleeInstance[c] = this.mReceiverInstance[m];
      s.topic[c] = this.mTopic[m];
      s.txType[c] = this.mTxType[m];
      s.operation[c] = this.mOperation[m];
    } else if (side === SIDE_REPLY) {
      s.hasReply[c] = 1;
      const recv = this.mRecv[m];
      if (leg === this.lastReplyLeg) s.lastRecv[c] = recv;
      if (leg === this.firstReplyLeg) s.replied[c] = this.mSend[m];
      if (recv > s.maxRecv[c]) s.maxRecv[c] = recv;
      if (this.mRet[m] !== SPAN_STATUS.unknown) s.ret[c] = this.mRet[m];
      if (this.mCallerSide[m]) s.callerSide[c] = 1;
    }
  }

  /** Whether reply leg m comes back along call c (callee instance -> caller instance). */
  private answers(m: number, s: CallScratch, c: number): boolean {
    return (
      s.hasRequest[c] === 0 ||
      (s.calleeInstance[c] === this.mSenderInstance[m] && s.callerInstance[c] === this.mReceiverInstance[m])
    );
  }

  /** The latest request between the reply's endpoints, sent before it, still lacking this leg. */
  private openRequestFor(m: number, s: CallScratch): number {
    const bit = 1 << this.mLeg[m];
    let best = -1;
    for (let c = 0; c < s.n; c++) {
      if (!s.hasRequest[c] || s.isAsync[c] || s.legs[c] & bit) continue;
      if (s.calleeInstance[c] !== this.mSenderInstance[m] || s.callerInstance[c] !== this.mReceiverInstance[m]) continue;
      if (s.minSend[c] > this.mSend[m]) continue;
      if (best < 0 || s.minSend[c] > s.minSend[best]) best = c;
    }
    return best;
  }

  /** CMDB-like rule: exact topic entry, then the first matching pattern, then receiverService. */
  private serviceOf(topic: number, receiverService: number): number {
    let svc = this.topicService.get(topic);
    if (svc === undefined) {
      svc = -1;
      const name = this.out.strings[topic];
      const exact = this.rules.services.topics[name];
      if (exact !== undefined) svc = this.out.intern(exact);
      else {
        for (const re of this.patterns) {
          const hit = re.exec(name);
          if (hit && hit[1]) {
            svc = this.out.intern(hit[1]);
            break;
          }
        }
      }
      this.topicService.set(topic, svc);
    }
    return svc >= 0 ? svc : receiverService;
  }

  private operationOf(topic: number, txType: number): number {
    const mode = this.rules.operation;
    if (mode === 'topic') return topic;
    if (mode === 'txType') return txType;
    const k = topic * 1048576 + txType;
    let id = this.opIds.get(k);
    if (id === undefined) {
      const t = this.out.strings[topic];
      const x = this.out.strings[txType];
      id = this.out.intern(x ? `${t}/${x}` : t);
      this.opIds.set(k, id);
    }
    return id;
  }

  private emit(s: CallScratch, trace: number): void {
    const out = this.out;
    const base = out.length;
    // Kept nodes come parents first, so a parent's output row is known when its children are
    // emitted; merged calls reach their kept node through `alias`. firstChild is free scratch now.
    const row = s.firstChild;
    for (let k = 0; k < s.kept; k++) row[s.order[k]] = base + k;
    for (let k = 0; k < s.kept; k++) {
      const c = s.order[k];
      const p = s.parent[c];
      out.add(
        trace,
        out.appendString(s.uid[c]),
        p < 0 ? -1 : row[s.alias[p]],
        s.calleeService[c],
        s.calleeInstance[c],
        // The name the callee's spans carry where the log names it, else the rule's.
        s.operation[c] >= 0 ? s.operation[c] : this.operationOf(s.topic[c], s.txType[c]),
        s.start[c],
        s.end[c],
        s.status[c],
        s.attempts[c],
        s.repeats[c],
        s.status[c] === SPAN_STATUS.system ? s.callerSide[c] : 0,
        // The callee's own view: from receiving the request to sending its reply.
        s.delivered[c],
        s.replied[c],
      );
    }
  }

  private growPool(): void {
    const old = this.cap;
    this.cap = Math.max(4096, old * 2);
    const cap = this.cap;
    const g = <T extends GrowableArray>(a: T): T => grown(a, cap);
    this.mNext = g(this.mNext);
    this.mLeg = g(this.mLeg);
    this.mAsync = g(this.mAsync);
    this.mSend = g(this.mSend);
    this.mRecv = g(this.mRecv);
    this.mTtl = g(this.mTtl);
    this.mSenderService = g(this.mSenderService);
    this.mSenderInstance = g(this.mSenderInstance);
    this.mReceiverService = g(this.mReceiverService);
    this.mReceiverInstance = g(this.mReceiverInstance);
    this.mTopic = g(this.mTopic);
    this.mTxType = g(this.mTxType);
    this.mOperation = g(this.mOperation);
    this.mRet = g(this.mRet);
    this.mCallerSide = g(this.mCallerSide);
    for (let m = cap - 1; m >= old; m--) {
      this.mNext[m] = this.free;
      this.free = m;
    }
  }

  private growTx(): void {
    this.txCap = Math.max(1024, this.txCap * 2);
    const cap = this.txCap;
    const g = <T extends GrowableArray>(a: T): T => grown(a, cap);
    this.txGen = g(this.txGen);
    this.txOpen = g(this.txOpen);
    this.txHead = g(this.txHead);
    this.txTail = g(this.txTail);
    this.txFirst = g(this.txFirst);
  }
}

import { LOG_POINTS, MSG_TYPES } from './formats.js';
import { MESSAGE_DICT_COLUMNS, type DictCodes, type MessageDictColumn } from './message-schema.js';
import type { EncodedMessageBatch, MessageLogWriter } from './message-writer.js';
import type { Model } from './model.js';
import { writeDigits } from './bytes.js';

export const BIZ_SEQ_WIDTH = 20; // 'BZ' + DCN (2 digits) + transaction sequence (16 digits)
export const UNIQUE_ID_WIDTH = 25; // bizSeqNo + '-' + call sequence within the transaction (4 digits)
export const RET_CLASS_VALUES = ['', 'ok', 'business', 'system'];
export const CLASS = { none: 0, ok: 1, business: 2, system: 3 } as const;
export const MSG = { request: MSG_TYPES.indexOf('request'), reply: MSG_TYPES.indexOf('reply'), async: MSG_TYPES.indexOf('async') };

/**
 * The optional operation column's dictionary when the scenario names operations: '' (a call
 * without one) then the model's names, so a call node's `operation + 1` is its code. Undefined
 * otherwise: the log then has no operation column and is byte-identical to one written without it.
 */
export function messageOperations(m: Model): readonly string[] | undefined {
  return m.operations.length ? ['', ...m.operations] : undefined;
}

/** The writer's fixed dictionaries, in the model's index order, so model indices are codes. */
export function messageDictionaries(m: Model): Record<MessageDictColumn, readonly string[]> {
  const services = m.services;
  return {
    msgType: MSG_TYPES,
    topic: m.serviceTopic,
    txType: m.txTypes.map((t) => t.name),
    senderSubsystem: m.subsystems,
    senderService: services,
    senderInstance: m.instances,
    senderIp: m.instanceIp,
    senderDcn: m.dcns,
    receiverSubsystem: m.subsystems,
    receiverService: services,
    receiverInstance: m.instances,
    receiverIp: m.instanceIp,
    receiverDcn: m.dcns,
    logPoint: LOG_POINTS,
    retCode: m.retCodes,
    retClass: RET_CLASS_VALUES,
  };
}

/**
 * Preallocated column buffers for one record batch of messages.arrow. The engine's hot loop only
 * stores what varies per row (log point, parties, times, codes, transaction and call number) into
 * typed arrays; the columns that follow from those (services, subsystems, IPs, DCNs) and the two
 * fixed-width ASCII id columns are filled column by column when the batch is flushed, so no
 * per-row string is ever created and the per-row work stays a handful of stores. A full batch goes
 * to the writer and the buffers are reused.
 */
export class MessageRows {
  readonly capacity: number;
  n = 0;
  total = 0;
  private readonly biz: Uint8Array;
  private readonly uid: Uint8Array;
  private readonly biz32: Uint32Array;
  private readonly uidView: DataView;
  private readonly batch: EncodedMessageBatch;
  private readonly c: Record<MessageDictColumn, DictCodes>;
  // Hot-path columns, hoisted out of the record for monomorphic stores.
  private readonly logPoint: DictCodes;
  private readonly msgType: DictCodes;
  private readonly topic: DictCodes;
  private readonly txType: DictCodes;
  private readonly sender: DictCodes;
  private readonly receiver: DictCodes;
  private readonly retCode: DictCodes;
  private readonly retClass: DictCodes;
  private readonly sendTime: Float64Array;
  private readonly recvTime: Float64Array;
  private readonly ttl: Int32Array;
  private readonly operation?: DictCodes;
  /** Per row: transaction sequence number, its DCN, and the call number within it (for the ids). */
  private readonly rowTx: Float64Array;
  private readonly rowDcn: Uint8Array;
  private readonly rowCall: Int32Array;
  /** Send and receive time (unix ms) of the next row: set them, then call row(). */
  readonly times = new Float64Array(2);
  private txSeq = 0;
  private txDcn = 0;
  private callSeq = 0;
  private callOperation = 0;

  constructor(
    private readonly writer: MessageLogWriter,
    private readonly m: Model,
    capacity = 65_536,
  ) {
    this.capacity = capacity;
    this.biz = new Uint8Array(capacity * BIZ_SEQ_WIDTH);
    this.uid = new Uint8Array(capacity * UNIQUE_ID_WIDTH);
    this.biz32 = new Uint32Array(this.biz.buffer);
    this.uidView = new DataView(this.uid.buffer);
    const codes = {} as Record<MessageDictColumn, DictCodes>;
    for (const col of MESSAGE_DICT_COLUMNS) codes[col] = writer.codesArray(col, capacity);
    this.c = codes;
    this.batch = {
      length: 0,
      bizSeqNo: { offsets: fixedWidthOffsets(capacity, BIZ_SEQ_WIDTH), bytes: this.biz },
      uniqueId: { offsets: fixedWidthOffsets(capacity, UNIQUE_ID_WIDTH), bytes: this.uid },
      codes,
      sendTime: new Float64Array(capacity),
      recvTime: new Float64Array(capacity),
      ttl: new Int32Array(capacity),
    };
    const operation = writer.operationCodes(capacity);
    if (operation) this.batch.operation = this.operation = operation;
    this.logPoint = codes.logPoint;
    this.msgType = codes.msgType;
    this.topic = codes.topic;
    this.txType = codes.txType;
    this.sender = codes.senderInstance;
    this.receiver = codes.receiverInstance;
    this.retCode = codes.retCode;
    this.retClass = codes.retClass;
    this.sendTime = this.batch.sendTime;
    this.recvTime = this.batch.recvTime;
    this.ttl = this.batch.ttl;
    this.rowTx = new Float64Array(capacity);
    this.rowDcn = new Uint8Array(capacity);
    this.rowCall = new Int32Array(capacity);
  }

  /** The transaction the next rows belong to: bizSeqNo 'BZ' + DCN + sequence. */
  setTx(dcn: number, seq: number): void {
    this.txDcn = dcn;
    this.txSeq = seq;
  }

  /** The call the next rows belong to: uniqueId = bizSeqNo + '-' + call number; its operation code (messageOperations). */
  setCall(callSeq: number, operation: number): void {
    this.callSeq = callSeq;
    this.callOperation = operation;
  }

  row(logPoint: number, msgType: number, topic: number, txType: number, sender: number, receiver: number, ttl: number, retCode: number, retClass: number): void {
    const i = this.n;
    this.logPoint[i] = logPoint;
    this.msgType[i] = msgType;
    this.topic[i] = topic;
    this.txType[i] = txType;
    this.sender[i] = sender;
    this.receiver[i] = receiver;
    this.sendTime[i] = this.times[0]!;
    this.recvTime[i] = this.times[1]!;
    this.ttl[i] = ttl;
    this.retCode[i] = retCode;
    this.retClass[i] = retClass;
    if (this.operation) this.operation[i] = this.callOperation;
    this.rowTx[i] = this.txSeq;
    this.rowDcn[i] = this.txDcn;
    this.rowCall[i] = this.callSeq;
    if (++this.n === this.capacity) this.flush();
  }

  flush(): void {
    const n = this.n;
    if (n === 0) return;
    this.fillParties(n);
    this.fillIds(n);
    this.batch.length = n;
    this.writer.appendEncoded(this.batch);
    this.total += n;
    this.n = 0;
  }

  /** Service, subsystem, IP and DCN of sender and receiver, from their instance codes. */
  private fillParties(n: number): void {
    const c = this.c;
    fillSide(this.m, n, c.senderInstance, c.senderService, c.senderSubsystem, c.senderIp, c.senderDcn);
    fillSide(this.m, n, c.receiverInstance, c.receiverService, c.receiverSubsystem, c.receiverIp, c.receiverDcn);
  }

  /**
   * bizSeqNo and uniqueId bytes, a 32-bit word at a time: a bizSeqNo row (20 bytes, 4-aligned) is
   * written once per transaction and repeated for its other rows, and a uniqueId row is its
   * bizSeqNo plus the call's precomputed '-dddd' tail, through a DataView since its rows are not
   * aligned.
   */
  private fillIds(n: number): void {
    const biz = this.biz;
    const biz32 = this.biz32;
    const uid = this.uidView;
    const tx = this.rowTx;
    const call = this.rowCall;
    // The current transaction's bizSeqNo as five words, kept in locals (unrolled: ~2x faster).
    let w0 = 0;
    let w1 = 0;
    let w2 = 0;
    let w3 = 0;
    let w4 = 0;
    let prevTx = -1;
    for (let i = 0; i < n; i++) {
      const w = i * BIZ_WORDS;
      const t = tx[i]!;
      if (t !== prevTx) {
        prevTx = t;
        const b = i * BIZ_SEQ_WIDTH;
        biz[b] = 66; // 'B'
        biz[b + 1] = 90; // 'Z'
        writeDigits(biz, b + 2, 2, this.rowDcn[i]! + 1);
        writeDigits(biz, b + 4, 16, t);
        w0 = biz32[w]!;
        w1 = biz32[w + 1]!;
        w2 = biz32[w + 2]!;
        w3 = biz32[w + 3]!;
        w4 = biz32[w + 4]!;
      } else {
        biz32[w] = w0;
        biz32[w + 1] = w1;
        biz32[w + 2] = w2;
        biz32[w + 3] = w3;
        biz32[w + 4] = w4;
      }
      const u = i * UNIQUE_ID_WIDTH;
      uid.setUint32(u, w0, NATIVE_LE);
      uid.setUint32(u + 4, w1, NATIVE_LE);
      uid.setUint32(u + 8, w2, NATIVE_LE);
      uid.setUint32(u + 12, w3, NATIVE_LE);
      uid.setUint32(u + 16, w4, NATIVE_LE);
      const c = call[i]! % 10_000;
      uid.setUint32(u + BIZ_SEQ_WIDTH, CALL_TAIL_WORD[c]!, true);
      uid.setUint8(u + BIZ_SEQ_WIDTH + 4, CALL_TAIL_BYTE[c]!);
    }
  }
}

const BIZ_WORDS = BIZ_SEQ_WIDTH / 4;
/** Words read through the Uint32Array view are in platform byte order; write them back the same way. */
const NATIVE_LE = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
/** uniqueId tails by call number: '-' and the first three digits as a little-endian word, then the last digit. */
const CALL_TAIL_WORD = new Uint32Array(10_000);
const CALL_TAIL_BYTE = new Uint8Array(10_000);
for (let c = 0; c < 10_000; c++) {
  const d = (k: number) => 48 + (Math.floor(c / 10 ** (3 - k)) % 10);
  CALL_TAIL_WORD[c] = (45 | (d(0) << 8) | (d(1) << 16) | (d(2) << 24)) >>> 0;
  CALL_TAIL_BYTE[c] = d(3);
}

function fillSide(m: Model, n: number, inst: DictCodes, svc: DictCodes, sub: DictCodes, ip: DictCodes, dcn: DictCodes): void {
  const { instanceService, serviceSubsystem, instanceDcn } = m;
  ip.set(inst.subarray(0, n)); // the model gives each instance one IP, with the same index
  for (let i = 0; i < n; i++) {
    const x = inst[i]!;
    const s = instanceService[x]!;
    svc[i] = s;
    sub[i] = serviceSubsystem[s]!;
    dcn[i] = instanceDcn[x]!;
  }
}

function fixedWidthOffsets(capacity: number, width: number): Int32Array {
  const offsets = new Int32Array(capacity + 1);
  for (let i = 0; i <= capacity; i++) offsets[i] = i * width;
  return offsets;
}


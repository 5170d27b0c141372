import { LOG_POINTS, MSG_TYPES } from './formats.js';
import { MESSAGE_DICT_COLUMNS, type MessageDictColumn } from './message-schema.js';
import type { EncodedMessageBatch, MessageLogWriter } from './message-writer.js';
import type { Model } from './model.js';

export const BIZ_SEQ_WIDTH = 20; // 'BZ' + DCN (2 digits) + transaction sequence (16 digits)
export const UNIQUE_ID_WIDTH = 25; // bizSeqNo + '-' + call sequence within the transaction (4 digits)
export const RET_CLASS_VALUES = ['', 'ok', 'business', 'system'];
export const CLASS = { none: 0, ok: 1, business: 2, system: 3 } as const;
export const MSG = { request: MSG_TYPES.indexOf('request'), reply: MSG_TYPES.indexOf('reply'), async: MSG_TYPES.indexOf('async') };

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
 * Preallocated column buffers for one record batch of messages.arrow. The engine writes rows
 * straight into typed arrays; ids are fixed-width ASCII copied byte by byte, so no per-row string
 * is ever created. A full batch goes to the writer and the buffers are reused.
 */
export class MessageRows {
  readonly capacity: number;
  n = 0;
  total = 0;
  private readonly biz: Uint8Array;
  private readonly uid: Uint8Array;
  private readonly batch: EncodedMessageBatch;
  private readonly c: Record<MessageDictColumn, Int32Array>;
  /** Current transaction's bizSeqNo and current call's uniqueId, filled by setTx / setCall. */
  readonly txBiz = new Uint8Array(BIZ_SEQ_WIDTH);
  readonly callUid = new Uint8Array(UNIQUE_ID_WIDTH);

  constructor(
    private readonly writer: MessageLogWriter,
    private readonly m: Model,
    capacity = 65_536,
  ) {
    this.capacity = capacity;
    this.biz = new Uint8Array(capacity * BIZ_SEQ_WIDTH);
    this.uid = new Uint8Array(capacity * UNIQUE_ID_WIDTH);
    const offsets = (w: number) => Int32Array.from({ length: capacity + 1 }, (_, i) => i * w);
    const codes = {} as Record<MessageDictColumn, Int32Array>;
    for (const col of MESSAGE_DICT_COLUMNS) codes[col] = new Int32Array(capacity);
    this.c = codes;
    this.batch = {
      length: 0,
      bizSeqNo: { offsets: offsets(BIZ_SEQ_WIDTH), bytes: this.biz },
      uniqueId: { offsets: offsets(UNIQUE_ID_WIDTH), bytes: this.uid },
      codes,
      sendTime: new Float64Array(capacity),
      recvTime: new Float64Array(capacity),
      ttl: new Int32Array(capacity),
    };
    this.txBiz.set([66, 90]); // 'BZ'
    this.callUid[BIZ_SEQ_WIDTH] = 45; // '-'
  }

  setTx(dcn: number, seq: number): void {
    writeDigits(this.txBiz, 2, 2, dcn + 1);
    writeDigits(this.txBiz, 4, 16, seq);
    this.callUid.set(this.txBiz, 0);
  }

  setCall(callSeq: number): void {
    writeDigits(this.callUid, BIZ_SEQ_WIDTH + 1, 4, callSeq % 10_000);
  }

  row(logPoint: number, msgType: number, topic: number, txType: number, sender: number, receiver: number, send: number, recv: number, ttl: number, retCode: number, retClass: number): void {
    const i = this.n;
    const m = this.m;
    const c = this.c;
    this.biz.set(this.txBiz, i * BIZ_SEQ_WIDTH);
    this.uid.set(this.callUid, i * UNIQUE_ID_WIDTH);
    c.msgType[i] = msgType;
    c.topic[i] = topic;
    c.txType[i] = txType;
    const ss = m.instanceService[sender]!;
    const rs = m.instanceService[receiver]!;
    c.senderSubsystem[i] = m.serviceSubsystem[ss]!;
    c.senderService[i] = ss;
    c.senderInstance[i] = sender;
    c.senderIp[i] = sender;
    c.senderDcn[i] = m.instanceDcn[sender]!;
    c.receiverSubsystem[i] = m.serviceSubsystem[rs]!;
    c.receiverService[i] = rs;
    c.receiverInstance[i] = receiver;
    c.receiverIp[i] = receiver;
    c.receiverDcn[i] = m.instanceDcn[receiver]!;
    c.logPoint[i] = logPoint;
    c.retCode[i] = retCode;
    c.retClass[i] = retClass;
    this.batch.sendTime[i] = send;
    this.batch.recvTime[i] = recv;
    this.batch.ttl[i] = ttl;
    if (++this.n === this.capacity) this.flush();
  }

  flush(): void {
    if (this.n === 0) return;
    this.batch.length = this.n;
    this.writer.appendEncoded(this.batch);
    this.total += this.n;
    this.n = 0;
  }
}

function writeDigits(buf: Uint8Array, at: number, width: number, value: number): void {
  for (let k = at + width - 1; k >= at; k--) {
    const q = Math.floor(value / 10);
    buf[k] = 48 + (value - q * 10);
    value = q;
  }
}

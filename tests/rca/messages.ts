/** Hand-made WEMQ message logs for the tree-builder tests. */
import { LOG_POINTS, type DictColumn, type LogPoint, type MessageBatch } from '../../sim/formats.js';

export interface Row {
  bizSeqNo: string;
  uniqueId: string;
  msgType: 'request' | 'reply' | 'async';
  topic: string;
  txType: string;
  sender: string;
  senderInstance: string;
  receiver: string;
  receiverInstance: string;
  logPoint: LogPoint;
  sendTime: number;
  recvTime: number;
  ttl: number;
  retClass: string;
  retCode?: string;
}

export interface CallSpec {
  biz: string;
  uid: string;
  from: string; // caller service (instance = `${service}-1` unless fromInstance)
  to: string;
  start: number; // caller sends
  end: number; // caller receives the reply
  fromInstance?: string;
  toInstance?: string;
  ttl?: number;
  ret?: 'ok' | 'business' | 'system';
  async?: boolean;
  noReply?: boolean;
  drop?: LogPoint[];
  txType?: string;
  retCode?: string;
  /** Pairing key the reply legs carry (default uid): a mis-tagged reply. */
  replyUid?: string;
}

/** The 8 legs of one call (4 for async), each leg 1 ms apart at the edges of [start, end]. */
export function call(c: CallSpec): Row[] {
  const fi = c.fromInstance ?? `${c.from}-1`;
  const ti = c.toInstance ?? `${c.to}-1`;
  const rows: Row[] = [];
  const base = {
    bizSeqNo: c.biz,
    uniqueId: c.uid,
    txType: c.txType ?? 'transfer',
    ttl: c.ttl ?? 1000,
  };
  const reqTimes = [c.start, c.start + 1, c.start + 2, c.start + 3];
  for (let k = 0; k < 4; k++) {
    rows.push({
      ...base,
      msgType: c.async ? 'async' : 'request',
      topic: `${c.to}.topic`,
      sender: c.from,
      senderInstance: fi,
      receiver: c.to,
      receiverInstance: ti,
      logPoint: LOG_POINTS[k],
      sendTime: reqTimes[k],
      recvTime: reqTimes[k] + 1,
      retClass: '',
    });
  }
  if (!c.async && !c.noReply) {
    const rspTimes = [c.end - 4, c.end - 3, c.end - 2, c.end - 1];
    for (let k = 0; k < 4; k++) {
      rows.push({
        ...base,
        uniqueId: c.replyUid ?? c.uid,
        retCode: c.retCode,
        msgType: 'reply',
        topic: `${c.from}.reply`,
        sender: c.to,
        senderInstance: ti,
        receiver: c.from,
        receiverInstance: fi,
        logPoint: LOG_POINTS[4 + k],
        sendTime: rspTimes[k],
        recvTime: rspTimes[k] + 1,
        retClass: c.ret ?? 'ok',
      });
    }
  }
  return rows.filter((r) => !c.drop?.includes(r.logPoint));
}

function dict(values: string[]): DictColumn {
  const uniq = [...new Set(values)];
  const index = new Map(uniq.map((v, i) => [v, i]));
  return { values: uniq, codes: Int32Array.from(values.map((v) => index.get(v)!)) };
}

export function batchOf(rows: Row[]): MessageBatch {
  const col = <K extends keyof Row>(k: K) => rows.map((r) => r[k]);
  return {
    length: rows.length,
    bizSeqNo: col('bizSeqNo'),
    uniqueId: col('uniqueId'),
    msgType: dict(col('msgType')),
    topic: dict(col('topic')),
    txType: dict(col('txType')),
    senderSubsystem: dict(rows.map(() => 'core')),
    senderService: dict(col('sender')),
    senderInstance: dict(col('senderInstance')),
    senderIp: dict(rows.map(() => '10.0.0.1')),
    senderDcn: dict(rows.map(() => 'dcn1')),
    receiverSubsystem: dict(rows.map(() => 'core')),
    receiverService: dict(col('receiver')),
    receiverInstance: dict(col('receiverInstance')),
    receiverIp: dict(rows.map(() => '10.0.0.2')),
    receiverDcn: dict(rows.map(() => 'dcn1')),
    logPoint: dict(col('logPoint')),
    sendTime: Float64Array.from(col('sendTime')),
    recvTime: Float64Array.from(col('recvTime')),
    ttl: Int32Array.from(col('ttl')),
    retCode: dict(rows.map((r) => r.retCode ?? (r.retClass === 'system' ? 'E500' : r.retClass ? '0000' : ''))),
    retClass: dict(col('retClass')),
  };
}

import { LOG_COLUMNS, LOG_LEVELS } from './formats.js';
import { ColumnarFileWriter, type Utf8Column } from './arrow-writer.js';
import { ByteBuilder, utf8 } from './bytes.js';
import { ARG, LINE_KINDS, MAX_LOG_ARGS, type LogCatalog } from './log-catalog.js';
import type { DictCodes } from './message-schema.js';
import type { Model } from './model.js';

/** A UUID's fixed middle and tail around two 32-bit values (ARG.uuid). */
const UUID_MIDDLE = utf8('-0000-4000-8000-');
const UUID_TAIL = utf8('0000');

/** Which side of a call wrote a line: the callee handling it, or the caller that made it. */
export const SIDE = { callee: 0, caller: 1 } as const;

/** One rendered batch of log lines, column-wise (what logs.arrow and the log CSV export get). */
export interface LogLineBatch {
  length: number;
  time: Float64Array;
  service: DictCodes;
  instance: DictCodes;
  level: DictCodes;
  bizSeqNo: Utf8Column;
  uniqueId: Utf8Column;
  message: Utf8Column;
  /** Per line: the transaction sequence (-1 outside any request), its DCN, call number and SIDE. */
  txSeq: Float64Array;
  dcn: Uint8Array;
  call: Int32Array;
  side: Uint8Array;
}

/**
 * Preallocated buffers for log lines, the same way MessageRows holds messages: the engine stores a
 * template id, the instance and the field values (typed arrays only); the text, the ids and the
 * service column are produced at flush, a batch at a time, into reused byte buffers.
 */
export class LogRows {
  readonly capacity: number;
  n = 0;
  total = 0;
  /** Time (unix ms) and field values of the next line: set them, then call line(). */
  readonly v = new Float64Array(1 + MAX_LOG_ARGS);
  private readonly time: Float64Array;
  private readonly instance: DictCodes;
  private readonly service: DictCodes;
  private readonly level: DictCodes;
  private readonly template: Int32Array;
  private readonly args: Float64Array;
  private readonly txSeq: Float64Array;
  private readonly dcn: Uint8Array;
  private readonly call: Int32Array;
  private readonly side: Uint8Array;
  private readonly msg = new ByteBuilder(1 << 20);
  private readonly msgOffsets: Int32Array;
  private readonly biz = new ByteBuilder(1 << 16);
  private readonly bizOffsets: Int32Array;
  private readonly uid = new ByteBuilder(1 << 16);
  private readonly uidOffsets: Int32Array;
  private readonly writer: ColumnarFileWriter;
  private curTx = -1;
  private curDcn = 0;
  private curCall = 0;

  constructor(
    path: string,
    private readonly m: Model,
    private readonly catalog: LogCatalog,
    /** Called with each rendered batch (e.g. the log CSV export) before it is written. */
    private readonly onBatch?: (b: LogLineBatch) => void,
    capacity = 65_536,
  ) {
    this.capacity = capacity;
    this.writer = ColumnarFileWriter.open(path, [
      { name: LOG_COLUMNS.time, kind: 'f64' },
      { name: LOG_COLUMNS.service, kind: 'dict', values: m.services },
      { name: LOG_COLUMNS.instance, kind: 'dict', values: m.instances },
      { name: LOG_COLUMNS.bizSeqNo, kind: 'utf8' },
      { name: LOG_COLUMNS.uniqueId, kind: 'utf8' },
      { name: LOG_COLUMNS.level, kind: 'dict', values: LOG_LEVELS },
      { name: LOG_COLUMNS.message, kind: 'utf8' },
    ]);
    this.time = new Float64Array(capacity);
    this.instance = this.writer.codesArray(LOG_COLUMNS.instance, capacity);
    this.service = this.writer.codesArray(LOG_COLUMNS.service, capacity);
    this.level = this.writer.codesArray(LOG_COLUMNS.level, capacity);
    this.template = new Int32Array(capacity);
    this.args = new Float64Array(capacity * MAX_LOG_ARGS);
    this.txSeq = new Float64Array(capacity);
    this.dcn = new Uint8Array(capacity);
    this.call = new Int32Array(capacity);
    this.side = new Uint8Array(capacity);
    this.msgOffsets = new Int32Array(capacity + 1);
    this.bizOffsets = new Int32Array(capacity + 1);
    this.uidOffsets = new Int32Array(capacity + 1);
  }

  /** The transaction the next request lines belong to (bizSeqNo 'BZ' + DCN + sequence). */
  setTx(dcn: number, seq: number): void {
    this.curDcn = dcn;
    this.curTx = seq;
  }

  setCall(call: number): void {
    this.curCall = call;
  }

  /** A line of `kind` at instance `inst` about the current call, time and fields in `v`. */
  line(inst: number, kind: number, side: number): void {
    this.push(inst, this.own(inst, kind), side, this.curTx);
  }

  /** A learned line (LogCatalog.learnedFirst) at instance `inst` about the current call. */
  learned(inst: number, template: number): void {
    this.push(inst, template, SIDE.callee, this.curTx);
  }

  /** A line outside any request (background, lifecycle). */
  background(inst: number, kind: number): void {
    this.push(inst, this.own(inst, kind), SIDE.callee, -1);
  }

  /** The template id of the simulator's own line of `kind` for the instance's service. */
  private own(inst: number, kind: number): number {
    return this.m.instanceService[inst]! * LINE_KINDS + kind;
  }

  private push(inst: number, template: number, side: number, tx: number): void {
    const i = this.n;
    const v = this.v;
    this.time[i] = v[0]!;
    this.instance[i] = inst;
    this.template[i] = template;
    const a = i * MAX_LOG_ARGS;
    for (let k = 0; k < MAX_LOG_ARGS; k++) this.args[a + k] = v[k + 1]!;
    this.txSeq[i] = tx;
    this.dcn[i] = this.curDcn;
    this.call[i] = this.curCall;
    this.side[i] = side;
    if (++this.n === this.capacity) this.flush();
  }

  flush(): void {
    const n = this.n;
    if (n === 0) return;
    this.render(n);
    const batch: LogLineBatch = {
      length: n,
      time: this.time,
      service: this.service,
      instance: this.instance,
      level: this.level,
      bizSeqNo: { offsets: this.bizOffsets, bytes: this.biz.buf },
      uniqueId: { offsets: this.uidOffsets, bytes: this.uid.buf },
      message: { offsets: this.msgOffsets, bytes: this.msg.buf },
      txSeq: this.txSeq,
      dcn: this.dcn,
      call: this.call,
      side: this.side,
    };
    this.onBatch?.(batch);
    this.writer.write(n, {
      [LOG_COLUMNS.time]: this.time,
      [LOG_COLUMNS.service]: this.service,
      [LOG_COLUMNS.instance]: this.instance,
      [LOG_COLUMNS.bizSeqNo]: batch.bizSeqNo,
      [LOG_COLUMNS.uniqueId]: batch.uniqueId,
      [LOG_COLUMNS.level]: this.level,
      [LOG_COLUMNS.message]: batch.message,
    });
    this.total += n;
    this.n = 0;
  }

  async close(): Promise<{ bytes: number; sha256: string }> {
    this.flush();
    return this.writer.close();
  }

  abort(): void {
    this.writer.abort();
  }

  /** Messages, ids, services and levels of rows 0..n-1. */
  private render(n: number): void {
    const { msg, biz, uid, catalog } = this;
    const templates = catalog.templates;
    const instanceService = this.m.instanceService;
    msg.clear();
    biz.clear();
    uid.clear();
    for (let i = 0; i < n; i++) {
      this.service[i] = instanceService[this.instance[i]!]!;
      const tpl = templates[this.template[i]!]!;
      this.level[i] = tpl.level;
      const tx = this.txSeq[i]!;
      if (tx >= 0) {
        const b0 = biz.n;
        biz.ensure(20);
        biz.buf[biz.n++] = 66; // 'B'
        biz.buf[biz.n++] = 90; // 'Z'
        biz.padded(this.dcn[i]! + 1, 2);
        biz.padded(tx, 16);
        uid.range(biz.buf, b0, biz.n);
        uid.byte(45); // '-'
        uid.padded(this.call[i]!, 4);
      }
      this.bizOffsets[i + 1] = biz.n;
      this.uidOffsets[i + 1] = uid.n;
      const lits = tpl.lits;
      const kinds = tpl.args;
      const slots = tpl.slots;
      const a = i * MAX_LOG_ARGS;
      msg.bytes(lits[0]!);
      for (let k = 0; k < kinds.length; k++) {
        const slot = slots[k]!;
        this.field(kinds[k]!, slot < 0 ? 0 : this.args[a + slot]!, this.uidOffsets[i]!, this.uidOffsets[i + 1]!);
        msg.bytes(lits[k + 1]!);
      }
      this.msgOffsets[i + 1] = msg.n;
    }
  }

  private field(kind: number, value: number, uidFrom: number, uidTo: number): void {
    const msg = this.msg;
    const c = this.catalog;
    switch (kind) {
      case ARG.int:
        return msg.int(value);
      case ARG.ms:
        return msg.fixed(value, 1);
      case ARG.money:
        return msg.fixed(value, 2);
      case ARG.d4:
        return msg.padded(value, 4);
      case ARG.d8:
        return msg.padded(value, 8);
      case ARG.hex:
        return msg.hex8(value);
      case ARG.uuid:
        msg.hex8(value);
        msg.bytes(UUID_MIDDLE);
        msg.hex8(Math.imul(value | 0, 0x5bd1e995));
        return msg.bytes(UUID_TAIL);
      case ARG.service:
        return msg.bytes(c.services[value]!);
      case ARG.code:
        return msg.bytes(c.codes[value]!);
      case ARG.op:
        return msg.bytes(c.ops[value]!);
      case ARG.db:
        return msg.bytes(c.databases[value]!);
      case ARG.uid:
        return msg.range(this.uid.buf, uidFrom, uidTo);
      case ARG.ip: {
        const x = value >>> 0;
        msg.uint(x >>> 24);
        msg.byte(46);
        msg.uint((x >>> 16) & 255);
        msg.byte(46);
        msg.uint((x >>> 8) & 255);
        msg.byte(46);
        msg.uint(x & 255);
        return;
      }
    }
  }
}

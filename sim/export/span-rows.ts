/** A call's two spans, as instrumented services record them. */
export const SPAN_KIND = { client: 0, server: 1 } as const;

/** One recorded call of a batch, column-wise: what the span writers turn into spans. */
export interface CallBatch {
  length: number;
  txSeq: Float64Array;
  dcn: Uint8Array;
  call: Int32Array;
  /** The call the caller was handling when it made this one (its server span is the client span's parent); 0 for a transaction's first call. */
  parentCall: Int32Array;
  txType: Int32Array;
  caller: Int32Array;
  callee: Int32Array;
  service: Int32Array; // the callee's service (also when no instance was reached)
  /** Model.operations index of the call's operation name, -1 for `<topic>/<transaction type>`. */
  operation: Int32Array;
  async: Uint8Array;
  clientStart: Float64Array;
  clientEnd: Float64Array;
  clientStatus: Uint8Array; // SPAN_STATUS (ok, business or system)
  /** The callee's handling, NaN when the request never reached it. */
  serverStart: Float64Array;
  serverEnd: Float64Array;
  serverStatus: Uint8Array;
}

/**
 * Calls as the engine completes them, buffered column-wise and handed to the span writers a batch
 * at a time (children before their parents: a call is recorded when it ends).
 */
export class CallRows {
  readonly capacity: number;
  n = 0;
  total = 0;
  /** Client start and end, server start and end (unix ms) of the next call: set them, then call add(). */
  readonly t = new Float64Array(4);
  private readonly b: CallBatch;

  constructor(
    private readonly sink: (b: CallBatch) => void,
    capacity = 16_384,
  ) {
    this.capacity = capacity;
    const f64 = () => new Float64Array(capacity);
    const i32 = () => new Int32Array(capacity);
    const u8 = () => new Uint8Array(capacity);
    this.b = {
      length: 0,
      txSeq: f64(),
      dcn: u8(),
      call: i32(),
      parentCall: i32(),
      txType: i32(),
      caller: i32(),
      callee: i32(),
      service: i32(),
      operation: i32(),
      async: u8(),
      clientStart: f64(),
      clientEnd: f64(),
      clientStatus: u8(),
      serverStart: f64(),
      serverEnd: f64(),
      serverStatus: u8(),
    };
  }

  add(txSeq: number, dcn: number, call: number, parentCall: number, txType: number, caller: number, callee: number, service: number, operation: number, async: boolean, clientStatus: number, serverStatus: number): void {
    const b = this.b;
    const i = this.n;
    b.txSeq[i] = txSeq;
    b.dcn[i] = dcn;
    b.call[i] = call;
    b.parentCall[i] = parentCall;
    b.txType[i] = txType;
    b.caller[i] = caller;
    b.callee[i] = callee;
    b.service[i] = service;
    b.operation[i] = operation;
    b.async[i] = async ? 1 : 0;
    b.clientStart[i] = this.t[0]!;
    b.clientEnd[i] = this.t[1]!;
    b.serverStart[i] = this.t[2]!;
    b.serverEnd[i] = this.t[3]!;
    b.clientStatus[i] = clientStatus;
    b.serverStatus[i] = serverStatus;
    if (++this.n === this.capacity) this.flush();
  }

  flush(): void {
    if (this.n === 0) return;
    this.b.length = this.n;
    this.sink(this.b);
    this.total += this.n;
    this.n = 0;
  }
}

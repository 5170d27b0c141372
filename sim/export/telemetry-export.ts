import { join } from 'node:path';
import { DATA_SET_FILES, LOG_CSV_COLUMNS, METRIC_CSV_KEY_COLUMNS, RET_CLASSES, SPAN_CSV_COLUMNS, SPAN_STATUS, spanStatusText } from '../formats.js';
import { AtomicFile } from '../../common/atomic-file.js';
import { ByteBuilder, utf8 } from '../bytes.js';
import type { LogLineBatch } from '../log-rows.js';
import { SIDE } from '../log-rows.js';
import { SERVICE_KIND, type Model } from '../model.js';
import type { MetricRowBatch } from '../monitor.js';
import { mix32, normalOfUniform, stream } from '../rng.js';
import { CallRows, type CallBatch } from './span-rows.js';

/**
 * How the data set's telemetry is also written in the exchange formats other tools produce, and
 * how imperfect that telemetry is, the way real collection is.
 */
export interface ExportOptions {
  /** Spans as span CSV (SPAN_CSV_COLUMNS) or OpenTelemetry OTLP/JSON lines. */
  spans?: 'csv' | 'otlp';
  /** Logs as log CSV (LOG_CSV_COLUMNS). */
  logsCsv?: boolean;
  /** Metrics as wide metric CSV (METRIC_CSV_KEY_COLUMNS + one column per metric). */
  metricsCsv?: boolean;
  /** Head sampling: the share of transactions whose spans are kept (decided once per trace). Default 1. */
  sampling?: number;
  /** The share of services and channels that record no spans (their calls leave dangling parents). Default 0. */
  uninstrumented?: number;
  /** Standard deviation (ms) of each host's clock offset, applied to the spans and log lines it records. Default 0. */
  clockSkewMs?: number;
  /** Whether spans carry a status (and the return code). Default true. */
  spanStatus?: boolean;
}

const STATUS_TEXT = [SPAN_STATUS.ok, SPAN_STATUS.business, SPAN_STATUS.system].map((status) => utf8(spanStatusText(status)));
const KIND_TEXT = [utf8('client'), utf8('server')];
/** Calls per OTLP line (ExportTraceServiceRequest). */
const OTLP_CALLS_PER_LINE = 1024;
/** Bytes buffered before a write to the file. */
const FLUSH_BYTES = 1 << 20;

/** A text file written under a temporary name through a reused byte buffer. */
class TextOut {
  readonly b = new ByteBuilder(FLUSH_BYTES * 2);
  private readonly file: AtomicFile;
  constructor(path: string) {
    this.file = AtomicFile.open(path);
  }
  maybeFlush(): void {
    if (this.b.n >= FLUSH_BYTES) this.flush();
  }
  flush(): void {
    if (this.b.n > 0) this.file.write(this.b.view());
    this.b.clear();
  }
  close(): { bytes: number; sha256: string } {
    this.flush();
    this.file.commit();
    return { bytes: this.file.bytes, sha256: this.file.sha256 };
  }
  abort(): void {
    this.file.abort();
  }
}

/**
 * The exports of one generated data set. The engine feeds completed calls to `calls`, the log and
 * metric writers hand their batches to `onLogs` and `onMetrics`. Sampling decisions, the services
 * left uninstrumented and the hosts' clock offsets are drawn from the seed, so an export is as
 * reproducible as the data set.
 *
 * Each call becomes up to two spans: the caller's client span (from sending the request to
 * receiving the reply or giving up; a one-way message ends at delivery) and the callee's server
 * span (from receiving the request to sending its reply), the server span a child of the client
 * span, the client span a child of the server span of the call its caller was handling. Time spent
 * between the two (network, broker, waiting) is the gap between them. Client applications are
 * never instrumented, so a transaction's first span is the entry service's server span.
 */
export class TelemetryExport {
  readonly calls?: CallRows;
  private readonly spanOut?: TextOut;
  private readonly logOut?: TextOut;
  private readonly metricOut?: TextOut;
  private readonly instrumented: Uint8Array; // per service
  private readonly skewMs: Float64Array; // per instance
  private readonly sampling: number;
  private readonly sampleSalt: number;
  private readonly status: boolean;
  /** Whether spans carry their kind (the scenario's `spanKind`). */
  private readonly kind: boolean;
  private readonly ids: 'bank' | 'csv' | 'otlp';
  private readonly names: { service: Uint8Array[]; instance: Uint8Array[]; operation: Uint8Array[][]; named: Uint8Array[]; topic: string[] };

  constructor(
    private readonly m: Model,
    seed: number,
    dir: string,
    private readonly opts: ExportOptions,
  ) {
    this.sampling = opts.sampling ?? 1;
    this.status = (opts.spanStatus ?? true) && m.spanStatus;
    this.kind = m.spanKind;
    this.ids = opts.spans ?? 'bank';
    this.sampleSalt = mix32(seed, 0x5a3e11e5);
    const share = opts.uninstrumented ?? 0;
    this.instrumented = Uint8Array.from(m.services, (name, s) => (m.serviceKind[s] !== SERVICE_KIND.client && stream(seed, `tracing:${name}`)() >= share ? 1 : 0));
    const sd = opts.clockSkewMs ?? 0;
    this.skewMs = Float64Array.from(m.instances, (name) => (sd > 0 ? sd * normalOfUniform(stream(seed, `clock:${name}`)()) : 0));
    this.names = {
      service: m.services.map(utf8),
      instance: m.instances.map(utf8),
      topic: m.serviceTopic,
      operation: m.services.map((_, s) => m.txTypes.map((t) => utf8(`${m.serviceTopic[s]}/${t.name}`))),
      // Names set on call-tree nodes are free text: quoted as a CSV field where they need it.
      named: m.operations.map((name) => utf8(/[",\r\n]/.test(name) ? `"${name.replaceAll('"', '""')}"` : name)),
    };
    if (opts.spans) {
      this.spanOut = new TextOut(join(dir, opts.spans === 'csv' ? DATA_SET_FILES.spansCsv : DATA_SET_FILES.spansOtlp));
      if (opts.spans === 'csv') this.header(this.spanOut, SPAN_CSV_COLUMNS);
      // OTLP: one request per line of at most this many calls, so that a reader parses lines of a few MB at most.
      this.calls = opts.spans === 'csv' ? new CallRows((b) => this.spansCsv(b)) : new CallRows((b) => this.spansOtlp(b), OTLP_CALLS_PER_LINE);
    }
    if (opts.logsCsv) {
      this.logOut = new TextOut(join(dir, DATA_SET_FILES.logsCsv));
      this.header(this.logOut, LOG_CSV_COLUMNS);
    }
    if (opts.metricsCsv) {
      this.metricOut = new TextOut(join(dir, DATA_SET_FILES.metricsCsv));
      this.header(this.metricOut, [...METRIC_CSV_KEY_COLUMNS, ...m.metricNames]);
    }
  }

  /** The services that record no spans (for the report and tests). */
  uninstrumentedServices(): string[] {
    return this.m.services.filter((_, s) => this.m.serviceKind[s] !== SERVICE_KIND.client && !this.instrumented[s]);
  }

  private header(out: TextOut, columns: readonly string[]): void {
    out.b.bytes(utf8(columns.join(',') + '\n'));
  }

  /** Whether head sampling keeps the transaction (one decision per trace, from the seed). */
  private sampled(txSeq: number, dcn: number): boolean {
    return this.sampling >= 1 || mix32(mix32(this.sampleSalt, dcn), txSeq) / 4294967296 < this.sampling;
  }

  // --- ids ---------------------------------------------------------------------------------

  private bizSeqNo(b: ByteBuilder, txSeq: number, dcn: number): void {
    b.bytes(BZ);
    b.padded(dcn + 1, 2);
    b.padded(txSeq, 16);
  }

  /** Trace id: the bizSeqNo, or for OTLP its 18 digits left-padded to 32 hex characters. */
  private traceId(b: ByteBuilder, txSeq: number, dcn: number): void {
    if (this.ids === 'otlp') {
      b.bytes(ZEROS14);
      b.padded(dcn + 1, 2);
      b.padded(txSeq, 16);
    } else this.bizSeqNo(b, txSeq, dcn);
  }

  /** Span id of a call's client or server span: `<uniqueId>-c|-s`, or 16 hex characters for OTLP. */
  private spanId(b: ByteBuilder, txSeq: number, dcn: number, call: number, kind: number): void {
    if (this.ids === 'otlp') {
      b.hex8(mix32(mix32(txSeq, dcn), 0x7f4a7c15));
      b.hex8(call * 2 + kind);
      return;
    }
    this.bizSeqNo(b, txSeq, dcn);
    b.byte(45);
    b.padded(call, 4);
    b.byte(45);
    b.byte(kind === 0 ? 99 : 115); // 'c' | 's'
  }

  // --- spans -------------------------------------------------------------------------------

  /** Whether the caller records a client span and the callee a server span. */
  private recorded(b: CallBatch, i: number): { client: boolean; server: boolean } {
    const m = this.m;
    const callerSvc = m.instanceService[b.caller[i]!]!;
    return {
      client: this.instrumented[callerSvc] === 1,
      server: this.instrumented[b.service[i]!] === 1 && !Number.isNaN(b.serverStart[i]!),
    };
  }

  private spansCsv(b: CallBatch): void {
    const out = this.spanOut!;
    const w = out.b;
    const m = this.m;
    for (let i = 0; i < b.length; i++) {
      const tx = b.txSeq[i]!;
      const dcn = b.dcn[i]!;
      if (!this.sampled(tx, dcn)) continue;
      const { client, server } = this.recorded(b, i);
      const call = b.call[i]!;
      const op = b.operation[i]! >= 0 ? this.names.named[b.operation[i]!]! : this.names.operation[b.service[i]!]![b.txType[i]!]!;
      const callerIsClientApp = m.serviceKind[m.instanceService[b.caller[i]!]!] === SERVICE_KIND.client;
      for (let kind = 0; kind < 2; kind++) {
        if (kind === 0 ? !client : !server) continue;
        const inst = kind === 0 ? b.caller[i]! : b.callee[i]!;
        const skew = this.skewMs[inst]!;
        this.traceId(w, tx, dcn);
        w.byte(44);
        this.spanId(w, tx, dcn, call, kind);
        w.byte(44);
        if (kind === 0) {
          if (b.parentCall[i]! > 0) this.spanId(w, tx, dcn, b.parentCall[i]!, 1);
        } else if (!callerIsClientApp) this.spanId(w, tx, dcn, call, 0);
        w.byte(44);
        w.bytes(this.names.service[m.instanceService[inst]!]!);
        w.byte(44);
        w.bytes(this.names.instance[inst]!);
        w.byte(44);
        w.bytes(op);
        w.byte(44);
        writeNanos(w, (kind === 0 ? b.clientStart[i]! : b.serverStart[i]!) + skew);
        w.byte(44);
        writeNanos(w, (kind === 0 ? b.clientEnd[i]! : b.serverEnd[i]!) + skew);
        w.byte(44);
        if (this.status) w.bytes(STATUS_TEXT[kind === 0 ? b.clientStatus[i]! : b.serverStatus[i]!]!);
        w.byte(44);
        if (this.kind) w.bytes(KIND_TEXT[kind]!);
        w.byte(10);
      }
      out.maybeFlush();
    }
  }

  /**
   * OTLP/JSON as the OpenTelemetry collector's file exporter writes it: one ExportTraceServiceRequest
   * per line, spans grouped by resource (service.name, service.instance.id, host.name). Span kind
   * 2 (SERVER) or 3 (CLIENT), 0 (unspecified) where the scenario's spans record none; status code 1 (OK) or 2 (ERROR), a business failure being OK with
   * attribute bus.ret_class=business; times as decimal strings of unix nanoseconds.
   */
  private spansOtlp(b: CallBatch): void {
    const m = this.m;
    const byInstance = new Map<number, string[]>();
    const w = new ByteBuilder(256);
    const text = (f: () => void) => {
      w.clear();
      f();
      return Buffer.from(w.view()).toString('latin1');
    };
    for (let i = 0; i < b.length; i++) {
      const tx = b.txSeq[i]!;
      const dcn = b.dcn[i]!;
      if (!this.sampled(tx, dcn)) continue;
      const { client, server } = this.recorded(b, i);
      const call = b.call[i]!;
      const svc = b.service[i]!;
      const traceId = text(() => this.traceId(w, tx, dcn));
      const callerIsClientApp = m.serviceKind[m.instanceService[b.caller[i]!]!] === SERVICE_KIND.client;
      const biz = text(() => this.bizSeqNo(w, tx, dcn));
      const uid = `${biz}-${String(call).padStart(4, '0')}`;
      for (let kind = 0; kind < 2; kind++) {
        if (kind === 0 ? !client : !server) continue;
        const inst = kind === 0 ? b.caller[i]! : b.callee[i]!;
        const skew = this.skewMs[inst]!;
        const parent = kind === 0 ? (b.parentCall[i]! > 0 ? text(() => this.spanId(w, tx, dcn, b.parentCall[i]!, 1)) : '') : callerIsClientApp ? '' : text(() => this.spanId(w, tx, dcn, call, 0));
        const status = kind === 0 ? b.clientStatus[i]! : b.serverStatus[i]!;
        const attrs = [
          attr('messaging.system', 'wemq'),
          attr('messaging.destination.name', m.serviceTopic[svc]!),
          attr('bus.biz_seq_no', biz),
          attr('bus.unique_id', uid),
          attr('bus.tx_type', m.txTypes[b.txType[i]!]!.name),
          ...(kind === 0 ? [attr('peer.service', m.services[svc]!)] : []),
          ...(this.status ? [attr('bus.ret_class', RET_CLASSES[status]!)] : []),
        ];
        const span =
          `{"traceId":"${traceId}","spanId":"${text(() => this.spanId(w, tx, dcn, call, kind))}"` +
          (parent ? `,"parentSpanId":"${parent}"` : '') +
          `,"name":${b.operation[i]! >= 0 ? JSON.stringify(m.operations[b.operation[i]!]) : `"${m.serviceTopic[svc]}/${m.txTypes[b.txType[i]!]!.name}"`},"kind":${this.kind ? (kind === 0 ? 3 : 2) : 0}` +
          `,"startTimeUnixNano":"${text(() => writeNanos(w, (kind === 0 ? b.clientStart[i]! : b.serverStart[i]!) + skew))}"` +
          `,"endTimeUnixNano":"${text(() => writeNanos(w, (kind === 0 ? b.clientEnd[i]! : b.serverEnd[i]!) + skew))}"` +
          `,"attributes":[${attrs.join(',')}]` +
          (this.status ? `,"status":{"code":${status === SPAN_STATUS.system ? 2 : 1}}` : '') +
          '}';
        let list = byInstance.get(inst);
        if (!list) byInstance.set(inst, (list = []));
        list.push(span);
      }
    }
    if (byInstance.size === 0) return;
    const resources = [...byInstance.entries()]
      .sort(([a], [c]) => a - c)
      .map(([inst, spans]) => {
        const resource = `{"attributes":[${attr('service.name', m.services[m.instanceService[inst]!]!)},${attr('service.instance.id', m.instances[inst]!)},${attr('host.name', m.instanceIp[inst]!)}]}`;
        return `{"resource":${resource},"scopeSpans":[{"scope":{"name":"com.webank.defibus.tracing","version":"1.0.0"},"spans":[${spans.join(',')}]}]}`;
      });
    const out = this.spanOut!;
    out.b.bytes(utf8(`{"resourceSpans":[${resources.join(',')}]}\n`));
    out.maybeFlush();
  }

  // --- logs and metrics --------------------------------------------------------------------

  /** A batch of log lines as log CSV rows: the writing host's clock, ids matching the span export. */
  readonly onLogs = (b: LogLineBatch): void => {
    const out = this.logOut;
    if (!out) return;
    const w = out.b;
    for (let i = 0; i < b.length; i++) {
      const inst = b.instance[i]!;
      w.int(b.time[i]! + this.skewMs[inst]!);
      w.byte(44);
      w.bytes(this.names.service[b.service[i]!]!);
      w.byte(44);
      w.bytes(this.names.instance[inst]!);
      w.byte(44);
      const tx = b.txSeq[i]!;
      if (tx >= 0) {
        this.traceId(w, tx, b.dcn[i]!);
        w.byte(44);
        if (this.ids === 'bank') w.range(b.uniqueId.bytes, b.uniqueId.offsets[i]!, b.uniqueId.offsets[i + 1]!);
        else this.spanId(w, tx, b.dcn[i]!, b.call[i]!, b.side[i] === SIDE.caller ? 0 : 1);
      } else w.byte(44);
      w.byte(44);
      w.bytes(LEVEL_TEXT[b.level[i]!]!);
      w.byte(44);
      quoted(w, b.message.bytes, b.message.offsets[i]!, b.message.offsets[i + 1]!);
      w.byte(10);
      out.maybeFlush();
    }
  };

  /** A batch of metric rows as wide metric CSV rows (the scraper's clock: no skew); NaN is an empty cell. */
  readonly onMetrics = (b: MetricRowBatch): void => {
    const out = this.metricOut;
    if (!out) return;
    const w = out.b;
    for (let i = 0; i < b.length; i++) {
      w.int(b.time[i]!);
      w.byte(44);
      w.bytes(this.names.service[b.service[i]!]!);
      w.byte(44);
      w.bytes(this.names.instance[b.instance[i]!]!);
      for (const n of b.names) {
        w.byte(44);
        const v = b.values[n][i]!;
        if (!Number.isNaN(v)) w.bytes(utf8(String(Math.round(v * 1000) / 1000)));
      }
      w.byte(10);
      out.maybeFlush();
    }
  };

  /** Flush everything and rename the files into place; their sizes and digests by file name. */
  close(): Record<string, { bytes: number; sha256: string }> {
    this.calls?.flush();
    const files: Record<string, { bytes: number; sha256: string }> = {};
    if (this.spanOut) files[this.opts.spans === 'csv' ? DATA_SET_FILES.spansCsv : DATA_SET_FILES.spansOtlp] = this.spanOut.close();
    if (this.logOut) files[DATA_SET_FILES.logsCsv] = this.logOut.close();
    if (this.metricOut) files[DATA_SET_FILES.metricsCsv] = this.metricOut.close();
    return files;
  }

  abort(): void {
    for (const out of [this.spanOut, this.logOut, this.metricOut]) out?.abort();
  }
}

const BZ = utf8('BZ');
const ZEROS14 = utf8('00000000000000');
const LEVEL_TEXT = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].map(utf8);

/** Unix ms (fractional) as exact decimal unix nanoseconds, without going through a 2^53-limited double. */
function writeNanos(w: ByteBuilder, ms: number): void {
  let whole = Math.floor(ms);
  let frac = Math.round((ms - whole) * 1e6);
  if (frac >= 1e6) {
    whole += 1;
    frac -= 1e6;
  }
  w.uint(whole);
  w.padded(frac, 6);
}

/** An RFC 4180 quoted field: the bytes in double quotes, quotes doubled; line breaks kept. */
function quoted(w: ByteBuilder, bytes: Uint8Array, from: number, to: number): void {
  w.ensure(2 * (to - from) + 2);
  const buf = w.buf;
  let n = w.n;
  buf[n++] = 34;
  for (let k = from; k < to; k++) {
    const c = bytes[k]!;
    buf[n++] = c;
    if (c === 34) buf[n++] = 34;
  }
  buf[n++] = 34;
  w.n = n;
}

function attr(key: string, value: string): string {
  return `{"key":"${key}","value":{"stringValue":${JSON.stringify(value)}}}`;
}

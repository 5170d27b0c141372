/**
 * Zipkin v2 JSON (what /api/v2/spans accepts and /api/v2/trace returns): a top-level array of
 * spans, or of traces (arrays of spans) as /api/v2/traces returns. A span names its service in
 * localEndpoint, its callee in remoteEndpoint, its kind (CLIENT, SERVER, PRODUCER, CONSUMER), and
 * times in microseconds; an `error` tag marks a failure. A server span may share its client span's
 * id (`shared`), which the assembler links as the client's child before folding the two.
 */
import { utf8 } from '../common/bytes.js';
import { JSON_ARRAY, JSON_NULL, JSON_NUMBER, JSON_OBJECT, JSON_STRING, ROOT, SKIP } from '../common/json-stream.js';
import { A_ERROR, ATTRIBUTE_NAMES, F_EXTRA, F_NAME, F_PARENT, F_SERVICE, F_SPAN, F_TRACE, PEER_ATTRIBUTES, SpanJsonHandler, typeName } from './span-json.js';
import { spanKindOf } from './span-assembly.js';
import { SPAN_STATUS } from './types.js';

const STRUCTURE = ['traceId', 'id', 'parentId', 'name', 'kind', 'timestamp', 'duration', 'localEndpoint', 'remoteEndpoint', 'serviceName', 'ipv4', 'ipv6', 'port', 'tags'] as const;
/** The keys a Zipkin reader tells apart: the span's own, then tag names (attribute ids offset by STRUCTURE.length). */
export const ZIPKIN_KEYS: readonly string[] = [...STRUCTURE, ...ATTRIBUTE_NAMES];
const K = Object.fromEntries(STRUCTURE.map((k, i) => [k, i])) as { [k in (typeof STRUCTURE)[number]]: number };

// Contexts; those inside a span, Z_SPAN to Z_TAGS, run in a row (inSpan)
const Z_SPANS = 1;
const Z_TRACE = 2;
const Z_SPAN = 3;
const Z_LOCAL = 4;
const Z_REMOTE = 5;
const Z_TAGS = 6;

const F_IP = F_EXTRA;
const F_PORT = F_EXTRA + 1;
const F_REMOTE_IP = F_EXTRA + 2;

/** The remote endpoint's service name outranks every peer tag; its address ranks after them. */
const REMOTE_SERVICE_RANK = -1;
const REMOTE_ADDRESS_RANK = PEER_ATTRIBUTES.length;

export class ZipkinHandler extends SpanJsonHandler {
  readonly shape = 'Zipkin v2 JSON ([spans] or [[spans]])';
  private index = -1;
  private traceIndex = -1;
  private nested = false;
  private readonly instanceBytes = Buffer.alloc(64 + 6);

  open(context: number, key: number, type: number, line: number): number {
    switch (context) {
      case ROOT:
        this.index = -1;
        this.traceIndex = -1;
        if (type === JSON_ARRAY) return Z_SPANS;
        this.rootScalar = type;
        return SKIP;
      case Z_SPANS:
        if (type === JSON_ARRAY) {
          this.nested = true;
          this.traceIndex++;
          this.index = -1;
          return Z_TRACE;
        }
        return this.spanOpens(type, line);
      case Z_TRACE:
        return this.spanOpens(type, line);
      case Z_SPAN:
        if (key === K.localEndpoint && type === JSON_OBJECT) return Z_LOCAL;
        if (key === K.remoteEndpoint && type === JSON_OBJECT) return Z_REMOTE;
        if (key === K.tags && type === JSON_OBJECT) return Z_TAGS;
        if (key === K.traceId || key === K.id || key === K.parentId || key === K.name || key === K.kind || key === K.timestamp || key === K.duration) {
          this.flag(`${STRUCTURE[key]} is ${typeName(type)}`);
        }
        return SKIP;
      default:
        return SKIP;
    }
  }

  private spanOpens(type: number, line: number): number {
    this.index++;
    if (type !== JSON_OBJECT) {
      this.badRows.report(this.file, this.place(this.path(), line), 'not an object');
      return SKIP;
    }
    this.beginSpan(line);
    return Z_SPAN;
  }

  protected inSpan(context: number): boolean {
    return context >= Z_SPAN && context <= Z_TAGS;
  }

  private path(): string {
    return this.nested ? `[${this.traceIndex}][${this.index}]` : `[${this.index}]`;
  }

  value(context: number, key: number, type: number, b: Uint8Array, start: number, end: number): void {
    switch (context) {
      case ROOT:
        this.rootScalar = type;
        return;
      case Z_SPAN:
        switch (key) {
          case K.traceId:
            return this.text(F_TRACE, 'traceId', type, b, start, end);
          case K.id:
            return this.text(F_SPAN, 'id', type, b, start, end);
          case K.parentId:
            return this.text(F_PARENT, 'parentId', type, b, start, end);
          case K.name:
            return this.text(F_NAME, 'name', type, b, start, end);
          case K.kind: {
            const k = type === JSON_STRING ? spanKindOf(b, start, end) : -1;
            if (k >= 0) this.kind = k;
            else this.flag(`kind is ${type === JSON_STRING ? `'${utf8(b, start, end)}'` : typeName(type)}, not CLIENT, SERVER, PRODUCER or CONSUMER`);
            return;
          }
          case K.timestamp:
            this.startMs = this.number('timestamp', type, b, start, end) / 1000;
            return;
          case K.duration:
            // Held in endMs until the span closes.
            this.endMs = this.number('duration', type, b, start, end) / 1000;
            return;
        }
        return;
      case Z_LOCAL:
        if (key === K.serviceName) this.text(F_SERVICE, 'localEndpoint.serviceName', type, b, start, end);
        else if ((key === K.ipv4 || (key === K.ipv6 && !this.fields.has(F_IP))) && type === JSON_STRING) this.fields.set(F_IP, b, start, end);
        else if (key === K.port && type === JSON_NUMBER) this.fields.set(F_PORT, b, start, end);
        return;
      case Z_REMOTE:
        if (key === K.serviceName && type === JSON_STRING && end > start) this.peer(REMOTE_SERVICE_RANK, b, start, end);
        else if ((key === K.ipv4 || key === K.ipv6) && type === JSON_STRING && !this.fields.has(F_REMOTE_IP)) this.fields.set(F_REMOTE_IP, b, start, end);
        return;
      case Z_TAGS:
        // Zipkin marks a failed span with an `error` tag whatever its value (the message).
        if (key - STRUCTURE.length === A_ERROR && type !== JSON_NULL) this.statedStatus = SPAN_STATUS.system;
        else if (key >= STRUCTURE.length) this.spanAttribute(key - STRUCTURE.length, type, b, start, end);
        return;
    }
  }

  close(context: number): void {
    if (context === Z_SPAN) this.endSpan();
  }

  private endSpan(): void {
    const f = this.fields;
    const durationMs = this.endMs;
    const problem =
      this.problem ||
      (!f.has(F_TRACE) || f.end[F_TRACE] === f.start[F_TRACE]
        ? 'traceId missing'
        : !f.has(F_SPAN) || f.end[F_SPAN] === f.start[F_SPAN]
          ? 'id missing'
          : !f.has(F_SERVICE) || f.end[F_SERVICE] === f.start[F_SERVICE]
            ? 'localEndpoint.serviceName missing'
            : Number.isNaN(this.startMs)
              ? 'timestamp (microseconds) missing or not a number'
              : Number.isNaN(durationMs)
                ? 'duration (microseconds) missing: the span never finished'
                : durationMs < 0
                  ? 'duration is negative'
                  : this.timeProblem('timestamp', this.startMs, 'us') || this.timeProblem('timestamp + duration', this.startMs + durationMs, 'us'));
    if (problem) {
      this.badRows.report(this.file, this.place(this.path()), problem);
      return;
    }
    this.endMs = this.startMs + durationMs;
    if (f.has(F_REMOTE_IP)) this.peer(REMOTE_ADDRESS_RANK, f.bytes, f.start[F_REMOTE_IP], f.end[F_REMOTE_IP]);
    if (!this.assembler.keeps(this.startMs)) return;
    const d = this.assembler.dict;
    const service = d.intern(f.bytes, f.start[F_SERVICE], f.end[F_SERVICE]);
    this.add(service, f.has(F_IP) ? this.instanceCode() : service);
  }

  /** The instance as `ip` or `ip:port`, interned from bytes. */
  private instanceCode(): number {
    const f = this.fields;
    const b = this.instanceBytes;
    const ip = Math.min(f.end[F_IP] - f.start[F_IP], 64);
    for (let k = 0; k < ip; k++) b[k] = f.bytes[f.start[F_IP] + k];
    let n = ip;
    if (f.has(F_PORT)) {
      const port = Math.min(f.end[F_PORT] - f.start[F_PORT], 5);
      b[n++] = 58;
      for (let k = 0; k < port; k++) b[n++] = f.bytes[f.start[F_PORT] + k];
    }
    return this.assembler.dict.intern(b, 0, n);
  }
}

/**
 * What the streamed span JSON formats (OTLP and Jaeger in trace-json.ts, Zipkin in zipkin.ts) share:
 * one span's fields held as bytes until its object closes, the attributes (tags) that matter, and
 * the hand-over of a complete span to the SpanAssembler (window check first, then interning).
 */
import type { BadRows } from '../common/bad-rows.js';
import { ByteFields, bytesEqual, latin1, parseDecimal, utf8 } from '../common/bytes.js';
import { instantProblem, type NumericTimeUnit } from '../common/instant.js';
import { JSON_ARRAY, JSON_NULL, JSON_NUMBER, JSON_OBJECT, JSON_STRING, JSON_TRUE, type JsonHandler } from '../common/json-stream.js';
import { StringDictionary } from '../common/string-dictionary.js';
import { NOT_UTF8 } from '../common/text-lines.js';
import { SPAN_KIND, spanKindOf, statusOfHttpCode, type SpanAssembler } from './span-assembly.js';
import { SPAN_STATUS } from './types.js';

/** Attributes (OTLP) or tags (Jaeger, Zipkin) naming the callee of a client span, most specific first. */
export const PEER_ATTRIBUTES = ['peer.service', 'server.address', 'net.peer.name', 'peer.hostname', 'network.peer.address', 'net.sock.peer.addr', 'net.peer.ip', 'peer.address', 'peer.ipv4'];
/** Resource attributes (OTLP) or process tags (Jaeger) naming the instance, most specific first. */
export const INSTANCE_ATTRIBUTES = ['k8s.pod.name', 'service.instance.id', 'pod.name', 'hostname', 'host.name', 'ip'];
const ROLE_ATTRIBUTES = ['service.name', 'http.response.status_code', 'http.status_code', 'error', 'otel.status_code', 'span.kind'];
/** Every attribute name a span reader looks at; an attribute's id is its index here. */
export const ATTRIBUTE_NAMES: readonly string[] = [...ROLE_ATTRIBUTES, ...INSTANCE_ATTRIBUTES, ...PEER_ATTRIBUTES];
export const A_SERVICE_NAME = 0;
const A_HTTP_STATUS = 1;
const A_HTTP_STATUS_OLD = 2;
export const A_ERROR = 3;
const A_OTEL_STATUS = 4;
const A_SPAN_KIND = 5;
const A_INSTANCE = ROLE_ATTRIBUTES.length;
const A_PEER = A_INSTANCE + INSTANCE_ATTRIBUTES.length;

/** A span's text fields, held as bytes. */
export const F_TRACE = 0;
export const F_SPAN = 1;
export const F_PARENT = 2;
export const F_NAME = 3;
export const F_SERVICE = 4;
export const F_INSTANCE = 5;
export const F_PEER = 6;
/** Free for a format's own use. */
export const F_EXTRA = 7;
const FIELDS = 10;

const TYPE_NAMES = ['', 'text', 'a number', 'true', 'false', 'null', 'an object', 'an array'];

/** How a JSON value's type reads in an error. */
export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? 'a value';
}

/** The order the attribute name dictionary gives: find(bytes) is the attribute id. */
const attributeDictionary = (): StringDictionary => {
  const d = new StringDictionary();
  for (const name of ATTRIBUTE_NAMES) d.internString(name);
  return d;
};

/** The value of the attribute (tag) being read: its name's id and its value, held until it closes. */
export class AttributeCapture {
  private readonly names = attributeDictionary();
  id = -1;
  type = 0;
  readonly value = new ByteFields(1);

  begin(): void {
    this.id = -1;
    this.type = 0;
    this.value.clear();
  }

  name(b: Uint8Array, start: number, end: number): void {
    this.id = this.names.find(b, start, end);
  }

  set(type: number, b: Uint8Array, start: number, end: number): void {
    this.type = type;
    this.value.set(0, b, start, end);
  }
}

/**
 * Base of the span JSON handlers: the span being read, its attributes, its problems, and its
 * hand-over to the assembler.
 */
export abstract class SpanJsonHandler implements JsonHandler {
  readonly fields = new ByteFields(FIELDS);
  readonly attribute = new AttributeCapture();
  /** Unix ms; NaN until read. */
  startMs = NaN;
  endMs = NaN;
  kind: number = SPAN_KIND.unspecified;
  /** A status the span states outright (OTLP status, an error tag), -1 when none. */
  statedStatus = -1;
  httpStatus = NaN;
  /** Rank (index in PEER_ATTRIBUTES, lower is better) of the peer held in F_PEER. */
  peerRank = Infinity;
  /** The first thing wrong with the span's values ('' when nothing). */
  problem = '';
  /** Line the span's object opens on. */
  spanLine = 0;

  constructor(
    protected readonly assembler: SpanAssembler,
    protected readonly file: string,
    protected readonly badRows: BadRows,
  ) {}

  /** The code of the empty operation name, for spans without one. */
  private noName = -1;

  /** What a document of the format looks like, for an error. */
  abstract readonly shape: string;
  /** The type of a top-level value of the wrong shape, reported when its document ends. */
  protected rootScalar = 0;

  abstract open(context: number, key: number, type: typeof JSON_OBJECT | typeof JSON_ARRAY, line: number): number;
  abstract close(context: number): void;
  abstract value(context: number, key: number, type: number, bytes: Uint8Array, start: number, end: number): void;
  abortDocument(): void {}
  /** Whether a context lies inside a span's object (the span's own, its attributes, ...). */
  protected abstract inSpan(context: number): boolean;

  /** A string inside a span that is not UTF-8 makes the span a bad row; the rest of the document is read. */
  notUtf8(context: number, line: number): boolean {
    if (!this.inSpan(context)) return false;
    this.flag(line === this.spanLine ? NOT_UTF8 : `${NOT_UTF8} (a string on line ${line})`);
    return true;
  }

  endDocument(line: number): void {
    if (!this.rootScalar) return;
    const type = this.rootScalar;
    this.rootScalar = 0;
    this.badRows.report(this.file, `line ${line}`, `not ${this.shape}: ${typeName(type)}`);
  }

  beginSpan(line: number): void {
    this.fields.clear();
    this.startMs = NaN;
    this.endMs = NaN;
    this.kind = SPAN_KIND.unspecified;
    this.statedStatus = -1;
    this.httpStatus = NaN;
    this.peerRank = Infinity;
    this.problem = '';
    this.spanLine = line;
  }

  /** Note a problem with the span; the first one is what gets reported. */
  flag(problem: string): void {
    if (!this.problem) this.problem = problem;
  }

  /** A text field: kept when it is a string, else flagged as the wrong type. */
  text(field: number, name: string, type: number, b: Uint8Array, start: number, end: number): void {
    if (type === JSON_STRING) this.fields.set(field, b, start, end);
    else if (type !== JSON_NULL) this.flag(`${name} is ${typeName(type)}, not text`);
  }

  /** A number field (a JSON number, or a string holding one); NaN and a flag when it is neither. */
  number(name: string, type: number, b: Uint8Array, start: number, end: number): number {
    const v = type === JSON_NUMBER || type === JSON_STRING ? parseDecimal(b, start, end) : NaN;
    if (Number.isNaN(v) && type !== JSON_NULL) this.flag(`${name} is ${type === JSON_STRING ? `'${utf8(b, start, end)}'` : typeName(type)}, not a number`);
    return v;
  }

  /** The problem with a span's time in `unit` ('' when none). */
  timeProblem(name: string, ms: number, unit: NumericTimeUnit): string {
    if (Number.isNaN(ms)) return `${name} missing or not a number`;
    const p = instantProblem(ms, unit);
    return p ? `${name}: ${p}` : '';
  }

  /** Take the value of a span attribute (tag) that matters: status, kind, peer. */
  spanAttribute(id: number, type: number, b: Uint8Array, start: number, end: number): void {
    if (id < 0) return;
    if (id === A_HTTP_STATUS || (id === A_HTTP_STATUS_OLD && Number.isNaN(this.httpStatus))) {
      const code = type === JSON_NUMBER || type === JSON_STRING ? parseDecimal(b, start, end) : NaN;
      if (Number.isFinite(code)) this.httpStatus = code;
    } else if (id === A_ERROR) {
      if (type === JSON_TRUE || (type === JSON_STRING && bytesEqual(b, start, end, 'true', true))) this.statedStatus = SPAN_STATUS.system;
    } else if (id === A_OTEL_STATUS && type === JSON_STRING && this.statedStatus < 0) {
      const s = latin1(b, start, end);
      if (s === 'ERROR') this.statedStatus = SPAN_STATUS.system;
      else if (s === 'OK') this.statedStatus = SPAN_STATUS.ok;
    } else if (id === A_SPAN_KIND && type === JSON_STRING) {
      const k = spanKindOf(b, start, end);
      if (k >= 0) this.kind = k;
    } else if (id >= A_PEER && type === JSON_STRING && end > start) {
      this.peer(id - A_PEER, b, start, end);
    }
  }

  /** A peer name of the given rank (0 best); kept when it beats the one held. */
  peer(rank: number, b: Uint8Array, start: number, end: number): void {
    if (rank < this.peerRank) {
      this.peerRank = rank;
      this.fields.set(F_PEER, b, start, end);
    }
  }

  /**
   * The span's status: what it states, else what its HTTP status says (5xx a system failure, 4xx
   * a business one), else ok: these formats mark failures explicitly, so an unmarked span is ok.
   */
  status(): number {
    if (this.statedStatus >= 0) return this.statedStatus;
    const code = this.httpStatus;
    if (Number.isFinite(code)) return statusOfHttpCode(code);
    return SPAN_STATUS.ok;
  }

  /**
   * Hand the span to the assembler unless it starts outside the keep windows; service and instance
   * are codes, or -1 when the format names them later (the caller fills them in). Returns the row,
   * -1 when dropped.
   */
  keep(service: number, instance: number): number {
    return this.assembler.keeps(this.startMs) ? this.add(service, instance) : -1;
  }

  /** Add the span (already past the window check) as a row; returns the row. */
  add(service: number, instance: number): number {
    const a = this.assembler;
    const f = this.fields;
    const d = a.dict;
    const bytes = f.bytes;
    const r = a.next();
    a.trace[r] = d.intern(bytes, f.start[F_TRACE], f.end[F_TRACE]);
    const root = !f.has(F_PARENT) || f.end[F_PARENT] === f.start[F_PARENT];
    a.setIds(r, bytes, f.start[F_SPAN], f.end[F_SPAN], root ? -1 : f.start[F_PARENT], f.end[F_PARENT]);
    if (this.noName < 0) this.noName = d.internString('');
    a.operation[r] = f.has(F_NAME) ? d.intern(bytes, f.start[F_NAME], f.end[F_NAME]) : this.noName;
    a.service[r] = service;
    a.instance[r] = instance;
    a.start[r] = this.startMs;
    a.end[r] = this.endMs;
    a.status[r] = this.status();
    a.kind[r] = this.kind;
    if (this.kind === SPAN_KIND.client && f.has(F_PEER)) a.peer[r] = d.intern(bytes, f.start[F_PEER], f.end[F_PEER]);
    a.commit();
    return r;
  }

  /** An instance attribute's rank (lower is better), -1 when the attribute does not name an instance. */
  static instanceRank(id: number): number {
    return id >= A_INSTANCE && id < A_PEER ? id - A_INSTANCE : -1;
  }

  /** Place of a bad row: the line its object starts on, then its path in the document. */
  place(path: string, line = this.spanLine): string {
    return `line ${line} ${path}`;
  }
}

/**
 * Span exports in JSON, streamed: OpenTelemetry OTLP/JSON (`{"resourceSpans": [...]}`, one document
 * per file or one per line as the collector's file exporter writes), Jaeger (the UI's "Download
 * JSON" and the query API: `{"data": [trace...]}` or `[trace...]`) and Zipkin v2 (zipkin.ts). The
 * format is told by the first key; all reduce to a SpanTable through the SpanAssembler, client and
 * server spans folded into calls.
 */
import { BadRows, ImportError } from '../common/bad-rows.js';
import { bytesEqual, latin1, parseDecimal, utf8 } from '../common/bytes.js';
import { parseNanosAsMs } from '../common/instant.js';
import { JSON_ARRAY, JSON_NUMBER, JSON_OBJECT, JSON_STRING, JsonStream, ROOT, SKIP } from '../common/json-stream.js';
import { StringDictionary } from '../common/string-dictionary.js';
import { readByteChunks } from '../common/text-lines.js';
import { SpanAssembler, spanKindOf, type SpanAssemblyOptions } from './span-assembly.js';
import { A_SERVICE_NAME, AttributeCapture, F_EXTRA, F_INSTANCE, F_NAME, F_PARENT, F_SERVICE, F_SPAN, F_TRACE, SpanJsonHandler, typeName } from './span-json.js';
import { SPAN_STATUS, type SpanTable } from './types.js';
import { ZIPKIN_KEYS, ZipkinHandler } from './zipkin.js';

export type TraceJsonFormat = 'otlp' | 'jaeger' | 'zipkin';

/** Index of each key in a key list, for a handler's switch. */
function keyIndex<const K extends readonly string[]>(keys: K): { [k in K[number]]: number } {
  return Object.fromEntries(keys.map((k, i) => [k, i])) as { [k in K[number]]: number };
}

const OTLP_KEYS = [
  'resourceSpans', 'resource', 'attributes', 'key', 'value', 'stringValue', 'intValue', 'boolValue', 'doubleValue',
  'scopeSpans', 'instrumentationLibrarySpans', 'spans', 'traceId', 'spanId', 'parentSpanId', 'name', 'kind',
  'startTimeUnixNano', 'endTimeUnixNano', 'status', 'code',
] as const;
const OK = keyIndex(OTLP_KEYS);

// OTLP contexts; those inside a span, O_SPAN to O_SPAN_ATTR_VALUE, run in a row (inSpan)
const O_DOC = 1;
const O_RESOURCE_SPANS = 2;
const O_RS = 3;
const O_RESOURCE = 4;
const O_RESOURCE_ATTRS = 5;
const O_RESOURCE_ATTR = 6;
const O_RESOURCE_ATTR_VALUE = 7;
const O_SCOPES = 8;
const O_SCOPE = 9;
const O_SPANS = 10;
const O_SPAN = 11;
const O_STATUS = 12;
const O_SPAN_ATTRS = 13;
const O_SPAN_ATTR = 14;
const O_SPAN_ATTR_VALUE = 15;

/** OTLP/JSON: resources, their scopes, their spans. */
class OtlpHandler extends SpanJsonHandler {
  readonly shape = 'an OTLP document ({"resourceSpans": [...]})';
  private rs = -1;
  private scope = -1;
  private spanIndex = -1;
  private docLine = 0;
  private rsFirstRow = 0;
  private resourceService = -1;
  private resourceInstance = -1;
  private instanceRank = Infinity;
  private readonly resourceAttribute = new AttributeCapture();

  open(context: number, key: number, type: number, line: number): number {
    switch (context) {
      case ROOT:
        this.rs = -1;
        this.docLine = line;
        if (type === JSON_OBJECT) return O_DOC;
        this.rootScalar = type;
        return SKIP;
      case O_DOC:
        return key === OK.resourceSpans && type === JSON_ARRAY ? O_RESOURCE_SPANS : SKIP;
      case O_RESOURCE_SPANS:
        this.rs++;
        if (type !== JSON_OBJECT) return this.notObject(`resourceSpans[${this.rs}]`, line);
        this.scope = -1;
        this.rsFirstRow = this.assembler.length;
        this.resourceService = -1;
        this.resourceInstance = -1;
        this.instanceRank = Infinity;
        return O_RS;
      case O_RS:
        if (key === OK.resource && type === JSON_OBJECT) return O_RESOURCE;
        if ((key === OK.scopeSpans || key === OK.instrumentationLibrarySpans) && type === JSON_ARRAY) return O_SCOPES;
        return SKIP;
      case O_RESOURCE:
        return key === OK.attributes && type === JSON_ARRAY ? O_RESOURCE_ATTRS : SKIP;
      case O_RESOURCE_ATTRS:
        if (type !== JSON_OBJECT) return SKIP;
        this.resourceAttribute.begin();
        return O_RESOURCE_ATTR;
      case O_RESOURCE_ATTR:
        return key === OK.value && type === JSON_OBJECT ? O_RESOURCE_ATTR_VALUE : SKIP;
      case O_SCOPES:
        if (type !== JSON_OBJECT) return SKIP;
        this.scope++;
        this.spanIndex = -1;
        return O_SCOPE;
      case O_SCOPE:
        return key === OK.spans && type === JSON_ARRAY ? O_SPANS : SKIP;
      case O_SPANS:
        this.spanIndex++;
        if (type !== JSON_OBJECT) return this.notObject(this.spanPath(), line);
        this.beginSpan(line);
        return O_SPAN;
      case O_SPAN:
        if (key === OK.status && type === JSON_OBJECT) return O_STATUS;
        if (key === OK.attributes && type === JSON_ARRAY) return O_SPAN_ATTRS;
        if (key === OK.traceId || key === OK.spanId || key === OK.parentSpanId || key === OK.name || key === OK.startTimeUnixNano || key === OK.endTimeUnixNano || key === OK.kind) {
          this.flag(`${OTLP_KEYS[key]} is ${typeName(type)}`);
        }
        return SKIP;
      case O_SPAN_ATTRS:
        if (type !== JSON_OBJECT) return SKIP;
        this.attribute.begin();
        return O_SPAN_ATTR;
      case O_SPAN_ATTR:
        return key === OK.value && type === JSON_OBJECT ? O_SPAN_ATTR_VALUE : SKIP;
      default:
        return SKIP;
    }
  }

  value(context: number, key: number, type: number, b: Uint8Array, start: number, end: number): void {
    switch (context) {
      case ROOT:
        this.rootScalar = type;
        return;
      case O_SPAN:
        switch (key) {
          case OK.traceId:
            return this.text(F_TRACE, 'traceId', type, b, start, end);
          case OK.spanId:
            return this.text(F_SPAN, 'spanId', type, b, start, end);
          case OK.parentSpanId:
            return this.text(F_PARENT, 'parentSpanId', type, b, start, end);
          case OK.name:
            return this.text(F_NAME, 'name', type, b, start, end);
          case OK.kind: {
            const k = type === JSON_NUMBER ? parseDecimal(b, start, end) : type === JSON_STRING ? spanKindOf(b, start, end) : -1;
            if (Number.isInteger(k) && k >= 0 && k <= 5) this.kind = k;
            else this.flag(`kind is ${type === JSON_STRING ? `'${utf8(b, start, end)}'` : typeName(type)}, not a span kind`);
            return;
          }
          case OK.startTimeUnixNano:
            this.startMs = nanos(type, b, start, end);
            return;
          case OK.endTimeUnixNano:
            this.endMs = nanos(type, b, start, end);
            return;
        }
        return;
      case O_STATUS:
        if (key === OK.code) {
          const code = type === JSON_NUMBER ? parseDecimal(b, start, end) : -1;
          const text = type === JSON_STRING ? latin1(b, start, end) : '';
          if (code === 2 || text === 'STATUS_CODE_ERROR') this.statedStatus = SPAN_STATUS.system;
          else if (code === 1 || text === 'STATUS_CODE_OK') this.statedStatus = SPAN_STATUS.ok;
        }
        return;
      case O_SPAN_ATTR:
        if (key === OK.key && type === JSON_STRING) this.attribute.name(b, start, end);
        return;
      case O_SPAN_ATTR_VALUE:
        if (key === OK.stringValue || key === OK.intValue || key === OK.boolValue || key === OK.doubleValue) this.attribute.set(type, b, start, end);
        return;
      case O_RESOURCE_ATTR:
        if (key === OK.key && type === JSON_STRING) this.resourceAttribute.name(b, start, end);
        return;
      case O_RESOURCE_ATTR_VALUE:
        if (key === OK.stringValue || key === OK.intValue) this.resourceAttribute.set(type, b, start, end);
        return;
    }
  }

  close(context: number): void {
    switch (context) {
      case O_SPAN:
        return this.endSpan();
      case O_SPAN_ATTR: {
        const a = this.attribute;
        if (a.id >= 0 && a.type) this.spanAttribute(a.id, a.type, a.value.bytes, a.value.start[0], a.value.end[0]);
        return;
      }
      case O_RESOURCE_ATTR: {
        const a = this.resourceAttribute;
        if (a.id < 0 || (a.type !== JSON_STRING && a.type !== JSON_NUMBER)) return;
        const d = this.assembler.dict;
        const v = a.value;
        // A service name is text (OpenTelemetry's semantic conventions); an empty or numeric one names none.
        if (a.id === A_SERVICE_NAME && a.type === JSON_STRING && v.end[0] > v.start[0]) this.resourceService = d.intern(v.bytes, v.start[0], v.end[0]);
        const rank = SpanJsonHandler.instanceRank(a.id);
        if (rank >= 0 && rank < this.instanceRank && v.end[0] > v.start[0]) {
          this.instanceRank = rank;
          this.resourceInstance = d.intern(v.bytes, v.start[0], v.end[0]);
        }
        return;
      }
      case O_RS:
        return this.endResource();
    }
  }

  protected inSpan(context: number): boolean {
    return context >= O_SPAN && context <= O_SPAN_ATTR_VALUE;
  }

  override abortDocument(): void {
    // The resource being read is incomplete: its spans go.
    if (this.rs >= 0 && this.assembler.length > this.rsFirstRow) this.assembler.dropRows(this.rsFirstRow, new Uint8Array(0));
  }

  private spanPath(): string {
    return `resourceSpans[${this.rs}].scopeSpans[${this.scope}].spans[${this.spanIndex}]`;
  }

  private notObject(path: string, line: number): number {
    this.badRows.report(this.file, `line ${line} ${path}`, 'not an object');
    return SKIP;
  }

  private endSpan(): void {
    const f = this.fields;
    const problem =
      this.problem ||
      (!f.has(F_TRACE) || f.end[F_TRACE] === f.start[F_TRACE]
        ? 'traceId missing'
        : !f.has(F_SPAN) || f.end[F_SPAN] === f.start[F_SPAN]
          ? 'spanId missing'
          : Number.isNaN(this.startMs)
            ? 'startTimeUnixNano missing or not an integer'
            : Number.isNaN(this.endMs) || this.endMs < this.startMs
              ? 'endTimeUnixNano missing, not an integer or before the start'
              : this.timeProblem('startTimeUnixNano', this.startMs, 'ns') || this.timeProblem('endTimeUnixNano', this.endMs, 'ns'));
    if (problem) {
      this.badRows.report(this.file, this.place(this.spanPath()), problem);
      return;
    }
    // The resource may come after its spans: its service and instance are filled in when it closes.
    this.keep(this.resourceService, this.resourceInstance >= 0 ? this.resourceInstance : this.resourceService);
  }

  private endResource(): void {
    const a = this.assembler;
    const first = this.rsFirstRow;
    if (a.length === first) return;
    if (this.resourceService < 0) {
      const spans = a.length - first;
      a.dropRows(first, new Uint8Array(0));
      this.badRows.report(this.file, `line ${this.docLine} resourceSpans[${this.rs}]`, `resource has no service.name attribute (its ${spans} span${spans === 1 ? '' : 's'} skipped)`, spans);
      return;
    }
    const instance = this.resourceInstance >= 0 ? this.resourceInstance : this.resourceService;
    for (let r = first; r < a.length; r++) {
      if (a.service[r] < 0) {
        a.service[r] = this.resourceService;
        a.instance[r] = instance;
      }
    }
  }
}

/** OTLP times are uint64 nanoseconds, as JSON strings (or numbers from lenient exporters). */
function nanos(type: number, b: Uint8Array, start: number, end: number): number {
  if (type !== JSON_STRING && type !== JSON_NUMBER) return NaN;
  for (let i = start; i < end; i++) if (b[i] < 48 || b[i] > 57) return NaN;
  return end > start ? parseNanosAsMs(b, start, end) : NaN;
}

const JAEGER_KEYS = [
  'data', 'traceID', 'spans', 'spanID', 'operationName', 'references', 'refType', 'startTime', 'duration', 'tags',
  'key', 'value', 'processID', 'process', 'processes', 'serviceName', 'parentSpanID',
] as const;
const JK = keyIndex(JAEGER_KEYS);

// Jaeger contexts; those inside a span, J_SPAN to J_TAG and J_SPAN_PROCESS to J_SPAN_PROCESS_TAG, run in rows (inSpan)
const J_DOC = 1;
const J_TRACES = 2;
const J_TRACE = 3;
const J_SPANS = 4;
const J_SPAN = 5;
const J_REFS = 6;
const J_REF = 7;
const J_TAGS = 8;
const J_TAG = 9;
const J_PROCESSES = 10;
const J_PROCESS = 11;
const J_PROCESS_TAGS = 12;
const J_PROCESS_TAG = 13;
const J_SPAN_PROCESS = 14;
const J_SPAN_PROCESS_TAGS = 15;
const J_SPAN_PROCESS_TAG = 16;

// Span fields of Jaeger's own
const F_REF_SPAN = F_EXTRA;
const F_REF_TRACE = F_EXTRA + 1;
const F_PROCESS_ID = F_EXTRA + 2;

/**
 * Jaeger JSON: traces, each with its spans and a map of processes (service name and tags) that
 * spans name by processID; the map may come after the spans, so spans are placed when the trace
 * closes.
 */
class JaegerHandler extends SpanJsonHandler {
  readonly shape = 'a Jaeger document ({"data": [traces]} or [traces])';
  private traceIndex = -1;
  private spanIndex = -1;
  private traceFirstRow = 0;
  /** Process ids ("p1"...) as codes, shared by all traces of the file. */
  private readonly processIds = new StringDictionary();
  /** Per process code, this trace's service and instance codes (-1 unknown). */
  private processService = new Int32Array(64).fill(-1);
  private processInstance = new Int32Array(64).fill(-1);
  private readonly processesUsed: number[] = [];
  /** Per pending row of the trace: its process code (-1 when given inline) and span index. */
  private rowProcess: number[] = [];
  private rowSpanIndex: number[] = [];
  private traceLine = 0;
  private process = -1;
  private processServiceBytes = -1;
  private processInstanceRank = Infinity;
  private readonly processAttribute = new AttributeCapture();
  private refChildOf = false;
  private readonly refFields = new AttributeCapture();
  private refSpan = false;
  private childOfSeen = false;
  private anyRefSpan = false;

  open(context: number, key: number, type: number, line: number): number {
    switch (context) {
      case ROOT:
        this.traceIndex = -1;
        if (type === JSON_ARRAY) return J_TRACES;
        return J_DOC;
      case J_DOC:
        return key === JK.data && type === JSON_ARRAY ? J_TRACES : SKIP;
      case J_TRACES:
        this.traceIndex++;
        if (type !== JSON_OBJECT) {
          this.badRows.report(this.file, `line ${line} data[${this.traceIndex}]`, 'a trace must be an object with a "spans" array');
          return SKIP;
        }
        this.spanIndex = -1;
        this.traceLine = line;
        this.traceFirstRow = this.assembler.length;
        this.rowProcess.length = 0;
        this.rowSpanIndex.length = 0;
        for (const p of this.processesUsed) {
          this.processService[p] = -1;
          this.processInstance[p] = -1;
        }
        this.processesUsed.length = 0;
        return J_TRACE;
      case J_TRACE:
        if (key === JK.spans && type === JSON_ARRAY) return J_SPANS;
        if (key === JK.processes && type === JSON_OBJECT) return J_PROCESSES;
        return SKIP;
      case J_SPANS:
        this.spanIndex++;
        if (type !== JSON_OBJECT) {
          this.badRows.report(this.file, `line ${line} data[${this.traceIndex}].spans[${this.spanIndex}]`, 'not an object');
          return SKIP;
        }
        this.beginSpan(line);
        this.childOfSeen = false;
        this.anyRefSpan = false;
        return J_SPAN;
      case J_SPAN:
        if (key === JK.references && type === JSON_ARRAY) return J_REFS;
        if (key === JK.tags && type === JSON_ARRAY) return J_TAGS;
        if (key === JK.process && type === JSON_OBJECT) {
          this.beginProcess(-1);
          return J_SPAN_PROCESS;
        }
        if (key === JK.traceID || key === JK.spanID || key === JK.operationName || key === JK.startTime || key === JK.duration || key === JK.processID) {
          this.flag(`${JAEGER_KEYS[key]} is ${typeName(type)}`);
        }
        return SKIP;
      case J_REFS:
        if (type !== JSON_OBJECT) return SKIP;
        this.refChildOf = false;
        this.refSpan = false;
        this.refFields.begin();
        return J_REF;
      case J_TAGS:
        if (type !== JSON_OBJECT) return SKIP;
        this.attribute.begin();
        return J_TAG;
      case J_PROCESSES:
        return type === JSON_OBJECT && this.process >= 0 ? J_PROCESS : SKIP;
      case J_PROCESS:
      case J_SPAN_PROCESS:
        return key === JK.tags && type === JSON_ARRAY ? (context === J_PROCESS ? J_PROCESS_TAGS : J_SPAN_PROCESS_TAGS) : SKIP;
      case J_PROCESS_TAGS:
      case J_SPAN_PROCESS_TAGS:
        if (type !== JSON_OBJECT) return SKIP;
        this.processAttribute.begin();
        return context === J_PROCESS_TAGS ? J_PROCESS_TAG : J_SPAN_PROCESS_TAG;
      default:
        return SKIP;
    }
  }

  otherKey(context: number, b: Uint8Array, start: number, end: number): void {
    if (context === J_PROCESSES) this.beginProcess(this.processIds.intern(b, start, end));
  }

  value(context: number, key: number, type: number, b: Uint8Array, start: number, end: number): void {
    switch (context) {
      case ROOT:
        this.rootScalar = type;
        return;
      case J_SPAN:
        switch (key) {
          case JK.traceID:
            return this.text(F_TRACE, 'traceID', type, b, start, end);
          case JK.spanID:
            return this.text(F_SPAN, 'spanID', type, b, start, end);
          case JK.operationName:
            return this.text(F_NAME, 'operationName', type, b, start, end);
          case JK.parentSpanID:
            if (!this.fields.has(F_PARENT)) this.text(F_PARENT, 'parentSpanID', type, b, start, end);
            return;
          case JK.processID:
            return this.text(F_PROCESS_ID, 'processID', type, b, start, end);
          case JK.startTime:
            this.startMs = this.number('startTime', type, b, start, end) / 1000;
            return;
          case JK.duration:
            // Held in endMs until the span closes.
            this.endMs = this.number('duration', type, b, start, end) / 1000;
            return;
        }
        return;
      case J_REF:
        if (key === JK.refType && type === JSON_STRING) this.refChildOf = bytesEqual(b, start, end, 'CHILD_OF');
        else if (key === JK.spanID && type === JSON_STRING) {
          this.refFields.set(JSON_STRING, b, start, end);
          this.refSpan = true;
        } else if (key === JK.traceID && type === JSON_STRING) this.fields.set(F_REF_TRACE, b, start, end);
        return;
      case J_TAG:
        if (key === JK.key && type === JSON_STRING) this.attribute.name(b, start, end);
        else if (key === JK.value) this.attribute.set(type, b, start, end);
        return;
      case J_PROCESS:
      case J_SPAN_PROCESS:
        if (key === JK.serviceName && type === JSON_STRING && end > start) {
          if (context === J_SPAN_PROCESS) this.fields.set(F_SERVICE, b, start, end);
          else this.processServiceBytes = this.assembler.dict.intern(b, start, end);
        }
        return;
      case J_PROCESS_TAG:
      case J_SPAN_PROCESS_TAG:
        if (key === JK.key && type === JSON_STRING) this.processAttribute.name(b, start, end);
        else if (key === JK.value) this.processAttribute.set(type, b, start, end);
        return;
    }
  }

  close(context: number): void {
    switch (context) {
      case J_SPAN:
        return this.endSpan();
      case J_TAG: {
        const a = this.attribute;
        if (a.id >= 0 && a.type) this.spanAttribute(a.id, a.type, a.value.bytes, a.value.start[0], a.value.end[0]);
        return;
      }
      case J_REF: {
        if (!this.refSpan) return;
        const v = this.refFields.value;
        // The parent is the CHILD_OF reference in the same trace; failing that, the first reference.
        const sameTrace = !this.fields.has(F_REF_TRACE) || !this.fields.has(F_TRACE) || sameBytes(this.fields, F_REF_TRACE, F_TRACE);
        if (this.refChildOf && sameTrace && !this.childOfSeen) {
          this.fields.set(F_REF_SPAN, v.bytes, v.start[0], v.end[0]);
          this.childOfSeen = true;
          this.anyRefSpan = true;
        } else if (!this.anyRefSpan) {
          this.fields.set(F_REF_SPAN, v.bytes, v.start[0], v.end[0]);
          this.anyRefSpan = true;
        }
        return;
      }
      case J_PROCESS_TAG:
      case J_SPAN_PROCESS_TAG: {
        const a = this.processAttribute;
        const rank = SpanJsonHandler.instanceRank(a.id);
        if (rank < 0 || rank >= this.processInstanceRank || (a.type !== JSON_STRING && a.type !== JSON_NUMBER)) return;
        this.processInstanceRank = rank;
        const v = a.value;
        if (context === J_SPAN_PROCESS_TAG) this.fields.set(F_INSTANCE, v.bytes, v.start[0], v.end[0]);
        else if (this.process >= 0) this.processInstance[this.process] = this.assembler.dict.intern(v.bytes, v.start[0], v.end[0]);
        return;
      }
      case J_PROCESS:
        if (this.process >= 0) this.processService[this.process] = this.processServiceBytes;
        this.process = -1;
        return;
      case J_TRACE:
        return this.endTrace();
    }
  }

  protected inSpan(context: number): boolean {
    return (context >= J_SPAN && context <= J_TAG) || (context >= J_SPAN_PROCESS && context <= J_SPAN_PROCESS_TAG);
  }

  override abortDocument(): void {
    if (this.traceIndex >= 0 && this.assembler.length > this.traceFirstRow) this.assembler.dropRows(this.traceFirstRow, new Uint8Array(0));
  }

  private beginProcess(code: number): void {
    this.process = code;
    this.processServiceBytes = -1;
    this.processInstanceRank = Infinity;
    if (code >= 0) {
      if (code >= this.processService.length) {
        const grow = (a: Int32Array) => {
          const b = new Int32Array(Math.max(code + 1, a.length * 2)).fill(-1);
          b.set(a);
          return b;
        };
        this.processService = grow(this.processService);
        this.processInstance = grow(this.processInstance);
      }
      this.processesUsed.push(code);
    }
  }

  private endSpan(): void {
    const f = this.fields;
    if (this.anyRefSpan) f.set(F_PARENT, f.bytes, f.start[F_REF_SPAN], f.end[F_REF_SPAN]);
    const durationMs = this.endMs;
    const path = `data[${this.traceIndex}].spans[${this.spanIndex}]`;
    const inline = f.has(F_SERVICE);
    const problem =
      this.problem ||
      (!f.has(F_TRACE) || f.end[F_TRACE] === f.start[F_TRACE]
        ? 'traceID missing'
        : !f.has(F_SPAN) || f.end[F_SPAN] === f.start[F_SPAN]
          ? 'spanID missing'
          : !inline && !f.has(F_PROCESS_ID)
            ? 'no processID (and no process)'
            : Number.isNaN(this.startMs)
              ? 'startTime (microseconds) missing or not a number'
              : !(durationMs >= 0)
                ? 'duration (microseconds) missing or negative'
                : this.timeProblem('startTime', this.startMs, 'us') || this.timeProblem('startTime + duration', this.startMs + durationMs, 'us'));
    if (problem) {
      this.badRows.report(this.file, this.place(path), problem);
      return;
    }
    this.endMs = this.startMs + durationMs;
    let service = -1;
    let instance = -1;
    if (inline) {
      const d = this.assembler.dict;
      service = d.intern(f.bytes, f.start[F_SERVICE], f.end[F_SERVICE]);
      instance = f.has(F_INSTANCE) ? d.intern(f.bytes, f.start[F_INSTANCE], f.end[F_INSTANCE]) : service;
    }
    const row = this.keep(service, instance);
    if (row < 0) return;
    this.rowProcess.push(inline ? -1 : this.processIds.intern(f.bytes, f.start[F_PROCESS_ID], f.end[F_PROCESS_ID]));
    this.rowSpanIndex.push(this.spanIndex);
  }

  /** Place the trace's spans by their processes; a span whose process names no service is a bad row. */
  private endTrace(): void {
    const a = this.assembler;
    const first = this.traceFirstRow;
    const n = a.length - first;
    if (n === 0) return;
    const keep = new Uint8Array(n).fill(1);
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const p = this.rowProcess[i];
      if (p < 0) continue;
      const service = p < this.processService.length ? this.processService[p] : -1;
      if (service < 0) {
        keep[i] = 0;
        bad++;
        this.badRows.report(this.file, `line ${this.traceLine} data[${this.traceIndex}].spans[${this.rowSpanIndex[i]}]`, `no serviceName for processID '${this.processIds.strings[p]}'`);
        continue;
      }
      a.service[first + i] = service;
      a.instance[first + i] = this.processInstance[p] >= 0 ? this.processInstance[p] : service;
    }
    if (bad) a.dropRows(first, keep);
  }
}

function sameBytes(f: { bytes: Uint8Array; start: Int32Array; end: Int32Array }, x: number, y: number): boolean {
  const n = f.end[x] - f.start[x];
  if (n !== f.end[y] - f.start[y]) return false;
  for (let i = 0; i < n; i++) if (f.bytes[f.start[x] + i] !== f.bytes[f.start[y] + i]) return false;
  return true;
}

const ZIPKIN_FIRST_KEYS = new Set(['traceId', 'id', 'parentId', 'kind', 'name', 'timestamp', 'duration', 'debug', 'shared', 'localEndpoint', 'remoteEndpoint', 'annotations', 'tags']);
const JAEGER_TRACE_KEYS = new Set(['traceID', 'spans', 'processes', 'warnings']);
const JAEGER_DOC_KEYS = new Set(['data', 'total', 'limit', 'offset', 'errors']);

/**
 * The format of a trace JSON file, told by its first key: `resourceSpans` (OTLP), `data` (Jaeger's
 * API) or, in a top-level array, the keys of a Jaeger trace or of a Zipkin span. Undefined for an
 * empty array.
 */
export async function traceJsonFormat(file: string): Promise<TraceJsonFormat | undefined> {
  let head = '';
  for await (const chunk of readByteChunks(file)) {
    head += chunk.toString('utf8', 0, Math.min(chunk.length, 1 << 16));
    if (head.length >= 1 << 16) break;
  }
  const m = /^\s*(\[\s*)*(?:(\])|\{\s*(?:"((?:[^"\\]|\\.)*)"|(\})))/.exec(head);
  if (m?.[2] !== undefined) return undefined;
  const inArray = head.trimStart().startsWith('[');
  const nested = /^\s*\[\s*\[/.test(head);
  const key = m?.[3];
  if (key !== undefined) {
    if (!inArray && key === 'resourceSpans') return 'otlp';
    if (!inArray && JAEGER_DOC_KEYS.has(key)) return 'jaeger';
    if (inArray && !nested && JAEGER_TRACE_KEYS.has(key)) return 'jaeger';
    if (inArray && ZIPKIN_FIRST_KEYS.has(key)) return 'zipkin';
  }
  if (!m && head.trim() === '') throw new ImportError(file, '', 'empty file (no JSON document)');
  throw new ImportError(
    file,
    'line 1',
    'neither OTLP JSON ({"resourceSpans": [...]}), a Jaeger export ({"data": [traces]} or [traces]) nor Zipkin v2 ([spans])',
  );
}

export interface ReadTraceJsonOptions extends SpanAssemblyOptions {
  badRows?: BadRows;
}

/** Stream one trace JSON file (OTLP, Jaeger or Zipkin v2; JSON lines for .jsonl/.ndjson; optionally .gz) into an assembler. */
export async function addTraceJson(a: SpanAssembler, file: string, badRows: BadRows): Promise<void> {
  const format = await traceJsonFormat(file);
  if (!format) return;
  const handler = format === 'otlp' ? new OtlpHandler(a, file, badRows) : format === 'jaeger' ? new JaegerHandler(a, file, badRows) : new ZipkinHandler(a, file, badRows);
  const keys = format === 'otlp' ? OTLP_KEYS : format === 'jaeger' ? JAEGER_KEYS : ZIPKIN_KEYS;
  await JsonStream.readFile(file, handler, keys, { lines: /\.(jsonl|ndjson)(\.gz)?$/i.test(file), badRows });
}

/** Read every file (OTLP, Jaeger or Zipkin v2 JSON, optionally .gz) into one SpanTable. */
export async function readTraceJson(files: string[], opts: BadRows | ReadTraceJsonOptions = {}): Promise<SpanTable> {
  const o: ReadTraceJsonOptions = opts instanceof BadRows ? { badRows: opts } : opts;
  const assembler = new SpanAssembler(o);
  const badRows = o.badRows ?? new BadRows('reject');
  for (const file of files) await addTraceJson(assembler, file, badRows);
  return assembler.finish();
}

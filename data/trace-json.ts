/**
 * Span exports in JSON: Jaeger (the UI's "Download JSON" / the query API: `{ data: [trace...] }`)
 * and OpenTelemetry OTLP/JSON (`{ resourceSpans: [...] }`, one document per file or one per line
 * as the collector's file exporter writes). Both reduce to rca's SpanTable.
 */
import fs from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { SpanTableBuilder } from './span-table.js';
import { SPAN_STATUS, type SpanTable } from './types.js';
import type { BadRows } from '../common/bad-rows.js';
import { ImportError } from '../common/bad-rows.js';
import { readLines } from '../common/text-lines.js';

/** Resource/process attributes that name the instance, most specific first. */
const INSTANCE_KEYS = ['k8s.pod.name', 'service.instance.id', 'pod.name', 'hostname', 'host.name', 'ip'];

/** Accumulates spans from any number of files, then links parents by (trace, span id). */
export class TraceJsonImporter {
  private readonly builder = new SpanTableBuilder();
  /** Interned parent span id per row, -1 for a root. */
  private readonly parentSpan: number[] = [];

  constructor(private readonly badRows: BadRows) {}

  /**
   * Import one file. `.jsonl`/`.ndjson` (the collector's file exporter) stream one document per
   * line; any other file is one JSON document, parsed whole.
   */
  async addFile(file: string): Promise<void> {
    if (/\.(jsonl|ndjson)(\.gz)?$/.test(file)) {
      for await (const { line, lineNo } of readLines(file)) {
        if (line.trim() !== '') this.addDocument(parseJson(line, file, `line ${lineNo}`), file, `line ${lineNo}`);
      }
      return;
    }
    const raw = await fs.promises.readFile(file);
    this.addDocument(parseJson((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'), file, ''), file, '');
  }

  /** One parsed JSON document, Jaeger or OTLP by its shape. */
  addDocument(doc: unknown, file: string, place: string): void {
    if (isObject(doc) && Array.isArray(doc.resourceSpans)) return this.addOtlp(doc.resourceSpans, file, place);
    if (isObject(doc) && Array.isArray(doc.data)) return this.addJaeger(doc.data, file, place);
    if (Array.isArray(doc) && doc.every((t) => isObject(t) && Array.isArray(t.spans))) return this.addJaeger(doc, file, place);
    throw new ImportError(file, place, 'neither a Jaeger export ({"data": [traces]}) nor OTLP JSON ({"resourceSpans": [...]})');
  }

  private addJaeger(traces: unknown[], file: string, place: string): void {
    traces.forEach((trace, t) => {
      const where = `${place ? `${place} ` : ''}data[${t}]`;
      if (!isObject(trace) || !Array.isArray(trace.spans)) {
        this.badRows.report(file, where, 'a trace must have a "spans" array');
        return;
      }
      const processes = isObject(trace.processes) ? trace.processes : {};
      trace.spans.forEach((span, s) => {
        const at = `${where}.spans[${s}]`;
        if (!isObject(span)) return this.badRows.report(file, at, 'not an object');
        const traceId = str(span.traceID ?? trace.traceID);
        const spanId = str(span.spanID);
        const startUs = num(span.startTime);
        const durationUs = num(span.duration);
        const proc = isObject(processes[str(span.processID)]) ? (processes[str(span.processID)] as Record<string, unknown>) : span.process;
        const service = isObject(proc) ? str(proc.serviceName) : '';
        const problem = !traceId
          ? 'traceID missing'
          : !spanId
            ? 'spanID missing'
            : !service
              ? `no serviceName for processID '${str(span.processID)}'`
              : !Number.isFinite(startUs)
                ? 'startTime (microseconds) missing or not a number'
                : !(durationUs >= 0)
                  ? 'duration (microseconds) missing or negative'
                  : '';
        if (problem) return this.badRows.report(file, at, problem);
        const processTags = isObject(proc) ? tagMap(proc.tags) : new Map<string, unknown>();
        const tags = tagMap(span.tags);
        let parent = '';
        if (Array.isArray(span.references)) {
          for (const ref of span.references) {
            if (isObject(ref) && ref.refType === 'CHILD_OF' && str(ref.traceID ?? traceId) === traceId) {
              parent = str(ref.spanID);
              break;
            }
          }
          if (!parent) for (const ref of span.references) if (isObject(ref) && str(ref.spanID)) parent = parent || str(ref.spanID);
        }
        if (!parent && typeof span.parentSpanID === 'string') parent = span.parentSpanID;
        this.push(traceId, spanId, parent, service, instanceOf(processTags) || service, str(span.operationName), startUs / 1000, (startUs + durationUs) / 1000, jaegerStatus(tags));
      });
    });
  }

  private addOtlp(resourceSpans: unknown[], file: string, place: string): void {
    resourceSpans.forEach((rs, r) => {
      const where = `${place ? `${place} ` : ''}resourceSpans[${r}]`;
      if (!isObject(rs)) return this.badRows.report(file, where, 'not an object');
      const resource = attributeMap(isObject(rs.resource) ? rs.resource.attributes : undefined);
      const service = str(resource.get('service.name'));
      const instance = instanceOf(resource) || service;
      const scopes = Array.isArray(rs.scopeSpans) ? rs.scopeSpans : Array.isArray(rs.instrumentationLibrarySpans) ? rs.instrumentationLibrarySpans : [];
      scopes.forEach((scope, si) => {
        if (!isObject(scope) || !Array.isArray(scope.spans)) return;
        scope.spans.forEach((span, s) => {
          const at = `${where}.scopeSpans[${si}].spans[${s}]`;
          if (!isObject(span)) return this.badRows.report(file, at, 'not an object');
          const startNs = nanos(span.startTimeUnixNano);
          const endNs = nanos(span.endTimeUnixNano);
          const problem = !str(span.traceId)
            ? 'traceId missing'
            : !str(span.spanId)
              ? 'spanId missing'
              : !service
                ? 'resource has no service.name attribute'
                : startNs === null
                  ? 'startTimeUnixNano missing or not an integer'
                  : endNs === null || endNs < startNs
                    ? 'endTimeUnixNano missing, not an integer or before the start'
                    : '';
          if (problem) return this.badRows.report(file, at, problem);
          const code = isObject(span.status) ? span.status.code : undefined;
          const status =
            code === 2 || code === 'STATUS_CODE_ERROR'
              ? SPAN_STATUS.system
              : code === 1 || code === 'STATUS_CODE_OK'
                ? SPAN_STATUS.ok
                : httpStatus(attributeMap(span.attributes));
          this.push(str(span.traceId), str(span.spanId), str(span.parentSpanId), service, instance, str(span.name), nsToMs(startNs!), nsToMs(endNs!), status);
        });
      });
    });
  }

  private push(traceId: string, spanId: string, parent: string, service: string, instance: string, operation: string, start: number, end: number, status: number): void {
    const b = this.builder;
    const trace = b.intern(traceId);
    b.add(trace, b.intern(spanId), -1, b.intern(service), b.intern(instance), b.intern(operation), start, end, status);
    this.parentSpan.push(parent ? b.intern(parent) : -1);
  }

  /** Link each span to its parent's row; a parent that never appears leaves the span a root. */
  finish(): SpanTable {
    const table = this.builder.finish();
    const rowOf = new Map<string, number>();
    for (let i = 0; i < table.length; i++) rowOf.set(`${table.traceId[i]}:${table.spanId[i]}`, i);
    for (let i = 0; i < table.length; i++) {
      const p = this.parentSpan[i];
      table.parent[i] = p < 0 ? -1 : (rowOf.get(`${table.traceId[i]}:${p}`) ?? -1);
    }
    return table;
  }
}

/** Read every file (Jaeger or OTLP JSON, optionally .gz) into one SpanTable. */
export async function readTraceJson(files: string[], badRows: BadRows): Promise<SpanTable> {
  const importer = new TraceJsonImporter(badRows);
  for (const file of files) await importer.addFile(file);
  return importer.finish();
}

function parseJson(text: string, file: string, place: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ImportError(file, place, `invalid JSON: ${(err as Error).message}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
}

/** OTLP times are uint64 nanoseconds, as JSON strings (or numbers from lenient exporters). */
function nanos(v: unknown): bigint | null {
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v);
  return null;
}

/** Nanoseconds to ms without losing the integer-ms part to float rounding. */
export function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
}

function tagMap(tags: unknown): Map<string, unknown> {
  const m = new Map<string, unknown>();
  if (Array.isArray(tags)) for (const t of tags) if (isObject(t) && typeof t.key === 'string') m.set(t.key, t.value);
  return m;
}

/** OTLP AnyValue: { stringValue | intValue | boolValue | doubleValue }. */
function attributeMap(attributes: unknown): Map<string, unknown> {
  const m = new Map<string, unknown>();
  if (!Array.isArray(attributes)) return m;
  for (const a of attributes) {
    if (!isObject(a) || typeof a.key !== 'string' || !isObject(a.value)) continue;
    const v = a.value;
    m.set(a.key, v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue);
  }
  return m;
}

function instanceOf(attrs: Map<string, unknown>): string {
  for (const key of INSTANCE_KEYS) {
    const v = str(attrs.get(key));
    if (v) return v;
  }
  return '';
}

/**
 * Both formats mark failures explicitly (Jaeger's error tag, OTLP's status code), so a span with no
 * mark is ok, unless an HTTP status says otherwise (5xx a system failure, 4xx a business one).
 */
function httpStatus(attrs: Map<string, unknown>): number {
  const code = num(attrs.get('http.response.status_code') ?? attrs.get('http.status_code'));
  if (Number.isFinite(code)) return code >= 500 ? SPAN_STATUS.system : code >= 400 ? SPAN_STATUS.business : SPAN_STATUS.ok;
  return SPAN_STATUS.ok;
}

/** Jaeger marks failed spans with the `error` tag; OpenTelemetry-bridged spans add otel.status_code. */
function jaegerStatus(tags: Map<string, unknown>): number {
  const error = tags.get('error');
  if (error === true || error === 'true') return SPAN_STATUS.system;
  const otel = tags.get('otel.status_code');
  if (otel === 'ERROR') return SPAN_STATUS.system;
  if (otel === 'OK') return SPAN_STATUS.ok;
  return httpStatus(tags);
}

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BadRows } from '../common/bad-rows.js';
import { readCsvRecords } from '../common/text-lines.js';
import { SpanTableBuilder } from './span-table.js';
import { SPAN_CSV_COLUMNS as SPAN_COLUMNS, type SpanCsvColumn as SpanColumn } from '../sim/formats.js';
import { SPAN_STATUS, type SpanTable } from './types.js';


export interface ReadSpansOptions {
  /** ours -> theirs, e.g. { trace_id: 'TraceID', instance: 'PodName' }. */
  columns?: Record<string, string>;
  /** Regex applied to the instance; its first capture group is the service (e.g. a pod name). */
  serviceFromInstance?: string;
  /** What to do with a malformed row (default: reject, naming the file, line and problem). */
  badRows?: BadRows;
}

const SPAN_FILE = /\.csv(\.gz)?$/i;

/** The span files a path names: the file itself, or a folder's .csv/.csv.gz files in name order. */
export function spanFiles(path: string): string[] {
  if (!statSync(path, { throwIfNoEntry: false })) throw new Error(`${path}: no such file or folder`);
  if (!statSync(path).isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((f) => SPAN_FILE.test(f))
    .sort()
    .map((f) => join(path, f));
  if (!files.length) throw new Error(`${path}: no .csv or .csv.gz span files`);
  return files;
}

/** Unix nanoseconds (as text, beyond 2^53) to milliseconds without losing the sub-ms digits. */
function nsToMs(text: string): number {
  const s = text.trim();
  if (/^\d{7,}$/.test(s)) return Number(s.slice(0, -6)) + Number(s.slice(-6)) / 1e6;
  return Number(s) / 1e6;
}

function statusOf(text: string): number {
  switch (text.trim().toLowerCase()) {
    case 'ok':
    case '0':
    case 'unset':
      return SPAN_STATUS.ok;
    case 'business':
    case '1':
      return SPAN_STATUS.business;
    case 'error':
    case 'system':
    case '2':
      return SPAN_STATUS.system;
    default:
      return SPAN_STATUS.unknown;
  }
}

/**
 * Reads already-linked spans from a CSV or CSV.gz file, or a folder of them, streamed line by
 * line. A parent_id that is empty or "root" marks a root; parents are resolved across files of
 * the same trace, and a parent never seen makes the span a root. Without a status column every
 * status is unknown (255). Errors name the file, the line and the column.
 */
export async function readSpans(path: string, opts: ReadSpansOptions = {}): Promise<SpanTable> {
  const theirs = (ours: SpanColumn) => opts.columns?.[ours] ?? ours;
  for (const k of Object.keys(opts.columns ?? {})) {
    if (!(SPAN_COLUMNS as readonly string[]).includes(k)) {
      throw new Error(`--columns: unknown column "${k}" (ours are ${SPAN_COLUMNS.join(', ')})`);
    }
  }
  let serviceRe: RegExp | undefined;
  if (opts.serviceFromInstance) {
    try {
      serviceRe = new RegExp(opts.serviceFromInstance);
    } catch (err) {
      throw new Error(`--service-from-instance: ${(err as Error).message}`);
    }
  }
  const badRows = opts.badRows ?? new BadRows('reject');
  const b = new SpanTableBuilder(1 << 16);
  const serviceOfInstance = new Map<string, number>();
  const parentKey: string[] = []; // per row: `${trace}\u0000${parentSpan}`, '' for a root
  const rowOf = new Map<string, number>();
  for (const file of spanFiles(path)) {
    let col: Record<SpanColumn, number> | undefined;
    for await (const { fields, lineNo } of readCsvRecords(file)) {
      if (!col) {
        const header = fields.map((h) => h.trim());
        const find = (c: SpanColumn) => header.indexOf(theirs(c));
        col = Object.fromEntries(SPAN_COLUMNS.map((c) => [c, find(c)])) as Record<SpanColumn, number>;
        for (const need of ['trace_id', 'span_id', 'parent_id', 'start_ns', 'end_ns'] as const) {
          if (col[need] < 0) throw new Error(`${file}:1: no column "${theirs(need)}" (for ${need}; map it with --columns ${need}=<name>)`);
        }
        if (col.service < 0 && col.instance < 0) {
          throw new Error(`${file}:1: needs a "${theirs('service')}" or "${theirs('instance')}" column`);
        }
        continue;
      }
      const get = (c: SpanColumn) => (col![c] >= 0 ? (fields[col![c]] ?? '') : '');
      const where = `line ${lineNo}`;
      const start = nsToMs(get('start_ns'));
      const end = nsToMs(get('end_ns'));
      if (!Number.isFinite(start)) {
        badRows.report(file, where, `${theirs('start_ns')}: not a number: ${get('start_ns')}`);
        continue;
      }
      if (!Number.isFinite(end)) {
        badRows.report(file, where, `${theirs('end_ns')}: not a number: ${get('end_ns')}`);
        continue;
      }
      const traceText = get('trace_id');
      const spanText = get('span_id');
      if (!traceText || !spanText) {
        badRows.report(file, where, `empty ${traceText ? theirs('span_id') : theirs('trace_id')}`);
        continue;
      }
      const instanceName = col.instance >= 0 ? get('instance') : get('service');
      let service: number;
      if (col.service >= 0) service = b.intern(get('service'));
      else {
        const known = serviceOfInstance.get(instanceName);
        if (known !== undefined) service = known;
        else {
          const hit = serviceRe?.exec(instanceName);
          if (serviceRe && !hit?.[1]) {
            badRows.report(file, where, `${theirs('instance')} "${instanceName}" does not match --service-from-instance ${serviceRe.source}`);
            continue;
          }
          service = b.intern(hit?.[1] ?? instanceName);
          serviceOfInstance.set(instanceName, service);
        }
      }
      const instance = b.intern(instanceName);
      const p = get('parent_id').trim();
      const row = b.add(
        b.intern(traceText),
        b.intern(spanText),
        -1,
        service,
        instance,
        b.intern(get('operation')),
        start,
        Math.max(start, end),
        col.status >= 0 ? statusOf(get('status')) : SPAN_STATUS.unknown,
      );
      parentKey[row] = p === '' || p === 'root' ? '' : `${traceText}\u0000${p}`;
      rowOf.set(`${traceText}\u0000${spanText}`, row);
    }
    if (!col) throw new Error(`${file}: empty file (no header)`);
  }
  for (let r = 0; r < b.length; r++) {
    if (parentKey[r]) b.parent[r] = rowOf.get(parentKey[r]) ?? -1;
  }
  const t = b.finish();
  delete t.attempts; // not merged trees: these columns do not apply
  delete t.repeats;
  delete t.callerFault;
  return t;
}

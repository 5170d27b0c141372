/**
 * Log and metric CSV layouts, recognised by their header: faultline's own (sim/formats.ts
 * LOG_CSV_COLUMNS, METRIC_CSV_KEY_COLUMNS) and Nezha's (the Train-Ticket and Online Boutique
 * exports of the Nezha paper: per-minute log files, per-pod metric files). Each recognised layout
 * says which column holds what and which columns have no place in faultline's layout (dropped).
 */
import { LOG_CSV_COLUMNS, METRIC_CSV_KEY_COLUMNS, type LogCsvColumn } from '../sim/formats.js';

export type LogLayout =
  | { name: 'faultline'; columns: Record<LogCsvColumn, number>; dropped: string[] }
  | { name: 'nezha'; timeNs: number; timestamp: number; pod: number; traceId: number; spanId: number; log: number; dropped: string[] };

export type MetricLayout =
  | { name: 'faultline'; time: number; service: number; instance: number; metrics: number[]; dropped: string[] }
  | { name: 'nezha-pod'; timestamp: number; pod: number; metrics: number[]; dropped: string[] }
  | { name: 'nezha-service'; timestamp: number; service: number; metrics: number[]; dropped: string[] };

const NEZHA_LOG = ['Timestamp', 'TimeUnixNano', 'Node', 'PodName', 'Container', 'TraceID', 'SpanID', 'Log'] as const;

function indexOf(header: readonly string[]): Map<string, number> {
  return new Map(header.map((h, i) => [h.trim(), i]));
}

function droppedColumns(header: readonly string[], used: Iterable<number>): string[] {
  const keep = new Set(used);
  return header.filter((_, i) => !keep.has(i)).map((h) => h.trim());
}

/** The log layout a header names, or null. */
export function recogniseLogLayout(header: readonly string[]): LogLayout | null {
  const at = indexOf(header);
  if (LOG_CSV_COLUMNS.every((c) => at.has(c))) {
    const columns = Object.fromEntries(LOG_CSV_COLUMNS.map((c) => [c, at.get(c)!])) as Record<LogCsvColumn, number>;
    return { name: 'faultline', columns, dropped: droppedColumns(header, Object.values(columns)) };
  }
  if (at.has('PodName') && at.has('Log') && (at.has('TimeUnixNano') || at.has('Timestamp'))) {
    const col = (c: (typeof NEZHA_LOG)[number]) => at.get(c) ?? -1;
    const layout = { name: 'nezha' as const, timeNs: col('TimeUnixNano'), timestamp: col('Timestamp'), pod: col('PodName'), traceId: col('TraceID'), spanId: col('SpanID'), log: col('Log') };
    // The ISO Timestamp repeats TimeUnixNano when both are present: neither is dropped data.
    return { ...layout, dropped: droppedColumns(header, [layout.timeNs, layout.timestamp, layout.pod, layout.traceId, layout.spanId, layout.log]) };
  }
  return null;
}

/** The metric layout a header names, or null. */
export function recogniseMetricLayout(header: readonly string[]): MetricLayout | null {
  const at = indexOf(header);
  const metricsExcept = (keys: (number | undefined)[], skip: string[]) =>
    header.map((_, i) => i).filter((i) => !keys.includes(i) && !skip.includes(header[i].trim()));
  if (METRIC_CSV_KEY_COLUMNS.every((c) => at.has(c))) {
    const [time, service, instance] = METRIC_CSV_KEY_COLUMNS.map((c) => at.get(c)!);
    return { name: 'faultline', time, service, instance, metrics: metricsExcept([time, service, instance], []), dropped: [] };
  }
  if (at.has('TimeStamp') && (at.has('PodName') || at.has('ServiceName'))) {
    const timestamp = at.get('TimeStamp')!;
    // `Time` repeats TimeStamp as Go's time.String(), with the process's monotonic clock reading.
    const dropped = at.has('Time') ? ['Time'] : [];
    if (at.has('PodName')) {
      const pod = at.get('PodName')!;
      return { name: 'nezha-pod', timestamp, pod, metrics: metricsExcept([timestamp, pod], ['Time']), dropped };
    }
    const service = at.get('ServiceName')!;
    return { name: 'nezha-service', timestamp, service, metrics: metricsExcept([timestamp, service], ['Time']), dropped };
  }
  return null;
}

export const LOG_LAYOUT_HINT = `a log CSV needs faultline's header ${LOG_CSV_COLUMNS.join(',')} or Nezha's ${NEZHA_LOG.join(',')}`;
export const METRIC_LAYOUT_HINT = `a metric CSV needs faultline's key columns ${METRIC_CSV_KEY_COLUMNS.join(',')} (then one column per metric) or Nezha's Time,TimeStamp,PodName|ServiceName,<metrics>`;

const NEZHA_LINE_RE = /^\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\s+([A-Za-z]+)\s+([\s\S]*)$/;
const NEZHA_IDS_RE = /\s*TraceID:\s*\S*\s+SpanID:\s*\S*/;

/**
 * Nezha's `Log` cell: the container runtime's JSON line `{"log": "<hh:mm:ss.mmm> <LEVEL> <logger>
 * TraceID: .. SpanID: .. <message>\n", "stream", "time"}`. The level is split off; the local
 * time of day, the trace and span ids (columns of their own) and the runtime's fields are not
 * part of the message. A cell that is not this JSON is the message itself, with no level.
 */
export function parseNezhaLog(cell: string): { level: string; message: string } {
  let line = cell;
  if (cell.startsWith('{')) {
    try {
      const parsed = JSON.parse(cell) as { log?: unknown };
      if (typeof parsed.log === 'string') line = parsed.log;
    } catch {
      // Not the runtime's JSON: the cell is the message.
    }
  }
  line = line.replace(/\s+$/, '');
  const m = NEZHA_LINE_RE.exec(line);
  if (!m) return { level: '', message: line };
  return { level: m[1], message: m[2].replace(NEZHA_IDS_RE, '') };
}

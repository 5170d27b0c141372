/**
 * Writes a SpanTable as faultline's span CSV (the format `faultline rca --spans` reads):
 * trace_id,span_id,parent_id,service,instance,operation,start_ns,end_ns,status.
 */
import { AtomicFile } from '../common/atomic-file.js';
import type { SpanTable } from './types.js';
import { spanStatusText } from '../sim/formats.js';
import { csvField } from '../common/text-lines.js';

export const SPAN_CSV_HEADER = 'trace_id,span_id,parent_id,service,instance,operation,start_ns,end_ns,status';

/** ms (float) to an integer ns string; the integer ms part stays exact even past 2^53 ns. */
export function msToNsString(ms: number): string {
  const whole = Math.floor(ms);
  const frac = Math.round((ms - whole) * 1e6);
  return (BigInt(whole) * 1_000_000n + BigInt(frac)).toString();
}

const FLUSH_BYTES = 1 << 20;

export function writeSpanCsv(table: SpanTable, file: string): void {
  const out = AtomicFile.open(file);
  try {
    const quoted = table.strings.map(csvField);
    let chunk = `${SPAN_CSV_HEADER}\n`;
    for (let i = 0; i < table.length; i++) {
      const p = table.parent[i];
      chunk +=
        `${quoted[table.traceId[i]]},${quoted[table.spanId[i]]},${p < 0 ? '' : quoted[table.spanId[p]]},` +
        `${quoted[table.service[i]]},${quoted[table.instance[i]]},${quoted[table.operation[i]]},` +
        `${msToNsString(table.start[i])},${msToNsString(table.end[i])},${spanStatusText(table.status[i])}\n`;
      if (chunk.length >= FLUSH_BYTES) {
        out.write(Buffer.from(chunk, 'utf8'));
        chunk = '';
      }
    }
    out.write(Buffer.from(chunk, 'utf8'));
    out.commit();
  } catch (err) {
    out.abort();
    throw err;
  }
}

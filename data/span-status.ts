/**
 * Span statuses the data implies where it records none. Read by RCA before analysis and by
 * anonymisation before operation names (which carry the signal) are pseudonymised.
 */
import { SPAN_STATUS, type SpanTable } from './types.js';

/**
 * Spring Boot forwards a request whose handler threw to its `/error` endpoint, which tracing
 * agents record as a `BasicErrorController.error` span under the failed request's server span.
 */
export const DEFAULT_ERROR_OPERATION = /^(BasicErrorController\.error|\/error)$/;

/**
 * Statuses for spans that have none (status unknown): a span with a child whose operation is an
 * error handler (`errorOperation`) failed. Known statuses are kept. Returns the table itself when
 * nothing changes.
 */
export function inferStatus(t: SpanTable, errorOperation: RegExp = DEFAULT_ERROR_OPERATION): SpanTable {
  const handler = new Uint8Array(t.strings.length);
  const checked = new Uint8Array(t.strings.length);
  let status: Uint8Array | undefined;
  for (let i = 0; i < t.length; i++) {
    const op = t.operation[i];
    if (!checked[op]) {
      checked[op] = 1;
      handler[op] = errorOperation.test(t.strings[op]) ? 1 : 0;
    }
    const p = t.parent[i];
    if (!handler[op] || p < 0 || t.status[p] !== SPAN_STATUS.unknown) continue;
    status ??= t.status.slice();
    status[p] = SPAN_STATUS.system;
  }
  return status ? { ...t, status } : t;
}

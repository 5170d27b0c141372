/**
 * The calls between services that a span table records, whatever its granularity: one row per
 * call (transaction trees from a message log, or client and server spans folded into one row with
 * `serverStart`/`serverEnd`), or many spans per call (a client span on the caller and a server span
 * on the callee, plus the controller, repository and SQL spans an instrumented service records
 * inside its own handling). A call is entered where a span runs on another instance than its parent
 * (or is a folded call row); every span of the same instance below it belongs to it. Columnar:
 * one pass over the rows, no per-row objects.
 */
import { SPAN_STATUS, type SpanTable } from './types.js';

export interface CallView {
  length: number;
  /** The span table the calls were read from (its string table names everything below). */
  table: SpanTable;
  /** Per span row: the call it belongs to. */
  callOfRow: Int32Array;
  /** The span row each call enters at: the callee's first span of the call. */
  row: Int32Array;
  /** The caller's call, -1 for a call that starts a trace (or whose caller was not recorded). */
  parent: Int32Array;
  trace: Int32Array; // -> table.strings
  service: Int32Array; // -> table.strings: the callee
  instance: Int32Array; // -> table.strings
  operation: Int32Array; // -> table.strings: the entry span's operation
  /** The callee's handling of the call (unix ms). */
  start: Float64Array;
  end: Float64Array;
  /** The caller's view (sending the request to getting the reply), NaN where not recorded. */
  clientStart: Float64Array;
  clientEnd: Float64Array;
  /** SPAN_STATUS of the call as its callee reported it (unknown where no span says). */
  status: Uint8Array;
  /** 1 when the caller did not wait for the call (one-way): it ran on past its client span by over half its own time (hosts' clocks differ), or, with no client span, past its caller's end. */
  async: Uint8Array;
  /** The callee's own time: its handling minus the time it waited on synchronous calls it made (ms). */
  selfMs: Float64Array;
  /** Child calls of call c: childList[firstChild[c] .. firstChild[c + 1]), by start time. */
  firstChild: Int32Array;
  childList: Int32Array;
}

/** Builds the call view of a span table (see the module comment). */
export function buildCallView(table: SpanTable): CallView {
  const n = table.length;
  // Children of each span row, as offsets into one array.
  const count = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const p = table.parent[i]!;
    if (p >= 0) count[p + 1]!++;
  }
  for (let i = 0; i < n; i++) count[i + 1]! += count[i]!;
  const kids = new Int32Array(count[n]!);
  const fill = count.slice(0, n);
  for (let i = 0; i < n; i++) {
    const p = table.parent[i]!;
    if (p >= 0) kids[fill[p]!++] = i;
  }

  const folded = table.serverStart;
  const callOfRow = new Int32Array(n).fill(-1);
  const isEntry = new Uint8Array(n);
  const rows: number[] = [];
  const parents: number[] = [];
  const clientFrom: number[] = []; // row whose interval is the caller's view: -2 the row itself (folded), -1 none
  const stack = new Int32Array(n);
  for (let root = 0; root < n; root++) {
    if (table.parent[root]! >= 0) continue;
    let top = 0;
    stack[top++] = root;
    while (top > 0) {
      const r = stack[--top]!;
      const p = table.parent[r]!;
      const rowFolded = folded !== undefined && !Number.isNaN(folded[r]!);
      if (p < 0 || rowFolded || table.instance[r] !== table.instance[p]) {
        const call = rows.length;
        rows.push(r);
        parents.push(p < 0 ? -1 : callOfRow[p]!);
        // A span on another instance below an inner span of the caller: that inner span is the caller's client span.
        clientFrom.push(rowFolded ? -2 : p >= 0 && !isEntry[p] ? p : -1);
        callOfRow[r] = call;
        isEntry[r] = 1;
      } else callOfRow[r] = callOfRow[p]!;
      for (let k = count[r + 1]! - 1; k >= count[r]!; k--) stack[top++] = kids[k]!;
    }
  }

  const m = rows.length;
  const view: CallView = {
    length: m,
    table,
    callOfRow,
    row: Int32Array.from(rows),
    parent: Int32Array.from(parents),
    trace: new Int32Array(m),
    service: new Int32Array(m),
    instance: new Int32Array(m),
    operation: new Int32Array(m),
    start: new Float64Array(m),
    end: new Float64Array(m),
    clientStart: new Float64Array(m).fill(NaN),
    clientEnd: new Float64Array(m).fill(NaN),
    status: new Uint8Array(m).fill(SPAN_STATUS.unknown),
    async: new Uint8Array(m),
    selfMs: new Float64Array(m),
    firstChild: new Int32Array(m + 1),
    childList: new Int32Array(Math.max(0, m - 1)),
  };
  for (let c = 0; c < m; c++) {
    const r = rows[c]!;
    view.trace[c] = table.traceId[r]!;
    view.service[c] = table.service[r]!;
    view.instance[c] = table.instance[r]!;
    view.operation[c] = table.operation[r]!;
    const from = clientFrom[c]!;
    if (from === -2) {
      view.start[c] = folded![r]!;
      view.end[c] = table.serverEnd?.[r] ?? table.end[r]!;
      view.clientStart[c] = table.start[r]!;
      view.clientEnd[c] = table.end[r]!;
    } else {
      view.start[c] = table.start[r]!;
      view.end[c] = table.end[r]!;
      if (from >= 0) {
        view.clientStart[c] = table.start[from]!;
        view.clientEnd[c] = table.end[from]!;
      }
    }
    view.status[c] = table.status[r]!;
  }
  // A call's status where its entry span has none: a failure one of its own inner spans records
  // (an error handler's mark), never one of the client spans of the calls it made.
  const clientRow = new Uint8Array(n);
  for (let c = 0; c < m; c++) if (clientFrom[c]! >= 0) clientRow[clientFrom[c]!] = 1;
  for (let i = 0; i < n; i++) {
    const c = callOfRow[i]!;
    if (c < 0 || isEntry[i] || clientRow[i] || table.status[rows[c]!] !== SPAN_STATUS.unknown) continue;
    if (table.status[i] === SPAN_STATUS.system) view.status[c] = SPAN_STATUS.system;
  }

  // Child calls, by start time (insertion sort: a call makes few).
  const fc = view.firstChild;
  for (let c = 0; c < m; c++) if (view.parent[c]! >= 0) fc[view.parent[c]! + 1]!++;
  for (let c = 0; c < m; c++) fc[c + 1]! += fc[c]!;
  const next = fc.slice(0, m);
  const list = view.childList;
  for (let c = 0; c < m; c++) {
    const p = view.parent[c]!;
    if (p < 0) continue;
    let k = next[p]!++;
    const t = callStart(view, c);
    while (k > fc[p]! && callStart(view, list[k - 1]!) > t) {
      list[k] = list[k - 1]!;
      k--;
    }
    list[k] = c;
  }

  for (let c = 0; c < m; c++) {
    const p = view.parent[c]!;
    if (p < 0) continue;
    const clientEnd = view.clientEnd[c]!;
    // Against the caller's own client span, hosts' clocks differ: a callee the caller waited for can
    // seem to end a little after the reply came back (on the Nezha day 22% of calls do, by a
    // fraction of their length). It ran on without its caller only beyond half its own time.
    if (Number.isNaN(clientEnd)) view.async[c] = view.end[c]! > view.end[p]! ? 1 : 0;
    else view.async[c] = view.end[c]! - clientEnd > Math.max(ASYNC_MIN_OVERRUN_MS, 0.5 * (view.end[c]! - view.start[c]!)) ? 1 : 0;
  }
  for (let c = 0; c < m; c++) view.selfMs[c] = ownTime(view, c);
  return view;
}

/** How far past the caller's reply a callee must run to be one-way, at the least (ms). */
const ASYNC_MIN_OVERRUN_MS = 1;

/** When the caller started the call: its client span's start, else the callee's. */
export function callStart(v: CallView, c: number): number {
  const s = v.clientStart[c]!;
  return Number.isNaN(s) ? v.start[c]! : s;
}

/** When the caller had the reply: its client span's end, else the callee's. */
export function callEnd(v: CallView, c: number): number {
  const e = v.clientEnd[c]!;
  return Number.isNaN(e) ? v.end[c]! : e;
}

/** Handling time minus the union of the synchronous child calls' intervals inside it. */
function ownTime(v: CallView, c: number): number {
  const from = v.start[c]!;
  const to = v.end[c]!;
  let waited = 0;
  let coveredTo = from;
  for (let k = v.firstChild[c]!; k < v.firstChild[c + 1]!; k++) {
    const ch = v.childList[k]!;
    if (v.async[ch]) continue;
    const s = Math.max(callStart(v, ch), coveredTo);
    const e = Math.min(callEnd(v, ch), to);
    if (e > s) {
      waited += e - s;
      coveredTo = e;
    }
  }
  return Math.max(0, to - from - waited);
}

/**
 * Assembles a SpanTable from spans read in any format (span CSV, OTLP, Jaeger, Zipkin): readers
 * write each span's fields straight into typed columns, strings interned once; spans starting
 * outside the keep windows are counted and dropped as they stream; at the end parent links are
 * resolved in bulk and each client span is folded with its server span into one call.
 *
 * Span and parent ids, nearly one distinct text per span, are kept as bytes while reading: parents
 * are linked by those bytes (hashed, every hash match confirmed byte by byte), and the ids become
 * strings in the intern table only when the table's strings or spanId column are first read.
 */
import { hashBytes, StringDictionary } from '../common/string-dictionary.js';
import { stableOrderU32 } from '../common/argsort.js';
import { trimSpaces, trimmedEnd, trimmedStart } from '../common/bytes.js';
import { SPAN_STATUS, type SpanTable } from './types.js';

/** Span kinds, numbered as OpenTelemetry numbers them (OTLP's SpanKind). */
export const SPAN_KIND = { unspecified: 0, internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

/** What a span read counted; pass one in the options and read it afterwards. */
export interface SpanReadStats {
  /** Spans read (well-formed rows), kept or not. */
  read: number;
  /** Spans dropped because they start outside every keep window. */
  outsideWindows: number;
  /** Client spans folded with their server span into one call row. */
  folded: number;
  /** Client spans without a server span, kept as calls to the peer their attributes name. */
  toPeer: number;
  /** Client spans without a server span or a named peer, kept as calls to `unknown`. */
  toUnknown: number;
  /** Repeated copies of a client or server span (same trace and span id) dropped before folding, the last copy kept. */
  repeatedCopies: number;
}

export function emptySpanReadStats(): SpanReadStats {
  return { read: 0, outsideWindows: 0, folded: 0, toPeer: 0, toUnknown: 0, repeatedCopies: 0 };
}

export interface SpanAssemblyOptions {
  /**
   * Keep only spans that start inside one of these [start, end) windows (unix ms); the others are
   * counted (stats.outsideWindows) and dropped while reading. A trace is cut where its spans leave
   * the windows, so widen each window by the longest trace that matters. Default: keep every span.
   */
  keep?: ReadonlyArray<readonly [number, number]>;
  /** The intern table to use: tables read with the same one share `strings` and compare codes directly. */
  dictionary?: StringDictionary;
  /** Counters to add to. */
  stats?: SpanReadStats;
}

/** The callee name a client span gets when no server span and no peer attribute names it. */
export const UNKNOWN_CALLEE = 'unknown';

const GROWTH = 1.5;
/** How many rows before a span its parent is looked for before the parent id is sorted by hash. */
const NEAR_PARENT = 16;

interface SpanLinks {
  parent: Int32Array;
  /** The row a (trace, span id) pair names, -1 when none. */
  lookup: (trace: number, span: number) => number;
}

export class SpanAssembler {
  readonly dict: StringDictionary;
  readonly stats: SpanReadStats;
  /** Rows kept so far; row `length` is the one being filled. */
  length = 0;
  private cap = 0;
  trace = new Int32Array(0);
  /**
   * Row r's span id is the bytes ids[idAt[r], idAt[r] + idLen[r]), its parent's id the bytes
   * ids[parentAt[r], parentAt[r] + parentLen[r]), parentLen -1 for a root (set with setIds). A parent
   * id that is the span id of one of the spans just before is not copied: parentAt is that span's
   * idAt. A Buffer, so that an id becomes a string straight from it (a plain Uint8Array is wrapped
   * in a new Buffer for each).
   */
  private idAt = new Int32Array(0);
  private idLen = new Int32Array(0);
  private parentAt = new Int32Array(0);
  private parentLen = new Int32Array(0);
  private ids = Buffer.allocUnsafeSlow(1 << 16);
  private idBytes = 0;
  service = new Int32Array(0);
  instance = new Int32Array(0);
  operation = new Int32Array(0);
  start = new Float64Array(0);
  end = new Float64Array(0);
  status = new Uint8Array(0);
  kind = new Uint8Array(0);
  /** The callee a client span names in its attributes (a code), -1 when none. */
  peer = new Int32Array(0);
  private readonly keepFrom: Float64Array | undefined;
  private readonly keepTo: Float64Array | undefined;
  private window = 0;
  /** The spans a reader expects in all (see expect), with keep windows; 0 when unknown. */
  private expected = 0;

  constructor(opts: SpanAssemblyOptions = {}) {
    this.dict = opts.dictionary ?? new StringDictionary();
    this.stats = opts.stats ?? emptySpanReadStats();
    if (opts.keep) {
      const merged = mergeWindows(opts.keep);
      if (!merged.length) merged.push([0, 0]); // keep nothing
      this.keepFrom = Float64Array.from(merged, (w) => w[0]);
      this.keepTo = Float64Array.from(merged, (w) => w[1]);
    }
    this.grow(1 << 14);
  }

  /**
   * Whether a span starting at `start` is kept (it lies in a keep window), counting it: ask before
   * interning the span's strings, so that dropped spans add none.
   */
  keeps(start: number): boolean {
    this.stats.read++;
    if (!this.keepFrom || this.inWindows(start)) return true;
    this.stats.outsideWindows++;
    return false;
  }

  /**
   * Make room for about `rows` spans in all, when a reader can tell (from the input's size): the
   * columns are then allocated once instead of grown by copying. With keep windows, where most
   * spans may be dropped, nothing is allocated: the columns grow as spans are kept, doubling (fewer
   * copies) but never past this estimate.
   */
  expect(rows: number): void {
    if (this.keepFrom) {
      this.expected = Math.ceil(rows);
      return;
    }
    if (rows <= this.cap) return;
    this.grow(Math.ceil(rows));
  }

  /** Start the next span: its row, with parent, kind, peer and status cleared. */
  next(): number {
    const r = this.length;
    if (r === this.cap) this.grow(this.cap < this.expected ? Math.min(2 * this.cap, this.expected) : Math.ceil(this.cap * GROWTH));
    this.idAt[r] = this.idBytes;
    this.idLen[r] = 0;
    this.parentAt[r] = 0;
    this.parentLen[r] = -1;
    this.kind[r] = SPAN_KIND.unspecified;
    this.peer[r] = -1;
    this.status[r] = SPAN_STATUS.unknown;
    return r;
  }

  /**
   * The span id of row r is b[start, end); its parent's id is b[parentStart, parentEnd), or none (a
   * root) when parentStart < 0. The bytes are copied: b may be reused once this returns.
   */
  setIds(r: number, b: Uint8Array, start: number, end: number, parentStart: number, parentEnd: number): void {
    const n = end - start;
    const m = parentStart < 0 ? -1 : parentEnd - parentStart;
    let w = this.idBytes;
    if (w + n + Math.max(m, 0) > this.ids.length) this.growIds(w + n + Math.max(m, 0));
    const { ids, idAt, idLen } = this;
    idAt[r] = w;
    idLen[r] = n;
    for (let i = start; i < end; i++) ids[w++] = b[i];
    this.parentLen[r] = m;
    this.idBytes = w;
    if (m < 0) return;
    // A parent mostly lies a few spans before its child (spans are written trace by trace).
    for (let q = r - 1; q >= 0 && q >= r - NEAR_PARENT; q--) {
      if (idLen[q] !== m) continue;
      const at = idAt[q];
      let i = 0;
      while (i < m && ids[at + i] === b[parentStart + i]) i++;
      if (i === m) {
        this.parentAt[r] = at;
        return;
      }
    }
    this.parentAt[r] = w;
    for (let i = parentStart; i < parentEnd; i++) ids[w++] = b[i];
    this.idBytes = w;
  }

  /**
   * Room for at least `need` id bytes: for as many rows as the columns hold, at the bytes per row
   * so far, else twice the room. Fresh memory is costly (a page fault per page), so the ids are
   * not copied from buffer to doubled buffer as a read goes on.
   */
  private growIds(need: number): void {
    let size = Math.ceil((this.idBytes / Math.max(1, this.length)) * this.cap * 1.1);
    if (size < need || size <= this.ids.length) size = Math.max(need, 2 * this.ids.length);
    const ids = Buffer.allocUnsafeSlow(size);
    ids.set(this.ids.subarray(0, this.idBytes));
    this.ids = ids;
  }

  /** Add the span being filled to the table. */
  commit(): void {
    this.length++;
  }

  /**
   * Drop rows of [from, length) whose `keep` flag (indexed from `from`) is 0, keeping the others in
   * order: for a format that learns only at the end of a group of spans that some are bad.
   */
  dropRows(from: number, keep: Uint8Array): void {
    let w = from;
    for (let r = from; r < this.length; r++) {
      if (!keep[r - from]) continue;
      if (w !== r) {
        this.trace[w] = this.trace[r];
        this.idAt[w] = this.idAt[r];
        this.idLen[w] = this.idLen[r];
        this.parentAt[w] = this.parentAt[r];
        this.parentLen[w] = this.parentLen[r];
        this.service[w] = this.service[r];
        this.instance[w] = this.instance[r];
        this.operation[w] = this.operation[r];
        this.start[w] = this.start[r];
        this.end[w] = this.end[r];
        this.status[w] = this.status[r];
        this.kind[w] = this.kind[r];
        this.peer[w] = this.peer[r];
      }
      w++;
    }
    this.stats.read -= this.length - w;
    this.length = w;
  }

  private inWindows(t: number): boolean {
    const from = this.keepFrom!;
    const to = this.keepTo!;
    // Spans mostly arrive in time order: try the window of the last one first.
    let w = this.window;
    if (t >= from[w] && t < to[w]) return true;
    let lo = 0;
    let hi = from.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (from[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    w = lo;
    this.window = w;
    return t >= from[w] && t < to[w];
  }

  private grow(capacity: number): void {
    const n = this.length;
    const g = <T extends Int32Array | Float64Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (k: number) => T)(capacity);
      b.set(a.subarray(0, n));
      return b;
    };
    this.trace = g(this.trace);
    this.idAt = g(this.idAt);
    this.idLen = g(this.idLen);
    this.parentAt = g(this.parentAt);
    this.parentLen = g(this.parentLen);
    this.service = g(this.service);
    this.instance = g(this.instance);
    this.operation = g(this.operation);
    this.start = g(this.start);
    this.end = g(this.end);
    this.status = g(this.status);
    this.kind = g(this.kind);
    this.peer = g(this.peer);
    this.cap = capacity;
  }

  /** Resolve parents, fold client and server spans, and hand over the table. */
  finish(): SpanTable {
    const n = this.length;
    const ids = this.spanIdCodes();
    const links = this.resolveParents(ids);
    let folds = false;
    for (let r = 0; r < n && !folds; r++) folds = this.kind[r] === SPAN_KIND.client || this.kind[r] === SPAN_KIND.server;
    const table = folds ? this.fold(links, ids) : this.table(links.parent, ids);
    this.length = 0;
    this.grow(0);
    this.ids = Buffer.alloc(0);
    this.idBytes = 0;
    return table;
  }

  /**
   * Each row's span id and parent id as codes of the distinct span ids (-1 for a root, or a parent
   * id that no span has), and where each distinct id's bytes lie. Ids are matched by hash, rows
   * sorted by it rather than looked up in a table (a lookup per span misses the cache); a match
   * counts only when the bytes are the same too, so ids whose hashes collide are told apart.
   */
  private spanIdCodes(): SpanIdCodes {
    const n = this.length;
    const { idAt, idLen, parentAt, parentLen } = this;
    const ids: IdBytes = { bytes: this.ids, at: idAt, len: idLen };
    const spanHash = new Uint32Array(n);
    for (let r = 0; r < n; r++) spanHash[r] = hashBytes(ids.bytes, idAt[r], idAt[r] + idLen[r]);
    const byHash = stableOrderU32(spanHash);
    const first = firstOfEachId(ids, spanHash, byHash);
    // Codes in first-seen order.
    const span = new Int32Array(n);
    const start = new Int32Array(n);
    const end = new Int32Array(n);
    let count = 0;
    for (let r = 0; r < n; r++) {
      if (first[r] !== r) span[r] = span[first[r]];
      else {
        start[count] = idAt[r];
        end[count] = idAt[r] + idLen[r];
        span[r] = count++;
      }
    }
    // A parent id found among the spans just before its child (setIds) points at that span's id;
    // only the other parents are sorted by hash.
    const candidate = new Int32Array(n).fill(-1);
    for (let r = 0; r < n; r++) {
      if (parentLen[r] < 0) continue;
      for (let q = r - 1; q >= 0 && q >= r - NEAR_PARENT; q--) {
        if (idAt[q] === parentAt[r]) {
          candidate[r] = q;
          break;
        }
      }
    }
    parentCandidates(ids, parentAt, parentLen, spanHash, byHash, first, candidate);
    // Every candidate confirmed byte by byte, in row order: a parent mostly lies a few rows away.
    const parent = parentLen; // written over, not needed afterwards
    for (let r = 0; r < n; r++) {
      const q = candidate[r];
      parent[r] = q >= 0 && idLen[q] === parentLen[r] && (idAt[q] === parentAt[r] || sameBytes(ids.bytes, idAt[q], parentAt[r], idLen[q])) ? span[q] : -1;
    }
    return { span, parent, texts: { count, bytes: ids.bytes, start, end } };
  }

  /**
   * Each span's parent row, from (trace, parent span id), and the row that (trace, span id) names.
   * Rows are indexed by span id; an id seen in several traces goes to a map keyed by both. The last
   * copy of a repeated span is the one named, except that a server span sharing its id with its
   * client span (Zipkin's shared spans) is what that id names, and its parent is that client span.
   */
  private resolveParents(ids: SpanIdCodes): SpanLinks {
    const n = this.length;
    const { trace, kind } = this;
    const { span } = ids;
    const size = ids.texts.count;
    const rowOf = new Int32Array(size).fill(-1);
    const MULTI = -2;
    let multi: Map<number, number> | undefined;
    const named = (old: number, r: number): number => (kind[old] === SPAN_KIND.server && kind[r] === SPAN_KIND.client ? old : r);
    for (let r = 0; r < n; r++) {
      const s = span[r];
      const p = rowOf[s];
      if (p === -1) rowOf[s] = r;
      else if (p !== MULTI && trace[p] === trace[r]) rowOf[s] = named(p, r);
      else {
        // The same span id in another trace: (trace, span id) keys for this id from now on.
        multi ??= new Map();
        if (p !== MULTI) multi.set(trace[p] * size + s, p);
        rowOf[s] = MULTI;
        const key = trace[r] * size + s;
        const old = multi.get(key);
        multi.set(key, old === undefined ? r : named(old, r));
      }
    }
    const lookup = (t: number, s: number): number => {
      const p = rowOf[s];
      return p === MULTI ? (multi!.get(t * size + s) ?? -1) : p >= 0 && trace[p] === t ? p : -1;
    };
    // Parents are written over the parent span ids, which are not needed afterwards.
    const parent = ids.parent;
    for (let r = 0; r < n; r++) if (parent[r] >= 0) parent[r] = lookup(trace[r], parent[r]);
    for (let r = 0; r < n; r++) {
      if (kind[r] !== SPAN_KIND.client) continue;
      const server = lookup(trace[r], span[r]);
      if (server !== r && server >= 0 && kind[server] === SPAN_KIND.server) parent[server] = r;
    }
    return { parent, lookup };
  }

  /** The table as read: no client or server spans to fold. */
  private table(parent: Int32Array, ids: SpanIdCodes): SpanTable {
    const n = this.length;
    // Each column is cut to length (copied only when much longer) and the assembler's own let go
    // before the next, so that the peak holds at most one spare column rather than a second table.
    const traceId = fit(this.trace, n);
    this.trace = new Int32Array(0);
    const spanIds = fit(ids.span, n);
    const parents = fit(parent, n);
    this.parentAt = new Int32Array(0);
    this.parentLen = new Int32Array(0);
    const service = fit(this.service, n);
    this.service = new Int32Array(0);
    const instance = fit(this.instance, n);
    this.instance = new Int32Array(0);
    const operation = fit(this.operation, n);
    this.operation = new Int32Array(0);
    const start = fit(this.start, n);
    this.start = new Float64Array(0);
    const end = fit(this.end, n);
    this.end = new Float64Array(0);
    const status = fit(this.status, n);
    const spanId = lazySpanIds(spanIds, ids.texts, this.dict);
    return {
      length: n,
      get strings() {
        return spanId.strings();
      },
      traceId,
      get spanId() {
        return spanId.get();
      },
      set spanId(codes) {
        spanId.set(codes);
      },
      parent: parents,
      service,
      instance,
      operation,
      start,
      end,
      status,
    };
  }

  /**
   * One row per call: a client span and its server span (the server span's parent) become one row
   * with the callee's service, instance, operation and span id, the client's start and end, and
   * the server's as serverStart/serverEnd; the server span's children hang under it. A client span
   * without a server span calls its named peer, or `unknown`. Repeated copies of a client or server
   * span are dropped first (the last copy kept).
   */
  private fold({ parent, lookup }: SpanLinks, ids: SpanIdCodes): SpanTable {
    const n = this.length;
    const { trace, kind, stats } = this;
    const { span } = ids;
    const drop = new Uint8Array(n);
    const serverOf = new Int32Array(n).fill(-1);
    for (let r = 0; r < n; r++) {
      const k = kind[r];
      if (k !== SPAN_KIND.client && k !== SPAN_KIND.server) continue;
      const last = lookup(trace[r], span[r]);
      // A shared client span is indexed under its server span, whose parent is the copy kept.
      const kept = last >= 0 && kind[last] !== k && k === SPAN_KIND.client ? parent[last] : last;
      if (kept !== r && kept >= 0 && kind[kept] === k) {
        drop[r] = 1;
        stats.repeatedCopies++;
      }
    }
    for (let r = 0; r < n; r++) {
      if (drop[r] || kind[r] !== SPAN_KIND.server) continue;
      const p = parent[r];
      if (p >= 0 && !drop[p] && kind[p] === SPAN_KIND.client && serverOf[p] < 0) {
        serverOf[p] = r;
        drop[r] = 1;
      }
    }
    const unknown = this.dict.internString(UNKNOWN_CALLEE);
    // Rows kept, in order; a folded server's children move to its client's row.
    const newRow = new Int32Array(n).fill(-1);
    let m = 0;
    for (let r = 0; r < n; r++) if (!drop[r]) newRow[r] = m++;
    const spanIds = new Int32Array(m);
    const spanId = lazySpanIds(spanIds, ids.texts, this.dict);
    const out: SpanTable = {
      length: m,
      get strings() {
        return spanId.strings();
      },
      traceId: new Int32Array(m),
      get spanId() {
        return spanId.get();
      },
      set spanId(codes) {
        spanId.set(codes);
      },
      parent: new Int32Array(m),
      service: new Int32Array(m),
      instance: new Int32Array(m),
      operation: new Int32Array(m),
      start: new Float64Array(m),
      end: new Float64Array(m),
      status: new Uint8Array(m),
      serverStart: new Float64Array(m).fill(NaN),
      serverEnd: new Float64Array(m).fill(NaN),
    };
    const folded = new Int32Array(n).fill(-1); // server row -> its client row
    for (let r = 0; r < n; r++) if (serverOf[r] >= 0) folded[serverOf[r]] = r;
    for (let r = 0; r < n; r++) {
      const i = newRow[r];
      if (i < 0) continue;
      let p = parent[r];
      if (p >= 0 && folded[p] >= 0) p = folded[p];
      out.traceId[i] = trace[r];
      // A folded call is the callee's: it goes by its server span's id, which the lines the callee
      // logs while handling it name.
      spanIds[i] = serverOf[r] >= 0 ? span[serverOf[r]] : span[r];
      out.parent[i] = p < 0 ? -1 : newRow[p];
      out.start[i] = this.start[r];
      out.end[i] = this.end[r];
      const s = serverOf[r];
      if (s >= 0) {
        out.service[i] = this.service[s];
        out.instance[i] = this.instance[s];
        out.operation[i] = this.operation[s];
        out.serverStart![i] = this.start[s];
        out.serverEnd![i] = this.end[s];
        out.status[i] = worseStatus(this.status[r], this.status[s]);
        stats.folded++;
      } else if (kind[r] === SPAN_KIND.client) {
        const peer = this.peer[r];
        out.service[i] = peer >= 0 ? peer : unknown;
        out.instance[i] = peer >= 0 ? peer : unknown;
        out.operation[i] = this.operation[r];
        out.status[i] = this.status[r];
        if (peer >= 0) stats.toPeer++;
        else stats.toUnknown++;
      } else {
        out.service[i] = this.service[r];
        out.instance[i] = this.instance[r];
        out.operation[i] = this.operation[r];
        out.status[i] = this.status[r];
      }
    }
    if (stats.folded === 0) {
      delete out.serverStart;
      delete out.serverEnd;
    }
    return out;
  }
}

/** The distinct span ids of a read as bytes: id k is bytes[start[k], end[k]). */
interface SpanIdTexts {
  count: number;
  bytes: Uint8Array;
  start: Int32Array;
  end: Int32Array;
}

/** Each row's span id and parent span id as codes of the distinct span ids; see spanIdCodes. */
interface SpanIdCodes {
  span: Int32Array;
  parent: Int32Array;
  texts: SpanIdTexts;
}

/** The span ids of a read: row r's is bytes[at[r], at[r] + len[r]). */
interface IdBytes {
  bytes: Uint8Array;
  at: Int32Array;
  len: Int32Array;
}

/**
 * For each row, the first row with the same span id, from the rows in hash order (`byHash`): rows
 * of one hash are compared byte by byte (a hash shared by different ids is rare).
 */
function firstOfEachId({ bytes, at, len }: IdBytes, spanHash: Uint32Array, byHash: Int32Array): Int32Array {
  const n = byHash.length;
  const first = new Int32Array(n);
  for (let j = 0; j < n; ) {
    const h = spanHash[byHash[j]];
    let k = j + 1;
    while (k < n && spanHash[byHash[k]] === h) k++;
    for (let x = j; x < k; x++) {
      const r = byHash[x];
      first[r] = r;
      for (let y = j; y < x; y++) {
        const q = byHash[y];
        if (first[q] === q && len[q] === len[r] && sameBytes(bytes, at[q], at[r], len[r])) {
          first[r] = q;
          break;
        }
      }
    }
    j = k;
  }
  return first;
}

/**
 * For each row with a parent id and no candidate yet (-1), the first row whose span id has the
 * parent id's hash (left -1 when none); where several ids share that hash, the one whose bytes are
 * the parent id's. Parent ids are sorted by hash and merged with the span ids in hash order.
 */
function parentCandidates(
  { bytes, at, len }: IdBytes,
  parentAt: Int32Array,
  parentLen: Int32Array,
  spanHash: Uint32Array,
  byHash: Int32Array,
  first: Int32Array,
  candidate: Int32Array,
): void {
  const n = byHash.length;
  let parents = 0;
  for (let r = 0; r < n; r++) if (parentLen[r] >= 0 && candidate[r] < 0) parents++;
  const parentRow = new Int32Array(parents);
  const parentHash = new Uint32Array(parents);
  for (let r = 0, k = 0; r < n; r++) {
    if (parentLen[r] < 0 || candidate[r] >= 0) continue;
    parentRow[k] = r;
    parentHash[k++] = hashBytes(bytes, parentAt[r], parentAt[r] + parentLen[r]);
  }
  const byParentHash = stableOrderU32(parentHash);
  for (let x = 0, j = 0; x < parents; ) {
    const h = parentHash[byParentHash[x]];
    let y = x + 1;
    while (y < parents && parentHash[byParentHash[y]] === h) y++;
    while (j < n && spanHash[byHash[j]] < h) j++;
    let k = j;
    let distinct = 0;
    while (k < n && spanHash[byHash[k]] === h) {
      const q = byHash[k++];
      if (first[q] === q) distinct++;
    }
    for (let z = x; z < y && k > j; z++) {
      const r = parentRow[byParentHash[z]];
      if (distinct === 1) candidate[r] = byHash[j];
      else {
        for (let w = j; w < k; w++) {
          const q = byHash[w];
          if (first[q] === q && len[q] === parentLen[r] && sameBytes(bytes, at[q], parentAt[r], parentLen[r])) candidate[r] = q;
        }
      }
    }
    x = y;
  }
}

/** Whether the `length` bytes at `a` and at `b` of `bytes` are the same. */
function sameBytes(bytes: Uint8Array, a: number, b: number, length: number): boolean {
  let i = 0;
  while (i < length && bytes[a + i] === bytes[b + i]) i++;
  return i === length;
}

/**
 * A table's spanId column, made when the table's span ids or strings are first read: `codes` (row
 * -> distinct id) become codes of the intern table then, each distinct id interned once. Until
 * then a span id is bytes, not a string: a string per span is most of a read's garbage. The
 * strings are read first by whoever sizes a scratch array by the intern table, so it does not
 * grow under them.
 */
function lazySpanIds(
  codes: Int32Array,
  texts: SpanIdTexts,
  dict: StringDictionary,
): { get: () => Int32Array; set: (codes: Int32Array) => void; strings: () => string[] } {
  let spanId: Int32Array | undefined;
  let pending: SpanIdTexts | undefined = texts;
  const get = (): Int32Array => {
    if (pending) {
      const { count, bytes, start, end } = pending;
      dict.reserve(dict.size + count);
      const interned = new Int32Array(count);
      for (let k = 0; k < count; k++) interned[k] = dict.intern(bytes, start[k], end[k]);
      for (let r = 0; r < codes.length; r++) codes[r] = interned[codes[r]];
      spanId ??= codes;
      pending = undefined;
    }
    return spanId!;
  };
  return {
    get,
    set: (replaced) => {
      get();
      spanId = replaced;
    },
    strings: () => {
      get();
      return dict.strings;
    },
  };
}

/**
 * The first n elements: a view when the array is at most an eighth longer (the columns are sized
 * from an estimate; fresh memory costs a page fault per page), else a copy.
 */
function fit<T extends Int32Array | Float64Array | Uint8Array>(a: T, n: number): T {
  return (a.length === n ? a : a.length - n <= a.length / 8 ? a.subarray(0, n) : a.slice(0, n)) as T;
}

/** The call's status from both ends: a failure at either end fails it; unknown only when both are. */
export function worseStatus(a: number, b: number): number {
  if (a === SPAN_STATUS.system || b === SPAN_STATUS.system) return SPAN_STATUS.system;
  if (a === SPAN_STATUS.business || b === SPAN_STATUS.business) return SPAN_STATUS.business;
  if (a === SPAN_STATUS.ok || b === SPAN_STATUS.ok) return SPAN_STATUS.ok;
  return SPAN_STATUS.unknown;
}

/**
 * The keep windows a set of incidents needs: each incident's window, opened `beforeMs` earlier (the
 * reference the algorithms compare with, e.g. rca's 10-minute local baseline) and closed `afterMs`
 * later (so that the traces starting inside it are read whole), merged.
 */
export function keepWindowsFor(incidents: ReadonlyArray<{ start: number; end: number }>, beforeMs: number, afterMs: number): Array<[number, number]> {
  return mergeWindows(incidents.map((i) => [i.start - beforeMs, i.end + afterMs] as [number, number]));
}

/** Windows sorted by start, overlapping or touching ones merged; empty and inverted ones dropped. */
export function mergeWindows(windows: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const sorted = windows.filter(([a, b]) => b > a).map(([a, b]) => [a, b] as [number, number]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: Array<[number, number]> = [];
  for (const w of sorted) {
    const last = out[out.length - 1];
    if (last && w[0] <= last[1]) last[1] = Math.max(last[1], w[1]);
    else out.push(w);
  }
  return out;
}

const STATUS_WORDS: Record<string, number> = {
  '': SPAN_STATUS.unknown,
  unknown: SPAN_STATUS.unknown,
  ok: SPAN_STATUS.ok,
  '0': SPAN_STATUS.ok,
  unset: SPAN_STATUS.ok,
  status_code_ok: SPAN_STATUS.ok,
  status_code_unset: SPAN_STATUS.ok,
  business: SPAN_STATUS.business,
  '1': SPAN_STATUS.business,
  error: SPAN_STATUS.system,
  system: SPAN_STATUS.system,
  '2': SPAN_STATUS.system,
  status_code_error: SPAN_STATUS.system,
};

const KIND_WORDS: Record<string, number> = {
  '': SPAN_KIND.unspecified,
  unspecified: SPAN_KIND.unspecified,
  internal: SPAN_KIND.internal,
  server: SPAN_KIND.server,
  client: SPAN_KIND.client,
  producer: SPAN_KIND.producer,
  consumer: SPAN_KIND.consumer,
};

/** A lookup of lower-cased words, without making a string per value read. */
function wordTable(words: Record<string, number>, prefix = ''): (b: Uint8Array, start: number, end: number) => number {
  const dict = new StringDictionary();
  const values: number[] = [];
  for (const [w, v] of Object.entries(words)) {
    values[dict.internString(w)] = v;
    if (prefix && w) values[dict.internString(prefix + w)] = v;
  }
  const longest = Math.max(...dict.strings.map((w) => w.length));
  const lower = new Uint8Array(longest);
  return (b, start, end) => {
    while (start < end && (b[start] === 32 || b[start] === 9)) start++;
    while (end > start && (b[end - 1] === 32 || b[end - 1] === 9)) end--;
    if (end - start > longest) return -1;
    for (let i = start; i < end; i++) {
      const c = b[i];
      lower[i - start] = c >= 65 && c <= 90 ? c + 32 : c;
    }
    const code = dict.find(lower, 0, end - start);
    return code < 0 ? -1 : values[code];
  };
}

const statusWordOf = wordTable(STATUS_WORDS);

/** The status an HTTP status code implies: 5xx a system failure, 4xx a business one, else ok. */
export function statusOfHttpCode(code: number): number {
  return code >= 500 ? SPAN_STATUS.system : code >= 400 ? SPAN_STATUS.business : SPAN_STATUS.ok;
}

/**
 * A status as text: ok, business, error (or 0, 1, 2; system for error; OpenTelemetry's
 * STATUS_CODE_OK/UNSET/ERROR and Ok/Unset/Error; unset is ok; case-insensitive), an HTTP status
 * code 100-599 (statusOfHttpCode), empty or `unknown` for unknown; -1 for anything else.
 */
export function spanStatusOf(b: Uint8Array, start: number, end: number): number {
  const word = statusWordOf(b, start, end);
  if (word >= 0) return word;
  const t = trimSpaces(b, start, end);
  const s = trimmedStart(t);
  if (trimmedEnd(t) - s !== 3) return -1;
  const code = (b[s] - 48) * 100 + (b[s + 1] - 48) * 10 + (b[s + 2] - 48);
  const digits = b[s] >= 49 && b[s] <= 53 && b[s + 1] >= 48 && b[s + 1] <= 57 && b[s + 2] >= 48 && b[s + 2] <= 57;
  return digits ? statusOfHttpCode(code) : -1;
}

/** A span kind as text: client, server, internal, producer, consumer (or OpenTelemetry's SPAN_KIND_*), or empty; -1 for anything else. */
export const spanKindOf = wordTable(KIND_WORDS, 'span_kind_');

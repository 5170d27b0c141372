import { DB_POOL_SIZE, METRIC_COLUMNS, METRIC_NAMES, REQUEST_QUANTILES, WORKER_POOL_SIZE, type MetricName } from './formats.js';
import { ColumnarFileWriter, type ColumnData } from './arrow-writer.js';
import { DOWN_CAUSE, INSTANCE_STATE, type FaultEffects } from './faults.js';
import { LINE, type LogCatalog } from './log-catalog.js';
import type { LogRows } from './log-rows.js';
import type { UntracedCallsSpec } from './scenario-schema.js';
import type { DictCodes } from './message-schema.js';
import { meanProcessingMs, SERVICE_KIND, type Model } from './model.js';
import { mix32, normalOfUniform, poissonInverse, stream } from './rng.js';
import { quantileSorted } from '../common/quantile.js';
import { grown } from '../common/typed-array.js';

/** A request's side as the monitor counts it: served by the instance (and failed there, or not), or made by it. */
const REQUEST_SIDE = { served: 0, failed: 1, made: 2 } as const;
type RequestSide = (typeof REQUEST_SIDE)[keyof typeof REQUEST_SIDE];

/** The engine's per-instance queue state the monitor reads each second (see Engine). */
export interface EngineState {
  readonly fx: FaultEffects;
  readonly load: Float64Array; // expected arrivals, scaled calls/s
  readonly waitMs: Float64Array;
  readonly procMs: Float64Array;
}

/** CPU share of an idle JVM (timers, housekeeping). */
const IDLE_CPU = 0.03;
/** CPU share of a worker pool fully busy computing (the rest is the pool's context switching). */
const CPU_PER_WORK = 0.92;
/** Share of GC pause time the collector's own threads spend on CPU. */
const GC_CPU = 0.5;
/** Young-generation pauses per second of a normally loaded JVM, as a share of time. */
const BASE_GC = 0.0015;
/** Time constant (s) over which a freshly started JVM's caches fill and its JIT settles. */
const WARM_S = 300;
/** Health checks, heartbeats and scrapes: bytes per second each way at traffic scale 1. */
const BACKGROUND_BYTES_PER_S = 2000;
/** Bytes a database query sends and receives. */
const QUERY_BYTES_OUT = 300;
const QUERY_BYTES_IN = 1500;
/** The state is sampled every SAMPLE_S seconds (lifecycle changes every second): minute means need no finer grain. */
const SAMPLE_S = 5;
/** Expected calls an instance's reach estimate starts from (as if it had received them all). */
const REACH_PRIOR = 50;
/** Background lines per instance per minute: benign warnings and errors. */
const BENIGN_WARN_PER_MIN = 0.02;
const BENIGN_ERROR_PER_MIN = 0.004;

export interface MonitorOptions {
  /** metrics.arrow path, or none to compute the state for logs only. */
  metricsPath?: string;
  logs?: { rows: LogRows; catalog: LogCatalog };
  /** Called with each batch of metric rows before it is written (e.g. the metric CSV export). */
  onMetrics?: (b: MetricRowBatch) => void;
}

/** A batch of metrics.arrow rows, column-wise. */
export interface MetricRowBatch {
  length: number;
  /** The metrics written (the model's `metricNames`); the other columns of `values` are not. */
  names: readonly MetricName[];
  time: Float64Array;
  service: DictCodes;
  instance: DictCodes;
  values: Record<MetricName, Float64Array>;
}

/**
 * Per-instance resource metrics from the engine's causal state, and the log lines an instance
 * writes outside requests. Each second the monitor reads every bank instance's queue state (the
 * expected arrivals, processing time and queue wait the engine's latencies come from) and the
 * fault effects acting on it (a CPU hog, steal, GC pauses, heap fill, a restart); each minute it
 * writes one metrics row per instance that was up, with measurement noise from its own random
 * stream (seed, minute), so metrics never shift the engine's draws. Utilisations are shares of the
 * instance's capacity, so they do not depend on the traffic scale; bytes count the messages and
 * queries the engine actually sent.
 *
 * The engine spreads a service's expected load over its instances by DCN cell, while calls reach
 * an instance only if a caller lives in its cell: an instance whose cell no caller reaches gets
 * none. The expected load of each instance is therefore scaled by the share of it the instance
 * has actually received so far (calls counted since the start, with a prior of REACH_PRIOR calls).
 *
 * Causes and what they move: load -> busy workers, CPU, GC, bytes; saturation -> queue; a slower
 * database -> connections held; a runaway thread or batch job -> CPU; a noisy neighbour -> steal
 * only (its own CPU stays what its work needs); a leak -> heap and GC pauses; a restart -> a new
 * JVM (heap low, then warming).
 *
 * Request metrics (the `requests` family) are what an exporter of request metrics computes from
 * the requests themselves: the engine hands over every call it completes (`request`), and each
 * minute the calls that ended in it are sorted per instance and side (served, made) and counted,
 * with their exact percentiles. A lightly loaded instance's percentiles of a handful of calls jump
 * from minute to minute, as real ones do; a minute without calls leaves them NaN (a gap). The
 * scenario's `untracedCalls` (a registry's long polls, which no trace records) count on the made
 * side too, as an exporter that sees every call counts them. Calls
 * ending in a later minute wait in the buffer for it; those ending after the run are not counted.
 * Only the families of the model's `metricNames` are written.
 */
export class InstanceMonitor {
  /** Per instance (the engine adds to them): bytes in and out this minute, and calls handled since the start. */
  readonly netIn: Float64Array;
  readonly netOut: Float64Array;
  readonly calls: Float64Array;
  /** Expected calls per instance since the start, from the engine's load. */
  private readonly expectedCalls: Float64Array;
  /** Bytes of one request and of one reply, per receiving service. */
  readonly requestBytes: Float64Array;
  readonly replyBytes: Float64Array;
  readonly queryBytesOut: Float64Array;
  readonly queryBytesIn: Float64Array;
  private e!: EngineState;
  private readonly bank: Int32Array; // instances of bank services, model order
  /** Per service: worker milliseconds one instance has per second (capacity x processing time), own CPU and database ms per call. */
  private readonly poolMsPerS: Float64Array;
  private readonly cpuMs: Float64Array;
  private readonly dbMs: Float64Array;
  private readonly heapBase: Float64Array; // per instance, MB
  private readonly heapMax: Float64Array;
  /** Per instance, this minute: seconds up, and samples taken while up. */
  private readonly upSeconds: Int32Array;
  private readonly upTicks: Int32Array;
  /** Per instance, the minute just ended: share of workers busy, requests waiting, connections held. */
  private readonly busy: Float64Array;
  private readonly queue: Float64Array;
  private readonly dbHeld: Float64Array;
  /**
   * Per instance, sums over the seconds it was up this minute: expected worker, own CPU and
   * database milliseconds and requests waiting (scaled), and the fault effects.
   */
  private readonly sums: Record<'worker' | 'cpu' | 'db' | 'waiting' | 'hog' | 'steal' | 'gc' | 'cold' | 'heap' | 'slowQuery', Float64Array>;
  private readonly prevState: Uint8Array;
  private readonly prevBatch: Uint8Array;
  private readonly batchSince: Float64Array;
  private readonly upSince: Float64Array;
  private readonly writer?: ColumnarFileWriter;
  private readonly batch?: MetricRowBatch;
  private readonly capacity = 65_536;
  rowsWritten = 0;
  /** Whether the monitor writes request metrics, so the engine hands it its calls. */
  readonly requests: boolean;
  private readonly isBank: Uint8Array;
  /** Calls completed and not yet counted: instance, side (0 served, 1 served and failed, 2 made), end time, duration. */
  private reqN = 0;
  private reqInst = new Int32Array(1024);
  private reqSide = new Uint8Array(1024);
  private reqEnd = new Float64Array(1024);
  private reqMs = new Float64Array(1024);
  /** Per instance, the minute just ended: calls served and failed; per (instance, quantile), served and made durations' percentiles. */
  private readonly served: Float64Array;
  private readonly failed: Float64Array;
  private readonly servedQ: Float64Array;
  private readonly madeQ: Float64Array;
  /** Scratch: per (instance, side) group start offsets, and the durations grouped. */
  private readonly groupAt: Int32Array;
  private groupMs = new Float64Array(1024);

  constructor(
    private readonly m: Model,
    private readonly seed: number,
    private readonly opts: MonitorOptions,
  ) {
    const ni = m.instances.length;
    const ns = m.services.length;
    this.netIn = new Float64Array(ni);
    this.netOut = new Float64Array(ni);
    this.calls = new Float64Array(ni);
    this.expectedCalls = new Float64Array(ni);
    this.requestBytes = new Float64Array(ns);
    this.replyBytes = new Float64Array(ns);
    this.queryBytesOut = new Float64Array(ns);
    this.queryBytesIn = new Float64Array(ns);
    this.poolMsPerS = Float64Array.from(m.services, (_, s) => m.serviceCapacity[s]! * meanProcessingMs(m, s));
    this.cpuMs = Float64Array.from(m.services, (_, s) => meanProcessingMs(m, s) - m.serviceDbMs[s]!);
    this.dbMs = m.serviceDbMs;
    // Message sizes and heap sizes are properties of the code base: drawn once per name.
    m.services.forEach((name, s) => {
      const r = stream(seed, `service:${name}`);
      this.requestBytes[s] = 400 + Math.floor(r() * 1200);
      this.replyBytes[s] = 600 + Math.floor(r() * 2400);
      const queries = m.databases.filter((d) => d.owner === s).length;
      this.queryBytesOut[s] = queries * QUERY_BYTES_OUT;
      this.queryBytesIn[s] = queries * QUERY_BYTES_IN;
    });
    this.bank = Int32Array.from(m.instances.keys()).filter((i) => m.serviceKind[m.instanceService[i]!] === SERVICE_KIND.service);
    this.heapBase = new Float64Array(ni);
    this.heapMax = new Float64Array(ni);
    for (const i of this.bank) {
      const r = stream(seed, `instance:${m.instances[i]}`);
      this.heapBase[i] = 350 + Math.floor(r() * 600);
      this.heapMax[i] = Math.max(1024, Math.ceil((2.5 * this.heapBase[i]!) / 256) * 256);
    }
    this.upSeconds = new Int32Array(ni);
    this.upTicks = new Int32Array(ni);
    this.busy = new Float64Array(ni);
    this.queue = new Float64Array(ni);
    this.dbHeld = new Float64Array(ni);
    const sum = () => new Float64Array(ni);
    this.sums = { worker: sum(), cpu: sum(), db: sum(), waiting: sum(), hog: sum(), steal: sum(), gc: sum(), cold: sum(), heap: sum(), slowQuery: sum() };
    this.prevState = Uint8Array.from(m.initialState);
    this.prevBatch = new Uint8Array(ni);
    this.batchSince = new Float64Array(ni);
    this.upSince = new Float64Array(ni).fill(-Infinity);
    this.isBank = new Uint8Array(ni);
    for (const i of this.bank) this.isBank[i] = 1;
    this.requests = opts.metricsPath !== undefined && m.metricNames.includes('requestCount');
    const q = REQUEST_QUANTILES.length;
    this.served = new Float64Array(this.requests ? ni : 0);
    this.failed = new Float64Array(this.requests ? ni : 0);
    this.servedQ = new Float64Array(this.requests ? ni * q : 0);
    this.madeQ = new Float64Array(this.requests ? ni * q : 0);
    this.groupAt = new Int32Array(this.requests ? 2 * ni + 1 : 0);
    if (opts.metricsPath) {
      this.writer = ColumnarFileWriter.open(opts.metricsPath, [
        { name: METRIC_COLUMNS.time, kind: 'f64' },
        { name: METRIC_COLUMNS.service, kind: 'dict', values: m.services },
        { name: METRIC_COLUMNS.instance, kind: 'dict', values: m.instances },
        ...m.metricNames.map((n) => ({ name: n, kind: 'f64' as const })),
      ]);
      // Every metric has a column to fill (the row code stays one path); only the model's are written.
      const values = {} as Record<MetricName, Float64Array>;
      for (const n of METRIC_NAMES) values[n] = new Float64Array(m.metricNames.includes(n) ? this.capacity : 0);
      this.batch = {
        length: 0,
        names: m.metricNames,
        time: new Float64Array(this.capacity),
        service: this.writer.codesArray(METRIC_COLUMNS.service, this.capacity),
        instance: this.writer.codesArray(METRIC_COLUMNS.instance, this.capacity),
        values,
      };
    }
  }

  /** Called by the engine once it exists: the state to read. */
  attach(engine: EngineState): void {
    this.e = engine;
  }

  /** One second of state. */
  tick(t: number): void {
    const { fx, load, waitMs, procMs } = this.e;
    const m = this.m;
    const { worker, cpu, db, waiting, hog, steal, gc, cold, heap, slowQuery } = this.sums;
    const sample = Math.round((t - m.start) / 1000) % SAMPLE_S === 0;
    for (let k = 0; k < this.bank.length; k++) {
      const i = this.bank[k]!;
      const state = fx.instState[i]!;
      if (state !== this.prevState[i]) this.transition(i, state, t);
      if (fx.instBatch[i] !== this.prevBatch[i]) this.batchEdge(i, t);
      if (state !== INSTANCE_STATE.up) continue;
      this.upSeconds[i]!++;
      // Sampled every SAMPLE_S seconds, and at its first second up in the minute.
      if (!sample && this.upTicks[i] !== 0) continue;
      const s = m.instanceService[i]!;
      this.upTicks[i]!++;
      const lambda = load[i]! * SAMPLE_S;
      this.expectedCalls[i] = this.expectedCalls[i]! + lambda;
      worker[i] = worker[i]! + lambda * procMs[i]!;
      cpu[i] = cpu[i]! + lambda * this.cpuMs[s]! * fx.instWork[i]!;
      db[i] = db[i]! + lambda * this.dbMs[s]! * fx.dbFactor[s]!;
      waiting[i] = waiting[i]! + (lambda * waitMs[i]!) / 1000;
      const ageS = (t - this.upSince[i]!) / 1000;
      const c = ageS < 10 * WARM_S ? Math.exp(-ageS / WARM_S) : 0;
      hog[i] = hog[i]! + fx.instHog[i]!;
      steal[i] = steal[i]! + fx.instSteal[i]!;
      gc[i] = gc[i]! + fx.instGc[i]!;
      cold[i] = cold[i]! + c;
      const base = this.heapBase[i]!;
      heap[i] = heap[i]! + base * (1 - 0.4 * c) * (1 + fx.instMemGrowth[i]!) + 0.95 * (this.heapMax[i]! - base) * fx.instHeapFill[i]!;
      if (fx.slowQueryMs[s]! > 0) slowQuery[i] = slowQuery[i]! + 1;
    }
  }

  /** A batch job started or finished on an instance. */
  private batchEdge(i: number, t: number): void {
    const running = this.e.fx.instBatch[i]!;
    this.prevBatch[i] = running;
    const logs = this.opts.logs;
    if (!logs) return;
    const v = logs.rows.v;
    v[0] = t;
    if (running) {
      this.batchSince[i] = t;
      v[1] = 500;
      logs.rows.background(i, LINE.batchStart);
    } else {
      v[1] = (t - this.batchSince[i]!) / 1000;
      logs.rows.background(i, LINE.batchDone);
    }
  }

  /** An instance went down or came up: its lifecycle lines; a start is a new JVM. */
  private transition(i: number, state: number, t: number): void {
    const was = this.prevState[i]!;
    this.prevState[i] = state;
    const logs = this.opts.logs;
    const v = logs?.rows.v;
    if (state === INSTANCE_STATE.up) {
      if (was === INSTANCE_STATE.hung || was === INSTANCE_STATE.deregistered || was === INSTANCE_STATE.absent) {
        this.upSince[i] = t;
        if (logs) {
          const startS = 9 + lifecycleUnit(this.seed, i, t) * 8;
          v![0] = t;
          v![1] = startS;
          v![2] = startS + 1.2;
          logs.rows.background(i, LINE.started);
        }
      }
      return;
    }
    if (was !== INSTANCE_STATE.up || !logs) return;
    v![0] = t;
    switch (this.e.fx.instDownCause[i]) {
      case DOWN_CAUSE.outOfMemory:
        v![1] = 1 + Math.floor(lifecycleUnit(this.seed, i, t) * WORKER_POOL_SIZE);
        logs.rows.background(i, LINE.outOfMemory);
        break;
      case DOWN_CAUSE.crash:
        logs.rows.background(i, LINE.crash);
        break;
      case DOWN_CAUSE.replaced:
        logs.rows.background(i, LINE.shutdown);
        break;
      // an unreachable host writes nothing
    }
  }

  /** The minute starting at `tMinute` is over: its metric rows and background lines. */
  endMinute(tMinute: number): void {
    const m = this.m;
    const minute = Math.round((tMinute - m.start) / 60_000);
    const noise = stream(this.seed, `metrics:${minute}`);
    const z = () => normalOfUniform(noise());
    const { worker, cpu, db, waiting, hog, steal, gc, cold, heap, slowQuery } = this.sums;
    const backgroundBytes = BACKGROUND_BYTES_PER_S * 60 * m.scale;
    const b = this.batch;
    this.busy.fill(0);
    this.queue.fill(0);
    this.dbHeld.fill(0);
    if (this.requests) {
      if (m.untracedCalls) this.makeUntracedCalls(tMinute, minute, m.untracedCalls);
      this.countRequests(tMinute + 60_000);
    }
    const q = REQUEST_QUANTILES.length;
    for (let k = 0; k < this.bank.length; k++) {
      const i = this.bank[k]!;
      // Draws for every instance, up or not, so one instance's gap never shifts another's noise.
      const zs = [z(), z(), z(), z(), z(), z(), z(), z(), noise()];
      if (this.upSeconds[i] === 0) continue;
      const n = this.upTicks[i]!;
      const s = m.instanceService[i]!;
      const reach = (this.calls[i]! + REACH_PRIOR) / (this.expectedCalls[i]! + REACH_PRIOR);
      const poolMs = n * SAMPLE_S * this.poolMsPerS[s]!; // worker time the instance had this minute
      const busy = Math.min(1, (reach * worker[i]!) / poolMs);
      this.busy[i] = busy;
      // Little's law: requests waiting = arrival rate x mean wait, per instance at traffic scale 1.
      this.queue[i] = (reach * waiting[i]!) / (n * SAMPLE_S) / m.scale;
      this.dbHeld[i] = this.dbMs[s]! > 0 ? Math.min(DB_POOL_SIZE, (WORKER_POOL_SIZE * reach * db[i]!) / poolMs + slowQuery[i]! / n) : NaN;
      if (!b) continue;
      const r = b.length;
      b.time[r] = tMinute;
      b.service[r] = s;
      b.instance[r] = i;
      const v = b.values;
      const used = IDLE_CPU + CPU_PER_WORK * ((reach * cpu[i]!) / poolMs) + hog[i]! / n + GC_CPU * (gc[i]! / n) + 0.3 * (cold[i]! / n) * (0.2 + busy);
      v.cpuUsage[r] = clamp(100 * Math.min(1, used) + zs[0]!, 0, 100);
      v.cpuSteal[r] = clamp(100 * (steal[i]! / n) * (1 + 0.02 * zs[1]!) + 0.1 + Math.abs(0.15 * zs[1]!), 0, 100);
      v.memoryUsedMb[r] = (heap[i]! / n) * (1 + 0.1 * busy) + this.heapBase[i]! * (0.05 + 0.1 * zs[8]!);
      v.gcPauseMs[r] = 60_000 * (gc[i]! / n + BASE_GC * (0.5 + busy)) * Math.exp(0.2 * zs[2]!);
      v.workerBusy[r] = clamp(WORKER_POOL_SIZE * busy * (1 + 0.05 * zs[3]!), 0, WORKER_POOL_SIZE);
      v.workerQueue[r] = this.queue[i]! * Math.exp(0.1 * zs[4]!);
      v.dbPoolInUse[r] = clamp(this.dbHeld[i]! * (1 + 0.05 * zs[5]!), 0, DB_POOL_SIZE);
      v.netBytesIn[r] = Math.round(this.netIn[i]! + backgroundBytes * (1 + 0.1 * zs[6]!));
      v.netBytesOut[r] = Math.round(this.netOut[i]! + backgroundBytes * (1 + 0.1 * zs[7]!));
      if (this.requests) {
        v.requestCount[r] = this.served[i]!;
        v.errorCount[r] = this.failed[i]!;
        v.latencyP50Ms[r] = this.servedQ[i * q]!;
        v.latencyP90Ms[r] = this.servedQ[i * q + 1]!;
        v.latencyP95Ms[r] = this.servedQ[i * q + 2]!;
        v.latencyP99Ms[r] = this.servedQ[i * q + 3]!;
        v.clientLatencyP50Ms[r] = this.madeQ[i * q]!;
        v.clientLatencyP90Ms[r] = this.madeQ[i * q + 1]!;
        v.clientLatencyP95Ms[r] = this.madeQ[i * q + 2]!;
        v.clientLatencyP99Ms[r] = this.madeQ[i * q + 3]!;
      }
      if (++b.length === this.capacity) this.flush();
    }
    if (this.opts.logs) this.backgroundLines(tMinute, minute);
    for (const a of [this.upSeconds, this.upTicks, worker, cpu, db, waiting, hog, steal, gc, cold, heap, slowQuery, this.netIn, this.netOut]) a.fill(0);
  }

  /**
   * A call the engine completed, from `caller` to instance `callee`: made from t0 to t1 (the
   * caller's client span), served from s0 to s1 (the callee's server span; s0 NaN when it never
   * reached the callee), `failed` when the callee answered with a system failure.
   */
  request(caller: number, callee: number, t0: number, t1: number, s0: number, s1: number, failed: boolean): void {
    if (this.isBank[caller]) this.pushRequest(caller, REQUEST_SIDE.made, t1, t1 - t0);
    if (s0 === s0 && this.isBank[callee]) this.pushRequest(callee, failed ? REQUEST_SIDE.failed : REQUEST_SIDE.served, s1, s1 - s0);
  }

  private pushRequest(i: number, side: RequestSide, end: number, ms: number): void {
    const n = this.reqN;
    if (n === this.reqInst.length) {
      this.reqInst = grown(this.reqInst, 2 * n);
      this.reqSide = grown(this.reqSide, 2 * n);
      this.reqEnd = grown(this.reqEnd, 2 * n);
      this.reqMs = grown(this.reqMs, 2 * n);
    }
    this.reqInst[n] = i;
    this.reqSide[n] = side;
    this.reqEnd[n] = end;
    this.reqMs[n] = ms;
    this.reqN = n + 1;
  }

  /**
   * The calls no trace records that the instances up in the minute starting at `tMinute` made
   * (the scenario's `untracedCalls`), ending in it: made calls only. Drawn from their own stream
   * for every instance, up or not, so neither the engine's draws nor another instance's shift.
   */
  private makeUntracedCalls(tMinute: number, minute: number, u: UntracedCallsSpec): void {
    const r = stream(this.seed, `untraced:${minute}`);
    for (let k = 0; k < this.bank.length; k++) {
      const i = this.bank[k]!;
      const count = poissonInverse(r(), u.perMinute);
      for (let c = 0; c < count; c++) {
        const ms = u.medianMs * Math.exp(u.sigma * normalOfUniform(r()));
        const end = tMinute + r() * 60_000;
        if (this.upSeconds[i]! > 0) this.pushRequest(i, REQUEST_SIDE.made, end, ms);
      }
    }
  }

  /**
   * The calls that ended before `until`: per instance, calls served and failed, and the exact
   * percentiles of the served and the made calls' durations (a counting sort by instance and
   * side, then each group sorted). Later calls move to the front of the buffer for their minute.
   */
  private countRequests(until: number): void {
    const { reqInst, reqSide, reqEnd, reqMs, groupAt, served, failed } = this;
    const ni = this.m.instances.length;
    const q = REQUEST_QUANTILES.length;
    groupAt.fill(0);
    served.fill(0);
    failed.fill(0);
    for (let k = 0; k < this.reqN; k++) {
      if (reqEnd[k]! >= until) continue;
      const i = reqInst[k]!;
      const side = reqSide[k]!;
      groupAt[2 * i + (side === REQUEST_SIDE.made ? 1 : 0) + 1]!++;
      if (side !== REQUEST_SIDE.made) served[i]!++;
      if (side === REQUEST_SIDE.failed) failed[i]!++;
    }
    for (let g = 1; g <= 2 * ni; g++) groupAt[g] = groupAt[g]! + groupAt[g - 1]!;
    if (this.groupMs.length < groupAt[2 * ni]!) this.groupMs = new Float64Array(2 * groupAt[2 * ni]!);
    const ms = this.groupMs;
    let kept = 0;
    for (let k = 0; k < this.reqN; k++) {
      if (reqEnd[k]! >= until) {
        reqInst[kept] = reqInst[k]!;
        reqSide[kept] = reqSide[k]!;
        reqEnd[kept] = reqEnd[k]!;
        reqMs[kept] = reqMs[k]!;
        kept++;
        continue;
      }
      // While filling, groupAt[g] is group g's next free slot: it ends at group g + 1's start.
      const g = 2 * reqInst[k]! + (reqSide[k] === REQUEST_SIDE.made ? 1 : 0);
      ms[groupAt[g]!++] = reqMs[k]!;
    }
    this.reqN = kept;
    for (let i = 0; i < ni; i++) {
      for (let side = 0; side < 2; side++) {
        const g = 2 * i + side;
        const sorted = ms.subarray(g === 0 ? 0 : groupAt[g - 1]!, groupAt[g]!).sort();
        const out = side === 0 ? this.servedQ : this.madeQ;
        for (let j = 0; j < q; j++) out[i * q + j] = quantileSorted(sorted, REQUEST_QUANTILES[j]!);
      }
    }
  }

  /**
   * What instances log outside requests in a minute: scheduled tasks, benign warnings and errors,
   * and the symptoms of their state (a saturated pool, connection waits, long GC pauses, a batch
   * job's progress, a slow scheduled query). Fields from a (seed, minute) stream of their own.
   */
  private backgroundLines(tMinute: number, minute: number): void {
    const { rows, catalog } = this.opts.logs!;
    const m = this.m;
    const fx = this.e.fx;
    const r = stream(this.seed, `logs:${minute}`);
    const v = rows.v;
    const { gc } = this.sums;
    const leader = new Int32Array(m.services.length).fill(-1);
    for (let k = 0; k < this.bank.length; k++) {
      const i = this.bank[k]!;
      const n = this.upTicks[i]!;
      const s = m.instanceService[i]!;
      const u = [r(), r(), r(), r(), r(), r()];
      if (this.upSeconds[i] === 0) continue;
      if (leader[s] === -1) leader[s] = i;
      const at = (x: number) => tMinute + x * 60_000;
      const meanBusy = this.busy[i]!;
      const period = catalog.jobPeriod[s]!;
      if ((minute + i) % period === 0) {
        v[0] = at(u[0]!);
        v[1] = 20 * Math.exp(u[1]! - 0.5) * (1 + 3 * meanBusy) * period;
        v[2] = Math.floor(u[2]! * 200 * period);
        rows.background(i, LINE.job);
      }
      if (u[3]! < BENIGN_WARN_PER_MIN) {
        v[0] = at(u[4]!);
        v[1] = Math.floor(u[5]! * 0x7fffffff);
        rows.background(i, LINE.benignWarn);
      } else if (u[3]! > 1 - BENIGN_ERROR_PER_MIN) {
        v[0] = at(u[4]!);
        rows.background(i, LINE.benignError);
      }
      if (minute % 10 === i % 10) {
        v[0] = at(u[1]!);
        v[1] = 0x0a000000 + 0xfe00 + (i % 200); // the broker's address in the instance's DCN
        v[2] = 0.3 + 2 * u[2]!;
        rows.background(i, LINE.heartbeat);
      }
      const meanQueue = this.queue[i]!;
      if (meanQueue > WORKER_POOL_SIZE / 2) {
        v[0] = at(u[2]!);
        v[1] = WORKER_POOL_SIZE;
        v[2] = Math.round(meanQueue);
        rows.background(i, LINE.poolBusy);
      }
      if (this.dbHeld[i]! >= 0.95 * DB_POOL_SIZE) {
        v[0] = at(u[3]!);
        v[1] = Math.floor(1 + u[1]! * WORKER_POOL_SIZE);
        v[2] = 30_000;
        v[3] = DB_POOL_SIZE;
        v[4] = DB_POOL_SIZE;
        v[5] = 0;
        v[6] = Math.max(1, Math.round(meanBusy * WORKER_POOL_SIZE - DB_POOL_SIZE));
        rows.background(i, LINE.dbPoolWait);
      }
      const gcShare = gc[i]! / n;
      if (gcShare > 0.05) {
        v[0] = at(u[4]!);
        v[1] = gcShare * 60_000 * (0.3 + 0.4 * u[0]!);
        v[2] = Math.round(this.heapMax[i]! * 0.97);
        v[3] = Math.round(this.heapMax[i]! * (0.97 - 0.1 * (1 - fx.instHeapFill[i]!)));
        v[4] = this.heapMax[i]!;
        rows.background(i, LINE.fullGc);
      }
      if (fx.instBatch[i]) {
        v[0] = at(u[5]!);
        v[1] = Math.floor(2000 + 8000 * u[0]!);
        v[2] = Math.floor(u[1]! * 5);
        rows.background(i, LINE.batchProgress);
      }
    }
    // A slow scheduled query runs on one instance of its owner (the first one up).
    for (let s = 0; s < m.services.length; s++) {
      const i = leader[s]!;
      if (i < 0 || fx.slowQueryMs[s]! <= 0) continue;
      v[0] = tMinute + r() * 60_000;
      v[1] = catalog.serviceDb[s]!;
      v[2] = fx.slowQueryMs[s]! * Math.exp(0.2 * normalOfUniform(r()));
      rows.background(i, LINE.slowBackgroundSql);
    }
  }

  private flush(): void {
    const b = this.batch!;
    if (b.length === 0) return;
    this.opts.onMetrics?.(b);
    const data: Record<string, ColumnData> = { [METRIC_COLUMNS.time]: b.time, [METRIC_COLUMNS.service]: b.service, [METRIC_COLUMNS.instance]: b.instance };
    for (const n of b.names) data[n] = b.values[n];
    this.writer!.write(b.length, data);
    this.rowsWritten += b.length;
    b.length = 0;
  }

  async close(): Promise<{ bytes: number; sha256: string } | undefined> {
    if (!this.writer) return undefined;
    this.flush();
    return this.writer.close();
  }

  abort(): void {
    this.writer?.abort();
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** A uniform in [0, 1) from (seed, instance, second): for the rare lifecycle lines' fields. */
function lifecycleUnit(seed: number, i: number, t: number): number {
  return mix32(mix32(seed, i), Math.floor(t / 1000)) / 4294967296;
}

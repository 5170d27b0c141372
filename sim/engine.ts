import { LOG_POINTS, WORKER_POOL_SIZE } from './formats.js';
import { eitherChance, FaultEffects, INSTANCE_STATE, type CompiledFault } from './faults.js';
import type { KpiAccumulator } from './kpi-accumulator.js';
import { LINE, MAX_LOG_ARGS, type LogCatalog } from './log-catalog.js';
import { SIDE, type LogRows } from './log-rows.js';
import { CLASS, MSG, type MessageRows } from './message-rows.js';
import { meanProcessingMs, OK_CODE, SERVICE_KIND, SYSTEM_CODES, DB_SIGMA, VALIDATION_CODE, type CallNode, type Model } from './model.js';
import type { EngineState, InstanceMonitor } from './monitor.js';
import type { CallRows } from './export/span-rows.js';
import { mix32, normalOfUniform, poissonInverse, stream, TxRandom } from './rng.js';
import { arrivalRate } from './traffic.js';

const TICK_MS = 1000;
/** Bus legs of a synchronous call: client -> mesh -> broker -> mesh -> server, and back. */
export const LEGS_PER_CALL = 8;
const RETRY_BACKOFF_MS = 50;
/** Time constant (ticks) of the retry-load average: retries feed back into load over ~30 s. */
const RETRY_SMOOTHING_TICKS = 30;
/** Utilisation cap of the steady-state queue formula; above it the backlog term takes over. */
const RHO_MAX = 0.98;
const LP = Object.fromEntries(LOG_POINTS.map((p, i) => [p, i])) as Record<(typeof LOG_POINTS)[number], number>;
/** Salt of the per-transaction log stream: log fields never draw from the engine's own stream. */
const LOG_SALT = 0x6c6f6773;
const SPREAD_SALT = 0x73707264;
/** A query this many times the service's mean DB time per call is logged as slow SQL. */
const SLOW_SQL_FACTOR = 3;
/** A reply slower than this share of the caller's TTL (at most SLOW_REPLY_MS) is logged as slow. */
const SLOW_REPLY_SHARE = 0.3;
const SLOW_REPLY_MS = 1000;
/** Copies of one learned line in a handling fall within this share of it around their place (`at`), not at one instant. */
const REPEAT_SPREAD = 0.1;

/** The optional outputs beside messages: application logs, per-instance metrics, and calls for the span exports. */
export interface Telemetry {
  logs?: { rows: LogRows; catalog: LogCatalog };
  monitor?: InstanceMonitor;
  calls?: CallRows;
}

export interface SimulationResult {
  transactions: number;
  messages: number;
}

/**
 * The causal engine. Time advances in 1-second ticks. Each tick:
 *  1. fault effects are recomputed for the tick;
 *  2. every instance's fluid queue is updated from the expected arrivals (transaction rates x
 *     calls per transaction, spread over the registered instances of each DCN cell, since users
 *     are spread evenly over the cells and calls stay in their cell) plus the retries actually
 *     made in recent ticks (so retries add load and can storm), against its capacity (cut by
 *     CPU, GC or DB slowness): below saturation the wait is processing time x rho/(1-rho), above
 *     it a backlog builds up;
 *  3. the tick's transactions (Poisson counts per type) are walked through their call trees: each
 *     call's latency comes from the callee's state (queue wait + lognormal processing + DB time +
 *     synchronous children), with timeouts (the callee keeps running: child outlives parent),
 *     retries (new uniqueId, same bizSeqNo), error propagation up the tree and business failures
 *     decided by the nodes that own them.
 * With `rows` absent it runs in KPI-only mode (used for the fault-free counterfactuals).
 */
export class Engine implements EngineState {
  readonly fx: FaultEffects;
  private readonly rng = new TxRandom();
  private readonly ns: number;
  private readonly nt: number;
  /** Registered (routable) instances per service, and per (service, DCN), rebuilt when faults act. */
  private readonly routable: Int32Array[];
  private readonly routableCount: Int32Array;
  private readonly cellRoutable: Int32Array[]; // [service * cells + dcn]
  private readonly cellCount: Int32Array;
  /** DCN units that serve users (the last DCN of the model is 'external', the channels). */
  private readonly cells: number;
  readonly load: Float64Array; // expected arrivals per instance this tick (scaled calls/s)
  readonly waitMs: Float64Array;
  /** Per instance: the processing time (ms) its queue was last computed with. */
  readonly procMs: Float64Array;
  private readonly backlog: Float64Array;
  /** Retries per second per service, smoothed (EMA) so that sparse sampled retries do not spike. */
  private readonly retryRate: Float64Array;
  private readonly retriesNow: Float64Array;
  private readonly baseProcMs: Float64Array;
  /** Mean CPU (non-DB) time per call and expected calls per transaction, flat [service * types + type]. */
  private readonly cpuMs: Float64Array;
  private readonly callsPerTx: Float64Array;
  /** The services with queues (not clients or channels), the ones updateQueues works on. */
  private readonly queuedServices: Int32Array;
  /**
   * Per service: the arrivals its queues were last computed from when that computation can be
   * reused (no fault effects, no backlog), else NaN.
   */
  private readonly steadyArrivals: Float64Array;
  /** Instance states the routing tables were last built from. */
  private readonly routedState: Uint8Array;
  private routedStateValid = false;
  private txSeq = 0;
  private callSeq = 0;
  /** The next minute run() simulates: a forked engine resumes where its parent was. */
  private minute = 0;
  private messagesCounted = 0;
  private type = 0;
  // Return values of call(): avoids allocating a result object per call.
  private retEnd = 0;
  private retClass = 0;
  private retCode = 0;
  /**
   * Send and receive time of the record emit() writes next (the rows' own array): doubles passed
   * as call arguments are boxed on the heap, typed-array stores are not.
   */
  private readonly times: Float64Array;
  /** Median and lognormal shape of the legs drawn next (setLegs). */
  private legMedian = 0;
  private legShape = 0;
  /** Leg latencies drawn by drawLegs(). */
  private readonly legs = new Float64Array(3);
  private readonly logs?: LogRows;
  private readonly catalog?: LogCatalog;
  private readonly monitor?: InstanceMonitor;
  /** The monitor, when it writes request metrics: it is handed every completed call. */
  private readonly requests?: InstanceMonitor;
  private readonly calls?: CallRows;
  /** The callee's side of the call attempt() just made, for its server span: NaN start when it never handled it. */
  private srvStart = NaN;
  /** When the request reached the callee (before a throttled instance picked it up): a one-way message's end for its sender. */
  private srvDelivered = NaN;
  private srvEnd = NaN;
  private srvClass = 0;
  private txDcn = 0;
  /** Log fields draw from their own per-transaction stream, so logs never change the messages. */
  private readonly lrng = new TxRandom();
  /** Where repeated copies of a learned line fall: a stream of their own, so that they take no draw from the log stream. */
  private readonly spreadRng = new TxRandom();
  private spreadSeed = 0;
  private spreadSeed2 = 0;
  private spreadSeeded = false;
  /** The worker thread of the call being handled (its log lines share it), and that call's number. */
  private thread = 0;
  private handling = 0;
  /** An earlier call of this transaction returned a wrong value that the next step will reject. */
  private pendingCorrupt = false;
  private readonly validationCode: number;

  constructor(
    private readonly m: Model,
    private readonly faults: readonly CompiledFault[],
    private readonly seed: number,
    readonly kpis: KpiAccumulator,
    private readonly rows?: MessageRows,
    telemetry: Telemetry = {},
  ) {
    this.logs = telemetry.logs?.rows;
    this.catalog = telemetry.logs?.catalog;
    this.monitor = telemetry.monitor;
    if (telemetry.monitor?.requests) this.requests = telemetry.monitor;
    this.calls = telemetry.calls;
    this.validationCode = m.retCodes.indexOf(VALIDATION_CODE);
    this.fx = new FaultEffects(m);
    this.times = rows ? rows.times : new Float64Array(2);
    this.ns = m.services.length;
    this.nt = m.txTypes.length;
    this.routable = m.serviceInstances.map((ids) => new Int32Array(ids.length));
    this.routableCount = new Int32Array(this.ns);
    const ni = m.instances.length;
    this.waitMs = new Float64Array(ni);
    this.backlog = new Float64Array(ni);
    this.retryRate = new Float64Array(this.ns);
    this.retriesNow = new Float64Array(this.ns);
    this.baseProcMs = Float64Array.from(m.services, (_, s) => meanProcessingMs(m, s));
    this.cpuMs = Float64Array.from(m.services, (_, s) => meanProcessingMs(m, s) - m.serviceDbMs[s]!);
    this.callsPerTx = new Float64Array(this.ns * this.nt);
    m.txTypes.forEach((t, k) => t.callsPerTx.forEach((c, s) => (this.callsPerTx[s * this.nt + k] = c)));
    this.cells = m.dcns.length - 1;
    this.cellRoutable = [];
    for (let s = 0; s < this.ns; s++) for (let d = 0; d < this.cells; d++) this.cellRoutable.push(new Int32Array(m.serviceInstances[s]!.length));
    this.cellCount = new Int32Array(this.ns * this.cells);
    this.load = new Float64Array(ni);
    this.procMs = new Float64Array(ni);
    this.queuedServices = Int32Array.from(m.services.keys()).filter((s) => m.serviceKind[s] === SERVICE_KIND.service);
    this.routedState = new Uint8Array(ni);
    this.steadyArrivals = new Float64Array(this.ns).fill(NaN);
    this.rebuildRouting();
    this.monitor?.attach(this);
  }

  /**
   * A KPI-only copy of this engine's state between two minutes, going on with other faults and
   * its own KPI accumulator. Everything carried from tick to tick is copied; the transaction RNG
   * is not, since it is reseeded for every transaction.
   */
  fork(faults: readonly CompiledFault[], kpis: KpiAccumulator): Engine {
    const e = new Engine(this.m, faults, this.seed, kpis);
    e.fx.copyFrom(this.fx);
    e.routedState.set(this.routedState);
    e.routedStateValid = this.routedStateValid;
    for (let s = 0; s < this.ns; s++) e.routable[s]!.set(this.routable[s]!);
    this.cellRoutable.forEach((list, k) => e.cellRoutable[k]!.set(list));
    e.routableCount.set(this.routableCount);
    e.cellCount.set(this.cellCount);
    e.load.set(this.load);
    e.procMs.set(this.procMs);
    e.steadyArrivals.set(this.steadyArrivals);
    e.waitMs.set(this.waitMs);
    e.backlog.set(this.backlog);
    e.retryRate.set(this.retryRate);
    e.retriesNow.set(this.retriesNow);
    e.txSeq = this.txSeq;
    e.messagesCounted = this.rows ? this.rows.total + this.rows.n : this.messagesCounted;
    e.minute = this.minute;
    return e;
  }

  /**
   * Simulate from where the engine stands (the start, or the fork point) up to `untilMs` (default:
   * the whole run). `beforeMinute` is called at each minute boundary, e.g. to fork the engine.
   */
  run(untilMs = Infinity, beforeMinute?: (minute: number) => void): SimulationResult {
    const m = this.m;
    const ticksPerMinute = 60_000 / TICK_MS;
    const noise = new Float64Array(this.nt);
    const tickU = new Float64Array(this.nt * ticksPerMinute);
    const txKey = new Uint32Array(this.nt);
    const rates = new Float64Array(this.nt);
    const minuteRate = new Float64Array(this.nt);
    const sigma = m.traffic.noise;
    const minutes = Math.min(m.durationMs, untilMs - m.start) / 60_000;
    for (; this.minute < minutes; this.minute++) {
      const minute = this.minute;
      beforeMinute?.(minute);
      const tMinute = m.start + minute * 60_000;
      // Per (type, minute) streams: the same draws whatever happened before (common random numbers).
      for (let k = 0; k < this.nt; k++) {
        const r = stream(this.seed, `traffic:${m.txTypes[k]!.name}:${minute}`);
        noise[k] = Math.exp(sigma * normalOfUniform(r()) - (sigma * sigma) / 2);
        for (let j = 0; j < ticksPerMinute; j++) tickU[k * ticksPerMinute + j] = r();
        txKey[k] = r.int32() >>> 0;
        // Seasonality changes slowly: evaluated once per minute, at its middle.
        minuteRate[k] = arrivalRate(m, k, tMinute + 30_000) * noise[k]!;
      }
      for (let tick = 0; tick < ticksPerMinute; tick++) {
        const t = tMinute + tick * TICK_MS;
        this.fx.update(this.faults, t);
        for (let k = 0; k < this.nt; k++) rates[k] = minuteRate[k]! * this.fx.surge[k]!;
        this.updateQueues(rates);
        this.monitor?.tick(t);
        for (let k = 0; k < this.nt; k++) {
          const n = poissonInverse(tickU[k * ticksPerMinute + tick]!, (rates[k]! * TICK_MS) / 1000);
          for (let j = 0; j < n; j++) {
            const jk = mix32(j, k);
            this.rng.reseed(mix32(txKey[k]!, tick), jk);
            if (this.logs) {
              this.lrng.reseed(mix32(txKey[k]! ^ LOG_SALT, tick), jk ^ LOG_SALT);
              // Seeded where first drawn from: few transactions write a line twice.
              this.spreadSeed = mix32(txKey[k]! ^ SPREAD_SALT, tick);
              this.spreadSeed2 = jk ^ SPREAD_SALT;
              this.spreadSeeded = false;
            }
            this.transaction(k, t + this.rng.next() * TICK_MS);
          }
        }
      }
      this.monitor?.endMinute(tMinute);
    }
    this.rows?.flush();
    return { transactions: this.txSeq, messages: this.rows ? this.rows.total : this.messagesCounted };
  }

  /** Which instances the registry routes to: all but the deregistered ones, by service and cell. */
  private rebuildRouting(): void {
    const m = this.m;
    const state = this.fx.instState;
    // Routing depends on the instance states only: most fault ticks leave them as they were.
    if (this.routedStateValid && sameBytes(state, this.routedState)) return;
    this.routedState.set(state);
    this.routedStateValid = true;
    for (let s = 0; s < this.ns; s++) {
      const ids = m.serviceInstances[s]!;
      const all = this.routable[s]!;
      let n = 0;
      for (let d = 0; d < this.cells; d++) this.cellCount[s * this.cells + d] = 0;
      for (let k = 0; k < ids.length; k++) {
        const i = ids[k]!;
        if (state[i]! >= INSTANCE_STATE.deregistered) continue;
        all[n++] = i;
        const d = m.instanceDcn[i]!;
        if (d < this.cells) this.cellRoutable[s * this.cells + d]![this.cellCount[s * this.cells + d]!++] = i;
      }
      this.routableCount[s] = n;
    }
  }

  private updateQueues(rates: Float64Array): void {
    const m = this.m;
    const fx = this.fx;
    const nt = this.nt;
    const calls = this.callsPerTx;
    const cells = this.cells;
    const load = this.load;
    const backlogs = this.backlog;
    const waitMs = this.waitMs;
    const retryRate = this.retryRate;
    const instState = fx.instState;
    const instSlow = fx.instSlow;
    if (fx.active) this.rebuildRouting();
    const queued = this.queuedServices;
    for (let q = 0; q < queued.length; q++) {
      const s = queued[q]!;
      const ids = m.serviceInstances[s]!;
      let perTx = 0;
      for (let k = 0, o = s * nt; k < nt; k++) perTx += rates[k]! * calls[o + k]!;
      retryRate[s] = retryRate[s]! + (this.retriesNow[s]! - retryRate[s]!) / RETRY_SMOOTHING_TICKS;
      const arrivals = perTx + retryRate[s]!;
      // Without faults, the same arrivals and no backlog give the same queues as last tick: most
      // ticks of a minute (rates change once a minute) skip the work below.
      if (!fx.active && arrivals === this.steadyArrivals[s]) continue;
      // Users are spread evenly over the cells and calls stay in their cell when it has a
      // routable instance, else go to any (mirrors pick()).
      for (let k = 0; k < ids.length; k++) load[ids[k]!] = 0;
      const perCell = arrivals / cells;
      for (let d = 0; d < cells; d++) {
        let list = this.cellRoutable[s * cells + d]!;
        let n = this.cellCount[s * cells + d]!;
        if (n === 0) {
          list = this.routable[s]!;
          n = this.routableCount[s]!;
        }
        const share = perCell / n;
        for (let k = 0; k < n; k++) load[list[k]!] = load[list[k]!]! + share;
      }
      const cpuMs = this.cpuMs[s]!;
      const dbMs = m.serviceDbMs[s]! * fx.dbFactor[s]!;
      const capacity = m.serviceCapacity[s]! * this.baseProcMs[s]!;
      let steady = !fx.active;
      for (let k = 0; k < ids.length; k++) {
        const i = ids[k]!;
        if (instState[i] !== INSTANCE_STATE.up) {
          // A crashed process loses its queue; it starts empty when it comes back.
          backlogs[i] = 0;
          waitMs[i] = 0;
          continue;
        }
        const lambda = load[i]!;
        const proc = cpuMs * instSlow[i]! + dbMs;
        // Capacity falls in proportion to how much longer each call holds a worker.
        const mu = capacity / proc; // scaled calls/s
        const backlog = Math.max(0, backlogs[i]! + (lambda - mu) * (TICK_MS / 1000));
        backlogs[i] = backlog;
        const rho = Math.min(lambda / mu, RHO_MAX);
        // Steady-state wait ~ processing time x rho / (1 - rho); above saturation the backlog
        // drains at mu. Both are ratios, so --traffic-scale changes the data volume, not latency.
        waitMs[i] = (proc * rho) / (1 - rho) + (1000 * backlog) / mu;
        this.procMs[i] = proc;
        if (backlog > 0) steady = false;
      }
      this.steadyArrivals[s] = steady ? arrivals : NaN;
    }
    this.retriesNow.fill(0);
  }

  private transaction(type: number, t0: number): void {
    const m = this.m;
    const tx = m.txTypes[type]!;
    this.type = type;
    const dcn = Math.floor(this.rng.next() * (m.dcns.length - 1)); // last DCN is 'external'
    const origin = m.serviceInstances[tx.origin]![dcn]!;
    this.txSeq++;
    this.callSeq = 0;
    this.pendingCorrupt = false;
    this.handling = 0;
    this.txDcn = dcn;
    this.rows?.setTx(dcn, this.txSeq);
    this.logs?.setTx(dcn, this.txSeq);
    this.call(tx.root, origin, t0);
    this.kpis.transaction(type, t0, this.retClass, this.retEnd - t0);
  }

  /**
   * How long a request waits on an instance throttled for the share `throttled` of each CFS period:
   * the period runs first and stands throttled for its last part; a request arriving at a uniform
   * point of it waits for the next period when it arrives in that part.
   */
  private throttleWait(throttled: number): number {
    const period = this.m.cpuQuotaPeriodMs;
    const at = this.rng.next() * period;
    const runs = (1 - throttled) * period;
    return at < runs ? 0 : period - at;
  }

  private leg(): number {
    return this.rng.lognormal(this.legMedian, this.legShape);
  }

  /** The legs of the call attemptCall() makes: its template's when set, else the scenario's. */
  private setLegs(node: CallNode): void {
    this.legMedian = Number.isNaN(node.legMs) ? this.m.legMs : node.legMs;
    this.legShape = Number.isNaN(node.legSigma) ? this.m.legSigma : node.legSigma;
  }

  /**
   * The next `k` leg latencies into `legs`, in the order leg() would draw them: the hot path takes
   * them from a typed array because a double returned from a call is boxed on the heap.
   */
  private drawLegs(k: number): void {
    const legs = this.legs;
    this.rng.fillNormal(legs, k);
    const median = this.legMedian;
    const sigma = this.legShape;
    for (let j = 0; j < k; j++) legs[j] = median * Math.exp(sigma * legs[j]!);
  }

  /**
   * Pick a routable instance at random, in the caller's cell (DCN) when the service has one there,
   * avoiding `avoid` (the instance that just failed) when there is another choice.
   */
  private pick(service: number, avoid: number, dcn: number): number {
    let list = this.routable[service]!;
    let n = this.routableCount[service]!;
    if (dcn < this.cells) {
      const c = this.cellCount[service * this.cells + dcn]!;
      if (c > 1 || (c === 1 && this.cellRoutable[service * this.cells + dcn]![0] !== avoid)) {
        list = this.cellRoutable[service * this.cells + dcn]!;
        n = c;
      }
    }
    if (n === 0) return -1;
    let k = Math.floor(this.rng.next() * n);
    if (list[k] === avoid && n > 1) k = (k + 1) % n;
    return list[k]!;
  }

  /** One call of the tree, with its probability and fan-out; sets retEnd/retClass/retCode. */
  private call(node: CallNode, caller: number, t: number): void {
    if (node.probability < 1 && this.rng.next() >= node.probability) {
      this.retEnd = t;
      this.retClass = CLASS.none;
      return;
    }
    if (node.fanout === 1) return this.callWithRetries(node, caller, t);
    let end = t;
    let cls: number = CLASS.ok;
    let code = 0;
    for (let k = 0; k < node.fanout; k++) {
      this.callWithRetries(node, caller, t);
      if (this.retEnd > end) end = this.retEnd;
      if (this.retClass > cls) {
        cls = this.retClass;
        code = this.retCode;
      }
    }
    this.retEnd = end;
    this.retClass = cls;
    this.retCode = code;
  }

  private callWithRetries(node: CallNode, caller: number, t: number): void {
    const attempts = node.async ? 1 : node.retries + 1;
    let last = -1;
    for (let a = 0; a < attempts; a++) {
      const inst = this.pick(node.service, last, this.m.instanceDcn[caller]!);
      if (a > 0) this.retriesNow[node.service]!++;
      const pendingBefore = this.pendingCorrupt;
      this.attempt(node, caller, inst, t);
      // A wrong value this call returned never reached the caller if the reply did not.
      if (!pendingBefore && this.retClass !== CLASS.ok) this.pendingCorrupt = false;
      if (this.logs && !node.async) this.logCaller(node, caller, t, a, attempts);
      if (this.retClass !== CLASS.system) return;
      last = inst;
      t = this.retEnd + RETRY_BACKOFF_MS;
    }
  }

  /** What the caller logs about a call it made (a bank service; client applications log nothing here). */
  private logCaller(node: CallNode, caller: number, t0: number, attempt: number, attempts: number): void {
    const m = this.m;
    if (m.serviceKind[m.instanceService[caller]!] !== SERVICE_KIND.service) return;
    const logs = this.logs!;
    const v = logs.v;
    v[0] = this.retEnd;
    v[1] = this.thread;
    v[2] = node.service;
    if (this.retClass === CLASS.system) {
      if (this.retCode === m.code(SYSTEM_CODES.timeout)) {
        v[3] = node.timeoutMs;
        logs.line(caller, LINE.timeout, SIDE.caller);
      }
      if (attempt + 1 < attempts) {
        v[3] = this.retCode;
        v[4] = attempt + 2;
        v[5] = attempts;
        logs.line(caller, LINE.retry, SIDE.caller);
      }
    } else if (this.retEnd - t0 > Math.min(SLOW_REPLY_SHARE * node.timeoutMs, SLOW_REPLY_MS)) {
      v[3] = this.retEnd - t0;
      logs.line(caller, LINE.slowReply, SIDE.caller);
    }
  }

  /** One log record; its send and receive times are in `times` (see there). */
  private emit(lp: number, msgType: number, topic: number, sender: number, receiver: number, ttl: number, code: number, cls: number): void {
    if (this.rows) this.rows.row(lp, msgType, topic, this.type, sender, receiver, ttl, code, cls);
    else this.messagesCounted++;
  }

  /** One request (and its reply or timeout) from `caller` to instance `inst`, recorded for the span exports and the request metrics. */
  private attempt(node: CallNode, caller: number, inst: number, t0: number): void {
    const calls = this.calls;
    const requests = this.requests;
    if (!calls && !requests) return this.attemptCall(node, caller, inst, t0);
    const seq = this.callSeq + 1;
    const parent = this.handling;
    this.srvStart = NaN;
    this.srvDelivered = NaN;
    this.attemptCall(node, caller, inst, t0);
    // A one-way message ends, for its sender, when it is delivered.
    const end = node.async ? (Number.isNaN(this.srvDelivered) ? t0 : this.srvDelivered) : this.retEnd;
    const callee = inst < 0 ? this.m.serviceInstances[node.service]![0]! : inst;
    requests?.request(caller, callee, t0, end, this.srvStart, this.srvEnd, this.srvClass === CLASS.system);
    if (!calls) return;
    const t = calls.t;
    t[0] = t0;
    t[1] = end;
    t[2] = this.srvStart;
    t[3] = this.srvEnd;
    calls.add(this.txSeq, this.txDcn, seq, parent, this.type, caller, callee, node.service, node.operation, node.async, this.retClass - 1, this.srvClass - 1);
  }

  private attemptCall(node: CallNode, caller: number, inst: number, t0: number): void {
    const times = this.times;
    const m = this.m;
    const fx = this.fx;
    const svc = node.service;
    const callerSvc = m.instanceService[caller]!;
    const ttl = node.async ? 0 : node.timeoutMs;
    const msgType = node.async ? MSG.async : MSG.request;
    const topic = svc;
    const replyTopic = callerSvc;
    const seq = ++this.callSeq;
    this.rows?.setCall(seq, node.operation + 1);
    this.logs?.setCall(seq);
    this.setLegs(node);
    const edge = callerSvc * this.ns + svc;
    const legs = this.legs;
    this.drawLegs(1);
    const t1 = t0 + legs[0]!;
    // No routable instance at all: the broker answers at once that nobody consumes the topic.
    if (inst < 0) {
      const target = m.serviceInstances[svc]![0]!;
      const t2 = t1 + this.leg();
      times[0] = t0;
      times[1] = t1;
      this.emit(LP.REQ_CLIENT_MESH, msgType, topic, caller, target, ttl, 0, 0);
      times[0] = t1;
      times[1] = t2;
      this.emit(LP.REQ_MESH_BROKER, msgType, topic, caller, target, ttl, 0, 0);
      return this.brokerReply(node, caller, target, t0, t2, m.code(SYSTEM_CODES.unavailable), true);
    }
    times[0] = t0;
    times[1] = t1;
    this.emit(LP.REQ_CLIENT_MESH, msgType, topic, caller, inst, ttl, 0, 0);
    const net = this.monitor;
    if (net) net.netOut[caller] = net.netOut[caller]! + net.requestBytes[svc]!;
    const misroute = fx.instMisroute[caller]!;
    if (misroute > 0 && this.rng.next() < misroute) {
      // Config error at the caller: sent to a topic nobody consumes; the broker bounces it. The
      // intended callee never sees it, so it does not count in the callee's KPIs.
      const t2 = t1 + this.leg();
      times[0] = t1;
      times[1] = t2;
      this.emit(LP.REQ_MESH_BROKER, msgType, topic, caller, inst, ttl, 0, 0);
      return this.brokerReply(node, caller, inst, t0, t2, m.code(SYSTEM_CODES.route), false);
    }
    // A slow or lossy link delays or drops both legs; a faulty interface what its pod sends (the caller's request, the callee's reply).
    const delay = fx.edgeDelayMs[edge]!;
    const loss = fx.edgeLoss[edge]!;
    const sendLoss = eitherChance(loss, fx.instNetLoss[caller]!);
    if (sendLoss > 0 && this.rng.next() < sendLoss) return this.lost(node, caller, inst, t0);
    this.drawLegs(1);
    const t2 = t1 + legs[0]! + delay + fx.instNetDelayMs[caller]!;
    times[0] = t1;
    times[1] = t2;
    this.emit(LP.REQ_MESH_BROKER, msgType, topic, caller, inst, ttl, 0, 0);
    if (fx.instState[inst] !== INSTANCE_STATE.up) return this.lost(node, caller, inst, t0);
    const t3s = t2 + fx.brokerGapMs[svc]!;
    this.drawLegs(2);
    const t3 = t3s + legs[0]!;
    times[0] = t3s;
    times[1] = t3;
    this.emit(LP.REQ_BROKER_MESH, msgType, topic, caller, inst, ttl, 0, 0);
    const t4 = t3 + legs[1]!;
    times[0] = t3;
    times[1] = t4;
    this.emit(LP.REQ_MESH_CLIENT, msgType, topic, caller, inst, ttl, 0, 0);
    if (net) {
      net.netIn[inst] = net.netIn[inst]! + net.requestBytes[svc]! + net.queryBytesIn[svc]!;
      net.netOut[inst] = net.netOut[inst]! + net.queryBytesOut[svc]!;
    }
    // A throttled instance picks the request up only when its next CPU period starts.
    const throttled = m.cpuQuotaPeriodMs > 0 ? fx.instHog[inst]! : 0;
    const pickedUp = throttled > 0 ? t4 + this.throttleWait(throttled) : t4;
    const callerThread = this.thread;
    const callerHandling = this.handling;
    this.process(node, inst, pickedUp, seq);
    this.setLegs(node); // its own calls drew their legs meanwhile
    this.thread = callerThread;
    this.handling = callerHandling;
    this.rows?.setCall(seq, node.operation + 1); // children have set their own uniqueIds meanwhile
    this.logs?.setCall(seq);
    const end = this.retEnd;
    const cls = this.retClass;
    const code = this.retCode;
    if ((this.calls || this.requests) && cls !== CLASS.none) {
      this.srvDelivered = t4;
      this.srvStart = pickedUp;
      this.srvEnd = end;
      this.srvClass = cls;
    }
    if (node.async) {
      // One-way: nobody waits for a reply, so the callee's latency is its own handling time.
      this.kpis.call(svc, t0, cls, end - t4);
      this.retEnd = t0;
      this.retClass = CLASS.ok;
      return;
    }
    if (cls === CLASS.none) return this.timeout(node, caller, inst, t0); // the callee never answers
    this.drawLegs(1);
    const r1 = end + legs[0]!;
    times[0] = end;
    times[1] = r1;
    this.emit(LP.RSP_CLIENT_MESH, MSG.reply, replyTopic, inst, caller, ttl, code, cls);
    if (net) net.netOut[inst] = net.netOut[inst]! + net.replyBytes[svc]!;
    const replyLoss = eitherChance(loss, fx.instNetLoss[inst]!);
    if (replyLoss > 0 && this.rng.next() < replyLoss) return this.timeout(node, caller, inst, t0);
    this.drawLegs(3);
    // The reply's hop between hosts, held up once more in the call's slow mode (drawn only where it has one).
    const held = node.tailShare > 0 && this.rng.next() < node.tailShare ? this.rng.lognormal(node.tailMs, node.tailSigma) : 0;
    const r2 = r1 + legs[0]! + delay + fx.instNetDelayMs[inst]! + held;
    times[0] = r1;
    times[1] = r2;
    this.emit(LP.RSP_MESH_BROKER, MSG.reply, replyTopic, inst, caller, ttl, code, cls);
    const r3 = r2 + legs[1]!;
    times[0] = r2;
    times[1] = r3;
    this.emit(LP.RSP_BROKER_MESH, MSG.reply, replyTopic, inst, caller, ttl, code, cls);
    const r4 = r3 + legs[2]!;
    // Too late: the requester has given up and its mesh drops the reply.
    if (r4 > t0 + ttl) return this.timeout(node, caller, inst, t0);
    times[0] = r3;
    times[1] = r4;
    this.emit(LP.RSP_MESH_CLIENT, MSG.reply, replyTopic, inst, caller, ttl, code, cls);
    if (net) net.netIn[caller] = net.netIn[caller]! + net.replyBytes[svc]!;
    this.kpis.call(svc, t0, cls, r4 - t0);
    this.retEnd = r4;
    this.retClass = cls;
    this.retCode = code;
  }

  /** An immediate error reply from the broker (no consumer, or misrouted). */
  private brokerReply(node: CallNode, caller: number, inst: number, t0: number, t2: number, code: number, countAtCallee: boolean): void {
    const times = this.times;
    const replyTopic = this.m.instanceService[caller]!;
    const ttl = node.async ? 0 : node.timeoutMs;
    if (countAtCallee) this.kpis.call(node.service, t0, CLASS.system, t2 - t0);
    if (node.async) {
      this.retEnd = t0;
      this.retClass = CLASS.ok;
      return;
    }
    const r3 = t2 + this.leg();
    times[0] = t2;
    times[1] = r3;
    this.emit(LP.RSP_BROKER_MESH, MSG.reply, replyTopic, inst, caller, ttl, code, CLASS.system);
    const r4 = r3 + this.leg();
    times[0] = r3;
    times[1] = r4;
    this.emit(LP.RSP_MESH_CLIENT, MSG.reply, replyTopic, inst, caller, ttl, code, CLASS.system);
    this.retEnd = r4;
    this.retClass = CLASS.system;
    this.retCode = code;
  }

  /** The request never reaches a live consumer (lost on the network, or the instance is hung). */
  private lost(node: CallNode, caller: number, inst: number, t0: number): void {
    if (!node.async) return this.timeout(node, caller, inst, t0);
    this.kpis.call(node.service, t0, CLASS.system, 0);
    this.retEnd = t0;
    this.retClass = CLASS.ok;
  }

  /**
   * The caller's TTL expires: its mesh records a timeout reply (retCode TIMEOUT, class system) at
   * send + ttl, so every request has either a reply or a recorded timeout.
   */
  private timeout(node: CallNode, caller: number, inst: number, t0: number): void {
    const times = this.times;
    const t = t0 + node.timeoutMs;
    const code = this.m.code(SYSTEM_CODES.timeout);
    times[0] = t;
    times[1] = t;
    this.emit(LP.RSP_MESH_CLIENT, MSG.reply, this.m.instanceService[caller]!, inst, caller, node.timeoutMs, code, CLASS.system);
    this.kpis.call(node.service, t0, CLASS.system, node.timeoutMs);
    this.retEnd = t;
    this.retClass = CLASS.system;
    this.retCode = code;
  }

  /**
   * The callee's work: queue wait, own processing and DB time, then its synchronous children; and
   * what it logs. A wrong value made in a handling (wrong-return) is rejected by the handler's own
   * check where it has one (`checksResult`), else by the next synchronous step's validation: a
   * business failure away from its cause.
   */
  private process(node: CallNode, inst: number, arrive: number, seq: number): void {
    const m = this.m;
    const fx = this.fx;
    const svc = node.service;
    const rng = this.rng;
    if (m.serviceKind[svc] === SERVICE_KIND.channel) {
      const u = rng.next();
      const p = rng.lognormal(m.serviceTimeMs[svc]!, m.serviceSigma[svc]!) * fx.channelSlow[svc]!;
      const fail = fx.channelFail[svc]!;
      if (u < fail / 2) {
        this.retClass = CLASS.none; // an outage drops half the calls without an answer...
        return;
      }
      this.retEnd = arrive + p;
      if (u < fail || u > 1 - m.serviceErrorRate[svc]!) {
        this.retClass = CLASS.system; // ...and rejects the other half at once
        this.retEnd = arrive + Math.min(p, m.serviceTimeMs[svc]! * 0.1);
        this.retCode = m.code(SYSTEM_CODES.channel);
        return;
      }
      return this.businessOutcome(node);
    }
    const logs = this.logs;
    this.handling = seq;
    if (logs) this.thread = 1 + Math.floor(this.lrng.next() * WORKER_POOL_SIZE);
    const median = Number.isNaN(node.timeMs) ? m.serviceTimeMs[svc]! : node.timeMs;
    const shape = Number.isNaN(node.sigma) ? m.serviceSigma[svc]! : node.sigma;
    const begin = arrive + this.waitMs[inst]!;
    let t = begin + rng.lognormal(median, shape) * fx.instSlow[inst]!;
    const db = m.serviceDbMs[svc]!;
    let dbTime = 0;
    if (db > 0) {
      // The query's round trip leaves through the pod's interface too.
      dbTime = rng.lognormal(db * Math.exp((-DB_SIGMA * DB_SIGMA) / 2), DB_SIGMA) * fx.dbFactor[svc]! + fx.instNetDelayMs[inst]!;
      t += dbTime;
      if (logs && dbTime > SLOW_SQL_FACTOR * db) this.logSlowSql(inst, arrive + (t - arrive) * 0.9, dbTime);
    }
    if (this.monitor) this.monitor.calls[inst]!++;
    this.retEnd = t;
    const op = svc * this.nt + this.type;
    const release = fx.releaseError[op]!;
    // Drawn only where there is a chance, so scenarios without it keep their draws.
    const failure = eitherChance(release, node.errorRate);
    if (failure > 0 && rng.next() < failure) {
      this.retClass = CLASS.system;
      this.retCode = m.code(SYSTEM_CODES.exception);
      if (logs) this.logHandled(node, inst, arrive, LINE.exception, -1, 0);
      return;
    }
    this.businessOutcome(node);
    if (this.retClass !== CLASS.ok) {
      if (logs) this.logHandled(node, inst, arrive, LINE.reject, -1, this.retCode);
      return;
    }
    if (this.pendingCorrupt && !node.async) return this.rejectWrongValue(node, inst, arrive);
    const pendingBefore = this.pendingCorrupt;
    const kids = node.children;
    // An escaping exception (code-exception) stops the handler where it is thrown, at a uniform
    // point of its steps: during its own work (cut short), or before one of its calls, or after the
    // last; the calls after that point are never made. Drawn only where there is a chance.
    let throwAt = -1;
    let throwShare = 1;
    const thrown = fx.thrownException[op]!;
    if (thrown > 0 && rng.next() < thrown) {
      const u = rng.next() * (kids.length + 1);
      throwAt = Math.floor(u);
      throwShare = u / (kids.length + 1);
      if (throwAt === 0) {
        this.retEnd = begin + (t - begin) * u;
        return this.escaped(node, inst, arrive, op, throwShare);
      }
    }
    const made = throwAt < 0 ? kids.length : throwAt;
    // A run of parallel siblings is sent at once (from `from`) and waited for together: the
    // handling goes on, or fails, when the slowest of the run has replied.
    let from = t;
    let failClass: number = CLASS.ok;
    let failCode = 0;
    let failService = -1;
    for (let k = 0; k < made; k++) {
      const child = kids[k]!;
      if (child.parallel) this.call(child, inst, from);
      else this.call(child, inst, (from = t));
      const cls: number = this.retClass;
      if (!child.async && cls !== CLASS.none) {
        t = child.parallel ? Math.max(t, this.retEnd) : this.retEnd;
        if (failClass === CLASS.ok && cls !== CLASS.ok) {
          failClass = cls;
          failCode = this.retCode;
          failService = child.service;
        }
      }
      if (failClass === CLASS.ok || (k + 1 < made && kids[k + 1]!.parallel)) continue;
      this.retEnd = t;
      this.retClass = failClass;
      this.retCode = failCode;
      // The handling stops at the failed call: its lines placed before that step were written.
      if (logs && node.logs >= 0) this.logLearned(node.logs, inst, arrive, (k + 1) / (kids.length + 1));
      if (failClass === CLASS.system) {
        if (logs) this.logHandled(node, inst, arrive, LINE.downstreamError, failService, failCode);
        this.retCode = m.code(SYSTEM_CODES.downstream);
        return;
      }
      // the child's business code travels up as is
      if (logs) this.logHandled(node, inst, arrive, LINE.downstreamReject, failService, failCode);
      return;
    }
    this.retEnd = t;
    if (throwAt >= 0) return this.escaped(node, inst, arrive, op, throwShare);
    if (node.async) this.pendingCorrupt = pendingBefore; // a one-way branch hands nothing back
    else if (this.pendingCorrupt) return this.rejectWrongValue(node, inst, arrive);
    const wrong = fx.wrongReturn[op]!;
    if (wrong > 0 && !node.async && rng.next() < wrong) {
      // The wrong value is made inside this handling: the handler's own check rejects it here
      // where it consumes the value, else it is returned and the next step's validation fails.
      if (node.checksResult > 0 && rng.next() < node.checksResult) return this.rejectWrongValue(node, inst, arrive);
      this.pendingCorrupt = true;
    }
    this.retClass = CLASS.ok;
    this.retCode = OK_CODE;
    if (logs) {
      const caught = fx.caughtException[op]!;
      if (caught > 0 && this.lrng.next() < caught) this.logHandled(node, inst, arrive, LINE.caughtException, -1, 0);
      if (node.logs >= 0) this.logLearned(node.logs, inst, arrive, 1);
      else this.logHandled(node, inst, arrive, LINE.ok, -1, 0);
    }
  }

  /** A draw of the transaction's spread stream (`spreadRng`), seeded at its first. */
  private spreadDraw(): number {
    if (!this.spreadSeeded) {
      this.spreadRng.reseed(this.spreadSeed, this.spreadSeed2);
      this.spreadSeeded = true;
    }
    return this.spreadRng.next();
  }

  /**
   * The lines learned for a call (scenario `logs`): each template `perCall` times on average (its
   * whole part, and one more with the fraction's probability), at its place in the handling (`at`)
   * or, without one, at a uniform time within it, its placeholders filled with fresh values. A
   * handling that stopped at `share` of its steps (1: it ran to its reply at retEnd) writes only
   * the lines placed before that point, spread over the time it ran. Two or more copies of a placed
   * line fall in order in a REPEAT_SPREAD share of the handling around its place (moved inside the
   * handling where that share would overhang it), each at a uniform time in its equal part of it.
   */
  private logLearned(list: number, inst: number, arrive: number, share: number): void {
    const logs = this.logs!;
    const c = this.catalog!;
    const lrng = this.lrng;
    const v = logs.v;
    logs.setCall(this.handling);
    const span = this.retEnd - arrive;
    const first = c.learnedFirst[list]!;
    const last = first + c.learnedCount[list]!;
    for (let id = first; id < last; id++) {
      const at = c.at[id]!;
      if (share < 1 && !(at < share)) continue;
      const rate = c.perCall[id]!;
      let n = Math.floor(rate);
      if (lrng.next() < rate - n) n++;
      // Start of the window repeated copies of a placed line are drawn in (-1: none); a line placed
      // once per call keeps its exact place.
      const repeatFrom = n > 1 && !Number.isNaN(at) ? Math.min(Math.max(at / share - REPEAT_SPREAD / 2, 0), 1 - REPEAT_SPREAD) : -1;
      for (let copy = 0; copy < n; copy++) {
        // Each copy in its own n-th of the window: in the order written, apart.
        const place = Number.isNaN(at) ? lrng.next() : repeatFrom >= 0 ? repeatFrom + ((copy + this.spreadDraw()) / n) * REPEAT_SPREAD : at / share;
        v[0] = arrive + place * span;
        for (let k = 1; k <= MAX_LOG_ARGS; k++) v[k] = lrng.nextInt32() >>> 0;
        logs.learned(inst, id);
      }
    }
  }

  /**
   * An exception escaped the handler at retEnd, `share` of the way through its steps: the call
   * fails with it, and the learned lines placed before that point were written. Only a handler
   * that logs before rethrowing writes the error line; an entry service's access log records the
   * 500 anyway.
   */
  private escaped(node: CallNode, inst: number, arrive: number, op: number, share: number): void {
    this.retClass = CLASS.system;
    this.retCode = this.m.code(SYSTEM_CODES.exception);
    if (!this.logs) return;
    if (node.logs >= 0) this.logLearned(node.logs, inst, arrive, share);
    if (this.fx.thrownLogged[op] === 1) return this.logHandled(node, inst, arrive, LINE.exception, -1, 0);
    if (this.atEntry(node)) {
      this.logs.setCall(this.handling);
      this.logAccess(inst, arrive, 500);
    }
  }

  /** This step's validation rejects a value an earlier call returned wrong. */
  private rejectWrongValue(node: CallNode, inst: number, arrive: number): void {
    this.pendingCorrupt = false;
    this.retClass = CLASS.business;
    this.retCode = this.validationCode;
    if (this.logs) this.logHandled(node, inst, arrive, LINE.validation, -1, this.retCode);
  }

  /** The node is the transaction's root at an entry service, whose access log records every request. */
  private atEntry(node: CallNode): boolean {
    return this.catalog!.entry[node.service] === 1 && node === this.m.txTypes[this.type]!.root;
  }

  /**
   * The callee's line about a call it handled, at retEnd (class and code as set): an entry
   * service writes an access-log line for every outcome, and its own line for a failure.
   */
  private logHandled(node: CallNode, inst: number, arrive: number, kind: number, other: number, code: number): void {
    const logs = this.logs!;
    const lrng = this.lrng;
    const v = logs.v;
    const end = this.retEnd;
    const entry = this.atEntry(node);
    logs.setCall(this.handling);
    v[0] = end;
    v[1] = this.thread;
    v[2] = this.type;
    switch (kind) {
      case LINE.ok:
        if (entry) return this.logAccess(inst, arrive, 200);
        v[3] = end - arrive;
        v[4] = lrng.lognormal(300, 1.3);
        v[5] = Math.floor(lrng.next() * 1e8);
        v[6] = Math.floor(lrng.next() * 1e4);
        v[7] = lrng.nextInt32();
        break;
      case LINE.reject:
        v[3] = code;
        v[4] = Math.floor(lrng.next() * 1e8);
        break;
      case LINE.downstreamReject:
      case LINE.downstreamError:
        v[3] = other;
        v[4] = code;
        break;
      case LINE.exception:
      case LINE.caughtException:
        v[kind === LINE.exception ? 3 : 2] = lrng.nextInt32();
        break;
      case LINE.validation: {
        const amount = lrng.lognormal(300, 1.3);
        v[3] = amount;
        v[4] = amount * (1 + (lrng.next() < 0.5 ? -1 : 1) * (0.01 + 0.2 * lrng.next()));
        break;
      }
    }
    logs.line(inst, kind, SIDE.callee);
    if (entry && kind !== LINE.caughtException) this.logAccess(inst, arrive, this.retClass === CLASS.system ? 500 : 422);
  }

  private logAccess(inst: number, arrive: number, status: number): void {
    const logs = this.logs!;
    const lrng = this.lrng;
    const v = logs.v;
    v[0] = this.retEnd;
    v[1] = this.thread;
    v[2] = ((100 << 24) | (64 << 16)) + Math.floor(lrng.next() * (1 << 22)); // a client address (carrier-grade NAT range)
    v[3] = this.type;
    v[4] = status;
    v[5] = Math.floor(lrng.lognormal(800, 0.5));
    v[6] = this.retEnd - arrive;
    logs.line(inst, LINE.access, SIDE.callee);
  }

  private logSlowSql(inst: number, t: number, dbTime: number): void {
    const logs = this.logs!;
    const v = logs.v;
    logs.setCall(this.handling);
    v[0] = t;
    v[1] = this.thread;
    v[2] = this.catalog!.serviceDb[this.m.instanceService[inst]!]!;
    v[3] = dbTime;
    logs.line(inst, LINE.slowSql, SIDE.callee);
  }

  /** Business failures the node owns (e.g. insufficient balance): not system failures. */
  private businessOutcome(node: CallNode): void {
    const u = this.rng.next();
    const cum = node.businessCum;
    for (let k = 0; k < cum.length; k++) {
      if (u < cum[k]!) {
        this.retClass = CLASS.business;
        this.retCode = node.businessCodes[k]!;
        return;
      }
    }
    this.retClass = CLASS.ok;
    this.retCode = OK_CODE;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

import type { FaultTarget, FaultType } from './formats.js';
import type { Model } from './model.js';
import type { ExceptionHandler, FaultSpec } from './scenario-schema.js';
import { parseDuration } from '../common/duration.js';
import { parseInstantOrOffset } from '../common/instant.js';

export interface CompiledFault {
  id: string;
  type: FaultType;
  start: number;
  end: number;
  /** When the fault stops acting on the engine: its end, or never for a rolling restart (the new instances stay). */
  effectEnd: number;
  severity: number;
  tags: string[];
  target: FaultTarget;
  rootCause: string[];
  rootCauseInstance?: string;
  /** Engine indices of what the fault acts on. */
  service: number;
  instances: number[];
  database: number;
  to: number;
  txType: number;
  operations: number[];
  /** Code-exception: what the handler does with the exception. */
  handler: ExceptionHandler;
  /** Rolling restart: the instance replacing instances[k] is replacements[k]. */
  replacements: number[];
}

/**
 * Faults in engine terms. A fault with `repeat` becomes one fault per run (ids suffixed `-run<k>`),
 * each with its own window and truth entry.
 */
export function compileFaults(m: Model, specs: readonly FaultSpec[]): CompiledFault[] {
  const out: CompiledFault[] = [];
  specs.forEach((f, i) => {
    const first = compileFault(m, f, i);
    const runs = f.repeat?.count ?? 1;
    const every = f.repeat ? parseDuration(f.repeat.every) : 0;
    for (let r = 0; r < runs; r++) {
      const shift = r * every;
      out.push({
        ...first,
        id: runs > 1 ? `${first.id}-run${r + 1}` : first.id,
        start: first.start + shift,
        end: first.end + shift,
        effectEnd: first.effectEnd + shift,
      });
    }
  });
  return out;
}

function compileFault(m: Model, f: FaultSpec, i: number): CompiledFault {
  const svc = (name: string | undefined) => (name === undefined ? -1 : m.services.indexOf(name));
  const start = parseInstantOrOffset(f.start, m.start);
  const t = f.target;
  let service = svc(t.service ?? t.channel);
  let instances: number[] = [];
  let target: FaultTarget;
  let rootCauseInstance: string | undefined;
  const pickInstance = () => {
    const ids = m.serviceInstances[service]!;
    const inst =
      typeof t.instance === 'number' ? ids[t.instance - 1] : t.instance === undefined ? ids[0] : ids.find((x) => m.instances[x] === t.instance);
    if (inst === undefined) throw new Error(`faults[${i}].target.instance: service '${t.service}' has no instance '${t.instance}'`);
    return inst;
  };
  // One instance where the target names one (or the type never spans a service), else all of them.
  const onInstances = (serviceWide: boolean): FaultTarget => {
    if (t.instance !== undefined || !serviceWide) {
      instances = [pickInstance()];
      rootCauseInstance = m.instances[instances[0]!];
      return { kind: 'instance', service: t.service!, instance: rootCauseInstance! };
    }
    instances = [...m.serviceInstances[service]!];
    return { kind: 'service', service: t.service! };
  };
  const database = t.database ? m.databases.findIndex((d) => d.name === t.database) : -1;
  let to = -1;
  let txType = -1;
  let replacements: number[] = [];
  switch (f.type) {
    case 'database-slow':
      service = m.databases[database]!.owner;
      target = { kind: 'database', database: t.database!, service: m.services[service]! };
      break;
    case 'network-delay':
    case 'packet-loss':
      if (t.service !== undefined) {
        // The pod's interface: everything its instances send is delayed or dropped.
        target = onInstances(true);
        break;
      }
      service = svc(t.from);
      to = svc(t.to);
      target = { kind: 'edge', from: t.from!, to: t.to! };
      break;
    case 'channel-outage':
    case 'channel-slowdown':
      target = { kind: 'channel', channel: t.channel!, service: t.channel! };
      break;
    case 'traffic-surge':
      txType = m.txTypes.findIndex((x) => x.name === t.txType);
      service = m.txTypes[txType]!.root.service;
      target = { kind: 'txType', txType: t.txType!, service: m.services[service]! };
      break;
    case 'slow-query':
      service = m.databases[database]!.owner;
      target = { kind: 'database', database: t.database!, service: m.services[service]! };
      break;
    case 'rolling-restart': {
      const gen = m.restarts.get(i)!;
      instances = gen.old;
      replacements = gen.fresh;
      target = { kind: 'service', service: t.service! };
      break;
    }
    case 'instance-down':
    case 'crash-loop':
    case 'memory-leak':
    case 'config-error':
    case 'noisy-neighbour':
    case 'cpu-saturation':
    case 'batch-job':
    case 'drift':
      target = onInstances(SERVICE_WIDE.has(f.type));
      break;
    default:
      target = { kind: 'service', service: m.services[service]! };
  }
  // The service an operator would confirm: the callee of an edge, the DB's owner, the channel.
  const rootCause = [m.services[to >= 0 ? to : service]!];
  const operations = (f.operations ?? m.txTypes.filter((x) => x.callsPerTx[service]! > 0).map((x) => x.name)).map((n) => m.txTypes.findIndex((x) => x.name === n));
  const end = start + parseDuration(f.duration);
  return {
    id: f.id ?? `f${i + 1}-${f.type}`,
    type: f.type,
    start,
    end,
    effectEnd: f.type === 'rolling-restart' ? Infinity : end,
    severity: f.severity,
    tags: f.tags ?? [],
    target,
    rootCause,
    ...(rootCauseInstance ? { rootCauseInstance } : {}),
    service,
    instances,
    database,
    to,
    txType,
    operations,
    handler: f.handler ?? 'catches',
    replacements,
  };
}

/**
 * The chance that either of two independent causes strikes. `p` unchanged when `q` is 0 (1 - (1 - p)
 * is not always p in floating point), so that a cause that is absent leaves every draw as it was.
 */
export function eitherChance(p: number, q: number): number {
  return q > 0 ? 1 - (1 - p) * (1 - q) : p;
}

/** Types that act on every instance of the service when no instance is named. */
const SERVICE_WIDE = new Set<FaultType>(['cpu-saturation', 'batch-job', 'drift']);

/**
 * up: serving; hung: unreachable but still routed (callers time out); deregistered: dropped by
 * the registry; absent: not running (a rolling restart's replacement before its turn, or the
 * instance it replaced afterwards).
 */
export const INSTANCE_STATE = { up: 0, hung: 1, deregistered: 2, absent: 3 } as const;

/** Why an instance is not up, for its logs: a crash, out of memory, replaced, or unreachable. */
export const DOWN_CAUSE = { none: 0, crash: 1, outOfMemory: 2, replaced: 3, unreachable: 4 } as const;

/** Seconds an unreachable instance keeps receiving requests before the registry drops it. */
const failoverS = (severity: number) => 10 + 80 * severity;

/** Rolling restart: seconds an old instance keeps being routed after it was killed (severity 1). */
const UNGRACEFUL_S = 30;
/** Rolling restart: time constant of a new instance's cold start (JIT, empty caches), seconds. */
const WARMUP_S = 60;
/** After this many time constants a cold start is over. */
const WARMUP_SPAN = 10;

/**
 * What the active faults do to the bank during one tick. The engine reads these arrays; each
 * fault type writes only the state it acts on, and everything else follows causally.
 */
export class FaultEffects {
  readonly instSlow: Float64Array; // processing-time multiplier: the product of the causes below
  readonly instState: Uint8Array; // INSTANCE_STATE
  readonly instDownCause: Uint8Array; // DOWN_CAUSE, while not up
  /** Own CPU work per call, as a multiple of normal (drift, cold start). */
  readonly instWork: Float64Array;
  /** Share of the instance's CPU taken inside the process by other work (a runaway thread, a batch job). */
  readonly instHog: Float64Array;
  /** Share of the instance's CPU taken by a co-located tenant (steal). */
  readonly instSteal: Float64Array;
  /** Share of time in stop-the-world GC pauses, and how full the heap is (0..1) with a leak. */
  readonly instGc: Float64Array;
  readonly instHeapFill: Float64Array;
  /** Extra live memory as a share of the normal heap (drift). */
  readonly instMemGrowth: Float64Array;
  /** 1 while a batch job runs on the instance. */
  readonly instBatch: Uint8Array;
  readonly instMisroute: Float64Array; // share of outgoing calls sent to a wrong topic (config error)
  readonly dbFactor: Float64Array; // DB query-time multiplier, per owning service
  /** Duration (ms) of the slow background query of a database's owner, 0 when none. */
  readonly slowQueryMs: Float64Array;
  readonly brokerGapMs: Float64Array; // broker -> receiver delay, per receiver service
  readonly channelFail: Float64Array; // share of calls a channel fails
  readonly channelSlow: Float64Array;
  readonly edgeDelayMs: Float64Array; // [from * services + to]
  readonly edgeLoss: Float64Array;
  /** Delay (ms) and loss on everything an instance sends: a fault on its network interface (netem on the pod's egress). */
  readonly instNetDelayMs: Float64Array;
  readonly instNetLoss: Float64Array;
  readonly releaseError: Float64Array; // [service * txTypes + txType]
  /** Share of calls hitting a caught-and-logged exception, and of OK replies carrying a wrong value. */
  readonly caughtException: Float64Array; // [service * txTypes + txType]
  readonly wrongReturn: Float64Array; // [service * txTypes + txType]
  /** Share of calls whose handler an escaping exception aborts, and whether the handler logs it first (1). */
  readonly thrownException: Float64Array; // [service * txTypes + txType]
  readonly thrownLogged: Uint8Array; // [service * txTypes + txType]
  readonly surge: Float64Array; // per txType arrival multiplier
  /** Whether any fault is active this tick or was last tick (state must then be recomputed). */
  active = false;
  private activeBefore = false;
  private touchedEdges: number[] = [];
  private touchedOps: number[] = [];

  constructor(private readonly m: Model) {
    const ni = m.instances.length;
    const ns = m.services.length;
    this.instSlow = new Float64Array(ni);
    this.instState = new Uint8Array(ni);
    this.instDownCause = new Uint8Array(ni);
    this.instWork = new Float64Array(ni);
    this.instHog = new Float64Array(ni);
    this.instSteal = new Float64Array(ni);
    this.instGc = new Float64Array(ni);
    this.instHeapFill = new Float64Array(ni);
    this.instMemGrowth = new Float64Array(ni);
    this.instBatch = new Uint8Array(ni);
    this.instMisroute = new Float64Array(ni);
    this.instNetDelayMs = new Float64Array(ni);
    this.instNetLoss = new Float64Array(ni);
    this.dbFactor = new Float64Array(ns);
    this.slowQueryMs = new Float64Array(ns);
    this.brokerGapMs = new Float64Array(ns);
    this.channelFail = new Float64Array(ns);
    this.channelSlow = new Float64Array(ns);
    this.edgeDelayMs = new Float64Array(ns * ns);
    this.edgeLoss = new Float64Array(ns * ns);
    this.releaseError = new Float64Array(ns * m.txTypes.length);
    this.caughtException = new Float64Array(ns * m.txTypes.length);
    this.wrongReturn = new Float64Array(ns * m.txTypes.length);
    this.thrownException = new Float64Array(ns * m.txTypes.length);
    this.thrownLogged = new Uint8Array(ns * m.txTypes.length);
    this.surge = new Float64Array(m.txTypes.length);
    this.reset();
  }

  /** Take over another engine's effects (same model), e.g. when forking a counterfactual. */
  copyFrom(o: FaultEffects): void {
    for (const k of FaultEffects.ARRAYS) (this[k] as Float64Array).set(o[k] as Float64Array);
    this.active = o.active;
    this.activeBefore = o.activeBefore;
    this.touchedEdges = [...o.touchedEdges];
    this.touchedOps = [...o.touchedOps];
  }

  private static readonly ARRAYS = [
    'instSlow',
    'instState',
    'instDownCause',
    'instWork',
    'instHog',
    'instSteal',
    'instGc',
    'instHeapFill',
    'instMemGrowth',
    'instBatch',
    'instMisroute',
    'instNetDelayMs',
    'instNetLoss',
    'dbFactor',
    'slowQueryMs',
    'brokerGapMs',
    'channelFail',
    'channelSlow',
    'edgeDelayMs',
    'edgeLoss',
    'releaseError',
    'caughtException',
    'wrongReturn',
    'thrownException',
    'thrownLogged',
    'surge',
  ] as const;

  private reset(): void {
    this.instSlow.fill(1);
    this.instState.set(this.m.initialState);
    this.instDownCause.fill(0);
    this.instWork.fill(1);
    this.instHog.fill(0);
    this.instSteal.fill(0);
    this.instGc.fill(0);
    this.instHeapFill.fill(0);
    this.instMemGrowth.fill(0);
    this.instBatch.fill(0);
    this.instMisroute.fill(0);
    this.instNetDelayMs.fill(0);
    this.instNetLoss.fill(0);
    this.dbFactor.fill(1);
    this.slowQueryMs.fill(0);
    this.brokerGapMs.fill(0);
    this.channelFail.fill(0);
    this.channelSlow.fill(1);
    for (const e of this.touchedEdges) this.edgeDelayMs[e] = this.edgeLoss[e] = 0;
    for (const e of this.touchedOps) this.releaseError[e] = this.caughtException[e] = this.wrongReturn[e] = this.thrownException[e] = this.thrownLogged[e] = 0;
    this.touchedEdges = [];
    this.touchedOps = [];
    this.surge.fill(1);
  }

  /** Recompute the effects of `faults` at time t (ms). */
  update(faults: readonly CompiledFault[], t: number): void {
    let now = false;
    for (const f of faults) if (t >= f.start && t < f.effectEnd) now = true;
    // After the last active tick has been undone, nothing changes until the next fault starts.
    this.active = now || this.activeBefore;
    this.activeBefore = now;
    if (!this.active) return;
    this.reset();
    for (const f of faults) if (t >= f.start && t < f.effectEnd) this.apply(f, t);
  }

  private apply(f: CompiledFault, t: number): void {
    const s = f.severity;
    const elapsedS = (t - f.start) / 1000;
    const windowS = (f.end - f.start) / 1000;
    switch (f.type) {
      case 'database-slow':
        this.dbFactor[f.service] = this.dbFactor[f.service]! * (1 + 4 * s);
        break;
      case 'cpu-saturation':
        // A runaway thread in the process takes 0.85 s of its CPU: every operation on it slows.
        for (const i of f.instances) {
          this.instSlow[i] = this.instSlow[i]! / (1 - 0.85 * s);
          this.instHog[i] = Math.min(1, this.instHog[i]! + 0.85 * s);
        }
        break;
      case 'instance-down':
        for (const i of f.instances) this.down(i, elapsedS, s);
        break;
      case 'crash-loop': {
        // Cycles of 3 minutes: the process crashes and restarts. Its health check flaps, so the
        // registry never drops it: requests keep arriving and are lost while it is down.
        const downS = 20 + 100 * s;
        if (elapsedS % 180 < downS) {
          for (const i of f.instances) {
            this.instState[i] = INSTANCE_STATE.hung;
            this.instDownCause[i] = DOWN_CAUSE.crash;
          }
        }
        break;
      }
      case 'memory-leak': {
        // The heap fills over each cycle: GC pauses grow (cubic), then an out-of-memory restart
        // (unreachable for a minute) starts the next cycle. Higher severity leaks faster.
        const cycleS = Math.max(600, 3600 * (1.1 - s));
        const restartS = 60;
        const phase = elapsedS % cycleS;
        const fill = Math.min(1, phase / (cycleS - restartS));
        for (const i of f.instances) {
          if (phase >= cycleS - restartS) {
            this.down(i, phase - (cycleS - restartS), 0);
            this.instDownCause[i] = DOWN_CAUSE.outOfMemory;
          } else {
            const gc = 1 + 12 * fill * fill * fill;
            this.instSlow[i] = this.instSlow[i]! * gc;
            this.instGc[i] = 1 - (1 - this.instGc[i]!) / gc;
            this.instHeapFill[i] = Math.max(this.instHeapFill[i]!, fill);
          }
        }
        break;
      }
      case 'network-delay': {
        const ms = 20 + 480 * s;
        if (f.to < 0) {
          for (const i of f.instances) this.instNetDelayMs[i] = this.instNetDelayMs[i]! + ms;
          break;
        }
        const e = f.service * this.m.services.length + f.to;
        this.edgeDelayMs[e] = this.edgeDelayMs[e]! + ms;
        this.touchedEdges.push(e);
        break;
      }
      case 'packet-loss': {
        const p = 0.02 + 0.3 * s;
        if (f.to < 0) {
          for (const i of f.instances) this.instNetLoss[i] = eitherChance(this.instNetLoss[i]!, p);
          break;
        }
        const e = f.service * this.m.services.length + f.to;
        this.edgeLoss[e] = eitherChance(this.edgeLoss[e]!, p);
        this.touchedEdges.push(e);
        break;
      }
      case 'broker-backlog':
        // The receiver consumes slower than messages arrive: its lag grows over the window.
        this.brokerGapMs[f.service] = this.brokerGapMs[f.service]! + (elapsedS / windowS) * 20_000 * s;
        break;
      case 'channel-outage':
        this.channelFail[f.service] = Math.max(this.channelFail[f.service]!, s);
        break;
      case 'channel-slowdown':
        this.channelSlow[f.service] = this.channelSlow[f.service]! * (1 + 15 * s);
        break;
      case 'bad-release':
        this.perOperation(this.releaseError, f, 0.3 + 0.7 * s);
        break;
      case 'config-error':
        for (const i of f.instances) this.instMisroute[i] = Math.max(this.instMisroute[i]!, 0.2 + 0.8 * s);
        break;
      case 'traffic-surge':
        this.surge[f.txType] = this.surge[f.txType]! * (1 + 4 * s);
        break;
      case 'code-exception':
        // A code path throws. Caught: logged, a fallback value, the reply unchanged. Escaping: the
        // handler stops where it threw and the call fails (engine.ts), logged or not.
        if (f.handler === 'catches') this.perOperation(this.caughtException, f, 0.002 + 0.5 * s);
        else {
          this.perOperation(this.thrownException, f, 0.002 + 0.5 * s);
          for (const op of f.operations) this.thrownLogged[f.service * this.m.txTypes.length + op] = f.handler === 'logs-and-throws' ? 1 : 0;
        }
        break;
      case 'wrong-return':
        this.perOperation(this.wrongReturn, f, 0.005 + 0.5 * s);
        break;
      case 'slow-query':
        // A scheduled query of the owner turned slow (a plan change): it holds a connection and
        // the database's time, so the owner's request queries contend a little.
        this.slowQueryMs[f.service] = Math.max(this.slowQueryMs[f.service]!, 1000 + 20_000 * s);
        this.dbFactor[f.service] = this.dbFactor[f.service]! * (1 + 0.5 * s * s);
        break;
      case 'noisy-neighbour': {
        // Another tenant of the host takes CPU time: the victim's requests take longer, while
        // its own CPU use stays what its work needs.
        const steal = 0.05 + 0.75 * s;
        for (const i of f.instances) {
          this.instSlow[i] = this.instSlow[i]! / (1 - steal);
          this.instSteal[i] = eitherChance(this.instSteal[i]!, steal);
        }
        break;
      }
      case 'rolling-restart':
        this.rollingRestart(f, t);
        break;
      case 'batch-job': {
        const hog = 0.1 + 0.6 * s;
        for (const i of f.instances) {
          this.instSlow[i] = this.instSlow[i]! / (1 - hog);
          this.instHog[i] = Math.min(1, this.instHog[i]! + hog);
          this.instBatch[i] = 1;
        }
        if (this.m.serviceDbMs[f.service]! > 0) this.dbFactor[f.service] = this.dbFactor[f.service]! * (1 + 1.5 * s);
        break;
      }
      case 'drift': {
        // The work per call grows with the window (a table or cache that keeps growing); the fix
        // at the window's end resets it.
        const progress = Math.min(1, elapsedS / windowS);
        const work = 1 + 2 * s * progress;
        for (const i of f.instances) {
          this.instSlow[i] = this.instSlow[i]! * work;
          this.instWork[i] = this.instWork[i]! * work;
          this.instMemGrowth[i] = this.instMemGrowth[i]! + 0.4 * s * progress;
        }
        break;
      }
    }
  }

  /**
   * Each instance in turn is replaced by a new one (a new id): the new one starts cold (slower
   * while it warms up), the old one is stopped; killed before the registry knows (severity > 0),
   * it keeps receiving requests that time out for UNGRACEFUL_S x severity seconds.
   */
  private rollingRestart(f: CompiledFault, t: number): void {
    const n = f.instances.length;
    const turnMs = (f.end - f.start) / n;
    for (let k = 0; k < n; k++) {
      const sinceS = (t - f.start - k * turnMs) / 1000;
      if (sinceS < 0) break;
      const old = f.instances[k]!;
      const fresh = f.replacements[k]!;
      const hung = sinceS < UNGRACEFUL_S * f.severity;
      this.instState[old] = hung ? INSTANCE_STATE.hung : INSTANCE_STATE.absent;
      this.instDownCause[old] = DOWN_CAUSE.replaced;
      this.instState[fresh] = INSTANCE_STATE.up;
      if (sinceS < WARMUP_S * WARMUP_SPAN) {
        const cold = 1 + (0.5 + 2.5 * f.severity) * Math.exp(-sinceS / WARMUP_S);
        this.instSlow[fresh] = this.instSlow[fresh]! * cold;
        this.instWork[fresh] = this.instWork[fresh]! * cold;
      }
    }
  }

  private perOperation(target: Float64Array, f: CompiledFault, share: number): void {
    for (const op of f.operations) {
      const e = f.service * this.m.txTypes.length + op;
      target[e] = Math.max(target[e]!, share);
      this.touchedOps.push(e);
    }
  }

  /** Unreachable: first requests hang (callers time out) until the registry drops it. */
  private down(i: number, sinceS: number, severity: number): void {
    this.instState[i] = Math.max(this.instState[i]!, sinceS < failoverS(severity) ? INSTANCE_STATE.hung : INSTANCE_STATE.deregistered);
    this.instDownCause[i] = DOWN_CAUSE.unreachable;
  }
}

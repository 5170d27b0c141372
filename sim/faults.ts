import type { FaultTarget, FaultType } from './formats.js';
import type { Model } from './model.js';
import type { FaultSpec } from './scenario-schema.js';
import { parseDuration } from '../common/duration.js';
import { parseInstantOrOffset } from '../common/instant.js';

export interface CompiledFault {
  id: string;
  type: FaultType;
  start: number;
  end: number;
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
}

export function compileFaults(m: Model, specs: readonly FaultSpec[]): CompiledFault[] {
  const svc = (name: string | undefined) => (name === undefined ? -1 : m.services.indexOf(name));
  return specs.map((f, i) => {
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
    const database = t.database ? m.databases.findIndex((d) => d.name === t.database) : -1;
    let to = -1;
    let txType = -1;
    switch (f.type) {
      case 'database-slow':
        service = m.databases[database]!.owner;
        target = { kind: 'database', database: t.database!, service: m.services[service]! };
        break;
      case 'network-delay':
      case 'packet-loss':
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
      case 'instance-down':
      case 'crash-loop':
      case 'memory-leak':
      case 'config-error':
      case 'cpu-saturation':
        if (t.instance !== undefined || f.type !== 'cpu-saturation') {
          instances = [pickInstance()];
          rootCauseInstance = m.instances[instances[0]!];
          target = { kind: 'instance', service: t.service!, instance: rootCauseInstance! };
        } else {
          instances = [...m.serviceInstances[service]!];
          target = { kind: 'service', service: t.service! };
        }
        break;
      default:
        target = { kind: 'service', service: m.services[service]! };
    }
    // The service an operator would confirm: the callee of an edge, the DB's owner, the channel.
    const rootCause = [m.services[to >= 0 ? to : service]!];
    const operations = (f.operations ?? m.txTypes.filter((x) => x.callsPerTx[service]! > 0).map((x) => x.name)).map((n) => m.txTypes.findIndex((x) => x.name === n));
    return {
      id: f.id ?? `f${i + 1}-${f.type}`,
      type: f.type,
      start,
      end: start + parseDuration(f.duration),
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
    };
  });
}

export const INSTANCE_STATE = { up: 0, hung: 1, deregistered: 2 } as const;

/** Seconds an unreachable instance keeps receiving requests before the registry drops it. */
const failoverS = (severity: number) => 10 + 80 * severity;

/**
 * What the active faults do to the bank during one tick. The engine reads these arrays; each
 * fault type writes only the state it acts on, and everything else follows causally.
 */
export class FaultEffects {
  readonly instSlow: Float64Array; // processing-time multiplier (CPU, GC pauses)
  readonly instState: Uint8Array; // INSTANCE_STATE
  readonly instMisroute: Float64Array; // share of outgoing calls sent to a wrong topic (config error)
  readonly dbFactor: Float64Array; // DB query-time multiplier, per owning service
  readonly brokerGapMs: Float64Array; // broker -> receiver delay, per receiver service
  readonly channelFail: Float64Array; // share of calls a channel fails
  readonly channelSlow: Float64Array;
  readonly edgeDelayMs: Float64Array; // [from * services + to]
  readonly edgeLoss: Float64Array;
  readonly releaseError: Float64Array; // [service * txTypes + txType]
  readonly surge: Float64Array; // per txType arrival multiplier
  /** Whether any fault is active this tick or was last tick (state must then be recomputed). */
  active = false;
  private activeBefore = false;
  private touchedEdges: number[] = [];
  private touchedRelease: number[] = [];

  constructor(private readonly m: Model) {
    const ni = m.instances.length;
    const ns = m.services.length;
    this.instSlow = new Float64Array(ni);
    this.instState = new Uint8Array(ni);
    this.instMisroute = new Float64Array(ni);
    this.dbFactor = new Float64Array(ns);
    this.brokerGapMs = new Float64Array(ns);
    this.channelFail = new Float64Array(ns);
    this.channelSlow = new Float64Array(ns);
    this.edgeDelayMs = new Float64Array(ns * ns);
    this.edgeLoss = new Float64Array(ns * ns);
    this.releaseError = new Float64Array(ns * m.txTypes.length);
    this.surge = new Float64Array(m.txTypes.length);
    this.reset();
  }

  /** Take over another engine's effects (same model), e.g. when forking a counterfactual. */
  copyFrom(o: FaultEffects): void {
    this.instSlow.set(o.instSlow);
    this.instState.set(o.instState);
    this.instMisroute.set(o.instMisroute);
    this.dbFactor.set(o.dbFactor);
    this.brokerGapMs.set(o.brokerGapMs);
    this.channelFail.set(o.channelFail);
    this.channelSlow.set(o.channelSlow);
    this.edgeDelayMs.set(o.edgeDelayMs);
    this.edgeLoss.set(o.edgeLoss);
    this.releaseError.set(o.releaseError);
    this.surge.set(o.surge);
    this.active = o.active;
    this.activeBefore = o.activeBefore;
    this.touchedEdges = [...o.touchedEdges];
    this.touchedRelease = [...o.touchedRelease];
  }

  private reset(): void {
    this.instSlow.fill(1);
    this.instState.fill(0);
    this.instMisroute.fill(0);
    this.dbFactor.fill(1);
    this.brokerGapMs.fill(0);
    this.channelFail.fill(0);
    this.channelSlow.fill(1);
    for (const e of this.touchedEdges) this.edgeDelayMs[e] = this.edgeLoss[e] = 0;
    for (const e of this.touchedRelease) this.releaseError[e] = 0;
    this.touchedEdges = [];
    this.touchedRelease = [];
    this.surge.fill(1);
  }

  /** Recompute the effects of `faults` at time t (ms). */
  update(faults: readonly CompiledFault[], t: number): void {
    let now = false;
    for (const f of faults) if (t >= f.start && t < f.end) now = true;
    // After the last active tick has been undone, nothing changes until the next fault starts.
    this.active = now || this.activeBefore;
    this.activeBefore = now;
    if (!this.active) return;
    this.reset();
    for (const f of faults) if (t >= f.start && t < f.end) this.apply(f, t);
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
        // The instance serves at (1 - 0.85 s) of its speed: every operation on it slows.
        for (const i of f.instances) this.instSlow[i] = this.instSlow[i]! / (1 - 0.85 * s);
        break;
      case 'instance-down':
        for (const i of f.instances) this.down(i, elapsedS, s);
        break;
      case 'crash-loop': {
        // Cycles of 3 minutes: the process crashes and restarts. Its health check flaps, so the
        // registry never drops it: requests keep arriving and are lost while it is down.
        const downS = 20 + 100 * s;
        if (elapsedS % 180 < downS) for (const i of f.instances) this.instState[i] = INSTANCE_STATE.hung;
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
          if (phase >= cycleS - restartS) this.down(i, phase - (cycleS - restartS), 0);
          else this.instSlow[i] = this.instSlow[i]! * (1 + 12 * fill * fill * fill);
        }
        break;
      }
      case 'network-delay': {
        const e = f.service * this.m.services.length + f.to;
        this.edgeDelayMs[e] = this.edgeDelayMs[e]! + 20 + 480 * s;
        this.touchedEdges.push(e);
        break;
      }
      case 'packet-loss': {
        const e = f.service * this.m.services.length + f.to;
        this.edgeLoss[e] = 1 - (1 - this.edgeLoss[e]!) * (1 - (0.02 + 0.3 * s));
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
        for (const op of f.operations) {
          const e = f.service * this.m.txTypes.length + op;
          this.releaseError[e] = Math.max(this.releaseError[e]!, 0.3 + 0.7 * s);
          this.touchedRelease.push(e);
        }
        break;
      case 'config-error':
        for (const i of f.instances) this.instMisroute[i] = Math.max(this.instMisroute[i]!, 0.2 + 0.8 * s);
        break;
      case 'traffic-surge':
        this.surge[f.txType] = this.surge[f.txType]! * (1 + 4 * s);
        break;
    }
  }

  /** Unreachable: first requests hang (callers time out) until the registry drops the instance. */
  private down(i: number, sinceS: number, severity: number): void {
    this.instState[i] = Math.max(this.instState[i]!, sinceS < failoverS(severity) ? INSTANCE_STATE.hung : INSTANCE_STATE.deregistered);
  }
}

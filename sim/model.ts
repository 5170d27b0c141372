import type { CallTemplate, LearnedLogLine, ScenarioFile, UntracedCallsSpec } from './scenario-schema.js';
import { parseDuration } from '../common/duration.js';
import { parseInstantOrOffset } from '../common/instant.js';
import { INSTANCE_STATE } from './faults.js';
import { DEFAULT_METRIC_FAMILIES, metricNamesOf, type LogLevel, type MetricName } from './formats.js';

/** Lognormal shape of one bus leg unless the scenario sets `legSigma`. */
export const LEG_SIGMA = 0.3;

/**
 * A scenario compiled into indexed, typed form for the engine. "Services" here covers every
 * endpoint on the bus: bank services (kind 0), third-party channels (kind 1, outside the bank) and
 * client applications that start transactions (kind 2, never receive calls).
 */
export const SERVICE_KIND = { service: 0, channel: 1, client: 2 } as const;

/** Return codes: request legs carry '', replies one of these. System codes are the bus's own. */
export const SYSTEM_CODES = {
  timeout: 'TIMEOUT',
  unavailable: 'SYS_UNAVAILABLE',
  downstream: 'SYS_DOWNSTREAM_ERROR',
  exception: 'SYS_EXCEPTION',
  channel: 'SYS_CHANNEL_ERROR',
  route: 'SYS_ROUTE_NOT_FOUND',
} as const;

/** Index of 'OK' in every model's return-code dictionary ('' is 0: request legs). */
export const OK_CODE = 1;

/** The business failure of a step that received a wrong value from an earlier call (wrong-return). */
export const VALIDATION_CODE = 'DATA_VALIDATION_FAILED';

export interface CallNode {
  service: number;
  async: boolean;
  probability: number;
  fanout: number;
  /** Starts with the sibling before it rather than after it (see the scenario's `parallel`). */
  parallel: boolean;
  timeoutMs: number;
  retries: number;
  /** Cumulative probabilities of the business failures, and their return-code indices. */
  businessCum: Float64Array;
  businessCodes: Int32Array;
  /** Index into Model.operations of the name the callee's spans carry, -1 for `<topic>/<transaction type>`. */
  operation: number;
  /** Median and lognormal shape of this call's processing time; NaN: the service's own. */
  timeMs: number;
  sigma: number;
  /** Median and lognormal shape of this call's bus legs; NaN: the scenario's. */
  legMs: number;
  legSigma: number;
  /** Share of replies held up once more on the network (scenario `networkTail`; 0 for none), and that hold-up's lognormal median and shape. */
  tailShare: number;
  tailMs: number;
  tailSigma: number;
  /** The callee's background failure probability for this call (SYS_EXCEPTION), 0 for none. */
  errorRate: number;
  /** Its learned success lines (scenario `logs`): an index into Model.learnedLogs, -1 for the simulator's own line. */
  logs: number;
  /** Share of wrong values made in this handling that the callee's own code rejects (scenario `checksResult`). */
  checksResult: number;
  children: CallNode[];
}

export interface TxTypeModel {
  name: string;
  rate: number; // tx/s at scale 1, before seasonality
  origin: number; // client service index
  root: CallNode;
  /** Expected calls per transaction received by each service (probabilities x fan-out). */
  callsPerTx: Float64Array;
}

export interface Model {
  start: number;
  durationMs: number;
  scale: number;
  legMs: number;
  legSigma: number;
  /** The system's spans record a call's status (the scenario's `spanStatus`). */
  spanStatus: boolean;
  /** The system's spans record their kind (the scenario's `spanKind`). */
  spanKind: boolean;
  /** The level of a handler's line rejecting a wrong value (the scenario's `rejectionLogLevel`), or null for the catalogue's. */
  rejectionLogLevel: LogLevel | null;
  /** The metrics the monitor writes (the scenario's `metricFamilies`), in METRIC_NAMES order. */
  metricNames: MetricName[];
  /** Calls each instance makes that no trace records (the scenario's `untracedCalls`), or null. */
  untracedCalls: UntracedCallsSpec | null;
  /** The CFS period of the instances' CPU limit (the scenario's `cpuQuota`), ms; 0 without a limit. */
  cpuQuotaPeriodMs: number;
  dcns: string[];
  subsystems: string[];
  services: string[];
  serviceKind: Uint8Array;
  serviceSubsystem: Int32Array;
  serviceTopic: string[];
  serviceCapacity: Float64Array; // calls/s per instance, scaled
  serviceTimeMs: Float64Array;
  serviceSigma: Float64Array;
  /**
   * Mean processing time (without DB) of one call at each service: the lognormal mean of its own
   * time, or, where call-tree nodes set their own times, their mean weighted by how often each is
   * called. Queues and utilisation are computed from it.
   */
  serviceCpuMs: Float64Array;
  /** Mean total DB time of one call of the owning service (queries x queryMs), 0 if none. */
  serviceDbMs: Float64Array;
  serviceErrorRate: Float64Array;
  serviceInstances: Int32Array[];
  databases: { name: string; owner: number }[];
  instances: string[];
  instanceService: Int32Array;
  instanceDcn: Int32Array;
  instanceIp: string[];
  /** INSTANCE_STATE of each instance when no fault acts: a rolling restart's replacements start absent. */
  initialState: Uint8Array;
  /** Per rolling-restart fault (by its index in the scenario's faults): the instances it replaces, and their replacements. */
  restarts: Map<number, { old: number[]; fresh: number[] }>;
  txTypes: TxTypeModel[];
  /** Operation names set on call-tree nodes (CallNode.operation indexes them). */
  operations: string[];
  /** The learned success lines of call-tree nodes (CallNode.logs indexes them). */
  learnedLogs: LearnedLogLine[][];
  retCodes: string[];
  /** Index of the return code, for the codes the engine emits itself. */
  code: (retCode: string) => number;
  traffic: ScenarioFile['traffic'];
  campaigns: { start: number; end: number; multiplier: number; types: Set<number> | null }[];
  paydayTypes: Set<number> | null;
}

const DB_SIGMA = 0.3;

export function compileModel(s: ScenarioFile, opts: { durationMs?: number; trafficScale?: number } = {}): Model {
  const start = Date.parse(s.start);
  const scale = (s.traffic.scale ?? 1) * (opts.trafficScale ?? 1);
  const services: string[] = [];
  const kind: number[] = [];
  const subsystemOf: number[] = [];
  const topic: string[] = [];
  const cap: number[] = [];
  const st: number[] = [];
  const sigma: number[] = [];
  const err: number[] = [];
  const instCount: number[] = [];
  const subsystems = s.subsystems.map((x) => x.name);
  const add = (name: string, k: number, sub: number, t: string, c: number, time: number, sg: number, e: number, n: number) => {
    services.push(name);
    kind.push(k);
    subsystemOf.push(sub);
    topic.push(t);
    cap.push(c * scale);
    st.push(time);
    sigma.push(sg);
    err.push(e);
    instCount.push(n);
  };
  s.subsystems.forEach((sub, i) => {
    for (const svc of sub.services) add(svc.name, 0, i, svc.topic ?? `${sub.name}.${svc.name}`, svc.capacity, svc.serviceTimeMs, svc.sigma ?? 0.5, 0, svc.instances);
  });
  const external = subsystems.push('third-party') - 1;
  // Channels are external: capacity is not the bank's concern, so it is effectively unbounded.
  for (const ch of s.channels ?? []) add(ch.name, 1, external, `external.${ch.name}`, 1e12, ch.latencyMs, ch.sigma ?? 0.4, ch.errorRate ?? 0, 1);
  const clientSub = subsystems.push('client') - 1;
  const origins = [...new Set(s.transactions.map((t) => t.origin ?? 'client-app'))];
  for (const o of origins) add(o, 2, clientSub, `client.${o}.reply`, 1e12, 0, 0, 0, s.dcns.length);

  const index = new Map(services.map((n, i) => [n, i]));
  const dcns = [...s.dcns];
  const externalDcn = dcns.push('external') - 1;
  const instances: string[] = [];
  const instanceService: number[] = [];
  const instanceDcn: number[] = [];
  const instanceIp: string[] = [];
  const serviceInstances: Int32Array[] = [];
  services.forEach((name, si) => {
    const ids: number[] = [];
    for (let k = 0; k < instCount[si]!; k++) {
      const dcn = kind[si] === 1 ? externalDcn : k % s.dcns.length;
      ids.push(instances.length);
      instances.push(kind[si] === 2 ? `${name}-${dcns[dcn]}` : `${name}-${String(k + 1).padStart(2, '0')}`);
      instanceService.push(si);
      instanceDcn.push(dcn);
      // 10.<dcn>.<service>.<instance>; channels get documentation-range public addresses.
      instanceIp.push(kind[si] === 1 ? `203.0.113.${si % 250}` : `10.${dcn + 1}.${si}.${k + 10}`);
    }
    serviceInstances.push(Int32Array.from(ids));
  });

  // A rolling restart replaces each instance of its service by a new one with a new id, in the
  // same DCN; the replacements exist from the start but run only from their turn (faults.ts).
  const initialState: number[] = instances.map(() => 0);
  const restarts = new Map<number, { old: number[]; fresh: number[] }>();
  const rolling = (s.faults ?? [])
    .map((f, i) => ({ f, i }))
    .filter(({ f }) => f.type === 'rolling-restart')
    .sort((a, b) => parseInstantOrOffset(a.f.start, start) - parseInstantOrOffset(b.f.start, start) || a.i - b.i);
  const current = serviceInstances.map((ids) => [...ids]);
  for (const { f, i } of rolling) {
    const si = index.get(f.target.service!)!;
    const old = current[si]!;
    const fresh = old.map((o) => {
      const k = serviceInstances[si]!.length;
      const id = instances.length;
      instances.push(`${services[si]}-${String(k + 1).padStart(2, '0')}`);
      instanceService.push(si);
      instanceDcn.push(instanceDcn[o]!);
      instanceIp.push(`10.${instanceDcn[o]! + 1}.${si}.${k + 10}`);
      initialState.push(INSTANCE_STATE.absent);
      serviceInstances[si] = Int32Array.from([...serviceInstances[si]!, id]);
      return id;
    });
    restarts.set(i, { old, fresh });
    current[si] = fresh;
  }

  const dbMs = new Float64Array(services.length);
  const databases = (s.databases ?? []).map((db) => {
    const owner = index.get(db.owner)!;
    dbMs[owner] = dbMs[owner]! + (db.queries ?? 1) * db.queryMs * Math.exp((DB_SIGMA * DB_SIGMA) / 2);
    return { name: db.name, owner };
  });

  const retCodes = ['', 'OK', ...Object.values(SYSTEM_CODES)];
  const codeIndex = new Map(retCodes.map((c, i) => [c, i]));
  const intern = (c: string) => {
    let i = codeIndex.get(c);
    if (i === undefined) codeIndex.set(c, (i = retCodes.push(c) - 1));
    return i;
  };
  const operations: string[] = [];
  const operationIndex = new Map<string, number>();
  const learnedLogs: LearnedLogLine[][] = [];
  const operationOf = (name: string | undefined) => {
    if (name === undefined) return -1;
    let i = operationIndex.get(name);
    if (i === undefined) operationIndex.set(name, (i = operations.push(name) - 1));
    return i;
  };
  const compileCall = (c: CallTemplate, mult: number, callsPerTx: Float64Array): CallNode => {
    const service = index.get(c.call)!;
    const probability = c.probability ?? 1;
    const fanout = c.fanout ?? 1;
    const m = mult * probability * fanout;
    callsPerTx[service] = callsPerTx[service]! + m;
    let cum = 0;
    const bf = c.businessFailures ?? [];
    return {
      service,
      async: c.mode === 'async',
      probability,
      fanout,
      parallel: c.parallel === true,
      timeoutMs: c.timeoutMs ?? 3000,
      retries: c.retries ?? 0,
      businessCum: Float64Array.from(bf, (b) => (cum += b.p)),
      businessCodes: Int32Array.from(bf, (b) => intern(b.code)),
      operation: operationOf(c.operation),
      timeMs: c.serviceTimeMs ?? NaN,
      sigma: c.sigma ?? NaN,
      legMs: c.legMs ?? NaN,
      legSigma: c.legSigma ?? NaN,
      tailShare: c.networkTail?.share ?? 0,
      tailMs: c.networkTail?.medianMs ?? 0,
      tailSigma: c.networkTail?.sigma ?? 0,
      errorRate: c.errorRate ?? 0,
      logs: c.logs ? learnedLogs.push(c.logs) - 1 : -1,
      checksResult: c.checksResult ?? 0,
      children: (c.children ?? []).map((ch) => compileCall(ch, m, callsPerTx)),
    };
  };
  const txTypes = s.transactions.map((t) => {
    const callsPerTx = new Float64Array(services.length);
    return { name: t.name, rate: t.rate, origin: index.get(t.origin ?? 'client-app')!, root: compileCall(t.root, 1, callsPerTx), callsPerTx };
  });
  // Only where a fault can produce it, so that other scenarios' dictionaries stay as they were.
  if ((s.faults ?? []).some((f) => f.type === 'wrong-return')) intern(VALIDATION_CODE);
  const cpuMs = Float64Array.from(st, (time, k) => time * Math.exp((sigma[k]! * sigma[k]!) / 2));
  const perNode = new Float64Array(services.length);
  const weight = new Float64Array(services.length);
  const weigh = (n: CallNode, mult: number) => {
    const m = mult * n.probability * n.fanout;
    if (!Number.isNaN(n.timeMs)) {
      const sg = Number.isNaN(n.sigma) ? sigma[n.service]! : n.sigma;
      perNode[n.service] = perNode[n.service]! + m * n.timeMs * Math.exp((sg * sg) / 2);
      weight[n.service] = weight[n.service]! + m;
    } else {
      perNode[n.service] = perNode[n.service]! + m * cpuMs[n.service]!;
      weight[n.service] = weight[n.service]! + m;
    }
    for (const c of n.children) weigh(c, m);
  };
  const anyNodeTimes = (n: CallNode): boolean => !Number.isNaN(n.timeMs) || n.children.some(anyNodeTimes);
  if (txTypes.some((t) => anyNodeTimes(t.root))) {
    const total = s.transactions.reduce((a, t) => a + t.rate, 0);
    txTypes.forEach((t) => weigh(t.root, total > 0 ? t.rate : 1));
    for (let k = 0; k < services.length; k++) if (weight[k]! > 0) cpuMs[k] = perNode[k]! / weight[k]!;
  }
  const typeIndex = new Map(txTypes.map((t, i) => [t.name, i]));
  const typeSet = (types?: string[]) => (types ? new Set(types.map((t) => typeIndex.get(t)!)) : null);
  const durationMs = opts.durationMs ?? parseDuration(s.duration);
  if (!(durationMs >= 60_000)) throw new Error(`scenario duration must be at least one minute (got ${durationMs} ms)`);
  return {
    start,
    durationMs: Math.ceil(durationMs / 60_000) * 60_000,
    scale,
    legMs: s.legMs ?? 0.4,
    legSigma: s.legSigma ?? LEG_SIGMA,
    spanStatus: s.spanStatus ?? true,
    spanKind: s.spanKind ?? true,
    rejectionLogLevel: s.rejectionLogLevel ?? null,
    metricNames: metricNamesOf(s.metricFamilies ?? DEFAULT_METRIC_FAMILIES, s.spanStatus ?? true),
    untracedCalls: s.untracedCalls ?? null,
    cpuQuotaPeriodMs: s.cpuQuota?.periodMs ?? 0,
    dcns,
    subsystems,
    services,
    serviceKind: Uint8Array.from(kind),
    serviceSubsystem: Int32Array.from(subsystemOf),
    serviceTopic: topic,
    serviceCapacity: Float64Array.from(cap),
    serviceTimeMs: Float64Array.from(st),
    serviceSigma: Float64Array.from(sigma),
    serviceCpuMs: cpuMs,
    serviceDbMs: dbMs,
    serviceErrorRate: Float64Array.from(err),
    serviceInstances,
    databases,
    instances,
    instanceService: Int32Array.from(instanceService),
    instanceDcn: Int32Array.from(instanceDcn),
    instanceIp,
    initialState: Uint8Array.from(initialState),
    restarts,
    txTypes,
    operations,
    learnedLogs,
    retCodes,
    // Lookup only: the writer's retCode dictionary is fixed when the run starts.
    code: (c: string) => {
      const i = codeIndex.get(c);
      if (i === undefined) throw new Error(`return code '${c}' is not in the scenario's dictionary`);
      return i;
    },
    traffic: s.traffic,
    campaigns: (s.traffic.campaigns ?? []).map((c) => {
      const from = parseInstantOrOffset(c.start, start);
      return { start: from, end: from + parseDuration(c.duration), multiplier: c.multiplier, types: typeSet(c.types) };
    }),
    paydayTypes: typeSet(s.traffic.paydays?.types),
  };
}

/** Mean processing time of one call at a service, without faults (lognormal mean + DB time). */
export function meanProcessingMs(m: Model, service: number): number {
  return m.serviceCpuMs[service]! + m.serviceDbMs[service]!;
}

export { DB_SIGMA };

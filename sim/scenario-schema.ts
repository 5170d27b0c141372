import { z } from 'zod';
import { FAULT_TYPES, LOG_LEVELS, MAX_SEVERITY, METRIC_FAMILY_NAMES, type LogLevel, type MetricFamily } from './formats.js';

/**
 * The scenario file format (YAML). Times are ISO timestamps or offsets from the scenario start
 * (`2h30m`); durations are `90m`, `6h`, `1d`. Rates are transactions per second and capacities
 * calls per second per instance, both at traffic scale 1 (the scale multiplies them together, so
 * utilisation and fault behaviour do not depend on how much data is generated).
 */

const name = z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes, starting with a letter');
/** Longest span any duration or offset may have: ten years. */
export const MAX_DURATION_MS = 3650 * 86_400_000;
/** `90m`, `6h`, `1d`, `1h30m` (checked by parseDuration) or milliseconds, up to ten years. */
const duration = z.union([z.string(), z.number().nonnegative().max(MAX_DURATION_MS)]);
const probability = z.number().min(0).max(1);
/** A positive number up to `max`: every number in a scenario has a sane range. */
const upTo = (max: number) => z.number().positive().max(max);
const ms = upTo(3_600_000); // one hour
const multiplier = upTo(1000);

/** What the code around a thrown exception does with it (a code-exception fault's `handler`). */
export const EXCEPTION_HANDLERS = ['catches', 'logs-and-throws', 'throws'] as const;
export type ExceptionHandler = (typeof EXCEPTION_HANDLERS)[number];

const businessFailure = z.strictObject({
  /** Return code, e.g. INSUFFICIENT_BALANCE. */
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an upper-case return code such as INSUFFICIENT_BALANCE'),
  p: probability,
});

export interface CallTemplate {
  call: string;
  mode?: 'sync' | 'async';
  probability?: number;
  fanout?: number;
  parallel?: boolean;
  timeoutMs?: number;
  retries?: number;
  businessFailures?: { code: string; p: number }[];
  operation?: string;
  serviceTimeMs?: number;
  sigma?: number;
  errorRate?: number;
  legMs?: number;
  legSigma?: number;
  networkTail?: NetworkTail;
  logs?: LearnedLogLine[];
  checksResult?: number;
  children?: CallTemplate[];
}

/** A share of a call's replies held up once more on the network (see `networkTail`). */
export interface NetworkTail {
  share: number;
  medianMs: number;
  sigma: number;
}

/** A line a handler writes about a call it handled, learned from a system's logs (see `logs`). */
export interface LearnedLogLine {
  /** The mined template: constant text with `<*>` and typed placeholders (`<num>`, `<hex>`, `<uuid>`, `<ip>`) where values vary. */
  template: string;
  level: LogLevel;
  /** Lines of this template per handled call (may exceed 1). */
  perCall: number;
  /**
   * Where in the handling the line is written, as a share of its time (0 at the start, 1 at the
   * reply). A handler cut short (an exception escapes, a call it makes fails) has written the lines
   * placed before that point and none after. Without it, lines fall anywhere in the handling and a
   * cut handling writes none.
   */
  at?: number;
}

/** Bounds of a learned line: its template's length and characters, its lines per call. */
export const LEARNED_LINE_LIMITS = { templateChars: 2000, printable: /^[^\u0000-\u001f\u007f]*$/, perCall: 1000 } as const;

const learnedLogLine = z.strictObject({
  template: z.string().min(1).max(LEARNED_LINE_LIMITS.templateChars).regex(LEARNED_LINE_LIMITS.printable, 'must not hold control characters'),
  level: z.enum(LOG_LEVELS),
  perCall: z.number().positive().max(LEARNED_LINE_LIMITS.perCall),
  at: z.number().min(0).max(1).optional(),
});

/** One call of a transaction's call tree: `call` names the receiving service or channel. */
const callTemplate: z.ZodType<CallTemplate> = z.lazy(() =>
  z.strictObject({
    call: name,
    /** sync = request/reply; async = one-way message, the caller does not wait. */
    mode: z.enum(['sync', 'async']).optional(),
    /** Optional call: made with this probability. */
    probability: probability.optional(),
    /** Fan-out: this many parallel calls to the service. */
    fanout: z.number().int().min(1).max(64).optional(),
    /**
     * Made alongside the sibling before it (at the same time), not after it: the caller waits for
     * the slowest of a run of parallel siblings. Default: after the sibling before it.
     */
    parallel: z.boolean().optional(),
    /** The caller's request/reply timeout (TTL) for this call. */
    timeoutMs: z.number().int().positive().max(3_600_000).optional(),
    /** Retries after a system failure or timeout (new uniqueId, same bizSeqNo). */
    retries: z.number().int().min(0).max(10).optional(),
    /** Business failures this service decides (not system failures). */
    businessFailures: z.array(businessFailure).optional(),
    /** The operation name the callee's spans carry (default `<topic>/<transaction type>`), e.g. a route of a fitted twin. */
    operation: z.string().min(1).max(300).regex(/^[^\u0000-\u001f\u007f]*$/, 'must not hold control characters').optional(),
    /** Median processing time of this call at the callee, when it differs from the service's own (a per-operation latency). */
    serviceTimeMs: ms.optional(),
    /** Lognormal shape of this call's processing time (default: the service's). */
    sigma: z.number().min(0).max(3).optional(),
    /** Probability that the callee fails this call by itself (SYS_EXCEPTION) when no fault acts: its background errors. */
    errorRate: probability.optional(),
    /** Median and lognormal shape of this call's bus legs, when they differ from the scenario's `legMs` and `legSigma`. */
    legMs: upTo(60_000).optional(),
    legSigma: z.number().positive().max(3).optional(),
    /**
     * A slow mode of this call's network beside its legs' lognormal: a `share` of its replies is
     * held up once more between hosts, for a lognormal `medianMs` with shape `sigma` (a TCP
     * segment lost and sent again after the retransmission timeout, at least 200 ms on Linux). The
     * caller sees it as an edge gap. A fitted twin sets it where the gaps on the edge show such a
     * mode (docs/twin.md).
     */
    networkTail: z
      .strictObject({ share: z.number().positive().max(0.5), medianMs: z.number().positive().max(60_000), sigma: z.number().min(0).max(3).default(0) })
      .optional(),
    /**
     * The lines the callee writes when it handles this call successfully, learned from the
     * system's logs (a fitted twin): they replace the simulator's own success line; an empty list
     * writes none. Failure lines stay the simulator's.
     */
    logs: z.array(learnedLogLine).max(64).optional(),
    /**
     * Share of wrong values produced in this call's handling (a wrong-return fault) that the
     * callee's own code consumes and rejects there, logging it, instead of returning them to the
     * transaction's next step (default 0).
     */
    checksResult: probability.optional(),
    children: z.array(callTemplate).optional(),
  }),
);

const service = z.strictObject({
  name,
  instances: z.number().int().min(1).max(256),
  /** Calls per second one instance can serve before requests queue. */
  capacity: upTo(1e6),
  /** Median processing time of one call (lognormal). */
  serviceTimeMs: ms,
  /** Lognormal shape of the processing time. */
  sigma: z.number().min(0).max(3).optional(),
  /** Topic this service consumes; defaults to `<subsystem>.<service>`. */
  topic: z.string().min(1).optional(),
});

const subsystem = z.strictObject({ name, services: z.array(service).min(1) });

const database = z.strictObject({
  name,
  /** The service that owns the database; each of its calls runs `queries` queries. */
  owner: name,
  queryMs: ms,
  queries: z.number().int().min(1).max(50).optional(),
});

/** A third-party system at the edge of the bank (clearing network, card network, credit bureau). */
const channel = z.strictObject({
  name,
  latencyMs: ms,
  sigma: z.number().min(0).max(3).optional(),
  /** Background system-failure rate of the channel. */
  errorRate: probability.optional(),
});

const transaction = z.strictObject({
  name,
  /** Mean transactions per second (before seasonality). */
  rate: z.number().nonnegative().max(1e6),
  /** Who starts the transaction (a client application; not a service). */
  origin: name.optional(),
  root: callTemplate,
});

const window = z.strictObject({
  start: duration,
  duration,
  multiplier,
  /** Transaction types affected; all when omitted. */
  types: z.array(name).optional(),
});

const traffic = z.strictObject({
  /** Multiplies every rate and capacity. */
  scale: z.number().min(1e-6).max(1e4).optional(),
  /** 24 hourly multipliers (interpolated linearly between hour midpoints). */
  daily: z.array(z.number().nonnegative().max(1000)).length(24),
  /** 7 day multipliers, Monday first. */
  weekly: z.array(z.number().nonnegative().max(1000)).length(7),
  /** Days of the month with extra traffic; -1 is the last day. */
  paydays: z.strictObject({ days: z.array(z.number().int().min(-1).max(31)), multiplier, types: z.array(name).optional() }).optional(),
  campaigns: z.array(window).optional(),
  /** Lognormal sigma of per-minute, per-type rate noise. */
  noise: z.number().min(0).max(2),
});

const target = z.strictObject({
  service: name.optional(),
  /** Instance name (e.g. account-service-02) or its 1-based index within the service. */
  instance: z.union([z.string(), z.number().int().min(1)]).optional(),
  database: name.optional(),
  channel: name.optional(),
  txType: name.optional(),
  /** Edge caller -> callee (service names). */
  from: name.optional(),
  to: name.optional(),
});

const fault = z.strictObject({
  id: z.string().min(1).optional(),
  type: z.enum(FAULT_TYPES),
  target,
  start: duration,
  duration,
  severity: z.number().min(0).max(MAX_SEVERITY),
  /** Hard-case tags, e.g. overlap, no-impact, peak, near-noise, one-signal, churn. */
  tags: z.array(z.string()).optional(),
  /** For bad-release, code-exception, wrong-return: the transaction types whose operations on the service are hit. */
  operations: z.array(name).optional(),
  /**
   * For code-exception: what the code around the throw does with the exception. `catches`
   * (default): logs it and falls back, the reply is unchanged. `logs-and-throws`: logs it and lets
   * it escape; `throws`: lets it escape unlogged. An escaping exception aborts the rest of the
   * handler (its later calls and log lines) and fails the call.
   */
  handler: z.enum(EXCEPTION_HANDLERS).optional(),
  /** Run the fault `count` times, `every` apart (e.g. a batch job); each run is its own truth entry. */
  repeat: z.strictObject({ every: duration, count: z.number().int().min(1).max(10_000) }).optional(),
});

export const scenarioSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  /** Name or relative path of a scenario to deep-merge under this one (lists are replaced). */
  extends: z.string().optional(),
  /** First minute of the run (UTC); a fixed Monday unless set, so runs never depend on the clock. */
  start: z
    .string()
    .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?Z$/, 'must be an ISO timestamp in UTC, e.g. 2026-01-05T00:00:00Z')
    .refine((t) => calendarProblem(t) === null, { error: (issue) => calendarProblem(String(issue.input)) ?? 'not a real date' })
    .default('2026-01-05T00:00:00Z'),
  duration,
  dcns: z.array(name).min(1),
  subsystems: z.array(subsystem).min(1),
  databases: z.array(database).optional(),
  channels: z.array(channel).optional(),
  transactions: z.array(transaction).min(1),
  traffic,
  /** Network latency of one bus leg (ms, lognormal median). */
  legMs: upTo(60_000).optional(),
  /**
   * Whether the system's spans record a call's status (default true). false: exported spans carry
   * none, and the transaction trees a suite's methods read lose it, as with tracing that records no status.
   */
  spanStatus: z.boolean().optional(),
  /**
   * Whether the system's spans record their kind (client, server; default true). false: exported
   * spans carry none, so a reader cannot pair a caller's client span with the callee's server span
   * into one call: it sees two spans of two instances, as it sees such a system's own.
   */
  spanKind: z.boolean().optional(),
  /**
   * The level of the line a handler writes when it rejects a value it checks (a wrong value a
   * wrong-return fault made): the simulator's catalogue writes WARN. Systems differ in how loud
   * their failure lines are; a fitted twin takes the level its system writes most of its failure
   * lines at, so that methods reading levels see its faults as they would see the system's.
   */
  rejectionLogLevel: z.enum(LOG_LEVELS).optional(),
  /**
   * What a suite item's methods read the calls from: `message-log` (default), the transaction trees
   * of the bus's message log, whose times are the sidecars'; `spans`, the client and server spans a
   * tracing agent records (`generate --export spans-csv`), read as `--spans` reads a real system's.
   * A twin fitted from spans reads spans, as its system's data is read: a wait before a handler
   * starts (a throttled CPU, `cpuQuota`) is inside the callee's time in the message log, and an edge
   * gap in the spans.
   */
  callsFrom: z.enum(['message-log', 'spans']).optional(),
  /**
   * The metric families the monitor writes (sim/formats.ts METRIC_FAMILIES; default: the resource
   * families, every one but `requests`). `requests` adds per-instance, per-minute request metrics
   * computed from the calls each instance served and made; a twin lists what its system exports,
   * so that methods see no metric the system lacks.
   */
  metricFamilies: z
    .array(z.enum(METRIC_FAMILY_NAMES as [MetricFamily, ...MetricFamily[]]))
    .refine((l) => new Set(l).size === l.length, { error: 'lists a family twice' })
    .optional(),
  /**
   * Calls every instance makes that no trace records (a service registry's or config server's
   * long poll, a watch): `perMinute` on average (Poisson), each lasting a lognormal `medianMs`
   * with shape `sigma`. They count only in the client side of the `requests` family's
   * percentiles, as a mesh's or client library's exporter counts every call: a lightly loaded
   * instance's client percentiles jump to their length whenever one ends, as real ones do.
   */
  untracedCalls: z
    .strictObject({
      perMinute: z.number().min(0).max(1000),
      medianMs: z.number().positive().max(86_400_000),
      sigma: z.number().min(0).max(5).default(0),
    })
    .optional(),
  /** Lognormal shape of one bus leg (default 0.3): a fitted twin's network may have a long tail. */
  legSigma: z.number().positive().max(3).optional(),
  /**
   * The instances run under a CPU limit enforced per scheduling period (a Kubernetes CPU limit is a
   * CFS quota, period 100 ms). A hog inside an instance (cpu-saturation, batch-job) uses up its
   * quota, and the instance stands throttled for the rest of each period, the hog's share of it: a
   * request arriving then waits for the next period before its handler, and its server span,
   * start, so the callers see the wait as an edge gap. Without it, a hog slows only the work inside
   * the spans.
   */
  cpuQuota: z.strictObject({ periodMs: z.number().positive().max(10_000).default(100) }).optional(),
  faults: z.array(fault).optional(),
});

export type ScenarioFile = z.infer<typeof scenarioSchema>;
export type FaultSpec = z.infer<typeof fault>;
export type TargetSpec = z.infer<typeof target>;
/** The scenario's `untracedCalls`: calls each instance makes that no trace records. */
export type UntracedCallsSpec = NonNullable<ScenarioFile['untracedCalls']>;

/**
 * Why an ISO 8601 date or date-time is not a real instant (month 13, 30 February, 25:00), or null
 * when it is one. `Date.parse` rolls such values over (2026-02-30 becomes 2 March), so they are
 * checked field by field. Years 1970-9999.
 */
export function calendarProblem(text: string): string | null {
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?)?/.exec(text.trim());
  if (!m) return `'${text}' is not an ISO 8601 date`;
  const [year, month, day, hour, minute, second] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as [number, number, number, number, number, number];
  if (year < 1970) return `'${text}': year ${year} is before 1970`;
  if (month < 1 || month > 12) return `'${text}': there is no month ${month}`;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > days) return `'${text}': ${year}-${m[2]} has ${days} days, not ${day}`;
  if (hour > 23 || minute > 59 || second > 59) return `'${text}': no such time of day`;
  return null;
}

import { z } from 'zod';
import { FAULT_TYPES } from './formats.js';

/**
 * The scenario file format (YAML). Times are ISO timestamps or offsets from the scenario start
 * (`2h30m`); durations are `90m`, `6h`, `1d`. Rates are transactions per second and capacities
 * calls per second per instance, both at traffic scale 1 (the scale multiplies them together, so
 * utilisation and fault behaviour do not depend on how much data is generated).
 */

const name = z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes, starting with a letter');
const duration = z.union([z.string(), z.number().nonnegative()]);
const probability = z.number().min(0).max(1);
const positive = z.number().positive();

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
  timeoutMs?: number;
  retries?: number;
  businessFailures?: { code: string; p: number }[];
  children?: CallTemplate[];
}

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
    /** The caller's request/reply timeout (TTL) for this call. */
    timeoutMs: z.number().int().positive().optional(),
    /** Retries after a system failure or timeout (new uniqueId, same bizSeqNo). */
    retries: z.number().int().min(0).max(10).optional(),
    /** Business failures this service decides (not system failures). */
    businessFailures: z.array(businessFailure).optional(),
    children: z.array(callTemplate).optional(),
  }),
);

const service = z.strictObject({
  name,
  instances: z.number().int().min(1).max(256),
  /** Calls per second one instance can serve before requests queue. */
  capacity: positive,
  /** Median processing time of one call (lognormal). */
  serviceTimeMs: positive,
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
  queryMs: positive,
  queries: z.number().int().min(1).max(50).optional(),
});

/** A third-party system at the edge of the bank (clearing network, card network, credit bureau). */
const channel = z.strictObject({
  name,
  latencyMs: positive,
  sigma: z.number().min(0).max(3).optional(),
  /** Background system-failure rate of the channel. */
  errorRate: probability.optional(),
});

const transaction = z.strictObject({
  name,
  /** Mean transactions per second (before seasonality). */
  rate: z.number().nonnegative(),
  /** Who starts the transaction (a client application; not a service). */
  origin: name.optional(),
  root: callTemplate,
});

const window = z.strictObject({
  start: duration,
  duration,
  multiplier: positive,
  /** Transaction types affected; all when omitted. */
  types: z.array(name).optional(),
});

const traffic = z.strictObject({
  /** Multiplies every rate and capacity. */
  scale: positive.optional(),
  /** 24 hourly multipliers (interpolated linearly between hour midpoints). */
  daily: z.array(z.number().nonnegative()).length(24),
  /** 7 day multipliers, Monday first. */
  weekly: z.array(z.number().nonnegative()).length(7),
  /** Days of the month with extra traffic; -1 is the last day. */
  paydays: z.strictObject({ days: z.array(z.number().int().min(-1).max(31)), multiplier: positive, types: z.array(name).optional() }).optional(),
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
  severity: probability,
  /** Hard-case tags: overlap, no-impact, peak. */
  tags: z.array(z.string()).optional(),
  /** For bad-release: the transaction types whose operations on the service fail. */
  operations: z.array(name).optional(),
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
    .default('2026-01-05T00:00:00Z'),
  duration,
  dcns: z.array(name).min(1),
  subsystems: z.array(subsystem).min(1),
  databases: z.array(database).optional(),
  channels: z.array(channel).optional(),
  transactions: z.array(transaction).min(1),
  traffic,
  /** Network latency of one bus leg (ms, lognormal median). */
  legMs: positive.optional(),
  faults: z.array(fault).optional(),
});

export type ScenarioFile = z.infer<typeof scenarioSchema>;
export type FaultSpec = z.infer<typeof fault>;
export type TargetSpec = z.infer<typeof target>;

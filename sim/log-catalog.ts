import { LOG_LEVELS, type LogLevel } from './formats.js';
import { SERVICE_KIND, type Model } from './model.js';
import { utf8 } from './bytes.js';

/**
 * The log lines the bank's services write, as templates compiled per service. A line's text is a
 * constant part of its template (thread pool, logger class, wording, exception and stack frames,
 * all fixed per service like a real code base) with variable fields in between; the engine stores
 * only the template and the field values, and the lines are rendered at flush (log-rows.ts).
 *
 * Services get a Java-style code base: package `com.bank.<subsystem>.<service>`, a handler, an
 * implementation class with its own exceptions and line numbers, the bus client (DeFiBus, the
 * open-sourced WEMQ client) and a connection pool (HikariCP) where they own a database.
 */

/** Most fields one line carries. */
export const MAX_LOG_ARGS = 8;

/** How a field is written. */
export const ARG = {
  int: 0, // integer
  ms: 1, // one decimal (durations in ms or s)
  money: 2, // two decimals
  d4: 3, // four digits, zero-padded
  d8: 4, // eight digits, zero-padded
  hex: 5, // eight hex digits
  service: 6, // service name (index)
  code: 7, // return code (index)
  op: 8, // operation: transaction type in camelCase (index)
  db: 9, // database name (index)
  uid: 10, // the line's own uniqueId (no value needed)
  ip: 11, // IPv4 address from a 32-bit value
  uuid: 12, // a UUID made from a 32-bit value
} as const;

/** Every field name a template may use, and how it is written. */
const FIELD_KIND: Record<string, number> = {
  thread: ARG.int,
  op: ARG.op,
  ms: ARG.ms,
  ms2: ARG.ms,
  amount: ARG.money,
  amount2: ARG.money,
  cust: ARG.d8,
  acct: ARG.d4,
  serial: ARG.hex,
  service: ARG.service,
  code: ARG.code,
  attempt: ARG.int,
  attempts: ARG.int,
  ttl: ARG.int,
  db: ARG.db,
  uid: ARG.uid,
  ip: ARG.ip,
  status: ARG.int,
  bytes: ARG.int,
  n: ARG.int,
  n2: ARG.int,
  n3: ARG.int,
  n4: ARG.int,
  n5: ARG.int,
};

/** Line kinds; a template id is `service * LINE_KINDS + kind`. */
export const LINE = {
  // Written while handling a call (the callee), or about a call it made (the caller).
  ok: 0,
  access: 1,
  reject: 2,
  downstreamReject: 3,
  exception: 4,
  downstreamError: 5,
  caughtException: 6,
  retry: 7,
  timeout: 8,
  slowReply: 9,
  slowSql: 10,
  validation: 11,
  // Written outside any request.
  job: 12,
  benignWarn: 13,
  benignError: 14,
  fullGc: 15,
  outOfMemory: 16,
  crash: 17,
  started: 18,
  shutdown: 19,
  poolBusy: 20,
  dbPoolWait: 21,
  batchStart: 22,
  batchProgress: 23,
  batchDone: 24,
  slowBackgroundSql: 25,
  heartbeat: 26,
} as const;
export const LINE_KINDS = 27;

/**
 * The fields the engine supplies for each line kind, in order (the k-th is `v[k + 1]` of
 * LogRows); a template uses any of them, in any order. uid needs no value.
 */
export const LAYOUT: Record<number, readonly string[]> = {
  [LINE.ok]: ['thread', 'op', 'ms', 'amount', 'cust', 'acct', 'serial'],
  [LINE.access]: ['thread', 'ip', 'op', 'status', 'bytes', 'ms'],
  [LINE.reject]: ['thread', 'op', 'code', 'cust'],
  [LINE.downstreamReject]: ['thread', 'op', 'service', 'code'],
  [LINE.exception]: ['thread', 'op', 'serial'],
  [LINE.downstreamError]: ['thread', 'op', 'service', 'code'],
  [LINE.caughtException]: ['thread', 'serial'],
  [LINE.retry]: ['thread', 'service', 'code', 'attempt', 'attempts'],
  [LINE.timeout]: ['thread', 'service', 'ttl'],
  [LINE.slowReply]: ['thread', 'service', 'ms'],
  [LINE.slowSql]: ['thread', 'db', 'ms'],
  [LINE.validation]: ['thread', 'op', 'amount', 'amount2'],
  [LINE.job]: ['ms', 'n'],
  [LINE.benignWarn]: ['serial'],
  [LINE.benignError]: [],
  [LINE.fullGc]: ['ms', 'n', 'n2', 'n3'],
  [LINE.outOfMemory]: ['thread'],
  [LINE.crash]: [],
  [LINE.started]: ['ms', 'ms2'],
  [LINE.shutdown]: [],
  [LINE.poolBusy]: ['n', 'n2'],
  [LINE.dbPoolWait]: ['thread', 'n', 'n2', 'n3', 'n4', 'n5'],
  [LINE.batchStart]: ['n'],
  [LINE.batchProgress]: ['n', 'n2'],
  [LINE.batchDone]: ['ms'],
  [LINE.slowBackgroundSql]: ['db', 'ms'],
  [LINE.heartbeat]: ['ip', 'ms'],
};

const LEVEL_OF: Record<number, LogLevel> = {
  [LINE.ok]: 'INFO',
  [LINE.access]: 'INFO',
  [LINE.reject]: 'INFO',
  [LINE.downstreamReject]: 'INFO',
  [LINE.exception]: 'ERROR',
  [LINE.downstreamError]: 'ERROR',
  [LINE.caughtException]: 'ERROR',
  [LINE.retry]: 'WARN',
  [LINE.timeout]: 'WARN',
  [LINE.slowReply]: 'WARN',
  [LINE.slowSql]: 'WARN',
  [LINE.validation]: 'WARN',
  [LINE.job]: 'INFO',
  [LINE.benignWarn]: 'WARN',
  [LINE.benignError]: 'ERROR',
  [LINE.fullGc]: 'WARN',
  [LINE.outOfMemory]: 'ERROR',
  [LINE.crash]: 'ERROR',
  [LINE.started]: 'INFO',
  [LINE.shutdown]: 'INFO',
  [LINE.poolBusy]: 'WARN',
  [LINE.dbPoolWait]: 'WARN',
  [LINE.batchStart]: 'INFO',
  [LINE.batchProgress]: 'INFO',
  [LINE.batchDone]: 'INFO',
  [LINE.slowBackgroundSql]: 'WARN',
  [LINE.heartbeat]: 'INFO',
};

/** The level of a handler's line rejecting a wrong value, where the scenario sets none (`rejectionLogLevel`). */
export const DEFAULT_REJECTION_LOG_LEVEL = LEVEL_OF[LINE.validation]!;

/** A compiled template: literal byte runs around its fields (lits.length = args.length + 1). */
export interface Template {
  lits: Uint8Array[];
  /** Per field: how it is written (ARG) and which supplied value it takes (-1 for uid). */
  args: Int8Array;
  slots: Int8Array;
  level: number; // index into LOG_LEVELS
}

export interface LogCatalog {
  templates: Template[]; // by template id
  /** Bytes of the names the fields refer to, by index. */
  services: Uint8Array[];
  codes: Uint8Array[];
  ops: Uint8Array[];
  databases: Uint8Array[];
  /** Per service: its database (index) or -1, and whether it is an entry service (access log). */
  serviceDb: Int32Array;
  entry: Uint8Array;
  /** Per service: the period (minutes) of its scheduled task. */
  jobPeriod: Int32Array;
  /** Per Model.learnedLogs list: its first template id and how many; per template id, lines per call (0 for the simulator's own) and place in the handling (NaN where not learned). */
  learnedFirst: Int32Array;
  learnedCount: Int32Array;
  perCall: Float64Array;
  at: Float64Array;
}

const FIELD_RE = /\{([a-z0-9]+)\}/g;

function compile(text: string, kind: number, level: LogLevel): Template {
  const layout = LAYOUT[kind]!;
  const lits: Uint8Array[] = [];
  const args: number[] = [];
  const slots: number[] = [];
  let at = 0;
  for (const m of text.matchAll(FIELD_RE)) {
    const name = m[1]!;
    const slot = layout.indexOf(name);
    if (FIELD_KIND[name] === undefined || (slot < 0 && name !== 'uid')) throw new Error(`log template of kind ${kind} uses unknown field {${name}}`);
    lits.push(utf8(text.slice(at, m.index)));
    args.push(FIELD_KIND[name]!);
    slots.push(slot);
    at = m.index! + m[0].length;
  }
  lits.push(utf8(text.slice(at)));
  return { lits, args: Int8Array.from(args), slots: Int8Array.from(slots), level: LOG_LEVELS.indexOf(level) };
}

/** Placeholders of a mined template (data/log-templates.ts masks) and how the twin writes a value in their place. */
const PLACEHOLDER_RE = /<\*>|<num>|<hex>|<uuid>|<ip>/g;
const PLACEHOLDER_KIND: Record<string, number> = { '<*>': ARG.int, '<num>': ARG.int, '<hex>': ARG.hex, '<uuid>': ARG.uuid, '<ip>': ARG.ip };

/**
 * A learned line: its placeholders take the line's values in turn (a line carries MAX_LOG_ARGS, reused
 * past that); `<date>` and `<time>` stay as written, constant tokens to a miner.
 */
function compileLearned(text: string, level: LogLevel): Template {
  const lits: Uint8Array[] = [];
  const args: number[] = [];
  const slots: number[] = [];
  let at = 0;
  for (const m of text.matchAll(PLACEHOLDER_RE)) {
    lits.push(utf8(text.slice(at, m.index)));
    args.push(PLACEHOLDER_KIND[m[0]]!);
    slots.push(slots.length % MAX_LOG_ARGS);
    at = m.index! + m[0].length;
  }
  lits.push(utf8(text.slice(at)));
  return { lits, args: Int8Array.from(args), slots: Int8Array.from(slots), level: LOG_LEVELS.indexOf(level) };
}

/** A stable small hash of a name: picks wording and line numbers, so they never depend on the seed. */
function nameHash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const OK_VARIANTS = [
  '{op} completed for customer C{cust}, elapsed {ms} ms',
  'processed {op} request amount={amount} CNY account=6222********{acct} cost={ms}ms',
  '{op} handled result=SUCCESS rt={ms}ms serialNo={serial}',
];
const EXCEPTIONS = [
  'java.lang.NullPointerException: Cannot invoke "com.bank.{pkg}.model.{Entity}.getAmount()" because "{entity}" is null',
  'java.lang.IllegalStateException: {Entity} {serial} is in unexpected state PENDING_REVIEW',
  'java.lang.ClassCastException: class java.lang.String cannot be cast to class java.math.BigDecimal',
  'java.lang.IndexOutOfBoundsException: Index 3 out of bounds for length 3',
];
const CAUGHT = [
  ['Failed to refresh rate table, using cached values', 'java.lang.NumberFormatException: For input string: "{serial}"', 'RateTableLoader', 'refresh'],
  ['Could not parse promotion rules, falling back to defaults', 'com.fasterxml.jackson.core.JsonParseException: Unexpected character (\'}\' (code 125)): was expecting double-quote to start field name', 'PromotionRuleCache', 'reload'],
  ['Feature flag lookup failed, treating flag as off', 'java.util.NoSuchElementException: No value present', 'FeatureFlagClient', 'isEnabled'],
] as const;
const JOBS = ['refreshRouteTable', 'flushAuditBuffer', 'reconcilePendingEntries', 'evictExpiredSessions', 'syncReferenceData', 'publishHealthSnapshot'];
const TABLES = ['account', 'ledger_entry', 'customer', 'card', 'loan_contract', 'fund_order', 'statement_line', 'txn_journal'];

/** Build the catalog for a model: one template per (service, line kind). */
export function buildLogCatalog(m: Model): LogCatalog {
  const templates: Template[] = [];
  const levels = Array.from({ length: LINE_KINDS }, (_, k) => LEVEL_OF[k]!);
  if (m.rejectionLogLevel) levels[LINE.validation] = m.rejectionLogLevel;
  const serviceDb = new Int32Array(m.services.length).fill(-1);
  m.databases.forEach((d, i) => {
    if (serviceDb[d.owner]! < 0) serviceDb[d.owner] = i;
  });
  const entry = new Uint8Array(m.services.length);
  for (const t of m.txTypes) entry[t.root.service] = 1;
  const jobPeriod = new Int32Array(m.services.length);
  m.services.forEach((name, s) => {
    const h = nameHash(name);
    const sub = m.subsystems[m.serviceSubsystem[s]!]!.replace(/-/g, '');
    const pkg = `${sub}.${name.replace(/-service$/, '').replace(/-/g, '')}`;
    const cls = pascal(name.replace(/-service$/, ''));
    const logger = `com.bank.${pkg}.${cls}Handler`;
    const impl = `com.bank.${pkg}.${cls}ServiceImpl`;
    const line = (k: number) => 40 + ((h >>> k) % 400);
    const handlerFrames =
      `\n\tat ${impl}.handle(${cls}ServiceImpl.java:${line(3)})` +
      `\n\tat ${logger}.onMessage(${cls}Handler.java:${line(7)})` +
      `\n\tat com.webank.defibus.client.impl.consumer.DeFiBusMessageListener.consumeMessage(DeFiBusMessageListener.java:61)` +
      `\n\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)`;
    const thread = entry[s] ? '[http-nio-8080-exec-{thread}]' : '[wemq-consumer-{thread}]';
    const req = (text: string) => `${thread} ${logger} - ${text}`;
    const entity = cls.replace(/Gateway$|Bff$/, 'Request');
    const exceptionText = EXCEPTIONS[h % EXCEPTIONS.length]!.replace(/\{pkg\}/g, pkg).replace(/\{Entity\}/g, entity).replace(/\{entity\}/g, camel(name.replace(/-service$/, '')));
    const [caughtText, caughtExc, caughtClass, caughtMethod] = CAUGHT[(h >>> 5) % CAUGHT.length]!;
    const job = JOBS[(h >>> 9) % JOBS.length]!;
    jobPeriod[s] = [1, 5, 15][(h >>> 13) % 3]!;
    const table = TABLES[(h >>> 17) % TABLES.length]!;
    const texts: Record<number, string> = {
      [LINE.ok]: req(OK_VARIANTS[h % OK_VARIANTS.length]!),
      [LINE.access]: `[http-nio-8080-exec-{thread}] ${logger.replace(/Handler$/, 'AccessLog')} - {ip} - - "POST /api/v1/{op} HTTP/1.1" {status} {bytes} {ms}ms`,
      [LINE.reject]: req('{op} rejected: {code} customer=C{cust}'),
      [LINE.downstreamReject]: req('{op} not completed: {service} answered {code}'),
      [LINE.exception]: req(`Unhandled exception while processing {op} [{uid}]\n${exceptionText}${handlerFrames}`),
      [LINE.downstreamError]: req(
        `{op} failed: call to {service} returned {code}\ncom.bank.bus.RemoteCallException: {code} from {service}` +
          `\n\tat com.bank.bus.client.RequestReplyTemplate.sendAndReceive(RequestReplyTemplate.java:187)${handlerFrames}`,
      ),
      [LINE.caughtException]: req(
        `${caughtText}\n${caughtExc}\n\tat com.bank.${pkg}.support.${caughtClass}.${caughtMethod}(${caughtClass}.java:${line(11)})` +
          `\n\tat ${impl}.handle(${cls}ServiceImpl.java:${line(3) - 12})`,
      ),
      [LINE.retry]: req('Call to {service} failed with {code}, retrying (attempt {attempt}/{attempts})'),
      [LINE.timeout]: req('No reply from {service} within {ttl} ms [{uid}]'),
      [LINE.slowReply]: req('Slow response from {service}: {ms} ms'),
      [LINE.slowSql]: req(`Slow SQL on {db}: {ms} ms - SELECT * FROM t_${table} WHERE customer_no = ? AND status = ?`),
      [LINE.validation]: req('{op} rejected: DATA_VALIDATION_FAILED, amount {amount} does not match ledger amount {amount2}'),
      [LINE.job]: `[scheduling-1] com.bank.${pkg}.task.${pascal(job)}Task - Scheduled task ${job} finished in {ms} ms, {n} items`,
      [LINE.benignWarn]:
        serviceDb[s]! >= 0
          ? '[HikariPool-1 housekeeper] com.zaxxer.hikari.pool.PoolBase - HikariPool-1 - Failed to validate connection com.mysql.cj.jdbc.ConnectionImpl@{serial} (No operations allowed after connection closed.). Possibly consider using a shorter maxLifetime value.'
          : "[config-watcher-1] com.bank.common.config.ConfigClient - Config property 'bus.consumer.threads' is deprecated, use 'bus.consumer.pool-size'",
      [LINE.benignError]:
        '[metrics-reporter-1] com.bank.common.metrics.MetricsReporter - Failed to push metrics to collector\njava.net.SocketTimeoutException: Read timed out' +
        '\n\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:288)\n\tat com.bank.common.metrics.MetricsReporter.push(MetricsReporter.java:97)',
      [LINE.fullGc]: '[gc-monitor] com.bank.common.jvm.GcMonitor - Long GC pause: G1 Full GC {ms} ms, heap {n}M->{n2}M ({n3}M)',
      [LINE.outOfMemory]: req(
        'Uncaught exception in consumer thread\njava.lang.OutOfMemoryError: Java heap space\n\tat java.base/java.util.Arrays.copyOf(Arrays.java:3512)' +
          `\n\tat java.base/java.lang.AbstractStringBuilder.ensureCapacityInternal(AbstractStringBuilder.java:228)${handlerFrames}`,
      ),
      [LINE.crash]:
        '[main] org.springframework.boot.SpringApplication - Application run failed\njava.lang.IllegalStateException: Failed to execute ApplicationRunner' +
        `\n\tat org.springframework.boot.SpringApplication.callRunner(SpringApplication.java:762)\n\tat com.bank.${pkg}.${cls}Application.main(${cls}Application.java:21)`,
      [LINE.started]: `[main] com.bank.${pkg}.${cls}Application - Started ${cls}Application in {ms} seconds (process running for {ms2})`,
      [LINE.shutdown]: '[SpringApplicationShutdownHook] org.springframework.boot.web.embedded.tomcat.GracefulShutdown - Commencing graceful shutdown. Waiting for active requests to complete',
      [LINE.poolBusy]: '[wemq-consumer-dispatcher] com.webank.defibus.client.impl.consumer.ConsumeMessageService - Consumer thread pool saturated: active={n}, queued={n2}',
      [LINE.dbPoolWait]: req('HikariPool-1 - Connection is not available, request timed out after {n}ms (total={n2}, active={n3}, idle={n4}, waiting={n5})'),
      [LINE.batchStart]: `[batch-1] com.bank.${pkg}.batch.${cls}BatchJob - Batch ${camel(name)}Settlement started, chunk size {n}`,
      [LINE.batchProgress]: `[batch-1] com.bank.${pkg}.batch.${cls}BatchJob - Batch ${camel(name)}Settlement processed {n} records ({n2} skipped)`,
      [LINE.batchDone]: `[batch-1] com.bank.${pkg}.batch.${cls}BatchJob - Batch ${camel(name)}Settlement completed in {ms} s`,
      [LINE.slowBackgroundSql]: `[scheduling-1] com.bank.${pkg}.task.ReconciliationTask - Slow SQL on {db}: {ms} ms - SELECT * FROM t_${table}_history WHERE biz_date = ? ORDER BY created_at`,
      [LINE.heartbeat]: '[wemq-heartbeat-1] com.webank.defibus.client.impl.HeartbeatService - Heartbeat to broker {ip} took {ms} ms',
    };
    for (let k = 0; k < LINE_KINDS; k++) templates.push(compile(texts[k]!, k, levels[k]!));
  });
  const perCall = new Float64Array(templates.length + m.learnedLogs.reduce((n, l) => n + l.length, 0));
  const learnedFirst = new Int32Array(m.learnedLogs.length);
  const learnedCount = new Int32Array(m.learnedLogs.length);
  const at = new Float64Array(perCall.length).fill(NaN);
  m.learnedLogs.forEach((lines, k) => {
    learnedFirst[k] = templates.length;
    learnedCount[k] = lines.length;
    for (const l of lines) {
      perCall[templates.length] = l.perCall;
      if (l.at !== undefined) at[templates.length] = l.at;
      templates.push(compileLearned(l.template, l.level));
    }
  });
  return {
    templates,
    services: m.services.map(utf8),
    codes: m.retCodes.map(utf8),
    ops: m.txTypes.map((t) => utf8(camel(t.name))),
    databases: m.databases.map((d) => utf8(d.name)),
    serviceDb,
    entry,
    jobPeriod,
    learnedFirst,
    learnedCount,
    perCall,
    at,
  };
}

/** Whether a service is the bank's own (writes logs): not a third-party channel or a client application. */
export function writesLogs(m: Model, service: number): boolean {
  return m.serviceKind[service] === SERVICE_KIND.service;
}

/**
 * The words anonymisation may keep verbatim in free text: generic vocabulary of HTTP and RPC
 * interfaces, code structure, logs, resource metrics and fault types. Every other word is
 * pseudonymised. A listed word is still pseudonymised wherever it is (or contains) a piece of a
 * known name (see KeptWords in scrub.ts), so no list entry can ever carry a service's name.
 *
 * The lists are lower case; matching ignores case. Words that commonly name services (service,
 * svc, gateway, admin, auth, user, account, order, payment, config, info, channel...) are absent on
 * purpose.
 */

/** Routes and RPC method names (`--operations keep-shape`): interface shape and CRUD verbs only. */
export const ROUTE_WORDS: readonly string[] = [
  // protocol and interface shape
  'api', 'apis', 'rest', 'rpc', 'grpc', 'http', 'https', 'graphql',
  // HTTP methods and SQL statements (span names of database clients)
  'get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'select', 'insert', 'update',
  // CRUD verbs and their objects
  'list', 'create', 'add', 'remove', 'save', 'find', 'query', 'search', 'retrieve', 'modify', 'set', 'check',
  'verify', 'exists', 'count', 'by', 'all', 'id', 'ids', 'name', 'names', 'and', 'or', 'of', 'for', 'to',
  'from', 'in', 'new', 'batch', 'detail', 'status', 'health',
  // code structure (framework spans: Spring controllers and repositories, ORM sessions)
  'controller', 'repository', 'impl', 'handler', 'handle', 'filter', 'filtering', 'web', 'session',
  'transaction', 'commit', 'rollback', 'merge', 'error',
];

/** Free text (log messages, metric names, return codes, fault types): the route words and these. */
export const TEXT_WORDS: readonly string[] = [
  ...ROUTE_WORDS,
  // log phrasing
  'a', 'an', 'the', 'is', 'are', 'was', 'be', 'been', 'has', 'have', 'not', 'no', 'none', 'null', 'true',
  'false', 'yes', 'ok', 'success', 'successful', 'successfully', 'failed', 'failure', 'fail', 'errors',
  'exception', 'timeout', 'timed', 'out', 'retry', 'retries', 'attempt', 'took', 'start', 'started',
  'end', 'ended', 'begin', 'finish', 'finished', 'complete', 'completed', 'done', 'stop', 'stopped',
  'open', 'close', 'closed', 'send', 'sent', 'receive', 'received', 'request', 'response', 'result',
  'results', 'reply', 'message', 'data', 'value', 'values', 'key', 'type', 'code', 'msg', 'unknown',
  'invalid', 'missing', 'empty', 'found', 'available', 'unavailable', 'refused', 'reset', 'denied',
  'forbidden', 'unauthorized', 'connection', 'connect', 'client', 'server', 'thread', 'pool', 'cache',
  'queue', 'job', 'task', 'event', 'process', 'sql', 'database', 'db', 'debug', 'warn',
  'warning', 'fatal', 'trace', 'sys', 'system', 'business', 'down', 'up', 'slow', 'with', 'at',
  'on', 'per', 'time', 'timestamp',
  // resource metrics and units
  'cpu', 'memory', 'mem', 'heap', 'gc', 'pause', 'usage', 'used', 'rate', 'ratio', 'percent', 'syscall',
  'read', 'write', 'network', 'net', 'transmit', 'rx', 'tx', 'bytes', 'packets', 'disk', 'io', 'pod', 'node',
  'container', 'jvm', 'threads', 'workload', 'ops', 'qps', 'tps', 'latency', 'duration', 'avg', 'mean',
  'max', 'min', 'sum', 'total', 'seconds', 'ms', 'us', 'ns', 'mi', 'mib', 'gi', 'gib', 'kb', 'mb', 'gb',
  'requests',
  // fault types
  'contention', 'delay', 'loss', 'packet', 'leak', 'crash', 'loop', 'saturation', 'outage', 'backlog',
  'release', 'bad', 'surge', 'traffic', 'instance', 'return', 'slowdown',
];

/**
 * Pieces kept by shape rather than by the lists: API versions (v1, v2beta), percentiles (p50,
 * p99.9), numbers of at most five digits (values, ports, line numbers, short codes) and single
 * ASCII letters (package abbreviations such as the `t.s.` of `t.s.TravelServiceImpl`).
 */
export const KEPT_PIECE_PATTERNS: readonly RegExp[] = [/^v\d+(?:(?:alpha|beta)\d*)?$/i, /^p\d{1,2}(?:\.\d+)?$/i, /^\d{1,5}$/, /^[a-z]$/i];

/** Log levels the log layouts carry; kept as an enumeration. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;

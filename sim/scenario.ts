import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { calendarProblem, MAX_DURATION_MS, scenarioSchema, type CallTemplate, type FaultSpec, type ScenarioFile } from './scenario-schema.js';
import { scenariosDir } from '../common/package-root.js';
import { parseDuration } from '../common/duration.js';
import { parseInstantOrOffset } from '../common/instant.js';
import { FileError, formatFieldPath, parseYamlText, readText, type ParsedDocument } from '../common/validated-file.js';
import { worstCaseCalls } from './estimate.js';

/** Calls one transaction may make at most: uniqueId numbers them in 4 digits. */
export const MAX_CALLS_PER_TRANSACTION = 9999;

/** A scenario file problem: names the file, the field path and (when known) the YAML line. */
export class ScenarioError extends FileError {
  override name = 'ScenarioError';
  get fieldPath(): string {
    return this.field;
  }
}

export interface LoadedScenario {
  /** Name relative to scenarios/ (e.g. `faults/database-slow`), or the file path given. */
  name: string;
  file: string;
  scenario: ScenarioFile;
}

type Path = (string | number)[];

interface ParsedFile extends ParsedDocument {
  data: Record<string, unknown>;
}

function parseFile(file: string): ParsedFile {
  let doc: ParsedDocument;
  try {
    doc = parseYamlText(readText(file, 'scenario file'), file);
  } catch (err) {
    if (err instanceof FileError) throw new ScenarioError(err.file, err.field, err.problem, err.line);
    throw err;
  }
  const data = doc.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new ScenarioError(file, '', 'a scenario file must be a YAML mapping');
  return { ...doc, data: data as Record<string, unknown> };
}

/** Report a problem at `path` in whichever file of the extends chain defines it (child first). */
function fail(chain: ParsedFile[], path: Path, problem: string): never {
  for (const parsed of chain) {
    const at = parsed.lineOf(path);
    if (at?.exact) throw new ScenarioError(parsed.file, formatFieldPath(path), problem, at.line);
  }
  const child = chain[0]!;
  throw new ScenarioError(child.file, formatFieldPath(path), problem, child.lineOf(path)?.line);
}

/** Objects merge key by key; lists and scalars of the child replace the parent's. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isMap(base) || !isMap(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** A scenario name relative to scenarios/ (`default`, `faults/database-slow`) or a file path. */
export function resolveScenarioPath(nameOrPath: string, relativeTo?: string): string {
  if (/\.ya?ml$/.test(nameOrPath)) {
    const p = isAbsolute(nameOrPath) ? nameOrPath : resolve(relativeTo ?? process.cwd(), nameOrPath);
    if (!existsSync(p)) throw new Error(`scenario file not found: ${p}`);
    return p;
  }
  for (const ext of ['.yaml', '.yml']) {
    const p = join(scenariosDir(), nameOrPath + ext);
    if (existsSync(p)) return p;
  }
  throw new Error(`unknown scenario '${nameOrPath}': not a file and not one of: ${listScenarios().join(', ')}`);
}

/** Scenario names under scenarios/ (suite files excluded), sorted. */
export function listScenarios(): string[] {
  const root = scenariosDir();
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) {
        if (relative(root, p) !== 'suites') walk(p);
      } else if (/\.ya?ml$/.test(entry)) out.push(relative(root, p).replace(/\.ya?ml$/, '').split('\\').join('/'));
    }
  };
  walk(root);
  return out.sort();
}

/** Load, merge (`extends`), validate and cross-check a scenario. */
export function loadScenario(nameOrPath: string): LoadedScenario {
  const file = resolveScenarioPath(nameOrPath);
  const chain: ParsedFile[] = [];
  let merged: unknown = {};
  const seen = new Set<string>();
  for (let next: string | undefined = file; next; ) {
    if (seen.has(next)) throw new ScenarioError(next, 'extends', 'circular extends chain');
    seen.add(next);
    const parsed = parseFile(next);
    chain.push(parsed);
    const ext = parsed.data.extends;
    if (ext !== undefined && typeof ext !== 'string') fail([parsed], ['extends'], 'must be a scenario name or path');
    try {
      next = ext === undefined ? undefined : resolveScenarioPath(ext, dirname(next));
    } catch (err) {
      fail([parsed], ['extends'], (err as Error).message);
    }
  }
  for (const parsed of [...chain].reverse()) merged = deepMerge(merged, parsed.data);
  const result = scenarioSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    fail(chain, issue.path as Path, issue.message);
  }
  const scenario = result.data;
  crossCheck(scenario, (path, problem) => fail(chain, path, problem));
  const root = scenariosDir();
  const rel = relative(root, file);
  const name = rel.startsWith('..') || isAbsolute(rel) ? file : rel.replace(/\.ya?ml$/, '').split('\\').join('/');
  return { name, file, scenario };
}

/** References between sections: names exist, are unique, and each fault targets something real. */
function crossCheck(s: ScenarioFile, fail: (path: Path, problem: string) => never): void {
  const origin = Date.parse(s.start);
  /** A duration in ms, within MAX_DURATION_MS (and above 0 when `positive`). */
  const span = (value: string | number, path: Path, positive = false): number => {
    let d = 0;
    try {
      d = parseDuration(value);
    } catch (err) {
      fail(path, (err as Error).message);
    }
    if (d > MAX_DURATION_MS) fail(path, `${value} is longer than ten years`);
    if (positive && !(d > 0)) fail(path, 'must be longer than 0');
    return d;
  };
  /** An ISO time (a real calendar date) or an offset from the start, within ten years of it. */
  const instant = (value: string | number, path: Path): number => {
    if (typeof value === 'string' && /^\d{4}-\d\d-\d\d/.test(value.trim())) {
      const problem = calendarProblem(value);
      if (problem) fail(path, problem);
    }
    let t = NaN;
    try {
      t = parseInstantOrOffset(value, origin);
    } catch (err) {
      fail(path, (err as Error).message);
    }
    if (!(Math.abs(t - origin) <= MAX_DURATION_MS)) fail(path, `${value} is more than ten years from the scenario's start`);
    return t;
  };
  if (span(s.duration, ['duration'], true) < 60_000) fail(['duration'], `${s.duration} is shorter than the one minute a run needs`);
  s.traffic.campaigns?.forEach((c, i) => {
    instant(c.start, ['traffic', 'campaigns', i, 'start']);
    span(c.duration, ['traffic', 'campaigns', i, 'duration']);
  });
  /** Per fault, its first run's window and the repeat period (0 without repeat). */
  const windows = (s.faults ?? []).map((f, i) => {
    const start = instant(f.start, ['faults', i, 'start']);
    const d = span(f.duration, ['faults', i, 'duration'], true);
    let every = 0;
    if (f.repeat) {
      every = span(f.repeat.every, ['faults', i, 'repeat', 'every'], true);
      if (every < d) fail(['faults', i, 'repeat', 'every'], `runs would overlap: every ${f.repeat.every} is shorter than the duration ${f.duration}`);
      if (every * (f.repeat.count - 1) > MAX_DURATION_MS) fail(['faults', i, 'repeat'], 'the runs span more than ten years');
    }
    return { start, end: start + d, every, runs: f.repeat?.count ?? 1 };
  });
  const services = new Map<string, number>();
  const receivers = new Set<string>();
  const unique = (kind: string, seen: Set<string>, value: string, path: Path) => {
    if (seen.has(value)) fail(path, `duplicate ${kind} name '${value}' (names must be unique across services, channels and clients)`);
    seen.add(value);
  };
  const names = new Set<string>();
  s.subsystems.forEach((sub, i) =>
    sub.services.forEach((svc, j) => {
      unique('service', names, svc.name, ['subsystems', i, 'services', j, 'name']);
      services.set(svc.name, svc.instances);
      receivers.add(svc.name);
    }),
  );
  (s.channels ?? []).forEach((c, i) => {
    unique('channel', names, c.name, ['channels', i, 'name']);
    receivers.add(c.name);
  });
  const dcnSeen = new Set<string>();
  s.dcns.forEach((d, i) => unique('DCN', dcnSeen, d, ['dcns', i]));
  const dbs = new Set<string>();
  (s.databases ?? []).forEach((db, i) => {
    unique('database', dbs, db.name, ['databases', i, 'name']);
    if (!services.has(db.owner)) fail(['databases', i, 'owner'], `unknown service '${db.owner}'`);
  });
  const txTypes = new Set<string>();
  const edges = new Set<string>();
  const checkCall = (c: CallTemplate, path: Path, caller: string | undefined) => {
    if (!receivers.has(c.call)) fail([...path, 'call'], `unknown service or channel '${c.call}'`);
    if (caller) edges.add(`${caller}>${c.call}`);
    if (c.children?.length && !services.has(c.call)) fail([...path, 'children'], `channel '${c.call}' is outside the bank and cannot call anything`);
    c.children?.forEach((ch, k) => checkCall(ch, [...path, 'children', k], c.call));
  };
  s.transactions.forEach((t, i) => {
    if (txTypes.has(t.name)) fail(['transactions', i, 'name'], `duplicate transaction type '${t.name}'`);
    txTypes.add(t.name);
    if (t.origin && receivers.has(t.origin)) fail(['transactions', i, 'origin'], `'${t.origin}' is a service or channel, not a client application`);
    checkCall(t.root, ['transactions', i, 'root'], undefined);
    // uniqueId numbers a transaction's calls in 4 digits.
    const calls = worstCaseCalls(t.root);
    if (calls > MAX_CALLS_PER_TRANSACTION) {
      fail(['transactions', i, 'root'], `one transaction can make up to ${calls > 1e12 ? 'more than 10^12' : calls.toLocaleString('en')} calls (fan-out x retries down the tree); at most ${MAX_CALLS_PER_TRANSACTION.toLocaleString('en')}`);
    }
  });
  const checkTypes = (types: string[] | undefined, path: Path) =>
    types?.forEach((t, k) => txTypes.has(t) || fail([...path, k], `unknown transaction type '${t}'`));
  checkTypes(s.traffic.paydays?.types, ['traffic', 'paydays', 'types']);
  s.traffic.campaigns?.forEach((c, i) => checkTypes(c.types, ['traffic', 'campaigns', i, 'types']));
  (s.faults ?? []).forEach((f, i) => {
    const p: Path = ['faults', i, 'target'];
    const t = f.target;
    const needService = () => {
      if (!t.service) fail(p, `a ${f.type} fault needs target.service`);
      if (!services.has(t.service)) fail([...p, 'service'], `unknown service '${t.service}'`);
    };
    switch (f.type) {
      case 'database-slow':
      case 'slow-query':
        if (!t.database || !dbs.has(t.database)) fail([...p, 'database'], `a ${f.type} fault needs target.database naming one of: ${[...dbs].join(', ')}`);
        break;
      case 'instance-down':
      case 'crash-loop':
      case 'memory-leak':
      case 'noisy-neighbour':
        needService();
        if (t.instance === undefined) fail(p, `a ${f.type} fault needs target.instance`);
        break;
      case 'cpu-saturation':
      case 'bad-release':
      case 'config-error':
      case 'code-exception':
      case 'wrong-return':
      case 'batch-job':
      case 'drift':
        needService();
        break;
      case 'rolling-restart':
        needService();
        if (t.instance !== undefined) fail([...p, 'instance'], 'a rolling restart replaces every instance of the service: leave target.instance out');
        break;
      case 'network-delay':
      case 'packet-loss':
        // A link (caller -> callee), or a pod's network interface (a service's instance, or all of them).
        if (t.service !== undefined) {
          if (t.from !== undefined || t.to !== undefined) fail(p, `a ${f.type} fault targets a link (target.from and target.to) or an instance's interface (target.service, target.instance), not both`);
          needService();
          break;
        }
        if (!t.from || !t.to) fail(p, `a ${f.type} fault needs target.from and target.to (an edge caller -> callee), or target.service (an instance's interface)`);
        if (!edges.has(`${t.from}>${t.to}`)) fail(p, `no call tree has the edge ${t.from} -> ${t.to}`);
        break;
      case 'broker-backlog':
        if (!t.service || !receivers.has(t.service)) fail([...p, 'service'], `a broker-backlog fault needs target.service naming a receiver`);
        break;
      case 'channel-outage':
      case 'channel-slowdown':
        if (!t.channel || !(s.channels ?? []).some((c) => c.name === t.channel)) fail([...p, 'channel'], `a ${f.type} fault needs target.channel naming a channel`);
        break;
      case 'traffic-surge':
        if (!t.txType || !txTypes.has(t.txType)) fail([...p, 'txType'], `a traffic-surge fault needs target.txType naming a transaction type`);
        break;
    }
    const count = t.service ? (services.get(t.service) ?? 0) : 0;
    if (typeof t.instance === 'number' && t.instance > count) fail([...p, 'instance'], `service '${t.service}' has only ${count} instances`);
    if (typeof t.instance === 'string') {
      const names = Array.from({ length: count }, (_, k) => `${t.service}-${String(k + 1).padStart(2, '0')}`);
      if (!names.includes(t.instance)) fail([...p, 'instance'], `unknown instance '${t.instance}' (have: ${names.join(', ')})`);
    }
    checkTypes(f.operations, ['faults', i, 'operations']);
    if (f.handler !== undefined && f.type !== 'code-exception') fail(['faults', i, 'handler'], `handler applies to code-exception faults only, not ${f.type}`);
  });
  checkEscapingExceptions(s.faults ?? [], windows, fail);
}

/**
 * Two exceptions escaping one operation's handler at once must agree on whether it logs them: a
 * call can only be handled one way, and the engine keeps one handler per service and operation.
 */
function checkEscapingExceptions(faults: readonly FaultSpec[], windows: readonly { start: number; end: number; every: number; runs: number }[], fail: (path: Path, problem: string) => never): void {
  const escaping = faults.flatMap((f, i) => (f.type === 'code-exception' && f.handler !== undefined && f.handler !== 'catches' ? [i] : []));
  // Each fault's runs are in time order and do not overlap each other: one merge pass finds a pair.
  const overlaps = (x: (typeof windows)[number], y: (typeof windows)[number]): boolean => {
    for (let r = 0, q = 0; r < x.runs && q < y.runs; ) {
      const [s0, e0, s1, e1] = [x.start + r * x.every, x.end + r * x.every, y.start + q * y.every, y.end + q * y.every];
      if (s0 < e1 && s1 < e0) return true;
      if (e0 <= e1) r++;
      else q++;
    }
    return false;
  };
  for (let a = 0; a < escaping.length; a++) {
    for (let b = a + 1; b < escaping.length; b++) {
      const [i, j] = [escaping[a]!, escaping[b]!];
      const [f, g] = [faults[i]!, faults[j]!];
      if (f.handler === g.handler || f.target.service !== g.target.service) continue;
      const shared = !f.operations || !g.operations || f.operations.some((op) => g.operations!.includes(op));
      if (!shared) continue;
      if (overlaps(windows[i]!, windows[j]!)) fail(['faults', j, 'handler'], `overlaps faults[${i}] on service '${f.target.service}' with another handler (${g.handler} against ${f.handler}): one operation's handler either logs an escaping exception or not`);
    }
  }
}

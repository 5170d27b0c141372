/**
 * The one plugin shape behind detectors and RCA methods, and the one registry that finds them.
 *
 * A plugin declares its options as a zod object (every key with a default or marked optional, and
 * a one-line `.describe()`), and the telemetry it needs. A spec names a plugin and may fix options:
 * `ksigma`, `ksigma:window=120,floor=4`, `shitu:holt-winters.floor=4` (dotted keys reach into an
 * ensemble member's options). Unknown keys and bad values are errors that name the plugin, the key
 * and what is allowed; nothing is checked by plugin name.
 *
 * Lifecycle: `resolve` a spec (validates its options; subprocess plugins start nothing yet), let
 * the stage create instances from it (`create(options)`: one per series for a detector, one per
 * run for an RCA method), then `close()` the resolved plugin when the run is done, whatever
 * happened (subprocess plugins stop their process there).
 *
 * External plugins (JS modules, subprocesses) run under limits (`PluginLimits`: a time limit per
 * call, a cap on a reply's size); whatever goes wrong in one, it fails with a `PluginFailure`
 * naming the plugin and the item (series or incident) it was working on. docs/plugins.md.
 */
import { z } from 'zod';
import { FaultlineError, isInternalError, preview } from './errors.js';

/** The kinds of telemetry a method can read. */
export const INPUT_KINDS = ['kpis', 'spans', 'metrics', 'logs'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

/**
 * What a plugin lacks to run on the available inputs, in words (`spans`, `spans or metrics`,
 * `kpis, and spans or metrics`); undefined when it can run.
 */
export function missingInputs(plugin: Pick<Plugin, 'needs' | 'needsAny'>, available: ReadonlySet<InputKind>): string | undefined {
  const missing: string[] = plugin.needs.filter((k) => !available.has(k));
  const any = plugin.needsAny ?? [];
  if (any.length && !any.some((k) => available.has(k))) missing.push(any.join(' or '));
  return missing.length ? missing.join(', and ') : undefined;
}

/** Options of a plugin: a zod object schema. */
export type OptionsSchema = z.ZodObject<z.ZodRawShape>;

export interface Plugin<Instance = unknown, Options = Record<string, unknown>> {
  /** Registry name, e.g. `ksigma`. */
  name: string;
  /** One line for the listing commands. */
  description: string;
  /** Every option with its default and one-line doc; absent for external plugins that validate their own. */
  options?: OptionsSchema;
  /** Older option names still accepted, each for the key it now goes by: `{ k: 'floor' }`. */
  optionAliases?: Readonly<Record<string, string>>;
  /** Inputs it cannot run without. */
  needs: readonly InputKind[];
  /**
   * Inputs of which it needs at least one, beside `needs` (e.g. spans or metrics: a method that
   * ranks from whichever it is given); absent or empty: no such choice.
   */
  needsAny?: readonly InputKind[];
  /** Inputs it reads when they are there. */
  uses?: readonly InputKind[];
  /**
   * A trivial reference method (a fixed band, a plain difference): the report shows it as the floor
   * that a method worth its cost must clear.
   */
  reference?: boolean;
  /** A fresh instance; `options` are already validated (defaults filled) when the plugin has a schema. */
  create(options: Options): Instance;
  /** Ends the plugin's run-wide resources (a subprocess); built-ins have none. */
  close?(): void | Promise<void>;
}

/** Builds a plugin whose `create` sees its options typed from its schema. */
export function definePlugin<S extends OptionsSchema, Instance>(
  plugin: Omit<Plugin<Instance>, 'options' | 'create'> & { options: S; create(options: z.output<S>): Instance },
): Plugin<Instance> {
  return plugin as unknown as Plugin<Instance>;
}

/** A spec resolved against a registry: the plugin and the options the spec fixed, validated. */
export interface Resolved<Instance> {
  /** The spec as given, e.g. `ksigma:window=120`. */
  spec: string;
  /**
   * What results are reported under: the spec for a built-in (so `ksigma` and `ksigma:window=120`
   * stay apart) or a `cmd:` plugin, the plugin's own name for a module or a `.json` spec.
   */
  name: string;
  plugin: Plugin<Instance>;
  /** Effective options (defaults filled), for the report's run facts. */
  options: Record<string, unknown>;
  create(): Instance;
  close(): Promise<void>;
  /** The limits an external plugin runs under; absent for a built-in. */
  limits?: PluginLimits;
}

/** Thrown for a spec or option a user got wrong: a usage error (exit 2). */
export class PluginSpecError extends FaultlineError {}

/** How far faultline trusts an external plugin (JS module or subprocess). */
export interface PluginLimits {
  /** Longest wait for one call (a subprocess's start and each reply; a module's each method), ms. */
  callTimeoutMs: number;
  /** Largest reply line a subprocess may write, bytes. */
  maxReplyBytes: number;
  /** Wait between SIGTERM and SIGKILL, and for a plugin to exit once its input is closed, ms. */
  killGraceMs: number;
}

export const DEFAULT_PLUGIN_LIMITS: Readonly<PluginLimits> = {
  callTimeoutMs: 60_000,
  maxReplyBytes: 64 * 1024 * 1024,
  killGraceMs: 2_000,
};

/** What resolving a spec may set beyond the spec itself. */
export interface ResolveOptions {
  /** Limits for external plugins (defaults: DEFAULT_PLUGIN_LIMITS); built-ins ignore them. */
  limits?: Partial<PluginLimits>;
  /** Where the k-th spec was written (a suite file's line and item), to put before its errors. */
  placeOf?: (k: number) => string;
}

/** Longest delay a Node timer keeps (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The limits that apply: defaults filled, each checked to be a positive finite number. */
export function pluginLimits(given: Partial<PluginLimits> = {}): PluginLimits {
  const limits = { ...DEFAULT_PLUGIN_LIMITS };
  for (const key of Object.keys(DEFAULT_PLUGIN_LIMITS) as (keyof PluginLimits)[]) {
    const value = given[key];
    if (value === undefined) continue;
    const max = key === 'maxReplyBytes' ? Number.MAX_SAFE_INTEGER : MAX_TIMER_MS;
    if (!(typeof value === 'number' && value > 0 && value <= max)) {
      throw new PluginSpecError(`plugin limit ${key} must be a number above 0 and at most ${max}, got ${JSON.stringify(value)}`);
    }
    limits[key] = value;
  }
  return limits;
}

/** What a plugin was working on when it failed: `series` and its id, `incident` and its id. */
export interface PluginItem {
  kind: string;
  id?: string;
}

/** How an external plugin failed. */
export type PluginFailureReason =
  /** The subprocess could not be started, or a module could not be loaded or instantiated. */
  | 'start'
  /** No reply (or a module's promise did not settle) within the time limit. */
  | 'timeout'
  /** The subprocess exited, or closed its output, while an answer was due. */
  | 'exit'
  /** A reply line longer than the reply cap. */
  | 'too-large'
  /** Output that breaks the protocol: not JSON, not an object, the wrong type or id, unasked for. */
  | 'protocol'
  /** A well-formed reply whose content is wrong: lengths, types, NaN or infinite numbers. */
  | 'result'
  /** The plugin reported an error itself (`{"type":"error"}`, or a module threw). */
  | 'plugin-error';

/**
 * An external plugin failed while the run needed it. The message is one line for the user:
 * `<plugin>: <item>: <problem>`; `plugin`, `item` and `reason` let a caller keep the other
 * methods' results and count this method's items as misses. The process, if any, is being killed.
 */
export class PluginFailure extends FaultlineError {
  constructor(
    /** e.g. `detector py-zscore (python3 zscore_detector.py)`. */
    readonly plugin: string,
    readonly item: PluginItem | undefined,
    readonly reason: PluginFailureReason,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${plugin}: ${item ? `${describeItem(item)}: ` : ''}${problem}`, options);
  }
  override name = 'PluginFailure';
}

/** `series svc:a:avgLatency`, `incident i3`, `reference data`. */
export function describeItem(item: PluginItem): string {
  return item.id === undefined ? item.kind : `${item.kind} ${item.id}`;
}

/** A plugin's result that breaks its stage's rules; the message says where and how. */
export class PluginResultError extends FaultlineError {}

/** A value as shown in an error message: numbers as they are, the rest as short JSON. */
export function showValue(v: unknown, n = 60): string {
  return typeof v === 'number' ? String(v) : preview(JSON.stringify(v) ?? String(v), n);
}

/** A duration for messages: `60 s`, `1.5 s`. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toPrecision(3))} s`;
}

/** What a spec other than a built-in name may be, for the "unknown plugin" message. */
export interface ExternalLoader<Instance> {
  /** Whether this loader takes the spec (a module path, `cmd:...`, a `.json` file). */
  accepts(spec: string): boolean;
  load(spec: string, limits: PluginLimits): Promise<Plugin<Instance>>;
  /** e.g. "a .js module path, a .json spec or cmd:<command>". */
  describe: string;
}

export class Registry<Instance> {
  constructor(
    /** `detector` or `RCA method`: names the kind in messages. */
    readonly kind: string,
    private readonly builtIns: readonly Plugin<Instance>[],
    private readonly external: ExternalLoader<Instance>,
  ) {}

  list(): Plugin<Instance>[] {
    return [...this.builtIns];
  }

  /**
   * Expands `all` to every built-in whose needs the available inputs meet (every built-in when
   * `available` is not given), drops repeats, and resolves each spec.
   */
  async resolveAll(specs: readonly string[], available?: ReadonlySet<InputKind>, opts: ResolveOptions = {}): Promise<Resolved<Instance>[]> {
    // Each spec once, with the index of the spec it came from.
    const expanded = new Map<string, number>();
    const add = (spec: string, k: number) => {
      if (!expanded.has(spec)) expanded.set(spec, k);
    };
    specs.forEach((spec, k) => {
      if (spec.trim() === 'all') {
        for (const p of this.builtIns) if (!available || missingInputs(p, available) === undefined) add(p.name, k);
      } else add(spec.trim(), k);
    });
    const out: Resolved<Instance>[] = [];
    for (const [spec, k] of expanded) {
      try {
        out.push(await this.resolve(spec, opts));
      } catch (err) {
        if (!opts.placeOf || isInternalError(err)) throw err;
        throw new PluginSpecError(`${opts.placeOf(k)}: ${(err as Error).message}`, { cause: err });
      }
    }
    return out;
  }

  /** `opts.limits` bound an external plugin's calls (docs/plugins.md); built-ins ignore them. */
  async resolve(spec: string, opts: ResolveOptions = {}): Promise<Resolved<Instance>> {
    const s = spec.trim();
    if (this.external.accepts(s)) {
      const limits = pluginLimits(opts.limits);
      const plugin = await this.external.load(s, limits);
      return { ...resolved(s, plugin.name, plugin, {}, this.kind), limits };
    }
    const colon = s.indexOf(':');
    const name = colon < 0 ? s : s.slice(0, colon);
    const plugin = this.builtIns.find((p) => p.name === name);
    if (!plugin) {
      const near = nearest(name, this.builtIns.map((p) => p.name));
      throw new PluginSpecError(
        `unknown ${this.kind} "${name}"${near ? ` (did you mean ${near}?)` : ''}: built-ins are ${this.builtIns.map((p) => p.name).join(', ')}; or give ${this.external.describe}`,
      );
    }
    const raw = colon < 0 ? {} : parseOptionText(`${this.kind} ${name}`, s.slice(colon + 1));
    return resolved(s, s, plugin, raw, this.kind);
  }
}

function resolved<Instance>(spec: string, name: string, plugin: Plugin<Instance>, raw: Record<string, unknown>, kind: string): Resolved<Instance> {
  const options = plugin.options ? validateOptions(`${kind} ${plugin.name}`, plugin.options, renameAliases(raw, plugin.optionAliases)) : raw;
  return {
    spec,
    name,
    plugin,
    options,
    create: () => plugin.create(options),
    close: async () => {
      await plugin.close?.();
    },
  };
}

function renameAliases(raw: Record<string, unknown>, aliases: Readonly<Record<string, string>> | undefined): Record<string, unknown> {
  if (!aliases) return raw;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) out[aliases[key] ?? key] = value;
  return out;
}

/** `a=1,b.c=x` -> { a: '1', b: { c: 'x' } }: values stay text until the schema says what they are. */
export function parseOptionText(owner: string, text: string): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const part of text.split(',')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new PluginSpecError(`${owner}: option "${part}" is not key=value`);
    const path = part.slice(0, eq).trim().split('.');
    let at = options;
    for (const key of path.slice(0, -1)) {
      if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
      at = at[key] as Record<string, unknown>;
    }
    at[path[path.length - 1]!] = part.slice(eq + 1).trim();
  }
  return options;
}

/** The field a schema key stands for, with optional/default wrappers taken off. */
function innerType(field: z.ZodType): z.ZodType {
  let t = field;
  for (;;) {
    const def = (t as unknown as { def: { type: string; innerType?: z.ZodType } }).def;
    if ((def.type === 'default' || def.type === 'optional' || def.type === 'prefault' || def.type === 'nullable') && def.innerType) t = def.innerType;
    else return t;
  }
}

function typeName(field: z.ZodType): string {
  return (innerType(field) as unknown as { def: { type: string } }).def.type;
}

/** Text values (from a spec) converted to what the schema expects; typed values pass through. */
function coerce(schema: OptionsSchema, raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const field = schema.shape[key] as z.ZodType | undefined;
    if (!field || typeof value !== 'string') {
      out[key] = field && typeName(field) === 'object' && isPlainObject(value) ? coerce(innerType(field) as OptionsSchema, value) : value;
      continue;
    }
    const type = typeName(field);
    if (type === 'number' || type === 'int') out[key] = value.trim() === '' ? value : Number(value);
    else if (type === 'boolean') out[key] = value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
    else out[key] = value;
  }
  return out;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Options checked against a plugin's schema, defaults filled. Errors name the owner (`detector
 * ksigma`), the key and what is allowed.
 */
export function validateOptions(owner: string, schema: OptionsSchema, raw: unknown): Record<string, unknown> {
  if (!isPlainObject(raw)) throw new PluginSpecError(`${owner}: options must be an object of key: value, got ${Array.isArray(raw) ? 'an array' : JSON.stringify(raw)}`);
  const result = schema.strict().safeParse(coerce(schema, raw));
  if (result.success) return result.data as Record<string, unknown>;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const keys = Object.keys(schema.shape);
    const parent = issue.path.length ? `${issue.path.join('.')}.` : '';
    const known = issue.path.length ? Object.keys((innerType(schema.shape[String(issue.path[0])] as z.ZodType) as OptionsSchema).shape ?? {}) : keys;
    const near = nearest(issue.keys[0]!, known);
    throw new PluginSpecError(
      `${owner}: unknown option ${parent}${issue.keys[0]}${near ? ` (did you mean ${parent}${near}?)` : ''}; options are ${known.map((k) => parent + k).join(', ') || 'none'}`,
    );
  }
  const key = issue.path.join('.');
  const given = key.split('.').reduce<unknown>((v, k) => (isPlainObject(v) ? v[k] : undefined), raw);
  throw new PluginSpecError(`${owner}: option ${key} ${describeIssue(issue)}, got ${JSON.stringify(given)}`);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}`;
    case 'too_small':
      return `must be ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}`;
    case 'too_big':
      return `must be ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'custom':
      return issue.message;
    default:
      return `is invalid (${issue.message})`;
  }
}

/** One documented option, for listings and the report's run facts. */
export interface OptionDoc {
  key: string;
  type: string;
  default?: unknown;
  doc: string;
}

/** Every option of a schema, dotted into nested objects (ensemble members). */
export function describeOptions(schema: OptionsSchema | undefined, prefix = ''): OptionDoc[] {
  if (!schema) return [];
  const docs: OptionDoc[] = [];
  for (const [key, f] of Object.entries(schema.shape)) {
    const field = f as z.ZodType;
    const inner = innerType(field);
    const type = typeName(field);
    if (type === 'object') {
      docs.push(...describeOptions(inner as OptionsSchema, `${prefix}${key}.`));
      continue;
    }
    const def = (field as unknown as { def: { type: string; defaultValue?: unknown } }).def;
    const values = type === 'enum' ? (inner as unknown as { options: unknown[] }).options : undefined;
    docs.push({
      key: prefix + key,
      type: values ? values.map(String).join('|') : type === 'int' ? 'integer' : type,
      ...(def.type === 'default' ? { default: def.defaultValue } : {}),
      doc: field.description ?? inner.description ?? '',
    });
  }
  return docs;
}

/** The closest name within a small edit distance, for "did you mean". */
export function nearest(word: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const n of names) {
    const d = editDistance(word.toLowerCase(), n.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * Log template mining: Drain (He, Zhu, Zheng and Lyu, "Drain: An Online Log Parsing Approach with
 * Fixed Depth Tree", ICWS 2017), online, one message at a time, so memory grows with the templates
 * and not with the lines.
 *
 * A message is split into whitespace tokens and routed down a fixed-depth tree: the first layer by
 * token count, then one layer per leading token (depth - 3 of them; a token with a digit goes to
 * the `<*>` branch, and a node holding `maxChildren` children sends new tokens there too). The
 * leaf holds log groups; the message joins the group whose template shares the largest share of
 * positions with it (ties to the template with more `<*>`), if that share reaches the similarity
 * threshold, and the positions that differ become `<*>`; otherwise it starts a new group. Same
 * behaviour as the authors' reference implementation (LogPAI logparser, Drain.py).
 *
 * Before Drain (the paper's preprocessing step, "simple regular expressions based on domain
 * knowledge"), `prepareLogMessage` takes off a leading timestamp and level, and masks values that
 * are variables in any system (UUIDs, IP addresses, long hex ids, dates, times, numbers standing
 * alone) with typed placeholders that compare equal, as Drain3 does.
 */
import { LOG_LEVEL } from './types.js';

export interface DrainOptions {
  /** Depth of the leaves, root and length layers included: depth - 3 leading tokens route a message (default 4). */
  depth?: number;
  /** Share of positions a message must share with a template to join its group (default 0.5). */
  similarity?: number;
  /** Children of an internal node before new tokens share its `<*>` branch (default 100). */
  maxChildren?: number;
  /**
   * Route a leading token holding a digit down the `<*>` branch, as published (default true).
   * With variables masked first (LogTemplateMiner), a token that still holds a digit is a name
   * (a logger with its line, `OrderServiceImpl#361`), which should route.
   */
  numericTokensToWildcard?: boolean;
}

export const WILDCARD = '<*>';

interface TreeNode {
  children: Map<string, TreeNode>;
  /** Group ids at a leaf. */
  groups: number[];
}

const newNode = (): TreeNode => ({ children: new Map(), groups: [] });
const hasDigit = (s: string): boolean => /\d/.test(s);

/** Drain's parse tree and log groups. Group ids are dense, in order of first appearance. */
export class Drain {
  private readonly root = new Map<number, TreeNode>();
  private readonly templates: string[][] = [];
  private readonly prefixTokens: number;
  private readonly similarity: number;
  private readonly maxChildren: number;
  private readonly numericToWildcard: boolean;

  constructor(opts: DrainOptions = {}) {
    const depth = opts.depth ?? 4;
    if (!(depth >= 3 && Number.isInteger(depth))) throw new Error(`Drain: depth must be an integer >= 3, got ${depth}`);
    this.prefixTokens = depth - 3;
    this.similarity = opts.similarity ?? 0.5;
    if (!(this.similarity >= 0 && this.similarity <= 1)) throw new Error(`Drain: similarity must be in [0, 1], got ${this.similarity}`);
    this.maxChildren = opts.maxChildren ?? 100;
    if (!(this.maxChildren >= 2)) throw new Error(`Drain: maxChildren must be >= 2, got ${this.maxChildren}`);
    this.numericToWildcard = opts.numericTokensToWildcard ?? true;
  }

  /** The group of a tokenised message (creating one, or generalising its template); returns its id. */
  add(tokens: string[]): number {
    const leaf = this.search(tokens);
    if (leaf) {
      const g = this.bestGroup(leaf.groups, tokens);
      if (g >= 0) {
        const t = this.templates[g];
        for (let i = 0; i < t.length; i++) if (t[i] !== tokens[i]) t[i] = WILDCARD;
        return g;
      }
    }
    const id = this.templates.length;
    this.templates.push(tokens.slice());
    this.insert(tokens, id);
    return id;
  }

  /** Current template of each group, tokens joined by single spaces. */
  templateStrings(): string[] {
    return this.templates.map((t) => t.join(' '));
  }

  get groups(): number {
    return this.templates.length;
  }

  /** The leaf a message routes to, or undefined when the tree has no path for it. */
  private search(tokens: string[]): TreeNode | undefined {
    let node: TreeNode | undefined = this.root.get(tokens.length);
    if (!node) return undefined;
    for (let d = 0; d < this.prefixTokens && d < tokens.length; d++) {
      const next: TreeNode | undefined = node.children.get(tokens[d]) ?? node.children.get(WILDCARD);
      if (!next) return undefined;
      node = next;
    }
    return node;
  }

  /** The most similar group of a leaf at or above the threshold (ties: more wildcards), or -1. */
  private bestGroup(groups: number[], tokens: string[]): number {
    let best = -1;
    let bestSim = -1;
    let bestParams = -1;
    for (const g of groups) {
      const t = this.templates[g];
      let same = 0;
      let params = 0;
      for (let i = 0; i < t.length; i++) {
        if (t[i] === WILDCARD) params++;
        else if (t[i] === tokens[i]) same++;
      }
      const sim = t.length ? same / t.length : 1;
      if (sim > bestSim || (sim === bestSim && params > bestParams)) {
        best = g;
        bestSim = sim;
        bestParams = params;
      }
    }
    return bestSim >= this.similarity ? best : -1;
  }

  private insert(tokens: string[], id: number): void {
    let node: TreeNode | undefined = this.root.get(tokens.length);
    if (!node) this.root.set(tokens.length, (node = newNode()));
    for (let d = 0; d < this.prefixTokens && d < tokens.length; d++) {
      const token = tokens[d];
      let next: TreeNode | undefined = node.children.get(token);
      if (!next) {
        const key = (this.numericToWildcard && hasDigit(token)) || node.children.size + (node.children.has(WILDCARD) ? 0 : 1) >= this.maxChildren ? WILDCARD : token;
        next = node.children.get(key);
        if (!next) node.children.set(key, (next = newNode()));
      }
      node = next;
    }
    node.groups.push(id);
  }
}

/** Level words as log lines spell them, to LOG_LEVEL. */
const LEVEL_WORDS: Record<string, number> = {
  TRACE: LOG_LEVEL.trace,
  FINEST: LOG_LEVEL.trace,
  DEBUG: LOG_LEVEL.debug,
  FINE: LOG_LEVEL.debug,
  INFO: LOG_LEVEL.info,
  NOTICE: LOG_LEVEL.info,
  WARN: LOG_LEVEL.warn,
  WARNING: LOG_LEVEL.warn,
  ERROR: LOG_LEVEL.error,
  ERR: LOG_LEVEL.error,
  SEVERE: LOG_LEVEL.error,
  FATAL: LOG_LEVEL.fatal,
  CRITICAL: LOG_LEVEL.fatal,
  CRIT: LOG_LEVEL.fatal,
  PANIC: LOG_LEVEL.fatal,
};

/** LOG_LEVEL of a level cell or token (`INFO`, `[warn]`, `E`rror:...), unknown when not a level word. */
export function levelOf(text: string): number {
  const w = text.replace(/^[[(<]+|[\])>:,]+$/g, '').toUpperCase();
  return LEVEL_WORDS[w] ?? LOG_LEVEL.unknown;
}

/** Words that mark a line as an error or failure where its level does not say (or to tell failure lines among warnings). */
const ERROR_WORDS = /\b(error|errors|exception|fail|failed|failure|fatal|timeout|timed out|refused|unavailable|panic)\b/i;

/** Per template id: 1 where the template holds an error word. */
export function errorWordTemplates(templates: readonly string[]): Uint8Array {
  return Uint8Array.from(templates, (t) => (ERROR_WORDS.test(t) ? 1 : 0));
}

const LEADING_TIME = /^(\d{4}[-/]\d{2}[-/]\d{2}([T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?|\d{1,2}:\d{2}:\d{2}([.,]\d+)?)$/;

/**
 * Variables masked before mining, token by token (only tokens holding a digit can hold one), in
 * this order, each with a placeholder that compares equal to itself: the value, not where it
 * occurs, varies.
 */
const MASKS: [RegExp, string][] = [
  [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>'],
  [/\b\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?\b/g, '<ip>'],
  [/\b\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?/g, '<date>'],
  [/\b\d{1,2}:\d{2}:\d{2}([.,]\d+)?\b/g, '<time>'],
  // Hex ids: 8+ hex digits mixing digits and letters, or 16+ of either.
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b|\b[0-9a-f]{16,}\b/gi, '<hex>'],
  // A number standing alone, or numbering something (`exec-18`, `pool_3`), not part of a name
  // such as `Z1234` or a code location `Impl#54`.
  [/(?<=^|[=:,([{"'_-])[-+]?\d+(\.\d+)?(?=$|[,;:)\]}"'-])/g, '<num>'],
];

const HAS_DIGIT = /\d/;
const HEX_ID = /^(?:[0-9a-f]{16,}|(?=[0-9a-f]*[a-f])[0-9a-f]{8,})$/i;
const INTEGER = /^\d+$/;

function maskToken(token: string): string {
  // Most tokens are words (no digit), whole hex ids or integers: settled before the masks run.
  if (!HAS_DIGIT.test(token)) return token;
  if (INTEGER.test(token)) return token.length >= 16 ? '<hex>' : '<num>';
  if (HEX_ID.test(token)) return '<hex>';
  let t = token;
  for (const [re, placeholder] of MASKS) t = t.replace(re, placeholder);
  return t;
}

export interface PreparedMessage {
  /** LOG_LEVEL found at the start of the message (unknown when none). */
  level: number;
  tokens: string[];
}

export interface LogLine {
  /** LOG_LEVEL of the line's leading level word (unknown when none). */
  level: number;
  /** The line without its leading timestamp and level word; the rest as written. */
  message: string;
}

const TOKEN = /\S+/g;

/**
 * A log line's message and level: the text of a JSON-wrapped line (a container runtime's
 * `{"log": ...}`, a structured logger's `message` / `msg`, or the one inside the other), without
 * its leading timestamp (up to two tokens) and its level word (within the three tokens after it),
 * which is returned. A structured logger's level field (see structuredLevel) gives the level where
 * it has one. Readers mine the message; anonymisation writes it, so that the copy mines to the
 * same tokens.
 */
export function splitLogLine(raw: string): LogLine {
  let text = raw;
  let stated: number = LOG_LEVEL.unknown;
  // A container runtime's line may wrap a structured logger's: unwrapped as deep as they go.
  for (let depth = 0; depth < MAX_JSON_WRAPS; depth++) {
    const lead = text.trimStart();
    if (!lead.startsWith('{')) break;
    const inner = unwrapJson(lead);
    if (!inner) break;
    text = inner.message;
    if (inner.level !== LOG_LEVEL.unknown) stated = inner.level;
  }
  if (stated !== LOG_LEVEL.unknown) return { level: stated, message: text };
  // The first six tokens: two of time, three that may hold the level, and the one after it.
  const starts: number[] = [];
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m !== null && tokens.length < 6; m = TOKEN.exec(text)) {
    starts.push(m.index);
    tokens.push(m[0]);
  }
  let k = 0;
  while (k < tokens.length && k < 2 && LEADING_TIME.test(tokens[k])) k++;
  let level: number = LOG_LEVEL.unknown;
  let levelAt = -1;
  for (let j = k; j < Math.min(tokens.length, k + 3) && levelAt < 0; j++) {
    level = levelOf(tokens[j]);
    if (level !== LOG_LEVEL.unknown) levelAt = j;
  }
  if (k === 0 && levelAt < 0) return { level, message: text };
  const from = k < starts.length ? starts[k] : text.length;
  if (levelAt < 0) return { level, message: text.slice(from) };
  const after = levelAt + 1 < starts.length ? starts[levelAt + 1] : text.length;
  return { level, message: text.slice(from, starts[levelAt]) + text.slice(after) };
}

/** A message ready for Drain (splitLogLine), variables masked, split into tokens. */
export function prepareLogMessage(raw: string, mask = true): PreparedMessage {
  const { level, message } = splitLogLine(raw);
  const tokens = message.split(/\s+/);
  if (tokens.length && tokens[tokens.length - 1] === '') tokens.pop();
  if (tokens.length && tokens[0] === '') tokens.shift();
  if (mask) for (let j = 0; j < tokens.length; j++) tokens[j] = maskToken(tokens[j]);
  return { level, tokens };
}

/** Container runtime, then structured logger: more levels of wrapping than that are left as text. */
const MAX_JSON_WRAPS = 3;
/** Fields that hold the message of a JSON log line, in order of preference. */
const MESSAGE_KEYS = ['log', 'message', 'msg'];
/** Fields that hold a structured logger's level: logrus, zap, pino and bunyan; Google Cloud's severity; ECS; Python's levelname; Serilog's compact `@l`. */
const LEVEL_KEYS = ['level', 'severity', 'lvl', 'loglevel', 'log.level', 'levelname', '@l'];

/** Level words that only a level field holds (Serilog's, Google Cloud's): in free text they are words like any other. */
const FIELD_LEVEL_WORDS: Record<string, number> = { VERBOSE: LOG_LEVEL.trace, INFORMATION: LOG_LEVEL.info, DEFAULT: LOG_LEVEL.info, ALERT: LOG_LEVEL.fatal, EMERGENCY: LOG_LEVEL.fatal };

/** pino's and bunyan's numeric levels 10, 20, ... 60. */
const PINO_LEVELS = [LOG_LEVEL.trace, LOG_LEVEL.debug, LOG_LEVEL.info, LOG_LEVEL.warn, LOG_LEVEL.error, LOG_LEVEL.fatal];

/**
 * LOG_LEVEL of a structured level field: a level word (any spelling levelOf reads, and Serilog's
 * and Google Cloud's), or a number as pino and bunyan write them
 * (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal) or as syslog and GELF do (0-2 fatal,
 * 3 error, 4 warn, 5-6 info, 7 debug); unknown for anything else.
 */
export function structuredLevel(value: unknown): number {
  if (typeof value === 'string') {
    const word = levelOf(value);
    return word !== LOG_LEVEL.unknown ? word : (FIELD_LEVEL_WORDS[value.toUpperCase()] ?? LOG_LEVEL.unknown);
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) return LOG_LEVEL.unknown;
  if (value >= 0 && value <= 7) return value <= 2 ? LOG_LEVEL.fatal : value === 3 ? LOG_LEVEL.error : value === 4 ? LOG_LEVEL.warn : value === 7 ? LOG_LEVEL.debug : LOG_LEVEL.info;
  return value % 10 === 0 && value >= 10 && value <= 60 ? PINO_LEVELS[value / 10 - 1] : LOG_LEVEL.unknown;
}

/** The message of a JSON log line and the level it states (unknown when none); undefined when it is no JSON object with a message. */
function unwrapJson(text: string): { message: string; level: number } | undefined {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    // Not JSON after all: mined as it is.
    return undefined;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
  const fields = o as Record<string, unknown>;
  const key = MESSAGE_KEYS.find((k) => typeof fields[k] === 'string');
  if (key === undefined) return undefined;
  let level: number = LOG_LEVEL.unknown;
  for (const k of LEVEL_KEYS) {
    if (k in fields) {
      level = structuredLevel(fields[k]);
      if (level !== LOG_LEVEL.unknown) break;
    }
  }
  return { message: fields[key] as string, level };
}

/** Drain over prepared messages: one template id per line, templates shared by every table mined with it. */
export class LogTemplateMiner {
  private readonly drain: Drain;

  constructor(
    opts: DrainOptions = {},
    /** Mask variables before mining (default true). */
    private readonly mask = true,
  ) {
    this.drain = new Drain({ numericTokensToWildcard: !mask, ...opts });
  }

  /** The template id and level of one raw message. */
  mine(raw: string): { template: number; level: number } {
    const { level, tokens } = prepareLogMessage(raw, this.mask);
    return { template: this.drain.add(tokens), level };
  }

  templates(): string[] {
    return this.drain.templateStrings();
  }

  get size(): number {
    return this.drain.groups;
  }
}

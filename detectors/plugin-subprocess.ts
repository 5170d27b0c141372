/**
 * A detector in any language, run as a subprocess that speaks JSON lines over stdin/stdout
 * (protocol 1; README "Subprocess protocol"). One process serves one Detector instance (one
 * series): the harness sends `hello`, optionally `fit`, then `detect`, then closes stdin.
 *
 *   harness -> {"type":"hello","protocol":1,"options":{...}}
 *   plugin  -> {"type":"ready","name":"..."}
 *   harness -> {"type":"fit","series":S}          plugin -> {"type":"fitted"}
 *   harness -> {"type":"detect","series":S}       plugin -> {"type":"detection","scores":[...],"alarms":[...],"threshold":t?}
 *   plugin  -> {"type":"error","message":"..."}   at any point: the run fails with that message
 *
 * S = {"id","kpi"?,"timestamps":[unix ms...],"values":[...],"volume"?:[...]}; NaN is sent as null
 * and a null score is read back as NaN. Anything a plugin writes to stderr is passed through.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Detection, Detector, DetectorFactory, Series } from './types.js';

export const PROTOCOL_VERSION = 1;

export interface SubprocessSpec {
  name: string;
  description?: string;
  command: string;
  args: string[];
  cwd?: string;
  options?: Record<string, unknown>;
}

/** `cmd:python3 my.py --flag` -> command and args (whitespace-split; quotes group words). */
export function parseCommandLine(line: string): { command: string; args: string[] } {
  const words = [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  if (words.length === 0) throw new Error('detector cmd: empty command');
  return { command: words[0], args: words.slice(1) };
}

/** A `.json` spec: {"name", "command", "args"?, "cwd"?, "description"?, "options"?}; cwd defaults to the spec's folder. */
export async function readSubprocessSpec(path: string): Promise<SubprocessSpec> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`detector spec ${path}: ${(err as Error).message}`);
  }
  const o = raw as Record<string, unknown>;
  const bad = (field: string, want: string) => new Error(`detector spec ${path}: field ${field}: expected ${want}`);
  if (!o || typeof o !== 'object') throw bad('(root)', 'an object');
  if (typeof o.command !== 'string' || !o.command) throw bad('command', 'a non-empty string');
  if (o.args !== undefined && !(Array.isArray(o.args) && o.args.every((a) => typeof a === 'string'))) throw bad('args', 'an array of strings');
  if (o.name !== undefined && typeof o.name !== 'string') throw bad('name', 'a string');
  if (o.cwd !== undefined && typeof o.cwd !== 'string') throw bad('cwd', 'a string');
  if (o.options !== undefined && (typeof o.options !== 'object' || o.options === null)) throw bad('options', 'an object');
  return {
    name: (o.name as string | undefined) ?? path,
    description: typeof o.description === 'string' ? o.description : undefined,
    command: o.command,
    args: (o.args as string[] | undefined) ?? [],
    cwd: resolve(dirname(path), (o.cwd as string | undefined) ?? '.'),
    options: o.options as Record<string, unknown> | undefined,
  };
}

function seriesMessage(s: Series): Record<string, unknown> {
  const list = (a: Float64Array) => Array.from(a, (v) => (Number.isFinite(v) ? v : null));
  return {
    id: s.id,
    ...(s.kpi ? { kpi: s.kpi } : {}),
    timestamps: Array.from(s.timestamps),
    values: list(s.values),
    ...(s.volume ? { volume: list(s.volume) } : {}),
  };
}

class SubprocessDetector implements Detector {
  private child: ChildProcessWithoutNullStreams | undefined;
  private lines: Interface | undefined;
  private pending: ((msg: Record<string, unknown>) => void) | undefined;
  private failure: Error | undefined;
  private readonly queue: Record<string, unknown>[] = [];

  constructor(
    private readonly spec: SubprocessSpec,
    private readonly options: Record<string, unknown>,
  ) {}

  private where(): string {
    return `detector ${this.spec.name} (${[this.spec.command, ...this.spec.args].join(' ')})`;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const p = this.pending;
    this.pending = undefined;
    p?.({ type: 'error', message: err.message });
  }

  private start(): void {
    const child = spawn(this.spec.command, this.spec.args, { cwd: this.spec.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    child.on('error', (err) => this.fail(new Error(`${this.where()}: could not start: ${err.message}`)));
    child.on('exit', (code, signal) => this.fail(new Error(`${this.where()}: exited early (code ${code}, signal ${signal})`)));
    child.stdin.on('error', () => {}); // a dead child is reported by 'exit'
    this.lines = createInterface({ input: child.stdout });
    let lineNo = 0;
    this.lines.on('line', (line) => {
      lineNo++;
      if (!line.trim()) return;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.fail(new Error(`${this.where()}: stdout line ${lineNo} is not JSON: ${line.slice(0, 120)}`));
        return;
      }
      if (this.pending) {
        const p = this.pending;
        this.pending = undefined;
        p(msg);
      } else this.queue.push(msg);
    });
  }

  private async request(msg: Record<string, unknown>, expect: string): Promise<Record<string, unknown>> {
    if (!this.child) {
      this.start();
      await this.exchange({ type: 'hello', protocol: PROTOCOL_VERSION, options: this.options }, 'ready');
    }
    return this.exchange(msg, expect);
  }

  private exchange(msg: Record<string, unknown>, expect: string): Promise<Record<string, unknown>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolvePromise, reject) => {
      const onMessage = (reply: Record<string, unknown>) => {
        if (reply.type === 'error') reject(this.failure ?? new Error(`${this.where()}: ${String(reply.message)}`));
        else if (reply.type !== expect) reject(new Error(`${this.where()}: expected a "${expect}" message, got ${JSON.stringify(reply).slice(0, 120)}`));
        else resolvePromise(reply);
      };
      const queued = this.queue.shift();
      if (queued) onMessage(queued);
      else this.pending = onMessage;
      this.child!.stdin.write(JSON.stringify(msg) + '\n');
    });
  }

  async fit(train: Series): Promise<void> {
    try {
      await this.request({ type: 'fit', series: seriesMessage(train) }, 'fitted');
    } catch (err) {
      this.close();
      throw err;
    }
  }

  async detect(series: Series): Promise<Detection> {
    try {
      const reply = await this.request({ type: 'detect', series: seriesMessage(series) }, 'detection');
      return this.readDetection(series, reply);
    } finally {
      this.close();
    }
  }

  private readDetection(series: Series, reply: Record<string, unknown>): Detection {
    const n = series.values.length;
    const { scores, alarms, threshold } = reply;
    if (!Array.isArray(scores) || scores.length !== n) throw new Error(`${this.where()}: detection.scores must be an array of ${n} numbers (series ${series.id})`);
    if (!Array.isArray(alarms) || alarms.length !== n) throw new Error(`${this.where()}: detection.alarms must be an array of ${n} 0/1 values (series ${series.id})`);
    const out: Detection = {
      scores: Float64Array.from(scores, (v: unknown) => (typeof v === 'number' ? v : NaN)),
      alarms: Uint8Array.from(alarms, (v: unknown) => (v === 1 || v === true ? 1 : 0)),
    };
    if (typeof threshold === 'number') out.threshold = threshold;
    return out;
  }

  private close(): void {
    const child = this.child;
    if (!child) return;
    child.removeAllListeners('exit');
    child.stdin.end();
    this.lines?.close();
    // A well-behaved plugin exits on end of input; one that does not is not left behind.
    const timer = setTimeout(() => child.kill('SIGTERM'), 5000);
    timer.unref();
    child.once('exit', () => clearTimeout(timer));
  }
}

export function subprocessFactory(spec: SubprocessSpec): DetectorFactory {
  return {
    name: spec.name,
    description: spec.description ?? `subprocess: ${[spec.command, ...spec.args].join(' ')}`,
    create: (options) => new SubprocessDetector(spec, { ...spec.options, ...options }),
  };
}

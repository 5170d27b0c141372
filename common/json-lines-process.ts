/**
 * The client side of faultline's subprocess plugin protocols (detectors and RCA methods; the
 * messages are in docs/plugins.md): one child process speaking JSON lines over stdin/stdout, one
 * request at a time, each answered by exactly one reply line.
 *
 * Nothing the child does can hang the harness or exhaust its memory:
 *   - every call, the start included, has a time limit (PluginLimits.callTimeoutMs);
 *   - stdout is split into lines here, each line capped (maxReplyBytes), and a last line without
 *     a newline is read when the stream ends;
 *   - stderr passes through up to STDERR_PASSTHROUGH_BYTES, and its last line is kept for errors;
 *   - the child leads its own process group (spawned detached): on failure or close the whole
 *     group gets SIGTERM, then SIGKILL after killGraceMs, so its children go too;
 *   - while no call is pending the child does not keep Node alive, and every group still running
 *     is killed when Node exits or is stopped by SIGINT, SIGTERM or SIGHUP.
 * Every failure is a PluginFailure naming the plugin and the item of the call.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { PluginFailure, describeItem, seconds, type PluginFailureReason, type PluginItem, type PluginLimits } from './plugin.js';
import { preview } from './errors.js';

/** The versions this client speaks; a plugin names its choice in its `ready` reply (absent: 1). */
export const PLUGIN_PROTOCOLS = [1, 2] as const;
export type PluginProtocol = (typeof PLUGIN_PROTOCOLS)[number];

export type PluginMessage = Record<string, unknown>;

export interface PluginCommand {
  command: string;
  args: string[];
  cwd?: string;
}

/** Plugin stderr passed on per process; the rest is dropped with one notice. */
export const STDERR_PASSTHROUGH_BYTES = 1024 * 1024;
/** After the child exits, how long its last output may take to arrive before an answer counts as missing. */
const EXIT_DRAIN_MS = 500;
/** After SIGKILL, how long to wait for the group to disappear (members left as zombies never do). */
const REAP_WAIT_MS = 1000;
const POLL_MS = 20;

/** `python3 my.py --flag "two words"` -> command and args (whitespace-split; quotes group words). */
export function parseCommandLine(line: string): { command: string; args: string[] } {
  const words = [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
  if (words.length === 0) throw new Error('cmd: empty command');
  return { command: words[0]!, args: words.slice(1) };
}

let stderrSink: (chunk: Buffer) => void = (chunk) => process.stderr.write(chunk);

/** Where plugin stderr goes (default: this process's stderr); returns the previous sink. */
export function setPluginStderr(sink: (chunk: Buffer) => void): (chunk: Buffer) => void {
  const previous = stderrSink;
  stderrSink = sink;
  return previous;
}

/** Splits a byte stream into lines, refusing to hold more than `maxBytes` of one line. */
class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: (bytes: number) => void,
  ) {}

  /** Bytes of a line begun but not yet ended by a newline. */
  get pendingBytes(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    let from = 0;
    for (let nl = chunk.indexOf(10, from); nl >= 0; nl = chunk.indexOf(10, from)) {
      if (this.size + nl - from > this.maxBytes) return this.onTooLong(this.size + nl - from);
      this.parts.push(chunk.subarray(from, nl));
      from = nl + 1;
      const line = Buffer.concat(this.parts).toString('utf8');
      this.parts = [];
      this.size = 0;
      this.onLine(line);
    }
    if (from < chunk.length) {
      this.size += chunk.length - from;
      if (this.size > this.maxBytes) return this.onTooLong(this.size);
      this.parts.push(chunk.subarray(from));
    }
  }

  /** The stream ended: a last line without a newline is still a line. */
  end(): void {
    if (this.size === 0) return;
    const line = Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    this.size = 0;
    this.onLine(line);
  }

  discard(): void {
    this.parts = [];
    this.size = 0;
  }
}

/** Process groups of plugins still running, killed if this process exits or is stopped. */
const liveGroups = new Set<number>();
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, signal);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killLiveGroups(): void {
  for (const pid of liveGroups) signalGroup(pid, 'SIGKILL');
}

function onStopSignal(signal: NodeJS.Signals): void {
  killLiveGroups();
  liveGroups.clear();
  for (const s of STOP_SIGNALS) process.removeListener(s, onStopSignal);
  // Without other listeners, die of the signal as Node would have.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function trackGroup(pid: number): void {
  if (liveGroups.size === 0) {
    process.once('exit', killLiveGroups);
    for (const s of STOP_SIGNALS) process.on(s, onStopSignal);
  }
  liveGroups.add(pid);
}

function untrackGroup(pid: number): void {
  if (!liveGroups.delete(pid) || liveGroups.size > 0) return;
  process.removeListener('exit', killLiveGroups);
  for (const s of STOP_SIGNALS) process.removeListener(s, onStopSignal);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));


interface Pending {
  request: string;
  expect: string;
  item: PluginItem | undefined;
  id: string | undefined;
  resolve: (msg: PluginMessage) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

type Handle = { ref?(): void; unref?(): void };

export class JsonLinesProcess {
  private child: ChildProcessWithoutNullStreams | undefined;
  private pending: Pending | undefined;
  private failure: PluginFailure | undefined;
  private failureProblem: string | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private lineNo = 0;
  private stdout: LineSplitter | undefined;
  private stdoutEnded = false;
  private stderrEnded = false;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private exitWaiters: (() => void)[] = [];
  private stderrBytes = 0;
  private stderrTail = '';
  private closing = false;
  private ended: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private killedHard = false;
  /** The version agreed in the `hello` exchange. */
  protocol: PluginProtocol | undefined;

  /** `label` names the plugin in every error, e.g. `detector py-zscore (python3 z.py)`. */
  constructor(
    readonly label: string,
    private readonly cmd: PluginCommand,
    private readonly limits: PluginLimits,
  ) {}

  /** The child's process id, which is also its process group id; undefined before start. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Starts the child and exchanges `hello` for `ready`: the protocol the plugin chose. `item` is
   * what the start is for, named in errors.
   */
  async start(options: Record<string, unknown>, item?: PluginItem): Promise<PluginProtocol> {
    if (this.child) throw new Error(`${this.label}: started twice`);
    this.spawnChild();
    const ready = await this.request({ type: 'hello', protocol: 1, protocols: [...PLUGIN_PROTOCOLS], options }, 'ready', item);
    const chosen = ready.protocol ?? 1;
    if (!PLUGIN_PROTOCOLS.includes(chosen as PluginProtocol)) {
      throw this.fail('protocol', `its "ready" reply chose protocol ${preview(JSON.stringify(chosen))}; faultline speaks ${PLUGIN_PROTOCOLS.join(' and ')}`, item);
    }
    this.protocol = chosen as PluginProtocol;
    return this.protocol;
  }

  /**
   * Sends `msg` and waits for the reply of type `expect` (with `"id": id` when `id` is given).
   * Requests are answered in order, one at a time.
   */
  request(msg: PluginMessage, expect: string, item?: PluginItem, id?: string): Promise<PluginMessage> {
    const run = this.chain.then(() => this.exchange(msg, expect, item, id));
    this.chain = run.catch(() => {});
    return run;
  }

  /**
   * Closes the child's input and waits for it to exit (killGraceMs), then ends whatever is left
   * of its process group: SIGTERM, and SIGKILL after killGraceMs. Resolves when the group is
   * gone; safe to call at any time, any number of times.
   */
  close(): Promise<void> {
    return (this.closed ??= this.shutDown());
  }

  private async shutDown(): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    this.closing = true;
    const p = this.pending;
    if (p) this.settle(p).reject(new PluginFailure(this.label, p.item, 'exit', `closed while a "${p.expect}" reply was due`));
    child.stdin.end();
    if (!this.exit && !this.killedHard) await this.waitExit(this.limits.killGraceMs);
    await this.endGroup();
  }

  private spawnChild(): void {
    const child = spawn(this.cmd.command, this.cmd.args, { cwd: this.cmd.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    if (child.pid !== undefined) trackGroup(child.pid);
    this.stdout = new LineSplitter(
      this.limits.maxReplyBytes,
      (line) => this.onLine(line),
      (bytes) => this.fail('too-large', `wrote a reply line longer than the ${this.limits.maxReplyBytes}-byte cap on a reply (${bytes} bytes so far)`),
    );
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.failure || this.closing) return this.stdout!.discard();
      this.stdout!.push(chunk);
    });
    child.stdout.on('end', () => {
      if (!this.failure && !this.closing) this.stdout!.end();
      this.stdoutEnded = true;
      if (this.exit) {
        if (this.stderrEnded) this.onGone();
        return;
      }
      // Usually the exit follows at once: report that, with its code, rather than the closed stream.
      setTimeout(() => {
        if (!this.exit && !this.failure && !this.closing) this.fail('exit', `closed its stdout${this.pending ? ` before answering "${this.pending.request}"` : ''}`);
      }, EXIT_DRAIN_MS).unref();
    });
    child.stderr.on('data', (chunk: Buffer) => this.onStderr(chunk));
    child.stderr.on('end', () => {
      this.stderrEnded = true;
      if (this.exit && this.stdoutEnded) this.onGone();
    });
    child.stdin.on('error', () => {}); // a child that stopped reading is reported by its exit or the time limit
    child.on('error', (err) => this.fail('start', `could not run ${this.cmd.command}: ${err.message}`));
    child.on('exit', (code, signal) => {
      this.exit = { code, signal };
      for (const w of this.exitWaiters.splice(0)) w();
      // Its last output may still be in the pipes (or a child of its may hold them open).
      if (this.stdoutEnded && this.stderrEnded) this.onGone();
      else setTimeout(() => this.onGone(), EXIT_DRAIN_MS).unref();
    });
    this.setRef(false);
  }

  private onStderr(chunk: Buffer): void {
    this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2048);
    const room = STDERR_PASSTHROUGH_BYTES - this.stderrBytes;
    if (room > 0) stderrSink(chunk.length <= room ? chunk : chunk.subarray(0, room));
    this.stderrBytes += chunk.length;
    // Said once, with the first byte past the cap: a chunk may end exactly at it, the next one crosses.
    if (room >= 0 && chunk.length > room) stderrSink(Buffer.from(`\n[faultline: ${this.label}: stderr past ${STDERR_PASSTHROUGH_BYTES} bytes dropped]\n`));
  }

  /**
   * `; its stderr ended with: "..."` when the plugin wrote any: the last line that names an error
   * (`ZeroDivisionError: ...`, `Error: ...`), else the last line.
   */
  private stderrHint(): string {
    const lines = this.stderrTail.split('\n').filter((l) => l.trim());
    const line = lines.findLast((l) => /(Error|Exception)\b/.test(l)) ?? lines[lines.length - 1];
    return line ? `; its stderr ended with: ${JSON.stringify(preview(line, 200))}` : '';
  }

  /** The child exited and its output is read (or stopped coming): an answer due now never comes. */
  private onGone(): void {
    if (this.failure || this.closing || !this.exit) return;
    const { code, signal } = this.exit;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const p = this.pending;
    this.fail('exit', `${how} ${p ? `before answering "${p.request}"` : 'between requests'}${this.stderrHint()}`);
  }

  private onLine(line: string): void {
    this.lineNo++;
    if (this.failure || this.closing || !line.trim()) return;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      const nan = /\b(NaN|-?Infinity)\b/.test(line) ? ' (NaN and Infinity are not JSON: send null)' : '';
      return void this.fail('protocol', `stdout line ${this.lineNo} is not JSON${nan}: ${preview(line)} (stdout carries protocol messages only; write logs to stderr)`);
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      return void this.fail('protocol', `stdout line ${this.lineNo} is not a JSON object: ${preview(line)}`);
    }
    const reply = msg as PluginMessage;
    const p = this.pending;
    if (!p) return void this.fail('protocol', `wrote ${preview(line)} when no reply was due (one reply per request)`);
    if (reply.type === 'error') {
      const said = typeof reply.message === 'string' ? preview(reply.message, 500) : preview(JSON.stringify(reply));
      return void this.fail('plugin-error', `reported an error: ${said}`);
    }
    if (reply.type !== p.expect) return void this.fail('protocol', `answered "${p.request}" with ${preview(line)}; expected a "${p.expect}" message`);
    if (p.id !== undefined && reply.id !== p.id) {
      return void this.fail('protocol', `answered "${p.request}" for id ${preview(JSON.stringify(reply.id) ?? 'undefined')}; expected "id":${JSON.stringify(p.id)}`);
    }
    this.settle(p).resolve(reply);
  }

  private exchange(msg: PluginMessage, expect: string, item: PluginItem | undefined, id: string | undefined): Promise<PluginMessage> {
    const failed = this.failure;
    if (failed) {
      // A failure between requests is reported against the item that then needed the plugin.
      if (failed.item || !item) return Promise.reject(failed);
      return Promise.reject(new PluginFailure(this.label, item, failed.reason, this.failureProblem!, { cause: failed }));
    }
    if (this.closing || !this.child) return Promise.reject(new PluginFailure(this.label, item, 'exit', `"${String(msg.type)}" sent after close`));
    let line: string;
    try {
      line = JSON.stringify(msg) + '\n';
    } catch (err) {
      return Promise.reject(new Error(`${this.label}: ${item ? `${describeItem(item)}: ` : ''}could not encode the "${String(msg.type)}" request: ${(err as Error).message}`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.onTimeout(), this.limits.callTimeoutMs);
      this.pending = { request: String(msg.type), expect, item, id, resolve, reject, timer };
      this.setRef(true);
      this.child!.stdin.write(line);
    });
  }

  private onTimeout(): void {
    const p = this.pending;
    if (!p) return;
    const partial = this.stdout?.pendingBytes ? `; it wrote ${this.stdout.pendingBytes} bytes with no newline` : '';
    this.fail('timeout', `no "${p.expect}" reply to "${p.request}" within ${seconds(this.limits.callTimeoutMs)} (the plugin time limit)${partial}`);
  }

  /** Takes the pending call off (its timer cleared); the caller resolves or rejects it. */
  private settle(p: Pending): Pending {
    clearTimeout(p.timer);
    this.pending = undefined;
    this.setRef(false);
    return p;
  }

  /** Records the first failure, fails the pending call with it and kills the process group. */
  private fail(reason: PluginFailureReason, problem: string, item?: PluginItem): PluginFailure {
    if (this.failure) return this.failure;
    const p = this.pending;
    const err = new PluginFailure(this.label, item ?? p?.item, reason, problem);
    this.failure = err;
    this.failureProblem = problem;
    this.stdout?.discard();
    if (p) this.settle(p).reject(err);
    void this.endGroup();
    return err;
  }

  /** SIGTERM to the group now, SIGKILL after the grace period; resolves once the group is gone. */
  private endGroup(): Promise<void> {
    return (this.ended ??= (async () => {
      const pid = this.child?.pid;
      if (pid === undefined) return;
      if (signalGroup(pid, 0)) {
        signalGroup(pid, 'SIGTERM');
        this.killTimer = setTimeout(() => {
          this.killedHard = true;
          signalGroup(pid, 'SIGKILL');
        }, this.limits.killGraceMs);
        this.killTimer.unref();
        for (let waited = 0; !this.killedHard && signalGroup(pid, 0); waited += POLL_MS) await sleep(POLL_MS);
        for (let waited = 0; waited < REAP_WAIT_MS && signalGroup(pid, 0); waited += POLL_MS) await sleep(POLL_MS);
        clearTimeout(this.killTimer);
      }
      untrackGroup(pid);
      this.child!.stdout.destroy();
      this.child!.stderr.destroy();
      this.child!.stdin.destroy();
    })());
  }

  private waitExit(ms: number): Promise<void> {
    if (this.exit) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Only a pending call keeps Node alive for the child; an idle or forgotten one does not. */
  private setRef(on: boolean): void {
    const child = this.child;
    if (!child) return;
    for (const h of [child, child.stdin, child.stdout, child.stderr] as Handle[]) (on ? h.ref : h.unref)?.call(h);
  }
}

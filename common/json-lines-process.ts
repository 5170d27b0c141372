/**
 * The client side of faultline's subprocess plugin protocols (detectors and RCA): one child
 * process speaking JSON lines over stdin/stdout. The first request starts the child and sends
 * `{"type":"hello","protocol":1,"options":{...}}`, to which it answers `{"type":"ready"}`; then each
 * request gets exactly one reply of the expected type, or `{"type":"error","message"}` which fails
 * the run with that message. The child's stderr passes through.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

export const PLUGIN_PROTOCOL_VERSION = 1;

export type PluginMessage = Record<string, unknown>;

export interface PluginCommand {
  command: string;
  args: string[];
  cwd?: string;
}

/** `python3 my.py --flag "two words"` -> command and args (whitespace-split; quotes group words). */
export function parseCommandLine(line: string): { command: string; args: string[] } {
  const words = [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
  if (words.length === 0) throw new Error('cmd: empty command');
  return { command: words[0]!, args: words.slice(1) };
}

export class JsonLinesProcess {
  private child: ChildProcessWithoutNullStreams | undefined;
  private lines: Interface | undefined;
  private waiting: ((msg: PluginMessage) => void) | undefined;
  private failure: Error | undefined;
  private readonly queue: PluginMessage[] = [];

  /** `label` names the plugin in every error, e.g. `detector my-zscore (python3 z.py)`. */
  constructor(
    private readonly label: string,
    private readonly cmd: PluginCommand,
    private readonly options: Record<string, unknown>,
  ) {}

  /** Send one message and wait for the reply of type `expect`. */
  async request(msg: PluginMessage, expect: string): Promise<PluginMessage> {
    if (!this.child) {
      this.start();
      await this.exchange({ type: 'hello', protocol: PLUGIN_PROTOCOL_VERSION, options: this.options }, 'ready');
    }
    return this.exchange(msg, expect);
  }

  /** End the child's input; a well-behaved plugin exits, one that lingers is killed after 5 s. */
  close(): void {
    const child = this.child;
    if (!child) return;
    child.removeAllListeners('exit');
    child.stdin.end();
    this.lines?.close();
    const timer = setTimeout(() => child.kill('SIGTERM'), 5000);
    timer.unref();
    child.once('exit', () => clearTimeout(timer));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiting;
    this.waiting = undefined;
    w?.({ type: 'error', message: err.message });
  }

  private start(): void {
    const child = spawn(this.cmd.command, this.cmd.args, { cwd: this.cmd.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    child.on('error', (err) => this.fail(new Error(`${this.label}: could not start: ${err.message}`)));
    child.on('exit', (code, signal) => this.fail(new Error(`${this.label}: exited early (code ${code}, signal ${signal})`)));
    child.stdin.on('error', () => {}); // a dead child is reported by 'exit'
    this.lines = createInterface({ input: child.stdout });
    let lineNo = 0;
    this.lines.on('line', (line) => {
      lineNo++;
      if (!line.trim()) return;
      let msg: PluginMessage;
      try {
        msg = JSON.parse(line) as PluginMessage;
      } catch {
        this.fail(new Error(`${this.label}: stdout line ${lineNo} is not JSON: ${line.slice(0, 120)}`));
        return;
      }
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w(msg);
      else this.queue.push(msg);
    });
  }

  private exchange(msg: PluginMessage, expect: string): Promise<PluginMessage> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const onMessage = (reply: PluginMessage) => {
        if (reply.type === 'error') reject(this.failure ?? new Error(`${this.label}: ${String(reply.message)}`));
        else if (reply.type !== expect) reject(new Error(`${this.label}: expected a "${expect}" message, got ${JSON.stringify(reply).slice(0, 120)}`));
        else resolve(reply);
      };
      const queued = this.queue.shift();
      if (queued) onMessage(queued);
      else this.waiting = onMessage;
      this.child!.stdin.write(JSON.stringify(msg) + '\n');
    });
  }
}

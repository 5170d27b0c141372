/**
 * An RCA algorithm in any language, run as a subprocess speaking JSON lines over stdin/stdout
 * (protocol 1; README "RCA subprocess protocol"). One process serves one algorithm instance,
 * i.e. every incident of one run, and is closed at the end:
 *
 *   harness -> {"type":"hello","protocol":1,"options":{...}}
 *   plugin  -> {"type":"ready","name":"..."}
 *   harness -> {"type":"rank","incident":I,"spans":T,"baseline":T,"kpis"?:K}   (once per incident)
 *   plugin  -> {"type":"ranking","candidates":[{"service","score","explanation"?,"instance"?,"faultType"?}...]}
 *   plugin  -> {"type":"error","message":"..."}   at any point: the run fails with that message
 *
 * I = {"id","start","end","rootCause":[],"type"?} (the true cause is withheld: rootCause is sent
 * empty). T = a span table, column-wise: {"length","strings":[...],"traceId":[i...],"spanId",
 * "parent" (row or -1),"service","instance","operation" (indices into strings),"start","end"
 * (unix ms),"status" (0 ok, 1 business, 2 system, 255 unknown)}. K = {"minutes":[...],
 * "series":{"service:x:avgLatency":[...]}} with NaN as null. Plugin stderr passes through.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseCommandLine } from '../detectors/plugin-subprocess.js';
import type { Candidate, KpiFrame, RcaAlgorithm, RcaFactory, RcaInput, SpanTable } from './types.js';

export const RCA_PROTOCOL_VERSION = 1;

/** The table with only the strings its rows use, as plain JSON arrays. */
export function spanTableMessage(t: SpanTable): Record<string, unknown> {
  const remap = new Map<number, number>();
  const strings: string[] = [];
  const col = (a: Int32Array) =>
    Array.from(a, (id) => {
      let k = remap.get(id);
      if (k === undefined) {
        remap.set(id, (k = strings.length));
        strings.push(t.strings[id]);
      }
      return k;
    });
  return {
    length: t.length,
    traceId: col(t.traceId),
    spanId: col(t.spanId),
    parent: Array.from(t.parent),
    service: col(t.service),
    instance: col(t.instance),
    operation: col(t.operation),
    start: Array.from(t.start),
    end: Array.from(t.end),
    status: Array.from(t.status),
    strings,
  };
}

function kpiMessage(k: KpiFrame): Record<string, unknown> {
  const series: Record<string, (number | null)[]> = {};
  for (const [id, v] of k.series) series[id] = Array.from(v, (x) => (Number.isFinite(x) ? x : null));
  return { minutes: Array.from(k.minutes), series };
}

class SubprocessRca implements RcaAlgorithm {
  private child: ChildProcessWithoutNullStreams | undefined;
  private failure: Error | undefined;
  private waiting: ((msg: Record<string, unknown>) => void) | undefined;
  private readonly queue: Record<string, unknown>[] = [];

  constructor(
    private readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly options: Record<string, unknown>,
  ) {}

  private where(): string {
    return `rca ${this.name}`;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiting;
    this.waiting = undefined;
    w?.({ type: 'error', message: err.message });
  }

  private start(): void {
    const child = spawn(this.command, this.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    child.on('error', (err) => this.fail(new Error(`${this.where()}: could not start: ${err.message}`)));
    child.on('exit', (code, signal) => this.fail(new Error(`${this.where()}: exited early (code ${code}, signal ${signal})`)));
    child.stdin.on('error', () => {}); // reported by 'exit'
    let lineNo = 0;
    createInterface({ input: child.stdout }).on('line', (line) => {
      lineNo++;
      if (!line.trim()) return;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.fail(new Error(`${this.where()}: stdout line ${lineNo} is not JSON: ${line.slice(0, 120)}`));
        return;
      }
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w(msg);
      else this.queue.push(msg);
    });
  }

  private exchange(msg: Record<string, unknown>, expect: string): Promise<Record<string, unknown>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const onMessage = (reply: Record<string, unknown>) => {
        if (reply.type === 'error') reject(this.failure ?? new Error(`${this.where()}: ${String(reply.message)}`));
        else if (reply.type !== expect) reject(new Error(`${this.where()}: expected "${expect}", got ${JSON.stringify(reply).slice(0, 120)}`));
        else resolve(reply);
      };
      const queued = this.queue.shift();
      if (queued) onMessage(queued);
      else this.waiting = onMessage;
      this.child!.stdin.write(JSON.stringify(msg) + '\n');
    });
  }

  async rank(input: RcaInput): Promise<Candidate[]> {
    if (!this.child) {
      this.start();
      await this.exchange({ type: 'hello', protocol: RCA_PROTOCOL_VERSION, options: this.options }, 'ready');
    }
    const { incident } = input;
    const reply = await this.exchange(
      {
        type: 'rank',
        incident: { id: incident.id, start: incident.start, end: incident.end, rootCause: [], ...(incident.type ? { type: incident.type } : {}) },
        spans: spanTableMessage(input.spans),
        baseline: spanTableMessage(input.baseline),
        ...(input.kpis ? { kpis: kpiMessage(input.kpis) } : {}),
      },
      'ranking',
    );
    if (!Array.isArray(reply.candidates)) throw new Error(`${this.where()}: ranking.candidates must be an array`);
    return reply.candidates.map((c: unknown, i: number) => {
      const o = c as Record<string, unknown>;
      if (!o || typeof o.service !== 'string' || typeof o.score !== 'number') {
        throw new Error(`${this.where()}: ranking.candidates[${i}] needs service (string) and score (number)`);
      }
      const out: Candidate = { service: o.service, score: o.score, explanation: typeof o.explanation === 'string' ? o.explanation : '' };
      if (typeof o.instance === 'string') out.instance = o.instance;
      if (typeof o.faultType === 'string') out.faultType = o.faultType;
      return out;
    });
  }

  /** Ends the plugin's input; it should exit; it is killed if it lingers. */
  close(): void {
    const child = this.child;
    if (!child) return;
    child.removeAllListeners('exit');
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGTERM'), 5000);
    timer.unref();
    child.once('exit', () => clearTimeout(timer));
  }
}

/** `cmd:python3 my_rca.py --flag` as an RcaFactory. */
export function subprocessRca(spec: string): RcaFactory {
  const { command, args } = parseCommandLine(spec.replace(/^cmd:/, ''));
  return {
    name: spec,
    description: `subprocess: ${[command, ...args].join(' ')}`,
    create: (options = {}) => new SubprocessRca(spec, command, args, options),
  };
}

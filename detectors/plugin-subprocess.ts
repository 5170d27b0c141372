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
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { JsonLinesProcess, type PluginMessage } from '../common/json-lines-process.js';
import type { Detection, Detector, DetectorFactory } from './types.js';
import type { Series } from '../data/types.js';

export interface SubprocessSpec {
  name: string;
  description?: string;
  command: string;
  args: string[];
  cwd?: string;
  options?: Record<string, unknown>;
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
  private readonly process: JsonLinesProcess;

  constructor(
    private readonly spec: SubprocessSpec,
    options: Record<string, unknown>,
  ) {
    this.process = new JsonLinesProcess(this.where(), spec, options);
  }

  private where(): string {
    return `detector ${this.spec.name} (${[this.spec.command, ...this.spec.args].join(' ')})`;
  }

  async fit(train: Series): Promise<void> {
    try {
      await this.process.request({ type: 'fit', series: seriesMessage(train) }, 'fitted');
    } catch (err) {
      this.process.close();
      throw err;
    }
  }

  async detect(series: Series): Promise<Detection> {
    try {
      const reply = await this.process.request({ type: 'detect', series: seriesMessage(series) }, 'detection');
      return this.readDetection(series, reply);
    } finally {
      this.process.close();
    }
  }

  private readDetection(series: Series, reply: PluginMessage): Detection {
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
}

export function subprocessFactory(spec: SubprocessSpec): DetectorFactory {
  return {
    name: spec.name,
    description: spec.description ?? `subprocess: ${[spec.command, ...spec.args].join(' ')}`,
    needs: ['kpis'],
    create: (options) => new SubprocessDetector(spec, { ...spec.options, ...options }),
  };
}

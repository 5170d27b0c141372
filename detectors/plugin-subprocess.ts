/**
 * A detector in any language, run as a subprocess speaking JSON lines over stdin/stdout
 * (docs/plugins.md, "Detector subprocess protocol"). The plugin's `ready` reply names the version:
 *
 *   2: one process for the whole run. Each series is sent as `fit` (when it has training points),
 *      then `detect`; every reply carries the series id. The process stays up until the resolved
 *      plugin is closed.
 *   1: one process per series: `hello`, `fit`, `detect`, then its stdin is closed.
 *
 * Values travel as JSON numbers, NaN as null. Limits, kills and error shapes:
 * common/json-lines-process.ts; what a detection may hold: plugin-results.ts.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { JsonLinesProcess, type PluginProtocol } from '../common/json-lines-process.js';
import { PluginFailure, PluginResultError, nearest, type PluginItem, type PluginLimits } from '../common/plugin.js';
import { detectionFromJson } from './plugin-results.js';
import { z } from 'zod';
import { FileError, readJsonFile } from '../common/validated-file.js';
import type { Detection, Detector, DetectorPlugin } from './types.js';
import type { Series } from '../data/types.js';

export interface SubprocessSpec {
  name: string;
  description?: string;
  command: string;
  args: string[];
  cwd?: string;
  options?: Record<string, unknown>;
}

const SPEC_FIELDS = ['name', 'description', 'command', 'args', 'cwd', 'options'];

const specSchema = z
  .looseObject({
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    cwd: z.string().default('.'),
    options: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((o, ctx) => {
    for (const key of Object.keys(o)) {
      if (SPEC_FIELDS.includes(key)) continue;
      const near = nearest(key, SPEC_FIELDS);
      ctx.addIssue({ code: 'custom', path: [key], message: `unknown field${near ? ` (did you mean ${near}?)` : ''}; fields are ${SPEC_FIELDS.join(', ')}` });
    }
  });

/** A `.json` spec: {"name", "command", "args"?, "cwd"?, "description"?, "options"?}; cwd defaults to the spec's folder. */
export function readSubprocessSpec(path: string): SubprocessSpec {
  const o = readJsonFile(path, specSchema, 'detector spec');
  const cwd = resolve(dirname(path), o.cwd);
  if (!statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) throw new FileError(path, 'cwd', `not a folder: ${cwd}`);
  return {
    name: o.name ?? path,
    description: o.description,
    command: o.command,
    args: o.args,
    cwd,
    options: o.options,
  };
}

/** A series as sent: {"id","kpi"?,"timestamps","values","volume"?}, NaN as null. */
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

/** The plugin's processes for one run: the shared one (protocol 2), or one per series (protocol 1). */
class DetectorProcesses {
  private negotiation: Promise<JsonLinesProcess> | undefined;
  private firstTaken = false;
  private readonly open = new Set<JsonLinesProcess>();
  options: Record<string, unknown> = {};

  constructor(
    readonly label: string,
    private readonly spec: SubprocessSpec,
    private readonly limits: PluginLimits,
  ) {}

  /** The process to use for one series; `perSeries` when it is that series' own (protocol 1). */
  async acquire(item: PluginItem): Promise<{ process: JsonLinesProcess; perSeries: boolean }> {
    const first = await (this.negotiation ??= this.startOne(item));
    if (first.protocol === 2) return { process: first, perSeries: false };
    if (!this.firstTaken) {
      this.firstTaken = true;
      return { process: first, perSeries: true };
    }
    return { process: await this.startOne(item), perSeries: true };
  }

  private async startOne(item: PluginItem): Promise<JsonLinesProcess> {
    const process = new JsonLinesProcess(this.label, this.spec, this.limits);
    this.open.add(process);
    await process.start(this.options, item);
    return process;
  }

  async release(process: JsonLinesProcess): Promise<void> {
    await process.close();
    this.open.delete(process);
  }

  /** Stops every process of the run; a later series starts afresh. */
  async close(): Promise<void> {
    const open = [...this.open];
    this.open.clear();
    this.negotiation = undefined;
    this.firstTaken = false;
    await Promise.all(open.map((p) => p.close()));
  }
}

class SubprocessDetector implements Detector {
  private held: Promise<{ process: JsonLinesProcess; perSeries: boolean }> | undefined;

  constructor(private readonly processes: DetectorProcesses) {}

  async fit(train: Series): Promise<void> {
    const item = { kind: 'series', id: train.id };
    const { process } = await (this.held ??= this.processes.acquire(item));
    await process.request({ type: 'fit', series: seriesMessage(train) }, 'fitted', item, replyId(process.protocol, train.id));
  }

  async detect(series: Series): Promise<Detection> {
    const item = { kind: 'series', id: series.id };
    const held = await (this.held ??= this.processes.acquire(item));
    try {
      const reply = await held.process.request({ type: 'detect', series: seriesMessage(series) }, 'detection', item, replyId(held.process.protocol, series.id));
      try {
        return detectionFromJson(reply, series.values.length);
      } catch (err) {
        if (err instanceof PluginResultError) throw new PluginFailure(this.processes.label, item, 'result', `its "detection" reply: ${err.message}`);
        throw err;
      }
    } finally {
      if (held.perSeries) await this.processes.release(held.process);
    }
  }
}

/** Protocol 2 replies name the series they answer. */
function replyId(protocol: PluginProtocol | undefined, id: string): string | undefined {
  return protocol === 2 ? id : undefined;
}

export function subprocessFactory(spec: SubprocessSpec, limits: PluginLimits): DetectorPlugin {
  const commandLine = [spec.command, ...spec.args].join(' ');
  const processes = new DetectorProcesses(spec.name.startsWith('cmd:') ? `detector ${spec.name}` : `detector ${spec.name} (${commandLine})`, spec, limits);
  return {
    name: spec.name,
    description: spec.description ?? `subprocess: ${commandLine}`,
    needs: ['kpis'],
    create: (options) => {
      processes.options = { ...spec.options, ...options };
      return new SubprocessDetector(processes);
    },
    close: () => processes.close(),
  };
}

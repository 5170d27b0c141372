/**
 * An RCA method in any language, run as a subprocess speaking JSON lines over stdin/stdout
 * (docs/plugins.md, "RCA subprocess protocol"). One process serves one method instance, i.e. every
 * incident of one run, and is closed with the instance (or with the resolved plugin).
 *
 *   protocol 2: `fit` with the run's reference data, then `rank` per incident carrying the spans
 *               (with the optional span columns), the baseline, and the incident's KPIs, metrics,
 *               logs and baseline logs when the run has them; `ranking` replies carry the incident id.
 *   protocol 1: no `fit`; `rank` carries spans, baseline and KPIs.
 *
 * Tables travel column-wise with their own string table holding only the strings their rows use;
 * NaN as null. The true cause is never sent.
 */
import { JsonLinesProcess, parseCommandLine, type PluginCommand, type PluginProtocol } from '../common/json-lines-process.js';
import { PluginFailure, PluginResultError, type PluginItem, type PluginLimits } from '../common/plugin.js';
import { candidatesFrom } from './plugin-results.js';
import type { Candidate, RcaAlgorithm, RcaInput, RcaPlugin, RcaReference } from './types.js';
import type { LogTable, MetricTable, Series, SpanTable } from '../data/types.js';

type Json = Record<string, unknown>;

const list = (a: ArrayLike<number>) => Array.from(a, (v) => (Number.isFinite(v) ? v : null));

/** Maps a table's string ids to a compact string list of the ones used; -1 (none) stays -1. */
function compactStrings(all: readonly string[]): { strings: string[]; column(ids: Int32Array): number[] } {
  const remap = new Map<number, number>();
  const strings: string[] = [];
  return {
    strings,
    column: (ids) =>
      Array.from(ids, (id) => {
        if (id < 0) return -1;
        let k = remap.get(id);
        if (k === undefined) {
          remap.set(id, (k = strings.length));
          strings.push(all[id]!);
        }
        return k;
      }),
  };
}

/**
 * {"length","strings","traceId","spanId","parent","service","instance","operation","start","end",
 * "status"}; with `full`, also those of attempts, repeats, callerFault, serverStart, serverEnd
 * the table has.
 */
export function spanTableMessage(t: SpanTable, full = false): Json {
  const s = compactStrings(t.strings);
  const out: Json = {
    length: t.length,
    traceId: s.column(t.traceId),
    spanId: s.column(t.spanId),
    parent: Array.from(t.parent),
    service: s.column(t.service),
    instance: s.column(t.instance),
    operation: s.column(t.operation),
    start: Array.from(t.start),
    end: Array.from(t.end),
    status: Array.from(t.status),
  };
  if (full) {
    if (t.attempts) out.attempts = Array.from(t.attempts);
    if (t.repeats) out.repeats = Array.from(t.repeats);
    if (t.callerFault) out.callerFault = Array.from(t.callerFault);
    if (t.serverStart) out.serverStart = list(t.serverStart);
    if (t.serverEnd) out.serverEnd = list(t.serverEnd);
  }
  out.strings = s.strings;
  return out;
}

/**
 * {"minutes","series":{"scope:name:kpi":[...]}}: the KPI series aligned on the union of their
 * timestamps, null where a series has no point.
 */
function kpiMessage(kpis: Series[]): Json {
  const set = new Set<number>();
  for (const s of kpis) for (const t of s.timestamps) set.add(t);
  const minutes = [...set].sort((a, b) => a - b);
  const index = new Map(minutes.map((m, i) => [m, i]));
  const series: Record<string, (number | null)[]> = {};
  for (const s of kpis) {
    const values: (number | null)[] = new Array(minutes.length).fill(null);
    for (let i = 0; i < s.timestamps.length; i++) values[index.get(s.timestamps[i]!)!] = Number.isFinite(s.values[i]!) ? s.values[i]! : null;
    series[s.id] = values;
  }
  return { minutes, series };
}

/** {"length","strings","time","service","instance","names","values":[one column per name]}. */
export function metricTableMessage(m: MetricTable): Json {
  const s = compactStrings(m.strings);
  return {
    length: m.length,
    time: Array.from(m.time),
    service: s.column(m.service),
    instance: s.column(m.instance),
    names: m.names,
    values: m.values.map(list),
    strings: s.strings,
  };
}

/** {"length","strings","time","service","instance","traceId","spanId","level","template","templates"}. */
export function logTableMessage(l: LogTable): Json {
  const s = compactStrings(l.strings);
  const templates = compactStrings(l.templates);
  return {
    length: l.length,
    time: Array.from(l.time),
    service: s.column(l.service),
    instance: s.column(l.instance),
    traceId: s.column(l.traceId),
    spanId: s.column(l.spanId),
    level: Array.from(l.level),
    template: templates.column(l.template),
    strings: s.strings,
    templates: templates.strings,
  };
}

function rankMessage(input: RcaInput, protocol: PluginProtocol): Json {
  const { incident } = input;
  const v2 = protocol === 2;
  return {
    type: 'rank',
    incident: { id: incident.id, start: incident.start, end: incident.end },
    spans: spanTableMessage(input.spans, v2),
    baseline: spanTableMessage(input.baseline, v2),
    ...(input.kpis ? { kpis: kpiMessage(input.kpis) } : {}),
    ...(v2 && input.metrics ? { metrics: metricTableMessage(input.metrics) } : {}),
    ...(v2 && input.logs ? { logs: logTableMessage(input.logs) } : {}),
    ...(v2 && input.baselineLogs ? { baselineLogs: logTableMessage(input.baselineLogs) } : {}),
  };
}

function referenceMessage(r: RcaReference): Json {
  return {
    spans: spanTableMessage(r.spans, true),
    ...(r.metrics ? { metrics: metricTableMessage(r.metrics) } : {}),
    ...(r.logs ? { logs: logTableMessage(r.logs) } : {}),
  };
}

const REFERENCE: PluginItem = { kind: 'reference data' };

class SubprocessRca implements RcaAlgorithm {
  private process: JsonLinesProcess | undefined;
  private started: Promise<JsonLinesProcess> | undefined;

  constructor(
    private readonly label: string,
    private readonly cmd: PluginCommand,
    private readonly limits: PluginLimits,
    private readonly options: Record<string, unknown>,
    private readonly open: Set<SubprocessRca>,
  ) {}

  private start(item: PluginItem): Promise<JsonLinesProcess> {
    return (this.started ??= (async () => {
      const process = (this.process = new JsonLinesProcess(this.label, this.cmd, this.limits));
      this.open.add(this);
      await process.start(this.options, item);
      return process;
    })());
  }

  async fit(reference: RcaReference): Promise<void> {
    const process = await this.start(REFERENCE);
    if (process.protocol === 2) await process.request({ type: 'fit', reference: referenceMessage(reference) }, 'fitted', REFERENCE);
  }

  async rank(input: RcaInput): Promise<Candidate[]> {
    const item = { kind: 'incident', id: input.incident.id };
    const process = await this.start(item);
    const reply = await process.request(rankMessage(input, process.protocol!), 'ranking', item, process.protocol === 2 ? input.incident.id : undefined);
    try {
      return candidatesFrom(reply.candidates, '"candidates"');
    } catch (err) {
      if (err instanceof PluginResultError) throw new PluginFailure(this.label, item, 'result', `its "ranking" reply: ${err.message}`);
      throw err;
    }
  }

  /** Ends the plugin's input; it should exit; its process group is killed if it lingers. */
  async close(): Promise<void> {
    this.open.delete(this);
    await this.process?.close();
  }
}

/** `cmd:python3 my_rca.py --flag` as an RCA plugin. */
export function subprocessRca(spec: string, limits: PluginLimits): RcaPlugin {
  const cmd = parseCommandLine(spec.replace(/^cmd:/, ''));
  const open = new Set<SubprocessRca>();
  return {
    name: spec,
    description: `subprocess: ${[cmd.command, ...cmd.args].join(' ')}`,
    needs: [],
    uses: ['kpis', 'spans', 'metrics', 'logs'],
    create: (options = {}) => new SubprocessRca(`RCA method ${spec}`, cmd, limits, options, open),
    close: async () => {
      await Promise.all([...open].map((m) => m.close()));
    },
  };
}

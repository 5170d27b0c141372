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
import { JsonLinesProcess, parseCommandLine } from '../common/json-lines-process.js';
import type { Candidate, RcaAlgorithm, RcaFactory, RcaInput } from './types.js';
import type { KpiFrame, SpanTable } from '../data/types.js';

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
  private readonly process: JsonLinesProcess;

  constructor(
    private readonly name: string,
    command: string,
    args: string[],
    options: Record<string, unknown>,
  ) {
    this.process = new JsonLinesProcess(`rca ${name}`, { command, args }, options);
  }

  async rank(input: RcaInput): Promise<Candidate[]> {
    const { incident } = input;
    const reply = await this.process.request(
      {
        type: 'rank',
        incident: { id: incident.id, start: incident.start, end: incident.end },
        spans: spanTableMessage(input.spans),
        baseline: spanTableMessage(input.baseline),
        ...(input.kpis ? { kpis: kpiMessage(input.kpis) } : {}),
      },
      'ranking',
    );
    if (!Array.isArray(reply.candidates)) throw new Error(`rca ${this.name}: ranking.candidates must be an array`);
    return reply.candidates.map((c: unknown, i: number) => {
      const o = c as Record<string, unknown>;
      if (!o || typeof o.service !== 'string' || typeof o.score !== 'number') {
        throw new Error(`rca ${this.name}: ranking.candidates[${i}] needs service (string) and score (number)`);
      }
      const out: Candidate = { service: o.service, score: o.score, explanation: typeof o.explanation === 'string' ? o.explanation : '' };
      if (typeof o.instance === 'string') out.instance = o.instance;
      if (typeof o.faultType === 'string') out.faultType = o.faultType;
      return out;
    });
  }

  /** Ends the plugin's input; it should exit; it is killed if it lingers. */
  close(): void {
    this.process.close();
  }
}

/** `cmd:python3 my_rca.py --flag` as an RcaFactory. */
export function subprocessRca(spec: string): RcaFactory {
  const { command, args } = parseCommandLine(spec.replace(/^cmd:/, ''));
  return {
    name: spec,
    description: `subprocess: ${[command, ...args].join(' ')}`,
    needs: [],
    create: (options = {}) => new SubprocessRca(spec, command, args, options),
  };
}

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rca } from '../../pipeline/rca.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';
import { rankIncidents } from '../../rca/evaluate.js';
import { plantedSpans } from './scenario.js';

/** The planted scenario as a span CSV (our columns) plus an incidents file. */
async function spanFiles() {
  const { spans: t, incident } = await plantedSpans({ service: 'ledger', kind: 'error' }, 12, 8);
  const dir = mkdtempSync(join(tmpdir(), 'rca-cmd-'));
  const lines = ['trace_id,span_id,parent_id,service,instance,operation,start_ns,end_ns,status'];
  const s = t.strings;
  for (let i = 0; i < t.length; i++) {
    const parent = t.parent[i] < 0 ? 'root' : s[t.spanId[t.parent[i]]];
    lines.push(
      [s[t.traceId[i]], s[t.spanId[i]], parent, s[t.service[i]], s[t.instance[i]], s[t.operation[i]], t.start[i] * 1e6, t.end[i] * 1e6, t.status[i] === 2 ? 'error' : 'ok'].join(','),
    );
  }
  writeFileSync(join(dir, 'spans.csv'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'incidents.json'), JSON.stringify([{ id: 'i1', start: new Date(incident.start).toISOString(), end: incident.end, rootCause: ['ledger'], type: 'error' }]));
  return dir;
}

describe('faultline rca (library entry point)', () => {
  it('replays span files, writes ranking.json and metrics.json, and gates on AC@1', async () => {
    const dir = await spanFiles();
    const base = { spans: [join(dir, 'spans.csv')], incidents: join(dir, 'incidents.json'), out: join(dir, 'out') };
    const res = await rca({ ...base, rca: ['deepest-abnormal', 'count'], minAc1: 'deepest-abnormal=0.9,count=0.9' });
    const ranking = JSON.parse(readFileSync(res.files.ranking, 'utf8'));
    const metrics = JSON.parse(readFileSync(res.files.metrics, 'utf8'));
    expect(ranking.algorithms[0].incidents[0]).toMatchObject({ id: 'i1', rank: 1, rootCause: ['ledger'] });
    expect(ranking.algorithms[0].incidents[0].candidates[0].service).toBe('ledger');
    expect(metrics.algorithms['deepest-abnormal']).toMatchObject({ incidents: 1, ac1: 1, mrr: 1 });
    // count ranks a caller of the failing ledger first: below the gate, and its miss is listed
    expect(res.gate.passed).toBe(false);
    expect(res.misses.map((f) => f.method)).toEqual(['count']);
    expect(res.misses[0]!.missed[0]).toMatchObject({ id: 'i1', rootCause: ['ledger'] });
    // The plain bar gates the best method, which reaches it.
    const best = await rca({ ...base, out: join(dir, 'best'), rca: ['deepest-abnormal', 'count'], minAc1: 0.9 });
    expect(best.gate.passed).toBe(true);
    expect(best.gate.message).toMatch(/best RCA method deepest-abnormal has AC@1 1.000 >= 0.900/);
    const first = readFileSync(res.files.ranking);
    await rca({ ...base, rca: ['deepest-abnormal', 'count'] });
    expect(readFileSync(res.files.ranking).equals(first)).toBe(true); // deterministic
  });

  it('reports a failing subprocess plugin clearly, as a miss, and keeps the other methods', async () => {
    const { spans, incident } = await plantedSpans({ service: 'ledger', kind: 'error' }, 12, 8);
    const bad = await resolveRcaAlgorithm('cmd:node -e "process.exit(3)"');
    const [r] = await rankIncidents(bad, spans, [incident]);
    expect(r).toMatchObject({ rank: 0, candidates: [] });
    expect(r!.failure).toMatch(/exited with code 3/);
    const dir = await spanFiles();
    const res = await rca({ spans: [join(dir, 'spans.csv')], incidents: join(dir, 'incidents.json'), out: join(dir, 'out'), rca: ['cmd:node -e "process.exit(3)"', 'deepest-abnormal'] });
    expect(res.results.map((m) => [m.name, m.metrics.ac1])).toEqual([
      ['cmd:node -e "process.exit(3)"', 0],
      ['deepest-abnormal', 1],
    ]);
    const ranking = JSON.parse(readFileSync(res.files.ranking, 'utf8'));
    expect(ranking.algorithms[0].incidents[0].failure).toMatch(/exited with code 3/);
  });
});

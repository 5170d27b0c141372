/**
 * The span readers against the engine's own telemetry export: a generated data set written as span
 * CSV and as OTLP/JSON lines (client and server spans of every call) reads back, through the
 * client/server folding, as one row per call of the message log, at the times of its legs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../sim/generate.js';
import { DATA_SET_FILES } from '../../sim/formats.js';
import { scanMessages } from '../../sim/read.js';
import { loadSpans } from '../../data/inputs.js';
import { emptySpanReadStats } from '../../data/span-assembly.js';
import { BadRows } from '../../common/bad-rows.js';
import type { SpanTable } from '../../data/types.js';

const root = mkdtempSync(join(tmpdir(), 'fl-exported-spans-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const scenario = join(root, 'short.yaml');
writeFileSync(scenario, ['extends: fault-base', 'duration: 6m', 'faults:', '  - { type: database-slow, target: { database: ledger-db }, start: 2m, duration: 3m, severity: 0.8 }'].join('\n'));

/** Per uniqueId, from messages.arrow: the caller's send and receipt, the callee's receipt and reply, the callee's service. */
interface Legs {
  send?: number;
  delivered?: number;
  replied?: number;
  received?: number;
  async: boolean;
  service: string;
}
const legs = new Map<string, Legs>();

beforeAll(async () => {
  await generate({ scenario, seed: 5, out: join(root, 'csv'), export: { spans: 'csv' } });
  await generate({ scenario, seed: 5, out: join(root, 'otlp'), export: { spans: 'otlp' } });
  await scanMessages(join(root, 'csv', DATA_SET_FILES.messages), (b) => {
    for (let i = 0; i < b.length; i++) {
      const uid = b.uniqueId[i];
      const l = legs.get(uid) ?? { async: b.msgType.values[b.msgType.codes[i]] === 'async', service: '' };
      const lp = b.logPoint.values[b.logPoint.codes[i]];
      if (lp === 'REQ_CLIENT_MESH') {
        l.send = b.sendTime[i];
        l.service = b.receiverService.values[b.receiverService.codes[i]];
      } else if (lp === 'REQ_MESH_CLIENT') l.delivered = b.recvTime[i];
      else if (lp === 'RSP_CLIENT_MESH') l.replied = b.sendTime[i];
      else if (lp === 'RSP_MESH_CLIENT') l.received = b.recvTime[i];
      legs.set(uid, l);
    }
  });
}, 120_000);

/** The uniqueId of a folded row: the span CSV's ids are `<uniqueId>-c|-s`. */
const uidOf = (t: SpanTable, i: number) => t.strings[t.spanId[i]].replace(/-[cs]$/, '');
const close = (a: number, b: number | undefined) => b !== undefined && Math.abs(a - b) < 1e-3;

describe('the engine’s span export, read back', () => {
  let csv: SpanTable;
  let otlp: SpanTable;
  const csvStats = emptySpanReadStats();
  beforeAll(async () => {
    csv = await loadSpans([join(root, 'csv', DATA_SET_FILES.spansCsv)], { badRows: new BadRows(), stats: csvStats });
    otlp = await loadSpans([join(root, 'otlp', DATA_SET_FILES.spansOtlp)], { badRows: new BadRows() });
  });

  it('gives one row per call, with the caller’s times, the callee’s times beside them and the callee’s service', () => {
    expect(csv.length).toBe(legs.size);
    expect(csvStats.folded).toBeGreaterThan(legs.size / 2);
    let checked = 0;
    for (let i = 0; i < csv.length; i++) {
      const l = legs.get(uidOf(csv, i))!;
      expect(csv.strings[csv.service[i]]).toBe(l.service);
      const entry = csv.parent[i] < 0; // the entry call: no client span
      // A folded call goes by its server span's id, which the callee's log lines name.
      if (!Number.isNaN(csv.serverStart![i])) expect(csv.strings[csv.spanId[i]]).toMatch(/-s$/);
      if (!entry) {
        expect(close(csv.start[i], l.send)).toBe(true);
        expect(close(csv.end[i], l.async ? l.delivered : l.received)).toBe(true);
      }
      if (!entry && l.delivered !== undefined && l.replied !== undefined) {
        expect(close(csv.serverStart![i], l.delivered) && close(csv.serverEnd![i], l.replied)).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(legs.size / 2);
    // Every trace is one tree: a single root, the entry service's call.
    const roots = new Map<number, number>();
    for (let i = 0; i < csv.length; i++) if (csv.parent[i] < 0) roots.set(csv.traceId[i], (roots.get(csv.traceId[i]) ?? 0) + 1);
    expect([...roots.values()].every((n) => n === 1)).toBe(true);
    expect(roots.size).toBe(new Set(csv.traceId).size);
  });

  it('reads the same calls from OTLP/JSON lines as from span CSV', () => {
    expect(otlp.length).toBe(csv.length);
    // OTLP has no business-failure status (the export writes it as OK): compare system failures only.
    const key = (t: SpanTable, i: number) => `${t.strings[t.service[i]]} ${t.strings[t.instance[i]]} ${t.start[i].toFixed(3)} ${t.end[i].toFixed(3)} ${t.serverStart![i].toFixed(3)} ${t.status[i] === 2} ${t.parent[i] < 0}`;
    const fromCsv = Array.from({ length: csv.length }, (_, i) => key(csv, i)).sort();
    const fromOtlp = Array.from({ length: otlp.length }, (_, i) => key(otlp, i)).sort();
    expect(fromOtlp).toEqual(fromCsv);
  });
});

import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DictColumn, KpiTable, MessageBatch } from '../../sim/formats.js';
import { MessageLogWriter, writeKpis } from '../../sim/message-writer.js';
import { readKpis, scanMessages } from '../../sim/read.js';
import { MESSAGE_DICT_COLUMNS } from '../../sim/message-schema.js';

function dict(values: string[], codes: number[]): DictColumn {
  return { values, codes: Int32Array.from(codes) };
}

/** A hand-made batch; `variant` changes dictionary order so the writer must remap. */
function batch(n: number, variant: number): MessageBatch {
  const b = { length: n, bizSeqNo: [], uniqueId: [] } as unknown as MessageBatch;
  for (let i = 0; i < n; i++) {
    b.bizSeqNo.push(`biz-${variant}-${i}`);
    b.uniqueId.push(`uid-${variant}-${i}-é`);
  }
  for (const c of MESSAGE_DICT_COLUMNS) {
    const values = variant === 0 ? [`${c}-a`, `${c}-b`] : [`${c}-c`, `${c}-a`];
    b[c] = dict(values, Array.from({ length: n }, (_, i) => i % 2));
  }
  b.sendTime = Float64Array.from({ length: n }, (_, i) => 1e12 + i);
  b.recvTime = Float64Array.from({ length: n }, (_, i) => 1e12 + i + 0.5);
  b.ttl = Int32Array.from({ length: n }, (_, i) => i * 10);
  return b;
}

describe('messages.arrow round trip', () => {
  it('writes batches with differing dictionaries and reads the same strings back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-io-'));
    const path = join(dir, 'messages.arrow');
    const w = await MessageLogWriter.open(path);
    const written = [batch(5, 0), batch(3, 1)];
    for (const b of written) w.append(b);
    await w.close();
    expect(readdirSync(dir)).toEqual(['messages.arrow']); // temp file renamed away
    const read: MessageBatch[] = [];
    await scanMessages(path, (b) => void read.push(b));
    expect(read.map((b) => b.length)).toEqual([5, 3]);
    for (let k = 0; k < 2; k++) {
      const a = written[k]!;
      const r = read[k]!;
      expect(r.bizSeqNo).toEqual(a.bizSeqNo);
      expect(r.uniqueId).toEqual(a.uniqueId);
      for (const c of MESSAGE_DICT_COLUMNS) {
        const decoded = Array.from(r[c].codes, (code) => r[c].values[code]);
        expect(decoded).toEqual(Array.from(a[c].codes, (code) => a[c].values[code]));
      }
      expect(Array.from(r.sendTime)).toEqual(Array.from(a.sendTime));
      expect(Array.from(r.recvTime)).toEqual(Array.from(a.recvTime));
      expect(Array.from(r.ttl)).toEqual(Array.from(a.ttl));
    }
  });

  it('gives closed dictionaries the smallest index type and reads them back as Int32 codes', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fl-io-')), 'messages.arrow');
    const names = (n: number) => Array.from({ length: n }, (_, i) => `instance-${i}`);
    // 128 fit Int8 codes, 129 need Int16, 40000 need Int32.
    const dictionaries = { msgType: names(128), senderInstance: names(129), receiverInstance: names(40_000) };
    const w = await MessageLogWriter.open(path, dictionaries, { fitIndices: true });
    expect(w.codesArray('msgType', 1)).toBeInstanceOf(Int8Array);
    expect(w.codesArray('senderInstance', 1)).toBeInstanceOf(Int16Array);
    expect(w.codesArray('receiverInstance', 1)).toBeInstanceOf(Int32Array);
    const b = batch(3, 0);
    b.msgType = dict(dictionaries.msgType, [127, 0, 5]);
    b.senderInstance = dict(dictionaries.senderInstance, [128, 1, 127]);
    b.receiverInstance = dict(dictionaries.receiverInstance, [39_999, 32_768, 2]);
    w.append(b);
    // A closed dictionary that would outgrow its index type is refused, naming the column.
    expect(() => w.code('msgType', 'one-too-many')).toThrow(/msgType/);
    await w.close();
    const read: MessageBatch[] = [];
    await scanMessages(path, (r) => void read.push(r));
    for (const c of ['msgType', 'senderInstance', 'receiverInstance'] as const) {
      expect(read[0]![c].codes).toBeInstanceOf(Int32Array);
      expect(Array.from(read[0]![c].codes, (k) => read[0]![c].values[k])).toEqual(Array.from(b[c].codes, (k) => b[c].values[k]));
    }
  });

  it('writes a valid empty file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fl-io-')), 'messages.arrow');
    const w = await MessageLogWriter.open(path);
    await w.close();
    let batches = 0;
    await scanMessages(path, () => void batches++);
    expect(batches).toBe(0);
  });

  it('names the file when it cannot be read', async () => {
    await expect(scanMessages('/nonexistent/messages.arrow', () => {})).rejects.toThrow(/nonexistent\/messages.arrow/);
  });
});

describe('kpis.arrow round trip', () => {
  it('writes and reads a KPI table', async () => {
    const n = 4;
    const t: KpiTable = {
      length: n,
      minute: Float64Array.of(0, 0, 60000, 60000),
      scope: dict(['service', 'txType'], [0, 1, 0, 1]),
      name: dict(['account', 'transfer'], [0, 1, 0, 1]),
      volume: Float64Array.of(10, 5, 0, 7),
      businessSuccessCount: Float64Array.of(9, 4, 0, 7),
      systemSuccessCount: Float64Array.of(10, 5, 0, 6),
      latencySum: Float64Array.of(100, 50, 0, 70),
      businessSuccessRate: Float64Array.of(0.9, 0.8, NaN, 1),
      systemSuccessRate: Float64Array.of(1, 1, NaN, 6 / 7),
      avgLatency: Float64Array.of(10, 10, NaN, 10),
    };
    const path = join(mkdtempSync(join(tmpdir(), 'fl-io-')), 'kpis.arrow');
    await writeKpis(path, t);
    const r = await readKpis(path);
    expect(r.length).toBe(n);
    expect(Array.from(r.name.codes, (c) => r.name.values[c])).toEqual(['account', 'transfer', 'account', 'transfer']);
    expect(Array.from(r.systemSuccessRate)).toEqual(Array.from(t.systemSuccessRate));
    expect(Array.from(r.minute)).toEqual(Array.from(t.minute));
  });
});

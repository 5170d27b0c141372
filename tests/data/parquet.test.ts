import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generate } from '../../sim/generate.js';
import { arrowDirToParquet, scanParquet } from '../../data/parquet.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-parquet-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('generated tables as Parquet', () => {
  it('converts messages.arrow, kpis.arrow, logs.arrow and metrics.arrow with every row and column', async () => {
    const { manifest } = await generate({ scenario: 'faults/database-slow', seed: 3, out: path.join(dir, 'gen'), duration: '10m' });
    const written = await arrowDirToParquet(path.join(dir, 'gen'));
    expect(written.map((f) => path.basename(f))).toEqual(['kpis.parquet', 'logs.parquet', 'messages.parquet', 'metrics.parquet']);
    const count = async (file: string) => {
      let rows = 0;
      let columns: string[] = [];
      await scanParquet(file, (b) => {
        rows += b.numRows;
        columns = b.schema.fields.map((f) => f.name);
      });
      return { rows, columns };
    };
    const messages = await count(written[2]);
    expect(messages.rows).toBe(manifest.counts.messages);
    expect(messages.columns).toContain('bizSeqNo');
    expect(messages.columns).toHaveLength(21);
    expect((await count(written[0])).rows).toBe(manifest.counts.kpiRows);
    const logs = await count(written[1]);
    expect(logs.rows).toBe(manifest.counts.logLines);
    expect(logs.columns).toEqual(['time', 'service', 'instance', 'bizSeqNo', 'uniqueId', 'level', 'message']);
    expect((await count(written[3])).rows).toBe(manifest.counts.metricRows);
  });
});

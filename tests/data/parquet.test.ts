import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { generate } from '../../sim/generate.js';
import { arrowDirToParquet, scanParquet } from '../../data/parquet.js';
import { importMessages } from '../../data/message-import.js';
import { ImportError } from '../../common/bad-rows.js';

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
    // A rate of a minute without traffic is undefined: NULL for SQL, never NaN.
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const [row] = (await db.runAndReadAll(`SELECT count(*) FILTER (WHERE volume = 0) AS idle, count(*) FILTER (WHERE avgLatency IS NULL) AS undefinedLatency, count(*) FILTER (WHERE isnan(avgLatency) OR isnan(systemSuccessRate)) AS nan FROM '${written[0]}'`)).getRowObjectsJson();
    expect(row!.nan).toBe('0');
    expect(Number(row!.idle)).toBeGreaterThan(0);
    expect(row!.undefinedLatency).toBe(row!.idle);
  });

  it('turns a corrupt or cut-short Parquet file into an error naming it, never a crash', async () => {
    const good = fs.readFileSync(path.join(dir, 'gen', 'messages.parquet'));
    const file = path.join(dir, 'corrupt.parquet');
    const outcomes = { errors: 0, read: 0 };
    // Eight bytes overwritten at spread offsets: the decoder refuses, crashes (a wasm trap, caught in its
    // worker) or decodes; whatever it does, the caller gets rows or an ImportError naming the file.
    for (let k = 1; k <= 10; k++) {
      const bytes = Buffer.from(good);
      const at = Math.floor((good.length * k) / 11);
      for (let i = 0; i < 8; i++) bytes[at + i] = (at * 31 + i * 97) & 255;
      fs.writeFileSync(file, bytes);
      try {
        let rows = 0;
        await scanParquet(file, (b) => void (rows += b.numRows));
        expect(rows).toBeGreaterThan(0);
        outcomes.read++;
      } catch (err) {
        expect(err).toBeInstanceOf(ImportError);
        expect((err as Error).message.startsWith(`${file}: not a readable Parquet file`)).toBe(true);
        outcomes.errors++;
      }
    }
    expect(outcomes.errors).toBeGreaterThan(0);
    fs.writeFileSync(file, good.subarray(0, good.length >> 1));
    await expect(importMessages(file, () => undefined)).rejects.toThrow(`${file}: not a readable Parquet file`);
    fs.writeFileSync(file, '');
    await expect(importMessages(file, () => undefined)).rejects.toThrow(`${file}: empty file (0 bytes)`);
  });
});

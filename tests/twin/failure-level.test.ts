/**
 * The level a system writes its failure lines at, which a twin's handlers reject a wrong value at
 * (`rejectionLogLevel`): learned from the templates that name a failure, each service's template
 * counted once at its most frequent level.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLogs } from '../../data/log-csv.js';
import { failureLevels } from '../../pipeline/fit.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-failure-level-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A log CSV of the given [service, level, message, copies] rows, one second apart. */
async function logs(name: string, rows: Array<[string, string, string, number]>) {
  const lines = ['time,service,level,message'];
  let t = Date.parse('2026-01-05T09:00:00Z');
  for (const [service, level, message, copies] of rows) for (let k = 0; k < copies; k++) lines.push(`${(t += 1000)},${service},${level},${message}`);
  const file = path.join(tmp, `${name}.csv`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return readLogs(file);
}

describe('failureLevels', () => {
  it('takes the level most failure templates have, each counted once however chatty', async () => {
    const t = await logs('mixed', [
      // One chatty WARN template: counted once.
      ['order', 'WARN', 'Get Order By ID Fail: order not found', 200],
      ['order', 'ERROR', 'Get Order By ID Fail: order not found', 1],
      ['food', 'ERROR', 'Get the Food Request Failed! result is null', 3],
      ['travel', 'ERROR', 'Servlet threw exception', 2],
      // Not failures: no failure word, or below WARN.
      ['order', 'WARN', 'Left ticket info is empty', 50],
      ['route', 'INFO', 'retry failed once then recovered', 40],
    ]);
    expect(failureLevels(t)).toEqual({ failureTemplates: { WARN: 1, ERROR: 2 }, rejectionLogLevel: 'ERROR' });
  });

  it('the same template on two services counts twice; a tie goes to the louder level', async () => {
    const t = await logs('tie', [
      ['a', 'WARN', 'call to ledger failed', 4],
      ['b', 'WARN', 'call to ledger failed', 4],
      ['c', 'ERROR', 'request timed out', 1],
      ['d', 'FATAL', 'fatal error in handler', 1],
      ['e', 'FATAL', 'unavailable: pool exhausted', 1],
    ]);
    expect(failureLevels(t)).toEqual({ failureTemplates: { WARN: 2, ERROR: 1, FATAL: 2 }, rejectionLogLevel: 'FATAL' });
  });

  it("a tie between levels within one service's template goes to the louder level", async () => {
    const t = await logs('tie-within', [
      ['a', 'WARN', 'call to ledger failed', 2],
      ['a', 'ERROR', 'call to ledger failed', 2],
      ['b', 'WARN', 'request timed out', 1],
      ['c', 'ERROR', 'payment failed', 1],
    ]);
    expect(failureLevels(t)).toEqual({ failureTemplates: { WARN: 1, ERROR: 2 }, rejectionLogLevel: 'ERROR' });
  });

  it('sets no level from fewer than three failure templates', async () => {
    const t = await logs('few', [
      ['a', 'ERROR', 'payment failed', 30],
      ['b', 'ERROR', 'lookup failed', 30],
      ['c', 'INFO', 'request ok', 300],
    ]);
    expect(failureLevels(t)).toEqual({ failureTemplates: { ERROR: 2 }, rejectionLogLevel: null });
  });
});

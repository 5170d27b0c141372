import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLogs } from '../../data/log-csv.js';
import { LOG_LEVEL } from '../../data/types.js';

const dir = mkdtempSync(join(tmpdir(), 'logs-rcaeval-'));

describe('an RCAEval-like logs.csv through --log-columns', () => {
  it('reads unix seconds (with a fraction) or nanoseconds, the container as the instance, quoted messages', async () => {
    const seconds = join(dir, 'logs-s.csv');
    writeFileSync(
      seconds,
      'time,container_name,message\n' +
        '1706000000.25,cartservice,"GetCart called, user=""42"""\n' +
        '1706000001,ts-auth-service,ERROR failed to connect to mongo\n' +
        '1706000002,cartservice,"multi\nline"\n',
    );
    const nanos = join(dir, 'logs-ns.csv');
    writeFileSync(nanos, 'time,container_name,message\n1706000000250000000,cartservice,x\n');
    const t = await readLogs(seconds, { columns: { instance: 'container_name' } });
    expect(t.length).toBe(3);
    expect(Array.from(t.time)).toEqual([1706000000250, 1706000001000, 1706000002000]);
    expect(Array.from(t.instance, (c) => t.strings[c])).toEqual(['cartservice', 'ts-auth-service', 'cartservice']);
    expect(Array.from(t.service, (c) => t.strings[c])).toEqual(['cartservice', 'ts-auth-service', 'cartservice']);
    expect(t.level[1]).toBe(LOG_LEVEL.error); // told from the text: the file has no level column
    expect(t.templates[t.template[0]]).toContain('GetCart called,');
    const n = await readLogs(nanos, { columns: { instance: 'container_name' } });
    expect(n.time[0]).toBe(1706000000250);
    // Without the mapping the file names no service or instance: the error says which flag maps one.
    await expect(readLogs(seconds)).rejects.toThrow(/logs-s\.csv:line 1: needs a "service" or "instance" column: .*; the header has time, container_name, message \(map yours with --log-columns instance=<name>\)/);
  });
});

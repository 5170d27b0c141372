/**
 * Code-level exceptions that escape their handler: the handler stops where the exception is
 * thrown (its later calls are never made, its span ends there, its success line is not written),
 * the call fails, and only a handler that logs before rethrowing writes an error line. The
 * default handler catches the exception (tests/sim/signals.test.ts covers that one).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../sim/generate.js';
import { rejects } from './rejects.js';
import { loadScenario } from '../../sim/scenario.js';
import { writeCallChainScenario } from './call-chain-scenario.js';

const root = mkdtempSync(join(tmpdir(), 'fl-exc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MID_SELF_MS = 10;
const CHILDREN = ['a-op', 'b-op', 'c-op'];

function scenario(name: string, handler: string): string {
  return writeCallChainScenario(join(root, `${name}.yaml`), {
    name,
    subsystem: 'exc',
    services: [['front', 1], ['mid', MID_SELF_MS], ['a', 3], ['b', 3], ['c', 3]],
    root: '{ call: front, operation: front-op, children: [{ call: mid, operation: mid-op, children: [{ call: a, operation: a-op }, { call: b, operation: b-op }, { call: c, operation: c-op }] }] }',
    faults: [`{ type: code-exception, target: { service: mid }, handler: ${handler}, start: 1m, duration: 2m, severity: 1 }`],
  });
}

interface Span { id: string; parent: string; op: string; start: number; end: number; status: string; kind: string }
interface Run { spans: Map<string, Span[]>; logs: { span: string; service: string; level: string; message: string }[] }

async function run(name: string, handler: string): Promise<Run> {
  await generate({ scenario: scenario(name, handler), seed: 4, out: join(root, name), metrics: false, export: { spans: 'csv', logsCsv: true } });
  const spans = new Map<string, Span[]>();
  const [, ...lines] = readFileSync(join(root, name, 'spans.csv'), 'utf8').trim().split('\n');
  for (const line of lines) {
    const [trace, id, parent, , , op, start, end, status, kind] = line.split(',') as string[];
    const list = spans.get(trace!) ?? [];
    list.push({ id: id!, parent: parent!, op: op!, start: Number(start) / 1e6, end: Number(end) / 1e6, status: status!, kind: kind! });
    spans.set(trace!, list);
  }
  // Records start with a time; a stack trace's continuation lines do not.
  const logs = readFileSync(join(root, name, 'logs.csv'), 'utf8')
    .split('\n')
    .filter((l) => /^\d{13},/.test(l))
    .map((l) => {
      const f = l.split(',');
      return { service: f[1]!, span: f[4]!, level: f[5]!, message: f.slice(6).join(',') };
    });
  return { spans, logs };
}

/** mid's server span per trace, with the operations of the calls it made (client spans) in order. */
function midCalls(r: Run): { mid: Span; front: Span; calls: Span[] }[] {
  return [...r.spans.values()].map((trace) => {
    const mid = trace.find((s) => s.op === 'mid-op' && s.kind === 'server')!;
    const front = trace.find((s) => s.op === 'front-op' && s.kind === 'server')!;
    const calls = trace.filter((s) => s.kind === 'client' && s.parent === mid.id).sort((x, y) => x.start - y.start);
    return { mid, front, calls };
  });
}

let logged: Run;
let silent: Run;
beforeAll(async () => {
  logged = await run('logged', 'logs-and-throws');
  silent = await run('silent', 'throws');
}, 60_000);

describe('an exception escaping its handler (code-exception)', () => {
  it('stops the handler where it is thrown: later calls are not made, the span ends there, the call fails', () => {
    const byMade = [0, 0, 0, 0];
    for (const { mid, front, calls } of midCalls(logged)) {
      const ops = calls.map((c) => c.op);
      if (mid.status === 'ok') {
        expect(ops).toEqual(CHILDREN);
        continue;
      }
      // The calls made are the first ones, in order, each answered.
      expect(ops).toEqual(CHILDREN.slice(0, ops.length));
      for (const c of calls) expect(c.status).toBe('ok');
      byMade[ops.length]!++;
      if (ops.length === 0) expect(mid.end - mid.start).toBeLessThan(MID_SELF_MS); // thrown during its own work
      else expect(mid.end).toBeCloseTo(calls.at(-1)!.end, 3);
      expect(front.status).toBe('error'); // the failure reaches the caller
    }
    // Thrown at every point of the handler: during its own work, before each call, after the last.
    for (const n of byMade) expect(n).toBeGreaterThan(15);
  });

  it('writes the error line only where the handler logs it, and never the success line', () => {
    for (const [r, errorLines] of [[logged, true], [silent, false]] as const) {
      const failed = new Set(midCalls(r).filter((x) => x.mid.status === 'error').map((x) => x.mid.id));
      expect(failed.size).toBeGreaterThan(100);
      const mine = r.logs.filter((l) => l.service === 'mid' && failed.has(l.span));
      const errors = new Set(mine.filter((l) => l.level === 'ERROR').map((l) => l.span));
      expect(errors.size).toBe(errorLines ? failed.size : 0);
      expect(mine.filter((l) => /SUCCESS/.test(l.message))).toHaveLength(0);
      // Calls the fault did not touch write their success line.
      const ok = midCalls(r).filter((x) => x.mid.status === 'ok').map((x) => x.mid.id);
      const success = new Set(r.logs.filter((l) => l.service === 'mid' && /SUCCESS/.test(l.message)).map((l) => l.span));
      expect(ok.every((id) => success.has(id))).toBe(true);
    }
  });

  it('is refused on other fault types', () => {
    const file = join(root, 'bad.yaml');
    writeFileSync(file, ['extends: fault-base', 'duration: 10m', 'faults:', '  - { type: wrong-return, target: { service: fx-service }, handler: throws, start: 2m, duration: 5m, severity: 0.5 }'].join('\n') + '\n');
    expect(rejects(file).message).toMatch(/faults\[0\]\.handler: handler applies to code-exception faults only, not wrong-return/);
  });

  it('is refused where two escaping exceptions with different handlers meet on one operation, and allowed where they do not', () => {
    const file = join(root, 'two.yaml');
    const write = (second: string) =>
      writeFileSync(
        file,
        ['extends: fault-base', 'duration: 30m', 'faults:', '  - { type: code-exception, target: { service: fx-service }, handler: throws, start: 2m, duration: 5m, severity: 0.5, repeat: { every: 10m, count: 2 } }', `  - ${second}`].join('\n') + '\n',
      );
    // The second run of the first (12m-17m) meets this one.
    write('{ type: code-exception, target: { service: fx-service }, handler: logs-and-throws, start: 15m, duration: 5m, severity: 0.5 }');
    expect(rejects(file).message).toMatch(/faults\[1\]\.handler: overlaps faults\[0\] on service 'fx-service' with another handler \(logs-and-throws against throws\)/);
    expect(rejects(file).message).toContain(file);
    for (const fine of [
      '{ type: code-exception, target: { service: fx-service }, handler: logs-and-throws, start: 7m, duration: 5m, severity: 0.5 }', // between the runs
      '{ type: code-exception, target: { service: fx-service }, handler: throws, start: 3m, duration: 5m, severity: 0.5 }', // the same handler
      '{ type: code-exception, target: { service: fx-service }, handler: catches, start: 3m, duration: 5m, severity: 0.5 }', // caught: a path of its own
    ]) {
      write(fine);
      expect(() => loadScenario(file), fine).not.toThrow();
    }
  });
});

/**
 * A fitted twin's per-call settings learned from a system's logs: `logs` (the lines a handler
 * writes on success, in place of the simulator's own line) and `checksResult` (a wrong value made
 * in a handling is rejected there, by the handler's own check, not by the next step).
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../sim/generate.js';
import { scanLogs } from '../../sim/read.js';
import { rejects } from './rejects.js';
import { writeCallChainScenario } from './call-chain-scenario.js';

const root = mkdtempSync(join(tmpdir(), 'fl-learned-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PER_CALL = 2.5;

function scenario(name: string, checksResult: number | null): string {
  const mid =
    `{ call: mid, operation: mid-op, ${checksResult === null ? '' : `checksResult: ${checksResult}, `}` +
    `logs: [{ template: 'MidImpl#12 [load][<*> items from <uuid> at <ip>, took <num> ms] <date>', level: ERROR, perCall: ${PER_CALL} }], ` +
    'children: [{ call: a, operation: a-op, logs: [] }, { call: b, operation: b-op }] }';
  return writeCallChainScenario(join(root, `${name}.yaml`), {
    name,
    subsystem: 'lg',
    services: [['front', 1], ['mid', 5], ['a', 3], ['b', 3]],
    root: `{ call: front, operation: front-op, children: [${mid}] }`,
    faults: ['{ type: wrong-return, target: { service: mid }, start: 2m, duration: 2m, severity: 1 }'],
  });
}

interface Line {
  time: number;
  service: string;
  span: string;
  level: string;
  message: string;
}

/** Start and end (ms) of a service's server spans, by span id. */
type Handlings = Map<string, { start: number; end: number }>;

async function run(name: string, source: string): Promise<{ logs: Line[]; text: string; spans: number; mid: Handlings }> {
  await generate({ scenario: source, seed: 4, out: join(root, name), metrics: false, export: { spans: 'csv', logsCsv: true } });
  const text = readFileSync(join(root, name, 'logs.csv'), 'utf8');
  const logs = text
    .split('\n')
    .filter((l) => /^\d{13},/.test(l))
    .map((l) => {
      const f = l.split(',');
      return { time: Number(f[0]), service: f[1]!, span: f[4]!, level: f[5]!, message: f.slice(6).join(',') };
    });
  const [head, ...rows] = readFileSync(join(root, name, 'spans.csv'), 'utf8').trim().split('\n');
  const col = Object.fromEntries(head!.split(',').map((c, i) => [c, i]));
  const mid: Handlings = new Map();
  for (const row of rows) {
    const f = row.split(',');
    if (f[col.operation]! === 'mid-op' && f[col.kind]! === 'server') mid.set(f[col.span_id]!, { start: Number(f[col.start_ns]) / 1e6, end: Number(f[col.end_ns]) / 1e6 });
  }
  return { logs, text, spans: rows.length, mid };
}

const FAULT_AT = Date.parse('2026-01-05T09:02:00Z');
const LEARNED = /^"?MidImpl#12 \[load\]\[(\d+) items from ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) at (\d+\.\d+\.\d+\.\d+), took (\d+) ms\] <date>"?$/;

let self: Awaited<ReturnType<typeof run>>;
let next: Awaited<ReturnType<typeof run>>;
beforeAll(async () => {
  self = await run('self', scenario('self', 1));
  next = await run('next', scenario('next', null));
}, 60_000);

describe('learned success lines (a call template`s logs)', () => {
  it('are written by the callee in place of its own success line, at their level, perCall times per call on average', () => {
    // Lines about a request (background lines carry no span).
    const before = self.logs.filter((l) => l.time < FAULT_AT && l.span !== '');
    const mid = before.filter((l) => l.service === 'mid');
    expect(mid.length).toBeGreaterThan(200);
    for (const l of mid) {
      expect(l.message).toMatch(LEARNED);
      expect(l.level).toBe('ERROR');
    }
    // Calls of mid before the fault: one success line of b's each (b keeps the simulator's line).
    const calls = before.filter((l) => l.service === 'b').length;
    expect(calls).toBeGreaterThan(200);
    expect(mid.length / calls).toBeGreaterThan(PER_CALL * 0.9);
    expect(mid.length / calls).toBeLessThan(PER_CALL * 1.1);
    // Each at a time within the handling it is about (log times are whole milliseconds).
    for (const l of mid) {
      const h = self.mid.get(l.span)!;
      expect(l.time).toBeGreaterThanOrEqual(Math.floor(h.start));
      expect(l.time).toBeLessThanOrEqual(Math.ceil(h.end));
    }
    // Placeholders take fresh values.
    expect(new Set(mid.map((l) => LEARNED.exec(l.message)![2])).size).toBeGreaterThan(mid.length * 0.9);
  });

  it('an empty list writes nothing on success', () => {
    expect(self.logs.filter((l) => l.service === 'a' && l.span !== '')).toHaveLength(0);
    expect(next.logs.filter((l) => l.service === 'b' && l.span !== '').length).toBeGreaterThan(200);
  });

  it('are deterministic: the same seed writes the same bytes', async () => {
    const again = await run('self-again', scenario('self-again', 1));
    expect(again.text).toBe(self.text);
  });

  it('rejects a template with control characters', () => {
    const file = join(root, 'bad.yaml');
    writeFileSync(file, readFileSync(scenario('bad-src', 1), 'utf8').replace(/template: '[^']*'/, 'template: "bad\\u0007line"'));
    expect(rejects(file).message).toMatch(/logs\[0\]\.template: must not hold control characters/);
  });
});

describe('lines placed in the handling (`at`)', () => {
  const BEGIN = /MidImpl#20 \[load\]\[begin/;
  const DONE = /MidImpl#30 \[load\]\[done/;
  /** mid writes a begin line at 0.1 of its handling and a done line at 0.9; `target` throws escaping exceptions in the fault window. */
  const runPlaced = (name: string, target: string) => {
    const mid =
      "{ call: mid, operation: mid-op, logs: [{ template: 'MidImpl#30 [load][done <num>]', level: INFO, perCall: 1, at: 0.9 }, { template: 'MidImpl#20 [load][begin <num>]', level: INFO, perCall: 1, at: 0.1 }], " +
      'children: [{ call: a, operation: a-op }, { call: b, operation: b-op }] }';
    const file = writeCallChainScenario(join(root, `${name}.yaml`), {
      name,
      subsystem: 'lg',
      services: [['front', 1], ['mid', 5], ['a', 3], ['b', 3]],
      root: `{ call: front, operation: front-op, children: [${mid}] }`,
      faults: [`{ type: code-exception, target: { service: ${target} }, start: 2m, duration: 2m, severity: 1, handler: throws }`],
    });
    return run(name, file);
  };
  let placed: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    placed = await runPlaced('placed', 'mid');
  }, 60_000);

  /** Per mid span, its begin and done lines. */
  function bySpan(lines: Line[]): Map<string, { begin: Line[]; done: Line[] }> {
    const out = new Map<string, { begin: Line[]; done: Line[] }>();
    for (const l of lines) {
      if (l.service !== 'mid' || l.span === '') continue;
      let e = out.get(l.span);
      if (!e) out.set(l.span, (e = { begin: [], done: [] }));
      if (BEGIN.test(l.message)) e.begin.push(l);
      else if (DONE.test(l.message)) e.done.push(l);
    }
    return out;
  }

  it('are written at their share of the handling, in that order', () => {
    const spans = bySpan(placed.logs.filter((l) => l.time < FAULT_AT));
    expect(spans.size).toBeGreaterThan(200);
    for (const [span, e] of spans) {
      const h = placed.mid.get(span)!;
      expect(e.begin).toHaveLength(1);
      expect(e.done).toHaveLength(1);
      // Log times are whole milliseconds.
      expect(Math.abs(e.begin[0]!.time - (h.start + 0.1 * (h.end - h.start)))).toBeLessThanOrEqual(1);
      expect(Math.abs(e.done[0]!.time - (h.start + 0.9 * (h.end - h.start)))).toBeLessThanOrEqual(1);
    }
  });

  it('a handling an exception cuts short has written the lines placed before the throw, none after', () => {
    const spans = [...bySpan(placed.logs.filter((l) => l.time >= FAULT_AT + 1000)).values()];
    // A throw is uniform over the handling's three steps (its own work, then two calls).
    const cut = spans.filter((e) => e.begin.length === 1 && e.done.length === 0).length;
    expect(cut).toBeGreaterThan(50);
    expect(spans.filter((e) => e.done.length > 0 && e.begin.length === 0)).toEqual([]);
    // Without a throw the handling runs to its reply and writes both.
    expect(spans.filter((e) => e.begin.length === 1 && e.done.length === 1).length).toBeGreaterThan(50);
  });

  it('a handling stopped by a call that failed has written the lines placed before that call, none after', async () => {
    // Every call to b fails: mid stops at its second call, two thirds through its steps.
    const failed = await runPlaced('failed-call', 'b');
    const spans = [...bySpan(failed.logs.filter((l) => l.time >= FAULT_AT + 1000)).values()];
    const cut = spans.filter((e) => e.begin.length === 1 && e.done.length === 0).length;
    expect(cut).toBeGreaterThan(200);
    expect(spans.filter((e) => e.done.length > 0 && e.begin.length === 0)).toEqual([]);
  }, 60_000);

  /**
   * mid writes two copies of a line per call placed mid-way (40) and two of one placed at the reply
   * (50), with the given faults; per mid server span and line, the copies' times.
   */
  const runRepeated = async (name: string, faults: string[]) => {
    const mid =
      "{ call: mid, operation: mid-op, logs: [{ template: 'MidImpl#40 [load][item <num>]', level: INFO, perCall: 2, at: 0.5 }, { template: 'MidImpl#50 [load][sent <num>]', level: INFO, perCall: 2, at: 1 }], " +
      'children: [{ call: a, operation: a-op }, { call: b, operation: b-op }] }';
    const file = writeCallChainScenario(join(root, `${name}.yaml`), { name, subsystem: 'lg', services: [['front', 1], ['mid', 5], ['a', 3], ['b', 3]], root: `{ call: front, operation: front-op, children: [${mid}] }`, faults });
    const { mid: handlings } = await run(name, file);
    // logs.arrow keeps the engine's times (the CSV rounds them to the millisecond); a line's uniqueId names its call, whose server span adds "-s".
    const copies = new Map<string, number[]>();
    await scanLogs(join(root, name, 'logs.arrow'), (b) => {
      for (let i = 0; i < b.length; i++) {
        const line = /^MidImpl#(\d+) /.exec(b.message[i]!);
        if (!line) continue;
        const key = `${b.uniqueId[i]}-s ${line[1]}`;
        copies.set(key, [...(copies.get(key) ?? []), b.time[i]!]);
      }
    });
    return { handlings, copies };
  };

  /** Per mid server span cut short (its line placed mid-way written, the one at the reply not), its handling and the copies of the line placed mid-way. */
  const cutShort = (r: Awaited<ReturnType<typeof runRepeated>>) =>
    [...r.handlings].flatMap(([span, h]) => {
      const times = r.copies.get(`${span} 40`);
      return times && !r.copies.has(`${span} 50`) ? [{ span, h, times }] : [];
    });

  it('repeated in one handling, are written in order at distinct times near their place, inside the handling', async () => {
    // Two copies of a line per call placed mid-way, two of one placed at the reply.
    const { handlings, copies } = await runRepeated('repeated', []);
    expect(copies.size).toBe(2 * handlings.size);
    expect(handlings.size).toBeGreaterThan(200);
    for (const [key, times] of copies) {
      const [span, line] = key.split(' ');
      const h = handlings.get(span!)!;
      const place = line === '40' ? 0.5 : 1;
      expect(times).toHaveLength(2);
      expect(times[0]).toBeLessThan(times[1]!);
      for (const t of times) {
        // Within the handling, and within a tenth of it about the place, held inside it (to a
        // microsecond: a millisecond time this large holds a quarter of one).
        expect(t).toBeGreaterThanOrEqual(h.start - 1e-3);
        expect(t).toBeLessThanOrEqual(h.end + 1e-3);
        expect(Math.abs(t - (h.start + place * (h.end - h.start)))).toBeLessThanOrEqual((place === 1 ? 0.1 : 0.05) * (h.end - h.start) + 1e-3);
      }
    }
  }, 60_000);

  it('repeated in a handling a failed call cuts short, are written near their place in the part that ran, inside it', async () => {
    // Every call to b throws: mid stops at its second call, two thirds through its steps, where its
    // line placed at half of them lies three quarters of the way through the part that ran.
    const cut = cutShort(await runRepeated('repeated-failed-call', ['{ type: code-exception, target: { service: b }, start: 2m, duration: 2m, severity: 1, handler: throws }']));
    expect(cut.length).toBeGreaterThan(200);
    for (const { h, times } of cut) {
      expect(times).toHaveLength(2);
      expect(times[0]).toBeLessThan(times[1]!);
      for (const t of times) {
        expect(t).toBeGreaterThanOrEqual(h.start - 1e-3);
        expect(t).toBeLessThanOrEqual(h.end + 1e-3);
        expect(Math.abs(t - (h.start + 0.75 * (h.end - h.start)))).toBeLessThanOrEqual(0.05 * (h.end - h.start) + 1e-3);
      }
    }
  }, 60_000);

  it('repeated in a handling an exception cuts short, are written inside the part that ran, after their place in it', async () => {
    const name = 'repeated-thrown';
    const r = await runRepeated(name, ['{ type: code-exception, target: { service: mid }, start: 2m, duration: 2m, severity: 1, handler: throws }']);
    const cut = cutShort(r);
    expect(cut.length).toBeGreaterThan(100);
    // The handlings that called b (the client span of b-op is a child of mid's server span).
    const [head, ...rows] = readFileSync(join(root, name, 'spans.csv'), 'utf8').trim().split('\n');
    const col = Object.fromEntries(head!.split(',').map((c, i) => [c, i]));
    const calledB = new Set(rows.map((row) => row.split(',')).flatMap((f) => (f[col.operation] === 'b-op' && f[col.kind] === 'client' ? [f[col.parent_id]!] : [])));
    let beforeB = 0;
    for (const { span, h, times } of cut) {
      expect(times).toHaveLength(2);
      expect(times[0]).toBeLessThan(times[1]!);
      for (const t of times) {
        expect(t).toBeGreaterThanOrEqual(h.start - 1e-3);
        expect(t).toBeLessThanOrEqual(h.end + 1e-3);
      }
      if (calledB.has(span)) continue;
      // Thrown before the call to b, past half its steps (the line is written) and short of two
      // thirds: the line's place lies beyond three quarters of the part that ran, its copies in the
      // tenth about it held inside the handling, beyond 0.7 of it.
      beforeB++;
      for (const t of times) expect(t).toBeGreaterThanOrEqual(h.start + 0.7 * (h.end - h.start) - 1e-3);
    }
    expect(beforeB).toBeGreaterThan(20);
  }, 60_000);
});

describe('a wrong value and where it is checked (checksResult)', () => {
  const validation = (r: typeof self) => r.logs.filter((l) => /rejected: DATA_VALIDATION_FAILED/.test(l.message));

  it('with checksResult 1 the faulty service rejects it itself and logs it there', () => {
    const v = validation(self);
    expect(v.length).toBeGreaterThan(100);
    expect(new Set(v.map((l) => l.service))).toEqual(new Set(['mid']));
    for (const l of v) expect(l.time).toBeGreaterThanOrEqual(FAULT_AT);
    // A rejected call writes no success line.
    const rejected = new Set(v.map((l) => l.span));
    const succeeded = new Set(self.logs.filter((l) => l.service === 'mid' && LEARNED.test(l.message)).map((l) => l.span));
    expect([...rejected].filter((s) => succeeded.has(s))).toEqual([]);
  });

  it('is logged at WARN, or at the level the scenario sets (rejectionLogLevel), every other line unchanged', async () => {
    expect(new Set(validation(self).map((l) => l.level))).toEqual(new Set(['WARN']));
    const file = scenario('loud', 1);
    appendFileSync(file, '\nrejectionLogLevel: ERROR\n');
    const loud = await run('loud', file);
    expect(new Set(validation(loud).map((l) => l.level))).toEqual(new Set(['ERROR']));
    expect(loud.logs.map((l) => (/rejected: DATA_VALIDATION_FAILED/.test(l.message) ? { ...l, level: 'WARN' } : l))).toEqual(self.logs);
  }, 60_000);

  it('by default it is returned and the next step rejects it, away from its cause', () => {
    const v = validation(next);
    expect(v.length).toBeGreaterThan(100);
    expect(v.filter((l) => l.service === 'mid')).toHaveLength(0);
    expect(new Set(v.map((l) => l.service))).toEqual(new Set(['front']));
  });
});
